#!/usr/bin/env python3
"""Mutation fuzzing of the Python package: what cargo-fuzz cannot reach, the binding layer
(conversions, lazy instructions, attribute getters, analyses as Python data, dumps).

Mutates the committed fixture and malformed pycs — as bytes (flips, insertions, deletions,
truncations, splices of two files, large lengths) or, half the time, in one code object's
``co_code``, line table or exception table through ``Code.replace`` (so that the mutation gets
past the marshal reader to the decoders) — loads each mutant with ``bytescope.load`` and, when it
loads, touches everything a user can: every ``co_*`` attribute, ``co_lines``,
``co_positions``, ``exception_table``, ``repr``, every field of every instruction (and
``str`` of it), ``dis``, ``code_info``, ``findlinestarts``, the analyses, ``dumps`` and a
``replace``. Any exception that is not an ``Exception`` (PyO3's ``PanicException`` is a
``BaseException``: a Rust panic) or a call that takes longer than ``--timeout`` seconds is a
finding; its input is written to ``--out``. Run with the package installed:

    python tools/fuzz_python.py --seconds 300 [--seed N] [--out fuzz/python-findings]
"""

import argparse
import warnings
import io
import os
import random
import signal
import sys
import time
from pathlib import Path

import bytescope
import bytescope.analysis
import bytescope.dis as bdis

REPO = Path(__file__).resolve().parent.parent


class Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise Hang()


def corpus():
    files = sorted((REPO / "tests" / "fixtures").glob("*/*.pyc")) + sorted((REPO / "tests" / "malformed").glob("*"))
    return [p.read_bytes() for p in files if p.is_file()]


def mutate(rng, data, seeds):
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        kind = rng.randrange(6)
        if not data:
            data += bytes([rng.randrange(256)])
        at = rng.randrange(len(data))
        if kind == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[at] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, ord("r"), ord("c"), ord(")"), ord("("), ord("z")))
        elif kind == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif kind == 3:
            del data[at:at + rng.randrange(1, 9)]
        elif kind == 4:
            other = rng.choice(seeds)
            if other:
                start = rng.randrange(len(other))
                data[at:] = other[start:start + rng.randrange(1, 200)] + data[at:]
        else:
            # A little-endian length or index made large or negative.
            value = rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFF, 1 << 20))
            data[at:at + 4] = value.to_bytes(4, "little")
    return bytes(data)


FIELDS = ("co_code", "co_linetable", "co_lnotab", "co_exceptiontable")


def mutate_field(rng, data, seeds):
    """A pyc whose marshal is valid but one code object's bytecode or table is mutated: made
    with ``Code.replace`` and written back, so that the mutation reaches the decoders of
    instructions, lines, positions and exception tables instead of stopping the load."""
    try:
        pyc = bytescope.load(data)
        code = rng.choice(pyc.code.walk())
        names = [f for f in FIELDS if hasattr(code, f) and isinstance(getattr(code, f), bytes)]
        if not names:
            return data
        field = rng.choice(names)
        value = mutate(rng, getattr(code, field), seeds)
        if field == "co_lnotab":
            field = "co_lnotab" if code.version < (3, 10) else "co_linetable"
        return pyc.replace(code=code.replace(**{field: value})).to_bytes()
    except Exception:
        return data


def generate(rng, base, seeds):
    """One input: ``base`` mutated as bytes or, half the time, in one code object's field."""
    return mutate_field(rng, base, seeds) if rng.random() < 0.5 else mutate(rng, base, seeds)


def exercise(data):
    try:
        pyc = bytescope.load(data)
    except Exception:
        return
    attrs = None
    for code in pyc.code.walk()[:200]:
        if attrs is None:
            attrs = [a for a in dir(code) if a.startswith("co_")]
        for a in attrs:
            try:
                getattr(code, a)
            except Exception:
                pass
        for call in (lambda: list(code.co_lines()), lambda: list(code.co_positions()),
                     lambda: code.exception_table, lambda: repr(code),
                     lambda: list(bdis.findlinestarts(code)), lambda: bdis.code_info(code),
                     lambda: bytescope.analysis.stack(code), lambda: bytescope.analysis.cfg(code),
                     lambda: bytescope.analysis.check(code), lambda: bytescope.analysis.diff(code, code),
                     lambda: bytescope.dumps(code),
                     lambda: code.replace(co_name="x")):
            try:
                call()
            except Exception:
                pass
        try:
            for ins in bdis.get_instructions(code):
                tuple(ins)
                str(ins)
                ins._asdict()
        except Exception:
            pass
    try:
        bdis.dis(pyc, file=io.StringIO())
    except Exception:
        pass
    try:
        pyc.to_bytes()
    except Exception:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--out", default=str(REPO / "fuzz" / "python-findings"))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    seeds = corpus()
    signal.signal(signal.SIGALRM, _alarm)
    warnings.simplefilter("ignore")  # co_lnotab is deprecated, as in CPython
    end = time.monotonic() + args.seconds
    runs = findings = 0
    while time.monotonic() < end:
        data = generate(rng, rng.choice(seeds), seeds)
        signal.alarm(args.timeout)
        try:
            exercise(data)
        except (Exception, KeyboardInterrupt):
            raise
        except BaseException as e:  # a Rust panic (PanicException) or a hang
            findings += 1
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            name = out / ("finding-%d-%d.pyc" % (seed, runs))
            name.write_bytes(data)
            print("FINDING %s: %s: %s" % (name, type(e).__name__, str(e)[:200]), flush=True)
        finally:
            signal.alarm(0)
        runs += 1
    print("seed %d: %d inputs, %d findings" % (seed, runs, findings))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
