#!/usr/bin/env python3
"""Dump repr/hash/frozenset-order test vectors from real CPython interpreters.

Writes crates/pyrepr/tests/data/<X.Y>.json for 2.7 and 3.6-3.15, read by
crates/pyrepr/tests/vectors.rs (which needs no Python). Every interpreter runs
with PYTHONHASHSEED=0 PYTHONIOENCODING=utf-8. Inputs are generated here
(seeded per version, so each file covers different random values) and handed
to a worker snippet run by each interpreter, which answers with repr()s,
hash()es and set orders.

Value encoding (used for hashes and sets), JSON arrays:
  ["i", "DEC"]  int (Python 2: `int`, fits in 64 bits)
  ["l", "DEC"]  Python 2 `long` (Python 3: int)
  ["s", HEX]    str (Python 2 unicode): surrogatepass UTF-8, as marshal stores it
  ["b", HEX]    bytes (Python 2 str)
  ["f", BITS]   float, 16 hex digits of the IEEE bits
  ["c", BITS, BITS]  complex
  ["t", [...]]  tuple;  ["fs", [...]]  frozenset (stream order)
  ["N"] None, ["T"] True, ["F"] False

Sections of a data file:
  str:     [HEX, repr, hash]
  bytes:   [HEX, repr, hash]
  float:   [BITS, repr, hash or null (not emulable)]
  complex: [BITS, BITS, repr, hash or null]
  int:     ["i"|"l", SPEC, repr or null, error or null, hash]; SPEC is the
           signed hex of the value or "B^E+D" (sign * B**E + D); a repr longer
           than 300 characters is stored as {"len", "head", "tail"} (40 each)
  hash:    [value, hash]
  sets:    [[value...] in marshal stream order, [index...] iteration order]

Usage:  python3 tools/gen_repr_vectors.py            (all versions)
        python3 tools/gen_repr_vectors.py 3.12 2.7   (some)
        python3 tools/gen_repr_vectors.py --float-bulk N PATH [VERSION]
            writes N random floats as "BITS REPR" lines (not committed) for
            the ignored test `float_bulk` (BYTESCOPE_FLOAT_BULK=PATH).
"""
import json
import math
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_unicode  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "crates", "pyrepr", "tests", "data")

VERSIONS = [
    ("2.7", "2.7.18"), ("3.6", "3.6.15"), ("3.7", "3.7.16"), ("3.8", "3.8.18"),
    ("3.9", "3.9.18"), ("3.10", "3.10.13"), ("3.11", "3.11.7"), ("3.12", "3.12.1"),
    ("3.13", "3.13.0"), ("3.14", "python3.14"), ("3.15", "python3.15"),
]

