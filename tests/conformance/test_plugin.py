"""The pytest plugin end to end, in a separate pytest process: a user target loaded by import path
runs through the whole suite; the report, the JUnit properties and pytest-xdist merging work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

from rolecall import conformance

ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(conformance.__file__).resolve().parent


def _run(
    tmp_path: Path,
    *args: str,
    profile: str | None = "dev",
    suite: Sequence[str] = (str(SUITE),),
    path: Sequence[Path] = (),
    timeout: int = 600,
) -> subprocess.CompletedProcess[str]:
    """The suite in a pytest process of its own (``profile=None``: no profile given), with this
    repository and ``path`` importable, and none of this run's pytest, Hypothesis or rolecall settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_", "ROLECALL_"))}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path), str(ROOT)])
    chosen = ["--hypothesis-profile", profile] if profile else []
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *suite,
            "-p",
            "no:cacheprovider",
            *chosen,
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            *args,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_user_target_runs_the_whole_suite(tmp_path: Path) -> None:
    report, junit = tmp_path / "report", tmp_path / "junit.xml"
    proc = _run(
        tmp_path,
        "--rolecall-target",
        "tests.conformance.user_target:ReferenceTwin",
        "--rolecall-report",
        str(report),
        f"--junitxml={junit}",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "rolecall: target reference-twin 1.0" in proc.stdout
    data = json.loads((report / "report.json").read_text())
    assert data["target"]["name"] == "reference-twin"
    features = data["features"]
    # every property ran (the twin declares every capability) and agreed on every example
    ran = {f for f, v in features.items() if f != "expectations"}
    assert {"cross-account", "same-account", "conditions", "organizations", "response"} <= ran
    for name in ran:
        assert features[name]["passed"] >= 1 and features[name]["failed"] == 0, (name, features[name])
        assert features[name]["examples"] >= 40 and features[name]["agreed"] == features[name]["examples"]
    assert data["summary"]["new_divergences"] == 0
    assert (report / "CONFORMANCE.md").read_text().count("reference-twin") >= 1
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).iter("property")}
    assert props.get("rolecall_target") == "reference-twin" and props.get("rolecall_target_version") == "1.0"


def test_xdist_workers_merge_into_one_report(tmp_path: Path) -> None:
    report = tmp_path / "report"
    proc = _run(
        tmp_path,
        "-n",
        "2",
        "--rolecall-target",
        "model",
        "--rolecall-report",
        str(report),
        "-k",
        "cross_account or same_account or response or principal",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    data = json.loads((report / "report.json").read_text())
    f = data["features"]
    assert {k: f[k]["passed"] for k in ("cross-account", "same-account", "response", "principals")} == {
        "cross-account": 1,
        "same-account": 1,
        "response": 1,
        "principals": 1,
    }
    assert sum(f[k]["examples"] for k in ("cross-account", "same-account", "response", "principals")) >= 160


def test_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--rolecall-target", "no.such.module:Thing", "-k", "cross_account")
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "cannot import 'no.such.module'" in proc.stdout + proc.stderr


def test_enforcement_probe_stops_a_target_that_allows_everything(tmp_path: Path) -> None:
    (tmp_path / "lax.py").write_text(
        "from conformance.targets import Capability, Outcome, Target\n"
        "class Lax(Target):\n"
        "    name, version = 'lax', '0'\n"
        "    capabilities = frozenset({Capability.USER_CALLERS, Capability.TRUST_ENFORCEMENT})\n"
        "    def run(self, doc, *, check_identity=False):\n"
        "        return Outcome(result={'decision': 'allowed'})\n"
    )
    proc = _run(tmp_path, "--rolecall-target", "lax:Lax", "-k", "principal", path=[tmp_path], timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "IAM enforcement is off" in proc.stdout + proc.stderr
    # without the probe the property runs, finds the divergence and says after how many examples
    report = tmp_path / "report"
    proc = _run(
        tmp_path,
        "--rolecall-target",
        "lax:Lax",
        "-k",
        "principal",
        "--rolecall-no-probe",
        "--rolecall-report",
        str(report),
        path=[tmp_path],
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    row = json.loads((report / "report.json").read_text())["features"]["principals"]
    assert row["failed"] == 1 and 1 <= row["first_new_at"] <= row["examples"]


def test_the_plugin_route_runs_the_ci_profile_unless_told(tmp_path: Path) -> None:
    """`pytest --pyargs rolecall.conformance` with no profile runs the ci profile (300 derandomized
    examples per property, no deadline), as `rolecall conformance` does, not Hypothesis's defaults."""
    report = tmp_path / "report"
    proc = _run(
        tmp_path,
        "--rolecall-target",
        "model",
        "--rolecall-report",
        str(report),
        "-k",
        "same_account",
        profile=None,
        suite=["--pyargs", "rolecall.conformance"],
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    data = json.loads((report / "report.json").read_text())
    assert data["features"]["same-account"]["examples"] == 300
    assert data["profile"] == "ci"


def test_a_skip_reason_is_tallied_once() -> None:
    """Two properties skipped for the same reason (a capability the target lacks) list it once in the
    feature's tally; pytest gives the reason with its "Skipped: " prefix, the tally keeps it without."""
    from rolecall.conformance.plugin import tally_setup

    tally: dict[str, object] = {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "skip_reasons": []}
    for name in ("test_a", "test_b"):
        report = pytest.TestReport(
            f"conformance/test_x.py::{name}",
            ("conformance/test_x.py", 1, name),
            {},
            "skipped",
            ("conformance/test_x.py", 1, "Skipped: target moto lacks organizations"),
            "setup",
        )
        tally_setup(report, tally)
    assert tally["skipped"] == 2
    assert tally["skip_reasons"] == ["target moto lacks organizations"]
