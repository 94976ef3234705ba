"""F7-F10 of the federated doors (``model/federation.py``, ``authorize_federated``) as Z3 terms.

The federated doors, ``sts:AssumeRoleWithWebIdentity`` and ``sts:AssumeRoleWithSAML``, have no AWS
caller (F2): only the role's trust policy, the RCPs of the role's account and, under
``scps_apply_to_federated``, its SCPs decide. The rules before (F0 storable trust, F1 parameters,
F3 the token or assertion, F4 existence) and after (F11 checks, F12 credentials) read no policy;
``model/solver/concrete.py`` applies the model's own functions for them.

A :class:`FederatedEnv` holds what F7-F10 read, each a Z3 term: who the token resolved to
(:class:`Token`: the provider's kind, the IAM provider ARN in the role's account, the host, the
Cognito pool's account), the role's fields, which companion actions F5 requires, and F6's context
key by key, with which keys are the provider's (hidden from the companion actions unless
``federation_keys_in_companion_actions``). In concrete mode they are constants; a query over every
token (issue 14, step 3) can make them variables without changing these terms.

:func:`encode_federated` follows ``authorize_federated``: for each action of F5 in order, F7 (every
``Deny`` of the SCP chain under the option, the RCPs, the trust policy; the first kind found names
the refusal), before any ``Allow``; then, per action, F9 (each SCP level must allow, under the
option) and F10 (a trust ``Allow`` whose Principal names the provider, with the Cognito
cross-account filter). Statements are matched, and conditions tested, by the one encoding of
:class:`~rolecall.model.solver.encode.Statements` the AssumeRole decision uses; only the Principal
table is this door's own (``_principal_matches``). ``err`` is true where the model raises
``UndecidableError`` (a condition it reaches that it cannot evaluate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from ..federation import SAML, SOURCE_IDENTITY, TAG, WEB_IDENTITY, tests_aud_and_amr
from ..policy import Policy, PolicyKind, Statement
from ..scenario import Semantics
from .encode import (
    Encoding,
    KeyState,
    Outcome,
    RoleTerms,
    Statements,
    Unsupported,
    account_chains,
    and_terms,
    not_term,
    or_terms,
)

__all__ = [
    "FEDERATED_ACTIONS",
    "PROVIDER_KINDS",
    "FederatedEnv",
    "FederatedWorld",
    "Token",
    "encode_federated",
    "hide",
]

#: ``FederatedCaller.provider_kind``, in the order :attr:`Token.kind` indexes.
PROVIDER_KINDS = ("oidc", "cognito", "well_known", "saml")
OIDC, COGNITO, WELL_KNOWN, SAML_PROVIDER = range(4)
#: The primary actions (F5).
FEDERATED_ACTIONS = (WEB_IDENTITY, SAML)

_TRUE, _FALSE = z3.BoolVal(True), z3.BoolVal(False)


@dataclass(frozen=True)
class Token:
    """Who calls, as F10's principal table and its Cognito filter read it (F3 resolved it)."""

    kind: z3.ArithRef
    """Indexes :data:`PROVIDER_KINDS`."""
    provider_arn: z3.SeqRef
    """The IAM provider of the role's account the call resolved to: the registered OIDC provider's
    ARN (web identity), the request's ``PrincipalArn`` (SAML); ``""`` when there is none."""
    has_provider_arn: z3.BoolRef
    host: z3.SeqRef
    """The provider key: the issuer without ``https://``, or the built-in host (``""``: none, SAML)."""
    has_host: z3.BoolRef
    pool_account: z3.SeqRef
    """The account of the Cognito identity pool (the role's account when not given)."""


@dataclass
class FederatedEnv:
    """Everything F7-F10 read from the request (see the module docstring)."""

    token: Token
    role: RoleTerms
    need_tag: z3.BoolRef
    """F5: the token or assertion passes session tags (``sts:TagSession`` is required)."""
    need_source: z3.BoolRef
    """F5: it passes a source identity (``sts:SetSourceIdentity`` is required)."""
    key: Callable[[str], KeyState]
    """F6: the state of a (lower-cased) context key as the primary action sees it."""
    provider_key: Callable[[str], z3.BoolRef]
    """F5/F6: whether a key is one of the provider's (``aws:FederatedProvider`` excepted), which the
    companion actions do not see unless ``federation_keys_in_companion_actions``."""


@dataclass(frozen=True)
class FederatedWorld:
    """The concrete facts F7-F10 read besides the request."""

    action: str
    """The API's own action (F5): :data:`FEDERATED_ACTIONS`."""
    trust: Policy
    organization: Any = None
    semantics: Semantics = field(default_factory=Semantics)


def encode_federated(world: FederatedWorld, env: FederatedEnv) -> Encoding:
    """Encode F7-F10 of ``world`` on the request ``env``; the allowed outcome is rule F12 (F11 and
    F12 are the model's functions, applied after)."""
    if world.action not in FEDERATED_ACTIONS:
        raise Unsupported(f"the federated door {world.action!r}")
    return _FederatedEncoder(world, env).run()


