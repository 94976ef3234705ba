"""Reading a web identity token or a SAML response back into a scenario's ``federated_caller``
(private; the public names are re-exported by :mod:`rolecall.conformance.moto_exact`).

The AWS-exact switch receives what a client sends to AssumeRoleWithWebIdentity (``WebIdentityToken``)
and AssumeRoleWithSAML (``SAMLAssertion``) and must hand the model the scenario's
``federated_caller`` (docs/federation.md §3.2): the token's claims, or the assertion's Issuer,
NameID, Recipient and attributes, and the ``token_status`` that stands for the cryptography.

What a token cannot say, these readers do not guess:

* **Signatures are not verified** (no JWKS is fetched, no certificate read; the switch does not
  verify SigV4 either): a well-formed token is ``valid`` unless it has expired. A test that needs
  ``invalid_signature`` gives the switch its own reader (``exact_sts(read_caller=...)``).
* A token that is no JWT, and a SAML response that is not base64 XML with an Assertion, are what
  STS refuses before it reads anything: :class:`TokenRefused` with STS's code and text (F3;
  SMITHY-STS for web identity, docs/federation.md §4 for SAML's observed texts).
* An OAuth 2.0 access token (Facebook, Login with Amazon, ``ProviderId``) is opaque: STS asks the
  provider for its claims, which the switch cannot do, so such a token is not read (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..model import UndecidableError
from ..model.scenario import COGNITO_HOST, OAUTH_HOSTS, WELL_KNOWN_HOSTS, iso_time

__all__ = ["TokenRefused", "read_saml_response", "read_web_identity_token", "same_caller"]

#: STS's answers to a token or response it cannot parse (model/federation.py's texts, F3).
_INVALID_TOKEN = (
    "The web identity token that was passed could not be validated by Amazon Web Services. "
    "Get a new identity token from the identity provider and then retry the request."
)
_INVALID_SAML = "Invalid SAML response"

_SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
_SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


class TokenRefused(Exception):
    """STS refuses the token or response before any policy is read: ``code`` and ``message`` are
    its answer (``InvalidIdentityToken`` for a token that is no JWT or a response that is no SAML)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def _b64url_json(part: str) -> Any:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw.decode("utf-8"))


