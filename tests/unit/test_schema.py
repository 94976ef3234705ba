"""The JSON Schema of the scenario format (model/scenario.schema.json) against the loader.

The loader (:func:`rolecall.model.load_scenario`) is the authority on what a scenario is; the
schema is its portable description for other tools. Two promises are checked here:

* the schema never refuses a scenario the loader accepts (the stored scenarios, and every
  scenario the public strategies draw);
* where the loader refuses a structural fault (an unknown field, a wrong JSON type, a missing
  required field) or a value JSON Schema can describe (an enum, an ARN shape, a range), the
  schema refuses it too, *at the same JSON path*.

What the schema cannot say is listed in docs/scenario-format.md ("What the schema cannot
check"); :data:`GAPS` pins each item, so that a change on either side shows up here.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from jsonschema import Draft202012Validator, ValidationError

from rolecall.model import InputError, load_scenario
from rolecall.model import scenario as loader
from rolecall.model.errors import child
from rolecall.model.policy import load_json
from rolecall.strategies import scenarios
from tests.conftest import EXAMPLES, ROOT, SPEC_SCENARIOS

SCHEMA_FILE = ROOT / "model" / "scenario.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
STORED = sorted(SPEC_SCENARIOS.glob("*.json")) + sorted(EXAMPLES.glob("*.json"))


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


def test_every_field_is_described() -> None:
    defs = SCHEMA["$defs"]
    for name, sub in defs.items():
        assert sub.get("description"), name
    for owner in (SCHEMA, *defs.values()):
        for name, sub in owner.get("properties", {}).items():
            assert sub.get("description") or sub.get("$ref"), name


def test_the_schema_declares_exactly_the_loaders_fields() -> None:
    """A field added to the loader and not to the schema (or the reverse) fails here."""
    defs = SCHEMA["$defs"]
    assert set(SCHEMA["properties"]) == set(loader._SCENARIO_FIELDS)
    assert set(defs["caller"]["properties"]) == set(loader._CALLER_FIELDS)
    assert set(defs["role"]["properties"]) == set(loader._ROLE_FIELDS)
    assert set(defs["request"]["properties"]) == set(loader._REQUEST_FIELDS)
    assert set(defs["semantics"]["properties"]) == {*loader._SEMANTICS_FIELDS, "legacy_implicit_self_trust"}
    assert defs["decision"]["enum"] == list(loader.DECISIONS)
    assert defs["denied_by"]["enum"] == list(loader.DENIED_BY)
    assert defs["action"]["enum"] == list(loader.ACTIONS)
    assert defs["caller"]["properties"]["credentials"]["enum"] == list(loader._CREDENTIALS)


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


def mutate(*changes: Change) -> dict[str, Any]:
    """BASE with each change applied: a value set at a path, or the field at the path deleted."""
    doc = copy.deepcopy(BASE)
    for path, value in changes:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return doc


def test_the_base_scenario_is_valid() -> None:
    load_scenario(BASE)
    assert_schema_accepts(BASE)


def case(name: str, path: str, *changes: Change) -> Any:
    """A fault planted in BASE, and the JSON path at which the loader reports it."""
    return pytest.param(mutate(*changes), path, id=name)


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


@pytest.mark.parametrize(("doc", "path"), REFUSED)
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
