//! Detection over the committed fixtures of every version, headers stripped.

use std::path::{Path, PathBuf};

use bytescope_pyc::{PythonVersion, parse_header};

use crate::{Check, Limits, Verdict, check, detect};

fn fixtures() -> Vec<(PythonVersion, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let Ok(v) = dir.file_name().unwrap().to_string_lossy().parse::<PythonVersion>() else { continue };
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "pyc") {
                out.push((v, f));
            }
        }
    }
    out.sort();
    out
}

fn stripped(path: &Path) -> Vec<u8> {
    let data = std::fs::read(path).unwrap();
    let h = parse_header(&data).unwrap();
    data[h.len..].to_vec()
}

#[test]
fn every_fixture_is_detected_or_tied_never_wrong() {
    let limits = Limits::default();
    let mut unique = 0;
    let mut total = 0;
    let mut report = String::new();
    for (v, path) in fixtures() {
        let data = stripped(&path);
        let d = detect(&data, &limits);
        total += 1;
        let own = d.candidate(v).unwrap();
        assert!(own.is_clean(), "{}: {v} fails its own checks: {:?}", path.display(), own.failures);
        match d.verdict() {
            Verdict::Unique(found) => {
                assert_eq!(found, v, "{}", path.display());
                unique += 1;
            }
            Verdict::Tie(vs) => {
                assert!(vs.contains(&v), "{}", path.display());
                let names: Vec<String> = vs.iter().map(ToString::to_string).collect();
                report.push_str(&format!(
                    "{v} {}: tie {}\n",
                    path.file_name().unwrap().to_string_lossy(),
                    names.join(" ")
                ));
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{report}{unique} of {total} fixtures unique");
    }
    assert!(unique * 10 >= total * 7, "{unique} of {total} unique");
}

#[test]
fn zeroed_headers_are_skipped() {
    for (v, path) in fixtures() {
        let data = std::fs::read(&path).unwrap();
        let h = parse_header(&data).unwrap();
        let mut zeroed = data.clone();
        zeroed[..h.len].fill(0);
        let d = detect(&zeroed, &Limits::default());
        let own = d.candidate(v).unwrap();
        assert!(own.is_clean(), "{}", path.display());
        assert_eq!(own.offset, Some(h.len));
        assert!(!own.notes.iter().any(|n| n.contains("header")), "{}", path.display());
    }
}

#[test]
fn wrong_version_fails_its_checks() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/3.12/operators.pyc");
    let data = stripped(&path);
    let c = check(&data, PythonVersion::PY313, &Limits::default());
    assert!(!c.is_clean());
    assert!(c.failures.iter().any(|f| f.check() == Check::Opcode), "{:?}", c.failures);
    let c = check(&data, PythonVersion::PY312, &Limits::default());
    assert!(c.is_clean(), "{:?}", c.failures);
}

#[test]
fn garbage_is_unreadable_and_bounded() {
    assert_eq!(detect(b"", &Limits::default()).verdict(), Verdict::Unreadable);
    assert_eq!(detect(b"hello world", &Limits::default()).verdict(), Verdict::Unreadable);
    // A marshalled int is no code object.
    assert_eq!(detect(b"i\x01\x00\x00\x00", &Limits::default()).verdict(), Verdict::Unreadable);
}

mod resolving {
    use super::*;
    use crate::{Origin, ResolveError, resolve};
    use bytescope_marshal::Storage;

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(rel)).unwrap()
    }

    #[test]
    fn header_given_forced_and_detected() {
        let l = Limits::default();
        let full = fixture("3.12/operators.pyc");
        let r = resolve(&full, Some(PythonVersion::PY313), false, &l, Storage::default()).unwrap();
        assert_eq!((r.origin, r.pyc.version()), (Origin::Header, PythonVersion::PY312));

        let bare = &full[16..];
        let e = resolve(bare, Some(PythonVersion::PY313), false, &l, Storage::default()).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, ResolveError::Inconsistent { .. }));
        assert!(msg.starts_with("the data is not Python 3.13 bytecode: "), "{msg}");
        assert!(msg.contains("it reads as Python 3.12"), "{msg}");
        assert!(msg.ends_with("pass --force to read it as 3.13 anyway"), "{msg}");

        let r = resolve(bare, Some(PythonVersion::PY313), true, &l, Storage::default()).unwrap();
        assert_eq!(r.pyc.version(), PythonVersion::PY313);
        assert!(r.origin.note().unwrap().starts_with("read as Python 3.13 (forced) although "));

        let r = resolve(bare, Some(PythonVersion::PY312), false, &l, Storage::default()).unwrap();
        assert!(matches!(r.origin, Origin::Given(_)));
        assert_eq!(r.origin.note(), None);

        let r = resolve(bare, None, false, &l, Storage::default()).unwrap();
        assert_eq!(r.pyc.version(), PythonVersion::PY312);
        assert_eq!(
            r.origin.note().unwrap(),
            "no .pyc header: detected Python 3.12 (every other version fails its checks)"
        );
        // Zeroed header: the marshal data starts past it.
        let mut zeroed = full.clone();
        zeroed[..16].fill(0);
        let r = resolve(&zeroed, None, false, &l, Storage::default()).unwrap();
        assert_eq!((r.pyc.version(), r.pyc.marshal_offset), (PythonVersion::PY312, 16));
    }

    #[test]
    fn ties_are_named() {
        let l = Limits::default();
        let full = fixture("3.6/operators.pyc");
        let r = resolve(&full[12..], None, false, &l, Storage::default()).unwrap();
        let note = r.origin.note().unwrap();
        assert!(note.contains("3.7 or 3.6") || note.contains("3.6 or 3.7"), "{note}");
        assert!(note.ends_with("(these versions cannot be told apart)"), "{note}");
    }

    #[test]
    fn undetectable_data_is_an_error() {
        let l = Limits::default();
        let e = resolve(b"hello world", None, false, &l, Storage::default()).unwrap_err();
        assert!(matches!(e, ResolveError::Header(_)), "{e}");
        let mut junk = vec![b'c'];
        junk.extend([0xffu8; 40]);
        let e = resolve(&junk, None, false, &l, Storage::default()).unwrap_err();
        assert!(e.to_string().starts_with("not marshal data of any Python version"), "{e}");
    }
}
