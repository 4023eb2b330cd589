# bytescope-snippet: min=3.9
def parenthesized(a, b):
    with (
        open(a) as fa,
        open(b),
    ):
        return fa.read()
