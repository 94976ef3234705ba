"""The law tests' view of the project's one generator, :mod:`rolecall.strategies`.

Scenario documents come from the public :func:`rolecall.strategies.scenarios` (see its
docstring: built by construction, valid input for :func:`rolecall.model.load_scenario`,
decidable by the model); the world a document is about and the statement pools
come from the strategies package's private modules. What stays here are the
test-side helpers that *edit* a generated document: :func:`policy_slots` /
:func:`applicable_slots` (where a statement can go), :func:`statements_for`
(statements for a slot's policy kind), :func:`add_statement`,
:func:`match_all_deny`, :func:`map_policies`, :func:`get_policy` and
:func:`unrelated_trust_policy`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

from rolecall.strategies import scenarios
from rolecall.strategies._statements import STATEMENT_MAKERS as _STATEMENT_MAKERS
from rolecall.strategies._world import ACCOUNTS, DENIED_BY, ORG_ID, UNRELATED_ACCOUNT, V2012, World, world_of

__all__ = [
    "ACCOUNTS",
    "DENIED_BY",
    "ORG_ID",
    "UNRELATED_ACCOUNT",
    "Slot",
    "World",
    "add_statement",
    "applicable_slots",
    "get_policy",
    "map_policies",
    "match_all_deny",
    "policy_slots",
    "scenario_docs",
    "statements_for",
    "unrelated_trust_policy",
    "world_of",
]

Doc = dict[str, Any]


def scenario_docs(relation: str | None = None, kinds: tuple[str, ...] | None = None) -> st.SearchStrategy[Doc]:
    """A valid scenario document (:func:`rolecall.strategies.scenarios`).

    ``relation``: ``"same"`` / ``"cross"`` forces the caller's account to be the
    role's / another one; ``kinds`` restricts the caller kinds (``user``,
    ``session-token``, ``role-session``, ``root``, ``federated``, ``service``).
    """
    cross = None if relation is None else relation == "cross"
    return scenarios(cross_account=cross, caller_kinds=kinds)


@st.composite
def statements_for(draw: st.DrawFn, kind: str, w: World, effect: str | None = None) -> Doc:
    """Statements valid for a policy of ``kind`` (a :data:`DENIED_BY` key) about world ``w``
    (``effect`` None: either; RCPs only ever Deny)."""
    return _STATEMENT_MAKERS[kind](draw, w, effect)


def match_all_deny(kind: str, w: World) -> Doc:
    """A Deny of ``kind`` that matches every request of world ``w``.

    In a trust policy ``{"AWS": "*"}``; for a service caller the service is
    named too, because whether ``*`` covers a service principal is the
    contested ``wildcard_matches_services`` option (docs/semantics.md R11), default False.
    """
    if kind == "trust":
        principal: dict[str, Any] = {"AWS": "*"}
        if w.service:
            principal["Service"] = w.service
        return {"Effect": "Deny", "Principal": principal, "Action": "*"}
    if kind == "rcp":
        return {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    return {"Effect": "Deny", "Action": "*", "Resource": "*"}


# =========================================================================== slots


Slot = tuple[str, tuple[Any, ...]]
"""A policy of a doc: (kind, path). The path leads to the policy document from the
doc root. A path ending in ``None`` is a place for a new policy: "a new identity
policy"; "a new SCP level (FullAWSAccess plus the statement) for the caller's
account"; "a new RCP level for the role's account" (RCPFullAWSAccess is implied).
None of these changes a decision by itself."""


def policy_slots(doc: Doc, *, new: bool = False) -> list[Slot]:
    """Every policy present in ``doc``; with ``new``, also the places a new policy may go
    without changing the decision by itself (see :data:`Slot`)."""
    out: list[Slot] = [("trust", ("role", "trust_policy"))]
    c = doc["caller"]
    for i, _ in enumerate(c.get("identity_policies", [])):
        out.append(("identity", ("caller", "identity_policies", i)))
    if new and "service" not in c:
        out.append(("identity", ("caller", "identity_policies", None)))
    if c.get("permissions_boundary") is not None:
        out.append(("boundary", ("caller", "permissions_boundary")))
    if c.get("session_policy") is not None:
        out.append(("session", ("caller", "session_policy")))
    org = doc.get("organization") or {}
    for name, kind in (("scps", "scp"), ("rcps", "rcp")):
        for account, levels in org.get(name, {}).items():
            for li, level in enumerate(levels):
                for pi, _ in enumerate(level):
                    out.append((kind, ("organization", name, account, li, pi)))
    if new and org:
        in_org = [*org.get("members", []), org["management_account"]]
        caller_account = c["arn"].split(":")[4] if "arn" in c else None
        if caller_account in in_org:
            out.append(("scp", ("organization", "scps", caller_account, None)))
        role_account = doc["role"]["arn"].split(":")[4]
        if role_account in in_org:
            out.append(("rcp", ("organization", "rcps", role_account, None)))
    return out


def applicable_slots(doc: Doc, w: World) -> list[Slot]:
    """The slots whose policies take part in the decision (docs/semantics.md R5-R7): the trust
    policy, the caller's identity policies, boundary and session policy, the SCPs of
    the caller's member account and the RCPs of the role's member account."""
    out = []
    for kind, path in policy_slots(doc, new=True):
        if kind == "scp" and not (w.scp_applies and path[2] == w.account):
            continue
        if kind == "rcp" and not (w.rcp_applies and path[2] == w.target_account):
            continue
        out.append((kind, path))
    return out


def get_policy(doc: Doc, path: tuple[Any, ...]) -> Doc:
    node: Any = doc
    for key in path:
        node = node[key]
    return node  # type: ignore[no-any-return]


def _statement_list(policy: Doc) -> list[Doc]:
    raw = policy["Statement"]
    return list(raw) if isinstance(raw, list) else [raw]


def add_statement(doc: Doc, slot: Slot, statement: Doc) -> Doc:
    """A copy of ``doc`` with ``statement`` appended to the policy at ``slot``.

    A new policy (path ending in ``None``) is created holding just the statement.
    A ``Sid`` that would repeat in its policy is dropped.
    """
    out = copy.deepcopy(doc)
    kind, path = slot
    fresh: dict[str, Any] = {"Version": V2012, "Statement": [statement]}
    if path[-1] is None:
        if kind == "identity":
            out["caller"].setdefault("identity_policies", []).append(fresh)
        elif kind == "scp":  # a new level: FullAWSAccess (what an account without SCPs has) plus the statement
            fresh["Statement"].insert(0, {"Effect": "Allow", "Action": "*", "Resource": "*"})
            out["organization"].setdefault("scps", {}).setdefault(path[2], []).append([fresh])
        else:  # a new RCP level for the role's account (RCPFullAWSAccess is implied at every level)
            out["organization"].setdefault("rcps", {}).setdefault(path[2], []).append([fresh])
        return out
    policy = get_policy(out, path)
    statements = _statement_list(policy)
    sids = {s.get("Sid") for s in statements}
    if statement.get("Sid") in sids:
        statement = {k: v for k, v in statement.items() if k != "Sid"}
    policy["Statement"] = [*statements, statement]
    return out


def _policy_paths(doc: Doc) -> Iterator[tuple[Any, ...]]:
    for _, path in policy_slots(doc):
        yield path


def map_policies(doc: Doc, fn: Callable[[list[Doc]], list[Doc]]) -> Doc:
    """A copy of ``doc`` with every policy's statement list replaced by ``fn(statements)``."""
    out = copy.deepcopy(doc)
    for path in _policy_paths(out):
        policy = get_policy(out, path)
        policy["Statement"] = fn(_statement_list(policy))
    return out


def unrelated_trust_policy() -> Doc:
    """A trust policy naming only an account that appears nowhere else in the generated worlds."""
    return {
        "Version": V2012,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{UNRELATED_ACCOUNT}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            }
        ],
    }
