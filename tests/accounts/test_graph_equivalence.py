"""The index is sound: on generated snapshots, the graph decided on candidate pairs only equals the
brute-force pairwise model decisions (every caller x every role), edges and classifications
(docs/graph.md, "Scale")."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from rolecall.model import decide, load_scenario
from rolecall.model.accounts import load_snapshot
from rolecall.model.accounts.graph import AccessGraph, Edge, brute_force_graph, build_graph
from rolecall.strategies import snapshots
from tests.examples import scaled


def _key(e: Edge) -> tuple[Any, ...]:
    """An edge and its classification. The scenario's request is the solver's witness, which may
    differ from one question to the next; every scenario is checked to be allowed instead."""
    return (e.source, e.to, e.door, e.status, e.conditional, e.conditions)


def _keys(edges: list[Edge]) -> list[tuple[Any, ...]]:
    return sorted(_key(e) for e in edges)


def _replays(graph: AccessGraph) -> None:
    for e in graph.edges:
        assert decide(load_scenario(e.scenario)).decision == "allowed", e.to_json()


@settings(max_examples=scaled(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_the_index_equals_the_brute_force(doc: dict[str, Any]) -> None:
    snapshot = load_snapshot(doc)
    graph = build_graph(snapshot)
    assert graph.stats is not None and graph.stats.candidate_pairs <= graph.stats.all_pairs
    # Every pair, with the same solver shortcuts: the index drops no pair the model would decide otherwise.
    pairwise = brute_force_graph(snapshot, shortcuts=True)
    assert _keys(graph.edges) == _keys(pairwise.edges)
    assert _keys(graph.unknown) == _keys(pairwise.unknown)
    assert _keys(graph.errors) == _keys(pairwise.errors)
    # Every pair without the shortcuts: the solver is asked about every refused pair, and finds no other edge.
    full = brute_force_graph(snapshot)
    assert _keys(graph.edges) == _keys(full.edges)
    assert set(_keys(graph.unknown)) <= set(_keys(full.unknown))
    _replays(graph)


@settings(max_examples=scaled(5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(organization=True))
def test_jobs_give_the_same_graph(doc: dict[str, Any]) -> None:
    snapshot = load_snapshot(doc)
    one, two = build_graph(snapshot), build_graph(snapshot, jobs=2)
    assert _keys(one.edges) == _keys(two.edges)
    assert _keys(one.unknown) == _keys(two.unknown)
    assert _keys(one.errors) == _keys(two.errors)
    _replays(two)


@settings(max_examples=scaled(25), deadline=None)
@given(snapshots(organization=True))
def test_the_trimmed_organization_decides_as_the_whole(doc: dict[str, Any]) -> None:
    """Pairs carry the SCP chain of the caller's account and the RCP chain of the role's only
    (R7, R6): the whole organization_doc decides every plain pair the same."""
    from rolecall.model.accounts.graph import Analysis

    snapshot = load_snapshot(doc)
    a = Analysis(snapshot)
    whole = snapshot.organization_doc()
    for ci in range(len(a.callers)):
        for role in a.roles:
            trimmed = a.plain(a.callers[ci], role)
            assert decide(load_scenario(trimmed)) == decide(load_scenario({**trimmed, "organization": whole}))
