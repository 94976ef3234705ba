"""One conformance session: a target, its expectations, and what was observed (private).

:meth:`Conformance.check` is the heart of every property: adapt the scenario
to the target, map it onto the target's world, decide it with the model, run
it on the target, compare, and either record a known divergence or raise
:class:`NewDivergence` (an ``AssertionError``, so Hypothesis shrinks it).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from rolecall import model, strategies

from ._compare import CONTESTED_OPTIONS, Difference, compare, decision_class, facts
from ._world import ACCOUNT_ID, CALLER_CAPABILITY, Unsupported, adapt
from .expectations import Expectation, Expectations, describe, signature_of
from .targets.base import Capability, Outcome, TargetError, TargetProtocol

__all__ = [
    "TRANSPORT_WORDS",
    "BothInvalidAndUnauthorized",
    "Conformance",
    "Divergence",
    "DivergenceClass",
    "NewDivergence",
    "TargetDown",
    "TargetFailed",
    "divergence_class",
    "is_transport_failure",
    "new_divergence",
    "renaming",
]

#: words of a target error that says the target was unreachable, slow or overloaded rather than that it
#: crashed on the scenario (a refused or reset connection, a deadline, a 503): such an error is no answer
#: to the scenario, so it is never shrunk, never counted as a divergence and never pinned (it would make
#: the next outage "known"); a crash on the scenario (an HTTP 500 naming an exception) is a finding
TRANSPORT_WORDS = (
    "within",
    "timed out",
    "timeout",
    "connect",
    "refused",
    "reset",
    "unavailable",
    "throttl",
    "exceeds",
    "ended after",
    "broken pipe",
)


def is_transport_failure(message: str) -> bool:
    """Whether a target error's message says the target did not answer (:data:`TRANSPORT_WORDS`)."""
    text = message.lower()
    return any(word in text for word in TRANSPORT_WORDS)


@dataclass
class Divergence:
    """A scenario on which the target and the model disagree, with everything a report needs."""

    feature: str
    scenario: dict[str, Any]
    """The scenario as the model and the target saw it, in the user's account ids (replayable)."""
    prepared: dict[str, Any]
    """The same scenario mapped onto the target's world (what was provisioned)."""
    expected: dict[str, Any]
    outcome: dict[str, Any]
    difference: Difference
    facts: dict[str, Any]
    removed: list[str] = field(default_factory=list)
    expectation: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)
    """scenario account id -> the target's account id it was provisioned as (where they differ)"""

    def to_json(self) -> dict[str, Any]:
        d = self.difference
        return {
            "feature": self.feature,
            "expectation": self.expectation,
            "difference": {
                "aspect": d.aspect,
                "model": d.model,
                "target": d.target,
                "detail": d.detail,
                **({"open_point": d.open_point} if d.open_point else {}),
            },
            "summary": describe(self.facts),
            "facts": self.facts,
            "scenario": self.scenario,
            "provisioned_as": self.prepared,
            "accounts_renamed": self.renamed,
            "removed_for_target": self.removed,
            "model": self.expected,
            "target": self.outcome,
        }


class NewDivergence(AssertionError):
    """A divergence no expectation explains (the property fails; Hypothesis shrinks the scenario).

    Raised as a subclass per class of divergence (:func:`new_divergence`: its signature without
    the scenario tags), so that Hypothesis, which tells bugs apart by exception type and place,
    keeps exploring after the first one, reports each class of a run, and shrinks each without
    drifting into another, while still shrinking away whatever the first example merely carried.
    """

    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence
        d = divergence.difference
        super().__init__(
            f"new divergence in {divergence.feature}: {d.detail}\n"
            f"  {describe(divergence.facts)}\n"
            f"  model:  {json.dumps(divergence.expected)}\n"
            f"  target: {json.dumps(divergence.outcome)}\n"
            f"  scenario (replay with `rolecall replay --target T FILE`):\n{json.dumps(divergence.scenario, indent=2)}"
        )


