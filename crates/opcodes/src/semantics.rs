//! What each opcode does: its role and its stack effect, generated per version.
//!
//! The data comes from `tools/data/opcodes/semantics.txt` (transcribed from each version's
//! `ceval.c`/`compile.c`/`bytecodes.c`) merged with what the interpreters expose
//! (`dis.stack_effect`, the 3.13 opcode metadata header) by `tools/gen_opcodes.py`; every
//! table's [`OpcodeTable::semantics_source`](crate::OpcodeTable::semantics_source) says which
//! column came from where. It lives apart from [`OpInfo`](crate::OpInfo), which decoders read
//! for every instruction, so the hot table keeps its size.

/// Where a load, store or delete goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Place {
    /// `co_consts[arg]` (LOAD_CONST).
    Const,
    /// The argument itself (LOAD_SMALL_INT, 3.14+).
    SmallInt,
    /// One of the interpreter's common constants (LOAD_COMMON_CONSTANT, 3.14+).
    CommonConst,
    /// A fast local (LOAD_FAST and its variants, STORE_FAST, DELETE_FAST).
    Local,
    /// Two fast locals in one argument (LOAD_FAST_LOAD_FAST, STORE_FAST_STORE_FAST, 3.13+).
    LocalPair,
    /// A name looked up locals → globals → builtins (LOAD_NAME, STORE_NAME).
    Name,
    /// A global (LOAD_GLOBAL, STORE_GLOBAL).
    Global,
    /// A name looked up in a mapping on the stack, then globals (LOAD_FROM_DICT_OR_GLOBALS).
    DictOrGlobal,
    /// A cell or free variable (LOAD_DEREF, LOAD_CLASSDEREF, STORE_DEREF).
    Free,
    /// A free variable looked up in a mapping on the stack first (LOAD_FROM_DICT_OR_DEREF).
    DictOrFree,
    /// The cell object itself (LOAD_CLOSURE).
    Closure,
    /// An attribute (LOAD_ATTR, STORE_ATTR, DELETE_ATTR).
    Attr,
    /// A method, pushed with `self` or NULL (LOAD_METHOD, 3.7–3.11).
    Method,
    /// An attribute of `super()` (LOAD_SUPER_ATTR, 3.12+).
    SuperAttr,
    /// A special method (LOAD_SPECIAL, 3.14+).
    Special,
    /// The locals mapping (LOAD_LOCALS, STORE_LOCALS).
    Locals,
    /// `builtins.__build_class__` (LOAD_BUILD_CLASS).
    BuildClass,
    /// `AssertionError` (LOAD_ASSERTION_ERROR).
    AssertionError,
    /// A subscript (BINARY_SUBSCR, STORE_SUBSCR, DELETE_SUBSCR).
    Subscr,
    /// A slice (BINARY_SLICE, STORE_SLICE, 2.7's SLICE+N family).
    Slice,
    /// A dict item (STORE_MAP, ≤3.4).
    Map,
    /// An annotation (STORE_ANNOTATION, 3.6).
    Annotation,
}

/// The kind of value a BUILD_* opcode makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Container {
    /// `(a, b)`.
    Tuple,
    /// `[a, b]`.
    List,
    /// `{a, b}`.
    Set,
    /// `{k: v}` from `oparg` pairs.
    Map,
    /// An empty dict pre-sized by the argument (BUILD_MAP ≤3.4).
    MapSized,
    /// `{k: v}` with the keys in one constant tuple.
    ConstKeyMap,
    /// An f-string's pieces joined.
    String,
    /// `a:b` or `a:b:c`.
    Slice,
    /// `(*a, *b)` (BUILD_*_UNPACK, 3.5–3.8).
    TupleUnpack,
    /// `[*a, *b]`.
    ListUnpack,
    /// `{*a, *b}`.
    SetUnpack,
    /// `{**a, **b}`.
    MapUnpack,
    /// A t-string interpolation (3.14+).
    Interpolation,
    /// A t-string template (3.14+).
    Template,
    /// A class (BUILD_CLASS, 2.x).
    Class,
    /// `tuple(list)` (LIST_TO_TUPLE, 3.9–3.11).
    TupleFromList,
    /// A dict (DICT_UPDATE, DICT_MERGE targets).
    Dict,
    /// `**kwargs` merged for a call (DICT_MERGE).
    DictMerge,
}

