#!/usr/bin/env python3
"""Generate bytescope's per-version opcode tables.

Two stages (plus a transcription step for 1.5 and 2.0-2.6):

1. *Extract* (default): find every CPython interpreter on this machine
   (``python2.7`` / ``python3.X`` on PATH, every ``$(pyenv root)/versions/*``,
   ``python3.14`` / ``python3.15``), run a small snippet inside each one that
   dumps what its ``opcode`` and ``dis`` modules know, and write one JSON file
   per minor version to ``tools/data/opcodes/X.Y.json``.  Versions without an
   interpreter here (3.0-3.5) keep their committed, hand-transcribed JSON;
   1.5 and 2.0-2.6 are built from tools/data/opcodes/old_versions.txt (see
   its header), with the derivations it states checked.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsem_formulas as sem  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "tools", "data", "opcodes")
OUT_DIR = os.path.join(ROOT, "crates", "opcodes", "src", "generated")

# Versions without an interpreter anywhere near here, transcribed by hand in
# tools/data/opcodes/old_versions.txt (turned into X.Y.json by this script).
OLD_VERSIONS = ["1.5", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]
# Every version bytescope has a table for; each needs tools/data/opcodes/X.Y.json.
VERSIONS = OLD_VERSIONS + ["2.7"] + ["3.%d" % m for m in range(0, 16)]
# Other implementations' tables, keyed "pypyX.Y" (tools/data/opcodes/pypyX.Y.json):
# extracted from the PyPy interpreter found here (pypy3 on PATH), or (PyPy 2.7)
# transcribed in old_versions.txt.
PYPY_TABLES = ["pypy2.7", "pypy3.9", "pypy3.10"]
# Tables built from tools/data/opcodes/old_versions.txt rather than extracted.
TRANSCRIBED = OLD_VERSIONS + ["pypy2.7", "pypy3.10"]
TABLES = VERSIONS + PYPY_TABLES

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
    if hasattr(ice, "items"):
        # A dict, or 3.15's frozendict (a mapping, not a dict subclass).
        out["inline_cache_entries"] = dict(ice.items())
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
    out["metadata_header"] = read_metadata_header()
    sys.stdout.write(json.dumps(out, sort_keys=True))

def read_metadata_header():
    """{name: [popped, pushed]} C expressions from the installed opcode metadata header
    (Include/internal/pycore_opcode_metadata.h, 3.13+ installs it), or None."""
    import os, re, sysconfig
    inc = sysconfig.get_paths().get("include") or ""
    path = os.path.join(inc, "internal", "pycore_opcode_metadata.h")
    if not os.path.exists(path):
        return None
    text = open(path).read()
    out = {}
    for i, fn in enumerate(("_PyOpcode_num_popped", "_PyOpcode_num_pushed")):
        start = text.find("int %s(int opcode, int oparg)" % fn)
        if start < 0:
            return None
        body = text[start:text.find("\n}\n", start)]
        for name, expr in re.findall(r"case (\w+):\s*return ([^;]+);", body):
            out.setdefault(name, [None, None])[i] = " ".join(expr.split())
    return {"path": "Include/internal/pycore_opcode_metadata.h", "effects": out}

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


def find_pypys():
    """(key, exe, description) for the PyPy interpreters on PATH whose version has a table."""
    out = []
    for name in ("pypy3", "pypy"):
        exe = shutil.which(name)
        if not exe:
            continue
        try:
            r = subprocess.run([exe, "-E", "-S", "-c",
                                "import sys; print('%d.%d %d.%d.%d %s' % (sys.version_info[:2] + "
                                "tuple(sys.pypy_version_info[:3]) + (sys.version.split()[0],)))"],
                               capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode != 0:
            continue
        minor, pypy, full = r.stdout.split()
        key = "pypy" + minor
        if key in PYPY_TABLES:
            out.append((key, exe, "PyPy %s (Python %s)" % (pypy, full)))
    return out


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
# Semantics: roles and stack effects (tools/data/opcodes/semantics.txt).
# --------------------------------------------------------------------------

SEMANTICS_TXT = "tools/data/opcodes/semantics.txt"


def base_names(data):
    return [e["name"] for e in data["ops"] if e["kind"] == "base"]


def merge_semantics(version, data, rows, header=None):
    """The "semantics" rows and "semantics_source" of one version's JSON.

    Roles and jump-path effects come from semantics.txt; pops and pushes too, except where
    the interpreter installs its opcode metadata header (`header`), or where the committed
    JSON says they came from one (kept as they are when no header is given)."""
    old = {r[0]: r for r in data.get("semantics", [])}
    old_source = data.get("semantics_source", {})
    from_header = header is not None or old_source.get("pops_pushes", "").startswith("the interpreter's")
    notes = []
    out = []
    stale = set(data.get("stale", []))
    for name in base_names(data):
        if name in stale:
            continue  # named by dis, not executed by the interpreter: no semantics
        found = sem.semantics_for(rows, name, version)
        if found is None:
            raise SystemExit("%s: %s has no line in %s" % (version, name, SEMANTICS_TXT))
        pf, qf, jf, action, words = found
        pops, pushes = sem.show(pf), sem.show(qf)
        if header is not None:
            effect = header["effects"].get(name)
            if effect is None or None in effect:
                raise SystemExit("%s: %s is missing from the metadata header" % (version, name))
            hp, hq = sem.parse(effect[0]), sem.parse(effect[1])
            if (hp, hq) != (pf, qf):
                notes.append("%s: header %s/%s, semantics.txt %s/%s" % (
                    name, sem.show(hp), sem.show(hq), pops, pushes))
            pops, pushes = sem.show(hp), sem.show(hq)
        elif from_header and name in old:
            pops, pushes = old[name][1], old[name][2]
        jump = None if jf is None else "%s/%s" % (sem.show(jf[0]), sem.show(jf[1]))
        out.append([name, pops, pushes, jump, action] + list(words))
    if version in TRANSCRIBED and version.startswith("pypy"):
        stack_src = ("%s: the %s lines for PyPy's own opcodes (its astcompiler's "
                     "_opcode_stack_effect), else CPython %s's; not checked against a PyPy "
                     "interpreter (none of this version here)" % (
                         SEMANTICS_TXT, version, sem.base_version(version)))
    elif version.startswith("pypy"):
        stack_src = ("%s: the %s lines where PyPy's compiler counts differently (its "
                     "astcompiler's _opcode_stack_effect), else CPython %s's" % (
                         SEMANTICS_TXT, version, sem.base_version(version)))
    elif version in OLD_VERSIONS:
        stack_src = ("%s: the counts of this version's compiler (the old compile.c's com_push/"
                     "com_pop up to 2.4, the AST compiler's opcode_stack_effect in 2.5-2.6) "
                     "where they differ from 2.7's, else 2.7's; no copy of this version's "
                     "compile.c was read whole, so the differences are those CPython's "
                     "history records, checked against co_stacksize of real pycs "
                     "(docs/triage.md)" % SEMANTICS_TXT)
    elif from_header:
        python = data.get("python", version)
        stack_src = ("the interpreter's %s (CPython %s): _PyOpcode_num_popped / _PyOpcode_num_pushed"
                     % (header["path"] if header else
                        "Include/internal/pycore_opcode_metadata.h", python))
    elif version in ("2.7",) or sem.vkey(version) < sem.vkey("3.12"):
        stack_src = ("%s, transcribed from Python/compile.c (stack effects) and Python/ceval.c "
                     "(what each opcode pops and pushes) at v%s" % (SEMANTICS_TXT, version))
    else:
        stack_src = ("%s, transcribed from Python/bytecodes.c and the generated opcode metadata "
                     "at v%s (following the metadata's convention)" % (SEMANTICS_TXT, version))
    has_probe = sem.vkey(version) >= sem.vkey("3.4")
    if version in TRANSCRIBED and version.startswith("pypy"):
        check = "nothing: no PyPy of this version here"
    elif version.startswith("pypy"):
        check = "PyPy's dis.stack_effect(op, arg, jump=False/True/None) of every opcode and a set of args"
    elif sem.vkey(version) >= sem.vkey("3.8"):
        check = "dis.stack_effect(op, arg, jump=False/True/None) of every opcode and a set of args"
    elif has_probe:
        check = "dis.stack_effect(op, arg) of every opcode and a set of args (no jump split before 3.8)"
    elif version in OLD_VERSIONS:
        check = ("nothing in tests (no dis.stack_effect, no interpreter); bytescope check "
                 "against real pycs' co_stacksize (opt-in, docs/triage.md)")
    else:
        check = "nothing: no dis.stack_effect before 3.4"
    source = {
        "roles": "%s (transcribed from Python/ceval.c / Python/bytecodes.c at v%s); argument "
                 "kinds also from %shas* lists" % (
                     SEMANTICS_TXT, version,
                     "the transcribed " if version in TRANSCRIBED else "opcode."),
        "pops_pushes": stack_src,
        "jump_path": "%s (compile.c's stack_effect(jump=True) / stackdepth_walk at v%s)" % (
            SEMANTICS_TXT, version),
        "checked_against": check,
    }
    return out, source, notes


def probe_stack_effects(exe):
    """{name: {"arg/jump": effect}} from the interpreter's dis.stack_effect.

    PyPy's stack_effect aborts the process (an RPython assertion, not an exception) for
    some arguments, e.g. CALL_FUNCTION_EX with oparg 255: when the one-process probe dies,
    each opcode is probed in a process of its own, and an opcode that still kills it one
    argument at a time, the deadly arguments left out (as if they raised)."""
    r = subprocess.run([exe, "-E", "-S", "-c", STACK_PROBE % (PROBE_ARGS, "None")],
                       capture_output=True, text=True, timeout=300)
    if r.returncode == 0:
        return json.loads(r.stdout)
    names = json.loads(subprocess.run(
        [exe, "-E", "-S", "-c", "import json, opcode; print(json.dumps(sorted(opcode.opmap)))"],
        capture_output=True, text=True, timeout=60, check=True).stdout)
    out = {}

    def one(name, args):
        r = subprocess.run([exe, "-E", "-S", "-c", STACK_PROBE % (args, repr([name]))],
                           capture_output=True, text=True, timeout=300)
        return json.loads(r.stdout).get(name, {}) if r.returncode == 0 else None

    for name in names:
        row = one(name, PROBE_ARGS)
        if row is None:
            row = {}
            for a in PROBE_ARGS:
                part = one(name, [a])
                if part is not None:
                    row.update((k, v) for k, v in part.items() if not k.startswith("None/"))
            row.update(one(name, []) or {})
        out[name] = row
    return out


# The opargs every check and vector uses: small counts, bit patterns of the flag-carrying
# opcodes, EXTENDED_ARG-sized values.
PROBE_ARGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32, 255,
              256, 257, 258, 259, 512, 513, 770, 0x1234, 0x10001, 0x20103]

STACK_PROBE = r"""
import sys, json, dis, opcode
ARGS = %r
ONLY = %s
def se(op, a, j):
    try:
        if j is None:
            return dis.stack_effect(op, a)
        return dis.stack_effect(op, a, jump=j)
    except (ValueError, TypeError):
        return None
