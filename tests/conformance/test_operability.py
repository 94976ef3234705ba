"""A session's bookkeeping that a long run against an emulator relies on (issue 21): progress lines
within a property, unanswered examples counted apart (never divergences), the target's raw answer
kept as it came with the account renaming beside it.

Real components: the reference model as a target (tests/conformance/user_target.py), the real session.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance, NewDivergence, is_transport_failure
from rolecall.conformance.targets import Outcome, TargetError
from tests.conformance.user_target import ReferenceTwin

ROOT = Path(__file__).resolve().parents[2]


def _scenario() -> dict[str, Any]:
    return dict(json.loads((ROOT / "examples" / "01-user-same-account.json").read_text()))


class _Failing(ReferenceTwin):
    """Fails every call with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        raise TargetError(self.message)


class _Renaming(ReferenceTwin):
    """Provisions the scenario's account 111111111111 as 123456789012, and denies with a raw answer."""

    def prepare(self, doc: dict[str, Any]) -> dict[str, Any]:
        return dict(json.loads(json.dumps(doc).replace("111111111111", "123456789012")))

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        raw = {"Error": {"Code": "AccessDenied", "Message": "arn:aws:iam::123456789012:user/alice is not authorized"}}
        return Outcome(result={"decision": "denied", "message": raw["Error"]["Message"]}, raw=raw)


def test_progress_lines_say_what_a_property_has_done_so_far() -> None:
    target = ReferenceTwin()
    target.start()
    c = Conformance(target, Expectations("t"))
    lines: list[str] = []
    c.progress = lines.append
    c.PROGRESS_SECONDS = 0.0  # every call: what a line says, not when it comes
    c.start_test("test_same_account")
    for _ in range(3):
        c.check(_scenario(), "same-account")
    assert lines[-1].startswith("test_same_account: ")
    # a line comes as a call ends, before its example is counted
    assert "2 examples (3 calls), 2 agreed, 0 new classes so far" in lines[-1]


@pytest.mark.parametrize(
    "message",
    [
        "http://127.0.0.1:1/: ConnectionRefusedError: [Errno 111] Connection refused",
        "http://127.0.0.1:1/: no complete answer within 15 s",
        "HTTP 503 Service Unavailable",
    ],
)
def test_an_unanswered_example_is_counted_apart_never_a_divergence(message: str) -> None:
    target = _Failing(message)
    target.start()
    c = Conformance(target, Expectations("t"))
    c.start_test("p")
    c.check(_scenario(), "same-account")  # no NewDivergence: nothing for Hypothesis to shrink
    assert c.counts["same-account"].target_errors == 1 and c.counts["same-account"].examples == 0
    assert c.new == [] and c.pending == {}
    (error,) = c.data()["target_errors"]
    assert error["feature"] == "same-account" and error["message"] == message
    assert is_transport_failure(message)


def test_a_crash_on_a_scenario_is_still_a_finding() -> None:
    """An answer that names the emulator's own exception is no outage: a divergence, shrunk and pinnable."""
    message = "HTTP 500 InternalFailure: AttributeError: 'NoneType' object has no attribute 'get'"
    target = _Failing(message)
    target.start()
    c = Conformance(target, Expectations("t"))
    c.start_test("p")
    with pytest.raises(NewDivergence):
        c.check(_scenario(), "same-account")
    assert not is_transport_failure(message) and len(c.pending) == 1


def test_the_raw_answer_keeps_the_targets_ids_and_the_renaming_is_shown_beside_it() -> None:
    target = _Renaming()
    target.start()
    c = Conformance(target, Expectations("t"))
    found, _, _, _ = c.run(_scenario(), "same-account")
    d = found[0].to_json()
    assert d["accounts_renamed"] == {"111111111111": "123456789012"}
    assert "123456789012" in d["target"]["raw"]["Error"]["Message"]  # as the emulator said it
    assert "111111111111" in d["target"]["result"]["message"]  # beside the model's, in the scenario's ids
