//! Known facts about the generated tables (no Python needed).

use super::*;
use bytescope_pyc::PythonVersion as V;

fn t(v: V) -> &'static OpcodeTable {
    table(v).unwrap_or_else(|| panic!("no table for {v}"))
}

fn num(v: V, name: &str) -> u8 {
    t(v).opcode(name).unwrap_or_else(|| panic!("{v} has no {name}"))
}

fn caches(v: V, name: &str) -> u8 {
    t(v).op(num(v, name)).cache_entries
}

const ALL: [V; 25] = [
    V::PY15,
    V::PY20,
    V::PY21,
    V::PY22,
    V::PY23,
    V::PY24,
    V::PY25,
    V::PY26,
    V::PY27,
    V::PY30,
    V::PY31,
    V::PY32,
    V::PY33,
    V::PY34,
    V::PY35,
    V::PY36,
    V::PY37,
    V::PY38,
    V::PY39,
    V::PY310,
    V::PY311,
    V::PY312,
    V::PY313,
    V::PY314,
    V::PY315,
];

#[test]
fn a_table_for_every_version() {
    for v in ALL {
        assert_eq!(t(v).version, v);
    }
    let listed: Vec<V> = tables()
        .iter()
        .filter(|t| t.implementation == bytescope_pyc::Implementation::CPython)
        .map(|t| t.version)
        .collect();
    assert_eq!(listed, ALL);
    // PyPy 3.9's own table; other PyPy versions fall back on CPython's.
    let pypy = crate::table_for(bytescope_pyc::Implementation::PyPy, V::PY39).unwrap();
    assert_eq!(
        (pypy.implementation, pypy.opcode("BUILD_LIST_FROM_ARG")),
        (bytescope_pyc::Implementation::PyPy, Some(203))
    );
    assert_eq!(pypy.opcode("LIST_EXTEND"), Some(164));
    assert_eq!(t(V::PY39).opcode("LIST_EXTEND"), Some(162));
    // PyPy 3.10's own table (transcribed): PyPy 3.9's changes made to CPython 3.10's.
    let pypy310 = crate::table_for(bytescope_pyc::Implementation::PyPy, V::PY310).unwrap();
    assert_eq!(pypy310.implementation, bytescope_pyc::Implementation::PyPy);
    assert_eq!((pypy310.opcode("SETUP_EXCEPT"), pypy310.opcode("DICT_MERGE")), (Some(120), Some(166)));
    assert_eq!(pypy310.opcode("RERAISE"), t(V::PY310).opcode("RERAISE"));
    assert!(std::ptr::eq(
        crate::table_for(bytescope_pyc::Implementation::PyPy, V::PY311).unwrap(),
        t(V::PY311)
    ));
    // PyPy 2.7's own table (transcribed): CPython 2.7's numbers plus 201-205.
    let pypy27 = crate::table_for(bytescope_pyc::Implementation::PyPy, V::PY27).unwrap();
    assert_eq!(pypy27.implementation, bytescope_pyc::Implementation::PyPy);
    assert_eq!((pypy27.opcode("LOOKUP_METHOD"), pypy27.opcode("JUMP_IF_NOT_DEBUG")), (Some(201), Some(204)));
    assert!(pypy27.op(204).flags.has(ArgFlags::JREL));
    assert_eq!(pypy27.opcode("POP_JUMP_IF_TRUE"), t(V::PY27).opcode("POP_JUMP_IF_TRUE"));
    // No copy of 1.6's dis.py was found; 1.3/1.4 code objects are not read.
    for v in [V::PY13, V::PY14, V::PY16] {
        assert!(table(v).is_none());
    }
}

