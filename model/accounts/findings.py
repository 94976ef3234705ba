"""Findings over an access graph: IAM Access Analyzer's external-access findings, and beyond.

Every finding rests on edges the model allowed (``graph.py``), and carries the edge (or the
chain of edges) and its scenario, which ``rolecall decide`` replays (docs/graph.md):

* ``public-role`` (critical; high when conditional): ``*`` can assume the role: a principal of an
  account no policy names, with an identity policy allowing everything (R8 ``wildcard``, R9).
* ``outside-organization`` (high) / ``outside-account`` (medium, when the snapshot has no
  organization): a principal of another account outside the organization can assume the role.
* ``no-external-id`` (high): an account or principal outside the snapshot (a third party)
  can assume the role without ``sts:ExternalId`` among the conditions.
* ``confused-deputy`` (medium): a service principal can assume the role with no
  ``aws:SourceAccount``, ``aws:SourceArn``, ``aws:SourceOrgID`` or ``aws:SourceOrgPaths``
  condition (R11; DEPUTY).
* ``admin-reachable`` (high when a principal outside the organization starts a chain, else
  medium): a role with administrator permissions (:func:`~rolecall.model.accounts.graph.admin_roles`)
  that another principal reaches, directly or through a chain of roles.
* ``undecided`` (medium): an ``unknown`` or ``error`` edge: nobody can say whether the access
  exists, and rolecall never reads that as "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .graph import AccessGraph, Edge, Node, admin_roles, paths
from .snapshot import Snapshot

__all__ = ["SEVERITIES", "Finding", "findings"]

SEVERITIES = ("critical", "high", "medium", "low")
_DEPUTY_KEYS = frozenset({"aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths"})


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    role: str
    principal: str
    message: str
    path: tuple[Edge, ...]
    """The edge (one) or the chain of edges the finding rests on."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity,
            "role": self.role,
            "principal": self.principal,
            "message": self.message,
        }
        if len(self.path) == 1:
            out["edge"] = self.path[0].to_json()
        else:
            out["path"] = [e.to_json() for e in self.path]
        out["scenario"] = self.path[-1].scenario
        return out


def _account(node: Node | None, source: str) -> str | None:
    if node is not None and node.account is not None:
        return node.account
    return source.split(":")[4] if source.startswith("arn:") and source.count(":") >= 5 else None


def findings(snapshot: Snapshot, graph: AccessGraph) -> list[Finding]:
    """The findings of the module docstring, most severe first."""
    org = snapshot.organization
    members = (set(org.members) | {org.management_account}) if org else set()
    out: list[Finding] = []
    for e in graph.edges:
        out += _edge_findings(snapshot, graph, members, e)
    out += _admin_findings(snapshot, graph, members)
    for e in [*graph.unknown, *graph.errors]:
        what = "cannot be decided" if e.status == "error" else "is not known"
        msg = f"whether {e.source} can assume the role {what}: {e.reason}"
        out.append(Finding("undecided", "medium", e.to, e.source, msg, (e,)))
    out.sort(key=lambda f: (SEVERITIES.index(f.severity), f.kind, f.role, f.principal))
    return out


def _edge_findings(snapshot: Snapshot, graph: AccessGraph, members: set[str], e: Edge) -> list[Finding]:
    """The findings of one edge: a public role, a service without a deputy condition, or a principal of
    another account (no ExternalId from outside the snapshot; outside the organization, or the account)."""
    org = snapshot.organization
    node = graph.nodes.get(e.source)
    role_account = e.to.split(":")[4]
    account = _account(node, e.source)
    kind = node.kind if node else "federated"
    if kind == "public":
        sev = "high" if e.conditional else "critical"
        why = f" under conditions ({', '.join(e.conditions)})" if e.conditions else ""
        return [Finding("public-role", sev, e.to, e.source, f"any AWS principal can assume the role{why}", (e,))]
    if kind == "service":
        if not _DEPUTY_KEYS & set(e.conditions):
            msg = f"{e.source} can assume the role for any account: no aws:SourceAccount or aws:SourceArn condition"
            return [Finding("confused-deputy", "medium", e.to, e.source, msg, (e,))]
        return []
    if account is None or account == role_account:
        return []
    out: list[Finding] = []
    if node is not None and node.external and "sts:ExternalId" not in e.conditions:
        msg = f"{e.source} (outside the snapshot) can assume the role without an ExternalId"
        out.append(Finding("no-external-id", "high", e.to, e.source, msg, (e,)))
    if org is not None and account not in members:
        msg = f"{e.source} (account {account}, outside organization {org.id}) can assume the role"
        out.append(Finding("outside-organization", "high", e.to, e.source, msg, (e,)))
    elif org is None:
        msg = f"{e.source} (account {account}) can assume a role of account {role_account}"
        out.append(Finding("outside-account", "medium", e.to, e.source, msg, (e,)))
    return out


def _admin_findings(snapshot: Snapshot, graph: AccessGraph, members: set[str]) -> list[Finding]:
    """Each administrator role some other principal reaches, by the worst chain (from outside first,
    then the shortest)."""
    out: list[Finding] = []
    admins = admin_roles(snapshot)
    for role, why in sorted(admins.items()):
        chains = [c for c in paths(graph, role) if c[0].edge.source != role]
        if not chains:
            continue

        def outside(source: str) -> bool:
            return _outside(snapshot, graph, members, source)

        worst = sorted(chains, key=lambda c: (not outside(c[0].edge.source), len(c), c[0].edge.source))[0]
        start = worst[0].edge.source
        sev = "high" if outside(start) else "medium"
        hops = " -> ".join([start, *(h.edge.to for h in worst)])
        msg = f"{role} has administrator permissions ({why}); {len(chains)} principal(s) reach it, e.g. {hops}"
        out.append(Finding("admin-reachable", sev, role, start, msg, tuple(h.edge for h in worst)))
    return out


def _outside(snapshot: Snapshot, graph: AccessGraph, members: set[str], source: str) -> bool:
    """Whether ``source`` is public, or of an account outside the organization (without one, outside
    the snapshot)."""
    node = graph.nodes.get(source)
    account = _account(node, source)
    return (node is not None and node.kind == "public") or (
        account is not None and (account not in members if snapshot.organization else account not in snapshot.accounts)
    )
