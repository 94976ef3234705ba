"""Facts about identity providers that the federated doors read (docs/federation.md F0, F6).

Data, not rules: which claims of which issuer AWS turns into condition keys, which shared OIDC
issuers IAM's identity-provider controls cover, and how SAML attributes map to ``saml:`` keys.
The rules that use them are in ``model/federation.py`` (and the save-time check
:func:`idp_controls_error`, which the scenario loader applies to every trust policy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import MalformedPolicyError, child
from .policy import Policy

__all__ = [
    "IDP_CONTROLS",
    "SAML_ATTRIBUTE_KEYS",
    "SAML_MULTI_VALUED",
    "idp_controls_error",
    "one_audience",
    "provider_claim_keys",
]

#: IAM's identity-provider controls (IDP-CONTROLS, 2025): for these shared OIDC issuers (provider
#: URL without ``https://``) a trust policy must test the named claim, or IAM refuses to store it.
#: The list is a third-party transcription of the IAM page (FRONTDOOR); the GitHub and Buildkite rows
#: are corroborated by reports (STEELE-IDP, CA-17, BK-31), the Cognito row by AWS text (COG-BP,
#: COG-ROLES). Two rows of the transcription name one tenant's issuer with an identifier we could
#: not read in full (an OpenShift issuer, a Microsoft Sentinel tenant): they are left out.
IDP_CONTROLS: Mapping[str, str] = {
    "token.actions.githubusercontent.com": "sub",
    "gitlab.com": "sub",
    "app.terraform.io": "sub",
    "agent.buildkite.com": "sub",
    "vstoken.actions.githubusercontent.com": "sub",
    "oidc-configuration.audit-log.githubusercontent.com": "sub",
    "oidc.codefresh.io": "sub",
    "studio.datachain.ai/api": "sub",
    "scalr.io": "sub",
    "tokens.cloud.shisho.dev": "sub",
    "proidc.upbound.io": "sub",
    "oidc.vercel.com": "aud",
    "api.pulumi.com/oidc": "aud",
    "sandboxes.cloud": "aud",
    "cognito-identity.amazonaws.com": "aud",
}

#: Issuers whose every token names one audience, as a string: GitHub Actions (the repository owner's URL,
#: or the one audience a job asks for with ``core.getIDToken(audience)``, GH-OIDC-CLAIMS) and Cognito (the
#: identity pool's ID, COG-TRUST). Another issuer may sign an array (OpenID Connect Core §2).
_ONE_AUDIENCE = re.compile(
    r"token\.actions\.githubusercontent\.com(/.+)?|token\.actions\.[^/]+\.ghe\.com|cognito-identity\.amazonaws\.com"
)


def one_audience(provider: str) -> bool:
    """Whether the issuer (host and path, without ``https://``) signs ``aud`` as one string only."""
    return _ONE_AUDIENCE.fullmatch(provider.lower()) is not None


_OIDC_PROVIDER_ARN = re.compile(r"arn:[\w-]+:iam::\d{12}:oidc-provider/(.+)", re.ASCII)


def idp_controls_error(trust: Policy | None, where: str) -> MalformedPolicyError | None:
    """F0: the first ``Allow`` statement that trusts a provider of :data:`IDP_CONTROLS` without a
    condition (any operator) on its required claim key. IAM refuses to store such a trust policy
    (IDP-CONTROLS: "the role creation or update would fail"). [C] the error code (modelled
    ``MalformedPolicyDocument``) and whether ``StringLike "*"`` satisfies the control (modelled: any
    condition on the key does, docs/federation.md §5 item 6)."""
    if trust is None:
        return None
    for i, st in enumerate(trust.statements):
        if st.effect != "Allow" or st.principal is None:
            continue
        tested = {c.key.lower() for c in st.conditions}
        for entry in st.principal.federated:
            m = _OIDC_PROVIDER_ARN.fullmatch(entry)
            host = m[1] if m else entry
            claim = IDP_CONTROLS.get(host)
            if claim is None or (m is None and host != "cognito-identity.amazonaws.com"):
                continue
            if f"{host}:{claim}".lower() not in tested:
                return MalformedPolicyError(
                    f"Trust policies for the identity provider {host} must evaluate the {host}:{claim} "
                    "condition key (IAM identity-provider controls)",
                    child(child(where, "Statement"), i),
                )
    return None


#: Provider-specific claim keys AWS added in 2026 (SAR-STS, CM-2026): for issuers matching the pattern,
#: these claims become ``<issuer>:<claim>`` condition keys during the call; other claims are absent (F6).
_CLAIM_KEYS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(
            r"token\.actions\.githubusercontent\.com(/.+)?|token\.actions\.[^/]+\.ghe\.com|github\.com/enterprises/[^/]+"
        ),
        (
            "actor",
            "actor_id",
            "enterprise_id",
            "environment",
            "job_workflow_ref",
            "ref",
            "repository",
            "repository_id",
            "repository_owner_id",
            "workflow",
        ),
    ),
    (
        re.compile(r"gitlab\.com"),
        (
            "namespace_id",
            "pipeline_source",
            "project_id",
            "ref_protected",
            "runner_environment",
            "user_access_level",
            "user_email",
            "user_id",
            "user_login",
        ),
    ),
    (
        re.compile(r"agent\.buildkite\.com|agent\.[^/]+\.buildkite\.(dev|site)"),
        (
            "build_branch",
            "cluster_id",
            "cluster_name",
            "organization_id",
            "organization_slug",
            "pipeline_id",
            "pipeline_slug",
        ),
    ),
    (re.compile(r"oidc\.circleci\.com/org/[^/]+"), ("oidc.circleci.com/project-id",)),
    (re.compile(r"idcs-[^/]+\.identity\.oraclecloud\.com"), ("rpst_id",)),
)


