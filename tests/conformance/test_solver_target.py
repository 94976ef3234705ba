"""The ``solver`` target: the Z3 engine (:func:`rolecall.model.solver.decide`) as a conformance target.

What is proven here:

* ``solver`` is a built-in target, loaded by name, with the model target's
  capabilities (it can express everything, the federated doors included) and a
  version naming z3.
* On SPEC scenarios of every decision class (allowed, implicit and explicit
  denials, organizations, validation errors, a legacy self-trust, a service
  caller) and on federated scenarios of both doors (allowed, F7, F10, F3 and
  F11 errors) its outcome is the model target's, identity and role id included,
  apart from ``reasons``, which the solver does not report and the suite never
  compares; and the suite's own check (adapt, prepare, decide, run, compare on
  every aspect) finds no divergence.
* A failure of the solver (an unsupported construct, a timeout) is a
  :class:`TargetError`, never read as a denial.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance
from rolecall.conformance.targets import BUILTIN, TargetError, load_target
from rolecall.conformance.targets.solver import SolverTarget
from rolecall.model.solver import Unsupported

from ..conftest import FEDERATION_SCENARIOS, SPEC_SCENARIOS

SPEC = [
    "01-user-named-in-trust-no-identity",
    "02-account-trust-no-identity",
    "07-identity-explicit-deny",
    "08-trust-explicit-deny",
    "11-scp-explicit-deny",
    "31-session-arn-named-bypasses-session-policy",
    "34-chaining-duration-7200",
    "40-self-assume-legacy-true",
    "41-ec2-service-principal",
    "66-duration-exceeds-max-session-duration",
    "72-trust-has-resource",
]

#: Both doors: allowed, an explicit Deny of the trust policy (F7) and of an RCP, no grant (F10), a
#: token error (F3) and a check after authorization (F11).
FEDERATED = ["FED-01", "FED-02", "FED-16", "FED-43", "FED-32", "FED-33", "FED-35", "FED-36"]

MODEL = load_target("model")
SOLVER = load_target("solver")


def _load(name: str) -> dict[str, Any]:
    folder = FEDERATION_SCENARIOS if name.startswith("FED-") else SPEC_SCENARIOS
    doc: dict[str, Any] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def test_solver_is_a_builtin_target_like_the_model() -> None:
    assert "solver" in BUILTIN
    assert isinstance(SOLVER, SolverTarget)
    assert SOLVER.name == "solver"
    # everything the model target can do, the federated doors included
    assert SOLVER.capabilities == MODEL.capabilities
    assert {"web-identity", "saml"} <= SOLVER.capabilities
    assert " z3 " in SOLVER.version and SOLVER.version.startswith("rolecall ")


def test_spec_selection_exists_and_covers_every_decision() -> None:
    assert all((SPEC_SCENARIOS / f"{name}.json").is_file() for name in SPEC)
    decisions = {MODEL.run(_load(name)).result["decision"] for name in SPEC}
    assert decisions == {"allowed", "implicitDeny", "explicitDeny", "error"}


def test_federated_selection_covers_both_doors_and_every_decision() -> None:
    docs = [_load(name) for name in FEDERATED]
    assert {d["api"] for d in docs} == {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}
    assert {MODEL.run(d).result["rule"] for d in docs} == {"F3", "F7", "F10", "F11", "F12"}


@pytest.mark.parametrize("name", SPEC + FEDERATED)
def test_solver_outcome_is_the_model_targets(name: str) -> None:
    doc = _load(name)
    want, got = MODEL.run(doc, check_identity=True), SOLVER.run(doc, check_identity=True)
    assert "reasons" not in got.result
    assert got.result == {k: v for k, v in want.result.items() if k != "reasons"}
    assert (got.identity, got.role_id, got.phase) == (want.identity, want.role_id, want.phase)


@pytest.mark.parametrize("name", SPEC + FEDERATED)
def test_the_suite_finds_no_divergence(name: str) -> None:
    c = Conformance(SOLVER, Expectations(target="solver"))
    feature = "federation" if name.startswith("FED-") else "spec"
    found, _, _, _ = c.run(_load(name), feature, ("decision", "message", "response"))
    assert found == []


def test_a_solver_failure_is_a_target_error(monkeypatch: pytest.MonkeyPatch) -> None:
    target = SolverTarget()

    def unsupported(_: Any) -> Any:
        raise Unsupported("a case-insensitive comparison with a policy variable")

    monkeypatch.setattr(target, "_decide", unsupported)
    with pytest.raises(TargetError, match="the solver failed: Unsupported: a case-insensitive"):
        target.run(_load(SPEC[0]))
