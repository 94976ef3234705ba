"""The graph on Dask's distributed scheduler (rolecall[distributed]), sharded by account, equals the
graph of ``--jobs 1``: on a distributed.LocalCluster of two worker processes, from Python and from
``rolecall graph --scheduler``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

from rolecall.conformance.cli import main
from rolecall.model import decide, load_scenario
from rolecall.model.accounts import load_snapshot
from rolecall.model.accounts.graph import AccessGraph, Edge, build_graph
from rolecall.model.accounts.sharded import build_graph_distributed, shards
from tests.accounts.world import snapshot_doc
from tests.benchmarks.bench_graph import organization


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _key(e: Edge) -> tuple[Any, ...]:
    return (e.source, e.to, e.door, e.status, e.conditional, e.conditions, e.note, e.reason, e.rule)


def _same(one: AccessGraph, other: AccessGraph) -> None:
    for name in ("edges", "unknown", "errors"):
        assert [_key(e) for e in getattr(one, name)] == [_key(e) for e in getattr(other, name)], name
    assert one.nodes == other.nodes
    assert one.stats is not None and other.stats is not None
    assert one.stats.candidate_pairs == other.stats.candidate_pairs
    for e in other.edges:
        assert decide(load_scenario(e.scenario)).decision == "allowed", e.to_json()


def test_a_generated_organization_on_two_workers(scheduler: str) -> None:
    snapshot = load_snapshot(organization(3, 8, 8, seed=16))
    local = build_graph(snapshot)
    assert len(local.edges) > 40 and any(e.conditional for e in local.edges)
    _same(local, build_graph_distributed(snapshot, scheduler, shard_count=3))


def test_shards_never_split_an_account() -> None:
    from rolecall.model.accounts.graph import Analysis

    a = Analysis(load_snapshot(organization(3, 8, 8, seed=16)))
    pairs = a.candidates()
    parts = shards(a, pairs, 2)
    assert len(parts) == 2 and sorted(p for s in parts for p in s) == sorted(pairs)
    accounts = [{a.roles[ri].account for _, ri in s} for s in parts]
    assert not accounts[0] & accounts[1]


def test_the_command_with_a_scheduler(scheduler: str, tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot_doc()))
    out, err = io.StringIO(), io.StringIO()
    code = main(["graph", str(snap), "--out", str(tmp_path / "out"), "--scheduler", scheduler], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    edges = json.loads((tmp_path / "out" / "edges.json").read_text())
    local = build_graph(load_snapshot(snapshot_doc()))
    assert [(e["from"], e["to"], e["status"], e["conditional"], e["conditions"]) for e in edges] == [
        (e.source, e.to, e.status, e.conditional, list(e.conditions)) for e in local.all_edges()
    ]


def test_a_bad_scheduler_is_bad_usage(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot_doc()))
    out, err = io.StringIO(), io.StringIO()
    code = main(["graph", str(snap), "--out", str(tmp_path / "o"), "--scheduler", "local:0"], stdout=out, stderr=err)
    assert code == 2 and "local:N" in err.getvalue()
