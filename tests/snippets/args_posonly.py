# bytescope-snippet: min=3.8
def posonly(a, b=2, /, c=3, *args, d, e=5, **kw):
    return a, b, c, args, d, e, kw


class Point:
    def __init__(self, x, y, /, *, z=0):
        self.x, self.y, self.z = x, y, z


f = lambda a, /, b, *, c: (a, b, c)
posonly(1, d=4)
