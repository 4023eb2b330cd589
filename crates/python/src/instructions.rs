//! `dis.Instruction`s made lazily: `get_instructions` decodes a code object
//! once into compact rows ([`bytescope_dis::Decoded`], 40 bytes an
//! instruction) shared by every instruction object made from it, and each
//! instruction object is a handle (the shared rows and an index) whose
//! fields are computed when read: the opname is an interned string made
//! once per version, `argval` an entry of the code object's constant or
//! name tuples (converted once per code object), `argrepr` and `positions`
//! made on access.
//!
//! The classes behave as the version's `dis.Instruction` named tuple does:
//! the same fields in the same order, indexing, unpacking, `len`, equality
//! and ordering with tuples and named tuples, `hash`, the named tuple's
//! `repr`, `_fields`, `_field_defaults`, `_asdict`, `_replace`, `_make`,
//! and (3.13+) the derived properties. They are not `tuple` subclasses: the
//! stable ABI that lets one wheel serve every CPython cannot make one.
//! Instructions made from Python (`Instruction(...)`, `_replace`, `_make`)
//! hold their values instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytescope_code::Code;
use bytescope_code::lines::{PositionRange, Positions, co_positions, position_ranges};
use bytescope_dis::{ArgRef, ArgVal, ArgreprCache, Decoded, Disassembler, Row, Rules};
use bytescope_pyc::PythonVersion;
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PySlice, PyString, PyTuple, PyType};

use crate::code::PyCode;
use crate::error::file_error;
use crate::file::File;
use crate::types;

/// A code object's checked view, kept with the file it borrows from.
type CodeView<'a> = Code<'a, 'a>;

/// The file a listing reads, and the bytecode it lists where that is not the
/// stored one: `_co_code_adaptive` (`adaptive=True`), or a crafted file's
/// deoptimised `co_code`.
struct Source {
    file: Arc<File>,
    bytecode: Option<Box<[u8]>>,
}

self_cell::self_cell!(
    struct CodeCell {
        owner: Source,
        #[covariant]
        dependent: CodeView,
    }
);

/// Which `dis.Instruction` a version has: its fields, and for 3.13+ the
/// version whose tables its derived properties read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 3.4-3.10 (and 2.7, 3.0-3.3, whose `dis` had none): 8 fields.
    I34,
    /// 3.11-3.12: + `positions`.
    I311,
    /// 3.13: 12 fields and derived properties.
    I313,
    /// 3.14: 3.13's, + `Instruction.make`.
    I314,
    /// 3.15 and later.
    I315,
}

/// One field of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Opname,
    Opcode,
    Arg,
    Argval,
    Argrepr,
    Offset,
    StartOffset,
    /// Up to 3.12: the line number the instruction starts, or None.
    StartsLineNumber,
    /// 3.13+: whether it starts a line.
    StartsLine,
    LineNumber,
    Label,
    Positions,
    CacheInfo,
    IsJumpTarget,
}

const FIELDS_34: &[Field] = &[
    Field::Opname,
    Field::Opcode,
    Field::Arg,
    Field::Argval,
    Field::Argrepr,
    Field::Offset,
    Field::StartsLineNumber,
    Field::IsJumpTarget,
];
const FIELDS_311: &[Field] = &[
    Field::Opname,
    Field::Opcode,
    Field::Arg,
    Field::Argval,
    Field::Argrepr,
    Field::Offset,
    Field::StartsLineNumber,
    Field::IsJumpTarget,
    Field::Positions,
];
const FIELDS_313: &[Field] = &[
    Field::Opname,
    Field::Opcode,
    Field::Arg,
    Field::Argval,
    Field::Argrepr,
    Field::Offset,
    Field::StartOffset,
    Field::StartsLine,
    Field::LineNumber,
    Field::Label,
    Field::Positions,
    Field::CacheInfo,
];
const NAMES_34: &[&str] =
    &["opname", "opcode", "arg", "argval", "argrepr", "offset", "starts_line", "is_jump_target"];
const NAMES_311: &[&str] =
    &["opname", "opcode", "arg", "argval", "argrepr", "offset", "starts_line", "is_jump_target", "positions"];
const NAMES_313: &[&str] = &[
    "opname",
    "opcode",
    "arg",
    "argval",
    "argrepr",
    "offset",
    "start_offset",
    "starts_line",
    "line_number",
    "label",
    "positions",
    "cache_info",
];

impl Kind {
    /// The instruction class of `v`'s `dis`.
    pub(crate) fn of(v: PythonVersion) -> Kind {
        let rules = Rules::for_version(v);
        if !rules.instruction_fields_313 {
            return if rules.instruction_positions { Kind::I311 } else { Kind::I34 };
        }
        if v >= PythonVersion::PY315 {
            Kind::I315
        } else if v >= PythonVersion::PY314 {
            Kind::I314
        } else {
            Kind::I313
        }
    }

