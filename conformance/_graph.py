"""The access graph's commands (private; docs/graph.md).

``rolecall graph SNAPSHOT… --out DIR [--jobs N | --scheduler ADDRESS|local:N]`` writes
``DIR/edges.json`` (every edge, unknown and error), ``DIR/findings.json``, ``DIR/summary.md`` and
``DIR/graph.html`` (the picture, ``rolecall.model.accounts.picture``); ``rolecall paths SNAPSHOT… --to ROLE
[--from PRINCIPAL]`` prints the shortest chains that reach a role.

Exit codes: 0 done (findings or not), 2 bad usage or input (one line naming the file and the JSON
path), 3 internal error (cli.main).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from typing import Any, TextIO

from rolecall.model import InputError
from rolecall.model.accounts import Snapshot, load_snapshot
from rolecall.model.accounts.findings import Finding, findings
from rolecall.model.accounts.graph import AccessGraph, build_graph, merge_snapshots, paths
from rolecall.model.accounts.picture import picture_html
from rolecall.model.policy import load_json

from ._files import write_atomic

__all__ = ["GRAPH_COMMANDS", "add_graph_commands", "run_graph_command"]

EXIT_OK, EXIT_INPUT = 0, 2
GRAPH_COMMANDS = ("graph", "paths")


def add_graph_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "graph",
        help="the access graph of accounts: who can assume which role, with findings",
        description="Decide, with the model, every principal that can assume each role of the snapshots "
        "(rolecall-snapshot/1 files, one per account or one for all), and write DIR/edges.json, DIR/findings.json, "
        "DIR/summary.md and DIR/graph.html (the picture: open it in a browser). Exit 0 written, 2 bad input.",
    )
    p.add_argument("snapshots", nargs="+", metavar="SNAPSHOT", help="snapshot files")
    p.add_argument("--out", required=True, metavar="DIR", help="the directory to write")
    _common(p)
    p = sub.add_parser(
        "paths",
        help="the shortest chains of role assumptions that reach a role",
        description="Print the shortest chains (role chaining included) that reach ROLE, one per principal, or "
        "from PRINCIPAL only. Exit 0 printed (possibly none), 2 bad input.",
    )
    p.add_argument("snapshots", nargs="+", metavar="SNAPSHOT", help="snapshot files")
    p.add_argument("--to", required=True, metavar="ROLE", help="the role ARN")
    p.add_argument("--from", dest="source", metavar="PRINCIPAL", help="a user or role ARN, account id, service, *")
    p.add_argument("--json", action="store_true", help="the chains as JSON")
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="processes deciding pairs (default 1)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="decide the pairs on Dask's distributed scheduler at ADDRESS (tcp://host:8786), or on a local "
        "cluster of N worker processes (local:N), sharded by account; needs rolecall[distributed]",
    )
    p.add_argument(
        "--timeout-ms", type=int, default=10_000, metavar="MS", help="the solver's budget per question (10,000)"
    )


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n") + "\n"


def _read(paths_: list[str]) -> Snapshot:
    loaded = []
    for name in paths_:
        path = name.removeprefix("file://")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}", "$") from None
        try:
            doc = load_json(text)
        except InputError as exc:
            raise InputError(f"{path}: {exc.message}", exc.path) from None
        except ValueError as exc:
            raise InputError(f"{path}: not JSON: {exc}", "$") from None
        try:
            loaded.append(load_snapshot(doc))
        except InputError as exc:
            raise InputError(f"{path}: {exc.message}", exc.path) from None
    try:
        return merge_snapshots(loaded)
    except InputError as exc:
        i = exc.path.split("]", 1)[0].removeprefix("$[")
        name = paths_[int(i)] if i.isdigit() else ", ".join(paths_)
        raise InputError(f"{name}: {exc.message}", "$" + exc.path.split("]", 1)[-1]) from None


def _array(items: list[Any]) -> str:
    """A JSON array with one item per line: readable and ``grep``-able, and written by the json module's
    C encoder (an indented dump runs its Python encoder, about ten times slower: 24 of 46 s on
    85,000 edges)."""
    return "[\n" + ",\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n]\n"


def run_graph_command(args: argparse.Namespace, out: TextIO, err: TextIO, inp: TextIO) -> int:
    if args.jobs < 1:
        err.write("rolecall: error: --jobs must be at least 1\n")
        return EXIT_INPUT
    try:
        snapshot = _read(args.snapshots)
    except InputError as exc:
        err.write(_one_line(f"rolecall: bad input: {exc.message} (at {exc.path})"))
        return EXIT_INPUT
    start = time.monotonic()
    if args.scheduler:
        from rolecall.model.accounts.sharded import build_graph_distributed

        try:
            graph = build_graph_distributed(snapshot, args.scheduler, timeout_ms=args.timeout_ms)
        except InputError as exc:
            err.write(_one_line(f"rolecall: error: {exc.message} (at {exc.path})"))
            return EXIT_INPUT
    else:
        graph = build_graph(snapshot, jobs=args.jobs, timeout_ms=args.timeout_ms)
    if args.command == "paths":
        return _paths(graph, args, out, err)
    found = findings(snapshot, graph)
    os.makedirs(args.out, exist_ok=True)
    write_atomic(os.path.join(args.out, "edges.json"), _array(graph.to_json()))
    write_atomic(os.path.join(args.out, "findings.json"), _array([x.to_json() for x in found]))
    write_atomic(os.path.join(args.out, "summary.md"), summary(snapshot, graph, found, time.monotonic() - start))
    write_atomic(os.path.join(args.out, "graph.html"), picture_html(snapshot, graph, found))
    s = graph.stats
    assert s is not None
    out.write(
        f"rolecall graph: {len(graph.edges)} edges ({sum(e.conditional for e in graph.edges)} conditional), "
        f"{len(graph.unknown)} unknown, {len(graph.errors)} errors, {len(found)} findings; "
        f"{s.candidate_pairs} of {s.all_pairs} pairs decided; written to {args.out}\n"
    )
    return EXIT_OK


def _paths(graph: AccessGraph, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.to not in {e.to for e in graph.all_edges()} and args.to not in graph.nodes:
        err.write(_one_line(f"rolecall: bad input: no role {args.to} in the snapshot (at --to)"))
        return EXIT_INPUT
    chains = paths(graph, args.to, args.source)
    if args.json:
        out.write(json.dumps([[h.to_json() for h in c] for c in chains], indent=1) + "\n")
        return EXIT_OK
    if not chains:
        who = args.source or "any principal"
        out.write(f"no chain from {who} reaches {args.to}\n")
        return EXIT_OK
    for c in chains:
        out.write(f"{len(c)} hop(s): {c[0].edge.source}\n")
        for h in c:
            cond = f" if {', '.join(h.edge.conditions)}" if h.edge.conditional else ""
            out.write(f"  -> {h.edge.to}{cond}\n")
    return EXIT_OK


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary(snapshot: Snapshot, graph: AccessGraph, found: list[Finding], seconds: float) -> str:
    """The Markdown summary: the figures, the findings by severity, every role's incoming edges."""
    s = graph.stats
    assert s is not None
    kinds = Counter(n.kind for n in graph.nodes.values())
    lines = [
        "# Access graph",
        "",
        f"{len(snapshot.accounts)} account(s), organization "
        f"{snapshot.organization.id if snapshot.organization else 'none'}; nodes: "
        + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        + ".",
        "",
        f"{len(graph.edges)} edges ({sum(e.conditional for e in graph.edges)} conditional), "
        f"{len(graph.unknown)} unknown, {len(graph.errors)} errors. The model decided "
        f"{s.candidate_pairs} candidate pairs of {s.all_pairs} (callers x roles); the solver answered "
        f"{s.solver_questions} questions; {seconds:.1f} s.",
        "",
        "## Findings",
        "",
    ]
    if not found:
        lines.append("None.")
    else:
        for sev, n in sorted(Counter(f.severity for f in found).items(), key=lambda kv: _SEV.get(kv[0], 9)):
            lines.append(f"* {sev}: {n}")
        lines += ["", "| severity | kind | role | principal | what |", "|---|---|---|---|---|"]
        lines += [
            f"| {f.severity} | {f.kind} | `{f.role}` | `{_cell(f.principal)}` | {_cell(f.message)} |" for f in found
        ]
    lines += ["", "## Who can assume each role", ""]
    incoming: dict[str, list[Any]] = {}
    for e in graph.all_edges():
        incoming.setdefault(e.to, []).append(e)
    for role in sorted(incoming):
        lines.append(f"### `{role}`")
        lines.append("")
        for e in incoming[role]:
            tag = "" if e.status == "edge" else f" **{e.status}**"
            cond = f" if {', '.join(e.conditions)}" if e.conditional else ""
            lines.append(f"* `{_cell(e.source)}`{cond}{tag}")
        lines.append("")
    return "\n".join(lines) + "\n"


_SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}
