//! What differs between the marshal formats of CPython versions.
//!
//! Everything version-dependent in reading and writing is decided here, from
//! the [`PythonVersion`], in one place.

use bytescope_pyc::PythonVersion;

/// Bit set on a type code when the object is added to the reference table (3.4+).
pub const FLAG_REF: u8 = 0x80;

/// The field list of a marshalled code object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CodeLayout {
    /// 2.3–2.7: argcount, nlocals, stacksize, flags, code, consts, names,
    /// varnames, freevars, cellvars, filename, name, firstlineno, lnotab.
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
    /// Code-object field list, `None` before 2.3.
    pub code_layout: Option<CodeLayout>,
}

impl Format {
    /// The format of `version`.
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
            _ => None,
        };
        Format { version, py2: version.major < 3, marshal_version, code_layout }
    }

    /// Whether this version's reader knows type code `code` (FLAG_REF
    /// stripped).
    #[must_use]
    pub fn knows_type(&self, code: u8) -> bool {
        match code {
            b'0' | b'N' | b'F' | b'T' | b'S' | b'.' | b'i' | b'I' | b'f' | b'g' | b'x' | b'y' | b'l'
            | b's' | b't' | b'u' | b'(' | b'[' | b'{' | b'c' | b'<' | b'>' => true,
            b'R' => self.py2,
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