out = {}
jumps = [None, False, True] if sys.version_info >= (3, 8) else [None]
for name, op in opcode.opmap.items():
    if not isinstance(op, int) or op > 255 or (ONLY is not None and name not in ONLY):
        continue
    row = {}
    for a in [None] + ARGS:
        for j in jumps:
            r = se(op, a, j)
            if r is not None:
                row["%%s/%%s" %% (a, j)] = r
    out[name] = row
sys.stdout.write(json.dumps(out))
"""


def check_against_probe(version, semantics, probe):
    """Differences between the semantics' net effects and dis.stack_effect's."""
    bad = []
    by_name = {r[0]: r for r in semantics}
    for name, row in sorted(probe.items()):
        r = by_name.get(name)
        if r is None:
            continue
        pf, qf = sem.parse(r[1]), sem.parse(r[2])
        if r[3]:
            jp, jq = r[3].split("/")
            jpf, jqf = sem.parse(jp), sem.parse(jq)
        else:
            jpf, jqf = pf, qf
        for key, got in row.items():
            a, j = key.split("/")
            arg = 0 if a == "None" else int(a)
            fall = qf.eval(arg) - pf.eval(arg)
            jump = jqf.eval(arg) - jpf.eval(arg)
            if j == "True":
                want = jump
            elif j == "False":
                want = fall
            elif sem.vkey(version) >= sem.vkey("3.7"):
                want = max(fall, jump)
            elif r[4].endswith("_or_pop"):
                # <= 3.6: stackdepth_walk takes JUMP_IF_*_OR_POP's pop off the fall-through
                # only after counting the max; dis.stack_effect gives the jump path's 0.
                want = jump
            else:
                want = fall
            if want != got:
                bad.append("%s %s(arg=%s, jump=%s): dis.stack_effect %d, ours %d" % (
                    version, name, a, j, got, want))
    return bad


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
# Transcribed tables of 1.5 and 2.0-2.6 (tools/data/opcodes/old_versions.txt).
# --------------------------------------------------------------------------

OLD_TXT = os.path.join(DATA_DIR, "old_versions.txt")
OLD_KINDS = {"-": None, "const": "hasconst", "name": "hasname", "jrel": "hasjrel",
             "jabs": "hasjabs", "local": "haslocal", "compare": "hascompare", "free": "hasfree"}
OLD_CMP_OP = ["<", "<=", "==", "!=", ">", ">=", "in", "not in", "is", "is not",
              "exception match", "BAD"]
# The CO_* flags each version defines (Include/compile.h), by their inspect names.
OLD_FLAGS = [(1, "OPTIMIZED", "1.5"), (2, "NEWLOCALS", "1.5"), (4, "VARARGS", "1.5"),
             (8, "VARKEYWORDS", "1.5"), (16, "NESTED", "2.1"), (32, "GENERATOR", "2.2"),
             (64, "NOFREE", "2.4")]
# What 2.7 changed in the opcode table (magics 62171-62211): undone, 2.7's table must give
# 2.6's. (name in 2.7, number in 2.7, number in 2.6 or None when 2.6 has no such opcode)
UNDO_27 = [("LIST_APPEND", 94, 18), ("BUILD_SET", 104, None), ("BUILD_MAP", 105, 104),
           ("LOAD_ATTR", 106, 105), ("COMPARE_OP", 107, 106), ("IMPORT_NAME", 108, 107),
           ("IMPORT_FROM", 109, 108), ("JUMP_IF_FALSE_OR_POP", 111, None),
           ("JUMP_IF_TRUE_OR_POP", 112, None), ("POP_JUMP_IF_FALSE", 114, None),
           ("POP_JUMP_IF_TRUE", 115, None), ("SETUP_WITH", 143, None),
           ("EXTENDED_ARG", 145, 143), ("SET_ADD", 146, None), ("MAP_ADD", 147, None)]
ADDED_26 = [(111, "JUMP_IF_FALSE", "jrel"), (112, "JUMP_IF_TRUE", "jrel")]


def parse_old_versions(path=OLD_TXT):
    """version -> {"source", "have_argument", "extended_arg", "ops": {op: (name, kind, stale)},
    "checks": [...]}, derivations resolved in file order."""
    sections = {}
    order = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = "%s:%d" % (os.path.relpath(path, ROOT), lineno)
            if line.startswith("["):
                head, _, base = line.partition("]")
                version = head[1:]
                base = base.strip()
                cur = {"version": version, "checks": [], "notes": []}
                if base:
                    parent = sections.get(base.split()[-1])
                    if parent is None and base.startswith("from "):
                        parent = json_section(base.split()[-1])
                    if not base.startswith("from ") or parent is None:
                        raise SystemExit("%s: [X.Y] from A.B needs A.B above" % where)
                    cur.update(have_argument=parent["have_argument"],
                               extended_arg=parent["extended_arg"], ops=dict(parent["ops"]),
                               base=parent["version"], flags=parent.get("flags"),
                               flags_source=parent.get("flags_source"),
                               inherit=parent.get("inherit", {}))
                else:
                    cur["ops"] = {}
                sections[version] = cur
                order.append(version)
                continue
            if cur is None:
                raise SystemExit("%s: text before the first [X.Y]" % where)
            key, sep, value = line.partition(": ")
            if sep and key in ("source", "have_argument", "extended_arg", "why", "check"):
                if key == "source":
                    cur["source"] = value
                elif key == "why":
                    cur["notes"].append(value)
                elif key == "check":
                    cur["checks"].append((where, value))
                elif value == "none":
                    cur[key] = None
                else:
                    cur[key] = int(value)
                continue
            cols = line.split()
            sign = None
            if cols[0] in ("+", "-"):
                sign, cols = cols[0], cols[1:]
            op = int(cols[0])
            if sign == "-":
                if op not in cur["ops"]:
                    raise SystemExit("%s: - %d: no such opcode" % (where, op))
                del cur["ops"][op]
                continue
            if len(cols) not in (3, 4) or cols[2] not in OLD_KINDS or cols[3:] not in ([], ["stale"]):
                raise SystemExit("%s: expected N NAME KIND [stale]" % where)
            if sign is None and "base" in cur:
                raise SystemExit("%s: a derived table lists changes (+ or -) only" % where)
            cur["ops"][op] = (cols[1], cols[2], cols[3:] == ["stale"])
    for version, sec in sections.items():
        run_old_checks(sec, sections)
    return sections


def json_section(version):
    """A committed, extracted table (tools/data/opcodes/X.Y.json) as a section to derive from."""
    path = os.path.join(DATA_DIR, version + ".json")
    if version in OLD_VERSIONS or not os.path.exists(path):
        return None
    d = load_data(version)
    kinds = {}
    for key, lst in OLD_KINDS.items():
        for op in d.get(lst, []) if lst else []:
            kinds[op] = key
    ops = {e["op"]: (e["name"], kinds.get(e["op"], "-"), False)
           for e in d["ops"] if e["kind"] == "base"}
    return {"version": version, "have_argument": d["have_argument"],
            "extended_arg": d["extended_arg"], "ops": ops, "checks": [], "notes": [],
            "flags": d.get("compiler_flag_names"),
            "flags_source": d.get("compiler_flag_names_source"),
            # What the base's dis knows besides the opcode list, kept as it is.
            "inherit": {k: d[k] for k in ("cmp_op", "function_flags", "hasnargs") if k in d}}


def run_old_checks(sec, sections):
    """The cross-checks old_versions.txt states: a derived table against another copy."""
    for where, spec in sec["checks"]:
        words = spec.split()
        other = sections.get(words[0])
        if other is None or words[1] != "-":
            raise SystemExit("%s: check: A.B - N... [~ N NAME]" % where)
        want = dict(other["ops"])
        i = 2
        while i < len(words):
            if words[i] == "~":
                op, name = int(words[i + 1]), words[i + 2]
                want[op] = (name,) + want[op][1:]
                i += 3
            else:
                del want[int(words[i])]
                i += 1
        if want != sec["ops"]:
            diff = sorted(set(want.items()) ^ set(sec["ops"].items()))
            raise SystemExit("%s: %s's table differs from %s: %r" % (where, sec["version"], spec, diff))
    if sec["version"] == "2.6":
        check_26_against_27(sec)


def check_26_against_27(sec):
    """2.6's derived table must equal 2.7's extracted one with 2.7's changes undone."""
    d27 = load_data("2.7")
    kinds = {}
    for key, lst in OLD_KINDS.items():
        for op in d27.get(lst, []) if lst else []:
            kinds[op] = key
    want = {}
    for e in d27["ops"]:
        if e["kind"] == "base":
            want[e["op"]] = (e["name"], kinds.get(e["op"], "-"), False)
    for name, op27, op26 in UNDO_27:
        if want.get(op27, (None,))[0] != name:
            raise SystemExit("2.7's table has no %s at %d" % (name, op27))
        entry = want.pop(op27)
        if op26 is not None:
            kind = entry[1]
            if name == "LIST_APPEND":
                kind = "-"  # 2.6's LIST_APPEND (18) takes no argument
            want[op26] = (name, kind, False)
    for op, name, kind in ADDED_26:
        want[op] = (name, kind, False)
    if want != sec["ops"]:
        diff = sorted(set(want.items()) ^ set(sec["ops"].items()))
        raise SystemExit("2.6's derived table differs from 2.7's with its changes undone: %r" % diff)


