"""Shrinking quality: planted faults are found, and shrink to small, readable scenarios.

In the style of Hypothesis's own ``tests/quality/``: a fault of the catalogue
(``tests/quality/faults.py``) is planted in the model (principal matching by
substring; principal matching ignoring case, as one open simulator does for role
names), :func:`hypothesis.find` searches ``scenarios()`` for a scenario the
faulty and the reference model decide differently, and the minimal one it
reports must be small: at most one statement per policy and at most two
distinct accounts. (The detection run, ``tests/quality/detection.py``, does the
same through the whole conformance suite for every fault of the catalogue.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, find, settings

from rolecall import model, strategies
from tests.quality.detection import size_of
from tests.quality.faults import Fault, by_name, planted


def outcome(doc: dict[str, Any]) -> tuple[Any, ...]:
    r = model.decide(model.load_scenario(doc))
    return (r.decision, r.denied_by, r.action, r.error_code)


def differs(fault: Fault) -> Callable[[dict[str, Any]], bool]:
    def predicate(doc: dict[str, Any]) -> bool:
        with planted(fault):
            faulty = outcome(doc)
        return faulty != outcome(doc)

    return predicate


def statements_per_policy(doc: dict[str, Any]) -> list[int]:
    counts: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "Statement" in node:
                raw = node["Statement"]
                counts.append(len(raw) if isinstance(raw, list) else 1)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return counts


@pytest.mark.parametrize("name", ["principal-substring", "principal-case-insensitive"])
def test_planted_fault_shrinks_to_a_small_scenario(name: str) -> None:
    fault = by_name(name)
    minimal = find(
        strategies.scenarios(),
        differs(fault),
        settings=settings(
            max_examples=5000, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        ),
    )
    shown = json.dumps(minimal)
    assert max(statements_per_policy(minimal)) <= 1, shown
    assert size_of(minimal)["accounts"] <= 2, shown
    print(f"\n{fault.name}: {shown}")
