"""The AssumeRole decision: docs/semantics.md rules R0-R14, one function per rule.

Read :func:`decide` first: it is the whole rule in a few lines. Each helper
below implements one rule of docs/semantics.md §1.3 and its docstring names it. The
contested points are the :class:`~rolecall.model.scenario.Semantics` options, honoured
here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from .arn import FederatedUser, IamUser, RoleSession, Root, ServicePrincipal
from .conditions import Context, parse_date
from .errors import MalformedPolicyError
from .federation import decide_federated, federated_actions, federated_context, federated_granting_reasons
from .match import caller_key
from .policy import Policy, PolicyKind, Statement, parse_policy_text
from .result import AssumedRole, Reason, Result
from .scenario import AnyScenario, FederatedScenario, Request, Scenario
from .validation import (
    constraint,
    packed_percent,
    packed_size_refusal,
    valid_session_name,
    validation_error,
    violations,
)

__all__ = ["AssumedRole", "Reason", "Result", "decide", "denied_message", "required_actions", "request_context"]

ASSUME, TAG, SOURCE_IDENTITY = "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"

#: Refusals whose error code AWS does not document: rolecall answers ``ValidationError`` [I]
#: (docs/semantics.md §4.7 and R13). The messages are rolecall's own; each is a sentence of the message
#: the model writes, found in no other (:func:`rolecall.model.open_points` reads them).
DUPLICATE_TAG_KEYS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
TAG_KEY_AWS_PREFIX = "Tag keys cannot start with 'aws:'."
SOURCE_IDENTITY_AWS_PREFIX = "SourceIdentity cannot start with 'aws:'."
TRANSITIVE_KEY_NOT_PASSED = "is not among the session tags of the request."
INHERITED_TRANSITIVE_KEY = "is an inherited transitive tag and cannot be set again."
SOURCE_IDENTITY_CHANGED = "The source identity of a role chain cannot be changed."
UNDOCUMENTED_CODE_MESSAGES = (
    DUPLICATE_TAG_KEYS,
    TAG_KEY_AWS_PREFIX,
    SOURCE_IDENTITY_AWS_PREFIX,
    TRANSITIVE_KEY_NOT_PASSED,
    INHERITED_TRANSITIVE_KEY,
    SOURCE_IDENTITY_CHANGED,
)
_LOWER = {a: a.lower() for a in (ASSUME, TAG, SOURCE_IDENTITY)}


# =========================================================================== the rule


def decide(s: AnyScenario) -> Result:
    """Decide one scenario: the first rule that yields a result ends evaluation.

    R5 (explicit deny) is checked for every required action before any Allow is
    considered, so an explicit Deny anywhere always wins over the rest. A scenario at a
    federated door is decided by rules F0-F12 (:func:`rolecall.model.federation.decide_federated`).
    """
    if type(s) is FederatedScenario:
        return decide_federated(s)
    assert isinstance(s, Scenario)
    result = (
        saved_policies_valid(s)
        or validate_request(s)
        or caller_may_assume(s)
        or role_exists(s)
        or authorize(s)
        or post_authorization_checks(s)
        or issue_credentials(s)
    )
    return result if result.id == s.id else Result._make((*result[:-1], s.id))


def authorize(s: Scenario) -> Result | None:
    """R3-R12: every required action must be allowed; explicit denies first.

    The outcome is a function of the world (policies, caller, role,
    organization, semantics), the required actions, and the values of the
    context keys the conditions read, nothing else. It is memoised, per world,
    on exactly those inputs: a later request against the same world that needs
    the same actions and gives every key that was read the same value has the
    same outcome (a key never read cannot matter).
    """
    actions = required_actions(s)
    memo: list[tuple[tuple[tuple[str, object], ...], Result | None]] | None = s.compiled.get(actions)
    if memo is not None:
        probe: _LazyContext | None = None
        for reads, known in memo:
            if not reads:
                return known
            probe = probe or _LazyContext(s)
            if all(probe.get(key) == value for key, value in reads):
                return known
    ctx = _LazyContext(s)
    ctx.reads = []  # record what this evaluation reads (the memo's key)
    result = explicit_deny(s, actions, ctx)
    for action in actions:
        if result is not None:
            break
        result = rcp_gate(s, action, ctx) or scp_gate(s, action, ctx) or trust_and_caller(s, action, ctx)
    if memo is None:
        memo = s.compiled[actions] = []
    memo.insert(0, (tuple(ctx.reads), result))
    del memo[_MEMO_SIZE:]
    return result


_MEMO_SIZE = 4


# =========================================================================== R0 and save-time


def saved_policies_valid(s: Scenario) -> Result | None:
    """Save-time validation (docs/semantics.md §4.2; scenarios 70-73).

    A policy IAM would refuse to store, or a trust policy naming a principal
    that does not exist ("Invalid principal in policy", TF-8905), means the
    world of the scenario cannot exist: ``MalformedPolicyDocument``; a trust policy, SCP or RCP over
    its size quota (§4.8), likewise, with the service's own code (``LimitExceeded``,
    ``ConstraintViolationException``).
    """
    m = s.malformed
    if m is None:
        return None
    return Result("error", "R0", error_code=m.error_code, message=f"{m.message} (at {m.path})")


def validate_request(s: Scenario) -> Result | None:
    """R0: syntactic validation of every request parameter (docs/semantics.md §3.1, BOTO-STS).

    All violations are listed in one ``ValidationError`` message, in AWS's
    shape: ``N validation errors detected: Value '…' at 'roleSessionName'
    failed to satisfy constraint: …``.
    """
    r = s.request
    name = r.role_session_name
    if r.plain and valid_session_name(name):
        return None  # the common request: a valid session name and nothing else (the role ARN was parsed)
    errors = [
        *violations("roleArn", s.role.arn.arn, "roleArn"),
        *violations("roleSessionName", r.role_session_name, "roleSessionName"),
        *_duration_violations(r.duration_seconds),
    ]
    for name, value in (
        ("externalId", r.external_id),
        ("serialNumber", r.serial_number),
        ("tokenCode", r.token_code),
        ("sourceIdentity", r.source_identity),
        ("policy", r.policy),
    ):
        if value is not None:
            errors += violations(name, value, name)
    errors += _list_violations(r)
    if errors:
        return validation_error(errors, "R0")
    if r.tags is None and r.source_identity is None and r.transitive_tag_keys is None:
        return None
    return _tag_semantics(s)


def _duration_violations(duration: int | None) -> list[str]:
    """R0: DurationSeconds within 900..43200 (the API's own range; the role's maximum is R13's)."""
    if duration is not None and duration < 900:
        return [constraint(duration, "durationSeconds", "Member must have value greater than or equal to 900")]
    if duration is not None and duration > 43200:
        return [constraint(duration, "durationSeconds", "Member must have value less than or equal to 43200")]
    return []


def _list_violations(r: Request) -> list[str]:
    """R0: the list parameters: their lengths (10 policy ARNs, 50 tags, 50 transitive keys), then
    each member's own constraints, named by AWS's ``name.N.member`` paths."""
    errors: list[str] = []
    for name, items, limit in (
        ("policyArns", r.policy_arns, 10),
        ("tags", r.tags, 50),
        ("transitiveTagKeys", r.transitive_tag_keys, 50),
    ):
        if items is not None and len(items) > limit:
            errors.append(constraint("[...]", name, f"Member must have length less than or equal to {limit}"))
    for i, arn in enumerate(r.policy_arns or (), 1):
        errors += violations("policyArns.member.arn", arn, f"policyArns.{i}.member.arn")
    for i, (k, v) in enumerate(r.tags or (), 1):
        errors += violations("tags.member.key", k, f"tags.{i}.member.key")
        errors += violations("tags.member.value", v, f"tags.{i}.member.value")
    for i, k in enumerate(r.transitive_tag_keys or (), 1):
        errors += violations("transitiveTagKeys.member", k, f"transitiveTagKeys.{i}.member")
    return errors


def _tag_semantics(s: Scenario) -> Result | None:
    """Session-tag rules that are not simple constraints (docs/semantics.md §4.7, TAGS, IAMTAGS).

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
            message=DUPLICATE_TAG_KEYS,
        )
    if any(k.startswith("aws:") for k in lowered):
        return Result("error", "R0", error_code="ValidationError", message=TAG_KEY_AWS_PREFIX)
    if r.source_identity is not None and r.source_identity.lower().startswith("aws:"):
        return Result("error", "R0", error_code="ValidationError", message=SOURCE_IDENTITY_AWS_PREFIX)
    missing = [k for k in r.transitive_tag_keys or () if k.lower() not in lowered]
    if missing:
        return Result(
            "error",
            "R0",
            error_code="ValidationError",
            message=f"Transitive tag key {missing[0]!r} {TRANSITIVE_KEY_NOT_PASSED}",
        )
    return None


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
        return Result("implicitDeny", "R1", message=denied_message(s, ASSUME, None), action=ASSUME)
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
        message=denied_message(s, ASSUME, PolicyKind.TRUST),
        denied_by=PolicyKind.TRUST.value,
        action=ASSUME,
    )


def required_actions(s: AnyScenario) -> tuple[str, ...]:
    """R3: ``sts:AssumeRole``, plus ``sts:TagSession`` when tags or transitive keys are passed,
    plus ``sts:SetSourceIdentity`` when a source identity is passed (TAGS, SRCID).

    [I] Inherited transitive tags alone do not require ``sts:TagSession``.
    """
    if isinstance(s, FederatedScenario):
        return federated_actions(s)  # F5
    r = s.request
    if r.plain:
        return _ONLY_ASSUME
    tags = bool(r.tags or r.transitive_tag_keys)
    source = r.source_identity is not None
    if not tags and not source:
        return _ONLY_ASSUME
    return (ASSUME, *((TAG,) if tags else ()), *((SOURCE_IDENTITY,) if source else ()))


_ONLY_ASSUME = (ASSUME,)


# =========================================================================== R4


def request_context(
    s: AnyScenario, now: datetime | None = None, *, clock: bool = True
) -> dict[str, str | tuple[str, ...]]:
    """R4: the request context, keys lower-cased (names are case-insensitive, COND).

    Principal keys (GKEYS, VARS): ``aws:PrincipalArn`` is the *role* ARN for a
    role session; ``aws:username`` exists for IAM users only;
    ``aws:PrincipalOrgID`` only when the caller's account is in the
    organization. Resource keys (GKEYS): ``aws:ResourceAccount`` is the role's
    account ("always included … for most service actions"; STS is not among the
    exceptions), ``aws:ResourceOrgID`` when that account is in the organization.
    STS keys (STSKEYS): ``sts:RoleSessionName`` always,
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
    if isinstance(s, FederatedScenario):
        return federated_context(s, now)  # F6 (the clock is always set there)
    ctx = {**_world_context(s), **_request_part(s)}
    if clock:
        ctx.update(_clock(s, now))
    return ctx


def _world_context(s: Scenario) -> dict[str, str | tuple[str, ...]]:
    """The keys of R4 that follow from the world alone (the caller, its tags, the role's
    tags, the organization), computed once per scenario."""
    cached: dict[str, str | tuple[str, ...]] | None = s.compiled.get("context")
    if cached is not None:
        return cached
    c, p = s.caller, s.caller.principal
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
    if c.source_identity is not None:
        ctx["aws:sourceidentity"] = c.source_identity
    ctx["aws:resourceaccount"] = s.role.arn.account
    if s.organization is not None and s.organization.contains(s.role.arn.account):
        ctx["aws:resourceorgid"] = s.organization.id
    for k, v in s.role.tags.items():
        ctx["aws:resourcetag/" + k.lower()] = v
    for k in c.transitive_tag_keys:
        ctx["aws:resourcetag/" + k.lower()] = next(v for tk, v in c.tags.items() if tk.lower() == k.lower())
    if c.federated_origin is not None:  # F13: a session that federation created
        ctx["aws:federatedprovider"] = c.federated_origin.provider
        ctx.update(c.federated_origin.keys)
    if c.mfa:
        ctx["aws:multifactorauthpresent"] = "true"
    elif p.credentials in ("role-session", "session-token"):
        ctx["aws:multifactorauthpresent"] = "false"
    ctx["aws:securetransport"] = "true"
    s.compiled["context"] = ctx
    return ctx


def _request_part(s: Scenario) -> dict[str, str | tuple[str, ...]]:
    """The keys of R4 that follow from the request, and the scenario's own ``context``."""
    r = s.request
    ctx: dict[str, str | tuple[str, ...]] = {"sts:rolesessionname": r.role_session_name}
    if r.external_id is not None:
        ctx["sts:externalid"] = r.external_id
    if r.source_identity is not None:
        ctx["sts:sourceidentity"] = r.source_identity
    if r.transitive_tag_keys is not None:
        ctx["sts:transitivetagkeys"] = tuple(r.transitive_tag_keys)
    if r.tags:
        for k, v in r.tags:
            ctx["aws:requesttag/" + k.lower()] = v
        ctx["aws:tagkeys"] = tuple(k for k, _ in r.tags)
    if r.serial_number is not None and r.token_code is not None:
        ctx["aws:multifactorauthpresent"] = "true"
        ctx["aws:multifactorauthage"] = "0"
    ctx["aws:requestedregion"] = r.region or "us-east-1"
    ctx.update(s.context)
    return ctx


def _clock(s: Scenario, now: datetime | None = None) -> dict[str, str]:
    """``aws:CurrentTime`` and ``aws:EpochTime``: now, unless the scenario's context fixes them."""
    if "aws:currenttime" in s.context:
        moment = parse_date(str(s.context["aws:currenttime"])) or datetime.now(UTC)
    else:
        moment = now or datetime.now(UTC)
    out = {"aws:currenttime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "aws:epochtime": str(int(moment.timestamp()))}
    out.update((k, str(v)) for k, v in s.context.items() if k in out)
    return out


_CLOCK_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})


