"""A snapshot of AWS accounts and their organization: the input of the account analysis.

Users hold accounts, not scenarios. A *snapshot* is what IAM and AWS Organizations
say about a set of accounts at one moment: users, groups and memberships, roles
with their trust policies, tags, permissions boundaries, inline and managed
policies, the identity providers that federated tokens resolve to, and the
organization's tree with its service and resource control policies. From a
snapshot, every question "can principal P assume role R?" becomes one scenario
of the scenario format (docs/scenario-format.md), decided by the model
(``rolecall.model.decide``): the account analysis (``graph.py``) never states a
second rule.

The snapshot's JSON shape (``rolecall-snapshot/1``) is public, documented in
docs/accounts.md, and read by :func:`load_snapshot`; the readers of AWS's own
outputs (``get-account-authorization-details``, the Organizations API) produce it
(``readers.py``). Everything a snapshot holds is validated when it is loaded:
every policy is parsed by the model's parser (a policy the model refuses is an
error naming its JSON path, never skipped), every name and id is checked, and a
managed policy a principal names must be in the snapshot.

What a snapshot cannot say, and how a scenario fills it in (docs/accounts.md):
the request (a session name; no ExternalId, MFA, tags or source IP unless a
question asks for them), the caller's MFA, and for a role acting as a caller,
its session (``SESSION_NAME``) with no session policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..arn import entity_key
from ..errors import InputError, RolecallError, child
from ..policy import Policy, PolicyKind, parse_policy

__all__ = [
    "FORMAT",
    "SESSION_NAME",
    "Account",
    "Group",
    "ManagedPolicy",
    "OidcProvider",
    "OrgPolicy",
    "OrgUnit",
    "Organization",
    "Role",
    "SamlProvider",
    "Snapshot",
    "User",
    "dump_snapshot",
    "load_snapshot",
]

#: The value of a snapshot's ``format`` field.
FORMAT = "rolecall-snapshot/1"
#: The session name of a role acting as a caller (a role session ``assumed-role/NAME/SESSION_NAME``).
SESSION_NAME = "rolecall-session"

_ACCOUNT = re.compile(r"[0-9]{12}")
_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_PATH = re.compile(r"/(?:[\x21-\x7e]*/)?")
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
_ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


@dataclass(frozen=True)
class ManagedPolicy:
    """A managed policy: customer managed (``arn:P:iam::ACCOUNT:policy/…``) or AWS managed
    (``arn:P:iam::aws:policy/…``), with its default version's document."""

    arn: str
    document: Policy
    version: str | None = None
    """The default version's id (``v3``), when known."""
    source: str = "snapshot"
    """``snapshot`` (read with the accounts), or ``shipped`` (an AWS managed policy the dump lacked,
    resolved from rolecall's copy of AWS's documents: docs/accounts.md)."""
    version_date: str | None = None
    """For a shipped AWS managed policy: the date of the version rolecall ships."""


