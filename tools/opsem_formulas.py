"""Opcode stack-effect formulas and the semantics transcription, for tools/gen_opcodes.py.

A formula is a small function of oparg: a constant plus integer multiples of terms, each term
one of ("field", shift, mask) = (oparg >> shift) & mask, ("popcount", mask), ("eq", k) =
(oparg == k) and ("nonzero", mask) = ((oparg & mask) != 0). parse() reads both the notation
of tools/data/opcodes/semantics.txt and the C expressions of CPython's generated opcode
metadata (`2 + ((oparg == 3) ? 1 : 0)`, `oparg*2`, `1 + (oparg-1)`); show() writes the
canonical form, which parse() reads back.
"""

import os
import re

FULL = 0xFFFFFFFF
VERSIONS = ["1.5", "1.6", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"] + ["3.%d" % m for m in range(0, 16)]


def vkey(v):
    return VERSIONS.index(base_version(v))


class Formula(object):
    def __init__(self, const=0, terms=None):
        self.const = const
        self.terms = dict(terms or {})

    def is_const(self):
        return not self.terms

    def add(self, other, sign=1):
        out = Formula(self.const + sign * other.const, self.terms)
        for t, c in other.terms.items():
            out.terms[t] = out.terms.get(t, 0) + sign * c
            if out.terms[t] == 0:
                del out.terms[t]
        return out

    def scale(self, k):
        return Formula(self.const * k, {t: c * k for t, c in self.terms.items() if c * k})

    def single(self):
        """The one term with coefficient 1 and no constant, or None."""
        if self.const == 0 and len(self.terms) == 1:
            (t, c), = self.terms.items()
            if c == 1:
                return t
        return None

    def eval(self, oparg):
        v = self.const
        for t, c in self.terms.items():
            v += c * term_value(t, oparg)
        return v

    def key(self):
        return (self.const, tuple(sorted(self.terms.items())))

    def __eq__(self, other):
        return isinstance(other, Formula) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return show(self)


def term_value(t, oparg):
    kind = t[0]
    if kind == "field":
        return (oparg >> t[1]) & t[2]
    if kind == "popcount":
        return bin(oparg & t[1]).count("1")
    if kind == "eq":
        return 1 if oparg == t[1] else 0
    if kind == "nonzero":
        return 1 if oparg & t[1] else 0
    raise ValueError(t)


def show_term(t):
    kind = t[0]
    if kind == "field":
        _, shift, mask = t
        if shift == 0 and mask == FULL:
            return "oparg"
        if shift == 0:
            return "(oparg&%d)" % mask
        if mask == FULL >> shift:
            return "(oparg>>%d)" % shift
        return "(oparg>>%d&%d)" % (shift, mask)
    if kind == "popcount":
        return "popcount(oparg&%d)" % t[1]
    if kind == "eq":
        return "(oparg==%d)" % t[1]
    if kind == "nonzero":
        return "((oparg&%d)!=0)" % t[1]
    raise ValueError(t)


def show(f):
    parts = []
    for t, c in sorted(f.terms.items()):
        s = show_term(t)
        if c == 1:
            parts.append(("+", s))
        elif c == -1:
            parts.append(("-", s))
        elif c > 0:
            parts.append(("+", "%d*%s" % (c, s)))
        else:
            parts.append(("-", "%d*%s" % (-c, s)))
    if f.const or not parts:
        if not parts:
            return str(f.const)
        parts.append(("+" if f.const > 0 else "-", str(abs(f.const))))
    out = parts[0][1] if parts[0][0] == "+" else "-" + parts[0][1]
    for sign, s in parts[1:]:
        out += sign + s
    return out


TOKEN = re.compile(r"\s*(0x[0-9a-fA-F]+|\d+|oparg|popcount|==|!=|>>|[-+*&()?:])")


def parse(text):
    """Parse a formula (see the module doc); raise ValueError if it is outside the language."""
    toks = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError("cannot read %r at %d" % (text, pos))
        toks.append(m.group(1))
        pos = m.end()
    p = _Parser(toks)
    f = p.ternary()
    if p.i != len(toks):
        raise ValueError("trailing input in %r" % text)
    return f


class _Parser(object):
    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want=None):
        t = self.peek()
        if t is None or (want is not None and t != want):
            raise ValueError("expected %r, got %r" % (want, t))
        self.i += 1
        return t

    def ternary(self):
        cond = self.compare()
        if self.peek() != "?":
            return cond
        self.take("?")
        a = self.ternary()
        self.take(":")
        b = self.ternary()
        ind = indicator(cond)
        if not (a.is_const() and b.is_const()):
            raise ValueError("?: with non-constant arms")
        return Formula(b.const, {ind: a.const - b.const} if a.const != b.const else {})

    def compare(self):
        left = self.bitand()
        op = self.peek()
        if op in ("==", "!="):
            self.take()
            right = self.bitand()
            if not right.is_const():
                raise ValueError("comparison with a non-constant")
            if op == "==":
                if left.single() != ("field", 0, FULL):
                    raise ValueError("== needs oparg on the left")
                return Formula(0, {("eq", right.const): 1})
            t = left.single()
            if right.const != 0 or not t or t[0] != "field" or t[1] != 0:
                raise ValueError("!= needs (oparg & mask) != 0")
            return Formula(0, {nonzero(t[2]): 1})
        return left

    def bitand(self):
        left = self.additive()
        while self.peek() == "&":
            self.take()
            right = self.additive()
            if not right.is_const():
                raise ValueError("& with a non-constant mask")
            t = left.single()
            if not t or t[0] != "field":
                raise ValueError("& of something other than oparg or oparg>>k")
            left = Formula(0, {("field", t[1], t[2] & right.const): 1})
        return left

    def additive(self):
        left = self.shift()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.shift()
            left = left.add(right, 1 if op == "+" else -1)
        return left

    def shift(self):
        left = self.mult()
        while self.peek() == ">>":
            self.take()
            right = self.mult()
            t = left.single()
            if not right.is_const() or not t or t[0] != "field":
                raise ValueError(">> of something other than oparg")
            s = right.const
            left = Formula(0, {("field", t[1] + s, t[2] >> s): 1})
        return left

    def mult(self):
        left = self.unary()
        while self.peek() == "*":
            self.take()
            right = self.unary()
            if left.is_const():
                left = right.scale(left.const)
            elif right.is_const():
                left = left.scale(right.const)
            else:
                raise ValueError("product of two non-constants")
        return left

    def unary(self):
        if self.peek() == "-":
            self.take()
            return self.unary().scale(-1)
        return self.atom()

    def atom(self):
        t = self.take()
        if t == "(":
            f = self.ternary()
            self.take(")")
            return f
        if t == "oparg":
            return Formula(0, {("field", 0, FULL): 1})
        if t == "popcount":
            self.take("(")
            f = self.ternary()
            self.take(")")
            s = f.single()
            if not s or s[0] != "field" or s[1] != 0:
                raise ValueError("popcount of something other than oparg&mask")
            return Formula(0, {("popcount", s[2]): 1})
        if t.startswith("0x"):
            return Formula(int(t, 16))
        if t.isdigit():
            return Formula(int(t))
        raise ValueError("unexpected %r" % t)


