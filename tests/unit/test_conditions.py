"""model.conditions: every operator family, missing keys, IfExists, Null, set operators,
case-insensitive key names and policy variables (docs/semantics.md §4.5)."""

from __future__ import annotations

from typing import Any

import pytest

from rolecall.model import MalformedPolicyError, UndecidableError
from rolecall.model.conditions import parse_condition_block


def holds(block: dict[str, Any], ctx: dict[str, Any], *, variables: bool = True) -> bool:
    conds = parse_condition_block(block, variables=variables, where="$.Condition")
    return all(c.evaluate({k.lower(): v for k, v in ctx.items()}) for c in conds)


@pytest.mark.parametrize(
    ("op", "policy", "request_value", "expected"),
    [
        ("StringEquals", "xyz", "xyz", True),
        ("StringEquals", "xyz", "XYZ", False),  # scenario 27
        ("StringNotEquals", "xyz", "abc", True),
        ("StringNotEquals", "xyz", "xyz", False),
        ("StringEqualsIgnoreCase", "xyz", "XYZ", True),
        ("StringNotEqualsIgnoreCase", "xyz", "XYZ", False),
        ("StringLike", "x*z", "xyyz", True),
        ("StringLike", "x?z", "xyyz", False),
        ("StringNotLike", "x*", "abc", True),
        ("StringEquals", "x*", "xyz", False),  # * is literal outside Like
        ("NumericEquals", "5", "5.0", True),
        ("NumericLessThan", "5", "4", True),
        ("NumericLessThanEquals", "5", "5", True),
        ("NumericGreaterThan", "5", "5", False),
        ("NumericGreaterThanEquals", "5", "6", True),
        ("NumericNotEquals", "5", "6", True),
        ("DateLessThan", "2016-05-01T12:00:00Z", "2026-11-29T00:00:00Z", False),  # scenario 60
        ("DateGreaterThan", "2016-05-01T12:00:00Z", "2026-11-29T00:00:00Z", True),
        ("DateEquals", "2016-05-01T12:00:00Z", "1462104000", True),  # epoch seconds
        ("DateNotEquals", "2016-05-01", "2016-05-01T00:00:00Z", False),
        ("DateGreaterThanEquals", "2016", "2016-01-01T00:00:00+00:00", True),
        ("Bool", "true", "true", True),
        ("Bool", True, "true", True),
        ("Bool", "false", "true", False),
        ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", True),
        ("BinaryEquals", "QmluYXJ5", "QmluYXJ6", False),
        ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
        ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
        ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # bare address = /32
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
        ("IpAddress", "2001:db8::/32", "2001:db8::1", True),
        ("IpAddress", "203.0.113.0/24", "2001:db8::1", False),
        ("ArnEquals", "arn:aws:iam::111111111111:user/bob", "arn:aws:iam::111111111111:user/bob", True),
        ("ArnLike", "arn:aws:iam::*:user/*", "arn:aws:iam::111111111111:user/bob", True),
        ("ArnLike", "arn:aws:iam::*:user/*", "arn:aws:iam::111111111111:role/bob", False),
        ("ArnNotLike", "arn:aws:iam::*:user/*", "arn:aws:iam::111111111111:role/bob", True),
        ("ArnNotEquals", "arn:aws:iam::111111111111:user/bob", "arn:aws:iam::111111111111:user/bob", False),
        ("ArnLike", "*", "not an arn", False),
        ("StringLike", "*", "not an arn", True),  # "some cases match with String operators but not ARN"
    ],
)
def test_operator_families(op: str, policy: Any, request_value: str, expected: bool) -> None:
    assert holds({op: {"k:key": policy}}, {"k:key": request_value}) is expected


def test_values_are_ored_and_negated_values_anded() -> None:
    assert holds({"StringEquals": {"k:k": ["a", "b"]}}, {"k:k": "b"})
    assert not holds({"StringNotEquals": {"k:k": ["a", "b"]}}, {"k:k": "b"})
    assert holds({"StringNotEquals": {"k:k": ["a", "b"]}}, {"k:k": "c"})


