"""``python -m bytescope FILE``: the same as ``python -m bytescope.dis FILE`` (see
:func:`bytescope.dis.main`)."""

from .dis import main

main()
