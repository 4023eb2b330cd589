//! Constants as Python literals: printed with the version's own `repr()`
//! (`bytescope-pyrepr`) where Python has one, and parsed back exactly.
//!
//! | value | text |
//! |---|---|
//! | `None`, `True`, `False`, `...`, `StopIteration` | as in Python |
//! | int (Python 2 `long`) | `42`, `-7`, `10**30` written out (`42L`) |
//! | float | CPython's `repr`: `1.5`, `1e+100`, `-0.0`, `inf`, `nan`; any other NaN as `float.bits(0x7ff8000000000001)` |
//! | complex | `complex(RE, IM)` with float literals |
//! | str (Python 2 `unicode`) | `repr()`: `'a\n'` (`u'a'`) |
//! | bytes (Python 2 `str`) | `repr()`: `b'\x00'` (`'\x00'`) |
//! | tuple, list, dict, set | `(a, b)`, `(a,)`, `()`, `[a]`, `{k: v}`, `{a}`, `set()` |
//! | frozenset, frozendict | `frozenset({a, b})`, `frozenset()`, `frozendict({k: v})` (stored order) |
//! | slice | `slice(a, b, c)` |
//! | code object | `code N`: the block `.code N` |

use bytescope_pyc::PythonVersion;
use bytescope_write::{Object, PyFloat, PyInt, PyStr};
use num_bigint::BigInt;

/// Appends the literal of `obj`; `code` names a nested code object.
pub(crate) fn print(
    out: &mut String,
    obj: &Object,
    v: PythonVersion,
    code: &mut dyn FnMut(&bytescope_write::CodeObject) -> usize,
) {
    match obj {
        Object::None => out.push_str("None"),
        Object::Bool(true) => out.push_str("True"),
        Object::Bool(false) => out.push_str("False"),
        Object::Ellipsis => out.push_str("..."),
        Object::StopIteration => out.push_str("StopIteration"),
        Object::Int(i) => out.push_str(&i.to_string()),
        Object::Long(i) => {
            out.push_str(&i.to_string());
            out.push('L');
        }
        Object::Float(f) => float(out, f.0, v),
        Object::Complex { re, im } => {
            out.push_str("complex(");
            float(out, re.0, v);
            out.push_str(", ");
            float(out, im.0, v);
            out.push(')');
        }
        Object::Str(s) => {
            // The repr of a Python 2 unicode string carries its `u`.
            bytescope_pyrepr::repr_str(out, s.as_bytes(), v);
        }
        Object::Bytes(b) => bytescope_pyrepr::repr_bytes(out, b, v),
        Object::Tuple(items) => {
            out.push('(');
            seq(out, items, v, code);
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Object::List(items) => {
            out.push('[');
            seq(out, items, v, code);
            out.push(']');
        }
        Object::Set(items) if items.is_empty() => out.push_str("set()"),
        Object::Set(items) => {
            out.push('{');
            seq(out, items, v, code);
            out.push('}');
        }
        Object::FrozenSet(items) if items.is_empty() => out.push_str("frozenset()"),
        Object::FrozenSet(items) => {
            out.push_str("frozenset({");
            seq(out, items, v, code);
            out.push_str("})");
        }
        Object::Dict(pairs) => dict(out, pairs, v, code),
        Object::FrozenDict(pairs) => {
            out.push_str("frozendict(");
            dict(out, pairs, v, code);
            out.push(')');
        }
        Object::Slice(parts) => {
            out.push_str("slice(");
            seq(out, &parts[..], v, code);
            out.push(')');
        }
        Object::Code(c) => {
            let n = code(c);
            out.push_str(&format!("code {n}"));
        }
        _ => out.push_str("<unsupported>"),
    }
}

fn seq(
    out: &mut String,
    items: &[Object],
    v: PythonVersion,
    code: &mut dyn FnMut(&bytescope_write::CodeObject) -> usize,
) {
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        print(out, o, v, code);
    }
}

