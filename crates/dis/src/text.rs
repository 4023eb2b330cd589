//! `dis.dis()` text, byte for byte, in each version's layout.

use std::fmt::Write;

use bytescope_code::lines::{Positions, lineno_width, positions_width};
use bytescope_pyrepr::ReprError;

use crate::instr::Instruction;
use crate::listing::Prepared;
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
    pub(crate) fn write_text(&self, out: &mut String, opts: DisOptions) -> Result<(), ReprError> {
        match self.dec.rules.layout {
            Layout::Py27 | Layout::Py30 => self.write_old(out),
            Layout::Py34 | Layout::Py37 => self.write_classic(out, opts),
            Layout::Py313 => self.write_313(out, opts),
        }
    }

    fn opname(&self, op: u8) -> &'static str {
        self.dec.table.op(op).name
    }

    /// 2.7 and 3.0–3.3: fields printed one by one, no rstrip. 2.7's `print
    /// x,` puts a soft space between items; 3.x's `print(x, end=' ')` puts a
    /// space after every item.
    fn write_old(&self, out: &mut String) -> Result<(), ReprError> {
        let py2 = self.dec.rules.layout == Layout::Py27;
        let mut line = None;
        for i in 0..self.raws.len() {
            let ins = self.instruction(i, &mut line)?;
            let mut items: Vec<String> = Vec::with_capacity(7);
            match ins.starts_line {
                Some(l) => {
                    if ins.offset > 0 {
                        out.push('\n');
                    }
                    items.push(format!("{:3}", l.unwrap_or(0)));
                }
                None => items.push("   ".into()),
            }
            items.push("   ".into());
            items.push(if ins.is_jump_target { ">>" } else { "  " }.into());
            items.push(format!("{:>4}", ins.offset));
            items.push(format!("{:<20}", self.opname(ins.opcode)));
            if let Some(arg) = ins.arg {
                items.push(format!("{arg:>5}"));
                // Old dis prints "(...)" for the kinds it knows, even when
                // the text is empty (`from . import x`: "()"); jabs and plain
                // arguments print nothing.
                use bytescope_opcodes::ArgFlags as F;
                let described = F::CONST | F::NAME | F::JREL | F::LOCAL | F::COMPARE | F::FREE;
                if self.dec.table.op(ins.deopt).flags.0 & described != 0 {
                    items.push(format!("({})", ins.argrepr));
                }
            }
            if py2 {
                let mut soft = false;
                for it in &items {
                    if soft {
                        out.push(' ');
                    }
                    out.push_str(it);
                    // Python 2 print: soft space unless the item ends in
                    // whitespace other than a space.
                    soft = !it.ends_with(|c: char| c.is_ascii_whitespace() && c != ' ');
                }
            } else {
                for it in &items {
                    out.push_str(it);
                    out.push(' ');
                }
            }
            out.push('\n');
        }
        Ok(())
    }

    /// 3.4–3.12: `Instruction._disassemble` joined by spaces and rstripped.
    fn write_classic(&self, out: &mut String, opts: DisOptions) -> Result<(), ReprError> {
        let r = self.dec.rules;
        let lw = if r.layout == Layout::Py34 { 3 } else { lineno_width(r.version, &self.linestarts, 0) };
        let code_len = self.dec.code.code.len();
        let maxoffset = code_len.saturating_sub(2);
        let ow = if r.dynamic_widths && maxoffset >= 10000 { maxoffset.to_string().len() } else { 4 };
        let mut line = None;
        for i in 0..self.raws.len() {
            let ins = self.instruction(i, &mut line)?;
            if lw > 0 && ins.starts_line.is_some() && ins.offset > 0 {
                out.push('\n');
            }
            let lineno = ins.starts_line.map(|l| l.unwrap_or(0));
            classic_line(
                out,
                lw,
                lineno,
                ins.is_jump_target,
                ins.offset,
                self.opname(ins.opcode),
                ins.arg,
                &ins.argrepr,
                ow,
            );
            if opts.show_caches && ins.cache_entries > 0 {
                self.classic_caches(out, &ins, lw, ow);
            }
        }
        if !self.exceptions.is_empty() {
            out.push_str("ExceptionTable:\n");
            for e in &self.exceptions {
                let lasti = if e.lasti { " lasti" } else { "" };
                let _ = writeln!(
                    out,
                    "  {} to {} -> {} [{}]{lasti}",
                    e.start,
                    e.end as i64 - 2,
                    e.target,
                    e.depth
                );
            }
        }
        Ok(())
    }

    /// 3.11–3.12 CACHE lines.
    fn classic_caches(&self, out: &mut String, ins: &Instruction, lw: usize, ow: usize) {
        let code = self.dec.code.code;
        let r = self.dec.rules;
        let quickened = ins.opcode != ins.deopt;
        let mut offset = ins.offset as usize;
        for field in self.dec.table.cache_fields(self.opname(ins.deopt)) {
            for k in 0..field.size {
                offset += 2;
                let text = if k == 0 && (!r.cache_names_only_quickened || quickened) {
                    let end = (offset + 2 * usize::from(field.size)).min(code.len());
                    let data = code.get(offset.min(end)..end).unwrap_or(&[]);
                    format!("{}: {}", field.name, le_uint(data))
                } else {
                    String::new()
                };
                classic_line(out, lw, None, false, offset as u32, "CACHE", Some(0), &text, ow);
            }
        }
    }

    /// 3.13+: `Formatter.print_instruction` and `print_exception_table`.
    fn write_313(&self, out: &mut String, opts: DisOptions) -> Result<(), ReprError> {
        let r = self.dec.rules;
        let code_len = self.dec.code.code.len();
        let lw = if opts.show_positions {
            positions_width(&self.positions)
        } else {
            lineno_width(r.version, &self.linestarts, 0)
        };
        let ow = if opts.show_offsets { code_len.saturating_sub(2).max(9999).to_string().len() } else { 0 };
        let label_width = 4 + self.labels.len().to_string().len();
        let f = Fmt313 { lw, ow, label_width, show_positions: opts.show_positions };
        let mut line = None;
        for i in 0..self.raws.len() {
            let ins = self.instruction(i, &mut line)?;
            f.line(out, &ins, self.opname(ins.opcode));
            if opts.show_caches && ins.cache_entries > 0 {
                self.caches_313(out, &f, &ins);
            }
        }
        if !self.exceptions.is_empty() {
            out.push_str("ExceptionTable:\n");
            for e in &self.exceptions {
                let lasti = if e.lasti { " lasti" } else { "" };
                let l = |off: u64| self.labels.get(&(off as i64)).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "  L{} to L{} -> L{} [{}]{lasti}",
                    l(e.start),
                    l(e.end),
                    l(e.target),
                    e.depth
                );
            }
        }
        Ok(())
    }

    fn caches_313(&self, out: &mut String, f: &Fmt313, ins: &Instruction) {
        let code = self.dec.code.code;
        let mut offset = ins.offset as usize;
        let mut data_at = ins.offset as usize;
        for field in self.dec.table.cache_fields(self.opname(ins.deopt)) {
            let start = (data_at + 2).min(code.len());
            let end = (data_at + 2 + 2 * usize::from(field.size)).min(code.len());
            let value = le_uint(&code[start..end]);
            if !self.dec.rules.cache_info_same_offset {
                data_at += 2 * usize::from(field.size);
            }
            for k in 0..field.size {
                offset += 2;
                let text = if k == 0 { format!("{}: {value}", field.name) } else { String::new() };
                let cache = Instruction {
                    offset: offset as u32,
                    start_offset: offset as u32,
                    opcode: 0,
                    deopt: 0,
                    size: 2,
                    arg: Some(0),
                    argval: crate::ArgVal::None,
                    argrepr: text,
                    jump_target: None,
                    cache_entries: 0,
                    starts_line: None,
                    line_number: None,
                    is_jump_target: false,
                    label: None,
                    positions: ins.positions,
                };
                f.line(out, &cache, "CACHE");
            }
        }
    }
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

