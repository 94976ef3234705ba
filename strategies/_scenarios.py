"""Whole AssumeRole scenarios (private; the public entry point is :func:`rolecall.strategies.scenarios`).

Two builders:

* :func:`free_scenarios`: a world, then every policy drawn freely from the
  related and near-miss pools; the model decides what comes out. This is the
  generator of the metamorphic laws (``tests/properties/test_laws.py``).
* :func:`constructed_scenarios`: a world built so that the outcome is a chosen
  one (``allowed``, ``explicitDeny``, ``implicitDeny``, ``error``), through a
  *plan* naming the rule that will decide (R0, R1, R2, R3, R5-R13, R14). No
  filtering: grants certainly cover the request, denies that must not apply
  certainly do not (another action, a condition that fails by construction),
  and the decisive piece is added or left out on purpose.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from rolecall import model

from ._statements import (
    constructed_policy,
    full_aws_access,
    grant,
    identity_statement,
    matching_deny,
    policy,
    rcp_statement,
    scp_statement,
    span,
    trust_statement,
)
from ._world import (
    ACCOUNTS,
    CALLER_KINDS,
    ORG_ID,
    OUTSIDE_MANAGEMENT,
    V2012,
    Doc,
    World,
    caller_principal_entries,
    chance,
    draw_request,
    draw_world,
    pick,
    pickw,
)

DECISIONS = ("allowed", "explicitDeny", "implicitDeny", "error")
AUTHORIZING = ("user", "session-token", "role-session", "service")

# =========================================================================== shared pieces


def _organization(draw: st.DrawFn, w: World, percent: int = 50) -> Doc | None:
    """Sometimes an organization: management account inside or outside the pool, SCP chains
    (FullAWSAccess usually attached at each level) and Deny-only RCP chains (free statements)."""
    if not chance(draw, percent):
        return None
    management = pickw(draw, (2, OUTSIDE_MANAGEMENT), (1, ACCOUNTS[0]), (1, ACCOUNTS[1]), (1, ACCOUNTS[2]))
    members = [a for a in ACCOUNTS if a != management and chance(draw, 85)]
    org: Doc = {"id": ORG_ID, "management_account": management, "members": members}
    in_org = [*members, management]
    scps: Doc = {}
    for account in in_org:
        if chance(draw, 50):
            levels = []
            for _ in range(pickw(draw, (2, 1), (2, 2), (1, 3))):
                level = [full_aws_access()] if not chance(draw, 20) else []
                if not level or chance(draw, 40):
                    level.append(policy(draw, lambda d: scp_statement(d, w), max_size=2, organizations=True))
                levels.append(level)
            scps[account] = levels
    rcps: Doc = {}
    for account in in_org:
        if chance(draw, 25):
            rcps[account] = [
                [
                    policy(draw, lambda d: rcp_statement(d, w), max_size=2, organizations=True)
                    for _ in range(1 + chance(draw, 30))
                ]
                for _ in range(1 + chance(draw, 40))
            ]
    if scps:
        org["scps"] = scps
    if rcps:
        org["rcps"] = rcps
    return org


def _with_org(w: World, org: Doc | None) -> World:
    if org is None:
        return w
    return w.but(org_members=frozenset(org["members"]), org_management=org["management_account"])


def _free_request(draw: st.DrawFn, w: World) -> Doc:
    req: Doc = {"role_session_name": pick(draw, ["s1", "alice", "build-42"])}
    if chance(draw, 30):
        req["external_id"] = pick(draw, ["xyz", "XYZ", "ext-123"])
    if chance(draw, 10):
        keys = ["project", "cost-center", "Env"]
        first = pick(draw, keys)
        chosen = [first] + ([k for k in keys if k != first][:1] if chance(draw, 30) else [])
        req["tags"] = [{"Key": k, "Value": pick(draw, ["x", "blue", ""])} for k in chosen]
        if chance(draw, 20):
            req["transitive_tag_keys"] = chosen[:1]
    n = draw(st.integers(0, 99))
    if n >= 65:
        req["duration_seconds"] = pick(draw, [900, 1800, 3600])
    elif n >= 61:
        req["duration_seconds"] = pick(draw, [7200, 43200])
    if chance(draw, 3):
        req["source_identity"] = "dev"
    if chance(draw, 5):
        req["serial_number"] = f"arn:aws:iam::{w.account or ACCOUNTS[0]}:mfa/alice"
        req["token_code"] = "123456"
    return req


def _valid_request(draw: st.DrawFn, w: World, *, tags_percent: int = 12, source_percent: int = 6) -> Doc:
    """A request that passes R0 and R13 in world ``w``: a valid session name, a duration within
    one hour (fits every role and the chaining cap), small tags (far from the packed limit)."""
    return draw_request(
        draw,
        ["s1", "alice", "build-42", "a@b.c"],
        ["xyz", "XYZ", "ext-123", "a.b+c"],
        tags_percent=tags_percent,
        source_percent=source_percent,
    )


def _needs(request: Doc) -> tuple[str, ...]:
    return (
        ("sts:AssumeRole",)
        + (("sts:TagSession",) if request.get("tags") or request.get("transitive_tag_keys") else ())
        + (("sts:SetSourceIdentity",) if "source_identity" in request else ())
    )


def _learn(w: World, request: Doc, caller: Doc, context: Doc | None) -> World:
    """Record in the world the facts conditions are built about."""
    return w.but(
        external_id=request.get("external_id"),
        session=request["role_session_name"],
        tag=(caller.get("tags") or {}).get("team"),
        source_ip=(context or {}).get("aws:SourceIp"),
    )


def _caller_doc(draw: st.DrawFn, w: World) -> Doc:
    """The caller object without policies."""
    if w.kind == "service":
        return {"service": w.service}
    caller: Doc = {"arn": w.caller_arn}
    if w.kind == "session-token":
        caller["credentials"] = "session-token"
    if w.kind == "role-session" and (w.role_path != "/" or chance(draw, 50)):
        caller["role_path"] = w.role_path
    if w.kind in ("user", "session-token", "role-session") and chance(draw, 50):
        caller["mfa"] = chance(draw, 50)
    if chance(draw, 50):
        caller["tags"] = {"team": pick(draw, ["blue", "red", "green"])}
        if w.kind == "role-session" and chance(draw, 20):
            caller["transitive_tag_keys"] = ["team"]
    return caller


def _context(draw: st.DrawFn) -> Doc | None:
    ip = pickw(draw, (2, None), (2, "203.0.113.7"), (1, "198.51.100.9"))
    return None if ip is None else {"aws:SourceIp": ip}


def _assemble(caller: Doc, role: Doc, request: Doc, org: Doc | None, context: Doc | None) -> Doc:
    doc: Doc = {"caller": caller, "role": role, "request": request}
    if org is not None:
        doc["organization"] = org
    if context is not None:
        doc["context"] = context
    return doc


# =========================================================================== free scenarios


@st.composite
def free_scenarios(draw: st.DrawFn, cross_account: bool | None = None, kinds: tuple[str, ...] | None = None) -> Doc:
    """A valid scenario whose policies are drawn freely from the world's pools (the model decides)."""
    w = draw_world(draw, cross_account, kinds)
    org = span(draw, lambda d: _organization(d, w))
    w = _with_org(w, org)
    request = _free_request(draw, w)
    caller = _caller_doc(draw, w)
    context = _context(draw)
    w = _learn(w, request, caller, context)
    needs = _needs(request)

    def ident(d: st.DrawFn) -> Doc:
        return identity_statement(d, w)

    def ident_first(d: st.DrawFn) -> Doc:
        return identity_statement(d, w, "Allow", related_percent=85, needs=needs)

    def ident_restrictive(d: st.DrawFn) -> Doc:
        return identity_statement(d, w, related_percent=85)

    if w.kind in ("user", "session-token", "role-session"):
        n = pickw(draw, (1, 0), (6, 1), (2, 2))
        if n or chance(draw, 50):
            caller["identity_policies"] = [policy(draw, ident, first=ident_first if i == 0 else None) for i in range(n)]
        if chance(draw, 20):
            caller["permissions_boundary"] = policy(draw, ident_restrictive, max_size=2, first=ident_first)
        if w.kind == "role-session" and chance(draw, 35):
            caller["session_policy"] = policy(draw, ident_restrictive, max_size=2, first=ident_first)

    trust = policy(draw, lambda d: trust_statement(d, w), first=lambda d: trust_statement(d, w, "Allow", 88, 10, needs))
    role: Doc = {"arn": w.target_arn, "trust_policy": trust}
    if chance(draw, 15):
        role["max_session_duration"] = pick(draw, [7200, 43200])
    if chance(draw, 15):
        role["tags"] = {"env": "prod"}
    if w.kind == "role-session" and w.caller_role_arn == w.target_arn and chance(draw, 30):
        role["legacy_implicit_self_trust"] = True
    return _assemble(caller, role, request, org, context)