    fn fields(self) -> &'static [Field] {
        match self {
            Kind::I34 => FIELDS_34,
            Kind::I311 => FIELDS_311,
            _ => FIELDS_313,
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Kind::I34 => NAMES_34,
            Kind::I311 => NAMES_311,
            _ => NAMES_313,
        }
    }

    /// How many trailing fields default to None.
    fn defaults(self) -> usize {
        match self {
            Kind::I34 => 0,
            Kind::I311 => 1,
            _ => 3,
        }
    }

    fn version(self) -> (u8, u8) {
        match self {
            Kind::I34 => (3, 4),
            Kind::I311 => (3, 11),
            Kind::I313 => (3, 13),
            Kind::I314 => (3, 14),
            Kind::I315 => (3, 15),
        }
    }
}

/// One code object's decoded instructions and what resolving their fields
/// needs, shared by the instruction objects made from it.
pub(crate) struct Listing {
    cell: CodeCell,
    dis: Disassembler,
    decoded: Decoded,
    kind: Kind,
    /// `first_line - co_firstlineno`.
    line_offset: i64,
    code: Py<PyCode>,
    opnames: &'static [Py<PyString>],
    names: PyOnceLock<Py<PyTuple>>,
    locals: PyOnceLock<Py<PyTuple>>,
    positions: OnceLock<Vec<PositionRange>>,
    /// One `Positions` per range of `positions`, made when first read.
    positions_objects: OnceLock<Vec<PyOnceLock<Py<PyAny>>>>,
    reprs: Mutex<ArgreprCache>,
    /// Bytes of argument text made so far, and the most allowed (the
    /// listings' output budget: a file loading one large constant thousands
    /// of times stops with `DisError::OutputLimit`, as the eager path did).
    produced: AtomicUsize,
    budget: usize,
}

