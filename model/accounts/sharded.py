"""The access graph's pairs decided on Dask's distributed scheduler, sharded by account.

The optional extra ``rolecall[distributed]`` (``dask[distributed]``); ``rolecall graph --scheduler
ADDRESS`` (a running scheduler, ``tcp://host:8786``) or ``--scheduler local:N`` (a
:class:`distributed.LocalCluster` of N worker processes on this machine). docs/graph.md, "Scale".

The client builds the index (:meth:`Analysis.candidates`) and the roles' witnesses in role order,
as for ``--jobs`` (:func:`~rolecall.model.accounts.graph.role_witnesses`), then shares the candidate
pairs out **by the role's account**: a shard is the pairs of the roles of some accounts, with those
roles' witnesses. The snapshot goes to every worker once (its ``rolecall-snapshot/1`` document: a
parsed snapshot holds compiled matchers, which do not pickle), where it is loaded once and the same
analysis is built (the same callers and roles in the same order: the pairs' indices mean the same
there). A worker decides its shards with :func:`~rolecall.model.accounts.graph.decide_pairs`, the
model as everywhere, and returns the decided pairs without their documents; the client builds the
edges. The graph is the one ``--jobs 1`` gives (tests/accounts/test_graph_dask.py).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import InputError
from .graph import DEFAULT_TIMEOUT_MS, AccessGraph, Analysis, Found, Runner, build_graph, decide_pairs
from .snapshot import Snapshot, dump_snapshot, load_snapshot

__all__ = ["build_graph_distributed", "connect", "dask_runner", "shards"]

EXTRA = "the distributed extra is not installed: pip install 'rolecall[distributed]'"

# One analysis per snapshot in a worker process; one shard at a time (Z3 and the policy parser's
# memory are not thread-safe, and a worker may run tasks in threads).
_ANALYSES: dict[str, Analysis] = {}
_LOCK = threading.Lock()


def _shard(
    doc: dict[str, Any],
    token: str,
    sizes: tuple[int, int],
    timeout_ms: int,
    pairs: list[tuple[int, int]],
    witnesses: dict[str, dict[str, Any] | None],
    prune: bool,
) -> tuple[list[Found], int]:
    """A worker's task: decide one shard's pairs with the snapshot's analysis (built once per worker)."""
    with _LOCK:
        a = _ANALYSES.get(token)
        if a is None:
            _ANALYSES.clear()  # one snapshot at a time
            a = _ANALYSES[token] = Analysis(load_snapshot(doc), timeout_ms)
        if (len(a.callers), len(a.roles)) != sizes:  # pragma: no cover - dump_snapshot/load_snapshot round-trip
            raise RuntimeError("the worker's snapshot differs from the client's")
        a._witness.update(witnesses)
        return decide_pairs(a, pairs, prune)


def shards(a: Analysis, pairs: Sequence[tuple[int, int]], count: int) -> list[list[tuple[int, int]]]:
    """The pairs in at most ``count`` shards, each the pairs of the roles of some accounts (an account
    is never split), the accounts given out largest first to the smallest shard."""
    by_account: dict[str, list[tuple[int, int]]] = {}
    for ci, ri in pairs:
        by_account.setdefault(a.roles[ri].account, []).append((ci, ri))
    out: list[list[tuple[int, int]]] = [[] for _ in range(max(1, min(count, len(by_account))))]
    for account in sorted(by_account, key=lambda k: (-len(by_account[k]), k)):
        min(out, key=len).extend(by_account[account])
    return [sorted(s) for s in out if s]


def dask_runner(client: Any, shard_count: int | None = None) -> Runner:
    """A :data:`~rolecall.model.accounts.graph.Runner` deciding on ``client``'s cluster, in
    ``shard_count`` shards (default: four per worker thread)."""

    def run(a: Analysis, pairs: list[tuple[int, int]], prune: bool) -> tuple[list[Found], int]:
        if not pairs:
            return [], 0
        threads = sum(client.nthreads().values()) or 1
        parts = shards(a, pairs, shard_count or 4 * threads)
        [doc] = client.scatter([dump_snapshot(a.snapshot)], broadcast=True)
        token = uuid.uuid4().hex
        sizes = (len(a.callers), len(a.roles))
        futures = []
        for part in parts:
            arns = {a.role_arns[ri] for _, ri in part}
            witnesses = {arn: w for arn, w in a._witness.items() if arn in arns}
            futures.append(client.submit(_shard, doc, token, sizes, a.timeout_ms, part, witnesses, prune, pure=False))
        found: list[Found] = []
        questions = 0
        for part_found, q in client.gather(futures):
            found += [Found(*f) for f in part_found]
            questions += q
        return found, questions

    return run


@contextmanager
def connect(scheduler: str) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler`` (``tcp://host:8786``), or of a local cluster
    of N worker processes (``local:N``), closed on exit. :class:`InputError` without the extra."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(EXTRA, "--scheduler") from None
    if scheduler.startswith("local:"):
        n = scheduler.removeprefix("local:")
        if not n.isdigit() or int(n) < 1:
            raise InputError(f"local:N with N at least 1, not {scheduler!r}", "--scheduler")
        with (
            LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(scheduler) as client:
            yield client


def build_graph_distributed(
    snapshot: Snapshot, scheduler: str, *, timeout_ms: int = DEFAULT_TIMEOUT_MS, shard_count: int | None = None
) -> AccessGraph:
    """:func:`~rolecall.model.accounts.graph.build_graph` with the pairs decided on Dask's
    distributed scheduler (:func:`connect`)."""
    with connect(scheduler) as client:
        return build_graph(snapshot, timeout_ms=timeout_ms, run=dask_runner(client, shard_count))
