"""Private Hypothesis generators of valid AssumeRole *scenario documents* for the law tests.

Everything here is built by construction, never by filtering: a world (caller,
target role, organization) is drawn first, and every policy statement is then
drawn from pools that are *about* that world: the caller named directly, via its
account, via ``*``, or by a near miss (another account, another name, another
case, a path added or dropped). The documents are plain JSON dicts in the
scenario format (scenario-format.md) and are always valid input for
:func:`model.load_scenario`.

Deliberately avoided, so that the model always decides:

* multi-valued context keys (``aws:TagKeys``, ``sts:TransitiveTagKeys``) in
  conditions: the model raises ``UndecidableError`` for them without
  ``ForAllValues:``/``ForAnyValue:``;
* session tags and session policies anywhere near the packed-size limit (tags
  are a few bytes, ``request.policy`` is never sent);
* principals listed in ``nonexistent_principals``, SIDs that repeat, and every
  other shape IAM refuses to store.

Public helpers for the tests: :func:`scenario_docs` (the documents),
:func:`world_of` (the facts a doc is about), :func:`policy_slots` /
:func:`applicable_slots` (where a statement can go), :func:`statements_for`
(statements for a slot's policy kind), :func:`add_statement`,
:func:`match_all_deny`, :func:`map_policies`, :func:`get_policy` and
:func:`unrelated_trust_policy`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import model
from model.arn import IamUser, RoleSession, ServicePrincipal

__all__ = [
    "ACCOUNTS",
    "DENIED_BY",
    "ORG_ID",
    "UNRELATED_ACCOUNT",
    "Slot",
    "World",
    "add_statement",
    "applicable_slots",
    "get_policy",
    "map_policies",
    "match_all_deny",
    "policy_slots",
    "scenario_docs",
    "statements_for",
    "unrelated_trust_policy",
    "world_of",
]

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
UNRELATED_ACCOUNT = "444444444444"
OUTSIDE_MANAGEMENT = "999999999999"
ORG_ID = "o-a1b2c3d4e5"
V2012 = "2012-10-17"

#: policy-slot kind -> ``Result.denied_by`` wording (SPEC.md §1.2)
DENIED_BY = {
    "trust": "role trust policy",
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
}

Doc = dict[str, Any]


_PERCENT = st.integers(0, 99)
_INDEX: dict[int, st.SearchStrategy[int]] = {}


def _chance(draw: st.DrawFn, percent: int) -> bool:
    """True with about ``percent`` % probability (shrinks towards True for percent > 0)."""
    return bool(draw(_PERCENT) < percent)


def _pick(draw: st.DrawFn, pool: list[Any] | tuple[Any, ...]) -> Any:
    """One element of ``pool``; shrinks towards the first.

    Drawing an index from a cached ``integers`` strategy is much cheaper than
    building a fresh ``sampled_from`` for every pool (the generator is hot).
    """
    n = len(pool)
    strategy = _INDEX.get(n)
    if strategy is None:
        strategy = _INDEX.setdefault(n, st.integers(0, n - 1))
    return pool[draw(strategy)]


def _pickw(draw: st.DrawFn, *pairs: tuple[int, Any]) -> Any:
    """:func:`_pick` with integer weights."""
    return _pick(draw, [v for w, v in pairs for _ in range(w)])


def _other_account(account: str) -> str:
    return next(a for a in ACCOUNTS if a != account)


def _swapcase_first(name: str) -> str:
    return name[0].swapcase() + name[1:]


def _flip_path(path: str) -> str:
    return "/" if path != "/" else "/team/"


# =========================================================================== the world


@dataclass(frozen=True)
class World:
    """The facts statements are drawn about (derived from a doc by :func:`world_of`)."""

    kind: str
    """``user``, ``session-token``, ``role-session``, ``root``, ``federated`` or ``service``."""
    account: str | None
    caller_arn: str | None
    service: str | None
    user_name: str | None
    user_path: str | None
    role_name: str | None
    """Role-session callers: the caller's role."""
    role_path: str | None
    session_name: str | None
    target_account: str
    target_path: str
    target_name: str
    org_members: frozenset[str] = frozenset()
    org_management: str | None = None

    @property
    def target_arn(self) -> str:
        return f"arn:aws:iam::{self.target_account}:role{self.target_path}{self.target_name}"

    @property
    def caller_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.role_path}{self.role_name}"

    @property
    def same_account(self) -> bool:
        return self.account == self.target_account

    @property
    def scp_applies(self) -> bool:
        """SPEC.md R7: the caller is an IAM user / role session of a member (not management) account."""
        return (self.kind in ("user", "session-token", "role-session")
                and self.account in self.org_members and self.account != self.org_management)

    @property
    def rcp_applies(self) -> bool:
        """SPEC.md R6: the role's account is a member (not management) account."""
        return self.target_account in self.org_members and self.target_account != self.org_management


