//! The bodies of bytescope's fuzz targets, shared by cargo-fuzz
//! (`fuzz/fuzz_targets/*.rs`) and the plain `cargo test` smoke tests
//! (`crates/cli/tests/hostile.rs` includes this file with `#[path]`), so each
//! body exists once.
//!
//! Every target takes arbitrary bytes and must return normally: no panic
//! (debug builds also trap integer overflow), no stack overflow, no hang.
//! Where a property is cheap to state, the target asserts it too: the marshal
//! writer reproduces exactly the bytes the reader consumed, decoded tables and
//! arenas stay within their documented size bounds, and output stays within
//! a fixed multiple of the input.
//!
//! Input layouts (the first bytes select what the rest means):
//!
//! | target | layout |
//! |---|---|
//! | [`header`] | a .pyc file (only its header matters) |
//! | [`marshal`] | `version` byte, marshal data |
//! | [`tables`] | `version` byte, `co_firstlineno` (i32 LE), `len(co_code)` (u16 LE, `0xffff` = huge), table bytes |
//! | [`dis`] | `version` byte, options byte (bit 0 caches, 1 offsets, 2 positions), headerless marshal data |
//! | [`pyc`] | a whole .pyc file |
//! | [`archive`] | a zip archive |
//!
//! The `version` byte indexes [`VERSIONS`] (marshal, tables) or
//! [`DIS_VERSIONS`] (dis) modulo their length.

// This file is also compiled as a module of an integration test (`#[path]`),
// which does not use every helper.
#![allow(dead_code)]

use bytescope_code::exceptions::parse_exception_table;
use bytescope_code::lines::{co_lines, co_positions, findlinestarts, linestarts};
use bytescope_code::{Code, code_objects};
use bytescope_dis::{DisOptions, Disassembler, Scratch};
use bytescope_inspect::Inspector;
use bytescope_instr::{Decoder, Lines};
use bytescope_marshal::{Format, Marshal, load_pyc, read, read_in, write};
use bytescope_pyc::{PythonVersion, parse_header, write_header};

/// Every version the marshal layer knows, as the `version` byte selects them.
pub const VERSIONS: &[PythonVersion] = PythonVersion::ALL;

/// The versions with an opcode table (2.7, 3.0–3.15, then 1.5 and 2.0–2.6).
pub const DIS_VERSIONS: &[PythonVersion] = &[
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
    // Transcribed tables, after the others so that existing seeds keep their versions.
    PythonVersion::PY15,
    PythonVersion::PY20,
    PythonVersion::PY21,
    PythonVersion::PY22,
    PythonVersion::PY23,
    PythonVersion::PY24,
    PythonVersion::PY25,
    PythonVersion::PY26,
];

/// Output (dis text, code_info text, instruction lists) may be at most this
/// many bytes per input byte, plus [`OUTPUT_SLACK`].
pub const OUTPUT_PER_INPUT_BYTE: usize = 256;

/// Fixed allowance on top of [`OUTPUT_PER_INPUT_BYTE`].
pub const OUTPUT_SLACK: usize = 1 << 20;

/// Most code objects a walk may yield: every distinct one, plus repeats
/// within the walk's budget (4 units per input byte plus 4096, at least 64
/// units per repeat).
fn visit_bound(m: &Marshal<'_>) -> usize {
    m.codes().len().saturating_add(m.end_offset().saturating_mul(4).saturating_add(4096) / 64)
}

/// Bytes a stopped JSON view may add past its budget to close its brackets.
const JSON_CLOSE: usize = 8;

fn check_output(what: &str, produced: usize, input: usize) {
    let bound = input.saturating_mul(OUTPUT_PER_INPUT_BYTE).saturating_add(OUTPUT_SLACK);
    assert!(produced <= bound, "{what}: {produced} bytes of output from {input} bytes of input");
}

