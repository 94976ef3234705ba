"""Every public strategy's output is accepted by the model; every invalid output is refused as labelled.

Each strategy runs at least 1,000 examples whatever the Hypothesis profile
(``N`` below). "Accepted" means: the policy parses for its kind, and a scenario
built around the value loads (no :class:`rolecall.model.InputError`) and is decided (no
:class:`rolecall.model.UndecidableError`) without a ``MalformedPolicyDocument``.
Constructed classes are checked against the model: ``scenarios(decision=D)``
decides to ``D``, ``scenarios(cross_account=X)`` has the relation asked for.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolecall import model, strategies
from rolecall.model import MalformedPolicyError, PolicyKind, parse_policy
from tests.examples import scaled

N = scaled(1000, at_least=1000)  # never fewer than 1,000 (the module docstring)
MANY = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=scaled(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])

A, B = "111111111111", "222222222222"
ALICE = f"arn:aws:iam::{A}:user/alice"
ROLE = f"arn:aws:iam::{B}:role/R"
KINDS = {
    "trust": PolicyKind.TRUST,
    "identity": PolicyKind.IDENTITY,
    "boundary": PolicyKind.BOUNDARY,
    "session": PolicyKind.SESSION,
    "scp": PolicyKind.SCP,
    "rcp": PolicyKind.RCP,
}


def base(caller: dict[str, Any] | None = None, role: str = ROLE) -> dict[str, Any]:
    """A scenario that is allowed: A's alice, trust names account A, identity allows."""
    return {
        "caller": caller
        or {
            "arn": ALICE,
            "identity_policies": [
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
                }
            ],
        },
        "role": {
            "arn": role,
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": [f"arn:aws:iam::{A}:root", "*"]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
        },
        "request": {"role_session_name": "s1"},
    }


def decide(doc: dict[str, Any]) -> model.Result:
    """Load and decide: raises on input errors (the test fails), returns the result."""
    return model.decide(model.load_scenario(doc))


def accepted(doc: dict[str, Any]) -> model.Result:
    r = decide(doc)
    assert r.error_code != "MalformedPolicyDocument", (r, doc)
    return r


# =========================================================================== accounts and principals


@MANY
@given(strategies.account_ids())
def test_account_ids(account: str) -> None:
    assert len(account) == 12 and account.isdigit()
    doc = base({"arn": f"arn:aws:iam::{account}:user/alice"})
    doc["role"]["trust_policy"]["Statement"][0]["Principal"] = {"AWS": account}
    accepted(doc)


@MANY
@given(strategies.users())
def test_users(arn: str) -> None:
    assert decide(base({"arn": arn})).decision != "error"


@MANY
@given(strategies.roles())
def test_roles(arn: str) -> None:
    assert decide(base(role=arn)).decision == "allowed"


def target_for(arn: str) -> str:
    """:data:`ROLE`, unless the caller is a session of a role of R's name in R's account: then that role
    (a self-assumption), since one account cannot hold two roles whose names differ only in case
    (docs/semantics.md §5.10)."""
    parts = arn.split(":", 5)
    if parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        if (parts[4], name.lower()) == (B, "r"):
            return f"arn:aws:iam::{B}:role/{name}"
    return ROLE


@MANY
@given(strategies.role_sessions())
def test_role_sessions(arn: str) -> None:
    assert decide(base({"arn": arn, "role_path": "/"}, role=target_for(arn))).decision != "error"


@MANY
@given(strategies.service_principals())
def test_service_principals(name: str) -> None:
    doc = base({"service": name})
    doc["role"]["trust_policy"]["Statement"][0]["Principal"] = {"Service": name}
    assert decide(doc).decision == "allowed"


@MANY
@given(strategies.roots())
def test_roots_are_refused_by_r1(arn: str) -> None:
    r = decide(base({"arn": arn}))
    assert (r.decision, r.rule, r.message) == ("implicitDeny", "R1", "Roles may not be assumed by root accounts.")


@MANY
@given(strategies.federated_users())
def test_federated_users_are_refused_by_r1(arn: str) -> None:
    r = decide(base({"arn": arn}))
    assert (r.decision, r.rule) == ("implicitDeny", "R1")


@MANY
@given(strategies.arns())
def test_arns(arn: str) -> None:
    assert decide(base({"arn": arn}, role=target_for(arn))).decision != "error"


# =========================================================================== actions, conditions, policies


@MANY
@given(strategies.actions())
def test_actions(action: Any) -> None:
    doc = base()
    doc["caller"]["identity_policies"][0]["Statement"][0]["Action"] = action
    accepted(doc)


@MANY
@given(strategies.conditions())
def test_conditions(condition: dict[str, Any]) -> None:
    doc = base()
    doc["role"]["trust_policy"]["Statement"][0]["Condition"] = condition
    accepted(doc)


@SOME
@given(strategies.conditions(ALICE, ROLE, holds=True), strategies.conditions(ALICE, ROLE, holds=False))
def test_conditions_that_hold_and_fail_by_construction(holds: dict[str, Any], fails: dict[str, Any]) -> None:
    doc = base()
    doc["role"]["trust_policy"]["Statement"][0]["Condition"] = holds
    assert decide(doc).decision == "allowed", doc
    doc["role"]["trust_policy"]["Statement"][0]["Condition"] = fails
    assert decide(doc).decision == "implicitDeny", doc


