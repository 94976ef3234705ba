"""The solver's concrete mode: decide one scenario with the Z3 encoding.

``rolecall decide --engine solver``. The request, caller and context of the
scenario become constant terms (R4's context is the model's
:func:`~rolecall.model.decide.request_context`, so both engines read the same keys),
the policies are encoded by :mod:`rolecall.model.solver.encode`, and Z3 decides. R0
(validation) and R13/R14 (post-authorization checks, the credentials) read no
policy: they are the model's own functions, applied around the encoding.
"""

from __future__ import annotations

from typing import Any

import z3

from ..arn import FederatedUser, IamUser, RoleSession, Root, ServicePrincipal
from ..conditions import UndecidableError
from ..decide import (
    Result,
    _denied_message,
    issue_credentials,
    post_authorization_checks,
    request_context,
    required_actions,
    saved_policies_valid,
    validate_request,
)
from ..policy import PolicyKind
from ..scenario import AnyScenario, Scenario
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
    encode,
    parse_typed,
)

__all__ = ["caller_terms", "concrete_env", "decide", "solve_outcome", "world_of"]

#: Z3's budget for one concrete decision; everything is constant, so this is generous.
TIMEOUT_MS = 60_000


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


def _key_state(value: str | tuple[str, ...] | None) -> KeyState:
    if value is None:
        return KeyState(z3.IntVal(0), z3.BoolVal(False), (), _no_typed)
    values = value if isinstance(value, tuple) else (value,)

    def typed(j: int, family: str) -> tuple[z3.BoolRef, Any]:
        ok, v = parse_typed(family, values[j])
        return z3.BoolVal(ok), v

    return KeyState(z3.IntVal(len(values)), z3.BoolVal(isinstance(value, tuple)), tuple(_str(v) for v in values), typed)


def _no_typed(j: int, family: str) -> tuple[z3.BoolRef, Any]:  # pragma: no cover - no slot to read
    raise AssertionError("an absent key has no value to read")


def concrete_env(s: Scenario) -> Env:
    """The scenario's request as constant terms."""
    ctx = request_context(s)
    actions = required_actions(s)
    role = s.role.arn
    cache: dict[str, KeyState] = {}

    def key(name: str) -> KeyState:
        if name not in cache:
            cache[name] = _key_state(ctx.get(name))
        return cache[name]

    return Env(
        caller=caller_terms(s.caller.principal),
        role=RoleTerms(_str(role.partition), _str(role.account), _str(role.path), _str(role.name)),
        need_tag=z3.BoolVal(ACTIONS[1] in actions),
        need_source=z3.BoolVal(ACTIONS[2] in actions),
        key=key,
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
        raise RuntimeError(f"the solver could not evaluate a concrete decision ({verdict}: {solver.reason_unknown()})")
    m = solver.model()
    if z3.is_true(m.eval(err, model_completion=True)):
        raise UndecidableError(
            "a condition tests a multi-valued key without ForAllValues:/ForAnyValue:, or a request value of the "
            "wrong type for its operator; AWS documents no outcome (MULTI, CONDOPS), so rolecall will not guess",
            where,
        )
    return int(m.eval(outcome, model_completion=True).as_long())


def decide(s: AnyScenario) -> Result:
    """Decide a scenario with the solver (R1-R12 by Z3; R0, R13, R14 by the model's functions).

    The encoding states the AssumeRole door only: a federated scenario is refused as undecidable
    (never another answer than the model's), until the encoding states rules F0-F12.
    """
    if not isinstance(s, Scenario):
        raise UndecidableError(
            f"the solver does not encode {s.api} yet (docs/federation.md); decide it with the model",
            "$.api",
        )
    result = saved_policies_valid(s) or validate_request(s) or _authorize(s) or post_authorization_checks(s)
    if result is None:
        result = issue_credentials(s)
    return result if result.id == s.id else Result._make((*result[:-1], s.id))


def _authorize(s: Scenario) -> Result | None:
    enc = encode(world_of(s), concrete_env(s))
    o = enc.outcomes[solve_outcome(enc)]
    if o.decision == "allowed":
        return None
    action = o.action or ACTIONS[0]
    kind = PolicyKind(o.denied_by) if o.denied_by else None
    if o.rule == "R1":
        root = isinstance(s.caller.principal, Root)
        message = "Roles may not be assumed by root accounts." if root else _denied_message(s, action, None)
    else:
        message = _denied_message(s, action, kind, explicit=o.rule in ("R5", "R7"))
    return Result(o.decision, o.rule, message=message, denied_by=o.denied_by, action=o.action)