def build_old(version, sections=None):
    """The JSON data of a transcribed version (semantics merged later)."""
    sec = (sections or parse_old_versions())[version]
    ha = sec["have_argument"]
    ops = []
    lists = {lst: [] for lst in OLD_KINDS.values() if lst}
    opmap = {}
    stale = []
    names = []
    for op in range(256):
        if op in sec["ops"]:
            name, kind, is_stale = sec["ops"][op]
            if OLD_KINDS[kind]:
                lists[OLD_KINDS[kind]].append(op)
            opmap[name] = op
            if is_stale:
                stale.append(name)
            ops.append({"op": op, "name": name, "kind": "base", "deopt": op,
                        "has_arg": op >= ha, "cache": 0, "dis_checked": False})
        else:
            name = "<%d>" % op
            ops.append({"op": op, "name": name, "kind": "unused", "deopt": op,
                        "has_arg": op >= ha, "cache": 0, "dis_checked": False})
        names.append(name)
    ext = sec["extended_arg"]
    data = {
        "version": version,
        "python": sem.base_version(version),
        "have_argument": ha,
        # No EXTENDED_ARG before 2.0: 143, 2.0's number, which no 1.5 opcode has.
        "extended_arg": 143 if ext is None else ext,
        "opcode_opname": names,
        "ops": ops,
        "dis_name_mismatches": [],
        "opmap": opmap,
        "specialized_opmap": {},
        "specializations": {},
        "unplaced_specialized": [],
        "cmp_op": list(OLD_CMP_OP),
        "nb_ops": [], "intrinsic_1_descs": [], "intrinsic_2_descs": [],
        "special_method_names": [], "common_constants": [], "cache_format": [],
        "inline_cache_entries": {},
        "compiler_flag_names": sec.get("flags") or [
            [bit, name] for bit, name, since in OLD_FLAGS if sem.vkey(since) <= sem.vkey(version)],
        "compiler_flag_names_source": sec.get("flags_source") or (
            "the CO_* flags this version defines (Include/compile.h), by their inspect names"),
        "function_flags": [],
        "min_instrumented_opcode": None,
        "stale": stale,
        "source": sec["source"],
        "transcription_notes": " ".join(sec["notes"]) or (
            "transcribed in full from the copy named in source; see "
            "tools/data/opcodes/old_versions.txt"),
    }
    if ext is None:
        data["extended_arg_note"] = "this version has no EXTENDED_ARG"
    data.update(lists)
    data.update(sec.get("inherit", {}))
    return data


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
    major, minor = sem.base_version(version).split(".")
    return "PY%s%s" % (major, minor)


