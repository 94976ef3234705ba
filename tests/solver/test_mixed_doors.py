"""Every proof holds at all three doors: generated trust policies mixing AWS, service and federated
principals, checked against an enumerated universe of callers *and* tokens (the solver issue's
done-when: "a Hypothesis test over generated policies that mix AWS, service and federated principals
and all three actions, each PROVED cross-checked against enumeration").

* **The policies**: pairs (old, new) of one to three statements over a small vocabulary: AWS
  principals, services, a GitHub Actions provider of the role's account and one of another account
  (which never matches, F10), Cognito and a SAML provider; the three doors, ``sts:TagSession``,
  ``sts:*`` and ``sts:AssumeRole*``; Allow and Deny; conditions on the caller's keys (ExternalId,
  PrincipalArn), the request's (SourceIp) and the tokens' (GitHub ``sub`` and ``aud``, Cognito
  ``aud`` and ``amr``, SAML ``aud``, ``sub`` and ``sub_type``); ``"*"`` now and then (contested for
  federated callers: a proof resting on it must be unknown).
* **The universe**: the AssumeRole callers of ``test_queries.py`` plus every token of the small
  vocabulary: GitHub subjects of the named owner, another owner and an owner whose name only starts
  like it, two audiences; Cognito identities authenticated or guests, of two pools, in the role's
  account and in another; SAML users with two recipients and two NameID formats; each with and
  without a source IP when a policy reads it.
* **The check**: every ``Proved`` of ``check-no-new-access``, ``check-access-not-granted`` (nothing
  at all, and the web-identity door alone), ``check-no-public-access``,
  ``check-federated-subjects`` and ``external-id-required``, and every "nobody" of
  ``who-can-assume``, is contradicted by no enumerated request; every counterexample replays. The
  run also counts proofs, counterexamples and violations the enumeration finds, so it cannot pass
  vacuously (:func:`test_the_mixed_enumeration_was_not_vacuous`).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolecall.model import PolicyKind, RolecallError, decide, load_scenario, parse_policy
from rolecall.model.match import glob_parts, string_glob_matches
from rolecall.model.solver import Counterexample, Proved, Unknown
from rolecall.model.solver import queries as q
from tests.examples import scaled
from tests.solver.test_queries import decide_with_trust, loaded_universe, mutated_pair

PAIRS = scaled(150)
#: Below this many pairs (dev draws 25) a kind of answer may not occur: the vacuity check needs ci or nightly.
VACUITY_PAIRS = 100

ROLE_ACCOUNT, OTHER = "111122223333", "444455556666"
ROLE = q.DEFAULT_ROLE
GH_HOST = "token.actions.githubusercontent.com"
GITHUB = f"arn:aws:iam::{ROLE_ACCOUNT}:oidc-provider/{GH_HOST}"
GITHUB_ELSEWHERE = f"arn:aws:iam::{OTHER}:oidc-provider/{GH_HOST}"
COGNITO = "cognito-identity.amazonaws.com"
SAML = f"arn:aws:iam::{ROLE_ACCOUNT}:saml-provider/Okta"
WEB, SAML_ACTION = "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"
ALLOWED_SUBJECTS = ["repo:acme/*"]

# =========================================================================== the small vocabulary

PRINCIPALS: list[dict[str, Any] | str] = [
    "*",
    {"AWS": f"arn:aws:iam::{ROLE_ACCOUNT}:root"},
    {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": f"arn:aws:iam::{OTHER}:role/app"},
    {"Service": "ec2.amazonaws.com"},
    {"Federated": GITHUB},
    {"Federated": GITHUB},
    {"Federated": GITHUB_ELSEWHERE},
    {"Federated": COGNITO},
    {"Federated": COGNITO},
    {"Federated": SAML},
    {"Federated": SAML},
    {"AWS": f"arn:aws:iam::{OTHER}:root", "Federated": GITHUB},
]
ACTIONS: list[Any] = [
    "sts:AssumeRole",
    WEB,
    WEB,
    SAML_ACTION,
    SAML_ACTION,
    "sts:TagSession",
    "sts:*",
    "sts:AssumeRole*",
    ["sts:AssumeRole", WEB],
]
CONDITIONS: list[tuple[str, str, list[str]]] = [
    ("StringEquals", "sts:ExternalId", ["x"]),
    ("ArnLike", "aws:PrincipalArn", [f"arn:aws:iam::{OTHER}:*"]),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8"]),
    ("StringEquals", f"{GH_HOST}:sub", ["repo:acme/app:ref:refs/heads/main"]),
    ("StringLike", f"{GH_HOST}:sub", ["repo:acme/*"]),
    ("StringLike", f"{GH_HOST}:sub", ["repo:acme*"]),
    ("StringLike", f"{GH_HOST}:sub", ["*"]),
    ("StringNotEquals", f"{GH_HOST}:sub", ["repo:acme/app:pull_request"]),
    ("StringEquals", f"{GH_HOST}:aud", ["sts.amazonaws.com"]),
    ("StringEquals", f"{COGNITO}:aud", ["us-east-1:pool-1"]),
    ("ForAnyValue:StringLike", f"{COGNITO}:amr", ["authenticated"]),
    ("StringEquals", "SAML:aud", ["https://signin.aws.amazon.com/saml"]),
    ("StringEquals", "SAML:sub", ["alice"]),
    ("StringEquals", "SAML:sub_type", ["persistent"]),
]


@st.composite
def _statement(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"])),
        "Principal": draw(st.sampled_from(PRINCIPALS)),
        "Action": draw(st.sampled_from(ACTIONS)),
    }
    block: dict[str, dict[str, Any]] = {}
    for op, key, values in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)):
        block.setdefault(op, {})[key] = values
    if block:
        out["Condition"] = block
    return out


@st.composite
def mixed_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """(old, new): new is old changed a little (``test_queries.mutated_pair``), over the mixed vocabulary."""
    return mutated_pair(draw, _statement(), CONDITIONS)


# =========================================================================== the tokens


def _github(sub: str, aud: str) -> dict[str, Any]:
    return {
        "api": "AssumeRoleWithWebIdentity",
        "identity_providers": {
            ROLE_ACCOUNT: {"oidc": [{"url": f"https://{GH_HOST}", "client_ids": ["sts.amazonaws.com", "other"]}]}
        },
        "federated_caller": {
            "provider": GH_HOST,
            "provider_kind": "oidc",
            "claims": {"iss": f"https://{GH_HOST}", "aud": aud, "sub": sub},
        },
        "request": {"role_session_name": "s1"},
    }


def _cognito(pool: str, amr: list[str], account: str) -> dict[str, Any]:
    return {
        "api": "AssumeRoleWithWebIdentity",
        "federated_caller": {
            "provider": COGNITO,
            "provider_kind": "cognito",
            "claims": {"iss": f"https://{COGNITO}", "aud": pool, "sub": "us-east-1:identity-1", "amr": amr},
            "cognito_pool_account": account,
        },
        "request": {"role_session_name": "s1"},
    }


def _saml(recipient: str, name_id: str, fmt: str) -> dict[str, Any]:
    return {
        "api": "AssumeRoleWithSAML",
        "identity_providers": {ROLE_ACCOUNT: {"saml": [{"name": "Okta", "issuer": "https://idp.example.com/saml"}]}},
        "federated_caller": {
            "provider_kind": "saml",
            "assertion": {
                "issuer": "https://idp.example.com/saml",
                "name_id": name_id,
                "name_id_format": f"urn:oasis:names:tc:SAML:2.0:nameid-format:{fmt}",
                "recipient": recipient,
                "attributes": {
                    "https://aws.amazon.com/SAML/Attributes/Role": [f"{ROLE},{SAML}"],
                    "https://aws.amazon.com/SAML/Attributes/RoleSessionName": ["s1"],
                },
            },
        },
        "request": {"principal_arn": SAML},
    }


def _tokens(read_ip: bool) -> Iterator[dict[str, Any]]:
    subjects = [
        "repo:acme/app:ref:refs/heads/main",
        "repo:acme/app:pull_request",
        "repo:evil/x:ref:refs/heads/main",  # another owner
        "repo:acme-evil/x:ref:refs/heads/main",  # an owner whose name only starts like the named one
    ]
    docs = [_github(sub, aud) for sub, aud in itertools.product(subjects, ["sts.amazonaws.com", "other"])]
    amrs = [["authenticated", "cognito-identity.amazonaws.com"], ["unauthenticated"]]
    pools = itertools.product(["us-east-1:pool-1", "us-east-1:pool-2"], amrs, [ROLE_ACCOUNT, OTHER])
    docs += [_cognito(pool, amr, account) for pool, amr, account in pools]
    recipients = ["https://signin.aws.amazon.com/saml", "https://eu-west-1.signin.aws.amazon.com/saml"]
    saml = itertools.product(recipients, ["alice", "bob"], ["persistent", "transient"])
    docs += [_saml(r, n, f) for r, n, f in saml]
    for doc in docs:
        for ip in ["10.1.2.3", "192.168.0.1"] if read_ip else [None]:
            yield {**doc, "context": {"aws:SourceIp": ip}} if ip else doc


def _token_decision(doc: dict[str, Any], trust: dict[str, Any]) -> str:
    try:
        scenario = {**doc, "role": {"arn": ROLE, "trust_policy": trust, "trust_predates_idp_controls": True}}
        return str(decide(load_scenario(scenario)).decision)
    except RolecallError:
        return "undecidable"


def _subject(doc: dict[str, Any]) -> str:
    fc = doc["federated_caller"]
    return str(fc["assertion"]["name_id"] if "assertion" in fc else fc["claims"]["sub"])


def _named(trust: dict[str, Any], key: str) -> set[str]:
    """The values of the policy's conditions on ``key``, each cut at its first wildcard."""
    out = set()
    for statement in trust["Statement"]:
        for block in statement.get("Condition", {}).values():
            for k, values in block.items():
                if k.lower() == key.lower():
                    out |= {v.split("*", 1)[0].split("?", 1)[0] for v in values}
    return out


