"""The queries answer for federated callers (docs/federation.md §6, the solver issue's step 3).

* **The §6 cases**: a GitHub trust with a wildcard ``sub``, an org pattern, no ``sub`` at all,
  Google without ``aud``, an EKS cluster, Cognito with and without guests, SAML, another account's
  provider: ``who_can_assume`` says who in the issuer's terms and whether anyone on the internet can
  get in, ``check_no_public_access`` proves or gives the public token, ``check_federated_subjects``
  proves or gives a token with another subject. Every witness and counterexample replays through
  the model as allowed.
* **Proofs hold**: over scenarios drawn by ``federated_scenarios(decision="allowed")`` (every family,
  every allowed plan), a PROVED of ``check_federated_subjects`` is checked against the drawn token
  the model allows, and ``who_can_assume`` never answers "nobody" for a trust the model lets that
  token through.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rolecall.model import InputError, PolicyKind, Semantics, decide, load_scenario, parse_policy
from rolecall.model.match import glob_parts, string_glob_matches
from rolecall.model.solver import Counterexample, Proved, Unknown
from rolecall.model.solver import queries as q
from rolecall.strategies import federated_scenarios
from tests.examples import scaled

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy"
GH_HOST = "token.actions.githubusercontent.com"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GH_HOST}"
EKS_HOST = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789"
EKS = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{EKS_HOST}"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
COGNITO = "cognito-identity.amazonaws.com"
WEB, SAML_ACTION = "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"


def trust(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, PolicyKind.TRUST)


def allow(principal: str, action: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": principal}, "Action": action}
    if condition:
        out["Condition"] = condition
    return out


def allowed(doc: dict[str, Any]) -> bool:
    return decide(load_scenario(doc)).decision == "allowed"


#: name -> (statement, public?, words the admitted set must say)
CASES: dict[str, tuple[dict[str, Any], bool, str]] = {
    "github-wildcard-sub": (
        allow(GITHUB, WEB, {"StringLike": {f"{GH_HOST}:sub": "*"}}),
        True,
        "any GitHub Actions workflow or job of any owner",
    ),
    "github-owner-wildcard": (
        allow(GITHUB, WEB, {"StringLike": {f"{GH_HOST}:sub": "repo:acme*"}}),
        True,  # acme-evil is another owner whose name starts with acme (FED-PUB-WILDCARD-TENANT)
        "any owner",
    ),
    "github-org": (
        allow(GITHUB, WEB, {"StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}}),
        False,
        "any GitHub Actions repository or project of owner acme",
    ),
    "github-branch": (
        allow(GITHUB, WEB, {"StringEquals": {f"{GH_HOST}:sub": "repo:acme/app:ref:refs/heads/main"}}),
        False,
        "repo:acme/app:ref:refs/heads/main",
    ),
    "github-no-sub": (
        allow(GITHUB, WEB, {"StringEquals": {f"{GH_HOST}:aud": "sts.amazonaws.com"}}),
        True,
        "any owner",
    ),
    "github-vacuous-owner": (  # repository_owner is not a key AWS sets: ForAllValues holds on its absence
        allow(GITHUB, WEB, {"ForAllValues:StringEquals": {f"{GH_HOST}:repository_owner": "acme"}}),
        True,
        "any owner",
    ),
    "google-no-aud": (allow("accounts.google.com", WEB), True, "any Google account"),
    "google-aud": (
        allow(
            "accounts.google.com", WEB, {"StringEquals": {"accounts.google.com:aud": "1234.apps.googleusercontent.com"}}
        ),
        False,
        "client or app 1234.apps.googleusercontent.com",
    ),
    "eks-any-service-account": (allow(EKS, WEB), False, "any service account of EKS cluster ABCDEF0123456789"),
    "eks-one-service-account": (
        allow(EKS, WEB, {"StringEquals": {f"{EKS_HOST}:sub": "system:serviceaccount:prod:deployer"}}),
        False,
        "system:serviceaccount:prod:deployer",
    ),
    "cognito-guests": (
        allow(COGNITO, WEB, {"StringEquals": {f"{COGNITO}:aud": "us-east-1:pool-1"}}),
        False,
        "pool us-east-1:pool-1, unauthenticated guests included",
    ),
    "cognito-authenticated": (
        allow(
            COGNITO,
            WEB,
            {
                "StringEquals": {f"{COGNITO}:aud": "us-east-1:pool-1"},
                "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"},
            },
        ),
        False,
        "authenticated identities only",
    ),
    "saml": (
        allow(SAML, SAML_ACTION, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}),
        False,
        "any user of SAML provider Okta",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_section_6_cases(name: str) -> None:
    statement, public, words = CASES[name]
    policy = trust(statement)
    found = q.who_can_assume(policy, role_arn=ROLE)
    assert found.unknown is None, found.unknown
    (finding,) = found.federated
    assert finding.public is public, finding
    assert words in finding.admits, finding.admits
    assert allowed(finding.witness), finding.witness
    answer = q.check_no_public_access(policy, role_arn=ROLE)
    if public:
        assert isinstance(answer, Counterexample), answer
        assert allowed(answer.scenario)
    else:
        assert isinstance(answer, Proved), answer
    _the_other_queries(policy, statement["Principal"]["Federated"])


def _the_other_queries(policy: Any, issuer: str) -> None:
    """check-access-not-granted, external-id-required and the comparisons on one federated grant: the
    grant is access (found as a token the model allows), no AWS caller gets in, and the comparisons
    see the grant come and go."""
    granted = [
        q.check_access_not_granted(policy, role_arn=ROLE),  # "grants nothing at all"
        q.check_access_not_granted(policy, principals=[issuer], role_arn=ROLE),
        q.check_access_not_granted(policy, actions=[policy.statements[0].to_json()["Action"][0]], role_arn=ROLE),
    ]
    for answer in granted:
        assert isinstance(answer, Counterexample), answer
        assert allowed(answer.scenario) and answer.scenario["api"] != "AssumeRole"
    other = SAML if issuer != SAML else GITHUB
    selections: list[dict[str, Any]] = [
        {"principals": [other]},
        {"accounts": [ACCOUNT]},
        {"actions": ["sts:AssumeRole"]},
    ]
    for selected in selections:
        assert isinstance(q.check_access_not_granted(policy, role_arn=ROLE, **selected), Proved), selected
    external = q.external_id_required(policy, role_arn=ROLE)
    assert isinstance(external, Proved) and "$.Statement[0] can admit tokens" in external.statement, external
    nobody = trust({"Effect": "Deny", "Principal": {"Federated": issuer}, "Action": "sts:*"})
    opened = q.check_no_new_access(nobody, policy, role_arn=ROLE)
    assert isinstance(opened, Counterexample), opened
    assert allowed(opened.scenario) and opened.compare is not None and opened.compare["decision"] == "explicitDeny"
    assert isinstance(q.check_no_new_access(policy, nobody, role_arn=ROLE), Proved)
    assert isinstance(q.check_equivalent(policy, policy, role_arn=ROLE), Proved)
    closed = trust(
        policy.to_json()["Statement"][0], {"Effect": "Deny", "Principal": {"Federated": issuer}, "Action": "*"}
    )
    differ = q.check_equivalent(closed, policy, role_arn=ROLE)
    assert isinstance(differ, Counterexample) and "B allows and A does not" in differ.statement, differ
    assert differ.compare is not None and differ.compare["decision"] == "explicitDeny"


#: (old condition, new condition, what a token of new access shows): the comparisons of §6's narrowings.
WIDENINGS: dict[str, tuple[str, dict[str, Any], dict[str, Any], Any]] = {
    "github-branch-to-org": (
        GITHUB,
        {"StringEquals": {f"{GH_HOST}:sub": "repo:acme/app:ref:refs/heads/main"}},
        {"StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}},
        lambda c: c["sub"].startswith("repo:acme/") and c["sub"] != "repo:acme/app:ref:refs/heads/main",
    ),
    "github-org-to-any-owner": (
        GITHUB,
        {"StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}},
        {"StringLike": {f"{GH_HOST}:sub": "repo:*"}},
        lambda c: not c["sub"].startswith("repo:acme/"),
    ),
    "cognito-guests-let-in": (
        COGNITO,
        {
            "StringEquals": {f"{COGNITO}:aud": "us-east-1:pool-1"},
            "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"},
        },
        {"StringEquals": {f"{COGNITO}:aud": "us-east-1:pool-1"}},
        lambda c: c["amr"] == ["unauthenticated"],
    ),
    "eks-namespace-to-cluster": (
        EKS,
        {"StringLike": {f"{EKS_HOST}:sub": "system:serviceaccount:prod:*"}},
        {"StringLike": {f"{EKS_HOST}:sub": "system:serviceaccount:*"}},
        lambda c: not c["sub"].startswith("system:serviceaccount:prod:"),
    ),
    "saml-audience-dropped": (
        SAML,
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml", "SAML:sub_type": "persistent"}},
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        lambda a: a["name_id_format"] != "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    ),
}


@pytest.mark.parametrize("name", sorted(WIDENINGS))
def test_comparisons_find_the_widened_tokens(name: str) -> None:
    """check-no-new-access over a federated door: the widening is a token the new policy admits and the
    old one refuses, both decided by the model; the narrowing is proved; check-equivalent finds it
    either way round."""
    issuer, narrow_cond, wide_cond, shows = WIDENINGS[name]
    action = SAML_ACTION if issuer == SAML else WEB
    narrow, wide = trust(allow(issuer, action, narrow_cond)), trust(allow(issuer, action, wide_cond))
    found = q.check_no_new_access(narrow, wide, role_arn=ROLE)
    assert isinstance(found, Counterexample), found
    assert allowed(found.scenario) and found.compare is not None and found.compare["decision"] == "implicitDeny"
    caller = found.scenario["federated_caller"]
    assert shows(caller.get("claims") or caller["assertion"]), caller
    back = q.check_no_new_access(wide, narrow, role_arn=ROLE)
    if name == "cognito-guests-let-in":
        # Testing amr as well *widens* too: for an identity pool of another account, only a statement
        # that tests both aud and amr counts (F10, COG-BP), so the pool's owner is what tells them apart
        assert isinstance(back, Counterexample), back
        assert allowed(back.scenario) and back.scenario["federated_caller"]["cognito_pool_account"] != ACCOUNT
    else:
        assert isinstance(back, Proved), back
    assert isinstance(q.check_equivalent(wide, narrow, role_arn=ROLE), Counterexample)


def test_tagged_tokens_are_not_stated_in_a_comparison() -> None:
    """A TagSession grant to the federated caller, added: tokens that pass session tags are newly
    allowed, and the frame has none, so the comparison is unknown naming the statement (never a pass).
    Taking it away, or adding it as a Deny, narrows: proved."""
    base = allow(GITHUB, WEB, {"StringEquals": {f"{GH_HOST}:sub": "repo:acme/app:ref:refs/heads/main"}})
    tags = {"Effect": "Allow", "Principal": {"Federated": GITHUB}, "Action": "sts:TagSession"}
    old, new = trust(base), trust(base, tags)
    answer = q.check_no_new_access(old, new, role_arn=ROLE)
    assert isinstance(answer, Unknown) and "$.Statement[1] allows sts:TagSession" in answer.reason, answer
    assert isinstance(q.check_no_new_access(new, old, role_arn=ROLE), Proved)
    assert isinstance(q.check_no_new_access(old, trust(base, {**tags, "Effect": "Deny"}), role_arn=ROLE), Proved)
    tagged = q.check_access_not_granted(new, actions=["sts:TagSession"], role_arn=ROLE)
    assert isinstance(tagged, Unknown) and "$.Statement[1]" in tagged.reason, tagged


def test_an_identity_policy_has_no_federated_door() -> None:
    identity = parse_policy(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]},
        PolicyKind.IDENTITY,
    )
    with pytest.raises(InputError, match="no caller side"):
        q.check_access_not_granted(identity, actions=[WEB])


def test_a_public_token_carries_a_tenant_the_policy_does_not_name() -> None:
    policy = trust(CASES["github-owner-wildcard"][0])
    answer = q.check_no_public_access(policy, role_arn=ROLE)
    assert isinstance(answer, Counterexample)
    sub = answer.scenario["federated_caller"]["claims"]["sub"]
    assert sub.startswith("repo:acme") and not sub.startswith("repo:acme/"), sub  # another owner: acme…


def test_a_provider_of_another_account_never_matches() -> None:
    other = "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"
    found = q.who_can_assume(trust(allow(other, WEB)), role_arn=ROLE)
    assert found.unknown is None and not found.federated and not found.findings
    assert found.dead and found.dead[0][:2] == (0, other)
    assert isinstance(q.check_no_public_access(trust(allow(other, WEB)), role_arn=ROLE), Proved)


def test_the_wrong_door_never_matches() -> None:
    """FED-52: a SAML provider with the web identity action."""
    found = q.who_can_assume(trust(allow(SAML, WEB)), role_arn=ROLE)
    assert not found.federated and found.dead and "does not allow" in found.dead[0][2]


def test_a_trust_deny_takes_the_public_away() -> None:
    """Findings are computed after the trust policy's Denies (docs/federation.md §6.3)."""
    deny = {
        "Effect": "Deny",
        "Principal": {"Federated": GITHUB},
        "Action": WEB,
        "Condition": {"StringNotLike": {f"{GH_HOST}:sub": "repo:acme/*"}},
    }
    policy = trust(CASES["github-wildcard-sub"][0], deny)
    (finding,) = q.who_can_assume(policy, role_arn=ROLE).federated
    assert finding.public is False and "owner acme" in finding.admits
    assert isinstance(q.check_no_public_access(policy, role_arn=ROLE), Proved)