fn dict(
    out: &mut String,
    pairs: &[(Object, Object)],
    v: PythonVersion,
    code: &mut dyn FnMut(&bytescope_write::CodeObject) -> usize,
) {
    out.push('{');
    for (i, (k, val)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        print(out, k, v, code);
        out.push_str(": ");
        print(out, val, v, code);
    }
    out.push('}');
}

/// The canonical NaN CPython's `float('nan')` is.
const NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

fn float(out: &mut String, x: f64, v: PythonVersion) {
    if x.is_nan() && x.to_bits() != NAN_BITS {
        out.push_str(&format!("float.bits({:#018x})", x.to_bits()));
    } else {
        bytescope_pyrepr::repr_float(out, x, v);
    }
}

/// A literal that did not parse: what was expected, at which byte of the
/// text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LitError {
    pub(crate) at: usize,
    pub(crate) message: String,
}

/// Parses literals from `text`, starting at a byte offset.
pub(crate) struct Parser<'t> {
    text: &'t str,
    pub(crate) pos: usize,
    v: PythonVersion,
    depth: usize,
}

/// Nesting deeper than this is refused (recursion stays well inside any
/// thread stack; real constants nest a few levels).
const MAX_DEPTH: usize = 500;

impl<'t> Parser<'t> {
    pub(crate) fn new(text: &'t str, pos: usize, v: PythonVersion) -> Self {
        Parser { text, pos, v, depth: 0 }
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, LitError> {
        Err(LitError { at: self.pos, message: message.into() })
    }

    fn rest(&self) -> &'t str {
        &self.text[self.pos..]
    }