/// How a call opcode takes its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// `oparg` positional arguments above the callable (and `self`/NULL from 3.11).
    Positional,
    /// 2.x–3.5 CALL_FUNCTION: low byte positional, high byte keyword pairs.
    Legacy,
    /// 2.x–3.5 CALL_FUNCTION_VAR (plus `*args`).
    LegacyVar,
    /// 2.x–3.5 CALL_FUNCTION_KW (plus `**kwargs`).
    LegacyKw,
    /// 2.x–3.5 CALL_FUNCTION_VAR_KW.
    LegacyVarKw,
    /// CALL_FUNCTION_KW (3.6–3.10): the keyword names in a tuple on top.
    Kw,
    /// CALL_KW (3.13+): the keyword names in a tuple on top, `self`/NULL below the callable.
    KwNames,
    /// CALL_FUNCTION_EX: `*args` tuple and optional `**kwargs` mapping.
    Ex,
    /// 3.11 PRECALL: the compiler counts the arguments as taken here.
    Precall,
    /// 3.11 CALL after PRECALL: takes the callable and `self`/NULL.
    AfterPrecall,
}

/// What a conditional jump tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// Jumps when false (and pops, except 3.0's JUMP_IF_FALSE).
    False,
    /// Jumps when true.
    True,
    /// Jumps when `None`.
    None,
    /// Jumps when not `None`.
    NotNone,
    /// Jumps (keeping the value) when false, else pops it.
    FalseOrPop,
    /// Jumps (keeping the value) when true, else pops it.
    TrueOrPop,
}

/// A pre-3.11 block-stack setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Block {
    /// SETUP_LOOP (≤3.7): the target is the loop's end (BREAK_LOOP goes there).
    Loop,
    /// SETUP_EXCEPT (≤3.7).
    Except,
    /// SETUP_FINALLY.
    Finally,
    /// SETUP_WITH.
    With,
    /// SETUP_ASYNC_WITH.
    AsyncWith,
}

