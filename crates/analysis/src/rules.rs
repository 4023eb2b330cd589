//! How each CPython version's compiler counts the stack: small per-version rule values, read
//! by the depth walk instead of version checks spread through it.

use bytescope_opcodes::Flow;
use bytescope_pyc::PythonVersion;

/// How the compiler walks its blocks to find the maximum depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// 2.7 and 3.0–3.6 `stackdepth_walk`: depth-first, recursive, a block skipped when it is on
    /// the current path or was reached before with at least this depth.
    Recursive,
    /// 3.7+ `stackdepth()`: a worklist; a block is walked again when reached with a larger
    /// depth.
    Worklist,
}

/// Constants the peephole optimizer folded after the depth was computed (≤3.9), so the
/// final bytecode loads in one step what the compiler counted as several pushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fold {
    /// No folding after the depth (3.10+).
    None,
    /// Tuples of constants built for MAKE_FUNCTION defaults and BUILD_*_UNPACK operands
    /// (3.7–3.9; the AST optimizer folds the others before the compiler counts).
    Defaults,
    /// Every tuple (and from 3.0 frozenset) constant but the ones the compiler makes itself
    /// (import name lists, keyword-name tuples, constant dict keys) (2.7, 3.0–3.6).
    AllTuples,
}

/// Where a NULL pushed with a callable goes (3.11+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullSlot {
    /// Below the callable (3.11–3.12: `NULL | f`).
    Below,
    /// Above it (3.13+: `f | NULL`).
    Above,
}

/// The stack-counting rules of one version.
#[derive(Clone, Copy, Debug)]
pub struct StackRules {
    /// The version.
    pub version: PythonVersion,
    /// How blocks are walked.
    pub walk: Walk,
    /// Flows after which the walk does not go on to the next instruction. Before 3.7 only
    /// unconditional jumps end it (code after a return is walked at the return's depth).
    pub stops: &'static [Flow],
    /// Whether CONTINUE_LOOP's target is followed (not in 3.7: "the target should be
    /// already proceeding").
    pub follow_continue: bool,
    /// The depth generators and coroutines start at: 1 in 3.10–3.12 (GEN_START or
    /// RETURN_GENERATOR + POP_TOP take it off), else 0.
    pub generator_entry: u32,
    /// Code flags that make a code object start at [`StackRules::generator_entry`].
    pub generator_flags: u32,
    /// The smallest `co_stacksize` the code object constructor stores (1 from 3.13).
    pub minimum: u32,
    /// Handlers come from the exception table (3.11+); before, from SETUP_* jumps.
    pub exception_table: bool,
    /// 3.11+: handlers and cleanup blocks whose table entries the compiler dropped after
    /// counting them (an empty `try` body) are counted from the entry that covers them, or
    /// back from the live code they flow into.
    pub dead_handlers: bool,
    /// 3.0–3.10: entering an exception handler pushes an `EXCEPT_HANDLER` block, which
    /// `POP_EXCEPT` (and `END_FINALLY`/`POP_FINALLY` on their way out) pop again; 2.7 pushes
    /// none. Read by the control-flow graph's block-stack simulation.
    pub handler_block: bool,
    /// Constants folded after the depth was computed.
    pub fold: Fold,
    /// The compiler leaves unreachable code in `co_code` (≤3.9: the jump after a `break`,
    /// `continue` or `return` in a loop or handler, a `while True` loop's `else`, cleanup
    /// after a `return` in `try`); from 3.10 it removes every block no path reaches, so
    /// unreachable code is something the checks report.
    pub dead_code: bool,
    /// Where NULL goes next to a callable (3.11+).
    pub null_slot: Option<NullSlot>,
    /// COMPARE_OP's operator is `cmp_op[oparg >> compare_shift]`.
    pub compare_shift: u8,
}

impl StackRules {
    /// Whether the computed `co_stacksize` is the compiler's exactly (3.7+, on every code
    /// object of the standard libraries); before, the peephole optimiser folded constants
    /// after the compiler counted, so the count is approximate.
    #[must_use]
    pub fn stacksize_exact(&self) -> bool {
        self.fold != Fold::AllTuples
    }

    /// The rules of `v`.
    #[must_use]
    pub fn for_version(v: PythonVersion) -> StackRules {
        use PythonVersion as V;
        const OLD: &[Flow] = &[Flow::Jump];
        const NEW: &[Flow] =
            &[Flow::Jump, Flow::Return, Flow::Raise, Flow::Reraise, Flow::Break, Flow::Continue];
        StackRules {
            version: v,
            walk: if v >= V::PY37 { Walk::Worklist } else { Walk::Recursive },
            stops: if v >= V::PY37 { NEW } else { OLD },
            follow_continue: v != V::PY37,
            generator_entry: u32::from(v >= V::PY310 && v < V::PY313),
            // CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
            generator_flags: 0x20 | 0x80 | 0x200,
            minimum: u32::from(v >= V::PY313),
            exception_table: v >= V::PY311,
            dead_handlers: v >= V::PY311,
            handler_block: v.major >= 3 && v < V::PY311,
            fold: match v {
                _ if v >= V::PY310 => Fold::None,
                _ if v >= V::PY37 => Fold::Defaults,
                _ => Fold::AllTuples,
            },
            dead_code: v < V::PY310,
            null_slot: match v {
                _ if v >= V::PY313 => Some(NullSlot::Above),
                _ if v >= V::PY311 => Some(NullSlot::Below),
                _ => None,
            },
            compare_shift: match v {
                _ if v >= V::PY313 => 5,
                _ if v >= V::PY312 => 4,
                _ => 0,
            },
        }
    }

    /// Whether the walk ends after an instruction with this flow.
    #[must_use]
    pub fn stops(&self, flow: Flow) -> bool {
        !flow.falls_through() && self.stops.contains(&flow)
    }
}