# ---------------------------------------------------------------------------
# Worker: runs under every interpreter (2.7 and 3.x syntax).
WORKER = r'''
from __future__ import print_function
import sys, json, marshal, struct, binascii
PY2 = sys.version_info[0] == 2
if PY2:
    chr_ = unichr
else:
    chr_ = chr
    long = int

def fbits(h):
    return struct.unpack('>d', binascii.unhexlify(h))[0]

def hexbits(x):
    return binascii.hexlify(struct.pack('>d', x)).decode('ascii')

def text(h):
    raw = binascii.unhexlify(h)
    if PY2:
        return raw.decode('utf-8')
    return raw.decode('utf-8', 'surrogatepass')

def build(v):
    t = v[0]
    if t == 'i':
        return int(v[1])
    if t == 'l':
        return long(v[1])
    if t == 's':
        return text(v[1])
    if t == 'b':
        return binascii.unhexlify(v[1])
    if t == 'f':
        return fbits(v[1])
    if t == 'c':
        return complex(fbits(v[1]), fbits(v[2]))
    if t == 't':
        return tuple(build(x) for x in v[1])
    if t == 'fs':
        return frozenset(build(x) for x in v[1])
    return {'N': None, 'T': True, 'F': False}[t]

def encode(x):
    if x is None: return ['N']
    if x is True: return ['T']
    if x is False: return ['F']
    if PY2 and isinstance(x, long): return ['l', str(x).rstrip('L')]
    if isinstance(x, int): return ['i', str(x)]
    if isinstance(x, float): return ['f', hexbits(x)]
    if isinstance(x, complex): return ['c', hexbits(x.real), hexbits(x.imag)]
    if PY2 and isinstance(x, unicode) or not PY2 and isinstance(x, str):
        if PY2:
            raw = x.encode('utf-8')
        else:
            raw = x.encode('utf-8', 'surrogatepass')
        return ['s', binascii.hexlify(raw).decode('ascii')]
    if isinstance(x, bytes): return ['b', binascii.hexlify(x).decode('ascii')]
    if isinstance(x, tuple): return ['t', [encode(y) for y in x]]
    if isinstance(x, frozenset): return ['fs', [encode(y) for y in x]]
    raise TypeError(type(x))

def int_spec(s):
    # signed hex, or "B^E+D" / "-B^E+D" (D signed decimal): sign*(B**E) + D
    if '^' in s:
        neg = s.startswith('-')
        b, rest = s.lstrip('-').split('^')
        for i in range(1, len(rest)):
            if rest[i] in '+-':
                e, d = rest[:i], rest[i:]
                break
        else:
            e, d = rest, '0'
        n = int(b) ** int(e)
        return (-n if neg else n) + int(d)
    return int(s, 16)

ADDRESS_NAN = sys.version_info >= (3, 10)

def hash_or_none(x, parts):
    # NaN hashes are object addresses from 3.10: not reproducible, store null
    if ADDRESS_NAN and any(p != p for p in parts):
        return None
    return hash(x)

def try_(f):
    try:
        return f(), None
    except Exception as e:
        return None, str(e)

def skip_marshal_object(data, pos):
    """End offset of the (ref-free, version 2) object starting at pos."""
    code = data[pos:pos + 1]
    pos += 1
    c = code.decode('latin-1')
    i32 = lambda p: struct.unpack('<i', data[p:p + 4])[0]
    if c in 'NTF.S':
        return pos
    if c == 'i':
        return pos + 4
    if c in 'Ig':
        return pos + 8
    if c == 'y':
        return pos + 16
    if c == 'l':
        return pos + 4 + 2 * abs(i32(pos))
    if c == 'f':
        return pos + 1 + ord(data[pos:pos + 1])
    if c == 'x':
        pos = pos + 1 + ord(data[pos:pos + 1])
        return pos + 1 + ord(data[pos:pos + 1])
    if c in 'stuaA':
        return pos + 4 + i32(pos)
    if c in 'zZ':
        return pos + 1 + ord(data[pos:pos + 1])
    if c in '([<>':
        n = i32(pos)
        pos += 4
        for _ in range(n):
            pos = skip_marshal_object(data, pos)
        return pos
    if c == ')':
        n = ord(data[pos:pos + 1])
        pos += 1
        for _ in range(n):
            pos = skip_marshal_object(data, pos)
        return pos
    raise ValueError('marshal code %r' % c)

def key(x):
    if isinstance(x, frozenset):
        return ('frozenset', tuple(sorted(key(y) for y in x)))
    if isinstance(x, tuple):
        return ('tuple', tuple(key(y) for y in x))
    return (type(x).__name__, repr(x))

def set_case(stream_values):
    """stream_values: Python objects in stream order (crafted stream)."""
    data = b'>' + struct.pack('<i', len(stream_values)) + b''.join(
        marshal.dumps(e, 2) for e in stream_values)
    loaded = marshal.loads(data)
    keys = [key(e) for e in stream_values]
    order = []
    for e in loaded:
        k = key(e)
        order.append(keys.index(k))
    return [[encode(e) for e in stream_values], order]

def natural_set_case(elems):
    """marshal.loads(marshal.dumps(frozenset)) with the writer's own order."""
    fs = frozenset(elems)
    data = marshal.dumps(fs, 2)
    n = struct.unpack('<i', data[1:5])[0]
    pos = 5
    stream = []
    for _ in range(n):
        end = skip_marshal_object(data, pos)
        stream.append(marshal.loads(data[pos:end]))
        pos = end
    return set_case(stream)

def main():
    inp = json.loads(sys.stdin.read())
    out = {}
    out['python'] = sys.version.split()[0]
    rows = []
    for h in inp['str']:
        s = text(h)
        rows.append([h, repr(s), hash(s)])
    out['str'] = rows
    rows = []
    for h in inp['bytes']:
        b = binascii.unhexlify(h)
        rows.append([h, repr(b), hash(b)])
    out['bytes'] = rows
    rows = []
    for h in inp['float']:
        x = fbits(h)
        rows.append([h, repr(x), hash_or_none(x, [x])])
    out['float'] = rows
    rows = []
    for a, b in inp['complex']:
        z = complex(fbits(a), fbits(b))
        rows.append([a, b, repr(z), hash_or_none(z, [z.real, z.imag])])
    out['complex'] = rows
    rows = []
    for tag, hx in inp['int']:
        n = int_spec(hx)
        if tag == 'l':
            n = long(n)
        r, err = try_(lambda: repr(n))
        if r is not None and len(r) > 300:
            r = {'len': len(r), 'head': r[:40], 'tail': r[-40:]}
        rows.append([tag, hx, r, err, hash(n)])
    out['int'] = rows
    rows = []
    for v in inp['hash']:
        x = build(v)
        rows.append([v, hash(x)])
    out['hash'] = rows
    rows = []
    for case in inp['sets']:
        elems = [build(v) for v in case['elems']]
        if case['natural']:
            rows.append(natural_set_case(elems))
        else:
            rows.append(set_case(elems))
    out['sets'] = rows
    sys.stdout.write(json.dumps(out))

main()
'''

