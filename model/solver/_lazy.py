"""Proofs by a Boolean abstraction of the string tests, refined lazily.

Z3's string solver is exact but can be slow to *refute* a formula with many string
tests: it weighs every test against every other, though a proof usually rests on a
few (two Deny statements that together cover every role name; an account that two
principal entries need at once). This module asks the question in two layers, the
lazy scheme of SMT solvers (DPLL(T): Nieuwenhuis, Oliveras and Tinelli, J. ACM
53(6), 2006) done by hand around Z3:

1. **Abstraction.** Every atom that reads a string (``x == "a"``, ``InRe(x, R)``, a
   length bound) becomes a fresh Boolean; the Boolean and integer structure around
   the atoms (statements, conditions, rules) is kept. A model of the abstraction is
   a choice of which tests hold. If there is none, the formula has no model either
   (any strings give the tests some truth values, and the abstraction allows them
   all): **a proof**.
2. **Refinement.** Given a choice, Z3's string solver checks the chosen tests alone,
   in groups that share no variable. If each group is consistent, its strings
   complete a model of the formula. If one is not, its tests in the unsatisfiable
   core cannot hold together in any model, so the clause that excludes them is
   valid; it is added and the abstraction asked again.

Each round excludes at least one choice, so the loop ends; a deadline bounds it, and
``queries._Query.solve`` then falls back to Z3 on the whole formula. The clauses learnt
are valid whatever the goal, so they serve the query's later checks too. (Lemmas
computed up front, such as the truth of each test on each constant a variable is
compared with, cost more than the rounds they spared on the benchmark's corpus.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import z3

__all__ = ["LazyStrings", "clear_interrupt", "request_interrupt", "stop_if_interrupted"]

_CONNECTIVES = frozenset({z3.Z3_OP_AND, z3.Z3_OP_OR, z3.Z3_OP_NOT, z3.Z3_OP_IMPLIES, z3.Z3_OP_XOR})
#: Budget of one group's string check, at most (the query's deadline may cut it shorter).
_GROUP_BUDGET_MS = 2_000


#: Set by :func:`request_interrupt` (Ctrl-C): every later check of a query ends it.
_PENDING = threading.Event()


def request_interrupt() -> None:
    """Ctrl-C: stop the running query. Z3's context is interrupted now, and every later check and
    stage raises :class:`KeyboardInterrupt` (:func:`stop_if_interrupted`). The flag is what makes it
    certain: the ``KeyboardInterrupt`` Python raises for the signal is lost when it lands in a
    finalizer (a Z3 term's ``__del__``: "Exception ignored"), and the query then went on to an
    answer. :func:`clear_interrupt` lowers it."""
    _PENDING.set()
    z3.main_ctx().interrupt()


def stop_if_interrupted(solver: z3.Solver | None = None) -> None:
    """Raise :class:`KeyboardInterrupt` when Ctrl-C asked the query to stop (:func:`request_interrupt`),
    or when Z3 answered a check ``unknown``, "interrupted from keyboard", having taken the signal for
    itself: the query ends there instead of going on to its next stage (or a second signal being
    needed). Every check of the solver's stages, and every answer the command line prints, passes
    through here."""
    if _PENDING.is_set() or (solver is not None and "interrupted" in solver.reason_unknown()):
        raise KeyboardInterrupt


def clear_interrupt() -> None:
    """Leave Z3's context uninterrupted. An interrupt (``z3.main_ctx().interrupt()``: Ctrl-C, a
    command's deadline) that lands outside a check stays on the context: its rewriter then stops at
    once, so ``z3.simplify`` returns terms unevaluated, and the queries' pool stage (which relies on
    the rewriter evaluating every string test on its pooled values) decodes models that do not
    satisfy the query's formula. A check resets the context's cancellation (Z3's API does at the
    start of every check): a trivial one, here. Whoever interrupts Z3 calls this when done."""
    _PENDING.clear()
    z3.Solver(ctx=z3.main_ctx()).check()


@dataclass
class _Atom:
    term: z3.BoolRef
    var: z3.BoolRef
    bit: int
    strings: frozenset[int]
    """Ids of the string variables the test reads."""
    others: frozenset[int]
    """Ids of the other (integer, Boolean) variables it reads."""


class LazyStrings:
    """The lazy abstraction of one query: the universe's constraints, then one goal per check."""

    def __init__(self, constraints: Sequence[z3.BoolRef]) -> None:
        self._string_vars: dict[int, z3.ExprRef] = {}
        self._other_vars: dict[int, z3.ExprRef] = {}
        self.atoms: dict[int, _Atom] = {}
        self._by_bit: list[_Atom] = []
        self._memo: dict[int, tuple[z3.BoolRef, int]] = {}
        """Per term id: its abstraction and the bit mask of the atoms under it."""
        self._reads: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        self._keep: list[z3.ExprRef] = []  # the terms whose ids key the memos stay alive
        self.solver = z3.Solver()
        self.solver.set(random_seed=0)
        self._indicators: dict[int, tuple[z3.BoolRef, int]] = {}
        base, self._base_mask = self._abstraction(z3.And(*constraints))
        self.solver.add(base)
        self.rounds = 0

    def string(self, var_id: int) -> z3.ExprRef:
        """The string variable of an id in a ``check`` answer."""
        return self._string_vars[var_id]

    # ------------------------------------------------------------------ the check

    def check(self, goal: Sequence[z3.BoolRef], deadline: float) -> tuple[str, dict[int, z3.ExprRef] | None]:
        """``("unsat", None)``: no model (a proof); ``("sat", strings)``: the tests chosen by a
        model of the abstraction hold with these string values (by variable id; the caller
        completes the model); ``("unknown", None)``: the deadline came first."""
        assumptions = []
        mask = self._base_mask
        for g in goal:
            indicator, m = self._indicator(g)
            assumptions.append(indicator)
            mask |= m
        relevant = [a for a in self._by_bit if mask >> a.bit & 1]
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0:
                return "unknown", None
            self.rounds += 1
            self.solver.set(timeout=left)
            verdict = self.solver.check(*assumptions)
            if verdict == z3.unsat:
                return "unsat", None
            if verdict != z3.sat:
                stop_if_interrupted(self.solver)
                return "unknown", None
            outcome = self._refine(self.solver.model(), relevant, deadline)
            if outcome is None:
                return "unknown", None
            if isinstance(outcome, dict):
                return "sat", outcome

    def _refine(self, m: z3.ModelRef, relevant: list[_Atom], deadline: float) -> dict[int, z3.ExprRef] | bool | None:
        """Check the tests the model chose: their strings (a dict), ``True`` when a lemma was
        learnt, ``None`` when a check ran out of time.

        Group by group first, with every other variable free, so that a conflict's clause
        names tests only (valid whatever the rest). Tests that also read other variables are
        then checked together with the values the abstraction chose for those; a conflict there
        also names those values."""
        chosen: list[tuple[_Atom, bool]] = []
        for a in relevant:
            v = m.eval(a.var, model_completion=False)
            if z3.is_true(v) or z3.is_false(v):
                chosen.append((a, z3.is_true(v)))
        values: dict[int, z3.ExprRef] = {}
        for group in _groups(chosen):
            found = self._consistent(group, [], deadline)
            if not isinstance(found, z3.ModelRef):
                return found
            for a, _ in group:
                for i in a.strings:
                    values[i] = found.eval(self._string_vars[i], model_completion=True)
        if any(a.others for a, _ in chosen):
            others = sorted({i for a, _ in chosen for i in a.others})
            fixed = [self._other_vars[i] == m.eval(self._other_vars[i], model_completion=True) for i in others]
            found = self._consistent(chosen, fixed, deadline)
            if not isinstance(found, z3.ModelRef):
                return found
            values = {i: found.eval(v, model_completion=True) for i, v in self._string_vars.items()}
        return values

    def _consistent(
        self, tests: list[tuple[_Atom, bool]], fixed: list[z3.BoolRef], deadline: float
    ) -> z3.ModelRef | bool | None:
        """A model of the tests (and the ``fixed`` equations), or ``True`` after learning the
        clause that excludes an unsatisfiable core of them, or ``None`` on a timeout."""
        left = min(_GROUP_BUDGET_MS, int((deadline - time.monotonic()) * 1000))
        if left <= 0:
            return None
        s = z3.Solver()
        s.set(timeout=left, random_seed=0)
        trackers: list[z3.BoolRef] = []
        negations: dict[int, z3.BoolRef] = {}
        for n, (a, holds) in enumerate(tests):
            t = z3.Bool(f"lazy!test{n}")
            s.add(z3.Implies(t, a.term if holds else z3.Not(a.term)))
            trackers.append(t)
            negations[t.get_id()] = z3.Not(a.var) if holds else a.var
        for n, eq in enumerate(fixed):
            t = z3.Bool(f"lazy!fixed{n}")
            s.add(z3.Implies(t, eq))
            trackers.append(t)
            negations[t.get_id()] = z3.Not(eq)
        verdict = s.check(*trackers)
        if verdict == z3.sat:
            return s.model()
        if verdict == z3.unknown:
            stop_if_interrupted(s)
            return None
        self.solver.add(z3.Or(*[negations[c.get_id()] for c in s.unsat_core()]))
        return True

    def _indicator(self, goal: z3.BoolRef) -> tuple[z3.BoolRef, int]:
        k = goal.get_id()
        if k not in self._indicators:
            abstraction, mask = self._abstraction(goal)
            indicator = z3.Bool(f"lazy!goal{len(self._indicators)}")
            self.solver.add(z3.Implies(indicator, abstraction))
            self._indicators[k] = (indicator, mask)
            self._keep.append(goal)
        return self._indicators[k]

    # ------------------------------------------------------------------ abstraction

    def _abstraction(self, term: z3.BoolRef) -> tuple[z3.BoolRef, int]:
        """The abstraction of ``term`` and the mask of its atoms (iterative: formulas are deep)."""
        memo = self._memo
        stack: list[tuple[z3.ExprRef, bool]] = [(term, False)]
        while stack:
            t, expanded = stack.pop()
            k = t.get_id()
            if k in memo:
                continue
            if not _is_connective(t):
                memo[k] = self._leaf(t)
                self._keep.append(t)
                continue
            children = t.children()
            if not expanded:
                stack.append((t, True))
                stack.extend((c, False) for c in children if c.get_id() not in memo)
                continue
            parts = [memo[c.get_id()] for c in children]
            mask = 0
            for _, bits in parts:
                mask |= bits
            memo[k] = (t.decl()(*[p for p, _ in parts]), mask)
            self._keep.append(t)
        return memo[term.get_id()]

    def _leaf(self, t: z3.ExprRef) -> tuple[z3.BoolRef, int]:
        strings, others = self._variables(t)
        if not strings:  # no string variable: kept, simplified (a test of If(c, "a", "b") becomes one of c)
            return z3.simplify(t), 0
        k = t.get_id()
        if k not in self.atoms:
            atom = _Atom(t, z3.Bool(f"lazy!{len(self._by_bit)}"), len(self._by_bit), strings, others)
            self.atoms[k] = atom
            self._by_bit.append(atom)
        atom = self.atoms[k]
        return atom.var, 1 << atom.bit

    def _variables(self, t: z3.ExprRef) -> tuple[frozenset[int], frozenset[int]]:
        """(string variables, other variables) that ``t`` reads."""
        k = t.get_id()
        if k in self._reads:
            return self._reads[k]
        out: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            if t.sort().kind() == z3.Z3_SEQ_SORT:
                self._string_vars[k] = t
                out = (frozenset({k}), frozenset())
            else:
                self._other_vars[k] = t
                out = (frozenset(), frozenset({k}))
        elif z3.is_app(t) and t.num_args():
            strings: set[int] = set()
            others: set[int] = set()
            for c in t.children():
                s, o = self._variables(c)
                strings |= s
                others |= o
            out = (frozenset(strings), frozenset(others))
        self._reads[k] = out
        self._keep.append(t)
        return out


def _is_connective(t: z3.ExprRef) -> bool:
    if not z3.is_bool(t) or not z3.is_app(t) or t.num_args() == 0:
        return False
    op = t.decl().kind()
    if op in _CONNECTIVES or op == z3.Z3_OP_ITE:
        return True
    return op in (z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT) and z3.is_bool(t.arg(0))


def _groups(chosen: list[tuple[_Atom, bool]]) -> list[list[tuple[_Atom, bool]]]:
    """The chosen tests in groups that share no string variable (union-find)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, _ in chosen:
        first, *rest = sorted(a.strings)
        for r in rest:
            parent[find(r)] = find(first)
    groups: dict[int, list[tuple[_Atom, bool]]] = {}
    for a, holds in chosen:
        groups.setdefault(find(min(a.strings)), []).append((a, holds))
    return list(groups.values())
