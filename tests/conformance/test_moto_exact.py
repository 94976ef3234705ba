"""moto with AWS-exact AssumeRole (:mod:`rolecall.conformance.moto_exact`), in-process: real moto, real boto3.

The conformance targets ``moto-exact`` and ``moto-exact-server`` check the switch against the model on
generated scenarios; these tests check what they cannot see: the world is read at call time (a policy
the test changes is seen by the next call), Organizations SCPs that the test creates in moto are
enforced, a session carries its tags and source identity into the calls it makes, the switch's forms
(context manager, decorator, pytest fixture) and off-by-default, save-time policy checks, and the
fail-closed answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from rolecall.conformance.moto_exact import exact_sts, is_enabled, service_credentials
from rolecall.model import decide, load_scenario
from tests.moto_clients import Key, mock_client

A, B = "310000000001", "310000000002"
REGION = "us-east-1"


def _doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _client(service: str, key: Key = ("testing", "testing", None), account: str = "") -> Any:
    return mock_client(service, key, account, REGION)


@pytest.fixture
def moto() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


def _user(account: str, name: str, *policies: list[dict[str, Any]]) -> tuple[str, str, None]:
    iam = _client("iam", account=account)
    iam.create_user(UserName=name)
    for i, statements in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=_doc(statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"], None


def _role(account: str, name: str, trust: list[dict[str, Any]], **kw: Any) -> str:
    return str(
        _client("iam", account=account).create_role(RoleName=name, AssumeRolePolicyDocument=_doc(trust), **kw)["Role"][
            "Arn"
        ]
    )


def _assume(key: tuple[str, str, str | None], **params: Any) -> dict[str, Any]:
    params.setdefault("RoleSessionName", "s1")
    return dict(_client("sts", key).assume_role(**params))


def _error(key: tuple[str, str, str | None], **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        _assume(key, **params)
    err = info.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


ASSUME_ANY = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]


def _trust_account(account: str, *actions: str) -> list[dict[str, Any]]:
    return [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": ["sts:AssumeRole", *actions],
        }
    ]


def test_off_by_default_and_nests(moto: None) -> None:
    assert not is_enabled()
    with exact_sts():
        with exact_sts():
            assert is_enabled()
        assert is_enabled()
    assert not is_enabled()
    # off: moto's own answer (it never reads a cross-account trust policy: docs/emulators.md)
    key = _user(A, "alice")
    role = _role(
        B,
        "R",
        [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}],
    )
    assert _assume(key, RoleArn=role)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/R/s1")
    with exact_sts():
        code, _, status = _error(key, RoleArn=role)
    assert (code, status) == ("AccessDenied", 403)


def test_the_world_is_read_at_call_time(moto: None) -> None:
    with exact_sts():
        key = _user(A, "alice", ASSUME_ANY)
        role = _role(B, "R", _trust_account(A))
        got = _assume(key, RoleArn=role)
        assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{B}:assumed-role/R/s1"
        _client("iam", account=A).delete_user_policy(UserName="alice", PolicyName="p0")
        code, message, _ = _error(key, RoleArn=role)
        want = f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole on resource: {role}"
        assert code == "AccessDenied"
        assert message == want + " because no identity-based policy allows the sts:AssumeRole action"


def test_the_answer_is_the_models_with_credentials_moto_keeps(moto: None) -> None:
    with exact_sts():
        key = _user(A, "alice", ASSUME_ANY)
        role = _role(B, "R", _trust_account(A), MaxSessionDuration=7200)
        before = datetime.now(UTC)
        got = _assume(key, RoleArn=role, DurationSeconds=7200)
        c = got["Credentials"]
        assert 7190 <= (c["Expiration"] - before).total_seconds() <= 7210
        role_id = _client("iam", account=B).get_role(RoleName="R")["Role"]["RoleId"]
        assert got["AssumedRoleUser"]["AssumedRoleId"] == f"{role_id}:s1"
        who = _client("sts", (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])).get_caller_identity()
        assert (who["Arn"], who["UserId"], who["Account"]) == (got["AssumedRoleUser"]["Arn"], f"{role_id}:s1", B)
        code, message, status = _error(key, RoleArn=role, DurationSeconds=7201)
        assert (code, status) == ("ValidationError", 400)
        assert message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


def test_a_session_carries_its_tags_and_source_identity(moto: None) -> None:
    with exact_sts():
        key = _user(A, "alice", [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}])
        first = _role(A, "First", _trust_account(A, "sts:TagSession", "sts:SetSourceIdentity"))
        second_trust = [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:role/First"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:SourceIdentity": "alice-src"}},
            }
        ]
        second = _role(A, "Second", second_trust)
        _client("iam", account=A).put_role_policy(RoleName="First", PolicyName="p", PolicyDocument=_doc(ASSUME_ANY))
        got = _assume(
            key,
            RoleArn=first,
            Tags=[{"Key": "team", "Value": "blue"}],
            TransitiveTagKeys=["team"],
            SourceIdentity="alice-src",
        )
        assert got["SourceIdentity"] == "alice-src"
        c = got["Credentials"]
        session = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        assert _assume(session, RoleArn=second, RoleSessionName="s2")["AssumedRoleUser"]["Arn"].endswith("/Second/s2")
        # an inherited transitive key may not be passed again, and the source identity cannot change
        code, message, _ = _error(session, RoleArn=second, Tags=[{"Key": "team", "Value": "red"}])
        assert (code, message) == (
            "ValidationError",
            "Tag key 'team' is an inherited transitive tag and cannot be set again.",
        )
        untagged = _assume(key, RoleArn=first)["Credentials"]
        plain = (untagged["AccessKeyId"], untagged["SecretAccessKey"], untagged["SessionToken"])
        assert _error(plain, RoleArn=second)[0] == "AccessDenied"


def test_an_scp_created_in_moto_is_enforced(moto: None) -> None:
    with exact_sts():
        org = _client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
        key = _user(member, "alice", ASSUME_ANY)
        role = _role(member, "R", _trust_account(member))
        assert _assume(key, RoleArn=role)["AssumedRoleUser"]["Arn"].endswith("/R/s1")
        deny = _doc([{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}])
        policy = org.create_policy(Content=deny, Description="", Name="no-assume", Type="SERVICE_CONTROL_POLICY")
        org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=member)
        code, message, _ = _error(key, RoleArn=role, RoleSessionName="s2")
        assert code == "AccessDenied"
        assert message.endswith("with an explicit deny in a service control policy"), message


def test_policies_are_saved_as_aws_saves_them(moto: None) -> None:
    iam = _client("iam", account=A)
    no_version = json.dumps({"Statement": ASSUME_ANY})
    wildcard = _doc(
        [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/?lice"}, "Action": "sts:AssumeRole"}]
    )
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError, match="Policy document must be version"):
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=no_version)  # moto alone refuses it
    iam.create_role(RoleName="Loose", AssumeRolePolicyDocument=wildcard)  # moto alone stores it
    with exact_sts():
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=no_version)  # AWS stores it
        with pytest.raises(ClientError) as info:
            iam.create_role(RoleName="R", AssumeRolePolicyDocument=wildcard)
        assert info.value.response["Error"]["Code"] == "MalformedPolicyDocument"
        assert "partial wildcard" in info.value.response["Error"]["Message"]
        # what moto stored before the switch and AWS never would: the model will not decide, and says why
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        code, message, status = _error(
            (key["AccessKeyId"], key["SecretAccessKey"], None), RoleArn=f"arn:aws:iam::{A}:role/Loose"
        )
        assert (code, status) == ("RolecallCannotDecide", 400)
        assert "\n" not in message and "partial wildcard" in message


def test_unknown_keys_are_refused_as_aws_refuses_them(moto: None) -> None:
    with exact_sts():
        role = _role(A, "R", _trust_account(A))
        code, message, status = _error(("testing", "testing", None), RoleArn=role)
        assert (code, message, status) == (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            403,
        )


def test_a_service_principal_assumes_as_the_model_decides(moto: None) -> None:
    with exact_sts():
        trust = [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        role = _role(A, "R", trust)
        ec2 = (*service_credentials("ec2.amazonaws.com"), None)
        assert _assume(ec2, RoleArn=role, RoleSessionName="i-0123")["AssumedRoleUser"]["Arn"].endswith("/R/i-0123")
        lam = (*service_credentials("lambda.amazonaws.com"), None)
        code, message, _ = _error(lam, RoleArn=role)
        doc = {
            "caller": {"service": "lambda.amazonaws.com"},
            "role": {"arn": role, "trust_policy": json.loads(_doc(trust))},
            "request": {"role_session_name": "s1"},
        }
        assert (code, message) == ("AccessDenied", decide(load_scenario(doc)).message)


@exact_sts()
def _decorated(role: str, key: tuple[str, str, None]) -> str:
    assert is_enabled()
    return str(_assume(key, RoleArn=role)["AssumedRoleUser"]["Arn"])


def test_the_decorator_form(moto: None) -> None:
    key = _user(A, "alice")
    role = _role(
        B,
        "R",
        [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}],
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        _decorated(role, key)
    assert not is_enabled()


def test_the_pytest_fixture(moto: None, rolecall_exact_sts: None) -> None:
    assert is_enabled()
    key = _user(A, "alice")
    role = _role(
        A, "R", [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"}, "Action": "sts:AssumeRole"}]
    )
    assert _assume(key, RoleArn=role)["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/R/s1"


def test_the_moto_server_command(tmp_path: Any) -> None:
    """``rolecall moto-server``: moto's own server command with the switch on, out of process."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "rolecall.conformance.cli", "moto-server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        iam = boto3.client(
            "iam", endpoint_url=url, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        for _ in range(300):
            try:
                iam.create_user(UserName="alice")
                break
            except Exception:
                time.sleep(0.1)
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        iam.create_role(RoleName="R", AssumeRolePolicyDocument=_doc(_trust_account("123456789012")))
        sts = boto3.client(
            "sts",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as info:
            sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/R", RoleSessionName="s1")
        assert info.value.response["Error"]["Message"].endswith(
            "because no identity-based policy allows the sts:AssumeRole action"
        )  # moto alone lets it through: its IAM enforcement is off by default (docs/emulators.md §1.4)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_example_runs() -> None:
    """The README's example of the switch in a user's test, executed as written."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Make moto answer AssumeRole as AWS does", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    namespace["test_a_user_needs_an_identity_allow"]()
    assert not is_enabled()


def test_a_session_with_managed_session_policies_is_not_decided_as_a_caller(moto: None) -> None:
    """Fail closed: a scenario's caller holds one inline session policy, never PolicyArns."""
    with exact_sts():
        key = _user(A, "alice", ASSUME_ANY)
        role = _role(A, "R", _trust_account(A))
        _client("iam", account=A).put_role_policy(RoleName="R", PolicyName="p", PolicyDocument=_doc(ASSUME_ANY))
        arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        c = _assume(key, RoleArn=role, PolicyArns=[{"arn": arn}])["Credentials"]
        session = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        code, message, status = _error(session, RoleArn=role, RoleSessionName="s2")
        assert (code, status) == ("RolecallCannotDecide", 400)
        assert "PolicyArns" in message
