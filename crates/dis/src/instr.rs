//! Decoding instructions and resolving their arguments as `dis` does.

use std::collections::{BTreeMap, BTreeSet};

use bytescope_code::Code;
use bytescope_code::lines::Positions;
use bytescope_marshal::ObjId;
use bytescope_opcodes::{ArgFlags, OpcodeTable};
use bytescope_pyrepr::{ReprError, ReprOptions, repr_object};

use crate::rules::{Backward, NullMarker, Rules};
use crate::special::Special;

/// One decoded instruction, with its argument resolved as that version's
/// `dis` resolves it.
#[derive(Clone, Debug, PartialEq)]
pub struct Instruction {
    /// Byte offset of the opcode (not of its EXTENDED_ARG prefixes).
    pub offset: u32,
    /// Byte offset of the first EXTENDED_ARG prefix, or `offset` (3.13's
    /// `start_offset`).
    pub start_offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// The base opcode (differs only for specialized opcodes).
    pub deopt: u8,
    /// Size in bytes: 2 (wordcode), or 1/3 (≤3.5) — without inline caches.
    pub size: u8,
    /// The argument with EXTENDED_ARG folded in, `None` for argument-less
    /// opcodes.
    pub arg: Option<i64>,
    /// The resolved argument (`Instruction.argval`).
    pub argval: ArgVal,
    /// Its text (`Instruction.argrepr`).
    pub argrepr: String,
    /// The jump target in bytes, for jump opcodes.
    pub jump_target: Option<i64>,
    /// Inline cache code units that follow (3.11+).
    pub cache_entries: u8,
    /// `Some(line)` when the instruction starts a line (`line` is `None` for
    /// a 3.13+ line start without a line number).
    pub starts_line: Option<Option<i64>>,
    /// The line the instruction belongs to (3.13's `line_number`).
    pub line_number: Option<i64>,
    /// Whether something jumps here (`>>` up to 3.12).
    pub is_jump_target: bool,
    /// The `L<n>` label (3.13+).
    pub label: Option<u32>,
    /// Source positions of the instruction's first code unit (3.11+).
    pub positions: Option<Positions>,
}

/// What `Instruction.argval` holds.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgVal {
    /// No argument (`None`).
    None,
    /// The raw argument, or a computed offset.
    Int(i64),
    /// A constant from `co_consts`.
    Const(ObjId),
    /// A name (global, attribute, local, cell).
    Name(String),
    /// A fixed string such as a comparison operator.
    Str(&'static str),
    /// Two local names (3.13+ paired-local opcodes).
    Pair(String, String),
    /// FORMAT_VALUE: the conversion (0 none, 1 str, 2 repr, 3 ascii) and
    /// whether a format spec follows.
    FormatValue(u8, bool),
    /// CONVERT_VALUE's conversion function (1 str, 2 repr, 3 ascii; 0 None).
    Converter(u8),
    /// A 3.15 LOAD_COMMON_CONSTANT value, as `dis` shows it.
    Common(&'static str),
    /// `dis.UNKNOWN` (3.11 resolves no constant but LOAD_CONST's).
    Unknown,
    /// An operand out of range of its table; the text says which.
    Invalid,
}

/// Everything needed to decode one code object's instructions.
pub(crate) struct Decoder<'c, 'm, 'a> {
    pub code: &'c Code<'m, 'a>,
    pub table: &'static OpcodeTable,
    pub rules: &'c Rules,
    pub special: &'c Special,
    pub repr: ReprOptions,
    /// Names LOCAL-kind operands index: `co_varnames` ≤3.10, localsplus 3.11+.
    pub locals: Vec<String>,
    /// Names FREE-kind operands index: cellvars + freevars ≤3.10, localsplus 3.11+.
    pub frees: Vec<String>,
}

/// A decoded instruction before argument resolution.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    pub offset: u32,
    pub start_offset: u32,
    pub op: u8,
    pub deop: u8,
    pub size: u8,
    pub arg: Option<i64>,
    pub caches: u8,
}

/// Python's `seq[i]` index rules (negative counts from the end).
pub(crate) fn py_index(len: usize, i: i64) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let j = if i < 0 { i + len } else { i };
    if (0..len).contains(&j) { usize::try_from(j).ok() } else { None }
}