/// What an opcode does, by kind (for analyses and renderers; the exact arithmetic is in
/// the stack effect).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Not known to bytescope (unused numbers, instrumented opcodes).
    Unknown,
    /// Something without a more specific role here.
    Other,
    /// Does nothing to the stack or the frame (NOP, RESUME, NOT_TAKEN, …).
    Nop,
    /// EXTENDED_ARG.
    ExtendedArg,
    /// SET_LINENO (1.5–2.2): records the current line number; `dis` starts a paragraph
    /// before it (these versions' `dis` has no line column).
    SetLineno,
    /// An inline cache entry (3.11+).
    Cache,
    /// Pops the top value.
    Pop,
    /// Rotates the top `n` values (ROT_TWO = 2; 0 = `oparg`, ROT_N).
    Rot(u8),
    /// Duplicates the top `n` values (DUP_TOP = 1, DUP_TOP_TWO = 2; 0 = `oparg`, DUP_TOPX).
    Dup(u8),
    /// Pushes a copy of the `oparg`-th value (COPY, 3.11+).
    Copy,
    /// Swaps the top with the `oparg`-th value (SWAP, 3.11+).
    Swap,
    /// Pushes NULL (3.11+).
    PushNull,
    /// Pushes a value read from somewhere.
    Load(Place),
    /// Pops a value into somewhere.
    Store(Place),
    /// Stores then loads (STORE_FAST_LOAD_FAST, 3.13+).
    StoreLoad(Place),
    /// Deletes something.
    Delete(Place),
    /// A unary operator, with its symbol (`"-"`, `"not"`, …).
    Unary(Symbol),
    /// A binary operator with its own opcode (≤3.10), with its symbol (`"+"`, `"+="`).
    Binary(Symbol),
    /// BINARY_OP (3.11+): the operator is `binary_ops[oparg]`.
    BinaryOp,
    /// COMPARE_OP.
    Compare,
    /// IS_OP (`is` / `is not` by oparg).
    Is,
    /// CONTAINS_OP (`in` / `not in` by oparg).
    Contains,
    /// Exception matching (CHECK_EXC_MATCH, CHECK_EG_MATCH, JUMP_IF_NOT_EXC_MATCH).
    ExcMatch,
    /// TO_BOOL (3.13+).
    ToBool,
    /// A call.
    Call(CallKind),
    /// CALL_INTRINSIC_1/2 (3.12+), ASYNC_GEN_WRAP (3.11).
    Intrinsic,
    /// KW_NAMES (3.11–3.12): keyword names for the next CALL.
    KwNames,
    /// Builds a value from `pops` values.
    Build(Container),
    /// Appends the top value(s) to a container deeper in the stack (LIST_APPEND, …).
    Append(Container),
    /// Extends a container deeper in the stack (LIST_EXTEND, DICT_MERGE, …).
    Extend(Container),
    /// UNPACK_SEQUENCE.
    Unpack,
    /// UNPACK_EX.
    UnpackEx,
    /// FORMAT_VALUE (3.6–3.12).
    FormatValue,
    /// FORMAT_SIMPLE (3.13+).
    FormatSimple,
    /// FORMAT_WITH_SPEC (3.13+).
    FormatWithSpec,
    /// CONVERT_VALUE (3.13+).
    Convert,
    /// MAKE_FUNCTION.
    MakeFunction,
    /// MAKE_CLOSURE (≤3.5).
    MakeClosure,
    /// SET_FUNCTION_ATTRIBUTE (3.13+).
    SetFunctionAttribute,
    /// MAKE_CELL (3.11+).
    MakeCell,
    /// COPY_FREE_VARS (3.11+).
    CopyFreeVars,
    /// SETUP_ANNOTATIONS.
    SetupAnnotations,
    /// IMPORT_NAME.
    ImportName,
    /// IMPORT_FROM.
    ImportFrom,
    /// IMPORT_STAR (≤3.11).
    ImportStar,
    /// EXEC_STMT (2.x).
    Exec,
    /// PRINT_EXPR and 2.x's PRINT_ITEM family.
    Print,
    /// GET_ITER, GET_YIELD_FROM_ITER.
    GetIter,
    /// FOR_ITER.
    ForIter,
    /// END_FOR (3.12+).
    EndFor,
    /// POP_ITER (3.14+).
    PopIter,
    /// GET_LEN (3.10+).
    GetLen,
    /// YIELD_VALUE.
    Yield,
    /// YIELD_FROM (3.3–3.10).
    YieldFrom,
    /// SEND (3.11+).
    Send,
    /// END_SEND (3.12+).
    EndSend,
    /// GET_AWAITABLE.
    Await,
    /// GET_AITER.
    AIter,
    /// GET_ANEXT.
    ANext,
    /// BEFORE_WITH, BEFORE_ASYNC_WITH.
    EnterWith,
    /// RETURN_GENERATOR (3.11+).
    ReturnGenerator,
    /// CLEANUP_THROW (3.12+).
    CleanupThrow,
    /// An unconditional jump (also BREAK_LOOP and CONTINUE_LOOP).
    Jump,
    /// A conditional jump.
    JumpIf(Condition),
    /// RETURN_VALUE, INTERPRETER_EXIT.
    Return,
    /// RETURN_CONST (3.12–3.13).
    ReturnConst,
    /// RAISE_VARARGS.
    Raise,
    /// RERAISE (3.9+).
    Reraise,
    /// A block-stack setup (≤3.10).
    Setup(Block),
    /// POP_BLOCK (≤3.10).
    PopBlock,
    /// POP_EXCEPT.
    PopExcept,
    /// PUSH_EXC_INFO (3.11+).
    PushExcInfo,
    /// WITH_CLEANUP, WITH_CLEANUP_START/FINISH, WITH_EXCEPT_START.
    WithCleanup,
    /// END_FINALLY (≤3.8).
    EndFinally,
    /// BEGIN_FINALLY (3.8).
    BeginFinally,
    /// CALL_FINALLY (3.8).
    CallFinally,
    /// POP_FINALLY (3.8).
    PopFinally,
    /// END_ASYNC_FOR (3.8+).
    EndAsyncFor,
    /// PREP_RERAISE_STAR (3.11).
    PrepReraiseStar,
    /// Pattern matching (MATCH_*, COPY_DICT_WITHOUT_KEYS).
    Match,
}

