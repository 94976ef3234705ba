"""One user and one role per name and account (docs/semantics.md §5.10; issue 18, item 3).

IAM names are unique per account regardless of case and path ("Names are not distinguished by case",
the CreateUser and CreateRole API references). The loader refuses a scenario holding two such users or
roles; a trust principal naming a user or role of the world by another spelling follows
``semantics.principal_other_spelling``, and the model's answer (and the solver's, for a concrete
scenario) follows the option: ``refused`` decides to ``MalformedPolicyDocument`` at the entry's JSON
path, ``resolves`` decides as if the trust policy named the entity itself. Never as if both existed.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rolecall import model
from rolecall.model import InputError
from rolecall.model.scenario import OTHER_SPELLINGS, other_spellings
from rolecall.model.solver import decide as solver_decide

A, B = "111111111111", "222222222222"
V = "2012-10-17"


def scenario(caller: dict[str, Any], entry: Any, *, role: str = f"arn:aws:iam::{A}:role/Target") -> dict[str, Any]:
    """``caller`` assumes ``role``, whose trust policy Allows ``entry`` (no identity policy)."""
    return {
        "caller": caller,
        "role": {
            "arn": role,
            "trust_policy": {
                "Version": V,
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:TagSession"},
                    {"Effect": "Allow", "Principal": {"AWS": entry}, "Action": "sts:AssumeRole"},
                ],
            },
        },
        "request": {"role_session_name": "s1"},
    }


def under(doc: dict[str, Any], option: str | None) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    if option is not None:
        out["semantics"] = {"principal_other_spelling": option}
    return out


BUILDER = {"arn": f"arn:aws:sts::{A}:assumed-role/Builder/s1"}
TEAM_BUILDER = {"arn": f"arn:aws:sts::{A}:assumed-role/Builder/s1", "role_path": "/team/"}
ALICE = {"arn": f"arn:aws:iam::{A}:user/alice"}
TEAM_ALICE = {"arn": f"arn:aws:iam::{A}:user/team/alice"}

#: (caller, trust entry naming the caller by another spelling, its canonical ARN)
OTHER = [
    (BUILDER, f"arn:aws:iam::{A}:role/builder", f"arn:aws:iam::{A}:role/Builder"),  # the first class
    (BUILDER, f"arn:aws:iam::{A}:role/team/Builder", f"arn:aws:iam::{A}:role/Builder"),  # the second
    (TEAM_BUILDER, f"arn:aws:iam::{A}:role/BUILDER", f"arn:aws:iam::{A}:role/team/Builder"),
    (TEAM_BUILDER, f"arn:aws:iam::{A}:role/Builder", f"arn:aws:iam::{A}:role/team/Builder"),
    (ALICE, f"arn:aws:iam::{A}:user/Alice", f"arn:aws:iam::{A}:user/alice"),
    (TEAM_ALICE, f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:user/team/alice"),
]


@pytest.mark.parametrize(("caller", "entry", "entity"), OTHER)
def test_refused_by_default_as_an_invalid_principal(caller: dict[str, Any], entry: str, entity: str) -> None:
    doc = scenario(caller, [f"arn:aws:iam::{B}:root", entry])
    for option in (None, "refused"):
        s = model.load_scenario(under(doc, option))
        r = model.decide(s)
        assert (r.decision, r.error_code, r.rule) == ("error", "MalformedPolicyDocument", "R0")
        assert r.message is not None and r.message.startswith("Invalid principal in policy")
        assert entity in r.message
        assert s.malformed is not None and s.malformed.path == "$.role.trust_policy.Statement[1].Principal.AWS[1]"
        assert solver_decide(s).decision == "error"


@pytest.mark.parametrize(("caller", "entry", "entity"), OTHER)
def test_resolves_decides_as_if_the_entity_were_named(caller: dict[str, Any], entry: str, entity: str) -> None:
    resolved = model.decide(model.load_scenario(under(scenario(caller, entry), "resolves")))
    named = model.decide(model.load_scenario(scenario(caller, entity)))
    assert resolved.to_json() == named.to_json()
    assert resolved.decision == "allowed"  # a same-account direct grant needs no identity policy (R10)
    s = model.load_scenario(under(scenario(caller, entry), "resolves"))
    assert solver_decide(s).decision == "allowed"


def test_cross_account_entries_are_resolved_in_their_own_account() -> None:
    """IAM resolves principals of any account (PRINC): a caller of A named by another case from B's role."""
    doc = scenario(ALICE, f"arn:aws:iam::{A}:user/ALICE", role=f"arn:aws:iam::{B}:role/Target")
    assert model.decide(model.load_scenario(doc)).error_code == "MalformedPolicyDocument"
    r = model.decide(model.load_scenario(under(doc, "resolves")))
    assert (r.decision, r.denied_by) == ("implicitDeny", "identity-based policy")  # R9: the caller side still


def test_the_role_itself_by_another_spelling() -> None:
    doc = scenario(ALICE, f"arn:aws:iam::{A}:role/target")
    assert model.decide(model.load_scenario(doc)).error_code == "MalformedPolicyDocument"
    s = model.load_scenario(under(doc, "resolves"))
    assert s.malformed is None
    assert model.decide(s).decision == "implicitDeny"  # the role is not alice: a near miss after all