/// One `Instruction._disassemble` line (3.4–3.12).
#[allow(clippy::too_many_arguments)]
fn classic_line(
    out: &mut String,
    lw: usize,
    lineno: Option<i64>,
    target: bool,
    offset: u32,
    opname: &str,
    arg: Option<i64>,
    argrepr: &str,
    ow: usize,
) {
    let start = out.len();
    if lw > 0 {
        match lineno {
            Some(l) => {
                let _ = write!(out, "{l:>lw$} ");
            }
            None => {
                let _ = write!(out, "{:lw$} ", "");
            }
        }
    }
    out.push_str("   ");
    out.push(' ');
    out.push_str(if target { ">>" } else { "  " });
    let _ = write!(out, " {offset:>ow$} {opname:<OPNAME_WIDTH$}");
    if let Some(a) = arg {
        let _ = write!(out, " {a:>OPARG_WIDTH$}");
        if !argrepr.is_empty() {
            let _ = write!(out, " ({argrepr})");
        }
    }
    rstrip_from(out, start);
    out.push('\n');
}

/// Removes trailing whitespace written after `start` (Python's `rstrip()`).
fn rstrip_from(out: &mut String, start: usize) {
    let trimmed = out[start..].trim_end().len();
    out.truncate(start + trimmed);
}

struct Fmt313 {
    lw: usize,
    ow: usize,
    label_width: usize,
    show_positions: bool,
}

impl Fmt313 {
    /// `Formatter.print_instruction_line`.
    fn line(&self, out: &mut String, ins: &Instruction, opname: &str) {
        let lw = self.lw;
        if lw > 0 && ins.starts_line.is_some() && ins.offset > 0 {
            out.push('\n');
        }
        let start = out.len();
        if lw > 0 {
            if self.show_positions {
                let text = positions_text(ins.positions.unwrap_or(Positions::NONE));
                let _ = write!(out, "{text:<lw$} ");
            } else {
                match ins.starts_line {
                    Some(_) => match ins.line_number {
                        Some(l) => {
                            let _ = write!(out, "{l:>lw$} ");
                        }
                        None => {
                            let _ = write!(out, "{NO_LINENO:>lw$} ");
                        }
                    },
                    None => {
                        let _ = write!(out, "{:lw$} ", "");
                    }
                }
            }
        }
        match ins.label {
            Some(l) => {
                let lbl = format!("L{l}:");
                let _ = write!(out, "{lbl:>w$}", w = self.label_width);
            }
            None => {
                let _ = write!(out, "{:w$}", "", w = self.label_width);
            }
        }
        if self.ow > 0 {
            let _ = write!(out, " {:>w$}  ", ins.offset, w = self.ow);
        }
        let _ = write!(out, "     {opname:<OPNAME_WIDTH$}");
        if let Some(a) = ins.arg {
            let excess = opname.len().saturating_sub(OPNAME_WIDTH);
            let w = OPARG_WIDTH.saturating_sub(excess);
            let _ = write!(out, " {a:>w$}");
            if !ins.argrepr.is_empty() {
                let _ = write!(out, " ({})", ins.argrepr);
            }
        }
        rstrip_from(out, start);
        out.push('\n');
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