class _LazyContext:
    """The R4 context, built on first use (most statements test no condition); when
    ``reads`` is a list, every key read and its value are recorded there."""

    __slots__ = ("_built", "_s", "_world", "reads")

    def __init__(self, s: Scenario) -> None:
        self._s = s
        self._built: dict[str, str | tuple[str, ...]] | None = None
        self._world: dict[str, str | tuple[str, ...]] = {}
        self.reads: list[tuple[str, object]] | None = None

    def get(self, key: str, /) -> str | tuple[str, ...] | None:
        built = self._built
        if built is None:
            built = self._built = _request_part(self._s)
            self._world = _world_context(self._s)
        value = built.get(key)
        if value is None:
            value = self._world.get(key)
            if value is None and key in _CLOCK_KEYS:
                built.update(_clock(self._s))  # reading the clock costs; only when a condition asks
                value = built.get(key)
        if self.reads is not None:
            self.reads.append((key, value))
        return value


# =========================================================================== statement matching

_Hit = tuple[int, int, Statement, frozenset[str]]
_NO_CLASSES: frozenset[str] = frozenset()


class _Compiled(NamedTuple):
    """The statements of one policy set that could apply to a request for one action,
    split by whether the request can still change that: ``settled`` apply whatever the
    request (no condition, no policy variable in Resource); ``residual`` apply iff their
    Resource and Condition hold in the request context."""

    settled: tuple[_Hit, ...]
    residual: tuple[_Hit, ...]


