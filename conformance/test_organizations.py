"""Organizations (docs/semantics.md R7, R5): every level of the caller's SCP chain must allow; SCPs do not
apply to the management account; RCP denies apply to the role's account."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import organizations

pytestmark = [
    pytest.mark.rolecall_feature("organizations"),
    pytest.mark.rolecall_needs("organizations"),
]


@given(data=st.data())
def test_organizations(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios inside an organization with SCP and RCP chains."""
    rolecall.check(data.draw(organizations(rolecall), label="scenario"), "organizations")