def test_operators_and_keys_are_anded() -> None:
    block = {"StringEquals": {"k:a": "1", "k:b": "2"}, "Bool": {"k:c": "true"}}
    assert holds(block, {"k:a": "1", "k:b": "2", "k:c": "true"})
    assert not holds(block, {"k:a": "1", "k:b": "2", "k:c": "false"})
    assert not holds(block, {"k:a": "1", "k:c": "true"})


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),  # negated operators are true on a missing key
        ("StringLike", False),
        ("StringNotLike", True),
        ("NumericEquals", False),
        ("NumericNotEquals", True),
        ("DateNotEquals", True),
        ("NotIpAddress", True),
        ("IpAddress", False),  # scenario 61
        ("ArnNotLike", True),
        ("Bool", False),
        ("StringEqualsIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("BoolIfExists", True),  # scenario 50
        ("ForAllValues:StringEquals", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAllValues:StringNotEquals", True),
        ("ForAnyValue:StringNotLike", False),
    ],
)
def test_missing_keys(op: str, expected: bool) -> None:
    value = "203.0.113.0/24" if "Ip" in op else ("true" if "Bool" in op else ("5" if "Numeric" in op else "x"))
    if op.startswith("Date"):
        value = "2020-01-01"
    assert holds({op: {"k:absent": value}}, {}) is expected


def test_if_exists_tests_present_keys_normally() -> None:
    assert not holds({"StringEqualsIfExists": {"k:k": "a"}}, {"k:k": "b"})
    assert holds({"StringEqualsIfExists": {"k:k": "a"}}, {"k:k": "a"})


def test_null() -> None:
    assert holds({"Null": {"k:k": "true"}}, {})
    assert not holds({"Null": {"k:k": "true"}}, {"k:k": "v"})
    assert holds({"Null": {"k:k": "false"}}, {"k:k": "v"})
    assert not holds({"Null": {"k:k": False}}, {})


def test_set_operators() -> None:
    tags = {"aws:TagKeys": ("team", "cost")}
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "x"]}}, tags)
    assert not holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, tags)
    assert holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, tags)
    assert not holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["nope"]}}, tags)
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["x"]}}, {"aws:TagKeys": ()})  # empty set
    assert not holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["x"]}}, {"aws:TagKeys": ()})
    assert holds({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["x"]}}, tags)
    assert holds({"ForAllValues:StringLike": {"aws:TagKeys": ["t*", "c*"]}}, tags)


def test_multivalued_key_without_set_operator_is_undecidable() -> None:
    with pytest.raises(UndecidableError, match="multi-valued"):
        holds({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ("team", "cost")})
    assert holds({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ("team",)})


def test_key_names_are_case_insensitive() -> None:
    assert holds({"StringEquals": {"AWS:SourceVPCE": "vpce-1"}}, {"aws:sourcevpce": "vpce-1"})
    with pytest.raises(MalformedPolicyError, match="repeats"):
        parse_condition_block({"StringEquals": {"aws:a": "1", "AWS:A": "2"}}, variables=True, where="$")


