//! The code-object report: for every code object of a .pyc, what it is
//! (module, class body, function, method, lambda, comprehension, generator,
//! coroutine, …), its qualified name, arguments, locals, cells and free
//! variables, the names it uses split by how it uses them (globals read,
//! attributes, imports, stores, dotted references such as `os.path.join`),
//! its nested code objects and its size.
//!
//! [`Inspector::inspect`] builds a [`Report`] (serializable with serde, see
//! the schema below); [`write_text`] renders it for people. Nothing here
//! touches files or the terminal.
//!
//! ```no_run
//! # fn demo(data: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let pyc = bytescope_marshal::load_pyc(data, None)?;
//! let report = bytescope_inspect::Inspector::new(pyc.version())?.inspect(&pyc.marshal)?;
//! let mut text = String::new();
//! bytescope_inspect::write_text(&report, &mut text);
//! # Ok(()) }
//! ```
//!
//! # JSON schema
//!
//! A [`Report`] serializes as
//!
//! ```text
//! {
//!   "version": "3.12",                 // the CPython version the data was read as
//!   "filename": "closures.py",         // co_filename of the root code object
//!   "code_objects": [ CodeReport, … ]  // pre-order: module, then nested in co_consts order
//! }
//! ```
//!
//! Every code object appears once. One that marshal references put in
//! several places (crafted files; compilers never share code objects) is
//! reported under the first, where `dis` lists it again at each place.
//!
//! and each [`CodeReport`] as an object with these keys, in this order:
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `index` | int | position in `code_objects` |
//! | `parent` | int or null | index of the enclosing code object |
//! | `depth` | int | 0 for the root |
//! | `name` | str | `co_name` |
//! | `qualname` | str | qualified name (see [`QualnameSource`]) |
//! | `qualname_source` | str | `co_qualname`, `make_function`, `class_body` or `derived` |
//! | `kind` | str | a [`Kind`] in snake_case: `module`, `class`, `function`, `lambda`, `generator`, `coroutine`, `async_generator`, `listcomp`, `setcomp`, `dictcomp`, `genexpr`, `annotate`, `type_params`, `type_alias`, `typevar_bound`, `typeparam_default` |
//! | `method` | bool | a `def` (any flavour) directly in a class body |
//! | `filename` | str | `co_filename` |
//! | `firstlineno` | int | `co_firstlineno` |
//! | `offset` | int | byte offset of the code object in the file |
//! | `flags` | int | `co_flags` |
//! | `flag_names` | `[str]` | names of the set flags (`dis.COMPILER_FLAG_NAMES` of the version; `0x…` for unnamed bits) |
//! | `argcount`, `posonlyargcount`, `kwonlyargcount` | int | as stored |
//! | `arguments` | object | `{"positional_only": [str], "positional": [str], "varargs": str or null, "keyword_only": [str], "varkeywords": str or null}` |
//! | `locals` | `[str]` | `co_varnames` after the arguments, hidden ones excluded |
//! | `hidden_locals` | `[str]` | locals of inlined comprehensions (3.12+, `CO_FAST_HIDDEN`) |
//! | `cellvars`, `freevars` | `[str]` | `co_cellvars`, `co_freevars` |
//! | `globals` | `[str]` | names read by LOAD_GLOBAL, LOAD_NAME, LOAD_FROM_DICT_OR_GLOBALS |
//! | `attributes` | `[str]` | names used by LOAD_ATTR, LOAD_METHOD, STORE_ATTR, DELETE_ATTR, LOAD_SUPER_ATTR |
//! | `imports` | `[str]` | `import a.b` gives `a.b`, `from m import x` gives `m.x`, `from m import *` gives `m.*`; relative imports keep their dots (`.sibling`) |
//! | `stores` | `[str]` | names written by STORE_NAME, STORE_GLOBAL, DELETE_NAME, DELETE_GLOBAL |
//! | `references` | `[str]` | dotted names loaded: a global (or imported name) followed by attribute loads, e.g. `os.path.join`, with import aliases resolved (`sp.call` after `import subprocess as sp` is `subprocess.call`); names imported inside a function (into locals or cells, also read by nested closures) resolve alike |
//! | `nested` | `[int]` | indices of the code objects in `co_consts` |
//! | `constants` | int | `len(co_consts)` |
//! | `constants_total` | int | constants of this code object and all nested ones |
//! | `stacksize` | int | `co_stacksize` |
//! | `code_size` | int | `len(co_code)` in bytes |
//! | `instructions` | int | number of instructions (inline caches not counted) |
//! | `opcodes` | `{str: int}` | instruction count per opcode name, sorted by name |
//!
//! Name lists keep the order of first use and hold each name once.
#![deny(missing_docs)]