def implementation(key):
    return "PyPy" if key.startswith("pypy") else "CPython"


def generate_version(version, data):
    flag_sets = {}
    for key, name in FLAG_LISTS:
        for op in data.get(key, []):
            flag_sets.setdefault(op, []).append(name)
    lines = []
    w = lines.append
    w("// @generated by tools/gen_opcodes.py from tools/data/opcodes/%s.json \u2014 do not edit." % version)
    w("//! %s %s: %s" % (implementation(version), sem.base_version(version), data["source"]))
    w("")
    w("use super::*;")
    w("")
    w("#[rustfmt::skip]")
    w("pub(crate) static TABLE: OpcodeTable = OpcodeTable {")
    w("    version: PythonVersion::%s," % const_name(version))
    w("    implementation: Implementation::%s," % implementation(version))
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
    w("    semantics: &SEMANTICS,")
    src = data.get("semantics_source", {})
    w("    semantics_source: &[")
    for key in sorted(src):
        w("        (%s, %s)," % (rs_str(key), rs_str(src[key])))
    w("    ],")
    w("};")
    w("")
    sems = version_semantics(version, data)
    counts = []
    index = {}
    for s in sems:
        if s and s[4]:
            pf, qf, jf = s[4]
            for f in [pf, qf] + (list(jf) if jf else []):
                if f not in index:
                    index[f] = len(counts)
                    counts.append(f)
    for i, f in enumerate(counts):
        w("#[rustfmt::skip] const C%d: Count = %s; // %s" % (i, rust_count(f), sem.show(f)))
    w("")
    w("#[rustfmt::skip]")
    w("static SEMANTICS: [Semantics; 256] = [")
    w("    // action, flow, operand, jump argument, (pops, pushes, jump path)")
    for op, s in enumerate(sems):
        if s is None:
            w("    /* %3d */ Semantics::UNKNOWN," % op)
            continue
        action, flow, operand, jump, stack = s
        if stack is None:
            st = "None"
        else:
            pf, qf, jf = stack
            st = "Some(StackEffect { pops: C%d, pushes: C%d, jump: %s })" % (
                index[pf], index[qf],
                "None" if jf is None else "Some((C%d, C%d))" % (index[jf[0]], index[jf[1]]))
        w("    /* %3d */ Semantics { action: %s, flow: %s, operand: %s, jump: %s, stack: %s }," % (
            op, action, flow, operand, jump, st))
    w("];")
    return "\n".join(lines) + "\n"


