//! Generators of hostile .pyc files whose danger is their *shape* (shared
//! references, table layouts, repeated constants), built at test time so
//! that no megabytes sit in the repository.
//!
//! Everything is written with a small marshal writer in CPython 3.11–3.14
//! code-object layout. The instruction bytes of the small functions are
//! those CPython 3.12.1 compiles (`compile()` of the source quoted next to
//! each); the rest is assembled here. `write_cases` (an ignored test in
//! `hostile_shapes.rs`) writes every case to a directory for manual runs.
#![allow(dead_code)]

/// Marshal type codes and the reference flag.
const FLAG_REF: u8 = 0x80;

/// A marshal stream being written, counting the reference slots it takes
/// (objects written with [`FLAG_REF`] take one each, in stream order).
#[derive(Default)]
pub struct W {
    pub buf: Vec<u8>,
    refs: u32,
}

impl W {
    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Takes a reference slot if `flag` (the type byte gets FLAG_REF).
    fn head(&mut self, code: u8, flag: bool) -> Option<u32> {
        if flag {
            self.buf.push(code | FLAG_REF);
            self.refs += 1;
            Some(self.refs - 1)
        } else {
            self.buf.push(code);
            None
        }
    }

    pub fn none(&mut self) {
        self.buf.push(b'N');
    }

    pub fn int(&mut self, v: i32) {
        self.buf.push(b'i');
        self.i32(v);
    }

    /// `bytes` (`s`).
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.push(b's');
        self.u32(b.len() as u32);
        self.buf.extend_from_slice(b);
    }

    /// A `str`: short ASCII (`z`) when it fits, else `u`.
    pub fn str(&mut self, s: &str) {
        if s.is_ascii() && s.len() < 256 {
            self.buf.push(b'z');
            self.buf.push(s.len() as u8);
        } else {
            self.buf.push(b'u');
            self.u32(s.len() as u32);
        }
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// A `str` that takes a reference slot; returns it.
    pub fn str_ref(&mut self, s: &str) -> u32 {
        let slot = self.refs;
        self.str(s);
        let at = self.buf.len() - s.len() - if s.is_ascii() && s.len() < 256 { 2 } else { 5 };
        self.buf[at] |= FLAG_REF;
        self.refs += 1;
        slot
    }

    /// A reference to slot `i`.
    pub fn reference(&mut self, i: u32) {
        self.buf.push(b'r');
        self.u32(i);
    }

    /// A tuple head of `n` items (the items follow); the slot if `flag`.
    pub fn tuple(&mut self, n: usize, flag: bool) -> Option<u32> {
        let slot = self.head(b'(', flag);
        self.u32(n as u32);
        slot
    }

    /// A frozenset head of `n` items (the items follow); the slot if `flag`.
    pub fn frozenset(&mut self, n: usize, flag: bool) -> Option<u32> {
        let slot = self.head(b'>', flag);
        self.u32(n as u32);
        slot
    }

    /// A tuple of strings.
    pub fn strs(&mut self, items: &[&str]) {
        self.tuple(items.len(), false);
        for s in items {
            self.str(s);
        }
    }

    /// A 3.11+ code object; `consts` writes the `co_consts` tuple. Returns
    /// the code object's reference slot.
    pub fn code(&mut self, c: &Code<'_>, consts: impl FnOnce(&mut W)) -> u32 {
        let slot = self.head(b'c', true).unwrap_or(0);
        self.i32(c.argcount);
        self.i32(0); // posonlyargcount
        self.i32(0); // kwonlyargcount
        self.i32(c.stacksize);
        self.i32(c.flags);
        self.bytes(&c.code);
        consts(self);
        self.strs(c.names);
        self.strs(&c.locals.iter().map(|(n, _)| *n).collect::<Vec<_>>());
        self.bytes(&c.locals.iter().map(|(_, k)| *k).collect::<Vec<_>>());
        self.str("x.py");
        self.str(c.name);
        self.str(c.name);
        self.i32(c.firstlineno);
        self.bytes(&c.linetable);
        self.bytes(&c.exceptiontable);
        slot
    }
}