def world_of(doc: Doc) -> World:
    """The :class:`World` of a generated doc (read back through the model's own parser)."""
    s = model.load_scenario(doc)
    p = s.caller.principal
    role = s.role.arn
    org = s.organization
    common: dict[str, Any] = {
        "target_account": role.account, "target_path": role.path, "target_name": role.name,
        "org_members": org.members if org else frozenset(),
        "org_management": org.management_account if org else None,
    }
    none = dict.fromkeys(("user_name", "user_path", "role_name", "role_path", "session_name"))
    if isinstance(p, ServicePrincipal):
        return World("service", None, None, p.name, **none, **common)
    base = {**none}
    if isinstance(p, IamUser):
        kind = "session-token" if p.credentials == "session-token" else "user"
        base.update(user_name=p.name, user_path=p.path)
    elif isinstance(p, RoleSession):
        kind = "role-session"
        base.update(role_name=p.role_name, role_path=p.role_path, session_name=p.session_name)
    else:
        kind = "root" if p.arn.endswith(":root") else "federated"
    return World(kind, p.account, p.arn, None, **base, **common)


# =========================================================================== pools


def _caller_principal_entries(w: World) -> tuple[list[Any], list[Any]]:
    """(related, near-miss) ``Principal`` values for a trust statement about the caller."""
    if w.kind == "service":
        assert w.service is not None
        other = "lambda.amazonaws.com" if w.service != "lambda.amazonaws.com" else "ec2.amazonaws.com"
        related: list[Any] = [{"Service": w.service}, {"Service": [other, w.service]}]
        near: list[Any] = [{"Service": other}, "*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{w.target_account}:root"}]
        return related, near
    assert w.account is not None
    acct, other = w.account, _other_account(w.account)
    root = f"arn:aws:iam::{acct}:root"
    related = [{"AWS": root}, {"AWS": acct}, {"AWS": "*"}, "*", {"AWS": [f"arn:aws:iam::{other}:root", root]}]
    near = [{"AWS": f"arn:aws:iam::{other}:root"}, {"AWS": other}, {"AWS": f"arn:aws:iam::{UNRELATED_ACCOUNT}:root"},
            {"Service": "ec2.amazonaws.com"}]
    if w.kind in ("user", "session-token"):
        assert w.user_name is not None and w.user_path is not None
        name, path = w.user_name, w.user_path
        user = f"arn:aws:iam::{acct}:user{path}{name}"
        related += [{"AWS": user}, {"AWS": user}, {"AWS": [user, f"arn:aws:iam::{acct}:user/mallory"]}]
        near += [
            {"AWS": f"arn:aws:iam::{acct}:user{path}{'bob' if name != 'bob' else 'alice'}"},
            {"AWS": f"arn:aws:iam::{acct}:user{path}{_swapcase_first(name)}"},
            {"AWS": f"arn:aws:iam::{acct}:user{_flip_path(path)}{name}"},
            {"AWS": f"arn:aws:iam::{other}:user{path}{name}"},
            {"AWS": w.target_arn},
        ]
    elif w.kind == "role-session":
        assert w.role_name is not None and w.role_path is not None and w.session_name is not None
        rname, rpath, sess = w.role_name, w.role_path, w.session_name
        role_arn = w.caller_role_arn
        session_arn = f"arn:aws:sts::{acct}:assumed-role/{rname}/{sess}"
        related += [{"AWS": role_arn}, {"AWS": role_arn}, {"AWS": session_arn}]
        near += [
            {"AWS": f"arn:aws:iam::{acct}:role{_flip_path(rpath)}{rname}"},
            {"AWS": f"arn:aws:iam::{acct}:role{rpath}{_swapcase_first(rname)}"},
            {"AWS": f"arn:aws:sts::{acct}:assumed-role/{rname}/{'s2' if sess != 's2' else 's1'}"},
            {"AWS": f"arn:aws:sts::{acct}:assumed-role/{_swapcase_first(rname)}/{sess}"},
            {"AWS": f"arn:aws:iam::{other}:role{rpath}{rname}"},
            {"AWS": f"arn:aws:iam::{acct}:user/{sess}"},
        ]
    else:  # root / federated: R1 refuses them whatever the trust says
        related += [{"AWS": f"arn:aws:sts::{acct}:federated-user/fed1"}]
    return related, near