/// `opname` strings of every version, interned, made once.
fn opnames(py: Python<'_>, v: PythonVersion) -> PyResult<&'static [Py<PyString>]> {
    static ALL: PyOnceLock<Vec<Vec<Py<PyString>>>> = PyOnceLock::new();
    let all = ALL.get_or_init(py, || {
        bytescope_opcodes::tables()
            .iter()
            .map(|t| t.ops.iter().map(|o| PyString::intern(py, o.name).unbind()).collect())
            .collect()
    });
    let i = bytescope_opcodes::tables()
        .iter()
        .position(|t| t.version == v)
        .ok_or_else(|| PyValueError::new_err(format!("no opcode table for Python {v}")))?;
    Ok(&all[i])
}

impl Listing {
    /// Decodes `code` (`bytecode`: as iterating `dis.Bytecode` gives the
    /// instructions, with exception handlers as jump targets).
    /// `adaptive`: of `_co_code_adaptive` (`dis`'s `adaptive=True`).
    pub(crate) fn new(
        code: &Bound<'_, PyCode>,
        bytecode: bool,
        adaptive: bool,
        line_offset: i64,
    ) -> PyResult<Arc<Listing>> {
        let py = code.py();
        let pc = code.get();
        let file = Arc::clone(&pc.file);
        let label = file.label.clone();
        let index = pc.index;
        let v = file.version();
        let dis = Disassembler::new(v).map_err(|e| file_error(&label, &e.to_string()))?;
        // The bytecode `dis` reads: `_co_code_adaptive`, or `co_code` where
        // it differs from the stored bytes (crafted data).
        let raw = file.marshal().bytes(file.raw(index).code).unwrap_or(&[]);
        let listed = file.bytecode_as(index, raw, adaptive).map(Vec::into_boxed_slice);
        let cell = CodeCell::try_new(Source { file, bytecode: listed }, |s| {
            let mut c = Code::new(s.file.marshal(), s.file.raw(index))?;
            if let Some(b) = &s.bytecode {
                c.code = b;
            }
            Ok::<_, bytescope_code::CodeError>(c)
        })
        .map_err(|e| file_error(&label, &e.to_string()))?;
        let decoded = cell.with_dependent(|_, c| dis.decode(c, bytecode));
        let kind = Kind::of(v);
        Ok(Arc::new(Listing {
            cell,
            decoded,
            kind,
            line_offset,
            code: code.clone().unbind(),
            opnames: opnames(py, v)?,
            names: PyOnceLock::new(),
            locals: PyOnceLock::new(),
            positions: OnceLock::new(),
            positions_objects: OnceLock::new(),
            reprs: Mutex::default(),
            produced: AtomicUsize::new(0),
            budget: bytescope_dis::output_limit(pc.file.marshal()),
            dis,
        }))
    }

    fn row(&self, i: usize) -> &Row {
        &self.decoded.rows[i]
    }

    fn version(&self) -> PythonVersion {
        self.cell.borrow_owner().file.version()
    }

    fn label(&self) -> &str {
        &self.cell.borrow_owner().file.label
    }

    fn argval(&self, py: Python<'_>, row: &Row) -> PyResult<Py<PyAny>> {
        let r = self.cell.with_dependent(|_, c| self.dis.arg_ref(c, row));
        match r {
            ArgRef::Const(i) => self.const_item(py, i),
            ArgRef::Name(i) => self.name_item(py, i),
            ArgRef::Local(i) => self.local_item(py, i),
            ArgRef::Pair(a, b) => {
                Ok(PyTuple::new(py, [self.local_item(py, a)?, self.local_item(py, b)?])?.into_any().unbind())
            }
            ArgRef::Value(v) => self.value(py, &v),
        }
    }

    fn const_item(&self, py: Python<'_>, i: usize) -> PyResult<Py<PyAny>> {
        let consts = self.code.get().consts_tuple(py)?;
        Ok(consts.bind(py).get_item(i)?.unbind())
    }

    fn name_item(&self, py: Python<'_>, i: usize) -> PyResult<Py<PyAny>> {
        let names = self.names.get_or_try_init(py, || self.code.get().names_tuple(py))?;
        Ok(names.bind(py).get_item(i)?.unbind())
    }

    fn local_item(&self, py: Python<'_>, i: usize) -> PyResult<Py<PyAny>> {
        let names = self.locals.get_or_try_init(py, || self.code.get().localsplus_tuple(py))?;
        Ok(names.bind(py).get_item(i)?.unbind())
    }

    /// An argval of its own (not a table entry).
    fn value(&self, py: Python<'_>, v: &ArgVal) -> PyResult<Py<PyAny>> {
        Ok(match v {
            ArgVal::None | ArgVal::Invalid => py.None(),
            ArgVal::Int(i) => i.into_py_any(py)?,
            ArgVal::Const(id) => {
                // `arg_ref` gives constants by index; a constant that is
                // not one of co_consts has no host object.
                let i = self.cell.with_dependent(|_, c| c.consts.iter().position(|x| x == id));
                match i {
                    Some(i) => self.const_item(py, i)?,
                    None => py.None(),
                }
            }
            ArgVal::Name(n) => PyString::new(py, n).into_any().unbind(),
            ArgVal::Str(s) => PyString::new(py, s).into_any().unbind(),
            ArgVal::Pair(a, b) => PyTuple::new(py, [a.as_str(), b.as_str()])?.into_any().unbind(),
            ArgVal::FormatValue(c, spec) => {
                PyTuple::new(py, [converter(py, *c)?, spec.into_py_any(py)?])?.into_any().unbind()
            }
            ArgVal::Converter(c) => converter(py, *c)?,
            ArgVal::Common(text) => types::get(py, "_common_constant")?.call1((*text,))?.unbind(),
            ArgVal::Unknown => types::get(py, "UNKNOWN")?.unbind(),
        })
    }

    fn argrepr(&self, py: Python<'_>, row: &Row) -> PyResult<Py<PyAny>> {
        let mut cache =
            self.reprs.lock().map_err(|_| PyValueError::new_err("internal error: poisoned lock"))?;
        let text = self
            .cell
            .with_dependent(|_, c| self.dis.argrepr(c, &self.decoded, row, &mut cache))
            .map_err(|e| file_error(self.label(), &e.to_string()))?;
        drop(cache);
        let cost = text.len() + 64;
        if self.produced.fetch_add(cost, Ordering::Relaxed).saturating_add(cost) > self.budget {
            let e = bytescope_dis::DisError::OutputLimit { limit: self.budget };
            return Err(file_error(self.label(), &e.to_string()));
        }
        crate::dis::text(py, text.into_bytes())
    }

    /// `Positions` of the code unit at `offset` (all None past the table).
    fn positions(&self, py: Python<'_>, offset: u32) -> PyResult<Py<PyAny>> {
        let ranges = self.positions.get_or_init(|| {
            let f = &self.cell.borrow_owner().file;
            self.cell.with_dependent(|_, c| {
                position_ranges(f.version(), c.code.len(), c.firstlineno(), c.linetable)
            })
        });
        let i = ranges.partition_point(|r| r.end <= offset);
        let Some(range) = ranges.get(i).filter(|r| r.start <= offset) else {
            return positions_object(py, Positions::NONE);
        };
        let objects =
            self.positions_objects.get_or_init(|| ranges.iter().map(|_| PyOnceLock::new()).collect());
        let obj = objects[i].get_or_try_init(py, || positions_object(py, range.positions))?;
        Ok(obj.clone_ref(py))
    }

    /// 3.13+'s `cache_info`: `(name, size, bytes)` per cache field, or None.
    fn cache_info(&self, py: Python<'_>, row: &Row) -> PyResult<Py<PyAny>> {
        let table = self.dis.table();
        let fields = table.cache_fields(table.op(row.deopt).name);
        if row.cache_entries == 0 || fields.is_empty() {
            return Ok(py.None());
        }
        let same_offset = self.dis.rules().cache_info_same_offset;
        let code = self.cell.with_dependent(|_, c| c.code);
        let mut at = row.offset as usize;
        let mut items = Vec::with_capacity(fields.len());
        for f in fields {
            let start = (at + 2).min(code.len());
            let end = (at + 2 + 2 * usize::from(f.size)).min(code.len());
            if !same_offset {
                at += 2 * usize::from(f.size);
            }
            items.push((f.name, f.size, PyBytes::new(py, &code[start..end])));
        }
        Ok(PyList::new(py, items)?.into_any().unbind())
    }

    /// Field `f` of instruction `i`.
    fn field(&self, py: Python<'_>, i: usize, f: Field) -> PyResult<Py<PyAny>> {
        let row = self.row(i);
        let off = self.line_offset;
        match f {
            Field::Opname => Ok(self.opnames[usize::from(row.opcode)].clone_ref(py).into_any()),
            Field::Opcode => row.opcode.into_py_any(py),
            Field::Arg => row.arg().into_py_any(py),
            Field::Argval => self.argval(py, row),
            Field::Argrepr => self.argrepr(py, row),
            Field::Offset => row.offset.into_py_any(py),
            Field::StartOffset => row.start_offset.into_py_any(py),
            Field::StartsLineNumber => row.starts_line().flatten().map(|l| l + off).into_py_any(py),
            Field::StartsLine => row.starts_line().is_some().into_py_any(py),
            Field::LineNumber => row.line_number().map(|l| l + off).into_py_any(py),
            Field::Label => self.decoded.label(row).into_py_any(py),
            Field::Positions => self.positions(py, row.offset),
            Field::CacheInfo => self.cache_info(py, row),
            Field::IsJumpTarget => row.is_jump_target().into_py_any(py),
        }
    }
}

fn converter(py: Python<'_>, c: u8) -> PyResult<Py<PyAny>> {
    let b = py.import("builtins")?;
    Ok(match c {
        1 => b.getattr("str")?.unbind(),
        2 => b.getattr("repr")?.unbind(),
        3 => b.getattr("ascii")?.unbind(),
        _ => py.None(),
    })
}

/// A `bytescope.dis.Positions` named tuple.
fn positions_object(py: Python<'_>, p: Positions) -> PyResult<Py<PyAny>> {
    static MAKE: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (new, cls) = MAKE.get_or_try_init(py, || -> PyResult<_> {
        let new = py.import("builtins")?.getattr("tuple")?.getattr("__new__")?.unbind();
        Ok((new, types::get(py, "Positions")?.unbind()))
    })?;
    let items = PyTuple::new(py, [p.line, p.end_line, p.col, p.end_col])?;
    Ok(new.bind(py).call1((cls, items))?.unbind())
}

/// Where an instruction's fields come from.
pub(crate) enum Src {
    /// Instruction `.1` of a listing: every field made when read, so that
    /// iterating costs one small object per instruction.
    Lazy(Arc<Listing>, u32),
    /// Values given from Python, every field in field order.
    Eager(Box<[Py<PyAny>]>),
}

/// An instruction's source.
struct Parts<'a> {
    src: &'a Src,
}

