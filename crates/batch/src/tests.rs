use std::io::{Cursor, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

use zip::write::SimpleFileOptions;

use super::*;

#[path = "../tests/support/zipgen.rs"]
mod zipgen;
use zipgen::Member;

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
    assert!(zipfile::has_end_record(&z));
    let mut with_comment = z.clone();
    let n = with_comment.len();
    with_comment[n - 2] = 5; // comment length 5, but no comment follows
    assert!(!zipfile::has_end_record(&with_comment));
    with_comment.extend(b"hello");
    assert!(zipfile::has_end_record(&with_comment));
    assert!(!zipfile::has_end_record(b"PK\x05\x06"));
    assert!(!zipfile::has_end_record(&pyc("no zip here at all, just text")));
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
    let opts = Options { limits: Limits { max_file_size: 1000, ..Limits::default() }, ..Options::default() };
    let got = collect(std::slice::from_ref(&whl), &opts);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1, Err("too large: 1016 bytes, over the limit of 1000".to_owned()));
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
    assert!(
        got[0].1.as_ref().is_err_and(|e| e.contains("member declares 3 bytes but holds 4 or more")),
        "{got:?}"
    );
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
    let e = got[0].1.as_ref().unwrap_err();
    assert!(e.starts_with("bad zip archive: central directory entry 0: bad signature (at offset 0x"), "{e}");
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

/// `(source, body or error)` of every item of an archive held in memory.
fn archive_items(data: &[u8], limits: &Limits) -> Vec<(String, Result<String, String>)> {
    let mut out = Vec::new();
    let r = read_archive(Path::new("mem.zip"), data, limits, |source, r| {
        let r = r.map(|d| String::from_utf8_lossy(d.get(16..).unwrap_or_default()).into_owned());
        out.push((source.to_string(), r.map_err(|e| e.to_string())));
    });
    if let Err(e) = r {
        out.push(("mem.zip".to_owned(), Err(e.to_string())));
    }
    out
}

#[test]
fn duplicate_and_non_utf8_names_are_distinct() {
    let z = zipgen::zip(
        b"",
        &[
            Member::stored("a.pyc", &pyc("first")),
            Member::deflated("a.pyc", &pyc("second")),
            Member::stored(b"\xff.pyc", &pyc("ff")),
            Member::stored(b"\xfe.pyc", &pyc("fe")),
            // Literally a backslash, x, f, f: the escaped name is taken.
            Member::stored(b"\\xff.pyc", &pyc("literal")),
        ],
    );
    let got = archive_items(&z, &Limits::default());
    let want = [
        ("mem.zip:a.pyc", "first"),
        ("mem.zip:a.pyc#2", "second"),
        ("mem.zip:\\xff.pyc", "ff"),
        ("mem.zip:\\xfe.pyc", "fe"),
        ("mem.zip:\\xff.pyc#2", "literal"),
    ];
    let got: Vec<(&str, &str)> =
        got.iter().map(|(s, r)| (s.as_str(), r.as_deref().unwrap_or("ERR"))).collect();
    assert_eq!(got, want);
}

#[test]
fn the_overlap_bomb_is_one_error_at_once() {
    // Issue 17: 65,534 central entries all pointing at one local entry of
    // 64 MiB of deflated zeros (about two hours of inflation before).
    let bomb = zipgen::overlap_bomb(65_534, 64 << 20);
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    let t = std::time::Instant::now();
    let got = archive_items(&bomb, &Limits::default());
    assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
    assert_eq!(got.len(), 1, "{:?}", &got[..got.len().min(3)]);
    let e = got[0].1.as_ref().unwrap_err();
    assert_eq!(
        e,
        "bad zip archive: members \"m00000.pyc\" and \"m00001.pyc\" overlap (a zip bomb?) (at offset 0x0)"
    );
}

#[test]
fn members_must_lie_inside_the_archive() {
    let mut z = zipgen::zip(b"", &[Member::stored("a.pyc", &pyc("a"))]);
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").expect("central header");
    // Local entry offset (central offset 42) past the central directory.
    z[cd + 42..cd + 46].copy_from_slice(&(cd as u32 + 10).to_le_bytes());
    let got = archive_items(&z, &Limits::default());
    assert_eq!(got.len(), 1);
    let e = got[0].1.as_ref().unwrap_err();
    assert!(
        e.starts_with("bad zip archive: member \"a.pyc\" lies outside the archive's data (at offset"),
        "{e}"
    );
    // A compressed size that runs into the central directory.
    let mut z = zipgen::zip(b"", &[Member::stored("a.pyc", &pyc("a")), Member::stored("b.pyc", &pyc("b"))]);
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").expect("central header");
    z[cd + 20..cd + 24].copy_from_slice(&40u32.to_le_bytes());
    let got = archive_items(&z, &Limits::default());
    let e = got[0].1.as_ref().unwrap_err();
    assert!(e.starts_with("bad zip archive: members \"a.pyc\" and \"b.pyc\" overlap"), "{e}");
}