def provider_claim_keys(provider: str) -> tuple[str, ...]:
    """The claims of this issuer that AWS makes condition keys besides ``aud``, ``sub``, ``azp``
    (F6, SAR-STS); empty for issuers without provider-specific keys."""
    for pattern, claims in _CLAIM_KEYS:
        if pattern.fullmatch(provider):
            return claims
    return ()


_EDU = "urn:oid:1.3.6.1.4.1.5923.1.1.1."
_EDU_ORG = "urn:oid:1.3.6.1.4.1.5923.1.2.1."
#: SAML attribute ``Name`` -> ``saml:`` condition key (SAML-ASSERT's mapping table; STSKEYS). The
#: OIDs are the eduPerson / eduOrg schema's (REFEDS eduPerson 201602) and X.500's.
SAML_ATTRIBUTE_KEYS: Mapping[str, str] = {
    _EDU + "1": "saml:edupersonaffiliation",
    _EDU + "2": "saml:edupersonnickname",
    _EDU + "3": "saml:edupersonorgdn",
    _EDU + "4": "saml:edupersonorgunitdn",
    _EDU + "5": "saml:edupersonprimaryaffiliation",
    _EDU + "6": "saml:edupersonprincipalname",
    _EDU + "7": "saml:edupersonentitlement",
    _EDU + "8": "saml:edupersonprimaryorgunitdn",
    _EDU + "9": "saml:edupersonscopedaffiliation",
    _EDU + "10": "saml:edupersontargetedid",
    _EDU + "11": "saml:edupersonassurance",
    _EDU_ORG + "2": "saml:eduorghomepageuri",
    _EDU_ORG + "3": "saml:eduorgidentityauthnpolicyuri",
    _EDU_ORG + "4": "saml:eduorglegalname",
    _EDU_ORG + "5": "saml:eduorgsuperioruri",
    _EDU_ORG + "6": "saml:eduorgwhitepagesuri",
    "urn:oid:2.5.4.3": "saml:cn",
    "urn:oid:2.5.4.42": "saml:givenname",
    "urn:oid:2.5.4.4": "saml:surname",
    "urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
    "urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
    "urn:oid:2.5.4.41": "saml:name",
    "urn:oid:2.5.4.45": "saml:x500uniqueidentifier",
}
#: The ``saml:`` keys that "can have a value that is a list" (STSKEYS ``[]``, SAR-STS ArrayOfString);
#: the others take the first value ("only one claim will be mapped", SAML-ASSERT).
SAML_MULTI_VALUED = frozenset(
    {
        "saml:edupersonaffiliation",
        "saml:edupersonassurance",
        "saml:edupersonentitlement",
        "saml:edupersonnickname",
        "saml:edupersonorgunitdn",
        "saml:edupersonscopedaffiliation",
        "saml:edupersontargetedid",
        "saml:eduorghomepageuri",
        "saml:eduorgidentityauthnpolicyuri",
        "saml:eduorglegalname",
        "saml:eduorgsuperioruri",
        "saml:eduorgwhitepagesuri",
        "saml:cn",
    }
)