/// `header`: [`parse_header`] on a whole file. A header that parses must
/// fit in the input and be written back byte for byte by [`write_header`].
pub fn header(data: &[u8]) {
    if let Ok(h) = parse_header(data) {
        assert!(h.len <= data.len(), "header of {} bytes in {} bytes of input", h.len, data.len());
        assert_eq!(write_header(&h), &data[..h.len], "header round trip");
    }
}

/// `marshal`: [`read`] in the version the first byte selects, then the
/// round-trip property: [`write`] of what was read reproduces exactly the
/// bytes the reader consumed. The arena holds at most one node per consumed
/// byte.
pub fn marshal(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let v = VERSIONS[usize::from(sel) % VERSIONS.len()];
    let Ok(m) = read(rest, Format::for_version(v), 0) else { return };
    let end = m.end_offset();
    assert!(end <= rest.len(), "end offset {end} past {} bytes", rest.len());
    assert!(m.nodes().len() <= end, "{} nodes from {end} bytes", m.nodes().len());
    let out = write(&m);
    assert!(out == rest[..end], "{v}: round trip differs ({} bytes read, {} written)", end, out.len());
    // Read again into the first read's memory: the same stream.
    let again = read_in(rest, Format::for_version(v), 0, m.into_storage()).expect("read again");
    assert!(write(&again) == out, "{v}: reading into reused storage differs");
}

/// The text buffers the printers may write to.
trait Buffer {
    fn len(&self) -> usize;
}

impl Buffer for String {
    fn len(&self) -> usize {
        self.as_bytes().len()
    }
}

impl Buffer for Vec<u8> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
}

/// Runs every line/position/exception table decoder of `v` over `table` and
/// checks their documented output bounds.
fn run_tables(v: PythonVersion, code_len: usize, first: i32, table: &[u8]) {
    let n = table.len();
    let lines = co_lines(v, code_len, first, table);
    assert!(lines.len() <= n + 1, "{v}: {} co_lines ranges from {n} bytes", lines.len());
    let starts = findlinestarts(v, code_len, first, table);
    assert!(starts.len() <= n + 1, "{v}: {} line starts from {n} bytes", starts.len());
    let ls = linestarts(v, code_len, first, table);
    assert!(ls.len() <= starts.len());
    let positions = co_positions(v, code_len, first, table);
    assert!(positions.len() <= 8 * n, "{v}: {} positions from {n} bytes", positions.len());
    if let Ok(entries) = parse_exception_table(table) {
        assert!(entries.len() <= n / 4, "{} exception entries from {n} bytes", entries.len());
    }
}

/// `tables`: the lnotab (≤3.9), 3.10 line table, 3.11+ location table and
/// exception table decoders of the selected version over arbitrary bytes.
pub fn tables(data: &[u8]) {
    if data.len() < 7 {
        return;
    }
    let v = VERSIONS[usize::from(data[0]) % VERSIONS.len()];
    let first = i32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let code_len = match u16::from_le_bytes([data[5], data[6]]) {
        0xffff => usize::MAX,
        n => usize::from(n),
    };
    run_tables(v, code_len, first, &data[7..]);
}

