//! What CPython does to bytecode when it creates a code object: its quickening
//! (`_PyCode_Quicken`), whose result is `code._co_code_adaptive` of a code object no
//! one has run yet — `marshal.loads` of a `.pyc`, or `dis.dis(x, adaptive=True)` of
//! unrun code.
//!
//! 3.11 quickens only after a code object has run a while, so its new code objects are
//! their `co_code`. From 3.12 every new code object is quickened at once: the first
//! inline cache unit of every opcode that has caches gets the version's initial counter,
//! and 3.12 also rewrites five pairs of adjacent instructions into superinstructions
//! (`LOAD_FAST LOAD_FAST` → `LOAD_FAST__LOAD_FAST ...`, the first of the pair
//! renamed). These rule values were read off the interpreters here (3.12.1, 3.13.0,
//! 3.14.10, 3.15.2: `_co_code_adaptive` against `co_code` over their standard
//! libraries, with `tools/conformance_python.py` checking every code object);
//! `tools/gen_python_adaptive.py` records them for the tests.
//!
//! The other direction is `co_code` itself: CPython's getter deoptimises what the code
//! object stores ([`OpcodeTable::deoptimized`]), which matters only for crafted data.

use bytescope_pyc::PythonVersion;

use crate::OpcodeTable;

/// One version's quickening of new code objects.
#[derive(Debug)]
pub struct Quickening {
    /// The first cache unit of an opcode with inline caches, unless `counters` names it:
    /// `adaptive_counter_warmup()` (value 1, backoff 1 up to 3.14: 17; 3.15: 9).
    pub warmup: u16,
    /// Opcodes whose first cache unit starts elsewhere: `JUMP_BACKWARD`'s backoff
    /// counter, the conditional jumps' branch history (`0x5555`, alternating bits, 3.13+),
    /// `RESUME`'s (3.15).
    pub counters: &'static [(&'static str, u16)],
    /// `(first, second, superinstruction)`: an instruction `first` directly followed by
    /// `second` becomes `superinstruction` (3.12).
    pub superinstructions: &'static [(&'static str, &'static str, &'static str)],
    /// Whether an opcode is read through its base (`_Py_GetBaseOpcode`, 3.12–3.13) rather
    /// than as stored (3.14+): a specialised opcode in crafted data then counts as its base.
    pub deopt: bool,
}

const BRANCH_HISTORY: u16 = 0x5555;

static PY312: Quickening = Quickening {
    warmup: 17,
    counters: &[],
    superinstructions: &[
        ("LOAD_CONST", "LOAD_FAST", "LOAD_CONST__LOAD_FAST"),
        ("LOAD_FAST", "LOAD_CONST", "LOAD_FAST__LOAD_CONST"),
        ("LOAD_FAST", "LOAD_FAST", "LOAD_FAST__LOAD_FAST"),
        ("STORE_FAST", "LOAD_FAST", "STORE_FAST__LOAD_FAST"),
        ("STORE_FAST", "STORE_FAST", "STORE_FAST__STORE_FAST"),
    ],
    deopt: true,
};

const BRANCHES: [(&str, u16); 4] = [
    ("POP_JUMP_IF_FALSE", BRANCH_HISTORY),
    ("POP_JUMP_IF_TRUE", BRANCH_HISTORY),
    ("POP_JUMP_IF_NONE", BRANCH_HISTORY),
    ("POP_JUMP_IF_NOT_NONE", BRANCH_HISTORY),
];

static PY313: Quickening = Quickening {
    warmup: 17,
    counters: &[("JUMP_BACKWARD", 260), BRANCHES[0], BRANCHES[1], BRANCHES[2], BRANCHES[3]],
    superinstructions: &[],
    deopt: true,
};

static PY314: Quickening = Quickening {
    warmup: 17,
    counters: &[("JUMP_BACKWARD", 65532), BRANCHES[0], BRANCHES[1], BRANCHES[2], BRANCHES[3]],
    superinstructions: &[],
    deopt: false,
};

static PY315: Quickening = Quickening {
    warmup: 9,
    counters: &[
        ("JUMP_BACKWARD", 32006),
        ("RESUME", 65526),
        BRANCHES[0],
        BRANCHES[1],
        BRANCHES[2],
        BRANCHES[3],
    ],
    superinstructions: &[],
    deopt: false,
};

/// How `version` quickens a new code object, or `None` where it leaves the bytecode
/// as it is (3.11, which quickens code only once it has run, and every version before).
#[must_use]
pub fn quickening(version: PythonVersion) -> Option<&'static Quickening> {
    match (version.major, version.minor) {
        (3, 12) => Some(&PY312),
        (3, 13) => Some(&PY313),
        (3, 14) => Some(&PY314),
        (3, 15) => Some(&PY315),
        _ => None,
    }
}

