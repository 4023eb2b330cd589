# bytescope-snippet: min=3.2
import sys

a = b = c = 0
x, = [1]
counter = {}
counter["hits"] = counter.get("hits", 0) + 1
o.value += 2
del a, counter["hits"]


def deletions(obj, d, s, key):
    local = 1
    del local
    del obj.attr
    del d[key], s[1:3]
    del (obj.a, [obj.b])


def globals_and_asserts(x, msg):
    global counter
    del counter
    assert x
    assert x > 0, "x must be positive"
    assert isinstance(x, int), msg % (x,)


def delete_cell():
    captured = 1

    def use():
        return captured
    del captured
    return use


def empty():
    pass


def early_exit(flag):
    if flag:
        return 1
    elif flag is None:
        return
    else:
        pass


if __name__ == "__main__":
    print("main", end="", file=sys.stderr)