/// Everything the disassembler offers for the code objects of `m`: `dis`
/// text (with `opts`), `code_info` text, the `dis --json` and `info --json`
/// views (each also drained piece by piece: the same bytes and outcome), the
/// `inspect` report, and the instruction list and tables of every code
/// object. `input` is the input size for the output bound.
fn run_dis(m: &Marshal<'_>, opts: DisOptions, input: usize) {
    // PyPy's magics select PyPy's table, as the CLI does.
    let Ok(d) = Disassembler::for_marshal(m) else { return };
    // The buffer type (String or Vec<u8>) is whatever the printers take.
    let mut text = Default::default();
    let first = d.dis(m, opts, &mut text);
    check_output("dis", Buffer::len(&text), input);
    // Drained after every code object, twice with the same scratch memory:
    // the pieces make the same text and the same outcome.
    let mut scratch = Scratch::default();
    for _ in 0..2 {
        let (mut rest, mut drained) = (Vec::new(), Vec::new());
        let again = d.dis_draining(m, opts, &mut scratch, &mut rest, 1, |part| drained.append(part));
        drained.append(&mut rest);
        assert!(drained == text, "drained listing differs");
        assert_eq!(format!("{again:?}"), format!("{first:?}"));
    }
    // Every line through the general path: the same bytes, the same outcome.
    let mut general = Vec::new();
    let slow = d.dis_general_path(m, opts, &mut general);
    assert_eq!(format!("{slow:?}"), format!("{first:?}"));
    assert!(general == text, "the fast paths and the general path differ");
    let mut info = Default::default();
    let first = d.code_info(m, &mut info);
    check_output("code_info", Buffer::len(&info), input);
    let (mut rest, mut drained) = (Vec::new(), Vec::new());
    let again = d.code_info_draining(m, &mut rest, 1, |part| drained.append(part));
    drained.append(&mut rest);
    assert!(drained == info.as_bytes(), "drained code_info differs");
    assert_eq!(format!("{again:?}"), format!("{first:?}"));
    // The JSON views: within the budget (plus their closing brackets),
    // valid-looking, and the same when drained line by line.
    let mut json = String::new();
    let first = d.instructions_json(m, &mut json);
    check_output("instructions_json", json.len().saturating_sub(JSON_CLOSE), input);
    assert!(json.starts_with('[') && json.ends_with("\n]\n"), "unclosed JSON");
    let (mut rest, mut drained) = (Vec::new(), Vec::new());
    let again = d.instructions_json_draining(m, &mut rest, 1, |part| drained.append(part));
    drained.append(&mut rest);
    assert!(drained == json.as_bytes(), "drained instructions_json differs");
    assert_eq!(format!("{again:?}"), format!("{first:?}"));
    let mut json = String::new();
    let first = d.attrs_json(m, &mut json);
    check_output("attrs_json", json.len().saturating_sub(JSON_CLOSE), input);
    let (mut rest, mut drained) = (Vec::new(), Vec::new());
    let again = d.attrs_json_draining(m, &mut rest, 1, |part| drained.append(part));
    drained.append(&mut rest);
    assert!(drained == json.as_bytes(), "drained attrs_json differs");
    assert_eq!(format!("{again:?}"), format!("{first:?}"));
    // The code-object report: each code object at most once.
    if let Ok(inspector) = Inspector::new(m.version())
        && let Ok(report) = inspector.inspect(m)
    {
        assert!(report.code_objects.len() <= m.codes().len(), "{} reports", report.code_objects.len());
    }
    let codes: Vec<Code<'_, '_>> = match code_objects(m) {
        Ok(c) => c,
        // Still look at the code objects before the bad one.
        Err(_) => m.code_walk().map_while(|v| Code::new(m, v.code).ok()).collect(),
    };
    assert!(codes.len() <= visit_bound(m), "{} code objects visited", codes.len());
    let mut produced = 0usize;
    for code in &codes {
        let v = code.version();
        run_tables(v, code.code.len(), code.firstlineno(), code.linetable);
        let _ = parse_exception_table(code.exceptiontable);
        run_instr(code);
        if let Ok(ins) = d.instructions(code) {
            assert!(
                ins.len() <= code.code.len(),
                "{} instructions from {} bytes",
                ins.len(),
                code.code.len()
            );
            produced = produced.saturating_add(ins.iter().map(|i| i.argrepr.len() + 64).sum::<usize>());
            run_lazy(&d, code, &ins);
        }
    }
    check_output("instructions", produced, input);
}

