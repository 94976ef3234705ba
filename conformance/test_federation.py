"""The federated doors (docs/federation.md, rules F0-F13): AssumeRoleWithWebIdentity with GitHub
Actions, EKS, Cognito and Google tokens, and AssumeRoleWithSAML, against trust policies written
about the token's identity exactly or nearly (another repository, branch or owner, a look-alike
org, a value in another case, another pool or client, the provider of another account, a bare
host, ``"*"``, the wrong action), with trust and RCP Denies, session tags and token errors.

Tokens and assertions are sent unsigned: no emulator verifies signatures, and the suite checks
what the target decides from the claims (docs/federation.md, "What the suite sends")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.conformance import Conformance

pytestmark = [pytest.mark.rolecall_feature("federation")]


@pytest.mark.rolecall_needs("web-identity")
@given(data=st.data())
def test_web_identity(rolecall: Conformance, data: st.DataObject) -> None:
    """AssumeRoleWithWebIdentity: a token of a GitHub Actions, EKS, Cognito or Google identity."""
    doc = data.draw(rolecall.federated_scenarios("AssumeRoleWithWebIdentity"), label="scenario")
    rolecall.check(doc, "federation", ("decision", "message", "response"))


@pytest.mark.rolecall_needs("saml")
@given(data=st.data())
def test_saml(rolecall: Conformance, data: st.DataObject) -> None:
    """AssumeRoleWithSAML: an assertion of a SAML IdP mapping a user to the role."""
    doc = data.draw(rolecall.federated_scenarios("AssumeRoleWithSAML"), label="scenario")
    rolecall.check(doc, "federation", ("decision", "message", "response"))
