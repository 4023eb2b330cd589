# bytescope-snippet: min=3.15
lazy import json
lazy import os.path as osp
lazy from collections import OrderedDict, deque as dq


def use():
    return json.dumps(OrderedDict(a=1)), osp.sep, dq
