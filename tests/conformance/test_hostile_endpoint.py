"""A misbehaving emulator never holds rolecall: every call has a total deadline, an answer that is not
AWS's (5xx with any body, garbage, a reset, a body without end) is a target error, and a run against a
target that fails most calls stops with exit 3 (docs/targets.md, "The endpoint target").

The server is real (a socket on 127.0.0.1, tests/conformance/hostile_server.py); so are boto3 and the
suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance, TargetDown
from rolecall.conformance.targets import Outcome, TargetError, TargetUnavailable
from rolecall.conformance.targets.endpoint import EndpointTarget
from tests.conformance.hostile_server import MODES, HostileServer
from tests.conformance.user_target import ReferenceTwin
from tests.processes import rolecall

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "01-user-same-account.json")
DEADLINE = 2.0


@pytest.fixture(autouse=True)
def _one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has its own server: the endpoint target's one-worker rule does not apply under xdist."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)


@pytest.fixture
def accounts(tmp_path: Path) -> str:
    path = tmp_path / "accounts.json"
    keys = {"access_key_id": "AKIAHOSTILE000000001", "secret_access_key": "s", "session_token": None}
    path.write_text(json.dumps({"region": "us-east-1", "accounts": {"111111111111": keys}, "name": "hostile"}))
    return str(path)


@pytest.fixture(params=MODES)
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    with HostileServer(request.param) as server:
        yield server


def test_every_misbehaviour_is_a_target_error_within_the_deadline(hostile: HostileServer, accounts: str) -> None:
    target = EndpointTarget(hostile.url, accounts, deadline=DEADLINE)
    began = time.monotonic()
    with pytest.raises(TargetUnavailable) as caught:
        target.start()
    took = time.monotonic() - began
    assert took < DEADLINE + 3, f"{hostile.mode}: {took:.1f} s"
    assert hostile.url in str(caught.value)
    if hostile.mode in ("hang", "drip"):
        assert f"no complete answer within {DEADLINE:g} s" in str(caught.value)


def _rolecall(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``rolecall ARGV`` in its own process (tests/processes.py) and how long it took."""
    began = time.monotonic()
    done = rolecall(tmp_path, *argv, path=f"{tmp_path}{os.pathsep}{ROOT}")
    return done, time.monotonic() - began


@pytest.mark.parametrize("command", ["replay", "conformance"])
def test_the_commands_end_with_exit_3_on_a_dripping_server(tmp_path: Path, accounts: str, command: str) -> None:
    """The case of the issue: headers, then one byte every second; both commands end, exit 3, in seconds."""
    with HostileServer("drip") as server:
        common = ["--target", "endpoint", "--endpoint-url", server.url, "--accounts", accounts]
        argv = [command, *common, "--call-deadline", str(DEADLINE)]
        argv += [EXAMPLE] if command == "replay" else ["-q", "--report", str(tmp_path / "r")]
        done, took = _rolecall(tmp_path, *argv)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert took < 60, took
    assert "within 2 s" in done.stdout + done.stderr


def test_a_call_deadline_that_is_not_a_number_of_seconds_is_bad_usage(tmp_path: Path, accounts: str) -> None:
    for bad in ("0", "-1", "nan", "inf", "1e9", "soon"):
        done, _ = _rolecall(tmp_path, "replay", "--target", "model", "--call-deadline", bad, EXAMPLE)
        assert done.returncode == 2 and "--call-deadline" in done.stderr, (bad, done.stderr)


# ---------------------------------------------------------------------------------------------- breaker


class _Down(ReferenceTwin):
    """Answers the probe (its first calls), then fails every call, as a server that went down."""

    def __init__(self, alive_calls: int = 0, probe_alive: bool = False) -> None:
        super().__init__()
        self.calls = 0
        self.alive_calls = alive_calls
        self.probe_alive = probe_alive

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        self.calls += 1
        if self.probe_alive and doc["request"]["role_session_name"] == "probe":
            return super().run(doc)
        if self.calls > self.alive_calls:
            raise TargetError("HTTP 503 Service Unavailable")
        return super().run(doc, check_identity=check_identity)


def _scenario() -> dict[str, Any]:
    return dict(json.loads(Path(EXAMPLE).read_text()))


