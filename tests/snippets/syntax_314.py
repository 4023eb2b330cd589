# bytescope-snippet: min=3.14
greeting = t"hello {name}"
detailed = t"{name!r:>{width}} and {width=}"
joined = t"a{name}" t"b"


def unparenthesized(f):
    try:
        f()
    except ValueError, TypeError:
        return 1
    try:
        f()
    except* KeyError, IndexError:
        pass
