"""Named queries over every caller and request, answered with a proof or a replayable counterexample.

Each query returns :class:`Proved`, :class:`Counterexample` (a scenario in the
scenario format that ``rolecall decide`` replays, and which this module has
already replayed through the model: a counterexample that does not replay is
never reported, the answer is then :class:`Unknown`) or :class:`Unknown` (a
timeout, or a construct the encoding cannot state exactly; never a pass).

The names follow IAM Access Analyzer's policy checks so that results compare
one to one (docs/architecture.md): ``check_no_new_access``, ``check_access_not_granted``,
``check_no_public_access``; plus ``external_id_required`` and ``who_can_assume``
(findings: which principals, accounts and services can assume the role, and
under which conditions, each with a witness).

A trust policy is asked about in the **trust frame**: the role is fixed
(``role_arn``), the caller is any IAM user, role session or service of any
account, with any request, and its own side (identity policy, boundary, session
policy) allowing or not, freely: so a query sees everything the trust policy
lets through, and what it needs from the caller. An identity policy is asked
about in the **identity frame**: the caller is fixed (``caller_arn``) and the
role is any role of its partition whose trust policy delegates to the caller's
account. See ``_universe.py`` for the universe's stated limits.

No false all-clear: every query looks at every statement of the policies it is
given. A proof whose claim depends on a statement the encoding does not state
(a federated door, ``sts:SetContext``: ``scope.py``) is answered ``Unknown``
naming the statement; a counterexample found through ``sts:AssumeRole`` stands.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from ..arn import entity_key, is_account_id, parse_caller_arn, parse_role_arn
from ..errors import InputError, RolecallError
from ..match import glob_parts, glob_units, string_glob_matches
from ..policy import Policy, PolicyKind, parse_policy, remembering_parses
from ..scenario import Semantics, load_scenario, quotas_admitting
from ._lazy import LazyStrings, stop_if_interrupted
from ._re import units_regex
from ._universe import Assignment, Frame, PooledModel, Universe, entry_fields
from .decode import decode
from .encode import ACTIONS, SERVICE, Encoding, Unsupported, World, encode, entry_classes
from .federated_frame import (
    ATTACKER,
    ATTACKER_ACCOUNT,
    FederatedTokens,
    Grant,
    Issuer,
    custom_subject,
    dead_entries,
    grants,
    is_federated_name,
    mentions,
    names_issuer,
    subject,
    tenant_probe,
    token_subject,
)
from .scope import (
    UNSTATED_DOORS,
    Gap,
    admitting,
    comparison_gap,
    federated_comparison_gaps,
    federated_part,
    unstated_token_keys,
)

__all__ = [
    "Answer",
    "Counterexample",
    "Finding",
    "Proved",
    "Unknown",
    "WhoCanAssume",
    "check_access_not_granted",
    "check_equivalent",
    "check_no_new_access",
    "check_federated_subjects",
    "check_no_public_access",
    "external_id_required",
    "who_can_assume",
]

#: A query's budget, every check included (the issue's ceiling: no query over 10 s).
DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_ROLE = "arn:aws:iam::111122223333:role/rolecall-role"
DEFAULT_CALLER = "arn:aws:iam::111122223333:user/rolecall-caller"
_REPLAY_ATTEMPTS = 3
STAGES: tuple[str, ...] = ("pool", "quick", "lazy", "restarts")
"""The stages of every check (``_Query.solve``), in order, each answering one kind of question fast:

* ``pool``: the pool universe (``Universe.pooled``), every string one of the policies' own
  values: most models, in milliseconds (its ``unsat`` proves nothing, the next stage goes on);
* ``quick``: Z3 on the whole formula, briefly: most easy refutations;
* ``lazy``: the lazy abstraction of the string tests (``_lazy.py``): refutations that rest on
  a few string tests among many (large policies);
* ``restarts``: Z3 on the whole formula until the deadline. Its string search has a heavy tail
  (the same question can take 20 ms or 5 s depending on its random choices), so each run has a
  short budget and the next another seed and twice the budget.

Every stage is exact where it answers: a model is a model of the universe, ``unsat`` holds of
the whole universe. Tests run the queries with each stage alone too."""
FEDERATED_STAGES: tuple[str, ...] = ("pool", "restarts")
"""The stages of a check over the federated frame: its formulas are one token's claims against a
few statements, which a fresh Z3 solver decides in milliseconds where the incremental ``quick``
stage runs out its budget on the subject's regular expressions (measured: 1 ms against 100 ms and
more per check, on GitHub subjects pinned by ``StringEquals``)."""

#: Budgets of ``_Query.solve``'s stages: the brief first run of Z3 on the whole formula, and the
#: first of the restarts after the lazy abstraction (each restart doubles it).
_QUICK_BUDGET_MS = 100
_FIRST_BUDGET_MS = 250
#: The pool universe's budget per check (see ``_Query._solve_pooled``).
_POOL_BUDGET_MS = 2_000
#: The lazy abstraction's budget per check (see ``_Query._solve_lazy``).
_LAZY_BUDGET_MS = 4_000


@dataclass(frozen=True)
class Proved:
    """No request in the universe violates the property."""

    query: str
    statement: str

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "result": "proved", "statement": self.statement}


@dataclass(frozen=True)
class Counterexample:
    """A scenario that violates the property; ``expect`` holds the model's decision on it."""

    query: str
    statement: str
    scenario: dict[str, Any]
    decision: str
    compare: dict[str, Any] | None = None
    """For comparisons: the same request against the other policy, and its decision."""

    def to_json(self) -> dict[str, Any]:
        out = {"query": self.query, "result": "counterexample", "statement": self.statement, "scenario": self.scenario}
        if self.compare is not None:
            out["compare"] = self.compare
        return out


@dataclass(frozen=True)
class Unknown:
    """The solver could not decide (timeout, unsupported construct): never a pass."""

    query: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "result": "unknown", "reason": self.reason}


Answer = Proved | Counterexample | Unknown


@dataclass(frozen=True)
class Finding:
    """Who can assume the role through one principal entry of one trust statement."""

    statement: int
    sid: str | None
    principal: str
    principal_class: str
    accounts: tuple[str, ...] | str
    """The accounts that can use this grant, or ``"any"``."""
    cross_account: bool
    same_account: bool
    external_id_required: bool
    conditions: dict[str, Any] | None
    witness: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "statement": self.statement,
            "principal": self.principal,
            "class": self.principal_class,
            "accounts": list(self.accounts) if isinstance(self.accounts, tuple) else self.accounts,
            "cross_account": self.cross_account,
            "same_account": self.same_account,
            "external_id_required": self.external_id_required,
        }
        if self.sid is not None:
            out["sid"] = self.sid
        if self.conditions:
            out["conditions"] = self.conditions
        out["witness"] = self.witness
        return out


@dataclass(frozen=True)
class FederatedFinding:
    """Who can assume the role through one ``Federated`` entry of one trust statement: the tokens it
    admits, in the issuer's own terms (docs/federation.md §6), with a witness the model allows."""

    statement: int
    sid: str | None
    principal: str
    issuer: str
    api: str
    issuer_class: int
    """1 public CI/SaaS, 2 consumer identity, 3 Cognito, 4 per-tenant OIDC, 5 SAML (§6.2)."""
    public: bool | None
    """Some token anyone on the internet can obtain is admitted; ``None``: rolecall cannot tell."""
    admits: str
    """The admitted set, for a person: "any GitHub Actions repository", "any repository of owner acme"…"""
    notes: tuple[str, ...]
    conditions: dict[str, Any] | None
    witness: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "statement": self.statement,
            "principal": self.principal,
            "class": "federated",
            "issuer": self.issuer,
            "api": self.api,
            "issuer_class": self.issuer_class,
            "public": self.public,
            "admits": self.admits,
        }
        if self.sid is not None:
            out["sid"] = self.sid
        if self.notes:
            out["notes"] = list(self.notes)
        if self.conditions:
            out["conditions"] = self.conditions
        out["witness"] = self.witness
        return out


# =========================================================================== plumbing


def _model_decide() -> Callable[[Any], Any]:
    return importlib.import_module("rolecall.model.decide").decide  # type: ignore[no-any-return]


def _replay(doc: dict[str, Any]) -> str:
    """The model's decision on a decoded scenario (``"invalid: …"`` if it does not load or decide)."""
    try:
        return str(_model_decide()(load_scenario(doc)).decision)
    except RolecallError as exc:
        return f"invalid: {exc}"


