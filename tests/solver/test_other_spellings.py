"""The solver and ``semantics.principal_other_spelling`` (docs/semantics.md §5.10).

A concrete scenario is decided from the trust policy the loader read, so the solver follows either value
(tests/unit/test_worlds.py). The queries range over callers of every name and compare principal entries
exactly, as under ``"refused"``; a witness from a world IAM would refuse does not replay through the
model and is never reported, and ``"resolves"``, which the encoding does not state, is refused.
"""

from __future__ import annotations

import dataclasses

import pytest

from rolecall import model
from rolecall.model import InputError, PolicyKind, Semantics, parse_policy
from rolecall.model.scenario import other_spellings
from rolecall.model.solver import check_access_not_granted, who_can_assume

A = "111122223333"  # the queries' default account
ROLE = f"arn:aws:iam::{A}:role/rolecall-role"
TRUST = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/Builder"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"}, "Action": "sts:AssumeRole"},
        ],
    },
    PolicyKind.TRUST,
)
RESOLVES = dataclasses.replace(Semantics(), principal_other_spelling="resolves")


def test_another_spelling_of_a_named_role_is_granted_nothing_under_refused() -> None:
    for other in (f"arn:aws:iam::{A}:role/builder", f"arn:aws:iam::{A}:role/team/Builder"):
        answer = check_access_not_granted(TRUST, principals=[other], role_arn=ROLE)
        assert answer.to_json()["result"] == "proved", answer.to_json()


def test_witnesses_are_worlds_aws_can_contain() -> None:
    found = who_can_assume(TRUST, role_arn=ROLE)
    assert len(found.findings) == 2
    for f in found.findings:
        s = model.load_assume_role(f.witness)
        assert other_spellings(f.witness["role"], s.caller.principal, s.role) == ()
        assert model.decide(s).decision == "allowed"


@pytest.mark.parametrize("query", ["check_access_not_granted", "who_can_assume"])
def test_resolves_is_refused_by_the_queries(query: str) -> None:
    with pytest.raises(InputError) as info:
        if query == "who_can_assume":
            who_can_assume(TRUST, role_arn=ROLE, semantics=RESOLVES)
        else:
            check_access_not_granted(TRUST, principals=[f"arn:aws:iam::{A}:role/builder"], semantics=RESOLVES)
    assert "principal_other_spelling" in info.value.message
    assert info.value.path == "--semantics"


def test_resolves_is_taken_where_no_user_or_role_is_named() -> None:
    trust = parse_policy(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:*"}]},
        PolicyKind.TRUST,
    )
    assert who_can_assume(trust, role_arn=ROLE, semantics=RESOLVES).findings
