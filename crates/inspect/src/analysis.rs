//! One pass over a code object's instructions: names by use, dotted
//! references, imports, opcode counts, and how nested code objects are used.

use std::collections::{BTreeMap, HashMap, HashSet};

use bytescope_instr::{Argument, Instruction as DisOp};
use bytescope_marshal::{Marshal, ObjId, Value};
use bytescope_opcodes::OpcodeTable;

use crate::kind::{Kind, Usage};

/// What an opcode means to the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Anything else: ends a dotted chain and an import statement.
    Other,
    /// Leaves the value being tracked alone (EXTENDED_ARG, CACHE, NOP, and
    /// the stack shuffles of import statements).
    Transparent,
    /// LOAD_GLOBAL, LOAD_NAME, LOAD_FROM_DICT_OR_GLOBALS.
    LoadGlobal,
    /// LOAD_DEREF and friends: only followed through bindings.
    LoadLocal,
    /// LOAD_FAST and friends: as [`Op::LoadLocal`], except of a cell or
    /// free variable (3.13+ builds closures with it: the cell, not a value).
    LoadFast,
    /// LOAD_ATTR, LOAD_METHOD: extend a dotted chain.
    LoadAttr,
    /// LOAD_SUPER_ATTR and the 3.12 pre-release super opcodes.
    SuperAttr,
    /// STORE_ATTR, DELETE_ATTR.
    StoreAttr,
    /// STORE_NAME.
    StoreName,
    /// STORE_GLOBAL.
    StoreGlobal,
    /// DELETE_NAME, DELETE_GLOBAL, STORE_ANNOTATION (3.6): a store-list
    /// entry that binds nothing.
    DeleteName,
    /// STORE_FAST, STORE_DEREF.
    StoreLocal,
    /// STORE_FAST_LOAD_FAST (3.13+): a store, then a load of a local.
    StoreLoadLocal,
    /// STORE_FAST_STORE_FAST (3.13+): two stores (the first takes the
    /// top of the stack).
    StoreLocalPair,
    /// LOAD_FAST_LOAD_FAST, LOAD_FAST_BORROW_LOAD_FAST_BORROW (3.13+): two
    /// loads of locals, the second on top.
    LoadLocalPair,
    /// IMPORT_NAME.
    ImportName,
    /// IMPORT_FROM.
    ImportFrom,
    /// IMPORT_STAR (up to 3.11).
    ImportStar,
    /// LOAD_CONST.
    LoadConst,
    /// LOAD_SMALL_INT (3.14+).
    LoadSmallInt,
    /// LOAD_COMMON_CONSTANT (3.14+).
    LoadCommonConstant,
    /// MAKE_FUNCTION, MAKE_CLOSURE.
    MakeFunction,
    /// SET_FUNCTION_ATTRIBUTE (3.13+).
    SetFunctionAttribute,
    /// BUILD_TUPLE.
    BuildTuple,
    /// LOAD_BUILD_CLASS (3.x).
    LoadBuildClass,
    /// BUILD_CLASS (2.x).
    BuildClass,
    /// CALL_FUNCTION (2.x class creation).
    CallFunction,
    /// CALL_INTRINSIC_1, CALL_INTRINSIC_2 (3.12+).
    CallIntrinsic,
}

/// [`Op`] for every opcode byte of one version (by the deoptimized opcode).
pub(crate) struct OpClasses {
    ops: [Op; 256],
}

impl OpClasses {
    pub(crate) fn new(table: &OpcodeTable) -> Self {
        OpClasses { ops: std::array::from_fn(|op| Self::class_of(table, op as u8)) }
    }