def _loaded(doc: dict[str, Any]) -> Any:
    try:
        return load_scenario(doc)
    except RolecallError:
        return None


def _caller_account(doc: dict[str, Any]) -> str | None:
    arn = doc["caller"].get("arn")
    return str(arn).split(":")[4] if arn else None


def _selected(
    doc: dict[str, Any],
    principals: Sequence[str],
    accounts: Sequence[str],
    roles: Sequence[str],
    actions: Sequence[str],
    mode: str,
) -> bool:
    """Whether a scenario's caller (trust) or role (identity) and its required actions are among those
    a query named: the claim of check-access-not-granted, checked on the model's own reading."""
    from ..decide import required_actions
    from ..match import principal_keys

    s = _loaded(doc)
    if s is None:
        return False
    needed = set(required_actions(s))
    if actions and not needed & set(actions):
        return False
    p = s.caller.principal
    hits: list[bool] = []
    if mode == "trust":
        keys = {} if getattr(p, "account", None) is None else principal_keys(p)
        for entry in principals:
            if is_account_id(entry):
                entry = f"arn:{s.role.arn.partition}:iam::{entry}:root"
            hits.append(entry in keys or (entry == getattr(p, "name", None) and p.account is None))
        hits += [getattr(p, "account", None) == a for a in accounts]
    else:
        hits += [s.role.arn.account == a for a in accounts]
        hits += [s.role.arn.arn == r for r in roles]
    return not (principals or accounts or roles) or any(hits)


def _witnesses(doc: dict[str, Any], statement: int) -> bool:
    """The model allows the scenario and names this trust statement among those that granted
    (a witness shows its finding)."""
    from ..decide import granting_reasons

    s = _loaded(doc)
    try:
        allowed = s is not None and str(_model_decide()(s).decision) == "allowed"
    except RolecallError:
        return False
    return allowed and any(r.policy == PolicyKind.TRUST.value and r.statement == statement for r in granting_reasons(s))


def _synthetic_trust(caller_arn: str) -> Policy:
    """The identity frame's trust policy: the caller's account, for every action AssumeRole needs."""
    p = parse_caller_arn(caller_arn)
    return parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{p.partition}:iam::{p.account}:root"},
                    "Action": list(ACTIONS),
                }
            ],
        },
        PolicyKind.TRUST,
    )


def _rewrite(term: z3.BoolRef, pooled: list[tuple[z3.SeqRef, z3.SeqRef]]) -> z3.BoolRef:
    """``term`` in the pool universe: each string variable replaced by its pooled term, then
    simplified (Z3's rewriter evaluates every string test on every value)."""
    return z3.simplify(z3.substitute(term, *pooled))


class _Incremental:
    """One solver for all the checks of a query: the constraints asserted once, and each goal
    term once, behind an indicator that a check passes as an assumption (a query asks many
    goals over the same large terms, such as ``allowed``)."""

    def __init__(
        self, name: str, constraints: Sequence[z3.BoolRef], rewrite: Callable[[z3.BoolRef], z3.BoolRef] = lambda t: t
    ) -> None:
        self.name, self.rewrite = name, rewrite
        self.solver = z3.Solver()
        self.solver.set(random_seed=0)
        self.solver.add(*[rewrite(c) for c in constraints])
        self.indicators: dict[int, tuple[z3.BoolRef, z3.BoolRef]] = {}

    def check(self, goal: Sequence[z3.BoolRef], budget_ms: int) -> tuple[str, z3.ModelRef | str]:
        """sat (a model), unsat, unknown (a reason) or timeout."""
        if budget_ms <= 0:
            return "timeout", "timeout"
        assumptions = []
        for g in goal:
            key = g.get_id()
            if key not in self.indicators:
                indicator = z3.Bool(f"{self.name}!goal{len(self.indicators)}")
                self.solver.add(z3.Implies(indicator, self.rewrite(g)))
                self.indicators[key] = (g, indicator)  # the term is kept, so its id stays its own
            assumptions.append(self.indicators[key][1])
        self.solver.set(timeout=budget_ms)
        return _outcome(self.solver, self.solver.check(*assumptions))


def _refuse_resolved_spellings(policies: Sequence[Policy]) -> None:
    """The queries range over callers of every name and path and compare a principal entry with them
    exactly: what IAM does under ``principal_other_spelling = "refused"`` (docs/semantics.md §5.10; a
    witness whose world IAM would refuse does not replay through the model and is never reported). Under
    ``"resolves"`` an entry would also name every caller of its name in another case or path, which the
    encoding does not state: a proof could be false, so the query refuses the option."""
    for i, policy in enumerate(policies):
        for j, st in enumerate(policy.statements):
            entry = next((e for e in (st.principal.aws if st.principal else ()) if entity_key(e) is not None), None)
            if entry is not None:
                raise InputError(
                    f'semantics.principal_other_spelling "resolves" is not stated by the queries: trust policy {i} '
                    f"names {entry} (statement {j}), and the queries compare such names exactly, as under "
                    '"refused"; decide concrete scenarios instead (rolecall decide --engine solver)',
                    "--semantics",
                )


def _outcome(solver: z3.Solver, verdict: z3.CheckSatResult) -> tuple[str, z3.ModelRef | str]:
    """A check's answer in the stages' words: sat (a model), unsat, unknown (a reason) or timeout."""
    if verdict == z3.sat:
        return "sat", solver.model()
    if verdict == z3.unsat:
        return "unsat", ""
    stop_if_interrupted(solver)
    reason = solver.reason_unknown()
    return ("timeout", "timeout") if "timeout" in reason or "canceled" in reason else ("unknown", reason)


