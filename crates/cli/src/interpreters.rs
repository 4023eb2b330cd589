//! Finding installed CPython interpreters and compiling source with them.
//!
//! Only `bytescope dis FILE.py` / `-c CODE` use this: the source is compiled
//! by a real CPython of the wanted version. The interpreter runs nothing but
//! our own compile script, which calls `compile()` and `marshal.dumps()`;
//! nothing bytescope reads is ever executed, and nothing from the user's
//! directories or environment can be imported (see [`isolated`]).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use bytescope_pyc::PythonVersion;

/// An interpreter found on this machine.
#[derive(Clone, Debug)]
pub struct Interpreter {
    pub version: PythonVersion,
    pub path: PathBuf,
}

/// `python2.7` / `python3.N` in the absolute directories of PATH, then every
/// pyenv version (`$PYENV_ROOT` or `~/.pyenv`); the first found per minor
/// version wins.
///
/// Relative PATH entries (`.`, an empty entry, `bin`) are skipped: they name
/// the directory bytescope happens to run in, which may be an attacker's
/// (a downloaded project holding a `python3.12` script).
pub fn discover() -> Vec<Interpreter> {
    let mut found: BTreeMap<PythonVersion, PathBuf> = BTreeMap::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).filter(|d| d.is_absolute()) {
        for v in PythonVersion::ALL {
            let exe = dir.join(format!("python{}.{}", v.major, v.minor));
            if !found.contains_key(v) && exe.is_file() && !is_pyenv_shim(&exe) {
                found.insert(*v, exe);
            }
        }
    }
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))
        .filter(|r| r.is_absolute());
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

/// pyenv's shims re-dispatch by `.python-version` (a file in the current
/// directory); skip them so a version name means that version.
fn is_pyenv_shim(p: &Path) -> bool {
    p.components().any(|c| c.as_os_str() == "shims")
}

/// What `--python` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// `X.Y`: an installed interpreter of that version.
    Version(PythonVersion),
    /// A value with a path separator: that interpreter.
    Path(PathBuf),
}

impl std::str::FromStr for Wanted {
    type Err = String;

    /// A value containing a path separator is a path (`/usr/bin/python3`,
    /// `./python`, `venv/bin/python`); anything else must be a version
    /// (`3.12`, `3.12.1`, `python3.12`). A bare name is never looked up as a
    /// file, so a file named `3.12` in the current directory is never run.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.contains('/') || s.contains(std::path::MAIN_SEPARATOR) {
            return Ok(Wanted::Path(PathBuf::from(s)));
        }
        let digits = s.strip_prefix("python").unwrap_or(s);
        let parts: Vec<&str> = digits.split('.').collect();
        let numeric = matches!(parts.len(), 2 | 3)
            && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let version = if numeric { s.parse::<PythonVersion>().ok() } else { None };
        version.map(Wanted::Version).ok_or_else(|| {
            format!(
                "expected a version X.Y (e.g. 3.12) or a path to an interpreter containing '/' \
                 (e.g. ./{s} for a file in the current directory)"
            )
        })
    }
}

