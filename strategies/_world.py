"""The world a scenario is about, the drawing helpers, and the pools statements are drawn from.

Private: the public strategies in :mod:`rolecall.strategies` are built from these.
Everything is built by construction, never by filtering: a world (caller,
target role, organization) is drawn first, and every statement is then drawn
from pools that are *about* that world: the caller named directly, via its
account, via ``*``, or by a near miss (another account, another name, a prefix
or a suffix of the name, another case, a path added or dropped).

Shrinking: every choice is an index into a pool whose first element is the
simplest, and every optional feature is decided by :func:`chance`, which
shrinks towards "absent"; so failures shrink towards fewer statements, fewer
policies, no organization and the first (shortest) names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from rolecall import model
from rolecall.model.arn import IamUser, RoleSession, ServicePrincipal, entity_key

Doc = dict[str, Any]

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
UNRELATED_ACCOUNT = "444444444444"
#: Accounts that hold no entity of any world, one for each near miss moved out of its own account
#: (:func:`caller_principal_entries`): two moved entries never share an account, so they never name
#: one user or role in two spellings (docs/semantics.md §5.10).
MOVED_ACCOUNTS = (UNRELATED_ACCOUNT, "555555555555", "666666666666", "777777777777", "888888888888")
OUTSIDE_MANAGEMENT = "999999999999"
ORG_ID = "o-a1b2c3d4e5"
V2012 = "2012-10-17"

#: policy-slot kind -> ``Result.denied_by`` wording (docs/semantics.md §1.2)
DENIED_BY = {
    "trust": "role trust policy",
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
}

CALLER_KINDS = ("user", "role-session", "session-token", "service", "root", "federated")

_PERCENT = st.integers(0, 99)
_INDEX: dict[int, st.SearchStrategy[int]] = {}


def chance(draw: st.DrawFn, percent: int) -> bool:
    """True with about ``percent`` % probability; shrinks towards False (the feature absent)."""
    return bool(draw(_PERCENT) >= 100 - percent)


def pick(draw: st.DrawFn, pool: list[Any] | tuple[Any, ...]) -> Any:
    """One element of ``pool``; shrinks towards the first.

    Drawing an index from a cached ``integers`` strategy is much cheaper than
    building a fresh ``sampled_from`` for every pool (the generator is hot).
    """
    n = len(pool)
    strategy = _INDEX.get(n)
    if strategy is None:
        strategy = _INDEX.setdefault(n, st.integers(0, n - 1))
    return pool[draw(strategy)]


def pickw(draw: st.DrawFn, *pairs: tuple[int, Any]) -> Any:
    """:func:`pick` with integer weights (shrinks towards the first pair)."""
    return pick(draw, [v for w, v in pairs for _ in range(w)])


def other_account(account: str) -> str:
    return next(a for a in ACCOUNTS if a != account)


def swapcase_first(name: str) -> str:
    return name[0].swapcase() + name[1:]


def flip_path(path: str) -> str:
    return "/" if path != "/" else "/team/"


def near_names(name: str) -> list[str]:
    """Names that nearly are ``name``: another case, a prefix, a suffix added, a regex reading of it."""
    out = [swapcase_first(name), name[:-1] or name + "x", name + "2"]
    for meta in ".+?":
        if meta in name:
            out.append(name.replace(meta, "x"))
    return [n for n in out if n != name]


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
    tag: str | None = None
    """The caller's ``team`` principal tag, when it has one."""
    external_id: str | None = None
    session: str = "s1"
    """The request's RoleSessionName."""
    source_ip: str | None = None

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
        """docs/semantics.md R7: the caller is an IAM user / role session of a member (not management) account."""
        return (
            self.kind in ("user", "session-token", "role-session")
            and self.account in self.org_members
            and self.account != self.org_management
        )

    @property
    def rcp_applies(self) -> bool:
        """docs/semantics.md R6: the role's account is a member (not management) account."""
        return self.target_account in self.org_members and self.target_account != self.org_management

    def but(self, **changes: Any) -> World:
        return replace(self, **changes)

    def entities(self) -> dict[tuple[str, str, str], str]:
        """The IAM users and roles this world holds, by (account, ``user`` or ``role``, lower-cased
        name): the caller's user or role and the target role. IAM names are unique per account and
        kind regardless of case and path (CreateUser, CreateRole: "Names are not distinguished by
        case"), so no other user or role of the world may have one of these names."""
        out: dict[tuple[str, str, str], str] = {}
        if self.user_name is not None and self.account is not None:
            out[(self.account, "user", self.user_name.lower())] = (
                f"arn:aws:iam::{self.account}:user{self.user_path}{self.user_name}"
            )
        if self.role_name is not None and self.account is not None:
            out[(self.account, "role", self.role_name.lower())] = self.caller_role_arn
        out.setdefault((self.target_account, "role", self.target_name.lower()), self.target_arn)
        return out

    def can_name(self, principal: Any) -> bool:
        """Whether a trust ``Principal`` value is one AWS can store in this world: none of its user or
        role ARNs names a user or role of the world by another case of its name or another path
        (docs/semantics.md §5.10; such a policy is refused or resolved to that entity, never a near miss)."""
        entries = principal.get("AWS", ()) if isinstance(principal, dict) else ()
        entities = self.entities()
        for e in [entries] if isinstance(entries, str) else entries:
            key = entity_key(e) if isinstance(e, str) else None
            known = entities.get(key[1:]) if key is not None else None
            if known is not None and known != e:
                return False
        return True


