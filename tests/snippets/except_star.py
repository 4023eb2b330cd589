# bytescope-snippet: min=3.11
def handle(f):
    try:
        f()
    except* ValueError as eg:
        log = eg.exceptions
    except* (TypeError, KeyError):
        raise RuntimeError("os")
    else:
        log = "ok"
    finally:
        print("done")
    return log