#[test]
fn inflation_is_bounded_by_the_archive_size() {
    // 4 MiB of zeros deflate to about 26 KB: more than 64 times that plus
    // 1 MiB.
    let zeros = Member {
        name: b"z.pyc".to_vec(),
        data: zipgen::deflate_zeros(4 << 20),
        method: 8,
        size: 4 << 20,
        crc: 0,
    };
    let z = zipgen::zip(b"", &[Member::stored("a.pyc", &pyc("a")), zeros]);
    let got = archive_items(&z, &Limits::default());
    assert_eq!(got[0].1, Ok("a".to_owned()));
    let e = got[1].1.as_ref().unwrap_err();
    assert!(
        e.starts_with("archive inflates to too much: this member's 4194304 bytes exceed what is left"),
        "{e}"
    );
    // Within a larger budget the zeros inflate (and their CRC is checked).
    let limits = Limits { inflate_ratio: 1000, ..Limits::default() };
    let got = archive_items(&z, &limits);
    let e = got[1].1.as_ref().unwrap_err();
    assert!(e.starts_with("bad zip archive: CRC-32 mismatch: declares 00000000, data has"), "{e}");
}

#[test]
fn unsupported_members_are_one_error_each() {
    let mut enc = Member::stored("enc.pyc", &pyc("x"));
    enc.method = 0;
    let mut bz = Member::stored("bz.pyc", &pyc("x"));
    bz.method = 12;
    let mut bad = Member::stored("bad.pyc", &pyc("x"));
    bad.method = 8;
    bad.data = vec![0xff; 20];
    let mut z = zipgen::zip(b"", &[enc, bz, bad, Member::stored("ok.pyc", &pyc("ok"))]);
    // Set the encryption flag of the first central entry.
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").expect("central header");
    z[cd + 8] |= 1;
    let got = archive_items(&z, &Limits::default());
    let errs: Vec<&str> =
        got.iter().map(|(_, r)| r.as_ref().map_or_else(String::as_str, String::as_str)).collect();
    assert!(errs[0].starts_with("bad zip archive: encrypted member (not supported)"), "{errs:?}");
    assert!(
        errs[1].starts_with("bad zip archive: compression method 12 (bzip2) is not supported"),
        "{errs:?}"
    );
    assert!(errs[2].starts_with("bad zip archive: corrupt deflate data:"), "{errs:?}");
    assert_eq!(errs[3], "ok");
}

#[test]
fn nested_archives_open_to_a_bounded_depth() {
    let l3 = zipgen::zip(
        b"",
        &[Member::stored("d.pyc", &pyc("d")), Member::stored("l4.zip", &zipgen::zip(b"", &[]))],
    );
    let l2 = zipgen::zip(b"", &[Member::deflated("c.pyc", &pyc("c")), Member::stored("l3.zip", &l3)]);
    let l1 = zipgen::zip(b"", &[Member::stored("l2.whl", &l2), Member::stored("b.pyc", &pyc("b"))]);
    let got = archive_items(&l1, &Limits::default());
    let got: Vec<(&str, &str)> = got
        .iter()
        .map(|(s, r)| (s.as_str(), r.as_ref().map_or_else(String::as_str, String::as_str)))
        .collect();
    assert_eq!(
        got,
        [
            ("mem.zip:l2.whl:c.pyc", "c"),
            ("mem.zip:l2.whl:l3.zip:d.pyc", "d"),
            (
                "mem.zip:l2.whl:l3.zip:l4.zip",
                "nested archive not opened: archives nest more than 3 deep here"
            ),
            ("mem.zip:b.pyc", "b"),
        ]
    );
}

#[test]
fn archive_member_inputs() {
    let t = TempDir::new();
    let inner = zipgen::zip(b"", &[Member::stored("c.pyc", &pyc("c")), Member::stored("d.pyc", &pyc("d"))]);
    let outer = zipgen::zip(
        b"",
        &[
            Member::stored("a.pyc", &pyc("a1")),
            Member::stored("a.pyc", &pyc("a2")),
            Member::deflated("in:ner.zip", &inner),
            Member::stored("data.bin", &pyc("raw")),
        ],
    );
    let p = t.0.join("o.whl");
    write(&p, &outer);
    let input = |m: &str| PathBuf::from(format!("{}:{m}", p.display()));
    let inputs = [
        input("a.pyc#2"),
        input("in:ner.zip:d.pyc"),
        input("data.bin"),
        input("nosuch.pyc"),
        input("in:ner.zip:nosuch.pyc"),
        input("in:ner.zip"),
    ];
    let got = collect(&inputs, &Options::default());
    let got: Vec<(String, String)> = got
        .into_iter()
        .map(|(s, r)| (s.replace(&p.display().to_string(), "O"), r.unwrap_or_else(|e| e)))
        .collect();
    let want = [
        ("O:a.pyc#2", "a2"),
        ("O:in:ner.zip:d.pyc", "d"),
        ("O:data.bin", "raw"),
        ("O:nosuch.pyc", "no such member in the archive"),
        ("O:in:ner.zip:nosuch.pyc", "no such member in the archive"),
        ("O:in:ner.zip:c.pyc", "c"),
        ("O:in:ner.zip:d.pyc", "d"),
    ];
    let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(got, want);
}

