# Python 3.8+: positional-only and keyword-only parameters, closures,
# exception handling.
import os


def outer(a, b, /, c=1, *, d, **kw):
    total = a + b + c + d

    def inner(x):
        return x + total + a

    try:
        return inner(len(kw))
    except ValueError as e:
        return str(e)
    finally:
        total = 0


class Point:
    def __init__(self, x, y, *, z=0):
        self.x = x
        self.y = y
        self.z = z


value = outer(1, 2, d=4)