def world_of(doc: Doc) -> World:
    """The :class:`World` of a generated doc (read back through the model's own parser)."""
    s = model.load_assume_role(doc)
    p = s.caller.principal
    role = s.role.arn
    org = s.organization
    common: dict[str, Any] = {
        "target_account": role.account,
        "target_path": role.path,
        "target_name": role.name,
        "org_members": org.members if org else frozenset(),
        "org_management": org.management_account if org else None,
    }
    none: dict[str, Any] = dict.fromkeys(("user_name", "user_path", "role_name", "role_path", "session_name"))
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


_NO_NAMES: dict[str, Any] = dict.fromkeys(("user_name", "user_path", "role_name", "role_path", "session_name"))
_KIND_WEIGHTS = {"user": 45, "role-session": 38, "session-token": 8, "service": 7, "root": 3, "federated": 2}
USER_NAMES = ("alice", "bob", "a.b", "dev+ops")
ROLE_NAMES = ("RA", "Builder", "R.x")
TARGET_NAMES = ("R", "Target", "R.x", "Rax", "R+1")
SESSION_NAMES = ("s1", "s2", "alice")
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com")


def draw_world(draw: st.DrawFn, cross_account: bool | None, kinds: tuple[str, ...] | None) -> World:
    """A caller and a target role (no organization yet).

    ``cross_account``: None either (about half each), True / False force it
    (service callers have no account; with ``cross_account`` set they are never
    drawn). ``kinds``: the caller kinds to draw from.
    """
    pool = tuple(kinds) if kinds is not None else CALLER_KINDS
    if cross_account is not None:
        pool = tuple(k for k in pool if k != "service") or pool
    kind = pickw(draw, *((_KIND_WEIGHTS.get(k, 1), k) for k in pool))
    account = None if kind == "service" else pick(draw, ACCOUNTS)
    if account is None:
        target_account = pick(draw, ACCOUNTS)
    else:
        cross = chance(draw, 50) if cross_account is None else cross_account
        other = pick(draw, [a for a in ACCOUNTS if a != account])  # always drawn: the shrinker can turn a
        target_account = other if cross else account  # cross-account example into a same-account one in one step
    target = {
        "target_account": target_account,
        "target_path": pickw(draw, (3, "/"), (1, "/svc/")),
        "target_name": pickw(
            draw,
            (3, TARGET_NAMES[0]),
            (2, TARGET_NAMES[1]),
            (1, TARGET_NAMES[2]),
            (1, TARGET_NAMES[3]),
            (1, TARGET_NAMES[4]),
        ),
    }
    if kind == "service":
        return World(kind, None, None, pick(draw, SERVICES), **_NO_NAMES, **target)
    assert account is not None
    if kind in ("user", "session-token"):
        return _user_world(draw, kind, account, target)
    if kind == "role-session":
        return _session_world(draw, account, target)
    if kind == "root":
        return World(kind, account, f"arn:aws:iam::{account}:root", None, **_NO_NAMES, **target)
    return World(kind, account, f"arn:aws:sts::{account}:federated-user/fed1", None, **_NO_NAMES, **target)


