"""The conformance suite's core, on real scenarios and real targets (model, moto, moto-server).

What is proven here:

* :func:`adapt` removes exactly what a target's capabilities cannot express (for
  moto: the organization, the request context, MFA, a user's permissions
  boundary), says so, keeps everything for the model target, refuses the caller
  kinds moto cannot be, never mutates its input and always drops ``expect``.
* :class:`FreshAccounts` renames every account id of a scenario consistently,
  gives different scenarios disjoint ids, leaves other numbers alone, and never
  changes what the model decides for any SPEC scenario.
* :func:`plan` turns users, role sessions and self-assumption into the right
  provisioning plan, and maps every request field to its boto3 parameter.
* :func:`compare` / :func:`decision_class` tell denial classes apart, compare
  messages only when asked, and catch every wrong field of a response.
* :func:`scenario_tags` / :func:`facts` describe scenarios in the words
  signatures use; expectations files round-trip, fail with the file and the
  entry named, and explain a divergence by its most specific entry.
* :class:`Conformance` never raises against the model, reports moto's known
  cross-account divergence with the right facts, reports a moto crash as a
  target error (never a denial), and moto in-process and moto-server decide
  generated scenarios alike.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, reject, settings

from rolecall import model
from rolecall.conformance._compare import Difference, compare, decision_class, facts, scenario_tags
from rolecall.conformance._world import FreshAccounts, Unsupported, adapt, caller_kind, plan
from rolecall.conformance.expectations import Expectation, Expectations, ExpectationsError
from rolecall.conformance.session import Conformance, Divergence
from rolecall.conformance.targets import Outcome, TargetProtocol, load_target
from rolecall.conformance.targets.moto import _CAPABILITIES as MOTO_CAPABILITIES
from tests.examples import scaled

from ..conftest import EXAMPLES, SPEC_SCENARIOS

pytest.importorskip("moto")

A, B, C = "111111111111", "222222222222", "333333333333"
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
MODEL_CAPABILITIES = load_target("model").capabilities

Doc = dict[str, Any]


def _policy(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ASSUME = _policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})


def _trust(principal: Any, action: Any = "sts:AssumeRole", effect: str = "Allow", **extra: Any) -> Doc:
    return _policy({"Effect": effect, "Principal": principal, "Action": action, **extra})


def _scenario(
    caller: str = f"arn:aws:iam::{A}:user/alice",
    role: str = f"arn:aws:iam::{A}:role/R",
    trust: Doc | None = None,
    identity: list[Doc] | None = None,
    **request: Any,
) -> Doc:
    return {
        "caller": {"arn": caller, "identity_policies": [ALLOW_ASSUME] if identity is None else identity},
        "role": {"arn": role, "trust_policy": trust or _trust({"AWS": f"arn:aws:iam::{A}:root"})},
        "request": {"role_session_name": "s1", **request},
    }


def _full_user_scenario() -> Doc:
    """A user-caller scenario using every part moto cannot express, and some it can."""
    return {
        "caller": {
            "arn": f"arn:aws:iam::{A}:user/alice",
            "mfa": True,
            "tags": {"team": "blue"},
            "identity_policies": [_policy({"Effect": "Allow", "Action": "sts:*", "Resource": "*"})],
            "permissions_boundary": _policy({"Effect": "Allow", "Action": "sts:*", "Resource": "*"}),
        },
        "role": {
            "arn": f"arn:aws:iam::{A}:role/R",
            "tags": {"env": "prod"},
            "trust_policy": _trust({"AWS": A}, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]),
        },
        "request": {
            "role_session_name": "s1",
            "serial_number": f"arn:aws:iam::{A}:mfa/alice",
            "token_code": "123456",
            "external_id": "ext-123",
            "tags": [{"Key": "k", "Value": "v"}],
            "source_identity": "alice",
        },
        "context": {"aws:SourceIp": "203.0.113.7"},
        "organization": {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": [A]},
        "expect": {"decision": "allowed"},
    }


def _load(path: Path) -> Doc:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _accounts(doc: Any) -> set[str]:
    return set(_ACCOUNT.findall(json.dumps(doc)))


# ============================================================================================ adapt


def test_adapt_removes_what_moto_cannot_express_and_says_so() -> None:
    doc = _full_user_scenario()
    out, removed = adapt(doc, MOTO_CAPABILITIES)
    assert sorted(removed) == sorted(
        [
            "organization",
            "context",
            "caller.mfa",
            "request.serial_number",
            "request.token_code",
            "caller.permissions_boundary",
        ]
    )
    for key in ("organization", "context", "expect"):
        assert key not in out
    assert "mfa" not in out["caller"] and "permissions_boundary" not in out["caller"]
    assert "serial_number" not in out["request"] and "token_code" not in out["request"]
    # what moto can express stays, exactly as given
    assert out["caller"]["tags"] == {"team": "blue"} and out["role"]["tags"] == {"env": "prod"}
    for key in ("external_id", "tags", "source_identity", "role_session_name"):
        assert out["request"][key] == doc["request"][key]
    assert out["caller"]["identity_policies"] == doc["caller"]["identity_policies"]
    assert out["role"]["trust_policy"] == doc["role"]["trust_policy"]
    model.load_scenario(out)  # the adapted scenario is still valid input


def test_adapt_keeps_a_role_session_boundary_on_moto() -> None:
    """moto can set a role's boundary (not a user's): a role-session caller keeps it."""
    doc = _scenario(caller=f"arn:aws:sts::{A}:assumed-role/Caller/s0")
    doc["caller"]["permissions_boundary"] = ALLOW_ASSUME
    doc["caller"]["session_policy"] = ALLOW_ASSUME
    out, removed = adapt(doc, MOTO_CAPABILITIES)
    assert removed == []
    assert out["caller"]["permissions_boundary"] == ALLOW_ASSUME
    assert out["caller"]["session_policy"] == ALLOW_ASSUME


def test_adapt_keeps_everything_for_the_model() -> None:
    doc = _full_user_scenario()
    out, removed = adapt(doc, MODEL_CAPABILITIES)
    assert removed == []
    want = copy.deepcopy(doc)
    del want["expect"]
    assert out == want


@pytest.mark.parametrize(
    "caller",
    [
        {"arn": f"arn:aws:iam::{A}:root"},
        {"arn": f"arn:aws:sts::{A}:federated-user/fed"},
        {"service": "ec2.amazonaws.com"},
        {"arn": f"arn:aws:iam::{A}:user/alice", "credentials": "session-token"},
    ],
    ids=["root", "federated", "service", "session-token"],
)
def test_adapt_refuses_callers_moto_cannot_be(caller: Doc) -> None:
    doc = _scenario()
    doc["caller"] = {**caller, "identity_policies": [ALLOW_ASSUME]}
    with pytest.raises(Unsupported, match=caller_kind(doc)):
        adapt(doc, MOTO_CAPABILITIES)
    out, removed = adapt(doc, MODEL_CAPABILITIES)  # the model can be any caller
    assert out["caller"] == doc["caller"] and removed == []


@pytest.mark.parametrize(
    "capabilities",
    [MOTO_CAPABILITIES, MODEL_CAPABILITIES, frozenset({"user-callers"})],
    ids=["moto", "model", "users-only"],
)
def test_adapt_never_mutates_its_input_and_always_drops_expect(capabilities: frozenset[str]) -> None:
    doc = _full_user_scenario()
    before = copy.deepcopy(doc)
    out, _ = adapt(doc, capabilities)
    assert doc == before
    assert "expect" not in out and "expect" in doc
    out["caller"]["identity_policies"].append({"changed": True})  # no sharing with the input either
    assert doc == before


# ==================================================================================== FreshAccounts


def test_fresh_accounts_renames_consistently_within_a_scenario() -> None:
    trust = _trust(
        {"AWS": [A, f"arn:aws:iam::{A}:user/alice"]},
        Condition={"StringEquals": {"aws:PrincipalAccount": A}, "NumericLessThan": {"n": "1234567890123"}},
    )
    doc = _scenario(
        role=f"arn:aws:iam::{B}:role/R",
        trust=trust,
        identity=[_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{B}:role/R"})],
        duration_seconds=3600,
    )
    before = copy.deepcopy(doc)
    out = FreshAccounts()(doc)
    assert doc == before
    a2 = out["caller"]["arn"].split(":")[4]
    b2 = out["role"]["arn"].split(":")[4]
    assert a2 != b2 and {a2, b2}.isdisjoint({A, B})
    assert _accounts(out) == {a2, b2}
    st0 = out["role"]["trust_policy"]["Statement"][0]
    assert st0["Principal"]["AWS"] == [a2, f"arn:aws:iam::{a2}:user/alice"]
    assert st0["Condition"]["StringEquals"]["aws:PrincipalAccount"] == a2
    assert out["caller"]["identity_policies"][0]["Statement"][0]["Resource"] == f"arn:aws:iam::{b2}:role/R"
    # other numbers are no account ids
    assert st0["Condition"]["NumericLessThan"]["n"] == "1234567890123"
    assert out["request"]["duration_seconds"] == 3600
    # nothing else changed: renaming back gives the original
    back = json.loads(json.dumps(out).replace(a2, A).replace(b2, B))
    assert back == before


def test_fresh_accounts_gives_different_scenarios_disjoint_ids() -> None:
    fresh = FreshAccounts()
    same = _scenario(role=f"arn:aws:iam::{B}:role/R")
    first, second, third = fresh(same), fresh(copy.deepcopy(same)), fresh(_scenario(role=f"arn:aws:iam::{C}:role/R"))
    ids = [_accounts(d) for d in (first, second, third)]
    assert all(len(i) == 2 for i in ids)
    assert ids[0].isdisjoint(ids[1]) and ids[0].isdisjoint(ids[2]) and ids[1].isdisjoint(ids[2])


# A policy that spells part of an account with a wildcard ("1111*", "11111111111?") means something
# else once the account is renamed, so the model may then legitimately decide differently: only the
# SPEC scenarios without such a pattern must decide exactly alike (none of them has one today).
_PARTIAL_ACCOUNT_WILDCARD = re.compile(r"[0-9][*?]|[*?][0-9]")
SPEC_FILES = sorted(SPEC_SCENARIOS.glob("*.json"))


def test_spec_scenarios_exist() -> None:
    assert len(SPEC_FILES) >= 70
    assert sum(not _PARTIAL_ACCOUNT_WILDCARD.search(p.read_text()) for p in SPEC_FILES) >= 70


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
def test_fresh_accounts_never_change_a_spec_decision(path: Path) -> None:
    doc = _load(path)
    if _PARTIAL_ACCOUNT_WILDCARD.search(json.dumps(doc)):
        pytest.skip("a partial-account wildcard may legitimately decide differently once renamed")
    renamed = FreshAccounts()(doc)
    assert _accounts(renamed).isdisjoint(_accounts(doc))
    before = model.decide(model.load_scenario(doc))
    after = model.decide(model.load_scenario(renamed))
    assert (after.decision, after.rule, after.error_code, after.denied_by, after.action) == (
        before.decision,
        before.rule,
        before.error_code,
        before.denied_by,
        before.action,
    )


# ============================================================================================= plan


def test_plan_of_a_user_caller() -> None:
    boundary = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    doc = _scenario(caller=f"arn:aws:iam::{A}:user/team/alice", role=f"arn:aws:iam::{B}:role/ops/R")
    doc["caller"].update(permissions_boundary=boundary, tags={"team": "blue"})
    doc["role"].update(max_session_duration=7200, tags={"env": "prod"})
    p = plan(doc)
    c, r = p.caller, p.role
    assert (c.kind, c.account, c.partition, c.name, c.path) == ("user", A, "aws", "alice", "/team/")
    assert [json.loads(x) for x in c.identity_policies] == [ALLOW_ASSUME]
    assert c.boundary is not None and json.loads(c.boundary) == boundary
    assert c.tags == (("team", "blue"),) and c.session_name is None
    assert (r.arn, r.account, r.name, r.path, r.exists) == (f"arn:aws:iam::{B}:role/ops/R", B, "R", "/ops/", True)
    assert json.loads(r.trust) == doc["role"]["trust_policy"]
    assert r.max_session_duration == 7200 and r.tags == (("env", "prod"),)
    assert p.accounts == (A, B) and p.self_assume is False and p.region == "us-east-1"


def test_plan_of_a_role_session_caller() -> None:
    doc = _scenario(caller=f"arn:aws:sts::{A}:assumed-role/Caller/sess-1")
    doc["caller"].update(role_path="/ops/", session_policy=ALLOW_ASSUME)
    p = plan(doc)
    c = p.caller
    assert (c.kind, c.account, c.name, c.path, c.session_name) == ("role-session", A, "Caller", "/ops/", "sess-1")
    assert c.role_arn == f"arn:aws:iam::{A}:role/ops/Caller"
    assert c.session_policy is not None and json.loads(c.session_policy) == ALLOW_ASSUME
    assert p.self_assume is False and p.accounts == (A,)


def test_plan_of_a_self_assume() -> None:
    doc = _scenario(caller=f"arn:aws:sts::{A}:assumed-role/R/s0", role=f"arn:aws:iam::{A}:role/R")
    p = plan(doc)
    assert p.self_assume is True and p.caller.name == p.role.name == "R"
    # the same role name in another account is another role
    other = _scenario(caller=f"arn:aws:sts::{A}:assumed-role/R/s0", role=f"arn:aws:iam::{B}:role/R")
    assert plan(other).self_assume is False


def test_plan_maps_every_request_field_to_boto3() -> None:
    doc = _scenario(
        duration_seconds=900,
        external_id="ext-123",
        policy=json.dumps(ALLOW_ASSUME),
        policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        tags=[{"Key": "k", "Value": "v"}],
        transitive_tag_keys=["k"],
        source_identity="alice",
        serial_number=f"arn:aws:iam::{A}:mfa/a",
        token_code="123456",
        region="eu-west-1",
    )
    p = plan(doc)
    assert p.params == {
        "RoleArn": f"arn:aws:iam::{A}:role/R",
        "RoleSessionName": "s1",
        "DurationSeconds": 900,
        "ExternalId": "ext-123",
        "Policy": json.dumps(ALLOW_ASSUME),
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
        "Tags": [{"Key": "k", "Value": "v"}],
        "TransitiveTagKeys": ["k"],
        "SourceIdentity": "alice",
        "SerialNumber": f"arn:aws:iam::{A}:mfa/a",
        "TokenCode": "123456",
    }
    assert p.region == "eu-west-1"
    assert plan(_scenario()).params == {"RoleArn": f"arn:aws:iam::{A}:role/R", "RoleSessionName": "s1"}


def test_plan_refuses_a_root_caller() -> None:
    with pytest.raises(Unsupported, match="root"):
        plan(_scenario(caller=f"arn:aws:iam::{A}:root"))


# ============================================================================ compare / decision_class


@pytest.mark.parametrize(
    ("result", "cls"),
    [
        ({"decision": "explicitDeny"}, "denied"),
        ({"decision": "implicitDeny"}, "denied"),
        ({"decision": "denied"}, "denied"),
        ({"decision": "allowed"}, "allowed"),
        ({"decision": "error", "error_code": "ValidationError"}, "error:ValidationError"),
    ],
)
def test_decision_class(result: Doc, cls: str) -> None:
    assert decision_class(result) == cls


def _decided(doc: Doc) -> model.Result:
    return model.decide(model.load_scenario(doc))


def test_compare_denial_classes() -> None:
    deny = _decided(_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:root"}, effect="Deny")))
    implicit = _decided(_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/bob"})))
    assert (deny.decision, implicit.decision) == ("explicitDeny", "implicitDeny")
    # explicit vs implicit: the same class, but a difference when the target's message says which
    d = compare(deny, Outcome(result={"decision": "implicitDeny"}), ["decision"], "s1")
    assert [(x.aspect, x.model, x.target) for x in d] == [("decision", "explicitDeny", "implicitDeny")]
    # a target that does not say which denial agrees with either
    assert compare(deny, Outcome(result={"decision": "denied"}), ["decision"], "s1") == []
    assert compare(implicit, Outcome(result={"decision": "denied"}), ["decision"], "s1") == []
    assert compare(implicit, Outcome(result={"decision": "implicitDeny"}), ["decision"], "s1") == []
    # another class: one decision difference, nothing else
    d = compare(implicit, Outcome(result={"decision": "allowed"}), ["decision", "message", "response"], "s1")
    assert [(x.aspect, x.model, x.target) for x in d] == [("decision", "implicitDeny", "allowed")]
    d = compare(implicit, Outcome(result={"decision": "error", "error_code": "X"}), ["decision"], "s1")
    assert [(x.model, x.target) for x in d] == [("implicitDeny", "error:X")]


def test_compare_message_only_when_asked() -> None:
    implicit = _decided(_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/bob"})))
    assert implicit.message
    wrong = Outcome(result={"decision": "implicitDeny", "message": "nope"})
    assert compare(implicit, wrong, ["decision"], "s1") == []
    d = compare(implicit, wrong, ["message"], "s1")
    assert [x.aspect for x in d] == ["message"] and "nope" in d[0].detail
    right = Outcome(result={"decision": "implicitDeny", "message": implicit.message})
    assert compare(implicit, right, ["message"], "s1") == []


@pytest.fixture(scope="module")
def allowed() -> model.Result:
    r = _decided(_load(EXAMPLES / "01-user-same-account.json"))
    assert r.decision == "allowed" and r.assumed_role is not None
    return r


def _good(r: model.Result, **changes: Any) -> Outcome:
    """A correct answer for ``r`` (session ``s1``), with ``changes`` applied."""
    a = r.assumed_role
    assert a is not None
    rid = a.assumed_role_id.split(":")[0]
    assumed = {"arn": a.arn, "assumed_role_id": f"{rid}:s1", "duration_seconds": a.duration_seconds}
    assumed.update({k: v for k, v in changes.items() if k in assumed})
    key = changes.get("key", "ASIA" + "X" * 16)
    return Outcome(
        result={"decision": "allowed", "assumed_role": assumed},
        role_id=rid,
        credentials={"AccessKeyId": key},
        identity=changes.get("identity"),
    )


def test_compare_response_accepts_a_correct_answer(allowed: model.Result) -> None:
    a = allowed.assumed_role
    assert a is not None
    assert compare(allowed, _good(allowed), ["response"], "s1") == []
    for drift in (-5, 5):  # within 5 s of the expected expiration
        assert compare(allowed, _good(allowed, duration_seconds=a.duration_seconds + drift), ["response"], "s1") == []
    identity = {"Arn": a.arn, "Account": A, "UserId": a.assumed_role_id}
    assert compare(allowed, _good(allowed, identity=identity), ["response"], "s1") == []


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"arn": f"arn:aws:sts::{A}:assumed-role/Other/s1"}, "assumed-role ARN"),
        ({"assumed_role_id": "AROAPNRGGYBOVFLGUE5OE:other"}, "AssumedRoleId"),
        ({"key": "AKIA" + "X" * 16}, "AccessKeyId"),
        ({"duration_seconds": 3606}, "Expiration"),
        ({"duration_seconds": 3594}, "Expiration"),
        (
            {
                "identity": {
                    "Arn": f"arn:aws:sts::{A}:assumed-role/R/other",
                    "Account": A,
                    "UserId": "AROAPNRGGYBOVFLGUE5OE:s1",
                }
            },
            "GetCallerIdentity",
        ),
    ],
    ids=["arn", "assumed-role-id", "key", "expiration-late", "expiration-early", "identity"],
)
def test_compare_response_catches_each_wrong_field(allowed: model.Result, change: Doc, what: str) -> None:
    assert allowed.assumed_role is not None
    assert allowed.assumed_role.assumed_role_id.startswith("AROAPNRGGYBOVFLGUE5OE:")
    bad = _good(allowed, **change)
    d = compare(allowed, bad, ["response"], "s1")
    assert [(x.aspect, x.model) for x in d] == [("response", what)]
    assert compare(allowed, bad, ["decision", "message"], "s1") == []  # only when the response is asked about


# ================================================================================ scenario_tags / facts


def test_scenario_tags_of_a_plain_scenario() -> None:
    tags = scenario_tags(_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/alice"})))
    assert tags == set()
    assert scenario_tags(_scenario(identity=[])) == {"no-identity-policy", "principal:account"}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/bob"}, effect="Deny")), {"trust-deny"}),
        (
            _scenario(
                trust=_trust(
                    {"AWS": f"arn:aws:iam::{A}:user/alice"}, Condition={"StringLike": {"sts:RoleSessionName": "s*"}}
                )
            ),
            {"trust-condition", "operator:StringLike"},
        ),
        (_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/alice"}, "STS:assumerole")), {"action-case"}),
        (_scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/alice"}, "sts:AssumeRol?")), {"wildcard-?"}),
        (
            _scenario(
                identity=[
                    _policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{A}:role/R.x"})
                ],
                trust=_trust({"AWS": f"arn:aws:iam::{A}:user/alice"}),
            ),
            {"regex-metacharacter"},
        ),
        (_scenario(trust=_trust({"AWS": A})), {"principal:account"}),
        (_scenario(trust=_trust("*")), {"principal:wildcard"}),
        (
            _scenario(
                identity=[_policy({"Effect": "Deny", "Action": "sts:assumeRole", "Resource": "*"})],
                trust=_trust({"AWS": f"arn:aws:iam::{A}:user/alice"}),
            ),
            {"identity-deny", "action-case"},
        ),
    ],
    ids=["trust-deny", "string-like", "action-case", "wildcard-?", "regex", "account", "wildcard", "identity-deny"],
)
def test_scenario_tags(doc: Doc, expected: set[str]) -> None:
    assert scenario_tags(doc) == expected


def test_scenario_tags_of_request_fields_and_paths() -> None:
    doc = _scenario(
        caller=f"arn:aws:iam::{A}:user/team/alice",
        trust=_trust({"AWS": f"arn:aws:iam::{A}:user/a"}),
        external_id="ext-123",
        duration_seconds=900,
    )
    doc["role"]["exists"] = False
    assert scenario_tags(doc) == {"path", "request:external_id", "request:duration_seconds", "role-missing"}


def test_facts_same_and_cross_account() -> None:
    for name, accounts in (
        ("01-user-same-account.json", "same"),
        ("02-user-cross-account.json", "cross"),
        ("04-role-cross-account.json", "cross"),
    ):
        doc = _load(EXAMPLES / name)
        r = _decided(doc)
        f = facts(doc, r, Difference("decision", r.decision, "implicitDeny", "x"))
        assert f["accounts"] == accounts, name
        assert (f["aspect"], f["model"], f["target"], f["rule"]) == ("decision", r.decision, "implicitDeny", r.rule)
        assert f["tags"] == sorted(scenario_tags(doc))
    service = _load(EXAMPLES / "05-ec2-instance-role.json")
    r = _decided(service)
    f = facts(service, r, Difference("decision", r.decision, "denied", "x"))
    assert (f["accounts"], f["caller"]) == ("service", "service")


def test_facts_of_a_trust_denial() -> None:
    doc = _scenario(role=f"arn:aws:iam::{B}:role/R", trust=_trust({"AWS": f"arn:aws:iam::{A}:user/bob"}))
    r = _decided(doc)
    f = facts(doc, r, Difference("decision", "implicitDeny", "allowed", "x"))
    assert {k: f[k] for k in ("accounts", "caller", "model", "target", "rule", "denied_by", "action")} == {
        "accounts": "cross",
        "caller": "user",
        "model": "implicitDeny",
        "target": "allowed",
        "rule": "R8",
        "denied_by": "role trust policy",
        "action": "sts:AssumeRole",
    }


# ====================================================================================== expectations


def _entry(id: str, feature: str = "cross-account", **signature: Any) -> Expectation:
    return Expectation(
        id=id,
        feature=feature,
        reason=f"reason of {id}",
        signature=signature,
        counterexample=_scenario(role=f"arn:aws:iam::{B}:role/R"),
        link=f"https://example.com/{id}",
    )


def test_expectations_dump_load_round_trip(tmp_path: Path) -> None:
    entries = [
        _entry(
            "b-trust",
            accounts="cross",
            model="implicitDeny",
            rule="R8",
            target="allowed",
            tags=["principal:account", "request:external_id"],
            not_tags=["trust-deny"],
        ),
        _entry(
            "a-any",
            feature="same-account",
            aspect="decision",
            model=["implicitDeny", "explicitDeny"],
            trust_match=["user"],
        ),
    ]
    entries[1].reason = 'quotes " and \\ and \u00e9 survive'
    entries[1].counterexample["id"] = "has ''' inside"
    exp = Expectations(target="moto", version="5.2.5", entries=entries)
    path = tmp_path / "moto.toml"
    path.write_text(exp.dump(), encoding="utf-8")
    loaded = Expectations.load(path, "moto")
    assert (loaded.target, loaded.version, loaded.path) == ("moto", "5.2.5", path)
    assert sorted(loaded.entries, key=lambda e: e.id) == sorted(entries, key=lambda e: e.id)
    assert loaded.dump() == exp.dump()
    assert Expectations.load(tmp_path / "missing.toml", "moto").entries == []


_GOOD_ENTRY = """
[[divergence]]
id = "e{n}"
feature = "cross-account"
reason = "r"
counterexample = '{{"caller": {{}}}}'
[divergence.signature]
model = "implicitDeny"
"""


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("id = 'x'\nfeature = 'f'\nreason = 'r'\ncounterexample = '{}'\n", "missing 'signature'"),
        (
            "id = 'x'\nfeature = 'f'\nreason = 'r'\ncounterexample = '{}'\ncolour = 'red'\n"
            "[divergence.signature]\nmodel = 'allowed'\n",
            "unknown field(s) colour",
        ),
        (
            "id = 'x'\nfeature = 'f'\nreason = 'r'\ncounterexample = '{}'\n[divergence.signature]\nmood = 'x'\n",
            "unknown fact(s) mood",
        ),
        (
            "id = 'x'\nfeature = 'f'\nreason = 'r'\ncounterexample = '{not json'\n"
            "[divergence.signature]\nmodel = 'x'\n",
            "counterexample: not a JSON scenario",
        ),
        (
            "id = 'e0'\nfeature = 'f'\nreason = 'r'\ncounterexample = '{}'\n[divergence.signature]\nmodel = 'x'\n",
            "duplicate id 'e0'",
        ),
    ],
    ids=["missing-field", "unknown-field", "unknown-fact", "counterexample", "duplicate-id"],
)
def test_expectations_load_errors_name_file_and_entry(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "moto.toml"
    path.write_text('target = "moto"\n' + _GOOD_ENTRY.format(n=0) + "\n[[divergence]]\n" + bad, encoding="utf-8")
    with pytest.raises(ExpectationsError) as info:
        Expectations.load(path, "moto")
    text = str(info.value)
    assert text.startswith(f"{path}: divergence[1]")
    assert message in text


def test_expectations_load_error_of_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "moto.toml"
    path.write_text("[[divergence]\nid = ", encoding="utf-8")
    with pytest.raises(ExpectationsError, match=re.escape(str(path))):
        Expectations.load(path, "moto")


@pytest.fixture
def trust_facts() -> Doc:
    doc = _scenario(
        role=f"arn:aws:iam::{B}:role/R", trust=_trust({"AWS": f"arn:aws:iam::{A}:user/bob"}), external_id="ext-123"
    )
    r = _decided(doc)
    return facts(doc, r, Difference("decision", r.decision, "allowed", "x"))


def test_explain_picks_the_most_specific_match(trust_facts: Doc) -> None:
    generic = _entry("generic", accounts="cross")
    specific = _entry(
        "specific", accounts="cross", model="implicitDeny", rule="R8", target="allowed", tags=["request:external_id"]
    )
    middle = _entry("middle", accounts=["cross", "same"], model="implicitDeny", target="allowed")
    wrong = _entry(
        "wrong",
        accounts="cross",
        model="implicitDeny",
        rule="R8",
        target="allowed",
        denied_by="x",
        tags=["request:external_id", "trust-deny"],
    )
    assert specific.specificity > middle.specificity > generic.specificity
    assert wrong.specificity > specific.specificity and not wrong.matches(trust_facts)
    for order in ([generic, specific, middle, wrong], [wrong, middle, specific, generic]):
        e = Expectations(target="moto", entries=order).explain(trust_facts)
        assert e is not None and e.id == "specific"
    assert Expectations(target="moto", entries=[wrong]).explain(trust_facts) is None


def test_explain_scoped_to_a_feature(trust_facts: Doc) -> None:
    exp = Expectations(
        target="moto",
        entries=[
            _entry("specific", accounts="cross", model="implicitDeny", rule="R8"),
            _entry("other-feature", feature="principals", accounts="cross"),
        ],
    )
    assert (e := exp.explain(trust_facts)) is not None and e.id == "specific"
    assert (e := exp.explain(trust_facts, "principals")) is not None and e.id == "other-feature"
    assert exp.explain(trust_facts, "wildcards") is None


def test_not_tags(trust_facts: Doc) -> None:
    assert "request:external_id" in trust_facts["tags"]
    assert _entry("ok", accounts="cross", not_tags=["trust-deny"]).matches(trust_facts)
    assert not _entry("excluded", accounts="cross", not_tags=["trust-deny", "request:external_id"]).matches(trust_facts)
    with_deny = {**trust_facts, "tags": [*trust_facts["tags"], "trust-deny"]}
    assert not _entry("ok", accounts="cross", not_tags=["trust-deny"]).matches(with_deny)


# ================================================================================== Conformance: model

MODEL_CONFORMANCE = Conformance(load_target("model"), Expectations(target="model"))


@settings(max_examples=scaled(50), deadline=None)
@given(doc=MODEL_CONFORMANCE.scenarios())
def test_model_target_agrees_with_the_model(doc: Doc) -> None:
    c = MODEL_CONFORMANCE
    c.check(doc, "model-self")
    counts = c.counts["model-self"]
    assert counts.agreed == counts.examples and counts.known == 0 and not c.new


# =================================================================================== Conformance: moto

CROSS_TRUST_BOB = _scenario(
    role=f"arn:aws:iam::{B}:role/R",
    trust=_trust({"AWS": f"arn:aws:iam::{A}:user/bob"}),
    identity=[_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{B}:role/R"})],
)


def _started(target: TargetProtocol) -> Iterator[Conformance]:
    target.start()
    try:
        yield Conformance(target, Expectations(target=target.name))
    finally:
        target.stop()


@pytest.fixture(scope="module")
def moto() -> Iterator[Conformance]:
    # distinct worker ranges: both moto targets share this process's moto backends, so the same fresh
    # account ids in both would collide (EntityAlreadyExists)
    yield from _started(load_target("moto", worker="gw1"))


@pytest.fixture(scope="module")
def moto_server(moto: Conformance) -> Iterator[Conformance]:
    yield from _started(load_target("moto-server", worker="gw2"))


def test_moto_cross_account_trust_names_bob_diverges(moto: Conformance) -> None:
    found, adapted, expected, outcome = moto.run(copy.deepcopy(CROSS_TRUST_BOB), "cross-account")
    assert (expected.decision, expected.rule, outcome.result["decision"]) == ("implicitDeny", "R8", "allowed")
    assert len(found) == 1
    d = found[0]
    assert isinstance(d, Divergence)
    assert {k: d.facts[k] for k in ("aspect", "accounts", "model", "rule", "target")} == {
        "aspect": "decision",
        "accounts": "cross",
        "model": "implicitDeny",
        "rule": "R8",
        "target": "allowed",
    }
    # the divergence is reported in the user's accounts, provisioned in fresh ones
    assert d.scenario["caller"]["arn"] == CROSS_TRUST_BOB["caller"]["arn"] and adapted == CROSS_TRUST_BOB
    assert _accounts(d.prepared).isdisjoint({A, B}) and d.scenario["expect"]["decision"] == "implicitDeny"


def test_moto_crash_is_a_target_error_never_a_denial(moto: Conformance) -> None:
    doc = _scenario(
        trust={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}],
        }
    )
    found, _, expected, outcome = moto.run(doc, "principals")
    assert expected.decision == "allowed"
    assert outcome.phase == "target-error" and outcome.result["decision"] == "target-error"
    assert "AttributeError" in str(outcome.result["message"])
    assert [(d.facts["model"], d.facts["target"]) for d in found] == [("allowed", "target-error")]
    assert decision_class(outcome.result) not in ("denied", "allowed")


def test_moto_agrees_when_the_trust_names_the_user(moto: Conformance) -> None:
    """A control for the two divergences above: where moto behaves like AWS, no divergence is reported."""
    doc = _scenario(trust=_trust({"AWS": f"arn:aws:iam::{A}:user/alice"}))
    found, _, expected, outcome = moto.run(doc, "same-account", ("decision", "response"))
    assert expected.decision == "allowed" and outcome.result["decision"] == "allowed"
    assert found == []


MOTO_SCENARIOS = Conformance(load_target("moto"), Expectations(target="moto")).scenarios()


@settings(max_examples=scaled(60), deadline=None)
@given(doc=MOTO_SCENARIOS)
def test_moto_and_moto_server_decide_alike(moto: Conformance, moto_server: Conformance, doc: Doc) -> None:
    """docs/emulators.md: every row reproduces identically in-process and through ThreadedMotoServer."""
    try:
        _, _, _, in_process = moto.run(copy.deepcopy(doc), "x")
        _, _, _, server = moto_server.run(copy.deepcopy(doc), "x")
    except Unsupported:
        reject()
    a, b = decision_class(in_process.result), decision_class(server.result)
    if "target-error" in (a, b):  # the crashes differ (TypeError in-process, HTTP 500 in server mode)
        assert a == b == "target-error", (in_process.result, server.result)
    else:
        assert a == b, (in_process.result, server.result)
