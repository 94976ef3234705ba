"""The access graph of a small organization known by hand (tests/accounts/world.py): its edges,
their classifications and scenarios, chains, findings, and the two commands."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.cli import main
from rolecall.model import decide, load_scenario
from rolecall.model.accounts import load_snapshot
from rolecall.model.accounts.findings import findings
from rolecall.model.accounts.graph import AccessGraph, build_graph, merge_snapshots, paths
from tests.accounts.world import EXTERNAL, GITHUB, VENDOR, A, B, arn, snapshot_doc


@pytest.fixture(scope="module")
def graph() -> AccessGraph:
    return build_graph(load_snapshot(snapshot_doc()))


def _edges(graph: AccessGraph) -> dict[tuple[str, str], Any]:
    return {(e.source, e.to): e for e in graph.edges}


def test_edges_and_their_classes(graph: AccessGraph) -> None:
    edges = _edges(graph)
    alice, deploy, admin = arn(A, "user", "alice"), arn(A, "role", "deploy"), arn(A, "role", "admin")
    assert not edges[(alice, deploy)].conditional  # R10e: the account, and alice's group policy
    assert (arn(A, "user", "bob"), deploy) not in edges  # bob has no identity policy (R10e)
    assert not edges[(deploy, admin)].conditional  # a session of deploy, named directly (R10b)
    mfa = edges[(alice, arn(A, "role", "mfa"))]
    assert mfa.conditional and mfa.conditions == ("aws:MultiFactorAuthPresent",)
    partner = edges[(EXTERNAL, arn(A, "role", "partner"))]
    assert partner.conditional and partner.conditions == ("sts:ExternalId",)
    assert partner.scenario["request"]["external_id"] == "partner-42"
    assert partner.note and "allowing everything" in partner.note
    assert not edges[(VENDOR, arn(A, "role", "vendor"))].conditional
    assert not edges[("lambda.amazonaws.com", arn(A, "role", "lambda-exec"))].conditional
    assert not edges[("*", arn(B, "role", "public"))].conditional
    assert (arn(B, "user", "carol"), arn(B, "role", "public")) in edges  # same account, wildcard (R10d)
    assert (arn(B, "user", "carol"), deploy) not in edges  # deploy trusts its own account only
    gh = edges[(f"arn:aws:iam::{B}:oidc-provider/{GITHUB}", arn(B, "role", "gh"))]
    assert gh.door == "AssumeRoleWithWebIdentity" and gh.conditional
    assert not graph.unknown and not graph.errors


def test_every_edge_replays_allowed(graph: AccessGraph) -> None:
    for e in graph.edges:
        assert decide(load_scenario(e.scenario)).decision == "allowed", e.source


def test_only_candidates_are_decided(graph: AccessGraph) -> None:
    assert graph.stats is not None
    assert graph.stats.candidate_pairs < graph.stats.all_pairs / 4


def test_chains(graph: AccessGraph) -> None:
    admin = arn(A, "role", "admin")
    chains = paths(graph, admin, arn(A, "user", "alice"))
    assert [[h.edge.to for h in c] for c in chains] == [[arn(A, "role", "deploy"), admin]]
    everyone = paths(graph, admin)
    assert [c[0].edge.source for c in everyone] == [arn(A, "role", "deploy"), arn(A, "user", "alice")]
    assert paths(graph, admin, arn(B, "user", "carol")) == []


def test_findings(graph: AccessGraph) -> None:
    found = {(f.kind, f.role, f.principal): f for f in findings(load_snapshot(snapshot_doc()), graph)}
    assert found[("public-role", arn(B, "role", "public"), "*")].severity == "critical"
    assert ("no-external-id", arn(A, "role", "vendor"), VENDOR) in found
    assert ("no-external-id", arn(A, "role", "partner"), EXTERNAL) not in found
    assert ("outside-organization", arn(A, "role", "partner"), EXTERNAL) in found
    assert ("confused-deputy", arn(A, "role", "lambda-exec"), "lambda.amazonaws.com") in found
    admin = [f for f in found.values() if f.kind == "admin-reachable"]
    assert [f.role for f in admin] == [arn(A, "role", "admin")]
    assert [e.to for e in admin[0].path][-1] == arn(A, "role", "admin")
    assert decide(load_scenario(admin[0].to_json()["scenario"])).decision == "allowed"


def test_a_condition_nobody_meets_is_no_edge() -> None:
    doc = snapshot_doc()
    role = doc["accounts"][0]["roles"][0]
    role["trust_policy"]["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalArn": arn(A, "user", "nobody")}}
    graph = build_graph(load_snapshot(doc))
    assert arn(A, "role", "deploy") not in {e.to for e in graph.all_edges()}


def test_several_files_merge_and_an_account_twice_is_refused() -> None:
    doc = snapshot_doc()
    first = {**doc, "accounts": doc["accounts"][:1]}
    second = {"format": doc["format"], "accounts": doc["accounts"][1:]}
    merged = merge_snapshots([load_snapshot(first), load_snapshot(second)])
    assert sorted(merged.accounts) == [A, B]
    with pytest.raises(Exception, match="appears in two snapshots"):
        merge_snapshots([load_snapshot(first), load_snapshot(first)])


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_graph_command_writes_its_files(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot_doc()))
    code, _, err = _run("graph", str(snap), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert code == 0, err
    edges = json.loads((tmp_path / "out" / "edges.json").read_text())
    assert {"from", "to", "conditional", "conditions", "scenario"} <= set(edges[0])
    partner = next(e for e in edges if e["to"] == arn(A, "role", "partner"))
    assert partner["conditional"] and partner["conditions"] == ["sts:ExternalId"]
    kinds = {f["kind"] for f in json.loads((tmp_path / "out" / "findings.json").read_text())}
    assert {"public-role", "no-external-id", "confused-deputy", "admin-reachable"} <= kinds
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert summary.startswith("# Access graph") and "critical" in summary
    replay = tmp_path / "edge.json"
    replay.write_text(json.dumps(partner["scenario"]))
    assert _run("decide", str(replay))[0] == 0


def test_the_paths_command(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot_doc()))
    code, out, _ = _run("paths", str(snap), "--to", arn(A, "role", "admin"), "--from", arn(A, "user", "alice"))
    assert code == 0
    assert out.splitlines() == [
        f"2 hop(s): {arn(A, 'user', 'alice')}",
        f"  -> {arn(A, 'role', 'deploy')}",
        f"  -> {arn(A, 'role', 'admin')}",
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"format": "rolecall-snapshot/1", "accounts": [{"id": "12"}]}', "$.accounts[0].id"),
        ('{"format": "rolecall-snapshot/2"}', "$.format"),
        ("{", "$"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_path(tmp_path: Path, text: str, where: str) -> None:
    snap = tmp_path / "bad.json"
    snap.write_text(text)
    code, out, err = _run("graph", str(snap), "--out", str(tmp_path / "out"))
    assert code == 2 and not out
    assert err.count("\n") == 1 and str(snap) in err and f"(at {where})" in err


def test_a_tag_the_user_lacks_is_no_edge_and_a_sessions_is_unknown() -> None:
    """A trust statement that asks for ``aws:PrincipalTag/team``: a user's tags are the snapshot's (no
    request changes them), so a user without the tag gets no edge and no solver question; a role
    session's tags also hold what its own AssumeRole passed, so without the tag it stays unknown."""
    from rolecall.model.accounts import load_snapshot
    from rolecall.model.accounts.graph import build_graph

    account = "111122223333"
    tagged = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
            }
        ],
    }
    assume = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    doc = {
        "format": "rolecall-snapshot/1",
        "accounts": [
            {
                "id": account,
                "users": [
                    {"name": "blue", "tags": {"team": "blue"}, "inline_policies": {"a": assume}},
                    {"name": "red", "tags": {"team": "red"}, "inline_policies": {"a": assume}},
                ],
                "roles": [
                    {"name": "tagged", "trust_policy": tagged},
                    {"name": "runner", "trust_policy": tagged, "inline_policies": {"a": assume}},
                ],
            }
        ],
    }
    graph = build_graph(load_snapshot(doc))
    edges = {(e.source.rsplit("/", 1)[-1], e.to.rsplit("/", 1)[-1], e.status) for e in graph.all_edges()}
    assert ("blue", "tagged", "edge") in edges, edges
    assert not any(f == "red" for f, _, _ in edges), edges  # a user's tag: no edge, not unknown
    assert ("runner", "tagged", "unknown") in edges, edges  # a session may carry session tags