PLACES = {
    "const": "Const", "small_int": "SmallInt", "common_const": "CommonConst", "local": "Local",
    "local_pair": "LocalPair", "name": "Name", "global": "Global",
    "dict_or_global": "DictOrGlobal", "free": "Free", "dict_or_free": "DictOrFree",
    "closure": "Closure", "attr": "Attr", "method": "Method", "super_attr": "SuperAttr",
    "special": "Special", "locals": "Locals", "build_class": "BuildClass",
    "assertion_error": "AssertionError", "subscr": "Subscr", "slice": "Slice", "map": "Map",
    "annotation": "Annotation",
}
CONTAINERS = {
    "tuple": "Tuple", "list": "List", "set": "Set", "map": "Map", "map_sized": "MapSized",
    "const_key_map": "ConstKeyMap", "string": "String", "slice": "Slice",
    "tuple_unpack": "TupleUnpack", "list_unpack": "ListUnpack", "set_unpack": "SetUnpack",
    "map_unpack": "MapUnpack", "interpolation": "Interpolation", "template": "Template",
    "class": "Class", "tuple_from_list": "TupleFromList", "dict": "Dict",
    "dict_merge": "DictMerge",
}
CALLS = {
    None: "Positional", "legacy": "Legacy", "legacy_var": "LegacyVar", "legacy_kw": "LegacyKw",
    "legacy_var_kw": "LegacyVarKw", "kw": "Kw", "kw_names": "KwNames", "ex": "Ex",
    "precall": "Precall", "after_precall": "AfterPrecall",
}
CONDITIONS = {"false": "False", "true": "True", "none": "None", "not_none": "NotNone",
              "false_or_pop": "FalseOrPop", "true_or_pop": "TrueOrPop"}
