"""The solver's fast stages, each checked against an independent oracle.

``queries._Query.solve`` answers a check in stages (``queries.STAGES``): the pool
universe, a brief run of Z3, the lazy abstraction of the string tests, Z3 restarted.
Each stage must be exact where it answers. ``test_queries.py`` runs every query with
each stage alone; here each building block meets its own oracle:

* ``pathname_in`` (a glob over ``path + name`` split by hand) against the model's own
  glob matcher, on every split of generated paths, names and patterns;
* ``LazyStrings`` against Z3 on the whole formula, on generated formulas of string
  tests (equations, patterns, lengths, two variables compared) under And/Or/Not: the
  same verdict, and a ``sat`` answer's strings complete a model;
* the pool universe: a pooled model read back (``PooledModel``) satisfies the
  universe's constraints and the goal, evaluated by Z3 on the original variables;
  and the pool holds the policies' values (wildcards instantiated, ARNs split).
"""

from __future__ import annotations

import time

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecall.model.match import glob_parts, glob_units, string_glob_matches
from rolecall.model.policy import PolicyKind, parse_policy
from rolecall.model.solver import queries as q
from rolecall.model.solver._lazy import LazyStrings
from rolecall.model.solver._universe import Frame, Pool, PooledModel
from rolecall.model.solver.encode import pathname_in
from tests.examples import scaled

EXAMPLES = scaled(600)

# =========================================================================== pathname_in

_SEGMENT = st.text(alphabet="ab-", min_size=1, max_size=3)
_PATHS = st.lists(_SEGMENT, max_size=2).map(lambda segs: "/" + "".join(s + "/" for s in segs))
_PATTERNS = st.text(alphabet="ab/-*?", max_size=7).map(lambda p: "/" + p)


@settings(max_examples=EXAMPLES)
@given(path=_PATHS, name=_SEGMENT, pattern=_PATTERNS)
def test_pathname_in_splits_like_the_model_matches(path: str, name: str, pattern: str) -> None:
    """The hand-made split of ``path + name`` decides the glob exactly as the model does on the
    whole string (paths start and end with "/", names hold none)."""
    p, n = z3.String("p"), z3.String("n")
    units = glob_units(glob_parts(pattern), arn=False)
    term = pathname_in(p, n, units, [0])
    s = z3.Solver()
    s.add(p == path, n == name)
    s.add(term)
    assert (s.check() == z3.sat) == string_glob_matches(glob_parts(pattern), path + name)


# =========================================================================== LazyStrings

_X, _Y = z3.String("x"), z3.String("y")
_CONSTANTS = ["", "a", "ab", "ba", "abc"]


def _atom() -> st.SearchStrategy[z3.BoolRef]:
    var = st.sampled_from([_X, _Y])
    const = st.sampled_from(_CONSTANTS)
    return st.one_of(
        st.builds(lambda v, c: v == z3.StringVal(c), var, const),
        st.builds(lambda v, c: z3.InRe(v, z3.Concat(z3.Re(c), z3.Star(z3.Re("b")))), var, const),
        st.builds(lambda v, c: z3.PrefixOf(z3.StringVal(c), v), var, const),
        st.builds(lambda v, k: z3.Length(v) >= k, var, st.integers(0, 3)),
        st.just(_X == _Y),
        st.builds(lambda v, b: z3.And(b, v == z3.StringVal("a")), var, st.just(z3.Bool("flag"))),
        # tests that read a non-string variable too (fixed to the abstraction's choice when checked)
        st.builds(lambda c: z3.If(z3.Bool("flag"), _X, _Y) == z3.StringVal(c), const),
        st.builds(lambda v, k: z3.Length(v) + z3.If(z3.Int("n") > 0, 1, 0) >= k, var, st.integers(0, 3)),
    )