def test_policy_variables() -> None:
    ctx = {"aws:username": "alice", "sts:RoleSessionName": "alice"}
    assert holds({"StringLike": {"sts:RoleSessionName": "${aws:username}"}}, ctx)  # scenario 57
    assert not holds({"StringLike": {"sts:RoleSessionName": "${aws:username}"}}, ctx, variables=False)  # 59
    assert not holds({"StringLike": {"sts:RoleSessionName": "${aws:username}"}}, {"sts:RoleSessionName": "a"})  # 58
    assert holds(
        {"StringEquals": {"sts:RoleSessionName": "${aws:username, 'alice'}"}}, {"sts:RoleSessionName": "alice"}
    )
    assert holds({"StringEquals": {"k:k": "${AWS:UserName}-x"}}, {"aws:username": "alice", "k:k": "alice-x"})
    # escapes: ${*} is a literal star, never a wildcard
    assert holds({"StringLike": {"k:k": "a${*}"}}, {"k:k": "a*"})
    assert not holds({"StringLike": {"k:k": "a${*}"}}, {"k:k": "abc"})
    assert holds({"StringLike": {"k:k": "a*"}}, {"k:k": "abc"})
    assert holds({"StringEquals": {"k:k": "${$}{x}"}}, {"k:k": "${x}"}, variables=True)
    # a variable whose value is a wildcard character stays literal
    assert not holds({"StringLike": {"k:k": "${aws:username}"}}, {"aws:username": "*", "k:k": "abc"})
    # multi-valued keys cannot be variables: no value, condition false
    assert not holds({"StringEquals": {"k:k": "${aws:TagKeys}"}}, {"aws:TagKeys": ("a",), "k:k": "a"})
    # numeric operators take no variables: the text is a (bad) number
    with pytest.raises(MalformedPolicyError):
        holds({"NumericEquals": {"k:k": "${aws:username}"}}, {})


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"StringEqualz": {"k:k": "a"}}, "Invalid Condition type : StringEqualz"),
        ({"NullIfExists": {"k:k": "true"}}, "Invalid Condition type"),
        ({"NumericEquals": {"k:k": "five"}}, "needs a number"),
        ({"DateEquals": {"k:k": "yesterday"}}, "ISO 8601"),
        ({"IpAddress": {"k:k": "300.1.1.1"}}, "IP address"),
        ({"BinaryEquals": {"k:k": "not base64!"}}, "base64"),
        ({"Bool": {"k:k": "yes"}}, "Bool takes"),
        ({"Null": {"k:k": "maybe"}}, "Null takes"),
        ({"StringEquals": {"k:k": []}}, "at least one value"),
        ({"StringEquals": {"k:k": {"a": 1}}}, "strings, numbers or booleans"),
        ({"StringEquals": "x"}, "must map condition keys"),
        ({"StringEquals": {"k:k": "${unterminated"}}, "unterminated"),
    ],
)
def test_malformed_conditions(block: dict[str, Any], fragment: str) -> None:
    with pytest.raises(MalformedPolicyError, match=fragment.replace("(", r"\(")) as info:
        parse_condition_block(block, variables=True, where="$.Statement[0].Condition")
    assert info.value.path.startswith("$.Statement[0].Condition")


def test_request_values_of_the_wrong_type_are_undecidable() -> None:
    with pytest.raises(UndecidableError):
        holds({"NumericLessThan": {"k:k": "5"}}, {"k:k": "five"})
    with pytest.raises(UndecidableError):
        holds({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "nope"})


@pytest.mark.parametrize("value", ["1e999999999", "1e5000", "1e-100000", "9" * 4400, "1e309", "1" * 65])
def test_numbers_outside_the_models_domain_are_refused_at_once(value: str) -> None:
    """A numeric value no real request compares against: refused as malformed in a policy (it once cost
    10^999,999,999 to encode, or "Exceeds the limit (4300 digits)"), undecidable in a request."""
    with pytest.raises(MalformedPolicyError, match="at most 64 digits"):
        holds({"NumericLessThan": {"aws:MultiFactorAuthAge": value}}, {})
    with pytest.raises(UndecidableError):
        holds({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:multifactorauthage": value})


@pytest.mark.parametrize(
    ("value", "request_value", "expected"),
    [
        ("1e308", "5", True),
        ("0.5", "0.25", True),
        ("-1e-308", "0", False),
        ("1" * 64, "2", True),
    ],
)
def test_numbers_inside_the_domain_compare(value: str, request_value: str, expected: bool) -> None:
    assert (
        holds({"NumericLessThan": {"aws:MultiFactorAuthAge": value}}, {"aws:multifactorauthage": request_value})
        is expected
    )
