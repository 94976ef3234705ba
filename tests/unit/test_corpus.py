"""The model against 1,641 real AWS managed policies (model/data/aws-managed-policies.jsonl.gz).

Every managed policy is a policy IAM stores, so each must parse as an identity
policy; and used as a caller's sole identity policy, with a trust policy that
delegates to the caller's account (so the identity side decides, R9/R10e), each
must decide sts:AssumeRole to ``allowed`` or to a deny by the identity-based
policy, never raise. Conditions on keys that AssumeRole does not carry simply do
not hold, which is AWS's behaviour too.

The exact counts of allowing policies are a regression number: see
:data:`EXPECTED_ALLOWED` for how they were derived.
"""

from __future__ import annotations

import copy
import gzip
from collections import Counter
from functools import cache
from typing import Any

import pytest

from rolecall.model import InputError, PolicyKind, Result, decide, load_scenario, parse_policy
from rolecall.model.policy import load_json
from tests.conftest import CORPUS

CALLER = "arn:aws:iam::111111111111:user/alice"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}
    ],
}
SAME_ACCOUNT = "arn:aws:iam::111111111111:role/R"
CROSS_ACCOUNT = "arn:aws:iam::222222222222:role/service-role/Deploy"
SERVICE_LINKED = "arn:aws:iam::222222222222:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
STACKSETS = "arn:aws:iam::222222222222:role/stacksets-exec-0123456789abcdef0123456789abcdef"
CDK = "arn:aws:iam::111111111111:role/cdk-hnb659fds-deploy-role-111111111111-us-east-1"
ROLES = [SAME_ACCOUNT, CROSS_ACCOUNT, SERVICE_LINKED, STACKSETS, CDK]

#: The policies that grant sts:AssumeRole on every role: an Allow of "sts:AssumeRole" on
#: Resource "*" with no condition, or (SageMakerStudioProjectUserRolePolicy and
#: ...PermissionsBoundary) with only ``StringNotEquals aws:PrincipalTag/AmazonDataZoneProject
#: ""``, which holds when the caller has no such tag (a negated operator on a missing key
#: is true). No corpus policy allows "*" or "sts:*" (AdministratorAccess and PowerUserAccess
#: are not in the corpus), and SageMakerStudioEMRInstanceRolePolicy's Allow on "*" is
#: conditioned on iam:ResourceTag/AmazonDataZoneProject, absent here.
ALLOW_EVERY_ROLE = frozenset(
    {
        "AdministratorAccess-Amplify",
        "SageMakerStudioAdminIAMDefaultExecutionPolicy",
        "SageMakerStudioAdminIAMPermissiveExecutionPolicy",
        "SageMakerStudioProjectUserRolePermissionsBoundary",
        "SageMakerStudioProjectUserRolePolicy",
        "SageMakerStudioUserIAMDefaultExecutionPolicy",
        "SageMakerStudioUserIAMPermissiveExecutionPolicy",
    }
)

