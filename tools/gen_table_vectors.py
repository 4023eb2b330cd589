#!/usr/bin/env python3
"""Generate line/position/exception-table test vectors from real CPythons.

Usage:
    python3 tools/gen_table_vectors.py [--out DIR] [--python X.Y=PATH ...]
                                       [--modules N] [--budget BYTES] [X.Y ...]

``--modules 0 --budget 0`` means the whole standard library with no size cap
(tens of MB; for one-off runs with ``TABLE_VECTORS_DIR=DIR cargo test -p
bytescope-code --test tables``, not for committing).

For each version (default: 2.7 and 3.6-3.15) the matching interpreter runs this
same file with ``--worker``. The worker compiles a deterministic sample of its
own standard library, walks every nested code object, adds hand-made edge
cases and random tables, and records per code object:

    len    len(co_code) in bytes          first  co_firstlineno
    lt     co_lnotab / co_linetable hex   et     co_exceptiontable hex (3.11+)
    lines  list(co.co_lines())            (3.10+)
    pos    list(co.co_positions()), run-length encoded as
           [count, line, end_line, col, end_col]           (3.11+)
    starts list(dis.findlinestarts(co))
    exc    dis._parse_exception_table(co) as [start, end, target, depth, lasti],
           or "overflow" when a value needs more than 64 bits (3.11+)
    w      the line-number column width dis uses (line_offset 0)
    pw     dis._get_positions_width(co)  (3.14+)

into ``crates/code/tests/data/<X.Y>.json`` (about 300 KB each at most).
``crates/code/tests/tables.rs`` replays them without Python.

Interpreters are found under ``$(pyenv root)/versions/X.Y.*`` and then as
``pythonX.Y`` on PATH. The worker part runs on 2.7 too, so this file sticks to
syntax that 2.7 parses.

Hand-made tables are only kept where CPython's result does not depend on
memory past the end of the table (see ``safe_location_table`` and
``safe_pep626_table``): CPython reads one NUL past the end of every bytes
object, which is reproducible, but anything further is heap garbage.
"""
from __future__ import print_function

import binascii
import glob
import json
import os
import random
import struct
import subprocess
import sys

VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
SIZE_BUDGET = int(os.environ.get("GEN_TABLE_BUDGET", "290000")) or 1 << 62  # bytes per JSON file
MAX_RECORD = 2500  # stdlib records larger than this are skipped ...
MAX_BIG_RECORD = 12000  # ... except for the first BIG_RECORDS ones up to this size
BIG_RECORDS = 10
MODULES = int(os.environ.get("GEN_TABLE_MODULES", "300")) or 1 << 30  # stdlib modules per version
SEED = 20261101


# ----------------------------------------------------------------------------
# worker (runs under the interpreter being sampled)


def hexs(b):
    return binascii.hexlify(bytes(b)).decode("ascii")


def tobytes(values):
    return bytes(bytearray(values))


class FakeCode(object):
    """What <=3.9 dis.findlinestarts and dis._parse_exception_table read.

    Both are pure Python and read only these attributes, so a stand-in object
    gives exactly the interpreter's result for tables that a real code object
    constructor would reject (e.g. co_firstlineno <= 0).
    """

    def __init__(self, code_len, first, lnotab=b"", exctable=b""):
        self.co_code = b"\x00" * code_len
        self.co_firstlineno = first
        self.co_lnotab = lnotab
        self.co_exceptiontable = exctable


def rle_positions(positions):
    out = []
    for p in positions:
        p = list(p)
        if out and out[-1][1:] == p:
            out[-1][0] += 1
        else:
            out.append([1] + p)
    return out


def lineno_width(v, starts):
    """The line-number column width of this version's dis (line_offset 0)."""
    import dis

    linestarts = dict(starts)
    if v >= (3, 13):
        return dis._get_lineno_width(linestarts)
    if v < (3, 7):
        return 3  # 2.7 prints "%3d"; 3.6 passes lineno_width=3
    # 3.7-3.12 _disassemble_bytes: show_lineno, then maxlineno >= 1000.
    if v >= (3, 10) and not linestarts:
        return 0
    maxlineno = max(linestarts.values())
    return len(str(maxlineno)) if maxlineno >= 1000 else 3


