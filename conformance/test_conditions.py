"""Conditions (docs/semantics.md §4.5): every operator family, missing keys, ``...IfExists``, ``Null``, the set
operators ``ForAllValues`` / ``ForAnyValue``, policy variables, case-insensitive key names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import caller_conditions, condition_grid, conditions

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


@given(data=st.data())
def test_condition_operators(rolecall: Conformance, data: st.DataObject) -> None:
    """Every operator family, plain or negated, with or without IfExists, on a key present, absent or multi-valued,
    with or without a set operator or a policy variable (either policy version), in a Deny of every policy kind
    that holds conditions: a test that decides whether it holds or not (docs/coverage.md)."""
    rolecall.check(data.draw(condition_grid(rolecall), label="scenario"), "conditions")
