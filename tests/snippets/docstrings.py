# bytescope-snippet: min=3.0
"""Module docstring with "quotes" and a second line.

More text.
"""


def documented(x):
    """Function docstring."""
    return x


def docstring_only():
    """Nothing but a docstring."""


def not_a_docstring(x):
    x
    "this string is an expression statement"


class Documented:
    """Class docstring."""

    def method(self):
        r"""Raw method docstring with \n backslash."""
        return self
