"""A world built in moto through the IAM and Organizations APIs, with the access graph its design
predicts (tests/accounts/test_graph_moto.py, tests/accounts/test_moto_backends.py and
tests/benchmarks/bench_pmapper.py).

The management account (moto's default, 123456789012) and one member account, ``app``, created with
``CreateAccount`` (so its id is moto's choice). In the management account:

* group ``devs`` may assume ``arn:aws:iam::*:role/app-*``; user ``alice`` is in it;
* user ``bob`` has no policy; user ``carol`` may assume any role;
* role ``app-deploy`` trusts the account (so alice, carol and admin may assume it, bob may not),
  and may assume any role of ``app``;
* role ``app-admin`` trusts the role ``app-deploy`` by ARN and has an inline ``*:*`` policy (a
  role chain: alice -> app-deploy -> app-admin);
* role ``partner`` trusts the external account 999999999999 with an ``sts:ExternalId``;
* role ``fn`` trusts ``lambda.amazonaws.com``;
* role ``bob-direct`` trusts the user bob by ARN (same account: bob needs no identity policy);
* role ``mfa-only`` trusts the account when MFA is present;
* ``app-tagged`` trusts the account for principals tagged ``team=blue`` (alice is).

In ``app``: ``OrganizationAccountAccessRole`` (``CreateAccount`` makes it, trusting the management
account), ``reader`` trusting the management account's ``app-deploy`` role by ARN, user ``dave``
who may assume any role, ``open`` and ``blocked-x`` trusting ``app``, and an SCP on ``app``
denying ``sts:AssumeRole`` on ``blocked-*`` (so dave reaches ``open`` but not ``blocked-x``).

:func:`build` takes a client factory, so that the same world is built in a moto server (over HTTP)
or in-process under ``mock_aws``. :func:`bulk` adds N users and roles for the speed comparison.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MANAGEMENT = "123456789012"
EXTERNAL = "999999999999"
ACCESS = "OrganizationAccountAccessRole"

Clients = Callable[[str, str], Any]
"""``clients(service, account)``: a boto3 client acting in ``account``."""


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


def _assume(resource: str) -> str:
    return _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource})


def arn(account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


@dataclass(frozen=True)
class MotoWorld:
    app: str
    """The member account's id (moto's choice)."""
    org_id: str
    edges: dict[tuple[str, str], tuple[bool, tuple[str, ...]]]
    """The graph the design predicts: (from, to) -> (conditional, condition keys)."""
    unknown: frozenset[tuple[str, str]]
    """The pairs the design leaves ``unknown`` (docs/graph.md, Limits): app-admin may assume
    ``app-tagged`` only with a ``team=blue`` tag its role does not have, and a session's tags also hold
    what its own AssumeRole passed, which the snapshot does not know. (carol, a user without the tag,
    is no edge: a user's tags are fixed by the snapshot.)"""


def build(clients: Clients) -> MotoWorld:
    org = clients("organizations", MANAGEMENT)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    app = org.create_account(AccountName="app", Email="app@example.com")["CreateAccountStatus"]["AccountId"]
    no_blocked = _doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/blocked-*"})
    scp = org.create_policy(
        Content=no_blocked, Description="no-blocked", Name="no-blocked", Type="SERVICE_CONTROL_POLICY"
    )
    org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=app)

    iam = clients("iam", MANAGEMENT)
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="assume-app", PolicyDocument=_assume("arn:aws:iam::*:role/app-*"))
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.create_user(UserName="bob")
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="assume-any", PolicyDocument=_assume("*"))
    account_root = {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    iam.create_role(RoleName="app-deploy", AssumeRolePolicyDocument=_trust(account_root))
    iam.put_role_policy(
        RoleName="app-deploy", PolicyName="into-app", PolicyDocument=_assume(f"arn:aws:iam::{app}:role/*")
    )
    iam.create_role(
        RoleName="app-admin", AssumeRolePolicyDocument=_trust({"AWS": arn(MANAGEMENT, "role", "app-deploy")})
    )
    iam.put_role_policy(
        RoleName="app-admin",
        PolicyName="admin",
        PolicyDocument=_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    iam.create_role(
        RoleName="partner",
        AssumeRolePolicyDocument=_trust({"AWS": EXTERNAL}, {"StringEquals": {"sts:ExternalId": "partner-42"}}),
    )
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"}))
    iam.create_role(RoleName="bob-direct", AssumeRolePolicyDocument=_trust({"AWS": arn(MANAGEMENT, "user", "bob")}))
    iam.create_role(
        RoleName="mfa-only",
        AssumeRolePolicyDocument=_trust(account_root, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    )
    iam.create_role(
        RoleName="app-tagged",
        AssumeRolePolicyDocument=_trust(account_root, {"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
    )

    member = clients("iam", app)
    member.create_role(
        RoleName="reader", AssumeRolePolicyDocument=_trust({"AWS": arn(MANAGEMENT, "role", "app-deploy")})
    )
    member.create_user(UserName="dave")
    member.put_user_policy(UserName="dave", PolicyName="assume-any", PolicyDocument=_assume("*"))
    app_root = {"AWS": f"arn:aws:iam::{app}:root"}
    member.create_role(RoleName="open", AssumeRolePolicyDocument=_trust(app_root))
    member.create_role(RoleName="blocked-x", AssumeRolePolicyDocument=_trust(app_root))

    def m(kind: str, name: str) -> str:
        return arn(MANAGEMENT, kind, name)

    alice, bob, carol = m("user", "alice"), m("user", "bob"), m("user", "carol")
    deploy, admin = m("role", "app-deploy"), m("role", "app-admin")
    access, reader, dave, open_ = (
        arn(app, "role", ACCESS),
        arn(app, "role", "reader"),
        arn(app, "user", "dave"),
        arn(app, "role", "open"),
    )
    plain: tuple[str, ...] = ()
    mfa = ("aws:MultiFactorAuthPresent",)
    tag = ("aws:principaltag/team",)  # as rolecall spells a tag key it lower-cases
    edges = {
        # same account, through the account root: an identity policy is needed (R10e)
        (alice, deploy): (False, plain),
        (carol, deploy): (False, plain),
        (admin, deploy): (False, plain),
        # a role named by ARN, same account: the session needs no identity policy (R10b); the chain's second hop
        (deploy, admin): (False, plain),
        (EXTERNAL, m("role", "partner")): (True, ("sts:ExternalId",)),
        ("lambda.amazonaws.com", m("role", "fn")): (False, plain),
        (bob, m("role", "bob-direct")): (False, plain),
        (carol, m("role", "mfa-only")): (True, mfa),
        (admin, m("role", "mfa-only")): (True, mfa),
        (alice, m("role", "app-tagged")): (False, tag),
        # across accounts: trust and identity policy (R9)
        (carol, access): (False, plain),
        (admin, access): (False, plain),
        (deploy, access): (False, plain),
        (deploy, reader): (False, plain),
        (dave, open_): (False, plain),
    }
    # carol, a user without the tag, is no edge: a user's tags are the snapshot's, no request changes them
    unknown = frozenset({(admin, m("role", "app-tagged"))})
    return MotoWorld(app=app, org_id=org_id, edges=edges, unknown=unknown)


def bulk_name(i: int) -> str:
    return f"app-r{i:05d}" if i % 2 == 0 else f"r{i:05d}"


def bulk(clients: Clients, users: int, roles: int) -> None:
    """``users`` more users and ``roles`` more roles in the management account, shaped like the
    world's: a third of the users in ``devs`` (``app-*`` roles), a third with a policy naming one
    role; each role trusting the account, a user, the role made before it, or an external account
    with an ExternalId, in turn."""
    iam = clients("iam", MANAGEMENT)
    for i in range(users):
        name = f"u{i:05d}"
        iam.create_user(UserName=name)
        if i % 3 == 0:
            iam.add_user_to_group(GroupName="devs", UserName=name)
        elif i % 3 == 1 and roles:
            target = arn(MANAGEMENT, "role", bulk_name(i % roles))
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=_assume(target))
    for i in range(roles):
        kind = i % 4
        if kind == 0 or (kind == 1 and not users) or (kind == 2 and i == 0):
            trust = _trust({"AWS": f"arn:aws:iam::{MANAGEMENT}:root"})
        elif kind == 1:
            trust = _trust({"AWS": arn(MANAGEMENT, "user", f"u{i % users:05d}")})
        elif kind == 2:
            trust = _trust({"AWS": arn(MANAGEMENT, "role", bulk_name(i - 1))})
        else:
            trust = _trust({"AWS": EXTERNAL}, {"StringEquals": {"sts:ExternalId": f"x-{i}"}})
        iam.create_role(RoleName=bulk_name(i), AssumeRolePolicyDocument=trust)
