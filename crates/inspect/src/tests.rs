use std::path::PathBuf;

use bytescope_marshal::load_pyc;

use super::*;

fn fixtures() -> Vec<PathBuf> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"));
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("tests/fixtures") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("version dir") {
            let f = f.expect("entry").path();
            if f.extension().is_some_and(|e| e == "pyc") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn report(data: &[u8], opts: Options) -> Report {
    let pyc = load_pyc(data, None).expect("fixture loads");
    Inspector::new(pyc.version()).expect("table").with_options(opts).inspect(&pyc.marshal).expect("inspect")
}

/// The documented derivation rule gives every qualified name CPython stores
/// (co_qualname from 3.11, the MAKE_FUNCTION constant or a class body's
/// __qualname__ for 3.3-3.10) in every fixture.
#[test]
fn derived_qualnames_match_stored_ones() {
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for path in fixtures() {
        let data = std::fs::read(&path).expect("read");
        let stored = report(&data, Options::default());
        let derived = report(&data, Options { derive_qualnames: true });
        for (s, d) in stored.code_objects.iter().zip(&derived.code_objects) {
            // 3.15 names a function's __annotate__ after the function it
            // belongs to (`f.__annotate__`), though it is built in the
            // enclosing scope; the rule is only needed before 3.11.
            if s.qualname_source == QualnameSource::Derived || s.kind == Kind::Annotate {
                continue;
            }
            checked += 1;
            if s.qualname != d.qualname {
                mismatches.push(format!("{}: {} != derived {}", path.display(), s.qualname, d.qualname));
            }
        }
    }
    assert!(checked > 1000, "only {checked} stored qualnames");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The same check over a directory tree of pycs, e.g. a CPython stdlib:
/// `BYTESCOPE_PYC_DIR=/path cargo test -p bytescope-inspect -- --ignored`.
#[test]
#[ignore = "needs BYTESCOPE_PYC_DIR"]
#[allow(clippy::print_stderr)]
fn derived_qualnames_match_stored_ones_in_tree() {
    let Some(dir) = std::env::var_os("BYTESCOPE_PYC_DIR") else { return };
    let mut stack = vec![PathBuf::from(dir)];
    let (mut files, mut checked, mut mismatches) = (0, 0, Vec::new());
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "pyc") {
                continue;
            }
            let data = std::fs::read(&p).expect("read");
            let Ok(pyc) = load_pyc(&data, None) else { continue };
            let ins = Inspector::new(pyc.version()).expect("table");
            let (Ok(s), Ok(d)) = (
                ins.inspect(&pyc.marshal),
                ins.with_options(Options { derive_qualnames: true }).inspect(&pyc.marshal),
            ) else {
                continue;
            };
            files += 1;
            for (s, d) in s.code_objects.iter().zip(&d.code_objects) {
                if s.qualname_source == QualnameSource::Derived || s.kind == Kind::Annotate {
                    continue;
                }
                checked += 1;
                if s.qualname != d.qualname {
                    mismatches.push(format!("{}: {} != derived {}", p.display(), s.qualname, d.qualname));
                }
            }
        }
    }
    eprintln!("{files} files, {checked} qualnames checked");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn python2_exec_functions_are_functions() {
    let data =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/2.7/py2_print_exec.pyc"))
            .expect("read");
    let r = report(&data, Options::default());
    let f = r.code_objects.iter().find(|c| c.name == "func_exec").expect("func_exec");
    assert_eq!(f.flags & flags::OPTIMIZED, 0);
    assert_eq!(f.kind, Kind::Function);
    assert_eq!(f.arguments.signature(), "(code, ns)");
}

