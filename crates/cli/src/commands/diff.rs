//! `bytescope diff`: two code objects' instructions, aligned.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bytescope_analysis::diff::{self, DiffCode, DiffOptions, DiffSide};
use bytescope_analysis::{DiffRecord, DiffSideRecord, StackAnalyzer};
use bytescope_pyc::PythonVersion;

use crate::commands::cfg::code_objects_named;

/// Compare the instructions of two files or functions, of any CPython versions
///
/// A and B are .pyc files, or FILE::QUALNAME for one code object and those nested in it
/// (pytest's spelling: `loops.pyc::manual`, `mod.pyc::C.method`; `C::method` also works).
/// Code objects are paired by qualified name relative to the ones compared (the nested
/// `<listcomp>` of one side has no partner when the other has none). Instructions are
/// aligned by Myers' diff and compared by name and resolved argument — constants by
/// value, names by name, jumps by kind only — so offsets, operand indices, EXTENDED_ARG,
/// inline caches and line numbers do not count unless asked for. A summary follows: per
/// code object, its instructions and, for each loop (natural loops of its control-flow
/// graph), the instructions one iteration runs.
///
///   bytescope diff loops.pyc::manual loops.pyc::comp
///
/// Exit status: 0 when the instructions are the same, 1 when they differ, 2 on an error.
/// --json prints one JSON object: a, b (path, qualname, version), pairs (a, b, ops with
/// tag/a_start/a_end/b_start/b_end, a_instructions, b_instructions, a_summary,
/// b_summary) — schema in docs/schemas/diff.schema.json.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The two sides: FILE or FILE::QUALNAME each.
    #[arg(value_name = "FILE", num_args = 2, required = true)]
    pub files: Vec<PathBuf>,

    /// Compare offsets too (and jumps by target offset).
    #[arg(long)]
    offsets: bool,

    /// Compare raw arguments (operand indices) and EXTENDED_ARG prefixes too.
    #[arg(long)]
    args: bool,

    /// Compare inline cache entries too (3.11+).
    #[arg(long)]
    caches: bool,

    /// Compare line numbers too.
    #[arg(long)]
    lines: bool,

    /// Instructions of context round each change.
    #[arg(short = 'U', long, value_name = "N", default_value_t = 3)]
    context: usize,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,

    /// Read input with no valid .pyc header as this CPython version once the data passes
    /// that version's checks (without it, the version is detected and named on stderr).
    #[arg(long, value_name = "X.Y")]
    python_version: Option<PythonVersion>,

    /// Read headerless input as --python-version even when it fails that version's checks,
    /// or as the closest detected version.
    #[arg(long)]
    force: bool,

    /// Largest file read.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = bytescope_batch::parse_size)]
    max_file_size: u64,
}

/// One side of the comparison, loaded.
struct Loaded {
    shown: String,
    path: PathBuf,
    qualname: Option<String>,
    version: PythonVersion,
    /// Code objects compared.
    codes: Vec<DiffCode>,
}

/// Splits `FILE::QUALNAME` (unless the whole argument names a file).
fn split(arg: &Path) -> (PathBuf, Option<String>) {
    if arg.exists() {
        return (arg.to_path_buf(), None);
    }
    match arg.to_str().and_then(|s| s.split_once("::")) {
        Some((file, name)) if !name.is_empty() => (PathBuf::from(file), Some(name.replace("::", "."))),
        _ => (arg.to_path_buf(), None),
    }
}

/// The bytes of the one file `path` names: a file, standard input, or one member of an
/// archive or frozen application (`ARCHIVE:MEMBER`, `app.exe:module`), read as every
/// command reads its inputs (size limits, member names).
fn read_one(path: &Path, args: &Args, shown: &str) -> Result<Vec<u8>, String> {
    let opts = bytescope_batch::Options {
        jobs: 1,
        on_caller: false,
        limits: bytescope_batch::Limits { max_file_size: args.max_file_size, ..Default::default() },
        ..Default::default()
    };
    let mut items: Vec<(bytescope_batch::Source, Result<Vec<u8>, String>)> = Vec::new();
    bytescope_batch::run(
        &[path.to_path_buf()],
        &opts,
        |_, data| data.to_vec(),
        |source, r| {
            items.push((source, r.map_err(|e| e.to_string())));
            if items.len() > 1 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        },
    )
    .map_err(|e| format!("{shown}: {e}"))?;
    match items.len() {
        0 => Err(format!("{shown}: no .pyc in it")),
        1 => items.pop().map_or_else(
            || Err(format!("{shown}: no .pyc in it")),
            |(_, r)| r.map_err(|e| format!("{shown}: {e}")),
        ),
        _ => Err(format!(
            "{shown}: names several files (a directory or an archive): name one file, or one member as ARCHIVE:MEMBER (e.g. app.exe:module)"
        )),
    }
}

