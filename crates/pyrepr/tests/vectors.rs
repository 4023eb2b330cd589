//! Checks the committed CPython vectors (`tests/data/<X.Y>.json`, written by
//! `tools/gen_repr_vectors.py`) for every version; no Python needed.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;

use bytescope_marshal::{Format, ObjId, Value};
use bytescope_pyrepr::{
    BigInt, ConstKeys, Hashable, PythonVersion, frozenset_order, hash, repr_bigint, repr_bytes, repr_complex,
    repr_float, repr_int, repr_long, repr_str,
};
use common::{Json, parse, unhex};
use num_bigint::Sign;

const VERSIONS: &[&str] =
    &["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"];

/// An owned value from the vectors' encoding, borrowed as a [`Hashable`].
enum Val {
    Int(BigInt),
    Str(Vec<u8>),
    Bytes(Vec<u8>),
    Float(f64),
    Complex(f64, f64),
    Tuple(Vec<Val>),
    FrozenSet(Vec<Val>),
    None,
    Bool(bool),
}

fn fbits(s: &str) -> f64 {
    f64::from_bits(u64::from_str_radix(s, 16).unwrap_or(0))
}

fn val(j: &Json) -> Val {
    let a = j.arr();
    let s = |i: usize| a.get(i).and_then(Json::str).unwrap_or("");
    match s(0) {
        "i" | "l" => Val::Int(s(1).parse().unwrap_or_default()),
        "s" => Val::Str(unhex(s(1))),
        "b" => Val::Bytes(unhex(s(1))),
        "f" => Val::Float(fbits(s(1))),
        "c" => Val::Complex(fbits(s(1)), fbits(s(2))),
        "t" => Val::Tuple(a.get(1).map(|x| x.arr().iter().map(val).collect()).unwrap_or_default()),
        "fs" => Val::FrozenSet(a.get(1).map(|x| x.arr().iter().map(val).collect()).unwrap_or_default()),
        "T" => Val::Bool(true),
        "F" => Val::Bool(false),
        _ => Val::None,
    }
}

fn hashable(v: &Val) -> Hashable<'_> {
    match v {
        Val::Int(n) => match i64::try_from(n) {
            Ok(i) => Hashable::Int(i),
            Err(_) => Hashable::Long(n.clone()),
        },
        Val::Str(b) => Hashable::Str(b),
        Val::Bytes(b) => Hashable::Bytes(b),
        Val::Float(x) => Hashable::Float(*x),
        Val::Complex(a, b) => Hashable::Complex(*a, *b),
        Val::Tuple(items) => Hashable::Tuple(items.iter().map(hashable).collect()),
        Val::FrozenSet(items) => Hashable::FrozenSet(items.iter().map(hashable).collect()),
        Val::None => Hashable::None,
        Val::Bool(b) => Hashable::Bool(*b),
    }
}

