"""Request validation and error codes (docs/semantics.md R0, §3): the session name, external id, source
identity, session policy and tags are validated, and malformed policies are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import validation

pytestmark = [
    pytest.mark.rolecall_feature("request-validation"),
    pytest.mark.rolecall_needs("parameter-validation"),
]


@given(data=st.data())
def test_request_validation(rolecall: Conformance, data: st.DataObject) -> None:
    """Requests just outside AWS's constraints, and scenarios built to fail validation (some unauthorized
    too: this property tests the order of the two checks on purpose)."""
    rolecall.check(data.draw(validation(rolecall), label="scenario"), "request-validation", order=True)