/// Where control goes after an opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flow {
    /// To the next instruction only.
    Next,
    /// To the jump target only.
    Jump,
    /// To the next instruction or the jump target.
    Branch,
    /// Leaves the frame (RETURN_VALUE, RETURN_CONST).
    Return,
    /// Raises (RAISE_VARARGS).
    Raise,
    /// Re-raises (RERAISE).
    Reraise,
    /// Pushes a block (≤3.10): falls through; the target is the block's handler or end.
    Setup,
    /// BREAK_LOOP (≤3.7): to the end of the innermost loop block (no argument).
    Break,
    /// CONTINUE_LOOP (≤3.7): to the loop's start, unwinding blocks.
    Continue,
    /// CALL_FINALLY (3.8): to the finally block, which returns to the next instruction.
    CallFinally,
    /// Falls through (or re-raises); the argument points back at a related instruction for
    /// tools, not a jump (END_ASYNC_FOR 3.14+, shown `from L`).
    Link,
}

impl Flow {
    /// Whether control can go on to the next instruction.
    #[must_use]
    pub const fn falls_through(self) -> bool {
        matches!(self, Flow::Next | Flow::Branch | Flow::Setup | Flow::CallFinally | Flow::Link)
    }

    /// Whether the argument's target is a place control can go to from here.
    #[must_use]
    pub const fn jumps(self) -> bool {
        matches!(self, Flow::Jump | Flow::Branch | Flow::Setup | Flow::Continue | Flow::CallFinally)
    }
}

/// How an opcode's argument is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operand {
    /// No argument.
    None,
    /// A number with no further meaning (counts, flags not listed below).
    Plain,
    /// `co_consts[arg]`.
    Const,
    /// `co_names[arg]`.
    Name,
    /// `co_names[arg >> 1]`; bit 0 also pushes NULL (LOAD_GLOBAL, 3.11+).
    NameNull,
    /// `co_names[arg >> 1]`; bit 0 makes it a method load (LOAD_ATTR, 3.12+).
    AttrMethod,
    /// `co_names[arg >> 2]`; bit 0 a method load, bit 1 a two-argument `super` (3.12+).
    SuperAttr,
    /// `co_names[arg >> 2]`; the low bits mark lazy/eager imports (IMPORT_NAME, 3.15+).
    ImportName,
    /// A local variable (`co_varnames`, or `localsplus` from 3.11).
    Local,
    /// Two locals, `arg >> 4` and `arg & 15` (3.13+).
    LocalPair,
    /// A cell or free variable.
    Free,
    /// A jump target (see [`JumpArg`]).
    Jump,
    /// A comparison operator (`cmp_op[arg >> shift]`, the shift by version).
    Compare,
    /// A binary operator (`binary_ops[arg]`, 3.11+).
    BinaryOp,
    /// A unary intrinsic (3.12+).
    Intrinsic1,
    /// A binary intrinsic (3.12+).
    Intrinsic2,
    /// FORMAT_VALUE's conversion and spec flag.
    FormatValue,
    /// CONVERT_VALUE's conversion.
    Convert,
    /// MAKE_FUNCTION / SET_FUNCTION_ATTRIBUTE flag bits (3.6+).
    FunctionFlags,
    /// A common constant (3.14+).
    CommonConst,
    /// A special method name (3.14+).
    SpecialMethod,
    /// IS_OP's `is not` bit.
    Is,
    /// CONTAINS_OP's `not in` bit.
    Contains,
    /// A call's count of positional arguments (low byte) and keyword pairs (next byte), ≤3.5
    /// (`opcode.hasnargs`).
    Nargs,
    /// MAKE_FUNCTION / MAKE_CLOSURE counts in 3.0–3.5: positional defaults (low byte),
    /// keyword-only default pairs (next byte), annotations (bits 16–30).
    FunctionCounts,
    /// The value itself (LOAD_SMALL_INT).
    SmallInt,
}

