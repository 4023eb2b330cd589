//! Instruction diffs: two code objects' instruction streams (possibly of different CPython
//! versions) aligned by an LCS diff (Myers, from `similar`) on what each instruction does —
//! its name and resolved argument — not on where it is.

use std::fmt::Write as _;

use bytescope_code::Code;
use bytescope_opcodes::{Action, Operand};
use serde::Serialize;

use crate::StackAnalyzer;

/// What the comparison takes into account besides each instruction's name and resolved
/// argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Offsets, and jump targets as offsets (otherwise a jump compares by its name only).
    pub offsets: bool,
    /// The raw argument (operand indices), and EXTENDED_ARG prefixes.
    pub args: bool,
    /// Inline cache entries (3.11+), as `CACHE` lines.
    pub caches: bool,
    /// Line numbers.
    pub lines: bool,
}

/// One instruction as a diff compares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffInsn {
    /// Byte offset.
    pub offset: u32,
    /// Its line, if known.
    pub line: Option<i64>,
    /// The text compared (and shown): name and resolved argument, plus what
    /// [`DiffOptions`] adds.
    pub text: String,
}

/// One code object's instructions and loops, for a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffSide {
    /// The instructions compared.
    pub insns: Vec<DiffInsn>,
    /// Instructions of the code object (EXTENDED_ARG and caches left out).
    pub instructions: usize,
    /// Its natural loops: header offset, nesting depth and instructions per iteration.
    pub loops: Vec<LoopSummary>,
}

/// A loop, for a diff's summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LoopSummary {
    /// Offset of the loop header's first instruction.
    pub header: u32,
    /// Nesting depth (1: outermost).
    pub depth: u32,
    /// `(fewest, most)` instructions one iteration runs.
    pub per_iteration: Option<(u32, u32)>,
}

/// An aligned stretch of two instruction streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// The same in both.
    Equal,
    /// Only in the first.
    Delete,
    /// Only in the second.
    Insert,
}

/// `a[a_start..a_end]` and `b[b_start..b_end]`: equal, or only on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Op {
    /// What the stretch is.
    pub tag: Tag,
    /// First instruction index in the first stream.
    pub a_start: usize,
    /// Past the last in the first stream.
    pub a_end: usize,
    /// First instruction index in the second stream.
    pub b_start: usize,
    /// Past the last in the second stream.
    pub b_end: usize,
}

/// One code object of a diff's side: its qualified name relative to the
/// side's root (`""` for the root itself; nested ones are paired by it), its
/// full qualified name, and its instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffCode {
    /// The name relative to the root code object compared.
    pub rel: String,
    /// The qualified name.
    pub qualname: String,
    /// What is compared.
    pub side: DiffSide,
}

/// Two sides' code objects paired and aligned ([`compare`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// Pairs of indices into the two sides: the first side's code objects in
    /// order with the second's of the same relative name, then the second's
    /// others.
    pub pairs: Vec<(Option<usize>, Option<usize>)>,
    /// The alignment of each pair (a missing side counts as empty).
    pub ops: Vec<Vec<Op>>,
    /// Whether every pair is equal.
    pub same: bool,
}

/// Pairs the code objects of `a` and `b` by relative name and aligns each
/// pair ([`align`]).
#[must_use]
pub fn compare(a: &[DiffCode], b: &[DiffCode]) -> Comparison {
    let empty = DiffSide { insns: Vec::new(), instructions: 0, loops: Vec::new() };
    let mut used = vec![false; b.len()];
    let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::new();
    for (i, ca) in a.iter().enumerate() {
        let j = b.iter().enumerate().position(|(j, cb)| !used[j] && cb.rel == ca.rel);
        if let Some(j) = j {
            used[j] = true;
        }
        pairs.push((Some(i), j));
    }
    pairs.extend(used.iter().enumerate().filter(|(_, u)| !**u).map(|(j, _)| (None, Some(j))));
    let ops: Vec<Vec<Op>> = pairs
        .iter()
        .map(|&(i, j)| {
            let sa = i.map_or(&empty, |i| &a[i].side);
            let sb = j.map_or(&empty, |j| &b[j].side);
            align(&sa.insns, &sb.insns)
        })
        .collect();
    let same = ops.iter().all(|o| o.iter().all(|o| o.tag == Tag::Equal));
    Comparison { pairs, ops, same }
}

