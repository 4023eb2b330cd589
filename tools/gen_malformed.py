#!/usr/bin/env python3
"""Regenerate tests/malformed/NAME.pyc: hostile and broken .pyc files.

Usage: tools/gen_malformed.py [--bless]

Every file starts from a .pyc that a real CPython wrote (tools/oracle/common.py
finds the interpreters: 2.7, 3.6-3.15), then byte surgery breaks one thing:
the header, a marshal object (located through a unique marker constant in the
source and replaced by other marshal bytes, which keeps the rest of the
stream intact because marshal objects delimit themselves), or an instruction
operand inside co_code.

With --bless, also runs the debug CLI (`cargo build -p bytescope-cli` first) as
`bytescope dis NAME.pyc` inside tests/malformed/ and writes what it prints:
NAME.err gets stderr (the one error line, or empty when the file is shown),
NAME.out gets stdout for the files that are shown, and NAME.info.err what
`bytescope info` prints where that differs from `dis` (output budgets are
reached by one and not the other). Review the diff before
committing: crates/cli/tests/malformed.rs compares against these files, and
the cases this script lists as EXPECT_OK must exit 0 and print `<invalid`
markers where the brief says.

The 10^6-deep nesting case is not a file here: the test generates it.
"""
from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "malformed"
sys.path.insert(0, str(REPO / "tools" / "oracle"))
import common  # noqa: E402

FIXED_MTIME = 1700000000

# Runs inside each interpreter (2.7-compatible): compiles SOURCE, prints JSON
# with the .pyc bytes and the opcode map.
WORKER = r"""
import sys, marshal, json, binascii, struct
src = sys.stdin.read()
code = compile(src, 'm.py', 'exec')
if sys.version_info >= (3, 4):
    import importlib.util
    magic = importlib.util.MAGIC_NUMBER
else:
    import imp
    magic = imp.get_magic()
head = magic
if sys.version_info >= (3, 7):
    head += struct.pack('<I', 0)
head += struct.pack('<I', %d)
if sys.version_info >= (3, 3):
    head += struct.pack('<I', len(src))
data = head + marshal.dumps(code)
import dis
codes = []
def walk(co):
    codes.append(binascii.hexlify(co.co_code).decode('ascii'))
    for c in co.co_consts:
        if hasattr(c, 'co_code'):
            walk(c)
walk(code)
out = {'pyc': binascii.hexlify(data).decode('ascii'), 'opmap': dict(dis.opmap), 'codes': codes}
sys.stdout.write(json.dumps(out))
""" % FIXED_MTIME

# Cases whose expected result is a listing (exit 0) with `<invalid …>` markers
# or out-of-code jump targets, not an error.
EXPECT_OK = {
    "operand_const_out_of_range",
    "operand_name_out_of_range",
    "operand_local_out_of_range",
    "operand_const_out_of_range_2.7",
    "operand_name_out_of_range_3.6",
    "jump_outside_code",
    "jump_outside_code_3.13",
    "deep_functions",
    "ext_arg_jump_overflow_3.10",
    "exception_table_huge_offsets",
    "shared_consts_amplification",
    "positions_amplification_3.14",
    "frozenset_hash_collisions",
    # Headers that are missing, zeroed or not a magic, over a 3.12 body: the
    # version is detected (a note on stderr) and the file listed.
    "bad_magic_elf",
    "stripped_header",
    "unknown_magic",
    "zero_header",
}

# Cases where bytescope is known to be wrong (crates/cli/tests/malformed.rs
# checks each in an #[ignore]d test): --bless leaves an empty NAME.err and no
# NAME.out for them. (Empty now: the ones found so far are fixed.)
KNOWN_BUGS = set()