def make_record(v, name, co):
    import dis

    rec = {"n": name, "len": len(co.co_code), "first": co.co_firstlineno}
    if v >= (3, 10):
        rec["lt"] = hexs(co.co_linetable)
        rec["lines"] = [list(t) for t in co.co_lines()]
    else:
        rec["lt"] = hexs(co.co_lnotab)
    starts = list(dis.findlinestarts(co))
    rec["starts"] = [list(t) for t in starts]
    rec["w"] = lineno_width(v, starts)
    if v >= (3, 11):
        rec["pos"] = rle_positions(co.co_positions())
        rec.update(exception_fields(co))
    if v >= (3, 14):
        rec["pw"] = dis._get_positions_width(co)
    return rec


def exception_fields(co):
    import dis

    entries = dis._parse_exception_table(co)
    rows = [[e.start, e.end, e.target, e.depth, bool(e.lasti)] for e in entries]
    big = any(x >= 2 ** 64 for r in rows for x in r[:4])
    return {"et": hexs(co.co_exceptiontable), "exc": "overflow" if big else rows}


def walk(co):
    yield co
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            for sub in walk(c):
                yield sub


def stdlib_records(v, rng):
    import warnings

    warnings.simplefilter("ignore")
    libdir = os.path.dirname(os.__file__)
    files = []
    for root, dirs, names in os.walk(libdir):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__"))
        for n in sorted(names):
            if n.endswith(".py"):
                files.append(os.path.join(root, n))
    rng.shuffle(files)
    records = []
    compiled = 0
    for path in files:
        if compiled >= MODULES:
            break
        try:
            with open(path, "rb") as f:
                src = f.read()
            top = compile(src, path, "exec", 0, True)
        except Exception:
            continue
        compiled += 1
        rel = os.path.relpath(path, libdir).replace(os.sep, "/")
        for co in walk(top):
            records.append(make_record(v, "%s:%s:%d" % (rel, co.co_name, co.co_firstlineno), co))
    return records, compiled


# --- hand-made tables -------------------------------------------------------


def loc_entry(code, units):
    return 0x80 | (code << 3) | (units - 1)


def uvarint(value):
    out = []
    while value >= 0x40:
        out.append(0x40 | (value & 0x3F))
        value >>= 6
    out.append(value)
    return out


def svarint(value):
    return uvarint((-value) << 1 | 1 if value < 0 else value << 1)


def exc_varint(value, start):
    chunks = [value & 0x3F]
    value >>= 6
    while value:
        chunks.append(value & 0x3F)
        value >>= 6
    chunks.reverse()
    out = [c | 0x40 for c in chunks[:-1]] + [chunks[-1]]
    if start:
        out[0] |= 0x80
    return out


def safe_location_table(t):
    """Whether co_positions() reads at most the NUL just past the table.

    co_lines() never reads further than that (a varint stops at the NUL), but
    co_positions() parses entries back to back and a long-form entry cut short
    reads several varints beyond the end.
    """
    n = len(t)
    pos = 0
    while pos < n:
        code = (t[pos] >> 3) & 15
        pos += 1
        if code == 15:
            continue
        if code in (13, 14):
            for _ in range(1 if code == 13 else 4):
                while True:
                    b = t[pos] if pos < n else 0
                    pos += 1
                    if pos > n + 1:
                        return False
                    if not b & 0x40:
                        break
        elif code in (10, 11, 12):
            pos += 2
        else:
            pos += 1
        if pos > n + 1:
            return False
    return True


def safe_pep626_table(t):
    """Whether 3.10 co_lines() stays inside the table (no trailing zero-length
    ranges, which make it read on past the end)."""
    pairs = [t[i] for i in range(0, len(t), 2)]
    return not pairs or pairs[-1] != 0


def random_location_table(rng):
    out = []
    for _ in range(rng.randint(0, 12)):
        code = rng.choice([0, 1, 5, 9, 10, 11, 12, 13, 13, 14, 14, 15])
        units = rng.randint(1, 8)
        out.append(loc_entry(code, units))
        big = rng.random() < 0.2
        if code == 13:
            out += svarint(rng.randint(-(2 ** 31 - 1), 2 ** 31 - 1) if big else rng.randint(-5, 40))
        elif code == 14:
            out += svarint(rng.randint(-(2 ** 31 - 1), 2 ** 31 - 1) if big else rng.randint(-5, 40))
            out += uvarint(rng.randint(0, 2 ** 32 - 1) if big else rng.randint(0, 5))
            out += uvarint(rng.randint(0, 2 ** 32 - 1) if big else rng.randint(0, 300))
            out += uvarint(rng.randint(0, 2 ** 32 - 1) if big else rng.randint(0, 300))
        elif code in (10, 11, 12):
            out += [rng.randint(0, 127), rng.randint(0, 127)]
        elif code != 15:
            out.append(rng.randint(0, 127))
    return out


