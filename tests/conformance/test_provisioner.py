"""The API provisioner (``conformance/targets/_aws.py``) creates the caller the model decides about.

A permissions boundary binds an IAM user's requests as it binds a role session's (R9, R10): a target that
declares ``user-boundaries`` must get the user with that boundary attached, as the provisioning script of
a divergence report (``reproduce.py``) attaches it; otherwise the model and the target would decide
different worlds. Real moto, in-process.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto import mock_aws

from rolecall.conformance._world import plan
from rolecall.conformance.targets._aws import ApiProvisioner
from tests.moto_clients import mock_client

A = "111111111111"
BOUNDARY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}


def _doc(caller: dict[str, Any]) -> dict[str, Any]:
    return {
        "caller": caller,
        "role": {
            "arn": f"arn:aws:iam::{A}:role/Target",
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}
                ],
            },
        },
        "request": {"role_session_name": "s"},
    }


@pytest.mark.parametrize("kind", ["user", "role-session"])
def test_the_callers_boundary_is_attached(kind: str) -> None:
    """The boundary is created as a managed policy and attached where the caller is created: CreateUser's
    ``PermissionsBoundary`` (moto 5.2.5 accepts the parameter but keeps no user boundary, so the request
    itself is checked), CreateRole's for a role session's role (which moto keeps)."""
    arn = f"arn:aws:iam::{A}:user/alice" if kind == "user" else f"arn:aws:sts::{A}:assumed-role/Dev/s1"
    p = plan(_doc({"arn": arn, "permissions_boundary": BOUNDARY}))
    sent: dict[str, list[dict[str, Any]]] = {}

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.setdefault(model.name, []).append(dict(params))

    def iam_client(account: str) -> Any:
        client = mock_client("iam", account=account)
        client.meta.events.register("before-parameter-build.iam", record)
        return client

    with mock_aws():
        prov = ApiProvisioner(iam_client, lambda account: mock_client("sts", account=account))
        prov.provision(p)
        iam = mock_client("iam", account=A)
        if kind == "user":
            attached = sent["CreateUser"][0]["PermissionsBoundary"]
        else:
            attached = iam.get_role(RoleName="Dev")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
            assert sent["CreateRole"][0]["PermissionsBoundary"] == attached  # the caller's role, then the target
        policy = iam.get_policy(PolicyArn=attached)["Policy"]
        document = iam.get_policy_version(PolicyArn=attached, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert document["Document"] == BOUNDARY
    assert (A, "policy", attached) in prov.created
    # every call logs what it created, but the role session's AssumeRole: calls() counts the boundary too
    assert prov.calls(p) == len(prov.created) + (kind == "role-session")