/// Pre-3.11 files only fall back to the rule where CPython stores no name.
#[test]
fn qualname_sources() {
    for path in fixtures() {
        let data = std::fs::read(&path).expect("read");
        let r = report(&data, Options::default());
        for c in &r.code_objects {
            let expected: &[QualnameSource] = match r.version.as_str() {
                "2.7" => &[QualnameSource::Derived],
                "3.6" | "3.7" | "3.8" | "3.9" | "3.10" if c.index == 0 => &[QualnameSource::Derived],
                "3.6" | "3.7" | "3.8" | "3.9" | "3.10" => {
                    &[QualnameSource::MakeFunction, QualnameSource::ClassBody]
                }
                _ => &[QualnameSource::CoQualname],
            };
            assert!(
                expected.contains(&c.qualname_source),
                "{}: {} from {:?}",
                path.display(),
                c.qualname,
                c.qualname_source
            );
        }
    }
}

/// Every code object in the fixtures gets a kind consistent with its name.
#[test]
fn kinds_agree_with_names() {
    for path in fixtures() {
        let data = std::fs::read(&path).expect("read");
        let r = report(&data, Options::default());
        for c in &r.code_objects {
            let ok = match c.name.as_str() {
                "<module>" => c.kind == Kind::Module,
                "<lambda>" => c.kind == Kind::Lambda,
                "<listcomp>" => c.kind == Kind::Listcomp,
                "<setcomp>" => c.kind == Kind::Setcomp,
                "<dictcomp>" => c.kind == Kind::Dictcomp,
                "<genexpr>" => c.kind == Kind::Genexpr,
                n if n.starts_with("<generic parameters of") => c.kind == Kind::TypeParams,
                _ => c.kind != Kind::Module && !c.kind.is_comprehension() && c.kind != Kind::Lambda,
            };
            assert!(ok, "{}: {} is {:?}", path.display(), c.qualname, c.kind);
            // A class body has no fast locals; everything else nested does
            // (but Python 2 functions that use `exec`).
            if c.index > 0 && r.version != "2.7" {
                assert_eq!(
                    c.kind == Kind::Class,
                    c.flags & flags::OPTIMIZED == 0,
                    "{}: {} is {:?} with flags {:#x}",
                    path.display(),
                    c.qualname,
                    c.kind,
                    c.flags
                );
            }
        }
    }
}

#[test]
fn signatures() {
    let a = Arguments {
        positional_only: vec!["a".into()],
        positional: vec!["b".into()],
        varargs: None,
        keyword_only: vec!["c".into()],
        varkeywords: Some("kw".into()),
    };
    assert_eq!(a.signature(), "(a, /, b, *, c, **kw)");
    assert_eq!(Arguments::default().signature(), "()");
}

#[test]
fn queries() {
    assert_eq!(Query::parse("EXEC_STMT"), Query::Opcode("EXEC_STMT".into()));
    assert_eq!(Query::parse("IMPORT_NAME"), Query::Opcode("IMPORT_NAME".into()));
    assert_eq!(Query::parse("os.system"), Query::Dotted("os.system".into()));
    assert_eq!(Query::parse("eval"), Query::Name("eval".into()));
    assert_eq!(Query::parse("FOO"), Query::Name("FOO".into()));
    // Opcode names in any case when they have an underscore.
    assert_eq!(Query::parse("import_star"), Query::Opcode("IMPORT_STAR".into()));
    assert_eq!(Query::parse("Load_Fast"), Query::Opcode("LOAD_FAST".into()));
    assert_eq!(Query::parse("call"), Query::Name("call".into()));
    assert_eq!(Query::parse("CALL"), Query::Opcode("CALL".into()));
    assert_eq!(Query::parse("not_an_opcode"), Query::Name("not_an_opcode".into()));
}

