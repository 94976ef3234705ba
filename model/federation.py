"""The federated doors: AssumeRoleWithWebIdentity and AssumeRoleWithSAML, docs/federation.md rules
F0-F12, one function per rule (F13, sessions that come out of federation, is part of the
AssumeRole rules: ``model/decide.py``).

Read :func:`decide_federated` first: it is the whole rule. The caller is unsigned and has no AWS
identity (F2): only the role's trust policy and its account's RCPs take part; the token or
assertion is checked before any policy is read (F3), and its claims become the condition keys of
the request (F6). The contested points are :class:`~rolecall.model.scenario.Semantics` options,
honoured here and nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .conditions import Context, UndecidableError
from .errors import MalformedPolicyError
from .policy import Policy, PolicyKind, Statement, parse_policy_text
from .providers import SAML_ATTRIBUTE_KEYS, SAML_MULTI_VALUED, one_audience, provider_claim_keys
from .result import AssumedRole, Reason, Result
from .scenario import (
    COGNITO_HOST,
    OAUTH_HOSTS,
    ROLES_CLAIM,
    SOURCE_IDENTITY_CLAIM,
    SURVIVING_SAML_KEYS,
    SURVIVING_WEB_KEYS,
    TAGS_CLAIM,
    FederatedScenario,
    OidcProvider,
    SamlAssertion,
    SamlProvider,
    iso_time,
)
from .validation import (
    SESSION_NAME,
    constraint,
    packed_size_refusal,
    sensitive_constraint,
    validation_error,
    violations,
)

__all__ = [
    "SAML",
    "WEB_IDENTITY",
    "decide_federated",
    "federated_actions",
    "federated_context",
    "federated_granting_reasons",
]

WEB_IDENTITY, SAML = "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"
TAG, SOURCE_IDENTITY = "sts:TagSession", "sts:SetSourceIdentity"
_PRIMARY = {"AssumeRoleWithWebIdentity": WEB_IDENTITY, "AssumeRoleWithSAML": SAML}

#: SAML attribute names AWS reads (SAML-ASSERT; names are case-sensitive).
SAML_ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
SAML_SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SAML_SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
SAML_SOURCE_IDENTITY = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
SAML_TAG_PREFIX = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
SAML_TRANSITIVE = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
#: The AWS sign-in SAML endpoints a Recipient may name (SAML-ASSERT).
_SIGNIN = ("https://signin.aws.amazon.com/saml", "https://signin.aws.amazon.com/static/saml")
_NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"

#: STS's texts for token failures (SMITHY-STS error documentation; observed texts where cited).
EXPIRED_TOKEN = (
    "The web identity token that was passed is expired or is not valid. "
    "Get a new identity token from the identity provider and then retry the request."
)
INVALID_TOKEN = (
    "The web identity token that was passed could not be validated by Amazon Web Services. "
    "Get a new identity token from the identity provider and then retry the request."
)
INVALID_SAML = "Invalid SAML response"
IDP_UNREACHABLE = (
    "The request could not be fulfilled because the identity provider (IDP) that was asked to "
    "verify the incoming identity token could not be reached."
)
IDP_REJECTED = (
    "The identity provider (IdP) reported that authentication failed. This might be because the "
    "claim is invalid. If this error is returned for the AssumeRoleWithWebIdentity operation, it can "
    "also mean that the claim has expired or has been explicitly revoked."
)
_STATUS_ERRORS = {
    "expired": ("ExpiredTokenException", EXPIRED_TOKEN),
    "invalid_signature": ("InvalidIdentityToken", INVALID_TOKEN),
    "malformed": ("InvalidIdentityToken", INVALID_TOKEN),
    "idp_unreachable": ("IDPCommunicationError", IDP_UNREACHABLE),
    "idp_rejected": ("IDPRejectedClaim", IDP_REJECTED),
}
_SAML_STATUS_ERRORS = {
    **_STATUS_ERRORS,
    "expired": ("ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance"),
    "invalid_signature": ("InvalidIdentityToken", "Response signature invalid"),
    "malformed": ("InvalidIdentityToken", INVALID_SAML),
    "idp_rejected": ("IDPRejectedClaim", IDP_REJECTED),
}


# =========================================================================== the rule


def decide_federated(s: FederatedScenario) -> Result:
    """Decide a federated scenario: the first rule that yields a result ends evaluation
    (docs/federation.md §2.4). F7 (explicit deny) is checked for every action before any Allow."""
    result = (
        trust_storable(s)
        or validate_federated_request(s)
        or check_token(s)
        or federated_role_exists(s)
        or authorize_federated(s)
        or federated_post_checks(s)
        or federated_credentials(s)
    )
    return result if result.id == s.id else Result._make((*result[:-1], s.id))


# =========================================================================== F0, F1


def trust_storable(s: FederatedScenario) -> Result | None:
    """F0: a trust policy IAM would refuse to store (docs/semantics.md §4.2 and the identity-provider
    controls, :func:`rolecall.model.providers.idp_controls_error`) means the role cannot exist."""
    if s.malformed is None:
        return None
    m = s.malformed
    return Result("error", "F0", error_code=m.error_code, message=f"{m.message} (at {m.path})")


def validate_federated_request(s: FederatedScenario) -> Result | None:
    """F1: the API's parameters against the service model (SMITHY-STS): RoleArn 20-2048,
    RoleSessionName 2-64 ``[\\w+=,.@-]*`` (web identity), PrincipalArn 20-2048 (SAML), ProviderId
    4-2048, DurationSeconds 900-43200, Policy 1-2048 characters, at most 10 PolicyArns, the token
    or assertion at most 20,000 or 100,000 characters (:func:`_token_length`); all violations in one
    ``ValidationError``, in AWS's shape."""
    r = s.request
    errors = [*violations("roleArn", s.role.arn.arn, "roleArn")]
    if r.role_session_name is not None:
        errors += violations("roleSessionName", r.role_session_name, "roleSessionName")
    if r.principal_arn is not None:
        errors += violations("principalArn", r.principal_arn, "principalArn")
    errors += _token_length(s)
    if r.provider_id is not None:
        errors += violations("providerId", r.provider_id, "providerId")
    if r.duration_seconds is not None and not 900 <= r.duration_seconds <= 43200:
        bound = "greater than or equal to 900" if r.duration_seconds < 900 else "less than or equal to 43200"
        errors.append(constraint(r.duration_seconds, "durationSeconds", f"Member must have value {bound}"))
    if r.policy is not None:
        errors += violations("federatedPolicy", r.policy, "policy")
    if r.policy_arns is not None and len(r.policy_arns) > 10:
        errors.append(constraint("[...]", "policyArns", "Member must have length less than or equal to 10"))
    for i, arn in enumerate(r.policy_arns or (), 1):
        errors += violations("policyArns.member.arn", arn, f"policyArns.{i}.member.arn")
    return validation_error(errors, "F1")


