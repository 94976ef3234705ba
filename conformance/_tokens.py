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
import xml.parsers.expat as xml_parser
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..model import UndecidableError
from ..model.federation import INVALID_SAML, INVALID_TOKEN
from ..model.scenario import COGNITO_HOST, OAUTH_HOSTS, WELL_KNOWN_HOSTS, iso_time

__all__ = ["TokenRefused", "read_saml_response", "read_web_identity_token", "same_caller"]

_SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
_SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


class TokenRefused(Exception):
    """STS refuses the token or response before any policy is read: ``code`` and ``message`` are
    its answer (``InvalidIdentityToken`` for a token that is no JWT or a response that is no SAML)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise UndecidableError(
                f"the token repeats the claim {key!r}: which one an issuer or STS reads is not documented",
                f"$.federated_caller.claims.{key}",
            )
        out[key] = value
    return out


def _b64url_json(part: str) -> Any:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    """A NumericDate claim (RFC 7519 §2: seconds since the epoch), ``None`` when absent; any other value
    is not read (fail closed: STS's answer to it is not documented)."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UndecidableError(
            f"the token's {name} claim is not a number of seconds (RFC 7519 NumericDate): rolecall cannot tell "
            "when it is valid",
            f"$.federated_caller.claims.{name}",
        )
    return float(value)


