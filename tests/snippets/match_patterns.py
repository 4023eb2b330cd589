# bytescope-snippet: min=3.10
import enum


class Color(enum.Enum):
    RED = 1


def classify(subject):
    match subject:
        case None:
            return "none"
        case True | False:
            return "bool"
        case 0 | -1 | 1.5 | -2j | 1 + 2j:
            return "number"
        case "text" | b"bytes":
            return "literal"
        case Color.RED:
            return "value"
        case [] | ():
            return "empty"
        case [1, 2, *rest]:
            return rest
        case [first, *_, last]:
            return first, last
        case {"kind": "point", "x": x, **rest}:
            return x, rest
        case Point(0, y=y) if y > 0:
            return y
        case (str() | bytes()) as s:
            return s
        case (a, (b, c)):
            return a, b, c
        case _:
            return "other"