#: The longest token and assertion the APIs take (SMITHY-STS: clientTokenType 4-20,000, SAMLAssertionType
#: 4-100,000 characters, both ``sensitive``), and how much an IdP may add to what the scenario states: a
#: JWT's header and a signature of up to 4,096 bits; a signed SAML Response's signature, certificate and
#: markup. Within that band of the limit the model cannot know the length AWS sees (fail closed, F1).
TOKEN_LIMITS = {
    "AssumeRoleWithWebIdentity": ("webIdentityToken", 20_000, 2_048),
    "AssumeRoleWithSAML": ("SAMLAssertion", 100_000, 16_384),
}


def _token_length(s: FederatedScenario) -> list[str]:
    """F1: the token or assertion against its maximum length, from the least the scenario's claims or
    attributes take once encoded (a JWT: the claims' compact JSON in base64url, a header and the
    shortest signature, ES256's; a SAML Response: its texts alone, in base64). Over the maximum it is
    a ``ValidationError`` whatever the IdP adds; within the band below it, undecidable. An OAuth 2.0
    access token is opaque (its claims are the provider's answer, not its text): no bound."""
    fc = s.federated_caller
    field, limit, band = TOKEN_LIMITS[s.api]
    if fc.token_status == "malformed" or fc.provider in OAUTH_HOSTS:
        return []
    if fc.assertion is not None:
        a = fc.assertion
        texts = [a.issuer, a.name_id, a.name_id_format, a.recipient, a.audience, a.session_not_on_or_after]
        texts += [t for name, values in a.attributes.items() for t in (name, *values)]
        least = 4 * math.ceil(sum(len(t.encode()) for t in texts if t) / 3)
    else:
        claims = json.dumps(dict(fc.claims), separators=(",", ":"), ensure_ascii=False).encode()
        # '{"alg":"ES256"}' is 20 characters in base64url, an ES256 signature 86, and two dots
        least = math.ceil(len(claims) * 4 / 3) + 20 + 86 + 2
    if least > limit:
        return [sensitive_constraint(field, f"Member must have length less than or equal to {limit}")]
    if least > limit - band:
        raise UndecidableError(
            f"the {field} is at least {least} characters once encoded, within {band} of its maximum {limit}: the "
            "length AWS sees depends on what the identity provider adds (header, signature), so rolecall will not "
            "guess",
            "$.federated_caller",
        )
    return []


# =========================================================================== F3


def check_token(s: FederatedScenario) -> Result | None:
    """F3: the identity provider, the token or assertion, before any policy is read.

    Web identity (F3.1-F3.4): an IAM OIDC provider whose URL is the token's ``iss`` must exist in
    the *role's* account (CAC-721, MOZ-127); then the token's status; an ``aud`` that is one of the
    provider's client IDs (RUBY-2698, IRSA-18; [C] for an array, any one suffices); the roles
    claim must name the role (STEELE-ROLES). Cognito and Google need no IAM provider; Facebook and
    Amazon tokens are OAuth 2.0 access tokens named by ``ProviderId``. SAML (F3.5): the provider
    ARN in the role's account (GSTS-1), the assertion's status, issuer (CB-3112), recipient, Role
    attribute and RoleSessionName attribute (SAML-ASSERT, AZ-45025).
    """
    if s.api == "AssumeRoleWithSAML":
        return _check_assertion(s)
    return _check_web_token(s)


def _token_error(code: str, message: str) -> Result:
    return Result("error", "F3", error_code=code, message=message)


def _check_web_token(s: FederatedScenario) -> Result | None:
    fc = s.federated_caller
    claims = fc.claims
    provider = fc.provider or ""
    if provider in OAUTH_HOSTS:
        if s.request.provider_id != provider:
            return _token_error(
                "InvalidIdentityToken", f"An OAuth 2.0 access token of {provider} needs ProviderId {provider}."
            )
    else:
        iss = claims.get("iss", "https://" + provider)
        if not iss.startswith("https://") and not (provider == "accounts.google.com" and iss == provider):
            # Google issues both "https://accounts.google.com" and "accounts.google.com" (OIDC Core §3.1.3.7)
            return _token_error("InvalidIdentityToken", f"The issuer {iss} of the token is not an https URL.")
        if fc.provider_kind == "oidc" and _oidc_provider(s) is None:
            return _token_error("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {iss}")
    if fc.token_status != "valid":
        return _token_error(*_STATUS_ERRORS[fc.token_status])
    if provider not in OAUTH_HOSTS:
        auds = _auds(claims)
        if not auds:
            return _token_error("InvalidIdentityToken", "Missing a required claim: aud")
        registered = _oidc_provider(s)
        if registered is not None and not any(a in registered.client_ids for a in auds):
            return _token_error("InvalidIdentityToken", "Incorrect token audience")
    if provider not in OAUTH_HOSTS and "sub" not in claims:
        return _token_error("InvalidIdentityToken", "Missing a required claim: sub")
    if ROLES_CLAIM in claims and s.role.arn.arn not in _as_list(claims[ROLES_CLAIM]):
        return _token_error(
            "InvalidIdentityToken", "The target role ARN is not present in the roles claim of the identity token"
        )
    if provider not in OAUTH_HOSTS:
        _never_signed(claims, provider)
    return None


#: Cognito's ``amr`` values that say how the identity signed in (COG-TRUST): the first of every token.
_COGNITO_AMR = ("authenticated", "unauthenticated")