@dataclass(frozen=True)
class User:
    account: str
    name: str
    path: str = "/"
    id: str | None = None
    """``AIDA…``; ``None``: derived from the ARN, as the scenario format does."""
    tags: Mapping[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    """Names of the groups of the same account the user belongs to."""
    inline_policies: Mapping[str, Policy] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()
    """ARNs of the attached managed policies (each in the snapshot)."""
    permissions_boundary: str | None = None
    """ARN of the managed policy set as the boundary."""

    def arn(self, partition: str) -> str:
        return f"arn:{partition}:iam::{self.account}:user{self.path}{self.name}"


@dataclass(frozen=True)
class Group:
    account: str
    name: str
    path: str = "/"
    inline_policies: Mapping[str, Policy] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    account: str
    name: str
    trust_policy: Policy
    path: str = "/"
    id: str | None = None
    """``AROA…``; ``None``: derived from the ARN."""
    tags: Mapping[str, str] = field(default_factory=dict)
    inline_policies: Mapping[str, Policy] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()
    permissions_boundary: str | None = None
    max_session_duration: int = 3600

    def arn(self, partition: str) -> str:
        return f"arn:{partition}:iam::{self.account}:role{self.path}{self.name}"


@dataclass(frozen=True)
class OidcProvider:
    """An IAM OIDC provider: its URL (``https://host/path``) and client IDs (audiences)."""

    url: str
    client_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SamlProvider:
    name: str
    issuer: str | None = None


@dataclass(frozen=True)
class Account:
    id: str
    name: str | None = None
    users: Mapping[str, User] = field(default_factory=dict)
    """By name (IAM names are unique per account regardless of case and path; keys keep the case)."""
    groups: Mapping[str, Group] = field(default_factory=dict)
    roles: Mapping[str, Role] = field(default_factory=dict)
    policies: Mapping[str, ManagedPolicy] = field(default_factory=dict)
    """Customer managed policies, by ARN."""
    oidc_providers: tuple[OidcProvider, ...] = ()
    saml_providers: tuple[SamlProvider, ...] = ()


@dataclass(frozen=True)
class OrgPolicy:
    """A service control policy (``SERVICE_CONTROL_POLICY``) or resource control policy
    (``RESOURCE_CONTROL_POLICY``) of the organization."""

    id: str
    type: str
    document: Policy
    name: str | None = None


@dataclass(frozen=True)
class OrgUnit:
    """A node of the organization's tree: a root (``r-…``), an OU (``ou-…``) or an account."""

    id: str
    parent: str | None
    """The parent node's id (``None`` for a root)."""
    policies: tuple[str, ...] = ()
    """Ids of the SCPs and RCPs attached to the node."""
    name: str | None = None


@dataclass(frozen=True)
class Organization:
    id: str
    management_account: str
    nodes: Mapping[str, OrgUnit] = field(default_factory=dict)
    """Roots, OUs and accounts, by id (an account's node id is the account id)."""
    policies: Mapping[str, OrgPolicy] = field(default_factory=dict)
    policy_types: tuple[str, ...] | None = None
    """The policy types enabled in the root (``SERVICE_CONTROL_POLICY``, ``RESOURCE_CONTROL_POLICY``:
    ListRoots' ``PolicyTypes`` with status ``ENABLED``); a type not enabled is not in force, whatever
    is attached. ``None``: not recorded, every attached policy is in force."""

    def in_force(self, policy_type: str) -> bool:
        """Whether the policies of ``policy_type`` apply (the type is enabled, or not recorded)."""
        return self.policy_types is None or policy_type in self.policy_types

    def chain(self, account: str, policy_type: str) -> list[list[Policy]] | None:
        """The policy chain of an account (root, each OU, the account), each level the documents of
        ``policy_type`` attached there; ``None`` for an account outside the organization."""
        node = self.nodes.get(account)
        if node is None:
            return None
        levels: list[list[Policy]] = []
        seen: set[str] = set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            docs = [self.policies[p].document for p in node.policies if self.policies[p].type == policy_type]
            levels.append(docs)
            node = self.nodes.get(node.parent) if node.parent is not None else None
        return list(reversed(levels))

    @property
    def members(self) -> list[str]:
        return sorted(n.id for n in self.nodes.values() if _ACCOUNT.fullmatch(n.id))


@dataclass(frozen=True)
class Snapshot:
    """Accounts, the AWS managed policies they use, and their organization (module docstring)."""

    partition: str = "aws"
    accounts: Mapping[str, Account] = field(default_factory=dict)
    aws_managed_policies: Mapping[str, ManagedPolicy] = field(default_factory=dict)
    organization: Organization | None = None

    # ------------------------------------------------------------------ the principals

    def users(self) -> Iterator[User]:
        for account in self.accounts.values():
            yield from account.users.values()

    def roles(self) -> Iterator[Role]:
        for account in self.accounts.values():
            yield from account.roles.values()

    def managed_policy(self, arn: str) -> ManagedPolicy:
        account = arn.split(":")[4] if arn.count(":") >= 5 else ""
        if account == "aws":
            return self.aws_managed_policies[arn]
        return self.accounts[account].policies[arn]

    def identity_policies(self, principal: User | Role) -> list[Policy]:
        """Every identity policy of a user (its own inline and managed policies, then its groups')
        or of a role (its permissions policies): the scenario's ``caller.identity_policies``."""
        out = list(principal.inline_policies.values())
        out += [self.managed_policy(a).document for a in principal.managed_policies]
        if isinstance(principal, User):
            account = self.accounts[principal.account]
            for name in principal.groups:
                group = account.groups[name]
                out += list(group.inline_policies.values())
                out += [self.managed_policy(a).document for a in group.managed_policies]
        return out

    def boundary(self, principal: User | Role) -> Policy | None:
        arn = principal.permissions_boundary
        return self.managed_policy(arn).document if arn is not None else None

    # ------------------------------------------------------------------ scenario pieces

    def caller_doc(self, principal: User | Role) -> dict[str, Any]:
        """The scenario's ``caller`` for a user, or for a session of a role (:data:`SESSION_NAME`)."""
        p = self.partition
        if isinstance(principal, User):
            doc: dict[str, Any] = {"arn": principal.arn(p)}
        else:
            doc = {"arn": f"arn:{p}:sts::{principal.account}:assumed-role/{principal.name}/{SESSION_NAME}"}
            if principal.path != "/":
                doc["role_path"] = principal.path
        if principal.id:
            doc["unique_id"] = principal.id
        doc["identity_policies"] = [pol.to_json() for pol in self.identity_policies(principal)]
        boundary = self.boundary(principal)
        if boundary is not None:
            doc["permissions_boundary"] = boundary.to_json()
        if principal.tags:
            doc["tags"] = dict(principal.tags)
        return doc

    def role_doc(self, role: Role) -> dict[str, Any]:
        """The scenario's ``role`` for a role of the snapshot."""
        doc: dict[str, Any] = {"arn": role.arn(self.partition), "trust_policy": role.trust_policy.to_json()}
        if role.id:
            doc["role_id"] = role.id
        if role.max_session_duration != 3600:
            doc["max_session_duration"] = role.max_session_duration
        if role.tags:
            doc["tags"] = dict(role.tags)
        return doc

    def identity_providers_doc(self, account: str) -> dict[str, Any]:
        """The scenario's ``identity_providers`` for a role of ``account`` (docs/federation.md §3.3): the
        account's IAM OIDC providers (URL, client IDs) and SAML providers (name, issuer), which F3 looks up
        in the role's account only. Empty when the account holds none."""
        a = self.accounts.get(account)
        entry: dict[str, Any] = {}
        if a is not None and a.oidc_providers:
            entry["oidc"] = [{"url": o.url, "client_ids": list(o.client_ids)} for o in a.oidc_providers]
        if a is not None and a.saml_providers:
            entry["saml"] = [{"name": s.name, "issuer": s.issuer or ""} for s in a.saml_providers]
        return {account: entry} if entry else {}

    def organization_doc(self) -> dict[str, Any] | None:
        """The scenario's ``organization``: membership, and every member's SCP and RCP chains."""
        org = self.organization
        if org is None:
            return None
        scps: dict[str, Any] = {}
        rcps: dict[str, Any] = {}
        for account in [*org.members]:
            scp = org.chain(account, "SERVICE_CONTROL_POLICY") if org.in_force("SERVICE_CONTROL_POLICY") else None
            rcp = org.chain(account, "RESOURCE_CONTROL_POLICY") if org.in_force("RESOURCE_CONTROL_POLICY") else None
            if scp is not None:
                scps[account] = [[d.to_json() for d in level] for level in scp]
            if rcp is not None and any(rcp):
                rcps[account] = [[d.to_json() for d in level] for level in rcp]
        return {
            "id": org.id,
            "management_account": org.management_account,
            "members": org.members,
            "scps": scps,
            "rcps": rcps,
        }


# =========================================================================== loading


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"expected an object, got {type(value).__name__}", where)
    return value


