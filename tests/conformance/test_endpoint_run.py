"""Whole runs of ``rolecall conformance --target endpoint`` against a moto server in a process of its
own, standing in for an emulator rolecall knows nothing about (issue 21): what its maintainer meets.

The server is real (``python -m moto.server`` on 127.0.0.1, tests/conformance/moto_process.py), and so
are boto3, pytest and the suite, each run in a process of its own as a user's shell runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conformance.moto_process import moto_process

#: the core properties: the first finds moto's main divergences within seconds
CORE = "same_account or principals or cross_account"


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
    assert all("refused" in e["message"].lower() for e in report["target_errors"])
    assert not (tmp_path / ".hypothesis").exists(), "Hypothesis's database goes under the report directory"
