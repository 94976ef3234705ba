"""Scenarios: load, validate and dump the format of ``docs/scenario-format.md``.

A scenario is one AssumeRole question, complete. Loading checks the *input*
(types, unknown fields, impossible combinations) and raises
:class:`~rolecall.model.errors.InputError` with the JSON path of the fault. Policy
documents inside the scenario are parsed into canonical :class:`~rolecall.model.policy.Policy`
values; a document that IAM would refuse to store is not an input error but an
AWS answer, so it is kept as :attr:`Scenario.malformed` and deciding the
scenario yields ``MalformedPolicyDocument`` (docs/scenario-format.md, "The result").

A scenario is one world, and the loader keeps it one AWS can contain (docs/semantics.md §5.10): one
user and one role per name and account whatever the case or path (an input error otherwise), and a
trust principal naming one of them by another spelling follows ``semantics.principal_other_spelling``.

Fields the project adds to the v1 format (optional, documented in README):
``caller.unique_id``, top-level ``nonexistent_principals`` and
``disabled_regions``, and ``expect.denied_by`` / ``expect.action``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, TextIO

from .arn import (
    FederatedUser,
    IamUser,
    RoleArn,
    RoleSession,
    Root,
    ServicePrincipal,
    derive_unique_id,
    entity_key,
    is_account_id,
    parse_caller_arn,
    parse_role_arn,
)
from .arn import parse_service as _parse_service
from .errors import InputError, MalformedPolicyError, QuotaExceededError, child
from .policy import Policy, PolicyKind, load_json, parse_policy, policy_size
from .providers import idp_controls_error

__all__ = [
    "APIS",
    "AnyScenario",
    "CallerSpec",
    # the loader's parts, each loaded alone by the access graph (model/accounts/_parts.py)
    "PolicyLoader",
    "load_caller",
    "load_context",
    "load_disabled_regions",
    "load_organization",
    "load_request",
    "load_role",
    "load_semantics",
    "DECISIONS",
    "FederatedCaller",
    "FederatedOrigin",
    "FederatedRequest",
    "FederatedScenario",
    "IdentityProviders",
    "OidcProvider",
    "OTHER_SPELLINGS",
    "OtherSpelling",
    "ROLES_CLAIM",
    "SamlAssertion",
    "SamlProvider",
    "Organization",
    "Request",
    "RoleSpec",
    "Scenario",
    "Semantics",
    "canonical_document",
    "dump_scenario",
    "MAX_SCENARIO_CHARS",
    "iter_scenarios",
    "load_assume_role",
    "quotas_admitting",
    "size_quota_error",
    "load_scenario",
    "load_scenarios_text",
    "other_spellings",
    "world_entities",
]

DECISIONS = ("allowed", "explicitDeny", "implicitDeny", "error")
DENIED_BY = tuple(k.value for k in PolicyKind)
ACTIONS = (
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
)

# Keys the model computes from the scenario (R4); giving them in `context` is an input error.
_DERIVED_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/", "sts:")
_DERIVED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:tagkeys",
        "aws:multifactorauthpresent",
        "aws:sourceidentity",
        "aws:resourceaccount",
    }
)


@dataclass(frozen=True, slots=True)
class Semantics:
    """The contested points of docs/semantics.md §5, one frozen options object (defaults per docs/semantics.md),
    and AWS's size quotas that an account can raise (§4.8; defaults AWS's)."""

    role_direct_needs_identity: bool = False
    """R10b: same account, trust names the caller's role ARN: is an identity Allow still needed?"""
    user_direct_bypasses_boundary: bool = False
    """R10a: same account, trust names the user ARN: may the user's boundary be ignored?"""
    wildcard_matches_services: bool = False
    """R11: does ``"*"`` / ``{"AWS": "*"}`` in a trust policy match a service principal?"""
    session_token_callers_are_chained: bool = True
    """R13: do GetSessionToken credentials hit the 1-hour role-chaining cap?"""
    # The federated doors (docs/federation.md §1.1 and §5)
    wildcard_matches_federated: bool = False
    """F10: does ``"*"`` / ``{"AWS": "*"}`` in a trust policy match a web-identity or SAML caller?"""
    bare_host_matches_oidc_provider: bool = False
    """F10: does ``{"Federated": "host"}`` match a token of the IAM OIDC provider with that host?"""
    federated_provider_value: str = "arn"
    """F6: ``aws:FederatedProvider`` during the call through an IAM OIDC provider: its ARN
    (``"arn"``) or the issuer host (``"host"``)."""
    oidc_array_aud_multivalued: bool = True
    """F6: a JSON-array ``aud`` claim gives a multi-valued ``<provider>:aud`` key."""
    cognito_amr_multivalued: bool = True
    """F6: ``cognito-identity.amazonaws.com:amr`` is multi-valued (IAM guide), not a string (SAR)."""
    federation_keys_in_companion_actions: bool = True
    """F5: the provider claim keys are present when sts:TagSession / sts:SetSourceIdentity of the
    same call are authorized."""
    enforce_idp_controls_on_save: bool = True
    """F0: IAM refuses to store a trust policy that trusts a recognised shared OIDC provider
    without testing its tenant claim (unless the role predates the controls)."""
    cognito_cross_account_requires_aud_amr: bool = True
    """F10: a cross-account Cognito request needs a statement testing both ``…:aud`` and ``…:amr``."""
    scps_apply_to_federated: bool = False
    """F9: are the role account's SCPs evaluated for a federated caller?"""
    saml_role_attribute_required: bool = True
    """F3.5: the assertion's Role attribute must hold the pair RoleArn,PrincipalArn."""
    oidc_session_capped_by_token_exp: bool = False
    """F11: is a web-identity session capped by the token's ``exp``?"""
    principal_other_spelling: str = "refused"
    """R0/F0 (docs/semantics.md §5.10): a trust policy names an IAM user or role of the world by another
    case of its name or under another path (``role/builder`` for the role ``/Builder``). IAM names are
    unique per account regardless of case and path, so no other entity can be meant: IAM refuses the
    policy as naming no one (``"refused"``, "Invalid principal in policy") or resolves the ARN to that
    entity when it stores the policy (``"resolves"``)."""
    # AWS's size quotas (docs/semantics.md §4.8): not contested, but an account's own setting
    trust_policy_size_quota: int = 2048
    """R0/F0: the longest role trust policy IAM stores, in non-whitespace characters: "Role trust policy
    length", 2,048 characters by default, adjustable through Service Quotas (QUOTAS; 4,096 at most in the
    June 2023 table); GetAccountSummary's ``AssumeRolePolicySizeQuota`` (IAM-API). Longer: ``LimitExceeded``
    "Cannot exceed quota for ACLSizePerRole: 2048" (KF-6687, AF-27331). Raise it as the account's quota is."""
    org_policy_size_quota: int = 5120
    """R0/F0: the longest service or resource control policy Organizations stores: "Maximum size of a
    policy document", 5,120 characters for SCPs and RCPs, whitespace counted (ORG-QUOTAS). Longer:
    ``ConstraintViolationException`` with reason ``POLICY_CONTENT_LIMIT_EXCEEDED`` (ORG-API)."""


@dataclass(frozen=True, slots=True)
class CallerSpec:
    """The calling principal and its policies (``caller``)."""

    principal: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal
    identity_policies: tuple[Policy, ...] = ()
    permissions_boundary: Policy | None = None
    session_policy: Policy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa: bool = False
    federated_origin: FederatedOrigin | None = None
    """The caller is a role session created by AssumeRoleWithWebIdentity / AssumeRoleWithSAML (F13)."""


@dataclass(frozen=True, slots=True)
class FederatedOrigin:
    """Where a role session came from, when federation created it (docs/federation.md F13, §3.7):
    the provider (its ARN or built-in host) and the provider keys that survive into later requests."""

    provider: str
    keys: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    """Lower-cased key -> value (a tuple for multi-valued keys such as ``…:amr``)."""


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """The target role (``role``)."""

    arn: RoleArn
    trust_policy: Policy | None
    role_id: str
    max_session_duration: int = 3600
    tags: Mapping[str, str] = field(default_factory=dict)
    exists: bool = True
    legacy_implicit_self_trust: bool = False
    trust_predates_idp_controls: bool = False
    """F0: the trust policy was stored before IAM's identity-provider controls and not changed since."""
    session_arn_prefix: str = field(init=False, compare=False, repr=False)
    """``arn:P:sts::ACCOUNT:assumed-role/NAME/``: sessions of the role, without its path (R14)."""

    def __post_init__(self) -> None:
        a = self.arn
        object.__setattr__(self, "session_arn_prefix", f"arn:{a.partition}:sts::{a.account}:assumed-role/{a.name}/")


@dataclass(frozen=True, slots=True)
class Organization:
    """AWS Organizations facts: membership and the SCP / RCP chains (``organization``)."""

    id: str
    management_account: str
    members: frozenset[str]
    scps: Mapping[str, tuple[tuple[Policy, ...], ...]] = field(default_factory=dict)
    rcps: Mapping[str, tuple[tuple[Policy, ...], ...]] = field(default_factory=dict)

    def contains(self, account: str | None) -> bool:
        return account is not None and (account == self.management_account or account in self.members)


