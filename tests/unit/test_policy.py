"""model.policy: canonical form, and refusing what IAM refuses, with the JSON path (docs/semantics.md §4.1-4.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rolecall.model import MalformedPolicyError, PolicyKind, parse_policy, parse_policy_text

V = "2012-10-17"


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (allow("*"), allow({"AWS": "*"})),
        (allow({"AWS": "111111111111"}), allow({"AWS": "arn:aws:iam::111111111111:root"})),
        (allow({"AWS": ["111111111111", "arn:aws:iam::111111111111:root"]}), allow({"AWS": "111111111111"})),
        (allow({"AWS": ["*", "*"]}), allow("*")),
        ({**allow("*"), "Action": "STS:assumeROLE"}, allow("*")),
        ({**allow("*"), "Action": ["sts:AssumeRole", "sts:assumerole"]}, allow("*")),
        (
            {**allow("*"), "Condition": {"StringEquals": {"AWS:SourceIp": ["b", "a", "a"]}}},
            {**allow("*"), "Condition": {"StringEquals": {"aws:sourceip": ["a", "b"]}}},
        ),
    ],
)
def test_one_spelling_per_meaning(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert parse_policy(trust(a), PolicyKind.TRUST) == parse_policy(trust(b), PolicyKind.TRUST)


def test_lone_statement_equals_list() -> None:
    st = allow("*")
    assert parse_policy({"Version": V, "Statement": st}, PolicyKind.TRUST) == parse_policy(trust(st), PolicyKind.TRUST)


def test_canonical_json_round_trips() -> None:
    doc = trust(
        {
            **allow({"AWS": ["111111111111", "arn:aws:iam::222222222222:user/p/bob"], "Service": "ec2.amazonaws.com"}),
            "Sid": "A1",
            "Condition": {
                "StringLikeIfExists": {"sts:ExternalId": ["x*", "y"]},
                "ForAnyValue:StringEquals": {"aws:TagKeys": "k"},
            },
        },
        {"Effect": "Deny", "Principal": "*", "NotAction": "sts:TagSession"},
    )
    p = parse_policy(doc, PolicyKind.TRUST)
    assert parse_policy(p.to_json(), PolicyKind.TRUST) == p
    assert parse_policy_text(json.dumps(p.to_json()), PolicyKind.TRUST) == p


def test_statement_order_is_kept() -> None:
    p = parse_policy(trust(allow("*", Sid="B"), allow("*", Sid="A")), PolicyKind.TRUST)
    assert [s.sid for s in p.statements] == ["B", "A"]


IDENTITY_OK: dict[str, Any] = {
    "Version": V,
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


RCP_DENY: dict[str, Any] = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}


@pytest.mark.parametrize(
    ("kind", "doc", "path", "fragment"),
    [
        (
            PolicyKind.IDENTITY,
            {"Version": V, "Statement": [{**IDENTITY_OK["Statement"][0], "Principal": "*"}]},
            "$.Statement[0].Principal",
            "Policy document should not specify a principal.",
        ),
        (PolicyKind.TRUST, trust(allow("*", Resource="*")), "$.Statement[0].Resource", "Has prohibited field Resource"),
        (PolicyKind.TRUST, trust(allow("*", NotResource="*")), "$.Statement[0].NotResource", "prohibited"),
        (
            PolicyKind.TRUST,
            trust({"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
            "$.Statement[0].NotPrincipal",
            "NotPrincipal",
        ),
        (
            PolicyKind.TRUST,
            trust({"Effect": "Allow", "Action": "sts:AssumeRole"}),
            "$.Statement[0]",
            "Missing required field Principal",
        ),
        (
            PolicyKind.TRUST,
            trust(allow({"AWS": "arn:aws:iam::111111111111:user/*"})),
            "$.Statement[0].Principal.AWS",
            "Invalid principal in policy",
        ),  # scenario 70
        (
            PolicyKind.TRUST,
            trust(allow({"AWS": "arn:aws:iam::*:root"})),
            "$.Statement[0].Principal.AWS",
            "partial wildcards",
        ),
        (
            PolicyKind.TRUST,
            trust(allow({"AWS": "arn:aws:sts::111111111111:assumed-role/R/*"})),
            "$.Statement[0].Principal.AWS",
            "partial wildcards",
        ),
        (
            PolicyKind.TRUST,
            trust(allow({"AWS": ["*", "alice"]})),
            "$.Statement[0].Principal.AWS[1]",
            "Invalid principal",
        ),
        (PolicyKind.TRUST, trust(allow({"Service": "*"})), "$.Statement[0].Principal.Service", "wildcards"),
        (
            PolicyKind.TRUST,
            trust(allow({"CanonicalUser": "abc"})),
            "$.Statement[0].Principal.CanonicalUser",
            "unsupported principal type",
        ),
        (PolicyKind.TRUST, trust(allow({})), "$.Statement[0].Principal", "at least one"),
        (PolicyKind.TRUST, {"Version": "2012-10-18", "Statement": [allow("*")]}, "$.Version", "Version"),
        (PolicyKind.TRUST, {"Version": V, "Statement": []}, "$.Statement", "empty"),
        (PolicyKind.TRUST, {"Version": V}, "$", "missing Statement"),
        (PolicyKind.TRUST, {"Version": V, "Statement": [allow("*")], "Extra": 1}, "$.Extra", "unknown element"),
        (PolicyKind.TRUST, trust({**allow("*"), "Effect": "allow"}), "$.Statement[0].Effect", "Effect"),
        (PolicyKind.TRUST, trust({**allow("*"), "Sid": "has space"}), "$.Statement[0].Sid", "alpha-numeric"),
        (PolicyKind.TRUST, trust({**allow("*"), "Action": 5}), "$.Statement[0].Action", "strings"),
        (PolicyKind.TRUST, trust({**allow("*"), "Action": []}), "$.Statement[0].Action", "empty"),
        (PolicyKind.TRUST, trust({**allow("*"), "Action": "AssumeRole"}), "$.Statement[0].Action", "vendor"),
        (PolicyKind.TRUST, trust({**allow("*"), "NotAction": "sts:TagSession"}), "$.Statement[0]", "exactly one"),
        (
            PolicyKind.TRUST,
            trust({**allow("*"), "Condition": {"StringEqualz": {"a:b": "c"}}}),
            "$.Statement[0].Condition.StringEqualz",
            "Invalid Condition type",
        ),
        (PolicyKind.TRUST, trust({**allow("*"), "Bogus": 1}), "$.Statement[0].Bogus", "unknown statement element"),
        (PolicyKind.TRUST, trust({**allow("*"), "Sid": "caf\u00e9\u0100"}), "$.Statement[0].Sid", "U+0100"),
        (
            PolicyKind.IDENTITY,
            {"Version": V, "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
            "$.Statement[0]",
            "Resource and NotResource",
        ),
        (
            PolicyKind.IDENTITY,
            {"Version": V, "Statement": [{**IDENTITY_OK["Statement"][0], "Resource": "role/R"}]},
            "$.Statement[0].Resource",
            "ARN format",
        ),
        (
            PolicyKind.SCP,
            {"Version": V, "Statement": [{**IDENTITY_OK["Statement"][0], "Principal": "*"}]},
            "$.Statement[0].Principal",
            "should not specify a principal",
        ),
        (
            PolicyKind.RCP,
            {"Version": V, "Statement": [{**IDENTITY_OK["Statement"][0], "Principal": "*"}]},
            "$.Statement[0].Effect",
            "may only Deny",
        ),
        (
            PolicyKind.RCP,
            {
                "Version": V,
                "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:*", "Resource": "*"}],
            },
            "$.Statement[0].Principal",
            'only "Principal": "*"',
        ),
        # Organizations' syntax pages (docs/semantics.md §4.9): Version 2012-10-17 in every SCP and RCP
        (PolicyKind.SCP, {"Statement": IDENTITY_OK["Statement"]}, "$", '"Version": "2012-10-17"'),
        (PolicyKind.SCP, {**IDENTITY_OK, "Version": "2008-10-17"}, "$.Version", '"Version": "2012-10-17"'),
        (PolicyKind.RCP, {"Statement": [RCP_DENY]}, "$", '"Version": "2012-10-17"'),
        (PolicyKind.RCP, {"Version": "2008-10-17", "Statement": [RCP_DENY]}, "$.Version", "resource control policy"),
        (PolicyKind.SCP, {**IDENTITY_OK, "Id": "x"}, "$.Id", "Id is not an element of service control policies"),
        (PolicyKind.RCP, {"Version": V, "Id": "x", "Statement": [RCP_DENY]}, "$.Id", "resource control policies"),
        (
            PolicyKind.SCP,
            {"Version": V, "Statement": [{"Effect": "Deny", "NotPrincipal": "*", "Action": "*", "Resource": "*"}]},
            "$.Statement[0].NotPrincipal",
            "should not specify a principal",
        ),
        (
            PolicyKind.RCP,
            {"Version": V, "Statement": [{k: v for k, v in RCP_DENY.items() if k != "Action"} | {"NotAction": "s3:*"}]},
            "$.Statement[0].NotAction",
            "do not support NotAction",
        ),
        (
            PolicyKind.RCP,
            {"Version": V, "Statement": [{**RCP_DENY, "NotPrincipal": "*"}]},
            "$.Statement[0].NotPrincipal",
            "NotPrincipal is not supported",
        ),
        (PolicyKind.SESSION, [], "$", "expected a JSON object"),
        (PolicyKind.IDENTITY, {**IDENTITY_OK, "Id": "x"}, "$.Id", "Id is not allowed in identity policies"),
        (PolicyKind.BOUNDARY, {**IDENTITY_OK, "Id": "x"}, "$.Id", "Id is not allowed in identity policies"),
    ],
)
def test_refused_documents(kind: PolicyKind, doc: Any, path: str, fragment: str) -> None:
    with pytest.raises(MalformedPolicyError) as info:
        parse_policy(doc, kind)
    assert fragment in info.value.message
    assert info.value.path == path
    assert info.value.error_code == "MalformedPolicyDocument"


def test_repeated_keys_are_refused_not_dropped() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny", "Principal": "*",'
        ' "Action": "sts:AssumeRole"}}'
    )
    with pytest.raises(MalformedPolicyError, match="repeats") as info:
        parse_policy_text(text, PolicyKind.TRUST)
    assert info.value.path == "$.Statement.Effect"


def test_not_json() -> None:
    with pytest.raises(MalformedPolicyError, match="not JSON"):
        parse_policy_text("not json", PolicyKind.SESSION)  # scenario 74


def test_variables_only_under_2012_10_17() -> None:
    old = parse_policy({"Version": "2008-10-17", "Statement": [allow("*")]}, PolicyKind.TRUST)
    new = parse_policy(trust(allow("*")), PolicyKind.TRUST)
    assert not old.statements[0].variables and new.statements[0].variables
    none = parse_policy({"Statement": [allow("*")]}, PolicyKind.TRUST)
    assert none.version is None and not none.statements[0].variables


def test_accepted_principal_forms() -> None:
    p = parse_policy(
        trust(
            allow(
                {
                    "AWS": [
                        "arn:aws:iam::111111111111:user/path/to/alice",
                        "arn:aws:iam::111111111111:role/R",
                        "arn:aws:sts::111111111111:assumed-role/R/session-1",
                        "arn:aws:sts::111111111111:federated-user/bob",
                        "AIDAEXAMPLEEXAMPLE0001",
                        "arn:aws-cn:iam::111111111111:root",
                    ],
                    "Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"],
                    "Federated": "cognito-identity.amazonaws.com",
                }
            )
        ),
        PolicyKind.TRUST,
    )
    ps = p.statements[0].principal
    assert ps is not None and len(ps.aws) == 6 and ps.service == ("ec2.amazonaws.com", "lambda.amazonaws.com")


def test_parses_are_remembered_only_inside_the_block() -> None:
    """``remembering_parses`` gives the same Policy for the same document inside its block only
    (a parsed policy holds compiled matchers; code that replaces a matcher must never meet one
    compiled before), and tells documents apart by type (1 and "1")."""
    from rolecall.model.policy import remembering_parses

    doc: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    assert parse_policy(doc, PolicyKind.IDENTITY) is not parse_policy(doc, PolicyKind.IDENTITY)
    with remembering_parses():
        first = parse_policy(doc, PolicyKind.IDENTITY)
        assert parse_policy(json.loads(json.dumps(doc)), PolicyKind.IDENTITY) is first
        assert parse_policy(doc, PolicyKind.BOUNDARY) is not first
        with remembering_parses():  # nested: the same memory
            assert parse_policy(doc, PolicyKind.IDENTITY) is first
        numeric = {**doc, "Statement": [{**doc["Statement"][0], "Condition": {"NumericEquals": {"aws:x": 1}}}]}
        text = {**doc, "Statement": [{**doc["Statement"][0], "Condition": {"NumericEquals": {"aws:x": "1"}}}]}
        outcomes: list[object] = []
        for d in (numeric, text):
            try:
                outcomes.append(parse_policy(d, PolicyKind.IDENTITY))
            except MalformedPolicyError as exc:
                outcomes.append(exc)
        assert outcomes[0] is not outcomes[1]
    assert parse_policy(doc, PolicyKind.IDENTITY) is not first


def test_what_the_organizations_pages_allow_is_stored() -> None:
    """Since September 2025 an SCP may use the full IAM policy language (ORG-SCP-SYNTAX): Conditions,
    NotAction and individual resources in an Allow, NotResource; an RCP Denies with Principal "*",
    Resource or NotResource and Conditions (ORG-RCP-SYNTAX). None of these is refused."""
    scp = {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "NotAction": "iam:*",
                "Resource": "arn:aws:iam::111111111111:role/R",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"}},
            },
            {"Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": "arn:aws:iam::*:role/ok-*"},
        ],
    }
    assert len(parse_policy(scp, PolicyKind.SCP).statements) == 2
    rcp = {
        "Version": V,
        "Statement": [
            {**RCP_DENY, "Condition": {"Bool": {"aws:PrincipalIsAWSService": "false"}}},
            {k: v for k, v in RCP_DENY.items() if k != "Resource"} | {"NotResource": "arn:aws:iam::*:role/ok"},
        ],
    }
    assert len(parse_policy(rcp, PolicyKind.RCP).statements) == 2


@pytest.mark.parametrize(
    ("where", "text", "path"),
    [
        ("resource", "arn:aws:s3:::b\x01", "$.Statement[0].Resource"),  # a control character (JSON escapes it)
        ("resource", "arn:aws:s3:::b\u0100", "$.Statement[0].Resource"),  # above U+00FF
        ("resource", "arn:aws:s3:::\U0001f600", "$.Statement[0].Resource"),  # outside the BMP
        ("key", "aws:PrincipalTag/\u0101", "$.Statement[0].Condition.StringEquals"),  # in a key: its object's path
    ],
)
def test_characters_outside_the_alphabet_are_refused_with_their_path(where: str, text: str, path: str) -> None:
    """QUOTAS: policy documents hold U+0009, U+000A, U+000D and U+0020-U+00FF only; the one-pass search
    of the document's text and the element-by-element walk that names the path agree."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}
    if where == "resource":
        statement["Resource"] = text
    else:
        statement["Condition"] = {"StringEquals": {text: "x"}}
    with pytest.raises(MalformedPolicyError) as caught:
        parse_policy({"Version": "2012-10-17", "Statement": [statement]}, PolicyKind.IDENTITY)
    assert "is not allowed in policy documents" in caught.value.message
    assert caught.value.path == path


@pytest.mark.parametrize("text", ["tab\there", "line\nbreak\r", "latin \u00e9\u00ff", 'quote " and \\u0041 as text'])
def test_characters_inside_the_alphabet_pass(text: str) -> None:
    """Tab, line feed, carriage return, Latin-1, and a backslash before ``u`` written as text (which the
    one-pass search sends to the walk, which finds nothing) are all allowed."""
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    doc["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": text}}  # type: ignore[index]
    policy = parse_policy(doc, PolicyKind.IDENTITY)
    assert policy.statements[0].conditions[0].values == (text,)
