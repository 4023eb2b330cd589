"""Hostile shapes (issue 17) through the Python API: files whose structure multiplies
work (shared references, one large constant loaded a thousand times, a decoy code
object repeated before the real one, code objects sharing one huge field) stay
bounded in time and memory, with the CLI's outcome. The files are built here, as
``crates/cli/tests/shapes/mod.rs`` builds them for the CLI (CPython 3.12 layout;
the small functions' bytecode is what CPython 3.12.1 compiles)."""

import io
import resource
import struct
import time

import pytest

import bytescope
import bytescope.dis as bdis

FLAG_REF = 0x80
MAGIC_312 = struct.pack("<H", 3531) + b"\r\n" + bytes(12)
# Generous bounds for a debug build on a busy 2-core machine.
SECONDS = 5.0
MEGABYTES = 256


class W:
    """A marshal stream being written, counting its reference slots."""

    def __init__(self):
        self.buf = bytearray()
        self.refs = 0

    def head(self, code, ref=False):
        self.buf.append(code | (FLAG_REF if ref else 0))
        if ref:
            self.refs += 1
            return self.refs - 1
        return None

    def i32(self, v):
        self.buf += struct.pack("<i", v)

    def none(self):
        self.buf += b"N"

    def int(self, v):
        self.buf += b"i"
        self.i32(v)

    def bytes(self, b):
        self.buf += b"s" + struct.pack("<I", len(b)) + b

    def str(self, s):
        data = s.encode()
        if s.isascii() and len(data) < 256:
            self.buf += b"z" + bytes([len(data)]) + data
        else:
            self.buf += b"u" + struct.pack("<I", len(data)) + data

    def reference(self, slot):
        self.buf += b"r" + struct.pack("<I", slot)

    def tuple(self, n, ref=False):
        slot = self.head(ord("("), ref)
        self.buf += struct.pack("<I", n)
        return slot

    def frozenset(self, n, ref=False):
        slot = self.head(ord(">"), ref)
        self.buf += struct.pack("<I", n)
        return slot

    def strs(self, items):
        self.tuple(len(items))
        for s in items:
            self.str(s)

    def code(self, name, code, consts, *, flags=0, stacksize=2, names=(), local_names=(),
             firstlineno=1, linetable=b""):
        """A 3.12 code object; ``consts(w)`` writes its co_consts. Returns its slot."""
        slot = self.head(ord("c"), True)
        for v in (0, 0, 0, stacksize, flags):
            self.i32(v)
        self.bytes(code)
        consts(self)
        self.strs(names)
        self.strs(local_names)
        self.bytes(bytes([0x20] * len(local_names)))
        self.str("x.py")
        self.str(name)
        self.str(name)
        self.i32(firstlineno)
        self.bytes(linetable)
        self.bytes(b"")
        return slot


# RESUME 0; RETURN_CONST 0
TRIVIAL = bytes([151, 0, 121, 0])
DECOY = bytes.fromhex("97007900")
REAL = bytes.fromhex("9700640164006c007d007c006a030000000000000000000000000000000000006402ab0100000000000001007900")


def pyc(w):
    return MAGIC_312 + bytes(w.buf)


def empty_consts(w):
    w.tuple(1)
    w.none()


def real_consts(w):
    w.tuple(3)
    w.none()
    w.int(0)
    w.str("id")


def write_real(w):
    w.code("real", REAL, real_consts, flags=3, stacksize=3, names=("os", "system"),
           local_names=("os",), firstlineno=4, linetable=bytes.fromhex("8000db040dd80406874981498864854f"))


def decoy_repeats(repeats):
    w = W()

    def consts(w):
        w.tuple(repeats + 2)
        w.none()
        slot = w.code("decoy", DECOY, empty_consts, flags=3, stacksize=0, firstlineno=2)
        for _ in range(1, repeats):
            w.reference(slot)
        write_real(w)

    w.code("<module>", TRIVIAL, consts)
    return pyc(w)


def decoy_tree(k):
    """d_k holds d_{k-1} twice (the second a reference); then the real function."""
    w = W()

    def level(w, k):
        if k == 0:
            return w.code("decoy", DECOY, empty_consts, flags=3, stacksize=0, firstlineno=2)

        def consts(w):
            w.tuple(3)
            w.none()
            w.reference(level(w, k - 1))

        return w.code("level", DECOY, consts, flags=3, stacksize=0, firstlineno=2)

    def consts(w):
        w.tuple(3)
        w.none()
        level(w, k)
        write_real(w)

    w.code("<module>", TRIVIAL, consts)
    return pyc(w)


def shared_tuple_frozenset(k):
    """frozenset({1, t_k}), t_k = (t_{k-1}, t_{k-1}) through references."""
    w = W()

    def tuples(w, k):
        if k == 0:
            return w.tuple(0, True)
        slot = w.tuple(2, True)
        w.reference(tuples(w, k - 1))
        return slot

    def consts(w):
        w.tuple(1)
        w.frozenset(2)
        w.int(1)
        tuples(w, k)

    w.code("<module>", TRIVIAL, consts)
    return pyc(w)


def big_string_loads(length, loads):
    """One string constant of ``length`` bytes loaded by ``loads`` LOAD_CONSTs."""
    code = bytes([151, 0]) + bytes([100, 0, 1, 0]) * loads + bytes([121, 1])
    w = W()

    def consts(w):
        w.tuple(2)
        w.str("x" * length)
        w.none()

    w.code("<module>", code, consts)
    return pyc(w)


