"""Session tags and source identity (docs/semantics.md R8, R13): sending them requires ``sts:TagSession`` /
``sts:SetSourceIdentity`` in the trust policy, and their values are validated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance
from rolecall.conformance._features import session_tags

pytestmark = [
    pytest.mark.rolecall_feature("session-tags-and-source-identity"),
    pytest.mark.rolecall_needs("session-tags", "source-identity", "trust-enforcement"),
]


@given(data=st.data())
def test_session_tags_and_source_identity(rolecall: Conformance, data: st.DataObject) -> None:
    """Scenarios whose request carries session tags (perhaps transitive) or a source identity."""
    rolecall.check(data.draw(session_tags(rolecall), label="scenario"), "session-tags-and-source-identity")
