"""Explicit denies win everywhere (docs/semantics.md R5): in the trust policy, identity policies, the
permissions boundary, the session policy, SCPs and RCPs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [
    pytest.mark.rolecall_feature("explicit-deny"),
    pytest.mark.rolecall_needs("trust-enforcement", "identity-enforcement"),
]


@given(data=st.data())
def test_explicit_deny(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios built to end in an explicit deny from some policy kind."""
    rolecall.check(data.draw(rolecall.scenarios(decision="explicitDeny"), label="scenario"), "explicit-deny")
