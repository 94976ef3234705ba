"""Permissions boundaries and session policies limit the caller's side (docs/semantics.md R9, R10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import boundaries

pytestmark = [
    pytest.mark.rolecall_feature("boundaries-and-session-policies"),
    pytest.mark.rolecall_needs("identity-enforcement", "session-policies"),
]


@given(data=st.data())
def test_boundaries_and_session_policies(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios with a permissions boundary or a session policy on the caller's side."""
    rolecall.check(data.draw(boundaries(rolecall), label="scenario"), "boundaries-and-session-policies")