class TargetFailed(AssertionError):
    """The target failed (crashed, answered 5xx, timed out) where an answer was needed: neither a
    divergence nor an agreement. A run whose only problems are these ends with exit 3."""


class TargetDown(BaseException):
    """The circuit breaker found the target down (:attr:`Conformance.down`): every later call of the
    session raises it too. A BaseException, so that neither Hypothesis (which stops at once instead of
    shrinking) nor an ``except Exception`` on the way takes it for a test failure; the plugin stops the
    session on it (exit 3) and marks the report."""


class BothInvalidAndUnauthorized(Exception):
    """A scenario whose request is invalid and unauthorized at once, in a property that does not test the
    order of the two checks (:meth:`Conformance.run` with ``order`` false): not run."""


_CLASSES: dict[str, type[NewDivergence]] = {}


def divergence_class(facts: dict[str, Any]) -> str:
    """The class of a divergence: its signature without the scenario tags (which name variants)."""
    return json.dumps({k: v for k, v in signature_of(facts).items() if k != "tags"}, sort_keys=True)


def new_divergence(d: Divergence) -> NewDivergence:
    """The :class:`NewDivergence` for ``d``, of the subclass of its class (:func:`divergence_class`)."""
    key = divergence_class(d.facts)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = type(f"NewDivergence{len(_CLASSES)}", (NewDivergence,), {"__module__": __name__})
        _CLASSES[key] = cls
    return cls(d)


@dataclass
class DivergenceClass:
    """A class of new divergence met in an exploring run (:attr:`Conformance.explore`): how often, where,
    and in which variants (scenario tag sets), so that its later examples count under it instead of
    being reported again as new."""

    key: str
    """:func:`divergence_class` of its divergences"""
    feature: str
    """the feature of the property that found it first"""
    count: int = 0
    """examples that diverged in this class (the first one included)"""
    features: dict[str, int] = field(default_factory=dict)
    """feature -> examples of the class met by that feature's properties"""
    variants: dict[str, int] = field(default_factory=dict)
    """the scenario tags of an example, joined by ``,`` (``-`` for none) -> examples with those tags"""

    def met(self, d: Divergence) -> None:
        """Count one more example of the class."""
        self.count += 1
        self.features[d.feature] = self.features.get(d.feature, 0) + 1
        tags = ",".join(d.facts.get("tags", ())) or "-"
        self.variants[tags] = self.variants.get(tags, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.key,
            "feature": self.feature,
            "count": self.count,
            "features": dict(self.features),
            "variants": dict(self.variants),
        }


@dataclass
class FeatureCounts:
    examples: int = 0
    agreed: int = 0
    known: int = 0
    open: int = 0
    """examples whose differences were all on points the sources leave open"""
    unsupported: int = 0
    new: int = 0
    """examples with a divergence of a new class (exploring runs: the class's first example and the later
    ones it explains; see :attr:`Conformance.explore`)"""
    order_avoided: int = 0
    """scenarios not run because their request is invalid and unauthorized at once (the order of the two
    checks is not established, docs/semantics.md §5.6), in a property that does not test that order"""
    target_errors: int = 0
    """examples the target did not answer (a refused or reset connection, a deadline: neither agreed nor
    diverged, never shrunk; see :func:`is_transport_failure`)"""