/// The lazy path of the Python package's `get_instructions`
/// (`Disassembler::decode`, then each field resolved on its own) on one code
/// object: it must give what the general path gave.
fn run_lazy(d: &Disassembler, code: &Code<'_, '_>, general: &[bytescope_dis::Instruction]) {
    let decoded = d.decode(code, false);
    assert_eq!(decoded.rows.len(), general.len(), "the lazy path decodes another number of instructions");
    let mut cache = bytescope_dis::ArgreprCache::default();
    for (row, ins) in decoded.rows.iter().zip(general) {
        assert_eq!((row.offset, row.arg(), row.line_number()), (ins.offset, ins.arg, ins.line_number));
        assert_eq!(row.starts_line(), ins.starts_line);
        assert_eq!(decoded.label(row), ins.label);
        assert_eq!(d.row_jump_target(code, row), ins.jump_target);
        if let Ok(text) = d.argrepr(code, &decoded, row, &mut cache) {
            assert_eq!(text, ins.argrepr, "the lazy argrepr differs at {}", ins.offset);
        }
        let _ = d.arg_ref(code, row);
    }
}

/// The instruction model on one code object: the resolved stream with
/// lines and positions, the jump-target scan and the walk it picks (which
/// must decode what the general walk decodes), and the facts every
/// instruction states about itself.
fn run_instr(code: &Code<'_, '_>) {
    let Ok(dec) = Decoder::new(code) else { return };
    let len = code.code.len();
    let lines = Lines::new(code);
    let mut count = 0usize;
    let mut end = 0u32;
    for located in dec.iter().located(&lines, true) {
        let ins = located.instruction;
        assert!(ins.offset >= end, "instructions overlap at {}", ins.offset);
        assert!(ins.start_offset <= ins.offset);
        assert!((ins.offset as usize) < len, "instruction at {} of {len} bytes", ins.offset);
        assert_eq!(ins.jump_target(), dec.jump_target(&ins.raw()));
        assert_eq!(ins.info.name, dec.table().op(ins.opcode).name);
        end = ins.end_offset();
        count += 1;
    }
    assert!(count <= len, "{count} instructions from {len} bytes");
    let mut targets = Vec::new();
    let walk = dec.jump_targets(&mut targets);
    assert!(targets.len() <= count);
    assert!(dec.walk(walk).eq(dec.raw_instructions()), "the chosen walk decodes differently");
}

/// `dis`: headerless marshal data read as the selected version (the
/// `--python-version` path of [`load_pyc`]), then [`run_dis`] with the
/// options the second byte selects.
pub fn dis(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let v = DIS_VERSIONS[usize::from(data[0]) % DIS_VERSIONS.len()];
    let opts = DisOptions {
        show_caches: data[1] & 1 != 0,
        show_offsets: data[1] & 2 != 0,
        show_positions: data[1] & 4 != 0,
        lasti: (data[1] & 8 != 0).then_some(i64::from(data[1] >> 5) * 2),
        line_offset: if data[1] & 16 != 0 { i64::MIN / 2 } else { 0 },
        // (Shares a bit with `lasti`'s offset: any mix is worth running.)
        adaptive: data[1] & 32 != 0,
    };
    let rest = &data[2..];
    if let Ok(pyc) = load_pyc(rest, Some(v)) {
        run_dis(&pyc.marshal, opts, rest.len());
        run_adaptive(&pyc.marshal, opts, rest.len());
    }
}

/// The bytecode views the Python package lists: every code object's bytecode quickened as
/// its version quickens new code objects (`OpcodeTable::quickened`, `dis(x, adaptive=True)`)
/// and deoptimised as CPython's `co_code` getter gives it (`OpcodeTable::deoptimized`), each
/// of the same length, a deoptimised one stable, each listed within the output budget.
fn run_adaptive(m: &Marshal<'_>, opts: DisOptions, input: usize) {
    let Ok(d) = Disassembler::for_marshal(m) else { return };
    let Ok(codes) = code_objects(m) else { return };
    for mut code in codes {
        let quickened = d.table().quickened(code.code);
        assert_eq!(quickened.len(), code.code.len(), "quickening changed the length");
        let deoptimized = d.table().deoptimized(code.code);
        if let Some(deopt) = &deoptimized {
            assert_eq!(deopt.len(), code.code.len(), "deoptimising changed the length");
            assert!(d.table().deoptimized(deopt).is_none(), "deoptimised code is not stable");
        }
        let variants: Vec<Vec<u8>> = [Some(quickened), deoptimized].into_iter().flatten().collect();
        for bytes in &variants {
            code.code = bytes;
            let mut out = Vec::new();
            let _ = d.disassemble(&code, opts, &mut out);
            check_output("adaptive", out.len(), input);
        }
    }
}

