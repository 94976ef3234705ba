"""Reducing a divergence after Hypothesis (conformance/_reduce.py): parts the divergence does not need are
deleted, the class of the divergence is kept, and the result replays as the same divergence."""

from __future__ import annotations

import copy
from typing import Any

from rolecall.conformance._reduce import reduce_divergence
from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance, divergence_class
from tests.quality.faulty import FaultyTarget

ALICE = "arn:aws:iam::111111111111:user/alice"
ROLE = "arn:aws:iam::111111111111:role/R"


def _st(effect: str, **kw: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": "sts:AssumeRole", **kw}


BLOATED = {
    "caller": {
        "arn": ALICE,
        "identity_policies": [
            {"Version": "2012-10-17", "Statement": [_st("Allow", Resource=ROLE)]},
            {"Version": "2012-10-17", "Statement": [_st("Allow", Resource="*")]},
        ],
        "permissions_boundary": {"Version": "2012-10-17", "Statement": [_st("Allow", Resource="*")]},
        "tags": {"team": "blue"},
    },
    "role": {
        "arn": ROLE,
        "tags": {"env": "prod"},
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [
                _st("Allow", Principal={"AWS": ALICE}),
                _st("Deny", Principal={"AWS": ALICE}, Condition={"StringLike": {"sts:RoleSessionName": "*"}}),
                _st("Allow", Principal={"AWS": "arn:aws:iam::111111111111:user/bob"}),
            ],
        },
    },
    "request": {"role_session_name": "s1", "external_id": "abcdef", "duration_seconds": 1800},
    "context": {"aws:SourceIp": "10.0.0.1"},
}


def test_reduce_keeps_only_what_the_divergence_needs() -> None:
    target = FaultyTarget("deny-ignored-trust")
    c = Conformance(target, Expectations(target=target.name))
    found, _, _, _ = c.run(copy.deepcopy(BLOATED), "explicit-deny")
    assert found
    reduced = reduce_divergence(c, found[0])
    s = reduced.scenario
    assert "identity_policies" not in s["caller"] or s["caller"]["identity_policies"] == []
    assert "permissions_boundary" not in s["caller"] and "tags" not in s["caller"] and "context" not in s
    assert set(s["request"]) == {"role_session_name"} and "tags" not in s["role"]
    trust = s["role"]["trust_policy"]["Statement"]
    assert [t["Effect"] for t in trust] == ["Allow", "Deny"] and "Condition" not in trust[1]
    again, _, _, _ = c.run({k: v for k, v in s.items() if k != "expect"}, "explicit-deny")
    assert [divergence_class(d.facts) for d in again] == [divergence_class(found[0].facts)]


def test_reduce_leaves_an_agreeing_part_alone_when_nothing_can_go() -> None:
    target = FaultyTarget("deny-ignored-trust")
    c = Conformance(target, Expectations(target=target.name))
    minimal = {
        "caller": {"arn": ALICE},
        "role": {
            "arn": ROLE,
            "trust_policy": {
                "Statement": [_st("Allow", Principal={"AWS": ALICE}), _st("Deny", Principal={"AWS": ALICE})]
            },
        },
        "request": {"role_session_name": "s1"},
    }
    found, _, _, _ = c.run(copy.deepcopy(minimal), "explicit-deny")
    reduced = reduce_divergence(c, found[0])
    assert {k: v for k, v in reduced.scenario.items() if k != "expect"} == minimal


class _Brittle(FaultyTarget):
    """Crashes (not a TargetError) on any scenario without a boundary: reduction must survive it."""

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Any:
        if "permissions_boundary" not in doc["caller"]:
            raise RuntimeError("boom")
        return super().run(doc, check_identity=check_identity)


def test_reduce_survives_a_target_that_crashes_on_a_candidate() -> None:
    target = _Brittle("deny-ignored-trust")
    c = Conformance(target, Expectations(target=target.name))
    found, _, _, _ = c.run(copy.deepcopy(BLOATED), "explicit-deny")
    reduced = reduce_divergence(c, found[0])
    assert "permissions_boundary" in reduced.scenario["caller"]  # every candidate without it crashed
    assert len(reduced.scenario["role"]["trust_policy"]["Statement"]) == 2


class _AlwaysDenies(FaultyTarget):
    """Validates nothing and denies every request (an emulator whose enforcement is upside down)."""

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Any:
        from rolecall.conformance.targets import Outcome

        return Outcome(result={"decision": "implicitDeny", "error_code": "AccessDenied", "message": "no"})


def test_reduce_never_turns_a_divergence_into_an_answer_on_an_open_point() -> None:
    """A bad session name and a cross-account caller whose identity policy allows: the model says
    ValidationError, the target denies, and authorization alone would allow (a divergence). Deleting the
    identity policy keeps the class (ValidationError against a denial) but makes the request fail
    authorization too, where a denial is AWS's other possible answer (docs/semantics.md §5.6): not the
    same divergence, so the reduction keeps the policy."""
    target = _AlwaysDenies("deny-ignored-trust")
    c = Conformance(target, Expectations(target=target.name))
    doc = {
        "caller": {
            "arn": ALICE,
            "identity_policies": [{"Version": "2012-10-17", "Statement": [_st("Allow", Resource="*")]}],
        },
        "role": {
            "arn": "arn:aws:iam::222222222222:role/R",
            "trust_policy": {"Version": "2012-10-17", "Statement": [_st("Allow", Principal={"AWS": ALICE})]},
        },
        "request": {"role_session_name": "bad name!"},
    }
    found, _, _, _ = c.run(copy.deepcopy(doc), "request-validation")
    assert [d.difference.target for d in found] == ["implicitDeny"] and not found[0].difference.open_point
    reduced = reduce_divergence(c, found[0])
    assert reduced.scenario["caller"].get("identity_policies"), "the deletion made it an open point"
    again, _, _, _ = c.run({k: v for k, v in reduced.scenario.items() if k != "expect"}, "request-validation")
    assert not again[0].difference.open_point


def test_reduce_keeps_the_variant_while_an_update_pins_variants() -> None:
    """An update that pins variants is strict about their tags: the reduction may not delete the trust
    condition (tag ``trust-condition``) it deletes otherwise, or the same variant would be new in every
    round of the update and never pinned."""
    target = FaultyTarget("deny-ignored-trust")
    c = Conformance(target, Expectations(target=target.name), update=True)
    found, _, _, _ = c.run(copy.deepcopy(BLOATED), "explicit-deny")
    assert "trust-condition" in found[0].facts["tags"]
    reduced = reduce_divergence(c, found[0])
    assert "trust-condition" in reduced.facts["tags"]
    assert "Condition" in reduced.scenario["role"]["trust_policy"]["Statement"][1]
    assert "context" not in reduced.scenario  # what the variant does not need still goes