def _user_world(draw: st.DrawFn, kind: str, account: str, target: dict[str, Any]) -> World:
    """An IAM user caller (long-term keys or a GetSessionToken session): its name and path."""
    name = pickw(draw, (3, USER_NAMES[0]), (2, USER_NAMES[1]), (1, USER_NAMES[2]), (1, USER_NAMES[3]))
    path = pickw(draw, (3, "/"), (1, "/team/"), (1, "/a/b/"))
    return World(
        kind,
        account,
        f"arn:aws:iam::{account}:user{path}{name}",
        None,
        **{**_NO_NAMES, "user_name": name, "user_path": path},
        **target,
    )


def _session_world(draw: st.DrawFn, account: str, target: dict[str, Any]) -> World:
    """A role-session caller: its role's name and path, its session name; sometimes the target is its
    own role (self-assumption, R12), and a target of its role's name in its account is that role (IAM
    role names are unique regardless of case and path: docs/semantics.md §5.10)."""
    rname = pickw(draw, (3, ROLE_NAMES[0]), (2, ROLE_NAMES[1]), (1, ROLE_NAMES[2]))
    rpath = pickw(draw, (3, "/"), (1, "/team/"))
    sess = pick(draw, SESSION_NAMES)
    if account == target["target_account"] and (chance(draw, 20) or target["target_name"].lower() == rname.lower()):
        target = {"target_account": account, "target_path": rpath, "target_name": rname}
    return World(
        "role-session",
        account,
        f"arn:aws:sts::{account}:assumed-role/{rname}/{sess}",
        None,
        **{**_NO_NAMES, "role_name": rname, "role_path": rpath, "session_name": sess},
        **target,
    )


# =========================================================================== principal pools