#[test]
fn inputs_without_pycs_are_reported() {
    let t = TempDir::new();
    std::fs::create_dir_all(t.0.join("empty")).expect("mkdir");
    write(&t.0.join("pure/m.py"), b"x = 1");
    let whl = t.0.join("pure-1.0-py3-none-any.whl");
    write(&whl, &zipgen::zip(b"", &[Member::stored("pure/__init__.py", b"")]));
    let inputs = [t.0.join("empty"), t.0.join("pure"), whl];
    let got = collect(&inputs, &Options::default());
    let errs: Vec<&str> =
        got.iter().map(|(_, r)| r.as_ref().map_or_else(String::as_str, String::as_str)).collect();
    assert_eq!(
        errs,
        [
            "no .pyc or .pyo files in this directory",
            "no .pyc or .pyo files in this directory",
            "no .pyc or .pyo files in this archive"
        ]
    );
    let got = collect(&inputs, &Options { report_empty: false, ..Options::default() });
    assert!(got.is_empty());
}

/// Runs `f` on another thread and fails if it takes more than `secs`.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs)).expect("timed out: blocked on a read?")
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_never_opened() {
    use rustix::fs::{CWD, FileType, Mode, mknodat};
    let t = TempDir::new();
    let dir = t.0.join("tree");
    write(&dir.join("b.pyc"), &pyc("b"));
    mknodat(CWD, dir.join("a.pyc"), FileType::Fifo, Mode::from_raw_mode(0o644), 0).expect("mkfifo");
    mknodat(CWD, dir.join("c.zip"), FileType::Fifo, Mode::from_raw_mode(0o644), 0).expect("mkfifo");
    std::os::unix::fs::symlink("/dev/zero", dir.join("z.pyc")).expect("symlink");
    std::os::unix::fs::symlink("b.pyc", dir.join("y.pyc")).expect("symlink");
    let fifo = dir.join("a.pyc");
    for jobs in [1, 2] {
        let inputs = vec![dir.clone(), fifo.clone(), PathBuf::from("/dev/zero")];
        let got = within(10, move || collect(&inputs, &Options { jobs, ..Options::default() }));
        let got: Vec<(String, String)> = got
            .into_iter()
            .map(|(s, r)| (s.replace(&dir.display().to_string(), "T"), r.unwrap_or_else(|e| e)))
            .collect();
        let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let explicit_fifo =
            format!("{}", fifo.display()).replace(&t.0.join("tree").display().to_string(), "T");
        assert_eq!(
            got,
            [
                ("T/a.pyc", "skipped: a FIFO, not a regular file"),
                ("T/b.pyc", "b"),
                ("T/c.zip", "skipped: a FIFO, not a regular file"),
                ("T/y.pyc", "b"),
                ("T/z.pyc", "skipped: a character device, not a regular file"),
                (
                    explicit_fifo.as_str(),
                    "not a regular file (a FIFO); only regular files are read (`-` reads standard input)"
                ),
                (
                    "/dev/zero",
                    "not a regular file (a character device); only regular files are read (`-` reads standard input)"
                ),
            ],
            "jobs {jobs}"
        );
    }
    // The one-file reader refuses them too.
    let e = read_file(&fifo, &Limits::default()).unwrap_err();
    assert!(matches!(e, InputError::NotRegular { kind: "a FIFO", explicit: true }), "{e}");
}

#[test]
fn sizes_are_checked_before_reading() {
    let t = TempDir::new();
    // Sparse: nothing is written, nothing must be read.
    let big = t.0.join("big.pyc");
    std::fs::File::create(&big).and_then(|f| f.set_len(8 << 30)).expect("sparse file");
    let small = t.0.join("small.pyc");
    write(&small, &pyc("small"));
    let started = std::time::Instant::now();
    let got = collect(&[big.clone(), small.clone()], &Options { jobs: 2, ..Options::default() });
    assert!(started.elapsed().as_secs() < 2);
    assert_eq!(got[0].1, Err("too large: 8589934592 bytes, over the limit of 268435456".to_owned()));
    assert_eq!(got[1].1, Ok("small".to_owned()));
    let e = read_file(&big, &Limits::default()).unwrap_err();
    assert!(matches!(e, InputError::FileTooLarge { size: 8_589_934_592, .. }), "{e}");
    let limits = Limits { max_file_size: 10, ..Limits::default() };
    assert!(matches!(read_file(&small, &limits), Err(InputError::FileTooLarge { size: 21, limit: 10 })));
    assert_eq!(read_file(&small, &Limits::default()).expect("read"), pyc("small"));
}

