"""Wildcards and case (docs/semantics.md §4.3-4.4): ``*`` and ``?`` in actions and ARNs, regex metacharacters
as literals, action names case-insensitive, ARNs case-sensitive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import wildcards

pytestmark = [
    pytest.mark.rolecall_feature("wildcards-and-case"),
    pytest.mark.rolecall_needs("identity-enforcement"),
]


@given(data=st.data())
def test_wildcards_and_case(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios whose actions are re-cased and whose patterns carry ``?``, ``*``, ``.`` or ``+``."""
    rolecall.check(data.draw(wildcards(rolecall), label="scenario"), "wildcards-and-case")
