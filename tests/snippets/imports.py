# bytescope-snippet: min=3.0
import os
import os.path
import os.path as osp
import collections.abc, json as js
from os.path import (join, split as sp)
from . import sibling
from ..pkg.mod import thing as other
from math import *


def local_imports():
    import xml.etree.ElementTree as ET
    from .relative import name
    return ET, name