def read_web_identity_token(token: str, provider_id: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The ``federated_caller`` of an AssumeRoleWithWebIdentity ``WebIdentityToken`` (a JWT: RFC 7519).

    The provider is the ``iss`` claim without ``https://`` (F3.1: STS finds the IAM OIDC provider
    whose URL is the issuer); ``cognito-identity.amazonaws.com`` is ``cognito`` and
    ``accounts.google.com`` ``well_known`` (docs/federation.md §3.2), any other issuer ``oidc``.
    ``token_status`` is ``expired`` when the ``exp`` claim has passed at ``now``, else ``valid``:
    the signature is not verified. Raises :class:`TokenRefused` for a token that is no JWT, and
    :class:`~rolecall.model.UndecidableError` for what the switch cannot read: an OAuth 2.0 access
    token (``ProviderId`` Facebook or Amazon), a token without ``iss`` or without a numeric ``exp``
    (an ID token's are REQUIRED: OpenID Connect Core 1.0 §2), one not valid yet (``nbf`` or ``iat``
    in the future: no status says so), and one that repeats a claim."""
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
        raise TokenRefused("InvalidIdentityToken", INVALID_TOKEN) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenRefused("InvalidIdentityToken", INVALID_TOKEN)
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise UndecidableError(
            "the token has no iss claim: rolecall cannot tell which identity provider issued it",
            "$.federated_caller.claims.iss",
        )
    provider = iss.split("://", 1)[1] if "://" in iss else iss
    kind = "cognito" if provider == COGNITO_HOST else "well_known" if provider in WELL_KNOWN_HOSTS else "oidc"
    moment = (now or datetime.now(UTC)).timestamp()
    exp = _number(claims, "exp")
    if exp is None:
        raise UndecidableError(
            "the token has no exp claim (REQUIRED in an ID token, OpenID Connect Core 1.0 §2): rolecall cannot "
            "tell whether STS takes it",
            "$.federated_caller.claims",
        )
    for name in ("nbf", "iat"):
        when = _number(claims, name)
        if when is not None and when > moment:
            raise UndecidableError(
                f"the token's {name} is in the future: it is not valid yet, which no token_status says "
                "(docs/federation.md §3.2)",
                f"$.federated_caller.claims.{name}",
            )
    return {
        "provider_kind": kind,
        "provider": provider,
        "claims": claims,
        "token_status": "expired" if exp <= moment else "valid",
    }


def _refuse_dtd(xml: bytes) -> None:
    """Parse ``xml`` once with expat, refusing any document type declaration (SAML Core §1.3: no DTD in
    SAML messages), which is also what could declare entities; expat reads the document's own encoding
    (UTF-16 included), so no byte pattern can hide one."""

    def refuse(*_: Any) -> None:
        raise ValueError("a DTD")

    parser = xml_parser.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(xml, True)


def _only_text(element: ET.Element, where: str) -> str:
    """The text of an element that holds text only (a child element in it is refused: the reader would
    drop what follows it)."""
    if len(element):
        raise UndecidableError(f"the SAML response's {where} holds elements, not text only", "$.federated_caller")
    return element.text or ""


def _one(parent: ET.Element, path: str, where: str) -> ET.Element | None:
    found = parent.findall(path)
    if len(found) > 1:
        raise UndecidableError(
            f"the SAML response has {len(found)} {where} elements where STS reads one: rolecall will not guess which",
            "$.federated_caller",
        )
    return found[0] if found else None


def read_saml_response(encoded: str, now: datetime | None = None) -> dict[str, Any]:
    """The ``federated_caller`` of an AssumeRoleWithSAML ``SAMLAssertion``: the base64 ``Response``
    (SAML Core 2.0; the fields STS reads, SAML-ASSERT): the assertion's own ``Issuer`` (REQUIRED,
    SAML Core §2.3.3: the Response's is not borrowed), ``Subject`` ``NameID`` and its ``Format``,
    the ``SubjectConfirmationData`` ``Recipient``, the ``Audience``, the ``AuthnStatement``'s
    ``SessionNotOnOrAfter`` and every ``Attribute`` with its values in order.

    ``token_status`` is ``expired`` when the subject confirmation's or the conditions'
    ``NotOnOrAfter`` has passed at ``now``, else ``valid``: the signature is not verified. Refused
    (:class:`TokenRefused`, STS's "Invalid SAML response"): what is not base64 XML, a DTD (SAML Core
    §1.3), a root other than ``samlp:Response``, a Response without an Assertion. Not decided
    (:class:`~rolecall.model.UndecidableError`): more than one Assertion, Subject, NameID, Issuer,
    Conditions or Audience, an encrypted assertion (the switch cannot decrypt it), a ``NotBefore`` in
    the future (no status says "not valid yet"), and elements inside a text field."""
    assertion = _saml_assertion(encoded)
    doc: dict[str, Any] = {}
    issuer = _one(assertion, _SAML + "Issuer", "Issuer")
    if issuer is not None:
        doc["issuer"] = _only_text(issuer, "Issuer")
    subject = _one(assertion, _SAML + "Subject", "Subject")
    doc.update(_name_id_fields(subject))
    moment = now or datetime.now(UTC)
    path = f"{_SAML}SubjectConfirmation/{_SAML}SubjectConfirmationData"
    confirmation = _one(subject, path, "SubjectConfirmationData") if subject is not None else None
    if confirmation is not None and confirmation.get("Recipient") is not None:
        doc["recipient"] = confirmation.get("Recipient")
    conditions = _one(assertion, _SAML + "Conditions", "Conditions")
    if conditions is not None:
        audience = _one(conditions, f"{_SAML}AudienceRestriction/{_SAML}Audience", "Audience")
        if audience is not None:
            doc["audience"] = _only_text(audience, "Audience")
    windows = [e for e in (confirmation, conditions) if e is not None]
    _refuse_not_yet_valid(windows, moment)
    authn = _one(assertion, _SAML + "AuthnStatement", "AuthnStatement")
    if authn is not None and authn.get("SessionNotOnOrAfter"):
        doc["session_not_on_or_after"] = authn.get("SessionNotOnOrAfter")
    attributes = _saml_attributes(assertion)
    if attributes:
        doc["attributes"] = attributes
    ends = [e.get("NotOnOrAfter") for e in windows]
    expired = any(when is not None and when <= moment for when in (iso_time(t) if t else None for t in ends))
    return {"provider_kind": "saml", "assertion": doc, "token_status": "expired" if expired else "valid"}


def _saml_assertion(encoded: str) -> ET.Element:
    """The one plain Assertion of a base64 SAML Response; refused when not base64 XML, with a DTD, another
    root or no Assertion, undecided when encrypted or more than one."""
    try:
        xml = base64.b64decode(encoded, validate=False)
        _refuse_dtd(xml)
        root = ET.fromstring(xml)
    except (ValueError, binascii.Error, ET.ParseError, xml_parser.ExpatError):
        raise TokenRefused("InvalidIdentityToken", INVALID_SAML) from None
    if root.tag != _SAMLP + "Response":
        raise TokenRefused("InvalidIdentityToken", INVALID_SAML)
    if root.find(_SAML + "EncryptedAssertion") is not None:
        raise UndecidableError(
            "the SAML response's assertion is encrypted: rolecall cannot decrypt it (STS does, with the "
            "provider's private key)",
            "$.federated_caller",
        )
    assertion = _one(root, _SAML + "Assertion", "Assertion")
    if assertion is None:
        raise TokenRefused("InvalidIdentityToken", INVALID_SAML)
    return assertion


def _name_id_fields(subject: ET.Element | None) -> dict[str, Any]:
    """The Subject's ``NameID`` and its ``Format``, when given."""
    name_id = _one(subject, _SAML + "NameID", "NameID") if subject is not None else None
    if name_id is None:
        return {}
    fields: dict[str, Any] = {"name_id": _only_text(name_id, "NameID")}
    if name_id.get("Format"):
        fields["name_id_format"] = name_id.get("Format")
    return fields


def _refuse_not_yet_valid(windows: list[ET.Element], moment: datetime) -> None:
    """Undecided when a subject confirmation's or the conditions' ``NotBefore`` is after ``moment``."""
    for element in windows:
        text = element.get("NotBefore")
        when = iso_time(text) if text else None
        if when is not None and when > moment:
            raise UndecidableError(
                "the SAML assertion's NotBefore is in the future: it is not valid yet, which no token_status says",
                "$.federated_caller",
            )


def _saml_attributes(assertion: ET.Element) -> dict[str, list[str]]:
    """Every ``Attribute`` of the assertion's statements with its values in order (one without a Name
    is refused)."""
    attributes: dict[str, list[str]] = {}
    for statement in assertion.findall(_SAML + "AttributeStatement"):
        for attribute in statement.findall(_SAML + "Attribute"):
            name = attribute.get("Name")
            if name is None:
                raise TokenRefused("InvalidIdentityToken", INVALID_SAML)
            values = [_only_text(v, "AttributeValue") for v in attribute.findall(_SAML + "AttributeValue")]
            attributes.setdefault(name, []).extend(values)
    return attributes


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
