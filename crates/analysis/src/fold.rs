//! Constants the peephole optimizer folded after the compiler had counted the stack (≤3.9):
//! the final bytecode loads a tuple in one step where the compiler counted one push per
//! element.

use bytescope_marshal::{Marshal, ObjId, Value};
use bytescope_opcodes::{Action, Container, Place};

use crate::depth::{Graph, UNREACHED};
use crate::rules::{Fold, StackRules};

/// Nesting of constant tuples followed; deeper ones count as one element.
const MAX_NEST: usize = 32;

/// Instructions looked at after a tuple load to find what takes it.
const LOOKAHEAD: usize = 64;

/// The deepest the compiler's stack went while it built `id` element by element: `n` for a
/// flat tuple of `n`, more for nested ones (an element is built on top of the ones before).
fn peak(m: &Marshal<'_>, id: ObjId, nest: usize) -> i64 {
    let Some(items) = m.tuple(id).or_else(|| frozenset_items(m, id)) else { return 1 };
    if nest >= MAX_NEST {
        return 1;
    }
    let mut best = 1;
    for (i, &item) in items.iter().enumerate() {
        let at = i64::try_from(i).unwrap_or(i64::MAX);
        best = best.max(at.saturating_add(peak(m, item, nest + 1)));
    }
    best
}

fn frozenset_items<'m>(m: &'m Marshal<'_>, id: ObjId) -> Option<&'m [ObjId]> {
    match m.get(m.resolve(id)) {
        Value::FrozenSet(items) => Some(m.items(*items)),
        _ => None,
    }
}

fn is_folded_kind(m: &Marshal<'_>, id: ObjId, fold: Fold) -> bool {
    let resolved = m.resolve(id);
    match m.get(resolved) {
        Value::Tuple(items) => !items.is_empty(),
        Value::FrozenSet(items) => fold == Fold::AllTuples && m.version().major >= 3 && !items.is_empty(),
        _ => false,
    }
}

/// `(instruction, depth)` for every folded constant load, the depth being what the compiler
/// reached while it built the constant.
pub(crate) fn folded(
    g: &Graph<'_, '_>,
    rules: &StackRules,
    m: &Marshal<'_>,
    before: &[i64],
) -> Vec<(usize, i64)> {
    if rules.fold == Fold::None {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, op) in g.ops.iter().enumerate() {
        if before[i] == UNREACHED || g.sems[i].action != Action::Load(Place::Const) {
            continue;
        }
        let Some(id) = op.konst else { continue };
        if !is_folded_kind(m, id, rules.fold) {
            continue;
        }
        let counted = match rules.fold {
            Fold::AllTuples => !made_by_compiler(g, i),
            Fold::Defaults => taken_as_defaults(g, i),
            Fold::None => false,
        };
        if counted {
            let p = match rules.fold {
                // 3.7+: the AST optimizer had folded the elements already (one push each).
                Fold::Defaults => {
                    m.tuple(id).map_or(1, |items| i64::try_from(items.len()).unwrap_or(i64::MAX))
                }
                _ => peak(m, id, 0),
            };
            out.push((i, before[i].saturating_add(p)));
        }
    }
    out
}

/// Tuples the compiler writes as constants itself: names for IMPORT_NAME, keyword names for
/// CALL_FUNCTION_KW, keys for BUILD_CONST_KEY_MAP (the instruction right after the load,
/// EXTENDED_ARGs aside).
fn made_by_compiler(g: &Graph<'_, '_>, i: usize) -> bool {
    let Some(next) = g.sems.iter().skip(i + 1).find(|s| s.action != Action::ExtendedArg) else {
        return false;
    };
    matches!(
        next.action,
        Action::ImportName
            | Action::Call(bytescope_opcodes::CallKind::Kw)
            | Action::Build(Container::ConstKeyMap)
    )
}

/// Whether the tuple loaded at `i` is what a following MAKE_FUNCTION takes as its defaults
/// (the deepest of its operands, flag 1) or a BUILD_*_UNPACK operand.
fn taken_as_defaults(g: &Graph<'_, '_>, i: usize) -> bool {
    // Items above the tuple (0: it is on top), walking forward in straight-line code.
    let mut above: i64 = 0;
    for j in i + 1..g.ops.len().min(i + 1 + LOOKAHEAD) {
        if j != i + 1 && g.is_target[j] {
            return false;
        }
        let sem = &g.sems[j];
        let Some(stack) = sem.stack else { return false };
        let e = stack.eval(g.ops[j].oparg, false);
        if e.pops > above {
            // `j` takes the tuple, as its (pops - 1 - above)-th operand from the bottom.
            let from_bottom = e.pops - 1 - above;
            return match sem.action {
                Action::MakeFunction => from_bottom == 0 && g.ops[j].oparg & 1 != 0,
                Action::Build(Container::TupleUnpack | Container::ListUnpack | Container::SetUnpack) => true,
                _ => false,
            };
        }
        above = above - e.pops + e.pushes;
        if !sem.flow.falls_through() || sem.flow != bytescope_opcodes::Flow::Next {
            return false;
        }
    }
    false
}
