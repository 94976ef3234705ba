"""The ``model`` target: the reference model itself (the suite's own sanity check).

Every property compares a target with the model, so against this target every
property must pass with no expectations file: a failure here is a bug in the
suite (its adaptation, comparison or strategies), never in an emulator.
"""

from __future__ import annotations

from typing import Any

from rolecall import model

from .base import Capability, Outcome, Target

__all__ = ["ModelTarget"]


class ModelTarget(Target):
    """Decides each scenario with :func:`rolecall.model.decide`; can express everything."""

    name = "model"
    capabilities: frozenset[str] = frozenset(str(c) for c in Capability)

    def __init__(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            self.version = version("rolecall")
        except PackageNotFoundError:
            self.version = "checkout"

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        r = model.decide(model.load_scenario(doc))
        out = r.to_json()
        identity, role_id = None, None
        a = r.assumed_role
        if a is not None:
            role_id = a.assumed_role_id.split(":")[0]
            if check_identity:
                identity = {"Arn": a.arn, "Account": a.arn.split(":")[4], "UserId": a.assumed_role_id}
        return Outcome(result=out, raw=out, identity=identity, role_id=role_id)
