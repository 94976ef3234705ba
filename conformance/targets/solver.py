"""The ``solver`` target: the Z3 engine (:func:`rolecall.model.solver.decide`) against the reference model.

The solver is the model's second statement of the AssumeRole rule (R1-R12 as
Z3 terms; R0, R13 and R14 are the model's own functions) and of the federated
doors (F7-F10 as Z3 terms; F0-F4, F11 and F12 are the model's functions), so
like the ``model`` target it can express everything, and every property must
pass with no expectations file: a divergence here is a disagreement between
the two engines, the most useful thing this target can find.

The solver reports no ``reasons`` (its :class:`rolecall.model.Result` has an empty
tuple), so its outcomes carry none. Nothing is lost: the suite never compares
reasons (:func:`rolecall.conformance._compare.compare` reads ``decision``,
``error_code``, ``message`` and ``assumed_role``; the facts of a divergence
read the *model's* reasons), as no emulator and no AWS answer reports them
either. Reasons are not borrowed from the model, which would make the outcome
partly the model's own answer.

``z3`` is imported when the target is built, not when the targets package is.
"""

from __future__ import annotations

from typing import Any

from rolecall import model

from .base import Capability, Outcome, Target, TargetError, TargetUnavailable

__all__ = ["SolverTarget"]


class SolverTarget(Target):
    """Decides each scenario with :func:`rolecall.model.solver.decide`; can express everything,
    the federated doors (``web-identity``, ``saml``) included."""

    name = "solver"
    capabilities: frozenset[str] = frozenset(str(c) for c in Capability)

    def __init__(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            import z3

            from rolecall.model.solver import decide
        except ImportError as exc:
            raise TargetUnavailable(f"target 'solver' needs z3 (pip install z3-solver): {exc}") from None
        self._decide = decide
        try:
            rolecall = version("rolecall")
        except PackageNotFoundError:
            rolecall = "checkout"
        self.version = f"rolecall {rolecall}, z3 {z3.get_version_string()}"

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        try:
            r = self._decide(model.load_scenario(doc))
        except Exception as exc:
            # an unsupported construct, a timeout, an undecidable input the model decided, a crash:
            # a failure of the solver, reported as a target error (never read as a denial)
            raise TargetError(f"the solver failed: {type(exc).__name__}: {exc}") from exc
        out = r.to_json()
        identity, role_id = None, None
        a = r.assumed_role
        if a is not None:
            role_id = a.assumed_role_id.split(":")[0]
            if check_identity:
                identity = {"Arn": a.arn, "Account": a.arn.split(":")[4], "UserId": a.assumed_role_id}
        return Outcome(result=out, raw=out, identity=identity, role_id=role_id)
