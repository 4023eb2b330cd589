# bytescope-snippet: min=2.7 max=2.7
class OldStyle:
    attr = 1

    def method(self):
        return self.attr


class NewStyle(object):
    __metaclass__ = type
    __slots__ = ("a",)

    def __init__(self, a):
        super(NewStyle, self).__init__()
        self.a = a

    @classmethod
    def build(cls):
        return cls(0)

    @staticmethod
    def helper(x):
        return [y for y in x if y]

    @property
    def doubled(self):
        return self.a * 2


def closure(n):
    def inner(m):
        return n + m
    return inner


def tuple_params((a, b), c=1):
    return a, b, c


unpack_lambda = lambda (x, y): x + y
dict_comp = dict((k, v) for k, v in [(1, 2)])
set_lit = {1, 2, 3}
set_comp = {c for c in "abc"}
