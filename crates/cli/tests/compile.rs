//! `dis FILE.py` compiles with a real CPython that runs nothing but the
//! compiler: hostile modules in the current directory, next to the source
//! and on `PYTHONPATH`, `sitecustomize`/`usercustomize`, `.pth` files in the
//! user site directory, `PYTHON*` variables and fake interpreters reachable
//! through relative PATH entries are all ignored, on every interpreter this
//! machine has (absent ones are skipped). The listings still match the
//! interpreter's own `dis`, compiles are deterministic, and compile errors
//! show the interpreter's message with file, line and caret.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{TempDir, bin, put, run_within};

const VERSIONS: &[&str] =
    &["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"];

/// Modules a compile, a warning, a syntax error or a traceback may import,
/// plus the ones every interpreter imports at start-up.
const HOSTILE_MODULES: &[&str] = &[
    "linecache",
    "warnings",
    "traceback",
    "unicodedata",
    "sitecustomize",
    "usercustomize",
    "site",
    "codecs",
    "io",
    "abc",
    "os",
    "stat",
    "posixpath",
    "genericpath",
    "marshal",
    "types",
    "re",
    "tokenize",
    "token",
    "textwrap",
    "contextlib",
    "keyword",
    "enum",
    "functools",
    "operator",
    "_colorize",
    "locale",
    "_bootlocale",
    "weakref",
    "copyreg",
    "string",
    "ast",
    "dis",
    "opcode",
];

/// Hostile files that each create `markers/<name>-<where>` if they run.
struct Hostile {
    t: TempDir,
}

impl Hostile {
    fn new() -> Self {
        let t = TempDir::new();
        std::fs::create_dir_all(t.path("markers")).unwrap();
        let marker = |name: &str| {
            format!("open({:?}, 'w').close()\n", t.path("markers").join(name).display().to_string())
        };
        for dir in ["work", "work/src", "pp"] {
            let tag = dir.replace('/', "_");
            for m in HOSTILE_MODULES {
                put(&t.path(&format!("{dir}/{m}.py")), marker(&format!("{m}-{tag}")).as_bytes());
            }
            // Packages too.
            for pkg in ["encodings", "collections", "importlib"] {
                put(&t.path(&format!("{dir}/{pkg}/__init__.py")), marker(&format!("{pkg}-{tag}")).as_bytes());
            }
        }
        put(&t.path("pp/startup.py"), marker("pythonstartup").as_bytes());
        for v in VERSIONS {
            let pth = format!("import os; {}", marker(&format!("pth-{v}")));
            put(&t.path(&format!("userbase/lib/python{v}/site-packages/evil.pth")), pth.as_bytes());
            put(&t.path(&format!("home/.local/lib/python{v}/site-packages/evil.pth")), pth.as_bytes());
        }
        // Fake interpreters reachable through PATH's "." or empty entries.
        for v in VERSIONS {
            for name in [format!("python{v}"), (*v).to_owned()] {
                let script = format!(
                    "#!/bin/sh\necho ran > '{}'\n",
                    t.path("markers").join(format!("fake-{name}")).display()
                );
                let p = t.path(&format!("work/{name}"));
                put(&p, script.as_bytes());
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
                }
            }
        }
        // A valid program that warns and has a frozenset constant.
        put(
            &t.path("work/src/plain.py"),
            b"x = \"\\d\"\nif x is 1:\n    pass\ny = x in {'alpha', 'beta', 'gamma', 'delta', 'epsilon'}\ndef f(a):\n    return a\n",
        );
        // Non-ASCII identifiers (unicodedata normalises them; 2.7 refuses).
        put(
            &t.path("work/src/uni.py"),
            "\u{3c0} = 3\n\u{3b4}\u{3ad}\u{3bb}\u{3c4}\u{3b1} = \u{3c0}\n".as_bytes(),
        );
        // A syntax error.
        put(&t.path("work/src/bad.py"), b"x = 1\ndef f(:\n    pass\n");
        Hostile { t }
    }

    fn markers(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.t.path("markers"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// `bytescope ARGS` run from `work/` with the hostile environment.
    fn bytescope(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = bin();
        cmd.args(args).current_dir(self.t.path("work"));
        let real_path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!(".::{real_path}:"))
            .env("PYENV_ROOT", pyenv_root())
            .env("HOME", self.t.path("home"))
            .env("PYTHONPATH", self.t.path("pp"))
            .env("PYTHONSTARTUP", self.t.path("pp/startup.py"))
            .env("PYTHONUSERBASE", self.t.path("userbase"))
            .env("PYTHONHOME", self.t.path("no-such-home"))
            .env("PYTHONWARNINGS", "error")
            .env("PYTHONHASHSEED", "12345")
            .env("PYTHONINSPECT", "1")
            .env("PYTHONDEVMODE", "1")
            .env("PYTHONSAFEPATH", "")
            .env("PYTHONIOENCODING", "utf-16");
        run_within(&mut cmd, 120)
    }
}

fn pyenv_root() -> PathBuf {
    std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))
        .unwrap_or_default()
}

