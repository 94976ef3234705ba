"""Known stays known, open points are not divergences: the comparison, the facts and the expectations.

A target's answer on a point AWS leaves open (docs/semantics.md §3.6, §5) is reported as such and never
fails a run unless it is strict; a refusal to store a scenario or a failure of the target is known by its
words whatever the model decides; a divergence on an action AssumeRole implies is known by its family.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from rolecall import model
from rolecall.conformance._compare import WORDING, compare, facts
from rolecall.conformance.expectations import Expectation, Expectations, signature_of
from rolecall.conformance.session import Conformance, NewDivergence
from rolecall.conformance.targets import Outcome
from rolecall.conformance.targets.model import ModelTarget
from tests.conftest import FEDERATION_SCENARIOS

A, B = "111111111111", "222222222222"
Doc = dict[str, Any]


def _doc(trust_account: str = A, **request: Any) -> Doc:
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    return {
        "caller": {
            "arn": f"arn:aws:iam::{A}:user/alice",
            "identity_policies": [{"Version": "2012-10-17", "Statement": [allow]}],
        },
        "role": {
            "arn": f"arn:aws:iam::{A}:role/R",
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trust_account}:root"}, "Action": "*"}
                ],
            },
        },
        "request": {"role_session_name": "s1", **request},
    }


def _decided(doc: Doc) -> tuple[model.Scenario, model.Result]:
    s = model.load_assume_role(doc)
    return s, model.decide(s)


def _denied(message: str, decision: str = "implicitDeny") -> Outcome:
    return Outcome(result={"decision": decision, "error_code": "AccessDenied", "message": message})


# ---------------------------------------------------------------------------------------------- wording


def test_a_message_differing_after_the_action_is_wording_unless_strict() -> None:
    s, r = _decided(_doc(trust_account=B))
    prefix = f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole"
    assert r.message is not None and r.message.startswith(prefix + " on resource:")
    (d,) = compare(r, _denied(prefix), ("message",), "s1", s)
    assert d.aspect == "message" and d.open_point == WORDING
    (d,) = compare(r, _denied(prefix), ("message",), "s1", s, strict=True)
    assert d.open_point == ""


def test_a_message_naming_another_action_or_caller_is_a_divergence() -> None:
    s, r = _decided(_doc(trust_account=B))
    for text in (
        f"User: arn:aws:iam::{A}:user/bob is not authorized to perform: sts:AssumeRole",
        f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:TagSession",
        f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRoleWithSAML",
        "Access denied",
    ):
        (d,) = compare(r, _denied(text), ("message",), "s1", s)
        assert d.aspect == "message" and d.open_point == "", text


def test_a_federated_denial_differing_after_the_action_is_wording() -> None:
    """At the federated doors AWS names no caller: ``Not authorized to perform ACTION`` is the stable
    part, and only text after it is wording."""
    doc = json.loads((FEDERATION_SCENARIOS / "FED-02.json").read_text(encoding="utf-8"))
    s = model.load_scenario(doc)
    r = model.decide(s)
    assert r.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    (d,) = compare(r, _denied(r.message + " because no trust policy allows it"), ("message",), "s1")
    assert d.aspect == "message" and d.open_point == WORDING
    for text in ("Not authorized to perform sts:AssumeRoleWithSAML", "Not authorized to perform sts:TagSession"):
        (d,) = compare(r, _denied(text), ("message",), "s1")
        assert d.open_point == "", text
    assert compare(r, _denied(r.message), ("message",), "s1") == []


def test_explicit_or_implicit_read_from_the_wording_is_wording() -> None:
    s, r = _decided(_doc(trust_account=B))
    assert r.decision == "implicitDeny" and r.message is not None
    prefix = r.message.split(" because ")[0]
    other = _denied(prefix + " with an explicit deny in a resource-based policy", "explicitDeny")
    (d,) = compare(r, other, ("decision",), "s1", s)
    assert d.aspect == "decision" and d.open_point == WORDING
    (d,) = compare(r, other, ("decision",), "s1", s, strict=True)
    assert d.open_point == ""


def test_the_same_text_read_as_another_decision_word_is_no_difference() -> None:
    """An emulator's decision word is read from its text; AWS's own text says "explicit deny in a service
    control policy" for an SCP that allows nothing (R7, TRB-AD), so a target answering that very text
    agrees, also under ``strict``."""
    s, r = _decided(_doc(trust_account=B))
    same = dataclasses.replace(_denied(r.message or "", "explicitDeny"), decision_from_text=True)
    assert compare(r, same, ("decision", "message"), "s1", s) == []
    assert compare(r, same, ("decision", "message"), "s1", s, strict=True) == []
    # a target that states its decision word (the model, the solver) is held to it, whatever the text
    stated = _denied(r.message or "", "explicitDeny")
    (d,) = compare(r, stated, ("decision", "message"), "s1", s, strict=True)
    assert (d.aspect, d.model, d.target) == ("decision", "implicitDeny", "explicitDeny")


# ---------------------------------------------------------------------------------------------- order


def test_a_denial_of_an_invalid_and_unauthorized_request_is_the_order_point() -> None:
    s, r = _decided(_doc(trust_account=B, role_session_name="bad name!"))
    assert r.error_code == "ValidationError"
    (d,) = compare(r, _denied("x"), ("decision",), "s1", s)
    assert d.open_point.startswith("order: ") and "§5.6" in d.open_point
    assert compare(r, _denied("x"), ("decision",), "s1", s, strict=True)[0].open_point == ""
    allowed = Outcome(result={"decision": "allowed"})
    assert compare(r, allowed, ("decision",), "s1", s)[0].open_point == ""  # AWS never allows it


def test_a_refusal_while_provisioning_is_never_an_open_point() -> None:
    s, r = _decided(_doc(trust_account=B, role_session_name="bad name!"))
    refused = Outcome(result={"decision": "implicitDeny", "message": "no"}, phase="provision")
    assert compare(r, refused, ("decision",), "s1", s)[0].open_point == ""


# ---------------------------------------------------------------------------------------------- classes


def _facts(doc: Doc, outcome: Outcome) -> dict[str, Any]:
    s, r = _decided(doc)
    (d,) = compare(r, outcome, ("decision",), "s1", s)
    return facts(doc, r, d, outcome)


def test_a_refusal_to_store_is_known_by_its_words_whatever_the_model_decides() -> None:
    refusal = Outcome(
        result={
            "decision": "error",
            "error_code": "MalformedPolicyDocument",
            "message": f"Policy arn:aws:iam::{A}:policy/p1 must be version 2012-10-17 or greater (7 'x').",
        },
        phase="provision",
    )
    allowed_doc, denied_doc = _doc(), _doc(trust_account=B)
    f1, f2 = _facts(allowed_doc, refusal), _facts(denied_doc, refusal)
    assert f1["model"] != f2["model"]
    assert f1["phase"] == "provision" and f1["target_message"] == "Policy ARN must be version N-N-N or greater (N '…')."
    sig = signature_of(f1)
    assert sig == {
        "aspect": "decision",
        "phase": "provision",
        "target": "error:MalformedPolicyDocument",
        "target_message": f1["target_message"],
    }
    entry = Expectation("p", "f", "r", sig, allowed_doc)
    assert entry.matches(f2)
    other = Outcome(result={**refusal.result, "message": "Syntax errors in policy."}, phase="provision")
    assert not entry.matches(_facts(denied_doc, other))


def _family_facts(action: str, accounts: str, denied_by: str) -> dict[str, Any]:
    return {
        "aspect": "decision",
        "phase": "assume",
        "accounts": accounts,
        "model": "explicitDeny",
        "target": "allowed",
        "rule": "R5",
        "denied_by": denied_by,
        "action": action,
        "tags": [],
    }


@pytest.mark.parametrize("action", ["sts:SetSourceIdentity", "sts:TagSession"])
def test_an_implied_action_is_known_by_its_family_unless_strict(action: str) -> None:
    known = _family_facts(action, "same", "identity-based policy")
    exp = Expectations("t", entries=[Expectation("k", "f", "r", signature_of(known), {})])
    met = {**_family_facts(action, "cross", "identity-based policy"), "model": "implicitDeny", "tags": ["boundary"]}
    entry = exp.explain(met, strict=False)
    assert entry is not None and entry.id == "k"
    assert exp.explain(met, strict=True) is None
    allowed = {**met, "model": "allowed", "target": "implicitDeny"}
    assert exp.explain(allowed, strict=False) is None  # another family
    # a deny of another policy kind is another family: a target ignoring SCP denies is never excused by
    # a known trust-side or identity-side entry
    for denied_by in ("service control policy", "permissions boundary", "role trust policy"):
        assert exp.explain(_family_facts(action, "cross", denied_by), strict=False) is None, denied_by


def test_an_action_refused_by_two_policy_kinds_and_allowed_is_an_ignored_action() -> None:
    """Entries showing the target allowing sts:TagSession against a trust-side and an identity-side
    refusal: it does not evaluate the action, so a session-policy refusal of it is that same cause. One
    kind is no such evidence."""
    action = "sts:TagSession"
    trust = _family_facts(action, "same", "role trust policy")
    identity = {**_family_facts(action, "cross", "identity-based policy"), "rule": "R9", "model": "implicitDeny"}
    met = {**_family_facts(action, "cross", "session policy"), "rule": "R9", "model": "implicitDeny"}
    one = Expectations("t", entries=[Expectation("t1", "f", "r", signature_of(trust), {})])
    assert one.explain(met, strict=False) is None
    two = Expectations(
        "t",
        entries=[
            Expectation("t1", "f", "r", signature_of(trust), {}),
            Expectation("i1", "f", "r", signature_of(identity), {}),
        ],
    )
    entry = two.explain(met, strict=False)
    assert entry is not None and entry.id in ("t1", "i1")
    assert two.explain(met, strict=True) is None
    assert two.explain({**met, "action": "sts:SetSourceIdentity"}, strict=False) is None  # another action
    assert two.explain({**met, "target": "error:ValidationError"}, strict=False) is None  # another answer


def test_assume_role_itself_has_no_family() -> None:
    known = _family_facts("sts:AssumeRole", "same", "identity-based policy")
    exp = Expectations("t", entries=[Expectation("k", "f", "r", signature_of(known), {})])
    assert exp.explain(_family_facts("sts:AssumeRole", "cross", "role trust policy"), strict=False) is None


# ---------------------------------------------------------------------------------------------- the session


class _SaysDenied(ModelTarget):
    """The model, except that it denies every request (to meet the order point on purpose)."""

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        return Outcome(result={"decision": "implicitDeny", "error_code": "AccessDenied", "message": "denied"})


def test_the_session_counts_open_points_apart_and_fails_on_them_only_when_strict() -> None:
    doc = _doc(trust_account=B, role_session_name="bad name!")
    target = _SaysDenied()
    target.start()
    c = Conformance(target, Expectations("model"))
    c.check(doc, "f", order=True)  # a property testing the order on purpose (others never send it)
    assert c.counts["f"].open == 1 and c.counts["f"].known == 0 and c.open_hits == {"order": 1}
    assert c.data()["open_examples"]["order"]["difference"]["open_point"].startswith("order: ")
    strict = Conformance(target, Expectations("model"), strict=True)
    with pytest.raises(NewDivergence):
        strict.check(doc, "f")


def test_a_new_moto_server_session_starts_from_empty_accounts() -> None:
    """moto's backends outlive a session in one process (an update runs several): a second session,
    whose fresh account ids restart where the first's did, must not meet the first one's users."""
    from rolecall.conformance.targets.moto import MotoServerTarget

    outcomes = []
    for _ in range(2):
        target = MotoServerTarget()
        target.start()
        try:
            outcomes.append(target.run(target.prepare(_doc())))
        finally:
            target.stop()
    assert outcomes[0].phase == outcomes[1].phase == "assume", outcomes[1].result  # not EntityAlreadyExists
    assert outcomes[0].result == outcomes[1].result
