"""rolecall's access graph beside PMapper's (``principalmapper`` from PyPI), on the same moto-server world.

    python -m tests.benchmarks.bench_pmapper                  # the world, then 100, 300, 1000 users and roles
    python -m tests.benchmarks.bench_pmapper --sizes 100,1000,3000 --cap 600 --out bench-pmapper

1. **Disagreements**: the world of tests/accounts/moto_world.py is built in a moto server (127.0.0.1,
   in this process). PMapper maps each account (``pmapper orgs create``, ``pmapper graph create`` in
   each account, ``pmapper orgs create`` again for the cross-account edges) and rolecall reads it
   (``rolecall collect --assume-role OrganizationAccountAccessRole``, ``rolecall graph``). Every edge on
   which they disagree is printed with the reason (docs/graph.md, "Beside PMapper") and written with
   rolecall's scenario to ``OUT/disagreements.json``.
2. **Speed**: the world's management account plus N users and N roles (``moto_world.bulk``), for each
   N of ``--sizes`` until PMapper takes longer than ``--cap`` seconds: PMapper's ``graph create`` (its
   gathering over HTTP and its edge identification) beside ``rolecall collect`` + ``rolecall graph``,
   each a child process, in one run; and the analysis alone (PMapper's ``sts`` edge checker on its
   stored nodes, rolecall's ``graph`` on the collected snapshot).

PMapper 1.1.5 imports ``collections.Mapping``, removed in Python 3.10: it runs in a child process
whose ``collections`` module is given the two ``collections.abc`` names first (:data:`_PMAPPER`); its
code is unchanged. It reaches the server through ``AWS_ENDPOINT_URL`` (botocore honours it), and is
limited to its ``sts`` edges (``--include-services sts``) and one region, as rolecall decides role
assumption only. Exit 0 when the figures were measured (no target is asserted here; the issue's
10x target is reported as met or not).
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.accounts.moto_world import ACCESS, MANAGEMENT, build, bulk

REGION = "us-east-1"
_PMAPPER = (
    "import collections, collections.abc, runpy;"
    "collections.Mapping = collections.abc.Mapping; collections.MutableMapping = collections.abc.MutableMapping;"
    "runpy.run_module('principalmapper', run_name='__main__', alter_sys=True)"
)
_PMAPPER_EDGES = (
    "import collections, collections.abc, sys, time;"
    "collections.Mapping = collections.abc.Mapping; collections.MutableMapping = collections.abc.MutableMapping;"
    "from principalmapper.common import Graph; from principalmapper.graphing.sts_edges import generate_edges_locally;"
    "g = Graph.create_graph_from_local_disk(sys.argv[1]); t = time.perf_counter();"
    "e = generate_edges_locally(g.nodes); print(time.perf_counter() - t, len(e))"
)


def _env(endpoint: str, storage: str, creds: dict[str, str] | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "PYTHONPATH", "SYSTEMROOT") if name in os.environ}
    env.update(
        HOME=storage,
        PMAPPER_STORAGE=storage,
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="AKIAROLECALLBENCH001",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.path.join(storage, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(storage, "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1",
    )
    env.update(creds or {})
    return env


def _child(argv: list[str], env: dict[str, str], timeout: float | None = None) -> tuple[float, str]:
    """Run a child process; its wall time and stdout (a failure raises, with its stderr)."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}… exited {done.returncode}: {done.stderr[-2000:]}")
    return wall, done.stdout


def _pmapper(env: dict[str, str], *args: str, timeout: float | None = None) -> float:
    return _child([sys.executable, "-c", _PMAPPER, *args], env, timeout)[0]


def _rolecall(env: dict[str, str], *args: str) -> float:
    return _child([sys.executable, "-m", "rolecall.conformance.cli", *args], env)[0]


class Server:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        _, port = self.server.get_host_and_port()
        self.endpoint = f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        from tests.accounts.test_collect import moto_api

        moto_api(self.endpoint, "reset", "")
        moto_api(self.endpoint, "reset-auth", "inf")

    def clients(self, service: str, account: str) -> Any:
        from tests.accounts.test_graph_moto import clients_for

        return clients_for(self.endpoint)(service, account)

    def stop(self) -> None:
        self.server.stop()


