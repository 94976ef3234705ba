"""Reduce a divergence's scenario to the parts that matter (private).

Hypothesis shrinks each divergence within the shape of the strategy that drew it,
and a strategy's shape can hold on to parts the divergence does not need (an
identity policy beside a direct grant, an Allow beside the Deny that decides).
After Hypothesis, :func:`reduce_divergence` deletes what it can from the scenario
itself, in the manner of delta debugging: whole optional parts (the organization,
a policy, the boundary, request fields, tags, context keys), then single
statements, then single condition tests (and, for an IAM user caller, a trust
statement turned into a direct grant together with one deletion), keeping a deletion whenever the target
still diverges from the model *in the same class* (the same signature without
scenario tags, as :func:`rolecall.conformance.session.divergence_class` defines it, and
not on a point AWS leaves open when the original was not), until
no deletion keeps it. Every candidate is decided by the model and run on the
target like any example, so the reduced scenario is a real, replayable
divergence of the same kind, only smaller.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from ._world import ACCOUNT_ID
from .expectations import signature_of
from .session import Conformance, Divergence, divergence_class

__all__ = ["reduce_divergence", "scenario_size"]

Doc = dict[str, Any]

#: at most this many candidate runs per divergence (each one provisions and runs the scenario on the target)
MAX_RUNS = 300

_REQUEST_OPTIONAL = (
    "duration_seconds",
    "external_id",
    "policy",
    "policy_arns",
    "tags",
    "transitive_tag_keys",
    "source_identity",
    "serial_number",
    "token_code",
    "region",
)
_CALLER_OPTIONAL = (
    "permissions_boundary",
    "session_policy",
    "tags",
    "transitive_tag_keys",
    "source_identity",
    "mfa",
    "credentials",
)
_ROLE_OPTIONAL = ("tags", "max_session_duration", "legacy_implicit_self_trust")


Path = tuple[str | int, ...]


def _policy_paths(doc: Doc) -> Iterator[Path]:
    """The path of every policy document in the scenario (the request's session policy is text: left alone)."""
    caller, role = doc.get("caller", {}), doc.get("role", {})
    for i in range(len(caller.get("identity_policies") or [])):
        yield ("caller", "identity_policies", i)
    for key in ("permissions_boundary", "session_policy"):
        if isinstance(caller.get(key), dict):
            yield ("caller", key)
    if isinstance(role.get("trust_policy"), dict):
        yield ("role", "trust_policy")
    org = doc.get("organization")
    if isinstance(org, dict):
        for kind in ("scps", "rcps"):
            for account, chain in (org.get(kind) or {}).items():
                for li, level in enumerate(chain if isinstance(chain, list) else []):
                    for pi in range(len(level) if isinstance(level, list) else 0):
                        yield ("organization", kind, account, li, pi)


def _get(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _deletions(doc: Doc) -> Iterator[Path]:
    """Paths whose deletion keeps the scenario's shape, the biggest parts first."""
    yield from _organization_deletions(doc)
    yield from _part_deletions(doc)
    for path in _policy_paths(doc):
        yield from _statement_deletions(doc, path)


def _organization_deletions(doc: Doc) -> Iterator[Path]:
    """The organization, then each account's control policy chain (SCPs, then RCPs)."""
    if "organization" not in doc:
        return
    yield ("organization",)
    org = doc["organization"]
    for kind in ("scps", "rcps"):
        for account in (org.get(kind) or {}) if isinstance(org, dict) else {}:
            yield ("organization", kind, account)


def _part_deletions(doc: Doc) -> Iterator[Path]:
    """Top-level parts, the caller's identity policies (last first), optional caller, request and role
    fields, then each context key."""
    for key in ("context", "disabled_regions", "nonexistent_principals"):
        if key in doc:
            yield (key,)
    caller, request, role = doc.get("caller", {}), doc.get("request", {}), doc.get("role", {})
    for i in reversed(range(len(caller.get("identity_policies") or []))):
        yield ("caller", "identity_policies", i)
    yield from (("caller", k) for k in _CALLER_OPTIONAL if k in caller)
    yield from (("request", k) for k in _REQUEST_OPTIONAL if k in request)
    yield from (("role", k) for k in _ROLE_OPTIONAL if k in role)
    if isinstance(doc.get("context"), dict):
        yield from (("context", k) for k in doc["context"])


def _statement_deletions(doc: Doc, path: Path) -> Iterator[Path]:
    """In the policy at ``path``, last statement first: the statement (when not the only one), then each
    condition test (operator and key) of it."""
    raw = _get(doc, path).get("Statement")
    statements = raw if isinstance(raw, list) else [raw]
    for j in reversed(range(len(statements))):
        at: Path = (*path, "Statement", j) if isinstance(raw, list) else (*path, "Statement")
        if len(statements) > 1:
            yield at
        block = statements[j].get("Condition") if isinstance(statements[j], dict) else None
        if isinstance(block, dict):
            for op, tests in block.items():
                for key in tests if isinstance(tests, dict) else {}:
                    yield (*at, "Condition", op, key)


def _without(doc: Doc, path: Path) -> Doc:
    """A copy of ``doc`` without the part at ``path``; a condition block left empty goes too."""
    out = copy.deepcopy(doc)
    parent = _get(out, path[:-1])
    del parent[path[-1]]
    if "Condition" in path:
        at = path.index("Condition")
        statement, op = _get(out, path[:at]), path[at + 1]
        if len(path) > at + 2 and not statement["Condition"].get(op, True):
            del statement["Condition"][op]
        if not statement["Condition"]:
            del statement["Condition"]
    return out


def _direct_grant(doc: Doc, j: int) -> Doc:
    """``doc`` with trust statement ``j`` naming the calling IAM user itself (a direct grant)."""
    out = copy.deepcopy(doc)
    raw = out["role"]["trust_policy"]["Statement"]
    (raw[j] if isinstance(raw, list) else raw)["Principal"] = {"AWS": out["caller"]["arn"]}
    return out


def _candidates(doc: Doc) -> Iterator[Doc]:
    """Scenarios with one part of ``doc`` deleted, the biggest parts first; then, for an IAM user caller,
    a trust statement turned into a direct grant *and* one part deleted (a direct grant within one account
    needs no identity policy, R10, so the grant can make a policy unnecessary; on its own it deletes nothing)."""
    for path in _deletions(doc):
        yield _without(doc, path)
    caller, trust = str(doc.get("caller", {}).get("arn", "")), doc.get("role", {}).get("trust_policy")
    if ":user/" not in caller or not isinstance(trust, dict):
        return
    raw = trust.get("Statement")
    for j, st in enumerate(raw if isinstance(raw, list) else [raw]):
        if isinstance(st, dict) and "Principal" in st and st["Principal"] != {"AWS": caller}:
            granted = _direct_grant(doc, j)
            for path in _deletions(granted):
                yield _without(granted, path)


def scenario_size(doc: Doc) -> dict[str, int]:
    """How big a scenario is: statements in all its policies (the request's session policy text included),
    condition tests (operator and key pairs), distinct account ids. What a reduction lowers, and what the
    detection run (tests/quality) reports."""
    statements = conditions = 0
    policies = [_get(doc, path) for path in _policy_paths(doc)]
    text = doc.get("request", {}).get("policy")
    if isinstance(text, str):
        try:
            session = json.loads(text)
        except ValueError:
            session = None  # a malformed session policy: no statements to count
        if isinstance(session, dict) and "Statement" in session:
            policies.append(session)
    for policy in policies:
        raw = policy.get("Statement")
        for st in raw if isinstance(raw, list) else [raw]:
            statements += 1
            block = st.get("Condition") if isinstance(st, dict) else None
            if isinstance(block, dict):
                conditions += sum(len(t) if isinstance(t, dict) else 1 for t in block.values())
    return {
        "statements": statements,
        "conditions": conditions,
        "accounts": len(set(ACCOUNT_ID.findall(json.dumps(doc)))),
    }


def _weight(doc: Doc) -> tuple[int, int, int]:
    """What a reduction must lower: statements, condition tests, then the length of the JSON text."""
    size = scenario_size(doc)
    return size["statements"], size["conditions"], len(json.dumps(doc))


def reduce_divergence(c: Conformance, d: Divergence, *, max_runs: int = MAX_RUNS) -> Divergence:
    """The smallest divergence of ``d``'s class reachable by deleting parts of its scenario (see the module
    docstring); ``d`` itself when nothing can go, or when the target failed (a crash is reported as found)."""
    if d.facts.get("target") == "target-error":
        return d
    # the kind kept: the class; while an update pins variants (the session is strict about them), the
    # variant, whose tags a deletion must not lose (else the same variant is "new" in every round)
    kind = signature_of if c.update else divergence_class
    cls = kind(d.facts)
    best, runs, progress = d, 0, True
    best_weight = _weight(d.scenario)
    while progress and runs < max_runs:
        progress = False
        for candidate in _candidates({k: v for k, v in best.scenario.items() if k != "expect"}):
            if runs >= max_runs:
                break
            runs += 1
            try:
                found, _, _, _ = c.run(candidate, d.feature, (d.difference.aspect,))
            except Exception:  # no longer valid input (RolecallError), inexpressible on the target (Unsupported),
                continue  # or a target failing on a candidate: none may lose the divergence already found
            # the same class, and no more excused than the original: a deletion that turns a divergence
            # into an answer on an open point (deleting the identity policy of a request that is also
            # invalid makes it fail authorization too: docs/semantics.md §5.6) changes what it is
            same = [
                x
                for x in found
                if kind(x.facts) == cls and bool(x.difference.open_point) == bool(d.difference.open_point)
            ]
            if same and _weight(same[0].scenario) < best_weight:
                best, progress = same[0], True
                best_weight = _weight(best.scenario)
                break
    best.expectation = d.expectation
    return best
