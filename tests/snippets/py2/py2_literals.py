# bytescope-snippet: min=2.7 max=2.7
# -*- coding: utf-8 -*-
longs = (10L, -5L, 0L, 123456789012345678901234567890L, 0x7fffffffL)
ints = (0, 1, -1, 2147483647, 2147483648, 9223372036854775807, 9223372036854775808, 2 ** 40)
octal = (0777, 0o17, 0x1f, 0b101)
byte_str = ("plain", "tab\there", "\x00\xff", "caf\xc3\xa9", 'quote\'s', "")
uni = (u"", u"unicode", u"caf\u00e9", u"\U0001F600", u"\ud800", u"é直接", u"\x00\u200b")
raw = (r"\d+", ur"\u00e9", br"\n") if False else None
floats = (0.0, -0.0, 1e16, 1e-5, 1e400, -1e400, 0.1, 1.5)
complexes = (1j, -0j, (1+2j), 1e400j)
nested = ((1, (2, "three")), (u"four", (5L, None)), ())
members = lambda x: x in {1, 2, 3} or x in ("a", "b")
singletons = (None, True, False, Ellipsis)
