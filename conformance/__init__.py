"""rolecall's conformance suite: targets, properties, expectations, reports, the pytest plugin, the
CLI.

Run it with ``rolecall conformance --target NAME`` or ``pytest --pyargs rolecall.conformance
--rolecall-target NAME``. The public surface is the target protocol, for plugging in an emulator of
one's own (see README, "Your own target"): :class:`Target`, :class:`Outcome`, :class:`Capability`,
:class:`TargetError`, :class:`TargetUnavailable` and :func:`load_target`; and the session the
properties use, for writing properties of one's own: :class:`Conformance` (the ``rolecall`` fixture
of the pytest plugin) and :class:`TargetFailed`, the failure a property reports. Everything else
(``_world``, ``_compare``, ``_report``…) is private; ``session`` holds the session and its
documented parts. Nothing here is imported until
used: ``import rolecall.conformance`` costs nothing beyond this module, so the pytest plugin stays
free until asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session import Conformance, TargetFailed
    from .targets import Capability, Outcome, Target, TargetError, TargetUnavailable, load_target

__all__ = [
    "Capability",
    "Conformance",
    "Outcome",
    "Target",
    "TargetError",
    "TargetFailed",
    "TargetUnavailable",
    "load_target",
]
_SESSION = ("Conformance", "TargetFailed")


def __getattr__(name: str) -> Any:
    if name in _SESSION:
        from . import session

        return getattr(session, name)
    if name in __all__:
        from . import targets

        return getattr(targets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