class _Query:
    """One query: a universe shared by one or two worlds, and a solver over it."""

    def __init__(
        self,
        name: str,
        policies: Sequence[Policy],
        *,
        role_arn: str,
        caller_arn: str,
        semantics: Semantics | None,
        timeout_ms: int,
        identity: Policy | None = None,
        observe: Sequence[str] = (),
        federated: bool = False,
    ) -> None:
        kinds = {p.kind for p in policies}
        if len(kinds) != 1 or next(iter(kinds)) not in (PolicyKind.TRUST, PolicyKind.IDENTITY):
            raise InputError("the policies of a query are all trust policies or all identity policies", "$")
        # the replays decide scenarios of these policies, taken as stored: their quotas admit them
        self.name, self.timeout_ms = name, timeout_ms
        self.semantics = quotas_admitting(semantics or Semantics(), policies)
        self.deadline = time.monotonic() + timeout_ms / 1000  # the whole query's budget, every check included
        self.mode = "trust" if PolicyKind.TRUST in kinds else "identity"
        if self.mode == "trust" and self.semantics.principal_other_spelling != "refused":
            _refuse_resolved_spellings(policies)
        parse_role_arn(role_arn, "--role-arn")
        self.caller_arn = caller_arn
        if self.mode == "identity":
            parse_caller_arn(caller_arn, "--caller-arn")
        everything = (*policies, *((identity,) if identity is not None else ()))
        self.identity = identity
        self.universe = Universe(
            Frame(
                self.mode, tuple(everything), role_arn, caller_arn, free_side=identity is None, observe=tuple(observe)
            )
        )
        self.worlds = [self._world(p) for p in policies]
        self.tokens: FederatedTokens | None = None
        """The federated frame (``federated_frame.py``): every token the trust policy's issuers could sign.
        A federated query asks about tokens only, so it encodes no AssumeRole request."""
        if federated and self.mode == "trust":
            self.encodings: list[Encoding] = []
            self.tokens = FederatedTokens(
                self.universe, policies[0], parse_role_arn(role_arn, "--role-arn"), self.semantics, tuple(policies[1:])
            ).build()
        else:
            self.encodings = [encode(w, self.universe.env) for w in self.worlds]
        self.universe.finish()
        self._pool: _Incremental | None = None
        self._pool_terms: list[tuple[z3.SeqRef, z3.SeqRef]] = []
        self._quick: _Incremental | None = None
        self._lazy: LazyStrings | None = None

    def _world(self, policy: Policy) -> World:
        if self.mode == "trust":
            return World(trust=policy, identity=(self.identity,) if self.identity else (), semantics=self.semantics)
        return World(trust=_synthetic_trust(self.caller_arn), identity=(policy,), semantics=self.semantics)

    def doc(self, m: Assignment, index: int = 0) -> dict[str, Any]:
        w = self.worlds[index]
        return decode(self.universe, m, trust=w.trust, identity=w.identity, semantics=self.semantics)

    def _solve_pooled(self, goal: Sequence[z3.BoolRef]) -> PooledModel | None:
        """A model from the pool universe (``Universe.pooled``), or ``None``. The pool's formulas
        hold no strings, so one incremental solver serves the query's every check."""
        if self._pool is None:
            pooled = self.universe.pooled()
            self._pool = _Incremental(
                "pool", [z3.And(*self.universe.constraints)], lambda t: _rewrite(t, pooled) if pooled else t
            )
            self._pool_terms = pooled
        _, m = self._pool.check(goal, min(_POOL_BUDGET_MS, self._left_ms()))
        return PooledModel(m, self._pool_terms) if isinstance(m, z3.ModelRef) else None

    def _solve_lazy(self, goal: Sequence[z3.BoolRef]) -> tuple[str, Assignment | str]:
        """The lazy abstraction's answer (``_lazy.py``): ``unsat`` is a proof; ``sat`` comes with
        the strings of a model, completed here by Z3 with those strings fixed."""
        deadline = min(self.deadline, time.monotonic() + _LAZY_BUDGET_MS / 1000)
        if self._lazy is None:
            self._lazy = LazyStrings(self.universe.constraints)
        verdict, values = self._lazy.check(goal, deadline)
        if verdict != "sat":
            return verdict, ""
        assert values is not None
        solver = z3.Solver()
        solver.set(timeout=max(1, self._left_ms()), random_seed=0)
        solver.add(*self.universe.constraints, *goal, *[self._lazy.string(i) == v for i, v in values.items()])
        if solver.check() == z3.sat:
            return "sat", solver.model()
        stop_if_interrupted(solver)
        return "unknown", ""

    def solve(self, *goal: z3.BoolRef) -> tuple[str, Assignment | str]:
        """``("sat", model)``, ``("unsat", "")`` or ``("unknown", reason)``, in stages that each
        answer a kind of question fast, all under the query's one deadline (:data:`STAGES`)."""
        stop_if_interrupted()  # Ctrl-C: between stages too, where no check of Z3 would say so
        for stage in FEDERATED_STAGES if self.tokens is not None else STAGES:
            if stage == "pool":
                pooled = self._solve_pooled(goal)
                if pooled is not None:
                    return "sat", pooled
            elif stage == "lazy":
                verdict, found = self._solve_lazy(goal)
                if verdict != "unknown":
                    return verdict, found
            elif stage == "quick":
                verdict, found = self._solve_quick(goal)
                if verdict in ("sat", "unsat"):  # else the next stages go on
                    return verdict, found
            else:
                budget, seed = _FIRST_BUDGET_MS, 1
                while self.deadline > time.monotonic():
                    verdict, found = self._solve_whole(goal, budget, seed)
                    if verdict != "timeout":
                        return verdict, found
                    budget, seed = budget * 2, seed + 1
        return "unknown", "timeout"

    def _solve_quick(self, goal: Sequence[z3.BoolRef]) -> tuple[str, Assignment | str]:
        """Z3 on the whole formula, briefly, in one incremental solver kept for the query."""
        if self._quick is None:
            self._quick = _Incremental("quick", self.universe.constraints)
        return self._quick.check(goal, min(_QUICK_BUDGET_MS, self._left_ms()))

    def _left_ms(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)

    def _solve_whole(self, goal: Sequence[z3.BoolRef], budget_ms: int, seed: int) -> tuple[str, Assignment | str]:
        """Z3 on the universe and the goal: sat, unsat, unknown (a reason) or timeout."""
        left = self._left_ms()
        if left <= 0:
            return "timeout", "timeout"
        solver = z3.Solver()
        solver.set(timeout=min(budget_ms, left), random_seed=seed)
        solver.add(*self.universe.constraints, *goal)
        return _outcome(solver, solver.check())

    def find_token(
        self, issuer: Issuer, goal: Sequence[z3.BoolRef], check: Callable[[dict[str, Any]], bool]
    ) -> tuple[str, dict[str, Any] | str]:
        """:meth:`find` for a token of the federated frame: the scenario is the token's, and a token the
        model would refuse to decide is never one."""
        assert self.tokens is not None
        tokens = self.tokens
        return self._replayed(
            [*goal, z3.Not(tokens.errors[issuer.entry])],
            lambda m: tokens.witness(issuer, m),
            check,
            lambda m: _exclude(tokens.terms(issuer), m),
            "token",
        )

    def undecided_token(self, issuer: Issuer, goal: Sequence[z3.BoolRef]) -> str | None:
        """Why no answer over ``goal``'s tokens of ``issuer`` is sound when :meth:`find_token` found none:
        some of them are tokens the model cannot decide (``UndecidableError``: a condition it cannot
        evaluate), which are neither admitted nor refused; ``None`` when there are none."""
        assert self.tokens is not None
        err = self.tokens.errors[issuer.entry]
        if z3.is_false(err) or z3.is_false(z3.simplify(err)):  # no condition the model could fail on
            return None
        verdict, _ = self.solve(*goal, err)
        if verdict == "unsat":
            return None
        if verdict == "sat":
            return f"{issuer.entry}: the model cannot decide some of its tokens (a condition it cannot evaluate)"
        return f"{issuer.entry}: timeout"

    def find(
        self, goal: Sequence[z3.BoolRef], check: Callable[[dict[str, Any]], bool]
    ) -> tuple[str, dict[str, Any] | str]:
        """Solve and decode, replaying through the model (:meth:`_replayed`); a confirmed counterexample
        gets readable names where the model still confirms it."""
        u = self.universe

        def finish(doc: dict[str, Any], m: Assignment) -> dict[str, Any]:
            # the pool's values are the policies' own or readable fresh ones already
            return doc if isinstance(m, PooledModel) else readable(doc, check)

        caller = [u.caller.kind, u.caller.account, u.caller.name, u.session_name]
        return self._replayed(goal, self.doc, check, lambda m: _exclude(caller, m), "decoded counterexample", finish)

    def _replayed(
        self,
        goal: Sequence[z3.BoolRef],
        decode: Callable[[Assignment], dict[str, Any]],
        check: Callable[[dict[str, Any]], bool],
        exclude: Callable[[Assignment], z3.BoolRef],
        what: str,
        finish: Callable[[dict[str, Any], Assignment], dict[str, Any]] = lambda doc, _: doc,
    ) -> tuple[str, dict[str, Any] | str]:
        """Solve and decode, replaying through the model. When the model does not confirm a
        decoding, the search goes on: first with the universe's strict constraints (exact, so an
        ``unsat`` is still a proof), then excluding the unconfirmed one (no longer exact: an
        ``unsat`` after that is ``unknown``, never a proof), and then gives up as unknown."""
        extra: list[z3.BoolRef] = []
        blocked = False
        for attempt in range(_REPLAY_ATTEMPTS):
            verdict, m = self.solve(*goal, *extra)
            if verdict == "unsat" and blocked:
                return "unknown", f"the {what}s found did not replay through the model"
            if isinstance(m, str):
                return verdict, m
            doc = decode(m)
            if check(doc):
                return "sat", finish(doc, m)
            if attempt == 0 and self.universe.strict:
                extra += self.universe.strict
            else:
                extra.append(exclude(m))
                blocked = True
        return "unknown", f"no {what} replayed through the model in {_REPLAY_ATTEMPTS} attempts"