@dataclass(frozen=True, slots=True)
class Request:
    """The AssumeRole request parameters (``request``); ``None`` means not sent."""

    role_session_name: str
    duration_seconds: int | None = None
    external_id: str | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] | None = None
    tags: tuple[tuple[str, str], ...] | None = None
    transitive_tag_keys: tuple[str, ...] | None = None
    source_identity: str | None = None
    serial_number: str | None = None
    token_code: str | None = None
    region: str | None = None
    plain: bool = field(init=False, compare=False, repr=False)
    """Only ``role_session_name`` (and perhaps ``region``) was sent: the common request."""

    def __post_init__(self) -> None:
        optional = (
            self.duration_seconds,
            self.external_id,
            self.policy,
            self.policy_arns,
            self.tags,
            self.transitive_tag_keys,
            self.source_identity,
            self.serial_number,
            self.token_code,
        )
        object.__setattr__(self, "plain", all(v is None for v in optional))


@dataclass(frozen=True, slots=True)
class Scenario:
    """One AssumeRole question, validated and with every policy parsed."""

    caller: CallerSpec
    role: RoleSpec
    request: Request
    organization: Organization | None = None
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    semantics: Semantics = Semantics()
    expect: Mapping[str, str] | None = None
    id: str | None = None
    nonexistent_principals: frozenset[str] = frozenset()
    disabled_regions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    malformed: MalformedPolicyError | None = None
    """The first policy IAM would refuse (decides to MalformedPolicyDocument)."""
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The scenario JSON as given (validated), for :func:`dump_scenario`."""
    compiled: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """What the decision compiles from the *world* (caller, role, organization,
    semantics) alone, shared by every loaded scenario with the same world (see
    :func:`_world_cache` and ``model.decide``)."""


#: The three doors into a role (docs/federation.md §3.1).
APIS = ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")
FEDERATED_APIS = APIS[1:]
PROVIDER_KINDS = ("oidc", "cognito", "well_known", "saml")
TOKEN_STATUSES = ("valid", "expired", "invalid_signature", "idp_unreachable", "idp_rejected", "malformed")
#: Built-in web identity providers: no IAM provider entity is needed (IAM-OIDC-CLI, PRINC).
COGNITO_HOST = "cognito-identity.amazonaws.com"
WELL_KNOWN_HOSTS = ("accounts.google.com", "graph.facebook.com", "www.amazon.com")
#: The two providers of OAuth 2.0 access tokens, named by ``ProviderId`` (SMITHY-STS).
OAUTH_HOSTS = ("graph.facebook.com", "www.amazon.com")
#: Claims AWS itself defines in a web identity token (TAGS, SRCID, STEELE-ROLES).
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
ROLES_CLAIM = "https://aws.amazon.com/roles"


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """An IAM OIDC identity provider entity (docs/federation.md §3.3; OIDC-CREATE)."""

    account: str
    url: str
    """``https://`` + host and optional path; case-sensitive, no port."""
    client_ids: tuple[str, ...]
    """The registered audiences."""
    arn: str
    thumbprints: tuple[str, ...] = ()
    """Recorded and ignored: AWS no longer uses them for CA-trusted IdPs (OIDC-CREATE)."""


@dataclass(frozen=True, slots=True)
class SamlProvider:
    """An IAM SAML provider entity: its name and the entityID of its metadata (§3.3)."""

    account: str
    name: str
    issuer: str
    arn: str


@dataclass(frozen=True, slots=True)
class IdentityProviders:
    """The IAM identity-provider entities of one account."""

    oidc: tuple[OidcProvider, ...] = ()
    saml: tuple[SamlProvider, ...] = ()


@dataclass(frozen=True, slots=True)
class SamlAssertion:
    """The fields of a SAML authentication response that STS reads (§3.2; SAML-ASSERT)."""

    issuer: str | None = None
    name_id: str | None = None
    name_id_format: str | None = None
    recipient: str | None = None
    """The SubjectConfirmationData ``Recipient``: the value of ``saml:aud`` (STSKEYS)."""
    audience: str | None = None
    """The ``Audience`` restriction; informational (``saml:aud`` is the Recipient)."""
    session_not_on_or_after: str | None = None
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Attribute ``Name`` -> its ``AttributeValue`` strings, in order."""


@dataclass(frozen=True, slots=True)
class FederatedCaller:
    """Who calls a federated door: a token's claims or a SAML assertion (§3.2). The claims are
    the ground truth; the condition keys of F6 are derived from them."""

    provider_kind: str
    """``oidc``, ``cognito``, ``well_known`` or ``saml``."""
    provider: str | None
    """The provider key: the issuer without ``https://``, or the built-in host (``None`` for SAML)."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    assertion: SamlAssertion | None = None
    token_status: str = "valid"
    cognito_pool_account: str | None = None
    """The account that owns the Cognito identity pool (F10's cross-account rule)."""


@dataclass(frozen=True, slots=True)
class FederatedRequest:
    """The parameters of AssumeRoleWithWebIdentity / AssumeRoleWithSAML (§3.5); ``None``: not sent.
    The token or assertion itself is :class:`FederatedCaller`."""

    role_session_name: str | None = None
    principal_arn: str | None = None
    provider_id: str | None = None
    duration_seconds: int | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class FederatedScenario:
    """One question at a federated door (AssumeRoleWithWebIdentity or AssumeRoleWithSAML),
    validated and with every policy parsed (docs/federation.md §3). There is no AWS caller:
    only the role's trust policy and its account's RCPs decide (F2)."""

    api: str
    federated_caller: FederatedCaller
    role: RoleSpec
    request: FederatedRequest
    identity_providers: Mapping[str, IdentityProviders] = field(default_factory=dict)
    organization: Organization | None = None
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    semantics: Semantics = Semantics()
    expect: Mapping[str, str] | None = None
    id: str | None = None
    malformed: MalformedPolicyError | None = None
    disabled_regions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    compiled: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


#: Any scenario: the AssumeRole door or a federated one.
AnyScenario = Scenario | FederatedScenario


# ------------------------------------------------------------------ helpers


