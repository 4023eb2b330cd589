//! `bytescope asm`: assembly text back to a module.

use std::collections::HashMap;

use bytescope_code::exceptions::parse_exception_table;
use bytescope_code::lines::{co_lines, co_positions, findlinestarts};
use bytescope_opcodes::ArgFlags;
use bytescope_pyc::PythonVersion;
use bytescope_write::{
    CodeObject, Handler, Instruction, Item, Label, Locals, Location, Object, Operand, PyStr, assemble,
};

use crate::literal::{LitError, Parser};
use crate::print::{name_shift, paired};
use crate::{AsmTextError, Header, Module};
use bytescope_opcodes::semantics::Operand as SemOperand;

/// Reads assembly text (see the crate docs) into a module: every block is
/// assembled (jumps, prefixes, caches, tables) and checked as its version's
/// `marshal.loads` would check it.
///
/// # Errors
/// An [`AsmTextError`] at the line and column of the first problem.
pub fn parse(text: &str) -> Result<Module, AsmTextError> {
    let mut p = FileParser { version: None, header: Header::None, blocks: Vec::new(), cur: None };
    for (i, raw) in text.lines().enumerate() {
        p.line(i + 1, raw)?;
    }
    if let Some(b) = &p.cur {
        return Err(err(b.start_line, 1, "`.code` block without `.end`"));
    }
    let version = p.version.ok_or_else(|| err(1, 1, "missing `.python X.Y`"))?;
    // Build code objects in dependency order (Kahn's algorithm), so that
    // `code N` constants refer to finished ones.
    let mut built: HashMap<u32, CodeObject> = HashMap::new();
    let mut blocks = p.blocks;
    let mut index: HashMap<u32, usize> = HashMap::new();
    for (i, b) in blocks.iter().enumerate() {
        if index.insert(b.number, i).is_some() {
            return Err(err(b.start_line, 1, format!("a second `.code {}` block", b.number)));
        }
    }
    let mut waiting = vec![0usize; blocks.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); blocks.len()];
    for (i, b) in blocks.iter_mut().enumerate() {
        b.uses.sort_unstable();
        b.uses.dedup();
        for u in &b.uses {
            let Some(&d) = index.get(u) else {
                return Err(err(b.start_line, 1, format!("`code {u}` names no block")));
            };
            users[d].push(i);
            waiting[i] += 1;
        }
    }
    let mut ready: Vec<usize> = (0..blocks.len()).filter(|&i| waiting[i] == 0).collect();
    let mut budget = Budget { left: 1 << 20, sizes: HashMap::new() };
    let mut done = 0;
    while let Some(i) = ready.pop() {
        let code = build(version, &mut blocks[i], &mut built, &mut budget)?;
        budget.sizes.insert(blocks[i].number, code.preorder().len());
        built.insert(blocks[i].number, code);
        done += 1;
        for &u in &users[i] {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.push(u);
            }
        }
    }
    if done < blocks.len() {
        let b = blocks.iter().enumerate().find(|(i, _)| waiting[*i] > 0).map(|(_, b)| b);
        return Err(err(b.map_or(1, |b| b.start_line), 1, "`code N` references form a cycle"));
    }
    let code = built.remove(&0).ok_or_else(|| err(1, 1, "no `.code 0` block (the module)"))?;
    Ok(Module { version, header: p.header, code })
}

fn err(line: usize, column: usize, message: impl Into<String>) -> AsmTextError {
    AsmTextError { line, column, message: message.into() }
}

/// A literal's error at its place on the line.
fn lit_err(line: usize, raw: &str, e: LitError) -> AsmTextError {
    err(line, column(raw, e.at), e.message)
}

/// The column (characters from 1) of byte `at` of `raw`, rounded down to a
/// character.
fn column(raw: &str, at: usize) -> usize {
    let mut at = at.min(raw.len());
    while !raw.is_char_boundary(at) {
        at -= 1;
    }
    raw[..at].chars().count() + 1
}

