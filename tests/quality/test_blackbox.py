"""The black-box faults: each is a target of its own that answers as its emulator does.

For every fault of :data:`tests.quality.blackbox.BLACKBOX`, a hand-written scenario it is meant
to get wrong (the emulator's answer differs from the model's, in the way its source says) and one
it should get right (the very same outcome as the ``model`` target's). Both are real outcomes of
the target as the suite loads it (``load_target`` by import path, ``ROLECALL_FAULT``), compared
field by field with the ``model`` target's. The committed detection table's counterexample of each
still makes the suite's own comparison see a divergence.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance import Outcome, load_target
from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance
from rolecall.conformance.targets import TargetUnavailable
from rolecall.conformance.targets.base import TargetProtocol
from rolecall.conformance.targets.model import ModelTarget
from tests.quality.blackbox import BLACKBOX, TARGET, BlackBoxTarget, by_name
from tests.quality.detection import size_of

HERE = Path(__file__).resolve().parent
ROWS = {r["fault"]: r for r in json.loads((HERE / "detection.json").read_text(encoding="utf-8"))["faults"]}
FEDERATION = HERE.parent / "scenarios" / "federation"

A, B = "111111111111", "222222222222"
ALICE = f"arn:aws:iam::{A}:user/alice"


def _trust(principal: dict[str, Any], actions: str | list[str] = "sts:AssumeRole") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": actions}]}


def _same_account(**request: Any) -> dict[str, Any]:
    """alice, named in the trust policy of a role of her own account (spec-01): allowed, no identity policy."""
    return {
        "caller": {"arn": ALICE, "identity_policies": []},
        "role": {"arn": f"arn:aws:iam::{A}:role/R", "trust_policy": _trust({"AWS": ALICE})},
        "request": {"role_session_name": "s1", **request},
    }


def _cross_account(condition: dict[str, Any] | None) -> dict[str, Any]:
    """alice of A, whose identity policy allows AssumeRole on B's role (under ``condition``); B trusts A."""
    st: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    if condition is not None:
        st["Condition"] = condition
    return {
        "caller": {"arn": ALICE, "identity_policies": [{"Version": "2012-10-17", "Statement": [st]}]},
        "role": {"arn": f"arn:aws:iam::{B}:role/R", "trust_policy": _trust({"AWS": f"arn:aws:iam::{A}:root"})},
        "request": {"role_session_name": "s1"},
    }


def _stored(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FEDERATION / name).read_text(encoding="utf-8"))
    doc.pop("expect", None)
    return doc


def _web_identity(sub: str = "repo:acme/app:ref:refs/heads/main") -> dict[str, Any]:
    """FED-01 (GitHub Actions, the trust pins ``sub``) with the token's ``sub`` given."""
    doc = _stored("FED-01.json")
    doc["federated_caller"]["claims"]["sub"] = sub
    return doc


def _saml(**assertion: Any) -> dict[str, Any]:
    """FED-38 (Okta, allowed) without its SessionNotOnOrAfter, with ``assertion`` fields overriding."""
    doc = _stored("FED-38.json")
    doc["federated_caller"]["assertion"].pop("session_not_on_or_after")
    doc["federated_caller"]["assertion"].update(assertion)
    return doc


_REGION = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}  # the call goes to us-east-1: unmet
_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"

#: fault -> (a scenario it gets wrong, what its answer must show there, a scenario it gets right)
CASES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "bb-moto-identity-conditions-ignored": (_cross_account(_REGION), "allowed", _cross_account(None)),
    "bb-moto-request-tags-not-read": (
        _same_account(tags=[{"Key": "team", "Value": "a"}]),  # the trust does not allow sts:TagSession
        "allowed",
        _same_account(),
    ),
    "bb-localstack-duration-unchecked": (
        _same_account(duration_seconds=600),
        "allowed",
        _same_account(duration_seconds=1800),
    ),
    "bb-localstack-session-key-prefix": (_same_account(), "LSIA", _cross_account(_REGION)),  # denied: no key
    "bb-moto-webidentity-response-bare": (
        _web_identity(),
        "no subject",
        _web_identity("repo:evil/app:ref:refs/heads/main"),
    ),
    "bb-moto-webidentity-trust-not-read": (
        _web_identity("repo:evil/app:ref:refs/heads/main"),
        "allowed",
        _web_identity(),
    ),
    "bb-moto-saml-response-constants": (_saml(), "http://localhost:3000/", _same_account()),
    "bb-moto-saml-duration-not-read": (_stored("FED-38.json"), "3600", _saml()),
}


def _outcome(target: TargetProtocol, doc: dict[str, Any]) -> Outcome:
    return target.run(target.prepare(copy.deepcopy(doc)), check_identity=True)


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> TargetProtocol:
    """The fault's target as the suite loads a user's: by import path, the fault named in the environment."""
    monkeypatch.setenv("ROLECALL_FAULT", name)
    target = load_target(TARGET)
    target.start()
    return target