/// The transcribed old tables, at the numbers their sources give (tools/data/opcodes/
/// old_versions.txt): what changed from one release to the next.
#[test]
fn old_tables_follow_the_release_history() {
    for v in [V::PY15, V::PY20, V::PY21, V::PY22, V::PY23, V::PY24, V::PY25, V::PY26] {
        assert_eq!(t(v).have_argument, 90, "{v}");
        assert_eq!(t(v).cmp_op.len(), 12, "{v}");
        assert_eq!(num(v, "LOAD_CONST"), 100);
        assert_eq!(num(v, "JUMP_IF_FALSE"), 111);
    }
    let has = |v: V, name: &str| t(v).opcode(name).is_some();
    // 1.5: no EXTENDED_ARG (the table's number is one no opcode has), UNPACK_TUPLE/LIST.
    assert!(!t(V::PY15).op(t(V::PY15).extended_arg).defined);
    assert_eq!(num(V::PY15, "UNPACK_LIST"), 93);
    assert_eq!(t(V::PY15).op(99).name, "UNPACK_VARARG");
    // 2.0: augmented assignment, EXTENDED_ARG; 2.1: closures; 2.2: iterators.
    assert_eq!((num(V::PY20, "ROT_FOUR"), num(V::PY20, "EXTENDED_ARG")), (5, 143));
    assert!(!has(V::PY20, "LOAD_CLOSURE") && has(V::PY21, "LOAD_CLOSURE"));
    assert!(t(V::PY21).op(num(V::PY21, "LOAD_DEREF")).flags.has(ArgFlags::FREE));
    assert!(!has(V::PY21, "FOR_ITER") && num(V::PY22, "FOR_ITER") == 93);
    assert_eq!(num(V::PY22, "YIELD_STMT"), 86);
    // 2.3: no SET_LINENO; 2.4: LIST_APPEND, NOP; 2.5: WITH_CLEANUP; 2.6: STORE_MAP.
    assert!(has(V::PY22, "SET_LINENO") && !has(V::PY23, "SET_LINENO"));
    assert_eq!(num(V::PY23, "YIELD_VALUE"), 86);
    assert!(!has(V::PY23, "LIST_APPEND") && num(V::PY24, "LIST_APPEND") == 18);
    assert!(!has(V::PY24, "WITH_CLEANUP") && num(V::PY25, "WITH_CLEANUP") == 81);
    assert!(!has(V::PY25, "STORE_MAP") && num(V::PY26, "STORE_MAP") == 54);
    assert!(!t(V::PY26).op(num(V::PY26, "LIST_APPEND")).has_arg);
    assert!(t(V::PY26).op(num(V::PY26, "JUMP_IF_TRUE")).flags.has(ArgFlags::JREL));
    assert_eq!(num(V::PY27, "LIST_APPEND"), 94);
}

#[test]
fn have_argument_and_extended_arg() {
    let expect = [
        (V::PY27, 90, 145),
        (V::PY30, 90, 143),
        (V::PY31, 90, 143),
        (V::PY32, 90, 144),
        (V::PY35, 90, 144),
        (V::PY36, 90, 144),
        (V::PY39, 90, 144),
        (V::PY312, 90, 144),
        (V::PY313, 44, 71),
        (V::PY314, 43, 69),
        (V::PY315, 41, 67),
    ];
    for (v, have, ext) in expect {
        assert_eq!((t(v).have_argument, t(v).extended_arg), (have, ext), "{v}");
        assert_eq!(t(v).op(ext).name, "EXTENDED_ARG", "{v}");
        assert_eq!(num(v, "EXTENDED_ARG"), ext);
    }
}

#[test]
fn well_known_numbers() {
    assert_eq!(num(V::PY312, "LOAD_CONST"), 100);
    assert!(t(V::PY312).op(100).flags.has(ArgFlags::CONST));
    assert!(t(V::PY312).op(100).has_arg);
    assert_eq!(num(V::PY27, "LOAD_CONST"), 100);
    assert_eq!(num(V::PY27, "PRINT_ITEM"), 71);
    assert_eq!(num(V::PY311, "CACHE"), 0);
    assert_eq!(num(V::PY313, "RESUME"), 149);
    assert_eq!(num(V::PY314, "RESUME"), 128);
    assert_eq!(num(V::PY314, "ENTER_EXECUTOR"), 255);
    assert_eq!(num(V::PY310, "ROT_N"), 99);
}

#[test]
fn cache_entries_311() {
    let v = V::PY311;
    for (name, n) in [
        ("BINARY_SUBSCR", 4),
        ("STORE_SUBSCR", 1),
        ("UNPACK_SEQUENCE", 1),
        ("STORE_ATTR", 4),
        ("LOAD_ATTR", 4),
        ("COMPARE_OP", 2),
        ("LOAD_GLOBAL", 5),
        ("BINARY_OP", 1),
        ("LOAD_METHOD", 10),
        ("PRECALL", 1),
        ("CALL", 4),
    ] {
        assert_eq!(caches(v, name), n, "{v} {name}");
    }
    let with_caches = t(v).ops.iter().filter(|o| o.kind == OpKind::Base && o.cache_entries > 0).count();
    assert_eq!(with_caches, 11);
}

