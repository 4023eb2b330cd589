//! `types.CodeType(...)` and `code.replace(...)` of every version: the same
//! fields, checks (with CPython's messages) and side effects.

use std::fmt;

use bytescope_pyc::PythonVersion;

use crate::code::{CodeObject, Locals, count_i32, flags, kinds};
use crate::object::{Object, PyStr};
use crate::rules::{CheckFamily, CodeRules};

/// The Python exception CPython raises for a rejected code object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyErrorKind {
    /// `ValueError`.
    ValueError,
    /// `TypeError` (a keyword the version does not take).
    TypeError,
    /// `SystemError` (`bad argument to internal function`).
    SystemError,
    /// `OverflowError` (`co_code` larger than `INT_MAX`).
    OverflowError,
}

impl PyErrorKind {
    /// The exception's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PyErrorKind::ValueError => "ValueError",
            PyErrorKind::TypeError => "TypeError",
            PyErrorKind::SystemError => "SystemError",
            PyErrorKind::OverflowError => "OverflowError",
        }
    }
}

/// A code object that the version's constructor, `replace()` or
/// `marshal.loads` would reject, with CPython's exception and message
/// (`SystemError`s carry CPython's text without its C file and line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CodeValueError {
    /// The exception CPython raises.
    pub kind: PyErrorKind,
    /// Its message.
    pub message: String,
    /// The version whose rules were applied.
    pub version: PythonVersion,
}

impl fmt::Display for CodeValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (Python {})", self.kind.name(), self.message, self.version)
    }
}

impl CodeValueError {
    fn new(version: PythonVersion, kind: PyErrorKind, message: impl Into<String>) -> CodeValueError {
        CodeValueError { kind, message: message.into(), version }
    }

    /// The `TypeError` for a keyword `name` that `version`'s `replace()`
    /// does not take, in that version's words (2.x–3.7, which have no
    /// `replace()`, name the constructor).
    #[must_use]
    pub fn unknown_keyword(version: PythonVersion, name: &str) -> CodeValueError {
        let rules = CodeRules::for_version(version);
        let message = if !rules.has_replace {
            format!("code() takes no argument {name:?} in Python {version}")
        } else if rules.new_keyword_message {
            // 3.13+ add the closest keyword, as for every unexpected keyword.
            match crate::suggest::suggestion(&rules.keywords(), name) {
                Some(s) => {
                    format!("replace() got an unexpected keyword argument '{name}'. Did you mean '{s}'?")
                }
                None => format!("replace() got an unexpected keyword argument '{name}'"),
            }
        } else {
            format!("'{name}' is an invalid keyword argument for replace()")
        };
        CodeValueError::new(version, PyErrorKind::TypeError, message)
    }

    fn value(version: PythonVersion, message: impl Into<String>) -> CodeValueError {
        CodeValueError::new(version, PyErrorKind::ValueError, message)
    }

    fn internal(version: PythonVersion) -> CodeValueError {
        CodeValueError::new(version, PyErrorKind::SystemError, "bad argument to internal function")
    }
}