def _explain(source: str, to: str, edge: dict[str, Any] | None, admins: set[str], nodes: set[str]) -> str:
    """Why PMapper and rolecall disagree on one pair (docs/graph.md, "Beside PMapper")."""
    if edge is None:
        return "PMapper only: not explained (rolecall finds no edge)"
    if source not in nodes:
        return "PMapper has no node for principals outside the accounts it maps (external accounts, services)"
    if source in admins:
        return "PMapper skips admin sources: an admin 'can reach anything', no edge is recorded (sts_edges.py:64-66)"
    if edge["status"] == "unknown":
        return "rolecall: unknown (a tag the caller lacks); PMapper evaluates the trust with an empty context: no edge"
    keys = [k.lower() for k in edge["conditions"]]
    if "aws:multifactorauthpresent" in keys:
        return (
            "MFA in the trust policy: PMapper evaluates the trust with an empty context before its MFA retry "
            "(sts_edges.py:69-82)"
        )
    if any(k.startswith("aws:principaltag/") for k in keys):
        return "principal tags in the trust policy: PMapper passes an empty context to the trust (sts_edges.py:69-76)"
    return "not explained"


def disagreements(server: Server, out: Path) -> int:
    server.reset()
    world = build(server.clients)
    storage = tempfile.mkdtemp(prefix="pmapper-")
    env = _env(server.endpoint, storage)
    sts = boto3.client(
        "sts", endpoint_url=server.endpoint, region_name=REGION, config=Config(proxies={}),
        aws_access_key_id="AKIAROLECALLBENCH001", aws_secret_access_key="bench",
    )  # fmt: skip
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{world.app}:role/{ACCESS}", RoleSessionName="pmapper")["Credentials"]
    app_env = _env(
        server.endpoint,
        storage,
        {
            "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
            "AWS_SESSION_TOKEN": c["SessionToken"],
        },
    )
    create = ("graph", "create", "--include-services", "sts", "--include-regions", REGION)
    _pmapper(env, "orgs", "create")  # the organization first, so that graph create applies the SCPs
    _pmapper(env, *create)
    _pmapper(app_env, *create)
    _pmapper(env, "orgs", "create")  # again: the cross-account edges between the stored graphs
    pm: set[tuple[str, str]] = set()
    admins: set[str] = set()
    nodes: set[str] = set()
    for account in (MANAGEMENT, world.app):
        base = Path(storage, account, "graph")
        pm |= {(e["source"], e["destination"]) for e in json.loads((base / "edges.json").read_text())}
        for n in json.loads((base / "nodes.json").read_text()):
            nodes.add(n["arn"])
            if n.get("is_admin"):
                admins.add(n["arn"])
    for path in glob.glob(os.path.join(storage, "o-*", "*.json")):
        data = json.loads(Path(path).read_text())
        if isinstance(data, dict) and "edge_list" in data:
            pm |= {(e["source"], e["destination"]) for e in data["edge_list"]}

    snapshot, report = out / "world.snapshot.json", out / "world-graph"
    _rolecall(env, "collect", "--assume-role", ACCESS, "--endpoint-url", server.endpoint, "-q", "-o", str(snapshot))
    _rolecall(env, "graph", str(snapshot), "--out", str(report))
    rc = {(e["from"], e["to"]): e for e in json.loads((report / "edges.json").read_text())}
    rc_edges = {k for k, e in rc.items() if e["status"] == "edge"}
    print(f"world: {len(nodes)} PMapper nodes ({len(admins)} admin), PMapper {len(pm)} edges, rolecall "
          f"{len(rc_edges)} edges and {len(rc) - len(rc_edges)} unknown; agreeing on {len(pm & rc_edges)}")  # fmt: skip
    listed: list[dict[str, Any]] = []
    for pair in sorted((rc.keys() | pm) - (pm & rc_edges)):
        edge = rc.get(pair)
        who = (
            "rolecall only" if edge and pair not in pm else ("PMapper only" if not edge else "both (rolecall unknown)")
        )
        if edge and edge["status"] == "unknown" and pair not in pm:
            who = "rolecall unknown, PMapper none"
        why = _explain(pair[0], pair[1], edge, admins, nodes)
        request = edge["scenario"].get("request") if edge else None
        print(f"  {who:31} {pair[0]} -> {pair[1]}\n      {why}\n      rolecall's request: {json.dumps(request)}")
        listed.append({"from": pair[0], "to": pair[1], "who": who, "why": why, "rolecall": edge})
    (out / "disagreements.json").write_text(json.dumps(listed, indent=1), encoding="utf-8")
    print(f"  ({len(listed)} disagreements with rolecall's scenarios in {out / 'disagreements.json'})")
    return sum(1 for d in listed if "not explained" in str(d["why"]))