class _Reader:
    """Type-checked access to one JSON object at a JSON path; refuses unknown fields."""

    def __init__(self, value: Any, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        if not isinstance(value, dict):
            raise InputError(f"expected an object, got {_type(value)}", where)
        dups = getattr(value, "duplicates", ())
        if dups:
            raise InputError(f"field {dups[0]!r} appears more than once", child(where, dups[0]))
        for key in value:
            if key not in allowed:
                raise InputError(f"unknown field {key!r} (allowed: {', '.join(allowed)})", child(where, key))
        for key in required:
            if key not in value:
                raise InputError(f"missing required field {key!r}", where)
        self.value = value
        self.where = where

    def path(self, key: str) -> str:
        return child(self.where, key)

    def get(self, key: str, types: type | tuple[type, ...], default: Any = None, *, nullable: bool = False) -> Any:
        if key not in self.value:
            return default
        v = self.value[key]
        if v is None and nullable:
            return None
        if isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise InputError(f"expected {_names(types)}, got boolean", self.path(key))
        if not isinstance(v, types):
            raise InputError(f"expected {_names(types)}, got {_type(v)}", self.path(key))
        if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
            raise InputError("integer out of range (64-bit)", self.path(key))
        return v


def _type(v: Any) -> str:
    return (
        {
            dict: "object",
            list: "array",
            str: "string",
            bool: "boolean",
            int: "integer",
            float: "number",
            type(None): "null",
        }.get(type(v), type(v).__name__)
        if not isinstance(v, dict)
        else "object"
    )


def _names(types: type | tuple[type, ...]) -> str:
    ts = types if isinstance(types, tuple) else (types,)
    return " or ".join(
        {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer"}.get(t, t.__name__)
        for t in ts
    )


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InputError(f"expected an array of strings, got {_type(value)}", where)
    for i, v in enumerate(value):
        if not isinstance(v, str):
            raise InputError(f"expected a string, got {_type(v)}", child(where, i))
    return tuple(value)


def _str_map(value: Any, where: str) -> dict[str, str]:
    r = _Reader(value, where, tuple(value) if isinstance(value, dict) else ())
    out: dict[str, str] = {}
    lowered: set[str] = set()
    for k, v in r.value.items():
        if not isinstance(v, str):
            raise InputError(f"tag values are strings, got {_type(v)}", child(where, k))
        if k.lower() in lowered:
            raise InputError(f"tag key {k!r} repeats (tag keys are case-insensitive, IAMTAGS)", child(where, k))
        lowered.add(k.lower())
        out[k] = v
    return out


def _account(value: Any, where: str) -> str:
    if not isinstance(value, str) or not is_account_id(value):
        raise InputError(f"expected a 12-digit account id, got {_describe(value)}", where)
    return value


def _describe(value: Any) -> str:
    """A short, always printable description of an input value for an error message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    return _type(value)


class PolicyLoader:
    """Parses policies, remembering the first malformed one (or one over its size quota) instead of raising."""

    def __init__(self, semantics: Semantics) -> None:
        self.malformed: MalformedPolicyError | None = None
        self.semantics = semantics

    def __call__(self, doc: Any, kind: PolicyKind, where: str) -> Policy | None:
        if not isinstance(doc, dict):
            raise InputError(f"a policy is a JSON object, got {_type(doc)}", where)
        try:
            policy = parse_policy(doc, kind, where)
        except MalformedPolicyError as exc:
            if self.malformed is None:
                self.malformed = exc
            return None
        if self.malformed is None:
            self.malformed = size_quota_error(doc, kind, self.semantics, where)
        return policy


#: What AWS answers for a policy over its size quota, by kind (docs/semantics.md §4.8): IAM's
#: CreateRole / UpdateAssumeRolePolicy (KF-6687, AF-27331) and Organizations' CreatePolicy (ORG-API).
_QUOTAS: dict[PolicyKind, tuple[str, str, str]] = {
    PolicyKind.TRUST: ("trust_policy_size_quota", "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: {quota}"),
    PolicyKind.SCP: (
        "org_policy_size_quota",
        "ConstraintViolationException",
        "You have exceeded the maximum policy size (POLICY_CONTENT_LIMIT_EXCEEDED: {quota} characters)",
    ),
}
_QUOTAS[PolicyKind.RCP] = _QUOTAS[PolicyKind.SCP]


def size_quota_error(document: Any, kind: PolicyKind, semantics: Semantics, where: str) -> QuotaExceededError | None:
    """AWS's size quota of a role trust policy, an SCP or an RCP (docs/semantics.md §4.8), or ``None``
    within it. The size is :func:`~rolecall.model.policy.policy_size`, the least any spelling of the
    document counts, so a document refused here is refused by AWS however it was written.

    Identity policies and permissions boundaries have no quota here: a scenario does not say whether
    one is inline, customer managed or AWS managed, and AWS's own managed policies are not held to the
    6,144 characters of a customer managed one (83 of the 1,641 in ``model/data`` are longer, 152,297
    characters at most, whitespace not counted). Session policies are bounded by R13's packed size."""
    quota = _QUOTAS.get(kind)
    if quota is None:
        return None
    option, code, text = quota
    limit = getattr(semantics, option)
    size = policy_size(document)
    if size <= limit:
        return None
    counted = "whitespace not counted" if kind is PolicyKind.TRUST else "in its most compact spelling"
    return QuotaExceededError(
        f"{text.format(quota=limit)} (the {kind.value} has {size} characters, {counted}; "
        f"semantics.{option} raises the quota, as a quota increase does)",
        where,
        code,
    )


# ------------------------------------------------------------------ loading

_SCENARIO_FIELDS = (
    "id",
    "api",
    "caller",
    "federated_caller",
    "identity_providers",
    "role",
    "organization",
    "request",
    "context",
    "semantics",
    "expect",
    "nonexistent_principals",
    "disabled_regions",
)
_CALLER_FIELDS = (
    "arn",
    "service",
    "role_path",
    "credentials",
    "unique_id",
    "identity_policies",
    "permissions_boundary",
    "session_policy",
    "tags",
    "transitive_tag_keys",
    "source_identity",
    "mfa",
    "federated_origin",
)
_ROLE_FIELDS = (
    "arn",
    "trust_policy",
    "role_id",
    "max_session_duration",
    "tags",
    "exists",
    "legacy_implicit_self_trust",
    "trust_predates_idp_controls",
)
_REQUEST_FIELDS = tuple(f.name for f in fields(Request) if f.init)
_SEMANTICS_FIELDS = tuple(f.name for f in fields(Semantics))
_CREDENTIALS = ("long-term", "session-token", "role-session", "federation")


def load_scenario(value: Any, where: str = "$") -> AnyScenario:
    """Validate a decoded scenario object and build a :class:`Scenario` (the AssumeRole door, the
    default) or a :class:`FederatedScenario` (``"api"`` names a federated door)."""
    try:
        if isinstance(value, dict) and value.get("api", "AssumeRole") != "AssumeRole":
            return _load_federated(value, where)
        return _load_scenario(value, where)
    except RecursionError:
        raise InputError("input nested too deeply", where) from None


def load_assume_role(value: Any, where: str = "$") -> Scenario:
    """:func:`load_scenario` for code that handles the AssumeRole door only (the conformance targets,
    the strategies' worlds): a federated scenario is an :class:`InputError` naming the door, never a
    value the caller cannot read."""
    s = load_scenario(value, where)
    if not isinstance(s, Scenario):
        raise InputError(f"only AssumeRole scenarios are taken here, not {s.api}", child(where, "api"))
    return s


def _load_scenario(value: Any, where: str) -> Scenario:
    top = _Reader(value, where, _SCENARIO_FIELDS, ())
    api = top.get("api", str, "AssumeRole")
    if api not in APIS:
        raise InputError(f"api must be one of {', '.join(APIS)}", top.path("api"))
    for name in ("federated_caller", "identity_providers"):
        if name in top.value:
            raise InputError(f"{name} is for the federated APIs; an AssumeRole scenario has a caller", top.path(name))
    for name in ("caller", "role", "request"):
        if name not in top.value:
            raise InputError(f"missing required field {name!r}", where)
    semantics = load_semantics(top.get("semantics", dict, {}), top.path("semantics"))
    policies = PolicyLoader(semantics)
    caller = load_caller(top.get("caller", dict), top.path("caller"), policies)
    role = load_role(top.get("role", dict), top.path("role"), policies)
    request = load_request(top.get("request", dict), top.path("request"))
    organization = None
    if top.value.get("organization") is not None:
        organization = load_organization(top.value["organization"], top.path("organization"), policies)
    context = load_context(
        top.get("context", dict, {}), top.path("context"), caller, request, organization, role.arn.account
    )
    expect = _load_expect(top.value["expect"], top.path("expect")) if top.value.get("expect") is not None else None
    sid = top.get("id", str, nullable=True)
    nonexistent = frozenset(_str_list(top.value.get("nonexistent_principals", []), top.path("nonexistent_principals")))
    disabled = load_disabled_regions(top.get("disabled_regions", dict, {}), top.path("disabled_regions"))
    role, spelled = _one_entity_per_name(
        top.value, caller.principal, role, nonexistent, semantics, top.path("role"), top.path("nonexistent_principals")
    )
    return Scenario(
        caller=caller,
        role=role,
        request=request,
        organization=organization,
        context=context,
        semantics=semantics,
        expect=expect,
        id=sid,
        nonexistent_principals=nonexistent,
        disabled_regions=disabled,
        malformed=policies.malformed or _principal_error(role, nonexistent, top.path("role")) or spelled,
        source=value,
        compiled=_world_cache(value),
    )


# The world of a scenario: everything but the request, the request-time context, the id
# and the expectation. Scenarios with the same world JSON share what is compiled from it.
_WORLD_FIELDS = ("caller", "role", "organization", "semantics", "nonexistent_principals", "disabled_regions")
_WORLDS: OrderedDict[str, dict[Any, Any]] = OrderedDict()
_WORLDS_MAX = 4096


def _world_cache(value: Mapping[str, Any]) -> dict[Any, Any]:
    """The compile cache shared by every scenario whose world is this one (bounded, LRU)."""
    try:
        key = json.dumps([value.get(k) for k in _WORLD_FIELDS], sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return {}
    cache = _WORLDS.get(key)
    if cache is None:
        cache = _WORLDS[key] = {}
        if len(_WORLDS) > _WORLDS_MAX:
            _WORLDS.popitem(last=False)
    else:
        _WORLDS.move_to_end(key)
    return cache


def _principal_error(role: RoleSpec, nonexistent: frozenset[str], where: str) -> MalformedPolicyError | None:
    """IAM resolves user and role principals when the trust policy is saved (PRINC, TF-8905)."""
    if role.trust_policy is None or not nonexistent:
        return None
    for i, st in enumerate(role.trust_policy.statements):
        for entry in st.principal.aws if st.principal else ():
            if entry in nonexistent:
                return MalformedPolicyError(
                    f"Invalid principal in policy: {entry!r} names no IAM user or role",
                    f"{where}.trust_policy.Statement[{i}].Principal.AWS",
                )
    return None


#: The values of ``semantics.principal_other_spelling`` (docs/semantics.md §5.10).
OTHER_SPELLINGS = ("refused", "resolves")


@dataclass(frozen=True, slots=True)
class OtherSpelling:
    """A trust-policy principal naming an IAM user or role by another case of its name or under another
    path than the entity of the world with that name (docs/semantics.md §5.10)."""

    entry: str
    """The ARN as the trust policy writes it."""
    entity: str
    """The ARN of the user or role of the world it names: the scenario's caller or role, or the
    first entry of the trust policy that names that user or role."""
    where: str
    """The JSON path of the entry."""


def world_entities(
    principal: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal | None, role: RoleSpec
) -> dict[tuple[str, str, str, str], str]:
    """The IAM users and roles a scenario says exist, by :func:`~rolecall.model.arn.entity_key`: the caller's
    user, the caller's
    role (a role session's role, with its path) and the target role when it exists."""
    out: dict[tuple[str, str, str, str], str] = {}
    if isinstance(principal, IamUser):
        out[(principal.partition, principal.account, "user", principal.name.lower())] = principal.arn
    elif isinstance(principal, RoleSession):
        out[(principal.partition, principal.account, "role", principal.role_name.lower())] = principal.role_arn
    if role.exists:
        a = role.arn
        out.setdefault((a.partition, a.account, "role", a.name.lower()), a.arn)
    return out


def other_spellings(
    doc: Mapping[str, Any],
    principal: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal | None,
    role: RoleSpec,
    nonexistent: frozenset[str] = frozenset(),
    where: str = "$.role",
    known: Mapping[tuple[str, str, str, str], str] | None = None,
) -> tuple[OtherSpelling, ...]:
    """The principals of the trust policy in ``doc`` (a scenario's ``role`` object, as given) that name a
    user or role of the world by another case of its name or under another path (docs/semantics.md
    §5.10). The world's users and roles are :func:`world_entities`, and every user or role ARN of the
    trust policy that ``nonexistent`` does not list: IAM stored the policy, so each of those exists
    (PRINC). In document order, each with its JSON path. ``known``: :func:`world_entities`, when the
    caller has it already."""
    entities = dict(known) if known is not None else world_entities(principal, role)
    trust = doc.get("trust_policy") if isinstance(doc, Mapping) else None
    out: list[OtherSpelling] = []
    for entry, at in _aws_entries(trust, child(where, "trust_policy")):
        key = entity_key(entry)
        if key is None or entry in nonexistent:
            continue
        entity = entities.setdefault(key, entry)
        if entity != entry:
            out.append(OtherSpelling(entry, entity, at))
    return tuple(out)


def _aws_entries(trust: Any, where: str) -> Iterator[tuple[str, str]]:
    """(entry, JSON path) of every string under ``Principal.AWS`` of a trust policy as given."""
    if not isinstance(trust, Mapping):
        return
    raw = trust.get("Statement")
    statements = raw if isinstance(raw, list) else [raw]
    for i, st in enumerate(statements):
        sw = child(child(where, "Statement"), i) if isinstance(raw, list) else child(where, "Statement")
        principal = st.get("Principal") if isinstance(st, Mapping) else None
        aws = principal.get("AWS") if isinstance(principal, Mapping) else None
        aw = child(child(sw, "Principal"), "AWS")
        if isinstance(aws, str):
            yield aws, aw
        elif isinstance(aws, list):
            yield from ((e, child(aw, j)) for j, e in enumerate(aws) if isinstance(e, str))


def _one_entity_per_name(
    top: Mapping[str, Any],
    principal: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal | None,
    role: RoleSpec,
    nonexistent: frozenset[str],
    semantics: Semantics,
    where: str,
    nonexistent_where: str,
) -> tuple[RoleSpec, MalformedPolicyError | None]:
    """Only worlds AWS can contain (docs/semantics.md §5.10): one user and one role per name and account.

    Two users or two roles of the scenario whose names differ only in case, or whose paths differ, cannot
    both exist ("Names are not distinguished by case", CreateUser and CreateRole; RES): an input error.
    A trust principal naming a user or role of the world by another spelling follows
    ``semantics.principal_other_spelling``: ``"refused"``, IAM would not have stored the policy
    (``MalformedPolicyDocument`` "Invalid principal in policy", as for a principal that does not exist,
    TF-8905); ``"resolves"``, IAM stored it naming that entity, and the trust policy is read with the
    entity's own ARN in place of the entry (what IAM shows after resolving it to the unique id, PRINC).
    A principal of ``nonexistent_principals`` that names a user or role of the world exactly, or by
    another spelling under ``"resolves"``, contradicts the world: an input error."""
    _check_self_assumption(principal, role, where)
    entities = world_entities(principal, role)
    raw_role = top.get("role") if isinstance(top, Mapping) else None
    _check_nonexistent(top, entities, semantics, nonexistent_where)
    spelled = other_spellings(
        raw_role if isinstance(raw_role, Mapping) else {}, principal, role, nonexistent, where, entities
    )
    if not spelled or role.trust_policy is None:
        return role, None
    if semantics.principal_other_spelling == "refused":
        first = spelled[0]
        return role, MalformedPolicyError(
            f"Invalid principal in policy: {first.entry!r} names no IAM user or role: the one of that name is "
            f"{first.entity} (IAM names are unique regardless of case and path; "
            'semantics.principal_other_spelling "resolves" reads it as that one)',
            first.where,
        )
    assert isinstance(raw_role, Mapping)
    return _resolved_spellings(raw_role, role, spelled, where), None


def _check_self_assumption(principal: object, role: RoleSpec, where: str) -> None:
    """A role session of the scenario's role by another case or path: the two roles cannot both exist."""
    if not isinstance(principal, RoleSession) or not role.exists:
        return
    a = role.arn
    same = (principal.partition, principal.account, principal.role_name.lower()) == (
        a.partition,
        a.account,
        a.name.lower(),
    )
    if same and principal.role_arn != a.arn:
        raise InputError(
            f"the caller's role {principal.role_arn} and the role {a.arn} cannot both exist: IAM role names "
            'are unique in an account regardless of case and path (CreateRole: "Names are not distinguished '
            "by case\"); a role assuming itself has the same name and path as its sessions' role "
            "(caller.role_path)",
            child(where, "arn"),
        )


def _check_nonexistent(
    top: Mapping[str, Any],
    entities: Mapping[tuple[str, str, str, str], str],
    semantics: Semantics,
    nonexistent_where: str,
) -> None:
    """A ``nonexistent_principals`` entry naming a user or role of the world (exactly, or by another
    spelling under ``"resolves"``) contradicts the world."""
    listed = top.get("nonexistent_principals") if isinstance(top, Mapping) else None
    for i, entry in enumerate(listed if isinstance(listed, list) else ()):
        key = entity_key(entry) if isinstance(entry, str) else None
        entity = entities.get(key) if key is not None else None
        if entity is not None and (entity == entry or semantics.principal_other_spelling == "resolves"):
            how = "is" if entity == entry else "resolves to (semantics.principal_other_spelling)"
            raise InputError(
                f"{entry} {how} {entity}, which exists in this scenario: it is not a nonexistent principal",
                child(nonexistent_where, i),
            )


def _resolved_spellings(
    raw_role: Mapping[str, Any], role: RoleSpec, spelled: Sequence[OtherSpelling], where: str
) -> RoleSpec:
    """Under ``"resolves"``: the trust policy read again with each other spelling replaced by the ARN of
    the entity it names (what IAM shows once it stored the principal's unique id, PRINC)."""
    resolved = {o.entry: o.entity for o in spelled}
    document = copy.deepcopy(raw_role["trust_policy"])
    raw = document["Statement"]
    for statement in raw if isinstance(raw, list) else [raw]:
        named = statement.get("Principal")
        if isinstance(named, dict) and "AWS" in named:  # parsed already: strings, or a list of them
            aws = named["AWS"]
            named["AWS"] = [resolved.get(e, e) for e in aws] if isinstance(aws, list) else resolved.get(aws, aws)
    trust = parse_policy(document, PolicyKind.TRUST, child(where, "trust_policy"))
    return dataclasses.replace(role, trust_policy=trust)


def _controls_error(role: RoleSpec, semantics: Semantics, where: str) -> MalformedPolicyError | None:
    """F0: IAM's identity-provider controls, unless the role predates them or the option is off.

    Checked at the federated doors only. An AssumeRole scenario's trust policy is taken as stored,
    as format v1 always took it (a v1 scenario keeps its meaning); its federated statements take
    no part in an AssumeRole decision (docs/federation.md F0)."""
    if not semantics.enforce_idp_controls_on_save or role.trust_predates_idp_controls:
        return None
    return idp_controls_error(role.trust_policy, child(where, "trust_policy"))


def load_caller(value: Any, where: str, policies: PolicyLoader) -> CallerSpec:
    """The scenario's ``caller`` at ``where`` (one part of :func:`load_scenario`, also loaded alone by the
    access graph, ``model/accounts/_parts.py``, which loads each principal once)."""
    r = _Reader(value, where, _CALLER_FIELDS)
    principal = _caller_principal(r)
    ip_where = r.path("identity_policies")
    raw_ip = r.get("identity_policies", list, [])
    if isinstance(principal, ServicePrincipal) and raw_ip:
        raise InputError("a service principal has no identity policies", ip_where)
    identity = tuple(p for i, d in enumerate(raw_ip) if (p := policies(d, PolicyKind.IDENTITY, child(ip_where, i))))
    boundary = r.get("permissions_boundary", dict, nullable=True)
    session = r.get("session_policy", dict, nullable=True)
    if session is not None and not isinstance(principal, RoleSession):
        raise InputError("only role-session callers carry a session policy", r.path("session_policy"))
    tags, transitive = _caller_tags(r, principal)
    origin = _caller_origin(r, principal)
    return CallerSpec(
        federated_origin=origin,
        principal=principal,
        identity_policies=identity,
        permissions_boundary=policies(boundary, PolicyKind.BOUNDARY, r.path("permissions_boundary"))
        if boundary is not None
        else None,
        session_policy=policies(session, PolicyKind.SESSION, r.path("session_policy")) if session is not None else None,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=r.get("source_identity", str, nullable=True),
        mfa=r.get("mfa", bool, False),
    )


def _caller_principal(r: _Reader) -> IamUser | RoleSession | Root | FederatedUser | ServicePrincipal:
    """The caller's principal: exactly one of ``arn`` (with its ``credentials``, ``role_path`` and
    ``unique_id``, each only where that kind of principal has it) and ``service``."""
    arn = r.get("arn", str)
    service = r.get("service", str)
    if (arn is None) == (service is None):
        raise InputError("caller needs exactly one of 'arn' and 'service'", r.where)
    credentials = r.get("credentials", str)
    if credentials is not None and credentials not in _CREDENTIALS:
        raise InputError(f"credentials must be one of {', '.join(_CREDENTIALS)}", r.path("credentials"))
    role_path = r.get("role_path", str, "/")
    unique_id = r.get("unique_id", str)
    principal: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal
    if service is not None:
        extras = [k for k in _CALLER_FIELDS if k in r.value and k not in ("service", "identity_policies", "tags")]
        if extras:
            raise InputError(f"a service caller has no {extras[0]!r}", r.path(extras[0]))
        principal = _parse_service(service, r.path("service"))
    else:
        principal = parse_caller_arn(
            arn, r.path("arn"), role_path=role_path, unique_id=unique_id, credentials=credentials
        )
        if "role_path" in r.value and not isinstance(principal, RoleSession):
            raise InputError("role_path is only for role-session callers", r.path("role_path"))
        if unique_id is not None and isinstance(principal, (Root, FederatedUser)):
            raise InputError("unique_id is only for IAM user and role-session callers", r.path("unique_id"))
    if unique_id is not None and not (unique_id[:4] in ("AIDA", "AROA") and unique_id[4:].isalnum()):
        raise InputError("unique_id looks like AIDA… (users) or AROA… (roles)", r.path("unique_id"))
    return principal


def _caller_tags(r: _Reader, principal: object) -> tuple[dict[str, str], tuple[str, ...]]:
    """The caller's tags and, for a role session only, its transitive keys (each among the tags) and
    source identity (R4, TAGS, SRCID)."""
    for name in ("transitive_tag_keys", "source_identity"):
        if r.value.get(name) not in (None, []) and not isinstance(principal, RoleSession):
            raise InputError(f"{name} is only for role-session callers", r.path(name))
    tags = _str_map(r.get("tags", dict, {}), r.path("tags"))
    transitive = _str_list(r.value.get("transitive_tag_keys", []), r.path("transitive_tag_keys"))
    lowered = {k.lower() for k in tags}
    for i, k in enumerate(transitive):
        if k.lower() not in lowered:
            raise InputError(
                f"transitive tag key {k!r} is not among the caller's tags", child(r.path("transitive_tag_keys"), i)
            )
    return tags, transitive


def _caller_origin(r: _Reader, principal: object) -> FederatedOrigin | None:
    """F13: ``federated_origin``, only for a role session (one that federation created)."""
    if r.value.get("federated_origin") is None:
        return None
    if not isinstance(principal, RoleSession) or principal.credentials != "role-session":
        raise InputError(
            "federated_origin is only for role-session callers (sessions that federation created)",
            r.path("federated_origin"),
        )
    return _load_federated_origin(r.value["federated_origin"], r.path("federated_origin"))


#: F13: the federation keys a session's later requests still carry (STSKEYS): ``P:amr``, ``P:aud``, ``P:id``
#: and ``P:sub`` of a web identity provider P, and these of SAML.
SURVIVING_WEB_KEYS = ("amr", "aud", "id", "sub")
SURVIVING_SAML_KEYS = ("namequalifier", "sub", "sub_type")
_PROVIDER_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}):(oidc-provider|saml-provider)/(.+)", re.ASCII)


def _load_federated_origin(value: Any, where: str) -> FederatedOrigin:
    r = _Reader(value, where, ("provider", "keys"), ("provider",))
    provider = r.get("provider", str)
    m = _PROVIDER_ARN.fullmatch(provider)
    if m is not None:
        prefix = "saml" if m[2] == "saml-provider" else m[3].lower()
    elif provider in (COGNITO_HOST, *WELL_KNOWN_HOSTS):
        prefix = provider
    else:
        raise InputError(
            "provider is an IAM OIDC or SAML provider ARN, or a built-in host "
            f"({', '.join((COGNITO_HOST, *WELL_KNOWN_HOSTS))}); got {_describe(provider)}",
            r.path("provider"),
        )
    surviving = SURVIVING_SAML_KEYS if prefix == "saml" else SURVIVING_WEB_KEYS
    kw = r.path("keys")
    kr = _Reader(r.get("keys", dict, {}), kw, tuple(value.get("keys") or ()))
    keys: dict[str, str | tuple[str, ...]] = {}
    for key, v in kr.value.items():
        low = key.lower()
        head, _, claim = low.rpartition(":")
        if head != prefix or claim not in surviving:
            names = ", ".join(f"{prefix}:{k}" for k in surviving)
            raise InputError(
                f"{key} does not survive federation: later requests carry only {names} (STSKEYS)", child(kw, key)
            )
        if low in keys:
            raise InputError(f"key {key!r} repeats (key names are case-insensitive)", child(kw, key))
        if isinstance(v, str):
            keys[low] = v
        elif isinstance(v, list):
            keys[low] = _str_list(v, child(kw, key))
        else:
            raise InputError(f"a key's value is a string or an array of strings, got {_type(v)}", child(kw, key))
    return FederatedOrigin(provider, keys)


def load_role(value: Any, where: str, policies: PolicyLoader) -> RoleSpec:
    """The scenario's ``role`` at ``where`` (a part of :func:`load_scenario`, as :func:`load_caller`)."""
    r = _Reader(value, where, _ROLE_FIELDS, ("arn", "trust_policy"))
    arn = parse_role_arn(r.get("arn", str), r.path("arn"))
    trust = policies(r.get("trust_policy", dict), PolicyKind.TRUST, r.path("trust_policy"))
    duration = r.get("max_session_duration", int, 3600)
    if not 3600 <= duration <= 43200:
        raise InputError("max_session_duration is 3600-43200 seconds (IAM)", r.path("max_session_duration"))
    role_id = r.get("role_id", str) or derive_unique_id("AROA", arn.arn)
    if not (role_id.startswith("AROA") and role_id[4:].isalnum()):
        raise InputError("role_id looks like AROA followed by letters and digits", r.path("role_id"))
    return RoleSpec(
        arn=arn,
        trust_policy=trust,
        role_id=role_id,
        max_session_duration=duration,
        tags=_str_map(r.get("tags", dict, {}), r.path("tags")),
        exists=r.get("exists", bool, True),
        legacy_implicit_self_trust=r.get("legacy_implicit_self_trust", bool, False),
        trust_predates_idp_controls=r.get("trust_predates_idp_controls", bool, False),
    )


def load_request(value: Any, where: str) -> Request:
    """The AssumeRole ``request`` at ``where`` (a part of :func:`load_scenario`, as :func:`load_caller`)."""
    r = _Reader(value, where, _REQUEST_FIELDS, ("role_session_name",))
    tags = None
    if "tags" in r.value:
        raw = r.get("tags", list)
        items = []
        for i, t in enumerate(raw):
            tr = _Reader(t, child(r.path("tags"), i), ("Key", "Value"), ("Key", "Value"))
            items.append((tr.get("Key", str), tr.get("Value", str)))
        tags = tuple(items)
    policy_arns = None
    if "policy_arns" in r.value:
        policy_arns = _str_list(r.value["policy_arns"], r.path("policy_arns"))
    transitive = None
    if "transitive_tag_keys" in r.value:
        transitive = _str_list(r.value["transitive_tag_keys"], r.path("transitive_tag_keys"))
    return Request(
        role_session_name=r.get("role_session_name", str),
        duration_seconds=r.get("duration_seconds", int),
        external_id=r.get("external_id", str),
        policy=r.get("policy", str),
        policy_arns=policy_arns,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=r.get("source_identity", str),
        serial_number=r.get("serial_number", str),
        token_code=r.get("token_code", str),
        region=r.get("region", str),
    )


def _load_chains(
    value: Any, where: str, kind: PolicyKind, policies: PolicyLoader
) -> dict[str, tuple[tuple[Policy, ...], ...]]:
    r = _Reader(value, where, tuple(value) if isinstance(value, dict) else ())
    out: dict[str, tuple[tuple[Policy, ...], ...]] = {}
    for account, levels in r.value.items():
        aw = child(where, account)
        _account(account, aw)
        if not isinstance(levels, list) or not levels:
            raise InputError("a policy chain is a non-empty array of levels (root, OUs, account)", aw)
        chain = []
        for li, level in enumerate(levels):
            lw = child(aw, li)
            if not isinstance(level, list):
                raise InputError(f"a level is an array of policies, got {_type(level)}", lw)
            chain.append(tuple(p for pi, d in enumerate(level) if (p := policies(d, kind, child(lw, pi)))))
        out[account] = tuple(chain)
    return out


def load_organization(value: Any, where: str, policies: PolicyLoader) -> Organization:
    """The scenario's ``organization`` at ``where`` (a part of :func:`load_scenario`, as :func:`load_caller`)."""
    r = _Reader(value, where, ("id", "management_account", "members", "scps", "rcps"), ("id", "management_account"))
    oid = r.get("id", str)
    if not re.fullmatch(r"o-[a-z0-9]{10,32}", oid):
        raise InputError("organization ids look like o-a1b2c3d4e5", r.path("id"))
    mgmt = _account(r.value["management_account"], r.path("management_account"))
    members = _str_list(r.value.get("members", []), r.path("members"))
    for i, m in enumerate(members):
        _account(m, child(r.path("members"), i))
    org = Organization(
        id=oid,
        management_account=mgmt,
        members=frozenset(members),
        scps=_load_chains(r.get("scps", dict, {}), r.path("scps"), PolicyKind.SCP, policies),
        rcps=_load_chains(r.get("rcps", dict, {}), r.path("rcps"), PolicyKind.RCP, policies),
    )
    for name, chains in (("scps", org.scps), ("rcps", org.rcps)):
        for account in chains:
            if not org.contains(account):
                raise InputError(f"account {account} is not in the organization", child(r.path(name), account))
    return org


def load_context(
    value: Any, where: str, caller: CallerSpec, request: Request, org: Organization | None, role_account: str
) -> dict[str, str | tuple[str, ...]]:
    """The ``context`` at ``where``, given the parts it depends on (a part of :func:`load_scenario`, as
    :func:`load_caller`): keys the model derives are refused."""
    origin = caller.federated_origin

    def derived(low: str) -> str | None:
        if low == "aws:principalorgid" and org is not None and org.contains(caller.principal.account):
            return "aws:PrincipalOrgID follows from the organization; do not give it here"
        if low == "aws:resourceorgid" and org is not None and org.contains(role_account):
            return "aws:ResourceOrgID follows from the organization; do not give it here"
        if low == "aws:requestedregion" and request.region is not None:
            return "aws:RequestedRegion follows from request.region; do not give both"
        if origin is not None and (low == "aws:federatedprovider" or low in origin.keys):
            return f"{low} follows from caller.federated_origin; do not give it here"
        return None

    return _context_values(value, where, derived)


def _context_values(value: Any, where: str, derived: Callable[[str], str | None]) -> dict[str, str | tuple[str, ...]]:
    """The ``context`` object: lower-cased key -> value; keys the model derives are refused."""
    r = _Reader(value, where, tuple(value) if isinstance(value, dict) else ())
    out: dict[str, str | tuple[str, ...]] = {}
    for key, v in r.value.items():
        kw = child(where, key)
        low = key.lower()
        if low in out:
            raise InputError(f"context key {key!r} repeats (key names are case-insensitive)", kw)
        if low in _DERIVED_KEYS or low.startswith(_DERIVED_PREFIXES):
            raise InputError(f"{key} is computed from the scenario; do not give it in context", kw)
        problem = derived(low)
        if problem is not None:
            raise InputError(problem, kw)
        if isinstance(v, str):
            out[low] = v
        elif low in _ONE_VALUE_KEYS and isinstance(v, list):
            raise InputError(f"{key} is one value (the moment of the request), not an array", kw)
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            out[low] = tuple(v)
        else:
            raise InputError("context values are strings or arrays of strings", kw)
    return out


#: Context keys AWS always sends as one value: the request's clock (the IAM global condition keys
#: reference). The solver reads them so (``model/solver/_universe.py``).
_ONE_VALUE_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})


