//! Structured views for tools: instructions, code-object attributes and
//! line/position/exception tables, as JSON with one code object per line.

use bytescope_code::lines::{Positions, co_lines, findlinestarts, position_ranges};
use bytescope_code::{Code, Selection, code_tree_along, subtree_end};
use bytescope_marshal::{CodeLayout, CodeNode, Marshal, ObjId, Value, long_to_i64};
use bytescope_pyc::PythonVersion;
use bytescope_pyrepr::{ReprOptions, repr_object, repr_str};

use crate::argtext::{ArgVal, Buffers, Instruction};
use crate::budget::{Limit, output_limit};
use crate::pyjson::{self as j, key};
use crate::{DisError, Disassembler, Nodes, repeats_result};

/// A table of `bytescope table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// `co_lines()`: `[start, end, line|null]`.
    Lines,
    /// `co_positions()`: `[line, end_line, col, end_col]`.
    Positions,
    /// The exception table: `[start, end, target, depth, lasti]` in bytes.
    Exceptions,
    /// `dis.findlinestarts()`: `[offset, line]`.
    Linestarts,
}

impl TableKind {
    /// The first version that has this table, if not all.
    #[must_use]
    pub fn since(self) -> Option<PythonVersion> {
        match self {
            TableKind::Lines => Some(PythonVersion::PY310),
            TableKind::Positions | TableKind::Exceptions => Some(PythonVersion::PY311),
            TableKind::Linestarts => None,
        }
    }

    /// The name used on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Lines => "lines",
            TableKind::Positions => "positions",
            TableKind::Exceptions => "exceptions",
            TableKind::Linestarts => "linestarts",
        }
    }
}

/// A per-code-object JSON view as it is written: `[`, one line per code
/// object (a JSON value), `]` and a newline. Each piece is checked against
/// the output budget as it is appended, and finished pieces are drained;
/// when the view stops early (budget, an error) what was written is closed
/// so that it stays valid JSON.
struct JsonView<'l, 'd> {
    limit: &'l mut Limit<'d>,
    rows: usize,
    /// The closing text of the open row (`]` or `]}`), if one is open.
    open: Option<&'static str>,
}

impl<'l, 'd> JsonView<'l, 'd> {
    fn new(out: &mut Vec<u8>, limit: &'l mut Limit<'d>) -> Self {
        out.push(b'[');
        JsonView { limit, rows: 0, open: None }
    }

    /// Starts a row with `head` (e.g. `{"name":…,"instructions":[`), to be
    /// closed by `close`.
    fn start_row(&mut self, out: &mut Vec<u8>, head: &str, close: &'static str) -> Result<(), DisError> {
        let mark = out.len();
        out.extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
        out.extend_from_slice(head.as_bytes());
        self.check(out, mark)?;
        self.rows += 1;
        self.open = Some(close);
        Ok(())
    }

    /// Appends one piece of the open row (an element with its comma).
    fn piece(&mut self, out: &mut Vec<u8>, piece: &str) -> Result<(), DisError> {
        let mark = out.len();
        out.extend_from_slice(piece.as_bytes());
        self.check(out, mark)
    }

    fn end_row(&mut self, out: &mut Vec<u8>) -> Result<(), DisError> {
        if let Some(close) = self.open.take() {
            self.piece(out, close)?;
        }
        Ok(())
    }

    fn check(&mut self, out: &mut Vec<u8>, mark: usize) -> Result<(), DisError> {
        let max = self.limit.max;
        self.limit.check(out, mark).map_err(|_| DisError::OutputLimit { limit: max })
    }

    /// Closes the row and the array; `result` is the view's outcome.
    fn finish(mut self, out: &mut Vec<u8>, result: Result<(), DisError>) -> Result<(), DisError> {
        // The closing brackets go past the budget if need be (a few bytes).
        if let Some(close) = self.open.take() {
            out.extend_from_slice(close.as_bytes());
        }
        out.extend_from_slice(b"\n]\n");
        result
    }
}

/// Runs a `String`-based view through its draining form.
pub(crate) fn into_string(
    out: &mut String,
    view: impl FnOnce(&mut Vec<u8>) -> Result<(), DisError>,
) -> Result<(), DisError> {
    let mut bytes = std::mem::take(out).into_bytes();
    let result = view(&mut bytes);
    // Views are built from whole `str`s (JSON views from ASCII only).
    *out = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    result
}