def nonzero(mask):
    """The 0/1 term (oparg & mask) != 0: a one-bit field when mask is one bit."""
    if mask and mask & (mask - 1) == 0:
        return ("field", mask.bit_length() - 1, 1)
    return ("nonzero", mask)


def indicator(f):
    """The 0/1 term a condition stands for."""
    t = f.single()
    if t and t[0] in ("eq", "nonzero"):
        return t
    if t and t[0] == "field" and t[2] == 1:
        return t
    if t and t[0] == "field" and t[1] == 0:
        return nonzero(t[2])
    raise ValueError("condition is not a bit test or an equality: %r" % show(f))


# --------------------------------------------------------------------------
# tools/data/opcodes/semantics.txt
# --------------------------------------------------------------------------


def base_version(key):
    """The CPython version a table key follows: "3.9" for "pypy3.9"."""
    return key[4:] if key.startswith("pypy") else key


def _versions_match(spec, version):
    if spec == "*":
        return True
    if spec.startswith("pypy") or version.startswith("pypy"):
        # A PyPy key matches its own lines, then its CPython version's.
        if spec == version:
            return True
        if spec.startswith("pypy"):
            return False
        version = base_version(version)
    if "-" not in spec:
        return spec == version
    lo, hi = spec.split("-")
    k = vkey(version)
    return (not lo or vkey(lo) <= k) and (not hi or k <= vkey(hi))


def load_semantics(path):
    """name -> list of rows (versions, pops, pushes, jump or None, action, words), file order."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not line:
                continue
            cols = line.split()
            if len(cols) < 6:
                raise SystemExit("%s:%d: expected NAME VERSIONS POPS PUSHES JUMP ROLE" % (path, lineno))
            name, spec, pops, pushes, jump = cols[:5]
            if spec != "*" and not spec.startswith("pypy"):
                for v in spec.split("-"):
                    if v and v not in VERSIONS:
                        raise SystemExit("%s:%d: unknown version %r" % (path, lineno, v))
            try:
                pf, qf = parse(pops), parse(pushes)
                jf = None
                if jump != "-":
                    jp, jq = jump.split("/")
                    jf = (parse(jp), parse(jq))
            except ValueError as e:
                raise SystemExit("%s:%d: %s" % (path, lineno, e))
            rows.setdefault(name, []).append((spec, pf, qf, jf, cols[5], cols[6:]))
    return rows


def semantics_for(rows, name, version):
    # A table's own lines (pypyX.Y) win over the CPython lines it falls back on.
    candidates = rows.get(name, [])
    if version.startswith("pypy"):
        candidates = sorted(candidates, key=lambda r: r[0] != version)
    for spec, pf, qf, jf, action, words in candidates:
        if _versions_match(spec, version):
            return pf, qf, jf, action, words
    return None


HERE = os.path.dirname(os.path.abspath(__file__))
SEMANTICS_PATH = os.path.join(HERE, "data", "opcodes", "semantics.txt")
