"""Smoke test of the conformance-throughput benchmark: ``--quick`` runs to the end and prints both rows.

Speed is never asserted here: the targets (100 scenarios/s in-process, 30 over the
moto server) are what ``python -m tests.benchmarks.bench_conformance`` reports; a timed
unit test would be flaky and would say nothing a full benchmark run does not.
"""

from __future__ import annotations

import re

import pytest

from tests.benchmarks import bench_conformance

NUMBER = r"([0-9][0-9,]*\.[0-9]+)"
ROW = re.compile(
    rf"^(?P<transport>moto in-process|moto server \(HTTP\))\s*\|\s*{NUMBER} \(range [^)]*\)\s*\|"
    rf"\s*{NUMBER} \(range [^)]*\)\s*\|\s*{NUMBER}\s*\|\s*>= (?P<target>[0-9]+) (?P<status>PASS|FAIL)\s*$"
)


EXACT_ROW = re.compile(
    rf"^(?P<transport>moto in-process|moto server \(HTTP\))\s*\|\s*{NUMBER}\s*\|\s*{NUMBER}\s*\|\s*{NUMBER}\s*\|"
    rf"\s*{NUMBER}\s*\|\s*<= 1\.3 (?:PASS|FAIL)\s*$"
)


def _float(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.slow
def test_quick_prints_both_rows_with_positive_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    status = bench_conformance.main(["--quick"])
    out = capsys.readouterr().out
    # 0: every target met, 1: one missed; either way the run completed (a crash raises).
    assert status in (0, 1), out
    rows = {m["transport"]: m for line in out.splitlines() if (m := ROW.match(line))}
    assert set(rows) == {"moto in-process", "moto server (HTTP)"}, out
    for transport, m in rows.items():
        rolecall, bare, ratio = (_float(m.group(i)) for i in (2, 3, 4))
        assert rolecall > 0 and bare > 0 and ratio > 0, (transport, m.group(0))
    assert rows["moto in-process"]["target"] == "100"
    assert rows["moto server (HTTP)"]["target"] == "30"
    assert "command: python -m tests.benchmarks.bench_conformance --quick" in out
    exact = {m["transport"]: m for line in out.splitlines() if (m := EXACT_ROW.match(line))}
    assert set(exact) == {"moto in-process", "moto server (HTTP)"}, out
    for m in exact.values():
        assert all(_float(m.group(i)) > 0 for i in (2, 3, 4, 5)), m.group(0)
    assert re.search(r"^machine: .*CPUs.*moto [0-9]", out, re.MULTILINE), out
    assert "DIAGNOSTIC" in out  # the split pass ran too
    last = out.strip().splitlines()[-1]
    assert last == f"RESULT: {'PASS' if status == 0 else 'FAIL'}"


def test_corpus_is_reproducible() -> None:
    first = bench_conformance.draw_corpus(5)
    assert len(first) == 5
    assert bench_conformance.draw_corpus(5) == first