fn positions_json(out: &mut String, p: Positions) {
    out.push('[');
    for (i, v) in [p.line, p.end_line, p.col, p.end_col].into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        j::opt_int(out, v.map(i64::from));
    }
    out.push(']');
}

impl Disassembler {
    /// `bytescope table KIND`: the table of every code object (pre-order),
    /// one JSON array per line.
    ///
    /// # Errors
    /// [`DisError::Option`] when the version has no such table; a malformed
    /// code object; the output budget (see [`Disassembler::dis_draining`]).
    pub fn table_json(&self, m: &Marshal<'_>, kind: TableKind, out: &mut String) -> Result<(), DisError> {
        into_string(out, |out| self.table_json_draining(m, kind, out, usize::MAX, |_| {}))
    }

    /// [`Disassembler::table_json`] handing finished text to `drain` (see
    /// [`Disassembler::dis_draining`]).
    ///
    /// # Errors
    /// As [`Disassembler::table_json`].
    pub fn table_json_draining(
        &self,
        m: &Marshal<'_>,
        kind: TableKind,
        out: &mut Vec<u8>,
        high: usize,
        mut drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let v = self.data.rules.version;
        if let Some(since) = kind.since().filter(|s| v < *s) {
            let _ = since;
            return Err(DisError::Option {
                option: match kind {
                    TableKind::Lines => "co_lines()",
                    TableKind::Positions => "co_positions()",
                    _ => "the exception table",
                },
                since: match kind {
                    TableKind::Lines => "3.10",
                    _ => "3.11",
                },
                version: v,
            });
        }
        let mut limit = Limit::new(out, output_limit(m), high, &mut drain);
        let mut view = JsonView::new(out, &mut limit);
        let mut walk = m.code_walk();
        let result = (|| {
            let mut s = String::new();
            for visit in walk.by_ref() {
                let c = Code::new(m, visit.code)?;
                let len = c.code.len();
                let first = c.firstlineno();
                view.start_row(out, "[", "]")?;
                // One element at a time: `co_positions()` alone can be 8
                // rows per table byte.
                let mut n = 0usize;
                let mut element = |out: &mut Vec<u8>, s: &mut String| {
                    let piece = if n == 0 { &s[1..] } else { &s[..] };
                    n += 1;
                    let r = view.piece(out, piece);
                    s.clear();
                    r
                };
                match kind {
                    TableKind::Lines => {
                        for r in co_lines(v, len, first, c.linetable) {
                            s.push_str(",[");
                            j::int(&mut s, i64::from(r.start));
                            s.push(',');
                            j::int(&mut s, i64::from(r.end));
                            s.push(',');
                            j::opt_int(&mut s, r.line);
                            s.push(']');
                            element(out, &mut s)?;
                        }
                    }
                    TableKind::Positions => {
                        for r in position_ranges(v, len, first, c.linetable) {
                            for _ in 0..(r.end - r.start) / 2 {
                                s.push(',');
                                positions_json(&mut s, r.positions);
                                element(out, &mut s)?;
                            }
                        }
                    }
                    TableKind::Exceptions => {
                        let entries = bytescope_code::exceptions::parse_exception_table(c.exceptiontable)
                            .unwrap_or_default();
                        for e in entries {
                            let _ = std::fmt::Write::write_fmt(
                                &mut s,
                                format_args!(",[{},{},{},{},{}]", e.start, e.end, e.target, e.depth, e.lasti),
                            );
                            element(out, &mut s)?;
                        }
                    }
                    TableKind::Linestarts => {
                        for (off, line) in findlinestarts(v, len, first, c.linetable) {
                            s.push_str(",[");
                            j::int(&mut s, i64::from(off));
                            s.push(',');
                            j::opt_int(&mut s, line);
                            s.push(']');
                            element(out, &mut s)?;
                        }
                    }
                }
                view.end_row(out)?;
            }
            repeats_result(&walk)
        })();
        view.finish(out, result)
    }

    /// `bytescope dis --json`: per code object (pre-order) one line
    /// `{"name":…,"qualname":…,"filename":…,"firstlineno":…,"offset":…,"instructions":[…]}`,
    /// each instruction with exactly the fields of that version's
    /// `dis.Instruction` (3.4–3.10 layout for older versions).
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn instructions_json(&self, m: &Marshal<'_>, out: &mut String) -> Result<(), DisError> {
        into_string(out, |out| self.instructions_json_draining(m, out, usize::MAX, |_| {}))
    }

