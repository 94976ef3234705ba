"""One way the tests reach moto's server as an administrator: a boto3 client in a chosen account.

moto's server takes the account of a request from the ``x-moto-account-id`` header while its auth is
off (any credentials are accepted), which is how the tests provision users, roles and organizations in
several accounts before they turn enforcement on or call with real keys.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import boto3
from botocore.config import Config

__all__ = ["admin_keys", "in_account", "mock_client", "moto_api", "provisioning_client"]

Key = tuple[str, str, "str | None"]


def provisioning_client(endpoint_url: str, service: str, account: str, region: str = "us-east-1") -> Any:
    """A boto3 client for ``service`` at moto's ``endpoint_url`` acting in ``account`` (one attempt, no
    proxies: traffic stays on 127.0.0.1)."""
    client = boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="provisioning",
        aws_secret_access_key="provisioning",
        config=Config(proxies={}, retries={"max_attempts": 1}),
    )
    return in_account(client, account)


def in_account(client: Any, account: str) -> Any:
    """``client`` acting in moto's ``account`` (the ``x-moto-account-id`` header on every request)."""
    client.meta.events.register(
        "before-sign.*.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account)
    )
    return client


def mock_client(
    service: str, key: Key = ("testing", "testing", None), account: str = "", region: str = "us-east-1"
) -> Any:
    """A boto3 client for moto in-process (``mock_aws``) signing with ``key``, in ``account`` when given
    (else the account moto gives the key)."""
    client = boto3.client(
        service,
        region_name=region,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        aws_session_token=key[2],
    )
    return in_account(client, account) if account else client


def moto_api(url: str, path: str, body: str) -> None:
    """POST ``body`` to moto's own API at ``url`` (``/moto-api/PATH``: its auth switch, for one)."""
    req = urllib.request.Request(
        f"{url}/moto-api/{path}", data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


def admin_keys(url: str, accounts: tuple[str, ...], policy: str) -> dict[str, dict[str, Any]]:
    """Create the user ``admin`` with ``policy`` inline and an access key in each of ``accounts`` (auth
    still off), for a run that then turns moto's auth on: account -> the target's credentials."""
    keys: dict[str, dict[str, Any]] = {}
    for account in accounts:
        iam = provisioning_client(url, "iam", account)
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=policy)
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        keys[account] = {
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
            "session_token": None,
        }
    return keys