/// The fields of a 3.11+ code object that the cases vary.
#[derive(Clone)]
pub struct Code<'s> {
    pub name: &'s str,
    pub argcount: i32,
    pub flags: i32,
    pub stacksize: i32,
    pub code: Vec<u8>,
    pub names: &'s [&'s str],
    /// `co_localsplusnames` with their kinds (0x20: plain local).
    pub locals: &'s [(&'s str, u8)],
    pub firstlineno: i32,
    pub linetable: Vec<u8>,
    pub exceptiontable: Vec<u8>,
}

impl<'s> Code<'s> {
    /// A module body of `code` with no names.
    pub fn module(code: Vec<u8>) -> Self {
        Code {
            name: "<module>",
            argcount: 0,
            flags: 0,
            stacksize: 2,
            code,
            names: &[],
            locals: &[],
            firstlineno: 1,
            linetable: Vec::new(),
            exceptiontable: Vec::new(),
        }
    }
}

/// A .pyc header of CPython `minor` (3.11–3.14) and the marshal data.
pub fn pyc(minor: u8, marshal: &[u8]) -> Vec<u8> {
    let magic: u16 = match minor {
        11 => 3495,
        12 => 3531,
        13 => 3571,
        _ => 3627,
    };
    let mut out = magic.to_le_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(marshal);
    out
}

/// 3.12 opcodes used below.
pub mod op312 {
    pub const POP_TOP: u8 = 1;
    pub const RETURN_VALUE: u8 = 83;
    pub const LOAD_CONST: u8 = 100;
    pub const RETURN_CONST: u8 = 121;
    pub const RESUME: u8 = 151;
}

/// `RESUME 0; RETURN_CONST 0`: a module whose code touches nothing (every
/// version 3.12+ reads it; 3.11 has no RETURN_CONST, so 3.11 cases use
/// `LOAD_CONST 0; RETURN_VALUE`).
pub fn trivial_code(minor: u8) -> Vec<u8> {
    use op312::*;
    match minor {
        11 => vec![RESUME, 0, LOAD_CONST, 0, RETURN_VALUE, 0],
        12 => vec![RESUME, 0, RETURN_CONST, 0],
        // 3.13: RESUME 149, RETURN_CONST 103; 3.14: RESUME 128, LOAD_CONST
        // 82, RETURN_VALUE 35.
        13 => vec![149, 0, 103, 0],
        _ => vec![128, 0, 82, 0, 35, 0],
    }
}

/// Item 2: `t_k = (t_{k-1}, t_{k-1})` written once per level, the second
/// item a marshal reference, inside a frozenset constant with `1`. About
/// 8 bytes per level; the repr is 2^k leaves long (CPython's too), so a
/// budget error is the right outcome, found in linear time.
pub fn shared_tuple_frozenset(k: u32) -> Vec<u8> {
    let mut w = W::default();
    w.code(&Code::module(trivial_code(12)), |w| {
        w.tuple(1, false);
        w.frozenset(2, false);
        w.int(1);
        shared_tuples(w, k);
    });
    pyc(12, &w.buf)
}

/// Writes `t_k` (see [`shared_tuple_frozenset`]); `t_0 = ()`.
fn shared_tuples(w: &mut W, k: u32) -> u32 {
    if k == 0 {
        return w.tuple(0, true).unwrap_or(0);
    }
    let slot = w.tuple(2, true).unwrap_or(0);
    let inner = shared_tuples(w, k - 1);
    w.reference(inner);
    slot
}

/// Item 2, with a printed size that stays small: `f_k =
/// frozenset({f_{k-1}, f_{k-1}})`, the second a reference to the first, so
/// the set holds one element (CPython's set dedups by identity) and the repr
/// is `frozenset({frozenset({... frozenset() ...})})`, linear in k, while
/// hashing or comparing the expansion takes 2^k steps. The module constant
/// is `frozenset({f_k, 0})`, whose order needs `hash(f_k)`.
pub fn shared_frozenset_chain(k: u32) -> Vec<u8> {
    let mut w = W::default();
    w.code(&Code::module(trivial_code(12)), |w| {
        w.tuple(1, false);
        w.frozenset(2, false);
        shared_frozensets(w, k);
        w.int(0);
    });
    pyc(12, &w.buf)
}

