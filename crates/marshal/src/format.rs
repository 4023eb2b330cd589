//! What differs between the marshal formats of CPython versions.
//!
//! Everything version-dependent in reading and writing is decided here, from
//! the [`PythonVersion`], in one place.

use bytescope_pyc::{Implementation, PythonVersion};

/// Bit set on a type code when the object is added to the reference table (3.4+).
pub const FLAG_REF: u8 = 0x80;

/// The family of a marshalled code object's field list: which name lists it
/// has and how consumers read them. [`CodeFields`] says exactly which fields
/// a stream holds, pre-releases included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CodeLayout {
    /// 1.5–2.0: argcount, nlocals, stacksize, flags (i16), code, consts,
    /// names, varnames, filename, name, firstlineno (i16), lnotab.
    Py15,
    /// 2.1–2.2: adds freevars and cellvars after varnames (integers still
    /// i16).
    Py21,
    /// 2.3–2.7: argcount, nlocals, stacksize, flags, code, consts, names,
    /// varnames, freevars, cellvars, filename, name, firstlineno, lnotab
    /// (integers i32 from here on).
    Py23,
    /// 3.0–3.7: adds kwonlyargcount after argcount.
    Py30,
    /// 3.8–3.10: adds posonlyargcount after argcount (3.10 stores the new
    /// linetable in the lnotab slot).
    Py38,
    /// 3.11+: no nlocals; localsplusnames/localspluskinds replace varnames,
    /// freevars and cellvars; adds qualname and exceptiontable.
    Py311,
}

/// One field of a marshalled code object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodeField {
    /// `co_argcount`.
    ArgCount,
    /// `co_posonlyargcount` (3.8+).
    PosOnlyArgCount,
    /// `co_kwonlyargcount` (3.0+).
    KwOnlyArgCount,
    /// `co_nlocals` (up to 3.11a1).
    NLocals,
    /// `co_stacksize`.
    StackSize,
    /// `co_flags`.
    Flags,
    /// `co_code`.
    Code,
    /// `co_consts`.
    Consts,
    /// `co_names`.
    Names,
    /// `co_varnames`.
    VarNames,
    /// `co_freevars` (2.1+).
    FreeVars,
    /// `co_cellvars` (2.1+).
    CellVars,
    /// `co_localsplusnames` (3.11+).
    LocalsPlusNames,
    /// `co_localspluskinds` (3.11+).
    LocalsPlusKinds,
    /// `co_filename`.
    Filename,
    /// `co_name`.
    Name,
    /// `co_qualname` (3.11+).
    QualName,
    /// `co_firstlineno`.
    FirstLineNo,
    /// `co_lnotab` (up to 3.9) or `co_linetable`.
    LineTable,
    /// `co_endlinetable` (3.11 alphas, magic 3459–3493).
    EndLineTable,
    /// `co_columntable` (3.11 alphas, magic 3459–3493).
    ColumnTable,
    /// `co_exceptiontable` (3.11+).
    ExceptionTable,
}

impl CodeField {
    /// Whether the field is an integer (the rest are objects).
    #[must_use]
    pub fn is_int(self) -> bool {
        matches!(
            self,
            CodeField::ArgCount
                | CodeField::PosOnlyArgCount
                | CodeField::KwOnlyArgCount
                | CodeField::NLocals
                | CodeField::StackSize
                | CodeField::Flags
                | CodeField::FirstLineNo
        )
    }

    /// The attribute name, e.g. `"co_consts"`, as error messages give it.
    #[must_use]
    pub fn name(self, layout: CodeLayout) -> &'static str {
        match self {
            CodeField::ArgCount => "co_argcount",
            CodeField::PosOnlyArgCount => "co_posonlyargcount",
            CodeField::KwOnlyArgCount => "co_kwonlyargcount",
            CodeField::NLocals => "co_nlocals",
            CodeField::StackSize => "co_stacksize",
            CodeField::Flags => "co_flags",
            CodeField::Code => "co_code",
            CodeField::Consts => "co_consts",
            CodeField::Names => "co_names",
            CodeField::VarNames => "co_varnames",
            CodeField::FreeVars => "co_freevars",
            CodeField::CellVars => "co_cellvars",
            CodeField::LocalsPlusNames => "co_localsplusnames",
            CodeField::LocalsPlusKinds => "co_localspluskinds",
            CodeField::Filename => "co_filename",
            CodeField::Name => "co_name",
            CodeField::QualName => "co_qualname",
            CodeField::FirstLineNo => "co_firstlineno",
            CodeField::LineTable if layout == CodeLayout::Py311 => "co_linetable",
            CodeField::LineTable => "co_lnotab",
            CodeField::EndLineTable => "co_endlinetable",
            CodeField::ColumnTable => "co_columntable",
            CodeField::ExceptionTable => "co_exceptiontable",
        }
    }
}

/// Exactly which fields a stream's code objects hold, in stream order: the
/// final layout of a version, or the one a pre-release magic number wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodeFields {
    /// The family (how consumers read the name lists).
    pub layout: CodeLayout,
    /// Integer fields are 16-bit (1.5–2.2) rather than 32-bit.
    pub short_ints: bool,
    /// Every field in stream order.
    pub fields: &'static [CodeField],
}