    /// The class of opcode byte `op`, from its generated semantics (its
    /// role, [`bytescope_opcodes::Action`]); no opcode is named here.
    pub(crate) fn class_of(table: &OpcodeTable, op: u8) -> Op {
        use bytescope_opcodes::semantics::{Action as A, CallKind, Container, Operand as O, Place as P};
        match table.semantics(op).action {
            A::ExtendedArg | A::Cache | A::Nop | A::Pop | A::Swap | A::Rot(2) | A::PushNull => {
                Op::Transparent
            }
            A::Load(P::Global | P::Name | P::DictOrGlobal) => Op::LoadGlobal,
            A::Load(P::Local) => Op::LoadFast,
            A::Load(P::Free | P::DictOrFree) => Op::LoadLocal,
            A::Load(P::Attr | P::Method) => Op::LoadAttr,
            A::Load(P::SuperAttr) => Op::SuperAttr,
            A::Store(P::Attr) | A::Delete(P::Attr) => Op::StoreAttr,
            A::Store(P::Name) => Op::StoreName,
            A::Store(P::Global) => Op::StoreGlobal,
            A::Delete(P::Name | P::Global) | A::Store(P::Annotation) => Op::DeleteName,
            A::Store(P::Local | P::Free) => Op::StoreLocal,
            A::StoreLoad(_) => Op::StoreLoadLocal,
            A::Store(P::LocalPair) => Op::StoreLocalPair,
            A::Load(P::LocalPair) => Op::LoadLocalPair,
            A::ImportName => Op::ImportName,
            A::ImportFrom => Op::ImportFrom,
            A::ImportStar => Op::ImportStar,
            A::Load(P::Const) => Op::LoadConst,
            A::Load(P::SmallInt) => Op::LoadSmallInt,
            A::Load(P::CommonConst) => Op::LoadCommonConstant,
            A::MakeFunction | A::MakeClosure => Op::MakeFunction,
            A::SetFunctionAttribute => Op::SetFunctionAttribute,
            A::Build(Container::Tuple) => Op::BuildTuple,
            A::Load(P::BuildClass) => Op::LoadBuildClass,
            A::Build(Container::Class) => Op::BuildClass,
            A::Call(CallKind::Legacy) => Op::CallFunction,
            A::Intrinsic if table.semantics(op).operand != O::None => Op::CallIntrinsic,
            _ => Op::Other,
        }
    }

    fn of(&self, ins: &DisOp<'_>) -> Op {
        self.ops[usize::from(ins.base)]
    }
}

/// An ordered set of names (first use first). Small sets (the usual case)
/// are searched linearly; a hash set takes over when they grow.
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    list: Vec<String>,
    seen: HashSet<String>,
}

/// Up to this many names, [`Names`] needs no hash set.
const LINEAR: usize = 16;

impl Names {
    pub(crate) fn add(&mut self, name: &str) {
        if self.list.len() < LINEAR {
            if self.list.iter().any(|n| n == name) {
                return;
            }
            self.list.push(name.to_owned());
            if self.list.len() == LINEAR {
                self.seen = self.list.iter().cloned().collect();
            }
        } else if !self.seen.contains(name) {
            self.seen.insert(name.to_owned());
            self.list.push(name.to_owned());
        }
    }

    pub(crate) fn first(&self) -> Option<&str> {
        self.list.first().map(String::as_str)
    }

    pub(crate) fn into_vec(self) -> Vec<String> {
        self.list
    }
}

/// The value on top of the stack, when it is a known dotted name.
#[derive(Clone, Debug)]
struct Chain {
    dotted: String,
    /// Worth reporting: extended by an attribute or renamed by an import
    /// binding (a bare global is already in the globals list).
    interesting: bool,
}

/// The import statement being read.
#[derive(Clone, Debug)]
struct ImportCtx {
    /// The module named by IMPORT_NAME (with the dots of a relative import).
    module: String,
    /// `from m import …` (a fromlist was given): IMPORT_FROM reads names of
    /// `module`. Without one (`import a.b.c as d`, 3.7+), IMPORT_FROM walks
    /// down from the top package: `a`, then `a.b`, then `a.b.c`.
    fromlist: bool,
    /// Without a fromlist: where the walk down has got to.
    current: String,
    /// With a fromlist: `module.name` per IMPORT_FROM.
    froms: Vec<String>,
}

/// Everything one pass finds.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub globals: Names,
    pub attributes: Names,
    pub imports: Names,
    pub stores: Names,
    pub references: Names,
    /// Names stored with STORE_GLOBAL (declared `global` here).
    pub global_stores: Names,
    pub opcodes: BTreeMap<&'static str, usize>,
    /// How each nested code object (by resolved node) is used.
    pub usages: HashMap<ObjId, Usage>,
    /// The `__qualname__` a class body stores (`LOAD_CONST 'A.B';
    /// STORE_NAME __qualname__`, 3.3+).
    pub stored_qualname: Option<String>,
    /// What the code object's local, cell and free variables are bound to
    /// at its end (imports, and what it inherited): nested code objects
    /// that read a cell of this one start from these.
    pub local_bindings: Bindings,
}

/// Bindings of names to the dotted names they were imported as
/// (`import subprocess as sp` binds `sp` to `subprocess`).
pub(crate) type Bindings = HashMap<String, String>;