impl Parts<'_> {
    fn field(&self, py: Python<'_>, kind: Kind, f: Field) -> PyResult<Py<PyAny>> {
        match self.src {
            Src::Lazy(l, i) => l.field(py, *i as usize, f),
            Src::Eager(values) => {
                let at = kind.fields().iter().position(|&x| x == f).unwrap_or(0);
                Ok(values[at].clone_ref(py))
            }
        }
    }

    fn values(&self, py: Python<'_>, kind: Kind) -> PyResult<Vec<Py<PyAny>>> {
        match self.src {
            Src::Eager(values) => Ok(values.iter().map(|v| v.clone_ref(py)).collect()),
            Src::Lazy(..) => kind.fields().iter().map(|&f| self.field(py, kind, f)).collect(),
        }
    }

    fn tuple<'py>(&self, py: Python<'py>, kind: Kind) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.values(py, kind)?)
    }
}

/// The values of `Instruction(*args, **kwargs)` (a named tuple's
/// `__new__`, defaults included).
fn new_values(
    py: Python<'_>,
    kind: Kind,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Box<[Py<PyAny>]>> {
    let names = kind.names();
    let n = names.len();
    if args.len() > n {
        return Err(PyTypeError::new_err(format!(
            "Instruction.__new__() takes from {} to {} positional arguments but {} were given",
            n - kind.defaults() + 1,
            n + 1,
            args.len() + 1
        )));
    }
    let mut values: Vec<Option<Py<PyAny>>> = args.iter().map(|a| Some(a.unbind())).collect();
    values.resize_with(n, || None);
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            let key: String = k.extract()?;
            let Some(at) = names.iter().position(|&x| x == key) else {
                return Err(PyTypeError::new_err(format!(
                    "Instruction.__new__() got an unexpected keyword argument '{key}'"
                )));
            };
            if values[at].is_some() {
                return Err(PyTypeError::new_err(format!(
                    "Instruction.__new__() got multiple values for argument '{key}'"
                )));
            }
            values[at] = Some(v.unbind());
        }
    }
    let first_default = n - kind.defaults();
    let missing: Vec<&str> =
        names.iter().zip(&values).take(first_default).filter(|(_, v)| v.is_none()).map(|(k, _)| *k).collect();
    if !missing.is_empty() {
        let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
        let list = match quoted.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
            [] => String::new(),
        };
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(PyTypeError::new_err(format!(
            "Instruction.__new__() missing {} required positional argument{s}: {list}",
            missing.len()
        )));
    }
    Ok(values.into_iter().map(|v| v.unwrap_or_else(|| py.None())).collect())
}

