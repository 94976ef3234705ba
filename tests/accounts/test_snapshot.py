"""The snapshot format (``rolecall.model.accounts``): a valid snapshot gives the scenario pieces the
model decides; bad input names its JSON path (docs/accounts.md)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from rolecall.model import InputError, decide, load_scenario
from rolecall.model.accounts import dump_snapshot, load_snapshot

ACCOUNT, MANAGEMENT = "111122223333", "999999999999"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}
ALLOW = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]}
SNAPSHOT: dict[str, Any] = {
    "format": "rolecall-snapshot/1",
    "accounts": [
        {
            "id": ACCOUNT,
            "users": [{"name": "alice", "groups": ["devs"], "tags": {"team": "blue"}}, {"name": "bob"}],
            "groups": [{"name": "devs", "managed_policies": [f"arn:aws:iam::{ACCOUNT}:policy/assume"]}],
            "roles": [{"name": "deploy", "path": "/ci/", "trust_policy": TRUST, "max_session_duration": 7200}],
            "policies": [{"arn": f"arn:aws:iam::{ACCOUNT}:policy/assume", "document": ALLOW, "version": "v2"}],
        }
    ],
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account": MANAGEMENT,
        "nodes": [
            {"id": "r-ab12", "policies": ["p-FullAWSAccess"]},
            {"id": "ou-ab12-11111111", "parent": "r-ab12", "policies": ["p-FullAWSAccess"]},
            {"id": MANAGEMENT, "parent": "r-ab12", "policies": ["p-FullAWSAccess"]},
            {"id": ACCOUNT, "parent": "ou-ab12-11111111", "policies": ["p-FullAWSAccess"]},
        ],
        "policies": [{"id": "p-FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "document": FULL}],
    },
}


def _trusting(entry: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": entry}, "Action": "sts:*"}]}


def _decide(snapshot: Any, user: str, role: str) -> str:
    account = snapshot.accounts[ACCOUNT]
    scenario = {
        "caller": snapshot.caller_doc(account.users[user]),
        "role": snapshot.role_doc(account.roles[role]),
        "request": {"role_session_name": "graph"},
        "organization": snapshot.organization_doc(),
    }
    return str(decide(load_scenario(scenario)).decision)


def test_a_snapshot_gives_the_scenarios_the_model_decides() -> None:
    snapshot = load_snapshot(SNAPSHOT)
    assert _decide(snapshot, "alice", "deploy") == "allowed"  # through her group's managed policy
    assert _decide(snapshot, "bob", "deploy") == "implicitDeny"  # no identity policy (R8: the account trusted)
    org = snapshot.organization_doc()
    assert org is not None and len(org["scps"][ACCOUNT]) == 3  # root, OU, account
    denied = copy.deepcopy(SNAPSHOT)
    denied["organization"]["policies"].append({"id": "p-deny", "type": "SERVICE_CONTROL_POLICY", "document": DENY})
    denied["organization"]["nodes"][1]["policies"].append("p-deny")
    assert _decide(load_snapshot(denied), "alice", "deploy") == "explicitDeny"  # the OU's SCP


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d.update(format="x"), "$.format"),
        (lambda d: d["accounts"][0].update(id="1234"), "$.accounts[0].id"),
        (lambda d: d["accounts"][0]["users"].append({"name": "ALICE"}), "$.accounts[0].users[2].name"),
        (lambda d: d["accounts"][0]["users"][1].update(groups=["nope"]), "$.accounts[0].users[1].groups[0]"),
        (
            lambda d: d["accounts"][0]["users"][1].update(managed_policies=["arn:aws:iam::aws:policy/Nope"]),
            "$.accounts[0].users[1].managed_policies[0]",
        ),
        (
            lambda d: d["accounts"][0]["roles"][0]["trust_policy"].update(Statement=[{"Effect": "Maybe"}]),
            "$.accounts[0].roles[0].trust_policy.Statement[0]",
        ),
        (
            lambda d: d["accounts"][0]["roles"][0].update(max_session_duration=60),
            "$.accounts[0].roles[0].max_session_duration",
        ),
        (lambda d: d["organization"]["nodes"][1].update(parent="r-zzzz"), "$.organization.nodes[1].parent"),
        # one user and one role per name (docs/semantics.md §5.10): a second role of one name, in another
        # case or under another path; a trust principal naming a user or role by another spelling
        (
            lambda d: d["accounts"][0]["roles"].append({**d["accounts"][0]["roles"][0], "name": "Deploy"}),
            "$.accounts[0].roles[1].name",
        ),
        (
            lambda d: d["accounts"][0]["roles"].append({**d["accounts"][0]["roles"][0], "path": "/"}),
            "$.accounts[0].roles[1].name",
        ),
        (
            lambda d: d["accounts"][0]["roles"][0].update(trust_policy=_trusting(f"arn:aws:iam::{ACCOUNT}:user/Alice")),
            "$.accounts[0].roles[0].trust_policy.Statement[0].Principal.AWS",
        ),
        (
            lambda d: d["accounts"][0]["roles"][0].update(
                trust_policy=_trusting(f"arn:aws:iam::{ACCOUNT}:role/deploy")
            ),
            "$.accounts[0].roles[0].trust_policy.Statement[0].Principal.AWS",
        ),
        (lambda d: d["accounts"][0].update(surprise=1), "$.accounts[0].surprise"),
        (lambda d: d["accounts"][0]["policies"][0].update(version=2), "$.accounts[0].policies[0].version"),
        (
            lambda d: d["accounts"][0]["policies"][0].update(version_date="yesterday"),
            "$.accounts[0].policies[0].version_date",
        ),
    ],
)
def test_bad_snapshots_name_the_place(edit: Any, path: str) -> None:
    doc = copy.deepcopy(SNAPSHOT)
    edit(doc)
    with pytest.raises(InputError) as info:
        load_snapshot(doc)
    assert info.value.path.startswith(path), (info.value.path, info.value.message)


def test_dump_snapshot_loads_back_equal() -> None:
    snapshot = load_snapshot(SNAPSHOT)
    doc = dump_snapshot(snapshot)
    assert load_snapshot(doc) == snapshot
    assert load_snapshot(json.loads(json.dumps(doc))) == snapshot  # plain JSON, nothing Python-only


def test_policy_types_not_enabled_are_not_in_force() -> None:
    """SCPs attached in an organization whose root has not enabled them do not apply (AWS detaches them
    when the type is disabled; a snapshot that records the enabled types says so either way)."""
    denied = copy.deepcopy(SNAPSHOT)
    denied["organization"]["policies"].append({"id": "p-deny", "type": "SERVICE_CONTROL_POLICY", "document": DENY})
    denied["organization"]["nodes"][1]["policies"].append("p-deny")
    denied["organization"]["policy_types"] = ["SERVICE_CONTROL_POLICY"]
    assert _decide(load_snapshot(denied), "alice", "deploy") == "explicitDeny"
    denied["organization"]["policy_types"] = []
    snapshot = load_snapshot(denied)
    org = snapshot.organization_doc()
    assert org is not None and org["scps"] == {}
    assert _decide(snapshot, "alice", "deploy") == "allowed"
    assert load_snapshot(dump_snapshot(snapshot)) == snapshot
    denied["organization"]["policy_types"] = ["TAG_POLICY"]
    with pytest.raises(InputError) as info:
        load_snapshot(denied)
    assert info.value.path == "$.organization.policy_types[0]"


def test_a_trust_policy_may_name_the_snapshots_users_and_roles_exactly() -> None:
    doc = copy.deepcopy(SNAPSHOT)
    doc["accounts"][0]["roles"][0]["trust_policy"] = _trusting(f"arn:aws:iam::{ACCOUNT}:role/ci/deploy")
    doc["accounts"][0]["roles"].append(
        {"name": "other", "trust_policy": _trusting(f"arn:aws:iam::{ACCOUNT}:user/alice")}
    )
    assert len(load_snapshot(doc).accounts[ACCOUNT].roles) == 2
