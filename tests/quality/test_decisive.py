"""Decisive coverage (issue 18 items 1, 2): every cell of the rule that AWS allows decides at least
:data:`~tests.quality.coverage.MINIMUM` scenarios of a ``ci``-profile run, and no cell listed as impossible
ever decides (docs/coverage.md).

The measurement draws what the conformance properties and ``scenarios()`` draw under the ``ci`` profile
(``tests/quality/coverage.py``); run ``python -m pytest tests/quality/test_decisive.py -s`` to see the
matrices, or ``python -m tests.quality.coverage`` to also write ``tests/quality/COVERAGE.md``.
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any

from hypothesis import settings

from rolecall import model
from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance
from rolecall.conformance.targets import Outcome
from rolecall.conformance.targets.model import ModelTarget
from tests.quality import coverage

USER = "arn:aws:iam::111111111111:user/alice"
ROLE = "arn:aws:iam::111111111111:role/Target"


def _doc(condition: dict[str, Any], effect: str = "Allow") -> dict[str, Any]:
    """alice assumes Target in her own account, named directly in the trust policy (R10a): one trust
    statement, carrying ``condition``, decides."""
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}]
    if effect == "Deny":
        statements.append({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"})
    statements[-1]["Condition"] = condition
    return {
        "caller": {"arn": USER},
        "role": {"arn": ROLE, "trust_policy": {"Version": "2012-10-17", "Statement": statements}},
        "request": {"role_session_name": "s1"},
        "context": {"aws:SourceIp": "203.0.113.7"},
    }


def _decisive(doc: dict[str, Any]) -> list[bool]:
    loaded = model.load_scenario(doc)
    base, ctx = model.decide(loaded).decision, model.request_context(loaded)
    return [coverage.test_is_decisive(doc, base, t, ctx) for t in coverage.condition_tests(doc)]


def test_a_condition_that_holds_in_the_only_grant_is_decisive_by_its_flip() -> None:
    doc = _doc({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    assert model.decide(model.load_scenario(doc)).decision == "allowed"
    assert _decisive(doc) == [True]  # NotIpAddress: the grant fails


def test_a_failing_condition_is_decisive_by_its_removal_and_a_vacuous_one_is_not() -> None:
    doc = _doc({"StringEquals": {"sts:ExternalId": "x"}, "StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}})
    assert model.decide(model.load_scenario(doc)).decision == "implicitDeny"
    tests = coverage.condition_tests(doc)
    assert [t.operator for t in tests] == ["StringEquals", "StringEqualsIfExists"]
    # the absent key makes the IfExists test true, flipped or not; removing the failing one grants
    assert _decisive(doc) == [True, False]


def test_a_deny_condition_and_its_cells() -> None:
    doc = _doc({"ForAnyValue:NumericGreaterThan": {"aws:EpochTime": "1577836800"}}, effect="Deny")
    loaded = model.load_scenario(doc)
    assert model.decide(loaded).decision == "explicitDeny"
    assert _decisive(doc) == [True]
    (t,) = coverage.condition_tests(doc)
    family, cells = coverage.cells_of(t, model.request_context(loaded))
    assert (family, cells) == ("Numeric", ["plain", "without", "present", "ForAnyValue", "none"])
    assert t.site.kind == "trust"


def test_a_policy_variable_is_counted_under_its_version() -> None:
    doc = _doc({"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}})
    old = copy.deepcopy(doc)
    old["role"]["trust_policy"]["Version"] = "2008-10-17"  # the variable is text: the grant fails
    for d, decision, column in ((doc, "allowed", "2012-10-17"), (old, "implicitDeny", "2008-10-17")):
        loaded = model.load_scenario(d)
        assert model.decide(loaded).decision == decision
        assert _decisive(d) == [True]
        assert coverage.cells_of(coverage.condition_tests(d)[0], model.request_context(loaded))[1][-1] == column


class _RecordingModel(ModelTarget):
    """The model target, recording every scenario it is asked to run."""

    def __init__(self) -> None:
        super().__init__()
        self.docs: list[str] = []

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        self.docs.append(json.dumps(doc, sort_keys=True))
        return super().run(doc, check_identity=check_identity)


def test_the_recorder_draws_what_a_real_session_runs() -> None:
    """The recording session rejects exactly as Conformance.check does (a request invalid and unauthorized at
    once, in a property that does not test that order), so Hypothesis draws the same examples: 30 of the
    session-tags property, two of them rejected, compared one for one with a real session's."""
    name = "test_session_tags.test_session_tags_and_source_identity"
    run = dict(coverage.properties())[name]
    settings.register_profile("ci-30", settings.get_profile("ci"), max_examples=30)
    settings.load_profile("ci-30")
    try:
        target = _RecordingModel()
        real = Conformance(target, Expectations(target=target.name))
        run(rolecall=real)
        recorded: list[str] = []
        recorder = coverage.Recorder(lambda doc, _: recorded.append(json.dumps(doc, sort_keys=True)))
        run(rolecall=recorder)
    finally:
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))  # as tests/conftest.py loads it
    rejected = [c.order_avoided for c in recorder.counts.values()]
    assert sum(rejected) > 0 and rejected == [c.order_avoided for c in real.counts.values()]
    assert len(recorded) >= 25 and recorded == target.docs


def test_every_allowed_cell_is_decisive_in_a_ci_run() -> None:
    """The matrices of a ci-profile run: printed (``-s``), and every allowed cell decisive in at least
    MINIMUM scenarios; a cell listed as not allowed (or a rule listed as never deciding) never decides."""
    settings.load_profile("ci")  # the counts are those of the ci profile, whatever this session runs under
    began = time.monotonic()
    try:
        tally = coverage.measure()
    finally:
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))  # as tests/conftest.py loads it
    table = "\n".join(coverage.tables(tally))
    print(f"\nDecisive coverage ({time.monotonic() - began:.0f} s)\n{table}")
    # every property and scenarios() ran its ci budget (a few examples may be rejected, or refused by the model)
    budget = (len(coverage.properties()) + 1) * settings.get_profile("ci").max_examples
    assert tally.scenarios >= 0.95 * budget, tally.sources
    assert not tally.short(), "cells decisive fewer than MINIMUM times:\n" + "\n".join(tally.short()) + "\n" + table
    assert not tally.never(), "cells listed as impossible decided:\n" + "\n".join(tally.never())
