//! The checks of one candidate version over one code object.
//!
//! Every check here tests something the version's compiler and marshal
//! writer never get wrong: an opcode it does not define, an operand past the
//! end of the table it indexes, a jump into the middle of an instruction, a
//! line table that does not cover the code. Data that fails one was not
//! written by that version (or is damaged); data written by it passes all.

use bytescope_analysis::{ProblemKind, StackAnalyzer, StackRules};
use bytescope_code::Code;
use bytescope_code::exceptions::parse_exception_table_strict;
use bytescope_code::lines::{LineTableFormat, check_line_table};
use bytescope_dis::{Disassembler, OpValue};
use bytescope_instr::Rules;
use bytescope_opcodes::{ArgFlags, OpKind, OpcodeTable};
use bytescope_pyc::PythonVersion;

use crate::{Candidate, FailureKind, Limits};

/// Argument kinds whose operand indexes a table of the code object or the
/// version: an `OpValue::Other` for them is an operand out of range.
const INDEXED: u16 = ArgFlags::CONST | ArgFlags::NAME | ArgFlags::LOCAL | ArgFlags::FREE | ArgFlags::COMPARE;

/// One candidate version being checked.
pub(crate) struct Checker {
    pub(crate) cand: Candidate,
    table: &'static OpcodeTable,
    rules: Rules,
    dis: Disassembler,
    /// The opcode that fills inline caches (3.11+), which the compiler never
    /// writes as an instruction.
    cache_op: Option<u8>,
    /// Instructions decoded so far (against [`Limits::max_instructions`]).
    instructions: u64,
    /// Instruction starts of the current code object, one bit per byte.
    starts: Vec<u64>,
    /// Whether an argument on an argument-less opcode has been noted.
    argless_noted: bool,
    /// The version's stack analysis.
    stack: Option<StackAnalyzer>,
}

impl Checker {
    /// A checker for `version`, or `None` without an opcode table.
    pub(crate) fn new(version: PythonVersion, offset: usize) -> Option<Checker> {
        let dis = Disassembler::new(version).ok()?;
        let table = dis.table();
        let has_caches = table.ops.iter().any(|o| o.cache_entries > 0);
        let cache_op = if has_caches { table.opcode("CACHE") } else { None };
        Some(Checker {
            cand: Candidate::new(version, Some(offset)),
            table,
            rules: Rules::for_version(version),
            dis,
            cache_op,
            instructions: 0,
            starts: Vec::new(),
            argless_noted: false,
            stack: StackAnalyzer::new(version).ok(),
        })
    }

    /// Whether the candidate needs no more evidence (excluded several times
    /// over) or has used its budget.
    pub(crate) fn done(&self, limits: &Limits) -> bool {
        self.cand.failed >= u64::from(limits.max_failures) || self.instructions >= limits.max_instructions
    }

    fn fail(&mut self, code_offset: usize, kind: FailureKind) {
        self.cand.fail(Some(code_offset), kind);
    }

    /// Runs every check on `code`.
    pub(crate) fn check_code(&mut self, code: &Code<'_, '_>) {
        let at = code.offset();
        let len = code.code.len();
        self.starts.clear();
        self.starts.resize(len.div_ceil(64) + 1, 0);
        if self.rules.wordcode {
            self.walk_wordcode(at, code.code);
        } else {
            self.walk_bytecode(at, code.code);
        }
        self.check_operands(at, code);
        self.check_line_table(at, code);
        if self.rules.localsplus {
            self.check_exception_table(at, code);
        }
        self.check_stack(at, code);
    }

    fn check_stack(&mut self, at: usize, code: &Code<'_, '_>) {
        let Some(stack) = &self.stack else { return };
        let d = stack.stacksize(code);
        self.cand.checks += 1;
        let mut found = Vec::new();
        for p in &d.problems {
            let what = match p.kind {
                ProblemKind::Underflow { .. } => "the stack underflows",
                ProblemKind::FallsOffEnd => "control runs off the end of the code",
                ProblemKind::WalkLimit => "the stack grows without bound",
                // Bad jumps, handlers and opcodes have their own checks.
                _ => continue,
            };
            found.push(FailureKind::Stack { what, offset: p.offset });
        }
        if i64::from(d.stacksize) != i64::from(code.stacksize()) {
            // 3.0-3.6 and older: the model is approximate, so a differing size is weak evidence.
            if StackRules::for_version(self.cand.version).stacksize_exact() {
                found.push(FailureKind::StackSize { declared: code.stacksize(), computed: d.stacksize });
            } else {
                self.cand.note(
                    "co_stacksize differs from the size computed for this version (its model is approximate)",
                );
            }
        }
        for kind in found {
            self.fail(at, kind);
        }
    }

    fn mark_start(&mut self, offset: usize) {
        self.starts[offset / 64] |= 1 << (offset % 64);
    }

    fn is_start(&self, offset: i64) -> bool {
        usize::try_from(offset)
            .is_ok_and(|o| self.starts.get(o / 64).is_some_and(|w| w & (1 << (o % 64)) != 0))
    }

    /// The opcode checks shared by both walks; returns whether the opcode
    /// takes an argument.
    fn check_opcode(&mut self, at: usize, offset: u32, op: u8) -> bool {
        let info = self.table.op(op);
        self.cand.checks += 1;
        self.instructions += 1;
        if !info.defined {
            self.fail(at, FailureKind::UnknownOpcode { op, offset });
        } else if info.kind != OpKind::Base || Some(op) == self.cache_op {
            self.fail(at, FailureKind::RuntimeOpcode { op, name: info.name, offset });
        }
        info.has_arg
    }

