//! `dis.dis()` text, byte for byte, in each version's layout.

use std::io::Write;

use bytescope_code::exceptions::ExceptionEntry;
use bytescope_code::lines::{Positions, lineno_width, positions_width};
use bytescope_pyrepr::ReprError;

use bytescope_instr::{Argument, RawInstruction as Raw, RawInstructions};
use bytescope_opcodes::Action;

use crate::argtext::{FastText, ReprCache, TextSink, label_number};
use crate::budget::Limit;
use crate::listing::Prepared;
use crate::plan::NAME_SLOT;
use crate::rules::Layout;

/// `dis` display options (each exists only from some version on).
#[derive(Clone, Copy, Debug, Default)]
pub struct DisOptions {
    /// `show_caches=True` (3.11+): one CACHE line per inline cache unit.
    pub show_caches: bool,
    /// `show_offsets=True` (3.13+).
    pub show_offsets: bool,
    /// `show_positions=True` (3.14+): source positions instead of lines.
    pub show_positions: bool,
    /// `disassemble(co, lasti)` / `Bytecode(current_offset=)`: the
    /// instruction at this offset is marked `-->`.
    pub lasti: Option<i64>,
    /// `Bytecode(first_line=)`: `first_line - co_firstlineno`, added to
    /// every line number shown.
    pub line_offset: i64,
    /// `adaptive=True`: list `_co_code_adaptive`, the bytecode as the
    /// version's interpreter holds it once it has loaded the code object
    /// (3.12's superinstructions; the cache counters, shown with
    /// `show_caches`). No change before 3.11, where nothing is quickened.
    /// The listings (`dis*`, `disassemble`) honour it.
    pub adaptive: bool,
}

impl DisOptions {
    /// Whether a line needs the general path (the fast paths print neither
    /// the `-->` marker nor shifted line numbers).
    fn marks_or_shifts(&self) -> bool {
        self.lasti.is_some() || self.line_offset != 0
    }
}

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;
const NO_LINENO: &str = "  --";

