"""The AWS-exact switch at the federated doors (:mod:`rolecall.conformance.moto_exact`): real moto, real
boto3, AssumeRoleWithWebIdentity and AssumeRoleWithSAML decided by the model from the role, the identity
providers and the organization the test created in moto.

The conformance targets ``moto-exact`` and ``moto-exact-server`` compare the switch with the model on
generated federated scenarios (with the suite's own token reader); these tests check what they cannot:
the switch's default readers of a token and of a SAML response written by hand, Cognito's identity
pool looked up in moto, an organization's RCP created through moto's API, a session out of
federation carrying its source identity into a chained AssumeRole, a reader given to the switch, and
the answers that fail closed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rolecall.conformance.moto_exact import (
    TokenRefused,
    exact_sts,
    read_saml_response,
    read_web_identity_token,
)
from rolecall.model import UndecidableError
from tests.moto_clients import Key, mock_client

A = "320000000001"
REGION = "us-east-1"
GITHUB = "token.actions.githubusercontent.com"
SUB = "repo:acme/app:ref:refs/heads/main"


@pytest.fixture
def moto() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


def _client(service: str, account: str | None = None, key: Key | None = None) -> Any:
    # A is read at call time: a test may move it into an organization
    return mock_client(service, key or ("testing", "testing", None), account or A, REGION)


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(**claims: Any) -> str:
    """An unsigned JWT (the switch does not verify signatures) that expires in an hour."""
    now = int(datetime.now(UTC).timestamp())
    body = {"iat": now - 60, "exp": now + 3600, **claims}
    return f"{_b64url({'alg': 'RS256', 'typ': 'JWT'})}.{_b64url(body)}.c2ln"


def _github_role(name: str = "deploy", sub: str = SUB) -> str:
    iam = _client("iam")
    iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{A}:oidc-provider/{GITHUB}"},
                "Action": ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"],
                "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": sub}},
            }
        ],
    }
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def _web(role: str, token: str, **params: Any) -> dict[str, Any]:
    params.setdefault("RoleSessionName", "run-1")
    return dict(_client("sts").assume_role_with_web_identity(RoleArn=role, WebIdentityToken=token, **params))


def _web_error(role: str, token: str, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        _web(role, token, **params)
    err = info.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def _github_token(**claims: Any) -> str:
    return jwt(**{"iss": f"https://{GITHUB}", "aud": "sts.amazonaws.com", "sub": SUB, **claims})


def test_a_github_actions_token_assumes_the_role_as_the_model_decides(moto: None) -> None:
    with exact_sts():
        role = _github_role()
        got = _web(role, _github_token())
        role_id = _client("iam").get_role(RoleName="deploy")["Role"]["RoleId"]
        assert got["AssumedRoleUser"] == {
            "Arn": f"arn:aws:sts::{A}:assumed-role/deploy/run-1",
            "AssumedRoleId": f"{role_id}:run-1",
        }
        assert (got["SubjectFromWebIdentityToken"], got["Provider"], got["Audience"]) == (
            SUB,
            f"https://{GITHUB}",
            "sts.amazonaws.com",
        )
        c = got["Credentials"]
        who = _client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])).get_caller_identity()
        assert (who["Arn"], who["UserId"], who["Account"]) == (got["AssumedRoleUser"]["Arn"], f"{role_id}:run-1", A)
        # another branch: the trust's sub condition fails, and AWS's text says so word for word
        code, message, status = _web_error(
            role, jwt(iss=f"https://{GITHUB}", aud="sts.amazonaws.com", sub="repo:acme/app:ref:refs/heads/dev")
        )
        assert (code, status) == ("AccessDenied", 403)
        assert message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_moto_alone_lets_the_wrong_branch_in(moto: None) -> None:
    """Off: moto's own answer, which reads neither the provider nor the trust policy."""
    role = _github_role()
    other = jwt(iss=f"https://{GITHUB}", aud="sts.amazonaws.com", sub="repo:evil/fork:ref:refs/heads/main")
    assert _web(role, other)["AssumedRoleUser"]["Arn"].endswith("/deploy/run-1")
    with exact_sts():
        assert _web_error(role, other)[0] == "AccessDenied"


