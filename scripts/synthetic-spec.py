#!/usr/bin/env python3
"""Writes a spec N times the size of spec/crisp.yaml, for measuring how the generator scales.

    python3 scripts/synthetic-spec.py N OUT.yaml [SPEC]

Copy k (2..N) of every area gets the tag `<tag>_c<k>`, its paths under `/c<k>`, operation ids
suffixed `C<k>`, and its own copy of every component schema (`<Name>C<k>`, with the `$ref`s of
the copy pointing at the copy), so that operations, paths, tags and types all grow N times.
Shared pieces stay single: the envelope schema (`x-crisp-envelope`), parameters, security
schemes and events (the copies fire none, and do not tell where the real-time socket is).
"""

import copy
import sys

import yaml

SCHEMAS = "#/components/schemas/"


def renamed(node, names, suffix):
    """A copy of node whose `$ref`s (and discriminator mappings) to a schema of `names` point at
    its copy."""
    if isinstance(node, dict):
        return {key: renamed(value, names, suffix) for key, value in node.items()}
    if isinstance(node, list):
        return [renamed(value, names, suffix) for value in node]
    if isinstance(node, str) and node.startswith(SCHEMAS) and node[len(SCHEMAS):] in names:
        return node + suffix
    return node


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    times, out = int(sys.argv[1]), sys.argv[2]
    source = sys.argv[3] if len(sys.argv) == 4 else "spec/crisp.yaml"
    with open(source) as f:
        spec = yaml.safe_load(f)
    schemas = spec["components"]["schemas"]
    copied = {name for name, schema in schemas.items() if not schema.get("x-crisp-envelope")}
    paths = dict(spec["paths"])
    tags = list(spec.get("tags", []))
    for k in range(2, times + 1):
        suffix = f"C{k}"
        for name in sorted(copied):
            schemas[name + suffix] = renamed(copy.deepcopy(schemas[name]), copied, suffix)
        for tag in spec.get("tags", []):
            tags.append({**tag, "name": f"{tag['name']}_c{k}"})
        for path, item in spec["paths"].items():
            item = renamed(copy.deepcopy(item), copied, suffix)
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    operation["operationId"] += suffix
                    operation["tags"] = [f"{tag}_c{k}" for tag in operation.get("tags", [])]
                    # Events name the operations that fire them, and one operation per tier
                    # tells where the real-time socket is: both stay with the originals.
                    operation.pop("x-crisp-webhook-events", None)
                    operation.pop("x-crisp-rtm-endpoints", None)
                    # MCP tool names are unique: each copy's tool gets the copy's suffix.
                    if "x-crisp-mcp" in operation:
                        operation["x-crisp-mcp"] += f"_c{k}"
            paths[f"/c{k}{path}"] = item
    spec["paths"] = paths
    spec["tags"] = tags
    with open(out, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    main()