def test_two_entries_of_one_name_that_is_no_one_of_the_world() -> None:
    """Two entries of one user name in two spellings: only one such user can exist, and neither is the
    caller. Refused: one of them names no one. Resolved: both name that one user, who is not the caller."""
    doc = scenario(ALICE, [f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:user/Bob"])
    s = model.load_scenario(doc)
    assert s.malformed is not None and s.malformed.path == "$.role.trust_policy.Statement[1].Principal.AWS[1]"
    assert model.decide(model.load_scenario(under(doc, "resolves"))).decision == "implicitDeny"


def test_exact_names_and_unrelated_accounts_are_no_other_spelling() -> None:
    for entry in (
        f"arn:aws:iam::{A}:user/alice",
        f"arn:aws:iam::{B}:user/Alice",  # another account
        f"arn:aws:iam::{A}:role/alice",  # a role, not the user
        f"arn:aws:sts::{A}:assumed-role/builder/s1",  # session principals are not resolved (PRINC)
        f"arn:aws:iam::{A}:user/alicex",
    ):
        doc = scenario(ALICE, entry)
        s = model.load_assume_role(doc)
        assert other_spellings(doc["role"], s.caller.principal, s.role) == ()
        assert s.malformed is None, entry


@pytest.mark.parametrize(
    "caller",
    [
        {"arn": f"arn:aws:sts::{A}:assumed-role/target/s1"},
        {"arn": f"arn:aws:sts::{A}:assumed-role/Target/s1", "role_path": "/team/"},
    ],
)
def test_two_roles_of_one_name_cannot_both_exist(caller: dict[str, Any]) -> None:
    with pytest.raises(InputError) as info:
        model.load_scenario(scenario(caller, f"arn:aws:iam::{A}:root"))
    assert info.value.path == "$.role.arn"
    assert "Names are not distinguished by case" in info.value.message


def test_a_role_that_does_not_exist_is_named_by_the_request_only() -> None:
    """RoleArn in another case names no role (R2, §5.7): the world holds the caller's role alone."""
    doc = scenario({"arn": f"arn:aws:sts::{A}:assumed-role/target/s1"}, f"arn:aws:iam::{A}:root")
    doc["role"]["exists"] = False
    assert model.decide(model.load_scenario(doc)).rule == "R2"


def test_a_nonexistent_principal_that_exists_is_an_input_error() -> None:
    doc = scenario(ALICE, f"arn:aws:iam::{A}:user/alice")
    doc["nonexistent_principals"] = [f"arn:aws:iam::{A}:user/alice"]
    with pytest.raises(InputError) as info:
        model.load_scenario(doc)
    assert info.value.path == "$.nonexistent_principals[0]"
    doc = scenario(ALICE, f"arn:aws:iam::{A}:user/Alice")
    doc["nonexistent_principals"] = [f"arn:aws:iam::{A}:user/Alice"]
    s = model.load_scenario(doc)  # refused: the entry names no one, as the scenario says
    assert s.malformed is not None and "names no IAM user or role" in s.malformed.message
    with pytest.raises(InputError) as info:
        model.load_scenario(under(doc, "resolves"))
    assert info.value.path == "$.nonexistent_principals[0]"


def test_the_option_takes_two_values() -> None:
    assert OTHER_SPELLINGS == ("refused", "resolves")
    with pytest.raises(InputError) as info:
        model.load_scenario(under(scenario(ALICE, "*"), "maybe"))
    assert info.value.path == "$.semantics.principal_other_spelling"


def test_the_federated_door_follows_the_option_too() -> None:
    """A federated trust policy naming its own role by another case (F0 saves it like any trust policy)."""
    doc = {
        "api": "AssumeRoleWithWebIdentity",
        "role": {
            "arn": f"arn:aws:iam::{A}:role/Target",
            "trust_policy": {
                "Version": V,
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": "accounts.google.com"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringEquals": {"accounts.google.com:aud": "app"}},
                    },
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/TARGET"}, "Action": "sts:*"},
                ],
            },
        },
        "federated_caller": {
            "provider_kind": "well_known",
            "provider": "accounts.google.com",
            "claims": {"aud": "app", "sub": "u1"},
        },
        "request": {"role_session_name": "s1"},
    }
    assert model.decide(model.load_scenario(doc)).error_code == "MalformedPolicyDocument"
    assert model.decide(model.load_scenario(under(doc, "resolves"))).decision == "allowed"


@pytest.mark.parametrize(
    ("arn", "key"),
    [
        (f"arn:aws:iam::{A}:user/Alice", ("aws", A, "user", "alice")),
        (f"arn:aws:iam::{A}:user/team/ALICE", ("aws", A, "user", "alice")),  # path and case: the same name
        (f"arn:aws-cn:iam::{A}:role/a/b/Deploy", ("aws-cn", A, "role", "deploy")),
        (f"arn:aws:iam::{A}:root", None),
        (f"arn:aws:sts::{A}:assumed-role/Deploy/s", None),  # a session, not the role
        (f"arn:aws:iam::{A}:group/Devs", None),
        (f"arn:aws:iam::{A}:user/bad name", None),  # no user can have that name
    ],
)
def test_entity_key_is_the_one_key_of_users_and_roles(arn: str, key: tuple[str, str, str, str] | None) -> None:
    """The model, the snapshot reader, the solver and the strategies key users and roles by this one function."""
    from rolecall.model.arn import entity_key

    assert entity_key(arn) == key