/// `pyc`: a whole file as the CLI reads it: header, marshal data (whose
/// round trip must reproduce the file up to the end of the object), then
/// everything [`run_dis`] does.
pub fn pyc(data: &[u8]) {
    header(data);
    let Ok(pyc) = load_pyc(data, None) else { return };
    let end = pyc.marshal.end_offset();
    assert!(pyc.marshal_offset <= end && end <= data.len());
    assert_eq!(pyc.trailing.len(), data.len() - end);
    if let Some(h) = &pyc.header {
        let mut out = write_header(h);
        out.extend(write(&pyc.marshal));
        assert!(out == data[..end], "pyc round trip differs");
    }
    run_dis(&pyc.marshal, DisOptions::default(), data.len());
}

/// The limits [`archive`] reads under: small, so that the bounds are
/// reached by inputs of a few KB.
pub const ARCHIVE_LIMITS: bytescope_batch::Limits = bytescope_batch::Limits {
    max_file_size: 1 << 20,
    max_depth: 3,
    inflate_ratio: 64,
    inflate_slack: 64 << 10,
};

/// `archive`: the bytes as a zip archive, read by the batch layer as the
/// CLI reads an archive input (central directory and layout checks, every
/// .pyc member inflated, nested archives opened to depth 3), under
/// [`ARCHIVE_LIMITS`]. Properties: every member holds at most the file
/// limit, all members together at most the archive's inflation budget
/// (64 times its size plus the slack), and every member has a name of its
/// own.
pub fn archive(data: &[u8]) {
    let limits = ARCHIVE_LIMITS;
    let budget = (data.len() as u64) * limits.inflate_ratio + limits.inflate_slack;
    let mut total = 0u64;
    let mut names = std::collections::HashSet::new();
    let _ = bytescope_batch::read_archive(std::path::Path::new("fuzz.zip"), data, &limits, |source, r| {
        assert!(names.insert(source.to_string()), "two members named {source}");
        if let Ok(bytes) = r {
            assert!(bytes.len() as u64 <= limits.max_file_size);
            total += bytes.len() as u64;
        }
    });
    assert!(total <= budget, "{total} bytes inflated from {} (budget {budget})", data.len());
}

/// Deterministic inputs for the smoke tests: pseudo-random bytes and
/// mutations of real .pyc files at their structural boundaries.
pub mod smoke {
    use bytescope_marshal::{Value, load_pyc};

    /// xorshift64*: deterministic and dependency-free.
    pub struct Rng(pub u64);

    impl Rng {
        /// The next 64 pseudo-random bits.
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// A number in `0..n` (`n > 0`).
        pub fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        /// `len` bytes, biased towards the bytes that matter to marshal and
        /// the tables (type codes, FLAG_REF, continuation bits, extremes).
        pub fn bytes(&mut self, len: usize) -> Vec<u8> {
            const SPECIAL: &[u8] = b"\x00\x01\x40\x7f\x80\xc0\xe3\xff()[]{}<>rRcsuazZ)lNTF0";
            (0..len)
                .map(
                    |_| {
                        if self.below(3) == 0 {
                            SPECIAL[self.below(SPECIAL.len())]
                        } else {
                            self.next() as u8
                        }
                    },
                )
                .collect()
        }
    }