#[derive(Default)]
struct Block {
    number: u32,
    start_line: usize,
    attrs: HashMap<&'static str, (usize, Object)>,
    ints: HashMap<&'static str, (usize, i64)>,
    locals: Option<(usize, Vec<(PyStr, u8)>)>,
    consts: Option<(usize, Vec<Object>)>,
    /// Block numbers `code N` refers to.
    uses: Vec<u32>,
    items: Vec<(usize, Item)>,
    /// Symbolic operands to resolve once the block's tables are known:
    /// (item index, line, what).
    symbolic: Vec<(usize, usize, Object)>,
    labels: HashMap<String, u32>,
    loc: Option<Location>,
    handler: Option<Handler>,
}

struct FileParser {
    version: Option<PythonVersion>,
    header: Header,
    blocks: Vec<Block>,
    cur: Option<Block>,
}

impl FileParser {
    fn line(&mut self, n: usize, raw: &str) -> Result<(), AsmTextError> {
        let code_part = strip_comment(raw);
        let t = code_part.trim();
        if t.is_empty() {
            return Ok(());
        }
        let col = |s: &str| raw.len() - raw.trim_start().len() + raw.trim_start().len() - s.len() + 1;
        if let Some(rest) = t.strip_prefix(".python") {
            let v: PythonVersion =
                rest.trim().parse().map_err(|_| err(n, col(rest), "expected a version X.Y"))?;
            if bytescope_opcodes::table(v).is_none() {
                return Err(err(n, col(rest), format!("bytescope cannot assemble Python {v}")));
            }
            self.version = Some(v);
            return Ok(());
        }
        let Some(v) = self.version else { return Err(err(n, 1, "the first line must be `.python X.Y`")) };
        if let Some(rest) = t.strip_prefix(".header") {
            self.header = header(rest.trim()).ok_or_else(|| {
                err(
                    n,
                    col(rest),
                    "expected `none`, `timestamp MTIME SIZE`, `checked-hash HEX16` or `unchecked-hash HEX16`",
                )
            })?;
            return Ok(());
        }
        if let Some(rest) = t.strip_prefix(".code") {
            if self.cur.is_some() {
                return Err(err(n, 1, "`.code` inside a block (missing `.end`)"));
            }
            let number =
                rest.trim().parse::<u32>().map_err(|_| err(n, col(rest), "expected a block number"))?;
            self.cur = Some(Block { number, start_line: n, ..Block::default() });
            return Ok(());
        }
        if t == ".end" {
            let b = self.cur.take().ok_or_else(|| err(n, 1, "`.end` outside a block"))?;
            self.blocks.push(b);
            return Ok(());
        }
        let Some(b) = self.cur.as_mut() else { return Err(err(n, 1, "expected `.code N`")) };
        let start = raw.len() - raw.trim_start().len();
        if let Some(rest) = t.strip_prefix('.') {
            let name_len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            let (name, _) = rest.split_at(name_len);
            let value_at = start + 1 + name_len;
            return directive(v, b, n, raw, name, value_at);
        }
        if let Some(rest) = t.strip_prefix('@') {
            b.loc = Some(parse_location(rest.trim(), v).ok_or_else(|| {
                err(n, start + 2, "expected @LINE, @LINE:COL-ENDLINE:ENDCOL (? for unknown) or @-")
            })?);
            return Ok(());
        }
        if let Some(label) = t.strip_suffix(':') {
            let id = label_id(b, label.trim())
                .ok_or_else(|| err(n, start + 1, "a label is L followed by a number"))?;
            b.items.push((n, Item::Label(Label(id))));
            return Ok(());
        }
        instruction(v, b, n, raw, start)
    }
}

/// The text before a `#` that is not inside a string.
fn strip_comment(raw: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' => return &raw[..i],
            None => {}
        }
    }
    raw
}