fn shared_frozensets(w: &mut W, k: u32) -> u32 {
    if k == 0 {
        return w.frozenset(0, true).unwrap_or(0);
    }
    let slot = w.frozenset(2, true).unwrap_or(0);
    let inner = shared_frozensets(w, k - 1);
    w.reference(inner);
    slot
}

/// `def decoy(): pass` (3.12.1).
fn decoy() -> Code<'static> {
    Code {
        name: "decoy",
        argcount: 0,
        flags: 3,
        stacksize: 0,
        code: vec![0x97, 0x00, 0x79, 0x00],
        names: &[],
        locals: &[],
        firstlineno: 2,
        linetable: vec![0x80, 0x00, 0xd8, 0x04, 0x08],
        exceptiontable: Vec::new(),
    }
}

/// `def real(): import os; os.system('id')` (3.12.1; consts `(None, 0,
/// 'id')`).
fn real() -> Code<'static> {
    Code {
        name: "real",
        argcount: 0,
        flags: 3,
        stacksize: 3,
        code: hex(
            "9700640164006c007d007c006a030000000000000000000000000000000000006402ab0100000000000001007900",
        ),
        names: &["os", "system"],
        locals: &[("os", 0x20)],
        firstlineno: 4,
        linetable: hex("8000db040dd80406874981498864854f"),
        exceptiontable: Vec::new(),
    }
}

fn real_consts(w: &mut W) {
    w.tuple(3, false);
    w.none();
    w.int(0);
    w.str("id");
}

fn empty_consts(w: &mut W) {
    w.tuple(1, false);
    w.none();
}

/// Item 8: a module whose `co_consts` reference one decoy function
/// `repeats` times (written once, then marshal references) before the real
/// one, which calls `os.system`. CPython's `dis` lists the decoy `repeats`
/// times, then `real`.
pub fn decoy_repeats(repeats: usize) -> Vec<u8> {
    let mut w = W::default();
    w.code(&Code::module(trivial_code(12)), |w| {
        w.tuple(repeats + 2, false);
        w.none();
        let slot = w.code(&decoy(), empty_consts);
        for _ in 1..repeats {
            w.reference(slot);
        }
        w.code(&real(), real_consts);
    });
    pyc(12, &w.buf)
}

/// Item 8, exponential: code objects `d_k` whose `co_consts` hold `d_{k-1}`
/// twice (written once, then a reference), `d_0` the decoy; the module
/// holds `d_k`, then the real function. A full walk (as CPython's `dis`)
/// visits 2^k code objects before `real`.
pub fn decoy_tree(k: u32) -> Vec<u8> {
    let mut w = W::default();
    w.code(&Code::module(trivial_code(12)), |w| {
        w.tuple(3, false);
        w.none();
        decoy_level(w, k);
        w.code(&real(), real_consts);
    });
    pyc(12, &w.buf)
}

fn decoy_level(w: &mut W, k: u32) -> u32 {
    if k == 0 {
        return w.code(&decoy(), empty_consts);
    }
    let mut c = decoy();
    c.name = "level";
    w.code(&c, |w| {
        w.tuple(3, false);
        w.none();
        let inner = decoy_level(w, k - 1);
        w.reference(inner);
    })
}

/// Item 4: a 3.11+ location table of `n` one-unit entries whose first byte
/// `entry` also has bit 6 set (`0xf0`, the long form; `0xe8`, the
/// no-column form), so that each entry's line-delta varint continues
/// through every entry after it. `minor` is 11–14.
pub fn runaway_location_table(minor: u8, entry: u8, n: usize) -> Vec<u8> {
    let mut c = Code::module(trivial_code(minor));
    c.linetable = vec![entry; n];
    let mut w = W::default();
    w.code(&c, empty_consts);
    pyc(minor, &w.buf)
}