# Replaces a code object's field with bytes that the interpreter builds with
# code.replace(); runs inside the interpreter (3.8+).
REPLACE = r"""
import sys, marshal, struct, importlib.util
import dis
src, field = sys.argv[1], sys.argv[2]
c = compile(src, 'm.py', 'exec')
value = eval(sys.argv[3])
c = c.replace(**{field: value}) if field else value
head = importlib.util.MAGIC_NUMBER + struct.pack('<III', 0, %d, len(src))
sys.stdout.buffer.write(head + marshal.dumps(c))
""" % FIXED_MTIME


def interp_map():
    return {"%d.%d" % i.version: i.path for i in common.discover()}


def compile_with(interps, version, source):
    if version not in interps:
        raise SystemExit("no CPython %s found (needed for tests/malformed)" % version)
    out = subprocess.run(
        [interps[version], "-c", WORKER], input=source.encode(), capture_output=True, check=True
    )
    res = json.loads(out.stdout)
    return bytes.fromhex(res["pyc"]), dict(res["opmap"], _codes=[bytes.fromhex(c) for c in res["codes"]])


def header_len(version):
    major, minor = (int(x) for x in version.split("."))
    return 8 if (major, minor) < (3, 3) else 12 if (major, minor) < (3, 7) else 16


def find_str(data, text):
    """Offset of the marshal object holding the str/bytes constant `text`
    (which must occur exactly once) and the offset just past it."""
    raw = text.encode()
    i = data.find(raw)
    if i < 0 or data.find(raw, i + 1) >= 0:
        raise SystemExit("marker %r not found exactly once" % text)
    # Short forms (z/Z: one length byte) or the 4-byte-length forms.
    if data[i - 1] == len(raw) and data[i - 2] & 0x7F in b"zZ":
        return i - 2, i + len(raw)
    if struct.unpack("<i", data[i - 4 : i])[0] == len(raw) and data[i - 5] & 0x7F in b"stuaA":
        return i - 5, i + len(raw)
    raise SystemExit("marker %r: no marshal string object around it" % text)


def replace_obj(data, text, new, keep_ref=False):
    """Replaces the string object `text` by the marshal bytes `new`. With
    `keep_ref`, FLAG_REF moves to the new object, so later back-references
    keep their indices (for replacements the reader gets past)."""
    start, end = find_str(data, text)
    if keep_ref:
        new = bytes([new[0] | (data[start] & 0x80)]) + new[1:]
    return data[:start] + new + data[end:]


def code_field(data, version):
    """Offset of co_code's type byte in a module code object (just after the
    integer fields) and of its bytes."""
    major, minor = (int(x) for x in version.split("."))
    v = (major, minor)
    ints = 4 if v < (3, 0) else 5 if v < (3, 8) else 6 if v < (3, 11) else 5
    at = header_len(version) + 1 + 4 * ints
    assert data[at] & 0x7F == ord("s"), "co_code not at %d" % at
    n = struct.unpack("<i", data[at + 1 : at + 5])[0]
    return at, at + 5, n


def patch_op(data, version, opmap, opname, new_arg, nth=0, in_code=None):
    """Sets the argument of the nth `opname` instruction inside the co_code
    that starts at `in_code` (default: the module's)."""
    at, start, n = in_code if in_code else code_field(data, version)
    op = opmap[opname]
    major, minor = (int(x) for x in version.split("."))
    wordcode = (major, minor) >= (3, 6)
    i, seen = start, 0
    out = bytearray(data)
    while i < start + n:
        o = data[i]
        if o == op:
            if seen == nth:
                if wordcode:
                    out[i + 1] = new_arg
                else:
                    out[i + 1 : i + 3] = struct.pack("<H", new_arg)
                return bytes(out)
            seen += 1
        # Before 3.6: 1 byte, or 3 with an argument (HAVE_ARGUMENT is 90).
        i += 2 if wordcode else 1 if o < 90 else 3
    raise SystemExit("%s: no %s #%d in co_code" % (version, opname, nth))


