//! The symbolic stack: each slot shown as the short expression that produced it.

use std::rc::Rc;

use bytescope_instr::Argument;
use bytescope_marshal::Marshal;
use bytescope_opcodes::{Action, CallKind, Container, OpcodeTable, Place};
use bytescope_pyrepr::{ReprOptions, repr_object};

use crate::depth::{Graph, UNREACHED};
use crate::rules::{NullSlot, StackRules};

/// A slot's text.
type Slot = Rc<str>;

/// Joins a 3.11 PRECALL's arguments to the callable slot until CALL takes both.
const ARGS_MARK: char = '\u{1f}';

/// Steps allowed per instruction (merges can send a path round a loop a few times).
const STEPS_PER_INSN: usize = 16;

/// Longest constant repr kept before it is cut (the display cuts slots again).
const CONST_REPR: usize = 80;

/// Most slots one symbolic stack keeps (the top ones): real code stays far below; crafted
/// arguments can ask for millions.
const MAX_SLOTS: usize = 1024;

/// Most slots kept over all instructions of a code object before the walk stops (the rest
/// of the rows then have no symbolic stack).
const MAX_TOTAL_SLOTS: usize = 1 << 22;

/// Longest slot text kept (bytes): expressions built from expressions (`x + x` of `x + x`
/// …) double at each step, so crafted code could otherwise build gigabytes of text.
const MAX_TEXT: usize = 256;

/// Bytes of new slot text (and slot overhead) made for one code object before the walk
/// stops (the rest of the rows then have no symbolic stack).
const MAX_TEXT_TOTAL: usize = 32 << 20;

/// What each new slot costs against [`MAX_TEXT_TOTAL`] besides its text.
const SLOT_OVERHEAD: usize = 32;

pub(crate) struct Symbolic<'g, 'i, 'c, 'm, 'a> {
    pub g: &'g Graph<'i, 'c>,
    pub rules: &'g StackRules,
    pub table: &'static OpcodeTable,
    pub m: &'m Marshal<'a>,
    /// Bytes of slot text made so far (see [`MAX_TEXT_TOTAL`]).
    pub made: std::cell::Cell<usize>,
}

