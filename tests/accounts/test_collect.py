"""``rolecall collect`` and ``rolecall snapshot`` against moto's server, end to end and over HTTP.

A world is built through the API in moto's ``ThreadedMotoServer`` on 127.0.0.1 (an organization of
three accounts in nested OUs with SCPs and an RCP; users, groups, roles, inline and managed policies
with versions, a boundary, tags, session durations, identity providers; IAM in two member accounts).
``rolecall collect`` reads it with real boto3 calls (assuming a role into each member account) and
the snapshot it writes must hold exactly that world. The real AWS CLI's
``aws iam get-account-authorization-details`` of the same server, converted by ``rolecall snapshot``,
must give the same account (bar what GAAD does not report). Bad input exits 2 and an unreachable
endpoint 3, each with one line.

moto's backends and its auth switch are process-global: the fixture starts from a reset world with
auth off and resets it when done (as tests/conformance/test_awscli.py does).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.cli import main
from rolecall.model import decide, load_scenario
from rolecall.model.accounts import Snapshot, dump_snapshot, load_snapshot
from tests.accounts.dumps import encode_documents
from tests.moto_clients import provisioning_client

MANAGEMENT = "123456789012"  # moto's default account: the caller of the unassumed credentials
REGION = "us-east-1"
ACCESS = "OrganizationAccountAccessRole"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAROLECALLTEST0001", "AWS_SECRET_ACCESS_KEY": "rolecall-test-secret"}
CLI_TIMEOUT = 120  # seconds; one CLI call normally takes well under 5


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ASSUME_ANY = _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
DENY_ALL = _doc({"Effect": "Deny", "Action": "*", "Resource": "*"})
BOUNDARY = _doc({"Effect": "Allow", "Action": ["sts:*", "s3:Get*"], "Resource": "*"})
READ_S3 = _doc({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"})
ADMIN = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
SAML_METADATA = (
    '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="http://www.okta.com/exk-rolecall"><md:IDPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService '
    'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://example.okta.com/app/sso/saml"/>'
    "</md:IDPSSODescriptor>" + "<!-- " + "padding " * 100 + "-->" + "</md:EntityDescriptor>"
)  # CreateSAMLProvider wants at least 1,000 characters


def _trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


@dataclass
class World:
    endpoint_url: str
    expected: dict[str, Any]
    """The rolecall-snapshot/1 document of the world, written from what the test built."""
    size: dict[str, int]


def moto_api(endpoint_url: str, path: str, body: str) -> None:
    req = urllib.request.Request(
        f"{endpoint_url}/moto-api/{path}", data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=30) as resp:
        resp.read()


def _client(endpoint_url: str, service: str, account: str = MANAGEMENT) -> Any:
    """A provisioning client in ``account`` (moto's x-moto-account-id header; auth is off)."""
    return provisioning_client(endpoint_url, service, account, REGION)


def _build(endpoint_url: str) -> World:
    """The world, through the API; returns it with the snapshot document it must collect to."""
    org = _client(endpoint_url, "organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=t)
    prod = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    web = org.create_organizational_unit(ParentId=prod, Name="web")["OrganizationalUnit"]["Id"]
    dev = org.create_organizational_unit(ParentId=root, Name="dev")["OrganizationalUnit"]["Id"]
    app = org.create_account(AccountName="app", Email="app@example.com")["CreateAccountStatus"]["AccountId"]
    data = org.create_account(AccountName="data", Email="data@example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=app, SourceParentId=root, DestinationParentId=web)
    org.move_account(AccountId=data, SourceParentId=root, DestinationParentId=dev)
    no_leave = _doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})
    no_iam = _doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    org_only = _doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id}},
        }
    )
    org_policies: dict[str, tuple[str, str, Any]] = {}
    for name, kind, doc, target in (
        ("no-leave", "SERVICE_CONTROL_POLICY", no_leave, prod),
        ("no-iam", "SERVICE_CONTROL_POLICY", no_iam, data),
        ("org-only", "RESOURCE_CONTROL_POLICY", org_only, root),
    ):
        pid = org.create_policy(Content=json.dumps(doc), Description=name, Name=name, Type=kind)["Policy"][
            "PolicySummary"
        ]["Id"]
        org.attach_policy(PolicyId=pid, TargetId=target)
        org_policies[pid] = (name, kind, doc)

    # IAM in the management account
    iam = _client(endpoint_url, "iam")
    assume = iam.create_policy(PolicyName="assume", PolicyDocument=json.dumps(DENY_ALL))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=assume, PolicyDocument=json.dumps(ASSUME_ANY), SetAsDefault=True)
    boundary = iam.create_policy(PolicyName="boundary", Path="/limits/", PolicyDocument=json.dumps(BOUNDARY))["Policy"][
        "Arn"
    ]
    unattached = iam.create_policy(PolicyName="unused", PolicyDocument=json.dumps(READ_S3))["Policy"]["Arn"]
    iam.create_group(GroupName="devs", Path="/eng/")
    iam.attach_group_policy(GroupName="devs", PolicyArn=assume)
    iam.put_group_policy(GroupName="devs", PolicyName="read", PolicyDocument=json.dumps(READ_S3))
    iam.create_group(GroupName="auditors")
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(READ_S3))
    iam.create_user(UserName="bob", Path="/ops/")
    iam.add_user_to_group(GroupName="auditors", UserName="bob")
    iam.attach_user_policy(UserName="bob", PolicyArn=boundary)
    roles: dict[str, dict[str, Any]] = {}

    def role(client: Any, account: str, name: str, trust: Any, **extra: Any) -> dict[str, Any]:
        made = client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]
        doc: dict[str, Any] = {"name": name, "id": made["RoleId"], "trust_policy": trust}
        if extra.get("Path", "/") != "/":
            doc["path"] = extra["Path"]
        if extra.get("MaxSessionDuration", 3600) != 3600:
            doc["max_session_duration"] = extra["MaxSessionDuration"]
        if extra.get("Tags"):
            doc["tags"] = {t["Key"]: t["Value"] for t in extra["Tags"]}
        if extra.get("PermissionsBoundary"):
            doc["permissions_boundary"] = extra["PermissionsBoundary"]
        roles[f"{account}/{name}"] = doc
        return doc

    deploy = role(
        iam,
        MANAGEMENT,
        "deploy",
        _trust({"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}),
        Path="/ci/",
        MaxSessionDuration=7200,
        Tags=[{"Key": "env", "Value": "prod"}],
        PermissionsBoundary=boundary,
    )
    iam.put_role_policy(RoleName="deploy", PolicyName="chain", PolicyDocument=json.dumps(ASSUME_ANY))
    iam.attach_role_policy(RoleName="deploy", PolicyArn=assume)
    deploy.update(inline_policies={"chain": ASSUME_ANY}, managed_policies=[assume])
    role(
        iam,
        MANAGEMENT,
        "partner",
        _trust({"AWS": f"arn:aws:iam::{app}:root"}, {"StringEquals": {"sts:ExternalId": "ext-42"}}),
    )
    role(iam, MANAGEMENT, "fn", _trust({"Service": "lambda.amazonaws.com"}), Path="/service-role/")
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    iam.create_saml_provider(Name="okta", SAMLMetadataDocument=SAML_METADATA)

    # IAM in the member accounts: the access role CreateAccount made; in app, a user and a role deploy may assume
    access_trust = _trust({"AWS": f"arn:aws:iam::{MANAGEMENT}:root"})
    member_iam = {a: _client(endpoint_url, "iam", a) for a in (app, data)}
    for account, client in member_iam.items():
        made = client.get_role(RoleName=ACCESS)["Role"]  # CreateAccount made it, trusting the management account
        roles[f"{account}/{ACCESS}"] = {"name": ACCESS, "id": made["RoleId"], "trust_policy": access_trust}
        client.put_role_policy(RoleName=ACCESS, PolicyName="admin", PolicyDocument=json.dumps(ADMIN))
        roles[f"{account}/{ACCESS}"]["inline_policies"] = {"admin": ADMIN}
    member_iam[app].create_user(UserName="carol")
    role(
        member_iam[app],
        app,
        "reader",
        _trust({"AWS": f"arn:aws:iam::{MANAGEMENT}:role/ci/deploy"}),
        MaxSessionDuration=43200,
    )

    def account_roles(account: str) -> list[dict[str, Any]]:
        return [r for key, r in roles.items() if key.startswith(account + "/")]

    expected: dict[str, Any] = {
        "format": "rolecall-snapshot/1",
        "partition": "aws",
        "accounts": [
            {
                "id": MANAGEMENT,
                "name": "master",
                "users": [
                    {
                        "name": "alice",
                        "tags": {"team": "blue"},
                        "groups": ["devs"],
                        "inline_policies": {"own": READ_S3},
                    },
                    {"name": "bob", "path": "/ops/", "groups": ["auditors"], "managed_policies": [boundary]},
                ],
                "groups": [
                    {
                        "name": "devs",
                        "path": "/eng/",
                        "inline_policies": {"read": READ_S3},
                        "managed_policies": [assume],
                    },
                    {"name": "auditors"},
                ],
                "roles": account_roles(MANAGEMENT),
                "policies": [
                    {"arn": assume, "document": ASSUME_ANY, "version": "v2"},
                    {"arn": boundary, "document": BOUNDARY, "version": "v1"},
                    {"arn": unattached, "document": READ_S3, "version": "v1"},
                ],
                "oidc_providers": [
                    {"url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]}
                ],
                "saml_providers": [{"name": "okta", "issuer": "http://www.okta.com/exk-rolecall"}],
            },
            {"id": app, "name": "app", "users": [{"name": "carol"}], "roles": account_roles(app)},
            {"id": data, "name": "data", "roles": account_roles(data)},
        ],
        "organization": {
            "id": org_id,
            "management_account": MANAGEMENT,
            "policy_types": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
            "nodes": [
                {"id": root, "name": "Root", "policies": ["p-FullAWSAccess", *_ids(org_policies, "org-only")]},
                {
                    "id": prod,
                    "parent": root,
                    "name": "prod",
                    "policies": ["p-FullAWSAccess", *_ids(org_policies, "no-leave")],
                },
                {"id": web, "parent": prod, "name": "web", "policies": ["p-FullAWSAccess"]},
                {"id": dev, "parent": root, "name": "dev", "policies": ["p-FullAWSAccess"]},
                {"id": MANAGEMENT, "parent": root, "name": "master", "policies": ["p-FullAWSAccess"]},
                {"id": app, "parent": web, "name": "app", "policies": ["p-FullAWSAccess"]},
                {
                    "id": data,
                    "parent": dev,
                    "name": "data",
                    "policies": ["p-FullAWSAccess", *_ids(org_policies, "no-iam")],
                },
            ],
            "policies": [
                {"id": "p-FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "name": "FullAWSAccess", "document": ADMIN},
                *[
                    {"id": pid, "type": kind, "name": name, "document": doc}
                    for pid, (name, kind, doc) in org_policies.items()
                ],
            ],
        },
    }
    size = {
        "accounts": 3,
        "users": 3,
        "groups": 2,
        "roles": len(roles),
        "customer managed policies": 3,
        "organizational units": 3,
        "SCPs and RCPs": len(org_policies) + 1,
        "identity providers": 2,
    }
    return World(endpoint_url, expected, size)


def _ids(policies: dict[str, tuple[str, str, Any]], name: str) -> list[str]:
    return [pid for pid, (n, _, _) in policies.items() if n == name]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 with authentication off, reset before and after: its endpoint URL
    (moto's authentication counters are restored on the way out)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved_auth = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        endpoint_url = f"http://127.0.0.1:{port}"
        moto_api(endpoint_url, "reset", "")
        moto_api(endpoint_url, "reset-auth", "inf")
        try:
            yield endpoint_url
        finally:
            moto_api(endpoint_url, "reset", "")
    finally:
        server.stop()
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved_auth


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with moto_server() as endpoint_url:
        yield _build(endpoint_url)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The environment of a shell user with credentials and nothing else (no profile, no config)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = {
        **CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-such-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    return env


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def canon(doc: dict[str, Any]) -> dict[str, Any]:
    """A snapshot document with its order-free lists sorted (accounts, principals, policies, nodes)."""
    doc = json.loads(json.dumps(doc))
    doc["accounts"].sort(key=lambda a: a["id"])
    for a in doc["accounts"]:
        for key in ("users", "groups", "roles"):
            a.get(key, []).sort(key=lambda p: p["name"])
        a.get("policies", []).sort(key=lambda p: p["arn"])
    org = doc.get("organization")
    if org:
        org["nodes"].sort(key=lambda n: n["id"])
        for n in org["nodes"]:
            n.get("policies", []).sort()
        org["policies"].sort(key=lambda p: p["id"])
    return doc


def _snapshot_of(path: Path) -> Snapshot:
    return load_snapshot(json.loads(path.read_text(encoding="utf-8")))


def test_collect_reads_exactly_the_world(world: World, aws_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "snapshot.json"
    code, stdout, stderr = run_cli(
        "collect", "--endpoint-url", world.endpoint_url, "--assume-role", ACCESS, "--retries", "2", "-o", str(out)
    )
    assert code == 0, stderr
    assert stdout == ""
    collected = _snapshot_of(out)
    expected = load_snapshot(world.expected)
    assert canon(dump_snapshot(collected)) == canon(dump_snapshot(expected))
    # progress and the summary on stderr: the pages, the accounts, the calls
    assert "get-account-authorization-details page 1" in stderr
    assert "3 account(s): 3 users, 2 groups, 6 roles, 3 customer managed policies" in stderr
    assert "API calls in" in stderr and f"wrote {out}" in stderr
    # and the model decides from it: alice's group allows AssumeRole, the deploy role trusts the account
    account = collected.accounts[MANAGEMENT]
    scenario = {
        "caller": collected.caller_doc(account.users["alice"]),
        "role": collected.role_doc(account.roles["deploy"]),
        "request": {"role_session_name": "collect"},
        "organization": collected.organization_doc(),
    }
    assert decide(load_scenario(scenario)).decision == "allowed"


def test_collect_one_account_without_the_organization(world: World, aws_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "one.json"
    code, _, stderr = run_cli(
        "collect",
        "--endpoint-url",
        world.endpoint_url,
        "--no-organization",
        "--no-role-durations",
        "-q",
        "-o",
        str(out),
    )
    assert (code, stderr) == (0, "")
    s = _snapshot_of(out)
    assert list(s.accounts) == [MANAGEMENT] and s.organization is None
    assert s.accounts[MANAGEMENT].roles["deploy"].max_session_duration == 3600  # not read: the default


def require_awscli() -> None:
    if importlib.util.find_spec("awscli") is None:  # part of the [test] extra: a failure, not a skip
        pytest.fail(f"the awscli package is not installed for {sys.executable}", pytrace=False)


def test_the_aws_clis_dump_reads_to_the_collected_account(
    world: World, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """``aws iam get-account-authorization-details`` (the real CLI, out of process) -> ``rolecall snapshot``:
    the account collect reads, bar what GAAD does not report (session durations, identity providers); the
    same dump with its documents URL-encoded, as the raw API gives them, reads the same."""
    require_awscli()
    env = {name: os.environ[name] for name in ("PATH", "SYSTEMROOT", "PYTHONPATH") if name in os.environ}
    env.update(aws_env, HOME=str(tmp_path), NO_PROXY="127.0.0.1", PYTHONIOENCODING="utf-8")
    cmd = [
        sys.executable, "-m", "awscli", "iam", "get-account-authorization-details",
        "--endpoint-url", world.endpoint_url, "--region", REGION, "--output", "json",
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr
    dump = tmp_path / "gaad.json"
    dump.write_text(done.stdout, encoding="utf-8")
    raw = tmp_path / "gaad-raw.json"
    raw.write_text(json.dumps(encode_documents(json.loads(done.stdout))), encoding="utf-8")
    for source in (dump, raw):
        out = tmp_path / f"{source.stem}.snapshot.json"
        code, _, stderr = run_cli("snapshot", str(source), "-o", str(out))
        assert code == 0, stderr
        assert "role(s) without MaxSessionDuration" in stderr  # said, not silently defaulted
        got = canon(dump_snapshot(_snapshot_of(out)))["accounts"]
        want = [a for a in canon(dump_snapshot(load_snapshot(world.expected)))["accounts"] if a["id"] == MANAGEMENT]
        for a in want:
            a.pop("name")  # from the organization, which this dump does not include
            a.pop("oidc_providers")
            a.pop("saml_providers")
            for r in a["roles"]:
                r.pop("max_session_duration", None)
        assert got == want


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r"}]}))
    code, _, stderr = run_cli("snapshot", str(bad), "-o", str(tmp_path / "out.json"))
    assert code == 2
    assert stderr.count("\n") == 1 and f"{bad}: missing 'AssumeRolePolicyDocument'" in stderr
    assert "at $.RoleDetailList[0]" in stderr
    assert not (tmp_path / "out.json").exists()


def test_an_unreachable_endpoint_exits_3_with_one_line(aws_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, stderr = run_cli(
        "collect", "--endpoint-url", f"http://127.0.0.1:{port}", "--retries", "1", "-q", "-o", str(tmp_path / "x.json")
    )
    assert code == 3, stderr
    assert stderr.count("\n") == 1 and "target failed: GetCallerIdentity" in stderr


def test_accounts_without_a_role_is_bad_usage(aws_env: dict[str, str], tmp_path: Path) -> None:
    code, _, stderr = run_cli("collect", "--accounts", "111122223333", "-o", str(tmp_path / "x.json"))
    assert code == 2 and "--accounts needs --assume-role" in stderr


def test_no_credentials_is_bad_usage(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    code, _, stderr = run_cli("collect", "--endpoint-url", "http://127.0.0.1:9", "-q", "-o", str(tmp_path / "x.json"))
    assert code == 2 and stderr.count("\n") == 1 and "Unable to locate credentials" in stderr, stderr
