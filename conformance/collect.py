"""The live collector behind ``rolecall collect``: AWS's account and organization outputs, read-only.

``collect`` makes the read-only calls that describe accounts (docs/accounts.md, "rolecall collect"):

* per account: ``iam:GetAccountAuthorizationDetails`` (every page), ``iam:ListRoles`` (every page:
  the one field GAAD lacks, ``MaxSessionDuration``), ``iam:ListOpenIDConnectProviders`` and
  ``iam:GetOpenIDConnectProvider``, ``iam:ListSAMLProviders`` and ``iam:GetSAMLProvider``;
* once, unless asked not to: ``organizations:DescribeOrganization``, ``ListRoots``,
  ``ListOrganizationalUnitsForParent`` and ``ListAccountsForParent`` down the tree, ``ListPolicies``
  for SCPs and RCPs, ``DescribePolicy`` and ``ListTargetsForPolicy`` for each;
* with ``assume_role``: ``sts:GetCallerIdentity`` and ``sts:AssumeRole`` into each other account.

It returns what AWS said, in the shapes the readers take (``rolecall.model.accounts.readers``): one
input per account (the GAAD pages, ``MaxSessionDuration`` added to each role, and a page of identity
providers) and the Organizations snapshot. The readers, not the collector, make the snapshot, so a
collected snapshot and one made from saved dumps are made the same way.

Every call goes through a boto3 client with botocore's ``standard`` retry mode (throttling and
transient errors retried with backoff) and every list through its paginator. A failure of the target
or the network is a :class:`CollectError` naming the call; missing credentials are a
:class:`CollectUsageError`.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ORG_POLICY_TYPES", "CollectError", "CollectUsageError", "Collected", "collect"]

#: The Organizations policy types a snapshot holds.
ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
SESSION_NAME = "rolecall-collect"


class CollectError(Exception):
    """The target or the network failed (an AWS error answer, a refused connection, a timeout)."""


class CollectUsageError(Exception):
    """The collector cannot start as asked: no credentials, an unknown profile, bad options."""


@dataclass
class Collected:
    """What the collector read, in the readers' shapes."""

    inputs: list[tuple[str, Any]] = field(default_factory=list)
    """One ``(name, pages)`` per account: the GAAD pages and a page of identity providers."""
    organization: tuple[str, Any] | None = None
    """``(name, Organizations snapshot)``, or ``None`` (not asked, or the account is in no organization)."""
    calls: Counter[str] = field(default_factory=Counter)
    """API calls made, by operation (pages counted one by one)."""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    """A boto3 answer as JSON: datetimes as ISO 8601 text, ``ResponseMetadata`` dropped."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


class _Api:
    """boto3 clients with retries, call counting and failures turned into one-line errors."""

    def __init__(self, session: Any, endpoint_url: str | None, region: str, retries: int, calls: Counter[str]) -> None:
        from botocore.config import Config

        self.session = session
        self.endpoint_url = endpoint_url
        self.region = region
        self.calls = calls
        self.config = Config(
            retries={"mode": "standard", "max_attempts": max(1, retries)},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="rolecall-collect",
        )

    def client(self, service: str, creds: dict[str, str] | None = None) -> Any:
        kwargs: dict[str, Any] = {}
        if creds is not None:
            kwargs = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        with self.failures(f"{service} client"):
            return self.session.client(
                service, endpoint_url=self.endpoint_url, region_name=self.region, config=self.config, **kwargs
            )

    @contextmanager
    def failures(self, what: str) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
            ProfileNotFound,
        )

        try:
            yield
        except (NoCredentialsError, PartialCredentialsError, ProfileNotFound, NoRegionError) as exc:
            raise CollectUsageError(f"{what}: {exc}") from None
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise CollectError(f"{what}: {err.get('Code', 'error')}: {err.get('Message', '')}".rstrip(": ")) from None
        except BotoCoreError as exc:
            raise CollectError(f"{what}: {exc}") from None

    def call(self, client: Any, operation: str, **params: Any) -> Any:
        self.calls[operation] += 1
        with self.failures(operation):
            return _plain(getattr(client, _method(client, operation))(**params))

    def pages(self, client: Any, operation: str, **params: Any) -> Iterator[Any]:
        paginator = client.get_paginator(_method(client, operation))
        with self.failures(operation):
            for page in paginator.paginate(**params):
                self.calls[operation] += 1
                yield _plain(page)


def _method(client: Any, operation: str) -> str:
    """The client's method name of an API operation (``GetSAMLProvider`` -> ``get_saml_provider``)."""
    for method, api in client.meta.method_to_api_mapping.items():
        if api == operation:
            return str(method)
    raise AssertionError(operation)  # pragma: no cover - the operations above are botocore's own


