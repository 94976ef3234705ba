"""The real AWS CLI against moto's server with the switch of :mod:`rolecall.conformance.moto_exact` on.

The scenarios of ``examples/`` (a user, a role session and EC2 assuming a role, in the same account
and across accounts) are built in a ``ThreadedMotoServer`` on 127.0.0.1 with boto3, then played as a
shell user would: ``aws sts assume-role`` with the caller's keys, the returned credentials exported
(``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``) in a bash script and
``aws sts get-caller-identity`` with them. A role-session caller gets its own session through the
CLI first (a chain of two ``assume-role`` calls, each exported). Each allowed answer must be the
model's (the assumed-role ARN), and GetCallerIdentity must name that session; each scenario's
denied variant (its identity policy or trust removed) must exit with ``AccessDenied`` and the
model's text, word for word.

The CLI runs as ``python -m awscli`` of this interpreter (the ``[test]`` extra), never imported into
the test process (tests/conformance/test_awscli.py says why).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.moto_exact import exact_sts, service_credentials
from rolecall.model import decide, load_scenario
from tests.moto_clients import provisioning_client

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REGION = "us-east-1"
CLI_TIMEOUT = 120
_PASSED_THROUGH = ("PATH", "SYSTEMROOT", "PYTHONPATH")
_accounts = itertools.count(730_000_000_000, 2)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 with the switch on (moto's own IAM enforcement stays off)."""
    from moto.server import ThreadedMotoServer

    if importlib.util.find_spec("awscli") is None:  # part of the [test] extra: a failure, not a skip
        pytest.fail(f"the awscli package is not installed for {sys.executable}", pytrace=False)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with exact_sts():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            _, port = server.get_host_and_port()
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


def _iam(endpoint: str, account: str) -> Any:
    return provisioning_client(endpoint, "iam", account, REGION)


def _example(name: str) -> dict[str, Any]:
    """An example scenario with fresh accounts (111111111111 -> A, 222222222222 -> B)."""
    a = f"{next(_accounts):012d}"
    b = f"{int(a) + 1:012d}"
    text = (EXAMPLES / name).read_text().replace("111111111111", a).replace("222222222222", b)
    doc: dict[str, Any] = json.loads(text)
    doc.pop("expect", None)
    return doc


def _provision(endpoint: str, doc: dict[str, Any]) -> dict[str, str]:
    """Build the scenario's world in moto; the environment that signs as its caller."""
    caller, role = doc["caller"], doc["role"]
    r_account, r_name = role["arn"].split(":")[4], role["arn"].rsplit("/", 1)[1]
    _iam(endpoint, r_account).create_role(RoleName=r_name, AssumeRolePolicyDocument=json.dumps(role["trust_policy"]))
    if "service" in caller:
        key, secret = service_credentials(caller["service"])
        return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    arn = caller["arn"]
    account = arn.split(":")[4]
    iam = _iam(endpoint, account)
    if ":user/" in arn:
        name = arn.rsplit("/", 1)[1]
        iam.create_user(UserName=name)
        for i, policy in enumerate(caller.get("identity_policies", [])):
            iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    # a role session: its role, trusting the user "boot", who gets the session through the CLI
    _, role_name, session = arn.split(":")[5].split("/")
    boot_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/boot"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_user(UserName="boot")
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(boot_trust))
    for i, policy in enumerate(caller.get("identity_policies", [])):
        iam.put_role_policy(RoleName=role_name, PolicyName=f"p{i}", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="boot")["AccessKey"]
    boot = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    boot["CALLER_ROLE"] = f"arn:aws:iam::{account}:role/{role_name}"
    boot["CALLER_SESSION"] = session
    return boot


#: the shell a user writes: assume the role (after assuming the caller's role, for a role session), export
#: the credentials, ask who we are; the last line printed is GetCallerIdentity's JSON
_SCRIPT = """
set -euo pipefail
aws() { "$PYTHON" -m awscli "$@" --endpoint-url "$ENDPOINT" --region us-east-1; }
assume() {
  aws sts assume-role --role-arn "$1" --role-session-name "$2" \\
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text
}
if [ -n "${CALLER_ROLE:-}" ]; then
  read -r AK SK ST <<< "$(assume "$CALLER_ROLE" "$CALLER_SESSION")"
  export AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN="$ST"
fi
read -r AK SK ST <<< "$(assume "$ROLE_ARN" "$SESSION_NAME")"
export AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN="$ST"
aws sts get-caller-identity --output json
"""


def _run(
    endpoint: str, tmp_path: Path, env_extra: dict[str, str], doc: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "no-such-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-such-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
        PYTHONIOENCODING="utf-8",
        PYTHON=sys.executable,
        ENDPOINT=endpoint,
        ROLE_ARN=doc["role"]["arn"],
        SESSION_NAME=doc["request"]["role_session_name"],
    )
    env.update(env_extra)
    return subprocess.run(
        ["bash", "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False
    )


EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("0[1-5]-*.json"))


def test_the_examples_are_the_articles_five() -> None:
    assert [n[:2] for n in EXAMPLE_FILES] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_cli_assumes_as_the_model_allows(endpoint: str, tmp_path: Path, name: str) -> None:
    doc = _example(name)
    want = decide(load_scenario(doc))
    assert want.decision == "allowed" and want.assumed_role is not None
    env = _provision(endpoint, doc)
    done = _run(endpoint, tmp_path, env, doc)
    assert done.returncode == 0, f"the CLI failed ({done.returncode}): {done.stderr}"
    who = json.loads(done.stdout)
    assert who["Arn"] == want.assumed_role.arn
    assert who["Account"] == doc["role"]["arn"].split(":")[4]
    assert who["UserId"].startswith("AROA") and who["UserId"].endswith(":" + doc["request"]["role_session_name"])


def _denied_variant(doc: dict[str, Any]) -> dict[str, Any]:
    """The scenario without what allowed it: the caller's identity policies when the trust names an
    account (or another account's principal), else the trust's Allow (now naming another principal)."""
    trust = doc["role"]["trust_policy"]["Statement"][0]
    caller_account = doc["caller"].get("arn", ":::::").split(":")[4]
    names_account = trust["Principal"].get("AWS", "").endswith(":root")
    cross = caller_account != doc["role"]["arn"].split(":")[4]
    if "arn" in doc["caller"] and (names_account or cross) and doc["caller"].get("identity_policies"):
        doc["caller"]["identity_policies"] = []
    elif "Service" in trust["Principal"]:
        trust["Principal"] = {"Service": "lambda.amazonaws.com"}
    else:
        trust["Principal"] = {"AWS": f"arn:aws:iam::{caller_account}:user/somebody-else"}
    return doc


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_cli_is_refused_as_the_model_denies(endpoint: str, tmp_path: Path, name: str) -> None:
    doc = _denied_variant(_example(name))
    want = decide(load_scenario(doc))
    assert want.decision in ("implicitDeny", "explicitDeny"), want
    if "/somebody-else" in json.dumps(doc["role"]["trust_policy"]):
        _iam(endpoint, doc["role"]["arn"].split(":")[4]).create_user(UserName="somebody-else")
    env = _provision(endpoint, doc)
    done = _run(endpoint, tmp_path, env, doc)
    assert done.returncode != 0, f"the CLI was let in: {done.stdout}"
    assert f"An error occurred (AccessDenied) when calling the AssumeRole operation: {want.message}" in done.stderr, (
        shlex.quote(done.stderr)
    )