#[test]
fn cache_entries_312_to_315() {
    let v = V::PY312;
    for (name, n) in [
        ("BINARY_SUBSCR", 1),
        ("STORE_SUBSCR", 1),
        ("UNPACK_SEQUENCE", 1),
        ("FOR_ITER", 1),
        ("STORE_ATTR", 4),
        ("LOAD_ATTR", 9),
        ("COMPARE_OP", 1),
        ("LOAD_GLOBAL", 4),
        ("BINARY_OP", 1),
        ("SEND", 1),
        ("LOAD_SUPER_ATTR", 1),
        ("CALL", 3),
    ] {
        assert_eq!(caches(v, name), n, "{v} {name}");
    }
    let v = V::PY313;
    for (name, n) in [
        ("LOAD_GLOBAL", 4),
        ("BINARY_OP", 1),
        ("CONTAINS_OP", 1),
        ("BINARY_SUBSCR", 1),
        ("JUMP_BACKWARD", 1),
        ("TO_BOOL", 3),
        ("POP_JUMP_IF_NONE", 1),
        ("CALL", 3),
    ] {
        assert_eq!(caches(v, name), n, "{v} {name}");
    }
    assert_eq!(caches(V::PY313, "RESUME"), 0);
    assert_eq!(caches(V::PY314, "BINARY_OP"), 5);
    assert_eq!(caches(V::PY314, "CALL_KW"), 3);
    assert!(t(V::PY314).opcode("BINARY_SUBSCR").is_none());
    assert_eq!(caches(V::PY315, "RESUME"), 1);
    assert_eq!(caches(V::PY315, "GET_ITER"), 1);
    assert_eq!(caches(V::PY315, "CALL_FUNCTION_EX"), 1);
    assert_eq!(caches(V::PY314, "RESUME"), 0);
}

#[test]
fn cache_format_matches_cache_entries() {
    for table in tables() {
        for (name, fields) in table.cache_format {
            let total: u8 = fields.iter().map(|f| f.size).sum();
            let op = table.opcode(name).unwrap();
            assert_eq!(table.op(op).cache_entries, total, "{} {name}", table.version);
        }
    }
    let f = t(V::PY314).cache_fields("BINARY_OP");
    assert_eq!(f, &[CacheField { name: "counter", size: 1 }, CacheField { name: "descr", size: 4 }]);
    assert!(t(V::PY310).cache_fields("BINARY_OP").is_empty());
}

#[test]
fn specialized_and_instrumented() {
    let count = |v: V, k: OpKind| t(v).ops.iter().filter(|o| o.kind == k).count();
    for (v, n) in [(V::PY311, 71), (V::PY312, 64), (V::PY313, 74), (V::PY314, 84), (V::PY315, 91)] {
        assert_eq!(count(v, OpKind::Specialized), n, "{v}");
    }
    for v in [V::PY27, V::PY35, V::PY310] {
        assert_eq!(count(v, OpKind::Specialized), 0, "{v}");
        assert_eq!(count(v, OpKind::Instrumented), 0, "{v}");
    }
    let mins = [
        (V::PY311, None),
        (V::PY312, Some(237)),
        (V::PY313, Some(236)),
        (V::PY314, Some(234)),
        (V::PY315, Some(233)),
    ];
    for (v, min) in mins {
        assert_eq!(t(v).min_instrumented, min, "{v}");
    }
    // 3.11 dis puts specialized names into empty slots; they decode like their base.
    let v311 = t(V::PY311);
    let adaptive = v311.op(3);
    assert_eq!(adaptive.name, "BINARY_OP_ADAPTIVE");
    assert_eq!(adaptive.kind, OpKind::Specialized);
    assert_eq!(adaptive.deopt, num(V::PY311, "BINARY_OP"));
    assert!(adaptive.has_arg, "below HAVE_ARGUMENT but decoded as BINARY_OP");
    assert_eq!(adaptive.cache_entries, 1);
    // 3.13's opcode.opname leaves these as <N>; dis names them.
    assert_eq!(t(V::PY313).op(3).name, "BINARY_OP_INPLACE_ADD_UNICODE");
    let lg = t(V::PY312).opcode("LOAD_GLOBAL_MODULE").unwrap();
    assert!(t(V::PY312).op(lg).flags.has(ArgFlags::NAME));
    assert_eq!(t(V::PY312).op(lg).cache_entries, 4);
}