def _public(doc: dict[str, Any], trust: dict[str, Any]) -> bool:
    """A token anyone on the internet can obtain (docs/federation.md §6.2): a GitHub token of an owner
    the policy does not name, a Cognito token of a pool it does not name, in another account."""
    fc = doc["federated_caller"]
    if fc.get("provider") == GH_HOST:
        owner = fc["claims"]["sub"].split(":", 1)[1].split("/", 1)[0]
        named = {v[len("repo:") :].split("/", 1)[0] for v in _named(trust, f"{GH_HOST}:sub") if v.startswith("repo:")}
        return owner not in named
    if fc.get("provider") == COGNITO:
        return fc["cognito_pool_account"] != ROLE_ACCOUNT and fc["claims"]["aud"] not in _named(trust, f"{COGNITO}:aud")
    return False


# =========================================================================== the property

STATS: Counter[str] = Counter()


def _answers(old: Any, new: Any) -> dict[str, Any]:
    return {
        "no-new-access": q.check_no_new_access(old, new),
        "grants-nothing": q.check_access_not_granted(new),
        "no-web-identity": q.check_access_not_granted(new, actions=[WEB]),
        "no-public-access": q.check_no_public_access(new),
        "subjects": q.check_federated_subjects(new, ALLOWED_SUBJECTS),
        "external-id": q.external_id_required(new),
    }


