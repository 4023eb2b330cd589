//! The synthetic applications of `tests/data/` (made by
//! `tools/gen_frozen_fixtures.py`) against the expectations the generator
//! wrote from its own inputs: every entry's name, kind and output path, in
//! order, and the sha256 of the bytes extracted.

use std::path::PathBuf;

use bytescope_frozen::{App, FrozenError};
use sha2::{Digest, Sha256};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The `dis` listing of a pyc (or of headerless marshal data of `version`),
/// code-object offsets blanked.
fn dis_text(data: &[u8], version: Option<bytescope_pyc::PythonVersion>) -> String {
    let pyc = bytescope_marshal::load_pyc(data, version).unwrap();
    let d = bytescope_dis::Disassembler::new(pyc.version()).unwrap();
    let mut out = Vec::new();
    d.dis(&pyc.marshal, bytescope_dis::DisOptions::default(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut parts = text.split(" at 0x");
    let mut norm = parts.next().unwrap_or("").to_owned();
    for p in parts {
        norm.push_str(" at 0x?");
        norm.push_str(p.trim_start_matches(|c: char| c.is_ascii_hexdigit()));
    }
    norm
}

#[test]
fn every_synthetic_archive_extracts_as_expected() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data_dir().join("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    for (file, want) in expected.as_object().unwrap() {
        let data = std::fs::read(data_dir().join(file)).unwrap();
        if let Some(err) = want.get("error") {
            let e = App::open(&data).unwrap_err();
            assert!(matches!(e, FrozenError::Nuitka(_)), "{file}: {e}");
            assert!(e.to_string().contains(err.as_str().unwrap()), "{file}: {e}");
            continue;
        }
        let app = App::open(&data).unwrap_or_else(|e| panic!("{file}: {e}"));
        let target = app.target.unwrap_or_else(|| panic!("{file}: no target"));
        assert_eq!(hex(&target.magic), want["magic"].as_str().unwrap(), "{file}: magic");
        assert_eq!(target.version.to_string(), want["version"].as_str().unwrap(), "{file}");
        let got: Vec<(String, &str, Option<String>)> =
            app.entries.iter().map(|e| (e.name.clone(), e.kind.name(), e.path.clone())).collect();
        let wanted: Vec<(String, &str, Option<String>)> = want["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_owned(),
                    e["kind"].as_str().unwrap(),
                    e["path"].as_str().map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(got, wanted, "{file}: entries");
        for (e, w) in app.entries.iter().zip(want["entries"].as_array().unwrap()) {
            if let Some(fresh) = w["marshal_equal"].as_str() {
                let bytes = app.extract(e).unwrap_or_else(|err| panic!("{file}: {}: {err}", e.name));
                assert_eq!(
                    dis_text(&bytes, None),
                    dis_text(&unhex(fresh), Some(target.version)),
                    "{file}: {}",
                    e.name
                );
                checked += 1;
                continue;
            }
            let Some(sha) = w["sha256"].as_str() else { continue };
            let bytes = app.extract(e).unwrap_or_else(|err| panic!("{file}: {}: {err}", e.name));
            assert_eq!(hex(&Sha256::digest(&bytes)), sha, "{file}: {}", e.name);
            checked += 1;
        }
        assert!(app.warnings.iter().all(|w| !w.contains("key")), "{file}: {:?}", app.warnings);
    }
    assert!(checked >= 40, "{checked} entries checked");
}

#[test]
fn encrypted_archives_recover_key_and_mode() {
    use bytescope_frozen::crypto::Mode;
    for (file, mode, key) in [
        ("pi5_py38_ctr.bin", Mode::Ctr, "0000000secretkey"),
        ("pi4_py38_ctr.bin", Mode::Ctr, "0000000secretkey"),
        ("pi3_py37_cfb8.bin", Mode::Cfb8, "k3y"),
    ] {
        let data = std::fs::read(data_dir().join(file)).unwrap();
        let app = App::open(&data).unwrap();
        let (k, m) = app.key.as_ref().unwrap_or_else(|| panic!("{file}: no key: {:?}", app.warnings));
        assert_eq!((k.stored.as_str(), *m), (key, mode), "{file}");
    }
}

#[test]
fn cookie_details_and_fallbacks() {
    use bytescope_frozen::VersionSource;
    let open = |f: &str| std::fs::read(data_dir().join(f)).unwrap();
    let elf = open("pi6_py312.elf");
    let app = App::open(&elf).unwrap();
    let a = app.carchive.as_ref().unwrap();
    assert_eq!((a.cookie.len, a.cookie.pyvers), (88, 312));
    assert_eq!(a.cookie.libname.as_deref(), Some("libpython3.12.so.1.0"));
    assert_eq!(app.format.name(), "ELF");
    // The package is the pydata section; section headers follow the cookie.
    let (off, size) = bytescope_frozen::exe::elf_section(&elf, b"pydata").unwrap();
    assert_eq!((a.pkg_start(), u64::from(a.cookie.pkg_length)), (off, size));
    assert!(a.cookie.offset + 88 < elf.len() as u64);
    assert_eq!(app.target.unwrap().source, VersionSource::PyzMagic);

    let custom_data = open("pi6_py312_custom.elf");
    let custom = App::open(&custom_data).unwrap();
    assert_eq!(
        custom.carchive.as_ref().unwrap().cookie.custom_magic.map(|m| m[..3].to_vec()),
        Some(b"AAA".to_vec())
    );
    assert!(custom.warnings[0].contains("custom cookie magic 41 41 41"), "{:?}", custom.warnings);

    let pe_data = open("pi6_py312_custom.exe");
    let pe = App::open(&pe_data).unwrap();
    assert_eq!(pe.format.name(), "PE");
    assert!(pe.carchive.as_ref().unwrap().cookie.custom_magic.is_some());
    let old_data = open("pi20_py27.bin");
    let old = App::open(&old_data).unwrap();
    assert_eq!(old.carchive.as_ref().unwrap().cookie.len, 24);
    assert_eq!(old.carchive.as_ref().unwrap().cookie.version().map(|v| v.to_string()), Some("2.7".into()));
    let v4_data = open("pi4_py38_ctr.bin");
    let v4 = App::open(&v4_data).unwrap();
    assert_eq!(v4.carchive.as_ref().unwrap().cookie.version().map(|v| v.to_string()), Some("3.8".into()));
}

#[test]
fn members_are_found_by_module_name_or_path() {
    let data = std::fs::read(data_dir().join("pi6_py312.elf")).unwrap();
    let app = App::open(&data).unwrap();
    assert_eq!(app.find("mypkg.inner").unwrap().path.as_deref(), Some("PYZ.pyz_extracted/mypkg/inner.pyc"));
    assert_eq!(app.find("hello").unwrap().kind.name(), "script");
    assert_eq!(app.find("hello.pyc").unwrap().name, "hello");
    assert_eq!(app.find("PYZ.pyz_extracted/mymod.pyc").unwrap().name, "mymod");
    assert!(app.find("nope").is_none());
    assert_eq!(app.code_entries().count(), 7);
}