BLOCKS = {"loop": "Loop", "except": "Except", "finally": "Finally", "with": "With",
          "async_with": "AsyncWith"}
SIMPLE_ACTIONS = {
    "other": "Other", "nop": "Nop", "extended_arg": "ExtendedArg", "set_lineno": "SetLineno", "cache": "Cache", "kw_names": "KwNames",
    "make_cell": "MakeCell", "copy_free_vars": "CopyFreeVars",
    "setup_annotations": "SetupAnnotations", "pop": "Pop", "copy": "Copy", "swap": "Swap",
    "push_null": "PushNull", "binary_op": "BinaryOp", "compare": "Compare", "is": "Is",
    "contains": "Contains", "exc_match": "ExcMatch", "to_bool": "ToBool",
    "intrinsic": "Intrinsic", "unpack": "Unpack", "convert": "Convert",
    "make_function": "MakeFunction", "make_closure": "MakeClosure",
    "set_function_attribute": "SetFunctionAttribute", "exec": "Exec", "iter": "GetIter",
    "for_iter": "ForIter", "end_for": "EndFor", "pop_iter": "PopIter", "get_len": "GetLen",
    "yield": "Yield", "yield_from": "YieldFrom", "send": "Send", "end_send": "EndSend",
    "await": "Await", "aiter": "AIter", "anext": "ANext", "enter_with": "EnterWith",
    "return_generator": "ReturnGenerator", "cleanup_throw": "CleanupThrow", "jump": "Jump",
    "return": "Return", "return_const": "ReturnConst", "raise": "Raise", "reraise": "Reraise",
    "pop_block": "PopBlock", "pop_except": "PopExcept", "push_exc_info": "PushExcInfo",
    "with_cleanup": "WithCleanup", "end_finally": "EndFinally",
    "begin_finally": "BeginFinally", "call_finally": "CallFinally", "pop_finally": "PopFinally",
    "end_async_for": "EndAsyncFor", "prep_reraise_star": "PrepReraiseStar", "match": "Match",
}
FLOWS = {"jump": "Jump", "branch": "Branch", "return": "Return", "raise": "Raise",
         "reraise": "Reraise", "setup": "Setup", "break": "Break", "continue": "Continue",
         "link": "Link", "call_finally": "CallFinally"}
OPERANDS = {
    "small_int": "SmallInt", "common_const": "CommonConst", "local_pair": "LocalPair",
    "name_null": "NameNull", "attr_method": "AttrMethod", "super_attr": "SuperAttr",
    "special_method": "SpecialMethod", "binary_op": "BinaryOp", "is": "Is",
    "contains": "Contains", "intrinsic1": "Intrinsic1", "intrinsic2": "Intrinsic2",
    "format_value": "FormatValue", "convert": "Convert", "function_flags": "FunctionFlags",
    "nargs": "Nargs", "import_name": "ImportName", "function_counts": "FunctionCounts",
}