impl Prepared<'_, '_, '_> {
    /// Writes `disassemble(co)` for this code object.
    ///
    /// # Errors
    /// Stops at the first constant CPython could not repr (the lines before
    /// it are already written, as CPython prints them before raising).
    pub(crate) fn write_text(
        &self,
        out: &mut Vec<u8>,
        opts: DisOptions,
        limit: &mut Limit<'_>,
    ) -> Result<(), Stop> {
        // One copy of each loop per way of walking the instructions.
        match (self.dec.rules.layout, self.raws()) {
            (Layout::Py27 | Layout::Py30, raws) => self.write_old(raws, out, opts, limit),
            (Layout::Py34 | Layout::Py37, raws) => self.write_classic(raws, out, opts, limit),
            (Layout::Py313, RawInstructions::Words(w)) => self.write_313(w, out, opts, limit),
            (Layout::Py313, RawInstructions::ExtWords(w)) => self.write_313(w, out, opts, limit),
            (Layout::Py313, RawInstructions::Bytes(b)) => self.write_313(b, out, opts, limit),
        }
    }

    fn opname(&self, op: u8) -> &'static str {
        self.dec.plans[usize::from(op)].name
    }

    /// Appends ` (argrepr)` unless the text is empty (`reprs` is the repr
    /// cache, borrowed once per listing).
    fn paren_argrepr_with(
        &self,
        out: &mut Vec<u8>,
        raw: &Raw,
        arg: &Argument<'_>,
        reprs: &mut ReprCache,
    ) -> Result<(), ReprError> {
        let mark = out.len();
        out.extend_from_slice(b" (");
        self.dec.write_argrepr(out, raw, arg, self.labels(), reprs)?;
        if out.len() == mark + 2 {
            out.truncate(mark);
        } else {
            out.push(b')');
        }
        Ok(())
    }

    /// 2.7 and 3.0–3.3: fields printed one by one, no rstrip. 2.7's `print
    /// x,` puts a soft space between items; 3.x's `print(x, end=' ')` puts a
    /// space after every item.
    fn write_old(
        &self,
        raws: impl Iterator<Item = Raw>,
        out: &mut Vec<u8>,
        opts: DisOptions,
        limit: &mut Limit<'_>,
    ) -> Result<(), Stop> {
        use bytescope_opcodes::ArgFlags as F;
        let py2 = self.dec.rules.layout == Layout::Py27;
        let described = F::CONST | F::NAME | F::JREL | F::LOCAL | F::COMPARE | F::FREE;
        let line_column = self.dec.rules.line_column;
        let opname_width = self.dec.rules.opname_width;
        let mut starts = self.lines.cursor();
        for raw in raws {
            let raw = &raw;
            let before = out.len();
            let starts_line = starts.starts_at(raw.offset);
            let arg = self.dec.decoder.resolve(raw);
            // 2.3+: a paragraph per line; before, one per SET_LINENO.
            let paragraph = if line_column {
                starts_line.is_some()
            } else {
                self.dec.table.semantics(raw.base).action == Action::SetLineno
            };
            if paragraph && raw.offset > 0 {
                out.push(b'\n');
            }
            let mut items = OldItems { out: &mut *out, py2, soft: false };
            match starts_line {
                _ if !line_column => {}
                Some(l) => items.item(|o| push_int(o, l.unwrap_or(0).saturating_add(opts.line_offset), 3)),
                None => items.item(|o| o.extend_from_slice(b"   ")),
            }
            let current = opts.lasti == Some(i64::from(raw.offset));
            items.item(|o| o.extend_from_slice(if current { b"-->" } else { b"   " }));
            items.item(|o| o.extend_from_slice(if self.mark(raw.offset) != 0 { b">>" } else { b"  " }));
            items.item(|o| push_int(o, i64::from(raw.offset), 4));
            items.item(|o| push_left(o, self.opname(raw.opcode), opname_width));
            if let Some(a) = raw.arg {
                items.item(|o| push_int(o, a, OPARG_WIDTH));
                // Old dis prints "(...)" for the kinds it knows, even when
                // the text is empty (`from . import x`: "()"); jabs and plain
                // arguments print nothing.
                if self.dec.table.op(raw.base).flags.0 & described != 0 {
                    let mut result = Ok(());
                    items.item(|o| {
                        o.push(b'(');
                        result =
                            self.dec.write_argrepr(o, raw, &arg, self.labels(), &mut self.reprs.borrow_mut());
                        o.push(b')');
                    });
                    if let Err(e) = result {
                        out.truncate(before);
                        return Err(Stop::Repr(e));
                    }
                }
            }
            out.push(b'\n');
            check(out, before, limit)?;
        }
        Ok(())
    }

    /// 3.4–3.12: `Instruction._disassemble` joined by spaces and rstripped.
    fn write_classic(
        &self,
        raws: RawInstructions<'_>,
        out: &mut Vec<u8>,
        opts: DisOptions,
        limit: &mut Limit<'_>,
    ) -> Result<(), Stop> {
        let r = self.dec.rules;
        let lw = if r.layout == Layout::Py34 {
            3
        } else {
            lineno_width(r.version, self.lines.starts(), opts.line_offset)
        };
        let code_len = self.dec.code.code.len();
        let maxoffset = code_len.saturating_sub(2);
        let ow = if r.dynamic_widths && maxoffset >= 10000 { maxoffset.to_string().len() } else { 4 };
        let fast = !self.general && !opts.marks_or_shifts() && self.classic_columns_fit(lw, ow);
        let mut starts = self.lines.cursor();
        let reprs = &mut *self.reprs.borrow_mut();
        match raws {
            RawInstructions::Words(words) if fast => {
                self.classic_fast_widths(words, out, opts, limit, lw, ow, reprs)?;
            }
            RawInstructions::ExtWords(words) if fast => {
                self.classic_fast_widths(words, out, opts, limit, lw, ow, reprs)?;
            }
            RawInstructions::Bytes(raws) if fast => {
                self.classic_fast(raws, out, opts, limit, Measured { lw, ow }, reprs)?;
            }
            raws => {
                for raw in raws {
                    let before = out.len();
                    let starts_line =
                        starts.starts_at(raw.offset).map(|l| l.map(|l| l.saturating_add(opts.line_offset)));
                    let current = self.classic_current(&raw, opts);
                    self.classic_line(out, &raw, starts_line, current, lw, ow, reprs)?;
                    if opts.show_caches && raw.caches > 0 {
                        self.classic_caches(out, &raw, lw, ow, opts.lasti);
                    }
                    check(out, before, limit)?;
                }
            }
        }
        if !self.exceptions.is_empty() {
            out.extend_from_slice(b"ExceptionTable:\n");
            let mut num = itoa::Buffer::new();
            for e in &self.exceptions {
                classic_exception_line(out, e, &mut num);
            }
        }
        Ok(())
    }

    /// `is_current_instr` of 3.4-3.12: the instruction at `lasti`, or (3.12
    /// without caches shown) the one whose caches `lasti` points into.
    fn classic_current(&self, raw: &Raw, opts: DisOptions) -> bool {
        let Some(lasti) = opts.lasti else { return false };
        let at = i64::from(raw.offset);
        if self.dec.rules.lasti_spans_caches && !opts.show_caches {
            (at..=at + 2 * i64::from(raw.caches)).contains(&lasti)
        } else {
            at == lasti
        }
    }

    /// Whether every line of this code object fits its columns whatever
    /// its instruction (offsets and line numbers; arguments are checked per
    /// line): [`Prepared::classic_fast`] can run.
    fn classic_columns_fit(&self, lw: usize, ow: usize) -> bool {
        if lw > 10 || ow > 10 || (self.dec.code.code.len() as u64) >= POW10[ow] {
            return false;
        }
        let starts = self.lines.starts().as_slice();
        // Every line in `0..10**lw` (`None` as 0): the largest as unsigned
        // (negatives wrap above every bound), without a branch per start.
        (lw > 0 || starts.is_empty())
            && starts.iter().fold(0u64, |m, &(_, l)| m.max(l.unwrap_or(0) as u64)) < POW10[lw]
    }

    /// [`Prepared::classic_fast`] of wordcode: the commonest widths get
    /// loops of their own, where every column position is a constant.
    #[allow(clippy::too_many_arguments)]
    fn classic_fast_widths(
        &self,
        words: impl Iterator<Item = Raw>,
        out: &mut Vec<u8>,
        opts: DisOptions,
        limit: &mut Limit<'_>,
        lw: usize,
        ow: usize,
        reprs: &mut ReprCache,
    ) -> Result<(), Stop> {
        match (lw, ow) {
            (3, 4) => self.classic_fast(words, out, opts, limit, Fixed::<3, 4>, reprs),
            (4, 4) => self.classic_fast(words, out, opts, limit, Fixed::<4, 4>, reprs),
            _ => self.classic_fast(words, out, opts, limit, Measured { lw, ow }, reprs),
        }
    }

    /// The classic listing of a code object whose columns hold every line
    /// ([`Prepared::classic_columns_fit`]): nearly every code object, in
    /// one tight loop; lines it cannot shape go through
    /// [`Prepared::classic_line`].
    #[allow(clippy::too_many_arguments)]
    fn classic_fast(
        &self,
        words: impl Iterator<Item = Raw>,
        out: &mut Vec<u8>,
        opts: DisOptions,
        limit: &mut Limit<'_>,
        widths: impl Widths,
        reprs: &mut ReprCache,
    ) -> Result<(), Stop> {
        let (lw, ow) = (widths.lw(), widths.ow());
        let plans = self.dec.plans;
        let mut starts = self.lines.cursor();
        let mut num = itoa::Buffer::new();
        for raw in words {
            let before = out.len();
            let starts_line = starts.starts_at(raw.offset);
            let p = &plans[usize::from(raw.opcode)];
            if p.name.len() <= OPNAME_WIDTH && raw.arg.is_none_or(|a| (0..100_000).contains(&a)) {
                // The head first, then the argument's text written where
                // it is resolved (one dispatch on the argument's kind).
                let head = self.classic_start(out, &raw, starts_line, lw);
                let start = out.len();
                head.write(out, lw, ow);
                let pos = classic_name_column(lw, ow);
                let tail = LineTail {
                    out: &mut *out,
                    start,
                    pos,
                    padded: &p.padded,
                    name_len: p.name.len(),
                    arg: raw.arg,
                    num: &mut num,
                    labels: None,
                };
                if fast_written(self.dec.fast_text(&raw, reprs, tail), out, before)? {
                    if opts.show_caches && raw.caches > 0 {
                        self.classic_caches(out, &raw, lw, ow, None);
                    }
                    check(out, before, limit)?;
                    continue;
                }
            }
            self.classic_line(out, &raw, starts_line, false, lw, ow, reprs)?;
            if opts.show_caches && raw.caches > 0 {
                self.classic_caches(out, &raw, lw, ow, None);
            }
            check(out, before, limit)?;
        }
        Ok(())
    }

    /// Starts the classic line of `raw`: the blank line before a new source
    /// line (but not at offset 0), then the head to write.
    #[inline(always)]
    fn classic_start(
        &self,
        out: &mut Vec<u8>,
        raw: &Raw,
        starts_line: Option<Option<i64>>,
        lw: usize,
    ) -> ClassicHead {
        if lw > 0 && starts_line.is_some() && raw.offset > 0 {
            out.push(b'\n');
        }
        ClassicHead {
            lineno: starts_line.map(|l| l.unwrap_or(0)),
            current: false,
            target: self.mark(raw.offset) != 0,
            offset: raw.offset,
        }
    }

    /// One classic line, whatever its widths and argument (the general path
    /// beside [`Prepared::classic_fast`], out of its way).
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn classic_line(
        &self,
        out: &mut Vec<u8>,
        raw: &Raw,
        starts_line: Option<Option<i64>>,
        current: bool,
        lw: usize,
        ow: usize,
        reprs: &mut ReprCache,
    ) -> Result<(), Stop> {
        let before = out.len();
        let mut head = self.classic_start(out, raw, starts_line, lw);
        head.current = current;
        let line = ClassicLine { head, opname: self.opname(raw.opcode), arg: raw.arg };
        let padded = &self.dec.plans[usize::from(raw.opcode)].padded;
        let fits = !self.general && !current && line.fits(lw, ow);
        let arg = self.dec.decoder.resolve(raw);
        let written = match self.dec.argrepr_text(raw, &arg, reprs) {
            Ok(Some(text)) if fits => {
                line.write_fast(out, lw, ow, padded, str_text(text));
                Ok(())
            }
            Ok(None) if fits => {
                line.write_fast(
                    out,
                    lw,
                    ow,
                    padded,
                    ArgText::Maybe(|o: &mut Vec<u8>| {
                        self.dec.write_argrepr_rest(o, raw, &arg, self.labels())
                    }),
                );
                Ok(())
            }
            Ok(_) => line.write(out, lw, ow, |o| self.paren_argrepr_with(o, raw, &arg, reprs)),
            Err(e) => Err(e),
        };
        written.map_err(|e| {
            out.truncate(before);
            Stop::Repr(e)
        })
    }

    /// 3.11–3.12 CACHE lines.
    #[cold]
    #[inline(never)]
    fn classic_caches(&self, out: &mut Vec<u8>, raw: &Raw, lw: usize, ow: usize, lasti: Option<i64>) {
        let code = self.dec.code.code;
        let r = self.dec.rules;
        let quickened = raw.opcode != raw.base;
        let mut offset = raw.offset as usize;
        for field in self.dec.table.cache_fields(self.opname(raw.base)) {
            for k in 0..field.size {
                offset += 2;
                let text = if k == 0 && (!r.cache_names_only_quickened || quickened) {
                    let end = (offset + 2 * usize::from(field.size)).min(code.len());
                    let data = code.get(offset.min(end)..end).unwrap_or(&[]);
                    format!("{}: {}", field.name, le_uint(data))
                } else {
                    String::new()
                };
                let line = ClassicLine {
                    head: ClassicHead {
                        lineno: None,
                        // 3.11-3.12 list caches as instructions of their own.
                        current: lasti == Some(offset as i64),
                        target: false,
                        offset: offset as u32,
                    },
                    opname: "CACHE",
                    arg: Some(0),
                };
                let _ = line.write(out, lw, ow, |o| {
                    if !text.is_empty() {
                        o.extend_from_slice(b" (");
                        o.extend_from_slice(text.as_bytes());
                        o.push(b')');
                    }
                    Ok(())
                });
            }
        }
    }

    /// 3.13+: `Formatter.print_instruction` and `print_exception_table`.
    fn write_313(
        &self,
        raws: impl Iterator<Item = Raw>,
        out: &mut Vec<u8>,
        opts: DisOptions,
        limit: &mut Limit<'_>,
    ) -> Result<(), Stop> {
        let r = self.dec.rules;
        let code_len = self.dec.code.code.len();
        let lw = if opts.show_positions {
            positions_width(self.position_ranges().iter().filter(|r| r.start < r.end).map(|r| &r.positions))
        } else {
            lineno_width(r.version, self.lines.starts(), 0)
        };
        let ow = if opts.show_offsets { code_len.saturating_sub(2).max(9999).to_string().len() } else { 0 };
        let label_width = 4 + self.labels().len().to_string().len();
        let f = Fmt313 { lw, ow, label_width, show_positions: opts.show_positions };
        let columns_fit = !self.general
            && !opts.marks_or_shifts()
            && f.columns_fit(self.lines.starts().as_slice(), code_len, self.labels().len());
        let mut starts = self.lines.cursor();
        let mut line_number = None;
        let mut num = itoa::Buffer::new();
        let reprs = &mut *self.reprs.borrow_mut();
        for raw in raws {
            let raw = &raw;
            let before = out.len();
            let starts_line = starts.starts_at(raw.offset);
            if let Some(l) = starts_line {
                line_number = l.map(|l| l.saturating_add(opts.line_offset));
            }
            // Each instruction is current for `lasti` in its caches too.
            let current = opts.lasti.is_some_and(|lasti| {
                let at = i64::from(raw.offset);
                (at..=at + 2 * i64::from(raw.caches)).contains(&lasti)
            });
            let mark = self.mark(raw.offset);
            let opname = self.opname(raw.opcode);
            let padded = &self.dec.plans[usize::from(raw.opcode)].padded;
            let fits = columns_fit
                && opname.len() <= OPNAME_WIDTH
                && raw.arg.is_none_or(|a| (0..100_000).contains(&a));
            if fits {
                // As in `classic_fast` (no positions: they do not fit).
                let (start, pos) = f.head_fast(out, raw.offset, starts_line.is_some(), line_number, mark);
                let tail = LineTail {
                    out: &mut *out,
                    start,
                    pos,
                    padded,
                    name_len: opname.len(),
                    arg: raw.arg,
                    num: &mut num,
                    labels: Some(self),
                };
                if fast_written(self.dec.fast_text(raw, reprs, tail), out, before)? {
                    if opts.show_caches && raw.caches > 0 {
                        self.caches_313(out, &f, raw, Positions::NONE);
                    }
                    check(out, before, limit)?;
                    continue;
                }
            }
            let positions = if opts.show_positions {
                self.positions_at(raw.offset).unwrap_or(Positions::NONE)
            } else {
                Positions::NONE
            };
            let line = Line313 {
                offset: raw.offset,
                starts_line: starts_line.is_some(),
                line_number,
                label: mark,
                current,
                positions,
                opname,
                arg: raw.arg,
            };
            let arg = self.dec.decoder.resolve(raw);
            let written = match self.dec.argrepr_text(raw, &arg, reprs) {
                // As in `write_classic`.
                Ok(Some(text)) if fits => {
                    f.line_fast(out, &line, padded, str_text(text));
                    Ok(())
                }
                Ok(None) if fits => {
                    f.line_fast(
                        out,
                        &line,
                        padded,
                        ArgText::Maybe(|o: &mut Vec<u8>| {
                            self.dec.write_argrepr_rest(o, raw, &arg, self.labels())
                        }),
                    );
                    Ok(())
                }
                Ok(_) => f.line(out, &line, |o| self.paren_argrepr_with(o, raw, &arg, reprs)),
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                out.truncate(before);
                return Err(Stop::Repr(e));
            }
            if opts.show_caches && raw.caches > 0 {
                self.caches_313(out, &f, raw, positions);
            }
            check(out, before, limit)?;
        }
        if !self.exceptions.is_empty() {
            out.extend_from_slice(b"ExceptionTable:\n");
            // `  L{start} to L{end} -> L{target} [{depth}]{" lasti"}`.
            let l = |off: u64| label_number(self.labels(), off as i64).unwrap_or(0);
            let mut num = itoa::Buffer::new();
            for e in &self.exceptions {
                out.extend_from_slice(b"  L");
                out.extend_from_slice(num.format(l(e.start)).as_bytes());
                out.extend_from_slice(b" to L");
                out.extend_from_slice(num.format(l(e.end)).as_bytes());
                out.extend_from_slice(b" -> L");
                out.extend_from_slice(num.format(l(e.target)).as_bytes());
                out.extend_from_slice(b" [");
                out.extend_from_slice(num.format(e.depth).as_bytes());
                out.extend_from_slice(if e.lasti { b"] lasti\n" } else { b"]\n" });
            }
        }
        Ok(())
    }

    fn caches_313(&self, out: &mut Vec<u8>, f: &Fmt313, raw: &Raw, positions: Positions) {
        let code = self.dec.code.code;
        let mut offset = raw.offset as usize;
        let mut data_at = raw.offset as usize;
        for field in self.dec.table.cache_fields(self.opname(raw.base)) {
            let start = (data_at + 2).min(code.len());
            let end = (data_at + 2 + 2 * usize::from(field.size)).min(code.len());
            let value = le_uint(&code[start..end]);
            if !self.dec.rules.cache_info_same_offset {
                data_at += 2 * usize::from(field.size);
            }
            for k in 0..field.size {
                offset += 2;
                let line = Line313 {
                    offset: offset as u32,
                    starts_line: false,
                    line_number: None,
                    label: 0,
                    current: false,
                    positions,
                    opname: "CACHE",
                    arg: Some(0),
                };
                let _ = f.line(out, &line, |o| {
                    if k == 0 {
                        let _ = write!(o, " ({}: {value})", field.name);
                    }
                    Ok(())
                });
            }
        }
    }
}

