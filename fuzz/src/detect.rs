//! The body of the `detect` fuzz target, shared by cargo-fuzz
//! (`fuzz/fuzz_targets/detect.rs`) and the `cargo test` smoke run
//! (`crates/detect/tests/hostile.rs`), both of which include this file with
//! `#[path]`.
//!
//! Input: a selector byte, then the data. Bit 0 of the selector picks a
//! given version (the next byte indexes the candidate versions) over
//! detection; bit 1 forces. Detection over every candidate version must
//! return normally (no panic, overflow or hang) within its budgets and agree
//! with itself: candidates are ranked clean first, a clean candidate has no
//! failures, a unique verdict names the only clean candidate, a tie names
//! every clean one, and loading through `resolve` reads the data as the
//! version the verdict names.

use bytescope_detect::{Limits, Origin, Verdict, candidate_versions, check, detect, resolve};
use bytescope_marshal::Storage;

/// `detect`: see the module documentation.
pub fn detect_target(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    // Small budgets keep each input fast while still reaching every check.
    let limits =
        Limits { max_instructions: 1 << 16, max_failures: 16, max_code_objects: 1 << 10, kept_failures: 4 };
    let versions = candidate_versions();
    let (given, rest) = if sel & 1 != 0 {
        let Some((&v, rest)) = rest.split_first() else { return };
        (Some(versions[usize::from(v) % versions.len()]), rest)
    } else {
        (None, rest)
    };
    let d = detect(rest, &limits);
    assert_eq!(d.candidates.len(), versions.len());
    let clean: Vec<_> = d.clean().map(|c| c.version).collect();
    assert!(d.candidates.iter().take(clean.len()).all(|c| c.is_clean()), "clean candidates rank first");
    for c in &d.candidates {
        assert_eq!(c.is_clean(), c.failed == 0 && c.checks > 0);
        assert!(c.failures.len() <= limits.kept_failures);
        assert!((0.0..=1.0).contains(&c.score()));
    }
    match d.verdict() {
        Verdict::Unique(v) => assert_eq!(clean, [v]),
        Verdict::Tie(vs) => assert_eq!(clean, vs),
        Verdict::Unclean(_) | Verdict::Unreadable => assert!(clean.is_empty()),
    }
    if let Some(v) = given {
        let c = check(rest, v, &limits);
        assert_eq!(c.version, v);
        assert_eq!(c.is_clean(), d.candidate(v).is_some_and(bytescope_detect::Candidate::is_clean));
    }
    if let Ok(r) = resolve(rest, given, sel & 2 != 0, &limits, Storage::default()) {
        match (&r.origin, given) {
            (Origin::Detected(found), None) => assert_eq!(Some(r.pyc.version()), found.version()),
            (Origin::Given(c) | Origin::Forced(c), Some(v)) => {
                assert_eq!((c.version, r.pyc.version()), (v, v));
            }
            (Origin::Header, _) => {}
            other => panic!("origin {other:?} for given {given:?}"),
        }
        let _ = r.origin.note();
    }
}
