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
from ._native import Code, Error, Pyc, load, loads, versions
from ._scan import scan

__all__ = ["Code", "Error", "Pyc", "analysis", "dis", "load", "loads", "scan", "versions"]
