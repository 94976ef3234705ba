"""The JSON Schema of the scenario format (model/scenario.schema.json) against the loader.

The loader (:func:`rolecall.model.load_scenario`) is the authority on what a scenario is; the
schema is its portable description for other tools. Two promises are checked here:

* the schema never refuses a scenario the loader accepts (the stored scenarios, and every
  scenario the public strategies draw);
* where the loader refuses a structural fault (an unknown field, a wrong JSON type, a missing
  required field) or a value JSON Schema can describe (an enum, an ARN shape, a range), the
  schema refuses it too, *at the same JSON path*.

Both hold at every door: AssumeRole (format v1) and the federated doors AssumeRoleWithWebIdentity
and AssumeRoleWithSAML (v1.1, docs/federation.md §3).

What the schema cannot say is listed in docs/scenario-format.md ("What the schema cannot
check"); :data:`GAPS` pins each item, so that a change on either side shows up here.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from jsonschema import Draft202012Validator, ValidationError

from rolecall.model import InputError, load_scenario
from rolecall.model import scenario as loader
from rolecall.model.errors import child
from rolecall.model.policy import load_json
from rolecall.strategies import federated_scenarios, scenarios
from tests.conftest import EXAMPLES, FEDERATION_SCENARIOS, ROOT, SPEC_SCENARIOS

SCHEMA_FILE = ROOT / "model" / "scenario.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
STORED = (
    sorted(SPEC_SCENARIOS.glob("*.json"))
    + sorted(EXAMPLES.glob("*.json"))
    + sorted(FEDERATION_SCENARIOS.glob("*.json"))
)


# ----------------------------------------------------------------------------- helpers


def _json_path(error: ValidationError) -> str:
    """The error's location in the loader's JSON path spelling (``$.caller.arn``, ``$.context["aws:x"]``)."""
    path = "$"
    for key in error.absolute_path:
        path = child(path, key)
    return path


def _unexpected_fields(error: ValidationError) -> list[str]:
    """The fields an ``additionalProperties: false`` error refuses (the error itself sits on their object)."""
    schema, instance = error.schema, error.instance
    assert isinstance(schema, Mapping) and isinstance(instance, dict)
    declared = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [k for k in instance if k not in declared and not any(re.search(p, k) for p in patterns)]


def schema_error_paths(doc: Any) -> set[str]:
    """Every JSON path at which the schema reports an error.

    Two keywords report on the object where the loader names one of its fields: an
    ``additionalProperties: false`` error counts at the path of each field it refuses
    (``$.caller.foo``), a ``propertyNames`` error at the path of the name it refuses
    (``$.disabled_regions["2222"]``).
    """
    out: set[str] = set()
    for error in VALIDATOR.iter_errors(doc):
        where = _json_path(error)
        if error.validator == "additionalProperties" and error.validator_value is False:
            out.update(child(where, k) for k in _unexpected_fields(error))
        elif "propertyNames" in error.relative_schema_path:
            out.add(child(where, error.instance))
        else:
            out.add(where)
    return out


def assert_schema_accepts(doc: Any) -> None:
    errors = [f"{_json_path(e)}: {e.message[:300]}" for e in VALIDATOR.iter_errors(doc)]
    assert errors == [], "the schema refuses a scenario the loader accepts"


def loader_error(doc: Any) -> InputError:
    with pytest.raises(InputError) as info:
        load_scenario(doc)
    return info.value


# ----------------------------------------------------------------------------- the schema itself


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] and SCHEMA["title"] and SCHEMA["description"]


def _declared_properties(schema: Mapping[str, Any], where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every property the schema declares, at any depth: the ``properties`` of objects reached through
    ``properties``, ``items``, ``additionalProperties`` and ``patternProperties`` (not through the
    conditional branches, which only restate declared properties)."""
    for name, sub in schema.get("properties", {}).items():
        yield f"{where}.{name}", sub
        yield from _declared_properties(sub, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            yield from _declared_properties(schema[key], f"{where}[{key}]")
    for pattern, sub in schema.get("patternProperties", {}).items():
        yield from _declared_properties(sub, f"{where}[{pattern}]")


def test_every_field_is_described() -> None:
    defs = SCHEMA["$defs"]
    for name, sub in defs.items():
        assert sub.get("description"), name
    for owner, sub_schema in (("#", SCHEMA), *((f"#/$defs/{n}", d) for n, d in defs.items())):
        for name, sub in _declared_properties(sub_schema, owner):
            assert sub.get("description") or sub.get("$ref"), name


def test_the_schema_declares_exactly_the_loaders_fields() -> None:
    """A field added to the loader and not to the schema (or the reverse) fails here."""
    defs = SCHEMA["$defs"]
    assert set(SCHEMA["properties"]) == set(loader._SCENARIO_FIELDS)
    assert SCHEMA["properties"]["api"]["enum"] == list(loader.APIS)
    assert set(defs["caller"]["properties"]) == set(loader._CALLER_FIELDS)
    assert set(defs["role"]["properties"]) == set(loader._ROLE_FIELDS)
    assert set(defs["request"]["properties"]) == set(loader._REQUEST_FIELDS)
    assert set(defs["semantics"]["properties"]) == {*loader._SEMANTICS_FIELDS, "legacy_implicit_self_trust"}
    assert defs["decision"]["enum"] == list(loader.DECISIONS)
    assert defs["denied_by"]["enum"] == list(loader.DENIED_BY)
    assert defs["action"]["enum"] == list(loader.ACTIONS)
    assert defs["caller"]["properties"]["credentials"]["enum"] == list(loader._CREDENTIALS)
    # the federated doors (format v1.1)
    assert set(defs["federated_origin"]["properties"]) == {f.name for f in fields(loader.FederatedOrigin)}
    assert set(defs["federated_caller"]["properties"]) == set(loader._FEDERATED_CALLER_FIELDS)
    assert defs["federated_caller"]["properties"]["provider_kind"]["enum"] == list(loader.PROVIDER_KINDS)
    assert defs["federated_caller"]["properties"]["token_status"]["enum"] == list(loader.TOKEN_STATUSES)
    assert set(defs["assertion"]["properties"]) == set(loader._ASSERTION_FIELDS)
    assert set(defs["assertion"]["properties"]) == {f.name for f in fields(loader.SamlAssertion)}
    aws_claims = {loader.TAGS_CLAIM, loader.SOURCE_IDENTITY_CLAIM, loader.ROLES_CLAIM}
    assert set(defs["claims"]["properties"]) == {
        "iss",
        "sub",
        "aud",
        "azp",
        "amr",
        "app_id",
        "id",
        "user_id",
        *aws_claims,
    }
    assert set(defs["web_identity_request"]["properties"]) == set(
        loader._FEDERATED_REQUEST_FIELDS["AssumeRoleWithWebIdentity"]
    )
    assert set(defs["saml_request"]["properties"]) == set(loader._FEDERATED_REQUEST_FIELDS["AssumeRoleWithSAML"])
    assert set(loader._FEDERATED_REQUEST_FIELDS) == set(loader.FEDERATED_APIS)
    assert set(defs["account_identity_providers"]["properties"]) == {f.name for f in fields(loader.IdentityProviders)}
    computed = {"account", "arn"}  # the account is the entry's key; the ARN follows from it
    assert set(defs["oidc_provider"]["properties"]) == {f.name for f in fields(loader.OidcProvider)} - computed
    assert set(defs["saml_provider"]["properties"]) == {f.name for f in fields(loader.SamlProvider)} - computed
    assert defs["built_in_host"]["enum"] == [loader.COGNITO_HOST, *loader.WELL_KNOWN_HOSTS]
    assert defs["well_known_host"]["enum"] == list(loader.WELL_KNOWN_HOSTS)


def test_the_semantics_options_declare_the_loaders_defaults() -> None:
    """Each option's JSON type and default are those of the :class:`~rolecall.model.Semantics` field."""
    options = SCHEMA["$defs"]["semantics"]["properties"]
    for name in loader._SEMANTICS_FIELDS:
        default = getattr(loader.Semantics(), name)
        assert options[name]["type"] == {bool: "boolean", str: "string", int: "integer"}[type(default)], name
        assert options[name]["default"] == default, name
    assert options["federated_provider_value"]["enum"] == ["arn", "host"]


# ----------------------------------------------------------------------------- what the loader accepts


@pytest.mark.parametrize("path", STORED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_stored_scenario_validates(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    load_scenario(doc)
    assert_schema_accepts(doc)


@given(scenarios())
def test_every_drawn_scenario_the_loader_accepts_validates(doc: dict[str, Any]) -> None:
    try:
        load_scenario(doc)
    except InputError:
        return  # not this module's promise (the strategies' tests hold them to the loader)
    assert_schema_accepts(doc)


@given(federated_scenarios())
def test_every_drawn_federated_scenario_the_loader_accepts_validates(doc: dict[str, Any]) -> None:
    try:
        load_scenario(doc)
    except InputError:
        return  # as above
    assert_schema_accepts(doc)


@given(scenarios(invalid=True))
def test_scenarios_aws_refuses_are_still_valid_input(doc: dict[str, Any]) -> None:
    """Malformed policies and out-of-range request values decide to an AWS error; they are not bad input."""
    try:
        load_scenario(doc)
    except InputError:
        return
    assert_schema_accepts(doc)


# ----------------------------------------------------------------------------- what both refuse

#: A valid scenario with most optional fields present, so that faults can be planted everywhere.
BASE: dict[str, Any] = {
    **json.loads((EXAMPLES / "02-user-cross-account.json").read_text(encoding="utf-8")),
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account": "999999999999",
        "members": ["111111111111", "222222222222"],
        "scps": {
            "111111111111": [
                [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
            ]
        },
        "rcps": {},
    },
    "context": {"aws:SourceIp": "203.0.113.7", "aws:SourceVpce": ["vpce-1a2b3c4d"]},
    "semantics": {"wildcard_matches_services": False},
    "nonexistent_principals": ["arn:aws:iam::333333333333:user/gone"],
    "disabled_regions": {"222222222222": ["ap-east-1"]},
}
BASE["caller"].update(tags={"team": "blue"}, mfa=True, permissions_boundary=None)
BASE["role"].update(max_session_duration=7200, tags={"env": "prod"}, exists=True)
BASE["request"].update(
    duration_seconds=3600,
    external_id="ext-123",
    tags=[{"Key": "project", "Value": "x"}],
    policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
)
BASE["expect"] = {"decision": "allowed"}

SESSION_ARN = "arn:aws:sts::111111111111:assumed-role/RA/s1"
Change = tuple[tuple[str | int, ...], Any]
DELETE = object()
#: Changes that turn BASE's caller into a valid service caller.
AS_SERVICE: list[Change] = [
    *((("caller", name), DELETE) for name in ("arn", "identity_policies", "permissions_boundary", "mfa")),
    (("caller", "service"), "ec2.amazonaws.com"),
]
SAML_PROVIDER = "arn:aws:iam::222222222222:saml-provider/Okta"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = f"arn:aws:iam::222222222222:oidc-provider/{GITHUB}"
#: Changes that turn BASE's caller into a role session that SAML federation created (F13).
AS_FEDERATED_SESSION: list[Change] = [
    (("caller", "arn"), SESSION_ARN),
    (("caller", "federated_origin"), {"provider": SAML_PROVIDER, "keys": {"saml:sub": "00u1abcd"}}),
]

#: A valid AssumeRoleWithWebIdentity scenario with most optional fields present.
WEB: dict[str, Any] = {
    **json.loads((FEDERATION_SCENARIOS / "FED-01.json").read_text(encoding="utf-8")),
    "organization": {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": ["222222222222"]},
    "context": {"aws:SourceIp": "203.0.113.7", "aws:CurrentTime": "2026-01-01T12:00:00Z"},
    "semantics": {"federated_provider_value": "host", "scps_apply_to_federated": True},
    "disabled_regions": {"222222222222": ["ap-east-1"]},
}
WEB["federated_caller"].update(token_status="valid")
WEB["federated_caller"]["claims"].update(
    {
        "amr": ["pwd"],
        "azp": "client-1",
        loader.TAGS_CLAIM: {"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]},
        loader.SOURCE_IDENTITY_CLAIM: "alice",
        loader.ROLES_CLAIM: ["arn:aws:iam::222222222222:role/gh-deploy"],
    }
)
WEB["identity_providers"]["222222222222"]["oidc"][0]["thumbprints"] = ["990f4193972f2becf12ddeda5237f9c952f20d9e"]
WEB["identity_providers"]["222222222222"]["saml"] = [{"name": "Okta", "issuer": "http://www.okta.com/exk1abcd"}]
WEB["request"].update(duration_seconds=3600, policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"], region="us-east-1")

#: A valid AssumeRoleWithSAML scenario with most optional fields present.
SAML: dict[str, Any] = {
    **json.loads((FEDERATION_SCENARIOS / "FED-32.json").read_text(encoding="utf-8")),
    "context": {"aws:SourceIp": "203.0.113.7"},
    "semantics": {"saml_role_attribute_required": False},
}
SAML["federated_caller"].update(token_status="valid")
SAML["federated_caller"]["assertion"].update(
    audience="https://signin.aws.amazon.com/saml", session_not_on_or_after="2026-01-01T13:00:00Z"
)
SAML["request"].update(duration_seconds=3600, policy='{"Version": "2012-10-17", "Statement": []}')
#: Changes that turn WEB's caller into a Cognito identity of a pool in another account.
AS_COGNITO: list[Change] = [
    (("federated_caller", "provider_kind"), "cognito"),
    (("federated_caller", "provider"), loader.COGNITO_HOST),
    (("federated_caller", "claims", "iss"), "https://cognito-identity.amazonaws.com"),
    (("federated_caller", "cognito_pool_account"), "111111111111"),
]


def mutate(*changes: Change, base: dict[str, Any] = BASE) -> dict[str, Any]:
    """``base`` with each change applied: a value set at a path, or the field at the path deleted."""
    doc = copy.deepcopy(base)
    for path, value in changes:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = copy.deepcopy(value)  # a value may be shared by several changes
    return doc


@pytest.mark.parametrize(
    "doc",
    [BASE, mutate(*AS_FEDERATED_SESSION), WEB, mutate(*AS_COGNITO, base=WEB), SAML],
    ids=["AssumeRole", "AssumeRole, federated session", "web identity", "web identity, Cognito", "SAML"],
)
def test_the_base_scenarios_are_valid(doc: dict[str, Any]) -> None:
    load_scenario(doc)
    assert_schema_accepts(doc)


def case(name: str, path: str, *changes: Change, base: dict[str, Any] = BASE) -> Any:
    """A fault planted in ``base`` (BASE, WEB or SAML), and the JSON path at which the loader reports it."""
    return pytest.param(mutate(*changes, base=base), path, id=name)


#: Structural faults first, then values the schema can describe as well.
REFUSED = [
    # unknown fields
    case("unknown top-level field", "$.foo", (("foo",), 1)),
    case("unknown caller field", "$.caller.foo", (("caller", "foo"), "bar")),
    case("unknown caller field, odd name", '$.caller["a b"]', (("caller", "a b"), 1)),
    case("caller field in AWS's spelling", "$.caller.Arn", (("caller", "Arn"), "x")),
    case("unknown role field", "$.role.path", (("role", "path"), "/")),
    case("unknown request field", "$.request.RoleSessionName", (("request", "RoleSessionName"), "s1")),
    case("unknown request tag field", "$.request.tags[0].key", (("request", "tags", 0, "key"), "k")),
    case("unknown organization field", "$.organization.ous", (("organization", "ous"), [])),
    case("unknown semantics option", "$.semantics.strict", (("semantics", "strict"), True)),
    case("unknown expect field", "$.expect.rule", (("expect", "rule"), "R14")),
    case(
        "role option in semantics",
        "$.semantics.legacy_implicit_self_trust",
        (("semantics", "legacy_implicit_self_trust"), True),
    ),
    # wrong JSON types
    pytest.param(["caller", "role", "request"], "$", id="scenario not an object"),
    case("caller not an object", "$.caller", (("caller",), "alice")),
    case("caller.arn a number", "$.caller.arn", (("caller", "arn"), 111111111111)),
    case("caller.identity_policies an object", "$.caller.identity_policies", (("caller", "identity_policies"), {})),
    case("identity policy a string", "$.caller.identity_policies[0]", (("caller", "identity_policies", 0), "{}")),
    case("permissions_boundary an array", "$.caller.permissions_boundary", (("caller", "permissions_boundary"), [])),
    case("caller.mfa a string", "$.caller.mfa", (("caller", "mfa"), "true")),
    case("caller tag value a number", "$.caller.tags.team", (("caller", "tags", "team"), 1)),
    case("caller.tags null", "$.caller.tags", (("caller", "tags"), None)),
    case("role.arn null", "$.role.arn", (("role", "arn"), None)),
    case("trust_policy null", "$.role.trust_policy", (("role", "trust_policy"), None)),
    case("max_session_duration a string", "$.role.max_session_duration", (("role", "max_session_duration"), "3600")),
    case("role.exists a number", "$.role.exists", (("role", "exists"), 1)),
    case("request not an object", "$.request", (("request",), [])),
    case("role_session_name a number", "$.request.role_session_name", (("request", "role_session_name"), 1)),
    case("duration_seconds a string", "$.request.duration_seconds", (("request", "duration_seconds"), "3600")),
    case("duration_seconds a boolean", "$.request.duration_seconds", (("request", "duration_seconds"), True)),
    case("duration_seconds null", "$.request.duration_seconds", (("request", "duration_seconds"), None)),
    case("duration_seconds an array", "$.request.duration_seconds", (("request", "duration_seconds"), [3600])),
    case("duration_seconds beyond 64 bits", "$.request.duration_seconds", (("request", "duration_seconds"), 2**63)),
    case("external_id null", "$.request.external_id", (("request", "external_id"), None)),
    case("request.tags an object", "$.request.tags", (("request", "tags"), {"project": "x"})),
    case("request tag a string", "$.request.tags[0]", (("request", "tags", 0), "project=x")),
    case("request tag value a number", "$.request.tags[0].Value", (("request", "tags", 0, "Value"), 1)),
    case("policy_arns a string", "$.request.policy_arns", (("request", "policy_arns"), "arn:aws:iam::aws:policy/X")),
    case("policy_arns entry a number", "$.request.policy_arns[0]", (("request", "policy_arns", 0), 1)),
    case("session policy as an object", "$.request.policy", (("request", "policy"), {"Version": "2012-10-17"})),
    case("organization a string", "$.organization", (("organization",), "o-a1b2c3d4e5")),
    case("members a string", "$.organization.members", (("organization", "members"), "111111111111")),
    case("scp chain an object", '$.organization.scps["111111111111"]', (("organization", "scps", "111111111111"), {})),
    case(
        "scp level an object",
        '$.organization.scps["111111111111"][0]',
        (("organization", "scps", "111111111111", 0), {}),
    ),
    case(
        "scp a string",
        '$.organization.scps["111111111111"][0][0]',
        (("organization", "scps", "111111111111", 0, 0), "FullAWSAccess"),
    ),
    case("context an array", "$.context", (("context",), [])),
    case("context value a number", '$.context["aws:SourceIp"]', (("context", "aws:SourceIp"), 7)),
    case("context value an array of numbers", '$.context["aws:SourceVpce"]', (("context", "aws:SourceVpce"), [1])),
    case(
        "semantics option a string",
        "$.semantics.wildcard_matches_services",
        (("semantics", "wildcard_matches_services"), "false"),
    ),
    case("semantics null", "$.semantics", (("semantics",), None)),
    case("expect a string", "$.expect", (("expect",), "allowed")),
    case("id a number", "$.id", (("id",), 5)),
    case(
        "nonexistent_principals a string",
        "$.nonexistent_principals",
        (("nonexistent_principals",), "arn:aws:iam::333333333333:user/gone"),
    ),
    case(
        "disabled regions a string",
        '$.disabled_regions["222222222222"]',
        (("disabled_regions", "222222222222"), "ap-east-1"),
    ),
    # missing required fields
    case("no caller", "$", (("caller",), DELETE)),
    case("no role", "$", (("role",), DELETE)),
    case("no request", "$", (("request",), DELETE)),
    case("caller with neither arn nor service", "$.caller", (("caller", "arn"), DELETE)),
    case("no role.arn", "$.role", (("role", "arn"), DELETE)),
    case("no trust_policy", "$.role", (("role", "trust_policy"), DELETE)),
    case("no role_session_name", "$.request", (("request", "role_session_name"), DELETE)),
    case("request tag without Value", "$.request.tags[0]", (("request", "tags", 0, "Value"), DELETE)),
    case("organization without id", "$.organization", (("organization", "id"), DELETE)),
    case("organization without management_account", "$.organization", (("organization", "management_account"), DELETE)),
    case("expect without decision", "$.expect", (("expect", "decision"), DELETE)),
    # values the schema describes as well
    case("caller with both arn and service", "$.caller", (("caller", "service"), "ec2.amazonaws.com")),
    case("caller.arn not an ARN", "$.caller.arn", (("caller", "arn"), "alice")),
    case("caller.arn a role ARN", "$.caller.arn", (("caller", "arn"), "arn:aws:iam::111111111111:role/R")),
    case(
        "caller.arn unknown partition", "$.caller.arn", (("caller", "arn"), "arn:aws-xx:iam::111111111111:user/alice")
    ),
    case("caller.arn 11-digit account", "$.caller.arn", (("caller", "arn"), "arn:aws:iam::11111111111:user/alice")),
    case(
        "caller.arn with a region", "$.caller.arn", (("caller", "arn"), "arn:aws:iam:us-east-1:111111111111:user/alice")
    ),
    case(
        "session name of one character",
        "$.caller.arn",
        (("caller", "arn"), "arn:aws:sts::111111111111:assumed-role/RA/s"),
    ),
    case(
        "caller.arn with a trailing newline",
        "$.caller.arn",
        (("caller", "arn"), "arn:aws:iam::111111111111:user/alice\n"),
    ),
    case("service not a service principal", "$.caller.service", *AS_SERVICE, (("caller", "service"), "ec2")),
    case("service caller with mfa", "$.caller.mfa", *AS_SERVICE, (("caller", "mfa"), False)),
    case(
        "service caller with a boundary",
        "$.caller.permissions_boundary",
        *AS_SERVICE,
        (("caller", "permissions_boundary"), None),
    ),
    case(
        "service caller with credentials", "$.caller.credentials", *AS_SERVICE, (("caller", "credentials"), "long-term")
    ),
    case(
        "service caller with identity policies",
        "$.caller.identity_policies",
        *AS_SERVICE,
        (("caller", "identity_policies"), BASE["caller"]["identity_policies"]),
    ),
    case("credentials unknown", "$.caller.credentials", (("caller", "credentials"), "password")),
    case("credentials impossible for a user", "$.caller.credentials", (("caller", "credentials"), "role-session")),
    case(
        "credentials impossible for a session",
        "$.caller.credentials",
        (("caller", "arn"), SESSION_ARN),
        (("caller", "credentials"), "long-term"),
    ),
    case(
        "credentials impossible for root",
        "$.caller.credentials",
        (("caller", "arn"), "arn:aws:iam::111111111111:root"),
        (("caller", "credentials"), "session-token"),
    ),
    case("role_path for a user", "$.caller.role_path", (("caller", "role_path"), "/team/")),
    case(
        "role_path not a path",
        "$.caller.role_path",
        (("caller", "arn"), SESSION_ARN),
        (("caller", "role_path"), "team"),
    ),
    case(
        "role_path longer than 512",
        "$.caller.role_path",
        (("caller", "arn"), SESSION_ARN),
        (("caller", "role_path"), "/" + "a" * 511 + "/"),
    ),
    case(
        "session policy for a user",
        "$.caller.session_policy",
        (("caller", "session_policy"), {"Version": "2012-10-17", "Statement": []}),
    ),
    case("source identity for a user", "$.caller.source_identity", (("caller", "source_identity"), "alice")),
    case(
        "transitive tag keys for a user", "$.caller.transitive_tag_keys", (("caller", "transitive_tag_keys"), ["team"])
    ),
    case(
        "unique_id for root",
        "$.caller.unique_id",
        (("caller", "arn"), "arn:aws:iam::111111111111:root"),
        (("caller", "unique_id"), "AIDAEXAMPLE"),
    ),
    case("unique_id without prefix", "$.caller.unique_id", (("caller", "unique_id"), "EXAMPLE123")),
    case("unique_id prefix alone", "$.caller.unique_id", (("caller", "unique_id"), "AIDA")),
    case("role.arn a user ARN", "$.role.arn", (("role", "arn"), "arn:aws:iam::222222222222:user/R")),
    case("role.arn name too long", "$.role.arn", (("role", "arn"), "arn:aws:iam::222222222222:role/" + "R" * 65)),
    case(
        "role.arn path too long", "$.role.arn", (("role", "arn"), "arn:aws:iam::222222222222:role/" + "p" * 511 + "/R")
    ),
    case("role_id not AROA", "$.role.role_id", (("role", "role_id"), "AIDAEXAMPLE")),
    case("role_id with punctuation", "$.role.role_id", (("role", "role_id"), "AROA-1")),
    case("max_session_duration below 3600", "$.role.max_session_duration", (("role", "max_session_duration"), 900)),
    case("max_session_duration above 43200", "$.role.max_session_duration", (("role", "max_session_duration"), 43201)),
    case("organization id shape", "$.organization.id", (("organization", "id"), "o-abc")),
    case(
        "management account not 12 digits",
        "$.organization.management_account",
        (("organization", "management_account"), "99999999999"),
    ),
    case(
        "management account a number",
        "$.organization.management_account",
        (("organization", "management_account"), 999999999999),
    ),
    case(
        "member account in Arabic-Indic digits",
        "$.organization.members[0]",
        (("organization", "members", 0), "\u0661" * 12),
    ),
    case("empty SCP chain", '$.organization.scps["111111111111"]', (("organization", "scps", "111111111111"), [])),
    case(
        "context key computed by the model",
        '$.context["aws:PrincipalArn"]',
        (("context", "aws:PrincipalArn"), "arn:aws:iam::1:user/x"),
    ),
    case(
        "context key computed by the model, other case",
        '$.context["AWS:principaltag/team"]',
        (("context", "AWS:principaltag/team"), "blue"),
    ),
    case("context sts key", '$.context["sts:ExternalId"]', (("context", "sts:ExternalId"), "ext-123")),
    # U+212A KELVIN SIGN lower-cases to "k" (the loader compares lower-cased keys); paths escape it as JSON does
    case("context key with a Kelvin sign", '$.context["aws:Tag\\u212aeys"]', (("context", "aws:Tag\u212aeys"), "team")),
    case(
        "context region and request region",
        '$.context["aws:RequestedRegion"]',
        (("request", "region"), "eu-west-1"),
        (("context", "aws:RequestedRegion"), "eu-west-1"),
    ),
    case("expect decision unknown", "$.expect.decision", (("expect", "decision"), "Allowed")),
    case("expect denied_by unknown", "$.expect.denied_by", (("expect", "denied_by"), "trust policy")),
    case("expect action unknown", "$.expect.action", (("expect", "action"), "sts:assumerole")),
    case("expect error_code without error", "$.expect.error_code", (("expect", "error_code"), "ValidationError")),
    case(
        "disabled regions for a bad account",
        '$.disabled_regions["2222"]',
        (("disabled_regions", "2222"), ["us-east-1"]),
    ),
]

FC = ("federated_caller",)
CLAIMS = (*FC, "claims")
ASSERTION = (*FC, "assertion")
TAGS = (*CLAIMS, loader.TAGS_CLAIM)
IDP = ("identity_providers", "222222222222")
OIDC = (*IDP, "oidc", 0)
SAML_IDP = (*IDP, "saml", 0)
ORIGIN = ("caller", "federated_origin")
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
TAGS_PATH = '$.federated_caller.claims["https://aws.amazon.com/tags"]'
IDP_PATH = '$.identity_providers["222222222222"]'

#: The same promise for the federated doors (format v1.1, docs/federation.md §3) and for
#: caller.federated_origin at the AssumeRole door.
REFUSED_FEDERATED = [
    # the doors
    case("api unknown", "$.api", (("api",), "AssumeRoleWithOIDC"), base=WEB),
    case("api in another case", "$.api", (("api",), "assumerolewithsaml"), base=SAML),
    case("api a number", "$.api", (("api",), 1), base=WEB),
    case("api null", "$.api", (("api",), None)),
    case("caller at a federated door", "$.caller", (("caller",), BASE["caller"]), base=WEB),
    case("caller at the SAML door", "$.caller", (("caller",), BASE["caller"]), base=SAML),
    case(
        "nonexistent_principals at a federated door",
        "$.nonexistent_principals",
        (("nonexistent_principals",), []),
        base=WEB,
    ),
    case("no federated_caller", "$", ((*FC,), DELETE), base=WEB),
    case(
        "no federated_caller, a caller instead", "$.caller", ((*FC,), DELETE), (("caller",), BASE["caller"]), base=WEB
    ),
    case("no role at a federated door", "$", (("role",), DELETE), base=SAML),
    case("no request at a federated door", "$", (("request",), DELETE), base=WEB),
    case("federated_caller at the AssumeRole door", "$.federated_caller", ((*FC,), WEB["federated_caller"])),
    case("federated_caller null at the AssumeRole door", "$.federated_caller", ((*FC,), None)),
    case(
        "federated_caller with api AssumeRole",
        "$.federated_caller",
        (("api",), "AssumeRole"),
        ((*FC,), WEB["federated_caller"]),
    ),
    case("federated scenario with api AssumeRole", "$.federated_caller", (("api",), "AssumeRole"), base=WEB),
    case("identity_providers at the AssumeRole door", "$.identity_providers", (("identity_providers",), {})),
    # unknown fields
    case("unknown federated_caller field", "$.federated_caller.foo", ((*FC, "foo"), 1), base=WEB),
    case(
        "federated_caller field in AWS's spelling",
        "$.federated_caller.WebIdentityToken",
        ((*FC, "WebIdentityToken"), "eyJ..."),
        base=WEB,
    ),
    case("unknown assertion field", "$.federated_caller.assertion.foo", ((*ASSERTION, "foo"), "x"), base=SAML),
    case(
        "assertion field in SAML's spelling",
        "$.federated_caller.assertion.Issuer",
        ((*ASSERTION, "Issuer"), "http://www.okta.com/exk1abcd"),
        base=SAML,
    ),
    case("unknown tags-claim field", f"{TAGS_PATH}.tags", ((*TAGS, "tags"), {}), base=WEB),
    case("unknown identity-providers entry field", f"{IDP_PATH}.iam", ((*IDP, "iam"), []), base=WEB),
    case("unknown OIDC provider field", f"{IDP_PATH}.oidc[0].arn", ((*OIDC, "arn"), GITHUB_PROVIDER), base=WEB),
    case("unknown SAML provider field", f"{IDP_PATH}.saml[0].arn", ((*SAML_IDP, "arn"), SAML_PROVIDER), base=SAML),
    case("unknown web identity request field", "$.request.foo", (("request", "foo"), 1), base=WEB),
    case("web identity request with tags", "$.request.tags", (("request", "tags"), []), base=WEB),
    case(
        "web identity request with an external id", "$.request.external_id", (("request", "external_id"), "x"), base=WEB
    ),
    case(
        "web identity request with principal_arn",
        "$.request.principal_arn",
        (("request", "principal_arn"), SAML_PROVIDER),
        base=WEB,
    ),
    case(
        "SAML request with a session name",
        "$.request.role_session_name",
        (("request", "role_session_name"), "s1"),
        base=SAML,
    ),
    case(
        "SAML request with provider_id",
        "$.request.provider_id",
        (("request", "provider_id"), "www.amazon.com"),
        base=SAML,
    ),
    case(
        "SAML request with a source identity",
        "$.request.source_identity",
        (("request", "source_identity"), "a"),
        base=SAML,
    ),
    case(
        "unknown federated_origin field",
        "$.caller.federated_origin.arn",
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "arn"), "x"),
    ),
    case(
        "unknown semantics option at a federated door", "$.semantics.strict", (("semantics", "strict"), True), base=WEB
    ),
    # wrong JSON types
    case("federated_caller not an object", "$.federated_caller", ((*FC,), "github"), base=WEB),
    case("federated_caller null", "$.federated_caller", ((*FC,), None), base=WEB),
    case("provider a number", "$.federated_caller.provider", ((*FC, "provider"), 1), base=WEB),
    case("provider null", "$.federated_caller.provider", ((*FC, "provider"), None), base=WEB),
    case("token_status null", "$.federated_caller.token_status", ((*FC, "token_status"), None), base=WEB),
    case("claims an array", "$.federated_caller.claims", ((*CLAIMS,), []), base=WEB),
    case("claims null", "$.federated_caller.claims", ((*CLAIMS,), None), base=WEB),
    case("iss a number", "$.federated_caller.claims.iss", ((*CLAIMS, "iss"), 1), base=WEB),
    case(
        "a SAML assertion whose IdP is unreachable",
        "$.federated_caller.token_status",
        ((*FC, "token_status"), "idp_unreachable"),
        base=SAML,
    ),
    case(
        "an OIDC provider key with a trailing newline",
        "$.federated_caller.provider",
        ((*FC, "provider"), f"{GITHUB}\n"),
        ((*CLAIMS, "iss"), DELETE),
        base=WEB,
    ),
    case(
        "an OIDC provider key with a port",
        "$.federated_caller.provider",
        ((*FC, "provider"), "idp.example:8443"),
        base=WEB,
    ),
    case(
        "an OIDC provider URL with a query",
        '$.identity_providers["222222222222"].oidc[0].url',
        ((*OIDC, "url"), f"https://{GITHUB}/a?b=c"),
        base=WEB,
    ),
    case(
        "an OIDC provider URL with a trailing newline",
        '$.identity_providers["222222222222"].oidc[0].url',
        ((*OIDC, "url"), f"https://{GITHUB}/\n"),
        base=WEB,
    ),
    case("sub a number", "$.federated_caller.claims.sub", ((*CLAIMS, "sub"), 1), base=WEB),
    case("sub null", "$.federated_caller.claims.sub", ((*CLAIMS, "sub"), None), base=WEB),
    case("sub an array", "$.federated_caller.claims.sub", ((*CLAIMS, "sub"), ["a"]), base=WEB),
    case("azp a boolean", "$.federated_caller.claims.azp", ((*CLAIMS, "azp"), True), base=WEB),
    case("aud a number", "$.federated_caller.claims.aud", ((*CLAIMS, "aud"), 1), base=WEB),
    case("aud an object", "$.federated_caller.claims.aud", ((*CLAIMS, "aud"), {}), base=WEB),
    case(
        "aud entry a number", "$.federated_caller.claims.aud[1]", ((*CLAIMS, "aud"), ["sts.amazonaws.com", 1]), base=WEB
    ),
    case("amr entry null", "$.federated_caller.claims.amr[0]", ((*CLAIMS, "amr", 0), None), base=WEB),
    case("amr a boolean", "$.federated_caller.claims.amr", ((*CLAIMS, "amr"), True), base=WEB),
    case(
        "roles claim a number",
        '$.federated_caller.claims["https://aws.amazon.com/roles"]',
        ((*CLAIMS, loader.ROLES_CLAIM), 1),
        base=WEB,
    ),
    case(
        "source identity claim a number",
        '$.federated_caller.claims["https://aws.amazon.com/source_identity"]',
        ((*CLAIMS, loader.SOURCE_IDENTITY_CLAIM), 1),
        base=WEB,
    ),
    case("tags claim an array", TAGS_PATH, ((*TAGS,), []), base=WEB),
    case("principal_tags an array", f"{TAGS_PATH}.principal_tags", ((*TAGS, "principal_tags"), []), base=WEB),
    case("principal_tags null", f"{TAGS_PATH}.principal_tags", ((*TAGS, "principal_tags"), None), base=WEB),
    case(
        "principal tag value a string",
        f"{TAGS_PATH}.principal_tags.team",
        ((*TAGS, "principal_tags", "team"), "blue"),
        base=WEB,
    ),
    case(
        "principal tag value entry a number",
        f"{TAGS_PATH}.principal_tags.team[0]",
        ((*TAGS, "principal_tags", "team", 0), 1),
        base=WEB,
    ),
    case(
        "transitive_tag_keys null in the tags claim",
        f"{TAGS_PATH}.transitive_tag_keys",
        ((*TAGS, "transitive_tag_keys"), None),
        base=WEB,
    ),
    case("assertion an array", "$.federated_caller.assertion", ((*ASSERTION,), []), base=SAML),
    case("assertion null", "$.federated_caller.assertion", ((*ASSERTION,), None), base=SAML),
    case("assertion issuer a number", "$.federated_caller.assertion.issuer", ((*ASSERTION, "issuer"), 1), base=SAML),
    case("assertion name_id null", "$.federated_caller.assertion.name_id", ((*ASSERTION, "name_id"), None), base=SAML),
    case(
        "session_not_on_or_after a number",
        "$.federated_caller.assertion.session_not_on_or_after",
        ((*ASSERTION, "session_not_on_or_after"), 1767272400),
        base=SAML,
    ),
    case("attributes an array", "$.federated_caller.assertion.attributes", ((*ASSERTION, "attributes"), []), base=SAML),
    case(
        "attribute value a string",
        '$.federated_caller.assertion.attributes["https://aws.amazon.com/SAML/Attributes/Role"]',
        ((*ASSERTION, "attributes", ROLE_ATTRIBUTE), f"arn:aws:iam::222222222222:role/saml-admin,{SAML_PROVIDER}"),
        base=SAML,
    ),
    case(
        "attribute value entry a number",
        '$.federated_caller.assertion.attributes["https://aws.amazon.com/SAML/Attributes/Role"][0]',
        ((*ASSERTION, "attributes", ROLE_ATTRIBUTE, 0), 1),
        base=SAML,
    ),
    case("identity_providers an array", "$.identity_providers", (("identity_providers",), []), base=WEB),
    case("identity_providers null", "$.identity_providers", (("identity_providers",), None), base=WEB),
    case("identity-providers entry an array", IDP_PATH, ((*IDP,), []), base=WEB),
    case("oidc an object", f"{IDP_PATH}.oidc", ((*IDP, "oidc"), {}), base=WEB),
    case("oidc null", f"{IDP_PATH}.oidc", ((*IDP, "oidc"), None), base=WEB),
    case("OIDC provider a string", f"{IDP_PATH}.oidc[0]", ((*OIDC,), "https://gitlab.com"), base=WEB),
    case("OIDC url a number", f"{IDP_PATH}.oidc[0].url", ((*OIDC, "url"), 1), base=WEB),
    case(
        "client_ids a string", f"{IDP_PATH}.oidc[0].client_ids", ((*OIDC, "client_ids"), "sts.amazonaws.com"), base=WEB
    ),
    case("client id a number", f"{IDP_PATH}.oidc[0].client_ids[0]", ((*OIDC, "client_ids", 0), 1), base=WEB),
    case("thumbprints null", f"{IDP_PATH}.oidc[0].thumbprints", ((*OIDC, "thumbprints"), None), base=WEB),
    case("thumbprint a number", f"{IDP_PATH}.oidc[0].thumbprints[0]", ((*OIDC, "thumbprints", 0), 1), base=WEB),
    case("saml an object", f"{IDP_PATH}.saml", ((*IDP, "saml"), {}), base=SAML),
    case("SAML provider issuer a number", f"{IDP_PATH}.saml[0].issuer", ((*SAML_IDP, "issuer"), 1), base=SAML),
    case("SAML provider name null", f"{IDP_PATH}.saml[0].name", ((*SAML_IDP, "name"), None), base=SAML),
    case("federated request not an object", "$.request", (("request",), "gha-run-1"), base=WEB),
    case("role_session_name a number", "$.request.role_session_name", (("request", "role_session_name"), 1), base=WEB),
    case("provider_id a number", "$.request.provider_id", (("request", "provider_id"), 1), base=WEB),
    case("principal_arn a number", "$.request.principal_arn", (("request", "principal_arn"), 1), base=SAML),
    case(
        "federated duration_seconds a string",
        "$.request.duration_seconds",
        (("request", "duration_seconds"), "3600"),
        base=SAML,
    ),
    case(
        "federated duration_seconds beyond 64 bits",
        "$.request.duration_seconds",
        (("request", "duration_seconds"), -(2**63) - 1),
        base=WEB,
    ),
    case("federated policy as an object", "$.request.policy", (("request", "policy"), {}), base=SAML),
    case("federated policy_arns a string", "$.request.policy_arns", (("request", "policy_arns"), "arn"), base=WEB),
    case("federated region null", "$.request.region", (("request", "region"), None), base=WEB),
    case("federated_origin a string", "$.caller.federated_origin", *AS_FEDERATED_SESSION, ((*ORIGIN,), SAML_PROVIDER)),
    case(
        "federated_origin provider a number",
        "$.caller.federated_origin.provider",
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), 1),
    ),
    case(
        "federated_origin keys an array",
        "$.caller.federated_origin.keys",
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "keys"), []),
    ),
    case(
        "federated_origin keys null", "$.caller.federated_origin.keys", *AS_FEDERATED_SESSION, ((*ORIGIN, "keys"), None)
    ),
    case(
        "federated_origin key value a number",
        '$.caller.federated_origin.keys["saml:sub"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "keys", "saml:sub"), 1),
    ),
    case(
        "federated_origin key value entry a number",
        '$.caller.federated_origin.keys["saml:sub"][0]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "keys", "saml:sub"), [1]),
    ),
    case(
        "trust_predates_idp_controls a string",
        "$.role.trust_predates_idp_controls",
        (("role", "trust_predates_idp_controls"), "true"),
        base=WEB,
    ),
    case(
        "federated_provider_value a boolean",
        "$.semantics.federated_provider_value",
        (("semantics", "federated_provider_value"), True),
        base=WEB,
    ),
    case(
        "scps_apply_to_federated a string",
        "$.semantics.scps_apply_to_federated",
        (("semantics", "scps_apply_to_federated"), "yes"),
        base=WEB,
    ),
    case("federated expect a string", "$.expect", (("expect",), "allowed"), base=SAML),
    # missing required fields
    case("no provider_kind", "$.federated_caller", ((*FC, "provider_kind"), DELETE), base=WEB),
    case("web identity caller without a provider", "$.federated_caller", ((*FC, "provider"), DELETE), base=WEB),
    case("SAML caller without an assertion", "$.federated_caller", ((*ASSERTION,), DELETE), base=SAML),
    case(
        "web identity request without a session name", "$.request", (("request", "role_session_name"), DELETE), base=WEB
    ),
    case("SAML request without principal_arn", "$.request", (("request", "principal_arn"), DELETE), base=SAML),
    case("OIDC provider without url", f"{IDP_PATH}.oidc[0]", ((*OIDC, "url"), DELETE), base=WEB),
    case("OIDC provider without client_ids", f"{IDP_PATH}.oidc[0]", ((*OIDC, "client_ids"), DELETE), base=WEB),
    case("SAML provider without name", f"{IDP_PATH}.saml[0]", ((*SAML_IDP, "name"), DELETE), base=SAML),
    case("SAML provider without issuer", f"{IDP_PATH}.saml[0]", ((*SAML_IDP, "issuer"), DELETE), base=SAML),
    case(
        "federated_origin without provider",
        "$.caller.federated_origin",
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), DELETE),
    ),
    case("federated expect without decision", "$.expect", (("expect", "decision"), DELETE), base=WEB),
    # values the schema describes as well
    case("provider_kind unknown", "$.federated_caller.provider_kind", ((*FC, "provider_kind"), "jwt"), base=WEB),
    case(
        "provider_kind in another case", "$.federated_caller.provider_kind", ((*FC, "provider_kind"), "OIDC"), base=WEB
    ),
    case("provider_kind a number", "$.federated_caller.provider_kind", ((*FC, "provider_kind"), 1), base=WEB),
    case(
        "provider_kind saml at the web door",
        "$.federated_caller.provider_kind",
        ((*FC, "provider_kind"), "saml"),
        base=WEB,
    ),
    case(
        "provider_kind oidc at the SAML door",
        "$.federated_caller.provider_kind",
        ((*FC, "provider_kind"), "oidc"),
        base=SAML,
    ),
    case("token_status unknown", "$.federated_caller.token_status", ((*FC, "token_status"), "revoked"), base=SAML),
    case(
        "cognito_pool_account for an OIDC token",
        "$.federated_caller.cognito_pool_account",
        ((*FC, "cognito_pool_account"), "222222222222"),
        base=WEB,
    ),
    case(
        "cognito_pool_account for a SAML caller",
        "$.federated_caller.cognito_pool_account",
        ((*FC, "cognito_pool_account"), "222222222222"),
        base=SAML,
    ),
    case(
        "cognito_pool_account not 12 digits",
        "$.federated_caller.cognito_pool_account",
        *AS_COGNITO,
        ((*FC, "cognito_pool_account"), "2222"),
        base=WEB,
    ),
    case(
        "cognito_pool_account a number",
        "$.federated_caller.cognito_pool_account",
        *AS_COGNITO,
        ((*FC, "cognito_pool_account"), 222222222222),
        base=WEB,
    ),
    case(
        "Cognito token of another provider",
        "$.federated_caller.provider",
        *AS_COGNITO,
        ((*FC, "provider"), "cognito-idp.us-east-1.amazonaws.com"),
        base=WEB,
    ),
    case(
        "well_known token of an unknown host",
        "$.federated_caller.provider",
        ((*FC, "provider_kind"), "well_known"),
        ((*FC, "provider"), "login.microsoftonline.com"),
        base=WEB,
    ),
    case(
        "well_known token of Cognito",
        "$.federated_caller.provider",
        ((*FC, "provider_kind"), "well_known"),
        ((*FC, "provider"), loader.COGNITO_HOST),
        base=WEB,
    ),
    case(
        "OIDC provider a built-in host",
        "$.federated_caller.provider",
        ((*FC, "provider"), "accounts.google.com"),
        base=WEB,
    ),
    case(
        "OIDC provider with its scheme",
        "$.federated_caller.provider",
        ((*FC, "provider"), f"https://{GITHUB}"),
        base=WEB,
    ),
    case(
        "OIDC provider with a trailing slash",
        "$.federated_caller.provider",
        ((*FC, "provider"), f"{GITHUB}/"),
        base=WEB,
    ),
    case(
        "OIDC provider with a leading slash", "$.federated_caller.provider", ((*FC, "provider"), f"/{GITHUB}"), base=WEB
    ),
    case("OIDC provider empty", "$.federated_caller.provider", ((*FC, "provider"), ""), base=WEB),
    case("SAML caller with a provider", "$.federated_caller.provider", ((*FC, "provider"), "Okta"), base=SAML),
    case("SAML caller with claims", "$.federated_caller.claims", ((*FC, "claims"), {}), base=SAML),
    case("web identity caller with an assertion", "$.federated_caller.assertion", ((*ASSERTION,), {}), base=WEB),
    case("aud an empty array", "$.federated_caller.claims.aud", ((*CLAIMS, "aud"), []), base=WEB),
    case(
        "identity providers of a bad account",
        '$.identity_providers["2222"]',
        (("identity_providers", "2222"), {}),
        base=WEB,
    ),
    case("OIDC url without https://", f"{IDP_PATH}.oidc[0].url", ((*OIDC, "url"), GITHUB), base=WEB),
    case("OIDC url over http", f"{IDP_PATH}.oidc[0].url", ((*OIDC, "url"), f"http://{GITHUB}"), base=WEB),
    case("OIDC url with a port", f"{IDP_PATH}.oidc[0].url", ((*OIDC, "url"), f"https://{GITHUB}:443"), base=WEB),
    case("OIDC url with a trailing slash", f"{IDP_PATH}.oidc[0].url", ((*OIDC, "url"), f"https://{GITHUB}/"), base=WEB),
    case("OIDC url of the scheme alone", f"{IDP_PATH}.oidc[0].url", ((*OIDC, "url"), "https://"), base=WEB),
    case("no client ids", f"{IDP_PATH}.oidc[0].client_ids", ((*OIDC, "client_ids"), []), base=WEB),
    case(
        "101 client ids",
        f"{IDP_PATH}.oidc[0].client_ids",
        ((*OIDC, "client_ids"), [f"c{i}" for i in range(101)]),
        base=WEB,
    ),
    case("an empty client id", f"{IDP_PATH}.oidc[0].client_ids", ((*OIDC, "client_ids", 0), ""), base=WEB),
    case(
        "a client id of 256 characters",
        f"{IDP_PATH}.oidc[0].client_ids",
        ((*OIDC, "client_ids", 0), "c" * 256),
        base=WEB,
    ),
    case("SAML provider name with a space", f"{IDP_PATH}.saml[0].name", ((*SAML_IDP, "name"), "My IdP"), base=SAML),
    case(
        "SAML provider name of 129 characters", f"{IDP_PATH}.saml[0].name", ((*SAML_IDP, "name"), "O" * 129), base=SAML
    ),
    case("SAML provider name empty", f"{IDP_PATH}.saml[0].name", ((*SAML_IDP, "name"), ""), base=SAML),
    case(
        "SAML provider name with a trailing newline",
        f"{IDP_PATH}.saml[0].name",
        ((*SAML_IDP, "name"), "Okta\n"),
        base=SAML,
    ),
    case("SAML provider name not ASCII", f"{IDP_PATH}.saml[0].name", ((*SAML_IDP, "name"), "Okt\u00e4"), base=SAML),
    case("federated_origin for a user", "$.caller.federated_origin", *AS_FEDERATED_SESSION[1:]),
    case(
        "federated_origin for root",
        "$.caller.federated_origin",
        (("caller", "arn"), "arn:aws:iam::111111111111:root"),
        *AS_FEDERATED_SESSION[1:],
    ),
    case("federated_origin null for a service caller", "$.caller.federated_origin", *AS_SERVICE, ((*ORIGIN,), None)),
    case(
        "federated_origin provider a URL",
        "$.caller.federated_origin.provider",
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), f"https://{GITHUB}"),
    ),
    case(
        "federated_origin provider a role ARN",
        "$.caller.federated_origin.provider",
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), "arn:aws:iam::222222222222:role/saml-admin"),
    ),
    case(
        "federated_origin key that does not survive",
        '$.caller.federated_origin.keys["saml:uid"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "keys", "saml:uid"), "alice"),
    ),
    case(
        "federated_origin key of a web provider for a SAML session",
        f'$.caller.federated_origin.keys["{GITHUB}:sub"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "keys", f"{GITHUB}:sub"), "repo:acme/app:ref:refs/heads/main"),
    ),
    case(
        "federated_origin OIDC key that does not survive",
        f'$.caller.federated_origin.keys["{GITHUB}:repository"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), GITHUB_PROVIDER),
        ((*ORIGIN, "keys"), {f"{GITHUB}:repository": "acme/app"}),
    ),
    case(
        "federated_origin key of another built-in provider",
        '$.caller.federated_origin.keys["accounts.google.com:sub"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), "graph.facebook.com"),
        ((*ORIGIN, "keys"), {"accounts.google.com:sub": "1234"}),
    ),
    case(
        "aws:FederatedProvider in context for a federated session",
        '$.context["aws:FederatedProvider"]',
        *AS_FEDERATED_SESSION,
        (("context", "aws:FederatedProvider"), SAML_PROVIDER),
    ),
    case(
        "aws:FederatedProvider in context at a federated door",
        '$.context["AWS:federatedprovider"]',
        (("context", "AWS:federatedprovider"), GITHUB_PROVIDER),
        base=WEB,
    ),
    case("provider key in context", f'$.context["{GITHUB}:sub"]', (("context", f"{GITHUB}:sub"), "repo:x"), base=WEB),
    case(
        "a claim of another provider in context",
        '$.context["accounts.google.com:aud"]',
        (("context", "accounts.google.com:aud"), "client-1"),
        base=WEB,
    ),
    case(
        "provider with a path in context",
        '$.context["api.pulumi.com/oidc:aud"]',
        (("context", "api.pulumi.com/oidc:aud"), "x"),
        base=WEB,
    ),
    case("saml key in context", '$.context["SAML:aud"]', (("context", "SAML:aud"), "x"), base=SAML),
    case("a bare saml key in context", "$.context.saml", (("context", "saml"), "x"), base=SAML),
    case(
        "sts key in context at a federated door",
        '$.context["sts:RoleAuthorizedByIdp"]',
        (("context", "sts:RoleAuthorizedByIdp"), "true"),
        base=WEB,
    ),
    case(
        "principal key in context at a federated door",
        '$.context["aws:PrincipalTag/team"]',
        (("context", "aws:PrincipalTag/team"), "blue"),
        base=WEB,
    ),
    case(
        "context region and request region at a federated door",
        '$.context["aws:RequestedRegion"]',
        (("context", "aws:RequestedRegion"), "us-east-1"),
        base=WEB,
    ),
    case(
        "context value a number at a federated door",
        '$.context["aws:SourceIp"]',
        (("context", "aws:SourceIp"), 1),
        base=SAML,
    ),
    case(
        "federated_provider_value unknown",
        "$.semantics.federated_provider_value",
        (("semantics", "federated_provider_value"), "ARN"),
        base=WEB,
    ),
    case(
        "expect action unknown at a federated door",
        "$.expect.action",
        (("expect", "action"), "sts:AssumeRoleWithWebidentity"),
        base=WEB,
    ),
    case(
        "expect decision unknown at a federated door",
        "$.expect.decision",
        (("expect", "decision"), "denied"),
        base=SAML,
    ),
    case(
        "disabled regions for a bad account at a federated door",
        '$.disabled_regions["2222"]',
        (("disabled_regions", "2222"), []),
        base=WEB,
    ),
    case(
        "role.arn a user ARN at a federated door",
        "$.role.arn",
        (("role", "arn"), "arn:aws:iam::222222222222:user/R"),
        base=SAML,
    ),
    case("organization id shape at a federated door", "$.organization.id", (("organization", "id"), "o-abc"), base=WEB),
]


