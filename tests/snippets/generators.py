# bytescope-snippet: min=3.3
def countdown(n):
    while n > 0:
        received = yield n
        n -= received or 1
    return "done"


def delegate(n):
    result = yield from countdown(n)
    yield result


def with_cleanup(items):
    try:
        for item in items:
            yield item
    finally:
        items.clear()


lam = lambda: (yield)
