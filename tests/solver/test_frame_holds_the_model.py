"""The federated frame holds every token the model decides (docs/solver.md, "How it is kept honest").

A comparison or a proof over federated callers searches the tokens of
``model/solver/federated_frame.py``. If the model accepted a token the frame leaves out, a
PROVED could be false about exactly that token (a new policy admitting tokens without a ``sub``,
say). So the two are tested against each other from the model's side:

* drawn allowed scenarios are bent towards the edges of what an issuer signs (no ``sub``, an
  empty ``sub``, empty claims, Cognito ``amr`` lists of every shape, SAML attributes and NameIDs
  left empty);
* the model either refuses the token (F3: an error, or ``UndecidableError`` for a token no issuer
  signs) or decides it; when it lets the token in, the trust policy is narrowed by ``Deny``
  statements to tokens that look exactly like it where it was bent, the model is asked again, and
  ``who_can_assume`` must find someone: a frame without such tokens would answer "nobody".
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolecall.model import FederatedScenario, InputError, PolicyKind, Semantics, decide, load_scenario, parse_policy
from rolecall.model.federation import federated_context
from rolecall.model.providers import SAML_ATTRIBUTE_KEYS, provider_claim_keys
from rolecall.model.solver import queries as q
from rolecall.strategies import federated_scenarios
from tests.examples import scaled

COGNITO = "cognito-identity.amazonaws.com"
OAUTH = ("graph.facebook.com", "www.amazon.com")
#: attributes F3 reads itself (the role pair, the session name and duration): not bent here
_F3_ATTRIBUTES = ("Role", "RoleSessionName", "SessionDuration")
_AMR_PARTS = ["authenticated", "unauthenticated", "accounts.google.com", "graph.facebook.com", ""]

#: how each bend ended: (bend, "refused" / "decided-not-allowed" / "found" / "unknown")
MET: Counter[tuple[str, str]] = Counter()


def _claims_to_empty(provider: str) -> list[str]:
    """The claims an "empty-claim" bend may empty: ``azp`` and the issuer's own keys (F6); Google's
    ``azp`` is its audience and has a bend of its own."""
    google = provider == "accounts.google.com"
    return [c for c in ("azp", *provider_claim_keys(provider)) if not (c == "azp" and google)]


def _web_bends(doc: dict[str, Any]) -> list[str]:
    provider = doc["federated_caller"].get("provider", "")
    out = ["drop-sub", "empty-sub"] + (["empty-claim"] if _claims_to_empty(provider) else [])
    if provider == COGNITO:
        out.append("amr")
    if provider == "accounts.google.com":
        out.append("empty-azp")
    return out


@st.composite
def bent(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    """An allowed drawn scenario, bent one way: (the bend, the document, the keys it touched)."""
    doc = copy.deepcopy(draw(federated_scenarios(decision="allowed")))
    doc.pop("expect", None)  # the bend may change the answer the plan fixed
    fc = doc["federated_caller"]
    if "assertion" in fc:
        a = fc["assertion"]
        how = draw(st.sampled_from(["empty-name-id", "empty-attribute", "none"]))
        if how == "empty-name-id":
            a["name_id"] = ""
            return how, doc, ["saml:sub"]
        if how == "empty-attribute":
            name = draw(st.sampled_from(sorted(SAML_ATTRIBUTE_KEYS)))
            a.setdefault("attributes", {})[name] = [""]
            return how, doc, ["saml:sub", SAML_ATTRIBUTE_KEYS[name]]
        return how, doc, ["saml:sub"]
    claims, host = fc["claims"], fc.get("provider", "")
    p = host.lower()
    how = draw(st.sampled_from(_web_bends(doc)))
    touched = [f"{p}:sub", f"{p}:aud"]
    if how == "drop-sub":
        claims.pop("sub", None)
    elif how == "empty-sub":
        claims["sub"] = ""
    elif how == "empty-claim":
        claim = draw(st.sampled_from(_claims_to_empty(host)))
        claims[claim] = ""
        touched.append(f"{p}:{claim}")
    elif how == "empty-azp":
        claims["azp"] = ""
        touched.append(f"{p}:azp")
    elif how == "amr":
        first = list(claims.get("amr") or ["authenticated"])[:1]
        shapes = [st.lists(st.sampled_from(_AMR_PARTS), max_size=3), st.just(first)]
        if first == ["authenticated"]:  # the login providers changed: still a token Cognito signs
            shapes.append(st.lists(st.sampled_from(_AMR_PARTS[2:4]), min_size=1, max_size=2).map(first.__add__))
        claims["amr"] = draw(st.one_of(shapes))
        touched.append(f"{p}:amr")
    return how, doc, touched


def _pins(doc: dict[str, Any], keys: list[str]) -> list[dict[str, Any]]:
    """``Deny`` statements that refuse every token of the scenario's issuer that differs from the
    scenario's own on ``keys`` (present with these values, or absent)."""
    s = load_scenario(doc)
    assert isinstance(s, FederatedScenario)
    ctx = federated_context(s)
    policy = doc["role"]["trust_policy"]
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    issuers: list[str] = []
    for st_ in statements:
        principal = st_.get("Principal")
        if st_.get("Effect") == "Allow" and isinstance(principal, dict) and "Federated" in principal:
            fed = principal["Federated"]
            issuers += [fed] if isinstance(fed, str) else list(fed)
    action = "sts:AssumeRoleWithSAML" if "assertion" in doc["federated_caller"] else "sts:AssumeRoleWithWebIdentity"

    def deny(condition: dict[str, Any]) -> dict[str, Any]:
        return {"Effect": "Deny", "Principal": {"Federated": issuers}, "Action": action, "Condition": condition}

    out = []
    for key in dict.fromkeys(keys):
        value = ctx.get(key)
        if value is None:
            out.append(deny({"Null": {key: "false"}}))
        elif isinstance(value, tuple):
            out.append(deny({"ForAnyValue:StringNotEquals": {key: list(value)}}))
            out += [deny({"ForAllValues:StringNotEquals": {key: [v]}}) for v in dict.fromkeys(value)]
        else:
            out.append(deny({"StringNotEquals": {key: value}}))
    return out