def _fields(value: Mapping[str, Any], where: str, allowed: set[str], required: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for key in value:
        if key not in allowed:
            raise InputError(f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})", child(where, key))
    for key in required:
        if key not in value:
            raise InputError(f"missing required field {key!r}", where)


def _str(value: Any, where: str, pattern: re.Pattern[str] | None = None, what: str = "a string") -> str:
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise InputError(f"expected {what}, got {value!r}", where)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"expected an array, got {type(value).__name__}", where)
    return value


def _tags(value: Any, where: str) -> dict[str, str]:
    tags = _obj(value, where)
    seen: dict[str, str] = {}
    for k, v in tags.items():
        _str(v, child(where, k), what="a tag value (a string)")
        if k.lower() in seen:
            raise InputError(f"tag keys are case-insensitive: {k!r} repeats {seen[k.lower()]!r}", child(where, k))
        seen[k.lower()] = k
    return dict(tags)


def _policy(value: Any, kind: PolicyKind, where: str) -> Policy:
    try:
        return parse_policy(value, kind, where)
    except RolecallError as exc:  # a policy the model refuses is bad input here: named, never skipped
        raise InputError(f"a policy the model refuses: {exc.message}", exc.path) from None


def _inline(value: Any, where: str) -> dict[str, Policy]:
    return {name: _policy(doc, PolicyKind.IDENTITY, child(where, name)) for name, doc in _obj(value, where).items()}


