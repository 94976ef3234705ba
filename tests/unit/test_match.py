"""model.match: actions, ARNs, strings and principals (docs/semantics.md §4.3, §4.4, §4.5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecall.model.arn import parse_caller_arn
from rolecall.model.match import (
    arn_glob_matches,
    compiled_glob,
    glob_parts,
    glob_units,
    principal_entry_matches,
    string_glob_matches,
    unit_regex,
)


def action(pattern: str, value: str) -> bool:
    return string_glob_matches(glob_parts(pattern.lower()), value.lower())


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("sts:AssumeRole", "sts:assumerole", True),
        ("STS:assumerole", "sts:AssumeRole", True),  # ACTION: case-insensitive
        ("sts:*", "sts:TagSession", True),
        ("sts:Assume*", "sts:AssumeRole", True),
        ("sts:Assume*", "sts:TagSession", False),
        ("*", "sts:AssumeRole", True),
        ("sts:AssumeRol?", "sts:AssumeRole", True),
        ("sts:AssumeRol?", "sts:AssumeRol", False),  # ? is exactly one character
        ("sts:Assume?Role", "sts:AssumeRole", False),
        ("sts:Assume.ole", "sts:AssumeRole", False),  # '.' is literal, never a regex
        ("sts:Assume.*", "sts:AssumeRole", False),
        ("sts:AssumeRole+", "sts:AssumeRolee", False),
        ("sts:AssumeRole", "sts:AssumeRoleWithSAML", False),  # no prefix matching
        ("s*:AssumeRole", "sts:AssumeRole", True),
    ],
)
def test_actions(pattern: str, value: str, expected: bool) -> None:
    assert action(pattern, value) is expected


ROLE = "arn:aws:iam::222222222222:role/team/R"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", ROLE, True),
        (ROLE, ROLE, True),
        ("arn:aws:iam::222222222222:role/team/r", ROLE, False),  # case-sensitive
        ("arn:aws:iam::*:role/team/R", ROLE, True),
        ("arn:aws:iam::22222222222?:role/team/R", ROLE, True),
        ("arn:aws:iam::?:role/team/R", ROLE, False),  # ? never crosses a field
        ("arn:aws:iam::*:role/*", ROLE, True),
        ("arn:aws:iam::*:role/R", ROLE, False),  # the path is part of the resource
        ("arn:aws:iam::222222222222:*", ROLE, True),
        ("arn:aws:iam::*", ROLE, True),  # a field-final * runs past the colon (RES)
        ("arn:aws:iam:*:222222222222:role/team/R", ROLE, True),
        ("arn:aws:i*m::222222222222:role/team/R", ROLE, True),
        ("arn:aws:i*::222222222222:role/team/R", ROLE, True),
        ("arn:aws:s3:::*", ROLE, False),
        ("arn:aws:iam::222222222222:role/team.R", "arn:aws:iam::222222222222:role/teamXR", False),
        ("arn:aws:iam::222222222222:role/team/R", "not-an-arn", False),
        ("*", "not-an-arn", False),  # ARN operators never match non-ARNs
    ],
)
def test_arns(pattern: str, value: str, expected: bool) -> None:
    assert arn_glob_matches(glob_parts(pattern), value) is expected


def test_string_like_is_case_sensitive_and_literal() -> None:
    assert string_glob_matches(glob_parts("ab*"), "abc")
    assert not string_glob_matches(glob_parts("AB*"), "abc")
    assert string_glob_matches(glob_parts("AB*"), "abc", ignore_case=True)
    assert not string_glob_matches(glob_parts("a.c"), "abc")
    assert string_glob_matches(glob_parts("a?c"), "a\nc")


ALICE = parse_caller_arn("arn:aws:iam::111111111111:user/alice")
PATHED = parse_caller_arn("arn:aws:iam::111111111111:user/dev/alice")
SESSION = parse_caller_arn("arn:aws:sts::111111111111:assumed-role/RA/s1", role_path="/team/")


@pytest.mark.parametrize(
    ("entry", "caller", "expected"),
    [
        ("*", ALICE, "wildcard"),
        ("arn:aws:iam::111111111111:root", ALICE, "account"),
        ("arn:aws:iam::222222222222:root", ALICE, None),
        ("arn:aws:iam::111111111111:user/alice", ALICE, "user"),
        ("arn:aws:iam::111111111111:user/Alice", ALICE, None),  # PRINC: case-sensitive
        ("arn:aws:iam::111111111111:user/alic", ALICE, None),  # never a prefix
        ("arn:aws:iam::111111111111:user/alicex", ALICE, None),
        ("arn:aws:iam::111111111111:user/ali", ALICE, None),
        ("arn:aws:iam::111111111111:user/alice", PATHED, None),  # path is part of the identity
        ("arn:aws:iam::111111111111:user/dev/alice", PATHED, "user"),
        ("arn:aws:iam::222222222222:user/alice", ALICE, None),
        ("arn:aws:iam::111111111111:role/team/RA", SESSION, "role"),
        ("arn:aws:iam::111111111111:role/RA", SESSION, None),  # path dropped: another role
        ("arn:aws:sts::111111111111:assumed-role/RA/s1", SESSION, "session"),
        ("arn:aws:sts::111111111111:assumed-role/RA/s2", SESSION, None),
        ("arn:aws:iam::111111111111:root", SESSION, "account"),
        (ALICE.unique_id, ALICE, "user"),
        (SESSION.unique_id, SESSION, "role"),
    ],
)
def test_principals(entry: str, caller, expected) -> None:  # type: ignore[no-untyped-def]
    assert principal_entry_matches(entry, caller) == expected


# The glob matcher must agree with the plain regular expression of the same units (the reference
# semantics) on every pattern and value.

_ALPHABET = st.sampled_from("abA:/*?")


@given(
    pattern=st.text(_ALPHABET, max_size=12),
    value=st.text(st.sampled_from("abAB:/"), max_size=14),
    arn=st.booleans(),
    ignore_case=st.booleans(),
)
def test_greedy_glob_matches_the_reference_regex(pattern: str, value: str, arn: bool, ignore_case: bool) -> None:
    import re

    glob = glob_parts(pattern)
    units = glob_units(glob, arn=arn)
    reference = re.fullmatch(
        "".join(unit_regex(u) for u in units), value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    )
    assert compiled_glob(glob, arn, ignore_case).matches(value) is (reference is not None)


def test_many_wildcards_do_not_backtrack() -> None:
    """*a*a…ab against a long run of a's: a backtracking regex takes seconds; the greedy matcher answers at once."""
    glob = glob_parts("arn:aws:iam::222222222222:role/" + "*a" * 12 + "b")
    assert not arn_glob_matches(glob, "arn:aws:iam::222222222222:role/" + "a" * 2000)
    assert arn_glob_matches(glob, "arn:aws:iam::222222222222:role/" + "a" * 2000 + "b")
    assert not string_glob_matches(glob_parts("*a" * 15 + "b"), "a" * 4000)


