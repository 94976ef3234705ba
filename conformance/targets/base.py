"""The target protocol: how rolecall drives an AWS emulator (or anything else) through a scenario.

A *target* turns a scenario (docs/scenario-format.md) into reality and reports what
happened, in the result format of the same document. The suite never looks
inside a target; it only calls the members below, so an emulator's authors can
plug theirs in by import path (``--rolecall-target package.module:object``).

A target is any object with:

``name`` / ``version`` (str)
    Shown in the report header, the JUnit properties and the conformance matrix.
``capabilities`` (frozenset of :class:`Capability` values)
    What the target can provision or enforce. A property that needs a
    capability the target lacks is skipped with the reason; scenario parts the
    target cannot express (an organization, request-context keys, MFA…) are
    removed *before* the model decides, so the comparison stays exact.
``start()`` / ``stop()``
    Acquire and release the emulator (start a server, open a mock). Called once
    per session (per pytest-xdist worker).
``prepare(doc) -> doc``
    Map a scenario onto the target's world: for instance rename its accounts to
    fresh ones so that scenarios never collide. The *prepared* scenario is the
    one the model decides and the one :meth:`run` provisions, so a mapping can
    never make a comparison unsound. The default returns the scenario as is.
``run(doc, *, check_identity=False) -> Outcome``
    Provision the prepared scenario (accounts, users, roles with paths and tags,
    identity policies, boundaries, a caller role session, …), perform the
    AssumeRole with the scenario's request, and return the :class:`Outcome`. An
    AWS error while *saving* a policy (``MalformedPolicyDocument`` from
    CreateRole, say) is an outcome, as it is in AWS. A failure of the target
    itself (an exception, HTTP 5xx, a timeout, a refused connection) raises
    :class:`TargetError`: it is reported as an error of the target and never
    read as a denial.

:class:`Target` is a convenient base class with the defaults; subclassing it
is not required.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Capability",
    "Outcome",
    "Target",
    "TargetConfigurationError",
    "TargetError",
    "TargetProtocol",
    "TargetUnavailable",
]


class Capability(StrEnum):
    """What a target can provision or enforce (docs/architecture.md, "Targets")."""

    MULTI_ACCOUNT = "multi-account"
    """More than one account: cross-account scenarios."""
    IDENTITY_ENFORCEMENT = "identity-enforcement"
    """Identity-based policies are evaluated."""
    TRUST_ENFORCEMENT = "trust-enforcement"
    """Role trust policies are evaluated."""
    CONDITIONS = "conditions"
    """Policies may carry Condition blocks (the target claims to evaluate them)."""
    SESSION_TAGS = "session-tags"
    """``Tags`` / ``TransitiveTagKeys`` can be sent."""
    SOURCE_IDENTITY = "source-identity"
    """``SourceIdentity`` can be sent."""
    SESSION_POLICIES = "session-policies"
    """``Policy`` / ``PolicyArns`` can be sent, and a caller session created with one."""
    USER_BOUNDARIES = "user-boundaries"
    """An IAM user's permissions boundary can be set."""
    ROLE_BOUNDARIES = "role-boundaries"
    """A role's permissions boundary can be set."""
    PRINCIPAL_TAGS = "principal-tags"
    """Users and roles can carry tags."""
    ROLE_SESSION_CALLERS = "role-session-callers"
    """The caller can be a role session (role chaining)."""
    USER_CALLERS = "user-callers"
    """The caller can be an IAM user."""
    SESSION_TOKEN_CALLERS = "session-token-callers"
    """The caller can use GetSessionToken credentials."""
    ROOT_CALLERS = "root-callers"
    """The caller can be an account root."""
    FEDERATED_CALLERS = "federated-callers"
    """The caller can be a federated user (GetFederationToken)."""
    SERVICE_CALLERS = "service-callers"
    """The caller can be an AWS service principal."""
    LEGACY_SELF_TRUST = "legacy-self-trust"
    """Roles created before 2022-06-30 that trust themselves implicitly (docs/semantics.md R12) can be provisioned."""
    DISABLED_REGIONS = "disabled-regions"
    """Regions can be disabled per account (RegionDisabledException)."""
    ORGANIZATIONS = "organizations"
    """Organizations with SCP and RCP chains can be provisioned and are enforced."""
    REQUEST_CONTEXT = "request-context"
    """Arbitrary request-context keys (``aws:SourceIp``…) can be set."""
    MFA = "mfa"
    """A caller authenticated with MFA can be provisioned."""
    PARAMETER_VALIDATION = "parameter-validation"
    """AssumeRole parameters are validated server-side."""
    POLICY_VALIDATION = "policy-validation"
    """Policies are validated when saved (CreateRole, PutUserPolicy)."""
    CREDENTIALS = "credentials"
    """Issued credentials work: GetCallerIdentity with them answers as the session."""
    WEB_IDENTITY = "web-identity"
    """AssumeRoleWithWebIdentity: IAM OIDC providers can be provisioned, and the target takes a token
    whose claims the scenario gives (unsigned: no emulator verifies signatures; docs/federation.md)."""
    SAML = "saml"
    """AssumeRoleWithSAML: IAM SAML providers can be provisioned, and the target takes an unsigned
    assertion built from the scenario (docs/federation.md)."""