impl OpcodeTable {
    /// `code._co_code_adaptive` of a new code object whose `co_code` is `code` (3.11+):
    /// `code` quickened as this version quickens new code objects (see [`quickening`]);
    /// `code` itself for versions that do not. A trailing odd byte is kept as it is.
    #[must_use]
    pub fn quickened(&self, code: &[u8]) -> Vec<u8> {
        let mut out = code.to_vec();
        let Some(q) = quickening(self.version) else {
            return out;
        };
        let mut first_cache = [q.warmup; 256];
        for &(name, value) in q.counters {
            if let Some(op) = self.opcode(name) {
                first_cache[usize::from(op)] = value;
            }
        }
        let pairs: Vec<(u8, u8, u8)> = q
            .superinstructions
            .iter()
            .filter_map(|&(a, b, s)| Some((self.opcode(a)?, self.opcode(b)?, self.opcode(s)?)))
            .collect();
        let units = code.len() / 2;
        let mut previous: Option<u8> = None;
        let mut i = 0;
        while i < units {
            let raw = code[2 * i];
            let info = self.op(raw);
            let op = if q.deopt { info.deopt } else { raw };
            // Read as stored (3.14+), a specialised opcode has no caches of its own
            // (`_PyOpcode_Caches` lists base opcodes only).
            let caches = if op == info.deopt { usize::from(info.cache_entries) } else { 0 };
            if caches > 0 {
                if i + 1 < units {
                    let at = 2 * (i + 1);
                    out[at..at + 2].copy_from_slice(&first_cache[usize::from(op)].to_le_bytes());
                }
                previous = Some(op);
                i += 1 + caches;
                continue;
            }
            if let Some(p) = previous
                && let Some(&(_, _, s)) = pairs.iter().find(|&&(a, b, _)| a == p && b == op)
            {
                out[2 * (i - 1)] = s;
            }
            previous = Some(op);
            i += 1;
        }
        out
    }
}

