"""Feature-aimed scenario strategies for the conformance properties (private).

Each feature draws from :func:`rolecall.strategies.scenarios` (restricted to what the
target can provision, through :meth:`Conformance.scenarios`) and, where the
public strategies do not aim at the feature by themselves, *transforms* the
drawn scenario towards it: actions re-cased, a character of a pattern replaced
by ``?`` or a regex metacharacter, durations at the edges of their ranges,
session names and other parameters just outside AWS's constraints, session
tags and a source identity added. The model decides the transformed scenario,
so a transformation never needs to preserve the outcome; it only needs to
aim where implementations break. Every choice shrinks towards "unchanged".
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from rolecall import model

from ._session import Conformance

__all__ = [
    "boundaries",
    "caller_conditions",
    "conditions",
    "durations",
    "organizations",
    "session_tags",
    "validation",
    "wildcards",
]

Doc = dict[str, Any]


def _policies(doc: Doc) -> list[Any]:
    c, r = doc["caller"], doc["role"]
    out = [r.get("trust_policy"), *c.get("identity_policies", [])]
    out += [c.get("permissions_boundary"), c.get("session_policy")]
    return [p for p in out if isinstance(p, dict)]


def _statements(policy: Doc) -> list[Doc]:
    st_ = policy.get("Statement", [])
    return [s for s in (st_ if isinstance(st_, list) else [st_]) if isinstance(s, dict)]


def _recase(action: str, how: int) -> str:
    service, sep, name = action.partition(":")
    if how == 1:
        return service.upper() + sep + name
    if how == 2:
        return service + sep + name.lower()
    if how == 3:
        return action.upper()
    return action


def _wild(value: str, how: int, at: int) -> str:
    """Replace one character of the resource part by ``?``, ``.``, or insert ``*``/``+``."""
    cut = value.rfind("/") + 1 if "/" in value else value.rfind(":") + 1
    tail = value[cut:]
    if not tail or tail == "*":
        return value
    i = at % len(tail)
    if how == 1:
        tail = tail[:i] + "?" + tail[i + 1 :]
    elif how == 2:
        tail = tail[:i] + "." + tail[i + 1 :]
    elif how == 3:
        tail = tail[:i] + "*"
    elif how == 4:
        tail = tail + "+"
    return value[:cut] + tail


@st.composite
def wildcards(draw: st.DrawFn, c: Conformance) -> Doc:
    """Scenarios whose actions are re-cased and whose ARN patterns carry ``?``, ``*`` or a regex
    metacharacter (AWS: action names are case-insensitive; ``?`` is one character; ``.`` ``+`` are literal)."""
    doc = copy.deepcopy(draw(c.scenarios(decision=draw(st.sampled_from([None, "allowed"])))))
    for policy in _policies(doc):
        for s in _statements(policy):
            for key in ("Action", "NotAction"):
                v = s.get(key)
                if isinstance(v, str):
                    s[key] = _recase(v, draw(st.integers(0, 3)))
                elif isinstance(v, list):
                    s[key] = [_recase(a, draw(st.integers(0, 3))) if isinstance(a, str) else a for a in v]
            for key in ("Resource", "NotResource"):
                v = s.get(key)
                if isinstance(v, str):
                    s[key] = _wild(v, draw(st.integers(0, 4)), draw(st.integers(0, 40)))
            p = s.get("Principal")
            if isinstance(p, dict) and isinstance(p.get("AWS"), str) and p["AWS"].startswith("arn:"):
                p["AWS"] = _wild(p["AWS"], draw(st.integers(0, 4)), draw(st.integers(0, 40)))
    return doc


def conditions(c: Conformance) -> st.SearchStrategy[Doc]:
    """Scenarios with at least one Condition block (every operator family the strategies draw)."""
    return c.scenarios().filter(lambda d: '"Condition"' in json.dumps(d))


# Keys whose value the caller defines (R4, GKEYS): as written in policies, with the operators that test them.
_CALLER_KEYS = {
    "aws:principalarn": (
        "aws:PrincipalArn",
        ["ArnEquals", "ArnLike", "StringEquals", "StringLike", "StringNotEquals", "ArnEqualsIfExists"],
    ),
    "aws:username": ("aws:username", ["StringEquals", "StringLike", "StringEqualsIfExists", "Null"]),
    "aws:userid": ("aws:userid", ["StringEquals", "StringLike", "StringNotLike"]),
    "aws:principalaccount": ("aws:PrincipalAccount", ["StringEquals", "StringNotEquals"]),
    "aws:principaltype": ("aws:PrincipalType", ["StringEquals", "StringEqualsIgnoreCase"]),
    "aws:multifactorauthpresent": ("aws:MultiFactorAuthPresent", ["Bool", "BoolIfExists", "Null", "StringEquals"]),
    # multi-valued request keys, absent when the request sends no tags (COND: ForAllValues holds on an absent key)
    "aws:tagkeys": (
        "aws:TagKeys",
        ["ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringLike", "Null"],
    ),
    "sts:transitivetagkeys": ("sts:TransitiveTagKeys", ["ForAllValues:StringEquals", "ForAnyValue:StringLike"]),
}
_MULTI_VALUED = ("aws:tagkeys", "sts:transitivetagkeys")
_VARIABLES = (
    ("aws:principalaccount", "${aws:PrincipalAccount}"),
    ("aws:username", "${aws:username}"),
    ("aws:userid", "${aws:userid}"),
)


def _near_values(key: str, value: str | None, doc: Doc) -> list[str]:
    """The value a condition tests ``key`` against: the true one, the ones implementations confuse it with
    (a role session's ARN for ``aws:PrincipalArn``, whose value is the role ARN; ``"false"`` for an absent MFA
    key), and the true value written with a policy variable that resolves to part of it."""
    if key == "aws:multifactorauthpresent":
        return ["false", "true"]
    if key in _MULTI_VALUED:
        return ["project", "team", "x*"]
    out = [value] if value else ["x"]
    caller_arn = str(doc["caller"].get("arn", ""))
    if key == "aws:principalarn" and ":assumed-role/" in caller_arn:
        out.append(caller_arn)  # the session ARN: aws:PrincipalArn is the role's
    if value and key == "aws:principalarn":
        out.append(value.rsplit("/", 1)[0] + "/*")
        out.append(value.upper())
    return out


@st.composite
def caller_conditions(draw: st.DrawFn, c: Conformance) -> Doc:
    """Granted scenarios whose trust or identity Allow gets one condition on a key the caller defines
    (R4, GKEYS), or on a multi-valued request key.

    Caller keys: ``aws:PrincipalArn`` (for a role session the role ARN with its path, not the session
    ARN), ``aws:username`` (IAM users only), ``aws:userid``, ``aws:PrincipalAccount``,
    ``aws:PrincipalType``, ``aws:MultiFactorAuthPresent`` (absent for long-term keys without MFA,
    ``"false"`` for temporary credentials), tested against the true value, a value implementations
    confuse it with, or the true value written with a policy variable (VARS). Request keys:
    ``aws:TagKeys`` and ``sts:TransitiveTagKeys``, absent without tags, where ``ForAllValues:`` holds
    and ``ForAnyValue:`` does not (COND)."""
    doc = copy.deepcopy(draw(c.scenarios(decision="allowed")))
    ctx = model.request_context(model.load_assume_role(doc), clock=False)
    key = draw(st.sampled_from(sorted(_CALLER_KEYS)))
    name, operators = _CALLER_KEYS[key]
    op = draw(st.sampled_from(operators))
    raw = ctx.get(key)
    value = raw if isinstance(raw, str) else None
    if op == "Null":
        test = draw(st.sampled_from(["true", "false"]))
    elif key in _MULTI_VALUED:
        test = draw(st.sampled_from(_near_values(key, None, doc)))
    else:
        test = draw(st.sampled_from(_near_values(key, value, doc)))
        variable = draw(st.sampled_from([None, *_VARIABLES]))
        if variable is not None and op not in ("Bool", "BoolIfExists"):
            part = ctx.get(variable[0])
            if isinstance(part, str) and part and part in test:
                test = test.replace(part, variable[1], 1)
    side = draw(st.sampled_from(["trust", "identity"]))
    policy = (
        doc["role"].get("trust_policy")
        if side == "trust"
        else next(iter(doc["caller"].get("identity_policies") or []), None)
    )
    if isinstance(policy, dict):
        allows = [s for s in _statements(policy) if s.get("Effect") == "Allow"]
        if allows:
            target = allows[draw(st.integers(0, len(allows) - 1))]
            block = target.setdefault("Condition", {})
            if isinstance(block, dict) and isinstance(block.setdefault(op, {}), dict):
                block[op][name] = test
    return doc


def boundaries(c: Conformance) -> st.SearchStrategy[Doc]:
    """Scenarios with a permissions boundary or a session policy (caller's session or request)."""
    return c.scenarios().filter(
        lambda d: (
            any(d["caller"].get(k) for k in ("permissions_boundary", "session_policy")) or "policy" in d["request"]
        )
    )


@st.composite
def session_tags(draw: st.DrawFn, c: Conformance) -> Doc:
    """Scenarios whose request carries session tags (perhaps transitive) and/or a source identity:
    AWS then also requires ``sts:TagSession`` / ``sts:SetSourceIdentity`` in the trust policy."""
    doc = copy.deepcopy(draw(c.scenarios(decision=draw(st.sampled_from(["allowed", None])))))
    req = doc["request"]
    what = draw(st.sampled_from(["tags", "source", "both"]))
    if what in ("tags", "both"):
        keys = draw(st.lists(st.sampled_from(["project", "team", "cost-center"]), min_size=1, max_size=2, unique=True))
        req["tags"] = [{"Key": k, "Value": draw(st.sampled_from(["x", "blue"]))} for k in keys]
        if draw(st.booleans()):
            req["transitive_tag_keys"] = keys[:1]
    if what in ("source", "both"):
        req["source_identity"] = draw(st.sampled_from(["alice", "dev@example.com"]))
    return doc


@st.composite
def durations(draw: st.DrawFn, c: Conformance) -> Doc:
    """Durations at the edges of AWS's ranges: 900 … the role's MaxSessionDuration (3600-43200),
    and at most 3600 for role chaining."""
    doc = copy.deepcopy(draw(c.scenarios(decision="allowed")))
    doc["request"]["duration_seconds"] = draw(st.sampled_from([3600, 900, 899, 3601, 7200, 43200, 43201, 0]))
    doc["role"]["max_session_duration"] = draw(st.sampled_from([3600, 7200, 43200]))
    return doc


_BAD_SESSION_NAMES = ["a", "bad name", "a/b", "a:b", "x" * 65, "é"]
_BAD_EXTERNAL_IDS = ["a", "has space", "x" * 1225]


@st.composite
def validation(draw: st.DrawFn, c: Conformance) -> Doc:
    """Requests just outside AWS's constraints (session name, external id, source identity, session
    policy, tags), and scenarios the strategies build to fail validation."""
    if draw(st.booleans()):
        return draw(c.scenarios(decision="error"))
    doc = copy.deepcopy(draw(c.scenarios(decision="allowed")))
    req = doc["request"]
    field = draw(st.sampled_from(["role_session_name", "external_id", "source_identity", "policy", "tags"]))
    if field == "role_session_name":
        req["role_session_name"] = draw(st.sampled_from(_BAD_SESSION_NAMES))
    elif field == "external_id":
        req["external_id"] = draw(st.sampled_from(_BAD_EXTERNAL_IDS))
    elif field == "source_identity":
        req["source_identity"] = draw(st.sampled_from(["has space", "a", "x" * 65]))
    elif field == "policy":
        req["policy"] = draw(st.sampled_from(["{", "[]", '{"Version":"2012-10-17","Statement":[]', "x" * 3000]))
    else:
        req["tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(draw(st.sampled_from([51, 1])))]
        if len(req["tags"]) == 1:
            req["tags"][0]["Key"] = draw(st.sampled_from(["aws:x", "k" * 129, "bad key!"]))
    return doc


def organizations(c: Conformance) -> st.SearchStrategy[Doc]:
    """Scenarios inside an organization (SCP and RCP chains), and allowed calls made from the
    management account under an SCP chain that allows nothing: SCPs never bind the management
    account's principals (docs/semantics.md R7; ORG-SCP), a point the free scenarios reach only by
    chance. Shrinks towards the drawn scenario."""
    inside = c.scenarios().filter(lambda d: "organization" in d)
    management = (
        c.scenarios(decision="allowed", caller_kinds=("user", "role-session"))
        .filter(lambda d: "organization" not in d)
        .map(_called_from_management)
    )
    return st.one_of(inside, management)


#: An SCP that allows nothing and denies everything: were it to bind the caller, nothing would be allowed.
_DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


def _called_from_management(doc: Doc) -> Doc:
    """The same scenario, its caller's account now the management account of an organization whose
    SCP chain for that account denies everything (the role's account, if another, a member)."""
    out = copy.deepcopy(doc)
    caller_account = str(out["caller"]["arn"]).split(":")[4]
    role_account = str(out["role"]["arn"]).split(":")[4]
    out["organization"] = {
        "id": "o-a1b2c3d4e5",
        "management_account": caller_account,
        "members": [role_account] if role_account != caller_account else [],
        "scps": {caller_account: [[copy.deepcopy(_DENY_ALL)]]},
    }
    out.get("context", {}).pop("aws:PrincipalOrgID", None)  # the loader derives it for an account in an org
    out.get("context", {}).pop("aws:ResourceOrgID", None)
    return out