const MAX_LOOKAHEAD: usize = 8;

fn name_of<'c>(ins: &DisOp<'c>) -> Option<&'c str> {
    match ins.argument {
        Argument::Name { name, .. } | Argument::Local(name) | Argument::Free(name) => Some(name),
        _ => None,
    }
}

/// The table entry an intrinsic or common-constant operand names, or `""`.
fn text_of(arg: &Argument<'_>) -> &'static str {
    match arg {
        Argument::Intrinsic(t) | Argument::CommonConstant(t) => t,
        _ => "",
    }
}

fn join(module: &str, name: &str) -> String {
    if module.is_empty() || module.ends_with('.') {
        format!("{module}{name}")
    } else {
        format!("{module}.{name}")
    }
}

/// The walk over one code object.
pub(crate) struct Walker<'x, 'm, 'a> {
    pub m: &'m Marshal<'a>,
    pub table: &'static OpcodeTable,
    pub classes: &'x OpClasses,
    /// Module-level bindings, shared by the whole file; the root code object
    /// adds to them.
    pub file_bindings: &'x mut Bindings,
    pub is_root: bool,
    /// Bindings of the free variables, from the enclosing code objects'
    /// cells (an `import` in an outer function that a closure reads).
    pub inherited: Bindings,
    /// The code object's cell and free variable names.
    pub closure_names: HashSet<&'x str>,
}