# Hostile patterns (the reliability issue): a `*` that does not end one of the first five ARN
# fields is bounded by the colons, which once sent the whole ARN to one backtracking regular
# expression: `role/*a*a…*c` against 32 a's took 4.9 s, against 64 (AWS's longest role name)
# over two minutes. Every glob now matches in time linear in the value (the speed is shown by
# tests/benchmarks/bench_match.py; these check the answers, and would hang without the fix).
HOSTILE = [
    ("arn:aws:i*m::*:role/" + "*a" * 10 + "*c", "arn:aws:iam::111122223333:role/" + "a" * 64, False),
    ("arn:aws:i*m::*:role/" + "*a" * 10 + "*c", "arn:aws:iam::111122223333:role/" + "a" * 63 + "c", True),
    ("arn:aws:iam::" + "*1" * 11 + "*2:role/x", "arn:aws:iam::" + "1" * 12 + ":role/x", False),
    ("arn:aws:iam::" + "*1" * 11 + "*2:role/x", "arn:aws:iam::" + "1" * 11 + "2:role/x", True),
    ("arn:a*s:iam::*:role/" + "*?" * 30 + "*b", "arn:aws:iam::111122223333:role/" + "a" * 64, False),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), HOSTILE)
def test_hostile_arn_patterns_answer(pattern: str, value: str, expected: bool) -> None:
    assert arn_glob_matches(glob_parts(pattern), value) is expected


def test_hostile_patterns_through_a_decision() -> None:
    """The same pattern as an ``ArnLike`` test on ``aws:PrincipalArn`` and as a Resource, decided."""
    from rolecall.model import decide, load_scenario

    name = "a" * 64
    pattern = "arn:aws:i*m::*:role/" + "*a" * 10 + "*c"
    doc = {
        "caller": {
            "arn": f"arn:aws:sts::111122223333:assumed-role/{name}/s1",
            "identity_policies": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": pattern.replace("*c", "*")}
                    ],
                }
            ],
        },
        "role": {
            "arn": f"arn:aws:iam::111122223333:role/{name}",
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"ArnLike": {"aws:PrincipalArn": pattern}},
                    }
                ],
            },
        },
        "request": {"role_session_name": "s2"},
    }
    assert str(decide(load_scenario(doc)).decision) == "implicitDeny"  # the name ends in "a", not "c"


def _arn_reference(pattern: str, value: str) -> bool:
    """ARN matching as the AWS Resource page states it, written here independently of
    rolecall.model.match: an ARN-shaped value; in the partition, service, region and account
    fields `?` and `*` stay within the field, except a `*` that ends its field, which may run
    on past the colon; in the resource field both match anything. A backtracking regex is
    fine for the short strings drawn here."""
    import re

    if not value.startswith("arn:") or value.count(":") < 5:
        return False
    out, field = [], 0
    for i, ch in enumerate(pattern):
        local = field < 5
        if ch == "*":
            ends = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append("[^:]*" if local and not ends else ".*")
        elif ch == "?":
            out.append("[^:]" if local else ".")
        else:
            field += ch == ":"
            out.append(re.escape(ch))
    return re.fullmatch("".join(out), value, re.DOTALL) is not None


@given(
    pattern=st.text(st.sampled_from("ab1:/*?"), max_size=14).map(lambda t: "arn:" + t),
    value=st.text(st.sampled_from("ab1:/"), max_size=16).map(lambda t: "arn:" + t),
)
def test_arn_matching_agrees_with_the_resource_page(pattern: str, value: str) -> None:
    assert arn_glob_matches(glob_parts(pattern), value) is _arn_reference(pattern, value)
