"""What the suite sends at the federated doors reads back as the scenario said.

The SAML Response and IdP metadata (``rolecall.conformance._world``) are XML the
suite writes by hand; every text the scenario gives must survive a real XML
parser unchanged (a ``"`` in an attribute value once ended the attribute early).
The web identity token must decode to the scenario's claims.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from rolecall import model
from rolecall.conformance._world import saml_metadata, saml_response, web_identity_token
from tests.examples import scaled

SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"

#: any text XML 1.0 can carry: no control characters but tab, newline and carriage return (which a
#: parser normalises unless they are written as character references), no lone surrogates
xml_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\ufffe\uffff", min_codepoint=0x20)
    | st.sampled_from("\t\n\r"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=scaled(200), deadline=None)
@given(
    issuer=xml_text,
    name_id=xml_text,
    fmt=xml_text,
    recipient=xml_text,
    attributes=st.dictionaries(xml_text, st.lists(xml_text, min_size=1, max_size=3).map(tuple), max_size=4),
)
def test_saml_response_carries_every_text_unchanged(
    issuer: str, name_id: str, fmt: str, recipient: str, attributes: dict[str, tuple[str, ...]]
) -> None:
    a = model.SamlAssertion(
        issuer=issuer, name_id=name_id, name_id_format=fmt, recipient=recipient, attributes=attributes
    )
    root = ET.fromstring(base64.b64decode(saml_response(a, "valid", 1_800_000_000.0)))
    assertion = root.find(f"{SAML}Assertion")
    assert assertion is not None
    assert assertion.findtext(f"{SAML}Issuer") == issuer
    name = assertion.find(f"{SAML}Subject/{SAML}NameID")
    assert name is not None and name.text == name_id and name.get("Format") == fmt
    data = assertion.find(f"{SAML}Subject/{SAML}SubjectConfirmation/{SAML}SubjectConfirmationData")
    assert data is not None and data.get("Recipient") == recipient
    got = {
        e.get("Name"): tuple(v.text or "" for v in e.findall(f"{SAML}AttributeValue"))
        for e in assertion.findall(f"{SAML}AttributeStatement/{SAML}Attribute")
    }
    assert got == attributes


@settings(max_examples=scaled(100), deadline=None)
@given(xml_text)
def test_saml_metadata_names_the_issuer(issuer: str) -> None:
    assert ET.fromstring(saml_metadata(issuer)).get("entityID") == issuer


def test_a_quote_in_an_attribute_value_stays_inside_it() -> None:
    """The case that was wrong: ``escape`` alone left ``"`` unescaped inside ``Name="…"``."""
    a = model.SamlAssertion(issuer="i", name_id="n", recipient='https://x/"y', attributes={'a"b': ("v",)})
    text = base64.b64decode(saml_response(a, "valid", 0.0)).decode()
    assert 'Name="a&quot;b"' in text and 'Recipient="https://x/&quot;y"' in text


@settings(max_examples=scaled(100), deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20) | st.integers(0, 2**40), max_size=5))
def test_a_web_identity_token_decodes_to_the_claims(extra: dict[str, object]) -> None:
    claims = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main", **extra}
    fc = model.FederatedCaller("oidc", "token.actions.githubusercontent.com", claims)
    header, body, signature = web_identity_token(fc, 1_800_000_000.0).split(".")
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert {k: decoded[k] for k in claims} == claims
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["typ"] == "JWT"
    assert signature