def _arns(value: Any, where: str) -> tuple[str, ...]:
    return tuple(_str(v, child(where, i), what="a policy ARN") for i, v in enumerate(_list(value, where)))


def load_snapshot(value: Any, where: str = "$") -> Snapshot:
    """Validate a ``rolecall-snapshot/1`` document (decoded JSON) and return the :class:`Snapshot`;
    :class:`~rolecall.model.errors.InputError` names the first fault with its JSON path."""
    doc = _obj(value, where)
    _fields(doc, where, {"format", "partition", "accounts", "aws_managed_policies", "organization"}, {"format"})
    if doc["format"] != FORMAT:
        raise InputError(
            f"not a rolecall snapshot: format {doc['format']!r} (expected {FORMAT!r})", child(where, "format")
        )
    partition = doc.get("partition", "aws")
    if partition not in _PARTITIONS:
        raise InputError(f"a partition: {', '.join(_PARTITIONS)} (not {partition!r})", child(where, "partition"))
    aws_managed = {
        arn: _managed(p, child(child(where, "aws_managed_policies"), arn), arn)
        for arn, p in _obj(doc.get("aws_managed_policies", {}), child(where, "aws_managed_policies")).items()
    }
    accounts: dict[str, Account] = {}
    for i, a in enumerate(_list(doc.get("accounts", []), child(where, "accounts"))):
        account = _account(a, child(child(where, "accounts"), i), partition)
        if account.id in accounts:
            raise InputError(f"account {account.id} appears twice", child(child(child(where, "accounts"), i), "id"))
        accounts[account.id] = account
    org = _organization(doc["organization"], child(where, "organization")) if doc.get("organization") else None
    snapshot = Snapshot(partition, accounts, aws_managed, org)
    _check_references(snapshot, doc, where)
    _check_spellings(snapshot, doc, where)
    return snapshot


def _managed(value: Any, where: str, arn: str) -> ManagedPolicy:
    p = _obj(value, where)
    _fields(p, where, {"document", "version", "source", "version_date"}, {"document"})
    source = p.get("source", "snapshot")
    if source not in ("snapshot", "shipped"):
        raise InputError(f"source is 'snapshot' or 'shipped', not {source!r}", child(where, "source"))
    version, date = p.get("version"), p.get("version_date")
    return ManagedPolicy(
        arn,
        _policy(p["document"], PolicyKind.IDENTITY, child(where, "document")),
        _str(version, child(where, "version"), re.compile(r"v[0-9]+"), "a version id (v1, v2, …)")
        if version is not None
        else None,
        source,
        _str(date, child(where, "version_date"), re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "a date (YYYY-MM-DD)")
        if date is not None
        else None,
    )