fn load(arg: &Path, args: &Args, opts: DiffOptions) -> Result<Loaded, String> {
    let (path, qualname) = split(arg);
    let shown = crate::text::path(&path);
    let data = read_one(&path, args, &shown)?;
    let limits = bytescope_detect::Limits::default();
    let resolved =
        bytescope_detect::resolve(&data, args.python_version, args.force, &limits, Default::default())
            .map_err(|e| format!("{shown}: {e}"))?;
    if let Some(note) = resolved.origin.note() {
        crate::text::stderr_line(&format!("bytescope: {shown}: {}", crate::text::message(&note)));
    }
    let pyc = resolved.pyc;
    let analyzer = StackAnalyzer::for_marshal(&pyc.marshal).map_err(|e| format!("{shown}: {e}"))?;
    let all = code_objects_named(&pyc.marshal).map_err(|e| format!("{shown}: {e}"))?;
    let root = match &qualname {
        Some(q) => q.clone(),
        None => all.first().map(|a| a.qualname.clone()).unwrap_or_default(),
    };
    let prefix = format!("{root}.");
    let mut codes = Vec::new();
    for (k, a) in all.iter().enumerate() {
        let rel = if a.qualname == root && (qualname.is_some() || k == 0) {
            String::new()
        } else if qualname.is_none() {
            a.qualname.clone()
        } else if let Some(r) = a.qualname.strip_prefix(&prefix) {
            r.to_owned()
        } else {
            continue;
        };
        // The first code object of that name is the one compared (a redefinition's later
        // copies count as nested ones of their own names).
        if rel.is_empty() && codes.iter().any(|c: &DiffCode| c.rel.is_empty()) {
            continue;
        }
        codes.push(DiffCode { rel, qualname: a.qualname.clone(), side: analyzer.diff_side(&a.code, opts) });
    }
    if !codes.iter().any(|c| c.rel.is_empty()) {
        return Err(format!("{shown}: no code object named {}", crate::text::message(&root)));
    }
    Ok(Loaded { shown, path, qualname, version: pyc.version(), codes })
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let opts = DiffOptions { offsets: args.offsets, args: args.args, caches: args.caches, lines: args.lines };
    let sides = (load(&args.files[0], args, opts), load(&args.files[1], args, opts));
    let (a, b) = match sides {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            crate::text::stderr_line(&format!("bytescope: {}", crate::text::message(&e)));
            return Ok(ExitCode::from(2));
        }
    };
    let cmp = diff::compare(&a.codes, &b.codes);
    let empty = DiffSide { insns: Vec::new(), instructions: 0, loops: Vec::new() };
    let label = |l: &Loaded| match &l.qualname {
        Some(q) => format!("{}::{}", l.shown, crate::text::message(q)),
        None => l.shown.clone(),
    };
    let mut out = String::new();
    if args.json {
        let path =
            |l: &Loaded| String::from_utf8_lossy(&crate::text::os_bytes(l.path.as_os_str())).into_owned();
        let (path_a, path_b) = (path(&a), path(&b));
        let sa =
            DiffSideRecord { path: &path_a, qualname: a.qualname.as_deref(), version: a.version.to_string() };
        let sb =
            DiffSideRecord { path: &path_b, qualname: b.qualname.as_deref(), version: b.version.to_string() };
        let rec = DiffRecord::new(sa, sb, &a.codes, &b.codes, &cmp);
        out = serde_json::to_string(&rec)?;
        out.push('\n');
    } else {
        let _ = writeln!(out, "--- {}\t(Python {})", label(&a), a.version);
        let _ = writeln!(out, "+++ {}\t(Python {})", label(&b), b.version);
        for (&(i, j), ops) in cmp.pairs.iter().zip(&cmp.ops) {
            let sa = i.map_or(&empty, |i| &a.codes[i].side);
            let sb = j.map_or(&empty, |j| &b.codes[j].side);
            if ops.iter().all(|o| o.tag == diff::Tag::Equal) {
                continue;
            }
            let name = |l: &Loaded, k: Option<usize>| {
                k.map_or("(none)".to_owned(), |k| crate::text::message(&l.codes[k].qualname).into_owned())
            };
            let _ = writeln!(out, "=== {} | {}", name(&a, i), name(&b, j));
            diff::unified(&sa.insns, &sb.insns, ops, args.context, &mut out);
        }
        summary(&mut out, &a, &b);
    }
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, out.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout))
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if cmp.same { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Per code object of each side: instructions, and each loop's instructions per iteration.
fn summary(out: &mut String, a: &Loaded, b: &Loaded) {
    out.push_str("summary:\n");
    let rows: Vec<(char, String, &DiffSide)> = a
        .codes
        .iter()
        .map(|c| ('-', crate::text::message(&c.qualname).into_owned(), &c.side))
        .chain(b.codes.iter().map(|c| ('+', crate::text::message(&c.qualname).into_owned(), &c.side)))
        .collect();
    let width = rows.iter().map(|(_, q, _)| q.chars().count()).max().unwrap_or(0).max(11);
    let _ = writeln!(out, "  {:<width$}  instructions  loops: instructions per iteration", "code object");
    for (sign, q, s) in rows {
        let loops: Vec<String> = s
            .loops
            .iter()
            .map(|l| {
                let n = match l.per_iteration {
                    Some((x, y)) if x == y => x.to_string(),
                    Some((x, y)) => format!("{x}-{y}"),
                    None => "?".to_owned(),
                };
                format!("{n} (loop at {})", l.header)
            })
            .collect();
        let loops = if loops.is_empty() { "-".to_owned() } else { loops.join(", ") };
        let _ = writeln!(out, "{sign} {q:<width$}  {:>12}  {loops}", s.instructions);
    }
}
