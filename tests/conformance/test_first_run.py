"""What an emulator's maintainer meets on a first run (issue 21): the sample accounts file printed by a
command, a run the probe stops still leaving a report that says why, a readable row when there is
nothing to replay, nothing written into the working directory but what was asked for.

Each run is ``rolecall`` in a process of its own (tests/processes.py), as a user's shell runs it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rolecall.conformance.targets.endpoint import endpoint_expectations_name, load_accounts_file
from tests.processes import rolecall

ROOT = Path(__file__).resolve().parents[2]

_OPEN_TARGET = """
from rolecall.conformance.targets import Outcome
from tests.conformance.user_target import ReferenceTwin


class Open(ReferenceTwin):
    '''An emulator whose IAM enforcement is off: it allows every AssumeRole.'''

    name = "open"

    def run(self, doc, *, check_identity=False):
        return Outcome(result={"decision": "allowed"})
"""


def test_the_sample_accounts_file_is_printed_by_a_command(tmp_path: Path) -> None:
    done = rolecall(tmp_path, "endpoint-sample")
    assert done.returncode == 0, done.stderr
    (tmp_path / "accounts.json").write_text(done.stdout)
    sample = load_accounts_file(str(tmp_path / "accounts.json"))  # a file the endpoint target takes as it is
    assert sample.name == "my-emulator" and len(sample.accounts) == 2
    assert endpoint_expectations_name(sample.name) == "my-emulator.toml"


def test_the_default_expectations_file_is_named_after_the_emulator() -> None:
    assert endpoint_expectations_name("LocalStack 4.2") == "LocalStack_4.2.toml"
    assert endpoint_expectations_name("../../etc/x") == "_.._etc_x.toml"
    assert endpoint_expectations_name("...") == "endpoint.toml"


def test_a_run_the_probe_stops_writes_a_report_that_says_why(tmp_path: Path) -> None:
    """Enforcement off: exit 3, one line saying why, and a report.json with the reason (it used to
    leave an empty report directory); nothing else in the working directory."""
    (tmp_path / "open_target.py").write_text(_OPEN_TARGET)
    before = set(os.listdir(tmp_path))
    done = rolecall(
        tmp_path,
        *("conformance", "--target", "open_target:Open", "--profile", "dev", "-q", "--report", "r"),
        path=f"{tmp_path}{os.pathsep}{ROOT}",
    )
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("rolecall: target open allowed an AssumeRole that AWS refuses") and "r/report.json" in last
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True and "its IAM enforcement is off" in report["stopped"]
    assert report["summary"]["examples"] == 0
    left = set(os.listdir(tmp_path)) - before - {"__pycache__"}
    assert left == {"r"}, left


def test_nothing_to_replay_is_said_in_words(tmp_path: Path) -> None:
    """No expectations file, or one without entries: one skipped expectations row saying so, not
    pytest's "got empty parameter set"."""
    done = rolecall(tmp_path, *("conformance", "--target", "model", "-k", "expectation", "-q", "--report", "r"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    (reason,) = report["features"]["expectations"]["skip_reasons"]
    assert reason.startswith("nothing to replay: no expectations file") and "--update-expectations" in reason
    (tmp_path / "empty.toml").write_text('target = "model"\n')
    done = rolecall(
        tmp_path,
        *("conformance", "--target", "model", "-k", "expectation", "-q", "--report", "r"),
        *("--expectations", str(tmp_path / "empty.toml")),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["features"]["expectations"]["skip_reasons"] == [
        f"nothing to replay: {tmp_path / 'empty.toml'} has no entries"
    ]
