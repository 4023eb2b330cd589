"""``bytescope.scan``: the CLI's ``scan`` records, as dicts."""


def scan(paths, *, find=(), jobs=None):
    raise NotImplementedError