/// Item 4 for the exception table: `n` bytes with bit 7 (entry start) and
/// bit 6 (continue) set.
pub fn runaway_exception_table(minor: u8, n: usize) -> Vec<u8> {
    let mut c = Code::module(trivial_code(minor));
    c.exceptiontable = vec![0xc0; n];
    let mut w = W::default();
    w.code(&c, empty_consts);
    pyc(minor, &w.buf)
}

/// Item 7: one string constant of `len` bytes loaded by `loads`
/// `LOAD_CONST`s (3.12). `ascii` picks `'x' * len`, else a string of
/// U+00E9 (two UTF-8 bytes, escaped `\u00e9` in JSON: 6 bytes).
pub fn big_string_loads(len: usize, loads: usize, ascii: bool) -> Vec<u8> {
    use op312::*;
    let mut code = vec![RESUME, 0];
    for _ in 0..loads {
        code.extend_from_slice(&[LOAD_CONST, 0, POP_TOP, 0]);
    }
    code.extend_from_slice(&[RETURN_CONST, 1]);
    let text = if ascii { "x".repeat(len) } else { "\u{e9}".repeat(len / 2) };
    let mut w = W::default();
    w.code(&Code::module(code), |w| {
        w.tuple(2, false);
        w.str(&text);
        w.none();
    });
    pyc(12, &w.buf)
}

/// Lower-case hex to bytes.
pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
}

/// Shared fields: `codes` code objects (the module's constants) whose
/// `co_code`, `co_consts`, `co_names`, `co_localsplusnames` and kinds are
/// all one object each, written once and referenced by the others: `names`
/// names, and `units` code units (`LOAD_NAME i; POP_TOP` pairs). A walk that
/// copies or decodes each code object's fields does `codes` times the work.
pub fn shared_fields(codes: usize, names: usize, units: usize) -> Vec<u8> {
    use op312::*;
    const LOAD_NAME: u8 = 101;
    let mut code = vec![RESUME, 0];
    for i in 0..units / 2 {
        code.extend_from_slice(&[LOAD_NAME, (i % names.clamp(1, 256)) as u8, POP_TOP, 0]);
    }
    code.extend_from_slice(&[RETURN_CONST, 0]);
    let mut w = W::default();
    w.code(&Code::module(trivial_code(12)), |w| {
        w.tuple(codes, false);
        // The first one writes the shared fields, each taking a slot.
        let first = w.head(b'c', true).unwrap_or(0);
        let _ = first;
        for v in [0, 0, 0, 4, 0] {
            w.i32(v);
        }
        let code_slot = w.refs;
        w.buf.push(b's' | FLAG_REF);
        w.refs += 1;
        w.u32(code.len() as u32);
        w.buf.extend_from_slice(&code);
        let consts_slot = w.tuple(1, true).unwrap_or(0);
        w.none();
        let names_slot = w.tuple(names, true).unwrap_or(0);
        for i in 0..names {
            w.str(&format!("n{i}"));
        }
        let empty_slot = w.tuple(0, true).unwrap_or(0);
        let kinds_slot = w.refs;
        w.buf.push(b's' | FLAG_REF);
        w.refs += 1;
        w.u32(0);
        let file_slot = w.str_ref("x.py");
        let name_slot = w.str_ref("f");
        w.reference(name_slot);
        w.i32(1);
        w.bytes(&[]);
        w.bytes(&[]);
        for _ in 1..codes {
            w.head(b'c', true);
            for v in [0, 0, 0, 4, 0] {
                w.i32(v);
            }
            for slot in
                [code_slot, consts_slot, names_slot, empty_slot, kinds_slot, file_slot, name_slot, name_slot]
            {
                w.reference(slot);
            }
            w.i32(1);
            w.reference(kinds_slot);
            w.reference(kinds_slot);
        }
    });
    pyc(12, &w.buf)
}
