"""Every scenario of docs/semantics.md §2 (each contested case under each value of its option),
and every shipped example, decides to its expected outcome."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rolecall.model import Scenario, decide, expectation_mismatch, load_scenarios_text
from tests.conftest import EXAMPLES, SPEC_SCENARIOS

SPEC_FILES = sorted(SPEC_SCENARIOS.glob("*.json"))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def test_every_spec_scenario_has_a_file() -> None:
    numbers = {int(p.name[:2]) for p in SPEC_FILES}
    assert numbers >= set(range(1, 76)), sorted(set(range(1, 76)) - numbers)


@pytest.mark.parametrize(
    ("stem", "option"),
    [
        ("09-", "user_direct_bypasses_boundary"),
        ("29-", "role_direct_needs_identity"),
        ("38-", "role_direct_needs_identity"),
        ("47-", "session_token_callers_are_chained"),
        ("76-", "wildcard_matches_services"),
    ],
)
def test_contested_cases_are_decided_under_both_values(stem: str, option: str) -> None:
    docs = [json.loads(p.read_text()) for p in SPEC_FILES if p.name.startswith(stem)]
    values = {d.get("semantics", {}).get(option) for d in docs}
    assert values == {True, False}
    outcomes = {d["expect"]["decision"] for d in docs}
    assert len(outcomes) == 2, "the option must change the outcome, or the pair proves nothing"


@pytest.mark.parametrize("path", SPEC_FILES + EXAMPLE_FILES, ids=lambda p: p.stem)
def test_scenario_meets_its_expectation(path: Path) -> None:
    [scenario] = load_scenarios_text(path.read_text(), str(path))
    assert scenario.expect, "every shipped scenario states its expected outcome"
    result = decide(scenario)
    assert expectation_mismatch(scenario, result) == []
    if result.decision == "allowed":
        assert result.assumed_role is not None
        role = scenario.role.arn
        assert result.assumed_role.arn == (
            f"arn:{role.partition}:sts::{role.account}:assumed-role/{role.name}/{scenario.request.role_session_name}"
        )
    elif result.decision in ("explicitDeny", "implicitDeny"):
        assert result.action is not None and result.message
        assert isinstance(scenario, Scenario)
        if result.rule != "R1":
            assert result.message.startswith(
                f"User: {scenario.caller.principal.arn} is not authorized to perform: {result.action}"
            )


def _decide_file(prefix: str):  # type: ignore[no-untyped-def]
    [path] = [p for p in SPEC_FILES if p.name.startswith(prefix)]
    [scenario] = load_scenarios_text(path.read_text(), str(path))
    return scenario, decide(scenario)


def test_self_assume_message_names_session_and_role() -> None:
    """Scenario 37: the message names assumed-role/RA/s1 and the resource role/RA (ECSWS-109)."""
    _, r = _decide_file("37-")
    assert r.message is not None
    assert "assumed-role/RA/s1 is not authorized to perform: sts:AssumeRole on resource: " in r.message
    assert r.message.split("on resource: ")[1].startswith("arn:aws:iam::111111111111:role/RA")


def test_root_message() -> None:
    _, r = _decide_file("44-")
    assert r.message == "Roles may not be assumed by root accounts."


def test_pathed_role_session_arn_drops_path() -> None:
    """Scenario 56 and docs/semantics.md §3.3: the assumed-role ARN never carries the role path."""
    _, r = _decide_file("56-")
    assert r.decision == "allowed"
    s2 = load_scenarios_text(
        json.dumps(
            {
                **json.loads((SPEC_SCENARIOS / "01-user-named-in-trust-no-identity.json").read_text()),
                "role": {
                    "arn": "arn:aws:iam::111111111111:role/team/x/R",
                    "trust_policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                },
            }
        )
    )[0]
    r2 = decide(s2)
    assert r2.assumed_role is not None
    assert r2.assumed_role.arn == "arn:aws:sts::111111111111:assumed-role/R/s1"
    assert r2.assumed_role.assumed_role_id == f"{s2.role.role_id}:s1"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", s2.role.role_id)


def test_validation_message_shape() -> None:
    """Scenarios 67-69: AWS's 'N validation error(s) detected: Value … at …' shape (MOTO-9218, CONSIG-18)."""
    _, r = _decide_file("68-")
    assert r.message is not None
    assert r.message.startswith("1 validation error detected: Value '")
    assert "at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64" in (
        r.message
    )
    _, r = _decide_file("67-")
    assert r.message == (
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900"
    )


def test_packed_policy_message_states_percentage() -> None:
    _, r = _decide_file("75-")
    assert r.message is not None
    assert re.fullmatch(r"Packed size of session tags consumes \d+% of allotted space\.", r.message)
