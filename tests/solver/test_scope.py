"""No false all-clear: a query never proves a claim that rests on a statement the encoding does not state.

The encoding states the ``sts:AssumeRole`` door. Each construct below opens another door (a
federated action for a principal that can match a federated caller) or decides a request the
model has no field for (``sts:SetContext``); for each, a PROVED would be false, so every query
whose claim depends on it must answer Unknown naming the statement (``model/solver/scope.py``).
The second half checks the other side: where the claim provably does not depend on such a
statement, the query still answers, and a real counterexample is still reported.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rolecall.model import PolicyKind, parse_policy
from rolecall.model.solver import Counterexample, Proved, Unknown
from rolecall.model.solver import queries as q
from rolecall.model.solver.scope import admitting, comparison_gap, federated_part

ROLE_ACCOUNT = "111122223333"
GITHUB = f"arn:aws:iam::{ROLE_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
SAML = f"arn:aws:iam::{ROLE_ACCOUNT}:saml-provider/Okta"
EKS = f"arn:aws:iam::{ROLE_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789"
OWN_ACCOUNT = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ROLE_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}


def trust(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, PolicyKind.TRUST)


def allow(principal: Any, action: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    key = "NotAction" if extra.pop("not_action", False) else "Action"
    out: dict[str, Any] = {"Effect": "Allow", "Principal": principal, key: action, **extra}
    if condition:
        out["Condition"] = condition
    return out


#: Statements through which someone a query does not see can assume the role: a PROVED that
#: nobody outside can, that the policy grants nothing, or that every caller needs an
#: ExternalId, would each be false.
OPENING: dict[str, dict[str, Any]] = {
    "github-any-repository": allow(
        {"Federated": GITHUB},
        "sts:AssumeRoleWithWebIdentity",
        {"StringLike": {"token.actions.githubusercontent.com:sub": "*"}},
    ),
    "github-no-sub": allow(
        {"Federated": GITHUB},
        "sts:AssumeRoleWithWebIdentity",
        {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
    ),
    "eks-any-service-account": allow(
        {"Federated": EKS},
        "sts:AssumeRoleWithWebIdentity",
        {"StringLike": {"oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789:sub": "system:serviceaccount:*"}},
    ),
    "cognito-unauthenticated": allow(
        {"Federated": "cognito-identity.amazonaws.com"},
        "sts:AssumeRoleWithWebIdentity",
        {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:12345678-1234-1234-1234-123456789012"}},
    ),
    "google-no-aud": allow({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity"),
    "saml": allow(
        {"Federated": SAML},
        "sts:AssumeRoleWithSAML",
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    ),
    "star-principal-web-identity": allow("*", "sts:AssumeRoleWithWebIdentity"),
    "aws-star-principal-saml": allow({"AWS": "*"}, "sts:AssumeRoleWithSAML"),
    "sts-star-action": allow({"Federated": GITHUB}, "sts:*"),
    "star-action": allow({"Federated": SAML}, "*"),
    "action-wildcard": allow({"Federated": GITHUB}, "sts:AssumeRoleWith*"),
    "not-action": allow({"Federated": GITHUB}, "sts:AssumeRole", not_action=True),
    "beside-a-stated-door": allow(
        {"AWS": f"arn:aws:iam::{ROLE_ACCOUNT}:root", "Federated": GITHUB},
        ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"],
    ),
}


def _unknown_naming(answer: Any, index: int) -> None:
    assert isinstance(answer, Unknown), answer
    assert f"$.Statement[{index}]" in answer.reason, answer.reason
    assert "not stated" in answer.reason


#: What check-no-public-access answers once the federated frame states the statement (docs/federation.md
#: §6.2): public issuers without a tenant pin are public; per-tenant issuers and SAML never are; ``"*"``,
#: whose matching of federated callers is contested, stays unknown.
PUBLIC = {
    "github-any-repository": Counterexample,
    "github-no-sub": Counterexample,
    "eks-any-service-account": Proved,
    "cognito-unauthenticated": Proved,
    "google-no-aud": Counterexample,
    "saml": Proved,
    "star-principal-web-identity": Unknown,
    "aws-star-principal-saml": Unknown,
    "sts-star-action": Counterexample,
    "star-action": Proved,
    "action-wildcard": Counterexample,
    "not-action": Counterexample,
    "beside-a-stated-door": Counterexample,
}


#: Openings whose principal is ``"*"``: whether it matches a federated caller is contested, so no proof rests on it.
STAR = {"star-principal-web-identity", "aws-star-principal-saml"}
#: Openings that also grant a companion action (sts:TagSession…) to the federated caller: tokens passing session
#: tags are not in the federated frame, so a claim about sts:TagSession requests depends on them.
COMPANIONS = {"sts-star-action", "star-action", "not-action"}


def _replays_allowed(answer: Any) -> None:
    assert isinstance(answer, Counterexample), answer
    assert q._replay(answer.scenario) == "allowed"


@pytest.mark.parametrize("name", sorted(OPENING))
def test_single_policy_claims(name: str) -> None:
    """The role's own account's AssumeRole grant comes first (the stated door proves everything
    about it), the opening statement second: each query answers for the federated doors too
    (tests/solver/test_federated_queries.py), except where its claim rests on the contested ``"*"``
    or on tokens passing session tags, where it names statement 1."""
    policy = trust(OWN_ACCOUNT, OPENING[name])
    assert [g.index for g in admitting(policy)] == [1]
    public = q.check_no_public_access(policy)
    assert isinstance(public, PUBLIC[name]), public
    if isinstance(public, Unknown):
        _unknown_naming(public, 1)
    alone = q.check_access_not_granted(trust(OPENING[name]))  # "grants nothing at all"
    if name in STAR:
        _unknown_naming(alone, 0)
    else:  # a token the statement admits (or, beside the stated door, an AWS caller)
        _replays_allowed(alone)
    # a federated caller is in no AWS account: --account selects AWS callers only
    assert isinstance(q.check_access_not_granted(policy, accounts=["444455556666"]), Proved)
    tagged = q.check_access_not_granted(policy, actions=["sts:TagSession"])
    if name in STAR | COMPANIONS:
        _unknown_naming(tagged, 1)
    else:
        assert isinstance(tagged, Proved), tagged
    external = q.external_id_required(policy)  # no AWS caller of another account gets in
    assert isinstance(external, Proved), external
    assert "$.Statement[1] can admit tokens" in external.statement
    found = q.who_can_assume(policy)
    assert {f.principal for f in found.findings} >= {f"arn:aws:iam::{ROLE_ACCOUNT}:root"}  # the stated door's
    if name in STAR:
        assert found.unknown is not None and "$.Statement[1]" in found.unknown.reason
    else:
        assert found.unknown is None, found.unknown
        assert [f.statement for f in found.federated] == [1]
        assert found.federated[0].public is (PUBLIC[name] is Counterexample)


@pytest.mark.parametrize("name", sorted(OPENING))
def test_comparisons(name: str) -> None:
    """Opening a federated door is new access, found as a token (a counterexample replays through the
    model under both policies); closing one is not. A ``"*"`` opening stays unknown: under the other
    reading of the contested point it admits every token."""
    base, opened = trust(OWN_ACCOUNT), trust(OWN_ACCOUNT, OPENING[name])
    widened = [q.check_no_new_access(base, opened), q.check_equivalent(base, opened), q.check_equivalent(opened, base)]
    for answer in widened:
        if name in STAR:
            _unknown_naming(answer, 1)
            continue
        _replays_allowed(answer)
        assert answer.compare is not None and answer.compare["decision"] == "implicitDeny"  # type: ignore[union-attr]
        assert answer.scenario["api"] != "AssumeRole"  # type: ignore[union-attr]
    assert isinstance(q.check_no_new_access(opened, base), Proved)


def test_a_removed_federated_deny_is_new_access() -> None:
    """FED-16's shape: the Deny on pull-request tokens goes; the new policy admits them."""
    grant = allow(
        {"Federated": GITHUB},
        "sts:AssumeRoleWithWebIdentity",
        {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}},
    )
    deny = {
        "Effect": "Deny",
        "Principal": {"Federated": GITHUB},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/app:pull_request"}},
    }
    old, new = trust(OWN_ACCOUNT, grant, deny), trust(OWN_ACCOUNT, grant)
    answer = q.check_no_new_access(old, new)
    _replays_allowed(answer)
    assert answer.scenario["federated_caller"]["claims"]["sub"] == "repo:acme/app:pull_request"  # type: ignore[union-attr]
    assert answer.compare is not None and answer.compare["decision"] == "explicitDeny"  # type: ignore[union-attr]
    assert isinstance(q.check_no_new_access(new, old), Proved)


