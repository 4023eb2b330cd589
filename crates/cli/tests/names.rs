//! Names bytescope did not write are shown safely: file and member names in
//! `==> … <==` frames, error lines and `scan`'s progress line, and names
//! inside pycs in `inspect`'s text, have control, bidi and other format
//! characters escaped (`\x1b`, `\u202e`), and bytes that are not UTF-8
//! shown as `\xff`. `dis` and `info` keep CPython's bytes on pipes and
//! escape them only on a terminal.

mod common;
#[cfg(unix)]
use common::on_terminal;
use common::{TempDir, bin, fixture, put, run_within};

/// File names an attacker might choose: a newline forging a whole line,
/// ESC sequences, BEL, CR, a C1 CSI (U+009B), bidi override and isolate,
/// a zero-width space, and a byte that is not UTF-8.
#[cfg(unix)]
fn hostile_names() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (b"x\nbytescope: forged.pyc: all good\n.pyc".to_vec(), "x\\nbytescope: forged.pyc: all good\\n.pyc"),
        (b"e\x1b[31mred\x1b[0m.pyc".to_vec(), "e\\x1b[31mred\\x1b[0m.pyc"),
        (b"bel\x07cr\rdel\x7f.pyc".to_vec(), "bel\\x07cr\\rdel\\x7f.pyc"),
        ("c1\u{9b}31m.pyc".as_bytes().to_vec(), "c1\\u009b31m.pyc"),
        (
            "bidi\u{202e}cyp.exe\u{2066}\u{200b}.pyc".as_bytes().to_vec(),
            "bidi\\u202ecyp.exe\\u2066\\u200b.pyc",
        ),
        (b"latin\xff\xfe.pyc".to_vec(), "latin\\xff\\xfe.pyc"),
        ("caf\u{e9} \u{3c0}.pyc".as_bytes().to_vec(), "caf\u{e9} \u{3c0}.pyc"),
    ]
}

#[cfg(unix)]
fn os(name: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt as _;
    std::ffi::OsStr::from_bytes(name)
}

/// No line of `text` may hold a control character other than the newline
/// (a tab aside), nor any bidi or C1 character.
fn assert_clean(text: &str, what: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || ('\u{80}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || c == '\u{200b}';
        assert!(!bad, "{what}: raw {c:?} in {text:?}");
    }
}

#[cfg(unix)]
#[test]
fn file_names_are_escaped_in_frames_and_errors() {
    let t = TempDir::new();
    let dir = t.path("d");
    for (raw, _) in hostile_names() {
        // Half of them good pycs (framed), half broken (error lines).
        let data = if raw.starts_with(b"x") || raw.starts_with(b"c1") || raw.starts_with(b"latin") {
            b"junk".to_vec()
        } else {
            fixture("3.12/args.pyc")
        };
        put(&dir.join(os(&raw)), &data);
    }
    for cmd in ["header", "dis", "info", "inspect"] {
        let out = run_within(bin().arg(cmd).arg(&dir), 30);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8");
        let frames: Vec<&str> = stdout.lines().filter(|l| l.starts_with("==> ")).collect();
        assert_clean(&frames.join("\n"), cmd);
        assert_clean(&stderr, cmd);
        assert_eq!(stderr.lines().count(), 3, "{cmd}: one line per broken file: {stderr}");
        assert!(!stderr.lines().any(|l| l.starts_with("bytescope: forged.pyc")), "{stderr}");
        let d = dir.display();
        for (raw, shown) in hostile_names() {
            let broken = raw.starts_with(b"x") || raw.starts_with(b"c1") || raw.starts_with(b"latin");
            if broken {
                assert!(
                    stderr.contains(&format!("bytescope: {d}/{shown}: not a .pyc file")),
                    "{cmd}: {stderr}"
                );
            } else {
                assert!(frames.contains(&format!("==> {d}/{shown} <==").as_str()), "{cmd}: {frames:?}");
            }
        }
    }
    // Two different names that are not UTF-8 stay different.
    put(&t.path("two/a\u{fffd}.pyc"), b"junk");
    put(&t.path("two").join(os(b"a\xff.pyc")), b"junk");
    let out = run_within(bin().arg("header").arg(t.path("two")), 30);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("a\\xff.pyc:") && stderr.contains("a\u{fffd}.pyc:"), "{stderr}");
}

