//! Hostile containers: lying sizes, cookies pointing outside the file,
//! overlapping entries and zip bombs each give one clear error naming an
//! offset, within time; truncations and mutations of every synthetic archive
//! never panic (the `frozen` fuzz target's body, run here on deterministic
//! inputs).

#[path = "../../../fuzz/src/frozen.rs"]
mod fuzz_body;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytescope_frozen::{App, Budget, FrozenError, INFLATE_FLOOR};
use flate2::Compression;
use flate2::write::ZlibEncoder;

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::new(9));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// One TOC record: (name, typecode, offset, stored length, declared
/// inflated length, compression flag).
struct Rec<'a>(&'a str, u8, u32, u32, u32, u8);

fn toc(recs: &[Rec<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for Rec(name, tc, off, len, ulen, flag) in recs {
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        let mut entry_len = 18 + n.len();
        entry_len += (16 - entry_len % 16) % 16;
        n.resize(entry_len - 18, 0);
        out.extend_from_slice(&(entry_len as u32).to_be_bytes());
        for v in [off, len, ulen] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&[*flag, *tc]);
        out.extend_from_slice(&n);
    }
    out
}

/// A package: `data`, then the TOC of `recs`, then a valid cookie.
fn package(data: &[u8], recs: &[Rec<'_>]) -> Vec<u8> {
    let mut body = data.to_vec();
    body.extend(toc(recs));
    fuzz_body::with_cookie(&body, data.len())
}

/// A PYZ (Python 3.12 magic) holding `blobs` as modules `m0`, `m1`, ….
fn pyz(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut body: Vec<u8> = Vec::new();
    let mut toc = vec![b'['];
    toc.extend((blobs.len() as u32).to_le_bytes());
    for (i, b) in blobs.iter().enumerate() {
        let name = format!("m{i}");
        toc.extend([b')', 2, b'z', name.len() as u8]);
        toc.extend(name.as_bytes());
        toc.extend([b')', 3, b'i', 0, 0, 0, 0, b'i']);
        toc.extend((17 + body.len() as u32).to_le_bytes());
        toc.push(b'i');
        toc.extend((b.len() as u32).to_le_bytes());
        body.extend(b);
    }
    let mut out = b"PYZ\0\xcb\x0d\x0d\x0a".to_vec();
    out.extend((17 + body.len() as u32).to_be_bytes());
    out.extend([0; 5]);
    out.extend(body);
    out.extend(toc);
    out
}

/// Opens and extracts everything; the first error (one line) and the time.
fn first_error(file: &[u8]) -> (Option<FrozenError>, Duration) {
    let t = Instant::now();
    let result = App::open(file).and_then(|app| {
        for e in &app.entries {
            app.extract(e)?;
        }
        Ok(())
    });
    let err = result.err();
    if let Some(e) = &err {
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "multi-line error: {msg}");
    }
    (err, t.elapsed())
}

fn expect_error(file: &[u8], contains: &str) -> String {
    let (err, time) = first_error(file);
    let msg = err.unwrap_or_else(|| panic!("no error, expected {contains:?}")).to_string();
    assert!(msg.contains(contains), "{msg:?} lacks {contains:?}");
    assert!(msg.contains("offset 0x"), "{msg:?} names no offset");
    assert!(time < Duration::from_secs(5), "{msg}: took {time:?}");
    msg
}

#[test]
fn cookie_pointing_outside_the_file() {
    let mut file = package(b"hello", &[Rec("hello", b'x', 0, 5, 5, 0)]);
    let c = file.len() - 88;
    file[c + 8..c + 12].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    let msg = expect_error(&file, "points outside the file");
    assert!(msg.contains("package length 2147483647"), "{msg}");
    // The TOC pointing past the package.
    let mut file = package(b"hello", &[Rec("hello", b'x', 0, 5, 5, 0)]);
    let c = file.len() - 88;
    file[c + 16..c + 20].copy_from_slice(&0x10000u32.to_be_bytes());
    expect_error(&file, "PyInstaller TOC");
    // A package shorter than its cookie.
    let mut file = package(b"hello", &[Rec("hello", b'x', 0, 5, 5, 0)]);
    let c = file.len() - 88;
    file[c + 8..c + 12].copy_from_slice(&10u32.to_be_bytes());
    expect_error(&file, "shorter than the cookie");
}