_FORMULAS = st.recursive(
    _atom(),
    lambda inner: st.one_of(
        st.builds(lambda a, b: z3.And(a, b), inner, inner),
        st.builds(lambda a, b: z3.Or(a, b), inner, inner),
        st.builds(z3.Not, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=EXAMPLES)
@given(constraint=_FORMULAS, goal=_FORMULAS)
def test_lazy_abstraction_agrees_with_z3(constraint: z3.BoolRef, goal: z3.BoolRef) -> None:
    lazy = LazyStrings([constraint])
    verdict, values = lazy.check([goal], time.monotonic() + 30)
    whole = z3.Solver()
    whole.add(constraint, goal)
    expected = whole.check()
    assert verdict == str(expected)
    if verdict == "sat":  # the strings found complete a model of the formula
        assert values is not None
        s = z3.Solver()
        s.add(constraint, goal, *[lazy.string(i) == v for i, v in values.items()])
        assert s.check() == z3.sat


def test_lazy_abstraction_proves_two_denies_cover_every_role() -> None:
    """The shape that timed out in Z3 on a 200-statement identity policy: one Deny for roles named
    app-*, one for every role but app-* roles of 4444* accounts; no role is left. The proof needs
    two string tests only, among many."""
    name, account = z3.String("name"), z3.String("account")
    app = z3.InRe(name, z3.Concat(z3.Re("/app-"), z3.Star(z3.AllChar(z3.ReSort(z3.StringSort())))))
    tests = [z3.InRe(name, z3.Concat(z3.Re(f"/r{i}-"), z3.Star(z3.Re("x")))) for i in range(40)]
    allowed = z3.And(
        z3.Or(*tests, app),
        z3.Not(app),  # Deny app-*
        z3.And(z3.PrefixOf(z3.StringVal("4444"), account), app),  # Deny all but 4444*:app-*
    )
    lazy = LazyStrings([z3.Length(account) == 12])
    assert lazy.check([allowed], time.monotonic() + 30) == ("unsat", None)


# =========================================================================== the pool universe

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::444455556666:user/teams/alice", "777788889999"]},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringLike": {"sts:ExternalId": "ext-05*"},
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::4444*:role/ci-?"},
            },
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringLike": {"sts:RoleSessionName": "${aws:username}-*"}},
        },
    ],
}


def test_pool_holds_the_policies_values() -> None:
    policy = parse_policy(_TRUST, PolicyKind.TRUST)
    pool = Pool(Frame("trust", (policy,)))
    assert {"444455556666", "777788889999", "444400000000", "111122223333"} <= pool.categories["account"]
    assert {"/teams/alice", "/ci-x"} <= pool.categories["pathname"]
    assert {"/teams/", "/"} <= pool.categories["path"]
    assert {"ext-05", "ext-05x"} <= set(pool.values(None, ("sts:externalid",)))
    # a policy variable takes values of its own key's pool: here the caller's names
    assert "alice-" in pool.values(None, ("sts:rolesessionname",))
    assert "rolecall" in pool.values(None, ("sts:externalid",))  # a fresh value for negated tests


def test_pooled_model_is_a_model_of_the_universe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each goal answered in the pool: the model read back through ``PooledModel`` satisfies the
    universe's constraints and the goal, evaluated by Z3 on the original variables. (The policy
    variable in a pattern leaves string tests in the pool, which then takes about a second: the
    budget is raised so that a loaded machine cannot turn the answers into timeouts. Z3's string
    solver may still answer a pool check "unknown", which the pool stage may do: the vacuity guard
    then asks a fresh query, up to three, and names Z3's reasons if too few goals were answered.)"""
    monkeypatch.setattr(q, "_POOL_BUDGET_MS", 60_000)
    policy = parse_policy(_TRUST, PolicyKind.TRUST)
    answered, reasons = 0, []
    for _attempt in range(3):
        query = q._Query(
            "test", (policy,), role_arn=q.DEFAULT_ROLE, caller_arn=q.DEFAULT_CALLER, semantics=None, timeout_ms=30_000
        )
        u, enc = query.universe, query.encodings[0]
        goals = [
            [enc.allowed],
            *[[enc.allowed, g] for g in enc.grants.values()],
            [enc.allowed, z3.Not(u.external_present)],
        ]
        answered = 0
        for goal in goals:
            m = query._solve_pooled(goal)
            if m is None:
                assert query._pool is not None
                reasons.append(query._pool.solver.reason_unknown() or "unsat")
                continue
            answered += 1
            assert isinstance(m, PooledModel)
            for term in (*u.constraints, *goal):
                assert z3.is_true(m.eval(term, model_completion=True)), term
        if answered >= 3:
            break
    assert answered >= 3, reasons