def _account(value: Any, where: str, partition: str) -> Account:
    a = _obj(value, where)
    _fields(
        a, where, {"id", "name", "users", "groups", "roles", "policies", "oidc_providers", "saml_providers"}, {"id"}
    )
    account = _str(a["id"], child(where, "id"), _ACCOUNT, "a 12-digit account id")
    users: dict[str, User] = {}
    for i, u in enumerate(_list(a.get("users", []), child(where, "users"))):
        user = _user(u, child(child(where, "users"), i), account)
        _unique(users, user.name, child(child(child(where, "users"), i), "name"), "user")
        users[user.name] = user
    groups: dict[str, Group] = {}
    for i, g in enumerate(_list(a.get("groups", []), child(where, "groups"))):
        w = child(child(where, "groups"), i)
        gd = _obj(g, w)
        _fields(gd, w, {"name", "path", "inline_policies", "managed_policies"}, {"name"})
        group = Group(
            account,
            _str(gd["name"], child(w, "name"), _NAME, "an IAM name"),
            _str(gd.get("path", "/"), child(w, "path"), _PATH, "an IAM path"),
            _inline(gd.get("inline_policies", {}), child(w, "inline_policies")),
            _arns(gd.get("managed_policies", []), child(w, "managed_policies")),
        )
        _unique(groups, group.name, child(w, "name"), "group")
        groups[group.name] = group
    roles: dict[str, Role] = {}
    for i, r in enumerate(_list(a.get("roles", []), child(where, "roles"))):
        role = _role(r, child(child(where, "roles"), i), account)
        _unique(roles, role.name, child(child(child(where, "roles"), i), "name"), "role")
        roles[role.name] = role
    policies: dict[str, ManagedPolicy] = {}
    for i, p in enumerate(_list(a.get("policies", []), child(where, "policies"))):
        w = child(child(where, "policies"), i)
        pd = _obj(p, w)
        arn = _str(
            pd.get("arn"),
            child(w, "arn"),
            re.compile(rf"arn:{partition}:iam::{account}:policy/.+"),
            "a policy ARN of this account",
        )
        rest = {k: v for k, v in pd.items() if k != "arn"}
        policies[arn] = _managed(rest, w, arn)
    oidc = []
    for i, o in enumerate(_list(a.get("oidc_providers", []), child(where, "oidc_providers"))):
        w = child(child(where, "oidc_providers"), i)
        od = _obj(o, w)
        _fields(od, w, {"url", "client_ids"}, {"url"})
        url = _str(od["url"], child(w, "url"), re.compile(r"https://[^\s]+"), "an https:// URL")
        oidc.append(
            OidcProvider(
                url,
                tuple(
                    _str(c, child(child(w, "client_ids"), j))
                    for j, c in enumerate(_list(od.get("client_ids", []), child(w, "client_ids")))
                ),
            )
        )
    saml = []
    for i, s in enumerate(_list(a.get("saml_providers", []), child(where, "saml_providers"))):
        w = child(child(where, "saml_providers"), i)
        sd = _obj(s, w)
        _fields(sd, w, {"name", "issuer"}, {"name"})
        saml.append(SamlProvider(_str(sd["name"], child(w, "name"), _NAME, "a SAML provider name"), sd.get("issuer")))
    name = a.get("name")
    if name is not None:
        _str(name, child(where, "name"))
    return Account(account, name, users, groups, roles, policies, tuple(oidc), tuple(saml))


def _unique(seen: Mapping[str, Any], name: str, where: str, what: str) -> None:
    """IAM names are unique per account regardless of case (the CreateUser and CreateRole API
    references: "Names are not distinguished by case")."""
    for other in seen:
        if other.lower() == name.lower():
            raise InputError(f"a second {what} named {name!r} (IAM names are unique regardless of case)", where)