/// A scan's JSON keeps exact names (JSON escapes), its summary and error
/// lines are clean.
#[cfg(unix)]
#[test]
fn scan_errors_are_escaped() {
    let t = TempDir::new();
    put(&t.path("d").join(os(b"x\nbytescope: forged.pyc: all good\n.pyc")), b"junk");
    let out = run_within(bin().arg("scan").arg(t.path("d")), 30);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_clean(&stderr, "scan");
    assert!(!stderr.lines().any(|l| l.starts_with("bytescope: forged.pyc")), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains(r#"x\nbytescope: forged.pyc: all good\n.pyc"#), "{stdout}");
}

/// A 3.12 pyc whose function `everything` is renamed to hold ESC, BEL and
/// CR (same length, still ASCII).
fn pyc_with_hostile_name() -> Vec<u8> {
    let mut data = fixture("3.12/args.pyc");
    let from = b"everything";
    let to = b"ev\x1b[2J\x07\rng";
    let mut i = 0;
    let mut n = 0;
    while let Some(p) = data[i..].windows(from.len()).position(|w| w == from) {
        data[i + p..i + p + from.len()].copy_from_slice(to);
        i += p + from.len();
        n += 1;
    }
    assert!(n > 0);
    data
}

#[test]
fn inspect_text_escapes_names_from_the_pyc() {
    let t = TempDir::new();
    put(&t.path("h.pyc"), &pyc_with_hostile_name());
    let out = run_within(bin().arg("inspect").arg(t.path("h.pyc")), 30);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert_clean(&s, "inspect");
    assert!(s.contains("ev\\x1b[2J\\x07\\rng (function, "), "{s}");
    // JSON keeps the exact name (JSON-escaped).
    let out = run_within(bin().args(["inspect", "--json"]).arg(t.path("h.pyc")), 30);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains(r#""ev\u001b[2J\u0007\rng""#), "{s}");
}

/// `dis` and `info` write CPython's bytes to a pipe, as CPython does.
#[test]
fn dis_keeps_cpythons_bytes_on_a_pipe() {
    let t = TempDir::new();
    put(&t.path("h.pyc"), &pyc_with_hostile_name());
    for cmd in ["dis", "info"] {
        let out = run_within(bin().arg(cmd).arg(t.path("h.pyc")), 30);
        assert!(out.status.success());
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("ev\x1b[2J\x07\rng"), "{cmd}: {s:?}");
    }
}

/// On a terminal (a pseudo-terminal here) the same listing is escaped, and
/// JSON carries the same values with `\u` escapes.
#[cfg(unix)]
#[test]
fn dis_escapes_on_a_terminal() {
    let t = TempDir::new();
    put(&t.path("h.pyc"), &pyc_with_hostile_name());
    put(&t.path("d").join(os("bidi\u{202e}.pyc".as_bytes())), &fixture("3.12/args.pyc"));
    for cmd in ["dis", "info"] {
        let s = on_terminal(&[cmd, "--color", "never"], &t.path("h.pyc"));
        assert_clean(&s, cmd);
        assert!(s.contains("ev\\x1b[2J\\x07\\rng"), "{cmd}: {s}");
    }
    let s = on_terminal(&["dis", "--json"], &t.path("h.pyc"));
    assert_clean(&s, "dis --json");
    assert!(s.contains(r#"ev\u001b[2J\u0007\rng"#), "{s}");
    let s = on_terminal(&["scan"], &t.path("d"));
    assert_clean(&s, "scan");
    assert!(s.contains(r#"bidi\u202e.pyc"#), "{s}");
}