def caller_principal_entries(w: World) -> tuple[list[tuple[str, Any]], list[Any]]:
    """(related, near-miss) ``Principal`` values for a trust statement about the caller.

    Each related entry comes with its trust class (docs/semantics.md R8: ``user``, ``role``,
    ``session``, ``account``, ``wildcard``, ``service``). They shrink towards the
    caller's own ARN: a direct grant, which within one account needs no identity
    policy (R10), so a counterexample shrinks to the fewest statements. Near misses name no one
    the caller is: another account, a name that is a prefix or a suffix of the caller's, another
    user or role, another session, a session of the caller's role in another case. A user or role
    ARN naming a user or role of the world by another case or path (``role/builder`` for the caller's
    role ``/Builder``) is moved to an account of :data:`MOVED_ACCOUNTS`, one each: IAM names are unique
    regardless of both,
    so in the entity's own account AWS would refuse such a policy or resolve the ARN to that entity
    (docs/semantics.md §5.10), neither a near miss.
    """
    if w.kind == "service":
        assert w.service is not None
        other = "lambda.amazonaws.com" if w.service != "lambda.amazonaws.com" else "ec2.amazonaws.com"
        related: list[tuple[str, Any]] = [
            ("service", {"Service": w.service}),
            ("service", {"Service": [other, w.service]}),
        ]
        near: list[Any] = [
            {"Service": other},
            "*",
            {"AWS": "*"},
            {"AWS": f"arn:aws:iam::{w.target_account}:root"},
            {"Service": w.service.replace(".amazonaws.com", ".amazonaws.co")},
        ]
        return related, near
    assert w.account is not None
    acct, other = w.account, other_account(w.account)
    root = f"arn:aws:iam::{acct}:root"
    related = [
        ("account", {"AWS": root}),
        ("account", {"AWS": acct}),
        ("wildcard", {"AWS": "*"}),
        ("wildcard", "*"),
        ("account", {"AWS": [f"arn:aws:iam::{other}:root", root]}),
    ]
    near = [
        {"AWS": f"arn:aws:iam::{other}:root"},
        {"AWS": other},
        {"AWS": f"arn:aws:iam::{UNRELATED_ACCOUNT}:root"},
        {"Service": "ec2.amazonaws.com"},
    ]
    if w.kind in ("user", "session-token"):
        assert w.user_name is not None and w.user_path is not None
        name, path = w.user_name, w.user_path
        user = f"arn:aws:iam::{acct}:user{path}{name}"
        related = [
            ("user", {"AWS": user}),
            ("user", {"AWS": user}),
            ("user", {"AWS": [user, f"arn:aws:iam::{acct}:user/mallory"]}),
            *related,
        ]
        near += [{"AWS": f"arn:aws:iam::{acct}:user{path}{n}"} for n in near_names(name)]
        near += [
            {"AWS": f"arn:aws:iam::{acct}:user{path}{'bob' if name != 'bob' else 'alice'}"},
            {"AWS": f"arn:aws:iam::{acct}:user{flip_path(path)}{name}"},
            {"AWS": f"arn:aws:iam::{other}:user{path}{name}"},
            {"AWS": w.target_arn},
        ]
    elif w.kind == "role-session":
        assert w.role_name is not None and w.role_path is not None and w.session_name is not None
        rname, rpath, sess = w.role_name, w.role_path, w.session_name
        role_arn = w.caller_role_arn
        session_arn = f"arn:aws:sts::{acct}:assumed-role/{rname}/{sess}"
        related = [
            ("role", {"AWS": role_arn}),
            ("role", {"AWS": role_arn}),
            ("session", {"AWS": session_arn}),
            *related,
        ]
        near += [{"AWS": f"arn:aws:iam::{acct}:role{rpath}{n}"} for n in near_names(rname)]
        near += [
            {"AWS": f"arn:aws:iam::{acct}:role{flip_path(rpath)}{rname}"},
            {"AWS": f"arn:aws:sts::{acct}:assumed-role/{rname}/{'s2' if sess != 's2' else 's1'}"},
            {"AWS": f"arn:aws:sts::{acct}:assumed-role/{swapcase_first(rname)}/{sess}"},
            {"AWS": f"arn:aws:iam::{other}:role{rpath}{rname}"},
            {"AWS": f"arn:aws:iam::{acct}:user/{sess}"},
        ]
    else:  # root / federated: R1 refuses them whatever the trust says
        related += [("federated", {"AWS": f"arn:aws:sts::{acct}:federated-user/fed1"})]
    # one entry for one entry, so that every pool keeps its size (and every draw its meaning); each
    # moved entry to an account of its own
    out: list[Any] = []
    moved = 0
    for p in near:
        if not w.can_name(p):
            p = _moved(p, MOVED_ACCOUNTS[moved])
            moved += 1
        out.append(p)
    return related, out


def _moved(principal: Doc, account: str) -> Doc:
    """The same user or role ARN in ``account``, which holds no entity of any world: a near miss
    (another case, another path) AWS can store, where the entry in its own account would name a user
    or role of the world and be refused or resolved to it (docs/semantics.md §5.10)."""
    aws = principal["AWS"]
    assert isinstance(aws, str)
    parts = aws.split(":", 5)
    return {"AWS": ":".join([*parts[:4], account, parts[5]])}


def target_resources(w: World) -> tuple[list[str], list[str]]:
    """(related, near-miss) identity-policy ``Resource`` entries for the target role.

    Related entries include wildcards (``*``, ``?``) that cover the target; near
    misses include the target's name with a regex metacharacter read literally
    (``R.x`` does not cover ``Rax``), a prefix, another case, another path or account.
    """
    t, name, acct = w.target_arn, w.target_name, w.target_account
    here = f"arn:aws:iam::{acct}:role{w.target_path}"
    related = [
        t,
        t,
        "*",
        "arn:aws:iam::*:role/*",
        f"arn:aws:iam::{acct}:role/*",
        f"{here}{name[:-1]}?",
        f"{here}{name[0]}*",
    ]
    near = [f"arn:aws:iam::{acct}:role{w.target_path}{n}" for n in near_names(name)]
    if name == "Rax":
        near.append(f"arn:aws:iam::{acct}:role{w.target_path}R.x")
    near += [
        f"arn:aws:iam::{other_account(acct)}:role{w.target_path}{name}",
        f"arn:aws:iam::{acct}:role{flip_path(w.target_path)}{name}",
        f"arn:aws:iam::{acct}:role/other",
        f"arn:aws:iam::{acct}:role{w.target_path}{name}?*",
        "arn:aws:s3:::bucket/*",
    ]
    return related, near