def handmade_location(v, rng):
    E = loc_entry
    tables = [
        ("empty", 1, []),
        ("all-forms", 3, [E(13, 1)] + svarint(0) + [E(3, 2), 0x25, E(11, 1), 7, 12, E(15, 1), E(0, 8), 0x0F]
         + [E(14, 2)] + svarint(-2) + uvarint(3) + uvarint(1) + uvarint(90) + [E(12, 1), 1, 2, E(10, 1), 0, 0]),
        ("negative-lines", 1, [E(13, 1), 3, E(13, 1), 3, E(13, 1), 3, E(15, 1), E(13, 1), 3]),
        ("merge", 1, [E(13, 1), 0, E(13, 1), 0, E(15, 1), E(15, 1), E(13, 1), 0, E(13, 1), 2]),
        ("merge-mixed", 7, [E(13, 1), 0, E(5, 1), 0x12, E(10, 2), 1, 2, E(13, 3), 0, E(15, 8), E(15, 8), E(14, 1)] + svarint(0)
         + uvarint(0) + uvarint(0) + uvarint(0)),
        ("wrap", 2 ** 31 - 1, [E(13, 1), 2, E(13, 1), 2, E(11, 1), 0, 0]),
        ("huge-jump", 1, [E(13, 1)] + svarint(2 ** 30) + [E(13, 1)] + svarint(-(2 ** 31 - 1)) + [E(14, 1)] + svarint(5)
         + uvarint(2 ** 32 - 1) + uvarint(2 ** 32 - 1) + uvarint(2 ** 31)),
        ("col-ge-128", 5, [E(10, 1), 200, 5, E(13, 1), 2]),
        ("col-ge-128-b", 5, [E(12, 2), 0xF8, 0x81, E(13, 1), 2, E(11, 1), 0x90, 0x90]),
        ("short-bit7", 5, [E(1, 1), 0x85, E(9, 1), 0xFF, E(13, 1), 2]),
        ("short-bit7-even", 5, [E(2, 1), 0x95, E(0, 2), 0xF0, E(4, 1), 0x8F]),
        ("truncated-short", 5, [E(13, 1), 2, E(3, 1)]),
        ("truncated-one-line", 5, [E(11, 1), 7]),
        ("truncated-long", 5, [E(14, 1), 2, 3, 4]),
        ("truncated-no-cols", 5, [E(13, 4)]),
        ("no-marker-first", 5, [0x18, 2, E(13, 1), 2]),
        ("no-marker-first-none", 5, [0x78, E(13, 1), 2]),
        ("varint-shift-wraps", 5, [E(13, 1), 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x03]),
        ("long-varint-cols", 5, [E(14, 1), 2, 0x41, 0x3F, 0x45, 0x01]),
        ("line-0", 0, [E(13, 1), 0, E(13, 1), 2, E(13, 1), 1]),
    ]
    for i in range(70):
        tables.append(("random-structured-%d" % i, rng.choice([1, 1, 7, 1000, 2 ** 31 - 1]), random_location_table(rng)))
    kept = 0
    i = 0
    while kept < 50 and i < 5000:
        i += 1
        t = [rng.randint(0, 255) for _ in range(rng.randint(1, 24))]
        if safe_location_table(t):
            tables.append(("random-bytes-%d" % kept, rng.choice([1, 50, 2 ** 31 - 1]), t))
            kept += 1
    for i in range(20):
        t = random_location_table(rng)
        if t:
            j = rng.randrange(len(t))
            t[j] ^= 0x80
            if safe_location_table(t):
                tables.append(("random-flip-%d" % i, 3, t))
    return tables