def test_the_catalogue_is_at_least_six_emulators_at_all_three_doors() -> None:
    names = [f.name for f in BLACKBOX]
    assert len(names) >= 6 and len(set(names)) == len(names)
    assert set(CASES) == set(names), "every black-box fault needs its hand-written cases"
    for f in BLACKBOX:
        assert f.description and f.equivalent is None and f.kind == "black-box", f.name
        assert re.match(r"[RF]\d+", f.rule), f.name  # a rule of docs/semantics.md or docs/federation.md
        assert "https://github.com/" in f.source, f.name  # the emulator's code it follows
    doors = {CASES[f.name][0].get("api", "AssumeRole") for f in BLACKBOX}
    assert doors == {"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}


def test_no_fault_patches_the_model() -> None:
    """A black-box fault reaches the model through the public target protocol only: its module imports
    no private name and no module of ``rolecall.model``."""
    text = (HERE / "blackbox.py").read_text(encoding="utf-8")
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "rolecall.model" in line or re.search(r"import .*\b_\w", line)]
    assert not [line for line in imports if re.search(r"rolecall\.\S*\._", line)]


@pytest.mark.parametrize("fault", BLACKBOX, ids=lambda f: f.name)
def test_the_emulator_gets_wrong_what_its_source_says(fault: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong, shows, _ = CASES[fault.name]
    model, got = _outcome(ModelTarget(), wrong), _outcome(_load(fault.name, monkeypatch), wrong)
    assert (got.result, got.credentials) != (model.result, model.credentials)
    role = got.result.get("assumed_role") or {}
    if shows == "allowed":
        assert model.result["decision"] != "allowed" and got.result["decision"] == "allowed"
    elif shows == "LSIA":
        assert got.credentials is not None and got.credentials["AccessKeyId"].startswith("LSIA")
        assert len(got.credentials["AccessKeyId"]) == 20
    elif shows == "no subject":
        assert model.result["assumed_role"]["subject"] and "subject" not in role and "provider" not in role
    elif shows == "3600":
        assert model.result["assumed_role"]["duration_seconds"] == 1200 and role["duration_seconds"] == 3600
    else:
        assert role["issuer"] == shows and role["subject"] == role["assumed_role_id"]


@pytest.mark.parametrize("fault", BLACKBOX, ids=lambda f: f.name)
def test_the_emulator_gets_right_what_it_does_not_bend(fault: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, right = CASES[fault.name]
    model, got = _outcome(ModelTarget(), right), _outcome(_load(fault.name, monkeypatch), right)
    assert got.result == model.result and got.credentials == model.credentials
    assert got.identity == model.identity and got.role_id == model.role_id and got.phase == model.phase


def test_the_durations_are_raised_to_900_and_never_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    target = _load("bb-localstack-duration-unchecked", monkeypatch)
    for asked, kept in ((60, 900), (899, 900), (7200, 7200), (50000, 50000)):
        got = _outcome(target, _same_account(duration_seconds=asked))
        assert got.result["assumed_role"]["duration_seconds"] == kept
        assert _outcome(ModelTarget(), _same_account(duration_seconds=asked)).result["decision"] == "error"
    saml = _load("bb-moto-saml-duration-not-read", monkeypatch)
    doc = _saml(attributes={**_saml()["federated_caller"]["assertion"]["attributes"], _DURATION: ["7200"]})
    doc["request"]["duration_seconds"] = 1800
    assert _outcome(ModelTarget(), doc).result["assumed_role"]["duration_seconds"] == 1800
    assert _outcome(saml, doc).result["assumed_role"]["duration_seconds"] == 7200


@pytest.mark.parametrize("fault", BLACKBOX, ids=lambda f: f.name)
def test_the_committed_counterexample_still_exposes_the_fault(fault: Any) -> None:
    """The detection table's smallest counterexample, replayed through the suite's own comparison."""
    row = ROWS.get(fault.name)
    assert row is not None and row["kind"] == "black-box", "rerun `tox -e detection`"
    ce = row["counterexample"]
    assert ce is not None, f"{fault.name} was not caught in the committed detection run"
    target = BlackBoxTarget(fault.name)
    c = Conformance(target, Expectations(target=target.name))
    found, _, _, _ = c.run(json.loads(json.dumps(ce["scenario"])), ce["feature"], ("decision", "message", "response"))
    assert found, f"{fault.name}: the black-box target now agrees with the model on its counterexample"
    assert size_of(ce["scenario"]) == ce["size"]


def test_the_target_needs_a_known_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLECALL_FAULT", raising=False)
    with pytest.raises(TargetUnavailable, match="needs a fault"):
        BlackBoxTarget()
    with pytest.raises(TargetUnavailable, match="no black-box fault 'nope'"):
        BlackBoxTarget("nope")
    target = _load("bb-moto-saml-response-constants", monkeypatch)
    assert target.name == "blackbox:bb-moto-saml-response-constants"
    assert target.capabilities == ModelTarget().capabilities
    assert by_name("bb-moto-saml-response-constants").emulator.__name__ == "SamlResponseConstants"
