"""The real AWS CLI (``awscli`` v1) against moto's ``ThreadedMotoServer``: the classic command-line AssumeRole flow.

What this proves, end to end and out of process:

* the CLI honours ``--endpoint-url``: ``aws sts assume-role`` and ``aws sts get-caller-identity`` reach the
  moto server on 127.0.0.1 (nothing else is reachable: the environment carries no proxy, no config file, no
  shared credentials and no instance metadata);
* with moto's IAM enforcement switched on (``/moto-api/reset-auth`` with body ``0``), the user ``alice`` may
  assume ``Deploy`` because both her identity policy and the role's trust policy allow it;
* the temporary credentials AssumeRole returns work when exported, as a shell user would do
  (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``): GetCallerIdentity signed
  with them names the assumed-role session ``arn:aws:sts::111111111111:assumed-role/Deploy/cli-session``;
* the refusal path: when the trust policy names another user (``bob``), ``aws sts assume-role`` exits
  non-zero with ``AccessDenied`` (moto evaluates same-account trust policies).

The CLI runs as ``python -m awscli`` with this interpreter, so it is the awscli installed next to the test
suite (the ``[test]`` extra). It is never imported into the test process: importing ``awscli`` (1.46 vendors
botocore and s3transfer) installs an import hook that makes later ``import botocore`` resolve to
``awscli.botocore``, and it rewrites ``AWS_DATA_PATH``; both would leak into every other test in the process.

The server runs in the test process and moto's auth switch is process-global, so the fixture restores the
previous setting and resets moto's backends when it is done.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.moto_clients import provisioning_client

ACCOUNT = "111111111111"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Deploy"
SESSION = "cli-session"
REGION = "us-east-1"
CLI_TIMEOUT = 60  # seconds; one CLI call normally takes well under 2

_PASSED_THROUGH = ("PATH", "SYSTEMROOT", "PYTHONPATH")  # SYSTEMROOT: Windows needs it to start Python at all


@dataclass(frozen=True)
class Server:
    endpoint_url: str


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def _require_awscli() -> None:
    """A missing awscli is a failure, not a skip: it is part of the ``[test]`` extra."""
    if importlib.util.find_spec("awscli") is None:  # finds it without executing awscli/__init__.py
        pytest.fail(
            f"the awscli package is not installed for {sys.executable}; install the test extra "
            "(pip install -e '.[test]') or pip install 'awscli>=1.40'",
            pytrace=False,
        )


def _moto_api(endpoint_url: str, path: str, body: str) -> dict[str, Any]:
    """POST to moto's control API with Content-Type text/plain.

    Not form-encoded (urllib's default when a body has no Content-Type): werkzeug then consumes the body as a
    form, moto reads an empty body and answers HTTP 500.
    """
    req = urllib.request.Request(
        f"{endpoint_url}/moto-api/{path}", data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    with opener.open(req, timeout=30) as resp:
        text = resp.read().decode()
    return json.loads(text) if text.strip() else {}


@pytest.fixture
def server() -> Iterator[Server]:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved_auth = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        _, port = moto.get_host_and_port()
        endpoint_url = f"http://127.0.0.1:{port}"
        _moto_api(endpoint_url, "reset", "")  # moto's backends are process-global: start from an empty world
        _moto_api(endpoint_url, "reset-auth", "inf")  # auth off for provisioning, even if a session target set it
        try:
            yield Server(endpoint_url)
        finally:
            _moto_api(endpoint_url, "reset", "")  # drop what the test made
    finally:
        moto.stop()
        # the server runs in this process: put its process-global auth switch back (the tests turn it on)
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved_auth


def _admin_client(server: Server, service: str) -> Any:
    """A boto3 client for provisioning in ACCOUNT while moto's auth is off (any credentials are accepted)."""
    return provisioning_client(server.endpoint_url, service, ACCOUNT, REGION)


def _provision(server: Server, trusted_user: str) -> tuple[str, str]:
    """Users alice and bob, alice's access key and permission to assume Deploy; Deploy trusts ``trusted_user``.

    Returns alice's access key id and secret.
    """
    iam = _admin_client(server, "iam")
    for user in ("alice", "bob"):
        iam.create_user(UserName=user)
    allow_assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN}],
    }
    iam.put_user_policy(UserName="alice", PolicyName="assume-deploy", PolicyDocument=json.dumps(allow_assume))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{trusted_user}"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(trust))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _enforce_auth(server: Server) -> None:
    """From now on moto authenticates and authorizes every request (it is off by default)."""
    _moto_api(server.endpoint_url, "reset-auth", "0")


def _aws(server: Server, tmp_path: Path, credentials: dict[str, str], *args: str) -> CliResult:
    """Run ``aws ARGS`` (this interpreter's awscli) with a scrubbed environment holding only ``credentials``."""
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "no-such-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-such-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
        PYTHONIOENCODING="utf-8",
    )
    env.update(credentials)
    cmd = [
        sys.executable, "-m", "awscli", *args,
        "--endpoint-url", server.endpoint_url, "--region", REGION, "--output", "json",
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    return CliResult(done.returncode, done.stdout, done.stderr)


def _assume_role(server: Server, tmp_path: Path, key: tuple[str, str]) -> CliResult:
    alice = {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}
    return _aws(server, tmp_path, alice, "sts", "assume-role", "--role-arn", ROLE_ARN, "--role-session-name", SESSION)


def test_cli_assume_role_then_exported_credentials_identify_the_session(server: Server, tmp_path: Path) -> None:
    _require_awscli()
    key = _provision(server, trusted_user="alice")
    _enforce_auth(server)

    assumed = _assume_role(server, tmp_path, key)
    assert assumed.returncode == 0, f"aws sts assume-role failed ({assumed.returncode}): {assumed.stderr}"
    creds = json.loads(assumed.stdout)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
    assert creds["SecretAccessKey"] and creds["SessionToken"]

    exported = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    who = _aws(server, tmp_path, exported, "sts", "get-caller-identity")
    assert who.returncode == 0, f"aws sts get-caller-identity failed ({who.returncode}): {who.stderr}"
    identity = json.loads(who.stdout)
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/{SESSION}"
    assert identity["Account"] == ACCOUNT
    assert identity["UserId"].startswith("AROA"), identity["UserId"]
    assert identity["UserId"].endswith(f":{SESSION}"), identity["UserId"]


def test_cli_assume_role_refused_when_trust_names_another_user(server: Server, tmp_path: Path) -> None:
    _require_awscli()
    key = _provision(server, trusted_user="bob")
    _enforce_auth(server)

    refused = _assume_role(server, tmp_path, key)
    assert refused.returncode != 0, f"aws sts assume-role unexpectedly succeeded: {refused.stdout}"
    assert "AccessDenied" in refused.stderr, refused.stderr
    assert refused.stdout.strip() == ""
