//! The generated semantics against the interpreters' own `dis.stack_effect` (committed
//! vectors from `tools/gen_stack_vectors.py`) and against the rules the printers use.

use super::*;
use bytescope_pyc::PythonVersion as V;

/// `(version, vectors)` for every version with `dis.stack_effect` here.
const VECTORS: [(V, &str); 10] = [
    (V::PY36, include_str!("../tests/stack_effect/3.6.txt")),
    (V::PY37, include_str!("../tests/stack_effect/3.7.txt")),
    (V::PY38, include_str!("../tests/stack_effect/3.8.txt")),
    (V::PY39, include_str!("../tests/stack_effect/3.9.txt")),
    (V::PY310, include_str!("../tests/stack_effect/3.10.txt")),
    (V::PY311, include_str!("../tests/stack_effect/3.11.txt")),
    (V::PY312, include_str!("../tests/stack_effect/3.12.txt")),
    (V::PY313, include_str!("../tests/stack_effect/3.13.txt")),
    (V::PY314, include_str!("../tests/stack_effect/3.14.txt")),
    (V::PY315, include_str!("../tests/stack_effect/3.15.txt")),
];

/// The args of the vectors' columns (after `None`), from the header line.
fn args(text: &str) -> Vec<Option<u32>> {
    let line = text.lines().nth(2).expect("header");
    line.trim_start_matches('#')
        .split_whitespace()
        .map(|a| if a == "None" { None } else { Some(a.parse().expect("arg")) })
        .collect()
}

fn expand(values: &[&str], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for v in values {
        match v.split_once('*') {
            Some((v, times)) => out.extend(std::iter::repeat_n(v.to_owned(), times.parse().expect("run"))),
            None => out.push((*v).to_owned()),
        }
    }
    if out.len() == 1 {
        out = vec![out[0].clone(); n];
    }
    assert_eq!(out.len(), n, "{values:?}");
    out
}