/// The interpreter for `wanted`, or the newest found.
pub fn choose(wanted: Option<&Wanted>) -> anyhow::Result<Interpreter> {
    let all = discover();
    let list = || {
        if all.is_empty() {
            "none found (looked in PATH's absolute directories for python2.7 and python3.N, and in pyenv)"
                .to_owned()
        } else {
            all.iter()
                .map(|i| format!("{} ({})", i.version, crate::text::path(&i.path)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    match wanted {
        None => {
            all.last().cloned().ok_or_else(|| anyhow::anyhow!("no CPython interpreter found: {}", list()))
        }
        Some(Wanted::Path(given)) => {
            let meta =
                std::fs::metadata(given).with_context(|| format!("--python {}", crate::text::path(given)))?;
            anyhow::ensure!(meta.is_file(), "--python {}: not a file", crate::text::path(given));
            // The interpreter runs in a directory of its own: a relative
            // path must not be resolved there.
            let path = std::path::absolute(given)?;
            let version = probe_version(&path)?;
            Ok(Interpreter { version, path })
        }
        Some(Wanted::Version(v)) => all
            .iter()
            .find(|i| i.version == *v)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no CPython {v} found; available: {}", list())),
    }
}

/// An empty private directory (mode 0700, removed on drop) for the
/// interpreter to run in.
fn sandbox() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("bytescope-compile-")
        .tempdir()
        .context("cannot create a temporary directory to run the interpreter in")
}

/// The interpreter at `path`, isolated from everything the user (or an
/// attacker) controls, running in the empty directory `dir`:
///
/// - the environment is cleared and holds only `PYTHONHASHSEED=0`, so no
///   `PYTHONPATH`, `PYTHONSTARTUP`, `PYTHONHOME`, `PYTHONUSERBASE`,
///   `PYTHONWARNINGS`… reaches it, and frozenset constants come out in the
///   same order every time (string hashes are seeded). `-E`/`-I` are not
///   used: they would also drop the hash seed;
/// - `-S` skips `site` (no `sitecustomize`, `usercustomize` or `.pth`
///   files), `-s` the user site directory, `-B` writing bytecode;
/// - `-P` (3.11+) keeps the script's directory off `sys.path`; before 3.11
///   `-c` puts the working directory there, which is `dir`, empty and ours,
///   so no file of the user's can shadow a standard module (`linecache`,
///   `warnings`, `traceback`, `unicodedata`, which compiling may import).
fn isolated(path: &Path, version: Option<PythonVersion>, dir: &Path) -> Command {
    let mut cmd = Command::new(path);
    cmd.env_clear().env("PYTHONHASHSEED", "0").current_dir(dir).args(["-S", "-s", "-B"]);
    // Windows cannot start an interpreter without its system root.
    #[cfg(windows)]
    if let Some(root) = std::env::var_os("SYSTEMROOT") {
        cmd.env("SYSTEMROOT", root);
    }
    if version.is_some_and(|v| v >= PythonVersion::PY311) {
        cmd.arg("-P");
    }
    cmd
}

/// Asks an interpreter given by path for its version (isolated, as
/// compiling is).
fn probe_version(path: &Path) -> anyhow::Result<PythonVersion> {
    let dir = sandbox()?;
    let out = isolated(path, None, dir.path())
        .args(["-c", "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", crate::text::path(path)))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "{} does not look like a CPython interpreter (it printed no version{})",
            crate::text::path(path),
            if out.status.success() { "" } else { " and failed" }
        )
    })
}

/// The compile script, for Python 2.7 and 3.x alike. It reads
/// `NAME \0 MODE \0 SOURCE` from stdin (the name as bytes, so no locale
/// decodes it), writes `X.Y\n` and `marshal.dumps(code)` to stdout, and the
/// warnings compiling raised to stderr. `auto` mode mimics `dis.dis("source")`:
/// `eval` first, then `exec`, as `dis._try_compile` does. A compile error is
/// printed as the interpreter itself prints it
/// (`traceback.format_exception_only`: file, line, source line, caret), exit
/// status 3. Every module it imports is the interpreter's own (see
/// [`isolated`]).
const COMPILE: &str = r"import sys, marshal
def main():
    py3 = sys.version_info[0] >= 3
    data = (sys.stdin.buffer if py3 else sys.stdin).read()
    out = sys.stdout.buffer if py3 else sys.stdout
    err = sys.stderr.buffer if py3 else sys.stderr
    def say(text):
        if not isinstance(text, bytes):
            text = text.encode('utf-8', 'backslashreplace')
        err.write(text)
        err.flush()
    name, mode, src = data.split(b'\0', 2)
    if py3:
        name = name.decode('utf-8', 'surrogateescape')
    import warnings
    try:
        with warnings.catch_warnings(record=True) as caught:
            if mode == b'auto':
                try:
                    code = compile(src, name, 'eval')
                except SyntaxError:
                    code = compile(src, name, 'exec')
            else:
                code = compile(src, name, 'exec')
    except Exception:
        import traceback
        e = sys.exc_info()[1]
        say(''.join(traceback.format_exception_only(type(e), e)))
        return 3
    for w in caught:
        say(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, ''))
    out.write(('%d.%d\n' % sys.version_info[:2]).encode('ascii'))
    out.write(marshal.dumps(code))
    out.flush()
    return 0
sys.exit(main())
";