def handmade_pep626(rng):
    tables = [
        ("empty", 1, []),
        ("negative-and-none", 1, [2, 0, 2, 0xFE, 2, 0xFF, 2, 0x80, 2, 5]),
        ("odd-length", 1, [2, 0, 2, 1, 2]),
        ("odd-length-2", 3, [4, 0x80, 6]),
        ("zero-width-middle", 1, [2, 0, 0, 3, 0, 0x80, 2, 1, 0, 0xFF, 4, 0]),
        ("wrap", 2 ** 31 - 1, [2, 0, 2, 1, 2, 1]),
        ("line-0", 0, [2, 0, 2, 1, 2, 0xFF]),
        ("first-0-negative", 0, [2, 0xFF, 2, 1, 2, 1]),
        ("odd-offsets", 10, [3, 0, 5, 1, 255, 0, 255, 0x7F, 1, 0x81]),
        ("repeat-lines", 10, [2, 0, 2, 0, 2, 0x80, 2, 0, 2, 1, 2, 0xFF]),
        ("negative-first", -5, [2, 0, 2, 10]),
    ]
    i = 0
    while i < 80:
        t = [rng.randint(0, 255) for _ in range(rng.randint(1, 30))]
        if rng.random() < 0.3:
            for j in range(0, len(t), 2):
                if rng.random() < 0.3:
                    t[j] = 0
        if safe_pep626_table(t):
            tables.append(("random-%d" % i, rng.choice([1, 0, 100, 2 ** 31 - 1, -3]), t))
            i += 1
    return tables


def handmade_lnotab(v, rng):
    tables = [
        ("empty", 1, 0, []),
        ("empty-code", 1, 10, []),
        ("first-0", 0, 10, [2, 0, 2, 1, 6, 1]),
        ("split-255", 1, 304, [255, 0, 45, 1, 2, 0]),
        ("huge-line-jump", 1, 8, [0, 255] * 40 + [2, 1, 0, 127, 0, 127, 6, 0]),
        ("negative-deltas", 10, 12, [2, 0xFF, 2, 0xFE, 0, 0x80, 4, 0x81, 4, 1]),
        ("past-code-end", 1, 4, [2, 1, 2, 1, 2, 1, 2, 1]),
        ("zero-byte-incr", 1, 8, [0, 1, 0, 1, 2, 0, 0, 0, 2, 3]),
        ("odd-length", 1, 10, [2, 1, 2]),
        ("same-line", 5, 10, [2, 0, 2, 0, 2, 0]),
        ("beyond-i32", 2 ** 31 - 1, 8, [2, 1, 2, 0x7F, 2, 0xFF]),
        ("negative-first", -7, 6, [2, 3, 2, 1]),
        ("code-len-0", 3, 0, [2, 1, 2, 1]),
    ]
    for i in range(80):
        t = [rng.randint(0, 255) for _ in range(rng.randint(0, 30))]
        if rng.random() < 0.3:
            for j in range(0, len(t), 2):
                if rng.random() < 0.4:
                    t[j] = 0
        tables.append(("random-%d" % i, rng.choice([1, 0, 100, 2 ** 31 - 1, -3]), rng.randint(0, 80), t))
    return tables


def handmade_exceptions(rng):
    ev = exc_varint

    def entry(s, l, t, d, lasti):
        return ev(s, True) + ev(l, False) + ev(t, False) + ev(d << 1 | lasti, False)

    tables = [
        ("empty", []),
        ("two", entry(2, 5, 10, 1, 0) + entry(64, 1, 127, 2, 1)),
        ("big-values", entry(2 ** 20, 2 ** 30, 2 ** 40, 2 ** 10, 1)),
        ("truncated-after-length", entry(0, 1, 2, 0, 0) + [0x81, 0x01]),
        ("truncated-varint", entry(0, 1, 2, 0, 0) + [0xC1]),
        ("no-markers", [0x00, 0x01, 0x02, 0x01, 0x03, 0x04, 0x05, 0x06]),
        ("stray-markers", [0x80, 0x81, 0x82, 0x83]),
        ("u64-max-start", ev(2 ** 62, True) + [0, 0, 0]),
        ("overflow-double", ev(2 ** 63, True) + [0, 0, 0]),
        ("overflow-varint", [0xC1] + [0x40] * 10 + [0, 0, 0, 0]),
        ("overflow-end", ev(2 ** 62, True) + ev(2 ** 62, False) + [0, 0]),
    ]
    for i in range(60):
        tables.append(("random-%d" % i, [rng.randint(0, 255) for _ in range(rng.randint(1, 24))]))
    return tables