@settings(max_examples=scaled(120), deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(bent())
def test_the_frame_holds_every_token_the_model_decides(case: tuple[str, dict[str, Any], list[str]]) -> None:
    how, doc, touched = case
    try:
        s = load_scenario(doc)
        result = decide(s)
    except InputError:  # UndecidableError included: a token no issuer signs is never decided
        MET[(how, "refused")] += 1
        return
    if result.decision != "allowed":
        MET[(how, "decided-not-allowed")] += 1
        return
    pinned = copy.deepcopy(doc)
    policy = pinned["role"]["trust_policy"]
    body = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    policy["Statement"] = body + _pins(doc, touched)
    assert decide(load_scenario(pinned)).decision == "allowed", "the pins refuse the token they describe"
    semantics = s.semantics if isinstance(s.semantics, Semantics) else None
    trust = parse_policy(policy, PolicyKind.TRUST)
    found = q.who_can_assume(trust, role_arn=s.role.arn.arn, semantics=semantics)
    if found.unknown is not None:
        MET[(how, "unknown")] += 1
        return
    assert found.federated, f"nobody, for a trust the model lets this token through ({how}): {doc}"
    for f in found.federated:
        assert decide(load_scenario(f.witness)).decision == "allowed", f.witness
    MET[(how, "found")] += 1


def test_the_bends_met_both_ends() -> None:
    """Not vacuous: every bend the model decides was searched for (found) at least once, and the bends
    it must refuse were refused."""
    for how in ("empty-claim", "empty-attribute", "none"):
        assert MET[(how, "found")] > 0, sorted(MET.items())
    for how in ("empty-sub", "empty-name-id"):
        assert MET[(how, "refused")] > 0 and MET[(how, "found")] == 0, MET
    assert MET[("drop-sub", "found")] == 0 and MET[("drop-sub", "decided-not-allowed")] > 0, MET
    assert MET[("amr", "refused")] > 0 and MET[("amr", "found")] > 0, MET
    assert sum(n for (_, end), n in MET.items() if end == "unknown") <= sum(MET.values()) // 4, MET


ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
GH = "token.actions.githubusercontent.com"


def _scenario(principal: str, condition: dict[str, Any], caller: dict[str, Any]) -> dict[str, Any]:
    """A web-identity scenario: one ``Allow`` for ``principal`` under ``condition``, and the caller."""
    statement = {"Effect": "Allow", "Principal": {"Federated": principal}, "Action": "sts:AssumeRoleWithWebIdentity"}
    return {
        "api": "AssumeRoleWithWebIdentity",
        "role": {
            "arn": ROLE,
            "trust_policy": {"Version": "2012-10-17", "Statement": [{**statement, "Condition": condition}]},
        },
        "federated_caller": caller,
        "request": {"role_session_name": "session"},
    }


def _github(claims: dict[str, Any]) -> dict[str, Any]:
    caller = {"provider_kind": "oidc", "provider": GH, "claims": claims}
    doc = _scenario(
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GH}", {"StringNotLike": {f"{GH}:sub": "repo:evil/*"}}, caller
    )
    doc["identity_providers"] = {ACCOUNT: {"oidc": [{"url": f"https://{GH}", "client_ids": ["sts.amazonaws.com"]}]}}
    return doc


def _cognito(claims: dict[str, Any]) -> dict[str, Any]:
    caller = {"provider_kind": "cognito", "provider": COGNITO, "claims": {"iss": f"https://{COGNITO}", **claims}}
    return _scenario(COGNITO, {"StringLike": {f"{COGNITO}:aud": "*"}}, caller)


def test_a_token_without_sub_is_refused_as_aws_refuses_it() -> None:
    """F3.1: STS answers ``InvalidIdentityToken`` "Missing a required claim: sub" (CAC-502), before a
    negated condition on the absent ``sub`` could let the token in."""
    result = decide(load_scenario(_github({"aud": "sts.amazonaws.com"})))
    assert (result.decision, result.error_code) == ("error", "InvalidIdentityToken"), result
    assert result.message == "Missing a required claim: sub"
    assert decide(load_scenario(_github({"aud": "sts.amazonaws.com", "sub": "repo:acme/app"}))).decision == "allowed"


def test_a_token_no_issuer_signs_is_not_decided() -> None:
    """An empty ``sub`` (OpenID Connect Core §2), or an empty audience where no client list refuses it
    first (Cognito's is the pool): AWS never sees such a token, the model refuses to guess."""
    with pytest.raises(InputError) as caught:
        decide(load_scenario(_github({"aud": "sts.amazonaws.com", "sub": ""})))
    assert caught.value.path.endswith("claims.sub"), caught.value
    registered = decide(load_scenario(_github({"aud": "", "sub": "repo:acme/app"})))
    assert registered.message == "Incorrect token audience", registered  # the provider's client IDs: F3.1
    with pytest.raises(InputError) as caught:
        decide(load_scenario(_cognito({"aud": "", "sub": "us-east-1:id", "amr": ["unauthenticated"]})))
    assert caught.value.path.endswith("claims.aud"), caught.value


@pytest.mark.parametrize(
    ("amr", "decided"),
    [
        (["unauthenticated"], True),
        (["authenticated"], True),
        (["authenticated", "graph.facebook.com", "graph.facebook.com:us-east-1:pool:123"], True),
        ([], False),
        (["foo"], False),
        (["unauthenticated", "graph.facebook.com"], False),
        (["authenticated", "unauthenticated"], False),
        (["authenticated", ""], False),
        (None, False),
    ],
)
def test_cognito_amr_has_cognitos_shapes(amr: list[str] | None, decided: bool) -> None:
    """COG-TRUST: Cognito signs ``["unauthenticated"]`` alone, or ``"authenticated"`` and the login
    providers; the model refuses to decide any other ``amr`` (the frame holds only these)."""
    claims: dict[str, Any] = {"aud": "us-east-1:pool", "sub": "us-east-1:id"}
    if amr is not None:
        claims["amr"] = amr
    doc = _cognito(claims)
    if decided:
        assert decide(load_scenario(doc)).decision == "allowed"
    else:
        with pytest.raises(InputError) as caught:
            decide(load_scenario(doc))
        assert caught.value.path.endswith("claims.amr"), caught.value


def test_a_comparison_searches_claims_signed_empty() -> None:
    """Issue 14's last false PROVED: the old trust wants a non-empty GitHub ``environment``, the new one
    only a present one. A token with ``environment ""`` is new access; the frame once held only
    non-empty claims and proved the two policies the same."""
    provider = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GH}"}
    sub = {f"{GH}:sub": "repo:acme/*"}

    def policy(condition: dict[str, Any]) -> Any:
        statement = {"Effect": "Allow", "Principal": provider, "Action": "sts:AssumeRoleWithWebIdentity"}
        document = {"Version": "2012-10-17", "Statement": [{**statement, "Condition": condition}]}
        return parse_policy(document, PolicyKind.TRUST)

    old = policy({"StringLike": {**sub, f"{GH}:environment": "?*"}})
    new = policy({"StringLike": sub, "Null": {f"{GH}:environment": "false"}})
    found = q.check_no_new_access(old, new, role_arn=ROLE)
    assert isinstance(found, q.Counterexample), found
    assert found.scenario["federated_caller"]["claims"]["environment"] == ""
    assert decide(load_scenario(found.scenario)).decision == "allowed"
    assert isinstance(q.check_no_new_access(new, old, role_arn=ROLE), q.Proved)


# ---------------------------------------------------------------------- a reviewer's findings, each once


def _trust(entry: str, condition: dict[str, Any]) -> Any:
    statement = {"Effect": "Allow", "Principal": {"Federated": entry}, "Action": "sts:AssumeRoleWithWebIdentity"}
    return parse_policy(
        {"Version": "2012-10-17", "Statement": [{**statement, "Condition": condition}]}, PolicyKind.TRUST
    )


def _replays(doc: dict[str, Any]) -> bool:
    return decide(load_scenario(doc)).decision == "allowed"


GH_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GH}"
MAIN = {"StringEquals": {f"{GH}:sub": "repo:acme/app:ref:refs/heads/main"}}


def test_the_roles_organization_is_a_token_world() -> None:
    """``aws:ResourceOrgID`` comes from the role's organization (F6): the frame once held it absent, and
    all five queries answered nobody or PROVED for a data-perimeter trust any repository could use."""
    policy = _trust(GH_ARN, {"StringEquals": {"aws:ResourceOrgID": "o-abcdefghij"}, "StringLike": {f"{GH}:sub": "*"}})
    found = q.check_no_new_access(_trust(GH_ARN, MAIN), policy, role_arn=ROLE)
    assert isinstance(found, q.Counterexample) and _replays(found.scenario), found
    assert found.scenario["organization"]["id"] == "o-abcdefghij"
    public = q.check_no_public_access(policy, role_arn=ROLE)
    assert isinstance(public, q.Counterexample) and _replays(public.scenario), public
    assert isinstance(q.check_access_not_granted(policy, role_arn=ROLE), q.Counterexample)
    assert isinstance(q.check_federated_subjects(policy, ["repo:acme/*"], role_arn=ROLE), q.Counterexample)
    (finding,) = q.who_can_assume(policy, role_arn=ROLE).federated
    assert finding.public is True and _replays(finding.witness)


def test_a_provider_claim_is_one_value() -> None:
    """An array where GitHub signs one value (``environment``) is a token AWS never sees: the model
    refuses to decide it, as the frame holds such keys single."""
    doc = _github({"aud": "sts.amazonaws.com", "sub": "repo:acme/app", "environment": ["a", "b"]})
    with pytest.raises(InputError, match="array"):
        decide(load_scenario(doc))


def test_a_bare_host_keeps_its_case() -> None:
    """Under ``bare_host_matches_oidc_provider`` the entry ``Idp.Example.com`` names the provider whose
    URL is written so (URLs are case-sensitive): the frame once lower-cased it and matched nothing."""
    host, semantics = "Idp.Example.com", Semantics(bare_host_matches_oidc_provider=True)
    old = _trust(f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}", {"StringEquals": {f"{host.lower()}:sub": "alice"}})
    new = _trust(host, {"StringEquals": {f"{host.lower()}:sub": "mallory"}})
    found = q.check_no_new_access(old, new, role_arn=ROLE, semantics=semantics)
    assert isinstance(found, q.Counterexample) and _replays(found.scenario), found


def test_a_roles_claim_is_searched() -> None:
    """``sts:RoleAuthorizedByIdP`` (the token's roles claim names the role): the frame once crashed on it."""
    policy = _trust(
        GH_ARN, {"StringLike": {f"{GH}:sub": "repo:*"}, "StringEquals": {"sts:RoleAuthorizedByIdP": "true"}}
    )
    (finding,) = q.who_can_assume(policy, role_arn=ROLE).federated
    assert _replays(finding.witness)
    assert finding.witness["federated_caller"]["claims"]["https://aws.amazon.com/roles"] == [ROLE]
    assert isinstance(q.check_no_public_access(policy, role_arn=ROLE), q.Counterexample)


def test_tenants_the_probe_once_missed() -> None:
    """A GitLab group may hold a dot (``acme.evil`` matches ``acme.*``); a GitHub repository's subject
    template makes ``environment:prod`` a subject any owner can produce: neither is PROVED private."""
    gitlab = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"
    dotted = _trust(gitlab, {"StringLike": {"gitlab.com:sub": "project_path:acme.*"}})
    public = q.check_no_public_access(dotted, role_arn=ROLE)
    assert isinstance(public, q.Counterexample) and _replays(public.scenario), public
    context_only = _trust(GH_ARN, {"StringEquals": {f"{GH}:sub": "environment:prod"}})
    assert isinstance(q.check_no_public_access(context_only, role_arn=ROLE), q.Unknown)
    (finding,) = q.who_can_assume(context_only, role_arn=ROLE).federated
    assert finding.public is None and any("subject template" in n for n in finding.notes), finding
    assert isinstance(q.check_no_public_access(_trust(GH_ARN, MAIN), role_arn=ROLE), q.Proved)


def test_the_clock_is_one_value() -> None:
    """``aws:CurrentTime`` as an array is refused as input: the solver reads the clock as one value."""
    doc = _github({"aud": "sts.amazonaws.com", "sub": "repo:acme/app"})
    doc["context"] = {"aws:CurrentTime": ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]}
    with pytest.raises(InputError, match="one value"):
        load_scenario(doc)
