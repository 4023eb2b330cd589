# bytescope-snippet: min=3.0
def for_else(items, target):
    for i, item in enumerate(items):
        if item == target:
            break
    else:
        i = -1
    return i


def while_else(n):
    while n > 0:
        n -= 1
        if n == 5:
            continue
    else:
        n = None
    while True:
        if n:
            return n


def nested(rows):
    total = 0
    for row in rows:
        for col in row:
            if col < 0:
                continue
            total += col
    return total