def _never_signed(claims: Mapping[str, Any], provider: str) -> None:
    """F3.1-F3.3: refuse to decide an ID token no issuer signs (fail closed; docs/federation.md §2.3, F3,
    web identity step 7).

    AWS never sees such a token, so no answer about it is AWS's, and the solver's federated frame
    (``model/solver/federated_frame.py``) leaves it out: a ``sub`` that is empty (OpenID Connect Core
    1.0 §2: the subject is an identifier of the end user, REQUIRED), an empty audience (an OIDC
    provider's client IDs are 1-255 characters, OIDC-CREATE; Cognito's is the pool, Google's the OAuth
    client), an empty Google ``azp`` (it becomes ``accounts.google.com:aud``, F6), an array ``aud`` from an
    issuer that signs one audience (``providers.one_audience``: GitHub, GH-OIDC-CLAIMS; Cognito, COG-TRUST),
    and a Cognito ``amr`` other than Cognito's two shapes (COG-TRUST): ``["unauthenticated"]`` alone, or
    ``"authenticated"`` first and then the login providers.
    """
    where = "$.federated_caller.claims"
    if claims.get("sub") == "":
        raise UndecidableError(
            "an empty sub: an issuer signs the end user's identifier there (OpenID Connect Core §2), so AWS "
            "never sees this token and rolecall will not guess its answer",
            f"{where}.sub",
        )
    if "" in _auds(claims) or (provider == "accounts.google.com" and claims.get("azp") == ""):
        raise UndecidableError(
            "an empty audience: no issuer signs one (client IDs are 1-255 characters), so rolecall will not "
            "guess AWS's answer",
            f"{where}.aud",
        )
    if one_audience(provider) and not isinstance(claims.get("aud"), str):
        raise UndecidableError(
            f"a token of {provider} whose aud is not one string: that issuer signs one audience (GitHub: the "
            "owner's URL or the job's one audience; Cognito: the identity pool's ID), so AWS never sees this token",
            f"{where}.aud",
        )
    if provider != COGNITO_HOST:
        return
    amr = _as_list(claims.get("amr"))
    first, rest = (amr[0], amr[1:]) if amr else (None, [])
    if (
        first not in _COGNITO_AMR
        or (first == "unauthenticated" and rest)
        or any(v in _COGNITO_AMR or not v for v in rest)
    ):
        raise UndecidableError(
            f'a Cognito identity token with amr {amr!r}: Cognito signs ["unauthenticated"] alone, or '
            '"authenticated" then the login providers (COG-TRUST), so AWS never sees this token',
            f"{where}.amr",
        )


def _oidc_provider(s: FederatedScenario) -> OidcProvider | None:
    """The IAM OIDC provider of the role's account whose URL is the token's issuer (F3.1 step 2)."""
    fc = s.federated_caller
    if fc.provider_kind != "oidc":
        return None
    iss = fc.claims.get("iss", "https://" + (fc.provider or ""))
    entry = s.identity_providers.get(s.role.arn.account)
    return next((p for p in entry.oidc if p.url == iss), None) if entry else None


def _saml_provider(s: FederatedScenario) -> SamlProvider | None:
    entry = s.identity_providers.get(s.role.arn.account)
    arn = s.request.principal_arn
    return next((p for p in entry.saml if p.arn == arn), None) if entry else None


def _check_assertion(s: FederatedScenario) -> Result | None:
    a = s.federated_caller.assertion
    assert a is not None  # the loader requires it for AssumeRoleWithSAML
    arn = s.request.principal_arn or ""
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    if account != s.role.arn.account:
        return _token_error("ValidationError", "Principal exists outside the account of the Role being assumed")
    provider = _saml_provider(s)
    if provider is None:  # [C] the code is not documented
        return _token_error("InvalidIdentityToken", f"The SAML provider {arn} does not exist in the account")
    status = s.federated_caller.token_status
    if status != "valid":
        return _token_error(*_SAML_STATUS_ERRORS[status])
    return _check_assertion_fields(a, provider) or _check_role_attribute(s, a, arn) or _check_session_attributes(a)


def _check_assertion_fields(a: SamlAssertion, provider: SamlProvider) -> Result | None:
    """F3: the assertion's Issuer is the provider's (SAML Core §2.3.3: REQUIRED), its Recipient an AWS
    sign-in endpoint, and it names its subject (an empty NameID is undecidable: no IdP sends one)."""
    if not a.issuer or a.issuer != provider.issuer:
        return _token_error("InvalidIdentityToken", "Issuer not present in specified provider")
    if a.recipient is None or not _signin_endpoint(a.recipient):
        return _token_error("InvalidIdentityToken", "The SAML response has no Recipient naming an AWS sign-in endpoint")
    if a.name_id is None:
        return _token_error("InvalidIdentityToken", "The SAML response has no Subject NameID")
    if a.name_id == "":
        raise UndecidableError(
            "an empty Subject NameID: an identity provider names the user there, so AWS never sees this "
            "assertion and rolecall will not guess its answer",
            "$.federated_caller.assertion.name_id",
        )
    return None


def _check_role_attribute(s: FederatedScenario, a: SamlAssertion, arn: str) -> Result | None:
    """F3: the ``Role`` attribute must pair this role with this provider; without the pair, an error or a
    trust refusal per ``saml_role_attribute_required``."""
    pairs = [frozenset(v.replace(" ", "").split(",")) for v in a.attributes.get(SAML_ROLE, ())]
    if frozenset((s.role.arn.arn, arn)) in pairs:
        return None
    if s.semantics.saml_role_attribute_required:
        return _token_error(
            "InvalidIdentityToken", "The Role attribute of the SAML response does not list this role and provider"
        )
    return _denied(s, SAML, PolicyKind.TRUST, "F3")


def _check_session_attributes(a: SamlAssertion) -> Result | None:
    """F3: ``RoleSessionName`` is required and a valid session name; ``SessionDuration``, when given,
    900 to 43200 seconds."""
    names = a.attributes.get(SAML_SESSION_NAME, ())
    if not names or not 2 <= len(names[0]) <= 64 or SESSION_NAME.fullmatch(names[0]) is None:
        return _token_error(
            "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
        )
    duration = a.attributes.get(SAML_SESSION_DURATION, ())
    if duration and not (duration[0].isascii() and duration[0].isdigit() and 900 <= int(duration[0][:6]) <= 43200):
        return _token_error("InvalidIdentityToken", "SessionDuration in AuthnResponse must be 900 to 43200 seconds")
    return None


