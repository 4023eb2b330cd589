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
