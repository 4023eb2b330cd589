"""bytescope: the ``dis``, ``marshal`` and code objects of every CPython version
(2.7, 3.0-3.15), from any CPython 3.9 or later, without running anything.

    >>> import bytescope
    >>> pyc = bytescope.load("mod.cpython-312.pyc")      # any version's .pyc
    >>> pyc.version, pyc.code.co_name
    ((3, 12), '<module>')
    >>> bytescope.dis.dis(pyc)                           # exactly what CPython 3.12's dis prints

``load`` and ``loads`` read pycs and marshal data; :class:`Code` has every ``co_*``
attribute of its version; :mod:`bytescope.dis` is a drop-in ``dis`` working in the code's
own version; :func:`scan` gives the CLI's JSON Lines records of whole trees and archives.
Malformed input raises :class:`Error` (a ``ValueError``) naming the file and byte offset.
"""

from . import analysis, dis
from . import _native
from ._native import Code, Error, Pyc, load, loads, versions
from ._scan import scan



def dumps(x):
    """The marshal data of a code object (a :class:`Code`, or a :class:`Pyc`'s module code),
    written in the code's own version's format by bytescope's write path, as that version's
    ``marshal.dumps`` would write it: ``bytescope.loads(bytescope.dumps(code), code.version)``
    gives an equal code object (also for code made by :meth:`Code.replace`). Constants
    other than code objects are not supported yet."""
    if isinstance(x, Pyc):
        x = x.code
    if not isinstance(x, Code):
        raise TypeError(f"bytescope.dumps takes a Code or a Pyc, not {type(x).__name__}")
    return _native.dumps_code_object(x)


__all__ = ["Code", "Error", "Pyc", "analysis", "dis", "dumps", "load", "loads", "scan", "versions"]
