"""Value types the native module builds: named tuples, the 3.15 ``frozendict``
for hosts without one, and what ``dis`` shows for special arguments."""

import builtins
import collections
from collections.abc import Mapping

Positions = collections.namedtuple(
    "Positions", ["lineno", "end_lineno", "col_offset", "end_col_offset"], defaults=[None] * 4
)
Positions.__module__ = "bytescope.dis"
Positions.__doc__ = "Source positions of an instruction (3.11+), as ``dis.Positions``."

ExceptionTableEntry = collections.namedtuple("_ExceptionTableEntry", "start end target depth lasti")
ExceptionTableEntry.__doc__ = """One exception-table entry (3.11+), as ``dis._parse_exception_table`` gives it:
byte offsets ``start``..``end`` (exclusive) are handled at ``target`` after unwinding the
stack to ``depth``; ``lasti`` says whether the raising instruction's offset is pushed."""


class frozendict(Mapping):
    """A read-only, hashable mapping in insertion order: CPython 3.15's ``frozendict``
    constants as read on a host Python that has no such type."""

    __slots__ = ("_d", "_hash")

    def __init__(self, items=()):
        self._d = dict(items)
        self._hash = None

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(frozenset(self._d.items()))
        return self._hash

    def __eq__(self, other):
        if isinstance(other, Mapping):
            return self._d == dict(other.items())
        return NotImplemented

    def __repr__(self):
        return f"frozendict({self._d!r})" if self._d else "frozendict()"


class _Unknown:
    """``dis.UNKNOWN``: an argument ``dis`` cannot resolve (3.11)."""

    def __repr__(self):
        return "<unknown>"


# The host's own sentinel where its dis has one (3.11+), so ``argval is dis.UNKNOWN`` holds.
import dis as _dis

UNKNOWN = getattr(_dis, "UNKNOWN", None) or _Unknown()
del _dis

_COMMON = {}


def _common_constant(text):
    """The object a 3.14+ ``LOAD_COMMON_CONSTANT`` loads, from the text ``dis`` shows
    (``AssertionError``, ``<built-in function all>``, ``None``, ``''``...)."""
    try:
        return _COMMON[text]
    except KeyError:
        pass
    if text.startswith("<built-in function ") and text.endswith(">"):
        value = getattr(builtins, text[len("<built-in function "):-1], text)
    elif text.isidentifier() and text not in ("None", "True", "False"):
        value = getattr(builtins, text, text)
    else:
        import ast

        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
    _COMMON[text] = value
    return value