def _compile(
    s: Scenario, label: str, policies: Sequence[Policy], effect: str, action: str, principal: bool, rcp: bool
) -> _Compiled:
    """Match what the world alone decides: Action (docs/semantics.md §4.4), Principal against the caller
    (trust policies and RCPs, §4.3), Resource against the role ARN with its path (R4)."""
    key = (label, effect, action)
    compiled: _Compiled | None = s.compiled.get(key)
    if compiled is not None:
        return compiled
    action_l = action.lower()
    caller = s.caller.principal
    wildcard_services = rcp or s.semantics.wildcard_matches_services
    ckey = f"{caller_key(caller)}|{wildcard_services}"
    settled, residual = [], []
    for pi, policy in enumerate(policies):
        for si, st in policy.statements_for(effect, action_l):
            classes = _NO_CLASSES
            if principal:
                if st.principal is None:
                    continue
                classes = st.principal.classes_for(caller, ckey, wildcard_services)
                if not classes:
                    continue
            if st.request_dependent:
                residual.append((pi, si, st, classes))
            elif not (st.resources or st.not_resources) or st.matches_resource(s.role.arn.arn, _NO_REQUEST):
                settled.append((pi, si, st, classes))
    compiled = s.compiled[key] = _Compiled(tuple(settled), tuple(residual))
    return compiled