#: Allowing policies per role ARN. Derived once by deciding every corpus policy against
#: each role (the loop of :func:`outcomes`), then checked by hand against the corpus: a
#: grep of every statement whose Action/NotAction can cover sts:AssumeRole (``*``,
#: ``sts:*``, ``sts:AssumeRole``, NotAction) finds the 7 of :data:`ALLOW_EVERY_ROLE` on
#: ``Resource: "*"``, plus statements on patterned resources (``arn:aws:iam::*:role/NAME*``):
#:
#: * STACKSETS matches CloudFormationStackSetsOrgAdminServiceRolePolicy's unconditioned
#:   ``arn:aws:iam::*:role/stacksets-exec-*``: 7 + 1 = 8;
#: * CDK (same account as the caller) matches AmplifyBackendDeployFullAccess's
#:   ``arn:aws:iam::*:role/cdk-*-deploy-role-*-*`` under ``StringEquals aws:ResourceAccount =
#:   ${aws:PrincipalAccount}``, which holds (the model derives aws:ResourceAccount, the role's
#:   account, GKEYS): 7 + 1 = 8 (see :func:`test_resource_account_condition`).
#:
#: The 12 explicit denies are AWSDenyAll (Deny "*") and 11 permissions-boundary-style
#: policies whose ``Deny NotAction [...]`` lists no sts action.
EXPECTED_ALLOWED = {SAME_ACCOUNT: 7, CROSS_ACCOUNT: 7, SERVICE_LINKED: 7, STACKSETS: 8, CDK: 8}
EXPECTED_EXPLICIT_DENY = 12
CORPUS_SIZE = 1641


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    """The corpus, decoded with the model's JSON reader (which records repeated keys)."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        return tuple(load_json(line) for line in fh if line.strip())


def by_name(name: str) -> dict[str, Any]:
    return next(row for row in corpus() if row["name"] == name)


def scenario(document: Any, role_arn: str, **caller: Any) -> dict[str, Any]:
    return {
        "caller": {"arn": CALLER, "identity_policies": [document], **caller},
        "role": {"arn": role_arn, "trust_policy": copy.deepcopy(TRUST)},
        "request": {"role_session_name": "corpus"},
        # A fixed clock: no corpus policy tests aws:CurrentTime today, but one may tomorrow.
        "context": {"aws:CurrentTime": "2025-01-01T00:00:00Z"},
    }


def decide_with(document: Any, role_arn: str, **kw: Any) -> Result:
    return decide(load_scenario(scenario(document, role_arn, **kw)))


@cache
def outcomes(role_arn: str) -> dict[str, Result | BaseException]:
    out: dict[str, Result | BaseException] = {}
    for row in corpus():
        try:
            out[row["name"]] = decide_with(row["document"], role_arn)
        except Exception as exc:  # reported, with the policy's name, by the test
            out[row["name"]] = exc
    return out


def test_corpus_has_every_managed_policy_once() -> None:
    rows = corpus()
    assert len(rows) == CORPUS_SIZE
    names = Counter(row["name"] for row in rows)
    assert len(names) == CORPUS_SIZE, names.most_common(3)
    for row in rows:
        assert set(row) >= {"name", "arn", "version", "document"}
        assert isinstance(row["document"], dict)


@pytest.mark.parametrize("kind", [PolicyKind.IDENTITY, PolicyKind.BOUNDARY])
def test_every_managed_policy_parses(kind: PolicyKind) -> None:
    """IAM stored every one of them, so the model must accept every one (boundaries share the grammar)."""
    failures = {}
    for row in corpus():
        try:
            policy = parse_policy(row["document"], kind)
        except Exception as exc:  # reported, with the policy's name
            failures[row["name"]] = f"{type(exc).__name__}: {exc}"
            continue
        assert policy.statements
    assert failures == {}


@pytest.mark.parametrize("role_arn", ROLES)
def test_every_managed_policy_decides_on_the_identity_side(role_arn: str) -> None:
    results = outcomes(role_arn)
    errors = {name: f"{type(r).__name__}: {r}" for name, r in results.items() if isinstance(r, BaseException)}
    assert errors == {}, "a managed policy made the model raise (UndecidableError included)"
    kinds: Counter[str] = Counter()
    for name, r in results.items():
        assert isinstance(r, Result)
        kinds[r.decision] += 1
        if r.decision == "allowed":
            assert r.assumed_role is not None and r.denied_by is None
        else:
            assert r.decision in ("implicitDeny", "explicitDeny"), (name, r)
            assert r.denied_by == PolicyKind.IDENTITY.value, (name, r)
            assert r.action == "sts:AssumeRole"
    assert kinds["allowed"] == EXPECTED_ALLOWED[role_arn]
    assert kinds["explicitDeny"] == EXPECTED_EXPLICIT_DENY
    assert kinds["implicitDeny"] == CORPUS_SIZE - EXPECTED_ALLOWED[role_arn] - EXPECTED_EXPLICIT_DENY


@pytest.mark.parametrize("role_arn", ROLES)
def test_the_allowing_policies_are_the_expected_ones(role_arn: str) -> None:
    allowed = {n for n, r in outcomes(role_arn).items() if isinstance(r, Result) and r.decision == "allowed"}
    extra = {
        STACKSETS: {"CloudFormationStackSetsOrgAdminServiceRolePolicy"},
        CDK: {"AmplifyBackendDeployFullAccess"},
    }.get(role_arn, set())
    assert allowed == ALLOW_EVERY_ROLE | extra


def test_administrator_access_amplify_allows() -> None:
    result = decide_with(by_name("AdministratorAccess-Amplify")["document"], CROSS_ACCOUNT)
    assert result.decision == "allowed"
    assert result.assumed_role is not None
    assert result.assumed_role.arn == "arn:aws:sts::222222222222:assumed-role/Deploy/corpus"


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_read_only_access_has_no_assume_role_and_denies() -> None:
    doc = by_name("ReadOnlyAccess")["document"]
    assert all("Action" in st and "NotAction" not in st for st in doc["Statement"])
    actions = [a for st in doc["Statement"] for a in _listed(st["Action"])]
    sts = sorted(a for a in actions if a.lower().startswith("sts:"))
    assert sts == ["sts:GetAccessKeyInfo", "sts:GetCallerIdentity", "sts:GetSessionToken"]
    for role_arn in (SAME_ACCOUNT, CROSS_ACCOUNT):
        result = decide_with(doc, role_arn)
        assert (result.decision, result.denied_by) == ("implicitDeny", PolicyKind.IDENTITY.value)
        assert result.message and result.message.endswith(
            "because no identity-based policy allows the sts:AssumeRole action"
        )


def test_deny_all_is_an_explicit_deny_citing_its_statement() -> None:
    result = decide_with(by_name("AWSDenyAll")["document"], SAME_ACCOUNT)
    assert (result.decision, result.denied_by, result.rule) == ("explicitDeny", PolicyKind.IDENTITY.value, "R5")
    assert [(r.policy, r.statement, r.sid, r.effect) for r in result.reasons] == [
        (PolicyKind.IDENTITY.value, 0, "DenyAll", "Deny")
    ]


def test_negated_condition_on_a_principal_tag() -> None:
    """SageMakerStudioProjectUserRolePolicy: Allow if aws:PrincipalTag/AmazonDataZoneProject != ""."""
    doc = by_name("SageMakerStudioProjectUserRolePolicy")["document"]
    assert decide_with(doc, CROSS_ACCOUNT).decision == "allowed"  # tag absent: negated operator holds
    assert decide_with(doc, CROSS_ACCOUNT, tags={"AmazonDataZoneProject": "p1"}).decision == "allowed"
    assert decide_with(doc, CROSS_ACCOUNT, tags={"AmazonDataZoneProject": ""}).decision == "implicitDeny"
    assert decide_with(doc, CROSS_ACCOUNT, tags={"amazondatazoneproject": ""}).decision == "implicitDeny"


def test_resource_account_condition() -> None:
    """AmplifyBackendDeployFullAccess: cdk-*-deploy-role-*-* if aws:ResourceAccount = ${aws:PrincipalAccount}.

    The model derives aws:ResourceAccount (the role's account, GKEYS), so the same-account
    CDK role is allowed, a cross-account one is not, and the key cannot be overridden.
    """
    doc = by_name("AmplifyBackendDeployFullAccess")["document"]
    assert decide_with(doc, CDK).decision == "allowed"
    other = "arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-east-1"
    assert decide_with(doc, other).decision == "implicitDeny"
    assert decide_with(doc, SAME_ACCOUNT).decision == "implicitDeny"  # R does not match cdk-*-deploy-role-*-*
    s = scenario(doc, CDK)
    s["context"]["aws:ResourceAccount"] = "222222222222"
    with pytest.raises(InputError, match="computed from the scenario"):
        load_scenario(s)


def test_policy_variables_in_resource_and_conditions() -> None:
    """AWSTransformServerMigrationAgentPolicy: Resource role/AWSTransformRehostSharingRole_${aws:PrincipalAccount},
    sts:ExternalId = ${aws:PrincipalAccount}:workspace/${aws:PrincipalTag/WorkspaceId},
    aws:ResourceOrgID = ${aws:PrincipalOrgID} (both derived from the organization)."""
    doc = by_name("AWSTransformServerMigrationAgentPolicy")["document"]
    role = "arn:aws:iam::222222222222:role/AWSTransformRehostSharingRole_111111111111"
    s = scenario(doc, role, tags={"WorkspaceId": "ws1"})
    s["organization"] = {
        "id": "o-a1b2c3d4e5",
        "management_account": "999999999999",
        "members": ["111111111111", "222222222222"],
    }
    s["request"]["external_id"] = "111111111111:workspace/ws1"
    assert decide(load_scenario(s)).decision == "allowed"
    for path, value in (
        (("request", "external_id"), "111111111111:workspace/ws2"),
        (("organization", "members"), ["111111111111"]),  # the role's account leaves the organization
        (("role", "arn"), "arn:aws:iam::222222222222:role/AWSTransformRehostSharingRole_222222222222"),
    ):
        t = copy.deepcopy(s)
        t[path[0]][path[1]] = value
        assert decide(load_scenario(t)).decision == "implicitDeny", path
