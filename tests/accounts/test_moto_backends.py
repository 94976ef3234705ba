"""``read_moto_backends`` under ``mock_aws``: the world of tests/accounts/moto_world.py built in-process
with boto3 reads to the snapshot its design says, and its graph is the one predicted (the same world
read over a moto server by ``rolecall collect`` is compared in tests/accounts/test_graph_moto.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from rolecall.model.accounts.graph import build_graph
from rolecall.model.accounts.readers import read_moto_backends
from rolecall.model.errors import InputError
from tests.accounts.moto_world import ACCESS, MANAGEMENT, MotoWorld, build

REGION = "us-east-1"


def _clients(service: str, account: str) -> Any:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    client.meta.events.register(
        "before-sign.*.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account)
    )
    return client


@pytest.fixture
def mocked() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


def test_an_empty_moto_is_refused(mocked: None) -> None:
    with pytest.raises(InputError, match="moto holds no IAM entity"):
        read_moto_backends()


def test_the_world_reads_as_built_and_graphs_as_predicted(mocked: None) -> None:
    world: MotoWorld = build(_clients)
    iam = _clients("iam", MANAGEMENT)
    boundary = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="fn", PermissionsBoundary=boundary)
    iam.tag_role(RoleName="fn", Tags=[{"Key": "env", "Value": "prod"}])
    iam.update_role(RoleName="fn", MaxSessionDuration=7200)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    read = read_moto_backends()
    s = read.snapshot
    assert sorted(s.accounts) == sorted([MANAGEMENT, world.app])
    mgmt = s.accounts[MANAGEMENT]
    assert mgmt.users["alice"].tags == {"team": "blue"} and mgmt.users["alice"].groups == ("devs",)
    fn = mgmt.roles["fn"]
    assert fn.permissions_boundary == boundary and fn.tags == {"env": "prod"} and fn.max_session_duration == 7200
    assert [p.url for p in mgmt.oidc_providers] == ["https://token.actions.githubusercontent.com"]
    assert sorted(s.accounts[world.app].roles) == sorted([ACCESS, "reader", "open", "blocked-x"])
    assert s.organization is not None and s.organization.id == world.org_id
    assert s.organization.management_account == MANAGEMENT
    scps = [p for p in read.document["organization"]["policies"] if p["type"] == "SERVICE_CONTROL_POLICY"]
    assert sorted(p["name"] for p in scps) == ["FullAWSAccess", "no-blocked"]
    assert any("RCPFullAWSAccess" in n for n in read.notes)  # implied, said

    graph = build_graph(s)
    assert {(e.source, e.to): (e.conditional, e.conditions) for e in graph.edges} == world.edges
    assert {(e.source, e.to) for e in graph.unknown} == world.unknown and not graph.errors


def test_a_shared_read_is_reused_until_the_state_changes(mocked: None) -> None:
    """``shared=True``: the same state gives the same Read; a changed state is read anew."""
    iam = _clients("iam", "222222222222")
    iam.create_user(UserName="alice")
    first = read_moto_backends(["222222222222"], organization=False, shared=True)
    assert read_moto_backends(["222222222222"], organization=False, shared=True) is first
    assert read_moto_backends(["222222222222"], organization=False) is not first  # not shared: always read anew
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=json.dumps(allow))
    second = read_moto_backends(["222222222222"], organization=False, shared=True)
    assert second is not first
    user = second.snapshot.accounts["222222222222"].users["alice"]
    assert list(user.inline_policies) == ["p"]
    assert first.snapshot.accounts["222222222222"].users["alice"].inline_policies == {}