def _account(api: _Api, iam: Any, label: str, durations: bool, progress: Callable[[str], None]) -> list[Any]:
    """The readers' input for one account: GAAD pages (roles with MaxSessionDuration), then providers."""
    pages: list[Any] = []
    counts: Counter[str] = Counter()
    for page in api.pages(iam, "GetAccountAuthorizationDetails"):
        pages.append(page)
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            counts[key] += len(page.get(key, []))
        progress(
            f"{label}: get-account-authorization-details page {len(pages)}: {counts['UserDetailList']} users, "
            f"{counts['GroupDetailList']} groups, {counts['RoleDetailList']} roles, {counts['Policies']} policies"
        )
    if durations:
        duration: dict[str, int] = {}
        for page in api.pages(iam, "ListRoles"):
            for role in page.get("Roles", []):
                if "MaxSessionDuration" in role:
                    duration[role["Arn"]] = role["MaxSessionDuration"]
        for page in pages:
            for role in page.get("RoleDetailList", []):
                if role.get("Arn") in duration:
                    role["MaxSessionDuration"] = duration[role["Arn"]]
        progress(f"{label}: list-roles: {len(duration)} session durations")
    providers: dict[str, list[Any]] = {"OpenIDConnectProviders": [], "SAMLProviders": []}
    for entry in api.call(iam, "ListOpenIDConnectProviders").get("OpenIDConnectProviderList", []):
        got = api.call(iam, "GetOpenIDConnectProvider", OpenIDConnectProviderArn=entry["Arn"])
        providers["OpenIDConnectProviders"].append({"Arn": entry["Arn"], **got})
    for entry in api.call(iam, "ListSAMLProviders").get("SAMLProviderList", []):
        got = api.call(iam, "GetSAMLProvider", SAMLProviderArn=entry["Arn"])
        providers["SAMLProviders"].append({"Arn": entry["Arn"], **got})
    if providers["OpenIDConnectProviders"] or providers["SAMLProviders"]:
        pages.append(providers)
    progress(
        f"{label}: {len(providers['OpenIDConnectProviders'])} OIDC and {len(providers['SAMLProviders'])} SAML providers"
    )
    return pages


def _organization(api: _Api, org: Any, progress: Callable[[str], None]) -> dict[str, Any] | None:
    """The Organizations snapshot (docs/accounts.md), or ``None`` when the account is in no organization."""
    from botocore.exceptions import ClientError

    api.calls["DescribeOrganization"] += 1
    try:
        described = _plain(org.describe_organization())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "AWSOrganizationsNotInUseException":
            return None
        with api.failures("DescribeOrganization"):
            raise
    out: dict[str, Any] = {
        "Organization": described["Organization"],
        "Roots": [],
        "OrganizationalUnits": [],
        "Accounts": [],
        "Policies": [],
    }
    for page in api.pages(org, "ListRoots"):
        out["Roots"] += page.get("Roots", [])
    parents = [r["Id"] for r in out["Roots"]]
    while parents:
        parent = parents.pop(0)
        for page in api.pages(org, "ListOrganizationalUnitsForParent", ParentId=parent):
            for ou in page.get("OrganizationalUnits", []):
                out["OrganizationalUnits"].append({**ou, "ParentId": parent})
                parents.append(ou["Id"])
        for page in api.pages(org, "ListAccountsForParent", ParentId=parent):
            out["Accounts"] += [{**a, "ParentId": parent} for a in page.get("Accounts", [])]
        progress(f"organization: {len(out['OrganizationalUnits'])} OUs, {len(out['Accounts'])} accounts")
    for policy_type in ORG_POLICY_TYPES:
        for page in api.pages(org, "ListPolicies", Filter=policy_type):
            for summary in page.get("Policies", []):
                policy = api.call(org, "DescribePolicy", PolicyId=summary["Id"])["Policy"]
                targets: list[Any] = []
                for tpage in api.pages(org, "ListTargetsForPolicy", PolicyId=summary["Id"]):
                    targets += tpage.get("Targets", [])
                out["Policies"].append({**policy, "Targets": targets})
    progress(f"organization: {len(out['Policies'])} SCPs and RCPs")
    return out


def collect(
    *,
    endpoint_url: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    accounts: Sequence[str] = (),
    assume_role: str | None = None,
    organization: bool = True,
    role_durations: bool = True,
    retries: int = 5,
    progress: Callable[[str], None] | None = None,
) -> Collected:
    """Read the caller's account (or, with ``assume_role``, each of ``accounts``, by default every
    active account of the organization) and the organization, read-only (module docstring)."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    say = progress or (lambda _: None)
    started = time.perf_counter()
    result = Collected()
    try:
        session = boto3.Session(profile_name=profile)
    except ProfileNotFound as exc:
        raise CollectUsageError(str(exc)) from None
    api = _Api(session, endpoint_url, region or session.region_name or "us-east-1", retries, result.calls)
    if accounts and not assume_role:
        raise CollectUsageError("--accounts needs --assume-role (the role to assume in each account)")
    sts = api.client("sts")
    caller = api.call(sts, "GetCallerIdentity")
    own, partition = caller["Account"], caller["Arn"].split(":")[1]
    say(f"caller: {caller['Arn']}")
    if organization:
        org = _organization(api, api.client("organizations"), say)
        if org is None:
            result.notes.append(f"account {own} belongs to no organization")
        else:
            result.organization = ("organizations", org)
    targets = list(accounts)
    if assume_role and not targets:
        if result.organization is None:
            raise CollectUsageError("--assume-role without --accounts reads the organization's accounts: none read")
        targets = [a["Id"] for a in result.organization[1]["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"]
    if not targets:
        targets = [own]
    for account in targets:
        if account == own:
            iam = api.client("iam")
        else:
            arn = f"arn:{partition}:iam::{account}:role/{assume_role}"
            creds = api.call(sts, "AssumeRole", RoleArn=arn, RoleSessionName=SESSION_NAME)["Credentials"]
            iam = api.client("iam", creds)
        result.inputs.append((f"account {account}", _account(api, iam, account, role_durations, say)))
    result.seconds = time.perf_counter() - started
    return result
