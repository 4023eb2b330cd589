#!/usr/bin/env python3
"""Generate bytescope's per-version opcode tables.

Two stages:

1. *Extract* (default): find every CPython interpreter on this machine
   (``python2.7`` / ``python3.X`` on PATH, every ``$(pyenv root)/versions/*``,
   ``python3.14`` / ``python3.15``), run a small snippet inside each one that
   dumps what its ``opcode`` and ``dis`` modules know, and write one JSON file
   per minor version to ``tools/data/opcodes/X.Y.json``.  Versions without an
   interpreter here (3.0-3.5) keep their committed, hand-transcribed JSON.
2. *Generate*: turn every JSON file into ``crates/opcodes/src/generated/``
   (``mod.rs`` plus one ``vX_Y.rs`` per version).

Modes:
  (no flag)     extract from the interpreters found, then generate
  --from-data   generate from the committed JSON only (no interpreter needed)
  --check       generate into memory and fail if the committed Rust differs
  --list        print the interpreters that would be used, then exit

Runs under any python3 >= 3.8, standard library only.  The snippet that runs
inside each interpreter is written to also run under Python 2.7.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "tools", "data", "opcodes")
OUT_DIR = os.path.join(ROOT, "crates", "opcodes", "src", "generated")

# Every version bytescope has a table for; each needs tools/data/opcodes/X.Y.json.
VERSIONS = ["2.7"] + ["3.%d" % m for m in range(0, 16)]

# --------------------------------------------------------------------------
# Stage 1: extraction snippet (must run under 2.7 and every 3.x we have).
# --------------------------------------------------------------------------

SNIPPET = r'''
import sys, json
import opcode, dis

def probe_dis_name(op):
    """What dis itself prints as the opname for byte `op`, or None."""
    try:
        if sys.version_info[0] == 2:
            import StringIO
            buf = StringIO.StringIO()
            old = sys.stdout
            sys.stdout = buf
            try:
                dis.disassemble_string(chr(op) + "\x00\x00" + "\x09" * 8)
            finally:
                sys.stdout = old
            toks = buf.getvalue().split("\n")[0].split()
            for i, t in enumerate(toks):
                if t.isdigit():
                    return toks[i + 1]
            return None
        code = bytes(bytearray([op, 0] + [0, 0] * 40))
        first = next(iter(dis._get_instructions_bytes(code)))
        return first.opname
    except Exception:
        return None

def probe_arg_and_caches(op, have_argument):
    """(has_arg, cache_entries) exactly as dis decodes byte `op`."""
    if not hasattr(dis, "_unpack_opargs"):
        return op >= have_argument, 0
    code = bytes(bytearray([op, 0] + [0, 0] * 40))
    it = iter(dis._unpack_opargs(code))
    first = next(it)
    has_arg = first[-1] is not None
    try:
        second = next(it)
        caches = (second[0] - 2) // 2
    except StopIteration:
        caches = 40
    return has_arg, caches

def main():
    out = {}
    vi = sys.version_info
    out["version"] = "%d.%d" % (vi[0], vi[1])
    out["python"] = "%d.%d.%d" % (vi[0], vi[1], vi[2])
    ha = opcode.HAVE_ARGUMENT
    out["have_argument"] = ha
    out["extended_arg"] = opcode.EXTENDED_ARG
    raw = list(opcode.opname)
    dis_names = list(getattr(dis, "_all_opname", raw))
    out["opcode_opname"] = raw[:256]
    all_opmap = getattr(dis, "_all_opmap", opcode.opmap)
    deoptmap = getattr(dis, "deoptmap", {})
    deoptop = getattr(dis, "_deoptop", None)
    ops = []
    mismatches = []
    for op in range(256):
        name = dis_names[op] if op < len(dis_names) else "<%r>" % (op,)
        probed = probe_dis_name(op)
        if probed is not None and probed != name:
            mismatches.append([op, name, probed])
        deopt = deoptop(op) if deoptop is not None else op
        has_arg, caches = probe_arg_and_caches(op, ha)
        if name.startswith("<"):
            kind = "unused"
        elif name in deoptmap:
            kind = "specialized"
        elif name.startswith("INSTRUMENTED_"):
            kind = "instrumented"
        else:
            kind = "base"
        ops.append({"op": op, "name": name, "kind": kind, "deopt": deopt,
                    "has_arg": bool(has_arg), "cache": caches,
                    "dis_checked": probed is not None})
    out["ops"] = ops
    out["dis_name_mismatches"] = mismatches
    out["opmap"] = dict(opcode.opmap)
    out["specialized_opmap"] = dict((k, v) for k, v in all_opmap.items()
                                    if k not in opcode.opmap)
    specs = getattr(opcode, "_specializations", {})
    out["specializations"] = dict((k, list(v)) for k, v in specs.items())
    spec_list = getattr(opcode, "_specialized_instructions", None)
    if spec_list is None and hasattr(opcode, "_specialized_opmap"):
        spec_list = list(opcode._specialized_opmap)
    out["unplaced_specialized"] = [n for n in (spec_list or [])
                                   if n not in all_opmap]
    for key in ("hasarg", "hasconst", "hasname", "hasjrel", "hasjabs",
                "haslocal", "hasfree", "hascompare", "hasnargs", "hasexc",
                "hasjump"):
        if hasattr(opcode, key):
            out[key] = sorted(set(getattr(opcode, key)))
    out["cmp_op"] = list(opcode.cmp_op)
    out["nb_ops"] = [list(x) for x in getattr(opcode, "_nb_ops", [])]
    out["intrinsic_1_descs"] = list(getattr(opcode, "_intrinsic_1_descs", []))
    out["intrinsic_2_descs"] = list(getattr(opcode, "_intrinsic_2_descs", []))
    out["special_method_names"] = list(getattr(opcode, "_special_method_names", []))
    shown = []
    for obj in getattr(opcode, "_common_constants", []):
        # dis's argrepr for LOAD_COMMON_CONSTANT: a type by __name__, else repr.
        shown.append(obj.__name__ if isinstance(obj, type) else repr(obj))
    out["common_constants"] = shown
    cf = getattr(opcode, "_cache_format", {})
    out["cache_format"] = [[name, [[f, s] for f, s in fields.items()]]
                           for name, fields in cf.items()]
    ice = getattr(opcode, "_inline_cache_entries", None)
    if isinstance(ice, dict):
        out["inline_cache_entries"] = dict(ice)
    elif ice is not None:
        out["inline_cache_entries"] = dict((raw[i], n) for i, n in enumerate(ice) if n)
    else:
        out["inline_cache_entries"] = {}
    if hasattr(dis, "COMPILER_FLAG_NAMES"):
        out["compiler_flag_names"] = sorted([int(k), v] for k, v in dis.COMPILER_FLAG_NAMES.items())
        out["compiler_flag_names_source"] = "dis.COMPILER_FLAG_NAMES"
    else:
        import inspect
        names = []
        for n in dir(inspect):
            if n.startswith("CO_"):
                names.append([int(getattr(inspect, n)), n[3:]])
        out["compiler_flag_names"] = sorted(names)
        out["compiler_flag_names_source"] = (
            "inspect.CO_* (this dis has no COMPILER_FLAG_NAMES; the same names "
            "3.2's dis uses)")
    ff = getattr(dis, "FUNCTION_ATTR_FLAGS", getattr(dis, "MAKE_FUNCTION_FLAGS", ()))
    out["function_flags"] = list(ff)
    out["min_instrumented_opcode"] = getattr(opcode, "MIN_INSTRUMENTED_OPCODE", None)
    sys.stdout.write(json.dumps(out, sort_keys=True))

main()
'''


def pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root:
        return root
    exe = shutil.which("pyenv")
    if exe:
        try:
            return subprocess.run([exe, "root"], capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return os.path.expanduser("~/.pyenv")


def candidate_interpreters():
    """Every plausible interpreter path, pyenv's real binaries first."""
    seen = []
    root = pyenv_root()
    for path in sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python"))):
        seen.append(path)
    names = ["python2.7"] + ["python3.%d" % m for m in range(0, 20)]
    for name in names:
        exe = shutil.which(name)
        if exe and "/shims/" not in exe:
            seen.append(exe)
    out = []
    for path in seen:
        real = os.path.realpath(path)
        if real not in [os.path.realpath(p) for p in out]:
            out.append(path)
    return out


