# bytescope-snippet: min=2.7 max=2.7
def handle(f):
    try:
        f()
    except (KeyError, IndexError), e:
        return e
    except ValueError, e:
        raise TypeError, "converted"
    except:
        raise
    else:
        return None
    finally:
        print "cleanup"


def raise_three(tb):
    raise ValueError, "message", tb


def with_stmt(path):
    with open(path) as f, open(path) as g:
        return f.read() + g.read()


def loops(items):
    for i in xrange(10):
        if i in items:
            continue
        while i:
            i -= 1
            if i == 3:
                break
        else:
            pass
    return [x for x in items if x], (y for y in items)


def generator(n):
    for i in range(n):
        yield i
    x = yield
    print x