def shared_names(codes, names):
    """``codes`` code objects holding one ``names``-name co_names tuple (a reference)."""
    w = W()

    def consts(w):
        w.tuple(codes)
        slots = {}

        def names_tuple(w):
            if "names" in slots:
                w.reference(slots["names"])
            else:
                slots["names"] = w.tuple(names, True)
                for i in range(names):
                    w.str(f"n{i}")

        for _ in range(codes):
            w.head(ord("c"), True)
            for v in (0, 0, 0, 2, 0):
                w.i32(v)
            w.bytes(TRIVIAL)
            empty_consts(w)
            names_tuple(w)
            w.strs(())
            w.bytes(b"")
            w.str("x.py")
            w.str("f")
            w.str("f")
            w.i32(1)
            w.bytes(b"")
            w.bytes(b"")

    w.code("<module>", TRIVIAL, consts)
    return pyc(w)


class Bounded:
    """Times a block and checks the process's peak memory did not grow past the bound."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        # The process's peak counts what earlier tests used (dask and pyarrow alone pass
        # 256 MB): on Linux the peak is reset here and the growth over the current size
        # measured; elsewhere the whole process's peak is bounded.
        self.base = 0
        if _reset_peak():
            self.base = _status_mb("VmRSS")
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc):
        elapsed = time.monotonic() - self.start
        peak_mb = _status_mb("VmHWM") if self.base else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        assert elapsed < SECONDS, f"{self.what}: {elapsed:.2f} s"
        assert peak_mb - self.base < MEGABYTES, f"{self.what}: peak {peak_mb} MB ({self.base} MB before)"
        return False


def _reset_peak():
    """Resets the process's peak resident size (Linux: ``5`` to ``/proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_mb("VmRSS") > 0
    except OSError:
        return False


def _status_mb(key):
    """A ``/proc/self/status`` size (``VmRSS``, ``VmHWM``) in MB, 0 if there is none."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def load(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return bytescope.load(str(path))


def test_decoy_repeated_before_the_real_function(tmp_path):
    pyc = load(tmp_path, "decoy.pyc", decoy_repeats(30))
    out = io.StringIO()
    with Bounded("dis"):
        bdis.dis(pyc, file=out)
    text = out.getvalue()
    # As CPython 3.12.1's dis lists it: the decoy 30 times, then the real one.
    assert text.count("Disassembly of <code object decoy") == 30
    assert text.count("Disassembly of <code object real") == 1
    assert "IMPORT_NAME              0 (os)" in text
    names = [c.co_name for c in pyc.code.walk()]
    assert names.count("decoy") == 30 and names[-1] == "real"


def test_decoy_tree_lists_every_code_object_and_says_what_it_left_out(tmp_path):
    pyc = load(tmp_path, "decoy_tree.pyc", decoy_tree(40))
    out = io.StringIO()
    with Bounded("dis"), pytest.raises(bytescope.Error, match="every code object is shown, but "):
        bdis.dis(pyc, file=out)
    text = out.getvalue()
    assert text.count("Disassembly of <code object level") >= 40
    assert "Disassembly of <code object decoy" in text
    assert "Disassembly of <code object real" in text
    with Bounded("walk"):
        codes = pyc.code.walk()
    assert {c.co_name for c in codes} == {"<module>", "level", "decoy", "real"}
    # A small tree is listed in full, as CPython lists it (31 + real).
    small = load(tmp_path, "decoy_tree_4.pyc", decoy_tree(4))
    out = io.StringIO()
    bdis.dis(small, file=out)
    assert out.getvalue().count("Disassembly of") == 32


def test_shared_tuples_in_a_frozenset(tmp_path):
    # 2^40 leaves expanded; the repr is that long in CPython too: a budget error.
    pyc = load(tmp_path, "shared_tuple_frozenset.pyc", shared_tuple_frozenset(40))
    for what, call in [
        ("dis", lambda: bdis.dis(pyc, file=io.StringIO())),
        # Instructions are lazy: the argument text is made (and budgeted) when read.
        ("get_instructions", lambda: [i.argrepr for i in bdis.get_instructions(pyc.code)]),
        ("code_info", lambda: bdis.code_info(pyc.code)),
    ]:
        with Bounded(what), pytest.raises(bytescope.Error, match="longer than|output stopped at"):
            call()


@pytest.mark.parametrize("loads", [1000])
def test_one_large_constant_loaded_a_thousand_times(tmp_path, loads):
    # 1 MiB: each instruction's argrepr is a 1 MiB repr; all of them would be 1 GB.
    pyc = load(tmp_path, "big_const.pyc", big_string_loads(1 << 20, loads))
    budget = bytescope._native.output_limit(pyc.code)
    for what, call in [
        ("dis", lambda: bdis.dis(pyc, file=io.StringIO())),
        # Instructions are lazy: the argument text is made (and budgeted) when read.
        ("get_instructions", lambda: [i.argrepr for i in bdis.get_instructions(pyc.code)]),
        ("Bytecode.dis", lambda: bdis.Bytecode(pyc.code).dis()),
    ]:
        with Bounded(what), pytest.raises(bytescope.Error, match=f"output stopped at {budget} bytes"):
            call()
    # Within the budget, the instructions are CPython's.
    small = load(tmp_path, "small_const.pyc", big_string_loads(100, 10))
    instrs = list(bdis.get_instructions(small.code))
    assert [i.opname for i in instrs][:3] == ["RESUME", "LOAD_CONST", "POP_TOP"]
    assert instrs[1].argval == "x" * 100 and instrs[1].argrepr == repr("x" * 100)


def test_code_objects_sharing_one_huge_field(tmp_path):
    # 2,000 code objects holding one 20,000-name tuple: checking each at load read
    # it 2,000 times (20,000 x 50,000 names took 50 s).
    data = shared_names(2000, 20000)
    path = tmp_path / "shared_names.pyc"
    path.write_bytes(data)
    with Bounded("load"), pytest.raises(bytescope.Error, match="share fields .* beyond the budget"):
        bytescope.load(str(path))