fn header(s: &str) -> Option<Header> {
    let mut w = s.split_whitespace();
    let kind = w.next()?;
    let h = match kind {
        "none" => Header::None,
        "timestamp" => {
            Header::Timestamp { mtime: w.next()?.parse().ok()?, source_size: w.next()?.parse().ok()? }
        }
        "checked-hash" | "unchecked-hash" => {
            let hex = w.next()?;
            if hex.len() != 16 {
                return None;
            }
            let mut h = [0u8; 8];
            for (i, b) in h.iter_mut().enumerate() {
                *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            if kind == "checked-hash" { Header::CheckedHash(h) } else { Header::UncheckedHash(h) }
        }
        _ => return None,
    };
    w.next().is_none().then_some(h)
}

fn parse_location(s: &str, v: PythonVersion) -> Option<Location> {
    if s == "-" {
        return Some(Location::NONE);
    }
    let num = |x: &str| if x == "?" { Some(-1) } else { x.parse::<i32>().ok() };
    if let Some((a, b)) = s.split_once('-').filter(|_| s.contains(':')) {
        let (line, col) = a.split_once(':')?;
        let (end_line, end_col) = b.split_once(':')?;
        return Some(Location {
            line: num(line)?,
            col: num(col)?,
            end_line: num(end_line)?,
            end_col: num(end_col)?,
        });
    }
    let line = num(s)?;
    if v >= PythonVersion::PY311 && line != -1 {
        Some(Location { end_line: line, ..Location::line(line) })
    } else {
        Some(Location::line(line))
    }
}

fn label_id(b: &mut Block, s: &str) -> Option<u32> {
    let digits = s.strip_prefix('L')?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let next = u32::try_from(b.labels.len()).ok()?;
    Some(*b.labels.entry(s.to_owned()).or_insert(next))
}

const INT_ATTRS: [&str; 8] =
    ["firstlineno", "argcount", "posonlyargcount", "kwonlyargcount", "nlocals", "stacksize", "flags", "_"];
const OBJ_ATTRS: [&str; 10] = [
    "name",
    "qualname",
    "filename",
    "names",
    "varnames",
    "cellvars",
    "freevars",
    "lnotab",
    "linetable",
    "exceptiontable",
];

fn directive(
    v: PythonVersion,
    b: &mut Block,
    n: usize,
    raw: &str,
    name: &str,
    at: usize,
) -> Result<(), AsmTextError> {
    let value = &raw[at..];
    let col = at + (value.len() - value.trim_start().len()) + 1;
    if name == "handler" {
        let mut w = strip_comment(value).split_whitespace();
        match w.next() {
            Some("-") => b.handler = None,
            Some(l) => {
                let target = label_id(b, l).ok_or_else(|| err(n, col, "expected a label or -"))?;
                let depth = w
                    .next()
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| err(n, col, "expected the stack depth"))?;
                let lasti = match w.next() {
                    None => false,
                    Some("lasti") => true,
                    Some(_) => return Err(err(n, col, "expected `lasti` or nothing")),
                };
                b.handler = Some(Handler { target: Label(target), depth, lasti });
            }
            None => return Err(err(n, col, "expected a label or -")),
        }
        return Ok(());
    }
    if let Some(&key) = INT_ATTRS.iter().find(|k| **k == name) {
        let s = strip_comment(value).trim();
        let parsed = if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else {
            s.parse::<i64>().ok()
        };
        let x = parsed.filter(|x| i32::try_from(*x).is_ok() || key == "flags" && u32::try_from(*x).is_ok());
        let x = x.ok_or_else(|| err(n, col, "expected a 32-bit integer"))?;
        b.ints.insert(key, (n, x));
        return Ok(());
    }
    let mut uses = Vec::new();
    let mut p = Parser::new(raw, at, v);
    let obj = p
        .literal(&mut |k| {
            uses.push(k);
            code_placeholder(k)
        })
        .map_err(|e| lit_err(n, raw, e))?;
    p.skip_ws();
    if !strip_comment(&raw[p.pos..]).trim().is_empty() {
        return Err(err(n, column(raw, p.pos), "unexpected text after the value"));
    }
    if name == "consts" {
        let Object::Tuple(items) = obj else { return Err(err(n, col, "`.consts` takes a tuple")) };
        b.uses.extend(uses);
        b.consts = Some((n, items));
        return Ok(());
    }
    if !uses.is_empty() {
        return Err(err(n, col, "`code N` is only allowed in `.consts`"));
    }
    if name == "locals" {
        let Object::Tuple(items) = obj else {
            return Err(err(n, col, "`.locals` takes a tuple of (name, kind)"));
        };
        let mut lp = Vec::with_capacity(items.len());
        for item in items {
            let pair = match item {
                Object::Tuple(p) if p.len() == 2 => p,
                _ => return Err(err(n, col, "each local is (name, kind)")),
            };
            let (Some(name), Object::Int(k)) = (name_of(&pair[0], v), &pair[1]) else {
                return Err(err(n, col, "each local is (name, kind)"));
            };
            let kind = k
                .to_i64()
                .and_then(|x| u8::try_from(x).ok())
                .ok_or_else(|| err(n, col, "a kind is a byte"))?;
            lp.push((name, kind));
        }
        b.locals = Some((n, lp));
        return Ok(());
    }
    match OBJ_ATTRS.iter().find(|k| **k == name) {
        Some(&key) => {
            b.attrs.insert(key, (n, obj));
            Ok(())
        }
        None => Err(err(n, at.saturating_sub(name.len()), format!("unknown directive `.{name}`"))),
    }
}