/// The tuple an instruction of any of the classes stands for, or the
/// tuple itself.
fn as_tuple<'py>(other: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let py = other.py();
    if let Ok(t) = other.cast::<PyTuple>() {
        return Ok(Some(t.clone()));
    }
    macro_rules! try_class {
        ($($c:ty),*) => {
            $(if let Ok(i) = other.cast::<$c>() {
                return Ok(Some(i.get().parts().tuple(py, <$c>::KIND)?));
            })*
        };
    }
    try_class!(Instruction34, Instruction311, Instruction313, Instruction314, Instruction315);
    Ok(None)
}

/// A named tuple's `repr`: `Instruction(opname='NOP', ...)`.
fn repr(py: Python<'_>, parts: &Parts<'_>, kind: Kind) -> PyResult<String> {
    let mut out = String::from("Instruction(");
    for (k, (name, v)) in kind.names().iter().zip(parts.values(py, kind)?).enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&v.bind(py).repr()?.to_cow()?);
    }
    out.push(')');
    Ok(out)
}

/// A 3.13+ derived property or `make`, computed by `bytescope.dis` from the
/// instruction's fields with the version's tables.
fn derived(ins: &Bound<'_, PyAny>, name: &str, kind: Kind) -> PyResult<Py<PyAny>> {
    let py = ins.py();
    static HELPER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let helper = HELPER.get_or_try_init(py, || {
        py.import("bytescope.dis")?.getattr("_instruction_property").map(Bound::unbind)
    })?;
    Ok(helper.bind(py).call1((kind.version(), name, ins))?.unbind())
}

/// `str(ins)` of 3.13+: `Formatter.print_instruction_line` with the default
/// formatter (no line, offset or label column widths, not current).
fn instruction_line(ins: &Bound<'_, PyAny>) -> PyResult<String> {
    // `_OPNAME_WIDTH` and `_OPARG_WIDTH` of 3.13-3.15's dis.
    const OPNAME_WIDTH: usize = 20;
    const OPARG_WIDTH: usize = 5;
    let opname: String = ins.getattr("opname")?.extract()?;
    let label = ins.getattr("label")?;
    let arg = ins.getattr("arg")?;
    let mut fields = vec![if label.is_none() { String::new() } else { format!("L{}:", label.str()?) }];
    fields.push("   ".to_owned());
    fields.push(format!("{opname:<OPNAME_WIDTH$}"));
    if !arg.is_none() {
        // A long opname overflows into the argument's column.
        let excess = opname.chars().count().saturating_sub(OPNAME_WIDTH);
        fields.push(format!("{:>w$}", arg.repr()?.to_string(), w = OPARG_WIDTH.saturating_sub(excess)));
        let argrepr = ins.getattr("argrepr")?;
        if argrepr.is_truthy()? {
            fields.push(format!("({})", argrepr.extract::<String>()?));
        }
    }
    Ok(fields.join(" ").trim_end().to_owned() + "\n")
}

