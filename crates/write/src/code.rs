//! The owned code object.

use bytescope_pyc::PythonVersion;

use crate::object::{Object, PyStr};
use crate::rules::CodeRules;

/// `localspluskinds` bits (`Include/internal/pycore_code.h`), re-exported
/// from `bytescope-code`.
pub use bytescope_code::kinds;

/// `co_flags` bits the code constructor looks at.
pub mod flags {
    /// `CO_OPTIMIZED`: fast locals (functions).
    pub const OPTIMIZED: i32 = 0x1;
    /// `CO_VARARGS`: `*args`.
    pub const VARARGS: i32 = 0x4;
    /// `CO_VARKEYWORDS`: `**kwargs`.
    pub const VARKEYWORDS: i32 = 0x8;
    /// `CO_NOFREE` (2.x–3.10): no free or cell variables.
    pub const NOFREE: i32 = 0x40;
}

/// The local variables of a code object, in the form its version stores.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Locals {
    /// Up to 3.10: `co_varnames`, `co_cellvars` and `co_freevars` as stored
    /// (a cell that is also an argument appears in both `varnames` and
    /// `cellvars`).
    Split {
        /// `co_varnames`.
        varnames: Vec<PyStr>,
        /// `co_cellvars`.
        cellvars: Vec<PyStr>,
        /// `co_freevars`.
        freevars: Vec<PyStr>,
    },
    /// From 3.11: `co_localsplusnames`, each with its `co_localspluskinds`
    /// byte ([`kinds`]).
    Plus(Vec<(PyStr, u8)>),
}

impl Default for Locals {
    fn default() -> Locals {
        Locals::Split { varnames: Vec::new(), cellvars: Vec::new(), freevars: Vec::new() }
    }
}