class Conformance:
    """A target under test, its expectations, and the tallies of a run."""

    #: the circuit breaker: the run stops when the target failed this many calls in a row, or
    #: :data:`BREAKER_FAILURES` of the last :data:`BREAKER_WINDOW` (a target that fails most calls is down,
    #: and a run against it would only collect target errors for hours)
    BREAKER_IN_A_ROW = 10
    BREAKER_WINDOW = 20
    BREAKER_FAILURES = 15

    def __init__(
        self,
        target: TargetProtocol,
        expectations: Expectations,
        *,
        update: bool = False,
        strict: bool = False,
        explore: bool = False,
        is_alive: Callable[[], bool] | None = None,
    ) -> None:
        self.target = target
        self.explore = explore
        """Explore past a found class: a new divergence is recorded, not raised, so that every property runs
        its whole budget; its class (:func:`divergence_class`) is learned, and its later examples, in this
        property or another, count under it (:attr:`classes`). The plugin fails the property at its end
        with the classes it found first (each then reduced). Off (``--stop-at-first``): the first new
        divergence fails the example and Hypothesis shrinks it, as before."""
        self.classes: dict[str, DivergenceClass] = {}
        """class -> its tally, for every new class met in this run (exploring runs only)"""
        self.is_alive = is_alive
        """Asked when the circuit breaker trips: whether the target still answers a plain request (the
        plugin sends the probe's). Alive, the target fails on particular inputs (a finding) and the run
        goes on; down (or no way to ask), :attr:`down` is set and :class:`TargetDown` raised."""
        self.recent_failures: deque[bool] = deque(maxlen=self.BREAKER_WINDOW)
        self.down: str | None = None
        """Why the circuit breaker stopped the session, once it has."""
        self.expectations = expectations
        self.update = update
        self.strict = strict
        """Strict: a difference on a point the sources leave open counts like any other (see _compare.py)."""
        self.open_hits: Counter[str] = Counter()
        """open point (``order``, ``wording``…) -> examples whose only unexplained differences were on it"""
        self.open_examples: dict[str, Divergence] = {}
        self.counts: dict[str, FeatureCounts] = defaultdict(FeatureCounts)
        self.known_hits: Counter[str] = Counter()
        self.known_examples: dict[str, Divergence] = {}
        self.new: list[Divergence] = []
        self.last_unmap: Callable[[Any], Any] = lambda v: v
        """The display un-mapping of the last :meth:`run` (see :func:`unmapper`)."""
        self.replayed: dict[str, str] = {}
        """expectation id -> ``holds`` / ``fixed`` / ``changed``"""
        self.first_new: dict[str, int] = {}
        """feature -> how many examples a property of the feature had run when it met its first new divergence
        (the fewest over the feature's properties): how soon the suite finds a fault, before shrinking"""
        self.test_examples = 0
        """examples run by the current property (see :meth:`start_test`)"""
        self.progress: Callable[[str], None] | None = None
        """Where progress lines go (the plugin: the terminal), at most every :data:`PROGRESS_SECONDS`."""
        self.test_name = ""
        self.test_began = self.last_progress = time.monotonic()
        self.test_calls = 0
        """calls of :meth:`run` in the current property (Hypothesis's examples, its shrinking, the reduction)"""
        self.test_agreed = self.test_known = self.test_classed = 0
        """agreements, known divergences and (exploring) examples of new classes of the current property (its
        progress lines)"""
        self.test_target_errors = 0
        """examples of the current property the target did not answer (the plugin tallies it an error)"""
        self.pending: dict[str, Divergence] = {}
        """class -> the smallest new divergence of that class the current property has raised so far: what
        the report keeps when the target goes down while Hypothesis is still shrinking (the plugin)"""
        self.target_errors: list[dict[str, Any]] = []
        """the first :data:`MAX_TARGET_ERRORS` examples the target did not answer (feature, message,
        scenario): reported apart from the divergences"""

    @property
    def version_note(self) -> str | None:
        """When the expectations were written for another version of the target: what to say."""
        return self.expectations.version_note(self.target.name, str(self.target.version))

    # ------------------------------------------------------------------ strategies

    def caller_kinds(self) -> tuple[str, ...]:
        """The caller kinds the target can provision."""
        return tuple(k for k, cap in CALLER_CAPABILITY.items() if cap in self.target.capabilities)

    def scenarios(self, **kw: Any) -> st.SearchStrategy[dict[str, Any]]:
        """:func:`rolecall.strategies.scenarios` restricted to what the target can provision."""
        kinds = self.caller_kinds()
        if "caller_kinds" in kw:
            kinds = tuple(k for k in kw.pop("caller_kinds") if k in kinds)
        if not kinds:
            raise Unsupported("the target can provision none of the caller kinds this property needs")
        if Capability.MULTI_ACCOUNT not in self.target.capabilities:
            kw["cross_account"] = False
        if all(k == "service" for k in kinds):
            kw.pop("cross_account", None)
        return strategies.scenarios(caller_kinds=kinds, **kw)

    def federated_scenarios(self, api: str) -> st.SearchStrategy[dict[str, Any]]:
        """:func:`rolecall.strategies.federated_scenarios` at one federated door, restricted to one
        account (the role's) when the target has only one."""
        need = Capability.SAML if api == "AssumeRoleWithSAML" else Capability.WEB_IDENTITY
        if need not in self.target.capabilities:
            raise Unsupported(f"the target does not declare {need}")
        drawn = strategies.federated_scenarios(api=api)
        if Capability.MULTI_ACCOUNT in self.target.capabilities:
            return drawn
        return drawn.filter(lambda d: len(set(ACCOUNT_ID.findall(json.dumps(d))) - {"999999999999"}) <= 1)

    # ------------------------------------------------------------------ the check

    #: how many unanswered examples the report shows (every one is counted)
    MAX_TARGET_ERRORS = 20

    #: the least time between two progress lines, in seconds: a line comes after the first call that ends
    #: this long after the last line, so at least every 10 s while the target answers calls within 5 s
    PROGRESS_SECONDS = 5.0

    def start_test(self, name: str = "") -> None:
        """A property starts: its examples are counted from zero (for :attr:`first_new`); ``name`` is what
        its progress lines begin with."""
        self.test_name = name
        self.test_began = self.last_progress = time.monotonic()
        self.test_calls = 0
        self.test_examples = 0
        self.test_agreed = self.test_known = self.test_classed = 0
        self.test_target_errors = 0
        self.pending.clear()

    def run(
        self,
        doc: dict[str, Any],
        feature: str,
        aspects: Iterable[str] = ("decision",),
        *,
        order: bool = True,
    ) -> tuple[list[Divergence], dict[str, Any], model.Result, Outcome]:
        """Adapt, prepare, decide, run, compare: the divergences (empty when the target agrees).

        With ``order`` false (and the run not strict), a request that is invalid and unauthorized at once
        raises :class:`BothInvalidAndUnauthorized` before the target sees it: which of the two AWS answers
        is not established (docs/semantics.md §5.6), so running it would test nothing verifiable."""
        if self.down is not None:
            raise TargetDown(self.down)
        adapted, removed = adapt(doc, self.target.capabilities)
        prepared = self.target.prepare(adapted)
        loaded = model.load_scenario(prepared)
        expected = model.decide(loaded)
        if (
            not order
            and not self.strict
            and isinstance(loaded, model.Scenario)
            and expected.decision != "allowed"  # the order point is a denial's or an error's only
            and any(p.point == "order" for p in model.open_points(loaded, expected))
        ):
            raise BothInvalidAndUnauthorized(feature)
        aspects = tuple(aspects)
        try:
            outcome = self.target.run(prepared, check_identity="response" in aspects)
        except TargetError as exc:
            # an error of the target (crash, HTTP 5xx, timeout): never read as a denial
            want = expected.to_json()
            fine = f"error:{want.get('error_code')}" if want["decision"] == "error" else want["decision"]
            diffs = [Difference("decision", fine, "target-error", f"the target failed: {exc}")]
            outcome = Outcome(result={"decision": "target-error", "message": str(exc)}, phase="target-error")
            self._target_failed(str(exc))
        else:
            self.recent_failures.append(False)
            a = expected.assumed_role
            session = a.arn.rsplit("/", 1)[1] if a else str(prepared["request"].get("role_session_name", ""))
            door = loaded if isinstance(loaded, model.Scenario) else None  # open points: AssumeRole's
            diffs = compare(expected, outcome, aspects, session, door, strict=self.strict)
            if not self.strict and isinstance(loaded, model.Scenario):
                diffs = [_contested(loaded, d, outcome) for d in diffs]
        self.test_calls += 1
        self._tick()
        unmap = self.last_unmap = unmapper(adapted, prepared)
        found = []
        if diffs:
            shown_outcome, renamed = _shown_outcome(outcome, unmap), renaming(adapted, prepared)
        for diff in diffs:
            scenario = dict(adapted)
            want = unmap(expected.to_json())
            scenario["expect"] = {
                k: v for k, v in want.items() if k in ("decision", "error_code", "denied_by", "action")
            }
            shown = Difference(diff.aspect, diff.model, diff.target, unmap(diff.detail), diff.open_point)
            found.append(
                Divergence(
                    feature,
                    scenario,
                    prepared,
                    want,
                    shown_outcome,
                    shown,
                    facts(prepared, expected, diff, outcome),
                    removed,
                    renamed=renamed,
                )
            )
        return found, adapted, expected, outcome

    def _tick(self) -> None:
        """A progress line, when :data:`PROGRESS_SECONDS` have passed since the last one: a long property
        (minutes against a slow emulator) shows that it runs and what it has found so far."""
        now = time.monotonic()
        if self.progress is None or now - self.last_progress < self.PROGRESS_SECONDS:
            return
        self.last_progress = now
        line = f"{self.test_name or 'property'}: {now - self.test_began:.0f} s, {self.test_examples} examples"
        line += f" ({self.test_calls} calls), {self.test_agreed} agreed"
        if self.test_known:
            line += f", {self.test_known} known or on open points"
        line += f", {len(self.pending)} new class{'es' if len(self.pending) != 1 else ''} so far"
        if self.test_classed:
            line += f" ({self.test_classed} examples of new classes, this property's or earlier ones)"
        if self.test_target_errors:
            line += f", {self.test_target_errors} unanswered"
        self.progress(line)

    def _target_failed(self, what: str) -> None:
        """The circuit breaker: count a failure, and stop the session when the target is down."""
        self.recent_failures.append(True)
        last = list(self.recent_failures)
        in_a_row = len(last) >= self.BREAKER_IN_A_ROW and all(last[-self.BREAKER_IN_A_ROW :])
        if not (in_a_row or sum(last) >= self.BREAKER_FAILURES):
            return
        if self.is_alive is not None and self.is_alive():
            self.recent_failures.clear()  # it answers a plain request: these inputs make it fail (a finding)
            return
        url = getattr(self.target, "endpoint_url", None)
        where = f" at {url}" if isinstance(url, str) else ""
        self.down = (
            f"target {self.target.name}{where} stopped answering: it failed {sum(last)} of its last {len(last)} "
            f"calls (the last: {what}) and the probe's plain request too; it is down or overloaded, not diverging"
        )
        raise TargetDown(self.down)

    def check(
        self, doc: dict[str, Any], feature: str, aspects: Iterable[str] = ("decision",), *, order: bool = False
    ) -> None:
        """The property: the target agrees with the model, or diverges in a known way.

        ``order``: the property tests the order of validation and authorization on purpose; otherwise a
        request both invalid and unauthorized is not run (rejected, counted in ``order_avoided``) unless
        the run is strict."""
        counts = self.counts[feature]
        try:
            found, _, _, _ = self.run(doc, feature, aspects, order=order)
        except Unsupported:
            counts.unsupported += 1
            reject()
        except BothInvalidAndUnauthorized:
            counts.order_avoided += 1
            reject()
        if self._unanswered(found, feature):
            return
        counts.examples += 1
        self.test_examples += 1
        if not found:
            counts.agreed += 1
            self.test_agreed += 1
            return
        explained = [(d, self.expectations.explain(d.facts, strict=self.update)) for d in found]
        fresh = [d for d, entry in explained if entry is None and not d.difference.open_point]
        if fresh:
            self._meet_new(fresh, feature)
            counts.new += 1
            self.test_classed += 1
            return
        self._count_explained(explained, counts)

    def _unanswered(self, found: list[Divergence], feature: str) -> bool:
        """Whether the target did not answer the example (a refused connection, a deadline that no
        expectation explains); if so it is counted as a target error, kept (up to a limit) for the report."""
        unanswered = [
            d
            for d in found
            if d.facts.get("phase") == "target-error" and is_transport_failure(str(d.outcome["result"].get("message")))
        ]
        if not (unanswered and self.expectations.explain(unanswered[0].facts, strict=self.update) is None):
            return False
        # the target did not answer (a refused connection, a deadline): no answer to compare, so neither
        # an agreement nor a divergence, and nothing Hypothesis should shrink; the circuit breaker
        # (run()) stops the session when the target is down
        self.counts[feature].target_errors += 1
        self.test_target_errors += 1
        if len(self.target_errors) < self.MAX_TARGET_ERRORS:
            d = unanswered[0]
            self.target_errors.append(
                {"feature": feature, "message": d.outcome["result"].get("message"), "scenario": d.scenario}
            )
        return True

    def _meet_new(self, fresh: list[Divergence], feature: str) -> None:
        """New divergences: each kept (the smallest) under its class; raised at once unless exploring."""
        for d in fresh:  # a new divergence fails the example before anything else is counted
            self.first_new[feature] = min(self.first_new.get(feature, self.test_examples), self.test_examples)
            key = divergence_class(d.facts)
            held = self.pending.get(key)
            if self.explore and held is None and key in self.classes:
                pass  # a class an earlier property found (and reduced): its example counts under it
            elif held is None or len(json.dumps(d.scenario)) <= len(json.dumps(held.scenario)):
                self.pending[key] = d  # Hypothesis raises smaller ones as it shrinks
            if not self.explore:
                raise new_divergence(d)
            self.classes.setdefault(key, DivergenceClass(key, feature)).met(d)

    def _count_explained(self, explained: list[tuple[Divergence, Expectation | None]], counts: FeatureCounts) -> None:
        """Divergences each explained by an expectation (known) or an open point: hits and first examples."""
        for d, entry in explained:
            if entry is None:
                point = d.difference.open_point.split(":", 1)[0]
                self.open_hits[point] += 1
                self.open_examples.setdefault(point, d)
            else:
                d.expectation = entry.id
                self.known_hits[entry.id] += 1
                self.known_examples.setdefault(entry.id, d)
        self.test_known += 1
        if all(entry is None for _, entry in explained):
            counts.open += 1
        else:
            counts.known += 1

    def replay(self, entry: Expectation) -> tuple[str, Divergence | None]:
        """Replay a pinned counterexample: ``holds`` (it still diverges as its signature says),
        ``fixed`` (the target now agrees), ``changed`` (it diverges another way) or ``target-error``
        (the target failed: the entry is neither confirmed nor disproved)."""
        found, _, _, _ = self.run(entry.counterexample, entry.feature, (entry.aspect,))
        status = "fixed"
        hit = None
        for d in found:
            if entry.matches(d.facts):
                status, hit = "holds", d
                d.expectation = entry.id
                break
            status, hit = ("target-error" if d.facts.get("target") == "target-error" else "changed"), d
        self.replayed[entry.id] = status
        return status, hit

    # ------------------------------------------------------------------ report data

    def data(self) -> dict[str, Any]:
        """Everything observed, JSON-ready (merged across pytest-xdist workers by the plugin)."""
        return {
            "counts": {k: vars(v) for k, v in self.counts.items()},
            "classes": {k: v.to_json() for k, v in self.classes.items()},
            "known_hits": dict(self.known_hits),
            "known_examples": {k: v.to_json() for k, v in self.known_examples.items()},
            "new": [d.to_json() for d in self.new],
            "replayed": dict(self.replayed),
            "first_new": dict(self.first_new),
            "open_hits": dict(self.open_hits),
            "open_examples": {k: v.to_json() for k, v in self.open_examples.items()},
            "target_errors": list(self.target_errors),
        }


