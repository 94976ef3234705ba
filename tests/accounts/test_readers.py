"""The readers of AWS's outputs (``rolecall.model.accounts.readers``): a get-account-authorization-details
dump in every spelling AWS gives it, an Organizations snapshot and identity providers become one snapshot
that holds exactly what they say; bad or partial input is one error naming the input and the JSON path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecall.model import InputError, decide, load_scenario
from rolecall.model.accounts import Snapshot, load_snapshot
from rolecall.model.accounts.readers import (
    SHIPPED_VERSION_DATE,
    decode_policy_document,
    read_files,
    read_inputs,
    read_organization,
    shipped_aws_managed_policy,
)
from tests.accounts.dumps import (
    ACCOUNT,
    ALLOW_ASSUME,
    MANAGEMENT,
    OTHER,
    PARTNER_TRUST,
    encode_documents,
    gaad,
    organization,
    pages,
)
from tests.examples import scaled

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def _decide(snapshot: Snapshot, user: str, role: str) -> str:
    account = snapshot.accounts[ACCOUNT]
    scenario = {
        "caller": snapshot.caller_doc(account.users[user]),
        "role": snapshot.role_doc(account.roles[role]),
        "request": {"role_session_name": "readers"},
        "organization": snapshot.organization_doc(),
    }
    return str(decide(load_scenario(scenario)).decision)


def test_a_cli_dump_becomes_the_snapshot_it_describes() -> None:
    read = read_inputs([("dump.json", gaad())])
    s = read.snapshot
    account = s.accounts[ACCOUNT]
    assert sorted(account.users) == ["alice", "bob"] and sorted(account.roles) == ["deploy", "fn", "partner"]
    alice = account.users["alice"]
    assert alice.groups == ("devs",) and dict(alice.tags) == {"team": "blue"} and alice.id == "AIDAALICE1234567890"
    assert alice.permissions_boundary == f"arn:aws:iam::{ACCOUNT}:policy/assume" and list(alice.inline_policies) == [
        "odd"
    ]
    assert account.users["bob"].path == "/ops/"
    deploy = account.roles["deploy"]
    assert deploy.path == "/ci/" and dict(deploy.tags) == {"env": "prod"} and deploy.max_session_duration == 3600
    assert account.roles["partner"].trust_policy.to_json()["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:externalid": ["ext-1"]}
    }
    policy = account.policies[f"arn:aws:iam::{ACCOUNT}:policy/assume"]
    assert policy.version == "v2" and policy.document.to_json()["Statement"][0]["Effect"] == "Allow"  # v2, not v1
    shipped = s.aws_managed_policies[READ_ONLY]
    assert (shipped.source, shipped.version_date) == ("shipped", SHIPPED_VERSION_DATE) and shipped.version
    assert read.counts["aws_managed_policies_shipped"] == 1 and read.counts["roles"] == 3
    assert any("3 role(s) without MaxSessionDuration" in n for n in read.notes)
    # the decisions follow: alice through her group's managed policy, bob with nothing
    assert _decide(s, "alice", "deploy") == "allowed"
    assert _decide(s, "bob", "deploy") == "implicitDeny"
    assert load_snapshot(read.document) == s  # the document is a valid snapshot of its own


@pytest.mark.parametrize("how", ["url", "text", ["url", "object", "text"]])
def test_raw_api_documents_read_the_same(how: Any) -> None:
    """URL-encoded JSON text (the raw API), plain JSON text, or a mixture: each document on its own."""
    assert read_inputs([("raw.json", encode_documents(gaad(), how))]).snapshot == read_inputs([("d", gaad())]).snapshot


def test_decode_policy_document_keeps_what_url_encoding_carries() -> None:
    doc = {"Statement": [{"Resource": "a%2Fb + c/100%/é\"'"}]}
    from urllib.parse import quote

    assert decode_policy_document(quote(json.dumps(doc), safe=""), "$") == doc
    assert decode_policy_document(json.dumps(doc), "$") == doc
    assert decode_policy_document(doc, "$") is doc
    for bad in ("%7Bnot json", "Version=2012", 3):
        with pytest.raises(InputError) as info:
            decode_policy_document(bad, "$.X")
        assert info.value.path == "$.X"


@given(
    size=st.integers(1, 8),
    split=st.booleans(),
    ways=st.lists(st.sampled_from(["url", "text", "object"]), min_size=1, max_size=5),
    data=st.data(),
)
@settings(max_examples=scaled(100))
def test_pages_and_files_merge_to_the_same_snapshot(size: int, split: bool, ways: list[str], data: Any) -> None:
    """Any cut into pages (one file holding them all, or a file per page, in any order), with each
    document spelled any way AWS spells it, reads to the snapshot of the whole dump."""
    whole = read_inputs([("whole.json", gaad())]).snapshot
    cut = pages(encode_documents(gaad(), ways), size)
    if split:
        order = data.draw(st.permutations(range(len(cut))))
        inputs = [(f"page{i}.json", cut[i]) for i in order]
    else:
        inputs = [("pages.json", cut)]
    assert read_inputs(inputs).snapshot == whole


def test_two_accounts_and_an_organization() -> None:
    read = read_inputs([("a.json", gaad()), ("b.json", gaad(OTHER))], ("org.json", organization()))
    s = read.snapshot
    assert sorted(s.accounts) == sorted([ACCOUNT, OTHER])
    assert s.accounts[ACCOUNT].name == "app" and s.accounts[OTHER].name == "partner"  # from the organization
    org = s.organization
    assert (
        org is not None and org.management_account == MANAGEMENT and org.members == sorted([ACCOUNT, MANAGEMENT, OTHER])
    )
    assert org.policy_types == ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
    assert sorted(org.policies) == ["p-FullAWSAccess", "p-denyiam1", "p-orgonly1"]  # RCPFullAWSAccess implied, tags out
    assert org.nodes[ACCOUNT].parent == "ou-ab12-11111111" and org.nodes["ou-ab12-11111111"].policies == (
        "p-FullAWSAccess",
        "p-denyiam1",
    )
    assert any("RCPFullAWSAccess" in n for n in read.notes) and any("TAG_POLICY" in n for n in read.notes)
    doc = s.organization_doc()
    assert doc is not None and len(doc["scps"][ACCOUNT]) == 3 and len(doc["rcps"][ACCOUNT][0]) == 1
    assert _decide(s, "alice", "deploy") == "allowed"  # the OU's Deny is on iam:*, the RCP admits the org


def test_an_organization_without_scps_enabled() -> None:
    org = organization()
    org["Roots"][0]["PolicyTypes"] = []
    read = read_inputs([("a.json", gaad())], ("org.json", org))
    assert read.snapshot.organization is not None and read.snapshot.organization.policy_types == ()
    doc = read.snapshot.organization_doc()
    assert doc is not None and doc["scps"] == {} and doc["rcps"] == {}
    assert any("SERVICE_CONTROL_POLICY is not enabled" in n for n in read.notes)


def test_read_organization_alone() -> None:
    org = read_organization(organization(), "org.json")
    assert org.id == "o-a1b2c3d4e5" and org.nodes["r-ab12"].parent is None and org.nodes["r-ab12"].name == "Root"


def test_identity_providers_in_their_own_input() -> None:
    metadata = (
        '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="http://www.okta.com/exk1"></md:EntityDescriptor>'
    )
    providers = {
        "OpenIDConnectProviders": [
            {
                "Arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
                "Url": "token.actions.githubusercontent.com",
                "ClientIDList": ["sts.amazonaws.com"],
                "ThumbprintList": ["a" * 40],
            }
        ],
        "SAMLProviders": [{"Arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta", "SAMLMetadataDocument": metadata}],
    }
    account = read_inputs([("dump.json", gaad()), ("providers.json", providers)]).snapshot.accounts[ACCOUNT]
    assert [(o.url, o.client_ids) for o in account.oidc_providers] == [
        ("https://token.actions.githubusercontent.com", ("sts.amazonaws.com",))
    ]
    assert [(p.name, p.issuer) for p in account.saml_providers] == [("okta", "http://www.okta.com/exk1")]


def test_a_snapshot_joins_the_dumps() -> None:
    other = read_inputs([("b.json", gaad(OTHER))]).document
    s = read_inputs([("a.json", gaad()), ("b-snapshot.json", other)]).snapshot
    assert sorted(s.accounts) == sorted([ACCOUNT, OTHER])
    with pytest.raises(InputError) as info:
        read_inputs([("b.json", gaad(OTHER)), ("b-snapshot.json", other)])
    assert "also in the snapshot b-snapshot.json" in info.value.message


def test_aws_managed_policies_in_the_dump_win_over_the_shipped_copy() -> None:
    dump = gaad()
    dump["Policies"].append(
        {
            "PolicyName": "ReadOnlyAccess",
            "Arn": READ_ONLY,
            "Path": "/",
            "DefaultVersionId": "v9",
            "PolicyVersionList": [{"Document": ALLOW_ASSUME, "VersionId": "v9", "IsDefaultVersion": True}],
        }
    )
    unused = copy.deepcopy(dump["Policies"][-1])
    unused["Arn"] = "arn:aws:iam::aws:policy/Unused"
    dump["Policies"].append(unused)
    read = read_inputs([("dump.json", dump)])
    p = read.snapshot.aws_managed_policies[READ_ONLY]
    assert (p.source, p.version, p.version_date) == ("snapshot", "v9", None)
    assert "arn:aws:iam::aws:policy/Unused" not in read.snapshot.aws_managed_policies
    assert any("1 AWS managed policies in the dumps are attached to nothing" in n for n in read.notes)


def test_shipped_copy() -> None:
    p = shipped_aws_managed_policy(READ_ONLY)
    assert p is not None and p["source"] == "shipped" and p["document"]["Statement"]
    assert shipped_aws_managed_policy("arn:aws:iam::aws:policy/NoSuchPolicy") is None


def _role(d: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in d["RoleDetailList"] if r["RoleName"] == name)


BAD_DUMPS = [
    (
        lambda d: _role(d, "partner")["AssumeRolePolicyDocument"]["Statement"][0].update(
            Principal={"AWS": "arn:aws:iam::12:root"}
        ),
        "$.RoleDetailList[1].AssumeRolePolicyDocument.Statement[0].Principal",
        "a policy the model refuses",
    ),
    (
        lambda d: _role(d, "deploy")["RolePolicyList"][0].update(PolicyDocument="%7B%22Version%22"),
        "$.RoleDetailList[0].RolePolicyList[0].PolicyDocument",
        "not JSON",
    ),
    (lambda d: d["UserDetailList"][1].update(GroupList=["ops"]), "$.UserDetailList[1].GroupList[0]", "group 'ops'"),
    (
        lambda d: d["UserDetailList"][1].update(
            AttachedManagedPolicies=[{"PolicyName": "x", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/gone"}]
        ),
        "$.UserDetailList[1].AttachedManagedPolicies[0].PolicyArn",
        "not in the dump's Policies",
    ),
    (
        lambda d: _role(d, "fn")["AttachedManagedPolicies"].append(
            {"PolicyName": "Nope", "PolicyArn": "arn:aws:iam::aws:policy/NoSuchPolicy"}
        ),
        "$.RoleDetailList[2].AttachedManagedPolicies[1].PolicyArn",
        "neither in the dumps nor in rolecall's shipped copy",
    ),
    (
        lambda d: d["Policies"][0].update(DefaultVersionId="v3"),
        "$.Policies[0].PolicyVersionList[1].IsDefaultVersion",
        "v3",
    ),
    (lambda d: d["Policies"][0]["PolicyVersionList"].pop(), "$.Policies[0]", "not in PolicyVersionList"),
    (
        lambda d: d["UserDetailList"][1].update(Arn=f"arn:aws:iam::{OTHER}:user/ops/bob"),
        "$.UserDetailList[1].Arn",
        "give one input per account",
    ),
    (
        lambda d: d["UserDetailList"][1].update(Arn=f"arn:aws:iam::{ACCOUNT}:user/bob"),
        "$.UserDetailList[1].Arn",
        "Path",
    ),
    (lambda d: d.update(Organization={}), "$.Organization", "unknown field"),
    (lambda d: d.update(IsTruncated=True, Marker="m"), "$", "IsTruncated"),
    (lambda d: _role(d, "deploy").pop("AssumeRolePolicyDocument"), "$.RoleDetailList[0]", "trust policy"),
    (lambda d: _role(d, "deploy").update(MaxSessionDuration=60), "$.RoleDetailList[0].MaxSessionDuration", "3600"),
    (
        lambda d: d["UserDetailList"][0]["Tags"].append({"Key": "TEAM", "Value": "x"}),
        "$.UserDetailList[0].Tags[1]",
        "case",
    ),
    (
        lambda d: _role(d, "deploy").update(RoleName="bad name!", Arn=f"arn:aws:iam::{ACCOUNT}:role/ci/bad name!"),
        "$.RoleDetailList[0]",
        "IAM name",
    ),
    (
        lambda d: d["GroupDetailList"][0].update(Tags=[{"Key": "a", "Value": "b"}]),
        "$.GroupDetailList[0].Tags",
        "no Tags",
    ),
]


@pytest.mark.parametrize(("edit", "path", "words"), BAD_DUMPS)
def test_bad_dumps_name_input_path_and_problem(edit: Any, path: str, words: str) -> None:
    dump = gaad()
    edit(dump)
    with pytest.raises(InputError) as info:
        read_inputs([("dump.json", dump)])
    assert info.value.message.startswith("dump.json: "), info.value.message
    assert info.value.path.startswith(path), (info.value.path, info.value.message)
    assert words in info.value.message, info.value.message


def test_a_conflict_between_two_dumps_of_one_account_names_both() -> None:
    later = gaad()
    _role(later, "partner")["AssumeRolePolicyDocument"] = copy.deepcopy(PARTNER_TRUST)
    _role(later, "partner")["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"][
        "sts:ExternalId"
    ] = "2"
    with pytest.raises(InputError) as info:
        read_inputs([("monday.json", gaad()), ("tuesday.json", later)])
    assert info.value.message.startswith("tuesday.json: role 'partner' differs from the one in monday.json")
    assert info.value.path == "$.RoleDetailList[1]"


def test_a_missing_last_page_is_a_partial_dump() -> None:
    cut = pages(gaad(), 3)
    with pytest.raises(InputError) as info:
        read_inputs([(f"page{i}.json", p) for i, p in enumerate(cut[:-1])])
    assert "every page says IsTruncated" in info.value.message


BAD_ORGS = [
    (lambda o: o["Accounts"][0].update(ParentId="ou-ab12-99999999"), "$.Accounts[0].ParentId"),
    (lambda o: o["Policies"][1]["Targets"].append({"TargetId": "ou-zz"}), "$.Policies[1].Targets[1].TargetId"),
    (lambda o: o["Policies"][1].update(Content='{"Statement": [{"Effect": "Maybe"}]}'), "$.Policies[1].Content"),
    (lambda o: o["Accounts"].pop(1), "$.Organization.MasterAccountId"),
    (lambda o: o.pop("Roots"), "$"),
    (lambda o: o.update(UserDetailList=[]), "$.UserDetailList"),
]


@pytest.mark.parametrize(("edit", "path"), BAD_ORGS)
def test_bad_organizations_name_input_and_path(edit: Any, path: str) -> None:
    org = organization()
    edit(org)
    with pytest.raises(InputError) as info:
        read_inputs([("dump.json", gaad())], ("org.json", org))
    assert info.value.message.startswith("org.json: "), info.value.message
    assert info.value.path.startswith(path), (info.value.path, info.value.message)


def test_read_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(encode_documents(gaad())), encoding="utf-8")
    (tmp_path / "org.json").write_text(json.dumps(organization()), encoding="utf-8")
    read = read_files([str(tmp_path / "a.json")], str(tmp_path / "org.json"))
    assert read.snapshot.organization is not None and sorted(read.snapshot.accounts) == [ACCOUNT]
    (tmp_path / "bad.json").write_text('{"UserDetailList": [}', encoding="utf-8")
    (tmp_path / "twice.json").write_text('{"UserDetailList": [], "UserDetailList": []}', encoding="utf-8")
    for name, words in (("bad.json", "not JSON"), ("twice.json", "given twice"), ("missing.json", "no such file")):
        with pytest.raises(InputError) as info:
            read_files([str(tmp_path / name)])
        assert info.value.message.startswith(str(tmp_path / name)) and words in info.value.message