def interpreter_version(exe):
    try:
        r = subprocess.run([exe, "-E", "-S", "-c",
                            "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    return r.stdout.strip()


def find_interpreters():
    """Map minor version 'X.Y' -> (exe, 'X.Y.Z'), newest patch release wins."""
    found = {}
    for exe in candidate_interpreters():
        full = interpreter_version(exe)
        if not full:
            continue
        minor = ".".join(full.split(".")[:2])
        if minor not in VERSIONS:
            continue
        patch = tuple(int(x) for x in full.split("."))
        if minor not in found or patch > found[minor][2]:
            found[minor] = (exe, full, patch)
    return {k: (v[0], v[1]) for k, v in found.items()}


def extract(exe):
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONIOENCODING"] = "utf-8"
    r = subprocess.run([exe, "-E", "-S", "-"], input=SNIPPET, capture_output=True,
                       text=True, timeout=300, env=env)
    if r.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (exe, r.stderr))
    return json.loads(r.stdout)


# --------------------------------------------------------------------------
# JSON layout: stable, diff-friendly, one opcode per line.
# --------------------------------------------------------------------------


def dump_json(data):
    lines = ["{"]
    keys = sorted(data)
    for i, key in enumerate(keys):
        value = data[key]
        comma = "," if i < len(keys) - 1 else ""
        head = "  %s: " % json.dumps(key)
        if isinstance(value, dict) and value:
            lines.append(head + "{")
            items = sorted(value.items(), key=lambda kv: (str(kv[1]) if not isinstance(kv[1], int) else "%06d" % kv[1], kv[0]))
            for j, (k, v) in enumerate(items):
                c = "," if j < len(items) - 1 else ""
                lines.append("    %s: %s%s" % (json.dumps(k), json.dumps(v, sort_keys=True), c))
            lines.append("  }" + comma)
        elif isinstance(value, list) and value and isinstance(value[0], (list, dict)):
            lines.append(head + "[")
            for j, v in enumerate(value):
                c = "," if j < len(value) - 1 else ""
                lines.append("    %s%s" % (json.dumps(v, sort_keys=True), c))
            lines.append("  ]" + comma)
        else:
            lines.append(head + json.dumps(value, sort_keys=True) + comma)
    lines.append("}")
    return "\n".join(lines) + "\n"


def load_data(version):
    path = os.path.join(DATA_DIR, version + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------
# Stage 2: Rust generation.
# --------------------------------------------------------------------------

FLAG_LISTS = [
    ("hasconst", "CONST"),
    ("hasname", "NAME"),
    ("hasjrel", "JREL"),
    ("hasjabs", "JABS"),
    ("haslocal", "LOCAL"),
    ("hasfree", "FREE"),
    ("hascompare", "COMPARE"),
    ("hasnargs", "NARGS"),
    ("hasexc", "EXC"),
    ("hasjump", "JUMP"),
]

KINDS = {"unused": "U", "base": "B", "specialized": "S", "instrumented": "I"}


def rs_str(s):
    """A Rust string literal for s (ASCII-escaped)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\u{%x}" % ord(ch))
    out.append('"')
    return "".join(out)


def rs_str_slice(items):
    return "&[" + ", ".join(rs_str(s) for s in items) + "]"


def mod_name(version):
    return "v" + version.replace(".", "_")


def const_name(version):
    major, minor = version.split(".")
    return "PY%s%s" % (major, minor)


def generate_version(version, data):
    flag_sets = {}
    for key, name in FLAG_LISTS:
        for op in data.get(key, []):
            flag_sets.setdefault(op, []).append(name)
    lines = []
    w = lines.append
    w("// @generated by tools/gen_opcodes.py from tools/data/opcodes/%s.json \u2014 do not edit." % version)
    w("//! CPython %s: %s" % (version, data["source"]))
    w("")
    w("use super::*;")
    w("")
    w("#[rustfmt::skip]")
    w("pub(crate) static TABLE: OpcodeTable = OpcodeTable {")
    w("    version: PythonVersion::%s," % const_name(version))
    w("    source: %s," % rs_str(data["source"]))
    w("    have_argument: %d," % data["have_argument"])
    w("    extended_arg: %d," % data["extended_arg"])
    mio = data.get("min_instrumented_opcode")
    w("    min_instrumented: %s," % ("None" if mio is None else "Some(%d)" % mio))
    w("    ops: [")
    w("        // name, kind, has_arg, flags, cache entries, deopt")
    for entry in data["ops"]:
        op = entry["op"]
        deopt = entry["deopt"]
        flags = flag_sets.get(deopt, [])
        flag_expr = "|".join(flags) if flags else "0"
        w("        /* %3d */ o(%s, %s, %s, %s, %d, %d)," % (
            op, rs_str(entry["name"]), KINDS[entry["kind"]],
            "true" if entry["has_arg"] else "false", flag_expr,
            entry["cache"], deopt))
    w("    ],")
    w("    cmp_op: %s," % rs_str_slice(data["cmp_op"]))
    w("    binary_ops: %s," % rs_str_slice([sym for _, sym in data.get("nb_ops", [])]))
    w("    intrinsic1: %s," % rs_str_slice(data.get("intrinsic_1_descs", [])))
    w("    intrinsic2: %s," % rs_str_slice(data.get("intrinsic_2_descs", [])))
    w("    special_method_names: %s," % rs_str_slice(data.get("special_method_names", [])))
    w("    common_constants: %s," % rs_str_slice(data.get("common_constants", [])))
    cf = data.get("cache_format", [])
    if cf:
        w("    cache_format: &[")
        for name, fields in cf:
            w("        (%s, &[%s])," % (rs_str(name), ", ".join(
                "cf(%s, %d)" % (rs_str(f), s) for f, s in fields)))
        w("    ],")
    else:
        w("    cache_format: &[],")
    w("    compiler_flag_names: &[%s]," % ", ".join(
        "(0x%x, %s)" % (bit, rs_str(name)) for bit, name in data.get("compiler_flag_names", [])))
    w("    function_flags: %s," % rs_str_slice(data.get("function_flags", [])))
    w("};")
    return "\n".join(lines) + "\n"


def generate_mod(versions, used_flags):
    lines = []
    w = lines.append
    w("// @generated by tools/gen_opcodes.py from tools/data/opcodes/*.json \u2014 do not edit.")
    w("//! The generated per-version tables, one module per CPython minor version.")
    w("")
    w("use crate::{ArgFlags, CacheField, OpInfo, OpKind, OpcodeTable};")
    w("use bytescope_pyc::PythonVersion;")
    w("")
    for name in sorted(mod_name(v) for v in versions):  # rustfmt's order
        w("mod %s;" % name)
    w("")
    w("const U: OpKind = OpKind::Unused;")
    w("const B: OpKind = OpKind::Base;")
    w("const S: OpKind = OpKind::Specialized;")
    w("const I: OpKind = OpKind::Instrumented;")
    for _, name in FLAG_LISTS:
        if name in used_flags:
            w("const %s: u16 = ArgFlags::%s;" % (name, name))
    w("")
    w("const fn o(")
    w("    name: &'static str,")
    w("    kind: OpKind,")
    w("    has_arg: bool,")
    w("    flags: u16,")
    w("    cache_entries: u8,")
    w("    deopt: u8,")
    w(") -> OpInfo {")
    w("    OpInfo {")
    w("        name,")
    w("        defined: !matches!(kind, OpKind::Unused),")
    w("        kind,")
    w("        has_arg,")
    w("        flags: ArgFlags(flags),")
    w("        cache_entries,")
    w("        deopt,")
    w("    }")
    w("}")
    w("")
    w("const fn cf(name: &'static str, size: u8) -> CacheField {")
    w("    CacheField { name, size }")
    w("}")
    w("")
    w("/// Every table, oldest version first.")
    w("pub(crate) static ALL: [&OpcodeTable; %d] = [" % len(versions))
    for v in versions:
        w("    &%s::TABLE," % mod_name(v))
    w("];")
    w("")
    w("pub(crate) fn table(version: PythonVersion) -> Option<&'static OpcodeTable> {")
    w("    ALL.iter().copied().find(|t| t.version == version)")
    w("}")
    return "\n".join(lines) + "\n"


def render_all():
    files = {}
    versions = []
    used_flags = set()
    for v in VERSIONS:
        data = load_data(v)
        versions.append(v)
        files[mod_name(v) + ".rs"] = generate_version(v, data)
        used_flags.update(re.findall(r"\b([A-Z]+)(?=[|,])", " ".join(
            line.split(", ", 3)[3] for line in files[mod_name(v) + ".rs"].splitlines()
            if line.lstrip().startswith("/*") and " o(" in line)))
    files["mod.rs"] = generate_mod(versions, used_flags)
    return files


def write_rust(files):
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, text in sorted(files.items()):
        path = os.path.join(OUT_DIR, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote", os.path.relpath(path, ROOT))


def check_rust(files):
    bad = []
    for name, text in sorted(files.items()):
        path = os.path.join(OUT_DIR, name)
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    bad.append(name)
        except FileNotFoundError:
            bad.append(name)
    existing = {os.path.basename(p) for p in glob.glob(os.path.join(OUT_DIR, "*.rs"))}
    stray = sorted(existing - set(files))
    for name in bad:
        print("out of date: crates/opcodes/src/generated/%s" % name, file=sys.stderr)
    for name in stray:
        print("not generated by this script: crates/opcodes/src/generated/%s" % name,
              file=sys.stderr)
    return not bad and not stray


def run_extract():
    interps = find_interpreters()
    if not interps:
        print("no interpreters found", file=sys.stderr)
    os.makedirs(DATA_DIR, exist_ok=True)
    for minor in sorted(interps, key=lambda v: tuple(int(x) for x in v.split("."))):
        exe, full = interps[minor]
        data = extract(exe)
        data["source"] = ("extracted from the opcode and dis modules of CPython %s" % full)
        for op, name, probed in data.get("dis_name_mismatches", []):
            print("warning: %s byte %d: table says %s, dis printed %s" % (minor, op, name, probed),
                  file=sys.stderr)
        path = os.path.join(DATA_DIR, minor + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump_json(data))
        print("extracted %s from %s (%s)" % (minor, exe, full))
    missing = [v for v in VERSIONS if not os.path.exists(os.path.join(DATA_DIR, v + ".json"))]
    if missing:
        raise SystemExit("no data for %s (no interpreter, no committed JSON)" % ", ".join(missing))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--from-data", action="store_true",
                   help="generate Rust from the committed JSON only")
    g.add_argument("--check", action="store_true",
                   help="fail if the committed Rust differs from what the JSON generates")
    g.add_argument("--list", action="store_true", help="list the interpreters found")
    args = ap.parse_args(argv)
    if args.list:
        for minor, (exe, full) in sorted(find_interpreters().items(),
                                         key=lambda kv: tuple(int(x) for x in kv[0].split("."))):
            print("%-5s %-8s %s" % (minor, full, exe))
        return 0
    if args.check:
        ok = check_rust(render_all())
        if not ok:
            print("run tools/gen_opcodes.py --from-data", file=sys.stderr)
            return 1
        print("generated opcode tables are up to date")
        return 0
    if not args.from_data:
        run_extract()
    write_rust(render_all())
    return 0


if __name__ == "__main__":
    sys.exit(main())