def code_with(template, first, linetable, code_len):
    """A real code object with these fields. co_firstlineno <= 0 is not
    accepted by replace(), so it goes through marshal, which accepts any int32."""
    import marshal
    import opcode

    code = bytes(bytearray([opcode.opmap["NOP"], 0])) * (code_len // 2)
    marker = 0x12345678
    co = template.replace(co_code=code, co_firstlineno=marker, co_linetable=tobytes(linetable))
    data = marshal.dumps(co)
    packed = struct.pack("<i", marker)
    assert data.count(packed) == 1
    return marshal.loads(data.replace(packed, struct.pack("<i", first)))


def handmade_records(v, rng):
    import dis

    records = []
    if v >= (3, 10):
        template = compile("pass", "<vectors>", "exec")
        tables = handmade_location(v, rng) if v >= (3, 11) else handmade_pep626(rng)
        for name, first, t in tables:
            code_len = rng.choice([0, 2, 8, 40]) if rng.random() < 0.3 else 2 * max(1, len(t))
            co = code_with(template, first, t, code_len)
            records.append(make_record(v, "hand:" + name, co))
    else:
        for name, first, code_len, t in handmade_lnotab(v, rng):
            fake = FakeCode(code_len, first, lnotab=tobytes(t))
            starts = list(dis.findlinestarts(fake))
            records.append({"n": "hand:" + name, "len": code_len, "first": first, "lt": hexs(tobytes(t)),
                            "starts": [list(s) for s in starts], "w": lineno_width(v, starts)})
    if v >= (3, 11):
        for name, t in handmade_exceptions(rng):
            rec = {"n": "hand-exc:" + name, "len": 0, "first": 1, "lt": ""}
            rec.update(exception_fields(FakeCode(0, 1, exctable=tobytes(t))))
            records.append(rec)
    return records


def dumps(rec):
    return json.dumps(rec, sort_keys=True, separators=(",", ":"))


def worker(out_path):
    v = sys.version_info[:2]
    rng = random.Random(SEED)
    hand = handmade_records(v, rng)
    stdlib, compiled = stdlib_records(v, rng)
    seen = set()
    chosen = []
    size = 100

    def key(r):
        return (r["len"], r["first"], r["lt"], r.get("et"))

    for r in hand:
        k = key(r) + (r["n"],)
        if k not in seen:
            seen.add(k)
            chosen.append(dumps(r))
            size += len(chosen[-1]) + 2
    n_hand = len(chosen)
    rng.shuffle(stdlib)
    candidates = len(stdlib)
    big = 0
    for r in stdlib:
        k = key(r)
        if k in seen:
            continue
        seen.add(k)
        line = dumps(r)
        if size + len(line) + 2 > SIZE_BUDGET or len(line) > MAX_BIG_RECORD:
            continue
        if len(line) > MAX_RECORD:
            if big >= BIG_RECORDS:
                continue
            big += 1
        chosen.append(line)
        size += len(line) + 2
    header = {"python": sys.version.split()[0], "modules_compiled": compiled, "stdlib_code_objects": candidates,
              "handmade": n_hand, "stdlib_sampled": len(chosen) - n_hand}
    with open(out_path, "w") as f:
        f.write(dumps(header)[:-1] + ',"objects":[\n')
        f.write(",\n".join(chosen))
        f.write("\n]}\n")
    print("%s: %d modules, %d code objects -> %d stdlib + %d hand-made, %d bytes"
          % (header["python"], compiled, candidates, len(chosen) - n_hand, n_hand, os.path.getsize(out_path)))


# ----------------------------------------------------------------------------
# driver


def find_interpreter(ver, overrides):
    if ver in overrides:
        return overrides[ver]
    roots = []
    try:
        roots.append(subprocess.check_output(["pyenv", "root"]).decode().strip())
    except Exception:
        pass
    roots.append(os.path.expanduser("~/.pyenv"))
    for root in roots:
        hits = sorted(glob.glob(os.path.join(root, "versions", ver + ".*", "bin", "python")))
        if hits:
            return hits[-1]
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, "python" + ver)
        if os.path.exists(p):
            return p
    return None


def main(argv):
    if argv[:1] == ["--worker"]:
        worker(argv[1])
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "..", "crates", "code", "tests", "data")
    overrides = {}
    versions = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--out":
            out_dir = args.pop(0)
        elif a == "--modules":
            os.environ["GEN_TABLE_MODULES"] = args.pop(0)
        elif a == "--budget":
            os.environ["GEN_TABLE_BUDGET"] = args.pop(0)
        elif a == "--python":
            ver, path = args.pop(0).split("=", 1)
            overrides[ver] = path
        else:
            versions.append(a)
    versions = versions or VERSIONS
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    missing = []
    for ver in versions:
        exe = find_interpreter(ver, overrides)
        if exe is None:
            missing.append(ver)
            print("%s: no interpreter found, skipped" % ver, file=sys.stderr)
            continue
        out = os.path.join(out_dir, ver + ".json")
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        subprocess.check_call([exe, os.path.abspath(__file__), "--worker", out], env=env)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
