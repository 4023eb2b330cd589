//! `bytescope dis --asm`: a module as assembly text.

use std::fmt::Write as _;

use bytescope_opcodes::semantics::Operand as SemOperand;
use bytescope_opcodes::{ArgFlags, OpcodeTable};
use bytescope_pyc::PythonVersion;
use bytescope_write::{CodeObject, Item, Locals, Location, Operand, lift};

use crate::{Header, Module, literal};

/// The assembly text of `module`.
///
/// # Errors
/// A message when a code object's `co_code` cannot be expressed as
/// instructions (see [`bytescope_write::LiftError`]).
pub fn print(module: &Module) -> Result<String, String> {
    let v = module.version;
    let mut out = String::new();
    out.push_str("# bytescope assembly: `bytescope asm FILE -o OUT.pyc` builds the .pyc again\n");
    let _ = writeln!(out, ".python {v}");
    match module.header {
        Header::None => out.push_str(".header none\n"),
        Header::Timestamp { mtime, source_size } => {
            let _ = writeln!(out, ".header timestamp {mtime} {source_size}");
        }
        Header::CheckedHash(h) => {
            let _ = writeln!(out, ".header checked-hash {}", hex(&h));
        }
        Header::UncheckedHash(h) => {
            let _ = writeln!(out, ".header unchecked-hash {}", hex(&h));
        }
    }
    // Blocks in the order their `code N` references are met.
    let mut blocks: Vec<&CodeObject> = vec![&module.code];
    let mut i = 0;
    while i < blocks.len() {
        let code = blocks[i];
        out.push('\n');
        block(&mut out, code, i, &mut blocks)?;
        i += 1;
    }
    Ok(out)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The number of code object `c`, numbering it if it is new.
fn number<'c>(blocks: &mut Vec<&'c CodeObject>, c: &'c CodeObject) -> usize {
    match blocks.iter().position(|b| std::ptr::eq(*b, c)) {
        Some(n) => n,
        None => {
            blocks.push(c);
            blocks.len() - 1
        }
    }
}

fn lit<'c>(
    out: &mut String,
    obj: &'c bytescope_write::Object,
    v: PythonVersion,
    blocks: &mut Vec<&'c CodeObject>,
) {
    // Number the code objects first, so the printer only looks them up.
    let mut codes = Vec::new();
    collect_codes(obj, &mut codes);
    for c in codes {
        number(blocks, c);
    }
    let known: &[&CodeObject] = blocks;
    literal::print(out, obj, v, &mut |c| known.iter().position(|x| std::ptr::eq(*x, c)).unwrap_or(0));
}

fn collect_codes<'c>(obj: &'c bytescope_write::Object, out: &mut Vec<&'c CodeObject>) {
    use bytescope_write::Object as O;
    match obj {
        O::Code(c) if !out.iter().any(|x| std::ptr::eq(*x, &**c)) => out.push(c),
        O::Tuple(items) | O::List(items) | O::Set(items) | O::FrozenSet(items) => {
            items.iter().for_each(|o| collect_codes(o, out));
        }
        O::Dict(pairs) | O::FrozenDict(pairs) => pairs.iter().for_each(|(k, x)| {
            collect_codes(k, out);
            collect_codes(x, out);
        }),
        O::Slice(parts) => parts.iter().for_each(|o| collect_codes(o, out)),
        _ => {}
    }
}

fn name_tuple(out: &mut String, names: &[&bytescope_write::PyStr], v: PythonVersion) {
    let items: Vec<bytescope_write::Object> = names.iter().map(|n| name_obj(n, v)).collect();
    literal::print(out, &bytescope_write::Object::Tuple(items), v, &mut |_| 0);
}

/// A name as the literal the version stores it as: `str` (Python 2: a byte
/// string).
fn name_obj(n: &bytescope_write::PyStr, v: PythonVersion) -> bytescope_write::Object {
    if v.major < 3 {
        bytescope_write::Object::Bytes(n.as_bytes().to_vec())
    } else {
        bytescope_write::Object::Str(n.clone())
    }
}

