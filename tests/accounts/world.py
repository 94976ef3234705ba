"""A small organization whose access graph is known by hand (tests/accounts/test_graph.py, the CLI's tests)."""

from __future__ import annotations

from typing import Any

__all__ = ["A", "B", "EXTERNAL", "GITHUB", "ORG", "SNAPSHOT", "VENDOR", "arn", "snapshot_doc"]

A, B, EXTERNAL, VENDOR, MANAGEMENT = "111111111111", "222222222222", "444455556666", "555566667777", "999999999990"
ORG = "o-a1b2c3d4e5"
GITHUB = "token.actions.githubusercontent.com"
MFA = "aws:MultiFactorAuthPresent"


def arn(account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def _trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def _assume(*resources: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": list(resources)}],
    }


FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

SNAPSHOT: dict[str, Any] = {
    "format": "rolecall-snapshot/1",
    "aws_managed_policies": {"arn:aws:iam::aws:policy/AdministratorAccess": {"document": FULL, "version": "v1"}},
    "accounts": [
        {
            "id": A,
            "users": [{"name": "alice", "groups": ["devs"]}, {"name": "bob"}],
            "groups": [{"name": "devs", "inline_policies": {"assume": _assume("arn:aws:iam::*:role/*")}}],
            "roles": [
                {"name": "deploy", "trust_policy": _trust(_allow({"AWS": f"arn:aws:iam::{A}:root"}))},
                {
                    "name": "admin",
                    "trust_policy": _trust(_allow({"AWS": arn(A, "role", "deploy")})),
                    "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                },
                {"name": "lambda-exec", "trust_policy": _trust(_allow({"Service": "lambda.amazonaws.com"}))},
                {
                    "name": "partner",
                    "trust_policy": _trust(
                        _allow({"AWS": EXTERNAL}, Condition={"StringEquals": {"sts:ExternalId": "partner-42"}})
                    ),
                },
                {"name": "vendor", "trust_policy": _trust(_allow({"AWS": f"arn:aws:iam::{VENDOR}:root"}))},
                {
                    "name": "mfa",
                    "trust_policy": _trust(
                        _allow(
                            {"AWS": f"arn:aws:iam::{A}:root"},
                            Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                        )
                    ),
                },
            ],
        },
        {
            "id": B,
            "users": [{"name": "carol", "inline_policies": {"assume": _assume(f"arn:aws:iam::{A}:role/*")}}],
            "roles": [
                {"name": "public", "trust_policy": _trust(_allow("*"))},
                {
                    "name": "gh",
                    "trust_policy": _trust(
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": f"arn:aws:iam::{B}:oidc-provider/{GITHUB}"},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                                "StringLike": {f"{GITHUB}:sub": "repo:acme/*"},
                            },
                        }
                    ),
                },
                {
                    "name": "from-a",
                    "trust_policy": _trust(_allow({"AWS": f"arn:aws:iam::{A}:root"})),
                },
            ],
            "oidc_providers": [{"url": f"https://{GITHUB}", "client_ids": ["sts.amazonaws.com"]}],
        },
    ],
    "organization": {
        "id": ORG,
        "management_account": MANAGEMENT,
        "nodes": [
            {"id": "r-ab12", "policies": ["p-FullAWSAccess"]},
            {"id": MANAGEMENT, "parent": "r-ab12"},
            {"id": A, "parent": "r-ab12", "policies": ["p-FullAWSAccess"]},
            {"id": B, "parent": "r-ab12", "policies": ["p-FullAWSAccess"]},
        ],
        "policies": [{"id": "p-FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "document": FULL}],
    },
}


def snapshot_doc() -> dict[str, Any]:
    import copy

    return copy.deepcopy(SNAPSHOT)