def _holds(hit: _Hit, s: Scenario, ctx: Context) -> bool:
    """Resource (with its policy variables) and Condition of a residual statement (§4.5)."""
    st = hit[2]
    if (st.resources or st.not_resources) and not st.matches_resource(s.role.arn.arn, ctx):
        return False
    return st.conditions_hold(ctx)


def _hits(
    s: Scenario,
    label: str,
    policies: Sequence[Policy],
    effect: str,
    action: str,
    ctx: Context,
    *,
    principal: bool = False,
    rcp: bool = False,
) -> list[_Hit]:
    """The statements of ``policies`` with this Effect that apply to the request: Action,
    Principal (trust policies and RCPs), Resource and Condition all match. Yields
    (policy index, statement index, statement, trust classes)."""
    c = _compile(s, label, policies, effect, action, principal, rcp)
    if not c.residual:
        return list(c.settled)
    return [*c.settled, *(h for h in c.residual if _holds(h, s, ctx))]


def _allows(s: Scenario, label: str, policies: Sequence[Policy], action: str, ctx: Context) -> bool:
    """Some statement of ``policies`` allows the action on the role (the boolean form of :func:`_hits`)."""
    c = _compile(s, label, policies, "Allow", action, False, False)
    return bool(c.settled) or any(_holds(h, s, ctx) for h in c.residual)