ASSUME_ACTIONS: list[Any] = [
    "sts:AssumeRole",
    "sts:AssumeRole",
    "sts:*",
    "STS:assumerole",
    "sts:Assume*",
    "*",
    "sts:AssumeRol?",
    ["sts:AssumeRole", "sts:TagSession"],
    ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
]
OTHER_ACTIONS: list[Any] = [
    "s3:GetObject",
    "sts:TagSession",
    "sts:AssumeRoleWithSAML",
    "sts:SetSourceIdentity",
    "iam:PassRole",
    "sts:AssumeRole?",
    "sts:Assume?Role",
    "sts:AssumeRole*x",
]


def assume_action(draw: st.DrawFn, needs: tuple[str, ...]) -> Any:
    """An ``Action`` covering ``sts:AssumeRole``; when the request also needs
    ``sts:TagSession`` / ``sts:SetSourceIdentity``, usually one covering those too."""
    if len(needs) > 1 and not chance(draw, 25):
        return pick(draw, [list(needs), "sts:*", "*", list(needs)])
    return pick(draw, ASSUME_ACTIONS)


def covering_action(draw: st.DrawFn, needs: tuple[str, ...]) -> Any:
    """An ``Action`` covering every action in ``needs`` (a grant by construction)."""
    if needs == ("sts:AssumeRole",):
        return pick(draw, ["sts:AssumeRole", "sts:*", "STS:assumerole", "sts:Assume*", "*", "sts:AssumeRol?"])
    return pick(draw, [list(needs), "sts:*", "*"])


# =========================================================================== conditions


def conditions_pool(w: World) -> list[tuple[str, str, Any]]:
    """Condition tests the model can always decide: single-valued keys, or multi-valued keys
    under ``ForAnyValue:``/``ForAllValues:`` only; valid IPs and dates."""
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
        ("StringLike", "aws:PrincipalTag/team", "b.ue"),
        ("StringEquals", "aws:PrincipalOrgID", ORG_ID),
        ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ORG_ID),
        ("Bool", "aws:MultiFactorAuthPresent", "true"),
        ("Bool", "aws:MultiFactorAuthPresent", True),
        ("BoolIfExists", "aws:MultiFactorAuthPresent", "false"),
        ("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
        ("NotIpAddress", "aws:SourceIp", ["203.0.113.0/24", "192.0.2.1"]),
        ("StringLike", "sts:RoleSessionName", "s*"),
        ("StringLike", "sts:RoleSessionName", "s?"),
        ("StringEquals", "sts:RoleSessionName", "${aws:username}"),
        ("StringEquals", "aws:PrincipalAccount", acct),
        ("StringNotEquals", "aws:PrincipalAccount", other_account(acct)),
        ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*"),
        ("ArnNotLike", "aws:PrincipalArn", f"arn:aws:iam::{acct}:role/*"),
        ("StringEquals", "aws:RequestedRegion", "us-east-1"),
        ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
        ("DateLessThan", "aws:CurrentTime", "2016-05-01T12:00:00Z"),
        ("ForAnyValue:StringEquals", "aws:TagKeys", "project"),
        ("ForAllValues:StringLike", "aws:TagKeys", ["project", "cost-*"]),
        ("ForAllValues:StringEquals", "sts:TransitiveTagKeys", "project"),
    ]


def near_value(draw: st.DrawFn, value: str) -> str:
    """A near miss of ``value``: another case, an extra character, a prefix."""
    return str(pick(draw, [swapcase_first(value), value + "1", value[:-1] or value + "x"]))


