"""Benchmark: the access graph of a generated organization (issue 15's target), figures side by side.

    python -m tests.benchmarks.bench_graph                 # 100 accounts, 20,000 principals, 10,000 roles, --jobs 2
    python -m tests.benchmarks.bench_graph --accounts 10   # smaller
    python -m tests.benchmarks.bench_graph --quick         # a smoke run: 4 accounts

Prints, in one run: the organization's size; the indexed graph's wall time with ``--jobs``, its peak
RSS (this process and its workers), candidate pairs against all pairs, edges, unknowns, errors and
solver questions; then, on a smaller organization generated the same way, the indexed graph and the
brute force (every caller x every role) side by side, and whether they found the same edges.
Target (issue 15): the large organization in <= 60 s on 2 cores, under 2 GB. Exit 0 when met, 1 when
not. Speed is reported here, never asserted in a unit test.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from typing import Any

from rolecall.model.accounts import load_snapshot
from rolecall.model.accounts.graph import AccessGraph, brute_force_graph, build_graph

V = "2012-10-17"
ORG = "o-bench00001"
MANAGEMENT = "999999999990"
PARTNER = "444455556666"
FULL = {"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def _allow(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return _doc(st)


def _assume(resource_: Any) -> dict[str, Any]:
    return _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource_})


def organization(accounts: int, users: int, roles: int, seed: int = 15) -> dict[str, Any]:
    """A snapshot document: ``accounts`` member accounts of one organization, each with ``users``
    users and ``roles`` roles. Trust policies name a role of the same account (40 %), the account
    (25 %), the hub role of the first account (15 %), lambda with or without aws:SourceAccount
    (10 %), a partner account with or without an ExternalId (5 %), the account with MFA (4 %), and
    ``*`` with aws:PrincipalOrgID (1 %, first ten accounts only). Users reach app-* roles of their
    account (70 %), two exact roles (20 %), everything (5 %) or nothing; one role in ten is an
    administrator, half the others may assume two exact roles."""
    rnd = random.Random(seed)
    ids = [f"{100000000000 + i:012d}" for i in range(accounts)]
    hub = f"arn:aws:iam::{ids[0]}:role/ops-hub"
    out = []
    for n, a in enumerate(ids):
        names = ["ops-hub" if i == 0 else f"{'app' if i % 2 else 'ops'}-{i}" for i in range(roles)]
        arns = [f"arn:aws:iam::{a}:role/{x}" for x in names]
        role_docs = []
        for name in names:
            p = rnd.random()
            if p < 0.40:
                trust = _allow({"AWS": arns[rnd.randrange(roles)]})
            elif p < 0.65:
                trust = _allow({"AWS": f"arn:aws:iam::{a}:root"})
            elif p < 0.80:
                trust = _allow({"AWS": hub})
            elif p < 0.90:
                cond = {"StringEquals": {"aws:SourceAccount": a}} if rnd.random() < 0.5 else None
                trust = _allow({"Service": "lambda.amazonaws.com"}, cond)
            elif p < 0.95:
                cond = {"StringEquals": {"sts:ExternalId": f"ext-{a}"}} if rnd.random() < 0.7 else None
                trust = _allow({"AWS": PARTNER}, cond)
            elif p < 0.99 or n >= 10:
                trust = _allow({"AWS": a}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
            else:
                trust = _allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})
            role: dict[str, Any] = {"name": name, "trust_policy": trust}
            q = rnd.random()
            if q < 0.1 or name == "ops-hub":
                role["managed_policies"] = [ADMIN]
            elif q < 0.55:
                role["inline_policies"] = {"assume": _assume(rnd.sample(arns, 2))}
            role_docs.append(role)
        user_docs = []
        for j in range(users):
            q = rnd.random()
            user: dict[str, Any] = {"name": f"user-{j}"}
            if q < 0.70:
                user["inline_policies"] = {"assume": _assume(f"arn:aws:iam::{a}:role/app-*")}
            elif q < 0.90:
                user["inline_policies"] = {"assume": _assume(rnd.sample(arns, 2))}
            elif q < 0.95:
                user["managed_policies"] = [ADMIN]
            user_docs.append(user)
        out.append({"id": a, "users": user_docs, "roles": role_docs})
    nodes = [{"id": "r-ab12", "policies": ["p-FullAWSAccess"]}, {"id": MANAGEMENT, "parent": "r-ab12"}]
    nodes += [{"id": a, "parent": "r-ab12", "policies": ["p-FullAWSAccess"]} for a in ids]
    return {
        "format": "rolecall-snapshot/1",
        "accounts": out,
        "aws_managed_policies": {ADMIN: {"document": FULL}},
        "organization": {
            "id": ORG,
            "management_account": MANAGEMENT,
            "nodes": nodes,
            "policies": [{"id": "p-FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "document": FULL}],
        },
    }


def _rss_mb() -> float:
    """Peak resident set size of this process and of its (waited-for) workers, in MB (Linux: KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _line(name: str, g: AccessGraph, seconds: float) -> str:
    s = g.stats
    assert s is not None
    return (
        f"{name:<28} {seconds:8.1f} s  pairs decided {s.candidate_pairs:>11,} of {s.all_pairs:>11,}  "
        f"edges {len(g.edges):>8,} ({sum(e.conditional for e in g.edges):,} conditional)  "
        f"unknown {len(g.unknown):,}  errors {len(g.errors):,}  solver questions {s.solver_questions:,}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--users", type=int, default=100, help="users per account")
    ap.add_argument("--roles", type=int, default=100, help="roles per account")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--small-accounts", type=int, default=4, help="accounts of the brute-force comparison")
    ap.add_argument("--small-size", type=int, default=15, help="users and roles per account there")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 4 accounts of 20 users and 20 roles")
    args = ap.parse_args(argv)
    if args.quick:
        args.accounts, args.users, args.roles, args.small_accounts, args.small_size = 4, 20, 20, 2, 8
    t0 = time.perf_counter()
    doc = organization(args.accounts, args.users, args.roles)
    snapshot = load_snapshot(doc)
    load = time.perf_counter() - t0
    principals = args.accounts * (args.users + args.roles)
    print(
        f"organization: {args.accounts} accounts, {principals:,} principals "
        f"({args.accounts * args.users:,} users, {args.accounts * args.roles:,} roles); generated and loaded "
        f"in {load:.1f} s"
    )
    t0 = time.perf_counter()
    graph = build_graph(snapshot, jobs=args.jobs)
    wall = time.perf_counter() - t0
    rss = _rss_mb()
    print(_line(f"graph --jobs {args.jobs}", graph, wall))
    print(f"{'peak RSS':<28} {rss:8.0f} MB (this process and its workers)")
    small = load_snapshot(organization(args.small_accounts, args.small_size, args.small_size, seed=16))
    t0 = time.perf_counter()
    indexed = build_graph(small)
    t_indexed = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute = brute_force_graph(small, shortcuts=True)
    t_brute = time.perf_counter() - t0
    n = args.small_accounts * args.small_size
    print(f"smaller organization: {args.small_accounts} accounts, {2 * n} principals, {n} roles, --jobs 1")
    print(_line("  graph (indexed)", indexed, t_indexed))
    print(_line("  brute force (every pair)", brute, t_brute))
    same = {(e.source, e.to, e.conditional, e.conditions) for e in indexed.edges} == {
        (e.source, e.to, e.conditional, e.conditions) for e in brute.edges
    }
    print(f"  same edges: {'yes' if same else 'NO'}; speed-up {t_brute / max(t_indexed, 1e-9):.1f}x")
    met = wall <= 60 and rss < 2048 and same
    full = args.accounts == 100 and args.users == 100 and args.roles == 100 and args.jobs == 2
    verdict = "MET" if met else "NOT MET"
    print(f"target (<= 60 s, < 2 GB, {'the issue size' if full else 'not the issue size'}): {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
