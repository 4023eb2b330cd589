//! `bytescope stack`: each instruction's stack depth and symbolic stack.

use std::fmt::Write as _;
use std::process::ExitCode;

use bytescope_analysis::{DEFAULT_SLOT_WIDTH, StackAnalyzer, StackDepths, StackRecord, StackRow};
use bytescope_code::Code;
use bytescope_dis::Disassembler;
use bytescope_marshal::Storage;

use crate::commands::cfg::{code_objects_named, select};
use crate::output::{Format, InputArgs, for_each_file};
use crate::records;
use crate::select::SelectArgs;

/// The stack at every instruction: depth before → after, and what each slot holds
///
/// For every code object (module first, then nested ones in pre-order), a heading with its
/// qualified name, first line, the co_stacksize the file declares and the one bytescope
/// computes as that CPython version's compiler does (they differ only for hand-edited or
/// crafted code, or where the peephole optimizer of 2.7-3.9 folded constants; see
/// docs/analysis.md), then one line per instruction:
///
///   OFFSET  OPNAME       ARG  ARGREPR      BEFORE → AFTER  STACK (bottom | … | top)
///        4  LOAD_GLOBAL    1  NULL + math    1 → 3    0.5 | NULL | math
///
/// Each stack slot is shown as the short expression that produced it (a constant, a name,
/// `a.b`, `f(x)`, `a * b`, …), NULL where the version pushes one next to a callable, `?`
/// where paths disagree, cut with `…` past --width characters. Unreachable instructions
/// show `-`. Jumps and exception handlers are followed as the compiler counts them (3.11+:
/// the exception table's depth, plus `lasti` when set, plus the exception; before: the
/// SETUP_* block handlers).
///
/// --json prints one JSON object per code object and line (JSON Lines): path, member, qualname,
/// firstlineno, co_stacksize, computed_stacksize, instructions (offset, opname, arg,
/// argrepr, depth_before, depth_after, stack) and problems (offset, kind: bad_jump_target,
/// bad_handler, unknown_opcode, falls_off_end, underflow, walk_limit).
///
/// FILE::QUALNAME (or --function QUALNAME) picks that code object and those nested in it.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Print JSON Lines (one object per code object) instead of text.
    #[arg(long)]
    json: bool,

    /// Only each code object's heading (text) or record without "instructions" (JSON):
    /// declared and computed co_stacksize and problems, without the symbolic stack.
    #[arg(long)]
    summary: bool,

    /// Widest a stack slot is shown, in characters (longer ones end in `…`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SLOT_WIDTH)]
    width: usize,
}

/// Runs `bytescope stack`; each JSON record is `StackRecord`, with `path` and
/// `member` put first by `records::per_file`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let width = args.width.max(2);
    let format = if args.json { Format::Json } else { Format::Text };
    let (input, selections) = args.select.split(&args.input);
    for_each_file(&input, format, |source, data, out, ctx| {
        let pyc = args.input.load(source, data, Storage::default(), ctx)?;
        let analyzer = StackAnalyzer::for_marshal(&pyc.marshal).map_err(|e| e.to_string())?;
        let dis = Disassembler::for_pyc(&pyc).map_err(|e| e.to_string())?;
        let m = &pyc.marshal;
        let codes = code_objects_named(m)?;
        let codes = select(m, codes, selections.for_source(source).as_ref())?;
        let mut text = String::new();
        for a in &codes {
            let (code, qualname) = (&a.code, &a.qualname);
            let (rows, depths) =
                if args.summary { (Vec::new(), analyzer.depths(code)) } else { analyzer.rows(code, width) };
            let reprs =
                if args.summary { Vec::new() } else { bytescope_analysis::argreprs(&dis, code, &rows) };
            if args.json {
                let rows = (!args.summary).then_some((rows.as_slice(), reprs.as_slice()));
                let record = StackRecord::new(qualname, code.firstlineno(), code.stacksize(), &depths, rows);
                let object = serde_json::to_string(&record).map_err(|e| e.to_string())?;
                records::per_file(out, source, &object);
            } else {
                write_text(&mut text, code, qualname, &rows, &reprs, &depths);
                out.extend_from_slice(text.as_bytes());
                text.clear();
            }
        }
        Ok(())
    })
}

/// Each row's argument text as `dis` shows it (empty where `dis` could not show it).
/// Widest argument text column (longer ones are cut with `…`).
const ARGREPR_WIDTH: usize = 24;

fn write_text(
    out: &mut String,
    code: &Code<'_, '_>,
    qualname: &str,
    rows: &[StackRow],
    reprs: &[String],
    depths: &StackDepths,
) {
    let declared = code.stacksize();
    let _ = write!(out, "{qualname} (line {}): co_stacksize {declared}", code.firstlineno());
    if i64::from(depths.stacksize) == i64::from(declared) {
        out.push_str(", computed the same\n");
    } else {
        let _ = writeln!(out, ", computed {}", depths.stacksize);
    }
    for p in &depths.problems {
        let _ = writeln!(out, "  problem at {}: {:?}", p.offset, p.kind);
    }
    if rows.is_empty() {
        return;
    }
    let name_w = rows.iter().map(|r| r.opname.len()).max().unwrap_or(0);
    let arg_w = rows.iter().map(|r| r.arg.map_or(0, |a| a.to_string().len())).max().unwrap_or(0);
    let repr_w = reprs.iter().map(|a| a.chars().count().min(ARGREPR_WIDTH)).max().unwrap_or(0);
    let off_w = rows.last().map_or(1, |r| r.offset.to_string().len()).max(4);
    for (r, a) in rows.iter().zip(reprs) {
        let arg = r.arg.map(|a| a.to_string()).unwrap_or_default();
        let a = cut(a, ARGREPR_WIDTH);
        let depth = match (r.depth_before, r.depth_after) {
            (Some(b), Some(f)) => format!("{b:>3} → {f:<3}"),
            _ => format!("{:>3}   {:<3}", "-", ""),
        };
        let line = format!(
            "  {:>off_w$}  {:<name_w$}  {arg:>arg_w$}  {a:<repr_w$}  {depth}  {}",
            r.offset,
            r.opname,
            joined(&r.stack),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
}

/// The slots bottom first, separated by ` | `; three or more equal neighbours (the slots
/// 2.7-3.10 reserve for exception blocks) shown once with `×N`.
fn joined(stack: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < stack.len() {
        let run = stack[i..].iter().take_while(|s| **s == stack[i]).count();
        if run >= 3 {
            parts.push(format!("{} ×{run}", stack[i]));
        } else {
            parts.extend(stack[i..i + run].iter().cloned());
        }
        i += run;
    }
    parts.join(" | ")
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}
