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
import random
import zlib
from collections.abc import Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from rolecall import model

from .session import Conformance

__all__ = [
    "condition_grid",
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
T = TypeVar("T")


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
    """Scenarios with a permissions boundary or a session policy (caller's session or request), and scenarios
    whose boundary or session policy holds a Deny with one test of the condition-operator grid
    (:func:`condition_grid`: every operator family, docs/coverage.md)."""
    return st.one_of(
        c.scenarios().filter(
            lambda d: (
                any(d["caller"].get(k) for k in ("permissions_boundary", "session_policy")) or "policy" in d["request"]
            )
        ),
        condition_grid(c, ("boundary", "session", "session")),
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
    chance. Also an SCP or RCP holding a Deny with one test of
    the condition-operator grid (:func:`condition_grid`, docs/coverage.md). Shrinks towards the drawn scenario."""
    inside = c.scenarios().filter(lambda d: "organization" in d)
    management = (
        c.scenarios(decision="allowed", caller_kinds=("user", "role-session"))
        .filter(lambda d: "organization" not in d)
        .map(_called_from_management)
    )
    return st.one_of(inside, management, condition_grid(c, ("SCP", "RCP")))


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


# ------------------------------------------------------------------ the condition-operator grid
#
# Every operator family of CONDOPS, negated or not, with or without IfExists, on a key the request has, lacks or
# holds several values of, with or without a set operator, with or without a policy variable under either policy
# version, in every kind of policy that holds conditions (docs/coverage.md: the decisive-coverage matrices).

V2012 = "2012-10-17"
#: the policy kinds of :func:`condition_grid`, a session policy twice (only a role session has one)
GRID_KINDS = ("trust", "identity", "boundary", "session", "session", "SCP", "RCP")
_FULL_ACCESS = {"Version": V2012, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

#: family -> its operators and their negations (CONDOPS); Bool, BinaryEquals and Null have no negation
_FAMILY_OPERATORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "String": (("StringEquals", "StringEqualsIgnoreCase"), ("StringNotEquals", "StringNotEqualsIgnoreCase")),
    "StringLike": (("StringLike",), ("StringNotLike",)),
    "Numeric": (
        ("NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"),
        ("NumericNotEquals",),
    ),
    "Date": (
        ("DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"),
        ("DateNotEquals",),
    ),
    "Bool": (("Bool",), ()),
    "Binary": (("BinaryEquals",), ()),
    "IpAddress": (("IpAddress",), ("NotIpAddress",)),
    "Arn": (("ArnEquals", "ArnLike"), ("ArnNotEquals", "ArnNotLike")),
    "Null": (("Null",), ()),
}
#: the families; those the other strategies draw least (or never) twice
_GRID_FAMILIES = ("Numeric", "Binary", "Bool", "Arn", *_FAMILY_OPERATORS)
#: family -> (key present and single-valued, key absent from every AssumeRole context): as the policy writes them
_GRID_KEYS: dict[str, tuple[list[str], list[str]]] = {
    "String": (["sts:RoleSessionName", "aws:RequestedRegion", "aws:ResourceAccount"], ["aws:SourceVpce"]),
    "StringLike": (["sts:RoleSessionName", "aws:ResourceAccount"], ["aws:SourceVpce"]),
    "Numeric": (["aws:EpochTime"], ["aws:MultiFactorAuthAge"]),
    "Date": (["aws:CurrentTime"], ["aws:TokenIssueTime"]),
    "Bool": (["aws:SecureTransport"], ["aws:ViaAWSService"]),
    "Binary": ([], ["aws:RequestTag/blob"]),
    "IpAddress": (["aws:SourceIp"], ["aws:VpcSourceIp"]),
    "Arn": (["aws:PrincipalArn"], ["aws:SourceArn"]),
    "Null": (["sts:RoleSessionName", "aws:SourceIp"], ["aws:TokenIssueTime", "aws:SourceVpce"]),
}
#: the multi-valued key (COND: a list of strings): the request's session tag keys
_MULTI_KEY = "aws:TagKeys"
#: policy variables that resolve to a single value in every AssumeRole world of a user or role session (VARS)
_GRID_VARIABLES = {
    "String": [("aws:ResourceAccount", "${aws:PrincipalAccount}"), ("sts:RoleSessionName", "${aws:username}")],
    "StringLike": [
        ("sts:RoleSessionName", "${aws:PrincipalAccount}*"),
        ("aws:ResourceAccount", "${aws:PrincipalAccount}"),
    ],
    "Arn": [
        ("aws:PrincipalArn", "arn:aws:iam::${aws:ResourceAccount}:*"),
        ("aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:*"),
    ],
    "Bool": [
        ("aws:SecureTransport", "${aws:SecureTransport}"),
        ("aws:SecureTransport", "${aws:PrincipalIsAWSService}"),
    ],
}
_BLOB = "cm9sZWNhbGw="  # base64 of "rolecall"
_IAM_CALLERS = ("user", "role-session", "session-token")


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    """One of ``options``, uniformly, from the grid's own generator (see :func:`condition_grid`)."""
    return options[rng.randrange(len(options))]


def _grid_values(family: str, key: str, ctx: dict[str, Any], rng: random.Random) -> list[str]:
    """Policy values for ``key``: the request's own value (a test that holds), and ones beside it (a near miss)."""
    raw = ctx.get(key.lower())
    value = raw if isinstance(raw, str) else None
    if family in ("String", "StringLike"):
        if key == _MULTI_KEY:
            return [_pick(rng, ["project", "team", "t*" if family == "StringLike" else "Team"])]
        v = value or "x"
        if family == "StringLike":
            return [_pick(rng, [v[:1] + "*", v + "?", "*" + v[-1:], "x*y"])]
        return [_pick(rng, [v, v.swapcase(), v + "1"])]
    if family == "Numeric":
        return [_pick(rng, ["1577836800", "4102444800", "0", "3600"])]
    if family == "Date":
        return [_pick(rng, ["2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "1577836800"])]
    if family == "Bool":
        return [_pick(rng, ["true", "false"])]
    if family == "Binary":
        return [_pick(rng, [_BLOB, "eA=="])]
    if family == "IpAddress":
        return [_pick(rng, ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.7"])]
    if family == "Arn":
        v = value or "arn:aws:iam::111111111111:user/x"
        return [_pick(rng, [v, "arn:aws:iam::*:*", "arn:aws:iam::*:group/*", v.rsplit("/", 1)[0] + "/*"])]
    return [_pick(rng, ["true", "false"])]  # Null


def _grid_test(rng: random.Random, doc: Doc, version: str | None) -> tuple[str, str, list[str]]:
    """One condition test (operator as written, key, values) from the grid, for ``doc``'s request context."""
    ctx = model.request_context(model.load_assume_role(doc), clock=True)
    literal = version != V2012 and _pick(rng, (False, True))
    # under 2008-10-17 half the time a family where ``${...}`` would be a variable under 2012-10-17 (VARS)
    family = _pick(rng, ("String", "StringLike", "Arn") if literal else _GRID_FAMILIES)
    plain, negated = _FAMILY_OPERATORS[family]
    negate: bool = _pick(rng, (False, True))
    base = _pick(rng, negated if negated and negate else plain)
    qualifier, if_exists, state = _grid_key_state(rng, family, literal)
    variable = None
    if family in _GRID_VARIABLES and state == "present" and not (family == "Bool" and version != V2012):
        # under 2008-10-17 always one (the point of that version: ``${...}`` is text there, VARS)
        variable = _pick(rng, [*([None] if version == V2012 else []), *_GRID_VARIABLES[family]])
    if variable is not None:
        key, values = variable[0], [variable[1]]
    else:
        present, absent = _GRID_KEYS[family]
        key = _MULTI_KEY if state == "multi" else _pick(rng, present if state == "present" else absent)
        values = _grid_values(family, key, ctx, rng)
    return qualifier + base + ("IfExists" if if_exists else ""), key, values


def _grid_key_state(rng: random.Random, family: str, literal: bool) -> tuple[str, bool, str]:
    """The set operator, ``IfExists`` and the key's state (absent, present, multi-valued) of a grid test of
    ``family``: only the cells AWS allows (no set operator or IfExists on Null; Binary only on an absent key);
    a test that holds on an absent key is mostly drawn on a key that is there, where it can decide; a
    multi-valued key gets a set operator (MULTI)."""
    present, _ = _GRID_KEYS[family]
    qualifier = "" if family == "Null" else _pick(rng, ["", "ForAllValues:", "ForAnyValue:"])
    if_exists = family != "Null" and bool(_pick(rng, (False, True)))
    if not present:  # Binary: no AssumeRole request has such a key, and IfExists / ForAllValues hold when it is absent
        qualifier, if_exists = qualifier.replace("ForAllValues:", ""), False
    states = ["absent", *(["present"] if present else [])]
    states += ["multi"] if family in ("String", "StringLike", "Null") else []
    if (if_exists or qualifier == "ForAllValues:") and len(states) > 1 and _pick(rng, (True, True, True, False)):
        states.remove("absent")  # true whatever it tests on an absent key: it can decide only on a key that is there
    state = "present" if literal else _pick(rng, states)
    if state == "multi" and family != "Null" and not qualifier:
        qualifier = _pick(rng, ["ForAllValues:", "ForAnyValue:"])  # a multi-valued key needs one (MULTI)
    return qualifier, if_exists, state


def _decision(doc: Doc) -> str | None:
    """The model's decision on ``doc`` (``None``: it refuses to decide it)."""
    try:
        return model.decide(model.load_scenario(doc)).decision
    except model.RolecallError:
        return None


def _with_grid_deny(doc: Doc, rng: random.Random, kinds: Sequence[str], version: str) -> Doc:
    """``doc`` and one more Deny of ``sts:AssumeRole`` in a policy of one of ``kinds``, its only condition one
    test of the grid (:func:`_grid_test`). A kind the caller has no policy of falls back to the trust policy;
    an SCP or RCP goes into the organization (created when there is none) of the caller's or the role's account,
    at its account level, beside FullAWSAccess for an SCP chain that had none."""
    doc = copy.deepcopy(doc)
    caller = doc["caller"]
    iam_caller = "arn" in caller and (":user/" in caller["arn"] or ":assumed-role/" in caller["arn"])
    kind = _grid_kind(_pick(rng, kinds), caller, iam_caller)
    op, key, values = _grid_test(rng, doc, version)
    if key == _MULTI_KEY and "tags" not in doc["request"]:  # the multi-valued key needs session tags
        doc["request"]["tags"] = [{"Key": "project", "Value": "x"}, {"Key": "team", "Value": "blue"}]
    deny: Doc = {"Effect": "Deny", "Action": "sts:AssumeRole"}
    if kind == "trust":
        deny["Principal"] = {"Service": caller["service"]} if "service" in caller else "*"
    elif kind == "RCP":
        deny["Principal"] = "*"
    if kind != "trust":
        deny["Resource"] = "*"
    deny["Condition"] = {op: {key: values if len(values) > 1 else values[0]}}
    if kind in ("SCP", "RCP"):
        caller_account = str(caller.get("arn", "")).split(":")[4] if iam_caller else None
        if _deny_in_organization(doc, kind, deny, caller_account):
            return doc
        kind = "trust"  # Organizations' policies never bind the management account (R6, R7)
        deny.pop("Resource", None)
        deny["Principal"] = "*"
    _deny_in_policy(doc, kind, deny, version)
    return doc


def _grid_kind(kind: str, caller: Doc, iam_caller: bool) -> str:
    """The policy kind a grid Deny goes into: ``kind``, or the trust policy (or a boundary) where the caller
    has no policy of that kind (a service has no identity policy, boundary or SCP; only a role session has
    a session policy)."""
    if kind in ("identity", "boundary", "SCP") and not iam_caller:
        return "trust"
    if kind == "session" and ":assumed-role/" not in str(caller.get("arn", "")):
        return "boundary" if iam_caller else "trust"
    return kind


def _deny_in_organization(doc: Doc, kind: str, deny: Doc, caller_account: str | None) -> bool:
    """Put ``deny`` into the SCP chain of the caller's account or the RCPs of the role's (R6, R7), creating
    the organization when there is none; ``False`` when that account is the management account, which
    Organizations' policies never bind."""
    role_account = str(doc["role"]["arn"]).split(":")[4]
    org = doc.get("organization")
    account = caller_account if kind == "SCP" else role_account
    if org is None:
        others = {caller_account, role_account}
        mgmt = next(a for a in ("333333333333", "444444444444", "555555555555") if a not in others)
        org = doc["organization"] = {"id": "o-a1b2c3d4e5", "management_account": mgmt, "members": []}
        doc.get("context", {}).pop("aws:PrincipalOrgID", None)
        doc.get("context", {}).pop("aws:ResourceOrgID", None)
    if account == org["management_account"]:
        return False
    if account not in org["members"]:
        org["members"] = [*org["members"], account]
    field_ = "scps" if kind == "SCP" else "rcps"
    chains = org.setdefault(field_, {})
    chain = chains.get(account) or ([[copy.deepcopy(_FULL_ACCESS)]] if kind == "SCP" else [[]])
    chain[-1] = [*chain[-1], {"Version": V2012, "Statement": [deny]}]
    chains[account] = chain
    return True


def _deny_in_policy(doc: Doc, kind: str, deny: Doc, version: str) -> None:
    """Put ``deny`` into the trust policy, a new identity policy, or the caller's boundary or session policy
    (FullAWSAccess beside it where the caller had none), each of ``version``."""
    caller, role = doc["caller"], doc["role"]
    if kind == "trust":
        trust = role["trust_policy"]
        trust["Statement"] = [*_statements(trust), deny]
        trust["Version"] = version
    elif kind == "identity":
        caller["identity_policies"] = [
            *(caller.get("identity_policies") or []),
            {"Version": version, "Statement": [deny]},
        ]
    else:
        field_ = "permissions_boundary" if kind == "boundary" else "session_policy"
        held = caller.get(field_)
        policy = copy.deepcopy(held) if isinstance(held, dict) else copy.deepcopy(_FULL_ACCESS)
        policy["Statement"] = [*_statements(policy), deny]
        policy["Version"] = version
        caller[field_] = policy


@st.composite
def condition_grid(draw: st.DrawFn, c: Conformance, kinds: Sequence[str] = GRID_KINDS) -> Doc:
    """A scenario the model allows or denies implicitly, with Denies added to policies of ``kinds`` (trust,
    identity, boundary, session, SCP, RCP), each with one test of the operator grid as its only condition: every
    family of CONDOPS, plain or negated, with or without ``IfExists``, on a key present, absent or multi-valued
    (the request's session tag keys), with or without ``ForAllValues:`` / ``ForAnyValue:``, with or without a
    policy variable, in policies of Version 2012-10-17 or 2008-10-17 (VARS: variables are text there).

    Each test decides: the first, holding, makes its Deny apply; failing, it leaves the drawn decision, and then
    up to two more Denies are added whose tests fail too (each tried on the model, up to four candidates), so
    that removing any one of them would deny. The model decides; shrinks towards a trust-policy Deny on the
    drawn scenario."""
    # most often a caller every kind applies to; a role session for a quarter (the only caller with a session policy)
    wanted = (None, ("role-session",), _IAM_CALLERS, _IAM_CALLERS)[draw(st.integers(0 if "trust" in kinds else 1, 3))]
    decision = "implicitDeny" if draw(st.integers(0, 2)) == 2 else "allowed"
    drawn = c.scenarios(decision=decision, caller_kinds=wanted) if wanted else c.scenarios(decision=decision)
    doc = copy.deepcopy(draw(drawn))
    # The grid's choices come from a generator seeded by the scenario and one drawn number: Hypothesis, which
    # makes its examples by copying and mutating the choices of earlier ones, would otherwise draw a few cells
    # of the grid again and again (a family chosen by ``sampled_from`` came out 1 time in 300 for 1 in 13)
    seed = draw(st.integers(0, 2**32 - 1)) ^ zlib.crc32(json.dumps(doc, sort_keys=True).encode())
    rng = random.Random(seed)
    outside = [k for k in kinds if k not in ("SCP", "RCP")]  # Organizations stores only 2012-10-17 (§4.9)
    version = _pick(rng, [V2012, "2008-10-17"]) if outside else V2012
    usable = kinds if version == V2012 else outside
    if _pick(rng, (False, True)):
        doc.setdefault("context", {})["aws:SourceIp"] = _pick(rng, ["203.0.113.7", "198.51.100.9"])
    if _pick(rng, (True, False, False, False)) and "tags" not in doc["request"]:
        doc["request"]["tags"] = [{"Key": "project", "Value": "x"}, {"Key": "team", "Value": "blue"}]
    doc = _with_grid_deny(doc, rng, usable, version)
    if _decision(doc) in (None, "explicitDeny"):
        return doc
    for _ in range(2):
        for _ in range(4):
            more = _with_grid_deny(doc, rng, usable, version)
            if _decision(more) not in (None, "explicitDeny"):
                doc = more
                break
    return doc