def test_the_star_principal_stays_unknown() -> None:
    """Whether "*" matches a federated caller is contested (scope.WILDCARD): no proof rests on it."""
    policy = trust({"Effect": "Allow", "Principal": "*", "Action": WEB})
    assert isinstance(q.check_no_public_access(policy, role_arn=ROLE), Unknown)
    assert q.who_can_assume(policy, role_arn=ROLE).unknown is not None
    assert isinstance(q.check_federated_subjects(policy, ["repo:acme/*"], role_arn=ROLE), Unknown)


def test_tokens_with_session_tags_are_not_stated() -> None:
    """A trust that reads the token's session tags: those tokens are not in the frame, so no proof."""
    st = allow(GITHUB, WEB, {"StringEquals": {"aws:RequestTag/team": "blue", f"{GH_HOST}:sub": "repo:acme/app:*"}})
    st["Action"] = [WEB, "sts:TagSession"]
    answer = q.check_federated_subjects(trust(st), ["repo:acme/*"], role_arn=ROLE)
    assert isinstance(answer, Unknown) and "session tags" in answer.reason, answer
    assert isinstance(q.check_no_public_access(trust(st), role_arn=ROLE), Unknown)


@pytest.mark.parametrize(
    ("patterns", "holds"),
    [
        (["repo:acme/*"], True),
        (["repo:acme/app:*", "repo:acme/infra:*"], False),
        (["repo:*"], True),
        (["repo:acme/*:ref:refs/heads/main"], False),
    ],
)
def test_check_federated_subjects(patterns: list[str], holds: bool) -> None:
    policy = trust(CASES["github-org"][0])
    answer = q.check_federated_subjects(policy, patterns, role_arn=ROLE)
    if holds:
        assert isinstance(answer, Proved), answer
        return
    assert isinstance(answer, Counterexample), answer
    sub = answer.scenario["federated_caller"]["claims"]["sub"]
    assert not any(string_glob_matches(glob_parts(p), sub) for p in patterns), sub
    assert allowed(answer.scenario)


