"""The body of tools/fuzz_python.py (the Python package's mutation fuzzer) over a fixed set of
mutants of every fixture and malformed file: every getter, instruction field, listing,
analysis and write of each must end in a value or an ``Exception`` — never a Rust panic
(PyO3's ``PanicException`` is a ``BaseException``) — within the time bound."""

import random
import signal
import time
import warnings

import pytest

from conftest import script

FUZZ = script("tools/fuzz_python.py")


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the time bound uses SIGALRM")
def test_mutants_end_in_values_or_exceptions():
    rng = random.Random(20261207)
    seeds = FUZZ.corpus()
    signal.signal(signal.SIGALRM, FUZZ._alarm)
    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(400):
            data = FUZZ.generate(rng, seeds[i % len(seeds)], seeds)
            signal.alarm(20)
            try:
                FUZZ.exercise(data)  # a panic or FUZZ.Hang propagates and fails the test
            finally:
                signal.alarm(0)
    assert time.monotonic() - start < 120
