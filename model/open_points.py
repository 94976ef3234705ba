"""What AWS might answer instead: the parts of a decision its sources leave open.

The model answers every scenario one way (docs/semantics.md §7: where the sources
leave a point open, the model settles it and says so). A tool that compares
another implementation with the model must know which parts of an answer rest on
such a settlement, so that it can report a difference there as what it is (a point
AWS does not document) rather than as a mistake of the other implementation.
:func:`open_points` lists them for one scenario and its result:

``order`` (docs/semantics.md §5.6)
    AWS does not document the order of request validation (R0, R13) relative to
    authorization (R3-R12). When a request fails validation and authorization both,
    the other one's answer is what AWS might send. Only that pair: the caller and
    role checks (R1, R2) come first, a request for a role that does not exist is
    refused like one the trust policy refuses (never told apart by a validation of
    the role's attributes), and the order inside R0 or inside R13 changes no class
    of answer.
``error-code`` (§4.7, R13 [I])
    Refusals whose error code AWS does not document (a transitive key not among the
    request's tags, an inherited transitive key passed again, a changed source
    identity, ``aws:``-prefixed keys or source identity): any error code is possible.
``tag-key-case`` (§1.3 R13, "uncertain")
    Two session tags whose keys differ only in case: AWS may refuse the request (any
    error code), or keep the last of them and go on, deciding the request as if only
    that tag were passed.
``session-policy-length`` (§5.4)
    A session policy longer than the 2,048 characters of the API reference, which
    the service model does not limit: AWS may refuse it (any error code).

The AccessDenied text beyond the action (§3.6, §5.9) is the same kind of point; it
concerns the message, not the decision, and comparisons treat it by comparing only
the prefix (``User: … is not authorized to perform: ACTION``).

The alternatives are decision classes: ``allowed``, ``denied`` (explicit or
implicit) or ``error:CODE``, with ``error:*`` for any error. Only what the sources
leave open is listed: a scenario decided by documented rules alone has none, and a
stage the model cannot decide soundly (:class:`~rolecall.model.UndecidableError`)
offers no alternative (fail closed: a difference there is not excused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .conditions import UndecidableError
from .decide import (
    DUPLICATE_TAG_KEYS,
    UNDOCUMENTED_CODE_MESSAGES,
    Result,
    authorize,
    caller_may_assume,
    decide,
    post_authorization_checks,
    role_exists,
    validate_request,
)
from .errors import RolecallError
from .scenario import AnyScenario, Scenario, dump_scenario, load_scenario

__all__ = ["OpenPoint", "open_points"]

#: the plaintext maximum of a session policy in the AssumeRole API reference (docs/semantics.md §5.4)
SESSION_POLICY_DOCUMENTED_MAX = 2048


class OpenPoint(NamedTuple):
    """A part of a decision the sources leave open, and what AWS might answer instead."""

    point: str
    """``order``, ``error-code``, ``tag-key-case`` or ``session-policy-length``."""
    section: str
    """Where docs/semantics.md discusses it (``§5.6``…)."""
    text: str
    """One line for people."""
    instead: tuple[str, ...]
    """Decision classes AWS might answer instead (``allowed``, ``denied``, ``error:CODE``, ``error:*``)."""

    def admits(self, decision: str) -> bool:
        """Whether an answer of class ``decision`` is one of the alternatives."""
        return decision in self.instead or ("error:*" in self.instead and decision.startswith("error:"))


def _class(result: Result) -> str:
    """``allowed``, ``denied`` (explicit or implicit) or ``error:CODE``."""
    if result.decision in ("explicitDeny", "implicitDeny"):
        return "denied"
    if result.decision == "error":
        return f"error:{result.error_code}"
    return result.decision


#: the stages whose relative order AWS does not document, in the model's order (docs/semantics.md §5.6)
_STAGES: tuple[tuple[str, frozenset[str], Callable[[Scenario], Result | None]], ...] = (
    ("request validation (R0)", frozenset({"R0"}), validate_request),
    ("authorization (R3-R12)", frozenset({f"R{i}" for i in range(3, 13)}), authorize),
    ("post-authorization checks (R13)", frozenset({"R13"}), post_authorization_checks),
)
_AUTHORIZATION = _STAGES[1][0]


def _quietly(stage: Callable[[Scenario], Result | None], s: Scenario) -> Result | None:
    try:
        return stage(s)
    except (UndecidableError, RolecallError):
        return None  # a stage the model cannot decide here offers no alternative (fail closed)


def open_points(s: AnyScenario, result: Result) -> tuple[OpenPoint, ...]:
    """The open points of ``result``, the model's decision of ``s`` (see the module docstring).

    The federated doors' contested points are options of :class:`~rolecall.model.Semantics`
    (docs/federation.md §5), decided under the option's value; none is listed here for them."""
    if not isinstance(s, Scenario):
        return ()
    found = (_order_point(s, result), _error_point(s, result), _session_policy_point(s, result))
    return tuple(point for point in found if point is not None)