def hide(ks: KeyState, hidden: z3.BoolRef) -> KeyState:
    """A context key as an action that does not see it when ``hidden`` holds reads it: absent."""
    if z3.is_false(hidden):
        return ks
    if z3.is_true(hidden):
        return KeyState(z3.IntVal(0), _FALSE, (), _never_read)
    shown = z3.Not(hidden)
    active = None if ks.active is None else tuple(z3.And(shown, a) for a in ks.active)
    return KeyState(
        z3.If(hidden, z3.IntVal(0), ks.count), z3.And(shown, ks.is_tuple), ks.slots, ks.typed, ks.arns, active
    )


def _never_read(j: int, family: str) -> tuple[z3.BoolRef, Any]:  # pragma: no cover - no slot to read
    raise AssertionError("an absent key has no value to read")


# =========================================================================== the encoder


_and, _or, _not = and_terms, or_terms, not_term


Chains = list[tuple[z3.BoolRef, tuple[tuple[Policy, ...], ...]]]


class _FederatedEncoder:
    """``authorize_federated`` (F7-F10) over :class:`Statements`, one per context an action sees."""

    def __init__(self, world: FederatedWorld, env: FederatedEnv) -> None:
        self.w, self.env, self.sem = world, env, world.semantics
        self.errs: list[z3.BoolRef] = []
        self.outcomes: list[Outcome] = []
        self.grants: dict[tuple[int, str], z3.BoolRef] = {}
        # F5/F6: the primary action sees the whole context; the companion actions the same, or
        # (option off) without the provider's keys. Each context has its own statement encoding.
        self.primary = Statements(env.role, env.key, self.errs)
        if self.sem.federation_keys_in_companion_actions:
            self.companion = self.primary
        else:
            self.companion = Statements(env.role, self._companion_key, self.errs)
        org = world.organization
        self.rcps: Chains = account_chains(org, org.rcps, env.role.account) if org is not None else []
        self.scps: Chains = (
            account_chains(org, org.scps, env.role.account)
            if org is not None and self.sem.scps_apply_to_federated
            else []
        )

    def _companion_key(self, name: str) -> KeyState:
        return hide(self.env.key(name), self.env.provider_key(name))

    def _code(self, o: Outcome) -> z3.ArithRef:
        if o not in self.outcomes:
            self.outcomes.append(o)
        return z3.IntVal(self.outcomes.index(o))

    # ------------------------------------------------------------------ the rule

    def run(self) -> Encoding:
        env = self.env
        actions = [
            (self.w.action, _TRUE, self.primary),
            (TAG, env.need_tag, self.companion),
            (SOURCE_IDENTITY, env.need_source, self.companion),
        ]
        allowed_code = self._code(Outcome("allowed", "F12"))
        # F7 over every action first, then F9 and F10 action by action.
        steps: list[tuple[z3.BoolRef, z3.ArithRef]] = []
        phase = _TRUE
        for action, needed, m in actions:
            found, code = self._explicit_deny(m, action, _and([phase, needed]))
            hit = _and([needed, found])
            steps.append((hit, code))
            phase = _and([phase, _not(hit)])
        for action, needed, m in actions:
            for fail, code in self._gates(m, action, _and([phase, needed])):
                hit = _and([needed, fail])
                steps.append((hit, code))
                phase = _and([phase, _not(hit)])
        outcome: z3.ArithRef = allowed_code
        for hit, code in reversed(steps):
            outcome = z3.If(hit, code, outcome) if not z3.is_false(hit) else outcome
        err = _or(self.errs)
        allowed = _and([*[_not(hit) for hit, _ in steps], _not(err)])
        return Encoding(outcome, err, self.outcomes, allowed, self.grants)

    # ------------------------------------------------------------------ F7, F8

    def _explicit_deny(self, m: Statements, action: str, reached: z3.BoolRef) -> tuple[z3.BoolRef, z3.ArithRef]:
        """F7: whether a Deny matches (every Deny naming the action is evaluated, as
        ``_explicit_denies`` collects them all), and the outcome naming the first kind in AWS's
        order: the SCP chain (under the option), the RCPs (F8), the trust policy."""
        sets: list[tuple[PolicyKind, z3.BoolRef, Sequence[Policy]]] = []
        sets += [(PolicyKind.SCP, guard, level) for guard, levels in self.scps for level in levels]
        sets += [(PolicyKind.RCP, guard, level) for guard, levels in self.rcps for level in levels]
        sets.append((PolicyKind.TRUST, _TRUE, (self.w.trust,)))
        found_by: list[tuple[PolicyKind, z3.BoolRef]] = []
        for kind, applies, policies in sets:
            hits = self._matching(m, kind, policies, "Deny", action, _and([reached, applies]))
            found_by.append((kind, _and([applies, _or([h for _, _, h in hits])])))
        found = _or([f for _, f in found_by])
        code: z3.ArithRef = z3.IntVal(-1)
        for kind, f in reversed(found_by):
            if not z3.is_false(f):
                code = z3.If(f, self._code(Outcome("explicitDeny", "F7", kind.value, action)), code)
        return found, code

    # ------------------------------------------------------------------ F9, F10

    def _gates(self, m: Statements, action: str, reached: z3.BoolRef) -> list[tuple[z3.BoolRef, z3.ArithRef]]:
        """The failures of one action in the model's order: each SCP level (F9, under the
        option: every Allow of the level is evaluated), then the trust policy (F10)."""
        steps: list[tuple[z3.BoolRef, z3.ArithRef]] = []
        f9 = self._code(Outcome("implicitDeny", "F9", PolicyKind.SCP.value, action))
        for guard, levels in self.scps:
            level_reached = _and([reached, guard])
            for level in levels:
                hits = self._matching(m, PolicyKind.SCP, level, "Allow", action, level_reached)
                ok = _or([h for _, _, h in hits])
                steps.append((_and([guard, _not(ok)]), f9))
                level_reached = _and([level_reached, ok])
        passed = _and([reached, *[_not(f) for f, _ in steps]])
        steps.append((_not(self._trust_grants(m, action, passed)), self._code(self._f10(action))))
        return steps

    @staticmethod
    def _f10(action: str) -> Outcome:
        return Outcome("implicitDeny", "F10", PolicyKind.TRUST.value, action)

    def _trust_grants(self, m: Statements, action: str, reached: z3.BoolRef) -> z3.BoolRef:
        """F10: some trust Allow covers the action, names the provider and its conditions hold;
        across accounts a Cognito token counts only statements testing both ``…:aud`` and ``…:amr``
        (``cognito_cross_account_requires_aud_amr``; every matching statement is still evaluated).
        For the primary action, each statement's own term is recorded in :attr:`Encoding.grants`
        under ``(index, "Federated")`` (which statement a query's witness comes from)."""
        hits = self._matching(m, PolicyKind.TRUST, (self.w.trust,), "Allow", action, reached)
        t = self.env.token
        cross = _and([t.kind == COGNITO, t.pool_account != self.env.role.account])
        if not self.sem.cognito_cross_account_requires_aud_amr or z3.is_false(z3.simplify(cross)):
            counted = [(si, h) for si, _, h in hits]
        else:
            counted = [(si, h if tests_aud_and_amr(st) else z3.And(z3.Not(cross), h)) for si, st, h in hits]
        if action == self.w.action:
            for si, h in counted:
                self.grants[(si, "Federated")] = h
        return _or([h for _, h in counted])

    # ------------------------------------------------------------------ statements

    def _matching(
        self,
        m: Statements,
        kind: PolicyKind,
        policies: Sequence[Policy],
        effect: str,
        action: str,
        reached: z3.BoolRef,
    ) -> list[tuple[int, Statement, z3.BoolRef]]:
        """``_matching``: every statement with this Effect covering the action, each evaluated:
        Principal (trust policies and RCPs) first, then Resource and Condition (:class:`Statements`);
        (its index in its policy, the statement, "it applies")."""
        out = []
        for policy in policies:
            for si, st in policy.statements_for(effect, action.lower()):
                matched = self._principal(st, kind) if kind in (PolicyKind.TRUST, PolicyKind.RCP) else _TRUE
                if z3.is_false(matched):
                    continue
                applies = m.holds(st, _and([reached, matched]))
                out.append((si, st, _and([matched, applies])))
        return out

    def _principal(self, st: Statement, kind: PolicyKind) -> z3.BoolRef:
        """F10's principal table (``_principal_matches``): ``Federated`` entries name the provider
        ARN the call resolved to in the role's account, the built-in host, or the SAML provider
        ARN; ``"*"`` only under ``wildcard_matches_federated``, but always for an RCP and for a
        Deny; the bare host of an IAM OIDC provider only under ``bare_host_matches_oidc_provider``
        or for a Deny; ``AWS`` and ``Service`` entries never. A Principal-less statement matches in
        an RCP only."""
        p, sem = st.principal, self.sem
        if p is None:
            return _TRUE if kind is PolicyKind.RCP else _FALSE
        deny = st.effect == "Deny"  # the contested readings widen a Deny, never narrow it
        if "*" in p.aws and (kind is PolicyKind.RCP or deny or sem.wildcard_matches_federated):
            return _TRUE
        t = self.env.token
        bare = deny or sem.bare_host_matches_oidc_provider
        terms: list[z3.BoolRef] = []
        for entry in p.federated:
            e = z3.StringVal(entry)
            by_arn = _and([t.has_provider_arn, t.provider_arn == e])
            by_host = _and([t.has_host, t.host == e])
            oidc_host = _and([by_host, t.host != z3.StringVal("")]) if bare else _FALSE
            terms += [
                _and([t.kind == SAML_PROVIDER, by_arn]),
                _and([t.kind == OIDC, _or([by_arn, oidc_host])]),
                _and([t.kind != SAML_PROVIDER, t.kind != OIDC, by_host]),
            ]
        return z3.simplify(_or(terms)) if terms else _FALSE