#[test]
fn invariants() {
    for table in tables() {
        let v = table.version;
        let mut seen = std::collections::HashSet::new();
        for (i, o) in table.ops.iter().enumerate() {
            assert_eq!(o.defined, o.kind != OpKind::Unused, "{v} {i}");
            if o.defined {
                assert!(seen.insert(o.name), "{v}: {} twice", o.name);
                assert_eq!(table.opcode(o.name), Some(i as u8));
            } else {
                assert_eq!(o.name, format!("<{i}>"), "{v}");
                assert_eq!(o.deopt as usize, i);
            }
            let base = table.op(o.deopt);
            if o.kind == OpKind::Specialized {
                assert_eq!(base.kind, OpKind::Base, "{v} {}", o.name);
                assert_eq!(
                    (o.flags, o.has_arg, o.cache_entries),
                    (base.flags, base.has_arg, base.cache_entries)
                );
            } else {
                assert_eq!(o.deopt as usize, i, "{v} {}", o.name);
            }
            if v <= V::PY310 {
                assert_eq!(o.has_arg, i >= table.have_argument as usize, "{v} {i}");
                assert_eq!(o.cache_entries, 0);
            }
            if o.flags.0 != 0 {
                assert!(o.has_arg, "{v} {}: argument kind without argument", o.name);
            }
        }
    }
}

#[test]
fn jumps() {
    let jrel = |v: V, n: &str| t(v).op(num(v, n)).flags.has(ArgFlags::JREL);
    let jabs = |v: V, n: &str| t(v).op(num(v, n)).flags.has(ArgFlags::JABS);
    assert!(jrel(V::PY27, "JUMP_FORWARD") && jabs(V::PY27, "POP_JUMP_IF_FALSE"));
    assert!(jrel(V::PY30, "JUMP_IF_FALSE") && jrel(V::PY30, "JUMP_IF_TRUE"));
    assert!(jabs(V::PY31, "POP_JUMP_IF_FALSE") && jabs(V::PY31, "JUMP_IF_TRUE_OR_POP"));
    assert!(jrel(V::PY311, "POP_JUMP_FORWARD_IF_TRUE") && jrel(V::PY311, "JUMP_BACKWARD"));
    assert!(!t(V::PY311).ops.iter().any(|o| o.flags.has(ArgFlags::JABS)));
    let j = t(V::PY313).op(num(V::PY313, "POP_JUMP_IF_FALSE")).flags;
    assert!(j.has(ArgFlags::JUMP) && j.has(ArgFlags::JREL));
    assert!(!t(V::PY312).op(num(V::PY312, "JUMP_FORWARD")).flags.has(ArgFlags::JUMP));
}

#[test]
fn operator_and_intrinsic_names() {
    assert_eq!(t(V::PY314).binary_ops[26], "[]");
    assert_eq!(t(V::PY314).binary_op(13), Some("+="));
    assert_eq!(t(V::PY311).binary_ops.len(), 26);
    assert_eq!(t(V::PY311).binary_ops[0], "+");
    assert!(t(V::PY310).binary_ops.is_empty());
    assert_eq!(t(V::PY312).intrinsic1[4], "INTRINSIC_ASYNC_GEN_WRAP");
    assert_eq!(t(V::PY312).intrinsic2[1], "INTRINSIC_PREP_RERAISE_STAR");
    assert!(!t(V::PY312).intrinsic2.contains(&"INTRINSIC_SET_TYPEPARAM_DEFAULT"));
    assert_eq!(t(V::PY313).intrinsic2.last(), Some(&"INTRINSIC_SET_TYPEPARAM_DEFAULT"));
    assert!(t(V::PY311).intrinsic1.is_empty());
    assert_eq!(t(V::PY314).special_method_names, ["__enter__", "__exit__", "__aenter__", "__aexit__"]);
    assert!(t(V::PY313).special_method_names.is_empty());
}

