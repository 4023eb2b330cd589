use bytescope_code::Code;
use bytescope_marshal::load_pyc;
use bytescope_pyc::PythonVersion;

use crate::{ArgKind, Decoder, RawInstruction, VersionData};

/// The side-by-side jump-target walks find what one walk over the general
/// decoder finds, and the walk they choose decodes the same instructions,
/// for code made mostly of CACHE units, jumps and EXTENDED_ARGs (where a
/// second walk can start inside an instruction's caches), in a version with
/// inline caches and one without.
#[test]
fn jump_target_walks_match_the_general_walk() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    for (v, file) in
        [(PythonVersion::PY312, "3.12/constants.pyc"), (PythonVersion::PY38, "3.8/comprehensions.pyc")]
    {
        let data = std::fs::read(root.join(file)).expect("fixture");
        let pyc = load_pyc(&data, None).expect("loads");
        let m = &pyc.marshal;
        let node = m.code(m.root()).expect("a code object");
        let table = bytescope_opcodes::table(v).expect("table");
        let vd = VersionData::of(table);
        let ops: Vec<u8> = (0..=255u8)
            .filter(|&op| vd.plan(op).is_ext || matches!(vd.plan(op).kind, ArgKind::Jump { .. }))
            .chain([0, 0, 0, 1, 2, vd.plans.iter().position(|p| p.caches > 1).unwrap_or(1) as u8])
            .collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for case in 0..4000 {
            let len = case % 97;
            let bytes: Vec<u8> =
                (0..len).map(|i| if i % 2 == 0 { ops[next(ops.len())] } else { next(256) as u8 }).collect();
            let mut code = Code::new(m, node).expect("code");
            code.code = &bytes;
            let dec = Decoder::with_table(&code, table);
            let mut fast = Vec::new();
            let walk = dec.jump_targets(&mut fast);
            let general: Vec<RawInstruction> = dec.raw_instructions().collect();
            let mut slow: Vec<i64> = general.iter().filter_map(|r| dec.label_target(r)).collect();
            fast.sort_unstable();
            slow.sort_unstable();
            assert_eq!(fast, slow, "{v} {bytes:?}");
            assert_eq!(dec.walk(walk).collect::<Vec<_>>(), general, "{v} {bytes:?}");
        }
    }
}

/// EXTENDED_ARG folding by each version's rules.
#[test]
fn extended_arg_rules() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    type Case = (PythonVersion, &'static str, &'static [u8], &'static [Option<i64>]);
    let cases: [Case; 4] = [
        // 3.12: EXTENDED_ARG 1; LOAD_FAST 2 → 0x102.
        (PythonVersion::PY312, "3.12/constants.pyc", &[144, 1, 124, 2], &[Some(1), Some(0x102)]),
        // 3.10+: an argument-less instruction resets the state.
        (PythonVersion::PY312, "3.12/constants.pyc", &[144, 1, 1, 0, 124, 2], &[Some(1), None, Some(2)]),
        // 3.11+: wraps like a C int (0xff << 24 ...).
        (
            PythonVersion::PY312,
            "3.12/constants.pyc",
            &[144, 255, 144, 255, 144, 255, 124, 255],
            &[Some(255), Some(0xffff), Some(0xff_ffff), Some(-1)],
        ),
        // 3.9: no reset by argument-less instructions.
        (PythonVersion::PY39, "3.9/constants.pyc", &[144, 1, 1, 0, 124, 2], &[Some(1), None, Some(0x102)]),
    ];
    for (v, file, bytes, want) in cases {
        let data = std::fs::read(root.join(file)).expect("fixture");
        let pyc = load_pyc(&data, None).expect("loads");
        let m = &pyc.marshal;
        let mut code = Code::new(m, m.code(m.root()).expect("code")).expect("code");
        code.code = bytes;
        let dec = Decoder::with_table(&code, bytescope_opcodes::table(v).expect("table"));
        let args: Vec<Option<i64>> = dec.iter().map(|i| i.arg).collect();
        assert_eq!(args, want, "{v} {bytes:?}");
    }
}

/// Crafted EXTENDED_ARG chains saturate instead of overflowing, in
/// wordcode and bytecode.
#[test]
fn crafted_chains_saturate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let data = std::fs::read(root.join("3.9/constants.pyc")).expect("fixture");
    let pyc = load_pyc(&data, None).expect("loads");
    let m = &pyc.marshal;
    for (v, want) in [
        // Saturated (Python's int would be unbounded).
        (PythonVersion::PY39, Some(i64::MAX)),
        (PythonVersion::PY35, Some(i64::MAX)),
        (PythonVersion::PY27, Some(i64::MAX)),
        // A C int: all ones.
        (PythonVersion::PY313, Some(-1)),
    ] {
        let table = bytescope_opcodes::table(v).expect("table");
        let load = table.opcode("LOAD_FAST").expect("LOAD_FAST");
        let unit: &[u8] = if v.major == 2 || v < PythonVersion::PY36 {
            &[table.extended_arg, 255, 255]
        } else {
            &[table.extended_arg, 255]
        };
        let mut bytes = unit.repeat(5000);
        bytes.extend([load, 255, 255]);
        let mut code = Code::new(m, m.code(m.root()).expect("code")).expect("code");
        code.code = &bytes;
        let dec = Decoder::with_table(&code, table);
        let last = dec.iter().last().expect("instructions");
        assert_eq!(last.arg, want, "{v}");
    }
}