    /// [`Disassembler::instructions_json`] handing finished text to `drain`
    /// (see [`Disassembler::dis_draining`]). The output is checked against
    /// the budget instruction by instruction; a view stopped early (budget,
    /// a constant CPython cannot repr) is closed to stay valid JSON. Rows
    /// follow [`Marshal::code_walk`] exactly (repeats within the walk's own
    /// budget), as do those of the other JSON views, so callers can line
    /// them up with [`Marshal::code_preorder`].
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn instructions_json_draining(
        &self,
        m: &Marshal<'_>,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        self.instructions_json_nodes(m, Nodes::Walk(m.code_walk()), out, high, drain)
    }

    /// [`Disassembler::instructions_json`] of the code objects `selection`
    /// picks and those nested in them.
    ///
    /// # Errors
    /// [`DisError::NotFound`] when a name picks nothing; otherwise as
    /// [`Disassembler::dis`].
    pub fn instructions_json_selected(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut String,
    ) -> Result<(), DisError> {
        into_string(out, |out| {
            self.instructions_json_selected_draining(m, selection, out, usize::MAX, |_| {})
        })
    }

    /// [`Disassembler::instructions_json_selected`] handing finished text
    /// to `drain` (see [`Disassembler::instructions_json_draining`]).
    ///
    /// # Errors
    /// As [`Disassembler::instructions_json_selected`].
    pub fn instructions_json_selected_draining(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let (nodes, stopped) = selected_nodes(m, selection, true)?;
        self.instructions_json_nodes(m, Nodes::List(nodes.into_iter(), stopped), out, high, drain)
    }

    fn instructions_json_nodes(
        &self,
        m: &Marshal<'_>,
        mut nodes: Nodes<'_, '_>,
        out: &mut Vec<u8>,
        high: usize,
        mut drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let mut limit = Limit::new(out, output_limit(m), high, &mut drain);
        let mut view = JsonView::new(out, &mut limit);
        let mut bufs = Buffers::default();
        let result = (|| {
            let mut s = String::new();
            while let Some(node) = nodes.next() {
                let code = Code::new(m, node)?;
                s.clear();
                s.push('{');
                let mut first = true;
                key(&mut s, &mut first, "name");
                j::string(&mut s, &code.name);
                key(&mut s, &mut first, "qualname");
                match &code.qualname {
                    Some(q) => j::string(&mut s, q),
                    None => s.push_str("null"),
                }
                key(&mut s, &mut first, "filename");
                j::string(&mut s, &code.filename);
                key(&mut s, &mut first, "firstlineno");
                j::int(&mut s, i64::from(code.firstlineno()));
                key(&mut s, &mut first, "offset");
                j::int(&mut s, code.offset() as i64);
                key(&mut s, &mut first, "instructions");
                s.push('[');
                view.start_row(out, &s, "]}")?;
                let listing = self.prepare(&code, false, std::mem::take(&mut bufs));
                let mut line = None;
                let mut cursor = listing.lines.cursor();
                for (i, raw) in listing.raws().enumerate() {
                    let ins = listing
                        .instruction(&raw, cursor.starts_at(raw.offset), &mut line, true)
                        .map_err(|error| DisError::Repr { error, code_offset: code.offset() })?;
                    s.clear();
                    if i > 0 {
                        s.push(',');
                    }
                    self.instruction_json(&mut s, &code, &ins);
                    view.piece(out, &s)?;
                }
                bufs = listing.into_buffers();
                view.end_row(out)?;
            }
            Ok(())
        })();
        view.finish(out, result.and_then(|()| nodes.result()))
    }

