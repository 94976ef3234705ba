"""Same-account AssumeRole: a trust policy naming the caller suffices (docs/semantics.md R10); naming the
account delegates to the identity policies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [
    pytest.mark.rolecall_feature("same-account"),
    pytest.mark.rolecall_needs("trust-enforcement", "identity-enforcement"),
]


@given(data=st.data())
def test_same_account(rolecall: Conformance, data: st.DataObject) -> None:
    """Same-account scenarios (direct grants, account delegation): the target decides as the model does."""
    rolecall.check(data.draw(rolecall.scenarios(cross_account=False), label="scenario"), "same-account")