_DEFAULT_SEMANTICS = Semantics()


def load_semantics(value: Any, where: str) -> Semantics:
    """The ``semantics`` options at ``where`` (a part of :func:`load_scenario`, as :func:`load_caller`)."""
    r = _Reader(value, where, (*_SEMANTICS_FIELDS, "legacy_implicit_self_trust"))
    if "legacy_implicit_self_trust" in r.value:
        raise InputError(
            "legacy_implicit_self_trust is a property of the role: set role.legacy_implicit_self_trust",
            r.path("legacy_implicit_self_trust"),
        )
    if not r.value:
        return _DEFAULT_SEMANTICS  # most scenarios: no option set (the object is frozen, so one serves all)
    values: dict[str, Any] = {}
    for name in _SEMANTICS_FIELDS:
        default = getattr(_DEFAULT_SEMANTICS, name)
        values[name] = r.get(name, type(default), default)
        if name == "federated_provider_value" and values[name] not in ("arn", "host"):
            raise InputError('federated_provider_value is "arn" or "host"', r.path(name))
        if name == "principal_other_spelling" and values[name] not in OTHER_SPELLINGS:
            raise InputError('principal_other_spelling is "refused" or "resolves"', r.path(name))
        if name.endswith("_size_quota") and values[name] < 1:
            raise InputError("a size quota is a number of characters, at least 1", r.path(name))
    return Semantics(**values)