fn name_lit(n: &bytescope_write::PyStr, v: PythonVersion) -> String {
    let mut s = String::new();
    literal::print(&mut s, &name_obj(n, v), v, &mut |_| 0);
    s
}

fn block<'c>(
    out: &mut String,
    c: &'c CodeObject,
    n: usize,
    blocks: &mut Vec<&'c CodeObject>,
) -> Result<(), String> {
    let v = c.version;
    let rules = c.rules();
    let _ = writeln!(out, ".code {n}");
    let _ = writeln!(out, ".name {}", name_lit(&c.name, v));
    if let Some(q) = &c.qualname {
        let _ = writeln!(out, ".qualname {}", name_lit(q, v));
    }
    let _ = writeln!(out, ".filename {}", name_lit(&c.filename, v));
    let _ = writeln!(out, ".firstlineno {}", c.firstlineno);
    let _ = writeln!(out, ".argcount {}", c.argcount);
    if rules.posonly {
        let _ = writeln!(out, ".posonlyargcount {}", c.posonlyargcount);
    }
    if rules.kwonly {
        let _ = writeln!(out, ".kwonlyargcount {}", c.kwonlyargcount);
    }
    if !rules.localsplus {
        let _ = writeln!(out, ".nlocals {}", c.nlocals);
    }
    let _ = writeln!(out, ".stacksize {}", c.stacksize);
    let _ = writeln!(out, ".flags {:#010x}", c.flags);
    out.push_str(".names ");
    name_tuple(out, &c.names.iter().collect::<Vec<_>>(), v);
    out.push('\n');
    match &c.locals {
        Locals::Plus(lp) => {
            out.push_str(".locals (");
            for (i, (name, kind)) in lp.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "({}, {:#04x})", name_lit(name, v), kind);
            }
            if lp.len() == 1 {
                out.push(',');
            }
            out.push_str(")\n");
        }
        Locals::Split { varnames, cellvars, freevars } => {
            for (what, names) in [("varnames", varnames), ("cellvars", cellvars), ("freevars", freevars)] {
                let _ = write!(out, ".{what} ");
                name_tuple(out, &names.iter().collect::<Vec<_>>(), v);
                out.push('\n');
            }
        }
    }
    out.push_str(".consts (");
    for (i, k) in c.consts.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        lit(out, k, v, blocks);
    }
    if c.consts.len() == 1 {
        out.push(',');
    }
    out.push_str(")\n");
    let table = |out: &mut String, what: &str, b: &[u8]| {
        let _ = write!(out, ".{what} ");
        bytescope_pyrepr::repr_bytes(out, b, PythonVersion::PY312);
        out.push('\n');
    };
    table(out, rules.linetable_keyword.trim_start_matches("co_"), &c.linetable);
    if rules.localsplus {
        table(out, "exceptiontable", &c.exceptiontable);
    }
    instructions(out, c, blocks)?;
    out.push_str(".end\n");
    Ok(())
}

fn location(out: &mut String, l: Location, v: PythonVersion) {
    let part = |x: i32| if x == -1 { "?".to_owned() } else { x.to_string() };
    if l == Location::NONE {
        out.push_str("@-\n");
    } else if v < PythonVersion::PY311 || l.end_line == l.line && l.col == -1 && l.end_col == -1 {
        let _ = writeln!(out, "@{}", part(l.line));
    } else {
        let _ = writeln!(out, "@{}:{}-{}:{}", part(l.line), part(l.col), part(l.end_line), part(l.end_col));
    }
}

