"""The laws of tests/properties/test_laws.py, at the federated doors (docs/federation.md).

Each law is metamorphic: decide a generated federated scenario, change it in a way whose effect
the rules fix (add a Deny, add an Allow, reorder or repeat statements, canonicalise), decide
again, compare. Example counts follow the Hypothesis profile (tests/examples.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from rolecall import model, strategies

#: Rules that decide before any policy is read or without authorizing: a Deny cannot change them.
BEFORE_AUTHORIZATION = ("F0", "F1", "F3", "F4")


def decide(doc: dict[str, Any]) -> model.Result:
    return model.decide(model.load_scenario(doc))


def outcome(r: model.Result) -> tuple[str | None, ...]:
    return (r.decision, r.denied_by, r.action, r.error_code)


def show(doc: dict[str, Any], r: model.Result) -> str:
    return f"\nresult: {json.dumps(r.to_json())}\nscenario: {json.dumps(doc)}"


def _principal(doc: dict[str, Any]) -> Any:
    return doc["role"]["trust_policy"]["Statement"][0]["Principal"]


@st.composite
def _statements(draw: st.DrawFn, doc: dict[str, Any], effect: str) -> dict[str, Any]:
    """A statement about this scenario's caller, nearly or exactly: its principal or ``*``, an
    action the call needs or not, and perhaps one of the trust policy's own conditions."""
    principal = draw(st.sampled_from([_principal(doc), "*", {"Federated": "accounts.google.com"}]))
    action = draw(
        st.sampled_from(
            [
                "sts:AssumeRoleWith*",
                "sts:*",
                "sts:TagSession",
                "sts:AssumeRole",
                doc["api"].replace("AssumeRole", "sts:AssumeRole"),
            ]
        )
    )
    statement: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    condition = doc["role"]["trust_policy"]["Statement"][0].get("Condition")
    if condition and draw(st.booleans()):
        statement["Condition"] = copy.deepcopy(condition)
    return statement


def _with(doc: dict[str, Any], statement: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out.pop("expect", None)
    out["role"]["trust_policy"]["Statement"].append(statement)
    # the laws compare statements, not size: a statement added may cross the quota (docs/semantics.md §4.8)
    out.setdefault("semantics", {})["trust_policy_size_quota"] = 10**6
    return out


@given(st.data())
def test_deny_never_adds_access(data: st.DataObject) -> None:
    doc = data.draw(strategies.federated_scenarios())
    before = decide(doc)
    after_doc = _with(doc, data.draw(_statements(doc, "Deny")))
    after = decide(after_doc)
    event(f"decision: {before.decision} -> {after.decision}")
    if after.decision == "allowed":
        assert before.decision == "allowed", show(after_doc, after)
    if before.decision != "allowed":
        assert after.decision != "allowed", show(after_doc, after)


@given(st.data())
def test_allow_never_removes_access_unless_iam_refuses_to_store_it(data: st.DataObject) -> None:
    """F0 aside (an Allow naming a shared issuer without its tenant claim makes the policy
    unstorable), adding an Allow statement never turns an allowed scenario into a refusal."""
    doc = data.draw(strategies.federated_scenarios(decision="allowed"))
    after_doc = _with(doc, data.draw(_statements(doc, "Allow")))
    after = decide(after_doc)
    event(f"after: {after.decision} {after.rule}")
    assert after.decision == "allowed" or after.rule == "F0", show(after_doc, after)


@given(st.data())
def test_a_matching_deny_wins_once_authorization_starts(data: st.DataObject) -> None:
    """A Deny naming the caller's own provider, for every action, wins over every Allow (F7): the
    outcome is an explicit deny, unless a rule before authorization decided (F0, F1, F3, F4)."""
    doc = data.draw(strategies.federated_scenarios())
    before = decide(doc)
    deny = {"Effect": "Deny", "Principal": {"Federated": _callers_provider(doc)}, "Action": "sts:*"}
    after_doc = _with(doc, deny)
    after = decide(after_doc)
    event(f"before: {before.rule}")
    if before.rule in BEFORE_AUTHORIZATION:
        assert outcome(after) == outcome(before), show(after_doc, after)
    else:
        assert (after.decision, after.rule) == ("explicitDeny", "F7"), show(after_doc, after)


def _callers_provider(doc: dict[str, Any]) -> str:
    """What a ``Federated`` principal must say to name this caller (F10's table)."""
    if doc["api"] == "AssumeRoleWithSAML":
        return str(doc["request"]["principal_arn"])
    caller = doc["federated_caller"]
    if caller["provider_kind"] != "oidc":
        return str(caller["provider"])
    account = doc["role"]["arn"].split(":")[4]
    return f"arn:aws:iam::{account}:oidc-provider/{caller['provider']}"


@given(st.data())
def test_statement_order_and_duplicates_never_matter(data: st.DataObject) -> None:
    doc = data.draw(strategies.federated_scenarios())
    extra = data.draw(st.lists(_statements(doc, "Deny") | _statements(doc, "Allow"), max_size=2))
    base = copy.deepcopy(doc)
    base.pop("expect", None)
    # the law is about statements, not size: duplicates may cross the trust policy quota (docs/semantics.md §4.8)
    base.setdefault("semantics", {})["trust_policy_size_quota"] = 10**6
    base["role"]["trust_policy"]["Statement"] += extra
    before = decide(base)
    shuffled = copy.deepcopy(base)
    statements = shuffled["role"]["trust_policy"]["Statement"]
    order = data.draw(st.permutations(range(len(statements))))
    shuffled["role"]["trust_policy"]["Statement"] = [statements[i] for i in order] + [statements[order[0]]]
    after = decide(shuffled)
    assert outcome(after) == outcome(before), show(shuffled, after)


@given(strategies.federated_scenarios())
def test_canonical_document_keeps_the_decision(doc: dict[str, Any]) -> None:
    s = model.load_scenario(doc)
    canonical = model.canonical_document(s)
    assert outcome(decide(canonical)) == outcome(model.decide(s))
    assert model.canonical_document(model.load_scenario(canonical)) == canonical