def speed(server: Server, sizes: list[int], cap: float, out: Path) -> bool:
    print("\nspeed: the management account alone (no organization), N users and N roles added to the world")
    print(f"{'N':>6} {'principals':>10} {'provision':>10} | {'PMapper graph create':>21} "
          f"{'rolecall collect+graph':>23} {'ratio':>6} | {'PMapper sts edges':>17} {'rolecall graph':>15} "
          f"{'ratio':>6} | edges PM / rc")  # fmt: skip
    met = False
    for n in sizes:
        server.reset()
        started = time.perf_counter()
        build(server.clients)
        bulk(server.clients, n, n)
        provision = time.perf_counter() - started
        storage = tempfile.mkdtemp(prefix="pmapper-")
        env = _env(server.endpoint, storage)
        try:
            pm_wall = _pmapper(env, "graph", "create", "--ignore-orgs", "--include-services", "sts",
                               "--include-regions", REGION, timeout=cap)  # fmt: skip
        except subprocess.TimeoutExpired:
            print(f"{n:>6} PMapper's graph create took more than {cap:.0f} s: stopped")
            break
        graph_dir = os.path.join(storage, MANAGEMENT)
        pm_edges_s, pm_edges = (
            float(x) for x in _child([sys.executable, "-c", _PMAPPER_EDGES, graph_dir], env)[1].split()
        )
        snapshot = out / f"n{n}.snapshot.json"
        collect = _rolecall(
            env, "collect", "--no-organization", "--endpoint-url", server.endpoint, "-q", "-o", str(snapshot)
        )
        graph = _rolecall(env, "graph", str(snapshot), "--out", str(out / f"n{n}-graph"))
        rc_edges = sum(1 for e in json.loads((out / f"n{n}-graph" / "edges.json").read_text()) if e["status"] == "edge")
        principals = len(json.loads(Path(graph_dir, "graph", "nodes.json").read_text()))
        total = collect + graph
        print(f"{n:>6} {principals:>10} {provision:>9.1f}s | {pm_wall:>20.1f}s {total:>15.1f}s "
              f"({collect:.1f}+{graph:.1f}) {pm_wall / total:>5.1f}x | {pm_edges_s:>16.2f}s {graph:>14.1f}s "
              f"{pm_edges_s / graph:>5.1f}x | "
              f"{int(pm_edges)} / {rc_edges}")  # fmt: skip
        met = pm_wall / total >= 10
    print(
        "target (rolecall >= 10x faster than PMapper's graph creation on the largest size measured): "
        + ("MET" if met else "NOT MET")
    )
    return met


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", default="100,300,1000", help="N users and N roles per speed run (comma-separated)")
    p.add_argument("--cap", type=float, default=600.0, help="seconds PMapper may take per size (default 600)")
    p.add_argument("--out", default=None, help="directory for the snapshots, graphs and disagreements")
    p.add_argument("--no-speed", action="store_true", help="the disagreements only")
    args = p.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-pmapper-"))
    out.mkdir(parents=True, exist_ok=True)
    from importlib.metadata import version

    print(
        f"rolecall beside PMapper {version('principalmapper')} (moto {version('moto')}, "
        f"Python {sys.version.split()[0]}); out: {out}"
    )
    server = Server()
    try:
        unexplained = disagreements(server, out)
        if not args.no_speed:
            speed(server, [int(x) for x in args.sizes.split(",") if x], args.cap, out)
    finally:
        server.reset()
        server.stop()
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