def _user(value: Any, where: str, account: str) -> User:
    u = _obj(value, where)
    _fields(
        u,
        where,
        {"name", "path", "id", "tags", "groups", "inline_policies", "managed_policies", "permissions_boundary"},
        {"name"},
    )
    return User(
        account,
        _str(u["name"], child(where, "name"), _NAME, "an IAM name"),
        _str(u.get("path", "/"), child(where, "path"), _PATH, "an IAM path"),
        _str(u["id"], child(where, "id"), re.compile(r"AIDA[A-Z0-9]+"), "a user id (AIDA…)") if u.get("id") else None,
        _tags(u.get("tags", {}), child(where, "tags")),
        tuple(
            _str(g, child(child(where, "groups"), i), _NAME, "a group name")
            for i, g in enumerate(_list(u.get("groups", []), child(where, "groups")))
        ),
        _inline(u.get("inline_policies", {}), child(where, "inline_policies")),
        _arns(u.get("managed_policies", []), child(where, "managed_policies")),
        _str(u["permissions_boundary"], child(where, "permissions_boundary"))
        if u.get("permissions_boundary")
        else None,
    )


def _role(value: Any, where: str, account: str) -> Role:
    r = _obj(value, where)
    allowed = {
        "name",
        "path",
        "id",
        "trust_policy",
        "tags",
        "inline_policies",
        "managed_policies",
        "permissions_boundary",
        "max_session_duration",
    }
    _fields(r, where, allowed, {"name", "trust_policy"})
    duration = r.get("max_session_duration", 3600)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 3600 <= duration <= 43200:
        raise InputError(f"3600-43200 seconds, not {duration!r}", child(where, "max_session_duration"))
    return Role(
        account,
        _str(r["name"], child(where, "name"), _NAME, "an IAM name"),
        _policy(r["trust_policy"], PolicyKind.TRUST, child(where, "trust_policy")),
        _str(r.get("path", "/"), child(where, "path"), _PATH, "an IAM path"),
        _str(r["id"], child(where, "id"), re.compile(r"AROA[A-Z0-9]+"), "a role id (AROA…)") if r.get("id") else None,
        _tags(r.get("tags", {}), child(where, "tags")),
        _inline(r.get("inline_policies", {}), child(where, "inline_policies")),
        _arns(r.get("managed_policies", []), child(where, "managed_policies")),
        _str(r["permissions_boundary"], child(where, "permissions_boundary"))
        if r.get("permissions_boundary")
        else None,
        duration,
    )


