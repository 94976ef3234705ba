"""Shrinking quality: planted faults are found, and shrink to small, readable scenarios.

In the style of Hypothesis's own ``tests/quality/``: a fault is planted in the
model (principal matching by substring; principal matching ignoring case, as one
open simulator does for role names), :func:`hypothesis.find` searches
``scenarios()`` for a scenario the faulty and the reference model decide
differently, and the minimal one it reports must be small: at most one
statement per policy and at most two distinct accounts.

The model caches compiled worlds (``model.scenario._WORLDS``) and per-Principal
match results, so every evaluation loads the scenario afresh with the cache cleared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, find, settings

import model
import model.policy
import model.scenario
import strategies
from model.arn import ServicePrincipal
from model.match import principal_classes, principal_keys

Classes = Callable[..., frozenset[str]]


def substring_classes(aws: Iterable[str], service: Iterable[str], caller: Any, wms: bool) -> frozenset[str]:
    """Fault: an ``AWS`` entry that is a substring of one of the caller's names matches it."""
    aws = tuple(aws)
    real = principal_classes(aws, service, caller, wms)
    if isinstance(caller, ServicePrincipal):
        return real
    keys = principal_keys(caller)
    return real | {cls for e in aws if e != "*" for k, cls in keys.items() if k != "*" and e in k}


def case_blind_classes(aws: Iterable[str], service: Iterable[str], caller: Any, wms: bool) -> frozenset[str]:
    """Fault: principal ARNs compared ignoring case."""
    aws = tuple(aws)
    real = principal_classes(aws, service, caller, wms)
    if isinstance(caller, ServicePrincipal):
        return real
    keys = {k.lower(): cls for k, cls in principal_keys(caller).items()}
    return real | {keys[e.lower()] for e in aws if e.lower() in keys}


@contextmanager
def planted(fault: Classes) -> Iterator[None]:
    saved = model.policy.principal_classes
    model.policy.principal_classes = fault  # type: ignore[assignment]
    model.scenario._WORLDS.clear()
    try:
        yield
    finally:
        model.policy.principal_classes = saved
        model.scenario._WORLDS.clear()


def outcome(doc: dict[str, Any]) -> tuple[Any, ...]:
    model.scenario._WORLDS.clear()
    r = model.decide(model.load_scenario(doc))
    return (r.decision, r.denied_by, r.action, r.error_code)


def differs(fault: Classes) -> Callable[[dict[str, Any]], bool]:
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


def accounts(doc: dict[str, Any]) -> set[str]:
    return set(re.findall(r"(?<!\d)\d{12}(?!\d)", json.dumps(doc)))


@pytest.mark.parametrize("fault", [substring_classes, case_blind_classes], ids=["substring", "case-blind"])
def test_planted_fault_shrinks_to_a_small_scenario(fault: Classes) -> None:
    minimal = find(
        strategies.scenarios(),
        differs(fault),
        settings=settings(max_examples=5000, database=None, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )
    shown = json.dumps(minimal)
    assert max(statements_per_policy(minimal)) <= 1, shown
    assert len(accounts(minimal)) <= 2, shown
    print(f"\n{fault.__name__}: {shown}")