class _NoRequest:
    """A context for world-only matching: consulting it is a bug (the statement was residual)."""

    def get(self, key: str, /) -> str | tuple[str, ...] | None:
        raise AssertionError(f"world-only matching consulted the request context ({key})")


_NO_REQUEST = _NoRequest()


def _reasons(kind: PolicyKind, hits: Iterable[_Hit], level: int | None = None) -> list[Reason]:
    indexed = kind in (PolicyKind.IDENTITY, PolicyKind.SCP, PolicyKind.RCP)
    return [
        Reason(
            kind.value,
            si,
            st.effect,
            st.sid,
            policy_index=pi if indexed else None,
            level=level,
            principal_class=",".join(sorted(classes)) if kind is PolicyKind.TRUST and st.effect == "Allow" else None,
        )
        for pi, si, st, classes in hits
    ]


def _trust(s: Scenario) -> tuple[Policy]:
    assert s.role.trust_policy is not None  # a missing trust policy is a malformed scenario (R0)
    return (s.role.trust_policy,)


class _World(NamedTuple):
    """Facts of the scenario's world (caller, role, organization) that do not depend on the
    request: which policy chains apply (R6, R7), every policy R5 must scan, and the
    Compiled once per world (shared by scenarios with the same world); every
    request-dependent step (validation, context, conditions, the rules) runs per decision."""

    scps: tuple[tuple[Policy, ...], ...]
    rcps: tuple[tuple[Policy, ...], ...]
    callers: tuple[tuple[PolicyKind, Sequence[Policy]], ...]
    every: tuple[Policy, ...]


def _world(s: Scenario) -> _World:
    world: _World | None = s.compiled.get("world")
    if world is None:
        scps, rcps, callers = _scp_chain(s), _rcp_chain(s), tuple(_caller_policies(s))
        every = (
            *(p for level in scps for p in level),
            *(p for level in rcps for p in level),
            *_trust(s),
            *(p for _, ps in callers for p in ps),
        )
        world = s.compiled["world"] = _World(scps, rcps, callers, every)
    return world


# =========================================================================== R5


def _scp_chain(s: Scenario) -> tuple[tuple[Policy, ...], ...]:
    """R7 applicability: SCPs bind IAM users and role sessions of *member* accounts, never
    the management account, service principals or service-linked roles (ORG-SCP)."""
    org, p = s.organization, s.caller.principal
    if org is None or isinstance(p, ServicePrincipal) or p.account not in org.members:
        return ()
    if p.account == org.management_account:
        return ()
    if isinstance(p, RoleSession) and p.role_path.startswith("/aws-service-role/"):
        return ()
    return org.scps.get(p.account, ())