def _load_expect(value: Any, where: str) -> dict[str, str]:
    r = _Reader(value, where, ("decision", "error_code", "denied_by", "action"), ("decision",))
    out: dict[str, str] = {}
    for key, choices in (("decision", DECISIONS), ("error_code", None), ("denied_by", DENIED_BY), ("action", ACTIONS)):
        v = r.get(key, str)
        if v is None:
            continue
        if choices is not None and v not in choices:
            raise InputError(f"{key} must be one of {', '.join(choices)}", r.path(key))
        out[key] = v
    if "error_code" in out and out["decision"] != "error":
        raise InputError("error_code goes with decision 'error'", r.path("error_code"))
    return out


def load_disabled_regions(value: Any, where: str) -> dict[str, frozenset[str]]:
    """The ``disabled_regions`` at ``where`` (a part of :func:`load_scenario`, as :func:`load_caller`)."""
    r = _Reader(value, where, tuple(value) if isinstance(value, dict) else ())
    out = {}
    for account, regions in r.value.items():
        _account(account, child(where, account))
        out[account] = frozenset(_str_list(regions, child(where, account)))
    return out


# ------------------------------------------------------------------ the federated doors

#: Request parameters each federated API has (SMITHY-STS; docs/federation.md §3.5).
_FEDERATED_REQUEST_FIELDS = {
    "AssumeRoleWithWebIdentity": (
        "role_session_name",
        "provider_id",
        "duration_seconds",
        "policy",
        "policy_arns",
        "region",
    ),
    "AssumeRoleWithSAML": ("principal_arn", "duration_seconds", "policy", "policy_arns", "region"),
}
#: AssumeRole parameters the federated APIs do not have: session tags and the source identity
#: come from the token or assertion (F5), ExternalId and MFA do not exist (F1).
_NOT_FEDERATED = ("tags", "transitive_tag_keys", "source_identity", "external_id", "serial_number", "token_code")
_FEDERATED_CALLER_FIELDS = ("provider_kind", "provider", "claims", "assertion", "token_status", "cognito_pool_account")
_ASSERTION_FIELDS = (
    "issuer",
    "name_id",
    "name_id_format",
    "recipient",
    "audience",
    "session_not_on_or_after",
    "attributes",
)


