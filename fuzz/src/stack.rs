//! The body of the `stack` fuzz target, shared by cargo-fuzz (`fuzz/fuzz_targets/stack.rs`)
//! and the `cargo test` smoke run (`crates/analysis/tests/hostile.rs`), both of which include
//! this file with `#[path]`.
//!
//! Input: a `version` byte (indexing [`STACK_VERSIONS`] modulo its length), then headerless
//! marshal data. Every code object gets the stack analysis with the symbolic stack; it must
//! return normally (no panic, overflow or hang; the walks are bounded) and agree with
//! itself: one row per instruction, a row has a stack exactly when it has depths, and every
//! depth reached stays within the computed maximum (or the entry depth).

use bytescope_analysis::StackAnalyzer;
use bytescope_code::code_objects;
use bytescope_marshal::{Format, read};
use bytescope_pyc::PythonVersion;

/// The versions with an opcode table, as the `version` byte selects them.
pub const STACK_VERSIONS: &[PythonVersion] = &[
    PythonVersion::PY27,
    PythonVersion::PY30,
    PythonVersion::PY31,
    PythonVersion::PY32,
    PythonVersion::PY33,
    PythonVersion::PY34,
    PythonVersion::PY35,
    PythonVersion::PY36,
    PythonVersion::PY37,
    PythonVersion::PY38,
    PythonVersion::PY39,
    PythonVersion::PY310,
    PythonVersion::PY311,
    PythonVersion::PY312,
    PythonVersion::PY313,
    PythonVersion::PY314,
    PythonVersion::PY315,
];

/// `stack`: see the module documentation.
pub fn stack(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let v = STACK_VERSIONS[usize::from(sel) % STACK_VERSIONS.len()];
    let Ok(m) = read(rest, Format::for_version(v), 0) else { return };
    let Ok(analyzer) = StackAnalyzer::new(v) else { return };
    let limit = m.codes().len().saturating_mul(4).saturating_add(16);
    let Ok(codes) = code_objects(&m, limit) else { return };
    for code in &codes {
        let depths = analyzer.depths(code);
        let (rows, again) = analyzer.rows(code, 12);
        assert_eq!(depths, again, "{v}: depths differ between the two entry points");
        // The fast path (no per-instruction depths) agrees with the general one.
        let quick = analyzer.stacksize(code);
        assert_eq!(
            (quick.stacksize, &quick.problems),
            (depths.stacksize, &depths.problems),
            "{v}: fast path differs"
        );
        assert_eq!(rows.len(), depths.insns.len());
        for row in &rows {
            assert_eq!(row.depth_before.is_some(), row.depth_after.is_some());
            if let Some(b) = row.depth_before {
                assert!(
                    b <= depths.stacksize.max(1),
                    "{v}: depth {b} above the maximum {}",
                    depths.stacksize
                );
            }
            assert!(row.stack.len() <= 1024, "{v}: {} slots", row.stack.len());
            assert!(row.stack.iter().all(|s| s.chars().count() <= 12));
        }
    }
}
