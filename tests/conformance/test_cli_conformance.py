"""``rolecall replay`` and ``rolecall conformance`` end to end: exit codes, output, the report.

What is proven here:

* ``replay`` exits 0 and says ``agree`` when the target agrees with the model,
  exits 1 and says ``DIFFERS`` on real moto where moto diverges (a cross-account
  trust naming another user), prints parseable JSON with ``--json``, and exits 2
  with a one-line message (no traceback) for a missing file, a file that is not
  JSON, an unknown target and ``--target endpoint`` without its URL.
* ``conformance`` runs the shipped properties against the model in a separate
  process (its inner pytest run cannot touch this one), exits 0 and writes
  ``report.json`` naming the target; an import path that names no module is a
  usage error (exit 2) with a message naming the problem.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.cli import main
from tests.processes import rolecall

from ..conftest import EXAMPLES

A, B = "111111111111", "222222222222"
EXAMPLE = str(EXAMPLES / "01-user-same-account.json")

CROSS_TRUST_BOB: dict[str, Any] = {
    "id": "cross-account, trust names bob, identity allows",
    "caller": {
        "arn": f"arn:aws:iam::{A}:user/alice",
        "identity_policies": [
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{B}:role/R"}],
            }
        ],
    },
    "role": {
        "arn": f"arn:aws:iam::{B}:role/R",
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/bob"}, "Action": "sts:AssumeRole"}
            ],
        },
    },
    "request": {"role_session_name": "s1"},
}


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def diverging(tmp_path: Path) -> str:
    path = tmp_path / "cross-bob.json"
    path.write_text(json.dumps(CROSS_TRUST_BOB), encoding="utf-8")
    return str(path)


# ============================================================================================ replay


def test_replay_model_agrees() -> None:
    code, out, err = _run("replay", "--target", "model", EXAMPLE)
    assert code == 0, err
    assert "agree" in out and "DIFFERS" not in out
    assert out.startswith("example-01")


def test_replay_moto_differs(diverging: str) -> None:
    pytest.importorskip("moto")
    code, out, err = _run("replay", "--target", "moto", diverging)
    assert code == 1, (out, err)
    assert "DIFFERS (decision)" in out and "agree" not in out
    assert "implicitDeny" in out and '"allowed"' in out


def test_replay_json(diverging: str) -> None:
    pytest.importorskip("moto")
    code, out, _ = _run("replay", "--target", "model", "--json", EXAMPLE)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert doc["model"]["decision"] == doc["outcome"]["decision"] == "allowed"
    assert doc["differences"] == [] and doc["target"].startswith("model ")
    code, out, _ = _run("replay", "--target", "moto", "--json", diverging)
    assert code == 1
    doc = json.loads(out)
    assert doc["id"] == CROSS_TRUST_BOB["id"]
    assert (doc["model"]["decision"], doc["outcome"]["decision"]) == ("implicitDeny", "allowed")
    assert [(d["aspect"], d["model"], d["target"]) for d in doc["differences"]] == [
        ("decision", "implicitDeny", "allowed")
    ]


def test_replay_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    code, out, err = _run("replay", "--target", "model", str(missing))
    assert code == 2
    assert out == "" and str(missing) in err and "Traceback" not in err


def test_replay_bad_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"caller": ', encoding="utf-8")
    code, out, err = _run("replay", "--target", "model", str(bad))
    assert code == 2
    assert out == ""
    assert err.startswith("rolecall: bad input") and err.count("\n") == 1 and err.endswith("\n")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--target", "nosuch"], "nosuch"),
        (["--target", "endpoint"], "endpoint"),
    ],
    ids=["unknown-target", "endpoint-without-url"],
)
def test_replay_target_usage_errors(argv: list[str], needle: str) -> None:
    code, out, err = _run("replay", *argv, EXAMPLE)
    assert code == 2
    assert out == "" and err.startswith("rolecall: ") and needle in err and err.count("\n") == 1


# ======================================================================================= conformance


def _conformance(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return rolecall(cwd, "conformance", *argv)


def test_conformance_against_the_model_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "out"
    done = _conformance(
        tmp_path,
        "--target",
        "model",
        "--profile",
        "dev",
        "-q",
        "--report",
        str(report),
        "-k",
        "cross_account or response",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert data["target"]["name"] == "model"
    assert {"cross-account", "response"} <= set(data["features"])
    assert data["summary"]["new_divergences"] == 0 and data["summary"]["examples"] > 0
    assert (report / "CONFORMANCE.md").exists()


def test_conformance_unknown_target_module_is_a_usage_error(tmp_path: Path) -> None:
    done = _conformance(
        tmp_path, "--target", "no.such.module:thing", "--profile", "dev", "-q", "--report", str(tmp_path / "out")
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "no.such.module:thing" in output and "cannot import" in output
    assert "Traceback" not in output
    assert not (tmp_path / "out" / "report.json").exists()


def test_the_run_ends_with_a_plain_verdict(tmp_path: Path) -> None:
    done = _conformance(
        tmp_path, "--target", "model", "--profile", "dev", "-q", "--report", str(tmp_path / "out"), "-k", "same_account"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    version = json.loads((tmp_path / "out" / "report.json").read_text())["target"]["version"]
    assert f"model {version} diverges from AWS in 0 known ways; 0 new." in done.stdout


def _expectations_file(tmp_path: Path, version: str) -> Path:
    """One entry the model target cannot reproduce (it agrees with the model everywhere)."""
    from rolecall.conformance.expectations import Expectation, Expectations

    scenario = json.loads(Path(EXAMPLE).read_text())
    scenario.pop("id", None)
    entry = Expectation(
        "same-account-1",
        "same-account",
        "an old emulator's mistake",
        {"aspect": "decision", "accounts": "same", "model": "allowed", "target": "implicitDeny"},
        scenario,
    )
    path = tmp_path / "model.toml"
    path.write_text(Expectations("model", version, [entry]).dump(), encoding="utf-8")
    return path


def test_another_version_reports_what_it_fixed(tmp_path: Path) -> None:
    """Expectations made for another version of the target: said at the top and at the end, and an
    entry that no longer reproduces is reported as fixed in this version, without failing the run."""
    path = _expectations_file(tmp_path, "0.0.1")
    done = _conformance(
        tmp_path,
        "--target",
        "model",
        "--profile",
        "dev",
        "--report",
        str(tmp_path / "out"),
        "--expectations",
        str(path),
        "-k",
        "expectation",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    version = json.loads((tmp_path / "out" / "report.json").read_text())["target"]["version"]
    assert f"expectations written for model 0.0.1; this is model {version}" in done.stdout  # the header
    assert f"fixed in {version}: same-account-1" in done.stdout  # the end
    same = _conformance(
        tmp_path,
        "--target",
        "model",
        "--profile",
        "dev",
        "--report",
        str(tmp_path / "out2"),
        "--expectations",
        str(_expectations_file(tmp_path, version)),
        "-k",
        "expectation",
    )
    assert same.returncode == 1 and "no longer diverges" in same.stdout  # the same version: strict


def _bad_paths(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    existing = tmp_path / "a-file"
    existing.write_text("x")
    malformed = tmp_path / "malformed.toml"
    malformed.write_text('target = "moto"\n[[divergence]\nid = 1\n')
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    empty_signature = tmp_path / "empty.toml"
    empty_signature.write_text(
        'target = "model"\n[[divergence]]\nid = "x"\nfeature = "f"\nreason = "r"\n'
        'counterexample = "{}"\nsignature = {}\n'
    )
    return {
        "report-is-a-file": (["--report", str(existing)], "not a folder"),
        "report-is-dev-null": (["--report", "/dev/null"], "not a folder"),
        "expectations-missing": (["--expectations", str(tmp_path / "mistyped.toml")], "no such file"),
        "expectations-folder": (["--expectations", str(tmp_path)], "not a file"),
        "expectations-malformed": (["--expectations", str(malformed)], "line 2"),
        "expectations-binary": (["--expectations", str(binary)], str(binary)),
        "expectations-empty-signature": (["--expectations", str(empty_signature)], "non-empty table"),
        "accounts-missing": (["--accounts", str(tmp_path / "nope.json")], "no such file"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "report-is-a-file",
        "report-is-dev-null",
        "expectations-missing",
        "expectations-folder",
        "expectations-malformed",
        "expectations-binary",
        "expectations-empty-signature",
        "accounts-missing",
    ],
)
def test_bad_paths_are_refused_before_any_property_runs(tmp_path: Path, case: str) -> None:
    argv, needle = _bad_paths(tmp_path)[case]
    done = _conformance(
        tmp_path,
        "--target",
        "model",
        "--profile",
        "dev",
        *(argv if "--report" in argv else ["--report", str(tmp_path / "out"), *argv]),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1 and done.stderr.startswith("rolecall: bad input: ")
    assert needle in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["--target", "endpoint", "--endpoint-url", "file:///etc/passwd", "--accounts", "ACCOUNTS"],
            "http:// or https://",
        ),
        (["--target", "endpoint", "--endpoint-url", "http://[::1", "--accounts", "ACCOUNTS"], "not a URL"),
        (["--target", "endpoint", "--endpoint-url", "http://127.0.0.1:9", "--accounts", "DEEP"], "nested too deeply"),
        (["--target", "endpoint", "--endpoint-url", "http://127.0.0.1:9", "--accounts", "DUPLICATE"], "duplicate key"),
        (["--target", "rolecall_raises:T"], "RuntimeError: boom"),
        (["--target", "rolecall_exits:T"], "sys.exit(7)"),
    ],
    ids=["file-url", "broken-url", "deep-accounts", "duplicate-key-accounts", "module-raises", "module-exits"],
)
def test_what_names_a_target_is_bad_input_in_one_line(tmp_path: Path, argv: list[str], needle: str) -> None:
    (tmp_path / "rolecall_raises.py").write_text('raise RuntimeError("boom")\n')
    (tmp_path / "rolecall_exits.py").write_text("import sys\nsys.exit(7)\n")
    (tmp_path / "dup.json").write_text('{"accounts": {}, "accounts": {}}')
    (tmp_path / "deep.json").write_text('{"accounts": ' + "[" * 5000 + "]" * 5000 + "}")
    files = {"ACCOUNTS": "dup.json", "DEEP": "deep.json", "DUPLICATE": "dup.json"}
    argv = [str(tmp_path / files[a]) if a in files else a for a in argv]
    done = rolecall(tmp_path, "replay", *argv, EXAMPLE, path=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("rolecall: bad input: ") and done.stderr.count("\n") == 1
    assert needle in done.stderr


_FAILING_TARGET = '''
from typing import Any

from rolecall.conformance.targets import Outcome, TargetError
from tests.conformance.user_target import ReferenceTwin


class SometimesDown(ReferenceTwin):
    """The reference model, except that every third AssumeRole fails as an overloaded server does."""

    name = "sometimes-down"
    calls = 0

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        type(self).calls += 1
        if type(self).calls % 3 == 0:
            raise TargetError("HTTP 503 Service Unavailable")
        return super().run(doc, check_identity=check_identity)
'''


def test_a_run_whose_only_problems_are_target_errors_exits_3(tmp_path: Path) -> None:
    """Target errors are the target failing, never divergences (docs/targets.md): exit 3, not 1; the
    examples it did not answer are counted apart, never shrunk or reported as divergences."""
    (tmp_path / "sometimes_down.py").write_text(_FAILING_TARGET)
    root = Path(__file__).resolve().parents[2]
    done = rolecall(
        tmp_path,
        "conformance",
        "--target",
        "sometimes_down:SometimesDown",
        "--profile",
        "dev",
        "-k",
        "same_account",
        "--no-probe",
        "-q",
        "--report",
        str(tmp_path / "r"),
        path=Path(f"{tmp_path}{os.pathsep}{root}"),
    )
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [d for d in report["divergences"] if d["status"] == "new"] == []
    assert report["summary"]["failed"] == 0 and report["summary"]["error"] >= 1
    assert report["summary"]["target_errors"] >= 1 and report["features"]["same-account"]["target_errors"] >= 1
    assert report["target_errors"][0]["message"] == "HTTP 503 Service Unavailable"
    assert "the target did not answer" in done.stdout


def test_an_interrupted_run_says_so_in_its_report_and_exits_130(tmp_path: Path) -> None:
    """Ctrl-C: exit 130 with "rolecall: interrupted", and a report marked interrupted (never one that
    looks complete)."""
    import signal

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "PYTEST_", "HYPOTHESIS_"))}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "rolecall.conformance.cli", "conformance", "--target", "model"]
    proc = subprocess.Popen(
        [*cmd, "--report", str(tmp_path / "r")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a pytest-xdist worker ignores SIGINT, and a child inherits that: give it a shell's default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # the first property has passed: the run is under way
        seen.append(line)
        if "PASSED" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(seen) + out[-2000:] + err[-2000:]
    assert "rolecall: interrupted" in err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True
    assert "**Interrupted**" in (tmp_path / "r" / "CONFORMANCE.md").read_text()
    assert "interrupted: this report covers only what ran" in out


def test_matrix_to_a_folder_or_an_unwritable_place_is_bad_input(tmp_path: Path) -> None:
    from rolecall.conformance._report import build_report

    meta = {
        "rolecall_version": "1",
        "target_name": "moto",
        "target_version": "5",
        "capabilities": [],
        "profile": "ci",
        "started": 0,
        "duration_seconds": 1,
    }
    from rolecall.conformance.expectations import Expectations

    path = tmp_path / "report.json"
    path.write_text(json.dumps(build_report(meta, {}, {}, Expectations("moto"))))
    for where in (str(tmp_path), str(tmp_path / "no" / "such" / "CONFORMANCE.md")):
        out, err = io.StringIO(), io.StringIO()
        assert main(["matrix", str(path), "-o", where], stdout=out, stderr=err) == 2
        assert err.getvalue().startswith(f"rolecall: bad input: -o {where}: ") and err.getvalue().count("\n") == 1
