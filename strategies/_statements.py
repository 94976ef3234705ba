"""Statement and policy-document builders (private; see :mod:`rolecall.strategies`).

Two families:

* *free* statements (:func:`trust_statement`, :func:`identity_statement`,
  :func:`scp_statement`, :func:`rcp_statement`): drawn from the related and
  near-miss pools of :mod:`rolecall.strategies._world`, with conditions from the
  decidable pool; whether one grants or denies is left to the model.
* *constructed* statements (:func:`grant`, :func:`inert_deny`,
  :func:`matching_deny`): a grant that certainly covers the request, a Deny that
  certainly does not apply (another action, or a condition that fails by
  construction, often by a near miss), and a Deny that certainly applies.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from ._world import (
    OTHER_ACTIONS,
    V2012,
    Doc,
    World,
    assume_action,
    caller_principal_entries,
    chance,
    condition_block,
    covering_action,
    false_condition,
    maybe_condition,
    pick,
    pickw,
    target_resources,
    true_conditions,
)

T = TypeVar("T")

# =========================================================================== free statements


def trust_statement(
    draw: st.DrawFn,
    w: World,
    effect: str | None = None,
    related_percent: int = 65,
    condition_percent: int | None = None,
    needs: tuple[str, ...] = (),
) -> Doc:
    """A trust-policy statement: Principal from the caller's pools, Action, maybe a Condition."""
    effect = effect or pickw(draw, (4, "Allow"), (1, "Deny"))
    related, near = caller_principal_entries(w)
    principal = pick(draw, related)[1] if chance(draw, related_percent) else pick(draw, near)
    stmt: Doc = {"Effect": effect, "Principal": principal}
    if chance(draw, 3):
        stmt["NotAction"] = pick(draw, ["sts:TagSession", "sts:AssumeRoleWithSAML", "sts:AssumeRole"])
    elif chance(draw, (related_percent + 100) // 2):
        stmt["Action"] = assume_action(draw, needs)
    else:
        stmt["Action"] = pick(draw, OTHER_ACTIONS)
    if condition_percent is None:
        condition_percent = 15 if effect == "Allow" else 60
    return maybe_condition(draw, stmt, w, condition_percent)


def identity_statement(
    draw: st.DrawFn, w: World, effect: str | None = None, related_percent: int = 75, needs: tuple[str, ...] = ()
) -> Doc:
    """An identity / boundary / session-policy statement about the target role."""
    effect = effect or pickw(draw, (6, "Allow"), (1, "Deny"))
    stmt: Doc = {"Effect": effect}
    if chance(draw, 5):
        stmt["NotAction"] = pick(draw, ["s3:*", "iam:*", "sts:TagSession"])
    elif chance(draw, related_percent):
        stmt["Action"] = assume_action(draw, needs)
    else:
        stmt["Action"] = pick(draw, OTHER_ACTIONS)
    related, near = target_resources(w)
    if chance(draw, 4):
        stmt["NotResource"] = pick(draw, near)
    else:
        pool = related if chance(draw, related_percent) else near
        first = pick(draw, pool)
        second = pick(draw, pool) if chance(draw, 20) else first
        stmt["Resource"] = first if second == first else [first, second]
    return maybe_condition(draw, stmt, w, 15 if effect == "Allow" else 55)


SCP_ALLOWS: list[Any] = ["*", "*", "*", "sts:*", "sts:AssumeRole", "s3:*", ["sts:AssumeRole", "sts:TagSession"]]
SCP_DENIES: list[Any] = ["s3:*", "sts:AssumeRole", "iam:*", "sts:*", "sts:TagSession"]


def scp_statement(draw: st.DrawFn, w: World, effect: str | None = None) -> Doc:
    """An SCP statement (``Resource`` ``*``, no Principal)."""
    effect = effect or pickw(draw, (3, "Allow"), (1, "Deny"))
    pool = SCP_ALLOWS if effect == "Allow" else SCP_DENIES
    stmt: Doc = {"Effect": effect, "Action": pick(draw, pool), "Resource": "*"}
    return maybe_condition(draw, stmt, w, 10 if effect == "Allow" else 70)


def rcp_statement(draw: st.DrawFn, w: World, effect: str | None = None) -> Doc:
    """Custom RCPs: Deny only, ``"Principal": "*"``, ``"Resource": "*"`` (ORG-RCP)."""
    if effect == "Allow":
        raise ValueError("custom RCPs may only Deny")
    stmt: Doc = {"Effect": "Deny", "Principal": "*", "Action": pick(draw, SCP_DENIES), "Resource": "*"}
    return maybe_condition(draw, stmt, w, 90)


STATEMENT_MAKERS: dict[str, Callable[..., Doc]] = {
    "trust": trust_statement,
    "identity": identity_statement,
    "boundary": identity_statement,
    "session": identity_statement,
    "scp": scp_statement,
    "rcp": rcp_statement,
}


class _Call(st.SearchStrategy[T]):
    """A throw-away strategy that runs ``build(draw)``: far cheaper to create per draw than
    ``st.composite(...)()``, and, like it, gives the choices it makes one span."""

    def __init__(self, build: Callable[[st.DrawFn], T]) -> None:
        super().__init__()
        self.build = build

    def do_draw(self, data: Any) -> T:
        return self.build(data.draw)


def span(draw: st.DrawFn, build: Callable[[st.DrawFn], T]) -> T:
    """Draw ``build(draw)`` as one sub-strategy, so that its choices form one span the
    shrinker can delete or simplify as a unit (a whole policy, a whole organization)."""
    return draw(_Call(build))


def policy(
    draw: st.DrawFn,
    make: Callable[[st.DrawFn], Doc],
    max_size: int = 3,
    first: Callable[[st.DrawFn], Doc] | None = None,
    *,
    organizations: bool = False,
) -> Doc:
    """A policy document of 1..max_size statements (the first from ``first`` if given).

    Version usually 2012-10-17 (always, with ``organizations``: Organizations stores an SCP or
    an RCP only with it, docs/semantics.md §4.9); Statement an array, or sometimes one object;
    SIDs sometimes. Shrinks to one statement, Version 2012-10-17, no SIDs.
    """
    return span(draw, lambda d: _policy(d, make, max_size, first, organizations))


def _policy(
    draw: st.DrawFn,
    make: Callable[[st.DrawFn], Doc],
    max_size: int,
    first: Callable[[st.DrawFn], Doc] | None,
    organizations: bool,
) -> Doc:
    # statements as a list that may be empty ("one more?" then a statement, each a span), so
    # that the shrinker deletes them one by one, any of them, down to one; an empty list is
    # completed by one statement drawn after it
    statements = [span(draw, first)] if first is not None else []

    def one_more(d: st.DrawFn) -> Doc | None:
        # the "one more?" flag and the statement it admits form one span, so that deleting the span
        # deletes both: any statement can go, not only the last
        return span(d, make) if chance(d, 35 if statements else 50) else None

    while len(statements) < max_size:
        more = span(draw, one_more)
        if more is None:
            break
        statements.append(more)
    if not statements:
        statements.append(span(draw, make))
    if chance(draw, 20):
        statements = [{"Sid": f"S{i}", **s} for i, s in enumerate(statements)]
    doc: Doc = {}
    version = pickw(draw, (17, V2012), (2, "2008-10-17"), (1, None))
    if organizations:
        version = V2012  # drawn all the same: the choice sequence keeps its shape for every kind
    if version is not None:
        doc["Version"] = version
    doc["Statement"] = statements[0] if len(statements) == 1 and chance(draw, 15) else statements
    return doc


FULL_AWS_ACCESS: Doc = {"Version": V2012, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def full_aws_access() -> Doc:
    return copy.deepcopy(FULL_AWS_ACCESS)


# =========================================================================== constructed statements


def grant(draw: st.DrawFn, kind: str, w: World, needs: tuple[str, ...], principal: Any = None) -> Doc:
    """An Allow of ``kind`` that certainly covers every action in ``needs`` for world ``w``.

    Trust grants name ``principal`` (a related entry of the caller); caller-side
    grants name a related resource. Sometimes a condition that holds by construction.
    """
    stmt: Doc = {"Effect": "Allow"}
    if kind == "trust":
        stmt["Principal"] = principal
    stmt["Action"] = covering_action(draw, needs)
    if kind in ("identity", "boundary", "session"):
        stmt["Resource"] = pick(draw, target_resources(w)[0])
    elif kind == "scp":
        stmt["Resource"] = "*"
    if chance(draw, 25):
        stmt["Condition"] = condition_block(draw, true_conditions(w), 1 + chance(draw, 30))
    return stmt


def inert_deny(draw: st.DrawFn, kind: str, w: World) -> Doc:
    """A Deny of ``kind`` that certainly does not apply in world ``w``: another action
    (with regex metacharacters that a naive matcher would misread), or a condition that
    fails by construction next to ones that hold (a near-miss value)."""
    stmt: Doc = {"Effect": "Deny"}
    related, _ = caller_principal_entries(w)
    if kind == "trust":
        stmt["Principal"] = pick(draw, related)[1]
    elif kind == "rcp":
        stmt["Principal"] = "*"
    if chance(draw, 50):
        stmt["Action"] = pick(draw, ["s3:GetObject", "sts:AssumeRole?", "sts:Assume?Role", "iam:*", "sts:AssumeRole*x"])
        cond = False
    else:
        stmt["Action"] = pick(draw, ["sts:AssumeRole", "*", "sts:*"])
        cond = True
    if kind in ("identity", "boundary", "session"):
        stmt["Resource"] = pick(draw, target_resources(w)[0])
    elif kind in ("scp", "rcp"):
        stmt["Resource"] = "*"
    if cond:
        op, key, value = false_condition(draw, w)
        block = condition_block(draw, true_conditions(w), chance(draw, 40))
        block.setdefault(op, {})
        block[op] = {k: v for k, v in block[op].items() if k.lower() != key.lower()}
        block[op][key] = value
        stmt["Condition"] = block
    return stmt


def matching_deny(draw: st.DrawFn, kind: str, w: World, action: str) -> Doc:
    """A Deny of ``kind`` that certainly applies to ``action`` in world ``w`` (unconditioned,
    or with a condition that holds by construction)."""
    stmt: Doc = {"Effect": "Deny"}
    if kind == "trust":
        related, _ = caller_principal_entries(w)
        stmt["Principal"] = pick(draw, related)[1]
    elif kind == "rcp":
        stmt["Principal"] = "*"
    stmt["Action"] = pick(draw, [action, "*", action.split(":")[0] + ":*", [action, "s3:GetObject"]])
    if kind in ("identity", "boundary", "session"):
        stmt["Resource"] = pick(draw, target_resources(w)[0])
    elif kind in ("scp", "rcp"):
        stmt["Resource"] = "*"
    if chance(draw, 30):
        stmt["Condition"] = condition_block(draw, true_conditions(w), 1)
    return stmt


def missing_allow(draw: st.DrawFn, kind: str, w: World) -> Doc:
    """An Allow of ``kind`` that certainly grants nothing the request needs: a near-miss
    principal (trust), a near-miss resource, or another action."""
    stmt: Doc = {"Effect": "Allow"}
    if kind == "trust":
        stmt["Principal"] = pick(draw, caller_principal_entries(w)[1])
        stmt["Action"] = pick(draw, ["sts:AssumeRole", "sts:*", "*"])
        return stmt
    if kind == "scp":
        stmt["Action"] = pick(draw, ["s3:*", "iam:*", "sts:AssumeRole?", "sts:GetCallerIdentity"])
        stmt["Resource"] = "*"
        return stmt
    if chance(draw, 50):
        stmt["Action"] = pick(draw, ["sts:AssumeRole", "sts:*"])
        stmt["Resource"] = pick(draw, target_resources(w)[1])
    else:
        stmt["Action"] = pick(draw, ["s3:GetObject", "sts:AssumeRole?", "sts:Assume?Role", "iam:PassRole"])
        stmt["Resource"] = pick(draw, target_resources(w)[0])
    return stmt


def constructed_policy(
    draw: st.DrawFn, kind: str, w: World, first: Doc | None, *, allows: bool = True, max_size: int = 3
) -> Doc:
    """A policy whose decisive statement is ``first`` (if any), padded with inert statements:
    Denies that do not apply and (when ``allows``) free Allows (an Allow never removes access)."""

    def extra(d: st.DrawFn) -> Doc:  # shrinks towards an Allow
        if kind != "rcp" and not chance(d, 50):
            return STATEMENT_MAKERS[kind](d, w, "Allow") if allows else missing_allow(d, kind, w)
        return inert_deny(d, kind, w)

    org = kind in ("scp", "rcp")
    if first is None:
        return policy(draw, extra, max_size=max_size, organizations=org)
    return policy(draw, extra, max_size=max_size, first=lambda d: first, organizations=org)