FLOAT_BULK_WORKER = r'''
import sys, struct, random, binascii
rng = random.Random(int(sys.argv[1]))
n = int(sys.argv[2])
out = []
for i in range(n):
    k = i % 3
    if k == 0:
        bits = rng.getrandbits(64)
    elif k == 1:
        bits = struct.unpack('>Q', struct.pack('>d', float('%.17g' % (rng.random() * 10 ** rng.randint(-30, 30)))))[0]
    else:
        bits = struct.unpack('>Q', struct.pack('>d', rng.randint(1, 10 ** 17) * 10.0 ** rng.randint(-320, 290)))[0]
    x = struct.unpack('>d', struct.pack('>Q', bits))[0]
    out.append('%016x %s' % (bits, repr(x)))
sys.stdout.write('\n'.join(out) + '\n')
'''

# ---------------------------------------------------------------------------
# Input generation (driver side, Python 3).


def bits(x):
    return struct.pack(">d", x).hex()


def shex(cps):
    return "".join(chr(c) for c in cps).encode("utf-8", "surrogatepass").hex()


def signed_hex(n):
    return ("-" if n < 0 else "") + format(abs(n), "x")


def printable_diff_points(rng):
    """Code points whose isprintable differs between consecutive 3.x tables."""
    points = []
    prev = None
    for key, ver in gen_unicode.INTERPRETERS:
        _, inv = gen_unicode.run(gen_unicode.pyenv_python(ver), gen_unicode.SNIPPET3)
        cur = set()
        for lo, hi in gen_unicode.inv_to_set_ranges(inv):
            cur.update(range(lo, hi))
        if prev is not None:
            diff = sorted(cur ^ prev)
            points.extend(rng.sample(diff, min(25, len(diff))))
        prev = cur
    return points


def gen_strings(rng, diff_points):
    out = []
    quotes = ["'", '"', "'\"", "a'b", 'a"b', "it's \"x\"", "\\", "\\'", "", " ", "abc"]
    for q in quotes:
        out.append([ord(c) for c in q])
    out.append(list(range(0, 64)))
    out.append(list(range(64, 128)))
    for start in range(0x80, 0x100, 16):
        out.append(list(range(start, start + 16)))
    specials = [0xAD, 0x2028, 0x2029, 0x200B, 0x200E, 0x180E, 0x17B4, 0x3000, 0xFEFF, 0xFFFD,
                0xFFFE, 0xFFFF, 0xE000, 0xF8FF, 0xF0000, 0x10FFFD, 0x10FFFF, 0x1F600, 0x1FAE8,
                0xE0001, 0xE0100, 0x061C, 0x2066, 0x0378, 0x0870, 0x1B4E, 0x31350]
    for c in specials:
        out.append([c])
    # surrogates: lone, pairs, mixed
    out.append([0xD800])
    out.append([0xDFFF])
    out.append([0xD800, 0xDC00])
    out.append([0x61, 0xDBFF, 0xDFFF, 0x62])
    out.append([0xDC80, 0xE9])
    for c in diff_points:
        out.append([c] if rng.random() < 0.5 else [0x61, c, 0x27])
    for _ in range(150):
        n = rng.randint(1, 5)
        cps = []
        for _ in range(n):
            r = rng.random()
            if r < 0.25:
                cps.append(rng.randint(0x20, 0x7E))
            elif r < 0.4:
                cps.append(rng.randint(0x80, 0xFF))
            elif r < 0.75:
                cps.append(rng.randint(0x100, 0xFFFF))
            else:
                cps.append(rng.randint(0x10000, 0x10FFFF))
        out.append(cps)
    for _ in range(30):
        out.append([rng.randint(0x20, 0x7E) for _ in range(rng.randint(1, 12))])
    return [shex(c) for c in out]