    /// Byte offsets where a truncation cuts `pyc` at a structural boundary:
    /// inside the header, at and just after each object's type byte, inside
    /// its 4-byte length or int field, and inside each code object's integer
    /// fields.
    #[must_use]
    pub fn boundaries(pyc: &[u8]) -> Vec<usize> {
        let mut cuts: Vec<usize> = (0..pyc.len().min(17)).collect();
        if let Ok(p) = load_pyc(pyc, None) {
            for node in p.marshal.nodes() {
                let o = node.offset as usize;
                cuts.extend([o, o + 1, o + 3, o + 5]);
                if let Value::Code(_) = node.value {
                    cuts.extend((0..7).map(|k| o + 1 + 4 * k + 2));
                }
            }
            cuts.push(p.marshal.end_offset().saturating_sub(1));
        }
        cuts.retain(|&c| c < pyc.len());
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    }

    /// Offsets of each object whose type byte is followed by a length or
    /// index field, with the field's width (4, or 1 for `)`, `z`, `Z`).
    #[must_use]
    pub fn length_fields(pyc: &[u8]) -> Vec<(usize, usize)> {
        let Ok(p) = load_pyc(pyc, None) else { return Vec::new() };
        p.marshal
            .nodes()
            .iter()
            .filter_map(|n| {
                let w = match n.type_code() {
                    b's' | b't' | b'u' | b'a' | b'A' | b'(' | b'[' | b'<' | b'>' | b'l' | b'r' | b'R' => 4,
                    b')' | b'z' | b'Z' => 1,
                    _ => return None,
                };
                Some((n.offset as usize + 1, w))
            })
            .collect()
    }

    /// `count` mutants of the valid .pyc `pyc`: truncations at every
    /// structural boundary (strided when there are more than `count / 2`),
    /// length fields set to huge, negative and off-by-one values, random
    /// bit flips, type-byte swaps and random splices.
    #[must_use]
    pub fn mutants(pyc: &[u8], rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(count);
        let cuts = boundaries(pyc);
        let step = (cuts.len() / (count / 2).max(1)).max(1);
        for &c in cuts.iter().step_by(step) {
            out.push(pyc[..c].to_vec());
        }
        let fields = length_fields(pyc);
        let smashes: [&[u8]; 6] = [
            b"\xff\xff\xff\x7f",
            b"\xff\xff\xff\xff",
            b"\x00\x00\x00\x80",
            b"\xfe\xff\xff\xff",
            b"\xff",
            b"\x00",
        ];
        while out.len() < count {
            let mut m = pyc.to_vec();
            if m.is_empty() {
                let n = rng.below(64);
                out.push(rng.bytes(n));
                continue;
            }
            match rng.below(6) {
                0 | 1 if !fields.is_empty() => {
                    let (at, w) = fields[rng.below(fields.len())];
                    let s = smashes[rng.below(smashes.len())];
                    for (i, b) in s.iter().take(w).enumerate() {
                        if let Some(x) = m.get_mut(at + i) {
                            *x = *b;
                        }
                    }
                    if w == 4 && rng.below(2) == 0 {
                        // Off by one: one more element than present.
                        if let Some(x) = m.get_mut(at) {
                            *x = x.wrapping_add(1);
                        }
                    }
                }
                2 => {
                    for _ in 0..1 + rng.below(4) {
                        let i = rng.below(m.len());
                        m[i] ^= 1 << rng.below(8);
                    }
                }
                3 => {
                    let i = rng.below(m.len());
                    const CODES: &[u8] = b"()[]{}<>rRcsuazZ)lNTF0:}x?\x80\xe3";
                    m[i] = CODES[rng.below(CODES.len())];
                }
                4 => {
                    let i = rng.below(m.len());
                    let n = 1 + rng.below(16);
                    let junk = rng.bytes(n);
                    let end = (i + junk.len()).min(m.len());
                    m.splice(i..end, junk);
                }
                _ => {
                    // A truncation plus a flip just before the cut.
                    let c = rng.below(m.len());
                    m.truncate(c.max(1));
                    let i = rng.below(m.len());
                    m[i] ^= 1 << rng.below(8);
                }
            }
            out.push(m);
        }
        out
    }
}
