# bytescope-snippet: min=3.13
class Config[T = int, *Ts = *tuple[str, ...], **P = [int, str]]:
    value: T


type Maybe[T = None] = T | None