def _replays(answer: Counterexample) -> None:
    got = str(decide(load_scenario(answer.scenario)).decision)
    assert got == "allowed", f"{answer.query}: counterexample does not replay ({got})\n{json.dumps(answer.scenario)}"


@pytest.mark.slow  # the enumerated proofs: CI runs them (python -m pytest -m slow)
@settings(max_examples=PAIRS, deadline=None, suppress_health_check=list(HealthCheck))
@given(mixed_pairs())
def test_proofs_hold_at_all_three_doors(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    old_doc, new_doc = pair
    old, new = parse_policy(old_doc, PolicyKind.TRUST), parse_policy(new_doc, PolicyKind.TRUST)
    answers = _answers(old, new)
    who = q.who_can_assume(new)
    nobody = who.unknown is None and not who.findings and not who.federated
    for name, answer in answers.items():
        STATS[f"{name}:{type(answer).__name__}"] += 1
        if isinstance(answer, Unknown):
            # only what no frame states: the contested "*", tokens passing session tags
            assert answer.reason.startswith("not stated"), (name, answer, pair)
        if isinstance(answer, Counterexample):
            _replays(answer)
    STATS[f"who-can-assume:{'nobody' if nobody else 'someone'}"] += 1
    for finding in who.federated:
        assert decide(load_scenario(finding.witness)).decision == "allowed", finding

    def contradicts(name: str, proof: bool, what: Any) -> None:
        STATS[f"{name}:enumeration found a violation"] += 1
        assert not proof, f"{name}: proof contradicted by\n{json.dumps(what)}\n{json.dumps(pair)}"

    proved = {name: isinstance(a, Proved) for name, a in answers.items()}
    for doc, scenario in loaded_universe(old_doc, new_doc):
        if decide_with_trust(scenario, new) != "allowed":
            continue
        contradicts("grants-nothing", proved["grants-nothing"], doc)
        contradicts("who-can-assume", nobody, doc)
        if decide_with_trust(scenario, old) != "allowed":
            contradicts("no-new-access", proved["no-new-access"], doc)
        account = doc["caller"].get("arn", "").split(":")[4] if "arn" in doc["caller"] else None
        if account not in (None, ROLE_ACCOUNT):
            contradicts("no-public-access", proved["no-public-access"], doc)
            if "external_id" not in doc["request"]:
                contradicts("external-id", proved["external-id"], doc)
    read_ip = "sourceip" in json.dumps(pair).lower()
    for token in _tokens(read_ip):
        if _token_decision(token, new_doc) != "allowed":
            continue
        contradicts("grants-nothing", proved["grants-nothing"], token)
        contradicts("who-can-assume", nobody, token)
        if token["api"] == "AssumeRoleWithWebIdentity":
            contradicts("no-web-identity", proved["no-web-identity"], token)
        if _token_decision(token, old_doc) != "allowed":
            contradicts("no-new-access", proved["no-new-access"], token)
        if not any(string_glob_matches(glob_parts(p), _subject(token)) for p in ALLOWED_SUBJECTS):
            contradicts("subjects", proved["subjects"], token)
        if _public(token, new_doc):
            contradicts("no-public-access", proved["no-public-access"], token)


@pytest.mark.slow
def test_the_mixed_enumeration_was_not_vacuous() -> None:
    """Runs after the property (file order): every query proved and found counterexamples, and the
    enumeration found violations (so it looks where proofs could fail)."""
    if not STATS:
        pytest.skip("run with the property above")  # pragma: no cover
    if PAIRS < VACUITY_PAIRS:
        pytest.skip(f"{PAIRS} pairs are too few for every kind of answer (ci and nightly check it)")
    for name in ("no-new-access", "grants-nothing", "no-web-identity", "no-public-access", "subjects"):
        assert STATS[f"{name}:Proved"] > 0, STATS
        assert STATS[f"{name}:Counterexample"] > 0, STATS
        assert STATS[f"{name}:enumeration found a violation"] > 0, STATS
    assert STATS["external-id:Proved"] > 0 and STATS["external-id:Counterexample"] > 0, STATS
    assert STATS["who-can-assume:nobody"] > 0 and STATS["who-can-assume:someone"] > 0, STATS