def _contested(s: model.Scenario, diff: Difference, outcome: Outcome) -> Difference:
    """``diff``, carrying the contested option that explains it when the model decides as the target did
    under that option's other reading (docs/semantics.md §5.1-§5.3, §5.5, each **[C]**): the divergence then
    rests on a contested fact (unverified, see :data:`~rolecall.conformance._compare.CONFIDENCE`)."""
    if diff.open_point or diff.aspect != "decision" or outcome.phase != "assume":
        return diff
    got = decision_class(outcome.result)
    doc = model.dump_scenario(s)  # loaded again: the compiled world holds the semantics it was loaded with
    for option, section in CONTESTED_OPTIONS.items():
        other = not getattr(s.semantics, option)
        try:
            alternative = model.decide(
                model.load_scenario({**doc, "semantics": {**doc.get("semantics", {}), option: other}})
            )
        except model.RolecallError:
            continue
        if decision_class(alternative.to_json()) == got:
            text = f"{option}={str(other).lower()}, the other reading of a contested point"
            return replace(diff, open_point=f"contested-option: {text} (docs/semantics.md {section})")
    return diff


def renaming(adapted: dict[str, Any], prepared: dict[str, Any]) -> dict[str, str]:
    """Scenario account id -> the target's account id :meth:`TargetProtocol.prepare` renamed it to, for
    the ids that differ (shown beside the target's raw answer, which keeps the target's ids)."""
    out: dict[str, str] = {}
    for mine, theirs in zip(
        ACCOUNT_ID.findall(json.dumps(adapted)), ACCOUNT_ID.findall(json.dumps(prepared)), strict=False
    ):
        if mine != theirs:
            out.setdefault(mine, theirs)
    return out