def _rcp_chain(s: Scenario) -> tuple[tuple[Policy, ...], ...]:
    """R6 applicability: RCPs bind resources of *member* accounts, never the management account."""
    org, account = s.organization, s.role.arn.account
    if org is None or account not in org.members or account == org.management_account:
        return ()
    return org.rcps.get(account, ())


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

    Scanned in AWS's evaluation order (docs/semantics.md §1.4): SCPs of the caller's
    account, RCPs of the role's account, the trust policy, the caller's
    identity policies, boundary and session policy. AWS names one policy type
    in its message (TRB-AD); ``reasons`` lists every matching Deny.
    """
    scps, rcps, callers = _scp_chain(s), _rcp_chain(s), _caller_policies(s)
    every = [
        *(p for level in scps for p in level),
        *(p for level in rcps for p in level),
        *_trust(s),
        *(p for _, ps in callers for p in ps),
    ]
    for action in actions:
        action_l = _LOWER.get(action) or action.lower()
        if not any(p.statements_for("Deny", action_l) for p in every):
            continue  # no Deny statement even names the action
        found: list[Reason] = []
        for level, policies in enumerate(scps):
            found += _reasons(PolicyKind.SCP, _hits(s, f"scp{level}", policies, "Deny", action, ctx), level)
        for level, policies in enumerate(rcps):
            hits = _hits(s, f"rcp{level}", policies, "Deny", action, ctx, principal=True, rcp=True)
            found += _reasons(PolicyKind.RCP, hits, level)
        found += _reasons(PolicyKind.TRUST, _hits(s, "trust", _trust(s), "Deny", action, ctx, principal=True))
        for kind, caller_policies in callers:
            found += _reasons(kind, _hits(s, kind.name, caller_policies, "Deny", action, ctx))
        if found:
            kind = PolicyKind(found[0].policy)
            return Result(
                "explicitDeny",
                "R5",
                message=denied_message(s, action, kind, explicit=True),
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
    for level, policies in enumerate(_world(s).scps):
        if not _allows(s, f"scp{level}", policies, action, ctx):
            return Result(
                "implicitDeny",
                "R7",
                message=denied_message(s, action, PolicyKind.SCP, explicit=True),
                denied_by=PolicyKind.SCP.value,
                action=action,
            )
    return None


# =========================================================================== R8-R12


class _CallerSide(NamedTuple):
    """Whether each caller-side policy allows (``None``: the caller has no such policy)."""

    identity: bool
    boundary: bool | None
    session: bool | None

    @classmethod
    def of(cls, s: Scenario, action: str, ctx: Context) -> _CallerSide:
        c = s.caller
        return cls(
            _allows(s, "IDENTITY", c.identity_policies, action, ctx),
            None if c.permissions_boundary is None else _allows(s, "BOUNDARY", (c.permissions_boundary,), action, ctx),
            None if c.session_policy is None else _allows(s, "SESSION", (c.session_policy,), action, ctx),
        )

    def first_failure(self, *, identity: bool = True, boundary: bool = True, session: bool = True) -> PolicyKind | None:
        """The first required caller-side policy that does not allow, in AWS's order (§1.4)."""
        if identity and not self.identity:
            return PolicyKind.IDENTITY
        if boundary and self.boundary is False:
            return PolicyKind.BOUNDARY
        if session and self.session is False:
            return PolicyKind.SESSION
        return None


def trust_and_caller(s: Scenario, action: str, ctx: Context) -> Result | None:
    """R8-R12: the trust policy must grant, and the caller's side must allow as the grant requires.

    R8 always: a matching trust Allow is needed in the same account as across
    accounts (EVAL-DA: role trust policies are the exception to "identity OR
    resource policy"). R11 for services, R9 across accounts, R10 within one,
    R12 for grandfathered self-trust.
    """
    grants = _hits(s, "trust", _trust(s), "Allow", action, ctx, principal=True)
    classes = frozenset().union(*(c for *_, c in grants))
    p = s.caller.principal
    if isinstance(p, ServicePrincipal):
        failure = service_principal(classes)
    elif p.account != s.role.arn.account:
        failure = cross_account(classes, _CallerSide.of(s, action, ctx))
    else:
        failure = same_account(s, classes, _CallerSide.of(s, action, ctx))
    if failure is None:
        return None
    rule, kind = failure
    return Result(
        "implicitDeny",
        rule,
        message=denied_message(s, action, kind),
        denied_by=kind.value,
        action=action,
        reasons=tuple(_reasons(PolicyKind.TRUST, grants)),
    )


def service_principal(classes: frozenset[str]) -> tuple[str, PolicyKind] | None:
    """R11: a service is allowed iff the trust names it (``Service``), or names ``*`` and
    the ``wildcard_matches_services`` option says a wildcard covers services.
    No identity policy, SCP, boundary or session policy exists for a service."""
    return None if classes else ("R11", PolicyKind.TRUST)


