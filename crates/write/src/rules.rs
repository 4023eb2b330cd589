//! What differs between versions in building a code object: the fields,
//! the constructor's checks and its side effects. Decided here, once, from
//! the [`PythonVersion`]; everything was checked against the interpreters
//! (`tools/gen_write_vectors.py`), except 3.0–3.5, which follow 3.6 (no
//! interpreter was available to check them).

use bytescope_pyc::PythonVersion;

/// Which family of `types.CodeType` checks a version runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckFamily {
    /// 2.x: only `argcount` and `nlocals` must not be negative.
    Py2,
    /// 3.0–3.7: also `kwonlyargcount`, and `varnames is too small`.
    Py30,
    /// 3.8–3.10: `PyCode_NewWithPosOnlyArgs` rejects negative counts,
    /// stack size and flags, and `argcount < posonlyargcount`.
    Py38,
    /// 3.11+: `_PyCode_Validate` over the locals-plus form, even `co_code`,
    /// `co_nlocals == len(co_varnames)`.
    Py311,
}

/// The code-object rules of one version.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::struct_excessive_bools)]
pub struct CodeRules {
    /// The version.
    pub version: PythonVersion,
    /// Names are byte strings (Python 2 `str`).
    pub py2_names: bool,
    /// `co_kwonlyargcount` exists (3.0+).
    pub kwonly: bool,
    /// `co_posonlyargcount` exists (3.8+).
    pub posonly: bool,
    /// Locals are stored as `co_localsplusnames` + kinds, `co_nlocals` is
    /// derived, and `co_qualname` and `co_exceptiontable` exist (3.11+).
    pub localsplus: bool,
    /// The line table's keyword: `co_lnotab` up to 3.9, `co_linetable` from
    /// 3.10.
    pub linetable_keyword: &'static str,
    /// `code.replace()` exists (3.8+).
    pub has_replace: bool,
    /// The constructor's checks.
    pub checks: CheckFamily,
    /// The constructor sets `CO_NOFREE` exactly when there are no cell and
    /// no free variables (3.0–3.10; 2.x leaves the flags alone, 3.11+ has no
    /// such flag).
    pub nofree_recomputed: bool,
    /// The constructor and `replace()` mark `LOAD_FAST_AND_CLEAR` targets of
    /// non-optimized code as hidden locals, and reject out-of-range ones
    /// (3.12+; gh-110543, also in 3.12.1).
    pub hidden_from_load_fast_and_clear: bool,
    /// A stack size of 0 becomes 1 (3.13+, `init_code`; marshal loads too).
    pub stacksize_zero_is_one: bool,
    /// `replace()`'s unknown-keyword message is 3.13's
    /// (`replace() got an unexpected keyword argument 'x'`) rather than
    /// 3.8's (`'x' is an invalid keyword argument for replace()`).
    pub new_keyword_message: bool,
}

impl CodeRules {
    /// The rules of `v`.
    #[must_use]
    pub fn for_version(v: PythonVersion) -> CodeRules {
        use PythonVersion as V;
        let checks = match v {
            _ if v >= V::PY311 => CheckFamily::Py311,
            _ if v >= V::PY38 => CheckFamily::Py38,
            _ if v >= V::PY30 => CheckFamily::Py30,
            _ => CheckFamily::Py2,
        };
        CodeRules {
            version: v,
            py2_names: v.major < 3,
            kwonly: v >= V::PY30,
            posonly: v >= V::PY38,
            localsplus: v >= V::PY311,
            linetable_keyword: if v >= V::PY310 { "co_linetable" } else { "co_lnotab" },
            has_replace: v >= V::PY38,
            checks,
            nofree_recomputed: v >= V::PY30 && v < V::PY311,
            hidden_from_load_fast_and_clear: v >= V::PY312,
            stacksize_zero_is_one: v >= V::PY313,
            new_keyword_message: v >= V::PY313,
        }
    }

    /// The keywords `code.replace()` takes (3.8+), or the constructor's
    /// parameters under their attribute names (2.x–3.7, which have no
    /// `replace()`).
    #[must_use]
    pub fn keywords(&self) -> Vec<&'static str> {
        let mut k = vec!["co_argcount"];
        if self.posonly {
            k.push("co_posonlyargcount");
        }
        if self.kwonly {
            k.push("co_kwonlyargcount");
        }
        k.extend(["co_nlocals", "co_stacksize", "co_flags", "co_firstlineno", "co_code", "co_consts"]);
        k.extend(["co_names", "co_varnames", "co_freevars", "co_cellvars", "co_filename", "co_name"]);
        if self.localsplus {
            k.push("co_qualname");
        }
        k.push(self.linetable_keyword);
        if self.localsplus {
            k.push("co_exceptiontable");
        }
        k
    }
}
