"""Analyses of code objects of any version, as plain Python data: the same facts as the
CLI's JSON records.

    >>> import bytescope, bytescope.analysis
    >>> code = bytescope.load("mod.cpython-312.pyc").code
    >>> s = bytescope.analysis.stack(code)
    >>> s["co_stacksize"], s["computed_stacksize"]
    (4, 4)
    >>> s["instructions"][0]
    {'offset': 0, 'opname': 'RESUME', 'arg': 0, 'argrepr': '', 'depth_before': 0, 'depth_after': 0, 'stack': []}

    >>> codes = {c.co_name: c for c in code.walk()}   # crates/analysis/tests/snippets/stack_example.py
    >>> g = bytescope.analysis.cfg(codes["guarded"])
    >>> [(e["from"], e["to"], e["kind"]) for e in g["edges"]][:3]
    [(0, 1, 'exception'), (1, 4, 'branch_taken'), (1, 2, 'branch_not_taken')]
    >>> bytescope.analysis.check(codes["scaled"])["findings"]
    []
    >>> d = bytescope.analysis.diff(codes["manual"], codes["comprehension"])
    >>> d["same"], d["pairs"][0]["a_summary"]["loops"], d["pairs"][0]["b_summary"]["loops"]
    (False, [{'header': 10, 'depth': 1, 'per_iteration': [10, 10]}], [{'header': 14, 'depth': 1, 'per_iteration': [7, 7]}])

``x`` is what :mod:`bytescope.dis` takes: a :class:`bytescope.Code`, a :class:`bytescope.Pyc`, a
path or the bytes of a ``.pyc``, or a live host function, class, module or code object. The
records are those of ``bytescope stack``, ``cfg``, ``check`` and ``diff --json`` (schemas in
``docs/schemas``), made by the same code; the per-code-object ones leave out ``path`` and
``member``.
"""

import json

from . import _native
from ._native import Code, Pyc
from .dis import _get_code, _host_code_object

__all__ = ["cfg", "check", "diff", "stack"]


def stack(x, *, summary=False, width=40):
    """The stack analysis of one code object (not its nested ones: see ``Code.walk()``).

    A dict, the record of ``bytescope stack --json`` without ``path`` and ``member``:
    ``qualname``, ``firstlineno``, ``co_stacksize`` (as the file declares it),
    ``computed_stacksize`` (what the version's compiler computes: equal for code a compiler
    wrote), ``instructions`` (each with ``offset``, ``opname``, ``arg``, ``argrepr``,
    ``depth_before`` and ``depth_after`` — None where unreachable — and ``stack``, the
    stack after it bottom first, each slot the short expression that produced it, cut to
    ``width`` characters with ``…``), and ``problems`` (``offset`` and ``kind``: what is
    wrong with crafted code, such as ``bad_jump_target``). ``summary=True`` leaves out
    ``instructions``."""
    return json.loads(_native.stack_json(_get_code(x), bool(summary), int(width)))


def cfg(x):
    """The control-flow graph of one code object (not its nested ones: see ``Code.walk()``).

    A dict, the record of ``bytescope cfg --json`` without ``path`` and ``member``: ``index``
    (the code object's position in its file, pre-order), ``qualname``, ``firstlineno``,
    ``blocks`` (``id``, ``start`` and ``end`` offsets, ``offsets`` of its instructions,
    ``reachable``, ``handler``, ``idom``: the immediate dominator), ``edges`` (``from``,
    ``to``, ``kind`` — ``fallthrough``, ``jump``, ``branch_taken``, ``branch_not_taken`` or
    ``exception`` — ``back`` for loop back edges, and ``depth``/``lasti`` on exception
    edges), ``loops`` (``header``, ``latches``, ``blocks``, ``parent``, ``depth``,
    ``per_iteration``: the fewest and most instructions one iteration runs, as ``min`` and
    ``max``) and ``loops_truncated``."""
    return json.loads(_native.cfg_json(_get_code(x)))


def check(x):
    """The consistency checks of one code object (not its nested ones: see ``Code.walk()``):
    what CPython's compiler always gets right and hand-edited bytecode gets wrong.

    A dict, the record of ``bytescope check --json`` without ``path`` and ``member``:
    ``index``, ``qualname``, ``firstlineno``, ``co_stacksize`` (declared),
    ``computed_stacksize`` (what the version's compiler computes), ``needed_stacksize``
    (the deepest the code's stack goes) and ``findings``: each with ``offset`` (None for
    code-object-wide findings), ``kind`` (``stacksize_too_small``, ``bad_jump_target``,
    ``unknown_opcode``, ``arg_out_of_range``, ``unreachable``, ...), the kind's fields, and
    ``message``, the line ``bytescope check`` prints. Empty ``findings``: nothing wrong."""
    return json.loads(_native.check_json(_get_code(x)))


def _named(x):
    """Whether ``x`` picks a code object (its qualname is shown) rather than a whole file."""
    if isinstance(x, Code):
        return True
    if isinstance(x, Pyc):
        return False
    if _host_code_object(x) is not None:
        return True
    return not isinstance(x, (str, bytes, bytearray, memoryview)) and not hasattr(x, "__fspath__")


def diff(a, b, *, offsets=False, args=False, caches=False, lines=False):
    """Compare the instructions of ``a`` and ``b`` (and of the code objects nested in each), of
    any CPython versions, as ``bytescope diff --json`` does.

    Nested code objects are paired by qualified name relative to ``a`` and ``b``.
    Instructions are aligned by Myers' diff on their name and resolved argument —
    constants by value, names by name, jumps by kind only — so offsets, operand indices,
    EXTENDED_ARG, inline caches and line numbers do not count unless asked for:
    ``offsets=True`` compares offsets (and jumps by target offset), ``args=True`` raw
    arguments and EXTENDED_ARG prefixes, ``caches=True`` inline cache entries (3.11+),
    ``lines=True`` line numbers.

    A dict: ``a`` and ``b`` (``path``, ``qualname`` — None for a whole file — and
    ``version``), ``same``, and ``pairs``: per pair of code objects ``a`` and ``b`` (the
    qualified names; None where one side has no partner), ``ops`` (``tag`` — ``equal``,
    ``delete`` or ``insert`` — with ``a_start``/``a_end``/``b_start``/``b_end``, indices
    into the instruction lists), ``a_instructions`` and ``b_instructions`` (the texts
    compared), and ``a_summary``/``b_summary`` (``instructions``, and ``loops`` with each
    loop's ``header`` offset, ``depth`` and ``per_iteration`` as ``[min, max]``)."""
    return json.loads(_native.diff_json(_get_code(a), _get_code(b), _named(a), _named(b), bool(offsets),
                                        bool(args), bool(caches), bool(lines)))