impl CodeFields {
    /// Whether the stream holds `field`.
    #[must_use]
    pub fn has(&self, field: CodeField) -> bool {
        self.fields.contains(&field)
    }

    /// The object fields, in stream order.
    pub fn objects(&self) -> impl Iterator<Item = CodeField> + '_ {
        self.fields.iter().copied().filter(|f| !f.is_int())
    }

    /// The integer fields before `co_code`, in stream order.
    pub fn leading_ints(&self) -> impl Iterator<Item = CodeField> + '_ {
        self.fields.iter().copied().take_while(|f| f.is_int())
    }

    /// How many object fields precede `co_firstlineno`.
    #[must_use]
    pub fn objects_before_firstlineno(&self) -> usize {
        self.fields.iter().take_while(|f| **f != CodeField::FirstLineNo).filter(|f| !f.is_int()).count()
    }
}

/// The field lists, oldest first (see the magic ranges in
/// [`Format::for_magic`]).
mod lists {
    use super::CodeField as F;
    pub(super) const PY15: &[F] = &[
        F::ArgCount,
        F::NLocals,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::VarNames,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
    ];
    pub(super) const PY21: &[F] = &[
        F::ArgCount,
        F::NLocals,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::VarNames,
        F::FreeVars,
        F::CellVars,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
    ];
    pub(super) const PY30: &[F] = &[
        F::ArgCount,
        F::KwOnlyArgCount,
        F::NLocals,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::VarNames,
        F::FreeVars,
        F::CellVars,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
    ];
    pub(super) const PY38: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::NLocals,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::VarNames,
        F::FreeVars,
        F::CellVars,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
    ];
    /// 3.11a1, magic 3450–3451: the exception table is added.
    pub(super) const PY311_3450: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::NLocals,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::VarNames,
        F::FreeVars,
        F::CellVars,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
        F::ExceptionTable,
    ];
    /// 3452: nlocals is no longer marshalled.
    pub(super) const PY311_3452: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::VarNames,
        F::FreeVars,
        F::CellVars,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
        F::ExceptionTable,
    ];
    /// 3453–3458: the fast-locals names and kinds replace varnames,
    /// freevars and cellvars.
    pub(super) const PY311_3453: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::LocalsPlusNames,
        F::LocalsPlusKinds,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
        F::ExceptionTable,
    ];
    /// 3459: PEP 657's end-line and column tables follow the line table.
    pub(super) const PY311_3459: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::LocalsPlusNames,
        F::LocalsPlusKinds,
        F::Filename,
        F::Name,
        F::FirstLineNo,
        F::LineTable,
        F::EndLineTable,
        F::ColumnTable,
        F::ExceptionTable,
    ];
    /// 3460–3493: co_qualname follows co_name.
    pub(super) const PY311_3460: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::LocalsPlusNames,
        F::LocalsPlusKinds,
        F::Filename,
        F::Name,
        F::QualName,
        F::FirstLineNo,
        F::LineTable,
        F::EndLineTable,
        F::ColumnTable,
        F::ExceptionTable,
    ];
    /// 3494 (3.11a7) on: one location table replaces the three.
    pub(super) const PY311: &[F] = &[
        F::ArgCount,
        F::PosOnlyArgCount,
        F::KwOnlyArgCount,
        F::StackSize,
        F::Flags,
        F::Code,
        F::Consts,
        F::Names,
        F::LocalsPlusNames,
        F::LocalsPlusKinds,
        F::Filename,
        F::Name,
        F::QualName,
        F::FirstLineNo,
        F::LineTable,
        F::ExceptionTable,
    ];
}

impl CodeLayout {
    /// The final field list of this family.
    #[must_use]
    pub fn fields(self) -> CodeFields {
        let (fields, short_ints) = match self {
            CodeLayout::Py15 => (lists::PY15, true),
            CodeLayout::Py21 => (lists::PY21, true),
            // 2.3-2.7 and pre-3030 3.0 alphas: PY21's fields, 32-bit.
            CodeLayout::Py23 => (lists::PY21, false),
            CodeLayout::Py30 => (lists::PY30, false),
            CodeLayout::Py38 => (lists::PY38, false),
            CodeLayout::Py311 => (lists::PY311, false),
        };
        CodeFields { layout: self, short_ints, fields }
    }
}

/// The marshal dialect of one CPython version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// The version.
    pub version: PythonVersion,
    /// Python 2 string semantics: `s`/`t` are byte strings (`str`), `u` is
    /// `unicode`, and `R` references interned strings.
    pub py2: bool,
    /// `Py_MARSHAL_VERSION` of that release (what its writer emits).
    pub marshal_version: u8,
    /// Code-object family, `None` before 1.5.
    pub code_layout: Option<CodeLayout>,
    /// The exact field list of code objects (pre-releases may differ from
    /// the family's final list), `None` before 1.5.
    pub code_fields: Option<CodeFields>,
    /// The implementation that wrote the stream (from the magic number;
    /// CPython unless a PyPy magic says otherwise).
    pub implementation: Implementation,
    /// Whether a set or frozenset iterates in the stream's order: PyPy's
    /// sets iterate in insertion order, and the running interpreter's own
    /// objects were written by its `marshal.dumps` in their current order.
    /// Otherwise reprs follow CPython's hash-table order, emulated as under
    /// `PYTHONHASHSEED=0` (the order a `.pyc` gets when loaded so).
    pub sets_in_stream_order: bool,
}