def rust_action(token):
    kind, _, param = token.partition(":")
    if token in SIMPLE_ACTIONS:
        return "Action::" + SIMPLE_ACTIONS[token]
    if kind in ("load", "store", "delete", "store_load"):
        variant = {"load": "Load", "store": "Store", "delete": "Delete", "store_load": "StoreLoad"}[kind]
        return "Action::%s(Place::%s)" % (variant, PLACES[param])
    if kind == "rot":
        return "Action::Rot(%d)" % (0 if param == "n" else int(param))
    if kind == "dup":
        return "Action::Dup(%d)" % (0 if param == "n" else int(param))
    if kind == "unary":
        return "Action::Unary(Symbol::new(%s))" % rs_str(param)
    if kind == "binary":
        return "Action::Binary(Symbol::new(%s))" % rs_str(param)
    if kind == "call":
        return "Action::Call(CallKind::%s)" % CALLS[param or None]
    if kind == "build":
        return "Action::Build(Container::%s)" % CONTAINERS[param]
    if kind == "append":
        return "Action::Append(Container::%s)" % CONTAINERS[param]
    if kind == "extend":
        return "Action::Extend(Container::%s)" % CONTAINERS[param]
    if kind == "unpack" and param == "ex":
        return "Action::UnpackEx"
    if kind == "format":
        return "Action::" + {"value": "FormatValue", "simple": "FormatSimple", "spec": "FormatWithSpec"}[param]
    if kind == "import":
        return "Action::" + {"name": "ImportName", "from": "ImportFrom", "star": "ImportStar"}[param]
    if kind == "print":
        return "Action::Print"
    if kind == "jump_if":
        return "Action::JumpIf(Condition::%s)" % CONDITIONS[param]
    if kind == "setup":
        return "Action::Setup(Block::%s)" % BLOCKS[param]
    raise SystemExit("unknown action %r in %s" % (token, SEMANTICS_TXT))


# crates/opcodes/src/semantics.rs: MAX_TERMS (counts are stored inline, pointer-free).
MAX_TERMS = 3


def rust_count(f):
    terms = []
    for term, factor in sorted(f.terms.items()):
        kind = term[0]
        if kind == "field":
            rt = "Term::Field { shift: %d, mask: 0x%x }" % (term[1], term[2])
        elif kind == "popcount":
            rt = "Term::Popcount { mask: 0x%x }" % term[1]
        elif kind == "eq":
            rt = "Term::Eq { value: %d }" % term[1]
        else:
            rt = "Term::NonZero { mask: 0x%x }" % term[1]
        terms.append("(%d, %s)" % (factor, rt))
    if len(terms) > MAX_TERMS:
        raise SystemExit("a stack count with %d terms (Count holds %d): %r" % (len(terms), MAX_TERMS, f))
    return "Count::new(%d, &[%s])" % (f.const, ", ".join(terms))


def version_semantics(version, data):
    """Per opcode byte: (action, flow, operand, jump, stack) as Rust expressions."""
    rows = {r[0]: r for r in data.get("semantics", [])}
    flag_sets = {}
    for key, name in FLAG_LISTS:
        for op in data.get(key, []):
            flag_sets.setdefault(op, set()).add(name)
    by_op = {e["op"]: e for e in data["ops"]}
    units = sem.vkey(version) >= sem.vkey("3.10")
    after_caches = sem.vkey(version) >= sem.vkey("3.12")
    out = []
    for entry in data["ops"]:
        if entry["kind"] == "unused":
            out.append(None)
            continue
        deopt = entry["deopt"]
        base = by_op[deopt]
        row = rows.get(base["name"]) if base["kind"] == "base" else None
        words = row[5:] if row else []
        flags = flag_sets.get(deopt, set())
        has_arg = base["has_arg"] if sem.vkey(version) >= sem.vkey("3.6") else entry["op"] >= data["have_argument"]
        operand = "None"
        if has_arg:
            explicit = [w[4:] for w in words if w.startswith("arg:")]
            if explicit:
                operand = OPERANDS[explicit[0]]
            elif "CONST" in flags:
                operand = "Const"
            elif "NAME" in flags:
                operand = "Name"
            elif flags & {"JREL", "JABS", "JUMP"}:
                operand = "Jump"
            elif "LOCAL" in flags:
                operand = "Local"
            elif "FREE" in flags:
                operand = "Free"
            elif "COMPARE" in flags:
                operand = "Compare"
            else:
                operand = "Plain"
        jump = "None"
        if has_arg and flags & {"JREL", "JABS", "JUMP"}:
            jump = "Some(JumpArg { absolute: %s, backward: %s, units: %s, after_caches: %s })" % (
                "true" if "JABS" in flags else "false",
                "true" if "backward" in words else "false",
                "true" if units else "false", "true" if after_caches else "false")
        if row is None:
            out.append(("Action::Unknown", "Flow::Next", "Operand::" + operand, jump, None))
            continue
        flow = "Next"
        for w in words:
            if w.startswith("flow:"):
                flow = FLOWS[w[5:]]
        pf, qf = sem.parse(row[1]), sem.parse(row[2])
        jf = None
        if row[3]:
            jp, jq = row[3].split("/")
            jf = (sem.parse(jp), sem.parse(jq))
        out.append((rust_action(row[4]), "Flow::" + flow, "Operand::" + operand, jump, (pf, qf, jf)))
    return out


