"""The AssumeRole decision: SPEC.md rules R0-R14, one function per rule.

Read :func:`decide` first: it is the whole rule in a few lines. Each helper
below implements one rule of SPEC.md §1.3 and its docstring names it. The
contested points are the :class:`~model.scenario.Semantics` options, honoured
here and nowhere else.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .arn import FederatedUser, IamUser, RoleSession, Root, ServicePrincipal
from .conditions import Context, UndecidableError, _parse_date
from .errors import MalformedPolicyError
from .match import principal_entry_matches, service_entry_matches
from .policy import Policy, PolicyKind, Statement, parse_policy_text
from .scenario import Scenario

__all__ = ["AssumedRole", "Reason", "Result", "decide", "required_actions", "request_context"]

ASSUME, TAG, SOURCE_IDENTITY = "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"


@dataclass(frozen=True, slots=True)
class Reason:
    """A statement that took part in the decision (SPEC.md §1.2: which policy, index, Sid)."""

    policy: str
    """The policy kind, in AWS's words (``role trust policy``, ``identity-based policy``…)."""
    statement: int
    """Index of the statement inside its policy."""
    effect: str
    sid: str | None = None
    policy_index: int | None = None
    """Which policy of its kind: the index among identity policies, or of an SCP/RCP within its level."""
    level: int | None = None
    """For SCPs and RCPs: the level of the chain (root, OUs, account)."""
    principal_class: str | None = None
    """For trust-policy Allows: how the principal matched (user, role, session, service, wildcard, account)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policy, "statement": self.statement, "effect": self.effect}
        for name in ("sid", "policy_index", "level", "principal_class"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        return out


@dataclass(frozen=True, slots=True)
class AssumedRole:
    """What AWS returns on success (SPEC.md §3.3)."""

    arn: str
    assumed_role_id: str
    duration_seconds: int

    def to_json(self) -> dict[str, Any]:
        return {"arn": self.arn, "assumed_role_id": self.assumed_role_id, "duration_seconds": self.duration_seconds}


@dataclass(frozen=True, slots=True)
class Result:
    """A decision in the result format of scenario-format.md."""

    decision: str
    rule: str
    """The SPEC.md rule that decided (``R0``…``R14``)."""
    message: str | None = None
    error_code: str | None = None
    denied_by: str | None = None
    action: str | None = None
    reasons: tuple[Reason, ...] = ()
    assumed_role: AssumedRole | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["decision"] = self.decision
        for name in ("error_code", "message", "denied_by", "action"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        if self.reasons:
            out["reasons"] = [r.to_json() for r in self.reasons]
        if self.assumed_role is not None:
            out["assumed_role"] = self.assumed_role.to_json()
        out["rule"] = self.rule
        return out


# =========================================================================== the rule


def decide(s: Scenario) -> Result:
    """Decide one scenario: the first rule that yields a result ends evaluation.

    R5 (explicit deny) is checked for every required action before any Allow is
    considered, so an explicit Deny anywhere always wins over the rest.
    """
    result = (
        saved_policies_valid(s)
        or validate_request(s)
        or caller_may_assume(s)
        or role_exists(s)
        or authorize(s)
        or post_authorization_checks(s)
        or issue_credentials(s)
    )
    return result if s.id is None else _with_id(result, s.id)


def authorize(s: Scenario) -> Result | None:
    """R3-R12: every required action must be allowed; explicit denies first."""
    ctx = _LazyContext(s)
    actions = required_actions(s)
    return explicit_deny(s, actions, ctx) or next(
        (r for a in actions if (r := rcp_gate(s, a, ctx) or scp_gate(s, a, ctx) or trust_and_caller(s, a, ctx))),
        None,
    )


# =========================================================================== R0 and save-time


def saved_policies_valid(s: Scenario) -> Result | None:
    """Save-time validation (SPEC.md §4.2; scenarios 70-73).

    A policy IAM would refuse to store, or a trust policy naming a principal
    that does not exist ("Invalid principal in policy", TF-8905), means the
    world of the scenario cannot exist: ``MalformedPolicyDocument``.
    """
    if s.malformed is None:
        return None
    return Result(
        "error", "R0", error_code="MalformedPolicyDocument", message=f"{s.malformed.message} (at {s.malformed.path})"
    )


_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*", re.ASCII)
_SERIAL = re.compile(r"[\w+=/:,.@-]*", re.ASCII)
_TOKEN = re.compile(r"[\d]*", re.ASCII)
_ARN_CHARS = re.compile(r"[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")
_POLICY_CHARS = re.compile(r"[\t\n\r\x20-\xff]+")
_TAG_PUNCT = frozenset("_.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    """``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`` (BOTO-STS tagKeyType / tagValueType)."""
    return all(ch in _TAG_PUNCT or unicodedata.category(ch)[0] in "LZN" for ch in text)


def validate_request(s: Scenario) -> Result | None:
    """R0: syntactic validation of every request parameter (SPEC.md §3.1, BOTO-STS).

    All violations are listed in one ``ValidationError`` message, in AWS's
    shape: ``N validation errors detected: Value '…' at 'roleSessionName'
    failed to satisfy constraint: …``.
    """
    r = s.request
    errors: list[str] = []

    def length(field: str, value: str, lo: int, hi: int | None) -> None:
        if len(value) < lo:
            errors.append(_constraint(value, field, f"Member must have length greater than or equal to {lo}"))
        elif hi is not None and len(value) > hi:
            errors.append(_constraint(value, field, f"Member must have length less than or equal to {hi}"))

    def pattern(field: str, value: str, rx: re.Pattern[str], shown: str) -> None:
        if rx.fullmatch(value) is None:
            errors.append(_constraint(value, field, f"Member must satisfy regular expression pattern: {shown}"))

    arn = s.role.arn.arn
    length("roleArn", arn, 20, 2048)
    pattern(
        "roleArn",
        arn,
        _ARN_CHARS,
        r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
    )
    length("roleSessionName", r.role_session_name, 2, 64)
    pattern("roleSessionName", r.role_session_name, _SESSION_NAME, r"[\w+=,.@-]*")
    if r.duration_seconds is not None:
        if r.duration_seconds < 900:
            errors.append(
                _constraint(
                    r.duration_seconds, "durationSeconds", "Member must have value greater than or equal to 900"
                )
            )
        elif r.duration_seconds > 43200:
            errors.append(
                _constraint(r.duration_seconds, "durationSeconds", "Member must have value less than or equal to 43200")
            )
    if r.external_id is not None:
        length("externalId", r.external_id, 2, 1224)
        pattern("externalId", r.external_id, _EXTERNAL_ID, r"[\w+=,.@:\/-]*")
    if r.serial_number is not None:
        length("serialNumber", r.serial_number, 9, 256)
        pattern("serialNumber", r.serial_number, _SERIAL, r"[\w+=/:,.@-]*")
    if r.token_code is not None:
        length("tokenCode", r.token_code, 6, 6)
        pattern("tokenCode", r.token_code, _TOKEN, r"[\d]*")
    if r.source_identity is not None:
        length("sourceIdentity", r.source_identity, 2, 64)
        pattern("sourceIdentity", r.source_identity, _SESSION_NAME, r"[\w+=,.@-]*")
    if r.policy is not None:
        length("policy", r.policy, 1, None)
        if r.policy:
            pattern("policy", r.policy, _POLICY_CHARS, r"[\u0009\u000A\u000D\u0020-\u00FF]+")
    if r.policy_arns is not None:
        if len(r.policy_arns) > 10:
            errors.append(_constraint("[...]", "policyArns", "Member must have length less than or equal to 10"))
        for i, p in enumerate(r.policy_arns, 1):
            length(f"policyArns.{i}.member.arn", p, 20, 2048)
    if r.tags is not None:
        if len(r.tags) > 50:
            errors.append(_constraint("[...]", "tags", "Member must have length less than or equal to 50"))
        for i, (k, v) in enumerate(r.tags, 1):
            length(f"tags.{i}.member.key", k, 1, 128)
            if not _tag_text_ok(k):
                errors.append(
                    _constraint(
                        k,
                        f"tags.{i}.member.key",
                        r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+",
                    )
                )
            length(f"tags.{i}.member.value", v, 0, 256)
            if not _tag_text_ok(v):
                errors.append(
                    _constraint(
                        v,
                        f"tags.{i}.member.value",
                        r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*",
                    )
                )
    if r.transitive_tag_keys is not None:
        if len(r.transitive_tag_keys) > 50:
            errors.append(_constraint("[...]", "transitiveTagKeys", "Member must have length less than or equal to 50"))
        for i, k in enumerate(r.transitive_tag_keys, 1):
            length(f"transitiveTagKeys.{i}.member", k, 1, 128)
    if errors:
        n = len(errors)
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        return Result("error", "R0", error_code="ValidationError", message=head + "; ".join(errors))
    return _tag_semantics(s)


def _tag_semantics(s: Scenario) -> Result | None:
    """Session-tag rules that are not simple constraints (SPEC.md §4.7, TAGS, IAMTAGS).

    Tag keys are case-insensitive, so two keys differing only in case are a
    duplicate; keys may not begin with ``aws:``; every transitive key must be
    among the tags passed. [I]: the error code for these is not documented;
    rolecall answers ``ValidationError``.
    """
    r = s.request
    keys = [k for k, _ in r.tags or ()]
    lowered = [k.lower() for k in keys]
    if len(set(lowered)) != len(lowered):
        return Result(
            "error",
            "R0",
            error_code="ValidationError",
            message="Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        )
    if any(k.startswith("aws:") for k in lowered):
        return Result("error", "R0", error_code="ValidationError", message="Tag keys cannot start with 'aws:'.")
    if r.source_identity is not None and r.source_identity.lower().startswith("aws:"):
        return Result("error", "R0", error_code="ValidationError", message="SourceIdentity cannot start with 'aws:'.")
    missing = [k for k in r.transitive_tag_keys or () if k.lower() not in lowered]
    if missing:
        return Result(
            "error",
            "R0",
            error_code="ValidationError",
            message=f"Transitive tag key {missing[0]!r} is not among the session tags of the request.",
        )
    return None


def _constraint(value: object, field: str, rule: str) -> str:
    return f"Value '{value}' at '{field}' failed to satisfy constraint: {rule}"


# =========================================================================== R1, R2, R3


def caller_may_assume(s: Scenario) -> Result | None:
    """R1: the root user and GetFederationToken sessions can never call AssumeRole.

    Root: "Roles may not be assumed by root accounts." (KF-961). Federated users
    may call no STS operation but GetCallerIdentity (TEMP-REQ).
    """
    p = s.caller.principal
    if isinstance(p, Root):
        return Result("implicitDeny", "R1", message="Roles may not be assumed by root accounts.", action=ASSUME)
    if isinstance(p, FederatedUser):
        return Result("implicitDeny", "R1", message=_denied_message(s, ASSUME, None), action=ASSUME)
    return None


def role_exists(s: Scenario) -> Result | None:
    """R2: the role must exist, in the caller's partition.

    A missing role is refused exactly like a trust-policy refusal (KIAM-33,
    LS-8730); roles are never assumable across partitions (ROLE-RBP).
    """
    p = s.caller.principal
    cross_partition = not isinstance(p, ServicePrincipal) and p.partition != s.role.arn.partition
    if s.role.exists and not cross_partition:
        return None
    return Result(
        "implicitDeny",
        "R2",
        message=_denied_message(s, ASSUME, PolicyKind.TRUST),
        denied_by=PolicyKind.TRUST.value,
        action=ASSUME,
    )


def required_actions(s: Scenario) -> tuple[str, ...]:
    """R3: ``sts:AssumeRole``, plus ``sts:TagSession`` when tags or transitive keys are passed,
    plus ``sts:SetSourceIdentity`` when a source identity is passed (TAGS, SRCID).

    [I] Inherited transitive tags alone do not require ``sts:TagSession``.
    """
    r = s.request
    actions = [ASSUME]
    if r.tags or r.transitive_tag_keys:
        actions.append(TAG)
    if r.source_identity is not None:
        actions.append(SOURCE_IDENTITY)
    return tuple(actions)


# =========================================================================== R4


def request_context(s: Scenario, now: datetime | None = None) -> dict[str, str | tuple[str, ...]]:
    """R4: the request context, keys lower-cased (names are case-insensitive, COND).

    Principal keys (GKEYS, VARS): ``aws:PrincipalArn`` is the *role* ARN for a
    role session; ``aws:username`` exists for IAM users only;
    ``aws:PrincipalOrgID`` only when the caller's account is in the
    organization. STS keys (STSKEYS): ``sts:RoleSessionName`` always,
    ``sts:ExternalId`` / ``sts:SourceIdentity`` / ``sts:TransitiveTagKeys``
    when sent. Tags (TAGS): ``aws:RequestTag/*``, ``aws:TagKeys``, and
    ``aws:ResourceTag/*`` = role tags overridden by the caller's inherited
    transitive tags. MFA (GKEYS): ``aws:MultiFactorAuthPresent`` is absent for
    long-term keys without MFA, ``"false"`` for temporary credentials without
    it. Environment defaults: ``aws:SecureTransport`` true,
    ``aws:RequestedRegion`` the request's Region (``us-east-1`` for the global
    endpoint), ``aws:CurrentTime``/``aws:EpochTime`` now; the scenario's
    ``context`` supplies or overrides the rest.
    """
    c, r, p = s.caller, s.request, s.caller.principal
    ctx: dict[str, str | tuple[str, ...]] = {}
    if isinstance(p, ServicePrincipal):
        ctx["aws:principalisawsservice"] = "true"
        ctx["aws:principalservicename"] = p.name
    else:
        ctx["aws:principalarn"] = p.principal_arn
        ctx["aws:principalaccount"] = p.account
        ctx["aws:principaltype"] = p.principal_type
        ctx["aws:userid"] = p.userid
        ctx["aws:principalisawsservice"] = "false"
        if isinstance(p, IamUser):
            ctx["aws:username"] = p.name
        for k, v in c.tags.items():
            ctx["aws:principaltag/" + k.lower()] = v
        if s.organization is not None and s.organization.contains(p.account):
            ctx["aws:principalorgid"] = s.organization.id
    ctx["sts:rolesessionname"] = r.role_session_name
    if r.external_id is not None:
        ctx["sts:externalid"] = r.external_id
    if r.source_identity is not None:
        ctx["sts:sourceidentity"] = r.source_identity
    if c.source_identity is not None:
        ctx["aws:sourceidentity"] = c.source_identity
    if r.transitive_tag_keys is not None:
        ctx["sts:transitivetagkeys"] = tuple(r.transitive_tag_keys)
    if r.tags:
        for k, v in r.tags:
            ctx["aws:requesttag/" + k.lower()] = v
        ctx["aws:tagkeys"] = tuple(k for k, _ in r.tags)
    for k, v in s.role.tags.items():
        ctx["aws:resourcetag/" + k.lower()] = v
    for k in c.transitive_tag_keys:
        ctx["aws:resourcetag/" + k.lower()] = next(v for tk, v in c.tags.items() if tk.lower() == k.lower())
    request_mfa = r.serial_number is not None and r.token_code is not None
    if request_mfa or c.mfa:
        ctx["aws:multifactorauthpresent"] = "true"
        if request_mfa:
            ctx["aws:multifactorauthage"] = "0"
    elif p.credentials in ("role-session", "session-token"):
        ctx["aws:multifactorauthpresent"] = "false"
    ctx["aws:securetransport"] = "true"
    ctx["aws:requestedregion"] = r.region or "us-east-1"
    ctx.update(s.context)
    if "aws:currenttime" not in s.context:
        moment = now or datetime.now(UTC)
        ctx["aws:currenttime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        moment = _parse_date(str(s.context["aws:currenttime"])) or datetime.now(UTC)
    if "aws:epochtime" not in s.context:
        ctx["aws:epochtime"] = str(int(moment.timestamp()))
    return ctx


class _LazyContext:
    """The R4 context, built on first use: most statements test no condition."""

    __slots__ = ("_built", "_s")

    def __init__(self, s: Scenario) -> None:
        self._s = s
        self._built: dict[str, str | tuple[str, ...]] | None = None

    def get(self, key: str, /) -> str | tuple[str, ...] | None:
        built = self._built
        if built is None:
            built = self._built = request_context(self._s)
        return built.get(key)


# =========================================================================== statement matching


def _statements(policies: Sequence[Policy]) -> Iterator[tuple[int, int, Statement]]:
    for pi, policy in enumerate(policies):
        for si, st in enumerate(policy.statements):
            yield pi, si, st


def _principal_classes(st: Statement, s: Scenario, *, rcp: bool = False) -> frozenset[str]:
    """How a trust or RCP statement's Principal matches the caller (SPEC.md §4.3, R8, R11).

    Whether ``*`` covers a service principal is the ``wildcard_matches_services``
    option in trust policies; RCPs (always ``"Principal": "*"``) bind service
    principals too (R6, DP-RCP).
    """
    ps = st.principal
    if ps is None:
        return frozenset()
    p = s.caller.principal
    if isinstance(p, ServicePrincipal):
        classes = {"service"} if any(service_entry_matches(e, p) for e in ps.service) else set()
        if "*" in ps.aws and (rcp or s.semantics.wildcard_matches_services):
            classes.add("wildcard")
        return frozenset(classes)
    return frozenset(c for e in ps.aws if (c := principal_entry_matches(e, p)) is not None)


def _applies(st: Statement, s: Scenario, action: str, ctx: Context) -> bool:
    """Action, Resource (the role ARN with its path, R4) and Condition of one statement."""
    if not st.matches_action(action.lower()):
        return False
    if (st.resources or st.not_resources) and not st.matches_resource(s.role.arn.arn, ctx):
        return False
    return st.conditions_hold(ctx)


def _trust_matches(s: Scenario, effect: str, action: str, ctx: Context) -> list[tuple[Reason, frozenset[str]]]:
    trust = s.role.trust_policy
    assert trust is not None
    out = []
    for si, st in enumerate(trust.statements):
        if st.effect != effect:
            continue
        classes = _principal_classes(st, s)
        if classes and _applies(st, s, action, ctx):
            out.append(
                (
                    Reason(
                        PolicyKind.TRUST.value,
                        si,
                        effect,
                        st.sid,
                        principal_class=",".join(sorted(classes)) if effect == "Allow" else None,
                    ),
                    classes,
                )
            )
    return out


def _matching(
    policies: Sequence[Policy],
    kind: PolicyKind,
    effect: str,
    s: Scenario,
    action: str,
    ctx: Context,
    level: int | None = None,
    principals: bool = False,
) -> list[Reason]:
    return [
        Reason(kind.value, si, effect, st.sid, policy_index=pi, level=level)
        for pi, si, st in _statements(policies)
        if st.effect == effect
        and (not principals or _principal_classes(st, s, rcp=True))
        and _applies(st, s, action, ctx)
    ]


# =========================================================================== R5


def _scp_chain(s: Scenario) -> tuple[tuple[Policy, ...], ...] | None:
    """R7 applicability: SCPs bind IAM users and role sessions of *member* accounts,
    never the management account, service principals or service-linked roles (ORG-SCP)."""
    org, p = s.organization, s.caller.principal
    if org is None or isinstance(p, ServicePrincipal) or p.account not in org.members:
        return None
    if p.account == org.management_account:
        return None
    if isinstance(p, RoleSession) and p.role_path.startswith("/aws-service-role/"):
        return None
    return org.scps.get(p.account)


def _rcp_chain(s: Scenario) -> tuple[tuple[Policy, ...], ...] | None:
    """R6 applicability: RCPs bind resources of *member* accounts, never the management account."""
    org, account = s.organization, s.role.arn.account
    if org is None or account not in org.members or account == org.management_account:
        return None
    return org.rcps.get(account)


def _caller_policies(s: Scenario) -> list[tuple[PolicyKind, Sequence[Policy]]]:
    c = s.caller
    out: list[tuple[PolicyKind, Sequence[Policy]]] = [(PolicyKind.IDENTITY, c.identity_policies)]
    if c.permissions_boundary is not None:
        out.append((PolicyKind.BOUNDARY, (c.permissions_boundary,)))
    if c.session_policy is not None:
        out.append((PolicyKind.SESSION, (c.session_policy,)))
    return out


def explicit_deny(s: Scenario, actions: Iterable[str], ctx: Context) -> Result | None:
    """R5: a matching Deny in any applicable policy denies, whatever allows (EVAL-DA).

    Scanned in AWS's evaluation order (SPEC.md §1.4): SCPs of the caller's
    account, RCPs of the role's account, the trust policy, the caller's
    identity policies, boundary and session policy. AWS names one policy type
    in its message (TRB-AD); ``reasons`` lists every matching Deny.
    """
    for action in actions:
        found: list[Reason] = []
        for level, policies in enumerate(_scp_chain(s) or ()):
            found += _matching(policies, PolicyKind.SCP, "Deny", s, action, ctx, level)
        for level, policies in enumerate(_rcp_chain(s) or ()):
            found += _matching(policies, PolicyKind.RCP, "Deny", s, action, ctx, level, principals=True)
        found += [reason for reason, _ in _trust_matches(s, "Deny", action, ctx)]
        for kind, caller_policies in _caller_policies(s):
            found += _matching(caller_policies, kind, "Deny", s, action, ctx)
        if found:
            kind = PolicyKind(found[0].policy)
            return Result(
                "explicitDeny",
                "R5",
                message=_denied_message(s, action, kind, explicit=True),
                denied_by=kind.value,
                action=action,
                reasons=tuple(found),
            )
    return None


# =========================================================================== R6, R7


def rcp_gate(s: Scenario, action: str, ctx: Context) -> Result | None:
    """R6: RCPs of the role's (member) account must allow.

    AWS attaches ``RCPFullAWSAccess`` at every level and it cannot be detached
    (ORG-RCP), and custom RCPs may only Deny, so every level always has an
    Allow: RCPs bite only through R5. Kept as a rule so the order reads as AWS's.
    """
    return None


def scp_gate(s: Scenario, action: str, ctx: Context) -> Result | None:
    """R7: every level of the caller's SCP chain must hold an applicable Allow.

    An implicit deny here is reported as "with an explicit deny in a service
    control policy" (TRB-AD); the decision word stays ``implicitDeny``.
    """
    chain = _scp_chain(s)
    for level, policies in enumerate(chain or ()):
        if not _matching(policies, PolicyKind.SCP, "Allow", s, action, ctx, level):
            return Result(
                "implicitDeny",
                "R7",
                message=_denied_message(s, action, PolicyKind.SCP, explicit=True),
                denied_by=PolicyKind.SCP.value,
                action=action,
            )
    return None


# =========================================================================== R8-R12


@dataclass(frozen=True, slots=True)
class _CallerSide:
    identity: list[Reason]
    boundary: list[Reason] | None
    session: list[Reason] | None

    def first_failure(self, *, identity: bool = True, boundary: bool = True, session: bool = True) -> PolicyKind | None:
        if identity and not self.identity:
            return PolicyKind.IDENTITY
        if boundary and self.boundary is not None and not self.boundary:
            return PolicyKind.BOUNDARY
        if session and self.session is not None and not self.session:
            return PolicyKind.SESSION
        return None

    def reasons(self) -> list[Reason]:
        return self.identity + (self.boundary or []) + (self.session or [])


def _caller_side(s: Scenario, action: str, ctx: Context) -> _CallerSide:
    c = s.caller
    return _CallerSide(
        identity=_matching(c.identity_policies, PolicyKind.IDENTITY, "Allow", s, action, ctx),
        boundary=None
        if c.permissions_boundary is None
        else _matching((c.permissions_boundary,), PolicyKind.BOUNDARY, "Allow", s, action, ctx),
        session=None
        if c.session_policy is None
        else _matching((c.session_policy,), PolicyKind.SESSION, "Allow", s, action, ctx),
    )


def trust_and_caller(s: Scenario, action: str, ctx: Context) -> Result | None:
    """R8-R12: the trust policy must grant, and the caller's side must allow as the grant requires.

    R8 always: a matching trust Allow is needed in the same account as across
    accounts (EVAL-DA: role trust policies are the exception to "identity OR
    resource policy"). R11 for services, R9 across accounts, R10 within one,
    R12 for grandfathered self-trust.
    """
    grants = _trust_matches(s, "Allow", action, ctx)
    classes = frozenset().union(*(c for _, c in grants)) if grants else frozenset()
    trust_reasons = tuple(r for r, _ in grants)
    p = s.caller.principal
    if isinstance(p, ServicePrincipal):
        return service_principal(s, action, classes)
    side = _caller_side(s, action, ctx)
    if p.account != s.role.arn.account:
        failure = cross_account(s, classes, side)
    else:
        failure = same_account(s, classes, side)
    if failure is None:
        return None
    return Result(
        "implicitDeny",
        failure[0],
        message=_denied_message(s, action, failure[1]),
        denied_by=failure[1].value,
        action=action,
        reasons=trust_reasons + tuple(side.reasons()) if failure[1] is not PolicyKind.TRUST else (),
    )


def service_principal(s: Scenario, action: str, classes: frozenset[str]) -> Result | None:
    """R11: a service is allowed iff the trust names it (``Service``), or names ``*`` and
    the ``wildcard_matches_services`` option says a wildcard covers services.
    No identity policy, SCP, boundary or session policy exists for a service."""
    if "service" in classes or "wildcard" in classes:
        return None
    return Result(
        "implicitDeny",
        "R11",
        message=_denied_message(s, action, PolicyKind.TRUST),
        denied_by=PolicyKind.TRUST.value,
        action=action,
    )


def cross_account(s: Scenario, classes: frozenset[str], side: _CallerSide) -> tuple[str, PolicyKind] | None:
    """R9: across accounts both sides must allow: any trust grant (R8), *and* an identity
    Allow within the boundary and session policy, even when the trust names the caller
    directly (XACCT, PRINC)."""
    if not classes:
        return "R8", PolicyKind.TRUST
    failure = side.first_failure()
    return None if failure is None else ("R9", failure)


def same_account(s: Scenario, classes: frozenset[str], side: _CallerSide) -> tuple[str, PolicyKind] | None:
    """R10 (with R12): within one account the trust policy is a same-account resource policy.

    Grants are tried as a disjunction (R10, [I]); each class carries its own
    requirement:

    * R10a user ARN: nothing else, but the boundary still binds unless
      ``user_direct_bypasses_boundary`` (UPD-TRUST vs BOUND, contested);
    * R10b role ARN: boundary and session policy bind; the identity policy only
      if ``role_direct_needs_identity`` (contested);
    * R10c exact session ARN: nothing else (EVAL-DA);
    * R10d wildcard: nothing else ([I], PRINC "All principals");
    * R10e account: identity Allow within boundary and session policy;
    * R12 a grandfathered role (``legacy_implicit_self_trust``) assumed by a session
      of itself with no trust grant: the identity side alone suffices (BLOG-SELF).
    """
    sem = s.semantics
    p = s.caller.principal
    failures: list[tuple[str, PolicyKind]] = []
    if "session" in classes or "wildcard" in classes:
        return None
    if "user" in classes:
        f = side.first_failure(identity=False, boundary=not sem.user_direct_bypasses_boundary, session=False)
        if f is None:
            return None
        failures.append(("R10", f))
    if "role" in classes:
        f = side.first_failure(identity=sem.role_direct_needs_identity)
        if f is None:
            return None
        failures.append(("R10", f))
    if "account" in classes:
        f = side.first_failure()
        if f is None:
            return None
        failures.append(("R10", f))
    if not classes:
        self_assume = isinstance(p, RoleSession) and p.role_arn == s.role.arn.arn
        if self_assume and s.role.legacy_implicit_self_trust and side.first_failure() is None:
            return None
        return "R8", PolicyKind.TRUST
    return failures[0] if failures else ("R8", PolicyKind.TRUST)


# =========================================================================== R13, R14


#: AWS does not publish how it packs session policies and tags. The model's estimate:
#: UTF-8 bytes of tag keys and values plus the zlib-compressed size of the compact
#: session policy, against 2048 bytes. Within the uncertain band around the limit the
#: model refuses to decide (fail closed) instead of guessing.
PACKED_LIMIT_BYTES = 2048
PACKED_UNCERTAIN_BAND = (90, 110)


def packed_size_percent(s: Scenario) -> int:
    """The model's estimate of ``PackedPolicySize`` (see :data:`PACKED_LIMIT_BYTES`)."""
    r = s.request
    size = sum(len(k.encode()) + len(v.encode()) for k, v in r.tags or ())
    if r.policy:
        size += len(zlib.compress("".join(r.policy.split()).encode("latin-1", "replace"), 9))
    return math.ceil(100 * size / PACKED_LIMIT_BYTES)


def post_authorization_checks(s: Scenario) -> Result | None:
    """R13: checks AWS makes once the request is authorized (their order is not documented).

    DurationSeconds against the role's MaxSessionDuration and the 1-hour
    role-chaining cap (API-AR, TERMS; GetSessionToken callers per the
    ``session_token_callers_are_chained`` option, RUNAS-11); the request's
    session policy must be a valid policy (MalformedPolicyDocument); the packed
    size of session policy and tags (PackedPolicyTooLarge); a chained call may
    not re-pass an inherited transitive tag key nor change the source identity
    [I: error code undocumented, ValidationError]; STS must be active in the
    Region for the role's account, and for the caller's (REGIONS).
    """
    r, c, p = s.request, s.caller, s.caller.principal
    duration = r.duration_seconds or 3600
    if duration > s.role.max_session_duration:
        return _error(
            "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    chained = p.credentials == "role-session" or (
        p.credentials == "session-token" and s.semantics.session_token_callers_are_chained
    )
    if chained and duration > 3600:
        return _error(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    if r.policy is not None:
        try:
            parse_policy_text(r.policy, PolicyKind.SESSION, "$.request.policy")
        except MalformedPolicyError as exc:
            return _error("MalformedPolicyDocument", f"{exc.message} (at {exc.path})")
    if r.tags or r.policy:
        percent = packed_size_percent(s)
        lo, hi = PACKED_UNCERTAIN_BAND
        if lo <= percent < hi:
            raise UndecidableError(
                f"the packed size of session policy and tags is about {percent}% of the limit; AWS does not "
                "publish its packing, so the model will not decide a request this close to it",
                "$.request",
            )
        if percent >= hi:
            what = "session tags" if not r.policy else "session policies and session tags"
            return _error("PackedPolicyTooLarge", f"Packed size of {what} consumes {percent}% of allotted space.")
    inherited = {k.lower() for k in c.transitive_tag_keys}
    clash = [k for k, _ in r.tags or () if k.lower() in inherited]
    if clash:
        return _error(
            "ValidationError", f"Tag key {clash[0]!r} is an inherited transitive tag and cannot be set again."
        )
    if c.source_identity is not None and r.source_identity is not None and r.source_identity != c.source_identity:
        return _error("ValidationError", "The source identity of a role chain cannot be changed.")
    region = r.region or "us-east-1"
    for account in (s.role.arn.account, getattr(p, "account", None)):
        if account is not None and region in s.disabled_regions.get(account, ()):
            return Result(
                "error",
                "R13",
                error_code="RegionDisabledException",
                message=f"STS is not activated in this region for account:{account}. Your account "
                "administrator can activate STS in this region using the IAM Console.",
            )
    return None


def issue_credentials(s: Scenario) -> Result:
    """R14: the session: ``arn:P:sts::ROLE_ACCOUNT:assumed-role/NAME/SESSION`` (the role path
    is dropped, TF-19957), ``ROLEID:SESSION``, and the effective duration (SPEC.md §3.3)."""
    role, name = s.role.arn, s.request.role_session_name
    return Result(
        "allowed",
        "R14",
        assumed_role=AssumedRole(
            arn=f"arn:{role.partition}:sts::{role.account}:assumed-role/{role.name}/{name}",
            assumed_role_id=f"{s.role.role_id}:{name}",
            duration_seconds=s.request.duration_seconds or 3600,
        ),
    )


# =========================================================================== messages


_SUFFIX = {
    PolicyKind.TRUST: "because no role trust policy allows the {action} action",
    PolicyKind.IDENTITY: "because no identity-based policy allows the {action} action",
    PolicyKind.BOUNDARY: "because no permissions boundary allows the {action} action",
    PolicyKind.SESSION: "because no session policy allows the {action} action",
}


def _denied_message(s: Scenario, action: str, kind: PolicyKind | None, *, explicit: bool = False) -> str:
    """AccessDenied text (SPEC.md §3.6): ``User: CALLER is not authorized to perform:
    ACTION on resource: ROLE`` plus, where AWS adds one, the policy-type context."""
    base = f"User: {s.caller.principal.arn} is not authorized to perform: {action} on resource: {s.role.arn.arn}"
    if kind is None:
        return base
    if explicit:
        article = "an" if kind.value[0] in "aeiou" else "a"
        if kind is PolicyKind.TRUST:
            article = "the"
        return f"{base} with an explicit deny in {article} {kind.value}"
    return f"{base} {_SUFFIX[kind].format(action=action)}"


def _error(code: str, message: str) -> Result:
    return Result("error", "R13", error_code=code, message=message)


def _with_id(result: Result, sid: str) -> Result:
    return Result(
        result.decision,
        result.rule,
        result.message,
        result.error_code,
        result.denied_by,
        result.action,
        result.reasons,
        result.assumed_role,
        sid,
    )


def expectation_mismatch(s: Scenario, result: Result) -> list[str]:
    """Which fields of ``expect`` the result does not meet (empty when all are met)."""
    out = []
    for key, wanted in (s.expect or {}).items():
        got = getattr(result, key)
        if got != wanted:
            out.append(f"{key}: expected {wanted!r}, got {got!r}")
    return out


__all__ += ["expectation_mismatch", "packed_size_percent"]
