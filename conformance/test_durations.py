"""Durations and chaining (docs/semantics.md R0, R13): ``DurationSeconds`` from 900 to the role's
``MaxSessionDuration``, and at most one hour for role chaining."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import durations

pytestmark = [
    pytest.mark.rolecall_feature("durations-and-chaining"),
    pytest.mark.rolecall_needs("parameter-validation"),
]


@given(data=st.data())
def test_durations_and_chaining(rolecall: Conformance, data: st.DataObject) -> None:
    """Granted scenarios with durations at the edges of their ranges, for users and role sessions."""
    rolecall.check(data.draw(durations(rolecall), label="scenario"), "durations-and-chaining")