@pytest.mark.parametrize(("doc", "path"), REFUSED + REFUSED_FEDERATED)
def test_loader_and_schema_refuse_at_the_same_path(doc: Any, path: str) -> None:
    exc = loader_error(doc)
    assert exc.path == path, exc
    found = schema_error_paths(doc)
    assert found, "the schema accepts what the loader refuses"
    assert exc.path in found, f"loader: {exc}; schema: {sorted(found)}"


# ----------------------------------------------------------------------------- what only the loader refuses

#: Loader checks JSON Schema cannot express (docs/scenario-format.md, "What the schema cannot check"), with
#: the path the loader reports. If one starts to fail because the schema learned to refuse it, move it to REFUSED.
GAPS = [
    case(
        "an OAuth token's app_id a number",
        "$.federated_caller.claims.app_id",
        ((*FC, "provider_kind"), "well_known"),
        ((*FC, "provider"), "graph.facebook.com"),
        ((*CLAIMS, "iss"), DELETE),
        ((*CLAIMS, "app_id"), 1),
        base=WEB,
    ),
    case(
        "an integral number where an integer is required",
        "$.role.max_session_duration",
        (("role", "max_session_duration"), 7200.0),
    ),
    case("tag keys repeated in another case", "$.caller.tags.Team", (("caller", "tags"), {"team": "a", "Team": "b"})),
    case(
        "context keys repeated in another case",
        '$.context["AWS:SOURCEIP"]',
        (("context",), {"aws:SourceIp": "203.0.113.7", "AWS:SOURCEIP": "198.51.100.9"}),
    ),
    case(
        "a transitive tag key that is not among the caller's tags",
        "$.caller.transitive_tag_keys[0]",
        (("caller", "arn"), SESSION_ARN),
        (("caller", "transitive_tag_keys"), ["cost-center"]),
    ),
    case(
        "an SCP chain for an account outside the organization",
        '$.organization.scps["333333333333"]',
        (("organization", "scps", "333333333333"), [[]]),
    ),
    case(
        "aws:PrincipalOrgID in context for a caller inside the organization",
        '$.context["aws:PrincipalOrgID"]',
        (("context", "aws:PrincipalOrgID"), "o-a1b2c3d4e5"),
    ),
    case(
        "aws:ResourceOrgID in context for a role inside the organization",
        '$.context["aws:ResourceOrgID"]',
        (("context", "aws:ResourceOrgID"), "o-a1b2c3d4e5"),
    ),
    case(
        "a non-ASCII character that is no letter or digit in a unique id",
        "$.role.role_id",
        (("role", "role_id"), "AROA\u00a0EXAMPLE"),
    ),
    # the federated doors (format v1.1): comparisons between two values, and values repeated in a list
    case(
        "an https:// issuer that is not the provider",
        "$.federated_caller.claims.iss",
        ((*CLAIMS, "iss"), "https://gitlab.com"),
        base=WEB,
    ),
    case(
        "a SessionNotOnOrAfter that is not an ISO 8601 time",
        "$.federated_caller.assertion.session_not_on_or_after",
        ((*ASSERTION, "session_not_on_or_after"), "tomorrow"),
        base=SAML,
    ),
    case(
        "an OIDC provider URL repeated in one account",
        f"{IDP_PATH}.oidc[1].url",
        ((*IDP, "oidc"), [WEB["identity_providers"]["222222222222"]["oidc"][0]] * 2),
        base=WEB,
    ),
    case(
        "a SAML provider name repeated in one account",
        f"{IDP_PATH}.saml[1].name",
        ((*IDP, "saml"), [*SAML["identity_providers"]["222222222222"]["saml"], {"name": "Okta", "issuer": "http://x"}]),
        base=SAML,
    ),
    case(
        "a federated_origin key of another provider than the session's IAM OIDC provider",
        '$.caller.federated_origin.keys["gitlab.com:sub"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), GITHUB_PROVIDER),
        ((*ORIGIN, "keys"), {"gitlab.com:sub": "project_path:acme/app"}),
    ),
    case(
        "a saml key for a session of an IAM OIDC provider",
        '$.caller.federated_origin.keys["saml:sub"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "provider"), GITHUB_PROVIDER),
    ),
    case(
        "federated_origin keys repeated in another case",
        '$.caller.federated_origin.keys["SAML:SUB"]',
        *AS_FEDERATED_SESSION,
        ((*ORIGIN, "keys", "SAML:SUB"), "other"),
    ),
    case(
        "a key of caller.federated_origin also given in context",
        '$.context["saml:sub"]',
        *AS_FEDERATED_SESSION,
        (("context", "saml:sub"), "00u1abcd"),
    ),
]