def _target_resources(w: World) -> tuple[list[str], list[str]]:
    """(related, near-miss) identity-policy ``Resource`` entries for the target role."""
    t = w.target_arn
    related = [t, t, "*", "arn:aws:iam::*:role/*", f"arn:aws:iam::{w.target_account}:role/*"]
    near = [
        f"arn:aws:iam::{_other_account(w.target_account)}:role{w.target_path}{w.target_name}",
        f"arn:aws:iam::{w.target_account}:role{_flip_path(w.target_path)}{w.target_name}",
        f"arn:aws:iam::{w.target_account}:role{w.target_path}{_swapcase_first(w.target_name)}",
        f"arn:aws:iam::{w.target_account}:role/other",
        "arn:aws:s3:::bucket/*",
    ]
    return related, near


_ASSUME_ACTIONS: list[Any] = ["sts:AssumeRole", "sts:AssumeRole", "sts:*", "STS:assumerole", "sts:Assume*", "*",
                              ["sts:AssumeRole", "sts:TagSession"],
                              ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]]
_OTHER_ACTIONS: list[Any] = ["sts:TagSession", "s3:GetObject", "sts:AssumeRoleWithSAML", "sts:SetSourceIdentity",
                             "iam:PassRole"]


def _assume_action(draw: st.DrawFn, needs: tuple[str, ...]) -> Any:
    """An ``Action`` covering ``sts:AssumeRole``; when the request also needs
    ``sts:TagSession`` / ``sts:SetSourceIdentity``, usually one covering those too."""
    if len(needs) > 1 and _chance(draw, 75):
        return _pick(draw, ["sts:*", "*", list(needs), list(needs)])
    return _pick(draw, _ASSUME_ACTIONS)


def _conditions_pool(w: World) -> list[tuple[str, str, Any]]:
    """Condition tests the model can always decide: single-valued keys only, valid IPs and dates."""
    acct = w.account or w.target_account
    return [
        ("StringEquals", "sts:ExternalId", "xyz"),
        ("StringEquals", "sts:ExternalId", "XYZ"),
        ("StringEqualsIgnoreCase", "sts:ExternalId", "xyz"),
        ("Null", "sts:ExternalId", "false"),
        ("Null", "sts:ExternalId", "true"),
        ("StringEquals", "aws:PrincipalTag/team", "blue"),
        ("StringNotEquals", "aws:PrincipalTag/team", "red"),
        ("StringEqualsIfExists", "aws:PrincipalTag/team", "blue"),
        ("StringLike", "aws:PrincipalTag/team", ["b*", "gr??n"]),
        ("StringEquals", "aws:PrincipalOrgID", ORG_ID),
        ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ORG_ID),
        ("Bool", "aws:MultiFactorAuthPresent", "true"),
        ("Bool", "aws:MultiFactorAuthPresent", True),
        ("BoolIfExists", "aws:MultiFactorAuthPresent", "false"),
        ("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
        ("NotIpAddress", "aws:SourceIp", ["203.0.113.0/24", "192.0.2.1"]),
        ("StringLike", "sts:RoleSessionName", "s*"),
        ("StringEquals", "sts:RoleSessionName", "${aws:username}"),
        ("StringEquals", "aws:PrincipalAccount", acct),
        ("StringNotEquals", "aws:PrincipalAccount", _other_account(acct)),
        ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*"),
        ("ArnNotLike", "aws:PrincipalArn", f"arn:aws:iam::{acct}:role/*"),
        ("StringEquals", "aws:RequestedRegion", "us-east-1"),
        ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
        ("DateLessThan", "aws:CurrentTime", "2016-05-01T12:00:00Z"),
        # multi-valued keys, always with a set qualifier (without one the model refuses to decide)
        ("ForAnyValue:StringEquals", "aws:TagKeys", "project"),
        ("ForAllValues:StringLike", "aws:TagKeys", ["project", "cost-*"]),
        ("ForAllValues:StringEquals", "sts:TransitiveTagKeys", "project"),
    ]