#[test]
fn the_window_holds_a_bounded_number_of_bytes() {
    let t = TempDir::new();
    for i in 0..40 {
        write(&t.0.join(format!("f{i:02}.pyc")), &pyc(&i.to_string()));
    }
    let started = AtomicUsize::new(0);
    let mut delivered = 0usize;
    let mut most_ahead = 0usize;
    let opts = Options { jobs: 2, window: 64, window_bytes: 4 << 20, ..Options::default() };
    run(
        std::slice::from_ref(&t.0),
        &opts,
        |_, _| {
            started.fetch_add(1, Ordering::SeqCst);
            vec![0u8; 1 << 20]
        },
        |_, r| {
            assert!(r.is_ok());
            delivered += 1;
            // A slow consumer: results pile up unless the window stops.
            std::thread::sleep(std::time::Duration::from_millis(5));
            most_ahead = most_ahead.max(started.load(Ordering::SeqCst) - delivered);
            ControlFlow::Continue(())
        },
    )
    .expect("run");
    assert_eq!(delivered, 40);
    // 4 MiB of waiting 1 MiB results, one more before the check stops
    // submission, and what the two workers hold and have queued.
    assert!(most_ahead <= 4 + 1 + 2 * 2, "{most_ahead} results ahead of delivery");
}

#[test]
fn jobs_are_capped() {
    let t = TempDir::new();
    for i in 0..3 {
        write(&t.0.join(format!("f{i}.pyc")), &pyc("x"));
    }
    let got = collect(std::slice::from_ref(&t.0), &Options { jobs: 65_535, ..Options::default() });
    assert_eq!(got.len(), 3);
    assert!(effective_jobs(65_535) <= max_jobs());
}

#[test]
fn sizes_parse() {
    assert_eq!(parse_size("256M"), Ok(256 << 20));
    assert_eq!(parse_size("2GiB"), Ok(2 << 30));
    assert_eq!(parse_size("512k"), Ok(512 << 10));
    assert_eq!(parse_size("1000"), Ok(1000));
    assert!(parse_size("0").is_err() && parse_size("1X").is_err() && parse_size("").is_err());
    assert!(parse_size("99999999999T").is_err());
}

#[test]
fn zip64_archives_are_read() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().large_file(true);
    w.start_file("big.pyc", opts).expect("start");
    w.write_all(&pyc("zip64")).expect("write");
    let z = w.finish().expect("finish").into_inner();
    let got = archive_items(&z, &Limits::default());
    assert_eq!(got, [("mem.zip:big.pyc".to_owned(), Ok("zip64".to_owned()))]);
}

/// A PyInstaller onedir folder: the executable next to `_internal` is read
/// as the frozen application it is; other programs and files without an
/// extension are skipped without an error.
#[cfg(unix)]
#[test]
fn onedir_executables_are_found_in_directories() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = TempDir::new();
    let dir = t.0.join("dist/app");
    let app = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../frozen/tests/data/pi6_py312.elf"))
        .expect("fixture");
    let exec = |p: &Path, data: &[u8]| {
        write(p, data);
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    exec(&dir.join("app"), &app);
    // The same bytes, not executable and without extension: not looked at.
    write(&dir.join("app-copy"), &app);
    let mut elf = b"\x7fELF".to_vec();
    elf.resize(8192, 0);
    exec(&dir.join("_internal/helper"), &elf);
    write(&dir.join("_internal/libpython3.12.so"), &elf);
    exec(&dir.join("_internal/run"), b"#!/bin/sh\necho hi\n");
    write(&dir.join("tool.exe"), b"MZ not really a program");
    write(&dir.join("_internal/mod.pyc"), &pyc("m"));
    let got = collect(&[t.0.join("dist")], &Options::default());
    let names: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
    assert!(got.iter().all(|(_, r)| r.is_ok()), "{got:?}");
    let app_items: Vec<&str> = names.iter().filter(|n| n.contains("dist/app/app:")).copied().collect();
    assert_eq!(app_items.len(), 7, "{names:?}");
    assert!(app_items[0].ends_with("/app:struct"), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("_internal/mod.pyc")), "{names:?}");
    assert_eq!(names.len(), 8, "{names:?}");
}