@pytest.mark.parametrize(("doc", "path"), GAPS)
def test_what_only_the_loader_refuses(doc: Any, path: str) -> None:
    assert loader_error(doc).path == path
    assert_schema_accepts(doc)


def test_repeated_json_keys_are_invisible_to_the_schema() -> None:
    text = json.dumps(BASE)[:-1] + ', "id": "a", "id": "b"}'
    doc = load_json(text)
    assert loader_error(doc).path == "$.id"
    assert_schema_accepts(doc)


def test_unicode_letters_in_a_unique_id_are_accepted_by_both() -> None:
    """The loader's "letters and digits" is :meth:`str.isalnum`; the schema lets every non-ASCII character through."""
    doc = mutate((("role", "role_id"), "AROA\u00e9\u0661"))
    load_scenario(doc)
    assert_schema_accepts(doc)


def accepted(name: str, *changes: Change, base: dict[str, Any] = BASE) -> Any:
    """``base`` with changes that keep it valid."""
    return pytest.param(mutate(*changes, base=base), id=name)


#: Values at the edge of a loader rule that both sides accept (the schema must not be stricter).
EKS = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
ACCEPTED = [
    accepted("aud null", ((*CLAIMS, "aud"), None), base=WEB),
    accepted("amr an empty array", ((*CLAIMS, "amr"), []), base=WEB),
    accepted("tags claim null", ((*TAGS,), None), base=WEB),
    accepted("an issuer that is not a URL", ((*CLAIMS, "iss"), "token.actions.githubusercontent.com"), base=WEB),
    accepted("claims of the provider's own", ((*CLAIMS, "repository_owner_id"), 42), base=WEB),
    accepted(
        "an OIDC provider key with a path",
        ((*FC, "provider"), EKS),
        ((*CLAIMS, "iss"), f"https://{EKS}"),
        base=WEB,
    ),
    accepted("an issuer that is the provider", ((*CLAIMS, "iss"), f"https://{GITHUB}"), base=WEB),
    accepted("app_id a number in an OIDC token", ((*CLAIMS, "app_id"), 1), base=WEB),
    accepted("an OIDC provider URL with a path", ((*OIDC, "url"), "https://api.pulumi.com/oidc"), base=WEB),
    accepted("an OIDC provider URL with a colon in its path", ((*OIDC, "url"), "https://idp.example/a:b"), base=WEB),
    accepted(
        "a SessionNotOnOrAfter that is a date", ((*ASSERTION, "session_not_on_or_after"), "2026-01-01"), base=SAML
    ),
    accepted("an empty assertion", ((*ASSERTION,), {}), base=SAML),
    accepted("federated_origin null for a user", ((*ORIGIN,), None)),
    accepted("federated_origin keys in another case", *AS_FEDERATED_SESSION, ((*ORIGIN, "keys"), {"SAML:Sub": "x"})),
    accepted(
        "a Cognito session's amr",
        *AS_FEDERATED_SESSION,
        (
            (*ORIGIN,),
            {"provider": loader.COGNITO_HOST, "keys": {"cognito-identity.amazonaws.com:amr": ["authenticated"]}},
        ),
    ),
    accepted(
        "a provider key in context at the AssumeRole door",
        (("context", f"{GITHUB}:sub"), "repo:acme/app:ref:refs/heads/main"),
    ),
]


@pytest.mark.parametrize("doc", ACCEPTED)
def test_edge_values_are_accepted_by_both(doc: Any) -> None:
    load_scenario(doc)
    assert_schema_accepts(doc)
