# bytescope-snippet: min=2.7 max=2.7
import sys

print "hello", "world"
print
print "no newline",
print >>sys.stderr, "to stderr"
print >>sys.stderr
exec "x = 1"
exec "y = 2" in globals()
exec "z = 3" in globals(), {}
rep = `x`
rep2 = `1, "a"`
ne = 1 <> 2


def func_exec(code, ns):
    exec code in ns
    print ns.get("x"), rep
