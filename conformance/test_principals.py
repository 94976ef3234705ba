"""Principal kinds and matching (docs/semantics.md R8, §4.2): users, roles and their sessions, accounts (root
ARN or bare id), ``*``, and near misses (another account, a prefix or suffix of the name, another
case, a path added or dropped) that must not match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [
    pytest.mark.rolecall_feature("principals"),
    pytest.mark.rolecall_needs("trust-enforcement"),
]


@given(data=st.data())
def test_principal_matching(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios built to be granted, or refused by the trust policy for want of a matching principal."""
    decision = data.draw(st.sampled_from(["allowed", "implicitDeny"]), label="decision")
    rolecall.check(data.draw(rolecall.scenarios(decision=decision), label="scenario"), "principals")
