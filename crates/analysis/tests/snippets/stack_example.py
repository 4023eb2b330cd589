# The stack analysis's worked example (bytescope stack): every version from 2.7 on.
import math


def scaled(x):
    y = 0.5 * math.sqrt(x)
    return y


def manual(rows):
    out = []
    for row in rows:
        out.append(row * 2)
    return out


def comprehension(rows):
    return [row * 2 for row in rows]


def guarded(table, key, default=None):
    try:
        return table[key]
    except (KeyError, IndexError) as e:
        raise ValueError(key, e)
    finally:
        table.clear()


def keywords(f, a, b):
    return f(a, b=b, *a, **b)


def generator(n):
    for i in range(n):
        yield i, -i