/// An owned, editable code object of one CPython version (2.3–2.7,
/// 3.0–3.15): every field that version marshals.
///
/// Build one from a code object that was read
/// ([`CodeObject::from_marshal`](crate::CodeObject::from_marshal)), from
/// scratch with the version's constructor ([`CodeObject::new`]), or change
/// fields with the checks and side effects of that version's
/// `code.replace()` ([`CodeObject::replace`]). The fields are also public for
/// direct edits; [`CodeObject::validate`] (which the marshal writer runs)
/// then checks what that version's constructor would check.
///
/// `==` compares every field (it is stricter than Python's `code.__eq__`,
/// which ignores `co_stacksize`, `co_filename`, `co_qualname` and, before
/// 3.11, the line table; see [`CodeObject::py_eq`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CodeObject {
    /// The CPython version whose layout, rules and marshal format apply.
    pub version: PythonVersion,
    /// `co_argcount`.
    pub argcount: i32,
    /// `co_posonlyargcount` (3.8+; 0 before).
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount` (3.0+; 0 before).
    pub kwonlyargcount: i32,
    /// `co_nlocals` as stored up to 3.10. From 3.11 it is not stored (it is
    /// the number of [`kinds::LOCAL`] names) and this field is ignored; use
    /// [`CodeObject::nlocals`].
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
    /// The locals, cells and free variables.
    pub locals: Locals,
    /// `co_filename`.
    pub filename: PyStr,
    /// `co_name`.
    pub name: PyStr,
    /// `co_qualname` (3.11+; `None` before).
    pub qualname: Option<PyStr>,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// `co_lnotab` (up to 3.9) or `co_linetable` (3.10+), as bytes.
    pub linetable: Vec<u8>,
    /// `co_exceptiontable` (3.11+; empty before).
    pub exceptiontable: Vec<u8>,
}

impl CodeObject {
    /// The rules of this object's version.
    #[must_use]
    pub fn rules(&self) -> CodeRules {
        CodeRules::for_version(self.version)
    }

    /// `co_varnames`.
    #[must_use]
    pub fn varnames(&self) -> Vec<&PyStr> {
        match &self.locals {
            Locals::Split { varnames, .. } => varnames.iter().collect(),
            Locals::Plus(lp) => of_kind(lp, kinds::LOCAL),
        }
    }

    /// `co_cellvars`.
    #[must_use]
    pub fn cellvars(&self) -> Vec<&PyStr> {
        match &self.locals {
            Locals::Split { cellvars, .. } => cellvars.iter().collect(),
            Locals::Plus(lp) => of_kind(lp, kinds::CELL),
        }
    }

    /// `co_freevars`.
    #[must_use]
    pub fn freevars(&self) -> Vec<&PyStr> {
        match &self.locals {
            Locals::Split { freevars, .. } => freevars.iter().collect(),
            Locals::Plus(lp) => of_kind(lp, kinds::FREE),
        }
    }

    /// `co_nlocals`: as stored up to 3.10, the number of local names from
    /// 3.11.
    #[must_use]
    pub fn nlocals(&self) -> i32 {
        match &self.locals {
            Locals::Plus(lp) => count_i32(lp.iter().filter(|(_, k)| k & kinds::LOCAL != 0).count()),
            Locals::Split { .. } => self.nlocals,
        }
    }

    /// The names of the local slots in the order instructions index them:
    /// `co_localsplusnames` from 3.11; before, varnames then cellvars then
    /// freevars (how `LOAD_FAST` and `LOAD_DEREF` count).
    #[must_use]
    pub fn localsplus(&self) -> Vec<(&PyStr, u8)> {
        match &self.locals {
            Locals::Plus(lp) => lp.iter().map(|(n, k)| (n, *k)).collect(),
            Locals::Split { varnames, cellvars, freevars } => varnames
                .iter()
                .map(|n| (n, kinds::LOCAL))
                .chain(cellvars.iter().map(|n| (n, kinds::CELL)))
                .chain(freevars.iter().map(|n| (n, kinds::FREE)))
                .collect(),
        }
    }

    /// The nested code objects among `co_consts`, in order.
    pub fn nested(&self) -> impl Iterator<Item = &CodeObject> {
        self.consts.iter().filter_map(Object::as_code)
    }

    /// This code object and every nested one, in pre-order (the order `dis`
    /// recurses in).
    #[must_use]
    pub fn preorder(&self) -> Vec<&CodeObject> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(c) = stack.pop() {
            out.push(c);
            let before = stack.len();
            stack.extend(c.nested());
            stack[before..].reverse();
        }
        out
    }

    /// Python's `code.__eq__` of this version (`code_richcompare`): the
    /// fields it compares, constants by `_PyCode_ConstantKey` (type-exact,
    /// floats by bits; nested code objects by this same rule). Ignores
    /// `co_stacksize`, `co_filename`, `co_qualname`, and before 3.11 the
    /// line table.
    ///
    /// Differences from CPython: `co_code` is compared byte for byte (3.11+
    /// CPython compares deoptimized opcodes, which a marshalled object
    /// always has), frozensets compare in stored order, and 3.11+ compares
    /// `co_localsplusnames` only (not the kinds), as CPython does.
    #[must_use]
    pub fn py_eq(&self, other: &CodeObject) -> bool {
        fn consts_eq(a: &[Object], b: &[Object]) -> bool {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| match (x, y) {
                    (Object::Code(p), Object::Code(q)) => p.py_eq(q),
                    (Object::Tuple(p), Object::Tuple(q)) => consts_eq(p, q),
                    _ => x == y,
                })
        }
        let r = self.rules();
        let common = self.version == other.version
            && self.name == other.name
            && self.argcount == other.argcount
            && self.posonlyargcount == other.posonlyargcount
            && self.kwonlyargcount == other.kwonlyargcount
            && self.flags == other.flags
            && self.firstlineno == other.firstlineno
            && self.code == other.code
            && consts_eq(&self.consts, &other.consts)
            && self.names == other.names;
        if !common {
            return false;
        }
        if r.localsplus {
            let names =
                |c: &CodeObject| c.localsplus().into_iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            names(self) == names(other)
                && self.linetable == other.linetable
                && self.exceptiontable == other.exceptiontable
        } else {
            self.nlocals == other.nlocals
                && self.varnames() == other.varnames()
                && self.freevars() == other.freevars()
                && self.cellvars() == other.cellvars()
        }
    }

    /// Structural equality where sets compare as sets, recursively (see
    /// [`Object::set_eq`]).
    #[must_use]
    pub fn set_eq(&self, other: &CodeObject) -> bool {
        let a = CodeObject { consts: Vec::new(), ..self.clone() };
        let b = CodeObject { consts: Vec::new(), ..other.clone() };
        a == b
            && self.consts.len() == other.consts.len()
            && self.consts.iter().zip(&other.consts).all(|(x, y)| x.set_eq(y))
    }
}

fn of_kind(lp: &[(PyStr, u8)], kind: u8) -> Vec<&PyStr> {
    lp.iter().filter(|(_, k)| k & kind != 0).map(|(n, _)| n).collect()
}

/// A count as the `i32` CPython stores (saturating; real counts are far
/// smaller).
pub(crate) fn count_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
