"""The seams between rolecall's modules are public (issue 19 item 4): no module imports another's private
name, and nothing imports the command line's module.

A private name (``_load_caller``, ``_parse_date``) is a module's own business: it may change without
notice, so a second module that reads it couples the two silently (the solver read four of the
condition parsers this way, and the graph eight of the scenario loader's parts). What another module
needs is public API of its owner, with a docstring. Private *modules* (``conformance/_world.py``) are
their package's business and may be imported within it. The command line (``conformance/cli.py``) is
the top: the commands it runs never import it back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"model": "rolecall.model", "conformance": "rolecall.conformance", "strategies": "rolecall.strategies"}


def _modules() -> Iterator[tuple[Path, str]]:
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            yield path, ".".join([package, *parts])


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of what ``node`` imports from."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


#: ``typing.NamedTuple``'s own API, public though it starts with an underscore (the names leave room for fields)
NAMED_TUPLE_API = frozenset({"_make", "_replace", "_asdict", "_fields", "_field_defaults"})


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in NAMED_TUPLE_API


def _findings() -> list[str]:
    found = []
    for path, module in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # a local name bound to a rolecall module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(module, path, node)
                if not source.startswith("rolecall"):
                    continue
                if source.endswith(".cli") and module != "rolecall.conformance.cli":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports the command line ({source})")
                for alias in node.names:
                    if _private(alias.name) and source != module:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {source}.{alias.name}")
                    if not _private(alias.name):
                        aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("rolecall"):
                        aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_imports_another_modules_private_name() -> None:
    assert _findings() == []


def test_the_walk_sees_what_it_looks_for(tmp_path: Path) -> None:
    """The checker itself: a private import, an attribute read through a module, and cli's import are found."""
    global ROOT
    saved = ROOT
    (tmp_path / "model").mkdir()
    (tmp_path / "conformance").mkdir()
    (tmp_path / "strategies").mkdir()
    (tmp_path / "model" / "a.py").write_text("from .scenario import _load_role\nfrom . import policy\npolicy._x\n")
    (tmp_path / "conformance" / "b.py").write_text("from .cli import read_input\nfrom ._world import plan\n")
    ROOT = tmp_path
    try:
        found = _findings()
    finally:
        ROOT = saved
    assert found == [
        "model/a.py:1: rolecall.model.scenario._load_role",
        "model/a.py:3: rolecall.model.policy._x",
        "conformance/b.py:1: imports the command line (rolecall.conformance.cli)",
    ]