impl Symbolic<'_, '_, '_, '_, '_> {
    /// The stack after each instruction (empty vectors for unreached ones), bottom first.
    pub fn run(&self, before: &[i64], entry: i64) -> Vec<Option<Vec<Slot>>> {
        let n = self.g.insns.len();
        let mut ins: Vec<Option<Vec<Slot>>> = vec![None; n];
        let mut out: Vec<Option<Vec<Slot>>> = vec![None; n];
        if n == 0 {
            return out;
        }
        let mut queue = Vec::new();
        let seed: Vec<Slot> = (0..entry.min(MAX_SLOTS as i64)).map(|_| Slot::from("<sent>")).collect();
        merge(&mut ins, &mut queue, 0, seed);
        let budget = n.saturating_mul(STEPS_PER_INSN).saturating_add(256);
        let mut steps = 0;
        let mut slots = 0usize;
        let mut cursor = 0;
        loop {
            while let Some(i) = queue.pop() {
                steps += 1;
                if steps > budget {
                    return out;
                }
                let Some(stack) = ins[i].clone() else { continue };
                let after = self.apply(i, &stack, false);
                slots = slots.saturating_add(after.len());
                if slots > MAX_TOTAL_SLOTS || self.made.get() > MAX_TEXT_TOTAL {
                    return out;
                }
                if let Some(t) = self.g.targets[i].filter(|_| self.g.sems[i].flow.jumps()) {
                    let jumped = self.apply(i, &stack, true);
                    merge(&mut ins, &mut queue, t as usize, jumped);
                }
                if let Some((h, depth)) = self.g.handler(i) {
                    // Unwound to the entry's depth, then `lasti` (when set) and the exception.
                    let table_depth = self.g.cover_depth(i).unwrap_or(0);
                    // Room for `lasti` and the exception within MAX_SLOTS.
                    let keep = usize::try_from(table_depth).unwrap_or(0).min(MAX_SLOTS - 2);
                    let lasti = depth > table_depth.saturating_add(1);
                    let mut s: Vec<Slot> = stack.iter().take(keep).cloned().collect();
                    pad(&mut s, keep);
                    if lasti {
                        s.push(Slot::from("lasti"));
                    }
                    s.push(Slot::from("exc"));
                    merge(&mut ins, &mut queue, h as usize, s);
                }
                if !self.rules.stops(self.g.sems[i].flow) && i + 1 < n {
                    merge(&mut ins, &mut queue, i + 1, after.clone());
                }
                out[i] = Some(after);
            }
            // Code the depth walk reached by other means (3.11+ dead handlers): its slots
            // are unknown.
            let Some(i) = (cursor..n).find(|&i| ins[i].is_none() && before[i] != UNREACHED) else { break };
            cursor = i + 1;
            let depth = usize::try_from(before[i]).unwrap_or(0).min(MAX_SLOTS);
            merge(&mut ins, &mut queue, i, vec![Slot::from("?"); depth]);
        }
        out
    }

    /// The stack after instruction `i` on its fall-through or jump path.
    fn apply(&self, i: usize, stack: &[Slot], jump: bool) -> Vec<Slot> {
        let insn = &self.g.insns[i];
        let sem = &self.g.sems[i];
        let Some(effect) = sem.stack else { return stack[stack.len().saturating_sub(MAX_SLOTS)..].to_vec() };
        let e = effect.eval(crate::insn::oparg(insn), jump);
        let pops = usize::try_from(e.pops).unwrap_or(usize::MAX).min(stack.len().saturating_add(MAX_SLOTS));
        let pushes = usize::try_from(e.pushes).unwrap_or(0).min(MAX_SLOTS);
        let mut s = stack.to_vec();
        let mut popped: Vec<Slot> = if pops <= s.len() {
            s.split_off(s.len() - pops)
        } else {
            let mut p: Vec<Slot> = vec![Slot::from("?"); pops - s.len()];
            p.append(&mut s);
            p
        };
        let mut pushed = self.render(i, &mut popped, pushes, jump);
        pushed.resize_with(pushes, || Slot::from("·"));
        let mut made = 0usize;
        for p in &mut pushed {
            capped(p);
            made = made.saturating_add(p.len() + SLOT_OVERHEAD);
        }
        if sem.action == Action::Call(CallKind::Precall) {
            hold_precall_args(&mut s, &popped);
            if let Some(last) = s.last_mut() {
                capped(last);
                made = made.saturating_add(last.len() + SLOT_OVERHEAD);
            }
        }
        self.made.set(self.made.get().saturating_add(made));
        s.extend(pushed);
        if s.len() > MAX_SLOTS {
            s.drain(..s.len() - MAX_SLOTS);
        }
        s
    }

    fn name(&self, i: usize) -> String {
        match self.g.insns[i].argument {
            Argument::Name { name, .. } | Argument::Local(name) | Argument::Free(name) => name.to_owned(),
            Argument::Compare { op: t, .. }
            | Argument::BinaryOp(t)
            | Argument::Intrinsic(t)
            | Argument::SpecialMethod(t)
            | Argument::CommonConstant(t) => t.to_owned(),
            Argument::Is { invert } => (if invert { "is not" } else { "is" }).to_owned(),
            Argument::Contains { invert } => (if invert { "not in" } else { "in" }).to_owned(),
            Argument::LocalPair(Ok(a), Ok(b)) => format!("{a}, {b}"),
            _ => "?".to_owned(),
        }
    }

    fn constant(&self, i: usize) -> String {
        let Argument::Const(id) = self.g.insns[i].argument else { return "?".to_owned() };
        if let Some(code) = self.m.code(id) {
            // A code object's repr carries an address and a file name: its name says enough.
            let name = self.m.name_lossy(code.name).unwrap_or_else(|| "?".to_owned());
            return format!("<code {name}>");
        }
        let mut s = String::new();
        match repr_object(&mut s, self.m, id, ReprOptions { max_len: CONST_REPR }) {
            Ok(()) => s,
            Err(_) => {
                let mut cut: String = s.chars().take(CONST_REPR).collect();
                cut.push('…');
                cut
            }
        }
    }

    #[allow(clippy::too_many_lines)]
    fn render(&self, i: usize, popped: &mut [Slot], pushes: usize, jump: bool) -> Vec<Slot> {
        let insn = &self.g.insns[i];
        let sem = &self.g.sems[i];
        let oparg = crate::insn::oparg(insn);
        let one = |s: String| vec![Slot::from(s)];
        let p = |k: usize| {
            popped.get(k).map_or("?", |s| s.as_ref()).split(ARGS_MARK).next().unwrap_or("?").to_owned()
        };
        let top = popped.len().checked_sub(1).map_or_else(|| "?".to_owned(), p);
        let null = || Slot::from("NULL");
        match sem.action {
            Action::Load(place) => match place {
                Place::Const => one(self.constant(i)),
                Place::SmallInt => one(oparg.to_string()),
                Place::CommonConst | Place::Local | Place::Name | Place::Free | Place::Closure => {
                    one(self.name(i))
                }
                Place::DictOrGlobal | Place::DictOrFree => one(self.name(i)),
                Place::LocalPair => match insn.argument {
                    Argument::LocalPair(Ok(a), Ok(b)) => vec![Slot::from(a), Slot::from(b)],
                    _ => Vec::new(),
                },
                Place::Global => {
                    let name = Slot::from(self.name(i));
                    match (pushes, self.rules.null_slot) {
                        (2, Some(NullSlot::Above)) => vec![name, null()],
                        (2, _) => vec![null(), name],
                        _ => vec![name],
                    }
                }
                Place::Attr | Place::Method => {
                    let attr = format!("{}.{}", paren(&top), self.name(i));
                    if pushes == 2 { vec![Slot::from(attr), Slot::from(top)] } else { one(attr) }
                }
                Place::SuperAttr => {
                    let attr = format!("super().{}", self.name(i));
                    if pushes == 2 { vec![Slot::from(attr), Slot::from(p(2))] } else { one(attr) }
                }
                Place::Special => {
                    vec![Slot::from(format!("{}.{}", paren(&top), self.name(i))), Slot::from(top)]
                }
                Place::Subscr => one(format!("{}[{}]", paren(&p(0)), p(1))),
                Place::Slice => {
                    let name = self.table.op(insn.opcode).name;
                    one(match (popped.len(), name.as_bytes().last()) {
                        (1, _) => format!("{}[:]", paren(&p(0))),
                        (2, Some(b'1')) => format!("{}[{}:]", paren(&p(0)), p(1)),
                        (2, _) => format!("{}[:{}]", paren(&p(0)), p(1)),
                        _ => format!("{}[{}:{}]", paren(&p(0)), p(1), p(2)),
                    })
                }
                Place::Locals => one("locals()".to_owned()),
                Place::BuildClass => one("__build_class__".to_owned()),
                Place::AssertionError => one("AssertionError".to_owned()),
                _ => generic(self.table.op(insn.opcode).name, popped, pushes),
            },
            Action::StoreLoad(_) => match insn.argument {
                Argument::LocalPair(_, Ok(b)) => one(b.to_owned()),
                _ => one("?".to_owned()),
            },
            Action::Store(Place::Map) => one(p(0)),
            Action::Store(_) | Action::Delete(_) | Action::Pop => Vec::new(),
            Action::PushNull => vec![null()],
            Action::Rot(_) => {
                let mut v = popped.to_vec();
                if let Some(last) = v.pop() {
                    v.insert(0, last);
                }
                v
            }
            Action::Dup(_) => popped.iter().chain(popped.iter()).cloned().collect(),
            Action::Copy => {
                let mut v = popped.to_vec();
                if let Some(first) = popped.first() {
                    v.push(first.clone());
                }
                v
            }
            Action::Swap => {
                let mut v = popped.to_vec();
                if let Some(last) = v.len().checked_sub(1) {
                    v.swap(0, last);
                }
                v
            }
            Action::Unary(sym) => one(match sym.as_str() {
                "not" => format!("not {}", paren(&p(0))),
                "`" => format!("`{}`", p(0)),
                _ => format!("{sym}{}", paren(&p(0))),
            }),
            Action::Binary(sym) => one(format!("{} {sym} {}", paren(&p(0)), paren(&p(1)))),
            Action::BinaryOp => {
                let sym =
                    self.table.binary_op(i64::from(oparg).try_into().unwrap_or(u32::MAX)).unwrap_or("?");
                one(format!("{} {sym} {}", paren(&p(0)), paren(&p(1))))
            }
            Action::Compare => {
                let op = self
                    .table
                    .cmp_op
                    .get((oparg >> self.rules.compare_shift) as usize)
                    .copied()
                    .unwrap_or("?");
                one(format!("{} {op} {}", paren(&p(0)), paren(&p(1))))
            }
            Action::Is => one(format!(
                "{} {} {}",
                paren(&p(0)),
                if oparg & 1 == 0 { "is" } else { "is not" },
                paren(&p(1))
            )),
            Action::Contains => one(format!(
                "{} {} {}",
                paren(&p(0)),
                if oparg & 1 == 0 { "in" } else { "not in" },
                paren(&p(1))
            )),
            Action::ToBool => one(format!("bool({})", p(0))),
            Action::ExcMatch if pushes == 2 => {
                vec![Slot::from(p(0)), Slot::from(format!("{} matches {}", p(0), paren(&p(1))))]
            }
            Action::Call(kind) => self.call(kind, popped, oparg),
            Action::Intrinsic => {
                let name = self.name(i);
                let short = name.strip_prefix("INTRINSIC_").unwrap_or(&name).to_ascii_lowercase();
                let args: Vec<String> = (0..popped.len()).map(p).collect();
                one(format!("{short}({})", args.join(", ")))
            }
            Action::Build(kind) => one(build(kind, popped, self.table.op(insn.opcode).name)),
            Action::Append(_) | Action::Extend(_) => popped.iter().take(pushes).cloned().collect(),
            Action::Unpack => {
                let x = paren(&p(0));
                (0..pushes).rev().map(|k| Slot::from(format!("{x}[{k}]"))).collect()
            }
            Action::UnpackEx => {
                let x = paren(&p(0));
                let before = (oparg & 0xff) as usize;
                let mut v: Vec<String> = (0..before).map(|k| format!("{x}[{k}]")).collect();
                v.push(format!("{x}[{before}:]"));
                while v.len() < pushes {
                    v.push(format!("{x}[-{}]", pushes - v.len()));
                }
                v.into_iter().rev().map(Slot::from).collect()
            }
            Action::FormatValue => {
                let conv = ["", "!s", "!r", "!a"][(oparg & 3) as usize];
                if oparg & 4 != 0 {
                    one(format!("{{{}{conv}:{}}}", p(0), p(1)))
                } else {
                    one(format!("{{{}{conv}}}", p(0)))
                }
            }
            Action::FormatSimple => one(format!("{{{}}}", p(0))),
            Action::FormatWithSpec => one(format!("{{{}:{}}}", p(0), p(1))),
            Action::Convert => {
                one(format!("{}{}", p(0), ["", "!s", "!r", "!a"].get(oparg as usize).unwrap_or(&"")))
            }
            Action::MakeFunction | Action::MakeClosure => {
                one(format!("<function {}>", function_name(popped)))
            }
            Action::SetFunctionAttribute => one(top),
            Action::ImportName => one(format!("import {}", self.name(i))),
            Action::ImportFrom => vec![
                Slot::from(p(0)),
                Slot::from(format!("{}.{}", p(0).trim_start_matches("import "), self.name(i))),
            ],
            Action::GetIter => one(format!("iter({})", p(0))),
            Action::ForIter if pushes > popped.len() => {
                let mut v = popped.to_vec();
                v.push(Slot::from(format!("next({})", popped.first().map_or("?", |s| s.as_ref()))));
                v
            }
            Action::GetLen => vec![Slot::from(p(0)), Slot::from(format!("len({})", p(0)))],
            Action::Yield => one(format!("(yield {})", p(0))),
            Action::YieldFrom => one(format!("(yield from {})", p(0))),
            Action::Await => one(format!("await {}", p(0))),
            Action::AIter => one(format!("aiter({})", p(0))),
            Action::ANext => vec![Slot::from(p(0)), Slot::from(format!("anext({})", p(0)))],
            Action::EnterWith => {
                let m = paren(&p(0));
                vec![Slot::from(format!("{m}.__exit__")), Slot::from(format!("{m}.__enter__()"))]
            }
            Action::PushExcInfo => vec![Slot::from("prev_exc"), Slot::from(p(0))],
            Action::Setup(_) if jump => {
                (0..pushes).map(|k| popped.get(k).cloned().unwrap_or_else(|| Slot::from("exc"))).collect()
            }
            Action::Setup(_) => {
                (0..pushes).map(|k| popped.get(k).cloned().unwrap_or_else(|| Slot::from("<block>"))).collect()
            }
            // Items below the ones they take (3.11+ RERAISE's, 3.14+ RETURN_VALUE's) stay.
            Action::Return | Action::ReturnConst | Action::Raise | Action::Reraise => {
                popped.iter().take(pushes).cloned().collect()
            }
            Action::Nop
            | Action::SetLineno
            | Action::ExtendedArg
            | Action::Cache
            | Action::KwNames
            | Action::MakeCell => popped.to_vec(),
            _ => generic(self.table.op(insn.opcode).name, popped, pushes),
        }
    }

    fn call(&self, kind: CallKind, popped: &[Slot], oparg: u32) -> Vec<Slot> {
        let text = |k: usize| popped.get(k).map_or("?", |s| s.as_ref()).to_owned();
        let args =
            |from: usize, to: usize| -> Vec<String> { (from..to.min(popped.len())).map(text).collect() };
        let n = popped.len();
        // Callable and `self`/NULL (3.7+ method calls, 3.11+ every call): the first of the two
        // that is not NULL.
        let callee2 = || {
            let (a, b) = (text(0), text(1));
            if a == "NULL" { b } else { a }
        };
        let oparg = oparg as usize;
        let call = match kind {
            CallKind::Positional if n == oparg.saturating_add(2) => {
                format!("{}({})", callee2(), args(2, n).join(", "))
            }
            CallKind::Positional => format!("{}({})", text(0), args(1, n).join(", ")),
            CallKind::Legacy | CallKind::LegacyVar | CallKind::LegacyKw | CallKind::LegacyVarKw => {
                let positional = oparg & 0xff;
                let pairs = (oparg >> 8) & 0xff;
                let mut a = args(1, 1 + positional);
                for k in 0..pairs {
                    let at = 1 + positional + 2 * k;
                    a.push(format!("{}={}", unquote(&text(at)), text(at + 1)));
                }
                let mut rest = 1 + positional + 2 * pairs;
                if matches!(kind, CallKind::LegacyVar | CallKind::LegacyVarKw) {
                    a.push(format!("*{}", text(rest)));
                    rest += 1;
                }
                if matches!(kind, CallKind::LegacyKw | CallKind::LegacyVarKw) {
                    a.push(format!("**{}", text(rest)));
                }
                format!("{}({})", text(0), a.join(", "))
            }
            CallKind::Kw | CallKind::KwNames => {
                let (callee, first) = if kind == CallKind::KwNames { (callee2(), 2) } else { (text(0), 1) };
                let names = tuple_items(&text(n.saturating_sub(1)));
                let values = args(first, n.saturating_sub(1));
                let positional = values.len().saturating_sub(names.len());
                let mut a: Vec<String> = values[..positional].to_vec();
                for (k, v) in names.iter().zip(&values[positional..]) {
                    a.push(format!("{}={v}", unquote(k)));
                }
                format!("{callee}({})", a.join(", "))
            }
            CallKind::Ex => {
                // 3.6-3.10: f, args[, kwargs]; 3.11-3.13: NULL/f pair first; 3.14+: f, NULL,
                // args, kwargs-or-NULL.
                let (callee, from) = if n >= 3 && (text(0) == "NULL" || text(1) == "NULL") {
                    (callee2(), 2)
                } else {
                    (text(0), 1)
                };
                let mut a = vec![format!("*{}", text(from))];
                if let Some(kw) = popped.get(from + 1).filter(|k| k.as_ref() != "NULL") {
                    a.push(format!("**{kw}"));
                }
                format!("{callee}({})", a.join(", "))
            }
            CallKind::Precall => {
                // Hold the arguments on the callable slot until CALL.
                return Vec::new();
            }
            CallKind::AfterPrecall => {
                let (a, b) = (text(0), text(1));
                let (b, held) = b
                    .split_once(ARGS_MARK)
                    .map_or((b.clone(), String::new()), |(x, y)| (x.to_owned(), y.to_owned()));
                let callee = if a == "NULL" { b } else { a };
                format!("{callee}({held})")
            }
            _ => format!("{}(…)", text(0)),
        };
        vec![Slot::from(call)]
    }
}

