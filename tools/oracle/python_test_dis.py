"""Runs this interpreter's own Lib/test/test_dis.py with bytescope.dis put in place of dis,
and prints one JSON line: tests run, passed, failed, errored, skipped, and the failures
grouped by class (driven by tools/conformance_python.py --test-dis)."""

import collections
import inspect  # noqa: F401  (modules that import dis at import time get the real one)
import json
import re
import sys
import traceback
import unittest

import bytescope.dis as bdis

sys.modules["dis"] = bdis
try:
    from test import test_dis
except Exception as e:  # noqa: BLE001
    print(json.dumps({"error": "cannot import test.test_dis: %s: %s" % (type(e).__name__, e)}))
    sys.exit(0)


def classify(err):
    exc_type, exc, tb = err
    text = str(exc)
    if exc_type is AttributeError:
        m = re.search(r"has no attribute '([^']+)'", text)
        return "AttributeError: no %s" % (m.group(1) if m else text[:60])
    if exc_type is NotImplementedError:
        return "NotImplementedError: " + text[:70]
    if exc_type is AssertionError:
        frames = traceback.extract_tb(tb)
        test_frame = [f for f in frames if f.filename.endswith("test_dis.py")]
        where = test_frame[-1].name if test_frame else "?"
        return "AssertionError in " + where
    return "%s: %s" % (exc_type.__name__, re.sub(r"0x[0-9a-f]+|\d+", "N", text)[:70])


def flat(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flat(t)
        else:
            yield t


class One(unittest.TestResult):
    """The outcome of one test: its first failure (subtests included)."""

    def __init__(self):
        super().__init__()
        self.err = None
        self.skip = False

    def addFailure(self, test, err):
        self.err = self.err or err

    def addError(self, test, err):
        self.err = self.err or err

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self.err = self.err or err

    def addSkip(self, test, reason):
        self.skip = True


counter = collections.Counter()
run = passed = skipped = 0
for test in flat(unittest.TestLoader().loadTestsFromModule(test_dis)):
    one = One()
    test.run(one)
    run += 1
    if one.skip:
        skipped += 1
    elif one.err is None:
        passed += 1
    else:
        counter[classify(one.err)] += 1
print(json.dumps({"run": run, "passed": passed, "failed": run - passed - skipped, "skipped": skipped,
                  "classes": dict(counter.most_common())}))