/// How a jump argument becomes a target offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JumpArg {
    /// An offset from the start of the code; otherwise relative to [`JumpArg::after_caches`].
    pub absolute: bool,
    /// A relative jump that goes back (3.11+: the direction is in the opcode).
    pub backward: bool,
    /// The argument counts code units (2 bytes, 3.10+), not bytes.
    pub units: bool,
    /// Relative jumps count from the end of the instruction's inline caches (3.12+), not from
    /// the next code unit.
    pub after_caches: bool,
}

impl JumpArg {
    /// The target offset in bytes of a jump at `offset`, `size` bytes long (with
    /// EXTENDED_ARGs), followed by `caches` cache units, with argument `arg`; saturating.
    #[must_use]
    pub fn target(self, offset: i64, size: i64, caches: i64, arg: i64) -> i64 {
        let unit = if self.units { 2 } else { 1 };
        if self.absolute {
            return arg.saturating_mul(unit);
        }
        // As `dis` computes it (the same saturation on crafted EXTENDED_ARG chains).
        let signed = if self.backward { arg.saturating_neg() } else { arg };
        let mut target = offset.saturating_add(size).saturating_add(signed.saturating_mul(unit));
        if self.after_caches {
            target = target.saturating_add(caches.saturating_mul(2));
        }
        target
    }
}

/// One term of a [`Count`], a function of the argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// `(oparg >> shift) & mask`.
    Field {
        /// Right shift.
        shift: u8,
        /// Mask after the shift.
        mask: u32,
    },
    /// The number of bits set in `oparg & mask`.
    Popcount {
        /// Mask.
        mask: u32,
    },
    /// 1 if `oparg == value`, else 0.
    Eq {
        /// The value.
        value: u32,
    },
    /// 1 if `oparg & mask != 0`, else 0.
    NonZero {
        /// Mask.
        mask: u32,
    },
}

impl Term {
    /// The term's value for `oparg` (an `int` in CPython: the low 32 bits are used).
    #[must_use]
    pub fn eval(self, oparg: u32) -> i64 {
        match self {
            Term::Field { shift, mask } => i64::from(oparg.checked_shr(u32::from(shift)).unwrap_or(0) & mask),
            Term::Popcount { mask } => i64::from((oparg & mask).count_ones()),
            Term::Eq { value } => i64::from(oparg == value),
            Term::NonZero { mask } => i64::from(oparg & mask != 0),
        }
    }
}

/// An operator's symbol (`"+"`, `"**="`, `"not"`: at most [`Symbol::MAX_LEN`] bytes), held
/// inline so that the semantics tables that name operators hold no pointer (see [`Count`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Symbol {
    len: u8,
    bytes: [u8; Symbol::MAX_LEN],
}

impl Symbol {
    /// The longest symbol, in bytes.
    pub const MAX_LEN: usize = 3;

    /// The symbol `text`.
    ///
    /// # Panics
    /// If `text` is longer than [`Symbol::MAX_LEN`] bytes (in a `const`, a compile error).
    #[must_use]
    pub const fn new(text: &str) -> Symbol {
        let b = text.as_bytes();
        assert!(b.len() <= Symbol::MAX_LEN, "an operator symbol has at most 3 bytes");
        let mut bytes = [0; Symbol::MAX_LEN];
        let mut i = 0;
        while i < b.len() {
            bytes[i] = b[i];
            i += 1;
        }
        Symbol { len: b.len() as u8, bytes }
    }

