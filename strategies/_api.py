"""The public scenario strategy (private module; see :mod:`rolecall.strategies`)."""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ._invalid import invalid_scenarios
from ._scenarios import DECISIONS, constructed_scenarios, free_scenarios, label
from ._world import CALLER_KINDS, Doc


def _labelled(doc: Doc) -> Doc:
    label(doc)
    return doc


def scenarios(
    *,
    cross_account: bool | None = None,
    decision: str | None = None,
    caller_kinds: Iterable[str] | None = None,
    invalid: bool = False,
) -> st.SearchStrategy[Doc]:
    """Complete AssumeRole scenarios in the scenario format (docs/scenario-format.md), as plain dicts.

    ``cross_account``: True / False for a caller in another / the role's own
    account (service callers, which have no account, are then left out); None
    for both, about half each. ``decision``: ``"allowed"``, ``"explicitDeny"``,
    ``"implicitDeny"`` or ``"error"`` builds the world so that this is the
    outcome (by construction, through a plan aimed at one rule: R0-R2, R5,
    R7-R10, R12-R14, a refused sts:TagSession / sts:SetSourceIdentity), None for
    any, half free-drawn and half constructed. ``caller_kinds``: some of
    ``user``, ``session-token``, ``role-session``, ``service``, ``root``,
    ``federated``. ``invalid``: scenarios AWS refuses, labelled in their
    ``expect`` (``MalformedPolicyDocument`` or ``ValidationError``) and ``id``.

    Each scenario is labelled with :func:`hypothesis.event` (account relation,
    caller, trust class, plan, decision, rule, deny source, features), visible
    with ``--hypothesis-show-statistics``. Shrinks towards one statement per
    policy, no organization, one or two accounts and the first (shortest) names.
    """
    kinds = tuple(caller_kinds) if caller_kinds is not None else None
    if kinds is not None:
        unknown = set(kinds) - set(CALLER_KINDS)
        if unknown or not kinds:
            raise InvalidArgument(f"caller_kinds must be some of {CALLER_KINDS}, not {kinds!r}")
    if decision is not None and decision not in DECISIONS:
        raise InvalidArgument(f"decision must be one of {DECISIONS} or None, not {decision!r}")
    if invalid:
        if decision not in (None, "error"):
            raise InvalidArgument("invalid scenarios always decide to 'error'")
        return invalid_scenarios(cross_account, kinds).map(_labelled)
    if decision is None:
        if kinds is not None and cross_account is not None and all(k == "service" for k in kinds):
            raise InvalidArgument("a service caller has no account: cross_account must be None")
        return st.one_of(free_scenarios(cross_account, kinds), constructed_scenarios(None, cross_account, kinds)).map(
            _labelled
        )
    return constructed_scenarios(decision, cross_account, kinds).map(_labelled)