#[test]
fn lying_sizes() {
    // Stored length past the package.
    let file = package(b"hello", &[Rec("hello", b'x', 0, 5000, 5000, 0)]);
    expect_error(&file, "data of entry \"hello\"");
    // Offset far away.
    let file = package(b"hello", &[Rec("hello", b'x', 0xffff_fff0, 5, 5, 0)]);
    expect_error(&file, "points outside the package");
    // A record longer than the TOC.
    let mut file = package(b"hello", &[Rec("hello", b'x', 0, 5, 5, 0)]);
    file[5..9].copy_from_slice(&0x1000u32.to_be_bytes());
    expect_error(&file, "TOC record of 4096 bytes");
    // Inflated size: more, or fewer, bytes than declared.
    let z = zlib(&[7u8; 1000]);
    let n = z.len() as u32;
    let file = package(&z, &[Rec("x", b'x', 0, n, 10, 1)]);
    expect_error(&file, "declares 10 inflated bytes but holds");
    let file = package(&z, &[Rec("x", b'x', 0, n, 5000, 1)]);
    expect_error(&file, "declares 5000 inflated bytes but holds 1000");
    // Corrupt zlib.
    let file = package(b"\x78\x9cgarbage!", &[Rec("x", b'x', 0, 10, 10, 1)]);
    expect_error(&file, "corrupt zlib data");
}

#[test]
fn overlapping_entries() {
    let file = package(b"0123456789", &[Rec("a", b'x', 0, 6, 6, 0), Rec("b", b'x', 4, 6, 6, 0)]);
    let msg = expect_error(&file, "overlaps entry \"a\"");
    assert!(msg.starts_with("entry \"b\""), "{msg}");
    // Inside a PYZ too.
    let blob = zlib(b"xx");
    let mut p = pyz(&[blob.clone(), blob]);
    // Point m1 at m0's data.
    let at = p.len() - 9;
    let m0 = 17u32.to_le_bytes();
    p[at..at + 4].copy_from_slice(&m0);
    let n = p.len() as u32;
    let file = package(&p, &[Rec("PYZ.pyz", b'z', 0, n, n, 0)]);
    expect_error(&file, "overlaps entry \"m0\"");
}

#[test]
fn zip_bombs_stop_at_the_budget() {
    // 128 MiB of zeros in about 130 KB: a CArchive entry declaring its true
    // size, one declaring a small size, and a PYZ module (no declared size).
    let bomb = zlib(&vec![0u8; 128 << 20]);
    assert!(bomb.len() < 200_000);
    let n = bomb.len() as u32;
    let file = package(&bomb, &[Rec("bomb", b'x', 0, n, 128 << 20, 1)]);
    let msg = expect_error(&file, "zip bomb");
    assert!(msg.contains(&format!("more than {}", Budget::for_input(file.len()).remaining())), "{msg}");
    let file = package(&bomb, &[Rec("bomb", b'x', 0, n, 1000, 1)]);
    expect_error(&file, "declares 1000 inflated bytes");
    let p = pyz(&[bomb]);
    let n = p.len() as u32;
    let file = package(&p, &[Rec("PYZ.pyz", b'z', 0, n, n, 0)]);
    let (err, time) = first_error(&file);
    let msg = err.expect("a bomb error").to_string();
    assert!(msg.contains("PYZ entry \"m0\"") && msg.contains("zip bomb"), "{msg}");
    assert!(time < Duration::from_secs(5), "{time:?}");
    // Many entries sharing one budget: the total stops, not each entry.
    let small = zlib(&vec![0u8; 40 << 20]);
    let blobs: Vec<Vec<u8>> = (0..4).map(|_| small.clone()).collect();
    let p = pyz(&blobs);
    let n = p.len() as u32;
    let file = package(&p, &[Rec("PYZ.pyz", b'z', 0, n, n, 0)]);
    let app = App::open(&file).unwrap();
    let results: Vec<bool> = app.entries.iter().skip(1).map(|e| app.extract(e).is_ok()).collect();
    assert_eq!(
        results,
        [true, false, false, false],
        "budget {} of {}",
        app.budget().remaining(),
        INFLATE_FLOOR
    );
}