    /// One instruction (`get_instructions`) as a JSON object with CPython's
    /// fields.
    fn instruction_json(&self, s: &mut String, code: &Code<'_, '_>, ins: &Instruction) {
        let new = self.data.rules.instruction_fields_313;
        s.push('{');
        let mut first = true;
        key(s, &mut first, "opname");
        j::string(s, self.table.op(ins.opcode).name);
        key(s, &mut first, "opcode");
        j::int(s, i64::from(ins.opcode));
        key(s, &mut first, "arg");
        j::opt_int(s, ins.arg);
        key(s, &mut first, "argval");
        self.argval_json(s, code, &ins.argval, &ins.argrepr);
        key(s, &mut first, "argrepr");
        j::string(s, &ins.argrepr);
        key(s, &mut first, "offset");
        j::int(s, i64::from(ins.offset));
        if new {
            key(s, &mut first, "start_offset");
            j::int(s, i64::from(ins.start_offset));
            key(s, &mut first, "starts_line");
            j::boolean(s, ins.starts_line.is_some());
            key(s, &mut first, "line_number");
            j::opt_int(s, ins.line_number);
            key(s, &mut first, "label");
            j::opt_int(s, ins.label.map(i64::from));
        } else {
            key(s, &mut first, "starts_line");
            j::opt_int(s, ins.starts_line.flatten());
            key(s, &mut first, "is_jump_target");
            j::boolean(s, ins.is_jump_target);
        }
        if self.data.rules.instruction_positions {
            key(s, &mut first, "positions");
            match ins.positions {
                Some(p) => positions_json(s, p),
                None => s.push_str("null"),
            }
        }
        if new {
            key(s, &mut first, "cache_info");
            self.cache_info_json(s, code, ins);
        }
        s.push('}');
    }