#: A Region code as the regional sign-in endpoints spell it (``us-east-1``): lower-case ASCII letters,
#: digits and dashes (the AWS General Reference, "Regional endpoints").
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _signin_endpoint(url: str) -> bool:
    """``https://signin.aws.amazon.com/saml``, ``…/static/saml`` or ``https://REGION.signin.aws.amazon.com/saml``."""
    if url in _SIGNIN:
        return True
    head, sep, tail = url.partition(".signin.aws.amazon.com/")
    return (
        bool(sep)
        and _REGION.fullmatch(head.removeprefix("https://")) is not None
        and head.startswith("https://")
        and tail in ("saml", "static/saml")
    )


# =========================================================================== F4, F5


def federated_role_exists(s: FederatedScenario) -> Result | None:
    """F4: a RoleArn that names no role is refused like a trust refusal (as R2; KIAM-33)."""
    if s.role.exists:
        return None
    return _denied(s, _PRIMARY[s.api], PolicyKind.TRUST, "F4")


def federated_actions(s: FederatedScenario) -> tuple[str, ...]:
    """F5: the API's own action, plus ``sts:TagSession`` when the token or assertion carries
    session tags, plus ``sts:SetSourceIdentity`` when it carries a source identity (TAGS: "trust
    policies for all roles connected to the identity provider (IdP) passing tags must have the
    sts:TagSession permission"; SRCID likewise)."""
    tags, transitive = _session_tags(s)
    return (
        _PRIMARY[s.api],
        *((TAG,) if tags or transitive else ()),
        *((SOURCE_IDENTITY,) if _source_identity(s) is not None else ()),
    )