mod analysis;
pub mod grep;
mod kind;
pub mod records;
mod text;

use std::collections::{BTreeMap, HashMap, HashSet};

use bytescope_code::{Code, CodeError, kinds};
use bytescope_dis::{DisError, Disassembler};
use bytescope_marshal::{Marshal, ObjId};
use bytescope_opcodes::OpcodeTable;
use bytescope_pyc::PythonVersion;
use serde::Serialize;

pub use kind::{Kind, ParentScope, QualnameSource, derive_qualname, flags};
pub use text::{escape, escape_bytes, escape_into, is_shown, write_text};

use analysis::{Bindings, OpClasses, Walker};
use kind::{Usage, kind_of};

/// Why a report could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// No opcode table for the version, or an instruction operand CPython
    /// could not show.
    #[error(transparent)]
    Dis(#[from] DisError),
    /// A malformed code object.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// The marshal data is not a code object.
    #[error("the marshal data holds no code object (at offset {offset:#x})")]
    NoCode {
        /// Offset of the root object.
        offset: usize,
    },
}

/// Options of [`Inspector::inspect`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Ignore the qualified names the file carries (`co_qualname`, the
    /// `MAKE_FUNCTION` constant, a class body's `__qualname__`) and derive
    /// every one by [`derive_qualname`]. Meant for checking the rule.
    pub derive_qualnames: bool,
}

/// The report of one file: every code object, in pre-order.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The CPython version the data was read as, e.g. `"3.12"`.
    pub version: String,
    /// `co_filename` of the root code object.
    pub filename: String,
    /// Every code object: the root, then each nested one in `co_consts`
    /// order, recursively.
    pub code_objects: Vec<CodeReport>,
}

impl Report {
    /// Constants of all code objects.
    #[must_use]
    pub fn constants_total(&self) -> usize {
        self.code_objects.first().map_or(0, |c| c.constants_total)
    }
}

/// The parameters of a function, from the argument counts, `CO_VARARGS`,
/// `CO_VARKEYWORDS` and the order of `co_varnames` (positional, keyword-only,
/// then `*args`, then `**kwargs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Arguments {
    /// Positional-only parameters (before `/`, 3.8+).
    pub positional_only: Vec<String>,
    /// Positional-or-keyword parameters.
    pub positional: Vec<String>,
    /// The `*args` parameter.
    pub varargs: Option<String>,
    /// Keyword-only parameters (3.0+).
    pub keyword_only: Vec<String>,
    /// The `**kwargs` parameter.
    pub varkeywords: Option<String>,
}

impl Arguments {
    /// Number of names the parameters take from `co_varnames`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.positional_only.len()
            + self.positional.len()
            + self.keyword_only.len()
            + usize::from(self.varargs.is_some())
            + usize::from(self.varkeywords.is_some())
    }

    /// Whether there are no parameters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parameter list as Python spells it, without defaults:
    /// `(a, /, b, *args, c, **kw)`.
    #[must_use]
    pub fn signature(&self) -> String {
        let mut parts: Vec<String> = self.positional_only.clone();
        if !self.positional_only.is_empty() {
            parts.push("/".to_owned());
        }
        parts.extend(self.positional.iter().cloned());
        match &self.varargs {
            Some(v) => parts.push(format!("*{v}")),
            None if !self.keyword_only.is_empty() => parts.push("*".to_owned()),
            None => {}
        }
        parts.extend(self.keyword_only.iter().cloned());
        if let Some(k) = &self.varkeywords {
            parts.push(format!("**{k}"));
        }
        format!("({})", parts.join(", "))
    }
}