    fn cache_info_json(&self, s: &mut String, code: &Code<'_, '_>, ins: &Instruction) {
        let fields = self.table.cache_fields(self.table.op(ins.deopt).name);
        if ins.cache_entries == 0 || fields.is_empty() {
            s.push_str("null");
            return;
        }
        let bytes = code.code;
        let mut at = ins.offset as usize;
        s.push('[');
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let start = (at + 2).min(bytes.len());
            let end = (at + 2 + 2 * usize::from(f.size)).min(bytes.len());
            if !self.data.rules.cache_info_same_offset {
                at += 2 * usize::from(f.size);
            }
            s.push('[');
            j::string(s, f.name);
            s.push(',');
            j::int(s, i64::from(f.size));
            s.push(',');
            j::hex(s, &bytes[start..end]);
            s.push(']');
        }
        s.push(']');
    }

    /// `argval` by the fixtures' rule: JSON-native values as themselves,
    /// anything else as `{"repr": repr(value)}`.
    fn argval_json(&self, s: &mut String, code: &Code<'_, '_>, val: &ArgVal, argrepr: &str) {
        let v = self.data.rules.version;
        match val {
            ArgVal::None => s.push_str("null"),
            ArgVal::Int(i) => j::int(s, *i),
            ArgVal::Name(n) => j::string(s, n),
            ArgVal::Str(t) => j::string(s, t),
            ArgVal::Const(id) => const_json(s, code.marshal(), *id, argrepr, self.repr_for(code.marshal())),
            ArgVal::Pair(a, b) => {
                let mut r = String::from("(");
                repr_str(&mut r, a.as_bytes(), v);
                r.push_str(", ");
                repr_str(&mut r, b.as_bytes(), v);
                r.push(')');
                j::repr_object(s, &r);
            }
            ArgVal::FormatValue(conv, spec) => {
                let r = format!("({}, {})", converter_repr(*conv), if *spec { "True" } else { "False" });
                j::repr_object(s, &r);
            }
            ArgVal::Converter(0) => s.push_str("null"),
            ArgVal::Converter(c) => j::repr_object(s, converter_repr(*c)),
            ArgVal::Common(text) => match *text {
                "None" => s.push_str("null"),
                "True" => s.push_str("true"),
                "False" => s.push_str("false"),
                "''" => s.push_str("\"\""),
                t if t.parse::<i64>().is_ok() => s.push_str(t),
                t if t.starts_with('<') => j::repr_object(s, t),
                t => j::repr_object(s, &format!("<class '{t}'>")),
            },
            ArgVal::Unknown => j::repr_object(s, "<unknown>"),
            ArgVal::Invalid => {
                s.push_str("{\"invalid\":");
                j::string(s, argrepr);
                s.push('}');
            }
        }
    }

    /// `bytescope info --json`: every `co_*` attribute of every code object
    /// (pre-order), one object per line; tables and code as hex, constants
    /// as `{"type": type name, "repr": repr}`.
    ///
    /// # Errors
    /// A malformed code object; the output budget (see
    /// [`Disassembler::dis_draining`]).
    pub fn attrs_json(&self, m: &Marshal<'_>, out: &mut String) -> Result<(), DisError> {
        into_string(out, |out| self.attrs_json_draining(m, out, usize::MAX, |_| {}))
    }

    /// [`Disassembler::attrs_json`] handing finished text to `drain` (see
    /// [`Disassembler::dis_draining`]); checked against the budget
    /// attribute by attribute and constant by constant.
    ///
    /// # Errors
    /// As [`Disassembler::attrs_json`].
    pub fn attrs_json_draining(
        &self,
        m: &Marshal<'_>,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        self.attrs_json_nodes(m, Nodes::Walk(m.code_walk()), out, high, drain)
    }

    /// [`Disassembler::attrs_json`] of the code objects `selection` picks.
    ///
    /// # Errors
    /// [`DisError::NotFound`] when a name picks nothing; otherwise as
    /// [`Disassembler::attrs_json`].
    pub fn attrs_json_selected(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut String,
    ) -> Result<(), DisError> {
        into_string(out, |out| self.attrs_json_selected_draining(m, selection, out, usize::MAX, |_| {}))
    }

    /// [`Disassembler::attrs_json_selected`] handing finished text to
    /// `drain` (see [`Disassembler::attrs_json_draining`]).
    ///
    /// # Errors
    /// As [`Disassembler::attrs_json_selected`].
    pub fn attrs_json_selected_draining(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let (nodes, stopped) = selected_nodes(m, selection, false)?;
        self.attrs_json_nodes(m, Nodes::List(nodes.into_iter(), stopped), out, high, drain)
    }

    fn attrs_json_nodes(
        &self,
        m: &Marshal<'_>,
        mut nodes: Nodes<'_, '_>,
        out: &mut Vec<u8>,
        high: usize,
        mut drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let mut limit = Limit::new(out, output_limit(m), high, &mut drain);
        let mut view = JsonView::new(out, &mut limit);
        let result = (|| {
            let mut s = String::new();
            while let Some(node) = nodes.next() {
                let code = Code::new(m, node)?;
                s.clear();
                s.push('{');
                let mut first = true;
                let raw = code.raw();
                key(&mut s, &mut first, "co_argcount");
                j::int(&mut s, i64::from(raw.argcount));
                // Which attributes exist follows the marshalled layout.
                if raw.layout >= CodeLayout::Py38 {
                    key(&mut s, &mut first, "co_posonlyargcount");
                    j::int(&mut s, i64::from(raw.posonlyargcount));
                }
                if raw.layout >= CodeLayout::Py30 {
                    key(&mut s, &mut first, "co_kwonlyargcount");
                    j::int(&mut s, i64::from(raw.kwonlyargcount));
                }
                key(&mut s, &mut first, "co_nlocals");
                j::int(&mut s, i64::from(code.nlocals()));
                key(&mut s, &mut first, "co_stacksize");
                j::int(&mut s, i64::from(raw.stacksize));
                key(&mut s, &mut first, "co_flags");
                j::int(&mut s, i64::from(raw.flags));
                key(&mut s, &mut first, "co_code");
                j::hex(&mut s, code.code);
                key(&mut s, &mut first, "co_consts");
                s.push('[');
                // Until the last piece, a stop leaves a list open.
                view.start_row(out, &s, "]}")?;
                for (i, &c) in code.consts.iter().enumerate() {
                    s.clear();
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str("{\"type\":");
                    j::string(&mut s, type_name(m, c));
                    s.push_str(",\"repr\":");
                    let mut r = String::new();
                    // A repr longer than what is left of the budget stops there.
                    let max_len = view.limit.at.saturating_sub(out.len());
                    match repr_object(&mut r, m, c, ReprOptions { max_len }) {
                        Ok(()) => j::string(&mut s, &r),
                        Err(bytescope_pyrepr::ReprError::TooLarge { .. }) => {
                            return Err(DisError::OutputLimit { limit: view.limit.max });
                        }
                        Err(e) => {
                            s.push_str("null,\"error\":");
                            j::string(&mut s, &e.to_string());
                        }
                    }
                    s.push('}');
                    view.piece(out, &s)?;
                }
                s.clear();
                s.push(']');
                for (k, list) in [
                    ("co_names", &code.names),
                    ("co_varnames", &code.varnames),
                    ("co_freevars", &code.freevars),
                    ("co_cellvars", &code.cellvars),
                ] {
                    key(&mut s, &mut first, k);
                    s.push('[');
                    for (i, name) in list.iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        j::string(&mut s, name);
                        view.piece(out, &s)?;
                        s.clear();
                    }
                    s.push(']');
                }
                key(&mut s, &mut first, "co_filename");
                j::string(&mut s, &code.filename);
                key(&mut s, &mut first, "co_name");
                j::string(&mut s, &code.name);
                if let Some(q) = &code.qualname {
                    key(&mut s, &mut first, "co_qualname");
                    j::string(&mut s, q);
                }
                key(&mut s, &mut first, "co_firstlineno");
                j::int(&mut s, i64::from(raw.firstlineno));
                key(&mut s, &mut first, self.data.rules.linetable_attr);
                j::hex(&mut s, code.linetable);
                if raw.exceptiontable.is_some() {
                    key(&mut s, &mut first, "co_exceptiontable");
                    j::hex(&mut s, code.exceptiontable);
                }
                view.piece(out, &s)?;
                view.open = Some("}");
                view.end_row(out)?;
            }
            Ok(())
        })();
        view.finish(out, result.and_then(|()| nodes.result()))
    }
}