def replaced(interps, version, src, field, value_src):
    out = subprocess.run(
        [interps[version], "-c", REPLACE, src, field, value_src], capture_output=True, check=True
    )
    return out.stdout


def long_bytes(interps, version, value_src):
    out = subprocess.run(
        [interps[version], "-c", "import marshal,sys,binascii; sys.stdout.write(binascii.hexlify(marshal.dumps(%s)).decode())" % value_src],
        capture_output=True,
        check=True,
    )
    return bytes.fromhex(out.stdout.decode())


def build(interps):
    cases = {}
    src = "x = 'MARKER_A'\ny = (1, 'MARKER_B', 3.5)\ndef f(a, b):\n    return a + b\nprint(x, y, f(1, 2))\n"
    p312, op312 = compile_with(interps, "3.12", src)
    p27, op27 = compile_with(interps, "2.7", src.replace("print(x, y, f(1, 2))", "print x, y, f(1, 2)"))
    p36, op36 = compile_with(interps, "3.6", src)
    p310, _ = compile_with(interps, "3.10", src)
    p313, op313 = compile_with(interps, "3.13", src)
    p315, _ = compile_with(interps, "3.15", src)

    # --- the header -------------------------------------------------------
    cases["empty"] = b""
    cases["trunc_magic"] = p312[:2]
    cases["trunc_header_3.12"] = p312[:10]
    cases["trunc_header_2.7"] = p27[:6]
    cases["trunc_header_3.6"] = p36[:11]
    cases["bad_magic_zip"] = b"PK\x03\x04" + p312[4:]
    cases["bad_magic_elf"] = b"\x7fELF" + p312[4:]
    cases["unknown_magic"] = b"\x01\x00\r\n" + p312[4:]
    cases["zero_header"] = b"\0" * 16 + p312[16:]
    cases["stripped_header"] = p312[16:]
    cases["bad_flags"] = p312[:4] + b"\x04\0\0\0" + p312[8:]

    # --- truncated marshal data --------------------------------------------
    cases["trunc_code_type"] = p312[:16]
    cases["trunc_code_ints"] = p312[: 16 + 1 + 4 * 2 + 2]  # inside co_posonlyargcount
    cases["trunc_code_ints_2.7"] = p27[: 8 + 1 + 4 * 3 + 1]  # inside co_flags
    at, start, n = code_field(p312, "3.12")
    cases["trunc_co_code_len"] = p312[: at + 3]
    cases["trunc_co_code"] = p312[: start + n // 2]
    cases["trunc_co_code_3.6"] = p36[: code_field(p36, "3.6")[1] + 3]
    s, e = find_str(p312, "MARKER_B")
    cases["trunc_tuple"] = p312[: s]  # inside the (1, 'MARKER_B', 3.5) tuple
    cases["trunc_string"] = p312[: s + 5]
    cases["trunc_tuple_2.7"] = p27[: find_str(p27, "MARKER_B")[0]]
    cases["trunc_after_firstlineno"] = p312[: len(p312) - 1]

    # --- bad objects --------------------------------------------------------
    cases["unknown_type"] = replace_obj(p312, "MARKER_A", b"Q")
    cases["type_not_in_version"] = replace_obj(p312, "MARKER_A", b":NNN")  # a slice: 3.14+
    cases["frozendict_not_in_3.14"] = replace_obj(
        compile_with(interps, "3.14", src)[0], "MARKER_A", b"}0"
    )
    cases["bad_ref"] = replace_obj(p312, "MARKER_A", b"r" + struct.pack("<i", 999))
    cases["negative_ref"] = replace_obj(p312, "MARKER_A", b"r" + struct.pack("<i", -1))
    # The module code object has FLAG_REF and is reference 0 while it is read.
    cases["ref_cycle"] = replace_obj(p312, "MARKER_A", b"r\0\0\0\0")
    cases["bad_string_ref_2.7"] = replace_obj(p27, "MARKER_A", b"R" + struct.pack("<i", 50))
    cases["negative_string_len"] = replace_obj(p312, "MARKER_A", b"s" + struct.pack("<i", -1))
    cases["negative_tuple_len"] = replace_obj(p312, "MARKER_A", b"(" + struct.pack("<i", -5))
    cases["negative_long_size_huge"] = replace_obj(p312, "MARKER_A", b"l" + struct.pack("<i", -(2**31)))
    cases["huge_string_len"] = replace_obj(p312, "MARKER_A", b"u" + struct.pack("<i", 2**31 - 1) + b"abc")
    cases["huge_tuple_len"] = replace_obj(p312, "MARKER_A", b"(" + struct.pack("<i", 2**31 - 1) + b"NN")
    cases["huge_list_len_2.7"] = replace_obj(p27, "MARKER_A", b"[" + struct.pack("<i", 0x10000000))
    cases["huge_small_tuple_len"] = replace_obj(p312, "MARKER_A", b")\xffNN")
    cases["bad_utf8"] = replace_obj(p312, "MARKER_A", b"u\x05\0\0\0ab\xffcd")
    cases["bad_utf8_overlong"] = replace_obj(p312, "MARKER_A", b"u\x02\0\0\0\xc0\xaf")
    cases["long_digit_out_of_range"] = replace_obj(p312, "MARKER_A", b"l\x01\0\0\0\xff\xff")
    cases["long_unnormalized"] = replace_obj(p312, "MARKER_A", b"l\x02\0\0\0\x01\0\0\0")
    cases["bad_float_text_2.7"] = replace_obj(p27, "MARKER_A", b"f\x031.x")
    cases["null_in_tuple"] = replace_obj(p312, "MARKER_A", b")\x02N0")
    cases["code_in_1.4_format"] = b"\x04\x17\r\n" + p27[4:]  # 1.4 magic, 2.7 body
    # Huge ints: CPython 3.11+ refuses str() past 4300 digits (ValueError).
    big = long_bytes(interps, "3.12", "10**5000")
    cases["huge_long_4301_digits"] = replace_obj(p312, "MARKER_A", big, keep_ref=True)
    cases["huge_long_in_tuple"] = replace_obj(p312, "MARKER_B", big, keep_ref=True)

    # --- code objects whose fields have the wrong types ---------------------
    # f's co_localspluskinds: `a` and `b`, two fast locals (kind 0x20 each).
    i = -1
    for t in (b"s", b"\xf3"):
        i = max(i, p312.find(t + b"\x02\x00\x00\x00  "))
    assert i >= 0, "3.12 localspluskinds of f not found"
    cases["localspluskinds_mismatch"] = p312[:i] + bytes([p312[i]]) + b"\x01\0\0\0&" + p312[i + 7 :]
    cases["co_code_not_bytes"] = p312[:at] + bytes([ord("N") | (p312[at] & 0x80)]) + p312[start + n :]

    # --- bytecode that is shown, with markers -------------------------------
    cases["operand_const_out_of_range"] = patch_op(p312, "3.12", op312, "LOAD_CONST", 200)
    cases["operand_name_out_of_range"] = patch_op(p312, "3.12", op312, "STORE_NAME", 201)
    # LOAD_FAST inside f (the second code object in pre-order).
    f_code = op312["_codes"][1]
    f_start = p312.find(f_code, start + n)
    f_at, f_n = f_start - 5, len(f_code)
    cases["operand_local_out_of_range"] = patch_op(
        p312, "3.12", op312, "LOAD_FAST", 77, in_code=(f_at, f_at + 5, f_n)
    )
    cases["operand_const_out_of_range_2.7"] = patch_op(p27, "2.7", op27, "LOAD_CONST", 300)
    cases["operand_name_out_of_range_3.6"] = patch_op(p36, "3.6", op36, "LOAD_NAME", 99)
    jsrc = "for i in range(3):\n    if i:\n        break\n"
    pj, opj = compile_with(interps, "3.12", jsrc)
    cases["jump_outside_code"] = patch_op(pj, "3.12", opj, "FOR_ITER", 250)
    pj13, opj13 = compile_with(interps, "3.13", jsrc)
    cases["jump_outside_code_3.13"] = patch_op(pj13, "3.13", opj13, "FOR_ITER", 250)
    # co_code of odd length: one byte cut from the module's code (CPython's
    # loader rejects it; dis of a code object built anyway ignores the byte).
    cases["odd_length_co_code"] = (
        p312[:at] + bytes([p312[at]]) + struct.pack("<i", n - 1) + p312[start : start + n - 1] + p312[start + n :]
    )
    # Deep but within marshal's 2000 levels: a 1500-deep tuple constant (repr
    # gives up at CPython's recursion limit) and 90 nested functions (the tokenizer allows 100 indents).
    cases["deep_const_tuple"] = replace_obj(p312, "MARKER_A", b")\x01" * 1500 + b"N", keep_ref=True)
    nested = "".join("    " * i + "def f%d():\n" % i for i in range(90)) + "    " * 90 + "return 1\n"
    cases["deep_functions"] = compile_with(interps, "3.12", nested)[0]
    # An EXTENDED_ARG chain making a relative jump's argument overflow 64 bits.
    cases["ext_arg_jump_overflow_3.10"] = replaced(
        interps, "3.10", "x = 1\n", "co_code",
        "bytes([144, 255] * 9 + [110, 255]) + c.co_code",  # EXTENDED_ARG, JUMP_FORWARD
    )
    # An exception-table entry starting at code unit 2**62 (byte 2**63).
    cases["exception_table_huge_offsets"] = replaced(
        interps, "3.12", "try:\n    x = 1\nexcept E:\n    pass\n", "co_exceptiontable",
        "bytes([0xC4] + [0x40] * 9 + [0, 0, 0, 0])",
    )
    # (3.11's code.replace() already refuses this: byte surgery instead.)
    p311, _ = compile_with(interps, "3.11", src)
    a11, s11, n11 = code_field(p311, "3.11")
    cases["odd_length_co_code_3.11"] = (
        p311[:a11] + bytes([p311[a11]]) + struct.pack("<i", n11 - 1) + p311[s11 : s11 + n11 - 1] + p311[s11 + n11 :]
    )
    # Output amplification: one 2000-element tuple constant loaded by 8000
    # LOAD_CONSTs: 42 KB of input, ~90 MB of `dis` text (CPython's dis would
    # print it too; bytescope promises output linear in the input).
    cases["amplified_const_repr"] = replaced(
        interps, "3.12", "x = 1\n", "",
        "c.replace(co_consts=c.co_consts + (tuple(range(2000)),), co_linetable=b'', co_code=c.co_code[:2]"
        " + bytes([dis.opmap['LOAD_CONST'], len(c.co_consts), dis.opmap['POP_TOP'], 0] * 8000) + c.co_code[2:])",
    )
    # Amplification through shared references: 500 function code objects
    # whose co_consts is one 10000-element tuple (marshal writes it once and
    # refers back to it): 50 KB of input, ~55 MB of code_info text.
    cases["shared_consts_amplification"] = replaced(
        interps, "3.12", "def f(): pass\n", "",
        "c.replace(co_consts=c.co_consts + tuple(c.co_consts[0].replace(co_consts=T, co_name='f%d' % i)"
        " for T in [(None,) * 10000] for i in range(500)))",
    )
    # Memory amplification: a 100 KB location table of 0xff bytes (each one
    # entry of 8 code units without location). `dis --show-positions`
    # expands co_positions() to one 32-byte row per code unit: 256x.
    cases["positions_amplification_3.14"] = replaced(
        interps, "3.14", "x = 1\n", "co_linetable", "b'\\xff' * 100000"
    )
    # Quadratic time: a frozenset of 5000 ints that all hash to 0
    # (multiples of 2**61 - 1); emulating CPython's set order probes
    # O(n^2) slots (CPython's own unmarshal is quadratic here too).
    cases["frozenset_hash_collisions"] = replaced(
        interps, "3.12", "x = 1\n", "co_consts",
        "c.co_consts + (frozenset(k * (2**61 - 1) for k in range(5000)),)",
    )
    # A constant CPython cannot repr inside a loop: the lines listed
    # before it carry every `>>`, the loop head's too, whose jump comes
    # later. NAME.cpython.txt is what CPython's own dis prints before it
    # raises (see PARTIAL).
    loop = "def f(x):\n    while x:\n        x = x - 1\n        x = 'MARKER_C'\n    return x\n"
    cases["huge_long_after_jump_target"] = replace_obj(
        compile_with(interps, "3.12", loop)[0], "MARKER_C", big, keep_ref=True
    )
    cases["trunc_co_code_3.15"] = p315[: code_field(p315, "3.15")[1] + 1]
    cases["trunc_tuple_3.10"] = p310[: find_str(p310, "MARKER_B")[0]]
    return cases


# Files whose listing CPython starts and then stops (a constant it cannot
# repr): NAME.cpython.txt records what its dis prints before raising, from
# the interpreter of that version.
PARTIAL = {"huge_long_after_jump_target": "3.12"}

PARTIAL_DIS = r"""
import dis, io, marshal, sys
data = open(sys.argv[1], 'rb').read()
buf = io.StringIO()
try:
    dis.dis(marshal.loads(data[16:]), file=buf)
except ValueError:
    pass
sys.stdout.buffer.write(buf.getvalue().encode())
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bless", action="store_true", help="also write NAME.err/NAME.out from the debug CLI")
    args = ap.parse_args()
    interps = interp_map()
    cases = build(interps)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.pyc"):
        old.unlink()
    for name, data in sorted(cases.items()):
        (OUT / (name + ".pyc")).write_bytes(data)
    print("wrote %d files to %s" % (len(cases), OUT.relative_to(REPO)))
    for name, version in sorted(PARTIAL.items()):
        r = subprocess.run([interps[version], "-c", PARTIAL_DIS, str(OUT / (name + ".pyc"))],
                           capture_output=True, check=True)
        (OUT / (name + ".cpython.txt")).write_bytes(r.stdout)
    if not args.bless:
        return
    exe = REPO / "target" / "debug" / "bytescope"
    for old in list(OUT.glob("*.err")) + list(OUT.glob("*.out")):
        old.unlink()
    for name in sorted(cases):
        if name in KNOWN_BUGS:
            (OUT / (name + ".err")).write_text("")
            print("%-34s (known bug: expectation in malformed.rs)" % name)
            continue
        r = subprocess.run([str(exe), "dis", name + ".pyc"], cwd=OUT, capture_output=True, timeout=60)
        err = r.stderr.decode("utf-8", "replace")
        ok = name in EXPECT_OK
        if ok != (r.returncode == 0):
            print("UNEXPECTED: %s exit %d: %s" % (name, r.returncode, err.strip()))
        (OUT / (name + ".err")).write_text(err)
        if r.returncode == 0:
            (OUT / (name + ".out")).write_bytes(r.stdout)
        # `info` usually fails the same way; where it does not, NAME.info.err.
        ri = subprocess.run([str(exe), "info", name + ".pyc"], cwd=OUT, capture_output=True, timeout=60)
        info_err = ri.stderr.decode("utf-8", "replace")
        if info_err != err:
            (OUT / (name + ".info.err")).write_text(info_err)
        print("%-34s %s" % (name, err.strip() or "(exit 0, listing)"))
        if info_err != err:
            print("%-34s info: %s" % ("", info_err.strip() or "(exit 0)"))


if __name__ == "__main__":
    main()
