# bytescope-snippet: min=3.0
def full(f):
    try:
        value = f()
    except (KeyError, IndexError) as exc:
        value = str(exc)
    except AppError:
        raise
    except Exception as exc:
        raise RuntimeError("wrapped") from exc
    else:
        value = value * 2
    finally:
        f.close()
    return value


def bare_and_nested(f, g):
    try:
        try:
            return f()
        except:
            raise TypeError("no context") from None
    except TypeError as outer:
        return g(outer)


def in_loop(items):
    for item in items:
        try:
            if item is None:
                continue
            if item == 0:
                break
        finally:
            items.pop()
    return items
