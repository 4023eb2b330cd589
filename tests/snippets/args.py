# bytescope-snippet: min=3.0
def defaults(a, b=1, c="two", d=None, e=(1, 2), f=-1.5):
    return a, b, c, d, e, f


def kwonly(a, *, b, c=3):
    return a + b + c


def everything(a, b=2, *args, c, d=4, **kwargs):
    return a, b, args, c, d, kwargs


def annotated(a: int, b: "str" = "x", *args: float, c: bytes = b"", **kw: dict) -> list:
    return [a, b, args, c, kw]


def calls(obj):
    defaults(1, c="C", f=0.0)
    everything(1, 2, 3, 4, c=5, e=6)
    obj.method(1, *[2, 3], key="v", **{"a": 1})
    return obj.method(*obj.args, **obj.kwargs)
