# bytescope-snippet: min=3.7
from __future__ import annotations

counter: int = 0


def typed(a: dict[str, Node], *args: tuple[int, ...], flag: bool = False) -> Node | None:
    local: Node = a
    return local


class Node:
    parent: Node | None
    children: list[Node] = []
