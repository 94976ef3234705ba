"""Cross-account AssumeRole: both sides must allow (docs/semantics.md R9); the trust policy always decides (R8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [
    pytest.mark.rolecall_feature("cross-account"),
    pytest.mark.rolecall_needs("multi-account", "trust-enforcement", "identity-enforcement"),
]


@given(data=st.data())
def test_cross_account(rolecall: Conformance, data: st.DataObject) -> None:
    """Cross-account scenarios of every outcome: the target decides as the model does."""
    rolecall.check(data.draw(rolecall.scenarios(cross_account=True), label="scenario"), "cross-account")