#[test]
fn stack_effects_match_dis_stack_effect() {
    let mut checked = 0;
    for (v, text) in VECTORS {
        let table = table(v).expect("table");
        let args = args(text);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split_whitespace();
            let (Some(name), Some(mode)) = (cols.next(), cols.next()) else { panic!("{line}") };
            let values = expand(&cols.collect::<Vec<_>>(), args.len());
            let op = table.opcode(name).unwrap_or_else(|| panic!("{v}: no opcode {name}"));
            let sem = table.semantics(op);
            if table.op(op).kind == OpKind::Instrumented {
                // Runtime-only forms (`sys.monitoring`), never in a code object on disk; 3.12
                // and 3.13 report effects for them that differ from their base opcodes'. The
                // tables leave them without an effect.
                continue;
            }
            for (arg, got) in args.iter().zip(&values) {
                if got == "x" {
                    continue;
                }
                let got: i64 = got.parse().expect("value");
                let Some(stack) = sem.stack else { panic!("{v} {name}: no stack effect, dis says {got}") };
                let oparg = arg.unwrap_or(0);
                let fall = stack.eval(oparg, false).net();
                let jump = stack.eval(oparg, true).net();
                let ours = match mode {
                    "F" => fall,
                    "T" => jump,
                    _ if v >= V::PY37 => fall.max(jump),
                    // <= 3.6 report what stackdepth_walk adds before it branches: the
                    // fall-through effect, except JUMP_IF_*_OR_POP, whose pop it takes off the
                    // fall-through path afterwards.
                    _ if matches!(
                        sem.action,
                        Action::JumpIf(Condition::FalseOrPop | Condition::TrueOrPop)
                    ) =>
                    {
                        jump
                    }
                    _ => fall,
                };
                assert_eq!(ours, got, "{v} {name} arg={arg:?} jump={mode}");
                let e = stack.eval(oparg, mode == "T");
                assert!(e.pops >= 0 && e.pushes >= 0, "{v} {name} arg={arg:?}: {e:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 50_000, "only {checked} values checked");
}

#[test]
fn every_real_opcode_has_semantics() {
    for table in tables() {
        for (op, info) in table.ops.iter().enumerate() {
            let sem = table.semantics[op];
            match info.kind {
                OpKind::Unused => assert_eq!(sem, Semantics::UNKNOWN),
                OpKind::Base | OpKind::Specialized => {
                    assert_ne!(sem.action, Action::Unknown, "{} {}", table.version, info.name);
                    assert!(sem.stack.is_some(), "{} {}", table.version, info.name);
                }
                OpKind::Instrumented => assert!(sem.stack.is_none()),
            }
            if info.kind == OpKind::Specialized {
                let base = table.semantics[usize::from(info.deopt)];
                assert_eq!(sem, base, "{} {}", table.version, info.name);
            }
        }
    }
}

#[test]
fn jump_arguments_follow_the_has_lists() {
    for table in tables() {
        for (op, info) in table.ops.iter().enumerate() {
            let sem = table.semantics[op];
            let deopt = table.op(info.deopt);
            let is_jump = deopt.flags.has(ArgFlags::JREL) || deopt.flags.has(ArgFlags::JABS);
            let has_arg = if table.version >= PythonVersion::PY36 {
                deopt.has_arg
            } else {
                op >= usize::from(table.have_argument)
            };
            assert_eq!(
                sem.jump.is_some(),
                is_jump && has_arg && info.defined,
                "{} {}",
                table.version,
                info.name
            );
            if let Some(j) = sem.jump {
                assert_eq!(j.absolute, deopt.flags.has(ArgFlags::JABS));
                assert_eq!(j.units, table.version >= PythonVersion::PY310);
                assert_eq!(j.after_caches, table.version >= PythonVersion::PY312);
                assert_eq!(sem.operand, Operand::Jump, "{} {}", table.version, info.name);
            }
        }
    }
}

/// The rule `dis` uses to negate a relative jump (`Rules::backward` in the dis crate):
/// nothing before 3.11, `'JUMP_BACKWARD' in opname` in 3.11-3.12, a list from 3.13.
#[test]
fn backward_jumps_are_the_ones_dis_negates() {
    for table in tables() {
        for (op, info) in table.ops.iter().enumerate() {
            let Some(j) = table.semantics[op].jump else { continue };
            let v = table.version;
            let name = table.op(info.deopt).name;
            let dis_says = if v >= PythonVersion::PY314 {
                ["JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "END_ASYNC_FOR"].contains(&name)
            } else if v >= PythonVersion::PY313 {
                ["JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"].contains(&name)
            } else if v >= PythonVersion::PY311 {
                name.contains("JUMP_BACKWARD")
            } else {
                false
            };
            assert_eq!(j.backward, dis_says, "{v} {name}");
        }
    }
}

#[test]
fn flow_of_well_known_opcodes() {
    let flow = |v: V, name: &str| {
        let t = table(v).expect("table");
        t.semantics(t.opcode(name).expect(name)).flow
    };
    assert_eq!(flow(V::PY27, "RETURN_VALUE"), Flow::Return);
    assert_eq!(flow(V::PY27, "JUMP_ABSOLUTE"), Flow::Jump);
    assert_eq!(flow(V::PY27, "POP_JUMP_IF_FALSE"), Flow::Branch);
    assert_eq!(flow(V::PY27, "SETUP_EXCEPT"), Flow::Setup);
    assert_eq!(flow(V::PY37, "BREAK_LOOP"), Flow::Break);
    assert_eq!(flow(V::PY38, "CALL_FINALLY"), Flow::CallFinally);
    assert_eq!(flow(V::PY39, "RERAISE"), Flow::Reraise);
    assert_eq!(flow(V::PY311, "JUMP_BACKWARD"), Flow::Jump);
    assert_eq!(flow(V::PY311, "SEND"), Flow::Branch);
    assert_eq!(flow(V::PY312, "RETURN_CONST"), Flow::Return);
    assert_eq!(flow(V::PY314, "END_ASYNC_FOR"), Flow::Link);
    assert_eq!(flow(V::PY315, "RAISE_VARARGS"), Flow::Raise);
    assert!(!Flow::Link.jumps() && Flow::Link.falls_through());
}

#[test]
fn pops_and_pushes_separately() {
    let eff = |v: V, name: &str, arg: u32, jump: bool| {
        let t = table(v).expect("table");
        t.stack_effect(t.opcode(name).expect(name), arg, jump).expect("effect")
    };
    // The example: y = 0.5 * math.sqrt(x) on 3.12.
    assert_eq!(eff(V::PY312, "LOAD_GLOBAL", 1, false), Effect { pops: 0, pushes: 2 });
    assert_eq!(eff(V::PY312, "LOAD_ATTR", 1, false), Effect { pops: 1, pushes: 2 });
    assert_eq!(eff(V::PY312, "CALL", 1, false), Effect { pops: 3, pushes: 1 });
    assert_eq!(eff(V::PY312, "BINARY_OP", 5, false), Effect { pops: 2, pushes: 1 });
    assert_eq!(eff(V::PY27, "CALL_FUNCTION", 0x0102, false), Effect { pops: 5, pushes: 1 });
    assert_eq!(eff(V::PY35, "MAKE_FUNCTION", 0x0003_0102, false), Effect { pops: 9, pushes: 1 });
    assert_eq!(eff(V::PY310, "FOR_ITER", 0, true), Effect { pops: 1, pushes: 0 });
    assert_eq!(eff(V::PY312, "FOR_ITER", 0, true), Effect { pops: 1, pushes: 2 });
    assert_eq!(eff(V::PY310, "SETUP_FINALLY", 0, true).net(), 6);
    assert_eq!(eff(V::PY36, "SETUP_EXCEPT", 0, false).net(), 6);
    assert_eq!(eff(V::PY36, "SETUP_EXCEPT", 0, true).net(), 9);
    assert_eq!(eff(V::PY315, "BUILD_INTERPOLATION", 3, false), Effect { pops: 3, pushes: 1 });
    // Huge arguments saturate instead of wrapping.
    assert_eq!(eff(V::PY312, "BUILD_TUPLE", u32::MAX, false).pops, i64::from(u32::MAX));
}

#[test]
fn every_table_says_where_its_semantics_came_from() {
    for table in tables() {
        let keys: Vec<&str> = table.semantics_source.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["checked_against", "jump_path", "pops_pushes", "roles"], "{}", table.version);
    }
    let t313 = table(V::PY313).expect("table");
    assert!(
        t313.semantics_source
            .iter()
            .any(|(k, s)| *k == "pops_pushes" && s.contains("pycore_opcode_metadata.h"))
    );
}

#[test]
fn jump_target_arithmetic() {
    let j = |absolute, backward, units, after_caches| JumpArg { absolute, backward, units, after_caches };
    // 2.7 JUMP_FORWARD at 10 (3 bytes), arg 5: 18.
    assert_eq!(j(false, false, false, false).target(10, 3, 0, 5), 18);
    // 3.10 JUMP_ABSOLUTE arg 7 (units): 14.
    assert_eq!(j(true, false, true, false).target(40, 2, 0, 7), 14);
    // 3.12 FOR_ITER at 20 with one cache, arg 3: 20 + 2 + 2 + 6.
    assert_eq!(j(false, false, true, true).target(20, 2, 1, 3), 30);
    // 3.12 JUMP_BACKWARD at 100, arg 10: 102 - 20.
    assert_eq!(j(false, true, true, true).target(100, 2, 0, 10), 82);
    assert_eq!(j(false, true, true, true).target(0, 2, 0, i64::MAX), i64::MIN + 2);
    assert_eq!(j(true, false, true, true).target(0, 2, 0, i64::MAX), i64::MAX);
}
