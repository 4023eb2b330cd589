# bytescope-snippet: min=3.0
counter_total = 0


def make_counter(start):
    count = start

    def increment(step=1):
        nonlocal count
        count += step
        return count

    return increment


def bump_global():
    global counter_total
    counter_total += 1
    return counter_total


def three_levels(a):
    def middle():
        b = a + 1
        return lambda c: a + b + c
    return middle


def make_adders(n):
    return [lambda x, i=i: x + i for i in range(n)]


identity = lambda x: x
varargs = lambda *a, k=None, **kw: (a, k, kw)
conditional = lambda v: "pos" if v > 0 else "neg" if v < 0 else "zero"
no_args = lambda: None
default_lambda = (lambda f=lambda: 1: f())()
