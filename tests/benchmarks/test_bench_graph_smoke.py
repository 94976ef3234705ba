"""Smoke test of the access-graph benchmark: it runs to the end and prints every figure, the brute
force beside the index. Timing is never asserted here (``python -m tests.benchmarks.bench_graph``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_graph_quick_prints_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_graph", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    out = proc.stdout
    for figure in ("graph --jobs 2", "peak RSS", "graph (indexed)", "brute force (every pair)", "same edges: yes"):
        assert figure in out, out
    assert out.strip().splitlines()[-1].startswith("target ")
