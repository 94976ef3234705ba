"""``--update-expectations`` protects what it rewrites: an entry whose replay met a target error is
kept with its hand-written reason and link (the target failed; the entry was not disproved), and
the file is replaced whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rolecall.conformance._update import update_expectations
from rolecall.conformance.expectations import Expectation, Expectations
from tests.conftest import EXAMPLES


class _Target:
    name, version = "emulator", "1.0"


def _entry(ident: str) -> Expectation:
    scenario = json.loads((EXAMPLES / "01-user-same-account.json").read_text())
    return Expectation(
        ident,
        "same-account",
        f"hand-written reason of {ident}",
        {"aspect": "decision", "accounts": "same"},
        scenario,
        link="https://example.invalid/hand",
    )


def test_entries_a_failing_target_could_not_replay_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "emulator.toml"
    before = Expectations("emulator", "1.0", [_entry("a-1"), _entry("a-2"), _entry("a-3")], path)
    path.write_text(before.dump())
    report: dict[str, Any] = {
        "expectations": {"replayed": {"a-1": "target-error", "a-2": "holds", "a-3": "fixed"}},
        "divergences": [],
    }
    update_expectations(before, report, _Target())  # type: ignore[arg-type]
    after = Expectations.load(path, "emulator")
    assert [e.id for e in after.entries] == ["a-1", "a-2"]  # the fixed one goes; the unreplayable one stays
    assert all(e.reason.startswith("hand-written") and e.link == "https://example.invalid/hand" for e in after.entries)


def _new(message: str, phase: str = "target-error") -> dict[str, Any]:
    scenario = json.loads((EXAMPLES / "01-user-same-account.json").read_text())
    facts = {"aspect": "decision", "phase": phase, "target": "target-error", "target_message": message}
    return {"status": "new", "feature": "same-account", "summary": message, "facts": facts, "scenario": scenario}


def test_a_target_error_of_transport_is_never_pinned_a_crash_is(tmp_path: Path) -> None:
    """A timeout or a refused connection would make the next outage "known": never an entry. A crash of
    the target on the scenario (an exception of the emulator) is one: its replay checks it every run."""
    path = tmp_path / "emulator.toml"
    report: dict[str, Any] = {
        "expectations": {"replayed": {}},
        "divergences": [
            _new("http://127.0.0.N:N/: no complete answer within N s"),
            _new("AssumeRole: EndpointConnectionError: Could not connect to the endpoint URL: '…'"),
            _new("HTTP N ServiceUnavailable: Service Unavailable"),
            _new("AssumeRole: ConnectionResetError: [Errno N] Connection reset by peer"),
            _new("AssumeRole: AttributeError: '…' object has no attribute '…'"),
        ],
    }
    update_expectations(Expectations("emulator", path=path), report, _Target())  # type: ignore[arg-type]
    after = Expectations.load(path, "emulator")
    assert [e.signature["target_message"] for e in after.entries] == [
        "AssumeRole: AttributeError: '…' object has no attribute '…'"
    ]