/// Why a listing stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A constant CPython could not repr.
    Repr(ReprError),
    /// The output budget is spent.
    Limit,
}

/// Whether a fast-path line was written: when its text is not one the fast
/// path shapes, or cannot be made, what it wrote since `before` goes (the
/// general line follows, or the listing stops there).
#[inline(always)]
fn fast_written(written: Result<bool, ReprError>, out: &mut Vec<u8>, before: usize) -> Result<bool, Stop> {
    match written {
        Ok(true) => Ok(true),
        Ok(false) => {
            out.truncate(before);
            Ok(false)
        }
        Err(e) => {
            out.truncate(before);
            Err(Stop::Repr(e))
        }
    }
}

/// Stops once the output passes the budget, dropping the line (from
/// `line_start`) that crossed it; at a line end the finished text may be
/// drained (see [`Limit::check`]).
#[inline]
fn check(out: &mut Vec<u8>, line_start: usize, limit: &mut Limit<'_>) -> Result<(), Stop> {
    limit.check(out, line_start).map_err(|_| Stop::Limit)
}

/// `int.from_bytes(data, "little")` as decimal text (cache fields are at
/// most 4 code units, so 16 bytes always suffice).
fn le_uint(data: &[u8]) -> String {
    let mut v: u128 = 0;
    for (i, b) in data.iter().take(16).enumerate() {
        v |= u128::from(*b) << (8 * i);
    }
    v.to_string()
}