    pub(crate) fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start_matches([' ', '\t']).len();
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), LitError> {
        if self.eat(s) { Ok(()) } else { self.err(format!("expected `{s}`")) }
    }

    fn word(&mut self) -> &'t str {
        self.skip_ws();
        let r = self.rest();
        let n = r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(r.len());
        self.pos += n;
        &r[..n]
    }

    /// One literal; `code N` gives `Object::None` and records `N` through
    /// `code`, which the caller resolves once every block is read.
    pub(crate) fn literal(&mut self, code: &mut dyn FnMut(u32) -> Object) -> Result<Object, LitError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("literal nested too deeply");
        }
        let r = self.value(code);
        self.depth -= 1;
        r
    }

    fn value(&mut self, code: &mut dyn FnMut(u32) -> Object) -> Result<Object, LitError> {
        self.skip_ws();
        let r = self.rest();
        let Some(c) = r.chars().next() else { return self.err("expected a constant") };
        match c {
            '(' => {
                self.pos += 1;
                let (items, trailing_comma) = self.items(")", code)?;
                if items.len() == 1 && !trailing_comma {
                    return self.err("a one-element tuple needs a trailing comma");
                }
                Ok(Object::Tuple(items))
            }
            '[' => {
                self.pos += 1;
                Ok(Object::List(self.items("]", code)?.0))
            }
            '{' => {
                self.pos += 1;
                self.brace(code)
            }
            '\'' | '"' => self.string(false, false),
            '.' if r.starts_with("...") => {
                self.pos += 3;
                Ok(Object::Ellipsis)
            }
            '-' | '0'..='9' => self.number(),
            _ => {
                let start = self.pos;
                let w = self.word();
                match w {
                    "None" => Ok(Object::None),
                    "True" => Ok(Object::Bool(true)),
                    "False" => Ok(Object::Bool(false)),
                    "StopIteration" => Ok(Object::StopIteration),
                    "inf" => Ok(Object::Float(PyFloat(f64::INFINITY))),
                    "nan" => Ok(Object::Float(PyFloat(f64::from_bits(NAN_BITS)))),
                    "u" | "U" | "b" | "B" if self.rest().starts_with(['\'', '"']) => {
                        let bytes = w.eq_ignore_ascii_case("b");
                        self.string(bytes, !bytes)
                    }
                    "set" => {
                        self.expect("(")?;
                        self.expect(")")?;
                        Ok(Object::Set(Vec::new()))
                    }
                    "frozenset" => {
                        self.expect("(")?;
                        if self.eat(")") {
                            return Ok(Object::FrozenSet(Vec::new()));
                        }
                        self.expect("{")?;
                        let (items, _) = self.items("}", code)?;
                        self.expect(")")?;
                        Ok(Object::FrozenSet(items))
                    }
                    "frozendict" => {
                        self.expect("(")?;
                        self.expect("{")?;
                        let pairs = match self.brace(code)? {
                            Object::Dict(p) => p,
                            Object::Set(s) if s.is_empty() => Vec::new(),
                            _ => return self.err("frozendict(...) takes a dict literal"),
                        };
                        self.expect(")")?;
                        Ok(Object::FrozenDict(pairs))
                    }
                    "slice" => {
                        self.expect("(")?;
                        let (items, _) = self.items(")", code)?;
                        let Ok(parts) = <[Object; 3]>::try_from(items) else {
                            return self.err("slice(...) takes three values");
                        };
                        Ok(Object::Slice(Box::new(parts)))
                    }
                    "complex" => {
                        self.expect("(")?;
                        let re = self.float_value()?;
                        self.expect(",")?;
                        let im = self.float_value()?;
                        self.expect(")")?;
                        Ok(Object::Complex { re: PyFloat(re), im: PyFloat(im) })
                    }
                    "float.bits" => {
                        self.expect("(")?;
                        self.skip_ws();
                        let w = self.word();
                        let hex = w.strip_prefix("0x").unwrap_or(w);
                        let Ok(bits) = u64::from_str_radix(hex, 16) else {
                            return self.err("expected 0x… bits");
                        };
                        self.expect(")")?;
                        Ok(Object::Float(PyFloat(f64::from_bits(bits))))
                    }
                    "code" => {
                        self.skip_ws();
                        let w = self.word();
                        let Ok(n) = w.parse::<u32>() else {
                            return self.err("expected a code block number after `code`");
                        };
                        Ok(code(n))
                    }
                    _ => {
                        self.pos = start;
                        self.err("expected a constant")
                    }
                }
            }
        }
    }

    fn float_value(&mut self) -> Result<f64, LitError> {
        match self.literal(&mut |_| Object::None)? {
            Object::Float(f) => Ok(f.0),
            Object::Int(i) => Ok(i.to_i64().map_or(f64::NAN, |x| x as f64)),
            _ => self.err("expected a float"),
        }
    }

    /// Items up to `close`; whether a trailing comma came before it.
    fn items(
        &mut self,
        close: &str,
        code: &mut dyn FnMut(u32) -> Object,
    ) -> Result<(Vec<Object>, bool), LitError> {
        let mut out = Vec::new();
        let mut comma = false;
        loop {
            if self.eat(close) {
                return Ok((out, comma));
            }
            out.push(self.literal(code)?);
            comma = self.eat(",");
            if !comma {
                self.expect(close)?;
                return Ok((out, false));
            }
        }
    }

    /// After `{`: a dict, a set, or `{}` (a dict).
    fn brace(&mut self, code: &mut dyn FnMut(u32) -> Object) -> Result<Object, LitError> {
        if self.eat("}") {
            return Ok(Object::Dict(Vec::new()));
        }
        let first = self.literal(code)?;
        if self.eat(":") {
            let mut pairs = vec![(first, self.literal(code)?)];
            while self.eat(",") {
                if self.eat("}") {
                    return Ok(Object::Dict(pairs));
                }
                let k = self.literal(code)?;
                self.expect(":")?;
                pairs.push((k, self.literal(code)?));
            }
            self.expect("}")?;
            return Ok(Object::Dict(pairs));
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.eat("}") {
                return Ok(Object::Set(items));
            }
            items.push(self.literal(code)?);
        }
        self.expect("}")?;
        Ok(Object::Set(items))
    }

    fn number(&mut self) -> Result<Object, LitError> {
        let r = self.rest();
        let n = r
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')) || c == ',')
            .unwrap_or(r.len());
        // `-` and `+` only lead or follow an exponent `e`.
        let mut end = 0;
        for (i, c) in r[..n].char_indices() {
            if (c == '-' || c == '+') && i > 0 && !matches!(r.as_bytes()[i - 1], b'e' | b'E') {
                break;
            }
            end = i + c.len_utf8();
        }
        let tok = &r[..end];
        self.pos += end;
        if let Some(digits) = tok.strip_suffix('L') {
            return match digits.parse::<BigInt>() {
                Ok(b) => Ok(Object::Long(PyInt::from(b))),
                Err(_) => self.err(format!("bad long literal {tok:?}")),
            };
        }
        if let Some(h) = tok.strip_prefix("0x") {
            return match u64::from_str_radix(h, 16) {
                Ok(x) => Ok(Object::Int(PyInt::from(BigInt::from(x)))),
                Err(_) => self.err(format!("bad hex literal {tok:?}")),
            };
        }
        if tok == "-inf" {
            return Ok(Object::Float(PyFloat(f64::NEG_INFINITY)));
        }
        if tok.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return match tok.parse::<BigInt>() {
                Ok(b) => Ok(Object::Int(PyInt::from(b))),
                Err(_) => self.err(format!("bad int literal {tok:?}")),
            };
        }
        match tok.parse::<f64>() {
            Ok(f) => Ok(Object::Float(PyFloat(f))),
            Err(_) => self.err(format!("bad number {tok:?}")),
        }
    }

    /// A quoted string after its prefix; `bytes` forces bytes, `unicode`
    /// a Python 2 unicode string. Unprefixed: str (Python 3), byte string
    /// (Python 2).
    fn string(&mut self, bytes: bool, unicode: bool) -> Result<Object, LitError> {
        let py2 = self.v.major < 3;
        let as_bytes = bytes || py2 && !unicode;
        let r = self.rest();
        let quote = r.as_bytes()[0];
        let mut i = 1;
        let b = r.as_bytes();
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = b.get(i) else { return self.err("unterminated string") };
            if c == quote {
                i += 1;
                break;
            }
            if c != b'\\' {
                // Copy one character as it is.
                let ch_len = r[i..].chars().next().map_or(1, char::len_utf8);
                if as_bytes && ch_len > 1 {
                    return self.err("non-ASCII character in a bytes literal");
                }
                out.extend_from_slice(&b[i..i + ch_len]);
                i += ch_len;
                continue;
            }
            let Some(&e) = b.get(i + 1) else { return self.err("unterminated string") };
            if !e.is_ascii() {
                return self.err("unknown escape");
            }
            i += 2;
            let simple = match e {
                b'\\' => Some(b'\\'),
                b'\'' => Some(b'\''),
                b'"' => Some(b'"'),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'0' => Some(0),
                _ => None,
            };
            if let Some(s) = simple {
                out.push(s);
                continue;
            }
            let digits = match e {
                b'x' => 2,
                b'u' if !as_bytes => 4,
                b'U' if !as_bytes => 8,
                _ => {
                    // Point at the backslash.
                    self.pos += i - 2;
                    return self.err(format!("unknown escape \\{}", char::from(e)));
                }
            };
            let Some(h) = r.get(i..i + digits) else { return self.err("short escape") };
            let Ok(cp) = u32::from_str_radix(h, 16) else {
                return self.err(format!("bad escape \\{}{h}", char::from(e)));
            };
            i += digits;
            if as_bytes {
                out.push(cp as u8);
            } else {
                push_code_point(&mut out, cp);
            }
        }
        self.pos += i;
        if as_bytes {
            return Ok(Object::Bytes(out));
        }
        match PyStr::from_utf8_surrogates(out) {
            Ok(s) => Ok(Object::Str(s)),
            Err(e) => self.err(format!("bad character in string: {e}")),
        }
    }
}

/// Appends code point `cp` as UTF-8, surrogates in their 3-byte form.
fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    match char::from_u32(cp) {
        Some(c) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        None if cp < 0x10000 => {
            out.push(0xe0 | (cp >> 12) as u8);
            out.push(0x80 | ((cp >> 6) & 0x3f) as u8);
            out.push(0x80 | (cp & 0x3f) as u8);
        }
        None => out.extend_from_slice("\u{fffd}".as_bytes()),
    }
}
