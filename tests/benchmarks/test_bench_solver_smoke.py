"""Smoke test of the solver-query benchmark: ``--quick`` runs to the end and prints every figure line.

Timing is never asserted here: the speed targets are what the benchmark itself reports
(``python -m tests.benchmarks.bench_solver``); a timed unit test would be flaky and would
say nothing a full benchmark run does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks import bench_solver

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "typical (<=20 statements) p50",
    "typical (<=20 statements) p95",
    "large (<=200 statements) p95",
    "federated (<=20 statements) p50",
    "federated (<=20 statements) p95",
    "max query",
)


@pytest.mark.slow
def test_bench_solver_quick_prints_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_solver", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    # Exit status 1 means "a target was missed", 0 "all met": either way the run completed.
    assert proc.returncode in (0, 1), proc.stderr
    for figure in FIGURES:
        line = next((ln for ln in out.splitlines() if ln.startswith(figure)), None)
        assert line is not None, f"figure {figure!r} missing from:\n{out}"
        assert line.rstrip().endswith(("PASS", "FAIL")), line
    for band in bench_solver.BANDS:
        assert any(ln.startswith(f"  {band} ") for ln in out.splitlines()), f"band {band!r} missing from:\n{out}"
    assert "model.solver.decide (Z3)" in out and "model.decide (reference model)" in out
    federated_queries = {ln.split()[2] for ln in out.splitlines() if ln.startswith("  federated typical ")}
    assert {
        "who_can_assume",
        "check_no_public_access",
        "check_federated_subjects",
        "check_access_not_granted",
        "external_id_required",
        "check_no_new_access",
    } <= federated_queries, out
    assert "  scenarios replayed by api: " in out and "  federated who_can_assume: " in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("RESULT: ")
    assert (proc.returncode == 0) == (last == "RESULT: PASS")


def test_generated_corpus_is_fixed_and_parses() -> None:
    """The same seed gives the same policies, run to run; every one (and its mutation) parses."""
    first, policies = bench_solver.generated_tasks(quick=True)
    again, _ = bench_solver.generated_tasks(quick=True)
    assert [(t.label, t.query, t.policy, t.new_policy) for t in first] == [
        (t.label, t.query, t.policy, t.new_policy) for t in again
    ]
    quick = bench_solver.QUICK_SIZES
    assert sum(policies.values()) == 2 * sum(len(s) for s in quick.values()) + len(quick["typical"])
    assert policies["federated typical"] == len(quick["typical"])
    assert {t.size for t in first} == {*bench_solver.QUICK_SIZES["typical"], *bench_solver.QUICK_SIZES["large"]}
    assert all(len(t.policy["Statement"]) == t.size for t in first)


def test_federated_corpus_mixes_the_doors() -> None:
    """The full federated band: every policy parses and starts with a Federated Allow; together they
    name each issuer kind, AWS and Service principals, the three doors, sts:TagSession and Denies; each
    mutation changes a policy."""
    tasks, policies = bench_solver.generated_tasks(quick=False)
    fed = [t for t in tasks if t.kind == "federated"]
    assert policies["federated typical"] == len(bench_solver.TYPICAL_SIZES) * bench_solver.PER_SIZE["typical"]
    assert {t.band for t in fed} == {"federated typical"} and max(t.size for t in fed) <= bench_solver.TYPICAL_MAX
    docs = {t.label: t.policy for t in fed}
    assert all("Federated" in d["Statement"][0]["Principal"] for d in docs.values())
    assert all(d["Statement"][0]["Effect"] == "Allow" for d in docs.values())
    text = json.dumps(list(docs.values()))
    for needle in (
        ":111122223333:oidc-provider/token.actions.githubusercontent.com",
        ":oidc-provider/oidc.eks.",
        ":oidc-provider/gitlab.com",
        '"cognito-identity.amazonaws.com"',
        '"accounts.google.com"',
        ":111122223333:saml-provider/",
        ":444455556666:oidc-provider/",
        '"AWS"',
        '"Service"',
        '"sts:AssumeRole"',
        '"sts:AssumeRoleWithWebIdentity"',
        '"sts:AssumeRoleWithSAML"',
        '"sts:TagSession"',
        '"Deny"',
        "repo:acme/*",
        "system:serviceaccount:",
        "cognito-identity.amazonaws.com:amr",
        "saml:sub",
    ):
        assert needle in text, needle
    mutated = [t for t in fed if t.query == "check_no_new_access"]
    assert len(mutated) == len(docs) and all(t.new_policy != t.policy for t in mutated)
    assert {t.expected for t in mutated} == {"proved", "counterexample"}
    assert {t.query for t in fed} == {
        "who_can_assume",
        "check_no_public_access",
        "check_federated_subjects",
        "check_access_not_granted",
        "external_id_required",
        "check_no_new_access",
    }


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]
    assert bench_solver.percentile(values, 50) == 50.0
    assert bench_solver.percentile(values, 95) == 95.0
    assert bench_solver.percentile(values, 100) == 100.0
    assert bench_solver.percentile([3.0], 95) == 3.0
