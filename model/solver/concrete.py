"""The solver's concrete mode: decide one scenario with the Z3 encoding.

``rolecall decide --engine solver``. The request, caller and context of the
scenario become constant terms (R4's context is the model's
:func:`~rolecall.model.decide.request_context`, so both engines read the same keys),
the policies are encoded by :mod:`rolecall.model.solver.encode`, and Z3 decides. R0
(validation) and R13/R14 (post-authorization checks, the credentials) read no
policy: they are the model's own functions, applied around the encoding.

The federated doors likewise: F7-F10 by Z3 (:mod:`rolecall.model.solver.federated`, over
F6's context, the model's :func:`~rolecall.model.federation.federated_context`), F0, F1,
F3, F4, F11 and F12 by the model's functions, in ``decide_federated``'s order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import z3

from ..arn import FederatedUser, IamUser, RoleSession, Root, ServicePrincipal
from ..conditions import UndecidableError
from ..decide import (
    Result,
    denied_message,
    issue_credentials,
    post_authorization_checks,
    request_context,
    required_actions,
    saved_policies_valid,
    validate_request,
)
from ..federation import (
    check_token,
    companion_hidden_keys,
    federated_actions,
    federated_context,
    federated_credentials,
    federated_denied,
    federated_post_checks,
    federated_role_exists,
    registered_oidc_provider,
    trust_storable,
    validate_federated_request,
)
from ..policy import PolicyKind
from ..scenario import AnyScenario, FederatedScenario, Scenario
from ._lazy import stop_if_interrupted
from .encode import (
    ACTIONS,
    CREDENTIALS,
    FEDERATED,
    ROOT,
    SERVICE,
    SESSION,
    USER,
    Caller,
    Encoding,
    Env,
    KeyState,
    RoleTerms,
    World,
    constant_key,
    encode,
)
from .federated import (
    PROVIDER_KINDS,
    FederatedEnv,
    FederatedWorld,
    Token,
    encode_federated,
)

__all__ = [
    "SolverError",
    "caller_terms",
    "concrete_env",
    "decide",
    "federated_env",
    "federated_world",
    "solve_outcome",
    "world_of",
]

#: Z3's budget for one concrete decision; everything is constant, so this is generous.
TIMEOUT_MS = 60_000


class SolverError(RuntimeError):
    """Z3 could not decide a scenario: it ran out of memory or time, or failed otherwise. Not an answer
    about the scenario, and not a fault of rolecall's: ``rolecall decide --engine solver`` reports it in
    one line (exit 3) and goes on with the next scenario; the model engine decides it."""


def world_of(s: Scenario) -> World:
    """The concrete facts of a scenario that the encoding reads besides the request."""
    c = s.caller
    assert s.role.trust_policy is not None
    return World(
        trust=s.role.trust_policy,
        identity=c.identity_policies,
        boundary=c.permissions_boundary,
        session_policy=c.session_policy,
        role_exists=s.role.exists,
        legacy_implicit_self_trust=s.role.legacy_implicit_self_trust,
        organization=s.organization,
        semantics=s.semantics,
    )


def _str(text: str) -> z3.SeqRef:
    return z3.StringVal(text)


def caller_terms(p: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal) -> Caller:
    """A caller's fields as constant terms."""
    kind = {IamUser: USER, RoleSession: SESSION, ServicePrincipal: SERVICE, Root: ROOT, FederatedUser: FEDERATED}[
        type(p)
    ]
    fields: dict[str, str] = dict.fromkeys(("partition", "account", "path", "name", "session", "uid", "service"), "")
    if isinstance(p, ServicePrincipal):
        fields["service"] = p.name
    else:
        fields["partition"], fields["account"] = p.partition, p.account
        if isinstance(p, IamUser):
            fields.update(path=p.path, name=p.name, uid=p.unique_id)
        elif isinstance(p, RoleSession):
            fields.update(path=p.role_path, name=p.role_name, session=p.session_name, uid=p.unique_id)
        elif isinstance(p, FederatedUser):
            fields["name"] = p.name
    return Caller(
        kind=z3.IntVal(kind),
        creds=z3.IntVal(CREDENTIALS.index(p.credentials)),
        **{k: _str(v) for k, v in fields.items()},
    )


def _keys(ctx: Mapping[str, str | tuple[str, ...]]) -> Callable[[str], KeyState]:
    """A request context as constant key states (each built once)."""
    cache: dict[str, KeyState] = {}

    def key(name: str) -> KeyState:
        if name not in cache:
            cache[name] = constant_key(ctx.get(name))
        return cache[name]

    return key


def _role_terms(s: AnyScenario) -> RoleTerms:
    role = s.role.arn
    return RoleTerms(_str(role.partition), _str(role.account), _str(role.path), _str(role.name))


def concrete_env(s: Scenario) -> Env:
    """The scenario's request as constant terms."""
    actions = required_actions(s)
    return Env(
        caller=caller_terms(s.caller.principal),
        role=_role_terms(s),
        need_tag=z3.BoolVal(ACTIONS[1] in actions),
        need_source=z3.BoolVal(ACTIONS[2] in actions),
        key=_keys(request_context(s)),
    )