/// What one `Instruction._disassemble` line (3.4–3.12) shows.
struct ClassicLine {
    /// Line number, `>>` and offset.
    head: ClassicHead,
    opname: &'static str,
    arg: Option<i64>,
}

/// Bytes a fast-path line's window takes: its fixed-width part (at most
/// 61 bytes) and room for the argument text of most lines (code object
/// reprs and strs of a few dozen bytes included), written there by
/// fixed-size moves instead of appended.
const FAST_LINE: usize = 112;

impl ClassicLine {
    /// Whether the line fits the fast path: every number within its column
    /// and the name within [`OPNAME_WIDTH`] (true of nearly every line).
    #[inline]
    fn fits(&self, lw: usize, ow: usize) -> bool {
        lw <= 10
            && ow <= 10
            && self.opname.len() <= OPNAME_WIDTH
            && u64::from(self.head.offset) < POW10[ow]
            && self.head.lineno.is_none_or(|l| lw > 0 && (0..POW10[lw] as i64).contains(&l))
            && self.arg.is_none_or(|a| (0..100_000).contains(&a))
    }

    /// Writes a line that [`ClassicLine::fits`]; `text` writes the argrepr
    /// (shown as ` (text)` unless it writes nothing). Fixed-size copies only
    /// but for the text.
    #[inline(always)]
    fn write_fast(
        &self,
        out: &mut Vec<u8>,
        lw: usize,
        ow: usize,
        padded: &[u8; NAME_SLOT],
        text: ArgText<impl FnOnce(&mut Vec<u8>)>,
    ) {
        let start = out.len();
        self.head.write(out, lw, ow);
        fast_tail(out, start, classic_name_column(lw, ow), padded, self.opname.len(), self.arg, text);
    }

    /// Writes the line, whatever its widths; `argrepr` appends ` (text)`
    /// when there is text (the general path beside
    /// [`ClassicLine::write_fast`], on [`LineBuf`] as `Fmt313::line`).
    fn write(
        &self,
        out: &mut Vec<u8>,
        lw: usize,
        ow: usize,
        argrepr: impl FnOnce(&mut Vec<u8>) -> Result<(), ReprError>,
    ) -> Result<(), ReprError> {
        let start = out.len();
        let mut b = LineBuf::new(out);
        if lw > 0 {
            match self.head.lineno {
                Some(l) => b.int(l, lw),
                None => b.spaces(lw),
            }
            b.str(" ");
        }
        // The `-->` column of `mark_as_current`, the jump-target marker,
        // then the offset.
        b.str(if self.head.current { "-->" } else { "   " });
        b.str(if self.head.target { " >> " } else { "    " });
        b.int(i64::from(self.head.offset), ow);
        b.str(" ");
        if let Some(a) = self.arg {
            b.left(self.opname, OPNAME_WIDTH);
            b.str(" ");
            b.int(a, OPARG_WIDTH);
            b.finish();
            argrepr(out)?;
        } else {
            // The padding would be stripped.
            b.str(self.opname);
            b.finish();
        }
        rstrip_from(out, start);
        out.push(b'\n');
        Ok(())
    }
}

/// The widths of a classic listing's line-number and offset columns, as
/// [`Prepared::classic_fast`] takes them.
trait Widths: Copy {
    fn lw(self) -> usize;
    fn ow(self) -> usize;
}

