"""The two fault catalogues, the faulty target and the detection run's arithmetic.

The detection run itself (``python -m tests.quality.detection``) runs the whole
suite once per fault and is part of ``.ci/run``; these tests keep its parts
honest and fast: the catalogues are what the README says (the second one's faults
each linked to a line of a real evaluator), planting a fault never leaks into the
reference model, every fault's committed counterexample
(``tests/quality/detection.json``, written by the last detection run) still
makes the suite see a divergence, and the table's arithmetic is right.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rolecall import model
from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance
from rolecall.conformance.targets import TargetUnavailable
from tests.conftest import SPEC_SCENARIOS
from tests.quality import evaluators
from tests.quality.blackbox import BLACKBOX
from tests.quality.detection import markdown, measure, size_of, verdict
from tests.quality.faults import CATALOGUE, by_name, catalogue_of, every_fault, planted
from tests.quality.faulty import FaultyTarget

HERE = Path(__file__).resolve().parent
DETECTION = json.loads((HERE / "detection.json").read_text(encoding="utf-8"))
ROWS = {r["fault"]: r for r in DETECTION["faults"]}
SPEC_DOCS = [json.loads(p.read_text()) for p in sorted(SPEC_SCENARIOS.glob("*.json"))]
EVERY = every_fault()
#: a line of a file at a pinned commit: https://github.com/OWNER/REPO/blob/SHA/PATH#L12 or #L12-L30
GITHUB_LINE = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/[\w./-]+#L\d+(-L\d+)?")


def _decisions(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [model.decide(model.load_scenario(d)).to_json() for d in docs]


def test_the_catalogue_has_at_least_30_faults_each_with_a_rule() -> None:
    names = [f.name for f in CATALOGUE]
    assert len(names) == len(set(names))
    real = [f for f in CATALOGUE if f.equivalent is None]
    assert len(real) >= 30
    for f in CATALOGUE:
        assert f.description and f.rule, f.name
    assert all(f.equivalent for f in CATALOGUE if f.rule == "-")


def test_the_second_catalogue_has_at_least_20_real_evaluators_mistakes_each_linked_to_its_line() -> None:
    second = evaluators.CATALOGUE
    assert len(second) >= 20
    assert CATALOGUE + second == EVERY
    names = [f.name for f in EVERY]
    assert len(names) == len(set(names)), "fault names are unique across both catalogues"
    for f in second:
        assert f.description and f.rule and f.equivalent is None, f.name
        assert GITHUB_LINE.fullmatch(f.source), (f.name, f.source)
        assert len(f.evidence.split()) >= 8, f"{f.name}: say what the line does wrong"
        assert catalogue_of(f) == "evaluators" and by_name(f.name) is f
    assert all(catalogue_of(f) == "planted" for f in CATALOGUE)


_MFA_USER_BOOL_TRUE = {  # a user who used MFA, trusted on a Bool test written with a JSON boolean
    "caller": {"arn": "arn:aws:iam::111111111111:user/alice", "mfa": True},
    "role": {
        "arn": "arn:aws:iam::111111111111:role/R",
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": True}},
                }
            ],
        },
    },
    "request": {"role_session_name": "s1"},
}
_UNREACHED_WITNESS = {
    "pmapper-bool-json-boolean": _MFA_USER_BOOL_TRUE,
    "pmapper-mfa-assumed-available": json.loads((SPEC_SCENARIOS / "48-mfa-required-absent.json").read_text()),
}


@pytest.mark.parametrize("fault", evaluators.UNREACHED, ids=lambda f: f.name)
def test_the_unreached_mistakes_change_a_decision_aws_can_make(fault: Any) -> None:
    """The real mistakes kept out of the detection run (the generators never make them decisive) are not
    equivalent mutants: each changes the decision of a scenario written by hand."""
    assert GITHUB_LINE.fullmatch(fault.source) and fault.evidence and fault.name not in ROWS
    doc = _UNREACHED_WITNESS[fault.name]
    (before,) = _decisions([doc])
    with planted(fault):
        (after,) = _decisions([doc])
    assert before["decision"] != after["decision"], fault.name


def test_the_committed_table_covers_both_catalogues_and_the_black_box_faults() -> None:
    assert set(ROWS) == {f.name for f in EVERY} | {f.name for f in BLACKBOX}, (
        "rerun `tox -e detection` after changing a catalogue"
    )
    assert {r["fault"] for r in DETECTION["faults"] if r["catalogue"] == "evaluators"} == {
        f.name for f in evaluators.CATALOGUE
    }
    assert DETECTION["profile"] == "ci" and DETECTION["shrunk"] and not DETECTION["all_properties"]
    assert DETECTION["failures"] == []  # every fault caught, median <= 200, >= 90% small, no control reported
    assert DETECTION["summary"]["detection_rate"] == 1.0


@pytest.mark.parametrize("fault", EVERY, ids=lambda f: f.name)
def test_planting_never_leaks_into_the_reference_model(fault: Any) -> None:
    before = _decisions(SPEC_DOCS)
    with planted(fault):
        _decisions(SPEC_DOCS)  # compiles and caches under the fault
    assert _decisions(SPEC_DOCS) == before


@pytest.mark.parametrize("fault", [f for f in EVERY if f.equivalent is None], ids=lambda f: f.name)
def test_the_committed_counterexample_still_exposes_the_fault(fault: Any) -> None:
    """The smallest counterexample of the last detection run, replayed through the suite's own comparison:
    the faulty target diverges from the model on it, and the model without the fault is unchanged."""
    ce = ROWS[fault.name]["counterexample"]
    assert ce is not None, f"{fault.name} was not caught in the committed detection run"
    target = FaultyTarget(fault.name)
    c = Conformance(target, Expectations(target=target.name))
    found, _, _, _ = c.run(json.loads(json.dumps(ce["scenario"])), ce["feature"], ("decision", "message", "response"))
    assert found, f"{fault.name}: the faulty target now agrees with the model on its counterexample"
    assert size_of(ce["scenario"]) == ce["size"]


@pytest.mark.parametrize("fault", [f for f in EVERY if f.equivalent], ids=lambda f: f.name)
def test_equivalent_mutants_agree_on_the_spec_scenarios(fault: Any) -> None:
    target = FaultyTarget(fault)
    c = Conformance(target, Expectations(target=target.name))
    for doc in SPEC_DOCS:
        found, _, _, _ = c.run(json.loads(json.dumps(doc)), "spec", ("decision", "message", "response"))
        assert not found, (fault.name, doc.get("id"))


def test_the_faulty_target_needs_a_known_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLECALL_FAULT", raising=False)
    with pytest.raises(TargetUnavailable, match="needs a fault"):
        FaultyTarget()
    with pytest.raises(TargetUnavailable, match="no fault 'nope'"):
        FaultyTarget("nope")
    monkeypatch.setenv("ROLECALL_FAULT", "trust-ignored")
    assert FaultyTarget().name == "faulty:trust-ignored"
    monkeypatch.setenv("ROLECALL_FAULT", "moto-role-arn-misses-sessions")  # the second catalogue's too
    assert FaultyTarget().name == "faulty:moto-role-arn-misses-sessions"
    with pytest.raises(KeyError):
        by_name("nope")


def test_size_counts_every_policy_and_condition() -> None:
    st = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:a": "x", "aws:b": "y"}, "Bool": {"aws:c": "true"}},
    }
    doc = {
        "caller": {"arn": "arn:aws:iam::111111111111:user/u", "identity_policies": [{"Statement": [st, st]}]},
        "role": {"arn": "arn:aws:iam::222222222222:role/r", "trust_policy": {"Statement": {"Effect": "Allow"}}},
        "request": {"role_session_name": "s", "policy": json.dumps({"Statement": [{"Effect": "Allow"}]})},
    }
    assert size_of(doc) == {"statements": 4, "conditions": 6, "accounts": 2}


def _report(features: dict[str, int | None], scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "features": {f: {"first_new_at": n} for f, n in features.items()},
        "divergences": [
            {"status": "new", "feature": "f", "summary": "s", "scenario": s, "facts": {}} for s in scenarios
        ],
        "summary": {"examples": 10},
    }


def test_measure_and_verdict() -> None:
    small = {"role": {"trust_policy": {"Statement": [{"Effect": "Allow"}]}}}
    big = {"role": {"trust_policy": {"Statement": [{"Effect": "Allow"}] * 3}}}
    a = measure(by_name("trust-ignored"), _report({"p": 30, "q": 12, "r": None}, [big, small]), 1.0)
    assert a["caught"] and a["examples"] == 12 and a["caught_by"] == ["p", "q"]
    assert a["counterexample"]["size"]["statements"] == 1 and a["small_counterexamples"] == 1
    b = measure(by_name("deny-ignored-trust"), _report({"p": None}, []), 1.0)
    assert not b["caught"] and b["examples"] is None
    c = measure(by_name("memo-disabled"), _report({"p": None}, []), 1.0)
    summary, failures = verdict([a, c])
    assert failures == [] and summary["median_examples"] == 12 and summary["detection_rate"] == 1.0
    summary, failures = verdict([a, b, c])
    assert summary["caught"] == 1 and any("deny-ignored-trust" in f for f in failures)
    caught_control = measure(by_name("memo-disabled"), _report({"p": 5}, [small]), 1.0)
    assert any("unsound" in f for f in verdict([a, caught_control])[1])
    slow = measure(by_name("deny-ignored-trust"), _report({"p": 250}, [big]), 1.0)
    failures = verdict([slow])[1]
    assert any("median" in f for f in failures) and any("two" in f for f in failures)


def test_the_table_says_which_catalogue_each_fault_is_from() -> None:
    a = measure(by_name("trust-ignored"), _report({"p": 3}, [{"role": {}}]), 1.0)
    b = measure(by_name("moto-role-arn-misses-sessions"), _report({"p": 5}, [{"role": {}}]), 1.0)
    assert (a["catalogue"], b["catalogue"]) == ("planted", "evaluators") and b["evidence"]
    summary, failures = verdict([a, b])
    text = markdown([a, b], summary, failures, "ci")
    assert "Caught per catalogue: planted 1/1, evaluators 1/1." in text
    assert f"evaluators: [getmoto/moto]({b['source']})" in text
    assert "## The second catalogue: real evaluators' mistakes" in text and b["evidence"] in text