def _place(doc: dict[str, Any], kind: str, policy: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if kind == "trust":
        doc["role"]["trust_policy"] = policy
    elif kind == "identity":
        doc["caller"]["identity_policies"].append(policy)
    elif kind == "boundary":
        doc["caller"]["permissions_boundary"] = policy
    elif kind == "session":
        doc["caller"] = {**doc["caller"], "arn": f"arn:aws:sts::{A}:assumed-role/RA/s1", "session_policy": policy}
    else:
        key = "scps" if kind == "scp" else "rcps"
        doc["organization"] = {
            "id": "o-a1b2c3d4e5",
            "management_account": "999999999999",
            "members": [A, B],
            key: {A if kind == "scp" else B: [[policy]]},
        }
    return doc


POLICY_STRATEGIES = {
    "trust": strategies.trust_policies,
    "identity": strategies.identity_policies,
    "boundary": strategies.permissions_boundaries,
    "session": strategies.session_policies,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_policies(kind: str) -> None:
    # a policy drawn about a world of its own (foreign: True) may name a user or role of this test's world
    # by another spelling, a world AWS cannot contain as it reads (docs/semantics.md §5.10): it is placed
    # here under the option that resolves such a name; one drawn about this world needs no option
    strategy: st.SearchStrategy[tuple[dict[str, Any], bool]]
    if kind in POLICY_STRATEGIES:
        strategy = st.one_of(
            POLICY_STRATEGIES[kind]().map(lambda p: (p, True)),
            POLICY_STRATEGIES[kind](ALICE, ROLE).map(lambda p: (p, False)),
        )
    else:
        strategy = (strategies.scps() if kind == "scp" else strategies.rcps()).map(lambda p: (p, False))

    @MANY
    @given(strategy)
    def check(drawn: tuple[dict[str, Any], bool]) -> None:
        policy, foreign = drawn
        parse_policy(policy, KINDS[kind])
        doc = _place(base(), kind, policy)
        if foreign:
            doc["semantics"] = {"principal_other_spelling": "resolves"}
        accepted(doc)

    check()


@MANY
@given(strategies.requests(ALICE))
def test_requests(request: dict[str, Any]) -> None:
    doc = base()
    doc["request"] = request
    doc["caller"]["identity_policies"][0]["Statement"][0]["Action"] = "sts:*"
    doc["role"]["trust_policy"]["Statement"][0]["Action"] = "sts:*"
    assert decide(doc).decision == "allowed", doc


# =========================================================================== scenarios


@MANY
@given(strategies.scenarios())
def test_scenarios_are_accepted(doc: dict[str, Any]) -> None:
    r = decide(doc)
    if r.error_code == "MalformedPolicyDocument":  # only a session policy *sent* malformed (R13)
        assert "request" in doc and "policy" in doc["request"] and r.rule == "R13", (r, doc)


@pytest.mark.parametrize("decision", ["allowed", "explicitDeny", "implicitDeny", "error"])
def test_scenarios_decision_by_construction(decision: str) -> None:
    @SOME
    @given(strategies.scenarios(decision=decision))
    def check(doc: dict[str, Any]) -> None:
        r = decide(doc)
        assert r.decision == decision, (r, doc)

    check()


@pytest.mark.parametrize("cross", [True, False])
def test_scenarios_cross_account(cross: bool) -> None:
    @SOME
    @given(strategies.scenarios(cross_account=cross, caller_kinds=("user", "role-session")))
    def check(doc: dict[str, Any]) -> None:
        s = model.load_assume_role(doc)
        assert (s.caller.principal.account != s.role.arn.account) == cross
        decide(doc)

    check()


# =========================================================================== invalid input


@MANY
@given(strategies.scenarios(invalid=True))
def test_invalid_scenarios_are_refused_as_labelled(doc: dict[str, Any]) -> None:
    s = model.load_scenario(doc)
    r = model.decide(s)
    assert not model.expectation_mismatch(s, r), (r, doc)


@MANY
@given(strategies.malformed_policies())
def test_malformed_policies_are_refused_as_labelled(bad: strategies.Malformed) -> None:
    with pytest.raises(MalformedPolicyError):
        parse_policy(bad.document, KINDS[bad.kind])
    r = decide(_place(base(), bad.kind, bad.document))
    assert (r.decision, r.error_code) == ("error", bad.error_code), (bad, r)


def _plain(kind: str) -> dict[str, Any]:
    if kind == "trust":
        stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}
    elif kind == "rcp":
        stmt = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}
    else:
        stmt = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [stmt]}


FAULT_IDS = [r for r, _, _ in strategies.POLICY_FAULTS]


@pytest.mark.parametrize(("reason", "kinds", "fault"), strategies.POLICY_FAULTS, ids=FAULT_IDS)
def test_every_labelled_fault_is_refused_on_its_own(reason: str, kinds: tuple[str, ...], fault: Any) -> None:
    """Each fault of POLICY_FAULTS, planted in a plain valid policy of each kind it applies to, is refused."""
    for kind in kinds:
        parse_policy(_plain(kind), KINDS[kind])
        doc = _plain(kind)
        fault(doc)
        with pytest.raises(MalformedPolicyError):
            parse_policy(doc, KINDS[kind])


# =========================================================================== the façade


def test_all_is_complete_and_documented() -> None:
    for name in strategies.__all__:
        obj = getattr(strategies, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__.strip()) > 20, name


def test_every_public_name_is_in_the_strategies_reference() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "strategies.md").read_text()
    section = guide.split("# Strategies", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in strategies.__all__ if f"`{name}" not in section]
    assert not missing, missing


def test_invalid_arguments_are_refused() -> None:
    from hypothesis.errors import InvalidArgument

    with pytest.raises(InvalidArgument):
        strategies.scenarios(decision="maybe")
    with pytest.raises(InvalidArgument):
        strategies.scenarios(caller_kinds=("alien",))