impl Format {
    /// The format of `version` (its final release).
    #[must_use]
    pub fn for_version(version: PythonVersion) -> Format {
        use PythonVersion as V;
        let marshal_version = match version {
            v if v >= V::PY315 => 6,
            v if v >= V::PY314 => 5,
            v if v >= V::PY34 => 4,
            v if v >= V::PY25 => 2,
            v if v >= V::PY24 => 1,
            _ => 0,
        };
        let code_layout = match version {
            v if v >= V::PY311 => Some(CodeLayout::Py311),
            v if v >= V::PY38 => Some(CodeLayout::Py38),
            v if v >= V::PY30 => Some(CodeLayout::Py30),
            v if v >= V::PY23 => Some(CodeLayout::Py23),
            v if v >= V::PY21 => Some(CodeLayout::Py21),
            v if v >= V::PY15 => Some(CodeLayout::Py15),
            _ => None,
        };
        let code_fields = code_layout.map(CodeLayout::fields);
        Format {
            version,
            py2: version.major < 3,
            marshal_version,
            code_layout,
            code_fields,
            implementation: Implementation::CPython,
            sets_in_stream_order: false,
        }
    }

    /// The format a file with magic number `magic` was written in: its
    /// version's, with the code-object fields that pre-release magics wrote
    /// where they differ from the final release's (from the magic-number
    /// history in CPython's `Include/internal/pycore_magic_number.h`):
    /// 3.0 before 3030 had no `co_kwonlyargcount`; 3.8a1 (3400, 3401) no
    /// `co_posonlyargcount`; the 3.11 alphas added the exception table
    /// (3450), dropped `co_nlocals` (3452), replaced the name lists by
    /// localsplus names and kinds (3453), added end-line and column tables
    /// (3459) and `co_qualname` (3460), and merged the line tables into one
    /// location table (3494). `None` for magics no CPython wrote.
    #[must_use]
    pub fn for_magic(magic: u16) -> Option<Format> {
        let info = bytescope_pyc::lookup_magic(magic)?;
        let mut f = Format::for_version(info.version);
        f.implementation = info.implementation;
        f.sets_in_stream_order = info.implementation == Implementation::PyPy;
        let fields = |layout: CodeLayout, fields| Some(CodeFields { layout, short_ints: false, fields });
        let pre = match magic {
            3000..3030 => fields(CodeLayout::Py23, lists::PY21),
            3400..3410 => fields(CodeLayout::Py30, lists::PY30),
            3450..3452 => fields(CodeLayout::Py38, lists::PY311_3450),
            3452 => fields(CodeLayout::Py38, lists::PY311_3452),
            3453..3459 => fields(CodeLayout::Py311, lists::PY311_3453),
            3459 => fields(CodeLayout::Py311, lists::PY311_3459),
            3460..3494 => fields(CodeLayout::Py311, lists::PY311_3460),
            _ => None,
        };
        if let Some(cf) = pre {
            f.code_layout = Some(cf.layout);
            f.code_fields = Some(cf);
        }
        Some(f)
    }

    /// Whether this version's reader knows type code `code` (FLAG_REF
    /// stripped).
    #[must_use]
    pub fn knows_type(&self, code: u8) -> bool {
        use PythonVersion as V;
        let v = self.version;
        match code {
            b'0' | b'N' | b'.' | b'i' | b'I' | b'f' | b'x' | b'l' | b's' | b'(' | b'[' | b'{' | b'c' => true,
            // Unicode strings from 1.6, StopIteration from 2.2, bools from
            // 2.3 (Python/marshal.c at those releases).
            b'u' => v >= V::PY16,
            b'S' => v >= V::PY22,
            b'F' | b'T' => v >= V::PY23,
            // Interned strings (marshal version 1, 2.4); binary floats and
            // sets (version 2, 2.5).
            b't' => self.marshal_version >= 1,
            b'R' => self.py2 && self.marshal_version >= 1,
            b'g' | b'y' | b'<' | b'>' => self.marshal_version >= 2,
            b'r' | b'a' | b'A' | b'z' | b'Z' | b')' => self.marshal_version >= 3,
            b':' => self.marshal_version >= 5,
            b'}' => self.marshal_version >= 6,
            _ => false,
        }
    }

    /// Whether FLAG_REF may be set on type codes (marshal v3+, 3.4+).
    #[must_use]
    pub fn has_refs(&self) -> bool {
        self.marshal_version >= 3
    }
}

/// Every type code any version knows, for "unknown" vs "not in this version".
#[must_use]
pub fn any_version_knows(code: u8) -> bool {
    Format::for_version(PythonVersion::PY315).knows_type(code)
        || Format::for_version(PythonVersion::PY27).knows_type(code)
}
