"""Smoke test of the solver-query benchmark: ``--quick`` runs to the end and prints every figure line.

Timing is never asserted here: the speed targets are what the benchmark itself reports
(``python -m tests.benchmarks.bench_solver``); a timed unit test would be flaky and would
say nothing a full benchmark run does not.
"""

from __future__ import annotations

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
    assert sum(policies.values()) == 2 * sum(len(s) for s in bench_solver.QUICK_SIZES.values())
    assert {t.size for t in first} == {*bench_solver.QUICK_SIZES["typical"], *bench_solver.QUICK_SIZES["large"]}
    assert all(len(t.policy["Statement"]) == t.size for t in first)


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]
    assert bench_solver.percentile(values, 50) == 50.0
    assert bench_solver.percentile(values, 95) == 95.0
    assert bench_solver.percentile(values, 100) == 100.0
    assert bench_solver.percentile([3.0], 95) == 3.0