def _condition_block(draw: st.DrawFn, w: World) -> dict[str, Any]:
    """A Condition block of 1-2 tests from the decidable pool (keys never repeat under an operator)."""
    pool = _conditions_pool(w)
    block: dict[str, dict[str, Any]] = {}
    for _ in range(1 + _chance(draw, 30)):
        op, key, value = _pick(draw, pool)
        ops = block.setdefault(op, {})
        if key.lower() not in {k.lower() for k in ops}:
            ops[key] = value
    return block


def _maybe_condition(draw: st.DrawFn, stmt: Doc, w: World, percent: int) -> Doc:
    if _chance(draw, percent):
        stmt["Condition"] = _condition_block(draw, w)
    return stmt


# =========================================================================== statements


def _trust_statement(draw: st.DrawFn, w: World, effect: str | None = None, related_percent: int = 65,
                     condition_percent: int | None = None, needs: tuple[str, ...] = ()) -> Doc:
    """A trust-policy statement: Principal from the caller's pools, Action, maybe a Condition."""
    effect = effect or _pickw(draw, (4, "Allow"), (1, "Deny"))
    related, near = _caller_principal_entries(w)
    stmt: Doc = {"Effect": effect, "Principal": _pick(draw, related if _chance(draw, related_percent) else near)}
    if _chance(draw, 3):
        stmt["NotAction"] = _pick(draw, ["sts:TagSession", "sts:AssumeRoleWithSAML", "sts:AssumeRole"])
    elif _chance(draw, (related_percent + 100) // 2):
        stmt["Action"] = _assume_action(draw, needs)
    else:
        stmt["Action"] = _pick(draw, _OTHER_ACTIONS)
    if condition_percent is None:
        condition_percent = 15 if effect == "Allow" else 60
    return _maybe_condition(draw, stmt, w, condition_percent)


def _identity_statement(draw: st.DrawFn, w: World, effect: str | None = None, related_percent: int = 75,
                        needs: tuple[str, ...] = ()) -> Doc:
    """An identity / boundary / session-policy statement about the target role."""
    effect = effect or _pickw(draw, (6, "Allow"), (1, "Deny"))
    stmt: Doc = {"Effect": effect}
    if _chance(draw, 5):
        stmt["NotAction"] = _pick(draw, ["s3:*", "iam:*", "sts:TagSession"])
    elif _chance(draw, related_percent):
        stmt["Action"] = _assume_action(draw, needs)
    else:
        stmt["Action"] = _pick(draw, _OTHER_ACTIONS)
    related, near = _target_resources(w)
    if _chance(draw, 4):
        stmt["NotResource"] = _pick(draw, near)
    else:
        pool = related if _chance(draw, related_percent) else near
        first = _pick(draw, pool)
        second = _pick(draw, pool) if _chance(draw, 20) else first
        stmt["Resource"] = first if second == first else [first, second]
    return _maybe_condition(draw, stmt, w, 15 if effect == "Allow" else 55)


_SCP_ALLOWS: list[Any] = ["*", "*", "*", "sts:*", "sts:AssumeRole", "s3:*", ["sts:AssumeRole", "sts:TagSession"]]
_SCP_DENIES: list[Any] = ["s3:*", "sts:AssumeRole", "iam:*", "sts:*", "sts:TagSession"]


def _scp_statement(draw: st.DrawFn, w: World, effect: str | None = None) -> Doc:
    effect = effect or _pickw(draw, (3, "Allow"), (1, "Deny"))
    pool = _SCP_ALLOWS if effect == "Allow" else _SCP_DENIES
    stmt: Doc = {"Effect": effect, "Action": _pick(draw, pool), "Resource": "*"}
    return _maybe_condition(draw, stmt, w, 10 if effect == "Allow" else 70)


def _rcp_statement(draw: st.DrawFn, w: World, effect: str | None = None) -> Doc:
    """Custom RCPs: Deny only, ``"Principal": "*"``, ``"Resource": "*"`` (ORG-RCP)."""
    if effect == "Allow":
        raise ValueError("custom RCPs may only Deny")
    stmt: Doc = {"Effect": "Deny", "Principal": "*", "Action": _pick(draw, _SCP_DENIES), "Resource": "*"}
    return _maybe_condition(draw, stmt, w, 90)


_STATEMENT_MAKERS: dict[str, Callable[..., Doc]] = {
    "trust": _trust_statement, "identity": _identity_statement, "boundary": _identity_statement,
    "session": _identity_statement, "scp": _scp_statement, "rcp": _rcp_statement,
}


@st.composite
def statements_for(draw: st.DrawFn, kind: str, w: World, effect: str | None = None) -> Doc:
    """Statements valid for a policy of ``kind`` (a :data:`DENIED_BY` key) about world ``w``
    (``effect`` None: either; RCPs only ever Deny)."""
    return _STATEMENT_MAKERS[kind](draw, w, effect)


def match_all_deny(kind: str, w: World) -> Doc:
    """A Deny of ``kind`` that matches every request of world ``w``.

    In a trust policy ``{"AWS": "*"}``; for a service caller the service is
    named too, because whether ``*`` covers a service principal is the
    contested ``wildcard_matches_services`` option (SPEC.md R11), default False.
    """
    if kind == "trust":
        principal: dict[str, Any] = {"AWS": "*"}
        if w.service:
            principal["Service"] = w.service
        return {"Effect": "Deny", "Principal": principal, "Action": "*"}
    if kind == "rcp":
        return {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    return {"Effect": "Deny", "Action": "*", "Resource": "*"}


def _policy(draw: st.DrawFn, make: Callable[[st.DrawFn], Doc], max_size: int = 3,
            first: Callable[[st.DrawFn], Doc] | None = None) -> Doc:
    """A policy document of 1..max_size statements (the first from ``first`` if given);
    Version usually 2012-10-17; Statement an array, or sometimes one object; SIDs sometimes."""
    statements = [first(draw)] if first is not None else []
    while not statements or (len(statements) < max_size and _chance(draw, 35)):
        statements.append(make(draw))
    if _chance(draw, 20):
        statements = [{"Sid": f"S{i}", **s} for i, s in enumerate(statements)]
    doc: Doc = {}
    version = _pickw(draw, (17, V2012), (2, "2008-10-17"), (1, None))
    if version is not None:
        doc["Version"] = version
    doc["Statement"] = statements[0] if len(statements) == 1 and _chance(draw, 15) else statements
    return doc


# =========================================================================== scenarios


_CALLER_KINDS = ((45, "user"), (38, "role-session"), (8, "session-token"), (3, "root"), (2, "federated"),
                 (4, "service"))
_NO_NAMES = dict.fromkeys(("user_name", "user_path", "role_name", "role_path", "session_name"))


def _caller_world(draw: st.DrawFn, relation: str | None, kinds: tuple[str, ...] | None) -> World:
    kind = _pickw(draw, *_CALLER_KINDS) if kinds is None else _pick(draw, kinds)
    account = None if kind == "service" else _pick(draw, ACCOUNTS)
    if account is None:
        assert relation is None, "a service caller has no account"
        target_account = _pick(draw, ACCOUNTS)
    else:
        others = [a for a in ACCOUNTS if a != account]
        same = relation == "same" or (relation is None and _chance(draw, 50))
        target_account = account if same else _pick(draw, others)
    target = {"target_account": target_account, "target_path": _pickw(draw, (3, "/"), (1, "/svc/")),
              "target_name": _pickw(draw, (3, "Target"), (1, "R"))}
    if kind == "service":
        return World(kind, None, None, _pick(draw, ["ec2.amazonaws.com", "lambda.amazonaws.com"]), **_NO_NAMES,
                     **target)
    assert account is not None
    if kind in ("user", "session-token"):
        name = _pick(draw, ["alice", "bob"])
        path = _pickw(draw, (3, "/"), (1, "/team/"), (1, "/a/b/"))
        return World(kind, account, f"arn:aws:iam::{account}:user{path}{name}", None,
                     **{**_NO_NAMES, "user_name": name, "user_path": path}, **target)
    if kind == "role-session":
        rname = _pick(draw, ["RA", "Builder"])
        rpath = _pickw(draw, (3, "/"), (1, "/team/"))
        sess = _pick(draw, ["s1", "s2", "alice"])
        if account == target_account and _chance(draw, 20):  # self-assumption (R12)
            target = {"target_account": account, "target_path": rpath, "target_name": rname}
        return World(kind, account, f"arn:aws:sts::{account}:assumed-role/{rname}/{sess}", None,
                     **{**_NO_NAMES, "role_name": rname, "role_path": rpath, "session_name": sess}, **target)
    if kind == "root":
        return World(kind, account, f"arn:aws:iam::{account}:root", None, **_NO_NAMES, **target)
    return World(kind, account, f"arn:aws:sts::{account}:federated-user/fed1", None, **_NO_NAMES, **target)


_FULL_AWS_ACCESS = {"Version": V2012, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _organization(draw: st.DrawFn, w: World) -> Doc | None:
    """Sometimes an organization: management account inside or outside the pool, SCP chains
    (FullAWSAccess usually attached at each level) and Deny-only RCP chains."""
    if not _chance(draw, 50):
        return None
    management = _pickw(draw, (2, OUTSIDE_MANAGEMENT), (1, ACCOUNTS[0]), (1, ACCOUNTS[1]), (1, ACCOUNTS[2]))
    members = [a for a in ACCOUNTS if a != management and _chance(draw, 85)]
    org: Doc = {"id": ORG_ID, "management_account": management, "members": members}
    in_org = [*members, management]
    scps: Doc = {}
    for account in in_org:
        if _chance(draw, 50):
            levels = []
            for _ in range(_pickw(draw, (2, 1), (2, 2), (1, 3))):
                level = [copy.deepcopy(_FULL_AWS_ACCESS)] if _chance(draw, 80) else []
                if not level or _chance(draw, 40):
                    level.append(_policy(draw, lambda d: _scp_statement(d, w), max_size=2))
                levels.append(level)
            scps[account] = levels
    rcps: Doc = {}
    for account in in_org:
        if _chance(draw, 25):
            rcps[account] = [[_policy(draw, lambda d: _rcp_statement(d, w), max_size=2)
                              for _ in range(1 + _chance(draw, 30))]
                             for _ in range(1 + _chance(draw, 40))]
    if scps:
        org["scps"] = scps
    if rcps:
        org["rcps"] = rcps
    return org


def _request(draw: st.DrawFn, w: World) -> Doc:
    req: Doc = {"role_session_name": _pick(draw, ["s1", "alice", "build-42"])}
    if _chance(draw, 30):
        req["external_id"] = _pick(draw, ["xyz", "XYZ", "ext-123"])
    if _chance(draw, 10):
        keys = ["project", "cost-center", "Env"]
        first = _pick(draw, keys)
        chosen = [first] + ([k for k in keys if k != first][:1] if _chance(draw, 30) else [])
        req["tags"] = [{"Key": k, "Value": _pick(draw, ["x", "blue", ""])} for k in chosen]
        if _chance(draw, 20):
            req["transitive_tag_keys"] = chosen[:1]
    n = draw(_PERCENT)
    if n < 35:
        req["duration_seconds"] = _pick(draw, [900, 1800, 3600])
    elif n < 39:
        req["duration_seconds"] = _pick(draw, [7200, 43200])
    if _chance(draw, 3):
        req["source_identity"] = "dev"
    if _chance(draw, 5):
        req["serial_number"] = f"arn:aws:iam::{w.account or ACCOUNTS[0]}:mfa/alice"
        req["token_code"] = "123456"
    return req


@st.composite
def scenario_docs(draw: st.DrawFn, relation: str | None = None, kinds: tuple[str, ...] | None = None) -> Doc:
    """A valid scenario document.

    ``relation``: ``"same"`` / ``"cross"`` forces the caller's account to be the
    role's / another one (give ``kinds`` without ``service`` then: a service has
    no account); ``kinds`` restricts the caller kinds (``user``,
    ``session-token``, ``role-session``, ``root``, ``federated``, ``service``).
    """
    w = _caller_world(draw, relation, kinds)
    org = _organization(draw, w)
    if org is not None:
        w = World(**{**w.__dict__, "org_members": frozenset(org["members"]),
                     "org_management": org["management_account"]})
    request = _request(draw, w)
    needs = ("sts:AssumeRole",) + (("sts:TagSession",) if request.get("tags") else ()) + (
        ("sts:SetSourceIdentity",) if "source_identity" in request else ())

    def ident(d: st.DrawFn) -> Doc:
        return _identity_statement(d, w)

    def ident_first(d: st.DrawFn) -> Doc:
        return _identity_statement(d, w, "Allow", related_percent=85, needs=needs)

    def ident_restrictive(d: st.DrawFn) -> Doc:
        return _identity_statement(d, w, related_percent=85)

    caller: Doc
    if w.kind == "service":
        caller = {"service": w.service}
    else:
        caller = {"arn": w.caller_arn}
        if w.kind == "session-token":
            caller["credentials"] = "session-token"
        if w.kind == "role-session" and (w.role_path != "/" or _chance(draw, 50)):
            caller["role_path"] = w.role_path
        if w.kind in ("user", "session-token", "role-session"):
            n = _pickw(draw, (1, 0), (6, 1), (2, 2))
            if n or _chance(draw, 50):
                caller["identity_policies"] = [_policy(draw, ident, first=ident_first if i == 0 else None)
                                               for i in range(n)]
            if _chance(draw, 20):
                caller["permissions_boundary"] = _policy(draw, ident_restrictive, max_size=2, first=ident_first)
            if w.kind == "role-session" and _chance(draw, 35):
                caller["session_policy"] = _policy(draw, ident_restrictive, max_size=2, first=ident_first)
            if _chance(draw, 50):
                caller["mfa"] = _chance(draw, 50)
        if _chance(draw, 50):
            caller["tags"] = {"team": _pick(draw, ["blue", "red", "green"])}
            if w.kind == "role-session" and _chance(draw, 20):
                caller["transitive_tag_keys"] = ["team"]

    trust = _policy(draw, lambda d: _trust_statement(d, w),
                    first=lambda d: _trust_statement(d, w, "Allow", 88, 10, needs))
    role: Doc = {"arn": w.target_arn, "trust_policy": trust}
    if _chance(draw, 15):
        role["max_session_duration"] = _pick(draw, [7200, 43200])
    if _chance(draw, 15):
        role["tags"] = {"env": "prod"}
    if w.kind == "role-session" and w.caller_role_arn == w.target_arn and _chance(draw, 30):
        role["legacy_implicit_self_trust"] = True

    doc: Doc = {"caller": caller, "role": role, "request": request}
    if org is not None:
        doc["organization"] = org
    ip = _pickw(draw, (2, None), (2, "203.0.113.7"), (1, "198.51.100.9"))
    if ip is not None:
        doc["context"] = {"aws:SourceIp": ip}
    return doc


# =========================================================================== slots


Slot = tuple[str, tuple[Any, ...]]
"""A policy of a doc: (kind, path). The path leads to the policy document from the
doc root. A path ending in ``None`` is a place for a new policy: "a new identity
policy"; "a new SCP level (FullAWSAccess plus the statement) for the caller's
account"; "a new RCP level for the role's account" (RCPFullAWSAccess is implied).
None of these changes a decision by itself."""


def policy_slots(doc: Doc, *, new: bool = False) -> list[Slot]:
    """Every policy present in ``doc``; with ``new``, also the places a new policy may go
    without changing the decision by itself (see :data:`Slot`)."""
    out: list[Slot] = [("trust", ("role", "trust_policy"))]
    c = doc["caller"]
    for i, _ in enumerate(c.get("identity_policies", [])):
        out.append(("identity", ("caller", "identity_policies", i)))
    if new and "service" not in c:
        out.append(("identity", ("caller", "identity_policies", None)))
    if c.get("permissions_boundary") is not None:
        out.append(("boundary", ("caller", "permissions_boundary")))
    if c.get("session_policy") is not None:
        out.append(("session", ("caller", "session_policy")))
    org = doc.get("organization") or {}
    for name, kind in (("scps", "scp"), ("rcps", "rcp")):
        for account, levels in org.get(name, {}).items():
            for li, level in enumerate(levels):
                for pi, _ in enumerate(level):
                    out.append((kind, ("organization", name, account, li, pi)))
    if new and org:
        in_org = [*org.get("members", []), org["management_account"]]
        caller_account = c["arn"].split(":")[4] if "arn" in c else None
        if caller_account in in_org:
            out.append(("scp", ("organization", "scps", caller_account, None)))
        role_account = doc["role"]["arn"].split(":")[4]
        if role_account in in_org:
            out.append(("rcp", ("organization", "rcps", role_account, None)))
    return out


def applicable_slots(doc: Doc, w: World) -> list[Slot]:
    """The slots whose policies take part in the decision (SPEC.md R5-R7): the trust
    policy, the caller's identity policies, boundary and session policy, the SCPs of
    the caller's member account and the RCPs of the role's member account."""
    out = []
    for kind, path in policy_slots(doc, new=True):
        if kind == "scp" and not (w.scp_applies and path[2] == w.account):
            continue
        if kind == "rcp" and not (w.rcp_applies and path[2] == w.target_account):
            continue
        out.append((kind, path))
    return out


def get_policy(doc: Doc, path: tuple[Any, ...]) -> Doc:
    node: Any = doc
    for key in path:
        node = node[key]
    return node  # type: ignore[no-any-return]


def _statement_list(policy: Doc) -> list[Doc]:
    raw = policy["Statement"]
    return list(raw) if isinstance(raw, list) else [raw]


def add_statement(doc: Doc, slot: Slot, statement: Doc) -> Doc:
    """A copy of ``doc`` with ``statement`` appended to the policy at ``slot``.

    A new policy (path ending in ``None``) is created holding just the statement.
    A ``Sid`` that would repeat in its policy is dropped.
    """
    out = copy.deepcopy(doc)
    kind, path = slot
    fresh = {"Version": V2012, "Statement": [statement]}
    if path[-1] is None:
        if kind == "identity":
            out["caller"].setdefault("identity_policies", []).append(fresh)
        elif kind == "scp":  # a new level: FullAWSAccess (what an account without SCPs has) plus the statement
            fresh["Statement"].insert(0, {"Effect": "Allow", "Action": "*", "Resource": "*"})
            out["organization"].setdefault("scps", {}).setdefault(path[2], []).append([fresh])
        else:  # a new RCP level for the role's account (RCPFullAWSAccess is implied at every level)
            out["organization"].setdefault("rcps", {}).setdefault(path[2], []).append([fresh])
        return out
    policy = get_policy(out, path)
    statements = _statement_list(policy)
    sids = {s.get("Sid") for s in statements}
    if statement.get("Sid") in sids:
        statement = {k: v for k, v in statement.items() if k != "Sid"}
    policy["Statement"] = [*statements, statement]
    return out


def _policy_paths(doc: Doc) -> Iterator[tuple[Any, ...]]:
    for _, path in policy_slots(doc):
        yield path


def map_policies(doc: Doc, fn: Callable[[list[Doc]], list[Doc]]) -> Doc:
    """A copy of ``doc`` with every policy's statement list replaced by ``fn(statements)``."""
    out = copy.deepcopy(doc)
    for path in _policy_paths(out):
        policy = get_policy(out, path)
        policy["Statement"] = fn(_statement_list(policy))
    return out


def unrelated_trust_policy() -> Doc:
    """A trust policy naming only an account that appears nowhere else in the generated worlds."""
    return {"Version": V2012, "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{UNRELATED_ACCOUNT}:root"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]}