/// What the interpreter's own `dis.dis(compile(source, name, "exec"))`
/// prints, run cleanly (hash seed 0, as bytescope's compiles).
fn cpython_dis(python: &Path, source: &Path, name: &str) -> String {
    let dir = TempDir::new();
    let script =
        "import sys, dis\nsrc = open(sys.argv[1], 'rb').read()\ndis.dis(compile(src, sys.argv[2], 'exec'))\n";
    let out = run_within(
        Command::new(python)
            .env_clear()
            .env("PYTHONHASHSEED", "0")
            .env("PYTHONIOENCODING", "utf-8")
            .current_dir(dir.path(""))
            .args(["-S", "-s", "-B", "-c", script])
            .arg(source)
            .arg(name),
        60,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Code-object addresses (CPython) and file offsets (bytescope) replaced.
fn normalise(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i]);
        out.push_str(" at 0xADDR");
        let tail = &rest[i + 6..];
        rest = &tail[tail.bytes().take_while(u8::is_ascii_hexdigit).count()..];
    }
    out.push_str(rest);
    out
}

/// The text after `==> NAME <==` up to the next frame.
fn section<'a>(stdout: &'a str, name: &str) -> &'a str {
    let head = format!("==> {name} <==\n");
    let start = stdout.find(&head).unwrap_or_else(|| panic!("no {head:?} in {stdout}")) + head.len();
    let rest = &stdout[start..];
    &rest[..rest.find("==> ").unwrap_or(rest.len())]
}

#[test]
#[allow(clippy::print_stderr)]
fn compiling_runs_nothing_but_the_compiler() {
    let h = Hostile::new();
    let mut tested = Vec::new();
    for v in VERSIONS {
        let out = h.bytescope(&["dis", "--python", v, "src/plain.py", "src/uni.py", "src/bad.py"]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains(&format!("no CPython {v} found")) {
            continue;
        }
        tested.push(*v);
        assert_eq!(h.markers(), Vec::<String>::new(), "{v}: hostile code ran; stderr: {err}");
        assert_eq!(out.status.code(), Some(1), "{v}: bad.py fails: {err}");
        // Which interpreter compiled, on stderr.
        let first = err.lines().next().unwrap_or_default();
        let prefix = format!("bytescope: compiling with Python {v} (");
        assert!(first.starts_with(&prefix), "{v}: {err}");
        let python = PathBuf::from(first[prefix.len()..].trim_end_matches(')'));
        // The compile error as the interpreter prints it: file, line,
        // source line, caret.
        assert!(err.contains("bytescope: src/bad.py: Python"), "{v}: {err}");
        assert!(err.contains("File \"src/bad.py\", line 2"), "{v}: {err}");
        assert!(
            err.contains("    def f(:\n") && err.contains('^') && err.contains("SyntaxError"),
            "{v}: {err}"
        );
        // The warnings compiling raised, shown (not turned into errors by
        // the caller's PYTHONWARNINGS).
        if v.starts_with("3.") && *v >= "3.8" {
            assert!(err.contains("src/plain.py:2: SyntaxWarning"), "{v}: {err}");
        }
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        let ours = normalise(section(&stdout, "src/plain.py"));
        let theirs = normalise(&cpython_dis(&python, &h.t.path("work/src/plain.py"), "src/plain.py"));
        assert_eq!(ours, theirs, "{v}: listing differs from the interpreter's dis");
        if *v != "2.7" {
            assert!(ours.contains("frozenset({"), "{v}: {ours}");
        }
        if *v == "2.7" {
            assert!(err.contains("bytescope: src/uni.py: Python 2.7 could not compile it:"), "{err}");
        } else {
            let uni = normalise(section(&stdout, "src/uni.py"));
            let theirs = normalise(&cpython_dis(&python, &h.t.path("work/src/uni.py"), "src/uni.py"));
            assert_eq!(uni, theirs, "{v}: non-ASCII identifiers");
        }
        // Deterministic: the same bytes again.
        let again = h.bytescope(&["dis", "--python", v, "src/plain.py", "src/uni.py", "src/bad.py"]);
        assert_eq!(again.stdout, out.stdout, "{v}: compiling twice differs");
        // -c too.
        let c = h.bytescope(&["dis", "--python", v, "-c", "import os\nx = 'caf\u{e9}' + \"\\d\""]);
        assert!(c.status.success(), "{v}: {}", String::from_utf8_lossy(&c.stderr));
        assert_eq!(h.markers(), Vec::<String>::new(), "{v}: hostile code ran with -c");
    }
    eprintln!("compiled with: {tested:?}");
    // The default (newest) interpreter, through the same hostile setup.
    let out = h.bytescope(&["dis", "src/plain.py"]);
    assert_eq!(h.markers(), Vec::<String>::new());
    if !tested.is_empty() {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `--python X.Y` is a version and never a file in the current directory,
/// even with `.` on PATH; only a value with a `/` is a path.
#[test]
fn python_option_never_runs_a_file_from_the_current_directory() {
    let h = Hostile::new();
    let out = h.bytescope(&["dis", "--python", "3.12", "src/plain.py"]);
    assert_eq!(h.markers(), Vec::<String>::new());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("fake"), "{err}");
    let out = h.bytescope(&["dis", "--python", "python3.12", "src/plain.py"]);
    assert_eq!(h.markers(), Vec::<String>::new());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("fake"), "{err}");
    // A bare name that is not a version is refused, with the way out.
    let out = h.bytescope(&["dis", "--python", "python3", "src/plain.py"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("./python3"), "{err}");
    assert_eq!(h.markers(), Vec::<String>::new());
    // An explicit relative path is run (and fails: the fake prints no
    // version) — the one way to name a local interpreter.
    let out = h.bytescope(&["dis", "--python", "./python3.12", "src/plain.py"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(h.markers(), vec!["fake-python3.12".to_owned()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not look like a CPython interpreter"), "{err}");
    // A missing path says so.
    let out = h.bytescope(&["dis", "--python", "/nonexistent/python", "src/plain.py"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/python") && err.contains("No such file"), "{err}");
}
