"""Whole snapshots of accounts (``rolecall-snapshot/1``, docs/accounts.md) for the access graph.

A snapshot is drawn in two passes: first the principals (accounts, users, groups, role names),
then every policy, so that trust and identity policies can name the principals that exist, their
accounts, ``*``, an account outside the snapshot, and near misses. Conditions are the ones trust
policies carry in the wild: ``sts:ExternalId``, MFA, ``aws:PrincipalArn`` (exact and with
wildcards), ``aws:PrincipalOrgID``, ``aws:SourceIp``, ``aws:SourceAccount`` for services; some
roles and users have permissions boundaries, and sometimes an organization holds the accounts
with SCPs (full access, or a Deny of sts:AssumeRole). Every snapshot is valid by construction.
Failures shrink to one account, one user, one role and no organization.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["snapshots"]

_ACCOUNTS = ("111111111111", "222222222222", "333333333333")
_OUTSIDE = "444455556666"
_ORG = "o-a1b2c3d4e5"
_MANAGEMENT = "999999999990"
_USERS = ("alice", "bob", "carol")
_ROLES = ("app", "deploy", "admin", "ci")
_V = "2012-10-17"
_FULL = {"Version": _V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": _V, "Statement": list(statements)}


@st.composite
def _trust_condition(draw: st.DrawFn, accounts: list[str], service: bool) -> dict[str, Any] | None:
    if service:
        kind = draw(st.sampled_from(["none", "source-account", "source-arn"]))
        if kind == "source-account":
            return {"StringEquals": {"aws:SourceAccount": draw(st.sampled_from(accounts))}}
        if kind == "source-arn":
            return {"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:us-east-1:{draw(st.sampled_from(accounts))}:*"}}
        return None
    kind = draw(
        st.sampled_from(
            ["none", "none", "external-id", "mfa", "principal-arn", "principal-arn-like", "org", "source-ip"]
        )
    )
    account = draw(st.sampled_from(accounts))
    if kind == "external-id":
        return {"StringEquals": {"sts:ExternalId": draw(st.sampled_from(["ext-1", "ext-2"]))}}
    if kind == "mfa":
        return {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    if kind == "principal-arn":
        name = draw(st.sampled_from(_ROLES + _USERS))
        what = "user" if name in _USERS else "role"
        return {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account}:{what}/{name}"}}
    if kind == "principal-arn-like":
        return {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{draw(st.sampled_from(['a*', 'd?ploy', '*']))}"}}
    if kind == "org":
        return {"StringEquals": {"aws:PrincipalOrgID": _ORG}}
    if kind == "source-ip":
        return {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    return None


@st.composite
def _trust(draw: st.DrawFn, accounts: list[str], principals: list[str]) -> dict[str, Any]:
    statements = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["arn", "arn", "root", "root", "star", "outside", "service"]))
        if kind == "service":
            principal: Any = {"Service": "lambda.amazonaws.com"}
        elif kind == "star":
            principal = draw(st.sampled_from(["*", {"AWS": "*"}]))
        elif kind == "outside":
            principal = {"AWS": draw(st.sampled_from([_OUTSIDE, f"arn:aws:iam::{_OUTSIDE}:role/partner"]))}
        elif kind == "root":
            account = draw(st.sampled_from(accounts))
            principal = {"AWS": draw(st.sampled_from([account, f"arn:aws:iam::{account}:root"]))}
        else:
            principal = {"AWS": draw(st.lists(st.sampled_from(principals), min_size=1, max_size=2, unique=True))}
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        condition = draw(_trust_condition(accounts, kind == "service"))
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
    if draw(st.integers(0, 5)) == 0:  # a Deny everyone must keep out of: no MFA, no session
        statements.append(
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        )
    return _doc(*statements)


@st.composite
def _identity(draw: st.DrawFn, accounts: list[str], roles: list[str]) -> dict[str, Any] | None:
    kind = draw(st.sampled_from(["none", "exact", "exact", "account", "star", "not-resource", "pattern"]))
    if kind == "none":
        return None
    if kind == "exact":
        resource: Any = draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True))
    elif kind == "account":
        resource = f"arn:aws:iam::{draw(st.sampled_from(accounts))}:role/*"
    elif kind == "pattern":
        resource = f"arn:aws:iam::*:role/{draw(st.sampled_from(['a*', 'd?ploy', 'c*']))}"
    else:
        resource = "*"
    statement: dict[str, Any] = {"Effect": "Allow", "Action": draw(st.sampled_from(["sts:AssumeRole", "sts:*", "*"]))}
    statement["NotResource" if kind == "not-resource" else "Resource"] = (
        f"arn:aws:iam::{accounts[0]}:role/admin" if kind == "not-resource" else resource
    )
    if draw(st.integers(0, 5)) == 0:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return _doc(statement)


@st.composite
def snapshots(draw: st.DrawFn, max_accounts: int = 3, organization: bool | None = None) -> dict[str, Any]:
    """A ``rolecall-snapshot/1`` document: 1 to ``max_accounts`` accounts (of 111…, 222…, 333…),
    each with users (some in a group), roles whose trust policies name each other's users and roles
    by exact ARN, account roots (as ids or ``:root`` ARNs), ``*``, an account outside the snapshot
    (444455556666) or a principal of it, and ``lambda.amazonaws.com``; conditions on
    ``sts:ExternalId``, MFA, ``aws:PrincipalArn`` (exact, or a wildcard pattern), ``aws:PrincipalOrgID``,
    ``aws:SourceIp``, ``aws:SourceAccount`` / ``aws:SourceArn``; sometimes a trust Deny without MFA;
    identity policies reaching roles by exact ARN, account pattern, wildcard, ``*`` or
    ``NotResource``; permissions boundaries; AdministratorAccess on some roles; and, when
    ``organization`` is not ``False``, sometimes an organization with SCPs (full access at every
    level, or a Deny of sts:AssumeRole on one account)."""
    pool = st.sampled_from(_ACCOUNTS[:max_accounts])
    accounts = sorted(draw(st.lists(pool, min_size=1, max_size=max_accounts, unique=True)))
    users = {a: draw(st.lists(st.sampled_from(_USERS), min_size=0, max_size=2, unique=True)) for a in accounts}
    roles = {a: draw(st.lists(st.sampled_from(_ROLES), min_size=1, max_size=3, unique=True)) for a in accounts}
    if not any(users.values()):
        users[accounts[0]] = ["alice"]
    role_arns = [f"arn:aws:iam::{a}:role/{r}" for a in accounts for r in roles[a]]
    principals = role_arns + [f"arn:aws:iam::{a}:user/{u}" for a in accounts for u in users[a]]
    out_accounts = [_snapshot_account(draw, a, users[a], roles[a], accounts, role_arns, principals) for a in accounts]
    doc: dict[str, Any] = {
        "format": "rolecall-snapshot/1",
        "accounts": out_accounts,
        "aws_managed_policies": {"arn:aws:iam::aws:policy/AdministratorAccess": {"document": _FULL}},
    }
    if organization is not False and (organization or draw(st.booleans())):
        doc["organization"] = _snapshot_organization(draw, accounts)
    return doc


_BOUNDARY_ARN = "arn:aws:iam::{}:policy/boundary"


def _snapshot_account(
    draw: st.DrawFn,
    a: str,
    users: list[str],
    roles: list[str],
    accounts: list[str],
    role_arns: list[str],
    principals: list[str],
) -> dict[str, Any]:
    """One account of :func:`snapshots`: its users (identity policies, the ``devs`` group, boundaries),
    its roles (trust and identity policies, AdministratorAccess on ``admin``, boundaries), the group's
    policy and the boundary policy when used."""
    boundary = _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{a}:role/*"})
    has_boundary = False
    user_docs = []
    for u in users:
        user: dict[str, Any] = {"name": u}
        identity = draw(_identity(accounts, role_arns))
        if identity is not None:
            user["inline_policies"] = {"assume": identity}
        if draw(st.booleans()):
            user["groups"] = ["devs"]
        if draw(st.integers(0, 3)) == 0:
            user["permissions_boundary"] = _BOUNDARY_ARN.format(a)
            has_boundary = True
        user_docs.append(user)
    role_docs = []
    for r in roles:
        role: dict[str, Any] = {"name": r, "trust_policy": draw(_trust(accounts, principals))}
        identity = draw(_identity(accounts, role_arns))
        if identity is not None:
            role["inline_policies"] = {"assume": identity}
        if r == "admin" and draw(st.booleans()):
            role["managed_policies"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]
        if draw(st.integers(0, 4)) == 0:
            role["permissions_boundary"] = _BOUNDARY_ARN.format(a)
            has_boundary = True
        role_docs.append(role)
    account: dict[str, Any] = {"id": a, "users": user_docs, "roles": role_docs}
    if any("groups" in u for u in user_docs):
        group_policy = draw(_identity(accounts, role_arns))
        account["groups"] = [{"name": "devs", "inline_policies": {"assume": group_policy} if group_policy else {}}]
    if has_boundary:
        account["policies"] = [{"arn": _BOUNDARY_ARN.format(a), "document": boundary}]
    return account


def _snapshot_organization(draw: st.DrawFn, accounts: list[str]) -> dict[str, Any]:
    """The organization of :func:`snapshots`: most accounts members, FullAWSAccess at every level, and
    sometimes a Deny of sts:AssumeRole attached to one member (R7)."""
    members = [a for a in accounts if draw(st.integers(0, 4)) != 0]
    denied = draw(st.sampled_from([None, *members])) if members else None
    policies: list[dict[str, Any]] = [{"id": "p-FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "document": _FULL}]
    if denied:
        deny = _doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})
        policies.append({"id": "p-denyassume", "type": "SERVICE_CONTROL_POLICY", "document": deny})
    nodes: list[dict[str, Any]] = [
        {"id": "r-ab12", "policies": ["p-FullAWSAccess"]},
        {"id": _MANAGEMENT, "parent": "r-ab12", "policies": ["p-FullAWSAccess"]},
    ]
    for m in members:
        attached = ["p-FullAWSAccess", *(["p-denyassume"] if m == denied else [])]
        nodes.append({"id": m, "parent": "r-ab12", "policies": attached})
    return {"id": _ORG, "management_account": _MANAGEMENT, "nodes": nodes, "policies": policies}