macro_rules! instruction_class {
    (
        $ty:ident, $kind:expr, $doc:literal,
        fields { $($getter:ident => $field:expr),* $(,)? },
        properties { $($prop:ident),* $(,)? },
        { $($extra:tt)* }
    ) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "bytescope.dis", name = "Instruction", sequence, freelist = 256)]
        pub(crate) struct $ty {
            src: Src,
        }

        impl $ty {
            pub(crate) const KIND: Kind = $kind;

            pub(crate) fn lazy(listing: &Arc<Listing>, i: u32) -> Self {
                $ty { src: Src::Lazy(Arc::clone(listing), i) }
            }

            pub(crate) fn eager(values: Box<[Py<PyAny>]>) -> Self {
                $ty { src: Src::Eager(values) }
            }

            fn parts(&self) -> Parts<'_> {
                Parts { src: &self.src }
            }
        }

        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(signature = (*args, **kwargs))]
            fn py_new(
                py: Python<'_>,
                args: &Bound<'_, PyTuple>,
                kwargs: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                Ok(Self::eager(new_values(py, Self::KIND, args, kwargs)?))
            }

            $(
                #[getter]
                fn $getter(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    self.parts().field(py, Self::KIND, $field)
                }
            )*

            $(
                #[getter]
                fn $prop(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
                    derived(slf.as_any(), stringify!($prop), Self::KIND)
                }
            )*

            /// The field names, in order.
            #[classattr]
            fn _fields(py: Python<'_>) -> PyResult<Py<PyTuple>> {
                Ok(PyTuple::new(py, Self::KIND.names())?.unbind())
            }

            /// The fields that have defaults, with them (None).
            #[classattr]
            fn _field_defaults(py: Python<'_>) -> PyResult<Py<PyDict>> {
                let d = PyDict::new(py);
                let names = Self::KIND.names();
                for name in &names[names.len() - Self::KIND.defaults()..] {
                    d.set_item(name, py.None())?;
                }
                Ok(d.unbind())
            }

            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
                Ok(PyTuple::new(py, Self::KIND.names())?.unbind())
            }

            fn __len__(&self) -> usize {
                Self::KIND.fields().len()
            }

            fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                if index.is_instance_of::<PySlice>() {
                    return Ok(self.parts().tuple(py, Self::KIND)?.as_any().get_item(index)?.unbind());
                }
                let i: isize = index.extract()?;
                let n = Self::KIND.fields().len() as isize;
                let j = if i < 0 { i + n } else { i };
                if !(0..n).contains(&j) {
                    return Err(PyIndexError::new_err("tuple index out of range"));
                }
                self.parts().field(py, Self::KIND, Self::KIND.fields()[j as usize])
            }

            fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                Ok(self.parts().tuple(py, Self::KIND)?.as_any().try_iter()?.into_any().unbind())
            }

            fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
                self.parts().tuple(py, Self::KIND)?.contains(value)
            }

            fn __richcmp__(&self, py: Python<'_>, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
                match as_tuple(other)? {
                    Some(t) => Ok(self.parts().tuple(py, Self::KIND)?.rich_compare(t, op)?.unbind()),
                    None => Ok(py.NotImplemented()),
                }
            }

            fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
                self.parts().tuple(py, Self::KIND)?.hash()
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                repr(py, &self.parts(), Self::KIND)
            }

            /// 3.13+: the instruction as one line of a listing (the standard
            /// library's `Formatter().print_instruction(ins)`); before, the repr.
            fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
                if !Self::KIND.names().contains(&"label") {
                    return Ok(slf.repr()?.to_string());
                }
                instruction_line(slf.as_any())
            }

            fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                match as_tuple(other)? {
                    Some(t) => Ok(self.parts().tuple(py, Self::KIND)?.as_any().add(t)?.unbind()),
                    None => Ok(py.NotImplemented()),
                }
            }

            /// A dict of the fields.
            fn _asdict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
                let d = PyDict::new(py);
                for (name, v) in Self::KIND.names().iter().zip(self.parts().values(py, Self::KIND)?) {
                    d.set_item(name, v)?;
                }
                Ok(d.unbind())
            }

            /// A new instruction with the given fields replaced.
            #[pyo3(signature = (**changes))]
            fn _replace(&self, py: Python<'_>, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
                let mut values = self.parts().values(py, Self::KIND)?;
                if let Some(changes) = changes {
                    let names = Self::KIND.names();
                    let mut unknown = Vec::new();
                    for (k, v) in changes.iter() {
                        let key: String = k.extract()?;
                        match names.iter().position(|&x| x == key) {
                            Some(at) => values[at] = v.unbind(),
                            None => unknown.push(key),
                        }
                    }
                    if !unknown.is_empty() {
                        return Err(PyValueError::new_err(format!("Got unexpected field names: {unknown:?}")));
                    }
                }
                Ok(Self::eager(values.into_boxed_slice()))
            }

            /// An instruction from an iterable of its field values.
            #[classmethod]
            fn _make(_cls: &Bound<'_, PyType>, iterable: &Bound<'_, PyAny>) -> PyResult<Self> {
                let values: Vec<Py<PyAny>> =
                    iterable.try_iter()?.map(|v| v.map(Bound::unbind)).collect::<PyResult<_>>()?;
                let n = Self::KIND.fields().len();
                if values.len() != n {
                    return Err(PyTypeError::new_err(format!("Expected {n} arguments, got {}", values.len())));
                }
                Ok(Self::eager(values.into_boxed_slice()))
            }

            fn __getnewargs__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                self.parts().tuple(py, Self::KIND)
            }

            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Py<PyAny>, ((u8, u8), Bound<'py, PyTuple>))> {
                let f = py.import("bytescope.dis")?.getattr("_make_instruction")?.unbind();
                Ok((f, (Self::KIND.version(), self.parts().tuple(py, Self::KIND)?)))
            }

            /// The number of fields equal to ``value``.
            fn count(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<usize> {
                self.parts().tuple(py, Self::KIND)?.as_any().call_method1("count", (value,))?.extract()
            }

            /// The position of the first field equal to ``value``.
            fn index(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<usize> {
                self.parts().tuple(py, Self::KIND)?.as_any().call_method1("index", (value,))?.extract()
            }

            $($extra)*
        }
    };
}

instruction_class!(
    Instruction34, Kind::I34,
    "Details for a bytecode operation, as ``dis.Instruction`` of CPython 3.4-3.10 (and of 2.7 and 3.0-3.3 code).",
    fields {
        opname => Field::Opname, opcode => Field::Opcode, arg => Field::Arg, argval => Field::Argval,
        offset => Field::Offset, argrepr => Field::Argrepr, starts_line => Field::StartsLineNumber,
        is_jump_target => Field::IsJumpTarget,
    },
    properties {},
    {}
);

