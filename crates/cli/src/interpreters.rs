//! Finding installed CPython interpreters and compiling source with them.
//!
//! Only `bytescope dis FILE.py` / `-c CODE` use this: the source is compiled
//! by a real CPython of the wanted version (nothing bytescope reads is ever
//! executed; the interpreter only runs `compile()` and `marshal.dumps()`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use bytescope_pyc::PythonVersion;

/// An interpreter found on this machine.
#[derive(Clone, Debug)]
pub struct Interpreter {
    pub version: PythonVersion,
    pub path: PathBuf,
}

/// `python2.7` / `python3.N` on PATH, then every pyenv version
/// (`$PYENV_ROOT` or `~/.pyenv`); the first found per minor version wins.
pub fn discover() -> Vec<Interpreter> {
    let mut found: BTreeMap<PythonVersion, PathBuf> = BTreeMap::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for v in PythonVersion::ALL {
            let exe = dir.join(format!("python{}.{}", v.major, v.minor));
            if !found.contains_key(v) && exe.is_file() && !is_pyenv_shim(&exe) {
                found.insert(*v, exe);
            }
        }
    }
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    if let Some(versions) = root.map(|r| r.join("versions")).and_then(|d| std::fs::read_dir(d).ok()) {
        let mut dirs: Vec<PathBuf> = versions.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs {
            let name = d.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            let mut parts = name.split('.');
            let (Some(a), Some(b)) = (parts.next(), parts.next()) else { continue };
            let Ok(v) = format!("{a}.{b}").parse::<PythonVersion>() else { continue };
            let exe = d.join("bin").join("python");
            if exe.is_file() {
                found.entry(v).or_insert(exe);
            }
        }
    }
    found.into_iter().map(|(version, path)| Interpreter { version, path }).collect()
}

/// pyenv's shims re-dispatch by `.python-version`; skip them so a version
/// name means that version.
fn is_pyenv_shim(p: &Path) -> bool {
    p.components().any(|c| c.as_os_str() == "shims")
}

/// The interpreter for `wanted` (a version or a path), or the newest.
pub fn choose(wanted: Option<&str>) -> anyhow::Result<Interpreter> {
    let all = discover();
    let list = || {
        if all.is_empty() {
            "none found (looked on PATH for python2.7/python3.N and in pyenv)".to_owned()
        } else {
            all.iter().map(|i| format!("{} ({})", i.version, i.path.display())).collect::<Vec<_>>().join(", ")
        }
    };
    match wanted {
        None => {
            all.last().cloned().ok_or_else(|| anyhow::anyhow!("no CPython interpreter found: {}", list()))
        }
        Some(w) if Path::new(w).is_file() => {
            let path = PathBuf::from(w);
            let version = probe_version(&path)?;
            Ok(Interpreter { version, path })
        }
        Some(w) => {
            let v: PythonVersion = w.parse()?;
            all.iter()
                .find(|i| i.version == v)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("no CPython {v} found; available: {}", list()))
        }
    }
}

fn probe_version(path: &Path) -> anyhow::Result<PythonVersion> {
    let out = Command::new(path)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .with_context(|| format!("cannot run {}", path.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

/// Compiles in the interpreter and returns `marshal.dumps(code)`. Works on
/// Python 2 and 3. `dis_string` mimics `dis.dis("source")`: try `eval`
/// mode first, then `exec`, as `dis._try_compile` does.
const COMPILE: &str = r"import sys, marshal
src = getattr(sys.stdin, 'buffer', sys.stdin).read()
name, mode = sys.argv[1], sys.argv[2]
if mode == 'auto':
    try:
        code = compile(src, name, 'eval')
    except SyntaxError:
        code = compile(src, name, 'exec')
else:
    code = compile(src, name, 'exec')
out = getattr(sys.stdout, 'buffer', sys.stdout)
out.write(marshal.dumps(code))
out.flush()
";

/// Compiles `source` as file `name`; `dis_string` selects `dis.dis(str)`'s
/// eval-then-exec rule.
pub fn compile(interp: &Interpreter, source: &[u8], name: &str, dis_string: bool) -> anyhow::Result<Vec<u8>> {
    let mut child = Command::new(&interp.path)
        .args(["-c", COMPILE, name, if dis_string { "auto" } else { "exec" }])
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", interp.path.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(source)?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("compile failed");
        bail!("Python {} could not compile {name}: {}", interp.version, last.trim());
    }
    Ok(out.stdout)
}