#[test]
fn no_cookie_and_stray_cookies() {
    let e = App::open(b"just some bytes").unwrap_err();
    assert!(matches!(e, FrozenError::NotFrozen(_)), "{e}");
    // A stray magic below a valid archive is ignored; one above is skipped.
    let good = package(b"hello", &[Rec("hello", b'x', 0, 5, 5, 0)]);
    let mut file = b"MEI\x0c\x0b\x0a\x0b\x0eprefix junk".to_vec();
    file.extend(&good);
    file.extend(b"trailing MEI\x0c\x0b\x0a\x0b\x0e junk");
    let app = App::open(&file).unwrap();
    assert_eq!(app.entries.len(), 1);
    // Only invalid cookies: the highest one's problem is reported.
    let e = App::open(b"xxMEI\x0c\x0b\x0a\x0b\x0e\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\x01\x38").unwrap_err();
    assert!(e.to_string().contains("points outside the file"), "{e}");
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn truncations_and_mutations_never_panic() {
    let t = Instant::now();
    let mut rng = Rng(0x5eed);
    let mut runs = 0;
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            continue;
        }
        let file = std::fs::read(&path).unwrap();
        // Every truncation near the end (cookie, TOC) and a stride elsewhere.
        let step = (file.len() / 200).max(1);
        let cuts = (0..file.len()).step_by(step).chain(file.len().saturating_sub(600)..file.len());
        for cut in cuts {
            fuzz_body::run(&file[..cut]);
            runs += 1;
        }
        // Field smashes and bit flips.
        for _ in 0..300 {
            let mut m = file.clone();
            match rng.below(3) {
                0 => {
                    let i = rng.below(m.len().saturating_sub(4));
                    let v: [u8; 4] =
                        [[0xff; 4], [0x7f, 0xff, 0xff, 0xff], [0; 4], [0, 0, 0, 1]][rng.below(4)];
                    m[i..i + 4].copy_from_slice(&v);
                }
                1 => {
                    for _ in 0..1 + rng.below(4) {
                        let i = rng.below(m.len());
                        m[i] ^= 1 << rng.below(8);
                    }
                }
                _ => {
                    // Near the cookie and TOC, where most structure is.
                    let i = m.len() - 1 - rng.below(m.len().min(400));
                    m[i] = rng.next() as u8;
                }
            }
            fuzz_body::run(&m);
            runs += 1;
        }
        // The package-body mode of the fuzz target, on the archive's bytes.
        for _ in 0..50 {
            let mut input = vec![1u8, rng.next() as u8, (rng.next() % 8) as u8];
            input.extend(&file[rng.below(file.len())..]);
            fuzz_body::frozen(&input);
            runs += 1;
        }
    }
    assert!(runs > 3000, "{runs}");
    assert!(t.elapsed() < Duration::from_secs(60), "{runs} runs took {:?}", t.elapsed());
}

#[test]
fn a_key_module_shorter_than_its_header() {
    // An encrypted PYZ whose pyimod00_crypto_key is a bare 3.12 magic.
    let p = {
        let mut p = pyz(&[vec![0u8; 40]]);
        p[12] = 1;
        p
    };
    let mut data = p.clone();
    data.extend(b"\xcb\x0d\x0d\x0a");
    let n = p.len() as u32;
    let file =
        package(&data, &[Rec("PYZ.pyz", b'z', 0, n, n, 0), Rec("pyimod00_crypto_key", b'm', n, 4, 4, 0)]);
    let app = App::open(&file).unwrap();
    assert!(app.warnings.iter().any(|w| w.contains("no usable pyimod00_crypto_key")), "{:?}", app.warnings);
    let e = app.extract(&app.entries[1]).unwrap_err();
    assert!(e.to_string().contains("no working key"), "{e}");
}
