# bytescope-snippet: min=3.0
a = seq[1:5]
b = seq[::2]
c = seq[1:10:-3]
d = seq[:]
e = seq[-3:]
h = seq[None:None:None]
i = seq[0:1000000000000]
j = seq["a":"b"]
k = seq[1.5:2.5:(1, 2)]


def dynamic(s, lo, hi, step):
    s[lo:hi] = s[lo:hi:step]
    s[::2] = s[:hi]
    del s[lo:]
    del s[:1]
    return s[1:2, 3], s[..., 0], s[:, ::2]
