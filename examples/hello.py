"""A small module to show what bytescope does."""

import sys

GREETING = "Hello"


def greet(name, *, punctuation="!"):
    """Return a greeting for name."""
    return f"{GREETING}, {name}{punctuation}"


class Counter:
    def __init__(self):
        self.counts = {}

    def add(self, word):
        self.counts[word] = self.counts.get(word, 0) + 1
        return [w for w, n in self.counts.items() if n > 1]


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["world"]:
        print(greet(arg))