# =========================================================================== constructed scenarios


def _constructed_org(draw: st.DrawFn, w: World, *, percent: int, scp_gap: bool = False) -> Doc | None:
    """An organization whose SCP chains allow everything the request needs (each level holds
    FullAWSAccess or a covering grant) and whose RCPs never apply; with ``scp_gap`` the
    caller's chain has one level that allows nothing it needs (R7)."""
    if not (scp_gap or chance(draw, percent)):
        return None
    management = pickw(draw, (2, OUTSIDE_MANAGEMENT), (1, ACCOUNTS[0]), (1, ACCOUNTS[1]), (1, ACCOUNTS[2]))
    if scp_gap:
        assert w.account is not None
        management = OUTSIDE_MANAGEMENT
        members = sorted({w.account, *(a for a in ACCOUNTS if chance(draw, 70))})
    else:
        members = [a for a in ACCOUNTS if a != management and chance(draw, 85)]
    org: Doc = {"id": ORG_ID, "management_account": management, "members": members}
    wo = _with_org(w, org)
    scps: Doc = {}
    for account in [*members, management]:
        gap = scp_gap and account == w.account
        if gap or chance(draw, 40):
            scps[account] = _scp_levels(draw, wo, gap)
    rcps: Doc = {}
    for account in [*members, management]:
        if chance(draw, 25):
            rcps[account] = [[constructed_policy(draw, "rcp", wo, None, max_size=2)]]
    if scps:
        org["scps"] = scps
    if rcps:
        org["rcps"] = rcps
    return org


