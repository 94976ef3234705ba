"""The JSON Schema of the scenario format, and what it says about a field.

``scenario.schema.json`` (beside this module, installed with it) states the scenario format of
docs/scenario-format.md as a JSON Schema (draft 2020-12), for editors, other languages and
validation before input reaches rolecall. The loader (:mod:`rolecall.model.scenario`) stays the
truth: the schema never refuses a scenario the loader accepts, and refuses what the loader refuses
at the same JSON path wherever JSON Schema can say it (``tests/unit/test_schema.py`` checks both).

:func:`describe` gives the schema's description of the field at a JSON path, so that an error the
loader reports at ``$.caller.credentials`` can say what that field is (``rolecall decide`` adds it
to its error line). Reading the schema needs no JSON Schema library.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_FILE", "describe", "scenario_schema"]

SCHEMA_FILE = Path(__file__).with_name("scenario.schema.json")
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


@lru_cache(maxsize=1)
def scenario_schema() -> dict[str, Any]:
    """The schema as a JSON object."""
    with SCHEMA_FILE.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def _resolve(node: Any) -> Any:
    root = scenario_schema()
    while isinstance(node, dict) and "$ref" in node and str(node["$ref"]).startswith("#/"):
        target: Any = root
        for part in str(node["$ref"])[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _child(node: Any, key: str | None, index: int | None) -> Any:
    """The schema of one step down (a property, a map value or an array item), or None."""
    node = _resolve(node)
    if not isinstance(node, dict):
        return None
    for alternative in node.get("anyOf", []) + node.get("oneOf", []):  # e.g. an object or null
        found = _child(alternative, key, index)
        if found is not None:
            return found
    if index is not None:
        return node.get("items") if isinstance(node.get("items"), dict) else None
    if key in node.get("properties", {}):
        return node["properties"][key]
    for pattern, sub in node.get("patternProperties", {}).items():
        if re.search(pattern, key or ""):
            return sub
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def describe(path: str) -> tuple[str, str] | None:
    """The deepest field along a JSON path (``$.caller.tags.team``) that the schema describes, as
    (its path, its description); ``None`` when the path is ``$`` or the schema says nothing."""
    if not path.startswith("$"):
        return None
    node: Any = scenario_schema()
    walked, best = "$", None
    for m in _SEGMENT.finditer(path, 1):
        key, index = m.group(1), m.group(2)
        node = _child(node, key, int(index) if index is not None else None)
        if node is None:
            break
        walked += m.group(0)
        text = _resolve(node).get("description") if isinstance(_resolve(node), dict) else None
        if isinstance(text, str) and text:
            best = (walked, " ".join(text.split()))
    return best
