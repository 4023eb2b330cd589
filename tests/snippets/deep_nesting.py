# bytescope-snippet: min=3.0
def deep_blocks(data, cm):
    total = 0
    for a in data:
        if a:
            while a:
                try:
                    with cm as c:
                        for b in c:
                            if b > 1:
                                try:
                                    total += b
                                finally:
                                    a = None
                except ValueError:
                    break
    return total


def level1(x1):
    def level2(x2):
        def level3(x3):
            def level4(x4):
                return x1 + x2 + x3 + x4
            return level4
        return level3
    return level2


deep_expr = ((((((1, 2), 3), 4), 5), 6), 7)