def _load_federated(value: dict[str, Any], where: str) -> FederatedScenario:
    """A scenario at a federated door (docs/federation.md §3): ``federated_caller`` instead of
    ``caller``, the identity providers of the accounts, and the API's own request."""
    top = _Reader(value, where, _SCENARIO_FIELDS, ())
    api = top.get("api", str)
    if api not in APIS:
        raise InputError(f"api must be one of {', '.join(APIS)}", top.path("api"))
    if "caller" in top.value:
        raise InputError(
            f"{api} has no AWS caller: describe the token or assertion in federated_caller", top.path("caller")
        )
    if "nonexistent_principals" in top.value:
        raise InputError(
            "nonexistent_principals names AWS principals; a federated trust names providers",
            top.path("nonexistent_principals"),
        )
    for name in ("federated_caller", "role", "request"):
        if name not in top.value:
            raise InputError(f"missing required field {name!r}", where)
    semantics = load_semantics(top.get("semantics", dict, {}), top.path("semantics"))
    policies = PolicyLoader(semantics)
    role = load_role(top.get("role", dict), top.path("role"), policies)
    caller = _load_federated_caller(top.get("federated_caller", dict), top.path("federated_caller"), api, role)
    request = _load_federated_request(top.get("request", dict), top.path("request"), api)
    providers = _load_identity_providers(
        top.get("identity_providers", dict, {}), top.path("identity_providers"), role.arn.partition
    )
    organization = None
    if top.value.get("organization") is not None:
        organization = load_organization(top.value["organization"], top.path("organization"), policies)
    role, spelled = _one_entity_per_name(top.value, None, role, frozenset(), semantics, top.path("role"), "")
    context = _context_values(
        top.get("context", dict, {}), top.path("context"), _federated_derived(request, caller.provider)
    )
    return FederatedScenario(
        api=api,
        federated_caller=caller,
        role=role,
        request=request,
        identity_providers=providers,
        organization=organization,
        context=context,
        semantics=semantics,
        expect=_load_expect(top.value["expect"], top.path("expect")) if top.value.get("expect") is not None else None,
        id=top.get("id", str, nullable=True),
        malformed=policies.malformed or spelled or _controls_error(role, semantics, top.path("role")),
        disabled_regions=load_disabled_regions(top.get("disabled_regions", dict, {}), top.path("disabled_regions")),
        source=value,
    )


#: Keys of an AWS principal: a federated caller has none (F2; VPCE-POL, DP-RCP), so giving one is an
#: input error rather than a value the decision would read.
_NO_FEDERATED_KEYS = (
    "aws:principal",
    "aws:tokenissuetime",
    "aws:multifactorauth",
    "aws:userid",
    "aws:username",
    "sts:externalid",
)


def _federated_derived(request: FederatedRequest, provider: str | None) -> Callable[[str], str | None]:
    """Context keys a federated scenario may not give: the token's or assertion's keys (F6)."""

    def derived(low: str) -> str | None:
        prefix = low.partition(":")[0]
        if low.startswith(_NO_FEDERATED_KEYS):
            return f"{low} does not exist for a federated caller: it has no AWS identity (F2, F6)"
        if low.startswith("aws:resourceorg"):
            return f"{low} follows from the organization (F6); do not give it here"
        if prefix == "saml" or "." in prefix or "/" in prefix or (provider and low.startswith(provider.lower() + ":")):
            return f"{low} is a provider key: it comes from the token or assertion in federated_caller (F6)"
        if low == "aws:federatedprovider":
            return "aws:FederatedProvider follows from the provider (F6); do not give it here"
        if low == "aws:requestedregion" and request.region is not None:
            return "aws:RequestedRegion follows from request.region; do not give both"
        return None

    return derived


