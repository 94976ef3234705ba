"""What 2,000 ``scenarios()`` cover: every rule R1-R13, every trust class, every deny source, a balanced split.

Results name the deciding rule in ``rule`` for R0, R1, R2, R5, R7, R8, R9, R10,
R11, R13 and R14. The rules that never appear there are witnessed like this:

* **R3** (tags and source identity need their own permission): a refusal
  (``implicitDeny`` / ``explicitDeny``) whose ``action`` is ``sts:TagSession`` or
  ``sts:SetSourceIdentity``;
* **R4** (conditions on request-context keys): a scenario whose outcome changes
  when every ``Condition`` block is removed from every policy, i.e. a condition
  held or failed and that decided;
* **R6** (RCPs of the role's account): ``explicitDeny`` with ``denied_by``
  ``resource control policy`` (custom RCPs only Deny; RCPFullAWSAccess is implied);
* **R12** (grandfathered implicit self-trust): an allowed self-assumption of a role
  with ``role.legacy_implicit_self_trust`` true and no trust-policy grant.

Trust classes (docs/semantics.md R8: ``user``, ``role``, ``session``, ``account``,
``wildcard``, ``service``) are read from the trust statements that matched
(``Reason.principal_class``, for allowed scenarios through
:func:`rolecall.model.decide.granting_reasons`).
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from rolecall import model, strategies
from rolecall.model.decide import granting_reasons
from tests.examples import scaled

N = scaled(2000)
RULES = [f"R{i}" for i in range(1, 14)]
TRUST_CLASSES = {"user", "role", "session", "account", "wildcard", "service"}
DENY_SOURCES = {
    "role trust policy",
    "identity-based policy",
    "permissions boundary",
    "session policy",
    "service control policy",
    "resource control policy",
}


def _strip_conditions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_conditions(v) for k, v in node.items() if k != "Condition"}
    if isinstance(node, list):
        return [_strip_conditions(v) for v in node]
    return node


def _outcome(r: model.Result) -> tuple[Any, ...]:
    return (r.decision, r.rule, r.denied_by, r.action, r.error_code)


def test_scenarios_cover_every_rule_class_and_source() -> None:
    seen: Counter[str] = Counter()

    @settings(
        max_examples=N, phases=[Phase.generate], database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategies.scenarios())
    def collect(doc: dict[str, Any]) -> None:
        s = model.load_scenario(doc)
        r = model.decide(s)
        seen["total"] += 1
        seen[f"decision {r.decision}"] += 1
        seen[r.rule] += 1
        if r.denied_by:
            seen[f"source {r.denied_by}"] += 1
        if r.decision in ("implicitDeny", "explicitDeny") and r.action in ("sts:TagSession", "sts:SetSourceIdentity"):
            seen["R3"] += 1
        if r.decision == "explicitDeny" and r.denied_by == "resource control policy":
            seen["R6"] += 1
        reasons = granting_reasons(s) if r.decision == "allowed" else r.reasons
        for reason in reasons:
            if reason.principal_class:
                seen[f"class {reason.principal_class}"] += 1
        if (
            r.decision == "allowed"
            and s.role.legacy_implicit_self_trust
            and not any(x.policy == "role trust policy" for x in reasons)
        ):
            seen["R12"] += 1
        if "Condition" in str(doc):
            stripped = _strip_conditions(copy.deepcopy(doc))
            if _outcome(model.decide(model.load_scenario(stripped))) != _outcome(r):
                seen["R4"] += 1

    collect()
    total = seen["total"]
    assert total == N, seen
    missing_rules = [rule for rule in RULES if not seen[rule]]
    assert not missing_rules, (missing_rules, seen)
    assert not [c for c in TRUST_CLASSES if not seen[f"class {c}"]], seen
    assert not [d for d in DENY_SOURCES if not seen[f"source {d}"]], seen
    allowed = seen["decision allowed"] / total
    assert 0.30 <= allowed <= 0.70, seen
    print(sorted(seen.items()))
