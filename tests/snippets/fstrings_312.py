# bytescope-snippet: min=3.12
same_quotes = f"{data["key"]} and {data['n']}"
backslash = f"{'\n'.join(names)}"
multiline = f"total: {
    sum(
        [1, 2, 3]
    )
}"
nested = f"{f"{f"{data["n"]}"}"}"
comment = f"{data["n"]  # a comment
}"
