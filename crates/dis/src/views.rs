//! Structured views for tools: instructions, code-object attributes and
//! line/position/exception tables, as JSON with one code object per line.

use bytescope_code::lines::{Positions, co_lines, co_positions, findlinestarts};
use bytescope_code::{Code, Selection, code_objects, code_tree, subtree_end};
use bytescope_marshal::{CodeLayout, Marshal, ObjId, Value, long_to_i64};
use bytescope_pyc::PythonVersion;
use bytescope_pyrepr::{ReprOptions, repr_object, repr_str};

use crate::argtext::{ArgVal, Instruction};
use crate::pyjson::{self as j, key};
use crate::{DisError, Disassembler, output_limit, visit_limit};

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

/// The rows of a per-code-object JSON view, kept within the output budget.
struct Rows {
    rows: Vec<String>,
    total: usize,
    limit: usize,
}

impl Rows {
    fn new(m: &Marshal<'_>) -> Self {
        Rows { rows: Vec::new(), total: 0, limit: output_limit(m) }
    }

    fn push(&mut self, row: String) -> Result<(), DisError> {
        self.total = self.total.saturating_add(row.len());
        if self.total > self.limit {
            return Err(DisError::OutputLimit { limit: self.limit });
        }
        self.rows.push(row);
        Ok(())
    }

    fn write(self, out: &mut String) {
        lines_array(out, self.rows);
    }
}