def read_web_identity_token(token: str, provider_id: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The ``federated_caller`` of an AssumeRoleWithWebIdentity ``WebIdentityToken`` (a JWT: RFC 7519).

    The provider is the ``iss`` claim without ``https://`` (F3.1: STS finds the IAM OIDC provider
    whose URL is the issuer); ``cognito-identity.amazonaws.com`` is ``cognito`` and
    ``accounts.google.com`` ``well_known`` (docs/federation.md §3.2), any other issuer ``oidc``.
    ``token_status`` is ``expired`` when the ``exp`` claim has passed at ``now``, else ``valid``:
    the signature is not verified. Raises :class:`TokenRefused` for a token that is no JWT, and
    :class:`~rolecall.model.UndecidableError` for what the switch cannot read: an OAuth 2.0 access
    token (``ProviderId`` Facebook or Amazon) and a token without ``iss``."""
    if provider_id in OAUTH_HOSTS:
        raise UndecidableError(
            f"an OAuth 2.0 access token of {provider_id} is opaque: STS asks {provider_id} for its claims, "
            "which rolecall cannot do (give exact_sts a read_caller that knows them)",
            "$.federated_caller",
        )
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        header, claims = _b64url_json(parts[0]), _b64url_json(parts[1])
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise TokenRefused("InvalidIdentityToken", _INVALID_TOKEN) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenRefused("InvalidIdentityToken", _INVALID_TOKEN)
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise UndecidableError(
            "the token has no iss claim: rolecall cannot tell which identity provider issued it",
            "$.federated_caller.claims.iss",
        )
    provider = iss.split("://", 1)[1] if "://" in iss else iss
    kind = "cognito" if provider == COGNITO_HOST else "well_known" if provider in WELL_KNOWN_HOSTS else "oidc"
    moment = now or datetime.now(UTC)
    exp = claims.get("exp")
    expired = isinstance(exp, int | float) and not isinstance(exp, bool) and exp <= moment.timestamp()
    return {
        "provider_kind": kind,
        "provider": provider,
        "claims": claims,
        "token_status": "expired" if expired else "valid",
    }


def _text(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    return element.text or ""


def read_saml_response(encoded: str, now: datetime | None = None) -> dict[str, Any]:
    """The ``federated_caller`` of an AssumeRoleWithSAML ``SAMLAssertion``: the base64 ``Response``
    (SAML Core 2.0; the fields STS reads, SAML-ASSERT): the assertion's ``Issuer`` (the response's
    when the assertion has none), ``Subject`` ``NameID`` and its ``Format``, the
    ``SubjectConfirmationData`` ``Recipient``, the ``Audience``, the ``AuthnStatement``'s
    ``SessionNotOnOrAfter`` and every ``Attribute`` with its values in order.

    ``token_status`` is ``expired`` when the subject confirmation's (or the conditions')
    ``NotOnOrAfter`` has passed at ``now``, else ``valid``: the signature is not verified. A response
    that is not base64 XML with an Assertion, or that carries a DOCTYPE (SAML forbids DTDs: SAML
    Core §1.3), is :class:`TokenRefused`."""
    try:
        xml = base64.b64decode(encoded, validate=False)
        if b"<!DOCTYPE" in xml.upper():
            raise ValueError("a DTD")
        root = ET.fromstring(xml)
    except (ValueError, binascii.Error, ET.ParseError):
        raise TokenRefused("InvalidIdentityToken", _INVALID_SAML) from None
    assertion = root if root.tag == _SAML + "Assertion" else root.find(_SAML + "Assertion")
    if assertion is None:
        raise TokenRefused("InvalidIdentityToken", _INVALID_SAML)
    doc: dict[str, Any] = {}
    issuer = _text(assertion.find(_SAML + "Issuer"))
    if issuer is None and root is not assertion:
        issuer = _text(root.find(_SAML + "Issuer"))
    if issuer is not None:
        doc["issuer"] = issuer
    subject = assertion.find(_SAML + "Subject")
    name_id = subject.find(_SAML + "NameID") if subject is not None else None
    if name_id is not None:
        doc["name_id"] = _text(name_id)
        if name_id.get("Format"):
            doc["name_id_format"] = name_id.get("Format")
    confirmation = (
        subject.find(f"{_SAML}SubjectConfirmation/{_SAML}SubjectConfirmationData") if subject is not None else None
    )
    until = confirmation.get("NotOnOrAfter") if confirmation is not None else None
    if confirmation is not None and confirmation.get("Recipient") is not None:
        doc["recipient"] = confirmation.get("Recipient")
    conditions = assertion.find(_SAML + "Conditions")
    if conditions is not None:
        audience = conditions.find(f"{_SAML}AudienceRestriction/{_SAML}Audience")
        if audience is not None:
            doc["audience"] = _text(audience)
        until = until or conditions.get("NotOnOrAfter")
    authn = assertion.find(_SAML + "AuthnStatement")
    if authn is not None and authn.get("SessionNotOnOrAfter"):
        doc["session_not_on_or_after"] = authn.get("SessionNotOnOrAfter")
    attributes: dict[str, list[str]] = {}
    for statement in assertion.findall(_SAML + "AttributeStatement"):
        for attribute in statement.findall(_SAML + "Attribute"):
            name = attribute.get("Name")
            if name is None:
                raise TokenRefused("InvalidIdentityToken", _INVALID_SAML)
            values = [v.text or "" for v in attribute.findall(_SAML + "AttributeValue")]
            attributes.setdefault(name, []).extend(values)
    if attributes:
        doc["attributes"] = attributes
    moment = now or datetime.now(UTC)
    when = iso_time(until) if until else None
    expired = when is not None and when <= moment
    return {"provider_kind": "saml", "assertion": doc, "token_status": "expired" if expired else "valid"}


def same_caller(read: Mapping[str, Any], meant: Mapping[str, Any]) -> str | None:
    """Where a caller read back from a token (:func:`read_web_identity_token`,
    :func:`read_saml_response`) differs from the scenario's ``federated_caller`` it was built from
    (``conformance/_world.py``), in what a token can carry; ``None`` when it does not. The builder
    adds ``iss``, ``iat`` and ``exp`` to claims that lack them and a default ``Audience`` to an
    assertion; the status is compared when it is one a token can show (valid, expired)."""
    if read.get("provider_kind") != meant.get("provider_kind"):
        return f"provider_kind {read.get('provider_kind')!r}, the scenario {meant.get('provider_kind')!r}"
    status = meant.get("token_status", "valid")
    if status in ("valid", "expired") and read.get("token_status") != status:
        return f"token_status {read.get('token_status')!r}, the scenario {status!r}"
    if meant.get("provider_kind") == "saml":
        got, want = dict(read.get("assertion", {})), dict(meant.get("assertion", {}))
        if "audience" not in want:
            got.pop("audience", None)
        if got != want:
            return f"assertion {got!r}, the scenario {want!r}"
        return None
    if read.get("provider") != meant.get("provider"):
        return f"provider {read.get('provider')!r}, the scenario {meant.get('provider')!r}"
    claims, want = read.get("claims", {}), meant.get("claims", {})
    extra = {k: v for k, v in claims.items() if k not in want and k not in ("iss", "iat", "exp")}
    differ = {k for k in want if claims.get(k, object()) != want[k]}
    if extra or differ:
        return f"claims {sorted(extra) + sorted(differ)} differ from the scenario's"
    return None