/// Widths known when compiling: the loop's column positions fold to
/// constants.
#[derive(Clone, Copy)]
struct Fixed<const LW: usize, const OW: usize>;

impl<const LW: usize, const OW: usize> Widths for Fixed<LW, OW> {
    #[inline(always)]
    fn lw(self) -> usize {
        LW
    }
    #[inline(always)]
    fn ow(self) -> usize {
        OW
    }
}

/// Widths measured for a code object.
#[derive(Clone, Copy)]
struct Measured {
    lw: usize,
    ow: usize,
}

impl Widths for Measured {
    #[inline(always)]
    fn lw(self) -> usize {
        self.lw
    }
    #[inline(always)]
    fn ow(self) -> usize {
        self.ow
    }
}

/// Where a classic fast-path line's opname starts: after the line number
/// and a space (when shown), the `-->` and `>>` columns, the offset and a
/// space.
#[inline(always)]
fn classic_name_column(lw: usize, ow: usize) -> usize {
    (if lw > 0 { lw + 1 } else { 0 }) + 8 + ow
}

/// The part of a classic line before the opname, on the fast path.
struct ClassicHead {
    lineno: Option<i64>,
    /// Marked `-->` (never on the fast path).
    current: bool,
    target: bool,
    offset: u32,
}

impl ClassicHead {
    /// Appends a [`FAST_LINE`]-byte window of spaces holding the line
    /// number, the `>>` marker and the offset (columns that fit).
    #[inline(always)]
    fn write(&self, out: &mut Vec<u8>, lw: usize, ow: usize) {
        let start = out.len();
        out.reserve(FAST_LINE + 64);
        out.extend_from_slice(&[b' '; FAST_LINE]);
        let b = &mut out[start..start + FAST_LINE];
        let mut pos = 0;
        if lw > 0 {
            if let Some(l) = self.lineno {
                put_lineno(b, lw, l.unsigned_abs());
            }
            pos = lw + 1;
        }
        if self.target {
            b[pos + 4] = b'>';
            b[pos + 5] = b'>';
        }
        put_column4(b, pos + 7 + ow, u64::from(self.offset));
    }
}

/// The end of a fast-path line whose window starts at `start` in `out`:
/// the padded opname at `pos`, then the argument and ` (text)` (or the bare
/// opname), and the newline; the window's unused tail is cut off. `text`
/// writes the argrepr; when it writes nothing there are no parentheses.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fast_tail(
    out: &mut Vec<u8>,
    start: usize,
    mut pos: usize,
    padded: &[u8; NAME_SLOT],
    name_len: usize,
    arg: Option<i64>,
    text: ArgText<impl FnOnce(&mut Vec<u8>)>,
) {
    let b = &mut out[start..];
    b[pos..pos + NAME_SLOT].copy_from_slice(padded);
    if let Some(a) = arg {
        pos += OPNAME_WIDTH + 1 + OPARG_WIDTH;
        put_column4(b, pos, a.unsigned_abs());
        match text {
            ArgText::Empty => {}
            ArgText::One(t) => {
                b[pos..pos + 2].copy_from_slice(b" (");
                put_closed(out, start, pos + 2, t.as_bytes(), b")\n");
                return;
            }
            ArgText::Quoted(q, t) => {
                b[pos..pos + 3].copy_from_slice(&[b' ', b'(', q]);
                put_closed(out, start, pos + 3, t.as_bytes(), &[q, b')', b'\n']);
                return;
            }
            ArgText::Parts(parts) => {
                b[pos..pos + 2].copy_from_slice(b" (");
                let mut at = pos + 2;
                let total: usize = parts.iter().map(|p| p.len()).sum();
                if at + total + 2 <= b.len() && parts.iter().all(|p| p.len() <= SHORT) {
                    // The usual short text fits the window: fixed-size
                    // moves, no `memcpy` call per part.
                    for part in parts {
                        put_short(b, at, part.as_bytes());
                        at += part.len();
                    }
                    b[at..at + 2].copy_from_slice(b")\n");
                    out.truncate(start + at + 2);
                } else {
                    out.truncate(start + at);
                    for part in parts {
                        out.extend_from_slice(part.as_bytes());
                    }
                    out.extend_from_slice(b")\n");
                }
                return;
            }
            ArgText::Maybe(write) => {
                b[pos..pos + 2].copy_from_slice(b" (");
                out.truncate(start + pos + 2);
                write(out);
                if out.len() > start + pos + 2 {
                    out.extend_from_slice(b")\n");
                } else {
                    // Nothing written: no parentheses.
                    out.truncate(start + pos);
                    out.push(b'\n');
                }
                return;
            }
        }
    } else {
        pos += name_len;
    }
    b[pos] = b'\n';
    out.truncate(start + pos + 1);
}

/// The rest of a fast-path line once its head is written: the opname,
/// the argument and its text ([`fast_tail`]); `false` when the text is not
/// one the fast path shapes. `labels` names 3.13+'s jump targets.
struct LineTail<'o, 'n, 'p> {
    out: &'o mut Vec<u8>,
    start: usize,
    pos: usize,
    padded: &'o [u8; NAME_SLOT],
    name_len: usize,
    arg: Option<i64>,
    num: &'n mut itoa::Buffer,
    labels: Option<&'p Prepared<'p, 'p, 'p>>,
}

impl<'s> TextSink<'s> for LineTail<'_, '_, '_> {
    type Out = bool;

    #[inline(always)]
    fn put(self, text: FastText<'s>) -> bool {
        let text = match (text, self.labels) {
            (FastText::Label(prep, target), Some(p)) => match p.mark_at(target) {
                0 => None,
                label => Some(ArgText::Parts([prep, " L", self.num.format(label)])),
            },
            (text, _) => arg_text(text, self.num),
        };
        match text {
            Some(text) => {
                fast_tail(self.out, self.start, self.pos, self.padded, self.name_len, self.arg, text);
                true
            }
            None => false,
        }
    }
}

/// Ends the fast-path line whose window starts at `start` in `out` with
/// `t` at `at` (in the window), then `close` (the closing bytes and the
/// newline): fixed-size moves when they fit the window, else appended.
#[inline(always)]
fn put_closed(out: &mut Vec<u8>, start: usize, at: usize, t: &[u8], close: &[u8]) {
    let b = &mut out[start..];
    let end = at + t.len() + close.len();
    if end <= b.len() && t.len() <= SHORT {
        put_short(b, at, t);
        b[at + t.len()..end].copy_from_slice(close);
        out.truncate(start + end);
    } else {
        out.truncate(start + at);
        out.extend_from_slice(t);
        out.extend_from_slice(close);
    }
}