/// 3.11 PRECALL: the arguments it takes are held on the slot below them (the callable or
/// `self`), so CALL can show them.
fn hold_precall_args(stack: &mut [Slot], args: &[Slot]) {
    if let Some(last) = stack.last_mut() {
        let base = last.split(ARGS_MARK).next().unwrap_or("").to_owned();
        let held: Vec<&str> = args.iter().map(|a| a.split(ARGS_MARK).next().unwrap_or("")).collect();
        *last = Slot::from(format!("{base}{ARGS_MARK}{}", held.join(", ")));
    }
}

/// Queues `i` with `stack` on first arrival; later arrivals mark the slots that differ as
/// unknown (`?`) and queue `i` again only when that changed something.
fn merge(ins: &mut [Option<Vec<Slot>>], queue: &mut Vec<usize>, i: usize, stack: Vec<Slot>) {
    match &mut ins[i] {
        None => {
            ins[i] = Some(stack);
            queue.push(i);
        }
        Some(old) if old.len() == stack.len() => {
            let mut changed = false;
            for (a, b) in old.iter_mut().zip(&stack) {
                if a != b && a.as_ref() != "?" {
                    *a = Slot::from("?");
                    changed = true;
                }
            }
            if changed {
                queue.push(i);
            }
        }
        Some(old) if stack.len() > old.len() => {
            *old = stack;
            queue.push(i);
        }
        Some(_) => {}
    }
}

