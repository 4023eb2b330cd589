use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

use zip::write::SimpleFileOptions;

use super::*;

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("bytescope-batch-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fake 3.12 pyc whose body is `text` (the work functions below only look
/// at the body).
fn pyc(text: &str) -> Vec<u8> {
    let mut d = vec![0xcb, 0x0d, b'\r', b'\n'];
    d.extend([0u8; 12]);
    d.extend(text.as_bytes());
    d
}

fn zip_bytes(prefix: &[u8], members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, SimpleFileOptions::default()).expect("start");
        w.write_all(data).expect("write");
    }
    let body = w.finish().expect("finish").into_inner();
    // Offsets inside stay relative to the zip; readers detect the prefix.
    let mut out = prefix.to_vec();
    out.extend(body);
    out
}

fn write(p: &Path, data: &[u8]) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(p, data).expect("write");
}

/// Runs and collects `(source, body or error)` in delivery order.
fn collect(inputs: &[PathBuf], opts: &Options) -> Vec<(String, Result<String, String>)> {
    let mut out = Vec::new();
    run(
        inputs,
        opts,
        |_, data| {
            let body = String::from_utf8_lossy(data.get(16..).unwrap_or_default()).into_owned();
            // Scramble completion order: early items take longest.
            let delay = body.bytes().map(u64::from).sum::<u64>() % 7;
            std::thread::sleep(std::time::Duration::from_millis(delay * 3));
            body
        },
        |source, r| {
            out.push((source.to_string(), r.map_err(|e| e.to_string())));
            ControlFlow::Continue(())
        },
    )
    .expect("run");
    out
}

#[test]
fn eocd_detection() {
    let z = zip_bytes(b"", &[("a.pyc", pyc("a"))]);
    assert!(has_eocd(&z));
    let mut with_comment = z.clone();
    let n = with_comment.len();
    with_comment[n - 2] = 5; // comment length 5, but no comment follows
    assert!(!has_eocd(&with_comment));
    with_comment.extend(b"hello");
    assert!(has_eocd(&with_comment));
    assert!(!has_eocd(b"PK\x05\x06"));
    assert!(!has_eocd(&pyc("no zip here at all, just text")));
}

#[test]
fn order_is_input_then_path_then_member_order() {
    let t = TempDir::new();
    let dir = t.0.join("tree");
    write(&dir.join("b.pyc"), &pyc("b"));
    write(&dir.join("a/z.pyc"), &pyc("a/z"));
    write(&dir.join("a/y.pyo"), &pyc("a/y"));
    write(&dir.join("a/notes.txt"), b"skipped");
    write(&dir.join("c.pyc"), &pyc("c"));
    let app = t.0.join("app.pyz");
    write(
        &app,
        &zip_bytes(
            b"#!/usr/bin/env python3\n",
            &[
                ("__main__.py", b"print()".to_vec()),
                ("pkg/z.pyc", pyc("m-z")),
                ("pkg/", Vec::new()),
                ("pkg/a.pyc", pyc("m-a")),
            ],
        ),
    );
    let single = t.0.join("single.pyc");
    write(&single, &pyc("single"));
    let inputs = vec![single.clone(), dir.clone(), app.clone(), t.0.join("missing.pyc")];
    for jobs in [1, 2, 4] {
        let got = collect(&inputs, &Options { jobs, window: 3, ..Options::default() });
        let names: Vec<&str> = got.iter().map(|(_, r)| r.as_deref().unwrap_or("ERR")).collect();
        assert_eq!(names, ["single", "a/y", "a/z", "b", "c", "m-z", "m-a", "ERR"], "jobs {jobs}");
        assert_eq!(got[5].0, format!("{}:pkg/z.pyc", app.display()));
        assert!(got[7].1.as_ref().is_err_and(|e| e.starts_with("cannot read file:")), "{:?}", got[7]);
    }
}

#[test]
fn members_over_the_limit_are_not_read() {
    let t = TempDir::new();
    let whl = t.0.join("x.whl");
    write(&whl, &zip_bytes(b"", &[("big.pyc", pyc(&"x".repeat(1000))), ("ok.pyc", pyc("ok"))]));
    let opts = Options { limits: Limits { max_member_size: 100, ..Limits::default() }, ..Options::default() };
    let got = collect(std::slice::from_ref(&whl), &opts);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1, Err("archive member too large: declares 1016 bytes (limit 100)".to_owned()));
    assert_eq!(got[1].1, Ok("ok".to_owned()));
}

