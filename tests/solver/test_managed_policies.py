"""The solver agrees with the model on the 1,641 AWS managed policies (model/data/aws-managed-policies.jsonl.gz).

Each managed policy is the sole identity policy of an IAM user, ``alice`` of account
111122223333; the role's trust policy delegates to that account (its root), so the identity
side decides (R9 cross-account, R10 same-account, R5 for the policies with a matching Deny).
Both engines must reach the same decision, rule, denied_by, action, error_code and message
(a policy the model cannot read would be a MalformedPolicyDocument at R0, from both: the same
error), or both raise :class:`rolecall.model.UndecidableError`.

Time: the solver decides one corpus policy in ~15 ms (median; up to ~90 ms for the largest),
mostly building the Z3 terms of the policy, so 1,641 policies cost ~25-30 s per role. Hence:

* :data:`FULL_ROLES` (same account, cross account, a service-linked role with a deep path) are
  decided against **every** policy;
* :data:`MORE_ROLES` (a pathed role, patterned role names that some managed policies grant by
  resource pattern, a role in another partition) against the policies that *could* grant
  sts:AssumeRole (:func:`could_grant`, 38 of them): a policy with no Allow or Deny that can
  cover sts:AssumeRole is an implicit deny by the identity-based policy whatever the role, and
  that the solver gets this right is checked on the full roles already.

Measured: ~65-70 s in all, ~17-25 s for each of the three full runs (marked ``slow``, which CI still
runs: the pytest configuration deselects nothing).
"""

from __future__ import annotations

import copy
import fnmatch
import gzip
import json
from collections import Counter
from functools import cache
from typing import Any

import pytest

from rolecall.model import Result, UndecidableError, decide, load_scenario
from rolecall.model.arn import parse_role_arn
from rolecall.model.policy import load_json
from rolecall.model.solver import decide as solver_decide
from tests.conftest import CORPUS

CORPUS_SIZE = 1641
CALLER = "arn:aws:iam::111122223333:user/alice"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}
    ],
}

SAME_ACCOUNT = "arn:aws:iam::111122223333:role/target"
CROSS_ACCOUNT = "arn:aws:iam::444455556666:role/target"
SERVICE_LINKED = "arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
PATHED = "arn:aws:iam::111122223333:role/service-role/x"
STACKSETS = "arn:aws:iam::444455556666:role/stacksets-exec-0123456789abcdef0123456789abcdef"
CDK = "arn:aws:iam::111122223333:role/cdk-hnb659fds-deploy-role-111122223333-us-east-1"
OTHER_PARTITION = "arn:aws-cn:iam::111122223333:role/target"  # the caller is in aws: R2 denies

FULL_ROLES = [SAME_ACCOUNT, CROSS_ACCOUNT, SERVICE_LINKED]
MORE_ROLES = [PATHED, STACKSETS, CDK, OTHER_PARTITION]

FIELDS = ("decision", "rule", "denied_by", "action", "error_code", "message", "assumed_role")


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    """The corpus, decoded with the model's JSON reader (which records repeated keys)."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        return tuple(load_json(line) for line in fh if line.strip())


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def could_grant(document: dict[str, Any]) -> bool:
    """Whether some statement's Action covers sts:AssumeRole (IAM globs, any case), or it has a NotAction."""
    for statement in _listed(document.get("Statement", [])):
        if "NotAction" in statement:
            return True
        if any(fnmatch.fnmatchcase("sts:assumerole", str(a).lower()) for a in _listed(statement.get("Action", []))):
            return True
    return False


def scenario(document: Any, role_arn: str) -> dict[str, Any]:
    return {
        "caller": {"arn": CALLER, "identity_policies": [document]},
        "role": {"arn": role_arn, "trust_policy": copy.deepcopy(TRUST)},
        "request": {"role_session_name": "corpus"},
        # a fixed clock, so that both engines read the same aws:CurrentTime
        "context": {"aws:CurrentTime": "2025-01-01T00:00:00Z"},
    }


def _outcome(engine: Any, doc: dict[str, Any]) -> Result | UndecidableError:
    try:
        result: Result = engine(load_scenario(doc))
    except UndecidableError as exc:
        return exc
    return result


def _show(r: Result | UndecidableError) -> str:
    return f"UndecidableError: {r}" if isinstance(r, UndecidableError) else json.dumps(r.to_json(), sort_keys=True)


def check(role_arn: str, rows: list[dict[str, Any]]) -> Counter[str]:
    """Decide every policy of ``rows`` against ``role_arn`` with both engines: the model's outcomes,
    counted; every disagreement is reported at once, each with its replayable scenario."""
    parse_role_arn(role_arn)
    counts: Counter[str] = Counter()
    disagreements = []
    for row in rows:
        doc = scenario(row["document"], role_arn)
        model, solver = _outcome(decide, doc), _outcome(solver_decide, doc)
        if isinstance(model, UndecidableError) or isinstance(solver, UndecidableError):
            counts["undecidable"] += 1
            agree = isinstance(model, UndecidableError) and isinstance(solver, UndecidableError)
        else:
            counts[model.decision if model.error_code is None else f"error:{model.error_code}"] += 1
            agree = all(getattr(model, f) == getattr(solver, f) for f in FIELDS)
        if not agree:
            disagreements.append(
                f"{row['name']}:\n  scenario: {json.dumps(doc, sort_keys=True)}\n"
                f"  model:    {_show(model)}\n  solver:   {_show(solver)}"
            )
    assert sum(counts.values()) == len(rows)
    assert not disagreements, f"{len(disagreements)} disagreement(s) on {role_arn}:\n" + "\n".join(disagreements)
    return counts


def test_corpus_is_complete() -> None:
    rows = corpus()
    assert len(rows) == CORPUS_SIZE == len({row["name"] for row in rows})
    assert all({"name", "arn", "version", "document"} <= set(row) for row in rows)
    assert 0 < sum(could_grant(row["document"]) for row in rows) < 100


@pytest.mark.slow
@pytest.mark.parametrize("role_arn", FULL_ROLES)
def test_every_managed_policy(role_arn: str) -> None:
    counts = check(role_arn, list(corpus()))
    assert sum(counts.values()) == CORPUS_SIZE
    # not vacuous: some policies grant, most do not
    assert counts["allowed"] > 0 and counts["implicitDeny"] > 0, counts


@pytest.mark.parametrize("role_arn", MORE_ROLES)
def test_policies_that_could_grant(role_arn: str) -> None:
    rows = [row for row in corpus() if could_grant(row["document"])]
    counts = check(role_arn, rows)
    if role_arn == OTHER_PARTITION:
        assert counts == {"implicitDeny": len(rows)}, counts
    else:
        assert counts["allowed"] > 0 and counts["implicitDeny"] > 0, counts