#: An issuer without its scheme: a host name (no port) and an optional path, no query or fragment
#: (OIDC-CREATE: "the URL … cannot contain a port number"; OIDC Core: no query or fragment).
_ISSUER = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(/[\x21\x22\x24-\x2e\x30-\x3e\x40-\x7e]+)*",  # path segments: printable, no / ? #
    re.ASCII,
)


def _load_federated_caller(value: Any, where: str, api: str, role: RoleSpec) -> FederatedCaller:
    """The ``federated_caller`` of a federated scenario (docs/federation.md §3.2): its provider kind (the
    API's own: SAML for AssumeRoleWithSAML, a web provider otherwise), token status, Cognito pool account,
    then the assertion (SAML) or the provider and claims (web identity)."""
    r = _Reader(value, where, _FEDERATED_CALLER_FIELDS, ("provider_kind",))
    kind = r.get("provider_kind", str)
    if kind not in PROVIDER_KINDS:
        raise InputError(f"provider_kind must be one of {', '.join(PROVIDER_KINDS)}", r.path("provider_kind"))
    if (kind == "saml") != (api == "AssumeRoleWithSAML"):
        wanted = "saml" if api == "AssumeRoleWithSAML" else "oidc, cognito or well_known"
        raise InputError(f"{api} takes provider_kind {wanted}", r.path("provider_kind"))
    status = r.get("token_status", str, "valid")
    if status not in TOKEN_STATUSES:
        raise InputError(f"token_status must be one of {', '.join(TOKEN_STATUSES)}", r.path("token_status"))
    pool = r.get("cognito_pool_account", str)
    if pool is not None:
        if kind != "cognito":
            raise InputError("cognito_pool_account is for provider_kind cognito", r.path("cognito_pool_account"))
        _account(pool, r.path("cognito_pool_account"))
    if kind == "saml":
        return FederatedCaller(kind, None, {}, _saml_caller_assertion(r, status), status)
    provider = _web_caller_provider(r, kind)
    claims = _load_claims(r.get("claims", dict, {}), r.path("claims"), provider)
    return FederatedCaller(kind, provider, claims, None, status, pool)


def _saml_caller_assertion(r: _Reader, status: str) -> SamlAssertion:
    """A SAML caller's ``assertion`` (required; no ``provider`` or ``claims``). STS verifies an assertion
    with the provider's uploaded metadata and never calls the IdP: no ``idp_unreachable`` status."""
    if status == "idp_unreachable":
        raise InputError(
            "STS verifies an assertion with the provider's uploaded metadata; it never calls the SAML IdP",
            r.path("token_status"),
        )
    for name in ("provider", "claims"):
        if name in r.value:
            raise InputError(f"a SAML caller has an assertion, not {name!r}", r.path(name))
    if "assertion" not in r.value:
        raise InputError("missing required field 'assertion'", r.where)
    return _load_assertion(r.get("assertion", dict), r.path("assertion"))


def _web_caller_provider(r: _Reader, kind: str) -> str:
    """A web identity caller's ``provider`` (required; no ``assertion``): Cognito's host, one of the
    well-known hosts, or an OIDC issuer without ``https://`` that is neither."""
    if "assertion" in r.value:
        raise InputError(
            "an assertion is for AssumeRoleWithSAML; a web identity caller has claims", r.path("assertion")
        )
    provider = r.get("provider", str)
    if provider is None:
        raise InputError("missing required field 'provider'", r.where)
    pw = r.path("provider")
    if kind == "cognito" and provider != COGNITO_HOST:
        raise InputError(f"a Cognito token's provider is {COGNITO_HOST}", pw)
    if kind == "well_known" and provider not in WELL_KNOWN_HOSTS:
        raise InputError(f"provider_kind well_known is one of {', '.join(WELL_KNOWN_HOSTS)}", pw)
    if kind == "oidc":
        if provider in (COGNITO_HOST, *WELL_KNOWN_HOSTS):
            raise InputError(f"{provider} is a built-in provider: use provider_kind cognito or well_known", pw)
        if _ISSUER.fullmatch(provider) is None:
            raise InputError("provider is the issuer without https:// (host and optional path, no port)", pw)
    return str(provider)


def _load_claims(value: dict[str, Any], where: str, provider: str) -> dict[str, Any]:
    """The token's claims as the IdP issued them; the shapes AWS reads are checked (§3.2)."""
    r = _Reader(value, where, tuple(value))
    iss = r.get("iss", str)
    if iss is not None and iss.startswith("https://") and iss[len("https://") :] != provider:
        raise InputError(f"iss {iss!r} is not https:// + provider {provider!r}", r.path("iss"))
    for name in ("sub", "azp", SOURCE_IDENTITY_CLAIM) + (
        ("app_id", "id", "user_id") if provider in OAUTH_HOSTS else ()
    ):
        r.get(name, str)
    for name in ("aud", "amr", ROLES_CLAIM):
        v = r.value.get(name)
        if v is not None and not isinstance(v, str):
            _str_list(v, r.path(name))
    if "aud" in r.value and r.value["aud"] == []:
        raise InputError("an aud array is not empty", r.path("aud"))
    tags = r.value.get(TAGS_CLAIM)
    if tags is not None:
        tw = r.path(TAGS_CLAIM)
        tr = _Reader(tags, tw, ("principal_tags", "transitive_tag_keys"))
        pt = tr.get("principal_tags", dict, {})
        pr = _Reader(pt, tr.path("principal_tags"), tuple(pt))
        for k, vs in pr.value.items():
            _str_list(vs, pr.path(k))
        _str_list(tr.value.get("transitive_tag_keys", []), tr.path("transitive_tag_keys"))
    return dict(value)


def _load_assertion(value: dict[str, Any], where: str) -> SamlAssertion:
    r = _Reader(value, where, _ASSERTION_FIELDS)
    attributes: dict[str, tuple[str, ...]] = {}
    raw = r.get("attributes", dict, {})
    ar = _Reader(raw, r.path("attributes"), tuple(raw))
    for name, values in ar.value.items():
        attributes[name] = _str_list(values, ar.path(name))
    when = r.get("session_not_on_or_after", str)
    if when is not None and iso_time(when) is None:
        raise InputError(
            "session_not_on_or_after is an ISO 8601 time (2026-01-01T12:00:00Z)", r.path("session_not_on_or_after")
        )
    return SamlAssertion(
        issuer=r.get("issuer", str),
        name_id=r.get("name_id", str),
        name_id_format=r.get("name_id_format", str),
        recipient=r.get("recipient", str),
        audience=r.get("audience", str),
        session_not_on_or_after=when,
        attributes=attributes,
    )


