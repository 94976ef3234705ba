"""The graph's fast path cannot drift from the snapshot's documents: the typed scenario it assembles
for a pair from parts loaded once (model/accounts/_parts.py) equals the one ``load_scenario`` gives
for ``Snapshot.caller_doc``, ``Snapshot.role_doc`` and ``Snapshot.organization_doc`` (with the two
accounts' chains), for every caller and role, with the plain request and with a witness's request."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings

from rolecall.model import decide, load_scenario
from rolecall.model.accounts import load_snapshot
from rolecall.model.accounts._parts import RequestPart
from rolecall.model.accounts.graph import Analysis, with_request
from rolecall.model.accounts.snapshot import SESSION_NAME, Role, Snapshot, User
from rolecall.model.errors import RolecallError
from rolecall.model.scenario import Scenario
from rolecall.strategies import snapshots
from tests.accounts.world import snapshot_doc
from tests.examples import scaled

WITNESS: RequestPart = (
    {"role_session_name": "w", "external_id": "partner-42", "source_identity": "alice"},
    {"aws:SourceIp": "203.0.113.7", "aws:SourceAccount": "111111111111"},
    True,
)


def _organization(snapshot: Snapshot, *accounts: str | None) -> dict[str, Any] | None:
    """``organization_doc`` with the SCP and RCP chains of these accounts only (docs/graph.md)."""
    whole = snapshot.organization_doc()
    if whole is None:
        return None
    keep = {a for a in accounts if a is not None}
    return {
        **whole,
        "scps": {a: v for a, v in whole["scps"].items() if a in keep},
        "rcps": {a: v for a, v in whole["rcps"].items() if a in keep},
    }


def _loaded(snapshot: Snapshot, a: Analysis, ci: int, ri: int) -> dict[str, Any]:
    """The pair's plain scenario document from the snapshot's own pieces."""
    c, role = a.callers[ci], a.roles[ri]
    principals: list[User | Role] = [*snapshot.users(), *snapshot.roles()]
    principal = next((p for p in principals if p.arn(snapshot.partition) == c.id), None)
    caller = snapshot.caller_doc(principal) if principal is not None else c.doc  # outside: the representative
    doc: dict[str, Any] = {
        "id": f"{c.id} assumes {role.arn(snapshot.partition)}",
        "caller": caller,
        "role": snapshot.role_doc(role),
        "request": {"role_session_name": SESSION_NAME},
    }
    org = _organization(snapshot, c.account, role.account)
    if org is not None:
        doc["organization"] = org
    return doc


def _same(fast: Scenario, loaded: Any) -> None:
    assert isinstance(loaded, Scenario)
    # the first policy IAM would refuse: an exception, compared by what it says
    assert repr(fast.malformed) == repr(loaded.malformed)
    assert dataclasses.replace(fast, malformed=None) == dataclasses.replace(loaded, malformed=None)
    assert decide(fast) == decide(loaded)


def _check(snapshot: Snapshot) -> int:
    a = Analysis(snapshot)
    checked = 0
    for ci in range(len(a.callers)):
        for ri in range(len(a.roles)):
            doc = _loaded(snapshot, a, ci, ri)
            assert doc == a.plain(a.callers[ci], a.roles[ri])
            _same(a.scenario(ci, ri), load_scenario(doc))
            witness = (WITNESS[0], WITNESS[1], WITNESS[2] and "arn" in doc["caller"])
            try:
                loaded = load_scenario(with_request(doc, witness))
            except RolecallError as exc:  # the loader refuses the request: so does the fast path, alike
                try:
                    a.scenario(ci, ri, witness)
                except RolecallError as fast_exc:
                    assert (fast_exc.message, fast_exc.path) == (exc.message, exc.path)
                else:
                    raise AssertionError(f"the fast path took what the loader refuses: {exc}") from None
            else:
                _same(a.scenario(ci, ri, witness), loaded)
            checked += 1
    return checked


def test_the_world_of_the_graph_tests() -> None:
    assert _check(load_snapshot(snapshot_doc())) > 100


@settings(max_examples=scaled(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_generated_snapshots(doc: dict[str, Any]) -> None:
    _check(load_snapshot(doc))
