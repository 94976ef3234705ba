"""Conditions (docs/semantics.md §4.5): every operator family, missing keys, ``...IfExists``, ``Null``, the set
operators ``ForAllValues`` / ``ForAnyValue``, policy variables, case-insensitive key names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import caller_conditions, conditions

pytestmark = [
    pytest.mark.rolecall_feature("conditions"),
    pytest.mark.rolecall_needs("conditions"),
]


@given(data=st.data())
def test_conditions(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios with Condition blocks in their trust, identity, boundary or session policies."""
    rolecall.check(data.draw(conditions(rolecall), label="scenario"), "conditions")


@given(data=st.data())
def test_caller_conditions(rolecall: Conformance, data: st.DataObject) -> None:
    """Conditions on keys the caller defines (aws:PrincipalArn, aws:username, aws:userid, aws:PrincipalAccount,
    aws:PrincipalType, aws:MultiFactorAuthPresent), against true values, confusable ones and policy variables."""
    rolecall.check(data.draw(caller_conditions(rolecall), label="scenario"), "conditions")