impl Walker<'_, '_, '_> {
    #[allow(clippy::too_many_lines)]
    pub(crate) fn run(&mut self, ins: &[DisOp<'_>]) -> Analysis {
        let mut a = Analysis::default();
        let mut local_bindings: Bindings = std::mem::take(&mut self.inherited);
        let mut tos: Option<Chain> = None;
        let mut import: Option<ImportCtx> = None;
        let mut build_class_pending = false;

        let mut counts = [0usize; 256];
        for (i, x) in ins.iter().enumerate() {
            counts[usize::from(x.base)] += 1;
            let op = self.classes.of(x);
            let import_related = matches!(
                op,
                Op::Transparent
                    | Op::ImportFrom
                    | Op::ImportStar
                    | Op::StoreName
                    | Op::StoreGlobal
                    | Op::StoreLocal
                    | Op::StoreLoadLocal
                    | Op::StoreLocalPair
                    | Op::LoadAttr
            ) || (op == Op::CallIntrinsic
                && text_of(&x.argument) == "INTRINSIC_IMPORT_STAR");
            if !import_related {
                flush_import(&mut a, &mut import);
            }
            match op {
                Op::Transparent => {}
                Op::LoadGlobal => {
                    end_chain(&mut a, &mut tos);
                    if let Some(n) = name_of(x) {
                        a.globals.add(n);
                        let bound = local_bindings.get(n).or_else(|| self.file_bindings.get(n));
                        tos = Some(match bound {
                            Some(b) => Chain { dotted: b.clone(), interesting: true },
                            None => Chain { dotted: n.to_owned(), interesting: false },
                        });
                    }
                }
                Op::LoadLocal | Op::LoadFast | Op::LoadLocalPair => {
                    end_chain(&mut a, &mut tos);
                    // The second of a pair ends on top of the stack.
                    let name = match x.argument {
                        Argument::LocalPair(Ok(_), Ok(second)) => Some(second),
                        _ => name_of(x),
                    };
                    let cell = op == Op::LoadFast && name.is_some_and(|n| self.closure_names.contains(n));
                    tos = name.filter(|_| !cell).and_then(|n| self.local_chain(n, &local_bindings));
                }
                Op::LoadAttr => {
                    if let Some(n) = name_of(x) {
                        a.attributes.add(n);
                        if let Some(ch) = &mut tos {
                            ch.dotted = join(&ch.dotted, n);
                            ch.interesting = true;
                        }
                    } else {
                        tos = None;
                    }
                }
                Op::SuperAttr => {
                    end_chain(&mut a, &mut tos);
                    if let Some(n) = name_of(x) {
                        a.attributes.add(n);
                    }
                }
                Op::StoreAttr => {
                    if let Some(n) = name_of(x) {
                        a.attributes.add(n);
                        if let Some(ch) = tos.take() {
                            a.references.add(&join(&ch.dotted, n));
                        }
                    }
                    tos = None;
                }
                Op::StoreLoadLocal | Op::StoreLocalPair => {
                    // The first name takes the value as a STORE_FAST does;
                    // then a load of the second (STORE_FAST_LOAD_FAST) or
                    // a store of what was below (which nothing tracks).
                    if let Argument::LocalPair(Ok(first), Ok(second)) = x.argument {
                        let value = tos.take();
                        if let Some(ch) = value {
                            if ch.interesting {
                                a.references.add(&ch.dotted);
                            }
                            local_bindings.insert(first.to_owned(), ch.dotted);
                        }
                        if op == Op::StoreLoadLocal {
                            tos = self.local_chain(second, &local_bindings);
                        }
                    } else {
                        tos = None;
                    }
                }
                Op::StoreName | Op::StoreGlobal | Op::StoreLocal => {
                    let value = tos.take();
                    if let Some(n) = name_of(x) {
                        if op != Op::StoreLocal {
                            a.stores.add(n);
                        }
                        if op == Op::StoreName
                            && n == "__qualname__"
                            && a.stored_qualname.is_none()
                            && let Some(p) = i.checked_sub(1).and_then(|j| ins.get(j))
                            && self.classes.of(p) == Op::LoadConst
                            && let Argument::Const(id) = p.argument
                            && let Value::Str { .. } = self.m.get(id)
                        {
                            a.stored_qualname = self.m.name_lossy(id);
                        }
                        if op == Op::StoreGlobal {
                            a.global_stores.add(n);
                        }
                        if let Some(ch) = value {
                            if ch.interesting {
                                a.references.add(&ch.dotted);
                            }
                            // Locals and cells are read back only through
                            // their bindings (`import os` in a function binds
                            // `os` to `os`); names read as globals resolve to
                            // themselves without one.
                            if op == Op::StoreLocal || ch.dotted != n {
                                let global = op == Op::StoreGlobal || (op == Op::StoreName && self.is_root);
                                let map = if global { &mut *self.file_bindings } else { &mut local_bindings };
                                map.insert(n.to_owned(), ch.dotted);
                            }
                        }
                    }
                }
                Op::DeleteName => {
                    end_chain(&mut a, &mut tos);
                    if let Some(n) = name_of(x) {
                        a.stores.add(n);
                    }
                }
                Op::ImportName => {
                    end_chain(&mut a, &mut tos);
                    flush_import(&mut a, &mut import);
                    if let Some(n) = name_of(x) {
                        let (level, fromlist) = self.import_args(ins, i);
                        let level = usize::try_from(level.clamp(0, 64)).unwrap_or(0);
                        let module = format!("{}{n}", ".".repeat(level));
                        let fromlist = fromlist || level > 0;
                        let value = if fromlist {
                            module.clone()
                        } else {
                            n.split('.').next().unwrap_or(n).to_owned()
                        };
                        tos = Some(Chain { dotted: value.clone(), interesting: false });
                        import = Some(ImportCtx { module, fromlist, current: value, froms: Vec::new() });
                    }
                }
                Op::ImportFrom => {
                    end_chain(&mut a, &mut tos);
                    if let Some(n) = name_of(x) {
                        match &mut import {
                            Some(ctx) if ctx.fromlist => {
                                let entry = join(&ctx.module, n);
                                ctx.froms.push(entry.clone());
                                tos = Some(Chain { dotted: entry, interesting: false });
                            }
                            Some(ctx) => {
                                ctx.current = join(&ctx.current, n);
                                tos = Some(Chain { dotted: ctx.current.clone(), interesting: false });
                            }
                            None => a.imports.add(n),
                        }
                    }
                }
                Op::ImportStar => {
                    tos = None;
                    if let Some(ctx) = &mut import {
                        ctx.froms.push(join(&ctx.module, "*"));
                    }
                }
                Op::CallIntrinsic if text_of(&x.argument) == "INTRINSIC_IMPORT_STAR" => {
                    tos = None;
                    if let Some(ctx) = &mut import {
                        ctx.froms.push(join(&ctx.module, "*"));
                    }
                }
                Op::LoadConst => {
                    end_chain(&mut a, &mut tos);
                    if let Argument::Const(id) = x.argument
                        && self.m.code(id).is_some()
                    {
                        let mut usage = self.usage_at(ins, i);
                        if build_class_pending {
                            usage.class_body = true;
                            build_class_pending = false;
                        }
                        a.usages.entry(self.m.resolve(id)).or_insert(usage);
                    }
                }
                Op::LoadBuildClass => {
                    end_chain(&mut a, &mut tos);
                    build_class_pending = true;
                }
                _ => end_chain(&mut a, &mut tos),
            }
        }
        end_chain(&mut a, &mut tos);
        flush_import(&mut a, &mut import);
        for (op, &n) in counts.iter().enumerate() {
            if n > 0 {
                *a.opcodes.entry(self.table.op(op as u8).name).or_insert(0) += n;
            }
        }
        a.local_bindings = local_bindings;
        a
    }

    /// The dotted name a local, cell or free variable `n` holds, if known;
    /// worth reporting on its own (as a global would not be) only when an
    /// import renamed it.
    fn local_chain(&self, n: &str, local_bindings: &Bindings) -> Option<Chain> {
        let bound = if self.is_root { self.file_bindings.get(n) } else { local_bindings.get(n) };
        bound.map(|b| Chain { dotted: b.clone(), interesting: b != n })
    }

    /// The level and whether a fromlist was given, from the two constants
    /// pushed before IMPORT_NAME (`LOAD_CONST level; LOAD_CONST fromlist`).
    fn import_args(&self, ins: &[DisOp<'_>], i: usize) -> (i64, bool) {
        let prev = |k: usize| i.checked_sub(k).and_then(|j| ins.get(j));
        let level = match prev(2) {
            Some(p) => match (self.classes.of(p), &p.argument) {
                (Op::LoadConst, Argument::Const(id)) => self.m.int(*id).unwrap_or(0),
                (Op::LoadSmallInt, _) => p.arg.unwrap_or(0),
                _ => 0,
            },
            None => 0,
        };
        let fromlist = match prev(1) {
            Some(p) => match (self.classes.of(p), &p.argument) {
                (Op::LoadConst, Argument::Const(id)) => !matches!(self.m.get(*id), Value::None),
                (Op::LoadCommonConstant, _) => text_of(&p.argument) != "None",
                _ => true,
            },
            None => false,
        };
        (level, fromlist)
    }

    /// How the code object loaded by `ins[i]` (a LOAD_CONST) is used.
    fn usage_at(&self, ins: &[DisOp<'_>], i: usize) -> Usage {
        let mut usage = Usage::default();
        // The next instructions, EXTENDED_ARG prefixes skipped.
        let next: Vec<(Op, &DisOp<'_>)> = ins[i + 1..]
            .iter()
            .filter(|x| x.base != self.table.extended_arg)
            .take(MAX_LOOKAHEAD)
            .map(|x| (self.classes.of(x), x))
            .collect();
        let ops: Vec<Op> = next.iter().map(|(o, _)| *o).collect();
        // 2.x: LOAD_CONST code; MAKE_FUNCTION/MAKE_CLOSURE; CALL_FUNCTION 0; BUILD_CLASS.
        if ops.starts_with(&[Op::MakeFunction, Op::CallFunction, Op::BuildClass]) {
            usage.class_body = true;
        }
        // 3.3-3.10: LOAD_CONST code; LOAD_CONST 'qualname'; MAKE_FUNCTION/MAKE_CLOSURE.
        if ops.starts_with(&[Op::LoadConst, Op::MakeFunction])
            && let Argument::Const(id) = next[0].1.argument
            && let Value::Str { .. } = self.m.get(id)
        {
            usage.make_function_qualname = self.m.name_lossy(id);
        }
        // 3.12+: the function goes straight into a typing intrinsic.
        for (op, x) in &next {
            match op {
                Op::MakeFunction | Op::SetFunctionAttribute | Op::BuildTuple | Op::Transparent => {}
                Op::CallIntrinsic => {
                    usage.typing = match text_of(&x.argument) {
                        "INTRINSIC_TYPEALIAS" => Some(Kind::TypeAlias),
                        "INTRINSIC_TYPEVAR_WITH_BOUND" | "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS" => {
                            Some(Kind::TypevarBound)
                        }
                        "INTRINSIC_SET_TYPEPARAM_DEFAULT" => Some(Kind::TypeparamDefault),
                        _ => None,
                    };
                    break;
                }
                _ => break,
            }
        }
        usage
    }
}

fn end_chain(a: &mut Analysis, tos: &mut Option<Chain>) {
    if let Some(ch) = tos.take()
        && ch.interesting
    {
        a.references.add(&ch.dotted);
    }
}

fn flush_import(a: &mut Analysis, import: &mut Option<ImportCtx>) {
    if let Some(ctx) = import.take() {
        if ctx.froms.is_empty() {
            a.imports.add(&ctx.module);
        } else {
            for f in &ctx.froms {
                a.imports.add(f);
            }
        }
    }
}
