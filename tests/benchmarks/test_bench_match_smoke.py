"""Smoke test of the matching benchmark: it runs to the end and prints every figure beside the peer's.

Timing is never asserted here (``python -m tests.benchmarks.bench_match`` reports it)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_match_quick_prints_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_match", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("  role/") or line.startswith("  *1*1")]
    assert len(rows) == 9, proc.stdout
    for row in rows:  # rolecall's figure and the peer's, side by side
        assert len(re.findall(r"\d (?:µs|ms|s)\b", row)) == 2, row
    assert proc.stdout.strip().splitlines()[-1].startswith("slowest rolecall match:")
