"""The ``endpoint`` target against a real moto server standing in for an unknown emulator.

The server is started on 127.0.0.1 (a free port); with authentication still
off, each of two accounts gets an ``admin`` user with an allow-everything
inline policy and an access key, which the accounts file names. Then
authentication is switched on for good, so everything the target does (its
start-up check, provisioning, the AssumeRole, the clean-up) is signed with the
file's credentials and resolved to their account by the server, as it would
be with any emulator the suite knows nothing about.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from rolecall.conformance._world import Unsupported
from rolecall.conformance.targets import Capability, Outcome, TargetError, TargetUnavailable, load_target
from rolecall.conformance.targets.endpoint import EndpointTarget
from tests.moto_clients import admin_keys, moto_api

A, B = "111111111111", "222222222222"
ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

Keys = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Keys]]:
    """A moto server with an admin user and key in A and B, authentication on; (url, admin keys by account)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    _, port = srv.get_host_and_port()
    url = f"http://127.0.0.1:{port}"
    try:
        moto_api(url, "reset", "")
        keys: Keys = admin_keys(url, (A, B), ADMIN_POLICY)
        moto_api(url, "reset-auth", "0")  # from now on every request is authenticated and authorized
        yield url, keys
    finally:
        # the server shares this process's moto state and settings: leave both as they were
        moto_api(url, "reset-auth", "inf")
        moto_api(url, "reset", "")
        srv.stop()


@pytest.fixture(autouse=True)
def _one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under pytest-xdist each worker starts its own server, so the target's one-worker rule does not apply."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)


def _write(tmp_path: Path, data: Any, name: str = "accounts.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def accounts_file(server: tuple[str, Keys], tmp_path: Path) -> str:
    _, keys = server
    return _write(tmp_path, {"region": "us-east-1", "accounts": {A: keys[A], B: keys[B]}, "name": "moto-as-unknown"})


@pytest.fixture
def target(server: tuple[str, Keys], accounts_file: str) -> Iterator[EndpointTarget]:
    url, _ = server
    t = load_target("endpoint", endpoint_url=url, accounts=accounts_file)
    assert isinstance(t, EndpointTarget)
    t.start()
    yield t
    t.stop()


def _admin_iam(server: tuple[str, Keys], account: str) -> Any:
    """An IAM client signing as the admin of ``account`` (authentication is on)."""
    url, keys = server
    k = keys[account]
    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=k["access_key_id"],
        aws_secret_access_key=k["secret_access_key"],
    )


def _assert_clean(server: tuple[str, Keys]) -> None:
    """Nothing but the admin is left in either account."""
    for account in (A, B):
        iam = _admin_iam(server, account)
        assert [u["UserName"] for u in iam.list_users()["Users"]] == ["admin"], account
        assert iam.list_roles()["Roles"] == [], account
        assert iam.list_policies(Scope="Local")["Policies"] == [], account
        assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [], account
        assert iam.list_saml_providers()["SAMLProviderList"] == [], account


def _allow(resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}],
    }


def _trust(principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
    }


def user_scenario(account: str = "123456789012") -> dict[str, Any]:
    """alice assumes R in her own account; the trust names her and her identity policy allows."""
    return {
        "id": "same-account user",
        "caller": {
            "arn": f"arn:aws:iam::{account}:user/alice",
            "identity_policies": [_allow(f"arn:aws:iam::{account}:role/R")],
        },
        "role": {"arn": f"arn:aws:iam::{account}:role/R", "trust_policy": _trust(f"arn:aws:iam::{account}:user/alice")},
        "request": {"role_session_name": "s1"},
    }


def _run(target: EndpointTarget, doc: dict[str, Any], check_identity: bool = False) -> tuple[dict[str, Any], Outcome]:
    prepared = target.prepare(doc)
    return prepared, target.run(prepared, check_identity=check_identity)


# ------------------------------------------------------------------------------------------ scenarios


def test_metadata_from_the_file(target: EndpointTarget) -> None:
    assert target.name == "moto-as-unknown"
    assert target.version == "unknown"
    assert Capability.MULTI_ACCOUNT in target.capabilities
    assert Capability.USER_CALLERS in target.capabilities
    assert Capability.USER_BOUNDARIES not in target.capabilities


