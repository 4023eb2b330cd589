# bytescope-snippet: min=3.0
data = [1, 2, 3, 4]
squares = [x * x for x in data]
evens = {x for x in data if x % 2 == 0}
mapping = {str(k): v for k, v in enumerate(data) if k if v > 2}
nested = [(a, b) for a in range(3) for b in range(a) if a != b]
matrix = [[row * col for col in range(row)] for row in data]


def with_closure(limit):
    scale = 10
    return sum(x * scale for x in range(limit) if x)


class InClass:
    base = 3
    values = [base for _ in range(2)]