/// Writes `[`, one line per item, `]` and a newline: the layout of every
/// per-code-object JSON view.
fn lines_array(out: &mut String, items: impl IntoIterator<Item = String>) {
    out.push('[');
    let mut first = true;
    for item in items {
        out.push_str(if first { "\n" } else { ",\n" });
        first = false;
        out.push_str(&item);
    }
    out.push_str("\n]\n");
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
    /// code object.
    pub fn table_json(&self, m: &Marshal<'_>, kind: TableKind, out: &mut String) -> Result<(), DisError> {
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
        let codes = code_objects(m, visit_limit(m))?;
        let mut rows = Rows::new(m);
        for row in codes.iter().map(|c| {
            let mut s = String::from("[");
            let len = c.code.len();
            let first = c.firstlineno();
            match kind {
                TableKind::Lines => {
                    for (i, r) in co_lines(v, len, first, c.linetable).into_iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        s.push('[');
                        j::int(&mut s, i64::from(r.start));
                        s.push(',');
                        j::int(&mut s, i64::from(r.end));
                        s.push(',');
                        j::opt_int(&mut s, r.line);
                        s.push(']');
                    }
                }
                TableKind::Positions => {
                    for (i, p) in co_positions(v, len, first, c.linetable).into_iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        positions_json(&mut s, p);
                    }
                }
                TableKind::Exceptions => {
                    let entries = bytescope_code::exceptions::parse_exception_table(c.exceptiontable)
                        .unwrap_or_default();
                    for (i, e) in entries.into_iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        let _ = std::fmt::Write::write_fmt(
                            &mut s,
                            format_args!("[{},{},{},{},{}]", e.start, e.end, e.target, e.depth, e.lasti),
                        );
                    }
                }
                TableKind::Linestarts => {
                    for (i, (off, line)) in findlinestarts(v, len, first, c.linetable).into_iter().enumerate()
                    {
                        if i > 0 {
                            s.push(',');
                        }
                        s.push('[');
                        j::int(&mut s, i64::from(off));
                        s.push(',');
                        j::opt_int(&mut s, line);
                        s.push(']');
                    }
                }
            }
            s.push(']');
            s
        }) {
            rows.push(row)?;
        }
        rows.write(out);
        Ok(())
    }

    /// `bytescope dis --json`: per code object (pre-order) one line
    /// `{"name":…,"qualname":…,"filename":…,"firstlineno":…,"offset":…,"instructions":[…]}`,
    /// each instruction with exactly the fields of that version's
    /// `dis.Instruction` (3.4–3.10 layout for older versions).
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn instructions_json(&self, m: &Marshal<'_>, out: &mut String) -> Result<(), DisError> {
        self.instructions_json_of(m, code_objects(m, visit_limit(m))?, out)
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
        let codes = selected_codes(m, selection, true)?;
        self.instructions_json_of(m, codes, out)
    }

    fn instructions_json_of(
        &self,
        m: &Marshal<'_>,
        codes: Vec<Code<'_, '_>>,
        out: &mut String,
    ) -> Result<(), DisError> {
        let mut rows = Rows::new(m);
        for code in codes {
            let instrs = self.instructions(&code)?;
            let mut s = String::from("{");
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
            self.instruction_array(&mut s, &code, &instrs);
            s.push('}');
            rows.push(s)?;
        }
        rows.write(out);
        Ok(())
    }

    /// The JSON array of `instrs` (`get_instructions`), as CPython's fields.
    fn instruction_array(&self, s: &mut String, code: &Code<'_, '_>, instrs: &[Instruction]) {
        let new = self.data.rules.instruction_fields_313;
        s.push('[');
        for (i, ins) in instrs.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
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
        s.push(']');
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
            ArgVal::Const(id) => const_json(s, code.marshal(), *id, argrepr, self.repr),
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
    /// A malformed code object.
    pub fn attrs_json(&self, m: &Marshal<'_>, out: &mut String) -> Result<(), DisError> {
        self.attrs_json_of(m, code_objects(m, visit_limit(m))?, out)
    }

    /// [`Disassembler::attrs_json`] of the code objects `selection` picks.
    ///
    /// # Errors
    /// [`DisError::NotFound`] when a name picks nothing; a malformed code
    /// object.
    pub fn attrs_json_selected(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut String,
    ) -> Result<(), DisError> {
        let codes = selected_codes(m, selection, false)?;
        self.attrs_json_of(m, codes, out)
    }

    fn attrs_json_of(
        &self,
        m: &Marshal<'_>,
        codes: Vec<Code<'_, '_>>,
        out: &mut String,
    ) -> Result<(), DisError> {
        let mut rows = Rows::new(m);
        for code in codes {
            let mut s = String::from("{");
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
            for (i, &c) in code.consts.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str("{\"type\":");
                j::string(&mut s, type_name(m, c));
                s.push_str(",\"repr\":");
                let mut r = String::new();
                match repr_object(&mut r, m, c, self.repr) {
                    Ok(()) => j::string(&mut s, &r),
                    Err(e) => {
                        s.push_str("null,\"error\":");
                        j::string(&mut s, &e.to_string());
                    }
                }
                s.push('}');
            }
            s.push(']');
            for (k, list) in [
                ("co_names", &code.names),
                ("co_varnames", &code.varnames),
                ("co_freevars", &code.freevars),
                ("co_cellvars", &code.cellvars),
            ] {
                key(&mut s, &mut first, k);
                j::strings(&mut s, list);
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
            s.push('}');
            rows.push(s)?;
        }
        rows.write(out);
        Ok(())
    }
}

/// The code objects `selection` picks, in pre-order, with those nested in
/// them when `nested`.
pub(crate) fn selected_codes<'m, 'a>(
    m: &'m Marshal<'a>,
    selection: &Selection,
    nested: bool,
) -> Result<Vec<Code<'m, 'a>>, DisError> {
    let tree = code_tree(m, visit_limit(m));
    let picked = selection.pick(&tree).map_err(|names| DisError::NotFound { names })?;
    let mut codes = Vec::new();
    let mut covered = 0;
    for i in picked {
        if i < covered {
            continue;
        }
        covered = if nested { subtree_end(&tree, i) } else { i + 1 };
        for e in &tree[i..covered] {
            codes.push(Code::new(m, e.node)?);
        }
    }
    Ok(codes)
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