def test_check_federated_subjects_across_issuers() -> None:
    """One answer over every federated statement: the SAML users are outside a GitHub pattern."""
    policy = trust(CASES["github-org"][0], CASES["saml"][0])
    answer = q.check_federated_subjects(policy, ["repo:acme/*"], role_arn=ROLE)
    assert isinstance(answer, Counterexample) and answer.scenario["api"] == "AssumeRoleWithSAML"
    both = q.check_federated_subjects(policy, ["repo:acme/*", "*"], role_arn=ROLE)
    assert isinstance(both, Proved)


def test_the_command_line(tmp_path: Any) -> None:
    from rolecall.conformance.cli import main

    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [CASES["github-org"][0]]}))
    out, err = io.StringIO(), io.StringIO()
    code = main(["who-can-assume", str(path), "--role-arn", ROLE], stdin=io.StringIO(), stdout=out, stderr=err)
    assert code == 0 and "any GitHub Actions repository or project of owner acme; not public" in out.getvalue()
    out = io.StringIO()
    args = ["check-federated-subjects", str(path), "--role-arn", ROLE, "--allow", "repo:acme/app:*"]
    assert main(args, stdin=io.StringIO(), stdout=out, stderr=err) == 1
    assert "COUNTEREXAMPLE" in out.getvalue() and "token of token.actions.githubusercontent.com" in out.getvalue()
    out = io.StringIO()
    assert main(["check-federated-subjects", str(path)], stdin=io.StringIO(), stdout=out, stderr=err) == 2


