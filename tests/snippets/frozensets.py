# bytescope-snippet: min=3.2
# Set literals used with `in` become frozenset constants.  No None, Ellipsis
# or NaN members: their hash (and thus the printed order) depends on addresses.


def membership(x):
    return (
        x in {-1, -2, 0, 7, 8, 15, 16, 31, 1000, 2 ** 40, -1180591620717411303424},
        x in {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
        x in {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
        x in {b"x", b"yy", b"zzz", b""},
        x in {(1, 2), (3, 4), ("a", "b"), (b"c", 5)},
        x in {1, "1", b"1", (1,), 1.5, 2j},
        x not in {"no", "never", "caf\u00e9", "\u4e2d", "\U0001F600"},
    )


for word in {"red", "green", "blue", "cyan", "magenta"}:
    print(word)