def _scp_levels(draw: st.DrawFn, wo: World, gap: bool) -> list[list[Doc]]:
    """One account's SCP chain, one to three levels (R7): each level FullAWSAccess (with sometimes
    another policy) or a covering grant; with ``gap``, one level allows nothing the request needs."""
    levels = []
    n = pickw(draw, (2, 1), (2, 2), (1, 3))
    gap_at = pick(draw, list(range(n))) if gap else -1
    for i in range(n):
        if i == gap_at:
            levels.append([constructed_policy(draw, "scp", wo, None, allows=False, max_size=2)])
        elif chance(draw, 30):
            levels.append([constructed_policy(draw, "scp", wo, grant(draw, "scp", wo, _ALL), max_size=2)])
        else:
            level = [full_aws_access()]
            if chance(draw, 30):
                level.append(constructed_policy(draw, "scp", wo, None, max_size=2))
            levels.append(level)
    return levels


_ALL = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")

#: plan -> (decision, rule it aims at)
PLANS: dict[str, tuple[str, str]] = {
    "grant": ("allowed", "R14"),
    "deny": ("explicitDeny", "R5"),
    "root-or-federated": ("implicitDeny", "R1"),
    "no-such-role": ("implicitDeny", "R2"),
    "tag-or-source-not-trusted": ("implicitDeny", "R8"),
    "no-trust-grant": ("implicitDeny", "R8"),
    "service-not-trusted": ("implicitDeny", "R11"),
    "scp-gap": ("implicitDeny", "R7"),
    "cross-account-caller-side": ("implicitDeny", "R9"),
    "same-account-caller-side": ("implicitDeny", "R10"),
    "self-trust": ("allowed", "R14"),
    "bad-request": ("error", "R0"),
    "after-authorization": ("error", "R13"),
}


