"""The response itself (docs/semantics.md R14, §3.3): the assumed-role ARN (path dropped) and id
(``ROLEID:session``), an ``ASIA`` key, the expiration matching the duration, and GetCallerIdentity
with the new credentials answering as the session."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [pytest.mark.rolecall_feature("response"), pytest.mark.rolecall_needs("credentials")]


@given(data=st.data())
def test_response(rolecall: Conformance, data: st.DataObject) -> None:
    """Granted scenarios: the response and the issued credentials are AWS's."""
    rolecall.check(
        data.draw(rolecall.scenarios(decision="allowed"), label="scenario"),
        "response",
        aspects=("decision", "response"),
    )
