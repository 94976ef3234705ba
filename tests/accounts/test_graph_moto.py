"""End to end through moto's server: a world built through the IAM and Organizations APIs
(tests/accounts/moto_world.py), dumped by the real AWS CLI (``get-account-authorization-details`` of
each account, the Organizations listing calls) and by ``rolecall collect``; ``rolecall graph`` on
each must give the graph the world's design predicts, and the two graphs must be equal. The same
world read from moto's in-process backends (``read_moto_backends``, the server runs in this process)
must be the snapshot ``collect`` reads over HTTP.

moto's backends and its auth switch are process-global: the fixture starts from a reset world with
auth off and resets it when done (as tests/accounts/test_collect.py does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from rolecall.model import decide, load_scenario
from rolecall.model.accounts import dump_snapshot, load_snapshot
from rolecall.model.accounts.readers import read_moto_backends
from tests.accounts.moto_world import ACCESS, MANAGEMENT, MotoWorld, build
from tests.accounts.test_collect import CLI_TIMEOUT, REGION, aws_env, canon, moto_server, require_awscli, run_cli
from tests.moto_clients import provisioning_client

__all__ = ["aws_env"]  # the fixture, imported for this module's tests


@dataclass
class Served:
    endpoint_url: str
    world: MotoWorld


def clients_for(endpoint_url: str) -> Any:
    def clients(service: str, account: str) -> Any:
        return provisioning_client(endpoint_url, service, account, REGION)

    return clients


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with moto_server() as endpoint_url:
        yield Served(endpoint_url, build(clients_for(endpoint_url)))


def _aws(env: dict[str, str], endpoint_url: str, *args: str) -> Any:
    """One real AWS CLI call (out of process) against the server; its JSON output."""
    cmd = [
        sys.executable,
        "-m",
        "awscli",
        *args,
        "--endpoint-url",
        endpoint_url,
        "--region",
        REGION,
        "--output",
        "json",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    assert done.returncode == 0, (args, done.stderr)
    return json.loads(done.stdout)


def _cli_dumps(served: Served, aws_env: dict[str, str], tmp_path: Path) -> list[str]:
    """The world as the AWS CLI dumps it: GAAD of each account (the member account through
    ``OrganizationAccountAccessRole``'s credentials) and the Organizations snapshot of
    docs/accounts.md, made of the CLI's listing outputs. Returns the ``rolecall snapshot`` arguments."""
    require_awscli()
    env = {name: os.environ[name] for name in ("PATH", "SYSTEMROOT", "PYTHONPATH") if name in os.environ}
    env.update(aws_env, HOME=str(tmp_path), NO_PROXY="127.0.0.1", PYTHONIOENCODING="utf-8")
    url = served.endpoint_url
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION, config=Config(proxies={}))
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{served.world.app}:role/{ACCESS}", RoleSessionName="dump")[
        "Credentials"
    ]
    app_env = {
        **env,
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    files = []
    for account, account_env in ((MANAGEMENT, env), (served.world.app, app_env)):
        gaad = _aws(account_env, url, "iam", "get-account-authorization-details")
        arns = [r["Arn"] for r in gaad["RoleDetailList"]]
        assert arns and all(f"::{account}:" in a for a in arns)  # each dump is of its own account
        path = tmp_path / f"gaad-{account}.json"
        path.write_text(json.dumps(gaad), encoding="utf-8")
        files.append(str(path))
    org: dict[str, Any] = {
        "Organization": _aws(env, url, "organizations", "describe-organization")["Organization"],
        "Roots": _aws(env, url, "organizations", "list-roots")["Roots"],
        "OrganizationalUnits": [],
        "Accounts": [],
        "Policies": [],
    }
    root = org["Roots"][0]["Id"]
    ous = _aws(env, url, "organizations", "list-organizational-units-for-parent", "--parent-id", root)
    assert ous["OrganizationalUnits"] == []  # the world's accounts are under the root
    for a in _aws(env, url, "organizations", "list-accounts-for-parent", "--parent-id", root)["Accounts"]:
        org["Accounts"].append({**a, "ParentId": root})
    listed = _aws(env, url, "organizations", "list-policies", "--filter", "SERVICE_CONTROL_POLICY")["Policies"]
    for summary in listed:
        policy = _aws(env, url, "organizations", "describe-policy", "--policy-id", summary["Id"])["Policy"]
        targets = _aws(env, url, "organizations", "list-targets-for-policy", "--policy-id", summary["Id"])["Targets"]
        org["Policies"].append({**policy, "Targets": targets})
    org_path = tmp_path / "organization.json"
    org_path.write_text(json.dumps(org), encoding="utf-8")
    return [*files, "--organization", str(org_path)]


def _graph(snapshot: Path, out: Path) -> list[dict[str, Any]]:
    code, _, stderr = run_cli("graph", str(snapshot), "--out", str(out))
    assert code == 0, stderr
    edges: list[dict[str, Any]] = json.loads((out / "edges.json").read_text(encoding="utf-8"))
    return edges


def _shape(edges: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """What an edge says, without its scenario (a witness request may differ between runs)."""
    return {(e["from"], e["to"], e["status"], e["conditional"], tuple(e["conditions"])) for e in edges}


def test_the_cli_dump_and_collect_give_the_predicted_graph(
    served: Served, aws_env: dict[str, str], tmp_path: Path
) -> None:
    cli_snapshot, collected = tmp_path / "cli.json", tmp_path / "collected.json"
    code, _, stderr = run_cli("snapshot", *_cli_dumps(served, aws_env, tmp_path), "-o", str(cli_snapshot))
    assert code == 0, stderr
    code, _, stderr = run_cli(
        "collect", "--endpoint-url", served.endpoint_url, "--assume-role", ACCESS, "--retries", "2", "-q",
        "-o", str(collected),
    )  # fmt: skip
    assert (code, stderr) == (0, "")
    by_cli, by_collect = _graph(cli_snapshot, tmp_path / "cli"), _graph(collected, tmp_path / "collected")

    world = served.world
    predicted = {(f, t, "edge", c, keys) for (f, t), (c, keys) in world.edges.items()}
    predicted |= {(f, t, "unknown", True, ("aws:principaltag/team",)) for f, t in world.unknown}
    assert _shape(by_cli) == predicted
    assert _shape(by_collect) == _shape(by_cli)
    # what the design hinges on: bob has no identity policy, dave's SCP denies blocked-*, alice's group
    # reaches app-* only, and app-admin trusts the role app-deploy and nobody else
    pairs = {(e["from"], e["to"]) for e in by_cli}
    assert (f"arn:aws:iam::{MANAGEMENT}:user/bob", f"arn:aws:iam::{MANAGEMENT}:role/app-deploy") not in pairs
    assert (f"arn:aws:iam::{world.app}:user/dave", f"arn:aws:iam::{world.app}:role/blocked-x") not in pairs
    assert (f"arn:aws:iam::{MANAGEMENT}:user/alice", f"arn:aws:iam::{world.app}:role/{ACCESS}") not in pairs
    assert {e["from"] for e in by_cli if e["to"].endswith(":role/app-admin")} == {
        f"arn:aws:iam::{MANAGEMENT}:role/app-deploy"
    }
    # every edge is a scenario the model allows
    for e in by_collect:
        if e["status"] == "edge":
            assert decide(load_scenario(e["scenario"])).decision == "allowed", (e["from"], e["to"])


def test_moto_backends_read_what_collect_reads(served: Served, aws_env: dict[str, str], tmp_path: Path) -> None:
    """The server runs in this process: moto's in-process state is the world ``collect`` reads over HTTP."""
    out = tmp_path / "collected.json"
    code, _, stderr = run_cli(
        "collect", "--endpoint-url", served.endpoint_url, "--assume-role", ACCESS, "-q", "-o", str(out)
    )
    assert (code, stderr) == (0, "")
    collected = load_snapshot(json.loads(out.read_text(encoding="utf-8")))
    read = read_moto_backends()
    assert canon(dump_snapshot(read.snapshot)) == canon(dump_snapshot(collected))
    assert sorted(read.snapshot.accounts) == sorted([MANAGEMENT, served.world.app])
    assert read.counts["roles"] == 11 and read.counts["users"] == 4
    one = read_moto_backends([served.world.app], organization=False)
    assert list(one.snapshot.accounts) == [served.world.app] and one.snapshot.organization is None