def _session_tags(s: FederatedScenario) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The session tags (key, values) and transitive keys the token or assertion passes."""
    fc = s.federated_caller
    if fc.assertion is not None:
        attrs = fc.assertion.attributes
        tags = [
            (name[len(SAML_TAG_PREFIX) :], list(v)) for name, v in attrs.items() if name.startswith(SAML_TAG_PREFIX)
        ]
        return tags, list(attrs.get(SAML_TRANSITIVE, ()))
    claim = fc.claims.get(TAGS_CLAIM) or {}
    return list(claim.get("principal_tags", {}).items()), list(claim.get("transitive_tag_keys", []))


def _source_identity(s: FederatedScenario) -> str | None:
    fc = s.federated_caller
    if fc.assertion is not None:
        values = fc.assertion.attributes.get(SAML_SOURCE_IDENTITY, ())
        return values[0] if values else None
    v = fc.claims.get(SOURCE_IDENTITY_CLAIM)
    return v if isinstance(v, str) else None


# =========================================================================== F6


def federated_context(s: FederatedScenario, now: datetime | None = None) -> dict[str, str | tuple[str, ...]]:
    """F6: the request context of a federated call, keys lower-cased.

    The provider's keys come from the token or assertion: ``<provider>:aud``/``sub``/``azp`` of
    every JWT (Google: ``aud`` is ``azp`` when present and ``oaud`` the ``aud``; Cognito: ``amr``),
    the 2026 provider-specific claim keys (:func:`rolecall.model.providers.provider_claim_keys`),
    ``graph.facebook.com:app_id``/``id`` and ``www.amazon.com:app_id``/``user_id`` (STSKEYS,
    SAR-STS); for SAML ``saml:aud`` (the Recipient), ``iss``, ``sub``, ``sub_type``, ``doc``,
    ``namequalifier`` and the mapped attributes. Any other claim is absent. There is no principal
    key: no ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalOrgID``,
    ``aws:PrincipalIsAWSService``… (VPCE-POL, DP-RCP). ``aws:ResourceTag/*`` are the role's tags
    ([C], AWS's own RCP sample reads them).
    """
    ctx: dict[str, str | tuple[str, ...]] = dict(s.context)  # what the scenario gives; derived keys win
    ctx.update(_provider_keys(s))
    r = s.request
    ctx["sts:rolesessionname"] = _session_name(s)
    if s.api == "AssumeRoleWithWebIdentity":
        ctx["sts:roleauthorizedbyidp"] = "true" if ROLES_CLAIM in s.federated_caller.claims else "false"
    source = _source_identity(s)
    if source is not None:
        ctx["sts:sourceidentity"] = source
    tags, transitive = _session_tags(s)
    if tags or transitive:
        for k, v in tags:
            ctx["aws:requesttag/" + k.lower()] = v[0] if v else ""
        ctx["aws:tagkeys"] = tuple(k for k, _ in tags)
        if transitive:
            ctx["sts:transitivetagkeys"] = tuple(transitive)
    ctx["aws:resourceaccount"] = s.role.arn.account
    org = s.organization
    if org is not None and org.contains(s.role.arn.account):
        ctx["aws:resourceorgid"] = org.id
    for key, value in s.role.tags.items():
        ctx["aws:resourcetag/" + key.lower()] = value
    ctx["aws:securetransport"] = "true"
    ctx.setdefault("aws:requestedregion", r.region or "us-east-1")
    moment = _now(s, now)
    ctx.setdefault("aws:currenttime", moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    ctx.setdefault("aws:epochtime", str(int(moment.timestamp())))
    return ctx


def _now(s: FederatedScenario, now: datetime | None = None) -> datetime:
    """``aws:CurrentTime`` from the scenario's context, else now (it also fixes "now" for
    SessionNotOnOrAfter, docs/federation.md §3.6)."""
    given = s.context.get("aws:currenttime")
    parsed = iso_time(given) if isinstance(given, str) else None
    return parsed or now or datetime.now(UTC)


def _provider_keys(s: FederatedScenario) -> dict[str, str | tuple[str, ...]]:
    """The keys the token or assertion gives, with ``aws:FederatedProvider`` (F6; [C] its value)."""
    fc = s.federated_caller
    if fc.assertion is not None:
        return _saml_keys(s, fc.assertion)
    p = (fc.provider or "").lower()
    if p in OAUTH_HOSTS:
        return _oauth_keys(p, fc.claims)
    return _web_keys(s, p, fc.claims)


def _saml_keys(s: FederatedScenario, a: SamlAssertion) -> dict[str, str | tuple[str, ...]]:
    """F6 for a SAML assertion: ``saml:aud``/``iss``/``sub``/``sub_type``, the provider's ``saml:doc`` and
    ``saml:namequalifier`` (only with a provider: F3 refuses a call without one), the mapped attributes."""
    ctx: dict[str, str | tuple[str, ...]] = {}
    provider = _saml_provider(s)
    ctx["saml:aud"] = a.recipient or ""
    ctx["saml:iss"] = a.issuer or ""
    ctx["saml:sub"] = a.name_id or ""
    ctx["saml:sub_type"] = _subject_type(a.name_id_format)
    if provider is not None:
        ctx["saml:doc"] = f"{provider.account}/{provider.name}"
        ctx["saml:namequalifier"] = _name_qualifier(provider)
    for name, values in a.attributes.items():
        key = SAML_ATTRIBUTE_KEYS.get(name)
        if key is not None and values:
            ctx[key] = tuple(values) if key in SAML_MULTI_VALUED else values[0]
    if provider is not None:
        ctx["aws:federatedprovider"] = provider.arn
    return ctx


def _oauth_keys(p: str, claims: Mapping[str, Any]) -> dict[str, str | tuple[str, ...]]:
    """F6 for an OAuth 2.0 provider (Facebook, Amazon): its ``app_id`` and ``id``/``user_id``."""
    ctx: dict[str, str | tuple[str, ...]] = {}
    for claim in ("app_id", "id") if p == "graph.facebook.com" else ("app_id", "user_id"):
        if claim in claims:
            ctx[f"{p}:{claim}"] = _claim_value(claims[claim], claim)
    ctx["aws:federatedprovider"] = p
    return ctx


def _web_keys(s: FederatedScenario, p: str, claims: Mapping[str, Any]) -> dict[str, str | tuple[str, ...]]:
    """F6 for an OIDC token: ``P:aud`` (and Google's ``oaud``), ``sub``, ``azp``, Cognito's ``amr``, the
    provider's own claim keys and ``aws:FederatedProvider`` (the IAM provider's ARN or the host, per
    ``federated_provider_value``)."""
    sem = s.semantics
    ctx = _web_aud_keys(s, p, claims)
    for claim in ("sub", "azp"):
        if isinstance(claims.get(claim), str):
            ctx[f"{p}:{claim}"] = claims[claim]
    if p == COGNITO_HOST and "amr" in claims:
        ctx[f"{p}:amr"] = _cognito_amr(claims["amr"], sem.cognito_amr_multivalued)
    for claim in provider_claim_keys(s.federated_caller.provider or ""):
        if claim in claims:
            ctx[f"{p}:{claim}"] = _claim_value(claims[claim], claim)
    registered = _oidc_provider(s)
    if registered is not None:
        ctx["aws:federatedprovider"] = registered.arn if sem.federated_provider_value == "arn" else p
    else:
        ctx["aws:federatedprovider"] = p
    return ctx


def _web_aud_keys(s: FederatedScenario, p: str, claims: Mapping[str, Any]) -> dict[str, str | tuple[str, ...]]:
    """F6: ``P:aud``: Google's ``azp`` (with ``oaud`` the audience, and the organization number); an array
    ``aud`` multi-valued per ``oidc_array_aud_multivalued``; else the audience the IAM provider lists."""
    ctx: dict[str, str | tuple[str, ...]] = {}
    auds = _auds(claims)
    if p == "accounts.google.com":
        ctx[f"{p}:aud"] = claims["azp"] if isinstance(claims.get("azp"), str) else auds[0]
        ctx[f"{p}:oaud"] = auds[0] if len(auds) == 1 else tuple(auds)
        org = claims.get("google")
        if isinstance(org, dict) and "organization_number" in org:
            ctx[f"{p}:google/organization_number"] = _claim_value(org["organization_number"], "google")
    elif isinstance(claims.get("aud"), list) and s.semantics.oidc_array_aud_multivalued:
        ctx[f"{p}:aud"] = tuple(auds)
    else:
        registered = _oidc_provider(s)
        ctx[f"{p}:aud"] = next((a for a in auds if registered is None or a in registered.client_ids), auds[0])
    return ctx


def _cognito_amr(value: Any, multivalued: bool) -> str | tuple[str, ...]:
    """F6: ``cognito-identity.amazonaws.com:amr``, multi-valued per ``cognito_amr_multivalued``; read as one
    string, a token with several values is undecidable (AWS documents none)."""
    amr = tuple(_as_list(value))
    if multivalued:
        return amr
    if len(amr) == 1:
        return amr[0]
    raise UndecidableError(
        f"{COGNITO_HOST}:amr read as a single string (cognito_amr_multivalued false) but the token has "
        f"{len(amr)} amr values; AWS documents no single value",
        "$.federated_caller.claims.amr",
    )


def federated_origin(s: FederatedScenario) -> dict[str, Any]:
    """F13: the ``caller.federated_origin`` (docs/federation.md §3.7) of the session an allowed federated
    call issues, for the AssumeRole calls made with it: the provider (the IAM OIDC or SAML provider's ARN,
    or the built-in host) and the federation keys that survive, with the values F6 gave them (STSKEYS:
    ``P:amr``, ``P:aud``, ``P:id``, ``P:sub`` of a web provider; ``saml:namequalifier``, ``saml:sub``,
    ``saml:sub_type``)."""
    ctx, fc = _provider_keys(s), s.federated_caller
    surviving: tuple[str, ...]
    if fc.assertion is not None:
        provider = _saml_provider(s)
        assert provider is not None  # F3 refused the call otherwise
        name, prefix, surviving = provider.arn, "saml", SURVIVING_SAML_KEYS
    else:
        registered = _oidc_provider(s)
        prefix = (fc.provider or "").lower()
        name, surviving = (registered.arn if registered is not None else prefix), SURVIVING_WEB_KEYS
    keys: dict[str, Any] = {}
    for key, value in ctx.items():
        head, _, claim = key.rpartition(":")
        if head == prefix and claim in surviving:
            keys[key] = list(value) if isinstance(value, tuple) else value
    return {"provider": name, "keys": keys}


def _claim_value(value: Any, claim: str) -> str:
    """A provider-specific claim as a condition-key value: strings as they are, numbers and booleans as
    JSON writes them. An array is a token no issuer of these keys signs (GitHub's, GitLab's, Google's
    organization, the OAuth ids: one value each, GH-OIDC-CLAIMS, STSKEYS), and an object has no
    documented key value: both fail closed (F3 step 7)."""
    if isinstance(value, list):
        raise UndecidableError(
            f"claim {claim!r} is an array: its issuer signs one value there, so AWS never sees this token",
            "$.federated_caller.claims",
        )
    return _scalar(value, claim)


def _scalar(value: Any, claim: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise UndecidableError(f"claim {claim!r} is an integer beyond 64 bits", "$.federated_caller.claims")
    if value is None:  # a JSON null: neither absent nor the text "null" is documented (fail closed)
        raise UndecidableError(
            f"claim {claim!r} is null; AWS documents no condition-key value for it", "$.federated_caller.claims"
        )
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise UndecidableError(
        f"claim {claim!r} holds an {type(value).__name__}; AWS documents no condition-key value for it",
        "$.federated_caller.claims",
    )


def _auds(claims: Mapping[str, Any]) -> list[str]:
    return _as_list(claims.get("aud"))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _subject_type(fmt: str | None) -> str:
    """``persistent``, ``transient``, or the full Format URI (STSKEYS)."""
    fmt = fmt or _NAMEID_PREFIX + "unspecified"
    short = fmt.removeprefix(_NAMEID_PREFIX)
    return short if short in ("persistent", "transient") else fmt


def _name_qualifier(provider: SamlProvider) -> str:
    """``BASE64(SHA1(Issuer + AccountId + "/" + ProviderName))`` (STSKEYS, SAML-ABOUT)."""
    digest = hashlib.sha1((provider.issuer + provider.account + "/" + provider.name).encode(), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode()


def _session_name(s: FederatedScenario) -> str:
    if s.request.role_session_name is not None:
        return s.request.role_session_name
    a = s.federated_caller.assertion
    names = a.attributes.get(SAML_SESSION_NAME, ()) if a else ()
    return names[0] if names else ""


class _ActionContext:
    """The context as one action sees it: without the provider's keys for the companion actions
    when ``federation_keys_in_companion_actions`` is off (F5, [C])."""

    __slots__ = ("_ctx", "_hidden")

    def __init__(self, ctx: Mapping[str, str | tuple[str, ...]], hidden: frozenset[str]) -> None:
        self._ctx, self._hidden = ctx, hidden

    def get(self, key: str, /) -> str | tuple[str, ...] | None:
        return None if key in self._hidden else self._ctx.get(key)


# =========================================================================== F7-F10


def authorize_federated(s: FederatedScenario) -> Result | None:
    """F7-F10 for every action of F5: an explicit Deny in the trust policy or the RCPs of the role's
    account (F7; SCPs too under ``scps_apply_to_federated``) denies; then, per action, the SCP
    chain when it applies (F9) and a trust-policy Allow that names the provider (F10). RCPs only
    bite through their Denies (F8, as R6)."""
    contexts = _action_contexts(s)
    actions = tuple(contexts)
    for action in actions:
        found = _explicit_denies(s, action, contexts[action])
        if found:
            kind = PolicyKind(found[0].policy)
            return _denied(s, action, kind, "F7", reasons=tuple(found))
    for action in actions:
        result = federated_scp_gate(s, action, contexts[action]) or trust_grants(s, action, contexts[action])
        if result is not None:
            return result
    return None


def _action_contexts(s: FederatedScenario) -> dict[str, Context]:
    """The request context each action of F5 is evaluated with, in F5's order: the provider's keys are
    hidden from the companion actions unless ``federation_keys_in_companion_actions`` (F5, [C])."""
    actions = federated_actions(s)
    full = federated_context(s)
    hidden = companion_hidden_keys(s)
    return {
        a: full if a == actions[0] or s.semantics.federation_keys_in_companion_actions else _ActionContext(full, hidden)
        for a in actions
    }


def _scps(s: FederatedScenario) -> tuple[tuple[Policy, ...], ...]:
    """F9: the role account's SCP chain, only under ``scps_apply_to_federated`` (ORG-SCP scope, [I])."""
    org, account = s.organization, s.role.arn.account
    if not s.semantics.scps_apply_to_federated or org is None or account not in org.members:
        return ()
    if account == org.management_account:
        return ()
    return org.scps.get(account, ())


def _rcps(s: FederatedScenario) -> tuple[tuple[Policy, ...], ...]:
    """F8: RCPs bind resources of member accounts, never the management account (ORG-RCP)."""
    org, account = s.organization, s.role.arn.account
    if org is None or account not in org.members or account == org.management_account:
        return ()
    return org.rcps.get(account, ())


def _explicit_denies(s: FederatedScenario, action: str, ctx: Context) -> list[Reason]:
    """F7: every matching Deny, in AWS's order: SCPs (when they apply), RCPs, the trust policy."""
    found: list[Reason] = []
    for level, policies in enumerate(_scps(s)):
        found += _matching(PolicyKind.SCP, policies, "Deny", action, ctx, s, level=level)
    for level, policies in enumerate(_rcps(s)):
        found += _matching(PolicyKind.RCP, policies, "Deny", action, ctx, s, level=level)
    assert s.role.trust_policy is not None  # a missing trust policy is malformed (F0)
    found += _matching(PolicyKind.TRUST, (s.role.trust_policy,), "Deny", action, ctx, s)
    return found


def federated_scp_gate(s: FederatedScenario, action: str, ctx: Context) -> Result | None:
    """F9: under ``scps_apply_to_federated``, every level of the role account's SCP chain must
    allow the action (as R7); by default SCPs are not evaluated for a federated caller."""
    for level, policies in enumerate(_scps(s)):
        if not _matching(PolicyKind.SCP, policies, "Allow", action, ctx, s, level=level):
            return _denied(s, action, PolicyKind.SCP, "F9")
    return None


def trust_grants(s: FederatedScenario, action: str, ctx: Context) -> Result | None:
    """F10: an ``Allow`` of the trust policy whose Action covers the action, whose Principal names
    the provider (:func:`_principal_matches`) and whose Condition holds. No caller side exists (F2).

    Cognito across accounts (SMITHY-STS RoleArn note, COG-BP): when the identity pool belongs to
    another account, a statement counts only if it tests both ``…:aud`` and ``…:amr``
    (``cognito_cross_account_requires_aud_amr``, [C] the mechanism)."""
    if _grants(s, action, ctx):
        return None
    return _denied(s, action, PolicyKind.TRUST, "F10")


def _grants(s: FederatedScenario, action: str, ctx: Context) -> list[Reason]:
    """F10's granting statements for one action: the Allows of the trust policy that apply, less
    those the Cognito cross-account rule discounts."""
    assert s.role.trust_policy is not None
    grants = _matching(PolicyKind.TRUST, (s.role.trust_policy,), "Allow", action, ctx, s)
    if grants and _cross_account_cognito(s):
        grants = [g for g in grants if _tests_aud_and_amr(s.role.trust_policy.statements[g.statement])]
    return grants


def _cross_account_cognito(s: FederatedScenario) -> bool:
    fc = s.federated_caller
    pool = fc.cognito_pool_account or s.role.arn.account
    return (
        fc.provider_kind == "cognito"
        and pool != s.role.arn.account
        and s.semantics.cognito_cross_account_requires_aud_amr
    )


def _tests_aud_and_amr(st: Statement) -> bool:
    keys = {c.key.lower() for c in st.conditions}
    return {f"{COGNITO_HOST}:aud", f"{COGNITO_HOST}:amr"} <= keys


def _principal_matches(st: Statement, s: FederatedScenario, kind: PolicyKind) -> bool:
    """F10's principal table: ``Federated`` names the provider ARN of the *role's* account the token
    resolved to, the built-in host, or the SAML provider ARN; ``"*"`` matches only under
    ``wildcard_matches_federated`` ([C]; RCPs' ``"*"`` covers every request, ORG-RCP); a bare host of
    an IAM OIDC provider only under ``bare_host_matches_oidc_provider`` ([C]); ``AWS`` and
    ``Service`` entries never."""
    p = st.principal
    if p is None:
        return kind is PolicyKind.RCP
    deny = st.effect == "Deny"  # the contested readings widen a Deny, never narrow it: fail closed
    if "*" in p.aws and (kind is PolicyKind.RCP or deny or s.semantics.wildcard_matches_federated):
        return True
    fc = s.federated_caller
    if fc.provider_kind == "saml":
        names = {s.request.principal_arn}
    elif fc.provider_kind == "oidc":
        registered = _oidc_provider(s)
        names = {registered.arn} if registered else set()
        if (deny or s.semantics.bare_host_matches_oidc_provider) and fc.provider:
            names.add(fc.provider)
    else:
        names = {fc.provider}
    return any(entry in names for entry in p.federated)


def _matching(
    kind: PolicyKind,
    policies: Sequence[Policy],
    effect: str,
    action: str,
    ctx: Context,
    s: FederatedScenario,
    *,
    level: int | None = None,
) -> list[Reason]:
    """The statements of ``policies`` with this Effect that apply: Action, Principal (trust
    policies and RCPs), Resource (the role ARN) and Condition all match."""
    out = []
    action_l = action.lower()
    indexed = kind in (PolicyKind.SCP, PolicyKind.RCP)
    for pi, policy in enumerate(policies):
        for si, st in policy.statements_for(effect, action_l):
            if kind in (PolicyKind.TRUST, PolicyKind.RCP) and not _principal_matches(st, s, kind):
                continue
            if (st.resources or st.not_resources) and not st.matches_resource(s.role.arn.arn, ctx):
                continue
            if not st.conditions_hold(ctx):
                continue
            principal_class = "federated" if kind is PolicyKind.TRUST and effect == "Allow" else None
            out.append(Reason(kind.value, si, effect, st.sid, pi if indexed else None, level, principal_class))
    return out


# =========================================================================== F11, F12


def federated_post_checks(s: FederatedScenario) -> Result | None:
    """F11: checks once the call is authorized (their order relative to F7-F10 is not documented).

    DurationSeconds against MaxSessionDuration (no role-chaining cap: the caller holds no
    session, SMITHY-STS); the session policy must be a policy (MalformedPolicyDocument) and fit
    with the session tags (PackedPolicyTooLarge); the token's or assertion's session tags and
    source identity must be well formed (≤ 50 tags, key ≤ 128, value ≤ 256, no ``aws:`` prefix,
    keys case-insensitive; [C] the code, modelled InvalidIdentityToken); STS must be active in
    the Region for the role's account (REGIONS)."""
    r = s.request
    duration = r.duration_seconds or 3600
    if duration > s.role.max_session_duration:
        return _error(
            "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    if r.policy is not None:
        try:
            parse_policy_text(r.policy, PolicyKind.SESSION, "$.request.policy")
        except MalformedPolicyError as exc:
            return _error("MalformedPolicyDocument", f"{exc.message} (at {exc.path})")
    bad = _tag_problem(s)
    if bad is not None:
        return _error("InvalidIdentityToken", bad)
    tags, _ = _session_tags(s)
    if tags or r.policy:
        refused = packed_size_refusal(((k, v[0] if v else "") for k, v in tags), r.policy)
        if refused is not None:
            return _error("PackedPolicyTooLarge", refused)
    region = r.region or "us-east-1"
    account = s.role.arn.account
    if region in s.disabled_regions.get(account, ()):
        return Result(
            "error",
            "F11",
            error_code="RegionDisabledException",
            message=f"STS is not activated in this region for account:{account}. Your account "
            "administrator can activate STS in this region using the IAM Console.",
        )
    return None


def _tag_problem(s: FederatedScenario) -> str | None:
    """What is wrong with the session tags or source identity the token or assertion passes."""
    tags, transitive = _session_tags(s)
    if len(tags) > 50:
        return "The token passes more than 50 session tags."
    seen: set[str] = set()
    for k, v in tags:
        # the tag types of the service model (BOTO-STS tagKeyType, tagValueType): length and characters
        if violations("tags.member.key", k, "key") or k.lower().startswith("aws:"):
            return f"Session tag key {k!r} is not a valid tag key."
        if k.lower() in seen:
            return "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        seen.add(k.lower())
        if len(v) != 1 or violations("tags.member.value", v[0], "value"):
            return f"Session tag {k!r} must have exactly one value of at most 256 letters, digits, spaces or _.:/=+-@."
    for k in transitive:
        if k.lower() not in seen:
            return f"Transitive tag key {k!r} is not among the session tags."
    source = _source_identity(s)
    if source is not None and (
        not 2 <= len(source) <= 64 or SESSION_NAME.fullmatch(source) is None or source.lower().startswith("aws:")
    ):
        return "SourceIdentity must be 2-64 characters of [\\w+=,.@-] and not start with 'aws:'."
    return None


def _effective_duration(s: FederatedScenario) -> int:
    """F11: DurationSeconds (default 3600), shortened for SAML by SessionNotOnOrAfter and the
    SessionDuration attribute (SMITHY-STS, SAML-ASSERT); for web identity by the token's ``exp``
    only under ``oidc_session_capped_by_token_exp`` ([C])."""
    duration = s.request.duration_seconds or 3600
    a = s.federated_caller.assertion
    now = _now(s)
    if a is not None:
        attr = a.attributes.get(SAML_SESSION_DURATION, ())
        if attr:
            duration = min(duration, int(attr[0]))
        if a.session_not_on_or_after is not None:
            end = iso_time(a.session_not_on_or_after)
            assert end is not None  # checked when loaded
            left = math.floor((end - now).total_seconds())
            if left <= 0:
                raise UndecidableError(
                    "SessionNotOnOrAfter has passed; AWS documents no answer for such an assertion",
                    "$.federated_caller.assertion.session_not_on_or_after",
                )
            duration = min(duration, left)
    elif s.semantics.oidc_session_capped_by_token_exp and isinstance(s.federated_caller.claims.get("exp"), int):
        left = s.federated_caller.claims["exp"] - math.floor(now.timestamp())
        if left <= 0:
            raise UndecidableError(
                "the token's exp has passed but token_status is valid; say token_status expired",
                "$.federated_caller.claims.exp",
            )
        duration = min(duration, left)
    return duration


def federated_credentials(s: FederatedScenario) -> Result:
    """F12: the session ``arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION`` (path dropped), its id, the
    effective duration, and the response fields of the API (SMITHY-STS, JS-ARWWI-OUT)."""
    name, role = _session_name(s), s.role
    tags, transitive = _session_tags(s)
    fields: dict[str, Any] = {
        "source_identity": _source_identity(s),
        "session_tags": tuple((k, v[0]) for k, v in tags) if tags else None,
        "transitive_tag_keys": tuple(transitive) if transitive else None,
    }
    fc = s.federated_caller
    if fc.assertion is not None:
        a = fc.assertion
        provider = _saml_provider(s)
        assert provider is not None
        fields.update(
            subject=a.name_id,
            subject_type=(a.name_id_format or _NAMEID_PREFIX + "unspecified").removeprefix(_NAMEID_PREFIX),
            issuer=a.issuer,
            audience=a.recipient,
            name_qualifier=_name_qualifier(provider),
        )
    elif fc.provider in OAUTH_HOSTS:
        user = fc.claims.get("id" if fc.provider == "graph.facebook.com" else "user_id")
        fields.update(subject=user, provider=fc.provider, audience=fc.claims.get("app_id"))
    else:
        auds = _auds(fc.claims)
        registered = _oidc_provider(s)
        audience = next((a for a in auds if registered is None or a in registered.client_ids), auds[0])
        fields.update(
            subject=fc.claims.get("sub"),
            provider=fc.claims.get("iss", "https://" + (fc.provider or "")),
            audience=audience,
        )
    assumed = AssumedRole(role.session_arn_prefix + name, f"{role.role_id}:{name}", _effective_duration(s), **fields)
    return Result("allowed", "F12", assumed_role=assumed, id=s.id)


def federated_granting_reasons(s: FederatedScenario) -> tuple[Reason, ...]:
    """For an allowed federated scenario: the trust-policy statements that grant each action, read as
    F10 reads them (each action with its own context, the Cognito cross-account rule applied)."""
    out: list[Reason] = []
    for action, ctx in _action_contexts(s).items():
        out += _grants(s, action, ctx)
    return tuple(dict.fromkeys(out))


# =========================================================================== messages


def _denied(
    s: FederatedScenario, action: str, kind: PolicyKind, rule: str, *, reasons: Iterable[Reason] = ()
) -> Result:
    """A refusal: AWS answers ``AccessDenied`` with ``Not authorized to perform ACTION`` (CAC-690,
    NET-744, COG-TRUST): there is no AWS caller to name (docs/federation.md §2.2)."""
    decision = "explicitDeny" if rule == "F7" else "implicitDeny"
    return Result(
        decision,
        rule,
        message=f"Not authorized to perform {action}",
        denied_by=kind.value,
        action=action,
        reasons=tuple(reasons),
    )


def _error(code: str, message: str) -> Result:
    return Result("error", "F11", error_code=code, message=message)


# =========================================================================== for the solver

# The solver's concrete mode (``model/solver/concrete.py``) decides F0-F4 and F11-F12 with the functions
# above and states F7-F10 as Z3 terms; these names give it the model's own answers for the parts the
# terms read, so the two engines cannot drift apart on them.


def registered_oidc_provider(s: FederatedScenario) -> OidcProvider | None:
    """F3.1/F10: the IAM OIDC provider of the role's account whose URL is the token's issuer, the
    one a ``Federated`` provider ARN must name (``None``: none, or not an IAM OIDC token)."""
    return _oidc_provider(s)


def companion_hidden_keys(s: FederatedScenario) -> frozenset[str]:
    """F5/F6: the provider's keys (every ``P:*`` or ``saml:*`` key, not ``aws:FederatedProvider``)
    that ``sts:TagSession`` and ``sts:SetSourceIdentity`` do not see when
    ``federation_keys_in_companion_actions`` is off."""
    return frozenset(k for k in _provider_keys(s) if k != "aws:federatedprovider")


def tests_aud_and_amr(st: Statement) -> bool:
    """F10, Cognito across accounts: whether a statement's conditions test both
    ``cognito-identity.amazonaws.com:aud`` and ``…:amr`` (any operator)."""
    return _tests_aud_and_amr(st)


def federated_denied(s: FederatedScenario, action: str, kind: PolicyKind, rule: str) -> Result:
    """A refusal at a federated door in the model's words (F3, F4, F7, F9, F10), without reasons."""
    return _denied(s, action, kind, rule)


__all__ += [
    "INVALID_SAML",
    "INVALID_TOKEN",
    "TOKEN_LIMITS",
    "companion_hidden_keys",
    "federated_denied",
    "federated_origin",
    "registered_oidc_provider",
    "tests_aud_and_amr",
]