def gen_bytes(rng):
    out = [b"", b"'", b'"', b"'\"", b"a'b", b"\\", b"abc"]
    out.append(bytes(range(0, 64)))
    out.append(bytes(range(64, 128)))
    out.append(bytes(range(128, 192)))
    out.append(bytes(range(192, 256)))
    for _ in range(60):
        out.append(bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 10))))
    for _ in range(20):
        out.append(bytes(rng.randint(0x20, 0x7E) for _ in range(rng.randint(1, 10))))
    return [b.hex() for b in out]


def special_floats():
    xs = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 1e16, 1e15, 9999999999999998.0,
          1e-4, 1e-5, 0.00012345, 1e22, 1e23, 1.7976931348623157e308, 2.2250738585072014e-308,
          2.225073858507201e-308, 5e-324, 1e-323, float("inf"), float("-inf"), float("nan"),
          -float("nan"), 123456789012345678.0, 1e300 * 10, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63,
          2.0 ** 64, -2.0 ** 63, 2.0 ** 61, 2.0 ** 61 - 2 ** 8, 1152921504606846976.0 * 3,
          0.3, 1 / 3.0, 2 / 3.0, math.pi, math.e, 4.35, 0.15, 1e-7, 5e-5]
    xs += [10.0 ** k for k in range(-20, 25)]
    xs += [float("1e%d" % k) for k in range(-325, 310, 7)]
    return xs


def gen_floats(rng, n_random):
    xs = special_floats()
    out = [bits(x) for x in xs]
    for _ in range(n_random):
        r = rng.random()
        if r < 0.4:
            out.append("%016x" % rng.getrandbits(64))
        elif r < 0.55:
            out.append("%016x" % rng.getrandbits(52))  # subnormals
        elif r < 0.8:
            x = float("%.*g" % (rng.randint(1, 17), rng.random() * 10 ** rng.randint(-25, 25)))
            out.append(bits(x))
        else:
            x = float(rng.randint(-10 ** 18, 10 ** 18)) * 10.0 ** rng.randint(-5, 5)
            out.append(bits(x))
    return out


def gen_complex(rng):
    parts = [0.0, -0.0, 1.0, -1.0, 2.5, float("nan"), -float("nan"), float("inf"),
             float("-inf"), 1e16, 1e-5, 5e-324, 1e300, 0.1]
    out = []
    for a in parts:
        for b in parts:
            out.append([bits(a), bits(b)])
    for _ in range(20):
        out.append(["%016x" % rng.getrandbits(64), "%016x" % rng.getrandbits(64)])
    return out


def gen_ints(rng, py2):
    vals = list(range(-5, 20)) + [255, 256, -256, 2 ** 15, 2 ** 30, 2 ** 31 - 1, -2 ** 31,
                                   2 ** 31, 2 ** 61 - 2, 2 ** 61 - 1, 2 ** 61, -2 ** 61 + 1,
                                   -2 ** 61, 2 ** 62, 2 ** 63 - 1, -2 ** 63]
    out = []
    for v in vals:
        out.append(["i", signed_hex(v)])
        out.append(["l", signed_hex(v)])
    bigs = [2 ** 63, -2 ** 63 - 1, 2 ** 64, 2 ** 64 - 1, 2 ** 100, -(2 ** 127), 10 ** 30]
    for _ in range(30):
        bigs.append(rng.randint(-2 ** rng.randint(64, 1200), 2 ** rng.randint(64, 1200)))
    for v in bigs:
        out.append(["l", signed_hex(v)])
    # Around the 4300-digit limit and the size pre-check (2**14400).
    for spec in ["10^4299+0", "-10^4299+7", "10^4300-1", "-10^4300+1", "10^4300+0",
                 "-10^4300+0", "2^14399+0", "2^14400-1", "2^14400+0", "-2^14401+0",
                 "2^20000+1"]:
        out.append(["l", spec])
    return out


