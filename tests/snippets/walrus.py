# bytescope-snippet: min=3.8
if (n := len(data)) > 3:
    print(n)


def scan(lines):
    while (line := lines.pop()) != "":
        if (m := line.strip()) is not None:
            return m


filtered = [y for x in data if (y := x * 2) > 5]