/// One code object of a [`Report`]. The JSON schema is in the crate docs.
#[derive(Clone, Debug, Serialize)]
pub struct CodeReport {
    /// Position in [`Report::code_objects`].
    pub index: usize,
    /// Index of the enclosing code object.
    pub parent: Option<usize>,
    /// Nesting depth (0 for the root).
    pub depth: usize,
    /// `co_name`.
    pub name: String,
    /// The qualified name.
    pub qualname: String,
    /// Where [`CodeReport::qualname`] comes from.
    pub qualname_source: QualnameSource,
    /// What the code object is.
    pub kind: Kind,
    /// A `def` of any flavour directly inside a class body.
    pub method: bool,
    /// `co_filename`.
    pub filename: String,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// Byte offset of the code object in the file.
    pub offset: usize,
    /// `co_flags`.
    pub flags: u32,
    /// Names of the set flags.
    pub flag_names: Vec<String>,
    /// `co_argcount`.
    pub argcount: i32,
    /// `co_posonlyargcount`.
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount`.
    pub kwonlyargcount: i32,
    /// The parameters.
    pub arguments: Arguments,
    /// Local variables that are not parameters (hidden ones excluded).
    pub locals: Vec<String>,
    /// Hidden locals of inlined comprehensions (3.12+).
    pub hidden_locals: Vec<String>,
    /// `co_cellvars`.
    pub cellvars: Vec<String>,
    /// `co_freevars`.
    pub freevars: Vec<String>,
    /// Names read as globals.
    pub globals: Vec<String>,
    /// Attribute names used.
    pub attributes: Vec<String>,
    /// What is imported.
    pub imports: Vec<String>,
    /// Names stored or deleted in the module, class or global namespace.
    pub stores: Vec<String>,
    /// Dotted names loaded (`os.path.join`), import aliases resolved.
    pub references: Vec<String>,
    /// Indices of the nested code objects.
    pub nested: Vec<usize>,
    /// `len(co_consts)`.
    pub constants: usize,
    /// Constants of this code object and every nested one.
    pub constants_total: usize,
    /// `co_stacksize`.
    pub stacksize: i32,
    /// `len(co_code)`.
    pub code_size: usize,
    /// Number of instructions.
    pub instructions: usize,
    /// Instructions per opcode name.
    pub opcodes: BTreeMap<&'static str, usize>,
}

impl CodeReport {
    /// The kind as the text report shows it, e.g. `"coroutine method"`.
    #[must_use]
    pub fn kind_label(&self) -> String {
        match (self.method, self.kind) {
            (true, Kind::Function) => "method".to_owned(),
            (true, k) => format!("{} method", k.label()),
            (false, k)
                if k.is_comprehension() && self.flags & (flags::COROUTINE | flags::ASYNC_GENERATOR) != 0 =>
            {
                format!("async {}", k.label())
            }
            (false, k) => k.label().to_owned(),
        }
    }

    /// Whether this code object loads `query`: see [`Query`].
    #[must_use]
    pub fn matches(&self, query: &Query) -> bool {
        match query {
            Query::Opcode(name) => self.opcodes.contains_key(name.as_str()),
            Query::Name(name) => {
                self.globals.iter().any(|g| g == name)
                    || self.attributes.iter().any(|a| a == name)
                    || self.references.iter().chain(&self.imports).any(|r| first_component(r) == name)
            }
            Query::Dotted(dotted) => self.references.iter().chain(&self.imports).any(|r| {
                r == dotted
                    || (r.starts_with(dotted.as_str()) && r.as_bytes().get(dotted.len()) == Some(&b'.'))
            }),
        }
    }
}

fn first_component(s: &str) -> &str {
    s.split('.').next().unwrap_or(s)
}

/// What `bytescope scan --find` looks for in a code object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// An opcode name (`EXEC_STMT`, `IMPORT_STAR`): the code object has an
    /// instruction with that (deoptimized) opcode.
    Opcode(String),
    /// A bare name (`eval`, `subprocess`): read as a global, used as an
    /// attribute, or the first component of an import or dotted reference.
    Name(String),
    /// A dotted name (`os.system`, `marshal.loads`): an import or dotted
    /// reference equal to it or starting with it plus a dot.
    Dotted(String),
}

impl Query {
    /// Classifies `s`: an opcode name of any CPython version (in capitals,
    /// or in any case when it has an underscore: `import_star` is
    /// `IMPORT_STAR`, while `call` stays a name), a dotted name, or a bare
    /// name.
    #[must_use]
    pub fn parse(s: &str) -> Query {
        let upper = s.to_ascii_uppercase();
        let spelled = upper == s || s.contains('_');
        let is_opcode = spelled
            && upper.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && bytescope_opcodes::tables().iter().any(|t| t.opcode(&upper).is_some());
        if is_opcode {
            Query::Opcode(upper)
        } else if s.contains('.') {
            Query::Dotted(s.to_owned())
        } else {
            Query::Name(s.to_owned())
        }
    }
}

/// Builds [`Report`]s for one CPython version.
#[derive(Debug)]
pub struct Inspector {
    dis: Disassembler,
    classes: OpClassesBox,
    opts: Options,
}

/// Keeps [`OpClasses`] out of the public `Debug` output.
struct OpClassesBox(OpClasses);

impl std::fmt::Debug for OpClassesBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpClasses")
    }
}

/// Per code object facts the walk needs after the report is made.
struct Side {
    usages: HashMap<ObjId, Usage>,
    global_stores: HashSet<String>,
    /// Local, cell and free variable bindings at the end (for closures).
    bindings: Bindings,
}

impl Inspector {
    /// An inspector for `version`.
    ///
    /// # Errors
    /// [`InspectError::Dis`] for versions without an opcode table.
    pub fn new(version: PythonVersion) -> Result<Self, InspectError> {
        let dis = Disassembler::new(version)?;
        let classes = OpClassesBox(OpClasses::new(dis.table()));
        Ok(Inspector { dis, classes, opts: Options::default() })
    }

    /// The inspector for the bytecode of `m`: its implementation's opcode
    /// table (PyPy's own opcodes when its magic names PyPy).
    ///
    /// # Errors
    /// [`InspectError::Dis`] for versions without an opcode table.
    pub fn for_marshal(m: &bytescope_marshal::Marshal<'_>) -> Result<Self, InspectError> {
        let dis = Disassembler::for_marshal(m)?;
        let classes = OpClassesBox(OpClasses::new(dis.table()));
        Ok(Inspector { dis, classes, opts: Options::default() })
    }

    /// The same inspector with `opts`.
    #[must_use]
    pub fn with_options(mut self, opts: Options) -> Self {
        self.opts = opts;
        self
    }

    /// The disassembler used for decoding.
    #[must_use]
    pub fn disassembler(&self) -> &Disassembler {
        &self.dis
    }

    /// The report of every code object in `m`.
    ///
    /// # Errors
    /// A malformed code object or an instruction operand `dis` could not
    /// show; [`InspectError::NoCode`] if the root is not a code object.
    pub fn inspect(&self, m: &Marshal<'_>) -> Result<Report, InspectError> {
        let table = self.dis.table();
        let version = m.version();
        if m.code(m.root()).is_none() {
            return Err(InspectError::NoCode { offset: m.node(m.root()).offset as usize });
        }
        // Every distinct code object once, in pre-order: one that marshal
        // references put in several places (only crafted files share them)
        // is reported under the first (unlike `dis`, which lists it at each).
        let mut reports: Vec<CodeReport> = Vec::new();
        let mut sides: Vec<Side> = Vec::new();
        let mut file_bindings = Bindings::new();
        let mut walk = m.code_walk().with_repeat_budget(0);
        for visit in walk.by_ref() {
            let (node, parent) = (visit.code, visit.parent);
            let code = Code::new(m, node)?;
            let instructions: Vec<_> = bytescope_instr::Decoder::with_table(&code, table).iter().collect();
            let is_root = parent.is_none();
            // Free variables start bound as the enclosing code object's
            // cells and free variables end.
            let inherited: Bindings = parent
                .map(|p| {
                    code.freevars
                        .iter()
                        .filter_map(|n| sides[p].bindings.get(n.as_ref()).map(|b| (n.to_string(), b.clone())))
                        .collect()
                })
                .unwrap_or_default();
            let mut analysis = Walker {
                m,
                table,
                classes: &self.classes.0,
                file_bindings: &mut file_bindings,
                is_root,
                inherited,
                closure_names: code.cellvars.iter().chain(&code.freevars).map(AsRef::as_ref).collect(),
            }
            .run(&instructions);

            let usage = parent.and_then(|p| sides[p].usages.get(&node.node).cloned()).unwrap_or_default();
            let kind = kind_of(
                &code.name,
                code.flags(),
                is_root,
                &usage,
                version >= PythonVersion::PY314,
                analysis.stores.first() == Some("__module__"),
            );
            let scope_parent = parent.and_then(|p| {
                if reports[p].kind.is_typeparams_scope() { reports[p].parent } else { Some(p) }
            });
            let scope = scope_parent.map(|s| ParentScope {
                qualname: &reports[s].qualname,
                kind: reports[s].kind,
                declares_global: sides[s].global_stores.contains(code.name.as_ref()),
            });
            let derived = derive_qualname(&code.name, kind, scope);
            let (qualname, qualname_source) = if self.opts.derive_qualnames {
                (derived, QualnameSource::Derived)
            } else if let Some(q) = &code.qualname {
                (q.to_string(), QualnameSource::CoQualname)
            } else if kind == Kind::Class && analysis.stored_qualname.is_some() {
                (analysis.stored_qualname.clone().unwrap_or_default(), QualnameSource::ClassBody)
            } else if let (false, Some(q)) = (kind == Kind::Class, &usage.make_function_qualname) {
                (q.clone(), QualnameSource::MakeFunction)
            } else {
                (derived, QualnameSource::Derived)
            };
            let method = kind.is_def() && scope_parent.is_some_and(|s| reports[s].kind == Kind::Class);

            let arguments = arguments(&code);
            let hidden: HashSet<&str> = code
                .localsplus
                .iter()
                .filter(|(_, k)| k & kinds::HIDDEN != 0)
                .map(|(n, _)| n.as_ref())
                .collect();
            let rest = code.varnames.iter().skip(arguments.len());
            let (hidden_locals, locals): (Vec<String>, Vec<String>) =
                rest.map(|n| n.to_string()).partition(|n| hidden.contains(n.as_str()));

            let index = reports.len();
            if let Some(p) = parent {
                reports[p].nested.push(index);
            }
            let depth = parent.map_or(0, |p| reports[p].depth + 1);
            reports.push(CodeReport {
                index,
                parent,
                depth,
                name: code.name.to_string(),
                qualname,
                qualname_source,
                kind,
                method,
                filename: code.filename.to_string(),
                firstlineno: code.firstlineno(),
                offset: code.offset(),
                flags: code.flags(),
                flag_names: flag_names(code.flags(), table),
                argcount: code.argcount(),
                posonlyargcount: code.posonlyargcount(),
                kwonlyargcount: code.kwonlyargcount(),
                arguments,
                locals,
                hidden_locals,
                cellvars: code.cellvars.iter().map(|n| n.to_string()).collect(),
                freevars: code.freevars.iter().map(|n| n.to_string()).collect(),
                globals: analysis.globals.into_vec(),
                attributes: analysis.attributes.into_vec(),
                imports: analysis.imports.into_vec(),
                stores: analysis.stores.into_vec(),
                references: analysis.references.into_vec(),
                nested: Vec::new(),
                constants: code.consts.len(),
                constants_total: code.consts.len(),
                stacksize: code.stacksize(),
                code_size: code.code.len(),
                instructions: instructions.len(),
                opcodes: analysis.opcodes,
            });
            sides.push(Side {
                usages: analysis.usages,
                global_stores: analysis.global_stores.into_vec().into_iter().collect(),
                bindings: std::mem::take(&mut analysis.local_bindings),
            });
        }
        if let Some(offset) = walk.overflow() {
            return Err(InspectError::Dis(DisError::SharedFields { offset }));
        }
        // Children follow their parent, so a backward pass sums subtrees.
        for i in (1..reports.len()).rev() {
            if let Some(p) = reports[i].parent {
                reports[p].constants_total += reports[i].constants_total;
            }
        }
        let filename = reports.first().map(|r| r.filename.clone()).unwrap_or_default();
        Ok(Report { version: version.to_string(), filename, code_objects: reports })
    }
}

/// The parameters of `code`; counts beyond `co_varnames` are cut off.
fn arguments(code: &Code<'_, '_>) -> Arguments {
    let v = &code.varnames;
    let count = |n: i32| usize::try_from(n).unwrap_or(0);
    let argc = count(code.argcount()).min(v.len());
    let posonly = count(code.posonlyargcount()).min(argc);
    let kwonly_end = argc.saturating_add(count(code.kwonlyargcount())).min(v.len());
    let mut next = kwonly_end;
    let mut take_flag = |flag: u32| {
        if code.flags() & flag != 0 && next < v.len() {
            next += 1;
            Some(v[next - 1].to_string())
        } else {
            None
        }
    };
    let varargs = take_flag(flags::VARARGS);
    let varkeywords = take_flag(flags::VARKEYWORDS);
    Arguments {
        positional_only: v[..posonly].iter().map(|n| n.to_string()).collect(),
        positional: v[posonly..argc].iter().map(|n| n.to_string()).collect(),
        varargs,
        keyword_only: v[argc..kwonly_end].iter().map(|n| n.to_string()).collect(),
        varkeywords,
    }
}

/// Names of the set bits of `flags`, low to high, `0x…` for unnamed ones.
fn flag_names(flags: u32, table: &OpcodeTable) -> Vec<String> {
    (0..32)
        .map(|i| 1u32 << i)
        .filter(|bit| flags & bit != 0)
        .map(|bit| match table.compiler_flag_names.iter().find(|(b, _)| *b == bit) {
            Some((_, n)) => (*n).to_owned(),
            None => format!("{bit:#x}"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
