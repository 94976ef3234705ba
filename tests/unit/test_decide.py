"""rolecall.model.decide: rules and context facts beyond the docs/semantics.md §2 table."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from rolecall.model import InputError, UndecidableError, decide, load_scenario, request_context

A, B = "111111111111", "222222222222"
ALICE = f"arn:aws:iam::{A}:user/alice"
ROLE = f"arn:aws:iam::{B}:role/R"


def stmt(effect: str = "Allow", **kw: Any) -> dict[str, Any]:
    return {"Effect": effect, **kw}


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ID_ALLOW = pol(stmt(Action="sts:*", Resource="*"))
TRUST_A = pol(stmt(Principal={"AWS": A}, Action=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]))


def scenario(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "caller": {"arn": ALICE, "identity_policies": [ID_ALLOW]},
        "role": {"arn": ROLE, "trust_policy": TRUST_A},
        "request": {"role_session_name": "s1"},
    }
    for path, value in over.items():
        node = doc
        *parents, last = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = copy.deepcopy(value)
    return doc


def run(**over: Any):  # type: ignore[no-untyped-def]
    return decide(load_scenario(scenario(**over)))


def test_baseline_allows() -> None:
    r = run()
    assert r.decision == "allowed" and r.rule == "R14"
    assert r.assumed_role is not None and r.assumed_role.duration_seconds == 3600


def test_context_for_an_iam_user() -> None:
    s = load_scenario(
        scenario(
            caller__tags={"Team": "blue"},
            request__external_id="ext-1",
            request__tags=[{"Key": "Project", "Value": "x"}],
            request__transitive_tag_keys=["Project"],
        )
    )
    ctx = request_context(s, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert ctx["aws:principalarn"] == ALICE
    assert ctx["aws:principalaccount"] == A
    assert ctx["aws:principaltype"] == "User"
    assert ctx["aws:username"] == "alice"
    assert str(ctx["aws:userid"]).startswith("AIDA")
    assert ctx["aws:principaltag/team"] == "blue"
    assert ctx["sts:externalid"] == "ext-1"
    assert ctx["sts:rolesessionname"] == "s1"
    assert ctx["aws:requesttag/project"] == "x"
    assert ctx["aws:tagkeys"] == ("Project",)
    assert ctx["sts:transitivetagkeys"] == ("Project",)
    assert "aws:multifactorauthpresent" not in ctx  # long-term keys without MFA: absent (GKEYS)
    assert "aws:principalorgid" not in ctx
    assert ctx["aws:currenttime"] == "2026-01-02T03:04:05Z"
    assert ctx["aws:epochtime"] == str(int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()))
    assert ctx["aws:requestedregion"] == "us-east-1"
    assert ctx["aws:resourceaccount"] == B  # the role's account (GKEYS)
    assert "aws:resourceorgid" not in ctx


def test_context_for_a_role_session() -> None:
    s = load_scenario(
        scenario(
            caller={
                "arn": f"arn:aws:sts::{A}:assumed-role/Dev/s9",
                "role_path": "/team/",
                "tags": {"cost": "1"},
                "transitive_tag_keys": ["cost"],
            },
            role__tags={"cost": "0", "other": "y"},
        )
    )
    ctx = request_context(s)
    assert ctx["aws:principalarn"] == f"arn:aws:iam::{A}:role/team/Dev"  # the role, not the session (R4)
    assert ctx["aws:principaltype"] == "AssumedRole"
    assert str(ctx["aws:userid"]).endswith(":s9")
    assert "aws:username" not in ctx
    assert ctx["aws:multifactorauthpresent"] == "false"  # temporary credentials without MFA
    assert ctx["aws:resourcetag/cost"] == "1"  # inherited transitive tag overrides the role tag (TAGS)
    assert ctx["aws:resourcetag/other"] == "y"


def test_mfa_from_request() -> None:
    s = load_scenario(scenario(request__serial_number=f"arn:aws:iam::{A}:mfa/alice", request__token_code="123456"))
    ctx = request_context(s)
    assert ctx["aws:multifactorauthpresent"] == "true" and ctx["aws:multifactorauthage"] == "0"


def test_principal_org_id_from_organization() -> None:
    s = load_scenario(
        scenario(organization={"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": [A]})
    )
    assert request_context(s)["aws:principalorgid"] == "o-a1b2c3d4e5"


def test_scp_every_level_must_allow() -> None:
    full = pol(stmt(Action="*", Resource="*"))
    only_s3 = pol(stmt(Action="s3:*", Resource="*"))
    org = {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": [A, B]}
    assert run(organization={**org, "scps": {A: [[full], [full]]}}).decision == "allowed"
    r = run(organization={**org, "scps": {A: [[full], [only_s3, full], [only_s3]]}})
    assert (r.decision, r.denied_by, r.rule) == ("implicitDeny", "service control policy", "R7")
    assert "with an explicit deny in a service control policy" in (r.message or "")
    # SCPs of the role's account do not restrict a caller from another account (R7)
    assert run(organization={**org, "scps": {B: [[only_s3]]}}).decision == "allowed"


def test_service_linked_role_is_not_bound_by_scps() -> None:
    deny = pol(stmt("Deny", Action="*", Resource="*"), stmt(Action="*", Resource="*"))
    org = {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": [A, B], "scps": {A: [[deny]]}}
    caller = {"arn": f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForX/s1", "identity_policies": [ID_ALLOW]}
    assert run(organization=org, caller=caller).decision == "explicitDeny"
    slr = {
        **caller,
        "arn": f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForX/sess",
        "role_path": "/aws-service-role/x.amazonaws.com/",
    }
    assert run(organization=org, caller=slr).decision == "allowed"


def test_rcps_never_bind_the_management_account() -> None:
    rcp = pol(stmt("Deny", Principal="*", Action="sts:*", Resource="*"))
    assert (
        run(organization={"id": "o-a1b2c3d4e5", "management_account": B, "members": [A], "rcps": {B: [[rcp]]}}).decision
        == "allowed"
    )
    r = run(
        organization={"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": [B], "rcps": {B: [[rcp]]}}
    )
    assert (r.decision, r.denied_by) == ("explicitDeny", "resource control policy")


def test_rcps_bind_service_principals() -> None:
    rcp = pol(
        stmt(
            "Deny",
            Principal="*",
            Action="sts:AssumeRole",
            Resource="*",
            Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}},
        )
    )
    s = {
        "caller": {"service": "ec2.amazonaws.com"},
        "role": {
            "arn": ROLE,
            "trust_policy": pol(stmt(Principal={"Service": "ec2.amazonaws.com"}, Action="sts:AssumeRole")),
        },
        "request": {"role_session_name": "i-123"},
    }
    assert decide(load_scenario(s)).decision == "allowed"
    s["organization"] = {
        "id": "o-a1b2c3d4e5",
        "management_account": "999999999999",
        "members": [B],
        "rcps": {B: [[rcp]]},
    }
    assert decide(load_scenario(s)).decision == "explicitDeny"


def test_tag_session_and_source_identity_are_separate_actions() -> None:
    trust_ar = pol(stmt(Principal={"AWS": A}, Action="sts:AssumeRole"))
    r = run(role__trust_policy=trust_ar, request__source_identity="dev")
    assert (r.decision, r.action, r.denied_by) == ("implicitDeny", "sts:SetSourceIdentity", "role trust policy")
    r = run(role__trust_policy=trust_ar, request__transitive_tag_keys=[], request__tags=[{"Key": "k", "Value": "v"}])
    assert (r.action, r.denied_by) == ("sts:TagSession", "role trust policy")
    deny_tag = pol(stmt(Action="sts:*", Resource="*"), stmt("Deny", Action="sts:TagSession", Resource="*"))
    r = run(caller__identity_policies=[deny_tag], request__tags=[{"Key": "k", "Value": "v"}])
    assert (r.decision, r.action, r.denied_by) == ("explicitDeny", "sts:TagSession", "identity-based policy")


def test_tag_rules() -> None:
    assert run(request__tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]).error_code == "ValidationError"
    assert run(request__tags=[{"Key": "aws:x", "Value": "1"}]).error_code == "ValidationError"
    assert run(request__tags=[{"Key": "k", "Value": "1"}], request__transitive_tag_keys=["j"]).error_code == (
        "ValidationError"
    )
    caller = {
        "arn": f"arn:aws:sts::{A}:assumed-role/Dev/s9",
        "tags": {"cost": "1"},
        "transitive_tag_keys": ["cost"],
        "identity_policies": [ID_ALLOW],
    }
    r = run(caller=caller, request__tags=[{"Key": "Cost", "Value": "2"}])
    assert r.error_code == "ValidationError" and "inherited transitive tag" in (r.message or "")


def test_source_identity_is_immutable_along_a_chain() -> None:
    caller = {
        "arn": f"arn:aws:sts::{A}:assumed-role/Dev/s9",
        "source_identity": "alice",
        "identity_policies": [ID_ALLOW],
    }
    assert run(caller=caller, request__source_identity="alice").decision == "allowed"
    assert run(caller=caller, request__source_identity="mallory").error_code == "ValidationError"


def test_region_disabled_in_the_callers_account() -> None:
    r = run(request__region="me-south-1", disabled_regions={A: ["me-south-1"]})
    assert r.error_code == "RegionDisabledException" and A in (r.message or "")
    assert run(request__region="me-south-1", disabled_regions={A: ["ap-east-1"]}).decision == "allowed"


def test_cross_partition_is_never_assumable() -> None:
    r = run(role__arn=f"arn:aws-cn:iam::{B}:role/R")
    assert (r.decision, r.rule) == ("implicitDeny", "R2")


def test_validation_lists_every_violation() -> None:
    r = run(request__role_session_name="a", request__duration_seconds=50000, request__external_id="x")
    assert r.error_code == "ValidationError"
    assert r.message is not None and r.message.startswith("3 validation errors detected: ")
    assert r.message.count("; ") == 2


def test_duration_at_the_chain_cap_is_allowed() -> None:
    caller = {"arn": f"arn:aws:sts::{A}:assumed-role/Dev/s9", "identity_policies": [ID_ALLOW]}
    assert run(caller=caller, request__duration_seconds=3600, role__max_session_duration=43200).decision == "allowed"
    assert run(caller=caller, request__duration_seconds=3601, role__max_session_duration=43200).error_code == (
        "ValidationError"
    )
    r = run(request__duration_seconds=43200, role__max_session_duration=43200)
    assert r.assumed_role is not None and r.assumed_role.duration_seconds == 43200


def test_packed_size_near_the_limit_is_refused_not_guessed() -> None:
    tags = [{"Key": f"k{i}", "Value": "v" * 220} for i in range(9)]  # ~97 % of the estimate
    with pytest.raises(UndecidableError, match="packed size"):
        run(request__tags=tags)


@pytest.mark.parametrize(
    ("over", "path"),
    [
        ({"caller__bogus": 1}, "$.caller.bogus"),
        ({"request__duration_seconds": "900"}, "$.request.duration_seconds"),
        ({"request__duration_seconds": True}, "$.request.duration_seconds"),
        ({"role__max_session_duration": 100}, "$.role.max_session_duration"),
        ({"context": {"aws:PrincipalArn": "x"}}, '$.context["aws:PrincipalArn"]'),
        ({"context": {"sts:ExternalId": "x"}}, '$.context["sts:ExternalId"]'),
        ({"context": {"aws:SourceIp": 5}}, '$.context["aws:SourceIp"]'),
        ({"semantics": {"nope": True}}, "$.semantics.nope"),
        ({"semantics": {"legacy_implicit_self_trust": True}}, "$.semantics.legacy_implicit_self_trust"),
        ({"expect": {"decision": "maybe"}}, "$.expect.decision"),
        ({"caller__arn": "arn:aws:iam::1:user/x"}, "$.caller.arn"),
        ({"role__arn": f"arn:aws:iam::{B}:user/R"}, "$.role.arn"),
        ({"caller__session_policy": ID_ALLOW}, "$.caller.session_policy"),
        ({"caller__identity_policies": ["{}"]}, "$.caller.identity_policies[0]"),
        (
            {"organization": {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "scps": {A: [[ID_ALLOW]]}}},
            f'$.organization.scps["{A}"]',
        ),
        ({"request__tags": [{"Key": "k"}]}, "$.request.tags[0]"),
    ],
)
def test_input_errors_name_the_json_path(over: dict[str, Any], path: str) -> None:
    with pytest.raises(InputError) as info:
        load_scenario(scenario(**over))
    assert info.value.path == path


def test_malformed_policy_is_a_result_not_an_input_error() -> None:
    r = run(caller__identity_policies=[pol(stmt(Action="sts:AssumeRole", Resource="*", Principal="*"))])
    assert (r.decision, r.error_code) == ("error", "MalformedPolicyDocument")
    assert "$.caller.identity_policies[0].Statement[0].Principal" in (r.message or "")


def test_scenarios_sharing_a_world_decide_their_own_requests() -> None:
    """Compiled world facts and the authorization memo are shared by scenarios with the same
    world; every request must still get its own answer (memo keyed on the values read)."""
    trust = pol(
        stmt(
            Principal={"AWS": A},
            Action="sts:AssumeRole",
            Condition={"StringEquals": {"sts:ExternalId": "xyz"}, "StringLike": {"aws:SourceVpce": "vpce-*"}},
        )
    )
    docs = [
        scenario(id=f"s{i}", role__trust_policy=trust, request__external_id=ext, context={"aws:SourceVpce": vpce})
        for i, (ext, vpce) in enumerate(
            [("xyz", "vpce-1"), ("abc", "vpce-1"), ("xyz", "other"), ("xyz", "vpce-2"), ("XYZ", "vpce-1")] * 3
        )
    ]
    loaded = [load_scenario(d) for d in docs]
    assert all(s.compiled is loaded[0].compiled for s in loaded)  # one world
    for _ in range(3):
        results = [decide(s) for s in loaded]
        assert [r.decision for r in results[:5]] == [
            "allowed",
            "implicitDeny",
            "implicitDeny",
            "allowed",
            "implicitDeny",
        ]
        assert [r.id for r in results] == [f"s{i}" for i in range(15)]
    other_world = load_scenario(scenario(role__trust_policy=pol(stmt(Principal={"AWS": B}, Action="sts:AssumeRole"))))
    assert other_world.compiled is not loaded[0].compiled
    assert decide(other_world).decision == "implicitDeny"