/// `slot` cut to [`MAX_TEXT`] bytes (at a character boundary), `…` marking the cut.
fn capped(slot: &mut Slot) {
    if slot.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !slot.is_char_boundary(end) {
            end -= 1;
        }
        *slot = Slot::from(format!("{}…", &slot[..end]));
    }
}

fn pad(s: &mut Vec<Slot>, len: usize) {
    if s.len() < len {
        let missing = len - s.len();
        s.splice(0..0, std::iter::repeat_n(Slot::from("?"), missing));
    }
}

/// `x` wrapped in parentheses when it is an expression with spaces (an operand).
fn paren(x: &str) -> String {
    let bracketed = x.starts_with('(') && x.ends_with(')');
    if x.contains(' ') && !bracketed && !x.starts_with('[') && !x.starts_with('{') && !x.starts_with('<') {
        format!("({x})")
    } else {
        x.to_owned()
    }
}

fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// The items of a tuple constant's repr, e.g. `('a', 'b')` → `'a'`, `'b'`.
fn tuple_items(repr: &str) -> Vec<String> {
    let inner = repr.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or("");
    inner.split(", ").map(|s| s.trim_end_matches(',').to_owned()).filter(|s| !s.is_empty()).collect()
}

fn function_name(popped: &[Slot]) -> String {
    // 3.3-3.10 push the qualified name last; otherwise the code object's repr has the name.
    for s in popped.iter().rev() {
        if let Some(rest) = s.strip_prefix("<code ") {
            return rest.trim_end_matches('>').to_owned();
        }
        if s.starts_with('\'') || s.starts_with('"') {
            return unquote(s).to_owned();
        }
    }
    "?".to_owned()
}