def test_the_breaker_trips_after_ten_failures_in_a_row() -> None:
    target = _Down()
    target.start()
    asked: list[bool] = []

    def dead() -> bool:
        asked.append(True)
        return False

    c = Conformance(target, Expectations("t"), is_alive=dead)
    for _ in range(Conformance.BREAKER_IN_A_ROW - 1):
        c.run(_scenario(), "f")
    with pytest.raises(TargetDown, match="failed 10 of its last 10 calls"):
        c.run(_scenario(), "f")
    assert asked == [True] and c.down is not None
    calls = target.calls
    with pytest.raises(TargetDown):  # every later call of the session stops at once, without the target
        c.run(_scenario(), "f")
    assert target.calls == calls


def test_the_breaker_counts_failures_among_answers() -> None:
    """15 failures among the last 20 calls trip it even when they alternate with answers."""

    class Alternating(ReferenceTwin):
        calls = 0

        def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
            self.calls += 1
            if self.calls % 4 == 0:
                return super().run(doc)
            raise TargetError("HTTP 500")

    target = Alternating()
    target.start()
    c = Conformance(target, Expectations("t"), is_alive=lambda: False)
    with pytest.raises(TargetDown, match=r"failed 15 of its last (19|20) calls"):
        for _ in range(40):
            c.run(_scenario(), "f")
    assert target.calls <= 20


def test_a_target_failing_on_some_inputs_only_is_not_down() -> None:
    """The breaker asks whether the target still answers a plain request: it does, so the count starts
    again and the session goes on."""
    target = _Down(probe_alive=True)
    target.start()
    asked: list[bool] = []

    def alive() -> bool:
        asked.append(True)
        return True

    c = Conformance(target, Expectations("t"), is_alive=alive)
    for _ in range(25):
        c.run(_scenario(), "f")
    assert len(asked) == 2 and len(c.recent_failures) == 5 and c.down is None


_DOWN_TARGET = """
from tests.conformance.test_hostile_endpoint import _Down


def make():
    return _Down(alive_calls=2)
"""


@pytest.mark.parametrize("workers", [None, "2"])
def test_a_run_against_a_target_gone_down_stops_with_exit_3(tmp_path: Path, workers: str | None) -> None:
    """The whole run stops at the breaker (no later property runs, no traceback), exit 3, and its report
    says it was stopped and why."""
    (tmp_path / "gone_down.py").write_text(_DOWN_TARGET)
    argv = ["conformance", "--target", "gone_down:make", "-q", "--report", str(tmp_path / "r")]
    done, took = _rolecall(tmp_path, *argv, *(["-n", workers] if workers else []))
    text = done.stdout + done.stderr
    assert done.returncode == 3, text[-4000:]
    assert "it is down or overloaded, not diverging" in text and "INTERNALERROR" not in text
    assert took < 90, took
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["interrupted"] is True and "down or overloaded" in report["stopped"]
    ran = [f for f, row in report["features"].items() if row["examples"]]
    assert len(ran) <= (1 if workers is None else 2), ran  # one property per worker met the breaker


# ---------------------------------------------------------------------------------------------- provisioning


def _refusal(status: int, code: str) -> Any:
    from botocore.exceptions import ClientError

    error = {"Error": {"Code": code, "Message": "boom"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(error, "CreateRole")


@pytest.mark.parametrize(
    ("status", "code"), [(500, "InternalFailure"), (503, "503"), (502, "BadGateway"), (500, ""), (400, "Throttling")]
)
def test_a_target_failure_while_provisioning_is_a_target_error(status: int, code: str) -> None:
    """A 5xx (XML, HTML or JSON body) while the scenario's principals and policies are created is the
    target failing, never the scenario's answer: it was given back as the outcome ``error:InternalFailure``
    (``replay`` exited 1, a run reported 18 new divergences and an update pinned them)."""
    from rolecall.conformance.targets._aws import provision_error
    from rolecall.conformance.targets.endpoint import provision_or_outcome

    def create(_: object) -> Outcome:
        return provision_error(_refusal(status, code))

    with pytest.raises(TargetError):
        provision_or_outcome(create, None)


def test_a_refusal_of_the_files_credentials_while_provisioning_is_given_back_as_it_was() -> None:
    from rolecall.conformance.targets._aws import provision_error
    from rolecall.conformance.targets.endpoint import provision_or_outcome

    def create(_: object) -> Outcome:
        return provision_error(_refusal(403, "AccessDenied"))

    outcome = provision_or_outcome(create, None)
    assert isinstance(outcome, Outcome) and outcome.phase == "provision"