/// Stands for block `k` until blocks are built: a marker no literal makes.
fn code_placeholder(k: u32) -> Object {
    Object::Tuple(vec![
        Object::StopIteration,
        Object::int(i64::from(k)),
        Object::Ellipsis,
        Object::StopIteration,
    ])
}

fn placeholder_block(o: &Object) -> Option<u32> {
    match o {
        Object::Tuple(t)
            if t.len() == 4
                && t[0] == Object::StopIteration
                && t[2] == Object::Ellipsis
                && t[3] == Object::StopIteration =>
        {
            match &t[1] {
                Object::Int(i) => i.to_i64().and_then(|x| u32::try_from(x).ok()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A name: a str (Python 2: a byte string).
fn name_of(o: &Object, v: PythonVersion) -> Option<PyStr> {
    match o {
        Object::Str(s) if v.major >= 3 => Some(s.clone()),
        Object::Bytes(b) if v.major < 3 => Some(PyStr::from_py2_bytes(b.clone())),
        _ => None,
    }
}

fn instruction(
    v: PythonVersion,
    b: &mut Block,
    n: usize,
    raw: &str,
    start: usize,
) -> Result<(), AsmTextError> {
    let table = bytescope_opcodes::table(v).ok_or_else(|| err(n, 1, "no opcode table"))?;
    let text = strip_comment(raw);
    let rest = &text[start..];
    let name_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let opname = &rest[..name_len];
    let opcode = table
        .opcode(opname)
        .ok_or_else(|| err(n, start + 1, format!("`{opname}` is not an opcode of Python {v}")))?;
    let mut pos = start + name_len;
    let skip = |pos: &mut usize| *pos += text[*pos..].len() - text[*pos..].trim_start().len();
    skip(&mut pos);
    let mut operand = Operand::None;
    let mut min_prefixes = 0u8;
    let mut symbolic: Option<Object> = None;
    // A number or label.
    let word_end = |pos: usize| {
        text[pos..].find(|c: char| c.is_whitespace() || c == '(').map_or(text.len(), |k| pos + k)
    };
    let w_end = word_end(pos);
    let w = &text[pos..w_end];
    if w.starts_with('L') && w.len() > 1 && w[1..].bytes().all(|c| c.is_ascii_digit()) {
        operand = Operand::Jump(Label(label_id(b, w).ok_or_else(|| err(n, pos + 1, "bad label"))?));
        pos = w_end;
    } else if !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit()) {
        let a = w.parse::<u32>().map_err(|_| err(n, pos + 1, "argument does not fit 32 bits"))?;
        operand = Operand::Arg(a);
        pos = w_end;
    }
    skip(&mut pos);
    // A hint or symbolic operand in parentheses.
    if text[pos..].starts_with('(') {
        let open = pos;
        let info = table.op(opcode);
        let f = info.flags;
        let close = matching_paren(text, pos).ok_or_else(|| err(n, open + 1, "unclosed `(`"))?;
        if operand == Operand::None && table.semantics(opcode).operand == SemOperand::BinaryOp {
            let inner = text[open + 1..close].trim();
            let i = table.binary_ops.iter().position(|s| *s == inner).ok_or_else(|| {
                err(n, open + 2, format!("`{inner}` is not a BINARY_OP operator of Python {v}"))
            })?;
            operand = Operand::Arg(u32::try_from(i).unwrap_or(0));
        } else if operand == Operand::None {
            let inner = text[open + 1..close].trim();
            let value = if f.has(ArgFlags::CONST) {
                let mut uses = Vec::new();
                let mut p = Parser::new(text, open + 1, v);
                let o = p
                    .literal(&mut |k| {
                        uses.push(k);
                        code_placeholder(k)
                    })
                    .map_err(|e| lit_err(n, raw, e))?;
                b.uses.extend(uses);
                o
            } else if f.has(ArgFlags::NAME) || f.has(ArgFlags::LOCAL) || f.has(ArgFlags::FREE) {
                if f.has(ArgFlags::NAME) && name_shift(table, opcode) != 0 || paired(table, opcode) {
                    return Err(err(n, open + 1, format!("{} needs its argument as a number", info.name)));
                }
                if inner.starts_with(['\'', '"', 'u', 'b'])
                    && inner.len() > 1
                    && !inner.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    let mut p = Parser::new(text, open + 1, v);
                    p.literal(&mut |_| Object::None).map_err(|e| lit_err(n, raw, e))?
                } else if v.major < 3 {
                    Object::Bytes(inner.as_bytes().to_vec())
                } else {
                    Object::str(inner)
                }
            } else {
                return Err(err(
                    n,
                    open + 1,
                    format!("{} takes a number, not a symbolic operand", info.name),
                ));
            };
            symbolic = Some(value);
            operand = Operand::Arg(0);
        }
        pos = close + 1;
        skip(&mut pos);
    }
    // ext=N
    if let Some(e) = text[pos..].strip_prefix("ext=") {
        let e_end = e.find(char::is_whitespace).unwrap_or(e.len());
        min_prefixes = e[..e_end].parse().map_err(|_| err(n, pos + 5, "expected ext=0..3"))?;
        if min_prefixes > 3 {
            return Err(err(n, pos + 5, "expected ext=0..3"));
        }
        pos += 4 + e_end;
        skip(&mut pos);
    }
    if pos < text.len() && !text[pos..].trim().is_empty() {
        return Err(err(n, column(raw, pos), "unexpected text after the instruction"));
    }
    let location = b.loc.unwrap_or(Location::NONE);
    if let Some(sym) = symbolic {
        b.symbolic.push((b.items.len(), n, sym));
    }
    b.items
        .push((n, Item::Instr(Instruction { opcode, operand, location, handler: b.handler, min_prefixes })));
    Ok(())
}

fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// How many code objects copying blocks into constants may still make: a
/// block named by several `code N` is copied each time, and text must not
/// be able to make that exponential.
struct Budget {
    left: usize,
    /// Code objects in each built block (itself and nested).
    sizes: HashMap<u32, usize>,
}

/// Replaces the `code N` placeholders in `o` with the built blocks.
fn fill(o: &mut Object, built: &HashMap<u32, CodeObject>, budget: &mut Budget) -> Result<(), String> {
    if let Some(k) = placeholder_block(o) {
        let size = budget.sizes.get(&k).copied().unwrap_or(1);
        budget.left =
            budget.left.checked_sub(size).ok_or("`code N` references copy too many code objects")?;
        let c = built.get(&k).cloned().ok_or_else(|| format!("`code {k}` names no block"))?;
        *o = Object::Code(Box::new(c));
        return Ok(());
    }
    match o {
        Object::Tuple(items) | Object::List(items) | Object::Set(items) | Object::FrozenSet(items) => {
            items.iter_mut().try_for_each(|x| fill(x, built, budget))
        }
        Object::Dict(pairs) | Object::FrozenDict(pairs) => pairs.iter_mut().try_for_each(|(k, x)| {
            fill(k, built, budget)?;
            fill(x, built, budget)
        }),
        Object::Slice(parts) => parts.iter_mut().try_for_each(|x| fill(x, built, budget)),
        _ => Ok(()),
    }
}

fn build(
    v: PythonVersion,
    b: &mut Block,
    built: &mut HashMap<u32, CodeObject>,
    budget: &mut Budget,
) -> Result<CodeObject, AsmTextError> {
    let rules = bytescope_write::CodeRules::for_version(v);
    let l = b.start_line;
    let int = |b: &Block, key: &str, required: bool| -> Result<i32, AsmTextError> {
        match b.ints.get(key) {
            Some(&(_, x)) => Ok(x as i32),
            None if required => Err(err(l, 1, format!("block {} has no `.{key}`", b.number))),
            None => Ok(0),
        }
    };
    let name_attr = |b: &Block, key: &str, required: bool| -> Result<Option<PyStr>, AsmTextError> {
        match b.attrs.get(key) {
            Some((n, o)) => name_of(o, v).map(Some).ok_or_else(|| {
                err(*n, 1, format!("`.{key}` takes a {}", if v.major < 3 { "byte string" } else { "str" }))
            }),
            None if required => Err(err(l, 1, format!("block {} has no `.{key}`", b.number))),
            None => Ok(None),
        }
    };
    let names_attr = |b: &Block, key: &str| -> Result<Vec<PyStr>, AsmTextError> {
        match b.attrs.get(key) {
            Some((n, Object::Tuple(items))) => items
                .iter()
                .map(|o| name_of(o, v).ok_or_else(|| err(*n, 1, format!("`.{key}` holds names"))))
                .collect(),
            Some((n, _)) => Err(err(*n, 1, format!("`.{key}` takes a tuple"))),
            None => Ok(Vec::new()),
        }
    };
    let bytes_attr = |b: &Block, key: &str| -> Result<Option<Vec<u8>>, AsmTextError> {
        match b.attrs.get(key) {
            Some((_, Object::Bytes(x))) => Ok(Some(x.clone())),
            Some((n, _)) => Err(err(*n, 1, format!("`.{key}` takes bytes"))),
            None => Ok(None),
        }
    };
    let mut consts = b.consts.take().map(|(_, c)| c).unwrap_or_default();
    for c in &mut consts {
        fill(c, built, budget).map_err(|e| err(l, 1, e))?;
    }
    let mut names = names_attr(b, "names")?;
    let locals = if rules.localsplus {
        Locals::Plus(b.locals.take().map(|(_, lp)| lp).unwrap_or_default())
    } else {
        Locals::Split {
            varnames: names_attr(b, "varnames")?,
            cellvars: names_attr(b, "cellvars")?,
            freevars: names_attr(b, "freevars")?,
        }
    };
    let mut code = CodeObject {
        version: v,
        argcount: int(b, "argcount", true)?,
        posonlyargcount: int(b, "posonlyargcount", false)?,
        kwonlyargcount: int(b, "kwonlyargcount", false)?,
        nlocals: int(b, "nlocals", false)?,
        stacksize: int(b, "stacksize", false)?,
        flags: int(b, "flags", true)?,
        code: Vec::new(),
        consts: Vec::new(),
        names: Vec::new(),
        locals,
        filename: name_attr(b, "filename", true)?.unwrap_or_default(),
        name: name_attr(b, "name", true)?.unwrap_or_default(),
        qualname: if rules.localsplus { name_attr(b, "qualname", true)? } else { None },
        firstlineno: int(b, "firstlineno", true)?,
        linetable: Vec::new(),
        exceptiontable: Vec::new(),
    };
    // Symbolic operands.
    let table = bytescope_opcodes::table(v).ok_or_else(|| err(l, 1, "no opcode table"))?;
    let localsplus: Vec<PyStr> = code.localsplus().into_iter().map(|(n, _)| n.clone()).collect();
    let varnames: Vec<PyStr> = code.varnames().into_iter().cloned().collect();
    let cells_frees: Vec<PyStr> = code.cellvars().into_iter().chain(code.freevars()).cloned().collect();
    for (idx, line, sym) in std::mem::take(&mut b.symbolic) {
        let Item::Instr(ins) = &mut b.items[idx].1 else { continue };
        let f = table.op(ins.opcode).flags;
        let index = if f.has(ArgFlags::CONST) {
            let mut sym = sym;
            fill(&mut sym, built, budget).map_err(|e| err(line, 1, e))?;
            match consts.iter().position(|c| *c == sym) {
                Some(i) => i,
                None => {
                    consts.push(sym);
                    consts.len() - 1
                }
            }
        } else {
            let name = name_of(&sym, v).ok_or_else(|| err(line, 1, "expected a name"))?;
            let list: &[PyStr] = if f.has(ArgFlags::NAME) {
                if let Some(i) = names.iter().position(|x| *x == name) {
                    ins.operand = Operand::Arg(i as u32);
                    continue;
                }
                names.push(name);
                ins.operand = Operand::Arg((names.len() - 1) as u32);
                continue;
            } else if v >= PythonVersion::PY311 {
                &localsplus
            } else if f.has(ArgFlags::LOCAL) {
                &varnames
            } else {
                &cells_frees
            };
            list.iter()
                .position(|x| *x == name)
                .ok_or_else(|| err(line, 1, format!("no local or cell named {name}")))?
        };
        ins.operand = Operand::Arg(u32::try_from(index).unwrap_or(u32::MAX));
    }
    code.consts = consts;
    code.names = names;
    // Instructions → bytes and tables.
    let items: Vec<Item> = b.items.iter().map(|(_, it)| *it).collect();
    let asm = assemble(v, code.firstlineno, &items).map_err(|e| {
        let line = asm_error_line(&e, &b.items).unwrap_or(l);
        err(line, 1, e.to_string())
    })?;
    code.code = asm.code;
    let raw_lines = bytes_attr(b, rules.linetable_keyword.trim_start_matches("co_"))?;
    code.linetable = match raw_lines {
        Some(raw) if raw == asm.linetable || same_lines(v, &code, &raw, &asm.linetable) => raw,
        Some(raw) => {
            // The raw table still holds when it gives every instruction the
            // location the text gives it (it may say more: pairs past the
            // end of the code, or the same line twice, as CPython's older
            // compilers wrote).
            code.linetable = raw;
            let kept =
                bytescope_write::lift(&code).ok().is_some_and(|lifted| same_locations(&lifted, &items));
            if kept { std::mem::take(&mut code.linetable) } else { asm.linetable }
        }
        None => asm.linetable,
    };
    if rules.localsplus {
        code.exceptiontable = match bytes_attr(b, "exceptiontable")? {
            Some(raw) if raw == asm.exceptiontable || same_handlers(&raw, &asm.exceptiontable) => raw,
            _ => asm.exceptiontable,
        };
    }
    if !b.ints.contains_key("stacksize") {
        // Not given: what the stack analysis computes for these
        // instructions.
        code.stacksize =
            code.compute_stacksize().map_err(|e| err(l, 1, format!("block {}: {e}", b.number)))?.stacksize;
    }
    code.validate().map_err(|e| err(l, 1, format!("block {}: {e}", b.number)))?;
    Ok(code)
}

/// Whether two line tables say the same for `code` (as the version's
/// decoders read them).
fn same_lines(v: PythonVersion, code: &CodeObject, a: &[u8], b: &[u8]) -> bool {
    let n = code.code.len();
    let f = code.firstlineno;
    if v >= PythonVersion::PY311 {
        co_positions(v, n, f, a) == co_positions(v, n, f, b)
    } else if v >= PythonVersion::PY310 {
        co_lines(v, n, f, a) == co_lines(v, n, f, b)
    } else {
        findlinestarts(v, n, f, a) == findlinestarts(v, n, f, b)
    }
}

/// Whether two instruction lists give each instruction the same location.
fn same_locations(a: &[Item], b: &[Item]) -> bool {
    let locs = |items: &[Item]| -> Vec<Location> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Instr(x) => Some(x.location),
                Item::Label(_) => None,
            })
            .collect()
    };
    locs(a) == locs(b)
}

fn same_handlers(a: &[u8], b: &[u8]) -> bool {
    matches!((parse_exception_table(a), parse_exception_table(b)), (Ok(x), Ok(y)) if x == y)
}

/// The text line of the instruction an assembler error names.
fn asm_error_line(e: &bytescope_write::AsmError, items: &[(usize, Item)]) -> Option<usize> {
    let text = e.to_string();
    let index: usize =
        text.strip_prefix("instruction ")?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    items.iter().filter(|(_, it)| matches!(it, Item::Instr(_))).nth(index).map(|(l, _)| *l)
}