/// Most instructions compared per side: the Myers diff is `O((n + m) d)`, so two crafted
/// code objects with nothing in common cost `(n + m)²` steps (about 1.6·10⁹ at this
/// bound); longer ones are compared on their first instructions only. The largest code
/// object of the 3.12 standard library (a lib2to3 test module) has under 22,000 code units,
/// caches included.
pub const MAX_DIFF_INSNS: usize = 20_000;

impl StackAnalyzer {
    /// `code`'s instructions as a diff compares them, and its instruction count and loops.
    #[must_use]
    pub fn diff_side(&self, code: &Code<'_, '_>, opts: DiffOptions) -> DiffSide {
        let listing = self.dis.instructions(code).ok();
        let ops = crate::insn::decode(self.data, code);
        let analysis = self.analyze(code);
        let cfg = &analysis.cfg;
        let mut insns = Vec::new();
        // Every instruction counts in the summary, also past the comparison's cut.
        let count =
            ops.iter().filter(|op| self.table.semantics(op.opcode).action != Action::ExtendedArg).count();
        for (k, op) in ops.iter().enumerate() {
            if insns.len() >= MAX_DIFF_INSNS {
                break;
            }
            let sem = self.table.semantics(op.opcode);
            let shown = listing.as_ref().and_then(|l| l.get(k)).filter(|i| i.offset == op.offset);
            let line = shown.and_then(|i| i.line_number);
            if sem.action == Action::ExtendedArg {
                if opts.args {
                    insns.push(DiffInsn {
                        offset: op.offset,
                        line,
                        text: decorate(opts, op.offset, line, "EXTENDED_ARG", op.arg),
                    });
                }
                continue;
            }
            let name = self.table.op(op.opcode).name;
            let argrepr = shown.map_or("", |i| i.argrepr.as_str());
            let value = match sem.operand {
                Operand::Jump if opts.offsets => {
                    crate::insn::target(op).map(|t| format!("to {t}")).unwrap_or_default()
                }
                Operand::Jump => String::new(),
                Operand::Const => const_text(argrepr, opts.lines),
                Operand::None => String::new(),
                _ if argrepr.is_empty() => op.arg.map(|a| a.to_string()).unwrap_or_default(),
                _ => argrepr.to_owned(),
            };
            let mut text = String::from(name);
            if !value.is_empty() {
                text.push(' ');
                text.push_str(&value);
            }
            let text = decorate(opts, op.offset, line, &text, op.arg);
            insns.push(DiffInsn { offset: op.offset, line, text });
            if opts.caches {
                let caches = shown.map_or(0, |i| i.cache_entries);
                for c in 0..u32::from(caches) {
                    let offset = op.offset.saturating_add(2 + 2 * c);
                    insns.push(DiffInsn { offset, line, text: decorate(opts, offset, line, "CACHE", None) });
                }
            }
        }
        let loops = cfg
            .loops
            .iter()
            .map(|l| LoopSummary {
                header: cfg.blocks.get(l.header as usize).map_or(0, |b| b.start),
                depth: l.depth,
                per_iteration: l.per_iteration,
            })
            .collect();
        DiffSide { insns, instructions: count, loops }
    }
}

/// `text` with the offset, line and raw argument when asked for.
fn decorate(opts: DiffOptions, offset: u32, line: Option<i64>, text: &str, arg: Option<i64>) -> String {
    let mut out = String::new();
    if opts.lines {
        match line {
            Some(l) => {
                let _ = write!(out, "{l:>4} ");
            }
            None => out.push_str("   - "),
        }
    }
    if opts.offsets {
        let _ = write!(out, "{offset:>5} ");
    }
    out.push_str(text);
    if opts.args
        && let Some(a) = arg
    {
        let _ = write!(out, " [{a}]");
    }
    out
}