#[test]
fn lying_member_sizes_are_caught() {
    let t = TempDir::new();
    let whl = t.0.join("x.zip");
    let mut z = zip_bytes(b"", &[("a.pyc", pyc("abcdef"))]);
    // Patch the declared uncompressed size in the central directory (offset
    // 24 of the central header) down to 3.
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").expect("central header");
    z[cd + 24..cd + 28].copy_from_slice(&3u32.to_le_bytes());
    write(&whl, &z);
    let got = collect(&[whl], &Options::default());
    assert_eq!(got.len(), 1);
    assert!(got[0].1.is_err(), "{got:?}");
}

#[test]
fn a_broken_archive_is_one_error() {
    let t = TempDir::new();
    let bad = t.0.join("bad.zip");
    let mut z = zip_bytes(b"", &[("a.pyc", pyc("a"))]);
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").expect("central header");
    z[cd] = b'X';
    write(&bad, &z);
    let got = collect(&[bad], &Options::default());
    assert_eq!(got.len(), 1);
    assert!(got[0].1.as_ref().is_err_and(|e| e.starts_with("bad zip archive")), "{got:?}");
}

#[test]
fn break_stops_the_run() {
    let t = TempDir::new();
    for i in 0..50 {
        write(&t.0.join(format!("f{i:02}.pyc")), &pyc(&i.to_string()));
    }
    let mut seen = Vec::new();
    let ran = AtomicUsize::new(0);
    run(
        std::slice::from_ref(&t.0),
        &Options { jobs: 2, window: 4, ..Options::default() },
        |_, data| {
            ran.fetch_add(1, Ordering::Relaxed);
            data.len()
        },
        |source, _| {
            seen.push(source.to_string());
            if seen.len() == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        },
    )
    .expect("run");
    assert_eq!(seen.len(), 3);
    assert!(seen[2].ends_with("f02.pyc"));
    // At most the window's worth of work beyond the stop point ran.
    assert!(ran.load(Ordering::Relaxed) <= 3 + 4, "{}", ran.load(Ordering::Relaxed));
}

#[test]
fn panics_in_work_become_errors() {
    let t = TempDir::new();
    write(&t.0.join("a.pyc"), &pyc("boom"));
    write(&t.0.join("b.pyc"), &pyc("fine"));
    let mut got = Vec::new();
    run(
        std::slice::from_ref(&t.0),
        &Options::default(),
        |_, data| {
            assert!(!data.ends_with(b"boom"), "boom");
            1
        },
        |source, r| {
            got.push((source.to_string(), r.map_err(|e| e.to_string())));
            ControlFlow::Continue(())
        },
    )
    .expect("run");
    assert_eq!(got.len(), 2);
    assert!(got[0].1.as_ref().is_err_and(|e| e.contains("boom")));
    assert_eq!(got[1].1, Ok(1));
}

#[test]
fn pycs_are_not_mistaken_for_archives() {
    let t = TempDir::new();
    // A pyc whose tail happens to hold an EOCD record stays a pyc.
    let mut data = pyc("x");
    data.extend(zip_bytes(b"", &[]));
    let p = t.0.join("odd.pyc");
    write(&p, &data);
    let got = collect(&[p], &Options::default());
    assert_eq!(got.len(), 1);
    assert!(got[0].1.is_ok());
}

#[test]
fn a_single_item_runs_on_its_own_thread() {
    let t = TempDir::new();
    let p = t.0.join("one.pyc");
    write(&p, &pyc("one"));
    let got = collect(std::slice::from_ref(&p), &Options::default());
    assert_eq!(got, [(p.display().to_string(), Ok("one".to_owned()))]);
    let missing = t.0.join("missing.pyc");
    let got = collect(std::slice::from_ref(&missing), &Options::default());
    assert_eq!(got.len(), 1);
    assert!(got[0].1.is_err());
    // A worker-sized stack: deep recursion in the work function is fine.
    fn depth(n: u32) -> u32 {
        let pad = [n as u8; 512];
        if n == 0 { u32::from(pad[0]) } else { depth(n - 1) + u32::from(pad[(n % 512) as usize] & 1) }
    }
    let mut out = Vec::new();
    run(
        std::slice::from_ref(&p),
        &Options::default(),
        |_, _| depth(10_000),
        |_, r| {
            out.push(r.map_err(|e| e.to_string()));
            ControlFlow::Continue(())
        },
    )
    .expect("run");
    assert!(out[0].is_ok());
}
