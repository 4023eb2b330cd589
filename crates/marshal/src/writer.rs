//! The marshal writer: serialises a [`Marshal`] tree back to bytes.
//!
//! Every node keeps its type byte (FLAG_REF included), its exact length form
//! (small vs. normal tuple, short vs. long string), raw long digits and float
//! texts, so writing what was read reproduces the input byte for byte. That
//! identity over whole standard libraries is the proof the reader loses
//! nothing.

use crate::format::CodeField;
use crate::object::{Marshal, ObjId, Value};

/// Serialises the tree rooted at `m.root()`.
#[must_use]
pub fn write(m: &Marshal<'_>) -> Vec<u8> {
    let mut w = Writer { m, out: Vec::with_capacity(m.end_offset()) };
    w.object(m.root());
    w.out
}

struct Writer<'m, 'a> {
    m: &'m Marshal<'a>,
    out: Vec<u8>,
}

impl Writer<'_, '_> {
    fn i32(&mut self, v: i32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn len32(&mut self, n: usize) {
        // Lengths came from i32 fields, so they fit.
        self.i32(i32::try_from(n).unwrap_or(i32::MAX));
    }

    fn items(&mut self, ids: &[ObjId]) {
        for &id in ids {
            self.object(id);
        }
    }

    fn object(&mut self, id: ObjId) {
        let node = self.m.node(id);
        let code = node.code;
        self.out.push(code);
        let ty = node.type_code();
        match &node.value {
            Value::Null
            | Value::None
            | Value::False
            | Value::True
            | Value::StopIteration
            | Value::Ellipsis => {}
            Value::Int(v) => {
                if ty == b'I' {
                    self.out.extend_from_slice(&v.to_le_bytes());
                } else {
                    // 'i' values were read from an i32.
                    self.i32(i32::try_from(*v).unwrap_or(0));
                }
            }
            Value::Long { size, digits } => {
                self.i32(*size);
                self.out.extend_from_slice(digits);
            }
            Value::Float { value, text } => match text {
                Some(t) => self.short_text(t),
                None => self.out.extend_from_slice(&value.to_le_bytes()),
            },
            Value::Complex { re, im, text } => match text {
                Some(t) => {
                    self.short_text(t.real());
                    self.short_text(t.imag());
                }
                None => {
                    self.out.extend_from_slice(&re.to_le_bytes());
                    self.out.extend_from_slice(&im.to_le_bytes());
                }
            },
            Value::Str { data, .. } => {
                if matches!(ty, b'z' | b'Z') {
                    self.out.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
                } else {
                    self.len32(data.len());
                }
                self.out.extend_from_slice(data);
            }
            Value::Bytes(data) => {
                self.len32(data.len());
                self.out.extend_from_slice(data);
            }
            Value::Tuple(items) | Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => {
                if ty == b')' {
                    self.out.push(u8::try_from(items.len()).unwrap_or(u8::MAX));
                } else {
                    self.len32(items.len());
                }
                let ids = self.m.items(*items);
                self.items(ids);
            }
            Value::Dict(items) | Value::FrozenDict(items) => {
                let ids = self.m.items(*items);
                self.items(ids);
                self.out.push(b'0');
            }
            Value::Slice(parts) => self.items(parts),
            Value::Ref(i) | Value::StringRef(i) => self.i32(i32::try_from(*i).unwrap_or(0)),
            Value::Code(i) => self.code(*i as usize),
        }
    }

    fn short_text(&mut self, t: &[u8]) {
        self.out.push(u8::try_from(t.len()).unwrap_or(u8::MAX));
        self.out.extend_from_slice(t);
    }

    fn code(&mut self, index: usize) {
        let c = &self.m.codes()[index];
        let fields = self.m.format().code_fields.unwrap_or(c.layout.fields());
        for &field in fields.fields {
            let int = |v: i32| (v, true);
            let (value, is_int) = match field {
                CodeField::ArgCount => int(c.argcount),
                CodeField::PosOnlyArgCount => int(c.posonlyargcount),
                CodeField::KwOnlyArgCount => int(c.kwonlyargcount),
                CodeField::NLocals => int(c.nlocals),
                CodeField::StackSize => int(c.stacksize),
                CodeField::Flags => int(c.flags),
                CodeField::FirstLineNo => int(c.firstlineno),
                _ => (0, false),
            };
            if is_int {
                if fields.short_ints {
                    // Read as sign-extended 16-bit values: their low half.
                    self.out.extend_from_slice(&(value as i16).to_le_bytes());
                } else {
                    self.i32(value);
                }
                continue;
            }
            let id = match field {
                CodeField::Code => Some(c.code),
                CodeField::Consts => Some(c.consts),
                CodeField::Names => Some(c.names),
                CodeField::VarNames | CodeField::LocalsPlusNames => Some(c.varnames),
                CodeField::LocalsPlusKinds => c.localspluskinds,
                CodeField::FreeVars => c.freevars,
                CodeField::CellVars => c.cellvars,
                CodeField::Filename => Some(c.filename),
                CodeField::Name => Some(c.name),
                CodeField::QualName => c.qualname,
                CodeField::LineTable => Some(c.linetable),
                CodeField::EndLineTable => c.endlinetable,
                CodeField::ColumnTable => c.columntable,
                CodeField::ExceptionTable => c.exceptiontable,
                _ => None,
            };
            if let Some(id) = id {
                self.object(id);
            }
        }
    }
}