/// How a fast-path line's argrepr is written.
enum ArgText<'t, W> {
    /// There is none.
    Empty,
    /// One text, not empty (a name, a number, an operator).
    One(&'t str),
    /// A text between two quote bytes (a str constant).
    Quoted(u8, &'t str),
    /// Three parts written one after another, the middle one not empty
    /// (prefixes and suffixes only come with a middle part).
    Parts([&'t str; 3]),
    /// `W` writes a text that may be empty.
    Maybe(W),
}

/// An [`ArgText`] that is at hand, not written by a function.
type Ready<'t> = ArgText<'t, fn(&mut Vec<u8>)>;

/// The [`ArgText`] of a borrowed text, empty or not.
#[inline]
fn str_text(text: &str) -> Ready<'_> {
    if text.is_empty() { ArgText::Empty } else { ArgText::One(text) }
}

/// The [`ArgText`] of a fast-path text, in its cheapest shape (`None` for
/// [`FastText::Label`] and [`FastText::Other`]); digits go through `num`.
#[inline(always)]
fn arg_text<'t>(text: FastText<'t>, num: &'t mut itoa::Buffer) -> Option<Ready<'t>> {
    Some(match text {
        // Length tests, not `== ""` (a slice comparison each).
        FastText::Str(t) => {
            if t.is_empty() {
                ArgText::Empty
            } else {
                ArgText::One(t)
            }
        }
        // (Empty affixes come as `Str`; `Parts` would write the same.)
        FastText::Name(open, t, close) => {
            if t.is_empty() {
                ArgText::Empty
            } else {
                ArgText::Parts([open, t, close])
            }
        }
        FastText::Quoted(q, t) => ArgText::Quoted(q, t),
        FastText::Int(v) => ArgText::One(num.format(v)),
        FastText::To(target) => ArgText::Parts(["to ", num.format(target), ""]),
        FastText::Label(..) | FastText::Other => return None,
    })
}

/// `  {start} to {end - 2} -> {target} [{depth}]{" lasti"}` and a newline,
/// without `core::fmt` (one line per entry, many per file): the parts go
/// into a window at the end of `out` by fixed-size moves.
#[inline(always)]
fn classic_exception_line(out: &mut Vec<u8>, e: &ExceptionEntry, num: &mut itoa::Buffer) {
    let start = out.len();
    out.resize(start + EXCEPTION_LINE, b' ');
    let b = &mut out[start..];
    let mut at = 0;
    let mut put = |s: &[u8]| {
        put_short(b, at, s);
        at += s.len();
    };
    put(b"  ");
    put(num.format(e.start).as_bytes());
    put(b" to ");
    // `end - 2` may be negative (a crafted entry); u64 digits otherwise
    // (cheaper than i128's).
    put(match e.end.checked_sub(2) {
        Some(v) => num.format(v),
        None => num.format(e.end as i64 - 2),
    }
    .as_bytes());
    put(b" -> ");
    put(num.format(e.target).as_bytes());
    put(b" [");
    put(num.format(e.depth).as_bytes());
    put(if e.lasti { b"] lasti\n" } else { b"]\n" });
    out.truncate(start + at);
}

/// Room for a classic exception-table line: four numbers of at most 20
/// digits and 20 other bytes.
const EXCEPTION_LINE: usize = 100;

/// Longest part [`put_short`] moves.
const SHORT: usize = 64;

/// Stores `s` (at most [`SHORT`] bytes) at `b[at..]` with two fixed-size
/// moves that may overlap, as `memcpy` does inside, without calling it.
#[inline(always)]
fn put_short(b: &mut [u8], at: usize, s: &[u8]) {
    let n = s.len();
    let d = &mut b[at..at + n];
    match n {
        0 => {}
        1..=3 => {
            d[0] = s[0];
            d[n / 2] = s[n / 2];
            d[n - 1] = s[n - 1];
        }
        4..=7 => {
            d[..4].copy_from_slice(&s[..4]);
            d[n - 4..].copy_from_slice(&s[n - 4..]);
        }
        8..=16 => {
            d[..8].copy_from_slice(&s[..8]);
            d[n - 8..].copy_from_slice(&s[n - 8..]);
        }
        17..=32 => {
            d[..16].copy_from_slice(&s[..16]);
            d[n - 16..].copy_from_slice(&s[n - 16..]);
        }
        _ => {
            d[..32].copy_from_slice(&s[..32]);
            d[n - 32..].copy_from_slice(&s[n - 32..]);
        }
    }
}

/// [`put_digits`] into a column at least four wide (all four bytes before
/// `end` are written, with spaces before the digits): numbers below 10000,
/// where lines vary the most, are one 4-byte move from [`COLUMN4`].
#[inline(always)]
fn put_column4(b: &mut [u8], end: usize, v: u64) {
    if v < 10_000 {
        b[end - 4..end].copy_from_slice(&COLUMN4[v as usize]);
    } else {
        put_digits(b, end, v);
    }
}

/// A line number right-aligned in the first `lw` columns (line numbers
/// below 1000, nearly all, are one move from [`COLUMN4`], without a digit
/// loop whose length varies from line to line).
#[inline(always)]
fn put_lineno(b: &mut [u8], lw: usize, v: u64) {
    if v < 1000 && lw >= 3 {
        b[lw - 3..lw].copy_from_slice(&COLUMN4[v as usize][1..]);
    } else {
        put_digits(b, lw, v);
    }
}

/// `"%4d"` of 0..10000: "   0" "   1" … "9999" (40 KB; offsets read it in
/// order and arguments stay near its start).
static COLUMN4: [[u8; 4]; 10_000] = {
    let mut t = [[b' '; 4]; 10_000];
    let mut n = 0;
    while n < 10_000 {
        let mut v = n;
        let mut i = 4;
        loop {
            i -= 1;
            t[n][i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        n += 1;
    }
    t
};

/// Stores the digits of `v` right-aligned to end at `end` in `b`.
#[inline(always)]
fn put_digits(b: &mut [u8], end: usize, mut v: u64) {
    let mut i = end;
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        b[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        b[i - 2..i].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    } else {
        b[i - 1] = b'0' + v as u8;
    }
}

/// `10**n`.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut n = 1;
    while n < 20 {
        t[n] = t[n - 1] * 10;
        n += 1;
    }
    t
};

/// "00" "01" … "99".
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        t[2 * n] = b'0' + (n / 10) as u8;
        t[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    t
};

/// Python's `rstrip()` of the line written after `start`. Only spaces can
/// trail: argument text always ends in `)` and opnames are written unpadded
/// when nothing follows them.
fn rstrip_from(out: &mut Vec<u8>, start: usize) {
    while out.len() > start && out.last() == Some(&b' ') {
        out.pop();
    }
}

struct Fmt313 {
    lw: usize,
    ow: usize,
    label_width: usize,
    show_positions: bool,
}

/// What one 3.13+ listing line shows.
struct Line313 {
    offset: u32,
    starts_line: bool,
    line_number: Option<i64>,
    /// Label number, 0 for none.
    label: u32,
    /// Marked `-->` (never on the fast path).
    current: bool,
    positions: Positions,
    opname: &'static str,
    arg: Option<i64>,
}

/// Bytes a 3.13+ line's fixed-width part takes at most on the fast path.
const FAST_LINE_313: usize = 96;

impl Fmt313 {
    /// Whether every line of a code object can take [`Fmt313::line_fast`]
    /// whatever its instruction: line numbers, not positions, and every
    /// line number (`starts`), offset (below `code_len`) and label (of
    /// `labels`) within its column. The opname (within [`OPNAME_WIDTH`])
    /// and argument are checked per line.
    fn columns_fit(&self, starts: &[(u32, Option<i64>)], code_len: usize, labels: usize) -> bool {
        let (lw, ow, label_width) = (self.lw, self.ow, self.label_width);
        !self.show_positions
            && lw <= 10
            && ow <= 10
            && (3..=12).contains(&label_width)
            && (ow == 0 || (code_len as u64) < POW10[ow])
            && (labels as u64) < POW10[label_width - 2]
            && (lw == 0
                || starts.iter().all(|&(_, l)| match l {
                    Some(l) => (0..POW10[lw] as i64).contains(&l),
                    None => lw >= NO_LINENO.len(),
                }))
    }

    /// [`Fmt313::line`] for a line that fits (see [`Fmt313::columns_fit`]), with `padded` the
    /// opname padded to [`NAME_SLOT`] bytes and `text` writing the argrepr
    /// (shown as ` (text)` unless it writes nothing): fixed-size copies but for the
    /// text.
    #[inline(always)]
    fn line_fast(
        &self,
        out: &mut Vec<u8>,
        ins: &Line313,
        padded: &[u8; NAME_SLOT],
        text: ArgText<impl FnOnce(&mut Vec<u8>)>,
    ) {
        let (start, pos) = self.head_fast(out, ins.offset, ins.starts_line, ins.line_number, ins.label);
        fast_tail(out, start, pos, padded, ins.opname.len(), ins.arg, text);
    }

    /// The head of a [`Fmt313::line_fast`] line (the blank line before a
    /// new source line, then a window with the line number, label and
    /// offset): where the window starts in `out`, and the opname's column.
    #[inline(always)]
    fn head_fast(
        &self,
        out: &mut Vec<u8>,
        offset: u32,
        starts_line: bool,
        line_number: Option<i64>,
        label: u32,
    ) -> (usize, usize) {
        let lw = self.lw;
        if lw > 0 && starts_line && offset > 0 {
            out.push(b'\n');
        }
        let start = out.len();
        out.reserve(FAST_LINE_313 + 64);
        out.extend_from_slice(&[b' '; FAST_LINE_313]);
        let b = &mut out[start..start + FAST_LINE_313];
        let mut pos = 0;
        if lw > 0 {
            if starts_line {
                match line_number {
                    Some(l) => put_lineno(b, lw, l.unsigned_abs()),
                    None => b[lw - 2..lw].copy_from_slice(b"--"),
                }
            }
            pos = lw + 1;
        }
        if label != 0 {
            // `f"L{label}:"` right-aligned.
            let end = pos + self.label_width - 1;
            b[end] = b':';
            put_digits(b, end, u64::from(label));
            b[end - decimal_len(u64::from(label)) - 1] = b'L';
        }
        pos += self.label_width;
        if self.ow > 0 {
            pos += 1 + self.ow;
            put_column4(b, pos, u64::from(offset));
            pos += 2;
        }
        (start, pos + 5)
    }

    /// `Formatter.print_instruction_line`; `argrepr` appends ` (text)`.
    fn line(
        &self,
        out: &mut Vec<u8>,
        ins: &Line313,
        argrepr: impl FnOnce(&mut Vec<u8>) -> Result<(), ReprError>,
    ) -> Result<(), ReprError> {
        let lw = self.lw;
        if lw > 0 && ins.starts_line && ins.offset > 0 {
            out.push(b'\n');
        }
        let start = out.len();
        let mut b = LineBuf::new(out);
        if lw > 0 {
            if self.show_positions {
                let text = positions_text(ins.positions);
                b.left(&text, lw);
            } else if ins.starts_line {
                match ins.line_number {
                    Some(l) => b.int(l, lw),
                    None => b.right(NO_LINENO, lw),
                }
            } else {
                b.spaces(lw);
            }
            b.str(" ");
        }
        if ins.label != 0 {
            // `f"L{l}:"` right-aligned.
            b.spaces(self.label_width.saturating_sub(2 + decimal_len(u64::from(ins.label))));
            b.str("L");
            b.int(i64::from(ins.label), 0);
            b.str(":");
        } else {
            b.spaces(self.label_width);
        }
        if self.ow > 0 {
            b.str(" ");
            b.int(i64::from(ins.offset), self.ow);
            b.str("  ");
        }
        b.str(if ins.current { " --> " } else { "     " });
        let opname = ins.opname;
        if let Some(a) = ins.arg {
            b.left(opname, OPNAME_WIDTH);
            let excess = opname.len().saturating_sub(OPNAME_WIDTH);
            let w = OPARG_WIDTH.saturating_sub(excess);
            b.str(" ");
            b.int(a, w);
            b.finish();
            argrepr(out)?;
        } else {
            // The padding would be stripped.
            b.str(opname);
            b.finish();
        }
        rstrip_from(out, start);
        out.push(b'\n');
        Ok(())
    }
}

/// 3.14 `show_positions` text: `line:col-end_line:end_col`, `?` for `None`,
/// `  --` when all are `None`.
fn positions_text(p: Positions) -> String {
    if p.line.is_none() && p.end_line.is_none() && p.col.is_none() && p.end_col.is_none() {
        return NO_LINENO.to_owned();
    }
    let s = |x: Option<i32>| x.map_or_else(|| "?".to_owned(), |v| v.to_string());
    format!("{}:{}-{}:{}", s(p.line), s(p.col), s(p.end_line), s(p.end_col))
}

/// One item of a 2.7/3.0–3.3 listing line: 2.7's `print x,` puts a soft
/// space before every item but the first unless the previous one ended in
/// whitespace other than a space; 3.x's `print(x, end=' ')` puts a space
/// after every item.
struct OldItems<'o> {
    out: &'o mut Vec<u8>,
    py2: bool,
    soft: bool,
}

impl OldItems<'_> {
    fn item(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        if self.py2 && self.soft {
            self.out.push(b' ');
        }
        let start = self.out.len();
        write(self.out);
        if self.py2 {
            // Python 2's print: no soft space after an item ending in
            // whitespace other than a space.
            let last = self.out.get(start..).and_then(<[u8]>::last).copied();
            self.soft = !matches!(last, Some(b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'));
        } else {
            self.out.push(b' ');
        }
    }
}

// Allocation-free equivalents of the `format!` paddings above: listings are
// mostly padding and small integers, and `core::fmt` machinery was half of
// `bytescope dis`'s time (see tools/bench.py).

const SPACES: &str = "                                                                ";

/// `n` spaces.
fn push_spaces(out: &mut Vec<u8>, mut n: usize) {
    while n > 0 {
        let k = n.min(SPACES.len());
        out.extend_from_slice(&SPACES.as_bytes()[..k]);
        n -= k;
    }
}

/// `format!("{s:<width$}")`.
fn push_left(out: &mut Vec<u8>, s: &str, width: usize) {
    out.extend_from_slice(s.as_bytes());
    push_spaces(out, width.saturating_sub(s.chars().count()));
}

/// Number of decimal digits of `v`.
fn decimal_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// `format!("{v:>width$}")` for an integer: padding and digits built in
/// one stack buffer, appended at once.
fn push_int(out: &mut Vec<u8>, v: i64, width: usize) {
    let mut buf = [b' '; 32];
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    let pad = width.saturating_sub(buf.len() - i);
    if pad <= i {
        i -= pad;
    } else {
        push_spaces(out, pad - i);
        i = 0;
    }
    out.extend_from_slice(&buf[i..]);
}

/// Builds one listing line in a stack buffer and appends it to the output
/// in one piece (an append per field was most of a line's cost). Only whole
/// `&str`s and ASCII go into it, so the output stays UTF-8.
struct LineBuf<'o> {
    out: &'o mut Vec<u8>,
    buf: [u8; LINE_BUF],
    len: usize,
}

const LINE_BUF: usize = 160;

impl<'o> LineBuf<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        LineBuf { out, buf: [b' '; LINE_BUF], len: 0 }
    }

    /// Appends what is buffered to the output (at the end of the line).
    fn finish(self) {
        self.out.extend_from_slice(&self.buf[..self.len]);
    }

    #[cold]
    #[inline(never)]
    fn flush(&mut self) {
        if self.len > 0 {
            self.out.extend_from_slice(&self.buf[..self.len]);
            // Unwritten bytes are spaces: `spaces` only skips over them.
            self.buf[..self.len].fill(b' ');
            self.len = 0;
        }
    }

    /// Room for `n` more bytes (flushing first if needed); false if `n`
    /// does not fit even in an empty buffer.
    #[inline(always)]
    fn room(&mut self, n: usize) -> bool {
        if self.len + n > LINE_BUF {
            self.flush();
        }
        n <= LINE_BUF
    }

    #[inline(always)]
    fn str(&mut self, s: &str) {
        if self.room(s.len()) {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else {
            self.out.extend_from_slice(s.as_bytes());
        }
    }

    #[inline(always)]
    fn spaces(&mut self, n: usize) {
        if self.room(n) {
            self.len += n;
        } else {
            push_spaces(self.out, n);
        }
    }

    /// `format!("{s:<width$}")`.
    #[inline(always)]
    fn left(&mut self, s: &str, width: usize) {
        self.str(s);
        self.spaces(width.saturating_sub(if s.is_ascii() { s.len() } else { s.chars().count() }));
    }

    /// `format!("{s:>width$}")`.
    #[inline(always)]
    fn right(&mut self, s: &str, width: usize) {
        self.spaces(width.saturating_sub(if s.is_ascii() { s.len() } else { s.chars().count() }));
        self.str(s);
    }

    /// `format!("{v:>width$}")` for an integer.
    #[inline(always)]
    fn int(&mut self, v: i64, width: usize) {
        let mut u = v.unsigned_abs();
        let digits = decimal_len(u);
        let len = digits + usize::from(v < 0);
        self.spaces(width.saturating_sub(len));
        if !self.room(len) {
            return; // unreachable: len <= 20 < LINE_BUF
        }
        if v < 0 {
            self.buf[self.len] = b'-';
            self.len += 1;
        }
        let end = self.len + digits;
        for slot in self.buf[self.len..end].iter_mut().rev() {
            *slot = b'0' + (u % 10) as u8;
            u /= 10;
        }
        self.len = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_short_moves_every_length() {
        let src: Vec<u8> = (1..=SHORT as u8).collect();
        for n in 0..=SHORT {
            for at in [0, 1, 7] {
                let mut b = vec![0u8; at + n + 3];
                put_short(&mut b, at, &src[..n]);
                let mut want = vec![0u8; at + n + 3];
                want[at..at + n].copy_from_slice(&src[..n]);
                assert_eq!(b, want, "n={n} at={at}");
            }
        }
    }

    #[test]
    fn exception_lines_match_format() {
        let mut num = itoa::Buffer::new();
        for (start, end, target, depth, lasti) in [
            (0, 10, 20, 1, false),
            (4, 6, 30, 0, true),
            (0, 0, 0, 0, false),
            (0, 1, 0, 0, true),
            (u64::MAX, u64::MAX, u64::MAX, u64::MAX, true),
            (u64::MAX - 1, 2, 12_345_678_901, 99, false),
        ] {
            let e = ExceptionEntry { start, end, target, depth, lasti };
            let mut out = b"x".to_vec();
            classic_exception_line(&mut out, &e, &mut num);
            let want = format!(
                "x  {start} to {} -> {target} [{depth}]{}\n",
                i128::from(end) - 2,
                if lasti { " lasti" } else { "" }
            );
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn padding_helpers_match_format() {
        for v in [0i64, 5, -5, 9, 10, 99, 12345, 123_456, -1_000_000, i64::MAX, i64::MIN] {
            for w in [0usize, 1, 3, 4, 5, 20, 25] {
                let mut s = Vec::new();
                push_int(&mut s, v, w);
                assert_eq!(s, format!("{v:>w$}").into_bytes(), "{v} {w}");
            }
        }
        for t in ["", "LOAD_CONST", "CALL_FUNCTION_EX_WITH_A_VERY_LONG_NAME", "é"] {
            for w in [0usize, 4, 20, 70, 130] {
                let mut s = Vec::new();
                push_left(&mut s, t, w);
                assert_eq!(s, format!("{t:<w$}").into_bytes());
            }
        }
        for v in [0i64, 7, -7, 12345, i64::MIN] {
            for w in [0usize, 5, 30, 200] {
                let mut s = b"x".to_vec();
                let mut b = LineBuf::new(&mut s);
                b.spaces(150);
                b.int(v, w);
                b.left("é", 3);
                b.right("ab", w);
                b.str(&"z".repeat(200));
                b.spaces(2);
                b.str("y");
                b.finish();
                let want = format!("x{:150}{v:>w$}{:<3}{:>w$}{}  y", "", "é", "ab", "z".repeat(200));
                assert_eq!(s, want.into_bytes());
            }
        }
        for v in [0u64, 9, 10, 99, 100, u64::MAX] {
            assert_eq!(decimal_len(v), v.to_string().len());
        }
    }
}
