"""A user target, as an emulator's authors would write one, loaded by import path in the tests.

``tests.conformance.user_target:ReferenceTwin`` answers every scenario with the
reference model under its own name and version, through the public protocol
only (``conformance.targets.Target``): the whole suite must pass against it
with no expectations file.
"""

from __future__ import annotations

from typing import Any

from rolecall import model
from rolecall.conformance.targets import Capability, Outcome, Target


class ReferenceTwin(Target):
    """Decides with :func:`rolecall.model.decide`; declares every capability."""

    name = "reference-twin"
    version = "1.0"
    capabilities: frozenset[str] = frozenset(str(c) for c in Capability)

    def __init__(self) -> None:
        self.started = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        assert self.started, "the suite must start a target before running scenarios"
        r = model.decide(model.load_scenario(doc))
        a = r.assumed_role
        identity = None
        if a is not None and check_identity:
            identity = {"Arn": a.arn, "Account": a.arn.split(":")[4], "UserId": a.assumed_role_id}
        role_id = a.assumed_role_id.split(":")[0] if a is not None else None
        return Outcome(result=r.to_json(), identity=identity, role_id=role_id)