def iso_time(text: str) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset; without one, UTC), or ``None`` when it is not one."""
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _load_federated_request(value: Any, where: str, api: str) -> FederatedRequest:
    allowed = _FEDERATED_REQUEST_FIELDS[api]
    if isinstance(value, dict):
        for name in (*_NOT_FEDERATED, "role_session_name", "principal_arn", "provider_id"):
            if name in value and name not in allowed:
                why = (
                    "the session name comes from the assertion's RoleSessionName attribute"
                    if name == "role_session_name"
                    else "session tags and the source identity come from the token or assertion (F5)"
                    if name in ("tags", "transitive_tag_keys", "source_identity")
                    else "the API has no such parameter (SMITHY-STS)"
                )
                raise InputError(f"{api} has no {name}: {why}", child(where, name))
    required = ("role_session_name",) if api == "AssumeRoleWithWebIdentity" else ("principal_arn",)
    r = _Reader(value, where, allowed, required)
    policy_arns = None
    if "policy_arns" in r.value:
        policy_arns = _str_list(r.value["policy_arns"], r.path("policy_arns"))
    return FederatedRequest(
        role_session_name=r.get("role_session_name", str),
        principal_arn=r.get("principal_arn", str),
        provider_id=r.get("provider_id", str),
        duration_seconds=r.get("duration_seconds", int),
        policy=r.get("policy", str),
        policy_arns=policy_arns,
        region=r.get("region", str),
    )


def _load_identity_providers(value: Any, where: str, partition: str) -> dict[str, IdentityProviders]:
    r = _Reader(value, where, tuple(value) if isinstance(value, dict) else ())
    out: dict[str, IdentityProviders] = {}
    for account, entry in r.value.items():
        aw = child(where, account)
        _account(account, aw)
        er = _Reader(entry, aw, ("oidc", "saml"))
        oidc: list[OidcProvider] = []
        for i, p in enumerate(er.get("oidc", list, [])):
            pw = child(er.path("oidc"), i)
            pr = _Reader(p, pw, ("url", "client_ids", "thumbprints"), ("url", "client_ids"))
            url = pr.get("url", str)
            host = url[len("https://") :] if url.startswith("https://") else ""
            if _ISSUER.fullmatch(host) is None:
                raise InputError(
                    "an OIDC provider URL is https:// + host and optional path, without a port", pr.path("url")
                )
            if any(o.url == url for o in oidc):
                raise InputError(f"each OIDC provider of an account has its own URL; {url} repeats", pr.path("url"))
            client_ids = _str_list(pr.value["client_ids"], pr.path("client_ids"))
            if not 1 <= len(client_ids) <= 100 or any(not 1 <= len(c) <= 255 for c in client_ids):
                raise InputError(
                    "client_ids: 1 to 100 audiences of 1 to 255 characters (OIDC-CREATE)", pr.path("client_ids")
                )
            thumbprints = _str_list(pr.value.get("thumbprints", []), pr.path("thumbprints"))
            arn = f"arn:{partition}:iam::{account}:oidc-provider/{host}"
            oidc.append(OidcProvider(account, url, client_ids, arn, thumbprints))
        saml: list[SamlProvider] = []
        for i, p in enumerate(er.get("saml", list, [])):
            pw = child(er.path("saml"), i)
            pr = _Reader(p, pw, ("name", "issuer"), ("name", "issuer"))
            name = pr.get("name", str)
            if not re.fullmatch(r"[\w._-]{1,128}", name, re.ASCII):
                raise InputError("a SAML provider name is 1-128 of A-Z a-z 0-9 . _ - (SMITHY-IAM)", pr.path("name"))
            if any(o.name == name for o in saml):
                raise InputError(f"SAML provider {name!r} repeats", pr.path("name"))
            arn = f"arn:{partition}:iam::{account}:saml-provider/{name}"
            saml.append(SamlProvider(account, name, pr.get("issuer", str), arn))
        out[account] = IdentityProviders(tuple(oidc), tuple(saml))
    return out


# ------------------------------------------------------------------ text I/O


def load_scenarios_text(text: str, source: str = "<input>") -> list[AnyScenario]:
    """Load one JSON scenario, or JSON Lines (one scenario per line).

    Errors name the source, the line (for JSON Lines) and the JSON path.
    """
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{source}: no scenario in input", "$")
    try:
        doc = load_json(stripped)
    except ValueError:
        doc = None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply", "$") from None
    if doc is not None:
        return [_load_located(doc, source, None)]
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = load_json(line)
        except ValueError as exc:
            raise InputError(f"{source}:{lineno}: not JSON: {exc}", "$") from None
        except RecursionError:
            raise InputError(f"{source}:{lineno}: JSON nested too deeply", "$") from None
        out.append(_load_located(item, source, lineno))
    return out


#: The longest scenario the readers take (characters): far beyond any real one (IAM's largest
#: policies are a few kilobytes), short enough that an endless input (``/dev/zero``) is refused at
#: once instead of read whole.
MAX_SCENARIO_CHARS = 4 * 1024 * 1024


def iter_scenarios(stream: TextIO, source: str = "<input>") -> Iterator[AnyScenario | InputError]:
    """Scenarios as they are read, in constant memory: JSON Lines (one scenario per line) or one JSON
    document over several lines. Yields each scenario, or an :class:`InputError` for a record that
    is not one (naming the source, the line and the JSON path), and goes on with the next line; an
    empty input, a record longer than :data:`MAX_SCENARIO_CHARS`, text that is not UTF-8 or a
    document that is not JSON ends the input with its error. JSON Lines is recognised by its first
    line being JSON."""
    try:
        yield from _iter_scenarios(stream, source)
    except UnicodeDecodeError as exc:
        yield InputError(f"{source}: not UTF-8 text ({exc.reason})", "$")


def _iter_scenarios(stream: TextIO, source: str) -> Iterator[AnyScenario | InputError]:
    lineno, first = _next_line(stream)
    while first is not None and not first.strip():
        lineno, first = _next_line(stream, lineno)
    if first is None:
        yield InputError(f"{source}: no scenario in input", "$")
        return
    if len(first) > MAX_SCENARIO_CHARS:
        yield _too_long(source, lineno)
        return
    try:
        doc = load_json(first)
    except ValueError:
        yield from _document(first, stream, source, lineno)
        return
    except RecursionError:
        doc = _NESTED
    line: str | None = first
    while line is not None:
        if line.strip():
            yield _record(line, source, lineno) if doc is None else _located(doc, source, lineno)
        doc = None
        lineno, line = _next_line(stream, lineno)
        if line is not None and len(line) > MAX_SCENARIO_CHARS:
            yield _too_long(source, lineno)
            return


_NESTED = object()


def _next_line(stream: TextIO, lineno: int = 0) -> tuple[int, str | None]:
    line = stream.readline(MAX_SCENARIO_CHARS + 1)
    return lineno + 1, (line if line else None)


def _too_long(source: str, lineno: int) -> InputError:
    return InputError(
        f"{source}:{lineno}: a record longer than {MAX_SCENARIO_CHARS:,} characters is not a "
        "scenario; the rest of this input is not read",
        "$",
    )


def _record(line: str, source: str, lineno: int) -> AnyScenario | InputError:
    try:
        doc = load_json(line)
    except ValueError as exc:
        return InputError(f"{source}:{lineno}: not JSON: {exc}", "$")
    except RecursionError:
        return InputError(f"{source}:{lineno}: JSON nested too deeply", "$")
    return _located(doc, source, lineno)


def _located(doc: Any, source: str, lineno: int) -> AnyScenario | InputError:
    if doc is _NESTED:
        return InputError(f"{source}:{lineno}: JSON nested too deeply", "$")
    try:
        return _load_located(doc, source, lineno)
    except InputError as exc:
        return exc


def _document(first: str, stream: TextIO, source: str, lineno: int) -> Iterator[AnyScenario | InputError]:
    """One JSON document over several lines (read up to :data:`MAX_SCENARIO_CHARS`)."""
    text = first + stream.read(MAX_SCENARIO_CHARS + 1 - len(first))
    if len(text) > MAX_SCENARIO_CHARS:
        yield InputError(f"{source}: a document longer than {MAX_SCENARIO_CHARS:,} characters is not a scenario", "$")
        return
    try:
        doc = load_json(text)
    except json.JSONDecodeError as exc:  # the line of the fault, counted from the document's first line
        yield InputError(f"{source}:{lineno + exc.lineno - 1}: not JSON: {exc.msg} (column {exc.colno})", "$")
        return
    except ValueError as exc:
        yield InputError(f"{source}:{lineno}: not JSON: {exc}", "$")
        return
    except RecursionError:
        yield InputError(f"{source}: JSON nested too deeply", "$")
        return
    try:
        yield load_scenario(doc)
    except InputError as exc:
        yield InputError(f"{source}: {exc.message}", exc.path)


def _load_located(doc: Any, source: str, lineno: int | None) -> AnyScenario:
    try:
        return load_scenario(doc)
    except InputError as exc:
        where = f"{source}:{lineno}" if lineno else source
        raise InputError(f"{where}: {exc.message}", exc.path) from None


def dump_scenario(scenario: AnyScenario) -> dict[str, Any]:
    """The scenario as JSON-ready data, exactly as it was given (a deep copy)."""
    return copy.deepcopy(dict(scenario.source))


def canonical_document(scenario: AnyScenario) -> dict[str, Any]:
    """The scenario with every policy rewritten in its canonical spelling.

    Deciding the result gives the same outcome as the original (a property the
    test-suite checks); a scenario holding a malformed policy is returned as is.
    """
    doc = dump_scenario(scenario)
    if scenario.malformed is not None:
        return doc
    if isinstance(scenario, FederatedScenario):
        return _canonical_world(doc, scenario)
    c = doc["caller"]
    if c.get("identity_policies"):
        c["identity_policies"] = [p.to_json() for p in scenario.caller.identity_policies]
    if c.get("permissions_boundary") is not None and scenario.caller.permissions_boundary:
        c["permissions_boundary"] = scenario.caller.permissions_boundary.to_json()
    if c.get("session_policy") is not None and scenario.caller.session_policy:
        c["session_policy"] = scenario.caller.session_policy.to_json()
    return _canonical_world(doc, scenario)


def quotas_admitting(semantics: Semantics, policies: Iterable[Policy]) -> Semantics:
    """``semantics`` with its size quotas raised, where needed, to admit the canonical spelling of these
    policies (:meth:`~rolecall.model.policy.Policy.to_json`). For code that holds parsed policies, taken
    as stored, and writes scenarios of them to decide (the solver's replays, its counterexamples): the
    canonical spelling can be longer than the one AWS stored (a bare account id becomes its root ARN), and
    a quota is a rule about saving a document, which already happened (docs/semantics.md §4.8)."""
    raised: dict[str, Any] = {}
    for p in policies:
        quota = _QUOTAS.get(p.kind)
        if quota is None:
            continue
        size = policy_size(p.to_json())
        if size > max(getattr(semantics, quota[0]), raised.get(quota[0], 0)):
            raised[quota[0]] = size
    return dataclasses.replace(semantics, **raised) if raised else semantics


def _canonical_world(doc: dict[str, Any], scenario: AnyScenario) -> dict[str, Any]:
    """The trust policy, SCPs and RCPs of ``doc`` in their canonical spelling (both doors). A canonical
    spelling can be longer than the one given (a bare account id becomes its root ARN): one that would
    exceed its size quota keeps the spelling given, so that the outcome stays the same."""
    assert scenario.role.trust_policy is not None
    doc["role"]["trust_policy"] = _within_quota(scenario.role.trust_policy, doc["role"]["trust_policy"], scenario)
    org = doc.get("organization")
    if org and scenario.organization:
        for name, chains in (("scps", scenario.organization.scps), ("rcps", scenario.organization.rcps)):
            if name in org:
                given = org[name]
                org[name] = {
                    a: [
                        [_within_quota(p, given[a][li][pi], scenario) for pi, p in enumerate(level)]
                        for li, level in enumerate(chain)
                    ]
                    for a, chain in chains.items()
                }
    return doc


def _within_quota(policy: Policy, given: Any, scenario: AnyScenario) -> Any:
    canon = policy.to_json()
    return canon if size_quota_error(canon, policy.kind, scenario.semantics, "$") is None else given
