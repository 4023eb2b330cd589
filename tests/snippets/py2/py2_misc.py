# bytescope-snippet: min=2.7 max=2.7
from __future__ import division, print_function, absolute_import, unicode_literals
import os.path as osp
from os import path as p, sep
from . import sibling

ratio = 7 / 2
floor = 7 // 2
text = "unicode by default"
print("function", end="")


def slices(s):
    return s[1:2], s[::2], s[1:2:3], s[:]


def globals_and_del(x):
    global counter
    counter = x
    del counter
    assert x, "message"
    return x if x else -x


def many_args(a, b=1, *args, **kwargs):
    return a, b, args, kwargs


def chained(a, b, c):
    return a < b < c, a is not b, a not in c
