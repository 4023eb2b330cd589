# bytescope-snippet: min=3.8
plain = f"hello {name}"
conversions = f"{name!r} {name!s} {name!a}"
spec = f"{value:.2f}|{name:>10}|{42:#x}"
nested_spec = f"{value:{width}.{precision}}"
self_doc = f"{name=} {value = :.1f} {items[0]=!r}"
braces = f"{{literal}} {name}{{"
multi = f"a{name}" f"b{value!r:>{width}}" "c"
only_literal = f"no placeholders"