fn build(kind: Container, popped: &[Slot], opname: &str) -> String {
    let items: Vec<&str> = popped.iter().map(AsRef::as_ref).collect();
    match kind {
        Container::Tuple if items.len() == 1 => format!("({},)", items[0]),
        Container::Tuple => format!("({})", items.join(", ")),
        Container::List => format!("[{}]", items.join(", ")),
        Container::Set => format!("{{{}}}", items.join(", ")),
        Container::Map => {
            let pairs: Vec<String> =
                items.chunks(2).map(|kv| format!("{}: {}", kv[0], kv.get(1).unwrap_or(&"?"))).collect();
            format!("{{{}}}", pairs.join(", "))
        }
        Container::MapSized => "{}".to_owned(),
        Container::ConstKeyMap => {
            let (keys, values) =
                items.split_last().map_or((Vec::new(), &[][..]), |(k, v)| (tuple_items(k), v));
            let pairs: Vec<String> = keys.iter().zip(values).map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{{{}}}", pairs.join(", "))
        }
        Container::String => {
            let mut s = String::from("f'");
            for piece in items {
                if piece.starts_with('{') {
                    s.push_str(piece);
                } else {
                    s.push_str(unquote(piece));
                }
            }
            s.push('\'');
            s
        }
        Container::Slice => items.join(":"),
        Container::TupleUnpack => format!("({})", star(&items, "*")),
        Container::ListUnpack => format!("[{}]", star(&items, "*")),
        Container::SetUnpack => format!("{{{}}}", star(&items, "*")),
        Container::MapUnpack => format!("{{{}}}", star(&items, "**")),
        Container::TupleFromList => format!("tuple({})", items.first().unwrap_or(&"?")),
        _ => format!("{}({})", opname.to_ascii_lowercase(), items.join(", ")),
    }
}

fn star(items: &[&str], s: &str) -> String {
    items.iter().map(|i| format!("{s}{i}")).collect::<Vec<_>>().join(", ")
}

/// What an opcode without its own rendering leaves: the values it keeps (the lowest popped
/// ones, as many as it pushes less one) and `opname(rest)` for the others.
fn generic(opname: &str, popped: &[Slot], pushes: usize) -> Vec<Slot> {
    if pushes == 0 {
        return Vec::new();
    }
    let keep = popped.len().min(pushes - 1);
    let mut v: Vec<Slot> = popped[..keep].to_vec();
    let rest: Vec<&str> = popped[keep..].iter().map(AsRef::as_ref).collect();
    v.push(Slot::from(format!("{}({})", opname.to_ascii_lowercase(), rest.join(", "))));
    v
}