def test_a_provided_context_grant_is_new_access() -> None:
    """``sts:SetContext`` decides AssumeRole requests with ProvidedContexts, which the model lacks."""
    context = allow({"AWS": f"arn:aws:iam::{ROLE_ACCOUNT}:root"}, "sts:SetContext")
    _unknown_naming(q.check_no_new_access(trust(OWN_ACCOUNT), trust(OWN_ACCOUNT, context)), 1)


# =========================================================================== where the claim does not depend


@pytest.mark.parametrize(
    "statement",
    [
        allow({"Federated": GITHUB}, "sts:AssumeRole"),  # FED-51: the door and the principal never meet
        allow({"Federated": GITHUB}, ["sts:TagSession", "sts:SetSourceIdentity"]),  # companions open no door
        allow({"AWS": "arn:aws:iam::444455556666:root"}, "sts:AssumeRoleWithWebIdentity"),  # no federated caller
        {"Effect": "Deny", "Principal": {"Federated": GITHUB}, "Action": "sts:*"},  # a Deny takes away only
    ],
    ids=["federated-assume-role", "federated-companions", "aws-principal-web-identity", "federated-deny"],
)
def test_statements_that_admit_nobody_keep_the_proof(statement: dict[str, Any]) -> None:
    policy = trust(OWN_ACCOUNT, statement)
    assert admitting(policy) == []
    assert isinstance(q.check_no_public_access(policy), Proved)
    assert q.who_can_assume(policy).unknown is None