instruction_class!(
    Instruction311, Kind::I311,
    "Details for a bytecode operation, as ``dis.Instruction`` of CPython 3.11-3.12.",
    fields {
        opname => Field::Opname, opcode => Field::Opcode, arg => Field::Arg, argval => Field::Argval,
        offset => Field::Offset, argrepr => Field::Argrepr, starts_line => Field::StartsLineNumber,
        is_jump_target => Field::IsJumpTarget, positions => Field::Positions,
    },
    properties {},
    {}
);

instruction_class!(
    Instruction313, Kind::I313,
    "Details for a bytecode operation, as ``dis.Instruction`` of CPython 3.13.",
    fields {
        opname => Field::Opname, opcode => Field::Opcode, arg => Field::Arg, argval => Field::Argval,
        offset => Field::Offset, argrepr => Field::Argrepr, start_offset => Field::StartOffset,
        starts_line => Field::StartsLine, line_number => Field::LineNumber, label => Field::Label,
        positions => Field::Positions, cache_info => Field::CacheInfo,
    },
    properties { oparg, baseopcode, baseopname, cache_offset, end_offset, jump_target, is_jump_target },
    {}
);

instruction_class!(
    Instruction314, Kind::I314,
    "Details for a bytecode operation, as ``dis.Instruction`` of CPython 3.14.",
    fields {
        opname => Field::Opname, opcode => Field::Opcode, arg => Field::Arg, argval => Field::Argval,
        offset => Field::Offset, argrepr => Field::Argrepr, start_offset => Field::StartOffset,
        starts_line => Field::StartsLine, line_number => Field::LineNumber, label => Field::Label,
        positions => Field::Positions, cache_info => Field::CacheInfo,
    },
    properties { oparg, baseopcode, baseopname, cache_offset, end_offset, jump_target, is_jump_target },
    {
        /// An Instruction from its opname (3.14's ``Instruction.make``).
        #[classmethod]
        #[pyo3(signature = (*args, **kwargs))]
        fn make(cls: &Bound<'_, PyType>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
            make(cls, Self::KIND, args, kwargs)
        }
    }
);

instruction_class!(
    Instruction315, Kind::I315,
    "Details for a bytecode operation, as ``dis.Instruction`` of CPython 3.15.",
    fields {
        opname => Field::Opname, opcode => Field::Opcode, arg => Field::Arg, argval => Field::Argval,
        offset => Field::Offset, argrepr => Field::Argrepr, start_offset => Field::StartOffset,
        starts_line => Field::StartsLine, line_number => Field::LineNumber, label => Field::Label,
        positions => Field::Positions, cache_info => Field::CacheInfo,
    },
    properties { oparg, baseopcode, baseopname, cache_offset, end_offset, jump_target, is_jump_target },
    {
        /// An Instruction from its opname (3.14's ``Instruction.make``).
        #[classmethod]
        #[pyo3(signature = (*args, **kwargs))]
        fn make(cls: &Bound<'_, PyType>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
            make(cls, Self::KIND, args, kwargs)
        }
    }
);

/// `Instruction.make(...)` (3.14+), by `bytescope.dis`.
fn make(
    cls: &Bound<'_, PyType>,
    kind: Kind,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let py = cls.py();
    let helper = py.import("bytescope.dis")?.getattr("_instruction_make")?;
    let all = PyTuple::new(
        py,
        [kind.version().into_py_any(py)?, cls.clone().into_any().unbind(), args.clone().into_any().unbind()],
    )?;
    Ok(helper.call(all, kwargs)?.unbind())
}

/// The instruction class of `kind`.
pub(crate) fn class<'py>(py: Python<'py>, kind: Kind) -> Bound<'py, PyType> {
    match kind {
        Kind::I34 => py.get_type::<Instruction34>(),
        Kind::I311 => py.get_type::<Instruction311>(),
        Kind::I313 => py.get_type::<Instruction313>(),
        Kind::I314 => py.get_type::<Instruction314>(),
        Kind::I315 => py.get_type::<Instruction315>(),
    }
}

/// Instruction `i` of `listing` as an object of its class.
fn make_lazy(py: Python<'_>, listing: &Arc<Listing>, i: u32) -> PyResult<Py<PyAny>> {
    Ok(match listing.kind {
        Kind::I34 => Py::new(py, Instruction34::lazy(listing, i))?.into_any(),
        Kind::I311 => Py::new(py, Instruction311::lazy(listing, i))?.into_any(),
        Kind::I313 => Py::new(py, Instruction313::lazy(listing, i))?.into_any(),
        Kind::I314 => Py::new(py, Instruction314::lazy(listing, i))?.into_any(),
        Kind::I315 => Py::new(py, Instruction315::lazy(listing, i))?.into_any(),
    })
}