def _plans_for(decision: str | None, cross_account: bool | None, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
    """The feasible (weight, plan) pairs for the requested class."""
    auth = [k for k in kinds if k in AUTHORIZING]
    people = [k for k in kinds if k in ("user", "session-token", "role-session")]
    out: list[tuple[int, str]] = []
    if auth:
        out += [
            (55, "grant"),
            (20, "deny"),
            (5, "no-such-role"),
            (12, "no-trust-grant"),
            (4, "tag-or-source-not-trusted"),
            (5, "bad-request"),
            (5, "after-authorization"),
        ]
    if people:
        if cross_account is not False:
            out.append((8, "cross-account-caller-side"))
        if cross_account is not True:
            out.append((8, "same-account-caller-side"))
        out.append((4, "scp-gap"))
    if "role-session" in kinds and cross_account is not True:
        out.append((5, "self-trust"))
    if "service" in kinds and cross_account is None:
        out.append((4, "service-not-trusted"))
    if any(k in ("root", "federated") for k in kinds):
        out.append((3, "root-or-federated"))
    if decision is not None:
        out = [(wt, p) for wt, p in out if PLANS[p][0] == decision]
    if not out:
        raise InvalidArgument(
            f"no scenario has decision={decision!r} with cross_account={cross_account!r} and caller_kinds={kinds!r}"
        )
    return out


def _kinds_for(plan: str, kinds: tuple[str, ...], cross_account: bool | None) -> tuple[str, ...]:
    if plan == "root-or-federated":
        return tuple(k for k in kinds if k in ("root", "federated"))
    if plan in ("cross-account-caller-side", "same-account-caller-side", "scp-gap"):
        return tuple(k for k in kinds if k in ("user", "session-token", "role-session"))
    if plan == "self-trust":
        return ("role-session",)
    if plan == "service-not-trusted":
        return ("service",)
    return tuple(k for k in kinds if k in AUTHORIZING and (cross_account is None or k != "service"))


@st.composite
def constructed_scenarios(
    draw: st.DrawFn,
    decision: str | None = None,
    cross_account: bool | None = None,
    kinds: tuple[str, ...] | None = None,
) -> Doc:
    """A valid scenario built so that its decision is ``decision`` (any when None), through a plan: the
    world, the request and the caller, the organization, the trust policy, the caller's side, the role,
    then the plan's own finishing step (:data:`_FINISH`). The draws are made in that order."""
    all_kinds = tuple(kinds) if kinds is not None else CALLER_KINDS
    plan = pickw(draw, *_plans_for(decision, cross_account, all_kinds))
    w = _plan_world(draw, plan, cross_account, _kinds_for(plan, all_kinds, cross_account))
    if plan == "tag-or-source-not-trusted":
        request = _valid_request(draw, w, tags_percent=100 if not chance(draw, 30) else 0, source_percent=100)
    else:
        request = _valid_request(draw, w)
    caller = _caller_doc(draw, w)
    context = _context(draw)
    w = _learn(w, request, caller, context)
    org = span(
        draw,
        lambda d: _constructed_org(
            d, w, percent=60 if plan == "deny" else 35, scp_gap=plan == "scp-gap" and w.account is not None
        ),
    )
    w = _with_org(w, org)
    needs = _needs(request)
    _event(f"plan: {plan}")
    trust, trust_class = _plan_trust(draw, plan, w, needs)
    _plan_caller_side(draw, plan, w, trust_class, needs, caller)
    doc = _assemble(caller, _plan_role(draw, plan, w, trust), request, org, context)
    finish = _FINISH.get(plan)
    if finish is not None:
        finish(draw, doc, w, needs)
    return doc


def _plan_world(draw: st.DrawFn, plan: str, cross_account: bool | None, kinds: tuple[str, ...]) -> World:
    """The plan's world: the caller-side plans fix whether it crosses accounts; self-trust makes the
    target role the caller's own role."""
    cross = cross_account
    if plan == "cross-account-caller-side":
        cross = True
    elif plan in ("same-account-caller-side", "self-trust"):
        cross = False
    w = draw_world(draw, cross, kinds)
    if plan == "self-trust":
        w = w.but(target_account=w.account, target_path=w.role_path, target_name=w.role_name)
    return w


def _plan_trust(draw: st.DrawFn, plan: str, w: World, needs: tuple[str, ...]) -> tuple[Doc, str]:
    """The trust policy (R8) and the principal class its grant names: no grant for the plans refused
    by the trust policy; only sts:AssumeRole granted when tags or a source identity must go untrusted;
    else a grant of what the request needs (when the caller's side is to fail, no extra trust Allow may
    grant a class that needs nothing more)."""
    related, _ = caller_principal_entries(w)
    if plan == "same-account-caller-side":
        related = [r for r in related if r[0] in ("account", "role")]
    trust_class, principal = pick(draw, related)
    no_grant = plan in ("no-trust-grant", "self-trust", "service-not-trusted")
    _event(f"trust class: {'none' if no_grant else trust_class}")
    if no_grant:
        return constructed_policy(draw, "trust", w, None, allows=False), trust_class
    if plan == "tag-or-source-not-trusted":
        first = grant(draw, "trust", w, ("sts:AssumeRole",), principal)
        first["Action"] = "sts:AssumeRole"
        return constructed_policy(draw, "trust", w, first, allows=False), trust_class
    caller_side_fails = plan in ("cross-account-caller-side", "same-account-caller-side")
    granted = grant(draw, "trust", w, needs, principal)
    return constructed_policy(draw, "trust", w, granted, allows=not caller_side_fails), trust_class


def _plan_caller_side(
    draw: st.DrawFn, plan: str, w: World, trust_class: str, needs: tuple[str, ...], caller: Doc
) -> None:
    """The caller's identity policies, boundary and session policy (R9, R10): under the caller-side plans
    one of them lacks the grant; a direct grant within one account may leave the identity policy out."""
    lacking: str | None = None
    if plan in ("cross-account-caller-side", "same-account-caller-side"):
        options = ["identity"] if trust_class != "role" else []
        options += ["boundary"] + (["session"] if w.kind == "role-session" else [])
        lacking = pick(draw, options)
    if w.kind not in ("user", "session-token", "role-session"):
        return  # a service or the root user: no caller-side policies
    direct = w.same_account and trust_class in ("user", "session", "wildcard", "role")
    # a direct grant within one account needs no identity policy (R10): shrink towards leaving it out
    # (drawn whatever the world, so the shrinker's changes to the world keep later draws aligned)
    leave_out = not chance(draw, 70)
    if lacking == "identity" or (direct and plan != "self-trust" and leave_out):
        if chance(draw, 60):
            caller["identity_policies"] = [constructed_policy(draw, "identity", w, None, allows=False)]
    else:
        caller["identity_policies"] = [constructed_policy(draw, "identity", w, grant(draw, "identity", w, needs))]
        if chance(draw, 15):
            caller["identity_policies"].append(constructed_policy(draw, "identity", w, None))
    if lacking == "boundary":
        caller["permissions_boundary"] = constructed_policy(draw, "boundary", w, None, allows=False, max_size=2)
    elif chance(draw, 20):
        caller["permissions_boundary"] = constructed_policy(
            draw, "boundary", w, grant(draw, "boundary", w, needs), max_size=2
        )
    if lacking == "session":
        caller["session_policy"] = constructed_policy(draw, "session", w, None, allows=False, max_size=2)
    elif w.kind == "role-session" and chance(draw, 30):
        caller["session_policy"] = constructed_policy(draw, "session", w, grant(draw, "session", w, needs), max_size=2)


def _plan_role(draw: st.DrawFn, plan: str, w: World, trust: Doc) -> Doc:
    """The target role: its trust policy, sometimes a longer maximum session or a tag; grandfathered
    self-trust (R12) under self-trust; missing (R2) under no-such-role."""
    role: Doc = {"arn": w.target_arn, "trust_policy": trust}
    if chance(draw, 15):
        role["max_session_duration"] = pick(draw, [7200, 43200])
    if chance(draw, 15):
        role["tags"] = {"env": "prod"}
    if plan == "self-trust":
        role["legacy_implicit_self_trust"] = True
    elif plan == "no-such-role":
        role["exists"] = False
    return role


def _plant_deny(draw: st.DrawFn, doc: Doc, w: World, needs: tuple[str, ...]) -> None:
    """Add one Deny that certainly applies, to a policy that takes part in the decision."""
    slots = ["trust"]
    caller = doc["caller"]
    if w.kind != "service":
        slots.append("identity")
        if "permissions_boundary" in caller:
            slots.append("boundary")
        if "session_policy" in caller:
            slots.append("session")
        if w.scp_applies:
            slots.append("scp")
    if w.rcp_applies:
        slots.append("rcp")
    kind = pick(draw, slots)
    action = pick(draw, needs)
    _event(f"deny planted in: {kind}")
    deny = matching_deny(draw, kind, w, action)
    fresh: Doc = {"Version": V2012, "Statement": [deny]}
    if kind == "trust":
        _append(doc["role"]["trust_policy"], deny)
    elif kind == "identity":
        policies = caller.setdefault("identity_policies", [])
        if policies and chance(draw, 70):
            _append(policies[0], deny)
        else:
            policies.append(fresh)
    elif kind == "boundary":
        _append(caller["permissions_boundary"], deny)
    elif kind == "session":
        _append(caller["session_policy"], deny)
    elif kind == "scp":
        fresh["Statement"].insert(0, {"Effect": "Allow", "Action": "*", "Resource": "*"})
        doc["organization"].setdefault("scps", {}).setdefault(w.account, []).append([fresh])
    else:
        doc["organization"].setdefault("rcps", {}).setdefault(w.target_account, []).append([fresh])


def _append(policy_doc: Doc, statement: Doc) -> None:
    raw = policy_doc["Statement"]
    statements = list(raw) if isinstance(raw, list) else [raw]
    if any("Sid" in s for s in statements):
        statement = {"Sid": f"S{len(statements)}", **statement}
    policy_doc["Statement"] = [*statements, statement]


#: request faults that AWS answers with ValidationError before authorization (R0), with a reason
BAD_REQUESTS: list[tuple[str, str, Any]] = [
    ("session name too short", "role_session_name", "a"),
    ("session name with a space", "role_session_name", "s 1"),
    ("session name too long", "role_session_name", "s" * 65),
    ("duration below 900", "duration_seconds", 899),
    ("duration above 43200", "duration_seconds", 43201),
    ("external id with a space", "external_id", "ext 1"),
    ("external id too short", "external_id", "x"),
    ("tag key starting with aws:", "tags", [{"Key": "aws:team", "Value": "x"}]),
    ("duplicate tag keys (case-insensitive)", "tags", [{"Key": "env", "Value": "a"}, {"Key": "Env", "Value": "b"}]),
    ("transitive key not among the tags", "transitive_tag_keys", ["project"]),
    ("source identity starting with aws:", "source_identity", "aws:me"),
    ("token code not digits", "token_code", "12ab56"),
]


def _break_request(draw: st.DrawFn, doc: Doc) -> str:
    reason: str
    reason, field, value = pick(draw, BAD_REQUESTS)
    request = doc["request"]
    if field == "transitive_tag_keys":
        request.pop("tags", None)
    request[field] = copy.deepcopy(value)
    _event(f"bad request: {reason}")
    return reason


def _fail_after_authorization(draw: st.DrawFn, doc: Doc, w: World) -> str:
    """R13: an authorized request that fails a post-authorization check."""
    request, role = doc["request"], doc["role"]
    options = [
        "duration above the role's maximum",
        "STS disabled in the region",
        "malformed session policy",
        "packed size too large",
    ]
    if w.kind == "role-session":
        options.append("chained session above one hour")
    reason: str = pick(draw, options)
    if reason == "duration above the role's maximum":
        role["max_session_duration"] = pick(draw, [3600, 7200])
        request["duration_seconds"] = role["max_session_duration"] + pick(draw, [1, 3600])
    elif reason == "chained session above one hour":
        role["max_session_duration"] = 43200
        request["duration_seconds"] = pick(draw, [3601, 7200, 43200])
    elif reason == "STS disabled in the region":
        doc["disabled_regions"] = {w.target_account: ["us-east-1"]}
    elif reason == "malformed session policy":
        request["policy"] = pick(
            draw,
            [
                '{"Version": "2012-10-17"}',
                '{"Statement": [{"Effect": "Allow", "Action": "*"}]}',
                '{"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}',
            ],
        )
    else:
        # far above the limit (never near PACKED_UNCERTAIN_BAND): about 225 % of it
        request["tags"] = [{"Key": f"k{i:02d}" + "x" * 125, "Value": "v" * 256} for i in range(12)]
        request.pop("transitive_tag_keys", None)
        # the tags need sts:TagSession: grant it everywhere (an Allow never removes access)
        _grant_everywhere(doc, w)
    _event(f"after authorization: {reason}")
    return reason


_FINISH: dict[str, Callable[[st.DrawFn, Doc, World, tuple[str, ...]], object]] = {
    "deny": _plant_deny,
    "bad-request": lambda draw, doc, w, needs: _break_request(draw, doc),
    "after-authorization": lambda draw, doc, w, needs: _fail_after_authorization(draw, doc, w),
}
"""The plans' finishing steps, once the scenario is assembled: a matching Deny planted (R5), the
request broken (R0), or a check after authorization made to fail (R13)."""


def _grant_everywhere(doc: Doc, w: World) -> None:
    """Add an unconditioned covering Allow for all three actions to the trust policy and to
    every caller-side policy (an Allow never removes access, so the request stays authorized
    apart from the new action)."""
    principal = caller_principal_entries(w)[0][0][1]
    _append(doc["role"]["trust_policy"], {"Effect": "Allow", "Principal": principal, "Action": list(_ALL)})
    caller = doc["caller"]
    allow = {"Effect": "Allow", "Action": list(_ALL), "Resource": w.target_arn}
    if w.kind != "service":
        caller.setdefault("identity_policies", []).append({"Version": V2012, "Statement": [allow]})
        for key in ("permissions_boundary", "session_policy"):
            if caller.get(key) is not None:
                _append(caller[key], copy.deepcopy(allow))
    org = doc.get("organization")
    if org and w.account in org.get("scps", {}):
        for level in org["scps"][w.account]:
            level.append({"Version": V2012, "Statement": [{"Effect": "Allow", "Action": list(_ALL), "Resource": "*"}]})


# =========================================================================== labels


def label(doc: Doc) -> None:
    """Record the class of a scenario with :func:`hypothesis.event` (see ``--hypothesis-show-statistics``)."""
    try:
        s = model.load_assume_role(doc)
        r = model.decide(s)
    except model.RolecallError as exc:
        _event(f"decision: input error ({type(exc).__name__})")
        return
    p = s.caller.principal
    account = getattr(p, "account", None)
    _event(
        "account: service" if account is None else f"account: {'same' if account == s.role.arn.account else 'cross'}"
    )
    _event(f"caller: {type(p).__name__}")
    _event(f"decision: {r.decision}")
    _event(f"rule: {r.rule}")
    if r.denied_by:
        _event(f"denied by: {r.denied_by}")
    if r.error_code:
        _event(f"error: {r.error_code}")
    matched = sorted({x.principal_class for x in r.reasons if x.principal_class})
    if matched:
        _event(f"trust match: {'+'.join(matched)}")
    features = []
    if s.organization is not None:
        features.append("organization")
    if s.caller.permissions_boundary is not None:
        features.append("boundary")
    if s.caller.session_policy is not None:
        features.append("session policy")
    req = doc["request"]
    features += [f for f in ("tags", "source_identity", "external_id", "duration_seconds") if f in req]
    if "Condition" in str(doc):
        features.append("conditions")
    for f in features:
        _event(f"feature: {f}")


def _event(text: str) -> None:
    with contextlib.suppress(InvalidArgument):  # outside a test (e.g. ``.example()``)
        event(text)
