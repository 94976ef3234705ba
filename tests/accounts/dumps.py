"""Account dumps in AWS's own shapes, for the readers' tests: a get-account-authorization-details
output as the AWS CLI prints it, re-encoded as the raw API gives it, cut into pages, and an
Organizations snapshot (docs/accounts.md)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

__all__ = [
    "ACCOUNT",
    "ALLOW_ASSUME",
    "MANAGEMENT",
    "OTHER",
    "PARTNER_TRUST",
    "encode_documents",
    "gaad",
    "organization",
    "pages",
]

ACCOUNT, OTHER, MANAGEMENT = "111122223333", "444455556666", "999988887777"
ALLOW_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}
#: a document with characters URL encoding must carry: %, +, spaces, quotes, a non-ASCII letter
ODD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Odd",
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "Resource": 'arn:aws:s3:::bucket/100%+ "x" é/*',
        }
    ],
}
PARTNER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "ext-1"}},
        }
    ],
}
SELF_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}
SERVICE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _arn(kind: str, path: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


def gaad(account: str = ACCOUNT) -> dict[str, Any]:
    """``aws iam get-account-authorization-details`` of one account, as the AWS CLI prints it: two
    users (one in a group, with an inline policy, tags and a boundary), a group with a customer managed
    policy, three roles (same-account, a partner's with an ExternalId, a service's with an AWS managed
    policy the dump lacks: ReadOnlyAccess, resolved from rolecall's shipped copy), one customer managed
    policy with two versions."""
    assume = _arn("policy", "/", "assume", account)
    return {
        "UserDetailList": [
            {
                "Path": "/",
                "UserName": "alice",
                "UserId": "AIDAALICE1234567890",
                "Arn": _arn("user", "/", "alice", account),
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "UserPolicyList": [{"PolicyName": "odd", "PolicyDocument": copy.deepcopy(ODD)}],
                "GroupList": ["devs"],
                "AttachedManagedPolicies": [],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                    "PermissionsBoundaryArn": assume,
                },
                "Tags": [{"Key": "team", "Value": "blue"}],
            },
            {
                "Path": "/ops/",
                "UserName": "bob",
                "UserId": "AIDABOB1234567890AB",
                "Arn": _arn("user", "/ops/", "bob", account),
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "UserPolicyList": [],
                "GroupList": [],
                "AttachedManagedPolicies": [],
            },
        ],
        "GroupDetailList": [
            {
                "Path": "/",
                "GroupName": "devs",
                "GroupId": "AGPADEVS1234567890A",
                "Arn": _arn("group", "/", "devs", account),
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": "assume", "PolicyArn": assume}],
            }
        ],
        "RoleDetailList": [
            {
                "Path": "/ci/",
                "RoleName": "deploy",
                "RoleId": "AROADEPLOY123456789",
                "Arn": _arn("role", "/ci/", "deploy", account),
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "AssumeRolePolicyDocument": copy.deepcopy(SELF_TRUST),
                "InstanceProfileList": [],
                "RolePolicyList": [{"PolicyName": "chain", "PolicyDocument": copy.deepcopy(ALLOW_ASSUME)}],
                "AttachedManagedPolicies": [],
                "Tags": [{"Key": "env", "Value": "prod"}],
                "RoleLastUsed": {},
            },
            {
                "Path": "/",
                "RoleName": "partner",
                "RoleId": "AROAPARTNER12345678",
                "Arn": _arn("role", "/", "partner", account),
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "AssumeRolePolicyDocument": copy.deepcopy(PARTNER_TRUST),
                "InstanceProfileList": [],
                "RolePolicyList": [],
                "AttachedManagedPolicies": [],
                "Tags": [],
                "RoleLastUsed": {},
            },
            {
                "Path": "/service-role/",
                "RoleName": "fn",
                "RoleId": "AROAFN1234567890ABC",
                "Arn": _arn("role", "/service-role/", "fn", account),
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "AssumeRolePolicyDocument": copy.deepcopy(SERVICE_TRUST),
                "InstanceProfileList": [],
                "RolePolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
                ],
                "RoleLastUsed": {},
            },
        ],
        "Policies": [
            {
                "PolicyName": "assume",
                "PolicyId": "ANPAASSUME123456789",
                "Arn": assume,
                "Path": "/",
                "DefaultVersionId": "v2",
                "AttachmentCount": 2,
                "PermissionsBoundaryUsageCount": 1,
                "IsAttachable": True,
                "CreateDate": "2026-01-01T00:00:00+00:00",
                "UpdateDate": "2026-01-01T00:00:00+00:00",
                "PolicyVersionList": [
                    {
                        "Document": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
                        },
                        "VersionId": "v1",
                        "IsDefaultVersion": False,
                        "CreateDate": "2026-01-01T00:00:00+00:00",
                    },
                    {
                        "Document": copy.deepcopy(ALLOW_ASSUME),
                        "VersionId": "v2",
                        "IsDefaultVersion": True,
                        "CreateDate": "2026-01-01T00:00:00+00:00",
                    },
                ],
            }
        ],
        "IsTruncated": False,
    }


def _documents(dump: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Every (object, key) of a GAAD output that holds a policy document."""
    out = []
    for u in dump.get("UserDetailList", []):
        out += [(p, "PolicyDocument") for p in u.get("UserPolicyList", [])]
    for g in dump.get("GroupDetailList", []):
        out += [(p, "PolicyDocument") for p in g.get("GroupPolicyList", [])]
    for r in dump.get("RoleDetailList", []):
        out.append((r, "AssumeRolePolicyDocument"))
        out += [(p, "PolicyDocument") for p in r.get("RolePolicyList", [])]
    for p in dump.get("Policies", []):
        out += [(v, "Document") for v in p.get("PolicyVersionList", [])]
    return out


def encode_documents(dump: dict[str, Any], how: str | list[str] = "url") -> dict[str, Any]:
    """The dump with its policy documents as the raw API gives them (``url``: URL-encoded JSON text),
    as JSON text (``text``) or as objects (``object``); a list gives each document its own way, in turn."""
    out = copy.deepcopy(dump)
    for i, (holder, key) in enumerate(_documents(out)):
        way = how if isinstance(how, str) else how[i % len(how)]
        if way == "url":
            holder[key] = quote(json.dumps(holder[key]), safe="")
        elif way == "text":
            holder[key] = json.dumps(holder[key])
    return out


def pages(dump: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """The dump cut into pages of at most ``size`` items each (as ``--max-items`` / the raw API's
    ``MaxItems`` would), the last one with ``IsTruncated`` false and the others with a ``Marker``."""
    items = [
        (key, item)
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
        for item in dump.get(key, [])
    ]
    out: list[dict[str, Any]] = []
    for start in range(0, max(len(items), 1), size):
        page: dict[str, Any] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        for key, item in items[start : start + size]:
            page[key].append(copy.deepcopy(item))
        last = start + size >= len(items)
        page["IsTruncated"] = not last
        if not last:
            page["Marker"] = f"marker-{start + size}"
        out.append(page)
    return out


def organization() -> dict[str, Any]:
    """An Organizations snapshot (docs/accounts.md): a root with SCPs and RCPs enabled, an OU ``prod``
    holding ACCOUNT, the management account and OTHER under the root; FullAWSAccess everywhere, a Deny
    SCP on ``prod``, AWS's RCPFullAWSAccess everywhere, a Deny RCP on the root and a tag policy."""
    org_id, root, ou = "o-a1b2c3d4e5", "r-ab12", "ou-ab12-11111111"
    arn = f"arn:aws:organizations::{MANAGEMENT}"
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    rcp_full = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
    rcp_deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": org_id}},
            }
        ],
    }

    def target(tid: str, kind: str) -> dict[str, str]:
        return {"TargetId": tid, "Arn": f"{arn}:{kind.lower()}/{org_id}/{tid}", "Name": tid, "Type": kind}

    everywhere = [target(root, "ROOT"), target(ou, "ORGANIZATIONAL_UNIT")] + [
        target(a, "ACCOUNT") for a in (ACCOUNT, MANAGEMENT, OTHER)
    ]

    def policy(pid: str, name: str, kind: str, doc: Any, targets: list[dict[str, str]], managed: bool = False) -> Any:
        summary = {
            "Id": pid,
            "Arn": f"{arn}:policy/{org_id}/{kind.lower()}/{pid}",
            "Name": name,
            "Description": name,
            "Type": kind,
            "AwsManaged": managed,
        }
        return {"PolicySummary": summary, "Content": json.dumps(doc), "Targets": targets}

    return {
        "Organization": {
            "Id": org_id,
            "Arn": f"{arn}:organization/{org_id}",
            "FeatureSet": "ALL",
            "MasterAccountArn": f"{arn}:account/{org_id}/{MANAGEMENT}",
            "MasterAccountId": MANAGEMENT,
            "MasterAccountEmail": "admin@example.com",
        },
        "Roots": [
            {
                "Id": root,
                "Arn": f"{arn}:root/{org_id}/{root}",
                "Name": "Root",
                "PolicyTypes": [
                    {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                    {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"},
                    {"Type": "TAG_POLICY", "Status": "ENABLED"},
                ],
            }
        ],
        "OrganizationalUnits": [{"Id": ou, "Arn": f"{arn}:ou/{org_id}/{ou}", "Name": "prod", "ParentId": root}],
        "Accounts": [
            {"Id": ACCOUNT, "Name": "app", "Email": "app@example.com", "Status": "ACTIVE", "ParentId": ou},
            {
                "Id": MANAGEMENT,
                "Name": "management",
                "Email": "admin@example.com",
                "Status": "ACTIVE",
                "ParentId": root,
            },
            {"Id": OTHER, "Name": "partner", "Email": "p@example.com", "Status": "ACTIVE", "ParentId": root},
        ],
        "Policies": [
            policy("p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", full, everywhere, managed=True),
            policy("p-denyiam1", "deny-iam", "SERVICE_CONTROL_POLICY", deny, [target(ou, "ORGANIZATIONAL_UNIT")]),
            policy("p-RCPFullAWSAccess", "RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY", rcp_full, everywhere, True),
            policy("p-orgonly1", "org-only", "RESOURCE_CONTROL_POLICY", rcp_deny, [target(root, "ROOT")]),
            policy("p-tags0001", "tags", "TAG_POLICY", {"tags": {}}, [target(root, "ROOT")]),
        ],
    }