def test_token_failures_get_stss_answers(moto: None) -> None:
    with exact_sts():
        role = _github_role()
        now = int(datetime.now(UTC).timestamp())
        expired = jwt(iss=f"https://{GITHUB}", aud="sts.amazonaws.com", sub=SUB, iat=now - 7200, exp=now - 3600)
        code, message, _ = _web_error(role, expired)
        assert code == "ExpiredTokenException"
        assert message.startswith("The web identity token that was passed is expired")
        code, message, _ = _web_error(role, "not-a-jwt")
        assert code == "InvalidIdentityToken"
        assert message.startswith("The web identity token that was passed could not be validated")
        code, message, _ = _web_error(role, jwt(iss="https://gitlab.com", aud="sts.amazonaws.com", sub=SUB))
        assert (code, message) == (
            "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for https://gitlab.com",
        )
        code, message, _ = _web_error(role, _github_token(aud="someone-else"))
        assert (code, message) == ("InvalidIdentityToken", "Incorrect token audience")
        code, message, _ = _web_error(role, _github_token(), RoleSessionName="two words")
        assert code == "ValidationError" and "roleSessionName" in message


def test_the_tokens_source_identity_follows_the_session_into_a_chain(moto: None) -> None:
    with exact_sts():
        role = _github_role()
        iam = _client("iam")
        iam.put_role_policy(
            RoleName="deploy",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
                }
            ),
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{A}:role/deploy"},
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                    "Condition": {"StringEquals": {"aws:SourceIdentity": "octocat"}},
                }
            ],
        }
        target = iam.create_role(RoleName="target", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        got = _web(role, _github_token(**{"https://aws.amazon.com/source_identity": "octocat"}))
        assert got["SourceIdentity"] == "octocat"
        c = got["Credentials"]
        session = _client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
        chained = session.assume_role(RoleArn=target, RoleSessionName="next")
        assert chained["SourceIdentity"] == "octocat"
        plain = _web(role, _github_token())["Credentials"]
        no_source = _client("sts", key=(plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"]))
        with pytest.raises(ClientError) as info:
            no_source.assume_role(RoleArn=target, RoleSessionName="next")
        assert info.value.response["Error"]["Code"] == "AccessDenied"


def test_a_federated_session_carries_the_keys_that_survive_into_its_chain(moto: None) -> None:
    """F13: an AssumeRole made with a session out of web identity carries ``P:sub`` (STSKEYS), and is role
    chaining (the one-hour cap)."""
    with exact_sts():
        role = _github_role()
        iam = _client("iam")
        allow = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
        }
        iam.put_role_policy(RoleName="deploy", PolicyName="p", PolicyDocument=json.dumps(allow))
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{A}:role/deploy"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {f"{GITHUB}:sub": SUB}},
                }
            ],
        }
        target = iam.create_role(RoleName="target", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=7200)
        c = _web(role, _github_token())["Credentials"]
        session = _client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
        arn = target["Role"]["Arn"]
        assert session.assume_role(RoleArn=arn, RoleSessionName="next")["AssumedRoleUser"]["Arn"].endswith(
            "/target/next"
        )
        with pytest.raises(ClientError) as info:
            session.assume_role(RoleArn=arn, RoleSessionName="next", DurationSeconds=7200)
        assert info.value.response["Error"]["Message"] == (
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
        # a plain session of the same role (no federation) has no such key: the trust does not match
        by_account = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}
            ],
        }
        iam.update_assume_role_policy(RoleName="deploy", PolicyDocument=json.dumps(by_account))
        iam.create_user(UserName="u")
        iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=json.dumps(allow))
        k = iam.create_access_key(UserName="u")["AccessKey"]
        user = _client("sts", key=(k["AccessKeyId"], k["SecretAccessKey"], None))
        plain = user.assume_role(RoleArn=role, RoleSessionName="plain")["Credentials"]
        other = _client("sts", key=(plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"]))
        with pytest.raises(ClientError) as info:
            other.assume_role(RoleArn=arn, RoleSessionName="next")
        assert info.value.response["Error"]["Code"] == "AccessDenied"


def test_a_cognito_token_reads_its_pool_in_moto(moto: None) -> None:
    pool = _client("cognito-identity").create_identity_pool(
        IdentityPoolName="app", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    cognito = "cognito-identity.amazonaws.com"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": cognito},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{cognito}:aud": pool},
                    "ForAnyValue:StringLike": {f"{cognito}:amr": "authenticated"},
                },
            }
        ],
    }
    with exact_sts():
        role = _client("iam").create_role(RoleName="app-user", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        token = jwt(iss=f"https://{cognito}", aud=pool, sub=f"{REGION}:1234", amr=["authenticated", "cognito-idp"])
        assert _web(role, token)["AssumedRoleUser"]["Arn"].endswith("/app-user/run-1")
        unknown = jwt(iss=f"https://{cognito}", aud=f"{REGION}:not-in-moto", sub="x", amr=["authenticated"])
        code, message, status = _web_error(role, unknown)
        assert (code, status) == ("RolecallCannotDecide", 400)
        assert "not in moto" in message


def _saml_response(issuer: str, role: str, provider: str, *, name_id: str = "alice", minutes: int = 5) -> str:
    """A SAML 2.0 Response as an identity provider sends it (unsigned), written by hand, in base64."""
    return _b64(_saml_xml(issuer, role, provider, name_id=name_id, minutes=minutes))


def _b64(xml: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(xml.encode(encoding)).decode()


def _saml_xml(issuer: str, role: str, provider: str, *, name_id: str = "alice", minutes: int = 5) -> str:
    until = (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    attrs = {
        "https://aws.amazon.com/SAML/Attributes/Role": f"{role},{provider}",
        "https://aws.amazon.com/SAML/Attributes/RoleSessionName": name_id,
    }
    statements = "".join(
        f'<saml:Attribute Name="{k}"><saml:AttributeValue>{v}</saml:AttributeValue></saml:Attribute>'
        for k, v in attrs.items()
    )
    xml = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0">'
        f'<saml:Issuer>{issuer}</saml:Issuer><saml:Assertion ID="_a" Version="2.0"><saml:Issuer>{issuer}</saml:Issuer>'
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
        f'{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="https://signin.aws.amazon.com/saml"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotOnOrAfter="{until}"><saml:AudienceRestriction>'
        "<saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        f"<saml:AttributeStatement>{statements}</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    return xml


def _saml_role(issuer: str) -> tuple[str, str]:
    iam = _client("iam")
    metadata = (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{issuer}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        # a signing key, as every IdP's metadata has one (IAM takes 1,000 to 10,000,000 characters)
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f"<ds:X509Certificate>{'MIIC' + 'A' * 1000}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )
    provider = iam.create_saml_provider(Name="okta", SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        ],
    }
    role = iam.create_role(RoleName="admins", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return str(role), str(provider)


def test_a_saml_response_assumes_the_role_as_the_model_decides(moto: None) -> None:
    issuer = "http://www.okta.com/exk1"
    with exact_sts():
        role, provider = _saml_role(issuer)
        sts = _client("sts")
        got = sts.assume_role_with_saml(
            RoleArn=role, PrincipalArn=provider, SAMLAssertion=_saml_response(issuer, role, provider)
        )
        assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/admins/alice"
        assert (got["Subject"], got["SubjectType"], got["Issuer"], got["Audience"]) == (
            "alice",
            "persistent",
            issuer,
            "https://signin.aws.amazon.com/saml",
        )
        assert got["NameQualifier"]  # Base64(SHA1(issuer + account + "/okta")): the model's, checked by the suite
        with pytest.raises(ClientError) as info:  # an assertion from another issuer
            sts.assume_role_with_saml(
                RoleArn=role,
                PrincipalArn=provider,
                SAMLAssertion=_saml_response("http://evil.example/idp", role, provider),
            )
        assert info.value.response["Error"]["Code"] == "InvalidIdentityToken"
        with pytest.raises(ClientError) as info:  # expired
            sts.assume_role_with_saml(
                RoleArn=role, PrincipalArn=provider, SAMLAssertion=_saml_response(issuer, role, provider, minutes=-10)
            )
        assert info.value.response["Error"]["Code"] == "ExpiredTokenException"


def test_an_rcp_created_in_moto_applies_at_the_federated_door(moto: None) -> None:
    org = _client("organizations", account="320000000009")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
    global A
    saved, A = A, member
    try:
        with exact_sts():
            role = _github_role()
            assert _web(role, _github_token())["AssumedRoleUser"]["Arn"].endswith("/deploy/run-1")
            deny = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*"}
                ],
            }
            policy = org.create_policy(
                Content=json.dumps(deny), Description="", Name="no-federation", Type="RESOURCE_CONTROL_POLICY"
            )
            org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=member)
            code, message, _ = _web_error(role, _github_token())
            # the federated doors' text names no policy (docs/federation.md, F12's messages)
            assert (code, message) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    finally:
        A = saved


def test_a_reader_given_to_the_switch_decides_what_a_token_cannot_say(moto: None) -> None:
    """A test that verifies signatures itself (here: refuses every one) gives the switch its reader."""

    def bad_signatures(api: str, token: str, provider_id: str | None) -> dict[str, Any]:
        return {**read_web_identity_token(token, provider_id), "token_status": "invalid_signature"}

    with exact_sts(read_caller=bad_signatures):
        role = _github_role()
        code, message, _ = _web_error(role, _github_token())
        assert code == "InvalidIdentityToken"
        assert message.startswith("The web identity token that was passed could not be validated")
    with exact_sts():  # the default reader again
        assert _web(role, _github_token())["AssumedRoleUser"]["Arn"].endswith("/deploy/run-1")


def test_an_oauth_token_is_not_guessed(moto: None) -> None:
    with exact_sts():
        role = _github_role()
        code, message, status = _web_error(role, "EAAB-opaque", ProviderId="graph.facebook.com")
        assert (code, status) == ("RolecallCannotDecide", 400)
        assert "OAuth 2.0" in message


# ----------------------------------------------------------------------------------- the readers alone


def test_the_web_identity_reader() -> None:
    now = datetime.now(UTC)
    got = read_web_identity_token(jwt(iss="https://accounts.google.com", aud="x", sub="1"), now=now)
    assert (got["provider_kind"], got["provider"], got["token_status"]) == (
        "well_known",
        "accounts.google.com",
        "valid",
    )
    got = read_web_identity_token(jwt(iss="https://cognito-identity.amazonaws.com", aud="p", sub="1"), now=now)
    assert got["provider_kind"] == "cognito"
    got = read_web_identity_token(jwt(iss="https://oidc.eks.us-east-1.amazonaws.com/id/ABC", aud="sts", sub="s"))
    assert (got["provider_kind"], got["provider"]) == ("oidc", "oidc.eks.us-east-1.amazonaws.com/id/ABC")
    assert read_web_identity_token(jwt(iss="https://x.example", sub="s", exp=1), now=now)["token_status"] == "expired"
    for bad in ("a.b", "", "!!.!!.!!", f"{_b64url({'alg': 'none'})}.W10.x"):  # W10: a JSON array, not claims
        with pytest.raises(TokenRefused) as info:
            read_web_identity_token(bad)
        assert info.value.code == "InvalidIdentityToken"


def test_the_saml_reader() -> None:
    role, provider = f"arn:aws:iam::{A}:role/r", f"arn:aws:iam::{A}:saml-provider/p"
    got = read_saml_response(_saml_response("https://idp.example", role, provider))
    a = got["assertion"]
    assert (a["issuer"], a["name_id"], a["recipient"], got["token_status"]) == (
        "https://idp.example",
        "alice",
        "https://signin.aws.amazon.com/saml",
        "valid",
    )
    assert a["attributes"]["https://aws.amazon.com/SAML/Attributes/Role"] == [f"{role},{provider}"]
    assert read_saml_response(_saml_response("i", role, provider, minutes=-1))["token_status"] == "expired"
    good = _saml_xml("https://idp.example", role, provider)
    entity = '<!DOCTYPE r [<!ENTITY n "alice">]>' + good.replace(">alice</saml:NameID>", ">&n;</saml:NameID>")
    refused = [
        "bm90IHhtbA==",  # "not xml"
        _b64(entity),  # a DTD (SAML Core §1.3), which could declare entities
        _b64('<?xml version="1.0" encoding="UTF-16"?>' + entity, "utf-16"),  # the same in UTF-16: expat reads it
        _b64(good.replace("samlp:Response", "samlp:Foo")),  # not a Response
        _b64(good.split("<saml:Assertion")[0] + "</samlp:Response>"),  # no Assertion
    ]
    for bad in refused:
        with pytest.raises(TokenRefused) as info:
            read_saml_response(bad)
        assert (info.value.code, info.value.message) == ("InvalidIdentityToken", "Invalid SAML response"), bad
    assertion = good[good.index("<saml:Assertion") : good.index("</samlp:Response>")]
    past = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    undecided = {
        "two assertions": good.replace("</samlp:Response>", assertion + "</samlp:Response>"),
        "two audiences": good.replace(
            "</saml:AudienceRestriction>",
            "</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>urn:other</saml:Audience>"
            "</saml:AudienceRestriction>",
        ),
        "an element in a NameID": good.replace(">alice</saml:NameID>", ">alice<x/>admin</saml:NameID>"),
        "not valid yet": good.replace("<saml:Conditions ", f'<saml:Conditions NotBefore="{tomorrow}" '),
        "encrypted": good.split("<saml:Assertion")[0] + "<saml:EncryptedAssertion/></samlp:Response>",
    }
    for why, xml in undecided.items():
        with pytest.raises(UndecidableError):
            read_saml_response(_b64(xml))
            pytest.fail(why)
    # expired by the Conditions alone (the subject confirmation still valid)
    conditions_past = good.replace("<saml:Conditions NotOnOrAfter=", f'<saml:Conditions NotOnOrAfter="{past}" x=')
    assert read_saml_response(_b64(conditions_past))["token_status"] == "expired"
    # an Issuer only on the Response is not the assertion's (SAML Core §2.3.3): the model's issuer error follows
    only_response = good.replace(
        '<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>https://idp.example</saml:Issuer>',
        '<saml:Assertion ID="_a" Version="2.0">',
    )
    assert "issuer" not in read_saml_response(_b64(only_response))["assertion"]


def test_the_web_identity_reader_refuses_what_it_cannot_time() -> None:
    now = int(datetime.now(UTC).timestamp())
    base = {"iss": f"https://{GITHUB}", "aud": "sts.amazonaws.com", "sub": SUB}
    header = _b64url({"alg": "RS256"})
    for claims in (
        {**base, "exp": str(now - 3600)},  # a string: not a NumericDate
        {**base, "iat": now},  # no exp
        {**base, "exp": now + 3600, "nbf": now + 86400},  # not valid yet
        {**base, "exp": now + 3600, "iat": now + 86400},
    ):
        with pytest.raises(UndecidableError):
            read_web_identity_token(f"{header}.{_b64url(claims)}.c2ln")
            pytest.fail(str(claims))
    twice = base64.urlsafe_b64encode(
        f'{{"iss":"https://{GITHUB}","aud":"sts.amazonaws.com","sub":"good","sub":"evil","exp":{now + 60}}}'.encode()
    )
    with pytest.raises(UndecidableError):
        read_web_identity_token(f"{header}.{twice.rstrip(b'=').decode()}.c2ln")


def test_a_token_is_held_to_the_apis_length(moto: None) -> None:
    with exact_sts():
        role = _github_role()
        code, message, status = _web_error(role, _github_token(padding="x" * 20_000))
        assert (code, status) == ("ValidationError", 400)
        assert message == (
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: "
            "Member must have length less than or equal to 20000"
        )


def test_an_assertion_without_its_own_issuer_gets_the_issuer_error(moto: None) -> None:
    issuer = "http://www.okta.com/exk1"
    with exact_sts():
        role, provider = _saml_role(issuer)
        xml = _saml_xml(issuer, role, provider).replace(
            f'<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>{issuer}</saml:Issuer>',
            '<saml:Assertion ID="_a" Version="2.0">',
        )
        with pytest.raises(ClientError) as info:
            _client("sts").assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=_b64(xml))
        assert (info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]) == (
            "InvalidIdentityToken",
            "Issuer not present in specified provider",
        )