impl Decoder<'_, '_, '_> {
    /// `_unpack_opargs` of the version.
    pub fn unpack(&self) -> Vec<Raw> {
        if self.rules.wordcode { self.unpack_wordcode() } else { self.unpack_bytecode() }
    }

    fn unpack_wordcode(&self) -> Vec<Raw> {
        let code = self.code.code;
        let t = self.table;
        let r = self.rules;
        let ext_op = t.extended_arg;
        let mut out = Vec::with_capacity(code.len() / 2);
        // Python ints are unbounded; i128 with saturation covers every
        // real file and keeps crafted EXTENDED_ARG chains finite.
        let mut ext: i128 = 0;
        let mut caches = 0u8;
        let mut ext_count = 0u32;
        let mut i = 0usize;
        while i + 1 < code.len() {
            if caches > 0 {
                caches -= 1;
                i += 2;
                continue;
            }
            let op = code[i];
            let deop = t.op(op).deopt;
            let dinfo = t.op(deop);
            caches = dinfo.cache_entries;
            let arg = if dinfo.has_arg {
                let a = i128::from(code[i + 1]) | ext;
                ext = if deop == ext_op { a.saturating_mul(256) } else { 0 };
                // 3.11+: "the oparg is stored as a signed integer" — one
                // subtraction of 2**32, exactly as dis does it.
                if r.ext_wrap_i32 && ext >= 1 << 31 {
                    ext -= 1 << 32;
                }
                Some(i64::try_from(a).unwrap_or(if a < 0 { i64::MIN } else { i64::MAX }))
            } else {
                if r.ext_reset_argless {
                    ext = 0;
                }
                None
            };
            let offset = i as u32;
            let start = if deop == ext_op { offset } else { offset - 2 * ext_count };
            if deop == ext_op {
                ext_count += 1;
            } else {
                ext_count = 0;
            }
            out.push(Raw { offset, start_offset: start, op, deop, size: 2, arg, caches });
            i += 2;
        }
        out
    }

    fn unpack_bytecode(&self) -> Vec<Raw> {
        let code = self.code.code;
        let t = self.table;
        let mut out = Vec::with_capacity(code.len() / 2);
        let mut ext: i64 = 0;
        let mut i = 0usize;
        while i < code.len() {
            let op = code[i];
            let offset = i as u32;
            let (arg, size) = if op >= t.have_argument {
                // A truncated final argument reads as zero bytes (CPython
                // would raise IndexError).
                let lo = i64::from(code.get(i + 1).copied().unwrap_or(0));
                let hi = i64::from(code.get(i + 2).copied().unwrap_or(0));
                let a = lo.saturating_add(hi * 256).saturating_add(ext);
                ext = if op == t.extended_arg { a.saturating_mul(65536) } else { 0 };
                (Some(a), 3u8)
            } else {
                (None, 1u8)
            };
            out.push(Raw { offset, start_offset: offset, op, deop: op, size, arg, caches: 0 });
            i += usize::from(size);
        }
        out
    }

    fn is_backward(&self, deop: u8) -> bool {
        let name = self.table.op(deop).name;
        match self.rules.backward {
            Backward::None => false,
            Backward::NameContains => name.contains("JUMP_BACKWARD"),
            Backward::Names(list) => list.contains(&name),
        }
    }

    /// The jump target of `raw` in bytes (`_get_jump_target` / `findlabels`).
    pub fn jump_target(&self, raw: &Raw) -> Option<i64> {
        let arg = raw.arg?;
        let flags = self.table.op(raw.deop).flags;
        let unit = if self.rules.jump_in_units { 2 } else { 1 };
        if flags.has(ArgFlags::JREL) {
            let signed = if self.is_backward(raw.deop) { arg.saturating_neg() } else { arg };
            // Saturating: an EXTENDED_ARG chain can make `arg` as large as
            // i64::MAX (Python's ints would not overflow; crafted data only).
            let mut t =
                (i64::from(raw.offset) + i64::from(raw.size)).saturating_add(signed.saturating_mul(unit));
            if self.rules.jump_skips_caches {
                t = t.saturating_add(2 * i64::from(raw.caches));
            }
            Some(t)
        } else if flags.has(ArgFlags::JABS) {
            Some(arg.saturating_mul(unit))
        } else {
            None
        }
    }

    /// `_get_const_info`'s repr.
    fn const_repr(&self, i: i64) -> Result<(ArgVal, String), ReprError> {
        match py_index(self.code.consts.len(), i) {
            Some(j) => {
                let id = self.code.consts[j];
                let mut s = String::new();
                repr_object(&mut s, self.code.marshal(), id, self.repr)?;
                Ok((ArgVal::Const(id), s))
            }
            None => Ok((ArgVal::Invalid, format!("<invalid const index {i}>"))),
        }
    }

    fn name(list: &[String], i: i64, what: &str) -> (ArgVal, String) {
        match py_index(list.len(), i) {
            Some(j) => (ArgVal::Name(list[j].clone()), list[j].clone()),
            None => (ArgVal::Invalid, format!("<invalid {what} index {i}>")),
        }
    }

    fn local(&self, i: i64) -> (ArgVal, String) {
        Self::name(&self.locals, i, "local")
    }

    fn free(&self, i: i64) -> (ArgVal, String) {
        Self::name(&self.frees, i, "free")
    }

    fn table_entry(list: &'static [&'static str], i: i64, what: &str) -> (ArgVal, String) {
        match py_index(list.len(), i) {
            Some(j) => (ArgVal::Str(list[j]), list[j].to_owned()),
            None => (ArgVal::Invalid, format!("<invalid {what} {i}>")),
        }
    }

    /// Resolves `argval`/`argrepr` (`ArgResolver.get_argval_argrepr` and its
    /// predecessors).
    #[allow(clippy::too_many_lines)]
    pub fn resolve(
        &self,
        raw: &Raw,
        labels: &BTreeMap<i64, u32>,
    ) -> Result<(ArgVal, String, Option<i64>), ReprError> {
        let Some(arg) = raw.arg else { return Ok((ArgVal::None, String::new(), None)) };
        let t = self.table;
        let r = self.rules;
        let s = self.special;
        let deop = raw.deop;
        let flags = t.op(deop).flags;
        let is = |o: Option<u8>| o == Some(deop);
        let plain = (ArgVal::Int(arg), String::new());
        let (val, text) = if flags.has(ArgFlags::CONST) {
            if r.only_load_const_resolves && !is(s.LOAD_CONST) {
                (ArgVal::Unknown, String::new())
            } else {
                self.const_repr(arg)?
            }
        } else if flags.has(ArgFlags::NAME) {
            let names = &self.code.names;
            let (shift, marker) = if r.null_marker.is_some() && is(s.LOAD_GLOBAL) {
                (1, "NULL")
            } else if r.attr_null_bit && is(s.LOAD_ATTR) {
                (1, "NULL|self")
            } else if is(s.LOAD_SUPER_ATTR) {
                (2, "NULL|self")
            } else if r.import_name_flags && is(s.IMPORT_NAME) {
                (2, "")
            } else {
                (0, "")
            };
            let (v, mut text) = Self::name(names, arg.div_euclid(1 << shift), "name");
            if !text.is_empty() && !matches!(v, ArgVal::Invalid) {
                if marker.is_empty() && shift == 2 {
                    // 3.15 IMPORT_NAME: lazy/eager bits.
                    if arg & 1 != 0 {
                        text.push_str(" + lazy");
                    } else if arg & 2 != 0 {
                        text.push_str(" + eager");
                    }
                } else if !marker.is_empty() && arg & 1 != 0 {
                    text = match r.null_marker {
                        Some(NullMarker::Prefix) => format!("{marker} + {text}"),
                        _ => format!("{text} + {marker}"),
                    };
                }
            }
            (v, text)
        } else if flags.has(ArgFlags::JREL) || flags.has(ArgFlags::JABS) {
            let target = self.jump_target(raw).unwrap_or(arg);
            if flags.has(ArgFlags::JABS) && !r.jabs_argrepr {
                return Ok((ArgVal::Int(arg), String::new(), Some(target)));
            }
            let text = if r.layout == crate::rules::Layout::Py313 {
                let prep = if r.from_ops.contains(&t.op(deop).name) { "from" } else { "to" };
                match labels.get(&target) {
                    Some(l) => format!("{prep} L{l}"),
                    None => format!("{prep} <invalid target {target}>"),
                }
            } else {
                format!("to {target}")
            };
            return Ok((ArgVal::Int(target), text, Some(target)));
        } else if s.is_paired_local(deop) {
            let (v1, t1) = self.local(arg >> 4);
            let (v2, t2) = self.local(arg & 15);
            let val = match (v1, v2) {
                (ArgVal::Name(a), ArgVal::Name(b)) => ArgVal::Pair(a, b),
                _ => ArgVal::Invalid,
            };
            (val, format!("{t1}, {t2}"))
        } else if flags.has(ArgFlags::LOCAL) {
            self.local(arg)
        } else if flags.has(ArgFlags::FREE) {
            self.free(arg)
        } else if flags.has(ArgFlags::COMPARE) {
            let (v, mut text) = Self::table_entry(t.cmp_op, arg >> r.compare_shift, "comparison");
            if r.compare_bool_bit && arg & 16 != 0 {
                text = format!("bool({text})");
            }
            (v, text)
        } else if is(s.FORMAT_VALUE) {
            const CONV: [&str; 4] = ["", "str", "repr", "ascii"];
            let conv = (arg & 3) as u8;
            let spec = arg & 4 != 0;
            let mut text = CONV[conv as usize].to_owned();
            if spec {
                if !text.is_empty() {
                    text.push_str(", ");
                }
                text.push_str("with format");
            }
            (ArgVal::FormatValue(conv, spec), text)
        } else if is(s.CONVERT_VALUE) {
            const CONV: [&str; 4] = ["", "str", "repr", "ascii"];
            match py_index(4, arg) {
                Some(j) => (ArgVal::Converter(j as u8), CONV[j].to_owned()),
                None => (ArgVal::Invalid, format!("<invalid conversion {arg}>")),
            }
        } else if (is(s.MAKE_FUNCTION) || is(s.SET_FUNCTION_ATTRIBUTE)) && !t.function_flags.is_empty() {
            let names: Vec<&str> = t
                .function_flags
                .iter()
                .enumerate()
                .filter(|(i, _)| arg & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect();
            (ArgVal::Int(arg), names.join(", "))
        } else if is(s.BINARY_OP) {
            let (_, text) = Self::table_entry(t.binary_ops, arg, "binary operator");
            (ArgVal::Int(arg), text)
        } else if is(s.CALL_INTRINSIC_1) {
            let (_, text) = Self::table_entry(t.intrinsic1, arg, "intrinsic");
            (ArgVal::Int(arg), text)
        } else if is(s.CALL_INTRINSIC_2) {
            let (_, text) = Self::table_entry(t.intrinsic2, arg, "intrinsic");
            (ArgVal::Int(arg), text)
        } else if is(s.LOAD_COMMON_CONSTANT) {
            match py_index(t.common_constants.len(), arg) {
                Some(j) => {
                    let text = t.common_constants[j].to_owned();
                    let val = if r.import_name_flags {
                        ArgVal::Common(t.common_constants[j])
                    } else {
                        ArgVal::Int(arg)
                    };
                    (val, text)
                }
                None => (ArgVal::Invalid, format!("<invalid common constant {arg}>")),
            }
        } else if is(s.LOAD_SPECIAL) {
            let (_, text) = Self::table_entry(t.special_method_names, arg, "special method");
            (ArgVal::Int(arg), text)
        } else if r.is_contains_argrepr && is(s.IS_OP) {
            (ArgVal::Int(arg), if arg != 0 { "is not" } else { "is" }.to_owned())
        } else if r.is_contains_argrepr && is(s.CONTAINS_OP) {
            (ArgVal::Int(arg), if arg != 0 { "not in" } else { "in" }.to_owned())
        } else if r.nargs_argrepr && flags.has(ArgFlags::NARGS) {
            let code = self.code.code;
            let at = raw.offset as usize;
            let lo = code.get(at + 1).copied().unwrap_or(0);
            let hi = code.get(at + 2).copied().unwrap_or(0);
            (ArgVal::Int(arg), format!("{lo} positional, {hi} keyword pair"))
        } else {
            plain
        };
        Ok((val, text, None))
    }
}

/// Jump targets (`findlabels`) in first-seen order, deduplicated.
pub(crate) fn jump_targets(dec: &Decoder<'_, '_, '_>, raws: &[Raw]) -> BTreeSet<i64> {
    raws.iter().filter_map(|r| dec.jump_target(r)).collect()
}