mod grepping {
    use super::*;
    use crate::grep::{ConstKind, Grep, Mode, PatternError};
    use bytescope_code::code_objects;
    use bytescope_dis::Disassembler;

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(rel))
            .unwrap()
    }

    fn hits(rel: &str, g: &mut Grep) -> Vec<(String, crate::grep::Hit)> {
        let data = fixture(rel);
        let pyc = load_pyc(&data, None).unwrap();
        let dis = Disassembler::new(pyc.version()).unwrap();
        g.start_file();
        let mut out = Vec::new();
        for code in code_objects(&pyc.marshal).unwrap() {
            for h in g.search(&code, &dis) {
                out.push((code.name.to_string(), h));
            }
        }
        out
    }

    #[test]
    fn text_and_bytes_constants_with_their_loads() {
        let mut g = Grep::new();
        g.add("hello|te.t", Mode::Text).unwrap();
        g.add(r"\xff", Mode::Bytes).unwrap();
        for v in ["3.6", "3.8", "3.11", "3.12", "3.13", "3.14", "3.15"] {
            let found = hits(&format!("{v}/constants.pyc"), &mut g);
            let describe: Vec<(String, usize, String, ConstKind, bool)> = found
                .iter()
                .map(|(name, h)| {
                    let text = String::from_utf8_lossy(&h.value[h.start..h.end]).into_owned();
                    (name.clone(), h.pattern, text, h.kind, h.loads.is_empty())
                })
                .collect();
            // "hello world" inside the module's strings tuple; "text" in
            // function_constants, loaded there; b"\x00\xff" among the byte
            // strings (and nothing else has a byte 0xff: str constants are
            // UTF-8, and bytes patterns never look at them).
            assert!(
                describe.contains(&("<module>".into(), 0, "hello".into(), ConstKind::Str, false)),
                "{v}: {describe:?}"
            );
            assert!(
                describe.iter().any(|d| d.0 == "function_constants" && d.2 == "text" && !d.4),
                "{v}: {describe:?}"
            );
            assert!(describe.iter().any(|d| d.1 == 1 && d.3 == ConstKind::Bytes), "{v}: {describe:?}");
            assert!(
                describe.iter().filter(|d| d.1 == 1).all(|d| d.3 == ConstKind::Bytes),
                "{v}: {describe:?}"
            );
            // In the strings tuple, folded into one constant from 3.7 (3.6
            // builds it at run time).
            assert!(
                v == "3.6"
                    || found
                        .iter()
                        .any(|(_, h)| h.pattern == 0 && h.value == b"hello world" && h.path.len() == 1),
                "{v}: {describe:?}"
            );
        }
    }

    #[test]
    fn python2_strings_are_bytes() {
        let mut g = Grep::new();
        g.add("^import", Mode::Text).unwrap();
        g.add("(?i)[a-z]", Mode::Text).unwrap();
        let found = hits("2.7/py2_literals.pyc", &mut g);
        assert!(found.iter().any(|(_, h)| h.kind == ConstKind::Bytes), "{found:?}");
    }

    #[test]
    fn hostile_patterns_are_refused() {
        let mut g = Grep::new();
        assert!(matches!(g.add(&"a".repeat(5000), Mode::Text), Err(PatternError::TooLong { .. })));
        assert!(matches!(g.add("(", Mode::Text), Err(PatternError::Invalid(_))));
        // Compiled size past the limit.
        assert!(matches!(g.add(r"\w{1000}\w{1000}\w{1000}", Mode::Text), Err(PatternError::Invalid(_))));
        assert!(g.is_empty());
    }
}

/// Truncated and bit-flipped fixtures give a report or an error, never a
/// panic.
#[test]
fn no_panic_on_damaged_input() {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for path in fixtures().iter().step_by(7) {
        let data = std::fs::read(path).expect("read");
        for _ in 0..40 {
            let mut d = data.clone();
            let n = d.len();
            if n < 17 {
                continue;
            }
            match next() % 3 {
                0 => d.truncate(16 + (next() as usize) % (n - 16)),
                _ => {
                    for _ in 0..4 {
                        let i = 16 + (next() as usize) % (n - 16);
                        d[i] ^= 1 << (next() % 8);
                    }
                }
            }
            if let Ok(pyc) = load_pyc(&d, None)
                && let Ok(inspector) = Inspector::new(pyc.version())
                && let Ok(r) = inspector.inspect(&pyc.marshal)
            {
                let mut s = String::new();
                write_text(&r, &mut s);
            }
        }
    }
}