def _organization(value: Any, where: str) -> Organization:
    o = _obj(value, where)
    _fields(o, where, {"id", "management_account", "nodes", "policies", "policy_types"}, {"id", "management_account"})
    policy_types: tuple[str, ...] | None = None
    if "policy_types" in o:
        types = _list(o["policy_types"], child(where, "policy_types"))
        for j, t in enumerate(types):
            if t not in _ORG_POLICY_TYPES:
                raise InputError(
                    f"SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY, not {t!r}",
                    child(child(where, "policy_types"), j),
                )
        policy_types = tuple(types)
    org_id = _str(o["id"], child(where, "id"), re.compile(r"o-[a-z0-9]{10,32}"), "an organization id (o-…)")
    management = _str(o["management_account"], child(where, "management_account"), _ACCOUNT, "a 12-digit account id")
    policies: dict[str, OrgPolicy] = {}
    for i, p in enumerate(_list(o.get("policies", []), child(where, "policies"))):
        w = child(child(where, "policies"), i)
        pd = _obj(p, w)
        _fields(pd, w, {"id", "type", "name", "document"}, {"id", "type", "document"})
        kind = {"SERVICE_CONTROL_POLICY": PolicyKind.SCP, "RESOURCE_CONTROL_POLICY": PolicyKind.RCP}.get(pd["type"])
        if kind is None:
            raise InputError(f"SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY, not {pd['type']!r}", child(w, "type"))
        pid = _str(pd["id"], child(w, "id"), re.compile(r"p-[0-9a-zA-Z_]+"), "a policy id (p-…)")
        policies[pid] = OrgPolicy(pid, pd["type"], _policy(pd["document"], kind, child(w, "document")), pd.get("name"))
    nodes: dict[str, OrgUnit] = {}
    for i, n in enumerate(_list(o.get("nodes", []), child(where, "nodes"))):
        w = child(child(where, "nodes"), i)
        nd = _obj(n, w)
        _fields(nd, w, {"id", "parent", "policies", "name"}, {"id"})
        nid = _str(
            nd["id"],
            child(w, "id"),
            re.compile(r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|[0-9]{12}"),
            "a root, OU or account id",
        )
        parent = nd.get("parent")
        if nid.startswith("r-") != (parent is None):
            raise InputError("a root has no parent, and every other node has one", child(w, "parent"))
        attached = tuple(
            _str(x, child(child(w, "policies"), j))
            for j, x in enumerate(_list(nd.get("policies", []), child(w, "policies")))
        )
        for j, x in enumerate(attached):
            if x not in policies:
                raise InputError(f"no policy {x!r} in the organization's policies", child(child(w, "policies"), j))
        if nid in nodes:
            raise InputError(f"node {nid} appears twice", child(w, "id"))
        nodes[nid] = OrgUnit(nid, parent, attached, nd.get("name"))
    for i, node in enumerate(nodes.values()):
        if node.parent is not None and node.parent not in nodes:
            raise InputError(
                f"parent {node.parent!r} is not a node of the organization",
                child(child(child(where, "nodes"), i), "parent"),
            )
    if nodes and management not in nodes:
        raise InputError(
            f"the management account {management} is not a node of the organization", child(where, "management_account")
        )
    return Organization(org_id, management, nodes, policies, policy_types)


def _check_references(snapshot: Snapshot, doc: Mapping[str, Any], where: str) -> None:
    """Every managed policy, boundary and group a principal names is in the snapshot."""
    for i, account in enumerate(snapshot.accounts.values()):
        w = child(child(where, "accounts"), i)
        kinds: tuple[tuple[str, Mapping[str, User | Group | Role]], ...] = (
            ("users", account.users),
            ("groups", account.groups),
            ("roles", account.roles),
        )
        for kind, principals in kinds:
            for j, p in enumerate(principals.values()):
                pw = child(child(w, kind), j)
                names = [*p.managed_policies]
                boundary = getattr(p, "permissions_boundary", None)
                for k, arn in enumerate([*names, *([boundary] if boundary else [])]):
                    field_where = (
                        child(child(pw, "managed_policies"), k) if k < len(names) else child(pw, "permissions_boundary")
                    )
                    try:
                        snapshot.managed_policy(arn)
                    except (KeyError, IndexError):
                        raise InputError(f"the managed policy {arn} is not in the snapshot", field_where) from None
                for k, g in enumerate(getattr(p, "groups", ())):
                    if g not in account.groups:
                        raise InputError(f"no group {g!r} in account {account.id}", child(child(pw, "groups"), k))


def _check_spellings(snapshot: Snapshot, doc: Mapping[str, Any], where: str) -> None:
    """No trust policy names a user or role of the snapshot by another case of its name or another path.

    IAM names are unique per account regardless of case and path (CreateUser, CreateRole), and IAM
    stores a trust policy's user and role ARNs resolved to the entities' unique ids, showing each
    entity's own ARN when read back (PRINC): a snapshot read from AWS never holds another spelling.
    Whether IAM would have refused it or resolved it is contested (docs/semantics.md §5.10), so a
    written snapshot that holds one is an input error naming the entry, never decided as if both
    spellings were users or roles."""
    known: dict[tuple[str, str, str, str], str] = {}
    for account in snapshot.accounts.values():
        arns = [u.arn(snapshot.partition) for u in account.users.values()]
        arns += [r.arn(snapshot.partition) for r in account.roles.values()]
        for arn in arns:
            key = entity_key(arn)
            if key is not None:
                known[key] = arn
    for i, account in enumerate(snapshot.accounts.values()):
        for j, role in enumerate(account.roles.values()):
            tw = child(child(child(child(where, "accounts"), i), "roles"), j)
            raw = doc["accounts"][i]["roles"][j]["trust_policy"].get("Statement")
            for k, st in enumerate(role.trust_policy.statements):
                for entry in st.principal.aws if st.principal else ():
                    key = entity_key(entry)
                    entity = known.get(key) if key is not None else None
                    if entity is None or entity == entry:
                        continue
                    sw = child(child(tw, "trust_policy"), "Statement")
                    raise InputError(
                        f"{entry} names {entity} by another case or path: IAM names are unique regardless of "
                        "both, and a trust policy read from AWS names the entity as it is (docs/semantics.md §5.10)",
                        child(child(child(sw, k) if isinstance(raw, list) else sw, "Principal"), "AWS"),
                    )


# =========================================================================== dumping


def dump_snapshot(snapshot: Snapshot) -> dict[str, Any]:
    """The ``rolecall-snapshot/1`` document of a snapshot (policies in their canonical JSON):
    :func:`load_snapshot` of it gives an equal snapshot. Defaults are left out."""
    doc: dict[str, Any] = {"format": FORMAT, "partition": snapshot.partition, "accounts": []}
    for account in snapshot.accounts.values():
        doc["accounts"].append(_dump_account(account))
    if snapshot.aws_managed_policies:
        doc["aws_managed_policies"] = {arn: _dump_managed(p) for arn, p in snapshot.aws_managed_policies.items()}
    if snapshot.organization is not None:
        doc["organization"] = _dump_organization(snapshot.organization)
    return doc


def _dump_account(account: Account) -> dict[str, Any]:
    """One account's document: its principals, managed policies and identity providers (empty ones left out)."""
    a: dict[str, Any] = {"id": account.id}
    if account.name is not None:
        a["name"] = account.name
    if account.users:
        a["users"] = [_dump_principal(u) for u in account.users.values()]
    if account.groups:
        a["groups"] = [_dump_principal(g) for g in account.groups.values()]
    if account.roles:
        a["roles"] = [_dump_principal(r) for r in account.roles.values()]
    if account.policies:
        a["policies"] = [{"arn": arn, **_dump_managed(p)} for arn, p in account.policies.items()]
    if account.oidc_providers:
        a["oidc_providers"] = [
            {"url": o.url, **({"client_ids": list(o.client_ids)} if o.client_ids else {})}
            for o in account.oidc_providers
        ]
    if account.saml_providers:
        a["saml_providers"] = [
            {"name": s.name, **({"issuer": s.issuer} if s.issuer is not None else {})} for s in account.saml_providers
        ]
    return a


def _dump_organization(org: Organization) -> dict[str, Any]:
    """The organization's document: its id, management account, policy types, tree nodes and policies."""
    o: dict[str, Any] = {"id": org.id, "management_account": org.management_account}
    if org.policy_types is not None:
        o["policy_types"] = list(org.policy_types)
    o["nodes"] = [
        {
            "id": n.id,
            **({"parent": n.parent} if n.parent is not None else {}),
            **({"policies": list(n.policies)} if n.policies else {}),
            **({"name": n.name} if n.name is not None else {}),
        }
        for n in org.nodes.values()
    ]
    o["policies"] = [
        {
            "id": p.id,
            "type": p.type,
            **({"name": p.name} if p.name is not None else {}),
            "document": p.document.to_json(),
        }
        for p in org.policies.values()
    ]
    return o


def _dump_managed(p: ManagedPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {"document": p.document.to_json()}
    if p.version is not None:
        out["version"] = p.version
    if p.source != "snapshot":
        out["source"] = p.source
    if p.version_date is not None:
        out["version_date"] = p.version_date
    return out


def _dump_principal(p: User | Group | Role) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name}
    if p.path != "/":
        out["path"] = p.path
    if isinstance(p, Role):
        out["trust_policy"] = p.trust_policy.to_json()
        if p.max_session_duration != 3600:
            out["max_session_duration"] = p.max_session_duration
    if not isinstance(p, Group):
        if p.id is not None:
            out["id"] = p.id
        if p.tags:
            out["tags"] = dict(p.tags)
    if isinstance(p, User) and p.groups:
        out["groups"] = list(p.groups)
    if p.inline_policies:
        out["inline_policies"] = {name: pol.to_json() for name, pol in p.inline_policies.items()}
    if p.managed_policies:
        out["managed_policies"] = list(p.managed_policies)
    if not isinstance(p, Group) and p.permissions_boundary is not None:
        out["permissions_boundary"] = p.permissions_boundary
    return out