def value_pools(rng, version):
    py2 = version == "2.7"

    def rint():
        r = rng.random()
        if r < 0.5:
            return ["i", str(rng.randint(-50, 1000))]
        if r < 0.8:
            return ["i", str(rng.randint(-2 ** 63, 2 ** 63 - 1))]
        return ["l" if py2 else "i", str(rng.randint(-2 ** 90, 2 ** 90))]

    def rstr():
        r = rng.random()
        if r < 0.5:
            n = rng.randint(0, 8)
            return ["s", shex([rng.randint(0x61, 0x7A) for _ in range(n)])]
        if r < 0.7:
            return ["s", shex([rng.randint(0x20, 0xFF) for _ in range(rng.randint(1, 4))])]
        if r < 0.9:
            return ["s", shex([rng.randint(0x100, 0xD7FF) for _ in range(rng.randint(1, 4))])]
        return ["s", shex([rng.randint(0x10000, 0x10FFFF) for _ in range(rng.randint(1, 3))])]

    def rbytes():
        return ["b", bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 6))).hex()]

    def rfloat():
        r = rng.random()
        if r < 0.4:
            return ["f", bits(rng.uniform(-1e6, 1e6))]
        if r < 0.6:
            return ["f", bits(float(rng.randint(-1000, 1000)))]
        if r < 0.7:
            return ["f", bits(rng.choice([float("inf"), float("-inf"), 1e300, 5e-324, -0.0]))]
        x = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        if x != x:
            x = 1.25
        return ["f", bits(x)]

    def rcomplex():
        return ["c", rfloat()[1], rfloat()[1]]

    def rtuple(depth=0):
        items = []
        for _ in range(rng.randint(0, 4)):
            items.append(rscalar(depth + 1))
        return ["t", items]

    def rfs(depth=0):
        items = []
        for _ in range(rng.randint(0, 4)):
            items.append(rscalar(depth + 1))
        return ["fs", items]

    def rscalar(depth=0):
        r = rng.random()
        if depth < 2 and r < 0.08:
            return rtuple(depth)
        if depth < 2 and r < 0.12:
            return rfs(depth)
        if r < 0.35:
            return rint()
        if r < 0.6:
            return rstr()
        if r < 0.72:
            return rbytes()
        if r < 0.85:
            return rfloat()
        if r < 0.9:
            return rcomplex()
        if r < 0.93:
            return rng.choice([["T"], ["F"]])
        if r < 0.95 and version not in ("2.7",) and float(version[2:]) >= 12:
            return ["N"]
        return rint()

    return rint, rstr, rbytes, rfloat, rtuple, rfs, rscalar


def gen_hash_values(rng, version):
    rint, rstr, rbytes, rfloat, rtuple, rfs, rscalar = value_pools(rng, version)
    out = [["T"], ["F"], ["t", []], ["fs", []], ["t", [["i", "1"], ["i", "2"]]],
           ["fs", [["i", "1"], ["i", "2"]]], ["fs", [["i", "1"], ["f", bits(1.0)], ["T"]]],
           ["t", [["t", []], ["fs", []]]]]
    if version != "2.7" and int(version.split(".")[1]) >= 12:
        out.append(["N"])
        out.append(["t", [["N"], ["i", "1"]]])
    for _ in range(60):
        out.append(rtuple())
    for _ in range(40):
        out.append(rfs())
    return out


