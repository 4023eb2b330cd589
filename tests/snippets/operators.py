# bytescope-snippet: min=3.5
def arithmetic(a, b):
    return (a + b, a - b, a * b, a / b, a // b, a % b, a ** b, a @ b,
            a << b, a >> b, a & b, a | b, a ^ b, -a, +a, ~a, not a)


def inplace(a, b, obj, seq):
    a += b
    a -= b
    a *= b
    a /= b
    a //= b
    a %= b
    a **= b
    a @= b
    a <<= b
    a >>= b
    a &= b
    a |= b
    a ^= b
    obj.attr += 1
    seq[0] -= 2
    return a


def comparisons(a, b, c, d):
    r1 = a < b < c
    r2 = a < b == c != d >= a
    r3 = a in b, a not in b, a is b, a is not b
    if 0 < a <= 10:
        return a and b or not c
    return r1, r2, r3, (c if a else d)