fn instructions<'c>(
    out: &mut String,
    c: &'c CodeObject,
    blocks: &mut Vec<&'c CodeObject>,
) -> Result<(), String> {
    let v = c.version;
    let table = bytescope_opcodes::table(v).ok_or_else(|| format!("no opcode table for Python {v}"))?;
    let items = lift(c).map_err(|e| e.to_string())?;
    // Labels numbered in order of appearance.
    let mut label_no: Vec<(u32, usize)> = Vec::new();
    for it in &items {
        if let Item::Label(l) = it {
            label_no.push((l.0, label_no.len() + 1));
        }
    }
    let label = |l: u32| label_no.iter().find(|(id, _)| *id == l).map_or(0, |(_, n)| *n);
    let localsplus = c.localsplus();
    let cells_frees: Vec<&bytescope_write::PyStr> = c.cellvars().into_iter().chain(c.freevars()).collect();
    let mut loc = if v >= PythonVersion::PY311 { Location::NONE } else { Location::line(-1) };
    let mut handler: Option<bytescope_write::Handler> = None;
    for it in &items {
        let ins = match it {
            Item::Label(l) => {
                let _ = writeln!(out, "L{}:", label(l.0));
                continue;
            }
            Item::Instr(ins) => ins,
        };
        let here = if v >= PythonVersion::PY311 { ins.location } else { Location::line(ins.location.line) };
        if here != loc {
            location(out, here, v);
            loc = here;
        }
        if v >= PythonVersion::PY311 && ins.handler != handler {
            match ins.handler {
                Some(h) => {
                    let _ = writeln!(
                        out,
                        ".handler L{} {}{}",
                        label(h.target.0),
                        h.depth,
                        if h.lasti { " lasti" } else { "" }
                    );
                }
                None => out.push_str(".handler -\n"),
            }
            handler = ins.handler;
        }
        let info = table.op(ins.opcode);
        let _ = write!(out, "    {}", info.name);
        match ins.operand {
            Operand::None => {}
            Operand::Jump(l) => {
                let _ = write!(out, " L{}", label(l.0));
            }
            Operand::Arg(a) => {
                let _ = write!(out, " {a}");
                let idx = a as usize;
                let f = info.flags;
                let hint = if f.has(ArgFlags::CONST) {
                    c.consts.get(idx).map(|k| {
                        let mut s = String::new();
                        lit(&mut s, k, v, blocks);
                        s
                    })
                } else if f.has(ArgFlags::NAME) && name_shift(table, ins.opcode) == 0 {
                    c.names.get(idx).map(|n| ident_or_lit(n, v))
                } else if f.has(ArgFlags::LOCAL) && !paired(table, ins.opcode) {
                    if v >= PythonVersion::PY311 {
                        localsplus.get(idx).map(|(n, _)| ident_or_lit(n, v))
                    } else {
                        c.varnames().get(idx).map(|n| ident_or_lit(n, v))
                    }
                } else if f.has(ArgFlags::FREE) {
                    if v >= PythonVersion::PY311 {
                        localsplus.get(idx).map(|(n, _)| ident_or_lit(n, v))
                    } else {
                        cells_frees.get(idx).map(|n| ident_or_lit(n, v))
                    }
                } else if table.semantics(ins.opcode).operand == SemOperand::BinaryOp {
                    table.binary_op(a).map(str::to_owned)
                } else {
                    None
                };
                if let Some(h) = hint {
                    let _ = write!(out, " ({h})");
                }
            }
        }
        if ins.min_prefixes > 0 {
            let _ = write!(out, " ext={}", ins.min_prefixes);
        }
        out.push('\n');
    }
    Ok(())
}

/// How far `op`'s name operand is shifted (the low bits are flags), from
/// its generated semantics.
pub(crate) fn name_shift(table: &OpcodeTable, op: u8) -> u32 {
    match table.semantics(op).operand {
        SemOperand::NameNull | SemOperand::AttrMethod => 1,
        SemOperand::SuperAttr | SemOperand::ImportName => 2,
        _ => 0,
    }
}

/// Whether `op`'s argument holds two locals (3.13+).
pub(crate) fn paired(table: &OpcodeTable, op: u8) -> bool {
    table.semantics(op).operand == SemOperand::LocalPair
}

/// A name as an identifier when it is one, else as a string literal.
fn ident_or_lit(n: &bytescope_write::PyStr, v: PythonVersion) -> String {
    match n.as_str() {
        Some(s)
            if !s.is_empty()
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'<' || b == b'>'
                })
                && !s.as_bytes()[0].is_ascii_digit() =>
        {
            s.to_owned()
        }
        _ => name_lit(n, v),
    }
}
