"""The federated strategies (``rolecall.strategies.federated_scenarios`` and its pieces): every
drawn scenario decides as its plan says, the draws cover every family, plan and F-rule that can
decide, near misses are near (one pinned claim away from an Allow), and failures shrink small."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from rolecall import model, strategies
from tests.examples import scaled

N = scaled(1500)
COLLECT = settings(
    max_examples=N, phases=[Phase.generate], database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def _decide(doc: dict[str, Any]) -> model.Result:
    return model.decide(model.load_scenario(doc))


@given(strategies.federated_scenarios())
def test_every_drawn_scenario_decides_as_its_plan_says(doc: dict[str, Any]) -> None:
    s = model.load_scenario(doc)
    assert isinstance(s, model.FederatedScenario)
    assert model.expectation_mismatch(s, model.decide(s)) == [], doc


@pytest.mark.parametrize("decision", sorted(strategies.FEDERATED_PLANS))
@pytest.mark.parametrize("api", ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"])
def test_decision_and_api_are_honoured(decision: str, api: str) -> None:
    @settings(max_examples=scaled(60), database=None, deadline=None)
    @given(strategies.federated_scenarios(api=api, decision=decision))
    def check(doc: dict[str, Any]) -> None:
        assert doc["api"] == api
        assert _decide(doc).decision == decision

    check()


def test_draws_cover_every_family_plan_and_rule() -> None:
    seen: Counter[str] = Counter()

    @COLLECT
    @given(strategies.federated_scenarios())
    def collect(doc: dict[str, Any]) -> None:
        r = _decide(doc)
        family = "saml" if doc["api"] == "AssumeRoleWithSAML" else doc["federated_caller"]["provider"].split(".")[0]
        seen[f"family {family}"] += 1
        seen[doc["id"]] += 1
        seen[r.rule] += 1
        seen[f"decision {r.decision}"] += 1
        if r.error_code:
            seen[f"error {r.error_code}"] += 1
        if r.denied_by:
            seen[f"source {r.denied_by}"] += 1

    collect()
    plans = {f"federated {p}" for ps in strategies.FEDERATED_PLANS.values() for p in ps}
    assert not [p for p in plans if not seen[p]], seen
    assert not [r for r in ("F1", "F3", "F4", "F7", "F10", "F11", "F12") if not seen[r]], seen
    for family in ("family token", "family oidc", "family cognito-identity", "family accounts", "family saml"):
        assert seen[family], seen
    for code in ("InvalidIdentityToken", "ExpiredTokenException", "ValidationError"):
        assert seen[f"error {code}"], seen
    assert seen["source resource control policy"] and seen["source role trust policy"], seen
    allowed = seen["decision allowed"] / N
    assert 0.15 <= allowed <= 0.45, seen


def _pins(doc: dict[str, Any]) -> dict[str, Any]:
    statement = doc["role"]["trust_policy"]["Statement"][0]
    return {k.lower(): v for block in statement.get("Condition", {}).values() for k, v in block.items()}


def test_near_misses_are_one_claim_from_an_allow() -> None:
    """A near-miss scenario differs from an allowed one by the value of one condition key: put the
    token's own value back and the model allows (the miss was in that value, nowhere else)."""
    checked: Counter[str] = Counter()

    @COLLECT
    @given(strategies.federated_scenarios(decision="implicitDeny", families=("github", "eks", "google")))
    def check(doc: dict[str, Any]) -> None:
        if doc["id"] not in ("federated near-miss-value", "federated near-miss-case"):
            return
        s = model.load_scenario(doc)
        ctx = model.request_context(s)
        fixed = copy.deepcopy(doc)
        statement = fixed["role"]["trust_policy"]["Statement"][0]
        changed = 0
        for op, block in statement["Condition"].items():
            for key in block:
                if not isinstance(ctx.get(key.lower()), str) or block[key] == ctx[key.lower()]:
                    continue
                block[key] = ctx[key.lower()]
                statement["Condition"][op] = dict(block)
                changed += 1
        if changed:
            fixed["role"]["trust_policy"]["Statement"][0] = _exact(statement)
            assert _decide(fixed).decision == "allowed", (doc, fixed)
            checked[doc["id"]] += 1

    check()
    assert checked["federated near-miss-value"] and checked["federated near-miss-case"], checked


def _exact(statement: dict[str, Any]) -> dict[str, Any]:
    """Pattern operators read the restored value as a pattern; say it exactly instead."""
    out = copy.deepcopy(statement)
    for op in list(out["Condition"]):
        if op == "StringLike":
            out["Condition"].setdefault("StringEquals", {}).update(out["Condition"].pop(op))
    return out


def test_pieces_load_inside_a_scenario() -> None:
    @settings(max_examples=scaled(100), database=None, deadline=None)
    @given(strategies.web_identity_tokens(), strategies.identity_providers())
    def check(caller: dict[str, Any], providers: dict[str, Any]) -> None:
        doc = {
            "api": "AssumeRoleWithWebIdentity",
            "federated_caller": caller,
            "identity_providers": providers,
            "role": {
                "arn": "arn:aws:iam::222222222222:role/r",
                "trust_policy": {  # a storable trust that names no federated provider: F3 or F10 decide
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"}]
                },
            },
            "request": {"role_session_name": "s1"},
        }
        assert model.decide(model.load_scenario(doc)).decision in ("implicitDeny", "error")

    check()
    saml = find(strategies.saml_assertions(), lambda c: True)
    assert saml["assertion"]["attributes"]["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] == ["alice"]


def test_failures_shrink_to_the_simplest_identity() -> None:
    """A failing property over federated scenarios shrinks to GitHub, the first pool values, one
    trust statement and no organization."""
    doc = find(
        strategies.federated_scenarios(),
        lambda d: _decide(d).decision == "implicitDeny",
        settings=settings(database=None, max_examples=500, suppress_health_check=list(HealthCheck)),
    )
    assert doc["federated_caller"]["provider"] == "token.actions.githubusercontent.com"
    assert doc["id"] == "federated near-miss-value"
    assert doc["federated_caller"]["claims"]["sub"] == "repo:acme/app:ref:refs/heads/main"
    assert len(doc["role"]["trust_policy"]["Statement"]) == 1 and "organization" not in doc


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="decision"):
        strategies.federated_scenarios(decision="maybe")
    with pytest.raises(ValueError, match="families"):
        strategies.federated_scenarios(api="AssumeRoleWithSAML", families=("github",))
