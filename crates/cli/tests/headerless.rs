//! Headerless marshal data and stripped/zeroed headers (PyInstaller leaves
//! pycs this way): the version is detected and named on stderr; a
//! `--python-version` the data does not fit fails with the checks that
//! failed, unless `--force`.

use std::process::Command;

fn bytescope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bytescope"))
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(rel))
        .unwrap()
}

#[test]
fn stripped_and_zeroed_headers() {
    let dir = std::env::temp_dir().join(format!("bytescope-headerless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pyc = fixture("3.12/args.pyc");
    let stripped = dir.join("stripped.pyc");
    std::fs::write(&stripped, &pyc[16..]).unwrap();
    let mut zeroed_bytes = vec![0u8; 16];
    zeroed_bytes.extend_from_slice(&pyc[16..]);
    let zeroed = dir.join("zeroed.pyc");
    std::fs::write(&zeroed, &zeroed_bytes).unwrap();
    let good = bytescope()
        .arg("dis")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/3.12/args.pyc"))
        .output()
        .unwrap();
    assert!(good.status.success());

    for path in [&stripped, &zeroed] {
        let norm = |b: &[u8]| {
            let s = String::from_utf8_lossy(b).into_owned();
            s.split(" at 0x")
                .map(|p| p.trim_start_matches(|c: char| c.is_ascii_hexdigit()))
                .collect::<Vec<_>>()
                .join(" at 0x")
        };
        // Detected, and said so on stderr.
        let out = bytescope().arg("dis").arg(path).output().unwrap();
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no .pyc header: detected Python 3.12 (every other version fails its checks)"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one note: {err}");
        assert!(norm(&out.stdout) == norm(&good.stdout), "{} lists as the original", path.display());

        // A version the data does not fit: the checks that failed, status 1.
        let out = bytescope().args(["dis", "--python-version", "3.13"]).arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("the data is not Python 3.13 bytecode: ") && err.contains("it reads as Python 3.12"),
            "{err}"
        );
        assert!(err.contains("pass --force"), "{err}");
        let out =
            bytescope().args(["dis", "--python-version", "3.13", "--force"]).arg(path).output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("read as Python 3.13 (forced) although"));

        let out = bytescope().args(["dis", "--python-version", "3.12"]).arg(path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        // Same listing; only the code objects' file offsets (printed where
        // CPython prints addresses) move with the header.
        assert!(norm(&out.stdout) == norm(&good.stdout), "{} lists as the original", path.display());

        // The stack analysis detects too.
        let out = bytescope().arg("stack").arg(path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("detected Python 3.12"));

        // The assembly text detects too, and checks a given version.
        let out = bytescope().args(["dis", "--asm"]).arg(path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(".python 3.12"));
        assert!(String::from_utf8_lossy(&out.stderr).contains("detected Python 3.12"));
        let out = bytescope().args(["dis", "--asm", "--python-version", "3.13"]).arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("the data is not Python 3.13 bytecode"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn header_names_detected_versions_and_ties() {
    let dir = std::env::temp_dir().join(format!("bytescope-headerless-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pyc = fixture("3.6/operators.pyc");
    let bare = dir.join("bare");
    std::fs::write(&bare, &pyc[12..]).unwrap();
    let out = bytescope().args(["header", "--json"]).arg(&bare).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version_detected"], true);
    assert_eq!(v["verdict"], "tie");
    let clean: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["clean"] == true)
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert!(clean.contains(&"3.6") && clean.contains(&"3.7"), "{clean:?}");
    assert_eq!(v["python"], v["version"]);
    assert!(v["magic"].is_null());
    let text = bytescope().arg("header").arg(&bare).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("cannot be told apart"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `rewrite --python-version` repairs a stripped or zeroed header: the output
/// is the original file with a fresh header (magic of the version, timestamp
/// 0), which plain `dis` then reads.
#[test]
fn rewrite_repairs_headers() {
    let dir = std::env::temp_dir().join(format!("bytescope-repair-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (rel, v, hlen) in
        [("3.12/args.pyc", "3.12", 16), ("3.6/args.pyc", "3.6", 12), ("2.7/py2_misc.pyc", "2.7", 8)]
    {
        let pyc = fixture(rel);
        let mut zeroed = vec![0u8; hlen];
        zeroed.extend_from_slice(&pyc[hlen..]);
        for (name, input) in [("stripped", pyc[hlen..].to_vec()), ("zeroed", zeroed)] {
            let inp = dir.join(format!("{v}-{name}.pyc"));
            let out = dir.join(format!("{v}-{name}-fixed.pyc"));
            std::fs::write(&inp, &input).unwrap();
            let r =
                bytescope().args(["rewrite", "--python-version", v]).arg(&inp).arg(&out).output().unwrap();
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            let fixed = std::fs::read(&out).unwrap();
            assert_eq!(&fixed[..4], &pyc[..4], "{rel}: magic");
            assert!(fixed[4..hlen].iter().all(|&b| b == 0), "{rel}: flags, mtime and size are 0");
            assert_eq!(&fixed[hlen..], &pyc[hlen..], "{rel}: marshal data unchanged");
            let r = bytescope().arg("dis").arg(&out).output().unwrap();
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
