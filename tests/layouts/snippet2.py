# Compiles under Python 2.7 and 3.x: closures, defaults, a class, a loop.
import os


def outer(a, b=2, *args, **kw):
    total = a + b

    def inner(x):
        return x + total + a

    for i in range(3):
        total += i
    return inner(len(args) + len(kw))


class Point(object):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


try:
    value = outer(1, 2, 3, k=4)
except ValueError as e:
    value = str(e)