def test_same_account_user_is_allowed(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    prepared, out = _run(target, user_scenario(), check_identity=True)
    assert prepared["caller"]["arn"] == f"arn:aws:iam::{A}:user/alice"  # renamed onto the file's first account
    assert out.result["decision"] == "allowed", out.result
    assumed = out.result["assumed_role"]
    assert assumed["arn"] == f"arn:aws:sts::{A}:assumed-role/R/s1"
    assert out.role_id is not None and assumed["assumed_role_id"] == f"{out.role_id}:s1"
    assert out.identity is not None and out.identity["Account"] == A
    _assert_clean(server)


def test_same_scenario_twice_reuses_the_names(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    for _ in range(2):
        _, out = _run(target, user_scenario())
        assert out.result["decision"] == "allowed", out.result
        _assert_clean(server)


def test_cross_account_user_provisions_in_the_files_accounts(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    caller, role = "333333333333", "444444444444"
    doc = {
        "caller": {
            "arn": f"arn:aws:iam::{caller}:user/alice",
            "identity_policies": [_allow(f"arn:aws:iam::{role}:role/R")],
        },
        "role": {"arn": f"arn:aws:iam::{role}:role/R", "trust_policy": _trust(f"arn:aws:iam::{caller}:root")},
        "request": {"role_session_name": "x"},
    }
    prepared, out = _run(target, doc)
    assert prepared["caller"]["arn"].split(":")[4] == A
    assert prepared["role"]["arn"].split(":")[4] == B
    assert prepared["role"]["trust_policy"]["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{A}:root"
    assert out.result["decision"] in ("allowed", "explicitDeny", "implicitDeny", "denied", "error")
    if out.result["decision"] == "allowed":
        assert out.result["assumed_role"]["arn"].split(":")[4] == B
    _assert_clean(server)


def test_accounts_only_mentioned_get_unused_ids(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    """Three accounts in the scenario, two to provision: the third becomes an id the file does not have."""
    doc = user_scenario()
    doc["caller"]["identity_policies"][0]["Statement"].append(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::555555555555:role/*"}
    )
    prepared, out = _run(target, doc)
    assert prepared["caller"]["identity_policies"][0]["Statement"][1]["Resource"] == "arn:aws:iam::999999999999:role/*"
    assert out.result["decision"] == "allowed", out.result
    _assert_clean(server)


def test_role_session_caller_with_a_boundary(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    doc = {
        "caller": {
            "arn": f"arn:aws:sts::{A}:assumed-role/CallerRole/s0",
            "identity_policies": [_allow(f"arn:aws:iam::{A}:role/R")],
            "permissions_boundary": _allow("*"),
        },
        # the trust names the session: moto matches trust principals literally (a role ARN would not match)
        "role": {
            "arn": f"arn:aws:iam::{A}:role/R",
            "trust_policy": _trust(f"arn:aws:sts::{A}:assumed-role/CallerRole/s0"),
        },
        "request": {"role_session_name": "s1"},
    }
    _, out = _run(target, doc, check_identity=True)
    assert out.result["decision"] == "allowed", out.result
    assert out.result["assumed_role"]["arn"] == f"arn:aws:sts::{A}:assumed-role/R/s1"
    _assert_clean(server)  # the session's role, its policy, the boundary policy and R are gone


def test_self_assume_the_provisioner_cannot_enter_is_unsupported(
    target: EndpointTarget, server: tuple[str, Keys]
) -> None:
    """A session of the target role itself: the file's principal must create that session through the
    scenario's own trust, which moto (matching principals literally) refuses for ``root``."""
    doc = {
        "caller": {"arn": f"arn:aws:sts::{A}:assumed-role/R/s0", "identity_policies": [_allow("*")]},
        "role": {"arn": f"arn:aws:iam::{A}:role/R", "trust_policy": _trust(f"arn:aws:iam::{A}:root")},
        "request": {"role_session_name": "s1"},
    }
    with pytest.raises(Unsupported, match="session of the target role itself"):
        _run(target, doc)
    _assert_clean(server)


def test_a_refused_policy_is_an_outcome_and_is_cleaned_up(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    doc = user_scenario()
    doc["caller"]["identity_policies"][0]["Statement"][0]["Effect"] = "Maybe"
    _, out = _run(target, doc)
    assert out.phase == "provision"
    assert out.result["decision"] == "error" and out.result["error_code"] == "MalformedPolicyDocument"
    _assert_clean(server)  # alice was created before her policy was refused


def test_leftovers_of_an_interrupted_run_are_deleted(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    iam = _admin_iam(server, A)
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="p0", PolicyDocument=ADMIN_POLICY)
    iam.create_access_key(UserName="alice")
    iam.create_role(RoleName="R", AssumeRolePolicyDocument=json.dumps(_trust(f"arn:aws:iam::{A}:root")))
    iam.put_role_policy(RoleName="R", PolicyName="extra", PolicyDocument=ADMIN_POLICY)
    _, out = _run(target, user_scenario())
    assert out.result["decision"] == "allowed", out.result
    _assert_clean(server)


def test_a_scenario_naming_the_files_own_principal_is_unsupported(
    target: EndpointTarget, server: tuple[str, Keys]
) -> None:
    doc = user_scenario()
    doc["caller"]["arn"] = doc["role"]["trust_policy"]["Statement"][0]["Principal"]["AWS"] = (
        "arn:aws:iam::123456789012:user/Admin"
    )
    with pytest.raises(Unsupported, match="'admin' in account 111111111111"):
        target.prepare(doc)
    assert [u["UserName"] for u in _admin_iam(server, A).list_users()["Users"]] == ["admin"]


def test_credentials_without_iam_permissions_are_a_target_error(server: tuple[str, Keys], tmp_path: Path) -> None:
    """A denial while provisioning is about the file's credentials, never the scenario's outcome."""
    url, _ = server
    admin = _admin_iam(server, A)
    admin.create_user(UserName="weak")
    key = admin.create_access_key(UserName="weak")["AccessKey"]
    try:
        weak = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        t = load_target("endpoint", endpoint_url=url, accounts=_write(tmp_path, {"accounts": {A: weak}}))
        t.start()
        with pytest.raises(TargetError, match=r"provisioning in account\(s\) 111111111111 .* was refused \(denied"):
            t.run(t.prepare(user_scenario()))
    finally:
        admin.delete_access_key(UserName="weak", AccessKeyId=key["AccessKeyId"])
        admin.delete_user(UserName="weak")
    _assert_clean(server)


def test_cross_account_needs_two_accounts(server: tuple[str, Keys], tmp_path: Path) -> None:
    url, keys = server
    t = load_target("endpoint", endpoint_url=url, accounts=_write(tmp_path, {"accounts": {A: keys[A]}}))
    assert Capability.MULTI_ACCOUNT not in t.capabilities
    doc = user_scenario()
    doc["role"]["arn"] = "arn:aws:iam::210987654321:role/R"
    with pytest.raises(Unsupported, match=r"needs 2 accounts .* names 1"):
        t.prepare(doc)
    assert t.prepare(user_scenario())["caller"]["arn"] == f"arn:aws:iam::{A}:user/alice"


def test_run_before_start(server: tuple[str, Keys], accounts_file: str) -> None:
    url, _ = server
    t = load_target("endpoint", endpoint_url=url, accounts=accounts_file)
    with pytest.raises(TargetUnavailable, match="not started"):
        t.run(t.prepare(user_scenario()))


def test_run_of_an_unprepared_scenario(target: EndpointTarget) -> None:
    with pytest.raises(TargetError, match=r"account 123456789012 is not in .*prepare"):
        target.run(user_scenario())


# ------------------------------------------------------------------------------------------ start-up


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_endpoint(accounts_file: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    t = load_target("endpoint", endpoint_url=url, accounts=accounts_file)
    with pytest.raises(TargetUnavailable, match=f"cannot use {url}"):
        t.start()


def test_refuses_several_xdist_workers(
    accounts_file: str, server: tuple[str, Keys], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = server
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    t = load_target("endpoint", endpoint_url=url, accounts=accounts_file)
    with pytest.raises(TargetUnavailable, match="cannot run on 4 pytest-xdist workers"):
        t.start()


def test_credentials_of_another_account(server: tuple[str, Keys], tmp_path: Path) -> None:
    url, keys = server
    t = load_target("endpoint", endpoint_url=url, accounts=_write(tmp_path, {"accounts": {"333333333333": keys[A]}}))
    with pytest.raises(TargetUnavailable, match=f"account 333333333333 .* belong to account {A}"):
        t.start()


def test_unknown_credentials(server: tuple[str, Keys], tmp_path: Path) -> None:
    url, _ = server
    bad = {"access_key_id": "AKIAUNKNOWNUNKNOWN00", "secret_access_key": "nope"}
    t = load_target("endpoint", endpoint_url=url, accounts=_write(tmp_path, {"accounts": {A: bad}}))
    with pytest.raises(TargetUnavailable, match=f"refused the credentials of account {A}"):
        t.start()


# ------------------------------------------------------------------------------------------ the federated doors

FEDERATION = Path(__file__).resolve().parents[1] / "scenarios" / "federation"


def _fed(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FEDERATION / f"{name}.json").read_text(encoding="utf-8"))
    doc.pop("expect")
    return doc


@pytest.fixture
def auth_off(server: tuple[str, Keys]) -> Iterator[None]:
    """moto's server, with its enforcement on, answers HTTP 500 to any unsigned call (it reads the Authorization
    header unconditionally): with it off, it stands in for an emulator that takes the federated doors as AWS does."""
    url, _ = server
    moto_api(url, "reset-auth", "inf")
    try:
        yield
    finally:
        moto_api(url, "reset-auth", "0")


@pytest.mark.usefixtures("auth_off")
def test_web_identity_provisions_the_provider_and_cleans_up(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    """FED-01 (GitHub Actions): the provider and the role are created in the file's first account, the call
    goes unsigned, and the credentials it issues answer GetCallerIdentity as the session."""
    prepared, out = _run(target, _fed("FED-01"), check_identity=True)
    assert list(prepared["identity_providers"]) == [A] and prepared["role"]["arn"].split(":")[4] == A
    assert out.result["decision"] == "allowed", out.result
    assert out.result["assumed_role"]["arn"] == f"arn:aws:sts::{A}:assumed-role/gh-deploy/gha-run-1"
    assert out.role_id is not None and out.identity is not None and out.identity["Account"] == A
    _assert_clean(server)


@pytest.mark.usefixtures("auth_off")
def test_saml_provisions_the_provider_and_cleans_up(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    prepared, out = _run(target, _fed("FED-32"))
    assert prepared["request"]["principal_arn"].split(":")[4] == A
    assert out.result["decision"] == "allowed", out.result
    assert out.result["assumed_role"]["arn"].startswith(f"arn:aws:sts::{A}:assumed-role/")
    _assert_clean(server)


@pytest.mark.usefixtures("auth_off")
def test_providers_of_two_accounts_take_the_files_two_accounts(
    target: EndpointTarget, server: tuple[str, Keys]
) -> None:
    """FED-11: the role's account is the file's first account, the other account with a provider the second."""
    doc = _fed("FED-11")
    prepared, out = _run(target, doc)
    role_account = doc["role"]["arn"].split(":")[4]
    other = next(a for a in doc["identity_providers"] if a != role_account)
    assert prepared["role"]["arn"].split(":")[4] == A
    assert set(prepared["identity_providers"]) == {A, B}
    assert json.dumps(prepared).count(B) == json.dumps(doc).count(other)
    assert out.phase == "assume", out.result  # both accounts' providers were created, and the call made
    _assert_clean(server)


def test_providers_of_two_accounts_need_two_in_the_file(server: tuple[str, Keys], tmp_path: Path) -> None:
    url, keys = server
    t = load_target("endpoint", endpoint_url=url, accounts=_write(tmp_path, {"accounts": {A: keys[A]}}))
    with pytest.raises(Unsupported, match="needs 2 accounts"):
        t.prepare(_fed("FED-11"))


@pytest.mark.usefixtures("auth_off")
def test_leftover_providers_are_deleted(target: EndpointTarget, server: tuple[str, Keys]) -> None:
    iam = _admin_iam(server, A)
    iam.create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com", ClientIDList=["x"])
    _, out = _run(target, _fed("FED-01"))
    assert out.result["decision"] == "allowed", out.result
    _assert_clean(server)


def test_an_emulator_failing_the_unsigned_call_is_a_target_error(
    target: EndpointTarget, server: tuple[str, Keys]
) -> None:
    """With its enforcement on, moto fails every unsigned call (HTTP 500): a target error that says which
    capability to leave out, and nothing left behind."""
    prepared = target.prepare(_fed("FED-01"))
    with pytest.raises(TargetError, match="AssumeRoleWithWebIdentity") as info:
        target.run(prepared)
    assert any("leave 'web-identity' out of the capabilities" in n for n in getattr(info.value, "__notes__", []))
    _assert_clean(server)


def test_credentials_that_cannot_create_providers_are_a_target_error(server: tuple[str, Keys], tmp_path: Path) -> None:
    """Credentials allowed to manage roles but not identity providers: a target error naming what they lack."""
    url, _ = server
    admin = _admin_iam(server, A)
    admin.create_user(UserName="roles-only")
    roles_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:*Role*", "sts:GetCallerIdentity"], "Resource": "*"}],
    }
    admin.put_user_policy(UserName="roles-only", PolicyName="p", PolicyDocument=json.dumps(roles_only))
    key = admin.create_access_key(UserName="roles-only")["AccessKey"]
    try:
        creds = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        t = load_target("endpoint", endpoint_url=url, accounts=_write(tmp_path, {"accounts": {A: creds}}))
        t.start()
        with pytest.raises(TargetError, match=r"must be allowed to manage IAM OIDC and SAML providers"):
            t.run(t.prepare(_fed("FED-01")))
    finally:
        admin.delete_access_key(UserName="roles-only", AccessKeyId=key["AccessKeyId"])
        admin.delete_user_policy(UserName="roles-only", PolicyName="p")
        admin.delete_user(UserName="roles-only")
    _assert_clean(server)


# ------------------------------------------------------------------------------------------ the accounts file

GOOD = {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "secret"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"accounts": {A: {"access_key_id": "AKIAEXAMPLE"}}}, rf"\$\.accounts\.{A}\.secret_access_key: missing"),
        ({"accounts": {"12345": GOOD}}, r"\$\.accounts\.12345: not an account id \(12 ASCII digits\)"),
        ({"accounts": {"\uff11" * 12: GOOD}}, r"not an account id \(12 ASCII digits\)"),
        ({"accounts": {A: GOOD}, "comment": "x"}, r"\$\.comment: unknown field"),
        ({"accounts": {A: dict(GOOD, region="us-east-1")}}, rf"\$\.accounts\.{A}\.region: unknown field"),
        ({"region": "us-east-1"}, r"\$\.accounts: missing"),
        ({"accounts": {}}, r"\$\.accounts: must name at least one account"),
        ({"accounts": [A]}, r"\$\.accounts: must be an object, not a list"),
        (
            {"accounts": {A: dict(GOOD, session_token=3)}},
            rf"\$\.accounts\.{A}\.session_token: must be a string or null",
        ),
        (
            {"accounts": {A: dict(GOOD, secret_access_key="")}},
            rf"\$\.accounts\.{A}\.secret_access_key: must not be empty",
        ),
        (
            {"accounts": {A: GOOD}, "capabilities": ["user-callers", "teleport"]},
            r"\$\.capabilities\[1\]: unknown capability",
        ),
        ({"accounts": {A: GOOD}, "capabilities": ["multi-account"]}, r"\$\.capabilities\[0\]: 'multi-account' needs"),
        ({"accounts": {A: GOOD}, "name": 7}, r"\$\.name: must be a string, not a number"),
        ([], r"\$: must be an object, not a list"),
        ('{"accounts": {', r"not JSON: .* line 1"),
        ('{"accounts": {}, "accounts": {}}', r"duplicate key 'accounts'"),
    ],
)
def test_accounts_file_errors(tmp_path: Path, data: Any, message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(TargetUnavailable, match=message) as info:
        load_target("endpoint", endpoint_url="http://127.0.0.1:1", accounts=path)
    assert str(info.value).startswith(f"{path}: ")


def test_missing_accounts_file(tmp_path: Path) -> None:
    with pytest.raises(TargetUnavailable, match="cannot read the accounts file"):
        load_target("endpoint", endpoint_url="http://127.0.0.1:1", accounts=str(tmp_path / "nope.json"))


def test_capabilities_version_and_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "accounts": {A: GOOD, B: GOOD},
            "capabilities": ["user-callers", "multi-account"],
            "name": "emu",
            "version": "1.2",
        },
    )
    t = load_target("endpoint", endpoint_url="http://127.0.0.1:1", accounts=path)
    assert (t.name, t.version) == ("emu", "1.2")
    assert t.capabilities == {Capability.USER_CALLERS, Capability.MULTI_ACCOUNT}
    one = load_target("endpoint", endpoint_url="http://127.0.0.1:1", accounts=_write(tmp_path, {"accounts": {A: GOOD}}))
    assert (one.name, one.version) == ("endpoint", "unknown")
    assert Capability.MULTI_ACCOUNT not in one.capabilities and Capability.CREDENTIALS in one.capabilities
    assert {Capability.WEB_IDENTITY, Capability.SAML} <= one.capabilities  # the federated doors, by default


def test_the_sample_file_is_valid() -> None:
    sample = Path(__file__).resolve().parents[2] / "conformance" / "accounts.sample.json"
    t = load_target("endpoint", endpoint_url="http://127.0.0.1:1", accounts=str(sample))
    assert len(t.capabilities) > 0 and Capability.MULTI_ACCOUNT in t.capabilities