def federated_world(s: FederatedScenario) -> FederatedWorld:
    """The concrete facts of a federated scenario that F7-F10 read besides the request."""
    assert s.role.trust_policy is not None  # a missing trust policy is malformed (F0)
    return FederatedWorld(
        action=federated_actions(s)[0], trust=s.role.trust_policy, organization=s.organization, semantics=s.semantics
    )


def federated_env(s: FederatedScenario) -> FederatedEnv:
    """A federated scenario's request as constant terms: the token as F3 resolved it, F5's
    actions and F6's context (the model's :func:`federated_context`, which raises
    ``UndecidableError`` where the model does, before any policy is read)."""
    ctx = federated_context(s)  # first: it raises where authorize_federated would
    actions = federated_actions(s)
    hidden = companion_hidden_keys(s)
    fc = s.federated_caller
    arn: str | None = None
    if fc.provider_kind == "saml":
        arn = s.request.principal_arn
    elif fc.provider_kind == "oidc":
        registered = registered_oidc_provider(s)
        arn = registered.arn if registered is not None else None
    token = Token(
        kind=z3.IntVal(PROVIDER_KINDS.index(fc.provider_kind)),
        provider_arn=_str(arn or ""),
        has_provider_arn=z3.BoolVal(arn is not None),
        host=_str(fc.provider or ""),
        has_host=z3.BoolVal(fc.provider is not None),
        pool_account=_str(fc.cognito_pool_account or s.role.arn.account),
    )
    return FederatedEnv(
        token=token,
        role=_role_terms(s),
        need_tag=z3.BoolVal(ACTIONS[1] in actions),
        need_source=z3.BoolVal(ACTIONS[2] in actions),
        key=_keys(ctx),
        provider_key=lambda name: z3.BoolVal(name in hidden),
    )


def solve_outcome(enc: Encoding, where: str = "$") -> int:
    """Let Z3 evaluate the (closed) decision terms; the index of the outcome."""
    solver = z3.Solver()
    solver.set(timeout=TIMEOUT_MS)
    err, outcome = z3.Bool("err"), z3.Int("outcome")
    solver.add(err == enc.err, outcome == enc.outcome)
    verdict = solver.check()
    if verdict != z3.sat:
        stop_if_interrupted(solver)  # Ctrl-C, not an answer
        raise SolverError(f"Z3 could not evaluate the decision ({verdict}: {solver.reason_unknown()})")
    m = solver.model()
    if z3.is_true(m.eval(err, model_completion=True)):
        raise UndecidableError(
            "a condition tests a multi-valued key without ForAllValues:/ForAnyValue:, or a request value of the "
            "wrong type for its operator; AWS documents no outcome (MULTI, CONDOPS), so rolecall will not guess",
            where,
        )
    return int(m.eval(outcome, model_completion=True).as_long())


def decide(s: AnyScenario) -> Result:
    """Decide a scenario with the solver: R1-R12 by Z3 (R0, R13, R14 by the model's functions);
    at a federated door F7-F10 by Z3 (F0, F1, F3, F4, F11, F12 by the model's functions).

    Raises :class:`SolverError` when Z3 fails (``out of memory`` on the terms of a policy of megabytes,
    which R0's size quotas refuse unless raised), never a bare ``Z3Exception``."""
    try:
        return _decide(s)
    except z3.Z3Exception as exc:
        value = getattr(exc, "value", None) or str(exc)
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        raise SolverError(f"Z3 failed: {text}") from None
    except MemoryError:
        raise SolverError("out of memory") from None


def _decide(s: AnyScenario) -> Result:
    if isinstance(s, FederatedScenario):
        result = (
            trust_storable(s)
            or validate_federated_request(s)
            or check_token(s)
            or federated_role_exists(s)
            or _authorize_federated(s)
            or federated_post_checks(s)
            or federated_credentials(s)
        )
    else:
        refused = saved_policies_valid(s) or validate_request(s) or _authorize(s) or post_authorization_checks(s)
        result = refused if refused is not None else issue_credentials(s)
    return result if result.id == s.id else Result._make((*result[:-1], s.id))


def _authorize_federated(s: FederatedScenario) -> Result | None:
    """F7-F10: Z3 evaluates the encoding; a refusal is worded by the model (``federated_denied``)."""
    enc = encode_federated(federated_world(s), federated_env(s))
    o = enc.outcomes[solve_outcome(enc)]
    if o.decision == "allowed":
        return None
    assert o.action is not None and o.denied_by is not None
    return federated_denied(s, o.action, PolicyKind(o.denied_by), o.rule)


def _authorize(s: Scenario) -> Result | None:
    enc = encode(world_of(s), concrete_env(s))
    o = enc.outcomes[solve_outcome(enc)]
    if o.decision == "allowed":
        return None
    action = o.action or ACTIONS[0]
    kind = PolicyKind(o.denied_by) if o.denied_by else None
    if o.rule == "R1":
        root = isinstance(s.caller.principal, Root)
        message = "Roles may not be assumed by root accounts." if root else denied_message(s, action, None)
    else:
        message = denied_message(s, action, kind, explicit=o.rule in ("R5", "R7"))
    return Result(o.decision, o.rule, message=message, denied_by=o.denied_by, action=o.action)
