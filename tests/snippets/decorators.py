# bytescope-snippet: min=3.0
import functools


def repeat(times, *, sep=""):
    def decorator(fn):
        @functools.wraps(fn)
        def run(*args):
            return sep.join(str(fn(*args)) for _ in range(times))
        return run
    return decorator


@repeat(3, sep=",")
@functools.lru_cache(maxsize=None)
def stacked(x):
    return x * 2


@register
class Service:
    @property
    def name(self):
        return "service"

    @name.setter
    def name(self, value):
        self._name = value
