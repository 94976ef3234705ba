"""The AccessDenied message (docs/semantics.md §3.6): ``User: ARN is not authorized to perform: ACTION on
resource: ROLE`` and the explicit-deny wording."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [
    pytest.mark.rolecall_feature("access-denied-message"),
    pytest.mark.rolecall_needs("trust-enforcement"),
]


@given(data=st.data())
def test_access_denied_message(rolecall: Conformance, data: st.DataObject) -> None:
    """Denied scenarios: the target's message is AWS's, word for word."""
    decision = data.draw(st.sampled_from(["implicitDeny", "explicitDeny"]), label="decision")
    rolecall.check(
        data.draw(rolecall.scenarios(decision=decision), label="scenario"),
        "access-denied-message",
        aspects=("decision", "message"),
    )
