"""Known stays known: the moto suite under the `dev` profile and under two random seeds ends with 0 new
divergences against the shipped expectations (docs/conformance.md, "Known stays known").

The seeds are drawn afresh on every run and printed; a failure names the seed, and
`rolecall conformance --profile dev --seed N` replays it. Slow (three runs of the suite): CI runs it
with `pytest -m slow`.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from tests.processes import rolecall

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, name: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    report = tmp_path / name
    # in its own process, none of this run's settings: as a user's shell runs it
    proc = rolecall(tmp_path, "conformance", "--target", "moto", "-q", "--report", str(report), *extra, timeout=1800)
    data = json.loads((report / "report.json").read_text()) if (report / "report.json").exists() else {}
    return proc, data


def _new(data: dict[str, object]) -> list[str]:
    divergences = data.get("divergences", [])
    assert isinstance(divergences, list)
    return [
        f"{d['feature']}: {d.get('summary')} {json.dumps(d.get('scenario'))}"
        for d in divergences
        if d.get("status") == "new"
    ]


@pytest.mark.parametrize("run", ["dev", "random-seed-1", "random-seed-2"])
def test_the_moto_suite_meets_no_new_divergence(tmp_path: Path, run: str) -> None:
    seed = None if run == "dev" else random.SystemRandom().randrange(2**32)
    extra = ["--profile", "dev"] + ([] if seed is None else ["--seed", str(seed)])
    proc, data = _run(tmp_path, f"seed-{seed}", *extra)
    print(f"rolecall conformance --target moto {' '.join(extra)}")
    assert proc.returncode == 0, f"seed {seed}: " + "\n".join(_new(data)) + proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = data["summary"]
    assert isinstance(summary, dict) and summary["new_divergences"] == 0 and summary["examples"] > 500
    if seed is not None:
        assert str(data["profile"]).startswith("dev")