/// The code objects `selection` picks, in pre-order, with those nested in
/// them when `nested`; and the outcome of the walk that found them (an
/// error when it left repeats out or stopped early).
///
/// # Errors
/// [`DisError::NotFound`] when a name picks nothing.
pub(crate) fn selected_nodes<'m>(
    m: &'m Marshal<'_>,
    selection: &Selection,
    nested: bool,
) -> Result<(Vec<&'m CodeNode>, Result<(), DisError>), DisError> {
    let mut walk = m.code_walk();
    let tree = code_tree_along(m, &mut walk);
    let picked = selection.pick(&tree).map_err(|names| DisError::NotFound { names })?;
    let mut nodes = Vec::new();
    let mut covered = 0;
    for i in picked {
        if i < covered {
            continue;
        }
        covered = if nested { subtree_end(&tree, i) } else { i + 1 };
        nodes.extend(tree[i..covered].iter().map(|e| e.node));
    }
    Ok((nodes, repeats_result(&walk)))
}

/// `repr()` of FORMAT_VALUE/CONVERT_VALUE's conversion function.
fn converter_repr(c: u8) -> &'static str {
    match c {
        1 => "<class 'str'>",
        2 => "<built-in function repr>",
        3 => "<built-in function ascii>",
        _ => "None",
    }
}

/// A constant as JSON: native when JSON can hold it exactly.
fn const_json(s: &mut String, m: &Marshal<'_>, id: ObjId, argrepr: &str, opts: ReprOptions) {
    let v = m.version();
    match m.get(id) {
        Value::None => s.push_str("null"),
        Value::True => s.push_str("true"),
        Value::False => s.push_str("false"),
        Value::Int(i) => j::int(s, *i),
        Value::Long { size, digits } if long_to_i64(*size, digits).is_some() && v.major >= 3 => {
            j::int(s, long_to_i64(*size, digits).unwrap_or(0));
        }
        Value::Float { value, .. } if value.is_finite() => j::float(s, *value, v),
        Value::Str { .. } if v.major >= 3 => match m.text(id) {
            Some(t) => match std::str::from_utf8(&t) {
                // Strings holding lone surrogates are not valid UTF-8 here.
                Ok(text) => j::string(s, text),
                Err(_) => j::repr_object(s, argrepr),
            },
            None => j::repr_object(s, argrepr),
        },
        _ => {
            if argrepr.is_empty() {
                let mut r = String::new();
                let _ = repr_object(&mut r, m, id, opts);
                j::repr_object(s, &r);
            } else {
                j::repr_object(s, argrepr);
            }
        }
    }
}

/// `type(const).__name__` as that version names it.
fn type_name(m: &Marshal<'_>, id: ObjId) -> &'static str {
    let py2 = m.version().major < 3;
    match m.get(id) {
        Value::None => "NoneType",
        Value::True | Value::False => "bool",
        Value::Int(_) => "int",
        Value::Long { .. } => {
            if py2 {
                "long"
            } else {
                "int"
            }
        }
        Value::Float { .. } => "float",
        Value::Complex { .. } => "complex",
        Value::Str { .. } => {
            if py2 {
                "unicode"
            } else {
                "str"
            }
        }
        Value::Bytes(_) => {
            if py2 {
                "str"
            } else {
                "bytes"
            }
        }
        Value::Tuple(_) => "tuple",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Set(_) => "set",
        Value::FrozenSet(_) => "frozenset",
        Value::FrozenDict(_) => "frozendict",
        Value::Slice(_) => "slice",
        Value::Code(_) => "code",
        Value::Ellipsis => "ellipsis",
        Value::StopIteration => "type",
        Value::Null | Value::Ref(_) | Value::StringRef(_) => "NULL",
    }
}