def true_conditions(w: World) -> list[tuple[str, str, Any]]:
    """Condition tests that hold in world ``w`` by construction (facts the world fixes)."""
    out: list[tuple[str, str, Any]] = [
        ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
        ("StringLike", "sts:RoleSessionName", w.session[0] + "*"),
    ]
    if w.account is not None:
        out.append(("StringEquals", "aws:PrincipalAccount", w.account))
    if w.external_id is not None:
        out.append(("StringEquals", "sts:ExternalId", w.external_id))
        out.append(("StringEqualsIgnoreCase", "sts:ExternalId", swapcase_first(w.external_id)))
    else:
        out.append(("Null", "sts:ExternalId", "true"))
    if w.tag is not None:
        out.append(("StringEquals", "aws:PrincipalTag/team", w.tag))
    if w.source_ip == "203.0.113.7":
        out.append(("IpAddress", "aws:SourceIp", "203.0.113.0/24"))
    elif w.source_ip == "198.51.100.9":
        out.append(("IpAddress", "aws:SourceIp", "198.51.100.0/24"))
    return out


def false_condition(draw: st.DrawFn, w: World) -> tuple[str, str, Any]:
    """A condition test that fails in world ``w`` by construction, often by a near miss of the true value."""
    options: list[tuple[str, str, Any]] = [
        ("StringEquals", "sts:ExternalId", near_value(draw, w.external_id or "xyz")),
        ("DateLessThan", "aws:CurrentTime", "2016-05-01T12:00:00Z"),
        ("StringEquals", "sts:RoleSessionName", near_value(draw, w.session)),
        ("IpAddress", "aws:SourceIp", "203.0.113.0/24" if w.source_ip == "198.51.100.9" else "198.51.100.0/24"),
        ("StringEquals", "aws:PrincipalTag/team", near_value(draw, w.tag or "blue")),
        ("StringLike", "sts:RoleSessionName", w.session.replace(w.session[-1], ".")),
    ]
    if w.account is not None:
        options.append(("StringEquals", "aws:PrincipalAccount", other_account(w.account)))
    op, key, value = pick(draw, options)
    return op, key, value


def condition_block(draw: st.DrawFn, tests: list[tuple[str, str, Any]], n: int) -> dict[str, Any]:
    """A Condition block of up to ``n`` tests drawn from ``tests`` (keys never repeat under an operator)."""
    block: dict[str, dict[str, Any]] = {}
    for _ in range(n):
        op, key, value = pick(draw, tests)
        ops = block.setdefault(op, {})
        if key.lower() not in {k.lower() for k in ops}:
            ops[key] = value
    return block


def maybe_condition(draw: st.DrawFn, stmt: Doc, w: World, percent: int) -> Doc:
    if chance(draw, percent):
        stmt["Condition"] = condition_block(draw, conditions_pool(w), 1 + chance(draw, 30))
    return stmt


def draw_request(
    draw: st.DrawFn,
    names: list[str],
    external_ids: list[str],
    *,
    tags_percent: int,
    source_percent: int,
) -> Doc:
    """A ``request`` that passes R0 and R13: a session name from ``names``, sometimes an
    external id, small session tags (far from the packed limit) with a transitive key, a
    duration of at most one hour (fits every role and the chaining cap), a source identity.
    Every optional part shrinks towards absent."""
    req: Doc = {"role_session_name": pick(draw, names)}
    if chance(draw, 30):
        req["external_id"] = pick(draw, external_ids)
    if chance(draw, tags_percent):
        keys = ["project", "cost-center", "Env"]
        first = pick(draw, keys)
        chosen = [first] + ([k for k in keys if k != first][:1] if chance(draw, 30) else [])
        req["tags"] = [{"Key": k, "Value": pick(draw, ["x", "blue", ""])} for k in chosen]
        if chance(draw, 20):
            req["transitive_tag_keys"] = chosen[:1]
    if chance(draw, 30):
        req["duration_seconds"] = pick(draw, [900, 1800, 3600])
    if chance(draw, source_percent):
        req["source_identity"] = pick(draw, ["dev", "alice@example.com"])
    return req
