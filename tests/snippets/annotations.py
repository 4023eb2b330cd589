# bytescope-snippet: min=3.6
import typing

x: int = 1
y: typing.List[int]
(paren): int = 2
obj.attr: int = 3
table["k"]: str = "v"


def func(a: int, *, c: typing.Optional[int] = None) -> typing.Tuple[int, str]:
    local: int = a
    unassigned: float
    return local


class Model:
    name: str
    size: int = 0

    def method(self) -> "Model":
        self.cache: dict = {}
        return self
