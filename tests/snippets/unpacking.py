# bytescope-snippet: min=3.5
a, b = b, a
first, *middle, last = range(10)
(p, q), [r, *s] = (1, 2), [3, 4]

merged_list = [*middle, *first, 0]
merged_set = {*middle, *"xy"}
merged_dict = {**{"a": 1}, "b": 2, **middle}
merged_tuple = (*middle, *last)


def call_forms(f, args, more, kw, extra):
    f(*args, *more)
    f(1, *args, 2, key=3, **kw)
    f(**kw, **extra)
    for k, *vs in args:
        a, b, c = c, a, b
