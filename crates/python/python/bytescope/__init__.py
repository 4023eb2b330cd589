"""bytescope: the ``dis``, ``marshal`` and code objects of every CPython version
(2.7, 3.0-3.15), from any CPython 3.9 or later, without running anything.

    >>> import bytescope
    >>> pyc = bytescope.load("mod.cpython-312.pyc")      # any version's .pyc
    >>> pyc.version, pyc.code.co_name
    ((3, 12), '<module>')
    >>> bytescope.dis.dis(pyc)                           # exactly what CPython 3.12's dis prints

``load`` and ``loads`` read pycs and marshal data, ``load_all`` every pyc in trees, archives and
frozen applications; :class:`Code` has every ``co_*``
attribute of its version; :mod:`bytescope.dis` is a drop-in ``dis`` working in the code's
own version; :func:`scan` gives the CLI's JSON Lines records of whole trees and archives.
Malformed input raises :class:`Error` (a ``ValueError``) naming the file and byte offset.
"""

from . import _native
from ._native import Code, Error, Pyc, load, load_all, loads, versions
from ._scan import scan


def __getattr__(name):
    # bytescope.dis and bytescope.analysis are imported when first used, so that
    # ``python -m bytescope.dis`` runs the module once (runpy warns when the package has
    # imported it already) and ``import bytescope`` stays quick.
    if name in ("analysis", "dis"):
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | {"analysis", "dis"})


def dumps(x, version=None):
    """Marshal data as a version's ``marshal.dumps`` writes it, by bytescope's write path.

    A :class:`Code` (or a :class:`Pyc`'s module code) is written in its own version's format:
    ``bytescope.loads(bytescope.dumps(code), code.version)`` gives an equal code object (also
    for code made by :meth:`Code.replace`). Any other value — None, bool, int, float, complex,
    str, bytes, tuple, list, set, frozenset, dict, slice, Ellipsis, nested :class:`Code` of that
    version — needs ``version`` (``(3, 12)`` or ``"3.12"``) and is written in that version's
    format: ``bytescope.dumps((1, "a"), version="2.7")`` is what Python 2.7's ``marshal.dumps``
    gives for it (Python 2 ``str`` are ``bytes``)."""
    if isinstance(x, Pyc):
        x = x.code
    if isinstance(x, Code) and version is None:
        return _native.dumps_code_object(x)
    return _native.dumps_constant(x, version)


__all__ = ["Code", "Error", "Pyc", "analysis", "dis", "dumps", "load", "load_all", "loads", "scan", "versions"]
