"""``--update-expectations``: rewrite a target's expectations file from a run (private)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._files import write_atomic
from .expectations import Expectation, Expectations, signature_of
from .session import is_transport_failure
from .targets.base import TargetProtocol

__all__ = ["update_expectations"]


def _pinnable(d: dict[str, Any]) -> bool:
    """Whether a new divergence may become an entry: not a target error of transport (a crash of the
    target on this scenario is: it replays, and every later run checks that it still does)."""
    facts = d.get("facts", {})
    if facts.get("phase") != "target-error":
        return True
    return not is_transport_failure(str(facts.get("target_message", "")))


def update_expectations(exp: Expectations, report: dict[str, Any], target: TargetProtocol) -> Path:
    """Add an entry for every new divergence of the run (its shrunk scenario pinned, its signature
    from its facts; one entry per signature, whichever property found it), drop the entries whose
    pinned counterexample no longer diverges as they say (``fixed`` or ``changed``), keep the
    reasons and links of the others; write the file. A target error of transport (a timeout, a
    refused or reset connection, an overloaded target) is never pinned: only a crash of the target
    on a scenario, which its replay confirms on every run."""
    # an entry whose replay met a target error is kept: the target failed, the entry was not disproved
    kept = [
        e for e in exp.entries if report["expectations"]["replayed"].get(e.id, "holds") in ("holds", "target-error")
    ]
    ids = {e.id for e in kept}
    signatures = {repr(sorted(e.signature.items())) for e in kept}
    for d in report["divergences"]:
        if d["status"] != "new" or not _pinnable(d):
            continue
        sig = signature_of(d["facts"])
        key = repr(sorted(sig.items()))
        if key in signatures:
            continue
        signatures.add(key)
        n = 1
        while f"{d['feature']}-{n}" in ids:
            n += 1
        ident = f"{d['feature']}-{n}"
        ids.add(ident)
        kept.append(Expectation(ident, d["feature"], d["summary"], sig, d["scenario"]))
    path = exp.path or Path(f"{target.name}.toml")
    out = Expectations(target=target.name, version=target.version, entries=kept, path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, out.dump())
    return path