#[test]
fn common_constants_as_dis_shows_them() {
    assert_eq!(
        t(V::PY314).common_constants,
        [
            "AssertionError",
            "NotImplementedError",
            "tuple",
            "<built-in function all>",
            "<built-in function any>"
        ]
    );
    let c315 = t(V::PY315).common_constants;
    assert_eq!(c315.len(), 12);
    assert_eq!(&c315[5..], ["list", "set", "None", "''", "True", "False", "-1"]);
}

#[test]
fn compare_ops() {
    for v in [V::PY27, V::PY30, V::PY35, V::PY38] {
        assert_eq!(t(v).cmp_op.len(), 12, "{v}");
        assert_eq!(t(v).cmp_op[10], "exception match");
    }
    for v in [V::PY39, V::PY312, V::PY315] {
        assert_eq!(t(v).cmp_op, ["<", "<=", "==", "!=", ">", ">="], "{v}");
    }
}

#[test]
fn flag_names() {
    let names = |v: V| t(v).compiler_flag_names;
    assert_eq!(names(V::PY27).len(), 7);
    assert_eq!(names(V::PY27)[6], (0x40, "NOFREE"));
    assert_eq!(names(V::PY32), names(V::PY27));
    assert_eq!(names(V::PY35).last(), Some(&(0x100, "ITERABLE_COROUTINE")));
    assert_eq!(names(V::PY36).last(), Some(&(0x200, "ASYNC_GENERATOR")));
    assert_eq!(names(V::PY314)[10..], [(0x0400_0000, "HAS_DOCSTRING"), (0x0800_0000, "METHOD")]);
    assert!(names(V::PY313).iter().all(|&(bit, _)| bit <= 0x200));
    assert!(t(V::PY37).function_flags.is_empty());
    assert_eq!(t(V::PY38).function_flags, ["defaults", "kwdefaults", "annotations", "closure"]);
    assert_eq!(t(V::PY314).function_flags.last(), Some(&"annotate"));
}

#[test]
fn transcribed_3x() {
    assert_eq!(num(V::PY30, "LIST_APPEND"), 18);
    assert_eq!(num(V::PY30, "SET_ADD"), 17);
    assert!(t(V::PY30).opcode("MAP_ADD").is_none());
    assert_eq!(num(V::PY30, "STOP_CODE"), 0);
    assert_eq!(num(V::PY31, "MAP_ADD"), 147);
    assert_eq!(num(V::PY31, "DUP_TOPX"), 99);
    assert_eq!(num(V::PY31, "ROT_FOUR"), 5);
    assert_eq!(num(V::PY32, "DUP_TOP_TWO"), 5);
    assert_eq!(num(V::PY32, "SETUP_WITH"), 143);
    assert_eq!(num(V::PY32, "DELETE_DEREF"), 138);
    assert_eq!(t(V::PY33).op(0).name, "<0>");
    assert_eq!(num(V::PY33, "YIELD_FROM"), 72);
    assert_eq!(num(V::PY33, "STORE_LOCALS"), 69);
    assert!(t(V::PY34).opcode("STORE_LOCALS").is_none());
    assert!(t(V::PY34).op(num(V::PY34, "LOAD_CLASSDEREF")).flags.has(ArgFlags::FREE));
    assert_eq!(num(V::PY35, "GET_AWAITABLE"), 73);
    assert_eq!(num(V::PY35, "WITH_CLEANUP_START"), 81);
    assert_eq!(num(V::PY35, "BUILD_MAP_UNPACK_WITH_CALL"), 151);
    assert!(t(V::PY35).op(154).flags.has(ArgFlags::JREL));
    assert!(t(V::PY35).op(num(V::PY35, "CALL_FUNCTION_VAR_KW")).flags.has(ArgFlags::NARGS));
    // dis annotates calls ("1 positional, 0 keyword pair") from 3.3 to 3.5 only.
    for (v, nargs) in [(V::PY27, false), (V::PY31, false), (V::PY32, false), (V::PY33, true), (V::PY35, true)]
    {
        assert_eq!(t(v).op(131).flags.has(ArgFlags::NARGS), nargs, "{v}");
    }
    for v in [V::PY30, V::PY31, V::PY32, V::PY33, V::PY34, V::PY35] {
        assert!(t(v).source.starts_with("transcribed"), "{v}");
        assert_eq!(num(v, "LOAD_CONST"), 100);
        assert_eq!(num(v, "MAKE_CLOSURE"), 134);
    }
    assert!(t(V::PY36).source.starts_with("extracted"));
}