@pytest.mark.parametrize(
    ("condition", "admits"),
    [
        ({"StringEquals": {"sts:ExternalId": "x"}}, False),  # a federated caller presents no ExternalId
        ({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, False),  # nor belongs to an organization
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}}, False),
        ({"StringEquals": {"aws:PrincipalTag/team": "a"}}, False),
        ({"StringEqualsIfExists": {"sts:ExternalId": "x"}}, True),  # true when the key is absent
        ({"StringNotEquals": {"sts:ExternalId": "x"}}, True),
        ({"Null": {"sts:ExternalId": "true"}}, True),
        ({"ForAllValues:StringEquals": {"aws:PrincipalTag/team": "a"}}, True),
        ({"StringEquals": {"aws:SourceIp": "10.0.0.1"}}, True),  # present in a federated request
        ({"StringEquals": {"aws:PrincipalType": "User"}}, True),  # contested for a federated caller (F6)
    ],
)
def test_conditions_no_federated_request_meets(condition: dict[str, Any], admits: bool) -> None:
    """A "*" principal with sts:* admits a federated caller unless a condition is false whenever a
    key every federated request lacks is absent (the model evaluates it on such a context)."""
    policy = trust(allow("*", "sts:*", condition))
    assert bool(admitting(policy)) is admits
    answer = q.check_no_public_access(policy, trusted_accounts=[ROLE_ACCOUNT])
    if admits:
        assert not isinstance(answer, Proved), answer
    else:
        assert not (isinstance(answer, Unknown) and answer.reason.startswith("not stated")), answer


def test_named_principals_are_never_federated_callers() -> None:
    policy = trust(OWN_ACCOUNT, OPENING["github-any-repository"])
    answer = q.check_access_not_granted(policy, principals=["arn:aws:iam::444455556666:user/mallory"])
    assert isinstance(answer, Proved), answer


def test_identity_policies_take_no_part_in_federated_decisions() -> None:
    """The federated caller has no AWS identity (docs/semantics.md §8); an identity policy granting the federated
    actions grants nothing."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWith*", "Resource": "*"}],
    }
    identity = parse_policy(doc, PolicyKind.IDENTITY)
    assert isinstance(q.check_access_not_granted(identity), Proved)
    assert comparison_gap(identity, identity) is None


def test_comparisons_rest_on_the_stated_door_when_the_federated_parts_agree() -> None:
    """Both policies trust GitHub alike (Sid and order aside); they differ in the AssumeRole door only."""
    gh = OPENING["github-any-repository"]
    partner = allow({"AWS": "arn:aws:iam::444455556666:root"}, "sts:AssumeRole")
    narrow, wide = trust({**gh, "Sid": "GitHub"}, OWN_ACCOUNT), trust(OWN_ACCOUNT, partner, gh, gh)
    assert comparison_gap(narrow, wide) is None
    assert isinstance(q.check_no_new_access(wide, narrow), Proved)
    found = q.check_no_new_access(narrow, wide)
    assert isinstance(found, Counterexample)  # the partner account, through sts:AssumeRole
    assert found.scenario["caller"]["arn"].split(":")[4] == "444455556666"


def test_a_real_counterexample_stands_beside_an_unstated_statement() -> None:
    policy = trust(allow("*", "sts:AssumeRole"), OPENING["saml"])
    answer = q.check_no_public_access(policy)
    assert isinstance(answer, Counterexample), answer


def test_the_federated_part_names_every_statement_of_a_federated_decision() -> None:
    policy = trust(
        OWN_ACCOUNT,
        OPENING["github-any-repository"],
        allow({"Federated": GITHUB}, "sts:TagSession"),
        allow({"AWS": f"arn:aws:iam::{ROLE_ACCOUNT}:root"}, ["sts:AssumeRole", "sts:SetContext"]),
    )
    part = [(i, acts) for i, _, acts in federated_part(policy)]
    assert part == [(1, ("sts:AssumeRoleWithWebIdentity",)), (2, ("sts:TagSession",)), (3, ("sts:SetContext",))]


def test_the_issue_reproduction_on_the_command_line(tmp_path: Any) -> None:
    """The report: who-can-assume printed "nobody", check-no-public-access and
    check-access-not-granted printed PROVED, on a trust any GitHub repository can use."""
    import io

    from rolecall.conformance.cli import main

    path = tmp_path / "github.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [OPENING["github-any-repository"]]}))
    answers = {
        # the federated frame answers them all (docs/federation.md §6): any GitHub repository can get in
        "who-can-assume": (0, "PUBLIC"),
        "check-no-public-access": (1, "COUNTEREXAMPLE"),
        "check-access-not-granted": (1, "COUNTEREXAMPLE"),
    }
    for command, (exit_code, word) in answers.items():
        out, err = io.StringIO(), io.StringIO()
        code = main([command, str(path)], stdin=io.StringIO(), stdout=out, stderr=err)
        assert code == exit_code, (command, out.getvalue(), err.getvalue())
        assert word in out.getvalue(), out.getvalue()
        assert "PROVED" not in out.getvalue() and "nobody" not in out.getvalue()