@pytest.mark.parametrize(
    ("principal", "condition"),
    [
        (
            {"Service": "ec2.amazonaws.com"},
            {"ForAnyValue:StringEquals": {"aws:PrincipalServiceNamesList": "ec2.amazonaws.com"}},
        ),
        (
            {"AWS": "arn:aws:iam::111122223333:root"},
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abcdefghij/*"}},
        ),
    ],
    ids=["service-names-list", "org-paths"],
)
def test_keys_the_model_does_not_compute_are_not_fixed(principal: dict[str, Any], condition: dict[str, Any]) -> None:
    """aws:PrincipalServiceNamesList and aws:PrincipalOrgPaths are given in a scenario's context (the
    model does not compute them), so a request can satisfy them: the pair is a conditional edge or
    unknown, never silently "no edge" (a reviewer found both dropped)."""
    from rolecall.model.accounts import load_snapshot
    from rolecall.model.accounts.graph import build_graph

    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", "Condition": condition}],
    }
    assume = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    doc = {
        "format": "rolecall-snapshot/1",
        "accounts": [
            {
                "id": "111122223333",
                "users": [{"name": "alice", "inline_policies": {"a": assume}}],
                "roles": [{"name": "r", "trust_policy": trust}],
            }
        ],
    }
    graph = build_graph(load_snapshot(doc))
    assert [e for e in graph.all_edges() if e.to.endswith("role/r")], graph.all_edges()