impl OpcodeTable {
    /// `co_code` of a code object whose stored bytecode is `code` (3.11+), where it differs
    /// from `code`: CPython's `co_code` getter deoptimises (`_PyCode_GetCode`): every opcode
    /// becomes its base (`dis._deoptop`) and every inline cache unit is zeroed. Bytecode
    /// CPython wrote is already so (`None`); only crafted data (specialised opcodes, non-zero
    /// caches in a `.pyc`) changes, and `dis` of the loaded code object lists the result.
    /// Instrumented opcodes (runtime-only) are kept.
    #[must_use]
    pub fn deoptimized(&self, code: &[u8]) -> Option<Vec<u8>> {
        if self.version < PythonVersion::PY311 {
            return None;
        }
        let units = code.len() / 2;
        let mut out: Option<Vec<u8>> = None;
        let mut i = 0;
        while i < units {
            let info = self.op(code[2 * i]);
            let caches = usize::from(info.cache_entries);
            let end = (i + 1 + caches).min(units);
            let changed = info.deopt != code[2 * i] || code[2 * (i + 1)..2 * end].iter().any(|&b| b != 0);
            if changed {
                let out = out.get_or_insert_with(|| code.to_vec());
                out[2 * i] = info.deopt;
                out[2 * (i + 1)..2 * end].fill(0);
            }
            i = end;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use bytescope_pyc::PythonVersion as V;

    use crate::table;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// `(co_code, _co_code_adaptive)` of a freshly unmarshalled code object, printed by each
    /// interpreter for `def f(a, b=1): x = a + b; for i in x: (if i: print(i)); while a:
    /// a, b = b, a; return x` (3.11.7, 3.12.1, 3.13.0, 3.14.10, 3.15.2).
    const VECTORS: [(V, &str, &str); 5] = [
        (
            V::PY311,
            "97007c007c017a0000007d027c0244005d137d037c03720f7401000000000000000000007c03a6010000ab01000000000000000001008c147c0072067c017c007d017d007c00b0067c025300",
            "97007c007c017a0000007d027c0244005d137d037c03720f7401000000000000000000007c03a6010000ab01000000000000000001008c147c0072067c017c007d017d007c00b0067c025300",
        ),
        (
            V::PY312,
            "97007c007c017a0000007d027c0244005d1000007d037c0373018c06740100000000000000007c03ab0100000000000001008c1204007c0072077c017c007d017d007c0072018c077c025300",
            "970058007c017a0011009a027c0244005d1011009a037c0373018c06740111000000000000007c03ab0111000000000001008c1204007c00720758017c009e019a007c0072018c077c025300",
        ),
        (
            V::PY313,
            "950058012d0000006e0255021300481700006e0355032800000000000000640200004d0c00005b0100000000000000005503350100000000000020004d1900000b00200055002800000000000000610b00005810701055002800000000000000610200004d0b000055022400",
            "950058012d0011006e0255021300481711006e0355032800110000000000640255554d0c04015b0111000000000000005503350111000000000020004d1904010b00200055002800110000000000610b55555810701055002800110000000000610255554d0b040155022400",
        ),
        (
            V::PY314,
            "800057012c000000000000000000000070025602100046180000700356032700000000000000670300001c004b0d00005c010000000000000000560334010000000000001f004b1a000009001e0056002700000000000000640500001c00591072104b0c000056022300",
            "800057012c001100000000000000000070025602100046181100700356032700110000000000670355551c004b0dfcff5c011100000000000000560334011100000000001f004b1afcff09001e0056002700110000000000640555551c00591072104b0cfcff56022300",
        ),
        (
            V::PY315,
            "8000000056012a00000000000000000000006f02530246000000441800006f0355032500000000000000660300001a004a0d00005b010000000000000000550332010000000000001d004a1a000009001c0055002500000000000000630500001a00581071104a0c000055022100",
            "8000f6ff56012a00090000000000000000006f02530246000900441809006f0355032500090000000000660355551a004a0d067d5b010900000000000000550332010900000000001d004a1a067d09001c0055002500090000000000630555551a00581071104a0c067d55022100",
        ),
    ];

    #[test]
    fn quickened_is_the_interpreters_co_code_adaptive() {
        for (v, code, adaptive) in VECTORS {
            let t = table(v).unwrap();
            assert_eq!(t.quickened(&hex(code)), hex(adaptive), "{v}");
        }
    }

    /// Crafted bytecode (a specialised `BINARY_OP_ADD_INT` with cache units 07 09): as stored,
    /// `co_code` and `_co_code_adaptive` of `marshal.loads` of it, printed by each interpreter
    /// for `def f(a, b): x = a + b; return x[0]`.
    const CRAFTED: [(V, &str, &str, &str); 5] = [
        (
            V::PY311,
            "97007c007c01050007097d027c026401190000000000000000005300",
            "97007c007c017a0000007d027c026401190000000000000000005300",
            "97007c007c01050007097d027c026401190000000000000000005300",
        ),
        (
            V::PY312,
            "97007c007c01070007097d027c026401190000005300",
            "97007c007c017a0000007d027c026401190000005300",
            "970058007c01070011009a0256026401190011005300",
        ),
        (
            V::PY313,
            "95005801970007096e0255025301050000002400",
            "950058012d0000006e0255025301050000002400",
            "95005801970011006e0255025301050011002400",
        ),
        (
            V::PY314,
            "80005701820007090000000000000000700256025e002c1a000000000000000000002300",
            "800057012c0000000000000000000000700256025e002c1a000000000000000000002300",
            "80005701820007090000000000000000700256025e002c1a110000000000000000002300",
        ),
        (
            V::PY315,
            "8000000056018200070900000000000000006f0255025d002a1a000000000000000000002100",
            "8000000056012a00000000000000000000006f0255025d002a1a000000000000000000002100",
            "8000f6ff56018200070900000000000000006f0255025d002a1a090000000000000000002100",
        ),
    ];

    #[test]
    fn crafted_code_as_the_interpreters_hold_it() {
        for (v, stored, co_code, adaptive) in CRAFTED {
            let t = table(v).unwrap();
            assert_eq!(t.deoptimized(&hex(stored)), Some(hex(co_code)), "{v} co_code");
            assert_eq!(t.quickened(&hex(stored)), hex(adaptive), "{v} _co_code_adaptive");
        }
        // Bytecode CPython wrote is already deoptimised.
        for (v, code, _) in VECTORS {
            assert_eq!(table(v).unwrap().deoptimized(&hex(code)), None, "{v}");
        }
        assert_eq!(table(V::PY310).unwrap().deoptimized(&[1, 2, 3, 4]), None);
    }

    #[test]
    fn every_rule_name_is_in_its_table() {
        for v in [V::PY312, V::PY313, V::PY314, V::PY315] {
            let (t, q) = (table(v).unwrap(), super::quickening(v).unwrap());
            for (name, _) in q.counters {
                assert!(t.op(t.opcode(name).unwrap()).cache_entries > 0, "{v} {name}");
            }
            for (a, b, s) in q.superinstructions {
                for n in [a, b, s] {
                    assert!(t.opcode(n).is_some(), "{v} {n}");
                }
            }
        }
    }

    #[test]
    fn crafted_code_stays_in_bounds() {
        // A cached opcode as the last unit, a lone trailing byte, and nothing at all.
        for v in [V::PY312, V::PY313, V::PY314, V::PY315] {
            let t = table(v).unwrap();
            let op = t.opcode("LOAD_GLOBAL").unwrap();
            assert_eq!(t.quickened(&[op, 0]), [op, 0]);
            assert_eq!(t.quickened(&[op, 0, 0]), [op, 0, 0]);
            assert_eq!(t.quickened(&[]), Vec::<u8>::new());
            let all: Vec<u8> = (0..=255u8).flat_map(|b| [b, 0xff]).collect();
            assert_eq!(t.quickened(&all).len(), all.len());
        }
    }
}