def generate_mod(versions, used_flags):
    lines = []
    w = lines.append
    w("// @generated by tools/gen_opcodes.py from tools/data/opcodes/*.json \u2014 do not edit.")
    w("//! The generated per-version tables, one module per CPython minor version.")
    w("")
    w("use crate::semantics::{")
    w("    Action, Block, CallKind, Condition, Container, Count, Flow, JumpArg, Operand, Place, Semantics,")
    w("    StackEffect, Symbol, Term,")
    w("};")
    w("use crate::{ArgFlags, CacheField, OpInfo, OpKind, OpcodeTable};")
    w("use bytescope_pyc::{Implementation, PythonVersion};")
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
    w("/// Every table: CPython's oldest version first, then other implementations'.")
    w("pub(crate) static ALL: [&OpcodeTable; %d] = [" % len(versions))
    for v in versions:
        w("    &%s::TABLE," % mod_name(v))
    w("];")
    w("")
    w("pub(crate) fn table(implementation: Implementation, version: PythonVersion) -> Option<&'static OpcodeTable> {")
    w("    ALL.iter().copied().find(|t| t.version == version && t.implementation == implementation)")
    w("}")
    return "\n".join(lines) + "\n"


def render_all():
    files = {}
    versions = []
    used_flags = set()
    for v in TABLES:
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
        header = data.pop("metadata_header", None)
        data["semantics"], data["semantics_source"], notes = merge_semantics(
            minor, data, sem.load_semantics(sem.SEMANTICS_PATH), header)
        for note in notes:
            print("note: %s %s" % (minor, note), file=sys.stderr)
        bad = []
        if sem.vkey(minor) >= sem.vkey("3.4"):
            bad = check_against_probe(minor, data["semantics"], probe_stack_effects(exe))
        if bad:
            for line in bad[:40]:
                print("mismatch: " + line, file=sys.stderr)
            raise SystemExit("%d stack effects differ from %s's dis.stack_effect; fix %s"
                             % (len(bad), minor, SEMANTICS_TXT))
        for op, name, probed in data.get("dis_name_mismatches", []):
            print("warning: %s byte %d: table says %s, dis printed %s" % (minor, op, name, probed),
                  file=sys.stderr)
        path = os.path.join(DATA_DIR, minor + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump_json(data))
        print("extracted %s from %s (%s)" % (minor, exe, full))
    for key, exe, full in find_pypys():
        if key in TRANSCRIBED:
            continue
        data = extract(exe)
        data["source"] = "extracted from the opcode and dis modules of %s" % full
        data.pop("metadata_header", None)
        data["semantics"], data["semantics_source"], notes = merge_semantics(
            key, data, sem.load_semantics(sem.SEMANTICS_PATH), None)
        bad = check_against_probe(key, data["semantics"], probe_stack_effects(exe))
        if bad:
            for line in bad[:40]:
                print("mismatch: " + line, file=sys.stderr)
            raise SystemExit("%d stack effects differ from %s's dis.stack_effect; fix %s"
                             % (len(bad), key, SEMANTICS_TXT))
        with open(os.path.join(DATA_DIR, key + ".json"), "w", encoding="utf-8") as f:
            f.write(dump_json(data))
        print("extracted %s from %s (%s)" % (key, exe, full))
    missing = [v for v in TABLES if v not in TRANSCRIBED
               and not os.path.exists(os.path.join(DATA_DIR, v + ".json"))]
    if missing:
        raise SystemExit("no data for %s (no interpreter, no committed JSON)" % ", ".join(missing))


def merged_data():
    """Every version's JSON with semantics.txt merged in (header-sourced pops/pushes kept)."""
    rows = sem.load_semantics(sem.SEMANTICS_PATH)
    out = {}
    sections = parse_old_versions()
    for v in TABLES:
        data = build_old(v, sections) if v in TRANSCRIBED else load_data(v)
        data["semantics"], data["semantics_source"], _ = merge_semantics(v, data, rows)
        out[v] = data
    return out


def write_merged(merged):
    for v, data in merged.items():
        path = os.path.join(DATA_DIR, v + ".json")
        text = dump_json(data)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote", os.path.relpath(path, ROOT))


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
        merged = merged_data()
        stale = [v for v in TABLES
                 if not os.path.exists(os.path.join(DATA_DIR, v + ".json")) or load_data(v) != merged[v]]
        for v in stale:
            print("out of date: tools/data/opcodes/%s.json (semantics.txt changed)" % v,
                  file=sys.stderr)
        ok = check_rust(render_all()) and not stale
        if not ok:
            print("run tools/gen_opcodes.py --from-data", file=sys.stderr)
            return 1
        print("generated opcode tables are up to date")
        return 0
    if not args.from_data:
        run_extract()
    write_merged(merged_data())
    write_rust(render_all())
    return 0


if __name__ == "__main__":
    sys.exit(main())
