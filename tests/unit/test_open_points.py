"""rolecall.model.open_points: what AWS might answer instead, on the points its sources leave open
(docs/semantics.md §5.4, §5.6, §4.7 and R13), and nothing on a decision the documented rules settle."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from rolecall import model, strategies
from rolecall.model import OpenPoint, open_points

A, B = "111111111111", "222222222222"
Doc = dict[str, Any]


def _policy(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ALL = _policy({"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"})


def _scenario(trust_principal: Any = None, caller: str = f"arn:aws:iam::{A}:user/alice", **request: Any) -> Doc:
    principal = trust_principal if trust_principal is not None else {"AWS": f"arn:aws:iam::{A}:root"}
    return {
        "caller": {"arn": caller, "identity_policies": [ALLOW_ALL]},
        "role": {
            "arn": f"arn:aws:iam::{A}:role/R",
            "trust_policy": _policy(
                {"Effect": "Allow", "Principal": principal, "Action": ["sts:AssumeRole", "sts:TagSession"]}
            ),
        },
        "request": {"role_session_name": "s1", **request},
    }


def _points(doc: Doc) -> tuple[model.Result, tuple[OpenPoint, ...]]:
    s = model.load_scenario(doc)
    r = model.decide(s)
    return r, open_points(s, r)


def test_a_request_invalid_and_unauthorized_may_get_either_answer() -> None:
    """§5.6: a bad session name (R0) and a trust naming another account (R8): denied is also possible."""
    r, points = _points(_scenario({"AWS": f"arn:aws:iam::{B}:root"}, role_session_name="bad name!"))
    assert r.decision == "error" and r.rule == "R0"
    (p,) = points
    assert p.point == "order" and p.section == "§5.6" and p.instead == ("denied",)
    assert p.admits("denied") and not p.admits("allowed") and not p.admits("error:ValidationError")


def test_a_request_only_invalid_has_no_open_point() -> None:
    r, points = _points(_scenario(role_session_name="bad name!"))
    assert r.decision == "error" and points == ()


def test_denied_and_over_the_max_session_duration_may_get_the_validation_error() -> None:
    """§5.6: authorization fails (R8) and DurationSeconds exceeds MaxSessionDuration (R13)."""
    r, points = _points(_scenario({"AWS": f"arn:aws:iam::{B}:root"}, duration_seconds=7200))
    assert r.decision == "implicitDeny"
    (p,) = points
    assert p.point == "order" and p.instead == ("error:ValidationError",)


def test_a_missing_role_or_validation_against_validation_is_not_open() -> None:
    """§5.6 leaves open validation against authorization only: a role that does not exist is refused
    like a trust refusal (no MaxSessionDuration of a missing role), and R0 against R13 changes nothing."""
    missing = _scenario(duration_seconds=7200)
    missing["role"]["exists"] = False
    r, points = _points(missing)
    assert r.rule == "R2" and points == ()
    r, points = _points(_scenario(role_session_name="bad name!", duration_seconds=7200))
    assert r.rule == "R0" and points == ()  # R13 fails too, but authorization allows: nothing open


def test_an_allowed_request_and_a_documented_denial_have_none() -> None:
    assert _points(_scenario())[1] == ()
    r, points = _points(_scenario({"AWS": f"arn:aws:iam::{B}:root"}))
    assert r.decision == "implicitDeny" and points == ()


def test_an_undocumented_error_code_admits_any_error_but_not_an_answer() -> None:
    """§4.7: a transitive key not among the request's tags; AWS refuses it with an undocumented code."""
    r, points = _points(_scenario(tags=[{"Key": "a", "Value": "1"}], transitive_tag_keys=["b"]))
    assert r.error_code == "ValidationError"
    (p,) = points
    assert p.point == "error-code" and p.admits("error:InvalidParameterValue")
    assert not p.admits("allowed") and not p.admits("denied")


def test_tag_keys_differing_in_case_admit_refusal_or_the_last_tag_kept() -> None:
    """R13: AWS may refuse the request or keep the last tag; keeping it, this request is allowed."""
    r, points = _points(_scenario(tags=[{"Key": "team", "Value": "a"}, {"Key": "Team", "Value": "b"}]))
    assert r.decision == "error"
    (p,) = points
    assert p.point == "tag-key-case" and p.admits("allowed") and p.admits("error:ValidationError")
    assert not p.admits("denied")


def test_a_long_session_policy_may_be_refused() -> None:
    """§5.4: the API reference's 2,048 characters, which the service model does not have."""
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 2100}
    r, points = _points(_scenario(policy=json.dumps(_policy(statement))))
    assert r.decision == "allowed"
    (p,) = points
    assert p.point == "session-policy-length" and p.admits("error:ValidationError") and not p.admits("denied")


def test_a_stored_policy_iam_refuses_is_not_an_order_question() -> None:
    doc = _scenario({"AWS": f"arn:aws:iam::{B}:root"}, role_session_name="bad name!")
    doc["caller"]["identity_policies"] = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}]
    r, points = _points(doc)
    assert r.error_code == "MalformedPolicyDocument" and points == ()


@given(strategies.scenarios())
def test_the_alternatives_are_never_the_models_own_answer(doc: Doc) -> None:
    """An order point offers what AWS might answer *instead*: never the class the model answered, and
    never on an allowed request; the other points are the four named ones."""
    try:
        s = model.load_scenario(doc)
        r = model.decide(s)
    except model.RolecallError:
        return
    mine = {"explicitDeny": "denied", "implicitDeny": "denied", "error": f"error:{r.error_code}"}.get(
        r.decision, r.decision
    )
    for p in open_points(s, r):
        assert p.point in ("order", "error-code", "tag-key-case", "session-policy-length")
        if p.point == "order":
            assert mine not in p.instead and r.decision != "allowed"


def test_a_changed_source_identity_admits_any_error() -> None:
    """R13 [I]: a chained call may not change the source identity; the error code is undocumented."""
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    doc = _scenario(caller=f"arn:aws:sts::{A}:assumed-role/RA/s0", source_identity="bob")
    doc["caller"]["source_identity"] = "alice"
    doc["caller"]["identity_policies"] = [_policy({"Effect": "Allow", "Action": actions, "Resource": "*"})]
    doc["role"]["trust_policy"]["Statement"][0]["Action"] = actions
    r, points = _points(doc)
    assert r.rule == "R13" and r.error_code == "ValidationError"
    (p,) = points
    assert p.point == "error-code" and p.admits("error:AccessDenied") and not p.admits("allowed")