def gen_sets(rng, version):
    rint, rstr, rbytes, rfloat, rtuple, rfs, rscalar = value_pools(rng, version)
    cases = []
    kinds = [rint, rstr, rbytes, rfloat, rtuple, rscalar]

    def distinct(values):
        # drop values equal in Python (the worker builds them; equality is
        # easiest to check by building here too)
        seen = []
        out = []
        for v in values:
            obj = build_py3(v)
            if any(type(obj) is type(o) and obj == o or
                   (isinstance(obj, (int, float, complex)) and isinstance(o, (int, float, complex))
                    and not isinstance(obj, bool) and not isinstance(o, bool) and obj == o)
                   for o in seen) or obj in seen:
                continue
            seen.append(obj)
            out.append(v)
        return out

    sizes = list(range(0, 61)) + [rng.randint(0, 60) for _ in range(12)]
    for i, n in enumerate(sizes):
        kind = kinds[i % len(kinds)]
        if kind is rint and rng.random() < 0.5:
            vals = [["i", str(rng.randint(-20, 200))] for _ in range(n)]
        else:
            vals = [kind() for _ in range(n)]
        vals = distinct(vals)
        cases.append({"elems": vals, "natural": i % 3 == 0})
    # Deliberate duplicates (crafted streams only).
    dup = [["i", "1"], ["f", bits(1.0)], ["T"], ["c", bits(1.0), bits(0.0)], ["i", "0"],
           ["f", bits(-0.0)], ["F"], ["f", bits(0.0)], ["s", shex([0x61])], ["s", shex([0x61])],
           ["t", [["i", "1"], ["i", "2"]]], ["t", [["f", bits(1.0)], ["i", "2"]]], ["i", "2"],
           ["b", "61"], ["i", "-1"], ["i", "-2"]]
    for _ in range(6):
        vals = list(dup)
        rng.shuffle(vals)
        cases.append({"elems": vals, "natural": False})
    return cases


def build_py3(v):
    t = v[0]
    if t in ("i", "l"):
        return int(v[1])
    if t == "s":
        return bytes.fromhex(v[1]).decode("utf-8", "surrogatepass")
    if t == "b":
        return bytes.fromhex(v[1])
    if t == "f":
        return struct.unpack(">d", bytes.fromhex(v[1]))[0]
    if t == "c":
        return complex(struct.unpack(">d", bytes.fromhex(v[1]))[0],
                       struct.unpack(">d", bytes.fromhex(v[2]))[0])
    if t == "t":
        return tuple(build_py3(x) for x in v[1])
    if t == "fs":
        return frozenset(build_py3(x) for x in v[1])
    return {"N": None, "T": True, "F": False}[t]


def run_worker(exe, snippet, stdin, args=()):
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    res = subprocess.run([exe, "-c", snippet] + list(args), input=stdin.encode("utf-8"),
                         capture_output=True, env=env)
    if res.returncode != 0:
        raise SystemExit("worker failed for %s:\n%s" % (exe, res.stderr.decode()))
    return res.stdout.decode("utf-8")


def main(argv):
    if argv and argv[0] == "--float-bulk":
        n, path = int(argv[1]), argv[2]
        ver = argv[3] if len(argv) > 3 else "3.12"
        exe = gen_unicode.pyenv_python(dict(VERSIONS)[ver])
        with open(path, "w") as f:
            f.write(run_worker(exe, FLOAT_BULK_WORKER, "", [str(n), str(n)]))
        return
    wanted = set(argv) if argv else None
    os.makedirs(OUT_DIR, exist_ok=True)
    diff_points = printable_diff_points(random.Random(1234))
    for version, ver in VERSIONS:
        if wanted and version not in wanted:
            continue
        rng = random.Random("bytescope-" + version)
        inp = {
            "str": gen_strings(rng, diff_points),
            "bytes": gen_bytes(rng),
            "float": gen_floats(rng, 420),
            "complex": gen_complex(rng),
            "int": gen_ints(rng, version == "2.7"),
            "hash": gen_hash_values(rng, version),
            "sets": gen_sets(rng, version),
        }
        out = json.loads(run_worker(gen_unicode.pyenv_python(ver), WORKER, json.dumps(inp)))
        out["version"] = version
        path = os.path.join(OUT_DIR, version + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("{\n")
            keys = ["version", "python", "str", "bytes", "float", "complex", "int", "hash", "sets"]
            for i, k in enumerate(keys):
                val = out[k]
                if isinstance(val, list):
                    f.write('"%s": [\n' % k)
                    f.write(",\n".join(json.dumps(row, ensure_ascii=False, separators=(",", ":"))
                                       for row in val))
                    f.write("\n]")
                else:
                    f.write('"%s": %s' % (k, json.dumps(val)))
                f.write(",\n" if i + 1 < len(keys) else "\n")
            f.write("}\n")
        print("%s: %d bytes" % (path, os.path.getsize(path)), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
