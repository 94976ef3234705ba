"""Whole runs of ``rolecall conformance --target endpoint`` against a moto server in a process of its
own, standing in for an emulator rolecall knows nothing about (issue 21): what its maintainer meets.

The server is real (``python -m moto.server`` on 127.0.0.1, tests/conformance/moto_process.py), and so
are boto3, pytest and the suite, each run in a process of its own as a user's shell runs it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conformance.moto_process import moto_process

#: the core properties: the first finds moto's main divergences within seconds
CORE = "same_account or principals or cross_account"

#: the update without the rounds that pin tagged variants of a class apart (ENDPOINT.md's command pins
#: them too, at the cost of two more rounds: minutes the suite's CI cannot spend)
LEAN = ("--variant-rounds", "0")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "PYTEST_", "HYPOTHESIS_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_a_killed_emulator_ends_the_run_with_exit_3_and_keeps_what_was_found(tmp_path: Path) -> None:
    """The emulator dies mid-run (SIGKILL once the run has found a divergence, while Hypothesis may still
    be shrinking it): within 60 s the run ends with exit 3 and one line saying the endpoint stopped
    answering; the divergences found before are in report.json, and the calls the dead endpoint refused
    are counted as unanswered examples, never shrunk and never reported as divergences."""
    with moto_process() as moto:
        accounts = moto.accounts_file(tmp_path)
        argv = [sys.executable, "-m", "rolecall.conformance.cli", "conformance", "--target", "endpoint"]
        argv += ["--endpoint-url", moto.url, "--accounts", str(accounts), "--profile", "dev", "-k", CORE]
        argv += ["--report", str(tmp_path / "r")]
        run = subprocess.Popen(
            argv, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert run.stdout is not None
        lines = []
        killed = None
        began = time.monotonic()
        for line in run.stdout:
            lines.append(line)
            found = "new class" in line and " 0 new classes" not in line
            if found or " FAILED" in line or " PASSED" in line or time.monotonic() - began > 240:
                moto.kill()
                killed = time.monotonic()
                break
        assert killed is not None, "".join(lines)[-3000:]
        try:
            out, err = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            run.kill()
            raise
        took = time.monotonic() - killed
    text = "".join(lines) + out
    assert run.returncode == 3, text[-3000:] + err[-2000:]
    assert took < 60, f"the run went on {took:.0f} s after the emulator died"
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"rolecall: target moto-as-unknown at {moto.url} stopped answering"), err[-2000:]
    assert "Traceback" not in err and "INTERNALERROR" not in text
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True and "stopped answering" in report["stopped"]
    new = [d for d in report["divergences"] if d["status"] == "new"]
    assert new, "the divergences found before the emulator died are kept"
    assert f"keeps the {len(new)} new divergence(s) found before" in last
    refused = [d for d in new if "refused" in json.dumps(d["target"]).lower()]
    assert refused == [], "a refused connection is no divergence"
    assert report["summary"]["target_errors"] >= 1
    # a call in flight when the process died ends reset or aborted rather than refused (seen under load)
    dead = ("refused", "reset", "aborted", "disconnected")
    assert all(any(w in e["message"].lower() for w in dead) for e in report["target_errors"]), report["target_errors"]
    assert not (tmp_path / ".hypothesis").exists(), "Hypothesis's database goes under the report directory"


def _conformance(cwd: Path, moto_url: str, accounts: Path, *more: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "rolecall.conformance.cli", "conformance", "--target", "endpoint", "-q"]
    argv += ["--endpoint-url", moto_url, "--accounts", str(accounts), "--profile", "dev", "--seed", "1", *more]
    return subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=1200, check=False)


@pytest.mark.slow
def test_the_first_run_workflow_end_to_end(tmp_path: Path) -> None:
    """ENDPOINT.md's first run against an emulator nobody has checked: ``--update-expectations`` writes
    ``./<name>.toml`` in the working directory (never into the installed package), then the same command
    without it exits 0. The report's replay command lines run a divergence's scenario on the emulator
    again; the emulator's raw answer keeps its own account ids, the renaming shown beside it."""
    import rolecall.conformance.expectations as shipped

    mine = ("123456789012", "210987654321")  # not the scenarios' ids: the renaming shows
    props = "response or expectation"
    with moto_process(mine) as moto:
        accounts = moto.accounts_file(tmp_path)
        first = _conformance(
            tmp_path, moto.url, accounts, "-k", props, "--update-expectations", *LEAN, "--report", "r1"
        )
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
        written = tmp_path / "moto-as-unknown.toml"
        assert written.is_file() and "[[divergence]]" in written.read_text()
        assert not (Path(shipped.__file__).parent / "moto-as-unknown.toml").exists()
        again = _conformance(tmp_path, moto.url, accounts, "-k", props, "--expectations", f"./{written.name}")
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
        report = json.loads((tmp_path / "rolecall-report" / "report.json").read_text())
        assert report["summary"]["new_divergences"] == 0 and report["summary"]["known_divergences"] >= 1
        assert set(report["expectations"]["replayed"].values()) == {"holds"}
        known = [d for d in report["divergences"] if d["status"] == "known"]
        assert known and all(d["replay"].startswith("rolecall replay --target endpoint") for d in known)
        d = known[0]
        assert d["reproduce"] is None  # the boto3 scripts provision through moto's private controls
        replay = shlex.split(d["replay"])[2:]
        done = subprocess.run(
            [sys.executable, "-m", "rolecall.conformance.cli", "replay", *replay],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 1 and "DIFFERS" in done.stdout, done.stdout + done.stderr
        renamed = [x for x in report["divergences"] if x["accounts_renamed"]]
        assert renamed and set(renamed[0]["accounts_renamed"].values()) <= set(mine)
        raws = [x["target"]["raw"] for x in report["divergences"] if "raw" in x["target"]]
        assert not any(scenario_id in json.dumps(raw) for raw in raws for scenario_id in renamed[0]["accounts_renamed"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "accounts.json",
        "moto-as-unknown.toml",
        "r1",
        "rolecall-report",
    ]