def _deciding_stage(s: Scenario, result: Result) -> str | None:
    """The stage of :data:`_STAGES` that decided ``result``, or None where no other order is open:
    a stored policy IAM refuses (save time: no request is ever made), a caller that may not assume
    roles or a missing role."""
    decided_by = next((name for name, rules, _ in _STAGES if result.rule in rules), None)
    if result.rule == "R0" and result.error_code != "ValidationError":
        return None
    if decided_by is not None and _quietly(lambda s: caller_may_assume(s) or role_exists(s), s) is not None:
        return None
    return decided_by


def _order_point(s: Scenario, result: Result) -> OpenPoint | None:
    """§5.6: a request refused by validation that authorization also refuses (or the reverse), with
    another class of answer: AWS does not document which check comes first."""
    decided_by = _deciding_stage(s, result)
    if decided_by is None or result.decision == "allowed":
        return None
    mine = _class(result)
    others = []
    for name, _, stage in _STAGES:
        if name == decided_by or _AUTHORIZATION not in (name, decided_by):
            continue  # only validation against authorization is open, not R0 against R13
        other = _quietly(stage, s)
        if other is not None and _class(other) != mine:
            others.append((name, _class(other)))
    if not others:
        return None
    return OpenPoint(
        "order",
        "§5.6",
        f"the request also fails {' and '.join(n for n, _ in others)}; AWS does not document which "
        f"check comes first (the model: {decided_by})",
        tuple(dict.fromkeys(c for _, c in others)),
    )


def _error_point(s: Scenario, result: Result) -> OpenPoint | None:
    """§1.3/R13: session tag keys that differ only in case; §4.7: an error code AWS does not document."""
    message = result.message or ""
    if result.error_code != "ValidationError":
        return None
    if result.rule == "R0" and message == DUPLICATE_TAG_KEYS:
        instead = ["error:*"]
        kept = _keep_last_tag(s)
        if kept is not None:
            instead.append(_class(kept))
        return OpenPoint(
            "tag-key-case",
            "§1.3 R13",
            "two session tag keys differ only in case: AWS may refuse the request or keep the last of them",
            tuple(dict.fromkeys(instead)),
        )
    if result.rule in ("R0", "R13") and any(m in message for m in UNDOCUMENTED_CODE_MESSAGES):
        return OpenPoint(
            "error-code", "§4.7", "AWS refuses this request with an error code it does not document", ("error:*",)
        )
    return None


def _session_policy_point(s: Scenario, result: Result) -> OpenPoint | None:
    """§5.4: a session policy longer than the API reference's maximum, which the service model lacks."""
    policy = s.request.policy
    if policy is None or len(policy) <= SESSION_POLICY_DOCUMENTED_MAX or result.decision == "error":
        return None
    return OpenPoint(
        "session-policy-length",
        "§5.4",
        f"the session policy has {len(policy)} characters; the API reference gives "
        f"{SESSION_POLICY_DOCUMENTED_MAX}, the service model no maximum",
        ("error:*",),
    )


def _keep_last_tag(s: Scenario) -> Result | None:
    """The decision of ``s`` had AWS kept only the last of the session tags whose keys differ in case."""
    doc = dump_scenario(s)  # a deep copy already
    tags = doc.get("request", {}).get("tags")
    if not isinstance(tags, list):
        return None
    last: dict[str, int] = {}
    for i, tag in enumerate(tags):
        key = tag.get("Key") if isinstance(tag, dict) else None
        if not isinstance(key, str):
            return None
        last[key.lower()] = i
    doc["request"]["tags"] = [t for i, t in enumerate(tags) if i in set(last.values())]
    try:
        return decide(load_scenario(doc))
    except (UndecidableError, RolecallError):
        return None