def cross_account(classes: frozenset[str], side: _CallerSide) -> tuple[str, PolicyKind] | None:
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
    if "session" in classes or "wildcard" in classes:
        return None
    # For each matched class, the first caller-side policy it needs that does not allow
    # (None: that grant's requirements are met).
    unmet: list[PolicyKind | None] = []
    if "user" in classes:
        unmet.append(side.first_failure(identity=False, boundary=not sem.user_direct_bypasses_boundary, session=False))
    if "role" in classes:
        unmet.append(side.first_failure(identity=sem.role_direct_needs_identity))
    if "account" in classes:
        unmet.append(side.first_failure())
    if None in unmet:
        return None
    if unmet:
        return "R10", unmet[0] or PolicyKind.IDENTITY
    p = s.caller.principal
    self_assume = isinstance(p, RoleSession) and p.role_arn == s.role.arn.arn
    if self_assume and s.role.legacy_implicit_self_trust and side.first_failure() is None:
        return None
    return "R8", PolicyKind.TRUST


# =========================================================================== R13, R14


def packed_size_percent(s: Scenario) -> int:
    """The model's estimate of ``PackedPolicySize`` for the request's tags and session policy
    (see :data:`rolecall.model.validation.PACKED_LIMIT_BYTES`)."""
    return packed_percent(s.request.tags or (), s.request.policy)


def post_authorization_checks(s: Scenario) -> Result | None:
    """R13: checks AWS makes once the request is authorized (their order is not documented).

    One function per check, in :data:`R13_CHECKS`' order: DurationSeconds against the role's
    MaxSessionDuration and the 1-hour role-chaining cap (API-AR, TERMS; GetSessionToken callers
    per the ``session_token_callers_are_chained`` option, RUNAS-11); the request's session
    policy must be a valid policy (MalformedPolicyDocument); the packed size of session policy
    and tags (PackedPolicyTooLarge); a chained call may not re-pass an inherited transitive tag
    key nor change the source identity [I: error code undocumented, ValidationError]; STS must
    be active in the Region for the role's account, and for the caller's (REGIONS).
    """
    if s.request.plain and not s.disabled_regions:
        return None  # nothing to check: the default 3600 s fits every role and the chaining cap
    for check in R13_CHECKS:
        result = check(s)
        if result is not None:
            return result
    return None


