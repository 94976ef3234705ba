"""The target's known divergences still hold: each pinned counterexample is replayed and must
still diverge the way its signature says (strict: a fixed divergence fails until the file is updated).
Against another version of the target than the expectations were written for, an entry that no longer
reproduces is reported as fixed in that version, and does not fail the run."""

from __future__ import annotations

import json

import pytest

from rolecall.conformance import Conformance, TargetFailed
from rolecall.conformance.expectations import Expectation

pytestmark = [pytest.mark.rolecall_feature("expectations")]


def test_expectation_still_holds(rolecall: Conformance, rolecall_expectation: Expectation) -> None:
    """Replay one pinned counterexample of the expectations file."""
    e = rolecall_expectation
    status, d = rolecall.replay(e)
    if status == "fixed" and rolecall.version_note is not None:
        # another version of the target: a divergence it no longer has is news, not a failure (the run's
        # summary lists it as fixed in this version)
        return
    if status == "fixed":
        pytest.fail(
            f"expectation {e.id} ({e.reason}) no longer diverges: the target now agrees with AWS on its "
            "counterexample; run `rolecall conformance --update-expectations` to drop it"
        )
    if status == "target-error":
        assert d is not None
        raise TargetFailed(
            f"expectation {e.id} could not be replayed: the target failed ({d.difference.detail}); the "
            "entry is kept, neither confirmed nor disproved"
        )
    if status == "changed":
        assert d is not None
        pytest.fail(
            f"expectation {e.id} ({e.reason}) now diverges differently: {d.difference.detail}; facts "
            f"{json.dumps(d.facts)} no longer match its signature {json.dumps(e.signature)}"
        )