def _shown_outcome(o: Outcome, unmap: Callable[[Any], Any]) -> dict[str, Any]:
    """The target's outcome for a report: its result and identity in the scenario's account ids (as
    the model's result is shown), its ``raw`` answer exactly as the target gave it."""
    shown: dict[str, Any] = unmap(_outcome_json(o))
    if o.raw is not None:
        shown["raw"] = _jsonable(o.raw)
    return shown


def unmapper(adapted: dict[str, Any], prepared: dict[str, Any]) -> Callable[[Any], Any]:
    """Give a value about the prepared scenario back in the scenario's own account ids.

    :meth:`TargetProtocol.prepare` renames account ids (and nothing else), so the ids of the two
    JSON texts correspond one to one, in order; messages and ARNs in results and outcomes are
    shown to people in the ids they wrote. Purely for display: the comparison used the prepared ids.
    """
    back: dict[str, str] = {}
    for mine, theirs in zip(
        ACCOUNT_ID.findall(json.dumps(adapted)), ACCOUNT_ID.findall(json.dumps(prepared)), strict=False
    ):
        if back.setdefault(theirs, mine) != mine:
            return lambda v: v  # not a pure renaming: show the prepared ids
    if all(k == v for k, v in back.items()):
        return lambda v: v

    def unmap(value: Any) -> Any:
        text = ACCOUNT_ID.sub(lambda m: back.get(m.group(0), m.group(0)), json.dumps(value))
        return json.loads(text)

    return unmap


def _outcome_json(o: Outcome) -> dict[str, Any]:
    out: dict[str, Any] = {"result": dict(o.result), "phase": o.phase}
    if o.identity is not None:
        out["get_caller_identity"] = dict(o.identity)
    if o.role_id is not None:
        out["role_id"] = o.role_id
    return out


def _jsonable(v: Any) -> Any:
    try:
        return json.loads(json.dumps(v, default=str))
    except (TypeError, ValueError):
        return repr(v)