/// What compiling gave.
pub struct Compiled {
    /// `marshal.dumps(code)`.
    pub marshal: Vec<u8>,
    /// Warnings the compiler raised (`file:line: Category: message` lines,
    /// as CPython shows them), possibly empty.
    pub warnings: Vec<u8>,
}

/// Why compiling failed.
#[derive(Debug)]
pub enum CompileError {
    /// The interpreter's own message: `  File "x.py", line 3`, the source
    /// line, the caret and `SyntaxError: …` (several lines).
    Source { version: PythonVersion, message: Vec<u8> },
    /// The interpreter could not be run or misbehaved.
    Run(anyhow::Error),
}

impl From<anyhow::Error> for CompileError {
    fn from(e: anyhow::Error) -> Self {
        CompileError::Run(e)
    }
}

impl From<std::io::Error> for CompileError {
    fn from(e: std::io::Error) -> Self {
        CompileError::Run(e.into())
    }
}

/// Compiles `source` as file `name` with `interp`, isolated (see
/// [`isolated`]); `dis_string` selects `dis.dis(str)`'s eval-then-exec rule.
pub fn compile(
    interp: &Interpreter,
    source: &[u8],
    name: &[u8],
    dis_string: bool,
) -> Result<Compiled, CompileError> {
    let dir = sandbox()?;
    let mut child = isolated(&interp.path, Some(interp.version), dir.path())
        .args(["-c", COMPILE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", crate::text::path(&interp.path)))?;
    let mut payload = Vec::with_capacity(name.len() + source.len() + 8);
    payload.extend_from_slice(name);
    payload.push(0);
    payload.extend_from_slice(if dis_string { b"auto" } else { b"exec" });
    payload.push(0);
    payload.extend_from_slice(source);
    // Fed from a thread while this one drains stdout and stderr, so neither
    // side waits on a full pipe.
    let stdin = child.stdin.take();
    let feeder = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A broken pipe means the interpreter exited; its status tells.
            let _ = stdin.write_all(&payload);
        }
    });
    let mut stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    });
    let mut stdout = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_end(&mut stdout)?;
    }
    let status = child.wait()?;
    let _ = feeder.join();
    let stderr = errors.join().unwrap_or_default();
    if status.code() == Some(3) {
        return Err(CompileError::Source { version: interp.version, message: stderr });
    }
    if !status.success() {
        let text = String::from_utf8_lossy(&stderr);
        let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(CompileError::Run(anyhow::anyhow!(
            "{} failed ({status}): {}",
            crate::text::path(&interp.path),
            crate::text::message(last.trim())
        )));
    }
    let Some(nl) = stdout.iter().position(|&b| b == b'\n') else {
        return Err(CompileError::Run(anyhow::anyhow!(
            "{} printed no code",
            crate::text::path(&interp.path)
        )));
    };
    let said = std::str::from_utf8(&stdout[..nl]).ok().and_then(|s| s.parse::<PythonVersion>().ok());
    if said != Some(interp.version) {
        return Err(CompileError::Run(anyhow::anyhow!(
            "{} says it is Python {}, not {}",
            crate::text::path(&interp.path),
            said.map_or_else(|| "?".to_owned(), |v| v.to_string()),
            interp.version
        )));
    }
    stdout.drain(..=nl);
    Ok(Compiled { marshal: stdout, warnings: stderr })
}

#[cfg(test)]
mod tests {
    use super::Wanted;

    #[test]
    fn python_option_is_a_version_unless_it_has_a_separator() {
        assert_eq!("3.12".parse::<Wanted>(), Ok(Wanted::Version("3.12".parse().unwrap())));
        assert_eq!("./3.12".parse::<Wanted>(), Ok(Wanted::Path("./3.12".into())));
        assert_eq!("/usr/bin/python3".parse::<Wanted>(), Ok(Wanted::Path("/usr/bin/python3".into())));
        assert_eq!("python3.12".parse::<Wanted>(), Ok(Wanted::Version("3.12".parse().unwrap())));
        assert_eq!("3.12.1".parse::<Wanted>(), Ok(Wanted::Version("3.12".parse().unwrap())));
        assert!("python3".parse::<Wanted>().is_err());
        assert!("3.12.py".parse::<Wanted>().is_err());
        assert!("3.99".parse::<Wanted>().is_err());
    }
}
