"""The public API is deliberate: every module's ``__all__`` names what exists, and the
package façade re-exports exactly the model's public names."""

from __future__ import annotations

import importlib

import pytest

from rolecall import model

MODULES = [
    f"rolecall.{name}"
    for name in (
        "model",
        "model.arn",
        "model.conditions",
        "model.decide",
        "model.errors",
        "model.match",
        "model.policy",
        "model.scenario",
        "model.schema",
        "model.solver",
        "model.solver.scope",
        "conformance",
        "conformance.cli",
        "strategies",
    )
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_and_are_unique(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported))
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == []


def test_facade_exports_the_decision_and_the_format() -> None:
    for name in (
        "decide",
        "load_scenario",
        "load_scenarios_text",
        "dump_scenario",
        "parse_policy",
        "Result",
        "Scenario",
        "Semantics",
        "InputError",
        "MalformedPolicyError",
        "UndecidableError",
    ):
        assert name in model.__all__


def test_model_imports_no_boto3_moto_or_z3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, rolecall.model, rolecall.model.decide; "
        "print(sorted(m for m in ('boto3','moto','z3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
