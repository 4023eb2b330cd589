"""Analyses of code objects of any version, as plain Python data: the same facts as the
CLI's JSON records.

    >>> import bytescope, bytescope.analysis
    >>> code = bytescope.load("mod.cpython-312.pyc").code
    >>> s = bytescope.analysis.stack(code)
    >>> s["co_stacksize"], s["computed_stacksize"]
    (4, 4)
    >>> s["instructions"][0]
    {'offset': 0, 'opname': 'RESUME', 'arg': 0, 'argrepr': '', 'depth_before': 0, 'depth_after': 0, 'stack': []}

``x`` is what :mod:`bytescope.dis` takes: a :class:`bytescope.Code`, a :class:`bytescope.Pyc`, a
path or the bytes of a ``.pyc``, or a live host function, class, module or code object.
"""

import json

from . import _native
from .dis import _get_code

__all__ = ["stack"]


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
