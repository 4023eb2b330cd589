# bytescope-snippet: min=3.1
def single(path):
    with open(path) as f:
        return f.read()


def multiple(a, b, lock):
    with open(a) as fa, open(b) as (x, y):
        with lock:
            pass
        return fa.read(), x, y


def in_loop(locks):
    for lock in locks:
        with lock:
            if lock.skip:
                continue
            if lock.stop:
                break
    return len(locks)