/// An instruction of `kind` holding `values`.
fn make_eager(py: Python<'_>, kind: Kind, values: Vec<Py<PyAny>>) -> PyResult<Py<PyAny>> {
    let values = values.into_boxed_slice();
    Ok(match kind {
        Kind::I34 => Py::new(py, Instruction34::eager(values))?.into_any(),
        Kind::I311 => Py::new(py, Instruction311::eager(values))?.into_any(),
        Kind::I313 => Py::new(py, Instruction313::eager(values))?.into_any(),
        Kind::I314 => Py::new(py, Instruction314::eager(values))?.into_any(),
        Kind::I315 => Py::new(py, Instruction315::eager(values))?.into_any(),
    })
}

/// An iterator of one code object's instructions, made one by one.
#[pyclass(frozen, module = "bytescope.dis", name = "_Instructions")]
pub(crate) struct Instructions {
    listing: Arc<Listing>,
    next: AtomicUsize,
}

#[pymethods]
impl Instructions {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.listing.decoded.rows.len() {
            self.next.store(self.listing.decoded.rows.len(), Ordering::Relaxed);
            return Ok(None);
        }
        make_lazy(py, &self.listing, i as u32).map(Some)
    }

    fn __length_hint__(&self) -> usize {
        self.listing.decoded.rows.len().saturating_sub(self.next.load(Ordering::Relaxed))
    }
}

/// The instructions of `code` as its version's `dis` gives them: an
/// iterator making each when reached; with 3.11-3.12 CACHE entries
/// (`show_caches`), a list iterator.
pub(crate) fn iterate(
    py: Python<'_>,
    code: &Bound<'_, PyCode>,
    bytecode: bool,
    adaptive: bool,
    show_caches: bool,
    line_offset: i64,
) -> PyResult<Py<PyAny>> {
    let listing = Listing::new(code, bytecode, adaptive, line_offset)?;
    if show_caches && listing.kind == Kind::I311 {
        let list = with_caches(py, &listing)?;
        return Ok(list.as_any().try_iter()?.into_any().unbind());
    }
    Ok(Py::new(py, Instructions { listing, next: AtomicUsize::new(0) })?.into_any())
}

/// `int.from_bytes(data, "little")` for cache fields (at most 16 bytes).
fn le_uint(data: &[u8]) -> u128 {
    data.iter().take(16).enumerate().fold(0u128, |v, (i, b)| v | (u128::from(*b) << (8 * i)))
}

/// 3.11-3.12 with `show_caches`: each instruction followed by one CACHE
/// entry per cache unit; the first unit of each field names it and its
/// value (3.11: only when quickened).
fn with_caches<'py>(py: Python<'py>, listing: &Arc<Listing>) -> PyResult<Bound<'py, PyList>> {
    let v = listing.version();
    let table = listing.dis.table();
    let code = listing.cell.with_dependent(|_, c| c.code);
    let (firstlineno, linetable) = listing.cell.with_dependent(|_, c| (c.firstlineno(), c.linetable));
    let unit_positions = co_positions(v, code.len(), firstlineno, linetable);
    let out = PyList::empty(py);
    for (i, row) in listing.decoded.rows.iter().enumerate() {
        out.append(make_lazy(py, listing, i as u32)?)?;
        if row.cache_entries == 0 {
            continue;
        }
        let mut offset = row.offset as usize;
        let quickened = row.opcode != row.deopt;
        for f in table.cache_fields(table.op(row.deopt).name) {
            for k in 0..f.size {
                offset += 2;
                let argrepr = if k == 0 && (v != PythonVersion::PY311 || quickened) {
                    let end = (offset + 2 * usize::from(f.size)).min(code.len());
                    let data = code.get(offset.min(end)..end).unwrap_or(&[]);
                    format!("{}: {}", f.name, le_uint(data))
                } else {
                    String::new()
                };
                let p = unit_positions.get(offset / 2).copied().unwrap_or_default();
                let values = vec![
                    PyString::intern(py, "CACHE").into_any().unbind(),
                    0u8.into_py_any(py)?,
                    0u8.into_py_any(py)?,
                    py.None(),
                    PyString::new(py, &argrepr).into_any().unbind(),
                    offset.into_py_any(py)?,
                    py.None(),
                    false.into_py_any(py)?,
                    positions_object(py, p)?,
                ];
                out.append(make_eager(py, Kind::I311, values)?)?;
            }
        }
    }
    Ok(out)
}

/// `bytescope.dis._make_instruction(version, values)`: unpickling.
#[pyfunction]
pub(crate) fn make_instruction(
    py: Python<'_>,
    version: (u8, u8),
    values: Vec<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let kind = Kind::of(PythonVersion::new(version.0, version.1));
    if values.len() != kind.fields().len() {
        return Err(PyTypeError::new_err(format!(
            "Expected {} arguments, got {}",
            kind.fields().len(),
            values.len()
        )));
    }
    make_eager(py, kind, values)
}

/// The `dis.Instruction` class of version `(major, minor)`.
#[pyfunction]
pub(crate) fn instruction_class(py: Python<'_>, version: (u8, u8)) -> Bound<'_, PyType> {
    let kind = Kind::of(PythonVersion::new(version.0, version.1));
    class(py, kind)
}