/// A constant as compared: code objects by name (their address and file left out, and
/// their line unless lines count).
fn const_text(argrepr: &str, lines: bool) -> String {
    let Some(rest) = argrepr.strip_prefix("<code object ") else { return argrepr.to_owned() };
    let name = rest.split(" at ").next().unwrap_or(rest);
    match rest.rsplit_once(", line ").filter(|_| lines) {
        Some((_, line)) => format!("<code object {name}, line {}", line),
        None => format!("<code object {name}>"),
    }
}

/// Aligns `a` and `b` (Myers' diff on the instruction texts).
#[must_use]
pub fn align(a: &[DiffInsn], b: &[DiffInsn]) -> Vec<Op> {
    let ka: Vec<&str> = a.iter().map(|i| i.text.as_str()).collect();
    let kb: Vec<&str> = b.iter().map(|i| i.text.as_str()).collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &ka, &kb);
    let mut out: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops {
        let (tag, ar, br) = match op {
            similar::DiffOp::Equal { old_index, new_index, len } => {
                (Tag::Equal, old_index..old_index + len, new_index..new_index + len)
            }
            similar::DiffOp::Delete { old_index, old_len, new_index } => {
                (Tag::Delete, old_index..old_index + old_len, new_index..new_index)
            }
            similar::DiffOp::Insert { old_index, new_index, new_len } => {
                (Tag::Insert, old_index..old_index, new_index..new_index + new_len)
            }
            similar::DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                out.push(Op {
                    tag: Tag::Delete,
                    a_start: old_index,
                    a_end: old_index + old_len,
                    b_start: new_index,
                    b_end: new_index,
                });
                (Tag::Insert, old_index + old_len..old_index + old_len, new_index..new_index + new_len)
            }
        };
        out.push(Op { tag, a_start: ar.start, a_end: ar.end, b_start: br.start, b_end: br.end });
    }
    out
}

/// A unified diff of the aligned streams with `context` lines round each change (no
/// output when they are equal). Hunk headers count instructions, not lines of a file.
pub fn unified(a: &[DiffInsn], b: &[DiffInsn], ops: &[Op], context: usize, out: &mut String) {
    let changed: Vec<usize> =
        ops.iter().enumerate().filter(|(_, o)| o.tag != Tag::Equal).map(|(k, _)| k).collect();
    if changed.is_empty() {
        return;
    }
    // Hunks: runs of changes whose equal stretches between them are short.
    let mut k = 0;
    while k < changed.len() {
        let first = changed[k];
        let mut last = first;
        while k + 1 < changed.len() {
            let gap: usize = ops[last + 1..changed[k + 1]].iter().map(|o| o.a_end - o.a_start).sum();
            if gap > 2 * context {
                break;
            }
            k += 1;
            last = changed[k];
        }
        k += 1;
        let before = first.checked_sub(1).map(|p| &ops[p]).filter(|o| o.tag == Tag::Equal);
        let after = ops.get(last + 1).filter(|o| o.tag == Tag::Equal);
        let lead = before.map_or(0, |o| (o.a_end - o.a_start).min(context));
        let trail = after.map_or(0, |o| (o.a_end - o.a_start).min(context));
        let a_start = ops[first].a_start - lead;
        let b_start = ops[first].b_start - lead;
        let a_end = ops[last].a_end + trail;
        let b_end = ops[last].b_end + trail;
        let _ = writeln!(
            out,
            "@@ -{},{} +{},{} @@",
            a_start + usize::from(a_end > a_start),
            a_end - a_start,
            b_start + usize::from(b_end > b_start),
            b_end - b_start
        );
        for x in &a[a_start..ops[first].a_start] {
            let _ = writeln!(out, " {}", x.text);
        }
        for o in &ops[first..=last] {
            match o.tag {
                Tag::Equal => a[o.a_start..o.a_end].iter().for_each(|x| {
                    let _ = writeln!(out, " {}", x.text);
                }),
                Tag::Delete => a[o.a_start..o.a_end].iter().for_each(|x| {
                    let _ = writeln!(out, "-{}", x.text);
                }),
                Tag::Insert => b[o.b_start..o.b_end].iter().for_each(|x| {
                    let _ = writeln!(out, "+{}", x.text);
                }),
            }
        }
        for x in &a[ops[last].a_end..a_end] {
            let _ = writeln!(out, " {}", x.text);
        }
    }
}