API_PROVISIONABLE: frozenset[str] = frozenset(
    {
        Capability.USER_CALLERS,
        Capability.ROLE_SESSION_CALLERS,
        Capability.IDENTITY_ENFORCEMENT,
        Capability.TRUST_ENFORCEMENT,
        Capability.CONDITIONS,
        Capability.SESSION_TAGS,
        Capability.SOURCE_IDENTITY,
        Capability.SESSION_POLICIES,
        Capability.ROLE_BOUNDARIES,
        Capability.PRINCIPAL_TAGS,
        Capability.PARAMETER_VALIDATION,
        Capability.POLICY_VALIDATION,
        Capability.CREDENTIALS,
        Capability.WEB_IDENTITY,
        Capability.SAML,
    }
)
"""What a target provisioning through the IAM and STS APIs alone can express, in one account
(the emulator targets; ``multi-account`` when it has more than one). The federated doors are in:
their identity providers are IAM resources (CreateOpenIDConnectProvider, CreateSAMLProvider) and
their calls take no credentials."""


class TargetError(Exception):
    """The target failed: an exception, HTTP 5xx, a timeout, a refused connection.

    Never a denial: the suite reports it as an error of the target."""


class TargetUnavailable(TargetError):
    """The target cannot be used at all (cannot start, enforcement off, bad configuration)."""


class TargetConfigurationError(TargetUnavailable):
    """What the user gave to name or reach the target is wrong: an unknown target or import path,
    a module that fails to import, a missing or malformed accounts file, an endpoint URL that is not
    one. Bad input (exit 2), not a failure of the target (exit 3)."""


@dataclass(frozen=True)
class Outcome:
    """What the target answered, in the result format of docs/scenario-format.md, plus the raw answer."""

    result: Mapping[str, Any]
    """``decision`` (``allowed``, ``explicitDeny``, ``implicitDeny``, ``denied`` when the target does
    not say which, or ``error``), ``error_code``, ``message``, ``assumed_role``."""
    raw: Any = None
    """The raw response or error body, for the report."""
    phase: str = "assume"
    """``assume``, or ``provision`` when the answer came while saving the scenario's policies."""
    identity: Mapping[str, str] | None = None
    """GetCallerIdentity with the issued credentials (``Arn``, ``Account``, ``UserId``) when asked."""
    credentials: Mapping[str, str] | None = None
    """The issued credentials' ``AccessKeyId`` and ``Expiration`` (ISO 8601) when allowed."""
    role_id: str | None = None
    """The target's own unique id of the role, when it has one (compared with ``AssumedRoleId``)."""
    requested_at: float | None = None
    """``time.time()`` just before the AssumeRole call (to check ``Expiration``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    decision_from_text: bool = False
    """The decision word (``explicitDeny`` / ``implicitDeny``) was read from the AccessDenied text, as for
    any emulator, rather than stated by the target (the model and solver targets state theirs)."""


@runtime_checkable
class TargetProtocol(Protocol):
    """The members the suite uses (see the module docstring)."""

    name: str
    version: str
    capabilities: frozenset[str]

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def prepare(self, doc: dict[str, Any]) -> dict[str, Any]: ...

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome: ...


class Target:
    """Defaults for the protocol: nothing to start or stop, scenarios used as they are."""

    name: str = "target"
    version: str = "unknown"
    capabilities: frozenset[str] = frozenset()

    def start(self) -> None:
        """Acquire the emulator (default: nothing)."""

    def stop(self) -> None:
        """Release the emulator (default: nothing)."""

    def prepare(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Map the scenario onto the target's world (default: unchanged)."""
        return doc

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.version}>"
