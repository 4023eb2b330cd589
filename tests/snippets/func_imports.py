# bytescope-snippet: min=2.7
"""Imports inside functions and closures: what `scan --find` follows."""


def f():
    import os
    os.system("id")


def oneline(): import os; os.system("id")


def pair(a): import os; a(a, os.sep); import os as o, sys; return os.path.join, o.sep, sys.argv


def g():
    import subprocess
    subprocess.call(["id"])


def h():
    import os.path
    return os.path.join("a", "b")


def aliased():
    import xml.etree.ElementTree as ET
    from os import system as run, popen
    run("id")
    popen("id")
    return ET.parse("x")


def outer():
    import socket
    import subprocess as sp

    def inner():
        sp.Popen(["id"])
        return socket.create_connection(("h", 1))

    def deeper():
        def deepest():
            return sp.check_output(["id"])
        return deepest

    return inner, deeper


class C:
    import pickle
    loads = pickle.loads

    def method(self):
        import marshal
        return marshal.loads(b"")
