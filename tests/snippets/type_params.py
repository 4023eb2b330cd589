# bytescope-snippet: min=3.12
def first[T](items: list[T]) -> T:
    return items[0]


def constrained[S: (int, str), *Ts, **P](a: S, *args: *Ts) -> S:
    return a


class Box[T: int]:
    def map[U](self, f: "Callable[[T], U]") -> "Box[U]":
        return Box(f(self.item))


type Alias = list[int]
type Recursive[T] = T | list[Recursive[T]]