def max_session_duration(s: Scenario) -> Result | None:
    """R13: DurationSeconds (default 3600) may not exceed the role's MaxSessionDuration (API-AR)."""
    if (s.request.duration_seconds or 3600) > s.role.max_session_duration:
        return _error(
            "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return None


def chaining_cap(s: Scenario) -> Result | None:
    """R13: a role session (and, per ``session_token_callers_are_chained``, a GetSessionToken
    session, RUNAS-11) may ask for at most one hour (TERMS: role chaining)."""
    credentials = s.caller.principal.credentials
    chained = credentials == "role-session" or (
        credentials == "session-token" and s.semantics.session_token_callers_are_chained
    )
    if chained and (s.request.duration_seconds or 3600) > 3600:
        return _error(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    return None


def session_policy_valid(s: Scenario) -> Result | None:
    """R13: the request's inline session policy must be a valid policy (MalformedPolicyDocument)."""
    if s.request.policy is not None:
        try:
            parse_policy_text(s.request.policy, PolicyKind.SESSION, "$.request.policy")
        except MalformedPolicyError as exc:
            return _error("MalformedPolicyDocument", f"{exc.message} (at {exc.path})")
    return None


def packed_size(s: Scenario) -> Result | None:
    """R13: session policy and tags packed must fit (PackedPolicyTooLarge). AWS does not publish its
    packing: within :data:`PACKED_UNCERTAIN_BAND` of the limit the model refuses to decide (fail closed)."""
    r = s.request
    if not (r.tags or r.policy):
        return None
    refused = packed_size_refusal(r.tags or (), r.policy)
    return None if refused is None else _error("PackedPolicyTooLarge", refused)


def inherited_transitive_keys(s: Scenario) -> Result | None:
    """R13: a chained call may not pass again a tag key the caller's session inherited as transitive
    (TAGS) [I: error code undocumented, ValidationError]."""
    inherited = {k.lower() for k in s.caller.transitive_tag_keys}
    clash = [k for k, _ in s.request.tags or () if k.lower() in inherited]
    if clash:
        return _error("ValidationError", f"Tag key {clash[0]!r} {INHERITED_TRANSITIVE_KEY}")
    return None


def source_identity_kept(s: Scenario) -> Result | None:
    """R13: a role chain's source identity cannot be changed (SRCID) [I: ValidationError]."""
    before, asked = s.caller.source_identity, s.request.source_identity
    if before is not None and asked is not None and asked != before:
        return _error("ValidationError", SOURCE_IDENTITY_CHANGED)
    return None


def region_active(s: Scenario) -> Result | None:
    """R13: STS must be active in the request's Region for the role's account and for the caller's
    (REGIONS): RegionDisabledException otherwise."""
    region = s.request.region or "us-east-1"
    for account in (s.role.arn.account, getattr(s.caller.principal, "account", None)):
        if account is not None and region in s.disabled_regions.get(account, ()):
            return Result(
                "error",
                "R13",
                error_code="RegionDisabledException",
                message=f"STS is not activated in this region for account:{account}. Your account "
                "administrator can activate STS in this region using the IAM Console.",
            )
    return None


R13_CHECKS: tuple[Callable[[Scenario], Result | None], ...] = (
    max_session_duration,
    chaining_cap,
    session_policy_valid,
    packed_size,
    inherited_transitive_keys,
    source_identity_kept,
    region_active,
)
"""R13's checks in the order the model makes them (AWS documents none)."""


def issue_credentials(s: Scenario) -> Result:
    """R14: the session: ``arn:P:sts::ROLE_ACCOUNT:assumed-role/NAME/SESSION`` (the role path
    is dropped, TF-19957), ``ROLEID:SESSION``, and the effective duration (docs/semantics.md §3.3)."""
    name, role = s.request.role_session_name, s.role
    assumed = AssumedRole(role.session_arn_prefix + name, f"{role.role_id}:{name}", s.request.duration_seconds or 3600)
    return Result("allowed", "R14", None, None, None, None, (), assumed, s.id)


# =========================================================================== messages


_SUFFIX = {
    PolicyKind.TRUST: "because no role trust policy allows the {action} action",
    PolicyKind.IDENTITY: "because no identity-based policy allows the {action} action",
    PolicyKind.BOUNDARY: "because no permissions boundary allows the {action} action",
    PolicyKind.SESSION: "because no session policy allows the {action} action",
}


def denied_message(s: Scenario, action: str, kind: PolicyKind | None, *, explicit: bool = False) -> str:
    """AccessDenied text (docs/semantics.md §3.6): ``User: CALLER is not authorized to perform:
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


def granting_reasons(s: AnyScenario) -> tuple[Reason, ...]:
    """For an allowed scenario: the statements that grant each required action, on both
    sides (trust policy, SCP levels, identity policies, boundary, session policy).

    Not part of :func:`decide`'s hot path; ``rolecall decide`` attaches them to allowed
    results so that a person sees which statements decided.
    """
    if isinstance(s, FederatedScenario):
        return federated_granting_reasons(s)
    ctx = _LazyContext(s)
    out: list[Reason] = []
    for action in required_actions(s):
        out += _reasons(PolicyKind.TRUST, _hits(s, "trust", _trust(s), "Allow", action, ctx, principal=True))
        for level, policies in enumerate(_world(s).scps):
            out += _reasons(PolicyKind.SCP, _hits(s, f"scp{level}", policies, "Allow", action, ctx), level)
        for kind, caller_policies in _world(s).callers:
            out += _reasons(kind, _hits(s, kind.name, caller_policies, "Allow", action, ctx))
    return tuple(dict.fromkeys(out))


def expectation_mismatch(s: AnyScenario, result: Result) -> list[str]:
    """Which fields of ``expect`` the result does not meet (empty when all are met)."""
    out = []
    for key, wanted in (s.expect or {}).items():
        got = getattr(result, key)
        if got != wanted:
            out.append(f"{key}: expected {wanted!r}, got {got!r}")
    return out


__all__ += ["expectation_mismatch", "granting_reasons", "packed_size_percent"]