    /// 3.6+: two-byte units, inline caches after their instruction.
    fn walk_wordcode(&mut self, at: usize, code: &[u8]) {
        if !code.len().is_multiple_of(2) {
            self.cand.checks += 1;
            self.fail(at, FailureKind::OddLength { len: code.len() });
        }
        let ext = self.table.extended_arg;
        let mut extending: Option<u32> = None;
        let mut i = 0usize;
        while let Some(&[op, arg]) = code.get(i..i + 2) {
            let offset = i as u32;
            self.mark_start(i);
            let has_arg = self.check_opcode(at, offset, op);
            let info = self.table.op(op);
            if !has_arg && arg != 0 && !self.argless_noted {
                // 3.6-3.10's peephole optimizer rewrites instructions in
                // place and leaves their arguments (BUILD_TUPLE 3 ->
                // ROT_THREE 3): weak evidence only.
                self.argless_noted = true;
                self.cand.note("an opcode without argument has a nonzero argument byte");
            }
            if extending.is_some() && !has_arg {
                self.fail(at, FailureKind::ExtendedArg { offset: extending.unwrap_or(offset) });
            }
            extending = if op == ext && info.defined { Some(extending.unwrap_or(offset)) } else { None };
            i += 2;
            let caches = usize::from(info.cache_entries);
            if caches > 0 {
                match code.get(i..i + 2 * caches) {
                    Some(units) => {
                        if units.iter().any(|&b| b != 0) {
                            self.fail(at, FailureKind::Cache { name: info.name, offset, truncated: false });
                        }
                    }
                    None => self.fail(at, FailureKind::Cache { name: info.name, offset, truncated: true }),
                }
                i += 2 * caches;
            }
        }
        if let Some(offset) = extending {
            self.fail(at, FailureKind::ExtendedArg { offset });
        }
    }

    /// Up to 3.5: one byte, or three with an argument.
    fn walk_bytecode(&mut self, at: usize, code: &[u8]) {
        let ext = self.table.extended_arg;
        let mut extending: Option<u32> = None;
        let mut i = 0usize;
        while i < code.len() {
            let op = code[i];
            let offset = i as u32;
            self.mark_start(i);
            let has_arg = self.check_opcode(at, offset, op);
            if extending.is_some() && !has_arg {
                self.fail(at, FailureKind::ExtendedArg { offset: extending.unwrap_or(offset) });
            }
            extending =
                if op == ext && self.table.op(op).defined { Some(extending.unwrap_or(offset)) } else { None };
            if has_arg {
                if i + 3 > code.len() {
                    self.fail(at, FailureKind::Truncated { offset });
                    return;
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        if let Some(offset) = extending {
            self.fail(at, FailureKind::ExtendedArg { offset });
        }
    }

    /// Operands in range and jumps to instruction starts, as the version's
    /// `dis` resolves them.
    fn check_operands(&mut self, at: usize, code: &Code<'_, '_>) {
        let len = code.code.len() as i64;
        let mut found = Vec::new();
        for op in self.dis.ops(code) {
            let info = self.table.op(op.opcode);
            if !info.defined {
                continue;
            }
            match op.value {
                OpValue::Other if info.flags.0 & INDEXED != 0 => {
                    let arg = op.arg.unwrap_or(0);
                    found.push(FailureKind::Operand { name: info.name, arg, offset: op.offset });
                }
                OpValue::Jump(target) => {
                    let inside = (0..len).contains(&target);
                    if !inside || !self.is_start(target) {
                        found.push(FailureKind::Jump { name: info.name, offset: op.offset, target, inside });
                    }
                }
                _ => {}
            }
        }
        for kind in found {
            self.fail(at, kind);
        }
    }

    fn check_line_table(&mut self, at: usize, code: &Code<'_, '_>) {
        let v = self.cand.version;
        let table = code.linetable;
        let len = code.code.len();
        self.cand.checks += 1;
        if let Err(e) = check_line_table(v, table) {
            self.fail(at, FailureKind::LineTable(e));
            return;
        }
        let (covered, exact) = match LineTableFormat::for_version(v) {
            // Address increments up to the last line start: never past the
            // code.
            LineTableFormat::Lnotab { .. } => (table.iter().step_by(2).map(|&b| u64::from(b)).sum(), false),
            // Ranges of bytes covering the code exactly.
            LineTableFormat::Pep626 => (table.iter().step_by(2).map(|&b| u64::from(b)).sum(), true),
            // Entries of 1-8 code units covering the code exactly.
            _ => (table.iter().filter(|&&b| b & 0x80 != 0).map(|&b| 2 * (u64::from(b & 7) + 1)).sum(), true),
        };
        let len64 = len as u64;
        if covered > len64 || (exact && covered != len64) {
            self.fail(at, FailureKind::LineCoverage { covered, len });
        }
    }

    fn check_exception_table(&mut self, at: usize, code: &Code<'_, '_>) {
        if code.exceptiontable.is_empty() {
            return;
        }
        self.cand.checks += 1;
        let entries = match parse_exception_table_strict(code.exceptiontable) {
            Ok(e) => e,
            Err(e) => {
                self.fail(at, FailureKind::ExceptionTable(e));
                return;
            }
        };
        let len = code.code.len() as u64;
        let stacksize = u64::try_from(code.stacksize()).unwrap_or(0);
        for e in entries {
            let problem = if e.start >= e.end || e.end > len {
                "covers bytes outside the code"
            } else if e.target >= len || !self.is_start(e.target as i64) {
                "has a handler that is no instruction start"
            } else if e.depth > stacksize {
                "is deeper than co_stacksize"
            } else {
                continue;
            };
            let kind = FailureKind::Handler {
                start: e.start,
                end: e.end,
                target: e.target,
                depth: e.depth,
                problem,
            };
            self.fail(at, kind);
            return;
        }
    }
}
