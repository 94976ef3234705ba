"""Only worlds AWS can contain (issue 18, item 3; docs/semantics.md §5.10).

IAM names are unique per account regardless of case and path (CreateUser, CreateRole: "Names are not
distinguished by case"), so a scenario whose users or roles differ only in the case of their names or
in their paths, or whose trust policy names one of them by another spelling, is not a world AWS holds
as it reads: the loader refuses the first and follows ``semantics.principal_other_spelling`` for the
second. The public strategies must draw neither: their near misses are ones AWS can store.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from rolecall import model, strategies
from rolecall.model.scenario import other_spellings
from tests.examples import scaled

#: 10,000 scenarios in the ci profile (the issue's count), in proportion in the others (tests/examples.py)
WORLDS = scaled(10_000)


def _contained(doc: dict[str, Any]) -> model.Scenario:
    """Load ``doc`` (an input error fails the test: two users or roles of one name) and check that its
    trust policy names no user or role of the world by another spelling."""
    s = model.load_assume_role(doc)
    spelled = other_spellings(doc["role"], s.caller.principal, s.role, s.nonexistent_principals)
    assert spelled == (), (spelled, doc)
    return s


@settings(max_examples=WORLDS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.scenarios())
def test_every_generated_scenario_is_a_world_aws_can_contain(doc: dict[str, Any]) -> None:
    s = _contained(doc)
    assert s.malformed is None or "the one of that name" not in s.malformed.message


@settings(max_examples=scaled(1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.scenarios(invalid=True))
def test_invalid_scenarios_are_invalid_for_their_label_only(doc: dict[str, Any]) -> None:
    _contained(doc)
