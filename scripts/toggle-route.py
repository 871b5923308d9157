#!/usr/bin/env python3
"""Adds, or removes when it is there, an optional query parameter of one operation in a spec:
the one-route edit that the build benchmarks rebuild after.

    python3 scripts/toggle-route.py SPEC OPERATION_ID ANCHOR_PARAMETER

The parameter (`bench_marker`, a string) goes right after the operation's reference to
`#/components/parameters/ANCHOR_PARAMETER`. On an operation that has optional parameters
already, this adds a field to its options struct; on one that has none, it creates the struct.
"""

import sys

MARKER = """        - name: bench_marker
          in: query
          required: false
          description: A parameter the rebuild benchmark adds and removes.
          schema:
            type: string
"""


def main(path, operation, anchor_parameter):
    with open(path) as f:
        text = f.read()
    start = text.index(f"      operationId: {operation}\n")
    end = text.find("\n      operationId:", start + 1)
    end = len(text) if end < 0 else end
    if MARKER in text[start:end]:
        text = text[:start] + text[start:end].replace(MARKER, "", 1) + text[end:]
    else:
        anchor = f"        - $ref: '#/components/parameters/{anchor_parameter}'\n"
        at = text.index(anchor, start) + len(anchor)
        text = text[:at] + MARKER + text[at:]
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:4])
