# bytescope-snippet: min=3.0
class Base:
    """A base class."""

    kind = "base"

    def __init__(self, value):
        self.value = value

    @staticmethod
    def helper(x):
        return x + 1


class Derived(Base):
    def __init__(self, value, extra=None):
        super().__init__(value)
        self.extra = extra

    def describe(self):
        return super(Derived, self).kind + __class__.__name__

    class Nested:
        attr = 1


def class_in_function(x):
    class Local(Base):
        def get(self):
            return x + self.value
    return Local


class Meta(type):
    def __new__(mcls, name, bases, ns, **kwargs):
        cls = super().__new__(mcls, name, bases, ns)
        cls.options = kwargs
        return cls


class Plugin(object, metaclass=Meta, flag=True, level=3):
    __slots__ = ("a", "b")
    squares = [i * i for i in range(4)]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__()


bases = (Plugin,)
extra = {"level": 4}


class Child(*bases, metaclass=Meta, **extra):
    def who(self):
        return self.__class__.__qualname__
