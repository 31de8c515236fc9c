#!/usr/bin/env python3
"""Scan every import in the project (module-level and inside functions) and report the
ones that run against the layers, and any cycle among domain modules.

The layers (lowest first): agnt <- venues <- bookings <- {billing, crm, knowledge}
<- agents <- messaging <- owners. An app may import only apps below it; billing, crm and
knowledge are independent siblings (none imports another). Modules that sit on top
(admin, api, management commands, tests, migrations and the project wiring in agnt)
may import anything and are left out.

    python scripts/import_scan.py            # upward imports and cycles; exit 1 if any
    python scripts/import_scan.py --all      # also list every cross-app import

This complements ``lint-imports`` (which reads the same contract from .importlinter):
it also sees imports written inside functions and ``import_module("...")`` strings,
and prints the line of each one.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rank of each app; an import from a lower rank to a higher rank is upward.
RANK = {
    "agnt": 0,
    "venues": 1,
    "bookings": 2,
    "billing": 3,
    "crm": 3,
    "knowledge": 3,
    "agents": 4,
    "messaging": 5,
    # product surfaces for people that span the apps (the venue owners' pages and console)
    "owners": 6,
}

# Modules that sit on top of every layer: they wire apps together or are entry points.
TOP_PARTS = {"admin", "api", "management", "tests", "migrations", "admin_site", "conftest"}
TOP_MODULES = {
    "agnt.urls",
    "agnt.asgi",
    "agnt.wsgi",
    "agnt.routing",
    "agnt.settings",
    "agnt.settings_test",
    "agnt.devrun",  # the `make run` entry point (like manage.py): starts every process
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_top(module: str) -> bool:
    parts = module.split(".")
    if module in TOP_MODULES or any(module.startswith(m + ".") for m in TOP_MODULES):
        return True
    return any(p in TOP_PARTS or p.startswith("admin_") or p.startswith("test_") for p in parts[1:])


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path):
    """Yield (imported module, line, inside a function?) for every import in a file."""
    module = module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, in_function
            elif isinstance(child, ast.ImportFrom):
                target = resolve(module, is_package, child)
                for alias in child.names:
                    # "from pkg import submodule" imports pkg.submodule when it is one.
                    yield f"{target}.{alias.name}" if alias.name != "*" else target, child.lineno, in_function
            elif (
                isinstance(child, ast.Call)
                and getattr(child.func, "attr", getattr(child.func, "id", None)) == "import_module"
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
            ):
                yield child.args[0].value, child.lineno, True
            yield from walk(child, nested)

    yield from walk(tree, False)


def known_module(name: str, modules: set[str]) -> str | None:
    """The longest project module that ``name`` names (drops a trailing attribute)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len({m.split(".")[0] for m in component}) > 1:
                result.append(sorted(component))

    for v in list(graph):
        if v not in index:
            connect(v)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every cross-app import")
    args = parser.parse_args(argv)

    files = [
        p
        for app in RANK
        for p in sorted((ROOT / app).rglob("*.py"))
        if ".venv" not in p.parts and "migrations" not in p.parts
    ]
    modules = {module_name(p) for p in files}
    upward = []
    graph: dict[str, set[str]] = defaultdict(set)
    for path in files:
        source = module_name(path)
        if is_top(source):
            continue
        for name, line, in_function in imports_of(path):
            target = known_module(name, modules)
            if target is None or target == source:
                continue
            src_app, dst_app = source.split(".")[0], target.split(".")[0]
            if src_app == dst_app:
                if not is_top(target):
                    graph[source].add(target)
                continue
            if args.all:
                print(f"{path.relative_to(ROOT)}:{line}: {source} -> {target}")
            if not is_top(target):
                graph[source].add(target)
            if RANK[dst_app] >= RANK[src_app] and not is_top(target):
                where = " (in a function)" if in_function else ""
                upward.append(f"{path.relative_to(ROOT)}:{line}: {src_app} -> {dst_app}: {target}{where}")
            elif RANK[dst_app] >= RANK[src_app]:
                upward.append(f"{path.relative_to(ROOT)}:{line}: {src_app} -> {dst_app}: {target} (a top module)")

    upward = list(dict.fromkeys(upward))
    for line in upward:
        print("upward:", line)
    cycles = find_cycles(graph)
    for cycle in cycles:
        print(f"cycle of {len(cycle)} modules across apps: {', '.join(cycle)}")
    print(f"{len(upward)} upward import(s), {len(cycles)} cross-app cycle(s)")
    return 1 if upward or cycles else 0


if __name__ == "__main__":
    sys.exit(main())