    /// The symbol's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Made from a `&str` by `new`, so always valid.
        self.bytes.get(..usize::from(self.len)).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most `(factor, term)` pairs a [`Count`] holds (`tools/gen_opcodes.py` checks every
/// table against it).
pub const MAX_TERMS: usize = 3;

/// The filler of a [`Count`]'s unused term slots (one value, so derived equality and hashing
/// see only the terms in use).
const NO_TERM: (i32, Term) = (0, Term::Eq { value: 0 });

/// A number of stack items as a function of the argument: `constant + Σ factor·term`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Count {
    /// The constant part.
    pub constant: i32,
    len: u8,
    // Inline rather than a `&'static` slice: with no pointer in them, the per-version
    // semantics tables (32 KB each) are plain read-only data, paged in only when read.
    // With a slice each table needed load-time relocations, so the loader wrote about
    // 1 MB of them on every start of every command.
    terms: [(i32, Term); MAX_TERMS],
}

impl Count {
    /// `constant + Σ factor·term` over `terms` (at most [`MAX_TERMS`]; the generated tables
    /// build their counts with this at compile time).
    ///
    /// # Panics
    /// With more than [`MAX_TERMS`] terms (in a `const`, a compile error).
    #[must_use]
    pub const fn new(constant: i32, terms: &[(i32, Term)]) -> Count {
        assert!(terms.len() <= MAX_TERMS, "a Count holds at most MAX_TERMS terms");
        let mut slots = [NO_TERM; MAX_TERMS];
        let mut i = 0;
        while i < terms.len() {
            slots[i] = terms[i];
            i += 1;
        }
        Count { constant, len: terms.len() as u8, terms: slots }
    }

    /// The `(factor, term)` pairs.
    #[must_use]
    pub fn terms(&self) -> &[(i32, Term)] {
        self.terms.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The count for `oparg` (saturating; crafted arguments give large counts, never a wrap).
    #[must_use]
    pub fn eval(&self, oparg: u32) -> i64 {
        self.terms().iter().fold(i64::from(self.constant), |acc, &(factor, term)| {
            acc.saturating_add(i64::from(factor).saturating_mul(term.eval(oparg)))
        })
    }

    /// Whether the count does not depend on the argument.
    #[must_use]
    pub const fn is_constant(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Count").field("constant", &self.constant).field("terms", &self.terms()).finish()
    }
}

/// Items popped and pushed by one execution of an opcode along one edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Effect {
    /// Items taken from the top of the stack.
    pub pops: i64,
    /// Items left on top afterwards.
    pub pushes: i64,
}

impl Effect {
    /// `pushes - pops`, what `dis.stack_effect` reports.
    #[must_use]
    pub const fn net(self) -> i64 {
        self.pushes.saturating_sub(self.pops)
    }
}

/// An opcode's stack effect: pops and pushes on the fall-through path and, where it
/// differs, on the jump (branch taken, or exception handler of a setup) path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackEffect {
    /// Popped on the fall-through path.
    pub pops: Count,
    /// Pushed on the fall-through path.
    pub pushes: Count,
    /// `(pops, pushes)` on the jump path, when it differs.
    pub jump: Option<(Count, Count)>,
}

impl StackEffect {
    /// The effect for `oparg` on the fall-through (`jump == false`) or jump path.
    #[must_use]
    pub fn eval(&self, oparg: u32, jump: bool) -> Effect {
        let (pops, pushes) = match self.jump {
            Some(j) if jump => j,
            _ => (self.pops, self.pushes),
        };
        Effect { pops: pops.eval(oparg), pushes: pushes.eval(oparg) }
    }

    /// What `dis.stack_effect(op, oparg, jump=None)` reports from 3.7: the larger net effect
    /// of the two paths.
    #[must_use]
    pub fn max_net(&self, oparg: u32) -> i64 {
        self.eval(oparg, false).net().max(self.eval(oparg, true).net())
    }
}

/// Everything known about what one opcode does in one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Semantics {
    /// What it does.
    pub action: Action,
    /// Where control goes next.
    pub flow: Flow,
    /// How the argument is read.
    pub operand: Operand,
    /// For jumps (`hasjrel`/`hasjabs`/`hasjump`), how the argument gives the target.
    pub jump: Option<JumpArg>,
    /// Pops and pushes; `None` where the version's `dis.stack_effect` has no value either
    /// (unused numbers, instrumented opcodes).
    pub stack: Option<StackEffect>,
}

impl Semantics {
    /// The semantics of an unused byte.
    pub const UNKNOWN: Semantics = Semantics {
        action: Action::Unknown,
        flow: Flow::Next,
        operand: Operand::None,
        jump: None,
        stack: None,
    };

    /// Whether the opcode ends a basic block: nothing falls through to the next instruction.
    #[must_use]
    pub const fn is_terminator(&self) -> bool {
        !self.flow.falls_through()
    }
}