def readable(doc: dict[str, Any], check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The counterexample with readable names wherever the model still confirms it.

    Z3 picks whatever strings satisfy the constraints (``user/+``, session ``++``). Each
    rewrite below is kept only if ``check`` (the query's own replay through the model) still
    holds, so readability never costs correctness; a rewrite costs a model decision, not a
    solver call.
    """
    for rewrite in _REWRITES:
        candidate = rewrite(doc)
        if candidate is not None and candidate != doc and check(candidate):
            doc = candidate
    return doc


def _arn_parts(doc: dict[str, Any]) -> tuple[str, str] | None:
    """(``arn:P:S::A``, resource) of a symbolic caller (the identity frame's caller is fixed)."""
    c = doc["caller"]
    if "arn" not in c or "unique_id" not in c:
        return None
    fields = str(c["arn"]).split(":", 5)
    return ":".join(fields[:5]), fields[5]


def _user_name(doc: dict[str, Any], path: str | None, name: str) -> dict[str, Any] | None:
    parts = _arn_parts(doc)
    if parts is None or not parts[1].startswith("user/"):
        return None
    old_path, _, _ = parts[1][4:].rpartition("/")
    arn = f"{parts[0]}:user{path if path is not None else old_path + '/'}{name}"
    return {**doc, "caller": {**doc["caller"], "arn": arn}}


def _session_name(doc: dict[str, Any], role: str | None, session: str | None) -> dict[str, Any] | None:
    parts = _arn_parts(doc)
    if parts is None or not parts[1].startswith("assumed-role/"):
        return None
    _, old_role, old_session = parts[1].split("/", 2)
    arn = f"{parts[0]}:assumed-role/{role or old_role}/{session or old_session}"
    return {**doc, "caller": {**doc["caller"], "arn": arn}}


def _set(doc: dict[str, Any], part: str, key: str, value: str) -> dict[str, Any] | None:
    if key not in doc[part]:
        return None
    return {**doc, part: {**doc[part], key: value}}


def _unique_id(doc: dict[str, Any]) -> dict[str, Any] | None:
    parts = _arn_parts(doc)
    if parts is None:
        return None
    uid = "AIDAEXAMPLEUSER001" if parts[1].startswith("user/") else "AROAEXAMPLEROLE001"
    return {**doc, "caller": {**doc["caller"], "unique_id": uid}}


def _single_context(doc: dict[str, Any]) -> dict[str, Any] | None:
    context = doc.get("context")
    if not context or not any(isinstance(v, list) for v in context.values()):
        return None
    return {**doc, "context": {k: (v[0] if isinstance(v, list) and v else v) for k, v in context.items()}}


def _role_name(doc: dict[str, Any]) -> dict[str, Any] | None:
    if _arn_parts(doc) is not None or "service" in doc["caller"]:
        return None  # the trust frame's role is the one asked about
    head, _, _ = str(doc["role"]["arn"]).partition(":role/")
    return {**doc, "role": {**doc["role"], "arn": f"{head}:role/target-role"}}


def _account(doc: dict[str, Any], account: str) -> dict[str, Any] | None:
    parts = _arn_parts(doc)
    if parts is None:
        return None
    head, resource = parts
    fields = head.split(":")
    fields[4] = account
    return {**doc, "caller": {**doc["caller"], "arn": ":".join(fields) + ":" + resource}}


def _no_mfa(doc: dict[str, Any]) -> dict[str, Any] | None:
    if not doc["caller"].get("mfa"):
        return None
    return {**doc, "caller": {k: v for k, v in doc["caller"].items() if k != "mfa"}}


_REWRITES: tuple[Callable[[dict[str, Any]], dict[str, Any] | None], ...] = (
    lambda d: _account(d, "444455556666"),
    lambda d: _account(d, "777788889999"),
    _no_mfa,
    lambda d: _user_name(d, "/", "alice"),
    lambda d: _user_name(d, None, "alice"),
    lambda d: _session_name(d, "app-role", None),
    lambda d: _session_name(d, None, "app-session"),
    lambda d: _set(d, "caller", "role_path", "/"),
    _unique_id,
    lambda d: _set(d, "caller", "service", "ec2.amazonaws.com"),
    lambda d: _set(d, "request", "role_session_name", "rolecall-session"),
    lambda d: _set(d, "request", "external_id", "example-external-id"),
    lambda d: _set(d, "request", "source_identity", "rolecall-source"),
    _single_context,
    _role_name,
)


def _exclude(terms: Sequence[z3.ExprRef], m: Assignment) -> z3.BoolRef:
    """Exclude one model's values of ``terms`` (so the next try differs)."""
    return z3.Not(z3.And(*[t == m.eval(t, model_completion=True) for t in terms])) if terms else z3.BoolVal(False)


def _answer(query: str, build: Callable[[], Answer]) -> Answer:
    try:
        with remembering_parses():  # the replays parse the same policies again and again
            return build()
    except Unsupported as exc:
        return Unknown(query, f"unsupported: {exc}")
    except z3.Z3Exception as exc:  # pragma: no cover - resource exhaustion inside Z3
        return Unknown(query, f"solver error: {exc}")


def _unless_unstated(answer: Answer, gaps: Sequence[Gap]) -> Answer:
    """A proof is no proof when its claim depends on statements the encoding does not state
    (``scope.py``): the answer is then :class:`Unknown`, naming them. A counterexample stands
    (it was found in the stated door and replayed through the model), and so does an unknown, whose
    reason names those statements first: they make it unknown whatever the stated door's search found."""
    if isinstance(answer, Proved) and gaps:
        return Unknown(answer.query, _unstated_reason(gaps))
    if isinstance(answer, Unknown) and gaps:
        return Unknown(answer.query, f"{_unstated_reason(gaps)}; and in the stated door: {answer.reason}")
    return answer


def _unstated_reason(gaps: Sequence[Gap]) -> str:
    return "not stated by the encoding: " + "; ".join(g.describe() for g in gaps)


def _with_policy(doc: dict[str, Any], mode: str, policy: Policy) -> dict[str, Any]:
    """The same scenario with the compared policy swapped in."""
    other = {**doc, "role": dict(doc["role"])}
    if "caller" in doc:  # a federated scenario has a token instead (mode "trust")
        other["caller"] = dict(doc["caller"])
    if mode == "trust":
        other["role"]["trust_policy"] = policy.to_json()
    else:
        other["caller"]["identity_policies"] = [policy.to_json()]
    return other


def _allowed_in(u: Universe, actions: Iterable[str]) -> z3.BoolRef:
    """The ``sts:AssumeRole`` request needs one of these actions (sts:AssumeRole: every request; a
    federated door: none)."""
    need = {ACTIONS[0]: z3.BoolVal(True), ACTIONS[1]: u.need_tag, ACTIONS[2]: u.need_source}
    chosen = list(actions)
    return z3.Or(*[need.get(a, z3.BoolVal(False)) for a in chosen]) if chosen else z3.BoolVal(True)


def _known_actions(actions: Iterable[str]) -> tuple[str, ...]:
    """The actions a role assumption can require, as AWS spells them (action names are case-insensitive:
    the IAM User Guide, "IAM JSON policy elements: Action")."""
    known = {a.lower(): a for a in (*ACTIONS, *UNSTATED_DOORS)}
    out = []
    for a in actions:
        if a.lower() not in known:
            raise InputError(
                f"an action a role assumption can require: {', '.join(known.values())} (not {a!r})", "--action"
            )
        out.append(known[a.lower()])
    return tuple(out)


# =========================================================================== the queries


def check_no_new_access(
    old: Policy,
    new: Policy,
    *,
    role_arn: str = DEFAULT_ROLE,
    caller_arn: str = DEFAULT_CALLER,
    semantics: Semantics | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Answer:
    """Everything ``new`` allows, ``old`` allowed: no request is allowed under the new policy
    and not under the old one. Both are trust policies or both identity policies."""
    name = "check-no-new-access"

    def build() -> Answer:
        q = _Query(
            name, (new, old), role_arn=role_arn, caller_arn=caller_arn, semantics=semantics, timeout_ms=timeout_ms
        )
        enc_new, enc_old = q.encodings

        def check(doc: dict[str, Any]) -> bool:
            return _replay(doc) == "allowed" and _replay(_with_policy(doc, q.mode, old)) != "allowed"

        verdict, found = q.find([enc_new.allowed, z3.Not(enc_old.allowed)], check)
        statement = f"every request the new {q.mode} policy allows, the old one allows"
        if verdict == "unsat" and federated and not any(unstated_token_keys(g.statement) for g in gaps):
            verdict, found = _new_token(name, old, new, role_arn, semantics, q.deadline)
        if verdict == "unsat":
            return Proved(name, statement + (" (at all three doors)" if federated else ""))
        if verdict == "unknown":
            return Unknown(name, str(found))
        assert isinstance(found, dict)
        old_doc = _with_policy(found, q.mode, old)
        compared = {"scenario": old_doc, "decision": _replay(old_doc)}
        return Counterexample(name, statement, found, "allowed", compare=compared)

    # The federated doors need comparing only when the policies' federated parts differ (scope.py); a
    # statement the frame refuses (it reads a tag key) leaves the proof unknown without asking it.
    federated = comparison_gap(old, new) is not None
    gaps = federated_comparison_gaps(old, new) if federated else []
    return _unless_unstated(_answer(name, build), gaps)


def _new_token(
    name: str, old: Policy, new: Policy, role_arn: str, semantics: Semantics | None, deadline: float
) -> tuple[str, dict[str, Any] | str]:
    """A token or assertion the ``new`` trust policy allows and ``old`` refuses (the federated doors of
    :func:`check_no_new_access`): both decided on the same tokens of the federated frame, per issuer
    of ``new`` (a token of another issuer, ``new`` refuses). ``("unsat", "")`` when there is none."""
    left_ms = max(1, int((deadline - time.monotonic()) * 1000))
    q = _federated_query(name, new, role_arn, semantics, left_ms, others=(old,))
    tokens = q.tokens
    assert tokens is not None

    def check(doc: dict[str, Any]) -> bool:
        # "the old policy does not allow it": a refusal, or a token the model cannot decide under it
        # (as at the AssumeRole door; leaving those out would prove a claim about them)
        return _replay(doc) == "allowed" and _replay(_with_policy(doc, "trust", old)) != "allowed"

    for entry, issuer in tokens.issuers.items():
        goal = [tokens.allowed[entry], z3.Not(tokens.allowed_by[1][entry])]
        verdict, found = q.find_token(issuer, goal, check)
        if verdict != "unsat":
            return verdict, found if verdict == "sat" else f"{entry}: {found}"
        # a token the new policy cannot decide, that the old one does not allow: AWS may let it in
        why = q.undecided_token(issuer, [z3.Not(tokens.allowed_by[1][entry])])
        if why is not None:
            return "unknown", why
    return "unsat", ""


def check_equivalent(
    a: Policy,
    b: Policy,
    **options: Any,
) -> Answer:
    """``a`` and ``b`` allow exactly the same requests (no new access either way). A counterexample
    is a request one allows and the other does not; ``compare`` holds the other's decision."""
    name = "check-equivalent"
    unknown: Unknown | None = None
    for new, old, which in ((b, a, "B allows and A does not"), (a, b, "A allows and B does not")):
        answer = check_no_new_access(old, new, **options)
        if isinstance(answer, Counterexample):
            return dataclasses.replace(answer, query=name, statement=f"A and B allow the same requests ({which})")
        if isinstance(answer, Unknown) and unknown is None:  # the other way may still find a counterexample
            unknown = dataclasses.replace(answer, query=name)
    return unknown if unknown is not None else Proved(name, "A and B allow exactly the same requests")


def _principal_terms(u: Universe, principals: Iterable[str]) -> list[z3.BoolRef]:
    """The caller is one of these: user, role (any session of it), session or account ARNs,
    unique ids, account ids, or service principal names."""
    out: list[z3.BoolRef] = []
    c = u.caller
    for p in principals:
        if is_account_id(p):
            p = f"arn:{u.partition}:iam::{p}:root"
        if p.endswith(".amazonaws.com") or p.endswith(".amazonaws.com.cn"):
            out.append(z3.And(c.kind == SERVICE, c.service == z3.StringVal(p)))
            continue
        try:
            terms = entry_classes(c, p)
        except Unsupported:
            raise InputError(
                f"not a principal ARN, account id, unique id or service name: {p!r}", "--principal"
            ) from None
        out += [t for _, t in terms]
    return out


def check_access_not_granted(
    policy: Policy,
    *,
    principals: Sequence[str] = (),
    accounts: Sequence[str] = (),
    roles: Sequence[str] = (),
    actions: Sequence[str] = (),
    role_arn: str = DEFAULT_ROLE,
    caller_arn: str = DEFAULT_CALLER,
    semantics: Semantics | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Answer:
    """The policy grants none of the named access. For a trust policy: none of ``principals``
    (or no principal of ``accounts``) can assume the role. For an identity policy: the caller can
    assume none of ``roles`` (or no role of ``accounts``). ``actions`` narrows to requests that
    need one of them (sts:TagSession: requests with session tags). With no selector at all: the
    policy grants nothing."""
    name = "check-access-not-granted"
    for a in accounts:
        if not is_account_id(a):
            raise InputError(f"not a 12-digit account id: {a!r}", "--account")
    actions = _known_actions(actions)
    issuers = [p for p in principals if is_federated_name(p)]
    named = [p for p in principals if not is_federated_name(p)]
    if policy.kind is PolicyKind.IDENTITY and set(actions) & set(UNSTATED_DOORS):
        raise InputError(
            "the federated doors have no caller side: their caller is unsigned, so an identity policy takes no "
            "part in them (ask about the role's trust policy)",
            "--action",
        )
    # The federated doors are selected by naming no caller at all, or an issuer (a federated caller is
    # in no AWS account, so --account does not select it), and by an action of theirs (or none).
    federated = (
        policy.kind is PolicyKind.TRUST
        and (bool(issuers) or not (principals or accounts))
        and (not actions or bool(set(actions) & {*UNSTATED_DOORS, *ACTIONS[1:]}))
    )

    def build() -> Answer:
        observe = [f for p in named for f in entry_fields(p)]
        q = _Query(
            name,
            (policy,),
            role_arn=role_arn,
            caller_arn=caller_arn,
            semantics=semantics,
            timeout_ms=timeout_ms,
            observe=observe,
        )
        u, enc = q.universe, q.encodings[0]
        who: list[z3.BoolRef] = []
        if q.mode == "trust":
            if roles:
                raise InputError(
                    "--role selects roles for an identity policy; a trust policy's role is --role-arn", "--role"
                )
            who += _principal_terms(u, named)
            who += [z3.And(u.caller.kind != SERVICE, u.caller.account == z3.StringVal(a)) for a in accounts]
            if (principals or accounts) and not who:  # only issuers named: no AssumeRole caller is selected
                who.append(z3.BoolVal(False))
        else:
            if principals:
                raise InputError(
                    "--principal selects callers of a trust policy; an identity policy's caller is --caller-arn",
                    "--principal",
                )
            who += [u.role.account == z3.StringVal(a) for a in accounts]
            for arn in roles:
                r = parse_role_arn(arn, "--role")
                pathname = z3.Concat(u.role.path, u.role.name)  # one string in the universe (see _universe)
                who.append(
                    z3.And(
                        u.role.account == z3.StringVal(r.account),
                        pathname == z3.StringVal(r.path + r.name),
                        z3.BoolVal(r.partition == u.partition),
                    )
                )
        goal = [enc.allowed, _allowed_in(u, actions)]
        if who:
            goal.append(z3.Or(*who))
        verdict, found = q.find(
            goal,
            lambda doc: _replay(doc) == "allowed" and _selected(doc, named, accounts, roles, actions, q.mode),
        )
        statement = "the policy grants none of the named access"
        if verdict == "unsat" and federated:
            verdict, found = _granted_token(name, policy, issuers, actions, role_arn, semantics, q.deadline)
        if verdict == "unsat":
            return Proved(name, statement)
        if verdict == "unknown":
            return Unknown(name, str(found))
        assert isinstance(found, dict)
        return Counterexample(name, statement, found, "allowed")

    return _unless_unstated(_answer(name, build), _granted_gaps(policy, actions) if federated else [])


def _granted_token(
    name: str,
    trust: Policy,
    issuers: Sequence[str],
    actions: Sequence[str],
    role_arn: str,
    semantics: Semantics | None,
    deadline: float,
) -> tuple[str, dict[str, Any] | str]:
    """A token or assertion the trust policy allows (the federated doors of
    :func:`check_access_not_granted`), of one of the named ``issuers`` (all when none is named),
    through a door among ``actions`` (any when none is named). ``("unsat", "")`` when there is none."""
    q = _federated_query(name, trust, role_arn, semantics, max(1, int((deadline - time.monotonic()) * 1000)))
    tokens = q.tokens
    assert tokens is not None
    for entry, issuer in tokens.issuers.items():
        if issuers and not any(names_issuer(n, issuer) for n in issuers):
            continue
        if actions and issuer.api not in actions:
            continue  # its tokens with session tags or a source identity: _granted_gaps
        verdict, found = q.find_token(issuer, [tokens.allowed[entry]], _replay_allowed)
        if verdict != "unsat":
            return verdict, found if verdict == "sat" else f"{entry}: {found}"
        # a token the model cannot decide (UndecidableError) is neither granted nor refused: no proof over it
        why = q.undecided_token(issuer, [])
        if why is not None:
            return "unknown", why
    return "unsat", ""


def _granted_gaps(trust: Policy, actions: Sequence[str]) -> list[Gap]:
    """What :func:`check_access_not_granted` over the federated doors still depends on: ``"*"``
    statements (contested, ``scope.WILDCARD``), and when ``actions`` name ``sts:TagSession`` or
    ``sts:SetSourceIdentity``, the Allows that grant them to a federated caller (tokens that pass
    session tags or a source identity are not in the federated frame)."""
    gaps = _federated_gaps(trust)
    companions = tuple(a for a in actions if a in ACTIONS[1:])
    for i, st, acts in federated_part(trust):
        covered = tuple(a for a in acts if a in companions)
        if st.effect == "Allow" and covered:
            why = "tokens that pass session tags or a source identity are not stated by the federated frame"
            gaps.append(Gap(i, st, covered, why))
    return gaps


def _outside(u: Universe, trusted_accounts: Sequence[str], trusted_orgs: Sequence[str]) -> z3.BoolRef:
    c = u.caller
    inside = [c.account == z3.StringVal(a) for a in trusted_accounts]
    if trusted_orgs:
        org = u.key("aws:principalorgid")  # one value (a string, or a list of one: conditions read both alike)
        inside += [z3.And(org.count == 1, org.slots[0] == z3.StringVal(o)) for o in trusted_orgs]
    return z3.And(c.kind != SERVICE, z3.Not(z3.Or(*inside)) if inside else z3.BoolVal(True))


def check_no_public_access(
    trust: Policy,
    *,
    trusted_accounts: Sequence[str] | None = None,
    trusted_orgs: Sequence[str] = (),
    role_arn: str = DEFAULT_ROLE,
    semantics: Semantics | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Answer:
    """No IAM principal outside the trusted accounts (default: the role's own) and outside the
    trusted organizations (``aws:PrincipalOrgID``) can assume the role. Service principals act
    for the account and are not public; ``who_can_assume`` lists them."""
    name = "check-no-public-access"
    accounts = (
        list(trusted_accounts) if trusted_accounts is not None else [parse_role_arn(role_arn, "--role-arn").account]
    )
    for a in accounts:
        if not is_account_id(a):
            raise InputError(f"not a 12-digit account id: {a!r}", "--trusted-account")

    def build() -> Answer:
        q = _Query(
            name, (trust,), role_arn=role_arn, caller_arn=DEFAULT_CALLER, semantics=semantics, timeout_ms=timeout_ms
        )
        u = q.universe
        goal = [q.encodings[0].allowed, _outside(u, accounts, trusted_orgs)]

        def outside(doc: dict[str, Any]) -> bool:
            org = doc.get("context", {}).get("aws:principalorgid")
            if isinstance(org, list) and len(org) == 1:
                org = org[0]
            account = _caller_account(doc)
            return account is not None and account not in accounts and org not in trusted_orgs

        verdict, found = q.find(goal, lambda doc: _replay(doc) == "allowed" and outside(doc))
        statement = "no principal outside " + ", ".join([*accounts, *trusted_orgs]) + " can assume the role"
        if verdict == "unknown":
            return Unknown(name, str(found))
        if verdict == "sat":
            assert isinstance(found, dict)
            return Counterexample(name, statement, found, "allowed")
        federated = grants(trust, parse_role_arn(role_arn, "--role-arn"), semantics or Semantics())
        public = _public_token(trust, federated, role_arn, semantics, timeout_ms, accounts)
        if public is not None:
            if isinstance(public, Unknown):
                return public
            return Counterexample(
                name, f"{statement}, and no token anyone on the internet can obtain is admitted", public, "allowed"
            )
        if federated:
            statement += " (and no federated statement admits a token anyone on the internet can obtain)"
        return Proved(name, statement)

    return _unless_unstated(_answer(name, build), _federated_gaps(trust))


def _public_token(
    trust: Policy,
    federated: Sequence[Grant],
    role_arn: str,
    semantics: Semantics | None,
    timeout_ms: int,
    trusted: Sequence[str],
) -> dict[str, Any] | Unknown | None:
    """A token of a public issuer (docs/federation.md §6.2: classes 1-3) that some federated grant admits,
    with a tenant no policy names: its scenario, replayed through the model; ``None`` when there is none;
    :class:`Unknown` when a grant's issuer names its tenants where rolecall cannot see, or the search
    could not decide."""
    name = "check-no-public-access"
    found = [g for g in federated if g.issuer.public_class in (1, 2, 3)]
    if not found:
        return None
    if ATTACKER_ACCOUNT in trusted:
        return Unknown(name, f"the attacker's account of the federated frame, {ATTACKER_ACCOUNT}, is trusted")
    q = _federated_query(name, trust, role_arn, semantics, timeout_ms)
    tokens = q.tokens
    assert tokens is not None
    for g in found:
        probe = tenant_probe(g.issuer, tokens)
        if probe is None:
            admitted, _ = q.find_token(g.issuer, [tokens.granted_by[(g.index, g.issuer.entry)]], _replay_allowed)
            if admitted == "unsat" and q.undecided_token(g.issuer, []) is None:
                continue
            return Unknown(
                name,
                f"$.Statement[{g.index}] admits tokens of {g.issuer.name}, a public multi-tenant issuer, and rolecall "
                "does not know where its tokens name the tenant (docs/federation.md §6.2)",
            )
        granted = tokens.granted_by[(g.index, g.issuer.entry)]

        def find(extra: z3.BoolRef, issuer: Issuer = g.issuer, granted: z3.BoolRef = granted) -> dict[str, Any] | None:
            verdict, found = q.find_token(issuer, [granted, extra], _replay_allowed)
            if verdict == "unknown":
                raise _Undecided(f"{issuer.entry}: {found}")
            return found if isinstance(found, dict) else None

        try:
            public, odd = _other_tenant_token(g.issuer, tokens, probe, find)
        except _Undecided as exc:
            return Unknown(name, f"$.Statement[{g.index}], {exc}")
        if public is not None:
            return public
        why = q.undecided_token(g.issuer, [probe])  # an undecidable token of another tenant: not proved private
        if why is not None:
            return Unknown(name, f"$.Statement[{g.index}], {why}")
        if odd:
            return Unknown(
                name,
                f"$.Statement[{g.index}] admits {g.issuer.name} subjects outside the default format (a "
                "repository's subject template): any owner can give its repositories that template "
                "(docs/federation.md §6.2)",
            )
    return None


def _other_tenant_token(
    issuer: Issuer, tokens: FederatedTokens, probe: z3.BoolRef, find: Callable[[z3.BoolRef], dict[str, Any] | None]
) -> tuple[dict[str, Any] | None, bool]:
    """An admitted token of a tenant the policy does not name, in the issuer's default subject format
    (docs/federation.md §6.2), by ``find`` (a search for an admitted token meeting one more term), and
    whether the first search met only a subject outside that format (a repository's subject template:
    any owner can give its repositories one, so such a token tells nothing about tenants). One search
    for both first, since the common answer, "not public", is then one proof; a second, for the default
    format alone, only when the first met an odd subject."""
    custom = custom_subject(issuer, tokens)
    found = find(probe if custom is None else z3.Or(probe, custom))
    odd = found is not None and custom is not None and not _default_format(found, issuer)
    if odd:
        found = find(probe)
    return found, odd


def _default_format(doc: dict[str, Any], issuer: Issuer) -> bool:
    """Whether a witness's subject is in the issuer's default format (it begins with the tenant's prefix)."""
    return (token_subject(doc) or "").startswith(issuer.tenant_prefix)


def _replay_allowed(doc: dict[str, Any]) -> bool:
    return _replay(doc) == "allowed"


def check_federated_subjects(
    trust: Policy,
    allowed: Sequence[str],
    *,
    role_arn: str = DEFAULT_ROLE,
    semantics: Semantics | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Answer:
    """Every subject a token or assertion the trust policy admits through a federated door can carry
    matches one of the ``allowed`` patterns (IAM wildcards: ``*`` any run, ``?`` one character), for
    example only ``repo:my-org/*:ref:refs/heads/main``: else a counterexample token. The subject is
    the token's ``sub`` (the SAML NameID, Facebook's ``id``, Login with Amazon's ``user_id``); a token
    without one matches no pattern."""
    name = "check-federated-subjects"
    if not allowed:
        raise InputError("name at least one allowed subject pattern", "--allow")
    for pattern in allowed:
        if not pattern:
            raise InputError("an allowed subject pattern is not empty", "--allow")

    def build() -> Answer:
        role = parse_role_arn(role_arn, "--role-arn")
        sem = semantics or Semantics()
        statement = "every subject the trust policy admits through a federated door matches " + ", ".join(allowed)
        found = grants(trust, role, sem)
        if not found:
            return Proved(name, statement + " (no federated statement admits any token)")
        q = _federated_query(name, trust, role_arn, semantics, timeout_ms)
        tokens = q.tokens
        assert tokens is not None
        for entry, issuer in tokens.issuers.items():
            sub = subject(issuer, tokens)
            outside = z3.Or(
                sub.count == 0,
                z3.And(*[z3.Not(z3.InRe(sub.slots[0], _glob_regex(p))) for p in allowed]),
            )
            verdict, doc = q.find_token(
                issuer, [tokens.allowed[entry], outside], functools.partial(_outside_subjects, allowed=allowed)
            )
            if verdict == "unknown":
                return Unknown(name, f"{entry}: {doc}")
            if verdict == "sat":
                assert isinstance(doc, dict)
                return Counterexample(name, statement, doc, "allowed")
            why = q.undecided_token(issuer, [outside])  # another subject on a token the model cannot decide
            if why is not None:
                return Unknown(name, why)
        return Proved(name, statement)

    return _unless_unstated(_answer(name, build), _federated_gaps(trust))


def _glob_regex(pattern: str) -> z3.ReRef:
    """An IAM wildcard pattern as ``StringLike`` reads it (``*``, ``?``, case-sensitive): the model's units."""
    return units_regex(glob_units(glob_parts(pattern), arn=False))


def _outside_subjects(doc: dict[str, Any], allowed: Sequence[str]) -> bool:
    """The model allows the token, and its subject matches none of the patterns."""
    if _replay(doc) != "allowed":
        return False
    sub = token_subject(doc)
    return sub is None or not any(string_glob_matches(glob_parts(p), sub) for p in allowed)


def external_id_required(
    trust: Policy,
    external_ids: Sequence[str] | None = None,
    *,
    role_arn: str = DEFAULT_ROLE,
    semantics: Semantics | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Answer:
    """Every cross-account caller must present an ExternalId (one of ``external_ids`` if given)
    to assume the role: whatever the statements, ``IfExists``, ``StringLike "*"`` or ``Null``.

    The claim is about callers from AWS accounts, at the ``sts:AssumeRole`` door, the only one that
    takes an ExternalId (the STS API reference: ``ExternalId`` is a parameter of AssumeRole alone). A
    token or assertion at a federated door comes from no AWS account and carries none, so the claim
    does not depend on the federated statements; when some can admit a token, the answer's statement
    says so, and ``who_can_assume`` tells who."""
    name = "external-id-required"

    def build() -> Answer:
        q = _Query(
            name,
            (trust,),
            role_arn=role_arn,
            caller_arn=DEFAULT_CALLER,
            semantics=semantics,
            timeout_ms=timeout_ms,
            observe=("external_id",),
        )
        u = q.universe
        good = u.external_present
        if external_ids is not None:
            good = z3.And(
                good,
                z3.Or(*[u.external_id == z3.StringVal(e) for e in external_ids]) if external_ids else z3.BoolVal(False),
            )
        cross = z3.And(u.caller.kind != SERVICE, u.caller.account != u.role.account)
        role_account = parse_role_arn(role_arn).account

        def without(doc: dict[str, Any]) -> bool:
            account, given = _caller_account(doc), doc["request"].get("external_id")
            accepted = given is not None and (external_ids is None or given in external_ids)
            return account not in (None, role_account) and not accepted

        verdict, found = q.find(
            [q.encodings[0].allowed, cross, z3.Not(good)], lambda doc: _replay(doc) == "allowed" and without(doc)
        )
        wanted = "an ExternalId" if external_ids is None else "one of the ExternalIds " + ", ".join(external_ids)
        statement = f"every cross-account caller must present {wanted}"
        if verdict == "unsat":
            doors = admitting(trust)
            if doors:
                where = ", ".join(f"$.Statement[{g.index}]" for g in doors)
                statement += (
                    f" (callers from AWS accounts; {where} can admit tokens or assertions at a federated door, "
                    "which takes no ExternalId: see who-can-assume)"
                )
            return Proved(name, statement)
        if verdict == "unknown":
            return Unknown(name, str(found))
        assert isinstance(found, dict)
        return Counterexample(name, statement, found, "allowed")

    return _answer(name, build)


@dataclass
class WhoCanAssume:
    """The answer of :func:`who_can_assume`: findings, or why there are none to trust."""

    findings: list[Finding] = field(default_factory=list)
    unknown: Unknown | None = None
    federated: list[FederatedFinding] = field(default_factory=list)
    """The federated doors' findings (docs/federation.md §6)."""
    dead: list[tuple[int, str, str]] = field(default_factory=list)
    """(statement, Federated entry, why) of entries that admit no token (§6.3, FED-DEAD-STATEMENT)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": "who-can-assume",
            "findings": [f.to_json() for f in self.findings] + [f.to_json() for f in self.federated],
        }
        if self.dead:
            out["never_match"] = [{"statement": i, "principal": e, "why": w} for i, e, w in self.dead]
        if self.unknown is not None:
            out["result"], out["reason"] = "unknown", self.unknown.reason
        else:
            out["result"] = "findings"
        return out


def who_can_assume(
    trust: Policy,
    identity: Policy | None = None,
    *,
    role_arn: str = DEFAULT_ROLE,
    semantics: Semantics | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> WhoCanAssume:
    """Findings: for each principal entry of each trust Allow statement that can actually grant
    sts:AssumeRole, who can use it (accounts, same- or cross-account, whether an ExternalId is
    required), the statement's conditions, and a witness scenario the model allows. With
    ``identity``, every caller holds that identity policy (else the caller side is free)."""
    with remembering_parses():  # each witness replay parses the same trust policy again
        out = _who_can_assume(trust, identity, role_arn, semantics, timeout_ms)
        if out.unknown is None:
            _federated_findings(out, trust, role_arn, semantics, timeout_ms)
    gaps = _federated_gaps(trust)
    if gaps and out.unknown is None:  # the findings are the stated doors'; these statements are not stated
        out.unknown = Unknown("who-can-assume", _unstated_reason(gaps))
    return out


def _federated_gaps(trust: Policy) -> list[Gap]:
    """The statements of :func:`~rolecall.model.solver.scope.admitting` the federated frame does not state:
    those whose principal is ``"*"`` (whether it matches a federated caller is contested, ``scope.WILDCARD``)."""
    return [g for g in admitting(trust) if g.statement.principal is not None and "*" in g.statement.principal.aws]


def _federated_query(
    name: str,
    trust: Policy,
    role_arn: str,
    semantics: Semantics | None,
    timeout_ms: int,
    others: Sequence[Policy] = (),
) -> _Query:
    """A query over the federated frame of ``trust`` (``others``: further trust policies decided on the
    same tokens, ``FederatedTokens.others``)."""
    return _Query(
        name,
        (trust, *others),
        role_arn=role_arn,
        caller_arn=DEFAULT_CALLER,
        semantics=semantics,
        timeout_ms=timeout_ms,
        federated=True,
    )


def _fresh(policies: Sequence[Policy], base: str) -> str:
    """A tenant name no policy mentions (``base``, else ``base-2``…)."""
    n = 1
    name = base
    while mentions(policies, name):
        n += 1
        name = f"{base}-{n}"
    return name


def _federated_findings(
    out: WhoCanAssume, trust: Policy, role_arn: str, semantics: Semantics | None, timeout_ms: int
) -> None:
    """Append a :class:`FederatedFinding` per federated grant that admits some token (docs/federation.md §6)."""
    name = "who-can-assume"
    role = parse_role_arn(role_arn, "--role-arn")
    sem = semantics or Semantics()
    out.dead += dead_entries(trust, role, sem)
    found = grants(trust, role, sem)
    if not found:
        return
    try:
        q = _federated_query(name, trust, role_arn, semantics, timeout_ms)
        for g in found:
            finding = _federated_finding(q, trust, g.index, g.issuer)
            if finding is not None:
                out.federated.append(finding)
    except Unsupported as exc:
        out.unknown = Unknown(name, f"unsupported: {exc}")
    except _Undecided as exc:
        out.unknown = Unknown(name, str(exc))


def _federated_finding(q: _Query, trust: Policy, si: int, issuer: Issuer) -> FederatedFinding | None:
    """One grant's finding: a witness token, whether the grant is public, and the admitted set in the
    issuer's terms (the normal forms of docs/federation.md §6.4)."""
    tokens = q.tokens
    assert tokens is not None
    goal = [tokens.granted_by[(si, issuer.entry)]]
    check = functools.partial(_witnesses, statement=si)
    where = f"statement {si}, principal {issuer.entry}"

    def search(*extra: z3.BoolRef) -> dict[str, Any] | None:
        verdict, found = q.find_token(issuer, [*goal, *extra], check)
        if verdict == "unknown":
            raise _Undecided(f"{where}: {found}")
        return found if isinstance(found, dict) else None

    witness = search()
    if witness is None:
        why = q.undecided_token(issuer, [])  # "nobody" only when no token escapes the model's decision
        if why is not None:
            raise _Undecided(f"{where}: {why}")
        return None
    attacker = _fresh((trust,), ATTACKER)
    notes: list[str] = []
    public: bool | None = None
    probe = tenant_probe(issuer, tokens)
    sub = subject(issuer, tokens)
    if issuer.public_class in (1, 2, 3):
        if probe is None:
            notes.append(
                f"{issuer.name} is a public multi-tenant issuer, and rolecall does not know where its tokens name the "
                "tenant: whether anyone on the internet can obtain an admitted token is not decided"
            )
        else:
            found, odd = _other_tenant_token(issuer, tokens, probe, search)
            public = found is not None
            if found is not None:
                witness = found
            elif odd:
                public = None
                notes.append(
                    "it admits subjects outside GitHub's default format (a repository's subject template, such "
                    "as environment:prod): any owner can give its own repositories that template, so whether "
                    "anyone on the internet can obtain an admitted token is not decided"
                )
            elif q.undecided_token(issuer, [probe]) is not None:
                public = None
                notes.append(
                    "the model cannot decide some admitted-looking tokens of tenants the policy does not name (a "
                    "condition it cannot evaluate): whether anyone on the internet can obtain one is not decided"
                )
    else:
        public = False
    admits = _admitted(issuer, public, witness, search, sub, attacker, tokens)
    if issuer.public_class == 3:  # Cognito: are unauthenticated guests admitted (docs/federation.md §6.3)?
        amr = tokens.key(issuer, f"{issuer.prefix}:amr")
        guest = z3.Or(
            *[z3.And(amr.count > j, slot == z3.StringVal("unauthenticated")) for j, slot in enumerate(amr.slots)]
        )
        if search(guest) is not None:
            admits += ", unauthenticated guests included"
        elif q.undecided_token(issuer, [guest]) is not None:
            admits += ", unauthenticated guests not decided (the model cannot decide some of their tokens)"
        else:
            admits += ", authenticated identities only"
    st = trust.statements[si]
    return FederatedFinding(
        si,
        st.sid,
        issuer.entry,
        issuer.name,
        issuer.api,
        issuer.public_class,
        public,
        admits,
        tuple(notes),
        st.to_json().get("Condition"),
        witness,
    )


def _admitted(
    issuer: Issuer,
    public: bool | None,
    witness: dict[str, Any],
    search: Callable[..., dict[str, Any] | None],
    sub: Any,
    attacker: str,
    tokens: FederatedTokens,
) -> str:
    """The admitted set in the issuer's words (docs/federation.md §6.4), from the witness and a few
    more searches: can the subject, the owner's repository, the Cognito pool be anything?"""
    claims = witness["federated_caller"].get("claims", {})
    example = token_subject(witness)
    narrowed = f"matching the statement's conditions (for example subject {example})"

    def any_subject() -> bool:
        return search(z3.And(sub.count >= 1, sub.slots[0] == z3.StringVal(attacker))) is not None

    if public:
        return {
            1: f"any {issuer.name} workflow or job of any owner in the world",
            2: f"any {issuer.name} account, through any OAuth client or app",
            3: "any identity of any Cognito identity pool",
        }[issuer.public_class]
    if issuer.public_class == 1:
        if issuer.tenant == "sub" and isinstance(example, str) and example.startswith(issuer.tenant_prefix):
            before, end = issuer.tenant_prefix, issuer.tenant_end
            owner = example[len(before) :].split(end, 1)[0]
            wider = z3.PrefixOf(z3.StringVal(f"{before}{owner}{end}{attacker}"), sub.slots[0])
            if owner and search(z3.And(sub.count >= 1, wider)) is not None:
                return f"any {issuer.name} repository or project of owner {owner}"
            return f"{issuer.name} subjects of owner {owner} {narrowed}"
        return f"{issuer.name} tokens {narrowed}"
    if issuer.public_class == 2:
        client = claims.get("azp") or claims.get("aud") or claims.get("app_id")
        who = "any user" if any_subject() else f"users {narrowed}"
        return f"{who} of {issuer.name} client or app {client}"
    if issuer.public_class == 3:
        aud = tokens.key(issuer, f"{issuer.prefix}:aud")
        pool = tokens.pool_account(issuer)
        any_pool = z3.And(
            aud.slots[0] == z3.StringVal(f"us-east-1:{attacker}"), pool == z3.StringVal(tokens.role.account)
        )
        if search(any_pool) is not None:
            return (
                f"any identity of any Cognito identity pool of account {tokens.role.account} (a pool of another "
                "account needs a statement testing aud and amr, F10)"
            )
        return f"any identity of Cognito identity pool {claims.get('aud')}"
    if issuer.public_class == 4:
        eks = issuer.name.startswith("EKS cluster")
        if any_subject():
            return f"any service account of {issuer.name}" if eks else f"any identity {issuer.name} signs for"
        return f"{'service accounts' if eks else 'identities'} of {issuer.name} {narrowed}"
    if any_subject():
        return f"any user of {issuer.name} whom its IdP maps to this role"
    return f"users of {issuer.name} {narrowed}"


def _who_can_assume(
    trust: Policy, identity: Policy | None, role_arn: str, semantics: Semantics | None, timeout_ms: int
) -> WhoCanAssume:
    name = "who-can-assume"
    out = WhoCanAssume()
    try:
        q = _Query(
            name,
            (trust,),
            role_arn=role_arn,
            caller_arn=DEFAULT_CALLER,
            semantics=semantics,
            timeout_ms=timeout_ms,
            identity=identity,
            observe=("external_id",),
        )
    except Unsupported as exc:
        out.unknown = Unknown(name, f"unsupported: {exc}")
        return out
    enc = q.encodings[0]
    role_account = parse_role_arn(role_arn).account
    for (si, entry), grant in sorted(q.encodings[0].grants.items()):
        goal = [enc.allowed, grant]
        verdict, found = q.find(goal, functools.partial(_witnesses, statement=si))
        if verdict == "unsat":
            continue
        if verdict == "unknown":
            out.unknown = Unknown(name, f"statement {si}, principal {entry}: {found}")
            return out
        assert isinstance(found, dict)
        try:
            out.findings.append(_finding(q, trust, si, entry, goal, found, role_account))
        except _Undecided as exc:
            out.unknown = Unknown(name, f"statement {si}, principal {entry}: {exc}")
            return out
    return out


class _Undecided(Exception):
    """A check behind a finding's details came back unknown."""


def _finding(
    q: _Query, trust: Policy, si: int, entry: str, goal: list[z3.BoolRef], witness: dict[str, Any], role_account: str
) -> Finding:
    """The details of one grant: who (accounts, same- or cross-account), and whether it needs an ExternalId."""
    u = q.universe

    def possible(*extra: z3.BoolRef) -> bool:
        verdict, reason = q.solve(*goal, *extra)
        if verdict == "unknown":
            raise _Undecided(str(reason))
        return verdict == "sat"

    iam = u.caller.kind != SERVICE
    role = z3.StringVal(role_account)
    accounts: tuple[str, ...] | str = ()
    named = entry.split(":")[4] if entry.startswith("arn:") else None
    if named is not None:  # the entry names its account, and the witness shows the grant is usable
        accounts, same, cross = (named,), named == role_account, named != role_account
    elif entry.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        same = cross = False
    else:  # "*" or a unique id: which accounts, asked of the solver
        same = possible(iam, u.caller.account == role)
        cross = possible(iam, u.caller.account != role)
        verdict, m = q.solve(*goal, iam)
        if verdict == "unknown":
            raise _Undecided(str(m))
        if verdict == "sat":
            assert not isinstance(m, str)
            one = m.eval(u.caller.account, model_completion=True).as_string()
            accounts = "any" if possible(iam, u.caller.account != z3.StringVal(one)) else (one,)
    needs_external = not possible(z3.Not(u.external_present))
    st = trust.statements[si]
    conditions = st.to_json().get("Condition")
    return Finding(si, st.sid, entry, _class_of(entry), accounts, cross, same, needs_external, conditions, witness)


def _class_of(entry: str) -> str:
    if entry == "*":
        return "wildcard"
    if entry.endswith(":root"):
        return "account"
    if ":assumed-role/" in entry:
        return "session"
    if ":role/" in entry or entry.startswith("AROA"):
        return "role"
    if ":user/" in entry or entry.startswith("AIDA"):
        return "user"
    return "service"


__all__ += ["WhoCanAssume"]