# =========================================================================== over drawn scenarios

PATTERNS = ["repo:acme/*", "system:serviceaccount:prod:*"]
#: what the property below met, for the vacuity check after it (a file's tests run on one worker, in order)
MET: Counter[str] = Counter()


@settings(max_examples=scaled(60), deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(federated_scenarios(decision="allowed"))
def test_proofs_hold_against_the_tokens_the_model_allows(doc: dict[str, Any]) -> None:
    """A drawn token the model lets in: who-can-assume must not say nobody, and a PROVED of
    check-federated-subjects must cover its subject (the drawn token is an enumerated member of the
    frame's universe)."""
    s = load_scenario(doc)
    assert decide(s).decision == "allowed"
    policy, role = s.role.trust_policy, s.role.arn.arn
    assert policy is not None  # an allowed scenario's role has its trust policy
    semantics = s.semantics if isinstance(s.semantics, Semantics) else None
    found = q.who_can_assume(policy, role_arn=role, semantics=semantics)
    assert found.unknown is not None or found.federated, "nobody, for a trust the model lets a token through"
    for f in found.federated:
        assert allowed(f.witness), f.witness
    answer = q.check_federated_subjects(policy, PATTERNS, role_arn=role, semantics=semantics)
    fc = doc["federated_caller"]
    sub = fc["assertion"]["name_id"] if "assertion" in fc else fc["claims"].get("sub")
    MET[type(answer).__name__] += 1
    if isinstance(answer, Proved):
        assert isinstance(sub, str) and any(string_glob_matches(glob_parts(p), sub) for p in PATTERNS), (sub, answer)
    elif isinstance(answer, Counterexample):
        assert allowed(answer.scenario)


def test_the_property_met_proofs_and_counterexamples() -> None:
    """Not vacuous: the drawn trusts gave both proofs to check against their tokens and counterexamples."""
    assert MET["Proved"] > 0 and MET["Counterexample"] > 0, MET


def test_a_witness_writes_the_request_keys_as_the_model_reads_them() -> None:
    """An ``IpAddress aws:SourceIp`` beside the token's conditions: the witness's source IP is an
    address the model reads (it once wrote ``""``, which the model refuses, and every query gave up
    after three attempts)."""
    policy = trust(
        allow(
            EKS,
            WEB,
            {
                "StringEquals": {f"{EKS_HOST}:sub": "system:serviceaccount:payments:api"},
                "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
            },
        )
    )
    found = q.who_can_assume(policy, role_arn=ROLE)
    assert found.unknown is None, found.unknown
    (finding,) = found.federated
    assert allowed(finding.witness)
    assert finding.witness["context"]["aws:sourceip"].startswith("203.0.113.")
    subjects = q.check_federated_subjects(policy, ["system:serviceaccount:prod:*"], role_arn=ROLE)
    assert isinstance(subjects, Counterexample) and allowed(subjects.scenario), subjects


def test_a_statement_reading_tag_keys_is_named_in_a_comparison() -> None:
    """A Deny on tokens that pass a session tag, added beside a GitHub grant: the frame states no token
    with tags, so the comparison names the statement (not stated), where it once answered a bare
    "unsupported"; the AssumeRole door's answer behind it stands for a counterexample."""
    grant = allow(GITHUB, WEB, {"StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}})
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:*",
        "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["k"]}},
    }
    answer = q.check_no_new_access(trust(grant), trust(grant, deny), role_arn=ROLE)
    assert isinstance(answer, Unknown) and answer.reason.startswith("not stated"), answer
    assert "$.Statement[1]" in answer.reason and "aws:tagkeys" in answer.reason.lower()
    own = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
    found = q.check_no_new_access(trust(own, deny), trust(own), role_arn=ROLE)  # the Deny dropped: tagged sessions
    assert isinstance(found, Counterexample) and allowed(found.scenario), found


def test_a_token_the_model_cannot_decide_is_never_proved_away() -> None:
    """Conditions the model cannot evaluate on a token (a Numeric test of ``aud``): under the old policy
    such a token is not allowed, so the new policy that allows it is new access; and a policy whose
    Denies cannot be decided on a token grants nothing provably (a reviewer found both PROVED)."""
    sub = {"StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}}
    numeric = [{f"Numeric{op}": {f"{GH_HOST}:aud": "0"}} for op in ("GreaterThanEquals", "LessThan")]
    old = trust(*[allow(GITHUB, WEB, {**sub, **n}) for n in numeric])
    new = trust(allow(GITHUB, WEB, sub))
    found = q.check_no_new_access(old, new, role_arn=ROLE)
    assert isinstance(found, Counterexample) and allowed(found.scenario), found
    assert found.compare is not None and found.compare["decision"] != "allowed"
    denies = [{"Effect": "Deny", "Principal": {"Federated": GITHUB}, "Action": WEB, "Condition": n} for n in numeric]
    granted = q.check_access_not_granted(trust(allow(GITHUB, WEB, sub), *denies), role_arn=ROLE)
    assert not isinstance(granted, Proved), granted


def test_who_can_assume_and_public_access_never_prove_away_undecidable_tokens() -> None:
    """A grant only tokens the model cannot decide could meet (both Numeric tests of ``aud``: no number
    passes both, and any other audience cannot be evaluated): "nobody" and PROVED were answers about
    the decidable tokens only. Now both say unknown, naming the issuer."""
    both = {f"Numeric{op}": {f"{GH_HOST}:aud": "0"} for op in ("GreaterThanEquals", "LessThan")}
    policy = trust(allow(GITHUB, WEB, {"StringLike": {f"{GH_HOST}:sub": "*"}, **both}))
    found = q.who_can_assume(policy, role_arn=ROLE)
    assert found.unknown is not None and "cannot decide" in found.unknown.reason, found
    public = q.check_no_public_access(policy, role_arn=ROLE)
    assert isinstance(public, Unknown) and "cannot decide" in public.reason, public
    granted = q.check_access_not_granted(policy, role_arn=ROLE)
    assert isinstance(granted, Unknown), granted
    subjects = q.check_federated_subjects(policy, ["repo:acme/*"], role_arn=ROLE)
    assert isinstance(subjects, Unknown) and "cannot decide" in subjects.reason, subjects
    old = trust(allow(GITHUB, WEB, {"StringLike": {f"{GH_HOST}:sub": "repo:acme/*"}}))
    assert isinstance(q.check_no_new_access(old, policy, role_arn=ROLE), Unknown)
