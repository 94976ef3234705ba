"""``FaultyTarget``: the reference model with one fault planted, of either catalogue
(:mod:`tests.quality.faults`, :mod:`tests.quality.evaluators`).

A conformance target like any user's (loaded by import path), so the detection
run exercises exactly what ``rolecall conformance --target package.module:object``
does. The fault is named by the constructor, or by the ``ROLECALL_FAULT``
environment variable when the suite loads the class by import path
(``--target tests.quality.faulty:FaultyTarget``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

from rolecall.conformance.targets.base import Outcome, TargetUnavailable
from rolecall.conformance.targets.model import ModelTarget

from .faults import Fault, by_name, planted

__all__ = ["FaultyTarget"]


class FaultyTarget(ModelTarget):
    """Decides every scenario with the model, ``fault`` planted; same capabilities as the ``model`` target."""

    def __init__(self, fault: str | Fault | None = None) -> None:
        super().__init__()
        name = fault if fault is not None else os.environ.get("ROLECALL_FAULT")
        if name is None:
            raise TargetUnavailable("FaultyTarget needs a fault: FaultyTarget('name') or ROLECALL_FAULT=name")
        try:
            self.fault = name if isinstance(name, Fault) else by_name(name)
        except KeyError as exc:
            raise TargetUnavailable(str(exc.args[0])) from None
        self.name = f"faulty:{self.fault.name}"
        self._worlds: OrderedDict[str, dict[Any, Any]] = OrderedDict()

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        with planted(self.fault, self._worlds):
            return super().run(doc, check_identity=check_identity)