/// The arguments of `types.CodeType(...)`, under their attribute names.
///
/// Fields a version does not have must keep their [`Default`] values
/// (0, `None`, empty): `posonlyargcount` before 3.8, `kwonlyargcount` in
/// 2.x, `qualname` and `exceptiontable` before 3.11. `nlocals` must equal
/// `varnames.len()` from 3.11.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CodeArgs {
    /// `co_argcount`.
    pub argcount: i32,
    /// `co_posonlyargcount` (3.8+).
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount` (3.0+).
    pub kwonlyargcount: i32,
    /// `co_nlocals`.
    pub nlocals: i32,
    /// `co_stacksize`.
    pub stacksize: i32,
    /// `co_flags`.
    pub flags: i32,
    /// `co_code`.
    pub code: Vec<u8>,
    /// `co_consts`.
    pub consts: Vec<Object>,
    /// `co_names`.
    pub names: Vec<PyStr>,
    /// `co_varnames`.
    pub varnames: Vec<PyStr>,
    /// `co_freevars`.
    pub freevars: Vec<PyStr>,
    /// `co_cellvars`.
    pub cellvars: Vec<PyStr>,
    /// `co_filename`.
    pub filename: PyStr,
    /// `co_name`.
    pub name: PyStr,
    /// `co_qualname` (3.11+; required there).
    pub qualname: Option<PyStr>,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// `co_lnotab` (up to 3.9) or `co_linetable` (3.10+).
    pub linetable: Vec<u8>,
    /// `co_exceptiontable` (3.11+).
    pub exceptiontable: Vec<u8>,
}

/// The changes of one `code.replace(...)` call: `None` keeps a field.
///
/// `linetable` is the version's `co_lnotab` (3.8–3.9) or `co_linetable`
/// (3.10+) keyword. Setting a field the version's `replace()` does not take
/// (`qualname` before 3.11, `posonlyargcount` before 3.8, ...) is the
/// `TypeError` CPython raises for an unknown keyword.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replace {
    /// `co_argcount`.
    pub argcount: Option<i32>,
    /// `co_posonlyargcount`.
    pub posonlyargcount: Option<i32>,
    /// `co_kwonlyargcount`.
    pub kwonlyargcount: Option<i32>,
    /// `co_nlocals`.
    pub nlocals: Option<i32>,
    /// `co_stacksize`.
    pub stacksize: Option<i32>,
    /// `co_flags`.
    pub flags: Option<i32>,
    /// `co_firstlineno`.
    pub firstlineno: Option<i32>,
    /// `co_code`.
    pub code: Option<Vec<u8>>,
    /// `co_consts`.
    pub consts: Option<Vec<Object>>,
    /// `co_names`.
    pub names: Option<Vec<PyStr>>,
    /// `co_varnames`.
    pub varnames: Option<Vec<PyStr>>,
    /// `co_freevars`.
    pub freevars: Option<Vec<PyStr>>,
    /// `co_cellvars`.
    pub cellvars: Option<Vec<PyStr>>,
    /// `co_filename`.
    pub filename: Option<PyStr>,
    /// `co_name`.
    pub name: Option<PyStr>,
    /// `co_qualname` (3.11+).
    pub qualname: Option<PyStr>,
    /// `co_lnotab` (3.8–3.9) / `co_linetable` (3.10+).
    pub linetable: Option<Vec<u8>>,
    /// `co_exceptiontable` (3.11+).
    pub exceptiontable: Option<Vec<u8>>,
}

impl Replace {
    /// The keywords this call passes, in `replace()`'s parameter order.
    #[must_use]
    pub fn keywords(&self, rules: &CodeRules) -> Vec<&'static str> {
        let mut k = Vec::new();
        let mut add = |set: bool, name: &'static str| {
            if set {
                k.push(name);
            }
        };
        add(self.argcount.is_some(), "co_argcount");
        add(self.posonlyargcount.is_some(), "co_posonlyargcount");
        add(self.kwonlyargcount.is_some(), "co_kwonlyargcount");
        add(self.nlocals.is_some(), "co_nlocals");
        add(self.stacksize.is_some(), "co_stacksize");
        add(self.flags.is_some(), "co_flags");
        add(self.firstlineno.is_some(), "co_firstlineno");
        add(self.code.is_some(), "co_code");
        add(self.consts.is_some(), "co_consts");
        add(self.names.is_some(), "co_names");
        add(self.varnames.is_some(), "co_varnames");
        add(self.freevars.is_some(), "co_freevars");
        add(self.cellvars.is_some(), "co_cellvars");
        add(self.filename.is_some(), "co_filename");
        add(self.name.is_some(), "co_name");
        add(self.qualname.is_some(), "co_qualname");
        add(self.linetable.is_some(), rules.linetable_keyword);
        add(self.exceptiontable.is_some(), "co_exceptiontable");
        k
    }
}

impl CodeObject {
    /// `types.CodeType(...)` of `version`: checks the arguments as that
    /// version's constructor does and applies its side effects (3.0–3.10
    /// recompute `CO_NOFREE`; 3.11+ build `co_localsplusnames` and kinds
    /// from varnames, cellvars and freevars, a cell that is also a variable
    /// sharing its slot; 3.12+ mark `LOAD_FAST_AND_CLEAR` targets of
    /// non-optimized code hidden; 3.13+ turn stack size 0 into 1).
    ///
    /// # Errors
    /// The [`CodeValueError`] that version raises, with its message.
    pub fn new(version: PythonVersion, args: CodeArgs) -> Result<CodeObject, CodeValueError> {
        let rules = CodeRules::for_version(version);
        check_absent_fields(&rules, &args)?;
        // code_new's own checks come before the shared constructor's.
        let negative = |value: i32, what: &str| {
            if value < 0 {
                Err(CodeValueError::value(version, format!("code: {what} must not be negative")))
            } else {
                Ok(())
            }
        };
        negative(args.argcount, "argcount")?;
        if rules.posonly {
            negative(args.posonlyargcount, "posonlyargcount")?;
        }
        if rules.kwonly {
            negative(args.kwonlyargcount, "kwonlyargcount")?;
        }
        negative(args.nlocals, "nlocals")?;
        construct(&rules, args)
    }

    /// `code.replace(**changes)` of this object's version (3.8+), with its
    /// checks and side effects (see [`CodeObject::new`]); 3.11+ rebuild the
    /// locals-plus kinds from varnames, cellvars and freevars even when none
    /// of them changes, as CPython does (which drops 3.14's argument kinds).
    ///
    /// 2.x–3.7 have no `replace()`: there this calls the version's
    /// constructor with the other fields unchanged.
    ///
    /// # Errors
    /// The [`CodeValueError`] that version raises, with its message.
    pub fn replace(&self, changes: Replace) -> Result<CodeObject, CodeValueError> {
        let rules = self.rules();
        let version = self.version;
        let allowed = rules.keywords();
        if let Some(bad) = changes.keywords(&rules).into_iter().find(|k| !allowed.contains(k)) {
            return Err(CodeValueError::unknown_keyword(version, bad));
        }
        let Replace {
            argcount,
            posonlyargcount,
            kwonlyargcount,
            nlocals,
            stacksize,
            flags,
            firstlineno,
            code,
            consts,
            names,
            varnames,
            freevars,
            cellvars,
            filename,
            name,
            qualname,
            linetable,
            exceptiontable,
        } = changes;
        let owned = |v: Vec<&PyStr>| v.into_iter().cloned().collect::<Vec<_>>();
        let args = CodeArgs {
            argcount: argcount.unwrap_or(self.argcount),
            posonlyargcount: posonlyargcount.unwrap_or(self.posonlyargcount),
            kwonlyargcount: kwonlyargcount.unwrap_or(self.kwonlyargcount),
            nlocals: nlocals.unwrap_or_else(|| self.nlocals()),
            stacksize: stacksize.unwrap_or(self.stacksize),
            flags: flags.unwrap_or(self.flags),
            code: code.unwrap_or_else(|| self.code.clone()),
            consts: consts.unwrap_or_else(|| self.consts.clone()),
            names: names.unwrap_or_else(|| self.names.clone()),
            varnames: varnames.unwrap_or_else(|| owned(self.varnames())),
            freevars: freevars.unwrap_or_else(|| owned(self.freevars())),
            cellvars: cellvars.unwrap_or_else(|| owned(self.cellvars())),
            filename: filename.unwrap_or_else(|| self.filename.clone()),
            name: name.unwrap_or_else(|| self.name.clone()),
            qualname: qualname.or_else(|| self.qualname.clone()),
            firstlineno: firstlineno.unwrap_or(self.firstlineno),
            linetable: linetable.unwrap_or_else(|| self.linetable.clone()),
            exceptiontable: exceptiontable.unwrap_or_else(|| self.exceptiontable.clone()),
        };
        if !rules.has_replace {
            return CodeObject::new(version, args);
        }
        // CHECK_INT_ARG, on the merged values.
        for (value, what) in [
            (args.argcount, "co_argcount"),
            (args.posonlyargcount, "co_posonlyargcount"),
            (args.kwonlyargcount, "co_kwonlyargcount"),
            (args.nlocals, "co_nlocals"),
            (args.stacksize, "co_stacksize"),
            (args.flags, "co_flags"),
            (args.firstlineno, "co_firstlineno"),
        ] {
            if value < 0 {
                return Err(CodeValueError::value(version, format!("{what} must be a positive integer")));
            }
        }
        construct(&rules, args)
    }

    /// Checks what `marshal.loads` of this object's version would check
    /// (its constructor's checks, on the stored form): the writer runs this
    /// so that what it writes loads.
    ///
    /// # Errors
    /// The [`CodeValueError`] the loader would raise, or one naming a field
    /// that does not fit the version (a 3.11+ object with split locals, a
    /// qualname before 3.11, ...).
    pub fn validate(&self) -> Result<(), CodeValueError> {
        let rules = self.rules();
        let v = self.version;
        let shape = |message: &str| Err(CodeValueError::new(v, PyErrorKind::SystemError, message));
        match (&self.locals, rules.localsplus) {
            (Locals::Plus(_), false) => return shape("locals-plus form before Python 3.11"),
            (Locals::Split { .. }, true) => {
                return shape("split varnames/cellvars/freevars from Python 3.11");
            }
            _ => {}
        }
        if self.qualname.is_some() != rules.localsplus {
            return shape("co_qualname exists exactly from Python 3.11");
        }
        if !rules.localsplus && !self.exceptiontable.is_empty() {
            return shape("co_exceptiontable exists only from Python 3.11");
        }
        if !rules.posonly && self.posonlyargcount != 0 || !rules.kwonly && self.kwonlyargcount != 0 {
            return shape("an argument count this version does not have is not 0");
        }
        if self.code.len() > i32::MAX as usize {
            return Err(CodeValueError::new(
                v,
                PyErrorKind::OverflowError,
                "code: co_code larger than INT_MAX",
            ));
        }
        if rules.py2_names {
            return self.validate_py2();
        }
        let locals: Box<dyn Iterator<Item = &PyStr>> = match &self.locals {
            Locals::Plus(lp) => Box::new(lp.iter().map(|(n, _)| n)),
            Locals::Split { varnames, cellvars, freevars } => {
                Box::new(varnames.iter().chain(cellvars).chain(freevars))
            }
        };
        let bad_str = self
            .names
            .iter()
            .chain(locals)
            .chain([&self.filename, &self.name])
            .chain(&self.qualname)
            .any(|s| !s.is_valid());
        if bad_str {
            return shape("a name is not valid UTF-8 (with surrogates)");
        }
        match rules.checks {
            CheckFamily::Py2 => Ok(()),
            CheckFamily::Py30 => {
                if self.argcount < 0 || self.kwonlyargcount < 0 || self.nlocals < 0 {
                    return Err(CodeValueError::internal(v));
                }
                varnames_cover_args(self, v, "code: varnames is too small")
            }
            CheckFamily::Py38 => {
                if self.argcount < self.posonlyargcount
                    || self.posonlyargcount < 0
                    || self.kwonlyargcount < 0
                    || self.nlocals < 0
                    || self.stacksize < 0
                    || self.flags < 0
                {
                    return Err(CodeValueError::internal(v));
                }
                varnames_cover_args(self, v, "code: varnames is too small")
            }
            CheckFamily::Py311 => validate_311(self),
        }
    }

    fn validate_py2(&self) -> Result<(), CodeValueError> {
        if self.argcount < 0 || self.nlocals < 0 {
            return Err(CodeValueError::internal(self.version));
        }
        Ok(())
    }

    /// Applies what this version's loader does to a code object it builds:
    /// 3.0–3.10 recompute `CO_NOFREE`, 3.13+ turn stack size 0 into 1. An
    /// object read from a .pyc is already normal; an edited one loads as its
    /// normal form.
    pub fn normalize(&mut self) {
        let rules = self.rules();
        if rules.nofree_recomputed {
            let no_cells = self.cellvars().is_empty() && self.freevars().is_empty();
            self.flags = if no_cells { self.flags | flags::NOFREE } else { self.flags & !flags::NOFREE };
        }
        if rules.stacksize_zero_is_one && self.stacksize == 0 {
            self.stacksize = 1;
        }
    }
}

/// Fields the version does not have must be left at their defaults.
fn check_absent_fields(rules: &CodeRules, args: &CodeArgs) -> Result<(), CodeValueError> {
    let v = rules.version;
    let absent = |name: &str| {
        Err(CodeValueError::new(
            v,
            PyErrorKind::TypeError,
            format!("code() takes no argument {name:?} in Python {v}"),
        ))
    };
    if !rules.posonly && args.posonlyargcount != 0 {
        return absent("co_posonlyargcount");
    }
    if !rules.kwonly && args.kwonlyargcount != 0 {
        return absent("co_kwonlyargcount");
    }
    if !rules.localsplus && args.qualname.is_some() {
        return absent("co_qualname");
    }
    if !rules.localsplus && !args.exceptiontable.is_empty() {
        return absent("co_exceptiontable");
    }
    if rules.localsplus && args.qualname.is_none() {
        return Err(CodeValueError::new(
            v,
            PyErrorKind::TypeError,
            "code() missing required argument 'qualname'",
        ));
    }
    Ok(())
}

/// The shared constructor (`PyCode_New`, `PyCode_NewWithPosOnlyArgs`,
/// `PyUnstable_Code_NewWithPosOnlyArgs`) after the entry point's own checks.
fn construct(rules: &CodeRules, args: CodeArgs) -> Result<CodeObject, CodeValueError> {
    let v = rules.version;
    let CodeArgs {
        argcount,
        posonlyargcount,
        kwonlyargcount,
        nlocals,
        stacksize,
        mut flags,
        code,
        consts,
        names,
        varnames,
        freevars,
        cellvars,
        filename,
        name,
        qualname,
        firstlineno,
        linetable,
        exceptiontable,
    } = args;
    if rules.localsplus {
        let mut lp: Vec<(PyStr, u8)> = varnames.iter().map(|n| (n.clone(), kinds::LOCAL)).collect();
        let nvar = lp.len();
        for c in cellvars {
            match lp[..nvar].iter_mut().find(|(n, _)| *n == c) {
                Some((_, k)) => *k |= kinds::CELL,
                None => lp.push((c, kinds::CELL)),
            }
        }
        lp.extend(freevars.into_iter().map(|f| (f, kinds::FREE)));
        if rules.hidden_from_load_fast_and_clear && flags & flags::OPTIMIZED == 0 {
            mark_hidden(v, &code, &mut lp)?;
        }
        let mut co = CodeObject {
            version: v,
            argcount,
            posonlyargcount,
            kwonlyargcount,
            nlocals: count_i32(nvar),
            stacksize,
            flags,
            code,
            consts,
            names,
            locals: Locals::Plus(lp),
            filename,
            name,
            qualname,
            firstlineno,
            linetable,
            exceptiontable,
        };
        validate_311(&co)?;
        if i64::from(nlocals) != i64::from(count_i32(varnames.len())) {
            return Err(CodeValueError::value(v, "code: co_nlocals != len(co_varnames)"));
        }
        co.normalize();
        return Ok(co);
    }
    match rules.checks {
        CheckFamily::Py2 => {}
        CheckFamily::Py30 => {
            if argcount < 0 || kwonlyargcount < 0 || nlocals < 0 {
                return Err(CodeValueError::internal(v));
            }
        }
        _ => {
            if argcount < posonlyargcount
                || posonlyargcount < 0
                || kwonlyargcount < 0
                || nlocals < 0
                || stacksize < 0
                || flags < 0
            {
                return Err(CodeValueError::internal(v));
            }
        }
    }
    if code.len() > i32::MAX as usize && rules.checks >= CheckFamily::Py38 {
        return Err(CodeValueError::new(v, PyErrorKind::OverflowError, "co_code larger than INT_MAX"));
    }
    if rules.nofree_recomputed {
        let no_cells = cellvars.is_empty() && freevars.is_empty();
        flags = if no_cells { flags | flags::NOFREE } else { flags & !flags::NOFREE };
    }
    let co = CodeObject {
        version: v,
        argcount,
        posonlyargcount,
        kwonlyargcount,
        nlocals,
        stacksize,
        flags,
        code,
        consts,
        names,
        locals: Locals::Split { varnames, cellvars, freevars },
        filename,
        name,
        qualname,
        firstlineno,
        linetable,
        exceptiontable,
    };
    if rules.checks >= CheckFamily::Py30 {
        varnames_cover_args(&co, v, "code: varnames is too small")?;
    }
    Ok(co)
}

/// ≤3.10: `argcount + kwonlyargcount + *args + **kwargs` must not exceed
/// `len(co_varnames)`.
fn varnames_cover_args(co: &CodeObject, v: PythonVersion, message: &str) -> Result<(), CodeValueError> {
    let n = i64::from(count_i32(co.varnames().len()));
    let (argc, kwc) = (i64::from(co.argcount), i64::from(co.kwonlyargcount));
    let total = if argc <= n && kwc <= n {
        argc + kwc + i64::from(co.flags & flags::VARARGS != 0) + i64::from(co.flags & flags::VARKEYWORDS != 0)
    } else {
        n + 1
    };
    if total > n { Err(CodeValueError::value(v, message)) } else { Ok(()) }
}

/// 3.11+ `_PyCode_Validate`, on the stored (locals-plus) form.
fn validate_311(co: &CodeObject) -> Result<(), CodeValueError> {
    let v = co.version;
    if co.argcount < co.posonlyargcount
        || co.posonlyargcount < 0
        || co.kwonlyargcount < 0
        || co.stacksize < 0
        || co.flags < 0
    {
        return Err(CodeValueError::internal(v));
    }
    if co.code.len() > i32::MAX as usize {
        return Err(CodeValueError::new(v, PyErrorKind::OverflowError, "code: co_code larger than INT_MAX"));
    }
    if !co.code.len().is_multiple_of(2) {
        return Err(CodeValueError::value(v, "code: co_code is malformed"));
    }
    let nlocals = i64::from(co.nlocals());
    let plain = nlocals
        - i64::from(co.argcount)
        - i64::from(co.kwonlyargcount)
        - i64::from(co.flags & flags::VARARGS != 0)
        - i64::from(co.flags & flags::VARKEYWORDS != 0);
    if plain < 0 {
        return Err(CodeValueError::value(v, "code: co_varnames is too small"));
    }
    Ok(())
}

/// gh-110543 (3.12+): in non-optimized code, every `LOAD_FAST_AND_CLEAR`
/// target is a hidden local; an out-of-range one is an error.
fn mark_hidden(v: PythonVersion, code: &[u8], lp: &mut [(PyStr, u8)]) -> Result<(), CodeValueError> {
    let Some(table) = bytescope_opcodes::table(v) else { return Ok(()) };
    let Some(lfac) = table.opcode("LOAD_FAST_AND_CLEAR") else { return Ok(()) };
    let units = code.len() / 2;
    let mut i = 0usize;
    let mut ext: u32 = 0;
    while i < units {
        let (op, arg) = (code[2 * i], code[2 * i + 1]);
        let caches = usize::from(table.op(op).cache_entries);
        if op == table.extended_arg {
            ext = ext << 8 | u32::from(arg);
            i += 1 + caches;
            continue;
        }
        if op == lfac {
            // CPython computes this in a C int.
            let oparg = (ext << 8 | u32::from(arg)) as i32;
            match usize::try_from(oparg).ok().and_then(|o| lp.get_mut(o)) {
                Some((_, k)) => *k |= kinds::HIDDEN,
                None => {
                    return Err(CodeValueError::value(
                        v,
                        format!("code: LOAD_FAST_AND_CLEAR oparg {oparg} out of range"),
                    ));
                }
            }
        }
        ext = 0;
        i += 1 + caches;
    }
    Ok(())
}