/// `v` as marshal data (the containers share nothing): the same values
/// through [`ConstKeys`], which works on the marshal graph.
fn marshal_of(v: &Val, out: &mut Vec<u8>) {
    match v {
        Val::Int(n) => match i32::try_from(n) {
            Ok(i) => {
                out.push(b'i');
                out.extend_from_slice(&i.to_le_bytes());
            }
            Err(_) => {
                let (neg, digits) = to_digits(n);
                out.push(b'l');
                let size = digits.len() as i32;
                out.extend_from_slice(&(if neg { -size } else { size }).to_le_bytes());
                for d in digits {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
        },
        Val::Str(b) | Val::Bytes(b) => {
            out.push(if matches!(v, Val::Str(_)) { b'u' } else { b's' });
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        Val::Float(x) => {
            out.push(b'g');
            out.extend_from_slice(&x.to_le_bytes());
        }
        Val::Complex(a, b) => {
            out.push(b'y');
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        Val::Tuple(items) | Val::FrozenSet(items) => {
            out.push(if matches!(v, Val::Tuple(_)) { b'(' } else { b'>' });
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for item in items {
                marshal_of(item, out);
            }
        }
        Val::None => out.push(b'N'),
        Val::Bool(b) => out.push(if *b { b'T' } else { b'F' }),
    }
}

fn items_len(v: &Val) -> usize {
    match v {
        Val::Tuple(items) | Val::FrozenSet(items) => items.len(),
        _ => 1,
    }
}

fn contains_nan(v: &Val) -> bool {
    match v {
        Val::Float(x) => x.is_nan(),
        Val::Complex(a, b) => a.is_nan() || b.is_nan(),
        Val::Tuple(items) | Val::FrozenSet(items) => items.iter().any(contains_nan),
        _ => false,
    }
}

/// Parses the int spec: signed hex, or `B^E+D`.
fn int_spec(s: &str) -> BigInt {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let n = if let Some((b, rest)) = body.split_once('^') {
        let split = rest[1..].find(['+', '-']).map_or(rest.len(), |i| i + 1);
        let (e, d) = rest.split_at(split);
        let base: BigInt = b.parse().unwrap_or_default();
        let p = base.pow(e.parse::<u32>().unwrap_or(0));
        let p = if neg { -p } else { p };
        return p + d.parse::<BigInt>().unwrap_or_default();
    } else {
        BigInt::parse_bytes(body.as_bytes(), 16).unwrap_or_default()
    };
    if neg { -n } else { n }
}

fn to_digits(n: &BigInt) -> (bool, Vec<u16>) {
    let mut m = n.magnitude().clone();
    let mut out = Vec::new();
    let mask = num_bigint::BigUint::from(0x7FFFu32);
    while m.bits() > 0 {
        out.push((&m & &mask).iter_u32_digits().next().unwrap_or(0) as u16);
        m >>= 15;
    }
    (n.sign() == Sign::Minus, out)
}

#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    skipped: usize,
    examples: Vec<String>,
}

impl Tally {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if ok {
            self.pass += 1;
        } else {
            self.fail += 1;
            if self.examples.len() < 8 {
                self.examples.push(what());
            }
        }
    }
}

fn repr_matches(expected: &Json, got: &str) -> bool {
    match expected {
        Json::Str(s) => s == got,
        Json::Obj(_) => {
            let len = expected.get("len").and_then(Json::i64).unwrap_or(-1);
            let head = expected.get("head").and_then(Json::str).unwrap_or("");
            let tail = expected.get("tail").and_then(Json::str).unwrap_or("");
            got.len() as i64 == len && got.starts_with(head) && got.ends_with(tail)
        }
        _ => false,
    }
}

fn run_version(name: &str) -> BTreeMap<&'static str, Tally> {
    let path = format!("{}/tests/data/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let data = parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: PythonVersion = name.parse().expect("version");
    let section = |k: &str| data.get(k).map(Json::arr).unwrap_or(&[]).to_vec();
    let mut t: BTreeMap<&'static str, Tally> = BTreeMap::new();

    for row in section("str") {
        let r = row.arr();
        let bytes = unhex(r[0].str().unwrap_or(""));
        let mut out = String::new();
        repr_str(&mut out, &bytes, v);
        let want = r[1].str().unwrap_or("");
        t.entry("str repr").or_default().check(out == want, || format!("{:?}: {out} != {want}", r[0]));
        let h = hash(&Hashable::Str(&bytes), v);
        t.entry("str hash")
            .or_default()
            .check(h == r[2].i64(), || format!("{:?}: {h:?} != {:?}", r[0], r[2]));
    }
    for row in section("bytes") {
        let r = row.arr();
        let bytes = unhex(r[0].str().unwrap_or(""));
        let mut out = String::new();
        repr_bytes(&mut out, &bytes, v);
        let want = r[1].str().unwrap_or("");
        t.entry("bytes repr").or_default().check(out == want, || format!("{:?}: {out} != {want}", r[0]));
        let h = hash(&Hashable::Bytes(&bytes), v);
        t.entry("bytes hash")
            .or_default()
            .check(h == r[2].i64(), || format!("{:?}: {h:?} != {:?}", r[0], r[2]));
    }
    for row in section("float") {
        let r = row.arr();
        let x = fbits(r[0].str().unwrap_or(""));
        let mut out = String::new();
        repr_float(&mut out, x, v);
        let want = r[1].str().unwrap_or("");
        t.entry("float repr").or_default().check(out == want, || format!("{:?}: {out} != {want}", r[0]));
        let tally = t.entry("float hash").or_default();
        match hash(&Hashable::Float(x), v) {
            None if x.is_nan() && v >= PythonVersion::PY310 => tally.skipped += 1,
            h => tally.check(h == r[2].i64(), || format!("{:?}: {h:?} != {:?}", r[0], r[2])),
        }
    }
    for row in section("complex") {
        let r = row.arr();
        let (a, b) = (fbits(r[0].str().unwrap_or("")), fbits(r[1].str().unwrap_or("")));
        let mut out = String::new();
        repr_complex(&mut out, a, b, v);
        let want = r[2].str().unwrap_or("");
        t.entry("complex repr").or_default().check(out == want, || format!("{a}, {b}: {out} != {want}"));
        let tally = t.entry("complex hash").or_default();
        match hash(&Hashable::Complex(a, b), v) {
            None if (a.is_nan() || b.is_nan()) && v >= PythonVersion::PY310 => tally.skipped += 1,
            h => tally.check(h == r[3].i64(), || format!("{a}, {b}: {h:?} != {:?}", r[3])),
        }
    }
    for row in section("int") {
        let r = row.arr();
        let tag = r[0].str().unwrap_or("");
        let spec = r[1].str().unwrap_or("");
        let n = int_spec(spec);
        let mut out = String::new();
        let result = if tag == "i" {
            match i64::try_from(&n) {
                Ok(i) => {
                    repr_int(&mut out, i);
                    Ok(())
                }
                Err(_) => repr_bigint(&mut out, &n, v, false),
            }
        } else {
            let (neg, digits) = to_digits(&n);
            repr_long(&mut out, neg, &digits, v)
        };
        let ok = match (&result, &r[2], &r[3]) {
            (Ok(()), want, Json::Null) => repr_matches(want, &out),
            (Err(e), Json::Null, Json::Str(msg)) => &e.message() == msg,
            _ => false,
        };
        t.entry("int repr")
            .or_default()
            .check(ok, || format!("{tag} {spec}: {result:?} {out:.60} vs {:.80?} {:?}", r[2], r[3]));
        let h = hash(&Hashable::Long(n.clone()), v);
        t.entry("int hash").or_default().check(h == r[4].i64(), || format!("{spec}: {h:?} != {:?}", r[4]));
    }
    for row in section("hash") {
        let r = row.arr();
        let value = val(&r[0]);
        let tally = t.entry("hash (tuple, frozenset, …)").or_default();
        match hash(&hashable(&value), v) {
            None if contains_nan(&value) && v >= PythonVersion::PY310 => tally.skipped += 1,
            h => tally.check(h == r[1].i64(), || format!("{:?}: {h:?} != {:?}", r[0], r[1])),
        }
        let mut data = Vec::new();
        marshal_of(&value, &mut data);
        let tally = t.entry("hash on the marshal graph").or_default();
        match bytescope_marshal::read(&data, Format::for_version(v), 0) {
            Ok(m) => match ConstKeys::new(&m).hash(m.root()) {
                None if contains_nan(&value) && v >= PythonVersion::PY310 => tally.skipped += 1,
                h => tally.check(h == r[1].i64(), || format!("{:?}: {h:?} != {:?}", r[0], r[1])),
            },
            Err(e) => tally.check(false, || format!("{:?}: {e}", r[0])),
        }
    }
    for row in section("sets") {
        let r = row.arr();
        let vals: Vec<Val> = r[0].arr().iter().map(val).collect();
        let hs: Vec<Hashable<'_>> = vals.iter().map(hashable).collect();
        let want: Vec<usize> = r[1].arr().iter().filter_map(Json::i64).map(|i| i as usize).collect();
        let got = frozenset_order(&hs, v);
        let tally = t.entry("frozenset order").or_default();
        tally.check(got.as_ref() == Some(&want), || format!("n={}: {got:?} != {want:?}", vals.len()));
        let set = Val::FrozenSet(vals);
        let mut data = Vec::new();
        marshal_of(&set, &mut data);
        let tally = t.entry("frozenset order on the marshal graph").or_default();
        let got = bytescope_marshal::read(&data, Format::for_version(v), 0).ok().and_then(|m| {
            let Value::FrozenSet(items) = m.get(m.root()) else { return None };
            let items: Vec<ObjId> = m.items(*items).to_vec();
            let order = ConstKeys::new(&m).set_order(&items)?;
            Some(order.iter().filter_map(|id| items.iter().position(|x| x == id)).collect::<Vec<_>>())
        });
        tally.check(got.as_ref() == Some(&want), || format!("n={}: {got:?} != {want:?}", items_len(&set)));
    }
    t
}

#[test]
fn cpython_vectors() {
    let mut failures = 0;
    let mut report = String::new();
    for name in VERSIONS {
        let tallies = run_version(name);
        let (mut pass, mut total, mut skipped) = (0, 0, 0);
        let mut details = Vec::new();
        let mut parts = Vec::new();
        for (what, tally) in &tallies {
            parts.push(format!("{what} {}/{}", tally.pass, tally.pass + tally.fail));
            pass += tally.pass;
            total += tally.pass + tally.fail;
            skipped += tally.skipped;
            if tally.fail > 0 {
                details.push(format!(
                    "    {what}: {} failed, e.g.\n      {}",
                    tally.fail,
                    tally.examples.join("\n      ")
                ));
            }
        }
        failures += total - pass;
        report.push_str(&format!(
            "{name}: {pass}/{total} pass, {skipped} not emulable ({})\n",
            parts.join(", ")
        ));
        for d in details {
            report.push_str(&d);
            report.push('\n');
        }
    }
    println!("{report}");
    assert_eq!(failures, 0, "\n{report}");
}

/// Bulk float check against a file of `BITS REPR` lines (see
/// `tools/gen_repr_vectors.py --float-bulk`); run with
/// `BYTESCOPE_FLOAT_BULK=path cargo test -p bytescope-pyrepr -- --ignored`.
#[test]
#[ignore = "needs a generated sample file"]
fn float_bulk() {
    let Ok(path) = std::env::var("BYTESCOPE_FLOAT_BULK") else { return };
    let text = std::fs::read_to_string(path).expect("sample file");
    let (mut n, mut bad) = (0usize, Vec::new());
    for line in text.lines() {
        let Some((b, want)) = line.split_once(' ') else { continue };
        let x = fbits(b);
        let mut out = String::new();
        repr_float(&mut out, x, PythonVersion::PY312);
        n += 1;
        if out != want {
            bad.push(format!("{b}: {out} != {want}"));
        }
    }
    println!("float bulk: {}/{n} match", n - bad.len());
    assert!(bad.is_empty(), "{:?}", &bad[..bad.len().min(10)]);
}
