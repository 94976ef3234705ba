"""Bad input is reported, never crashes: fuzzing the scenario loader, the policy parser and the CLI.

The contract (docs/scenario-format.md "The result", model/errors.py):

* ``load_scenario`` raises only :class:`rolecall.model.InputError` on bad input;
* ``decide`` returns a :class:`rolecall.model.Result` or raises :class:`rolecall.model.UndecidableError`
  (an ``InputError``): fail closed, never guess, never another exception;
* ``parse_policy`` / ``parse_policy_text`` return a :class:`rolecall.model.Policy` or raise
  :class:`rolecall.model.MalformedPolicyError`;
* the CLI answers bad input with exit 2 and one ``rolecall:`` line on stderr, never a
  traceback and never exit 3 (internal error).

The fuzz tests set their own ``max_examples`` so that every run, whatever the
Hypothesis profile, feeds at least 10,000 malformed inputs in total
(:data:`FUZZ_TOTAL` inputs, of which the share given in :data:`MALFORMED_SHARE` is
malformed; each test reports its split as Hypothesis events, see
``pytest --hypothesis-show-statistics``). The ``REGRESSIONS`` section at the end
pins the bugs this file found (integers of more than 4,300 digits, nesting deeper
than Python's recursion limit, lone surrogates, non-ASCII digits).
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rolecall import model
from rolecall.conformance.cli import main
from rolecall.model import (
    InputError,
    MalformedPolicyError,
    Policy,
    PolicyKind,
    Result,
    UndecidableError,
    decide,
    load_scenario,
    parse_policy,
    parse_policy_text,
)
from rolecall.model.conditions import OPERATORS
from tests.conftest import SPEC_SCENARIOS

# ----------------------------------------------------------------------------- budget

# Measured with --hypothesis-show-statistics (the events below): about 100% of the random
# scenarios, 92% of the mutated ones (counting MalformedPolicyDocument and ValidationError
# outcomes), 80% of the policies, 65% of the policy texts and 90% of the CLI inputs are
# malformed; the rest are valid inputs that carry the fuzzing on into decide() and into
# condition evaluation. 12,600 inputs thus hold about 11,000 malformed ones.
N_RANDOM_SCENARIOS = 2500
N_MUTATED_SCENARIOS = 3000
N_POLICIES = 2600
N_POLICY_TEXT = 2000
N_CLI = 2500
FUZZ_TOTAL = N_RANDOM_SCENARIOS + N_MUTATED_SCENARIOS + N_POLICIES + N_POLICY_TEXT + N_CLI
MALFORMED_SHARE = {"random": 1.0, "mutated": 0.92, "policies": 0.8, "policy_text": 0.65, "cli": 0.9}


def test_fuzz_budget_is_at_least_ten_thousand_malformed_inputs() -> None:
    malformed = (
        N_RANDOM_SCENARIOS * MALFORMED_SHARE["random"]
        + N_MUTATED_SCENARIOS * MALFORMED_SHARE["mutated"]
        + N_POLICIES * MALFORMED_SHARE["policies"]
        + N_POLICY_TEXT * MALFORMED_SHARE["policy_text"]
        + N_CLI * MALFORMED_SHARE["cli"]
    )
    assert FUZZ_TOTAL >= 10_000 and malformed >= 10_000


def fuzz(n: int) -> settings:
    """Explicit example counts: the 10,000 total must not depend on the profile."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# ----------------------------------------------------------------------------- seeds


class _Seeds(list):  # type: ignore[type-arg]
    """A list with a short repr: Hypothesis prints strategy arguments in its reports."""

    def __repr__(self) -> str:
        return f"<{len(self)} seed documents>"


SEED_FILES = sorted(SPEC_SCENARIOS.glob("*.json"))
SEEDS: list[dict[str, Any]] = _Seeds(json.loads(p.read_text()) for p in SEED_FILES)
SEED_TEXTS: list[str] = [p.read_text() for p in SEED_FILES]


def _policies_in(doc: dict[str, Any]) -> list[tuple[PolicyKind, Any]]:
    out: list[tuple[PolicyKind, Any]] = []
    c, r = doc.get("caller", {}), doc.get("role", {})
    out += [(PolicyKind.IDENTITY, p) for p in c.get("identity_policies", [])]
    if c.get("permissions_boundary"):
        out.append((PolicyKind.BOUNDARY, c["permissions_boundary"]))
    if c.get("session_policy"):
        out.append((PolicyKind.SESSION, c["session_policy"]))
    if r.get("trust_policy"):
        out.append((PolicyKind.TRUST, r["trust_policy"]))
    org = doc.get("organization") or {}
    for name, kind in (("scps", PolicyKind.SCP), ("rcps", PolicyKind.RCP)):
        for chain in (org.get(name) or {}).values():
            out += [(kind, p) for level in chain for p in level]
    return out


def _parses(kind: PolicyKind, doc: Any) -> bool:
    try:
        parse_policy(doc, kind)
    except MalformedPolicyError:
        return False  # some SPEC scenarios hold a policy IAM refuses, on purpose
    return True


SEED_POLICIES: list[tuple[PolicyKind, Any]] = _Seeds(kp for doc in SEEDS for kp in _policies_in(doc) if _parses(*kp))


def test_seeds_are_valid() -> None:
    """The mutations start from valid documents, else they prove little."""
    assert len(SEEDS) >= 40
    for doc in SEEDS:
        decide(load_scenario(doc))
    assert {k for k, _ in SEED_POLICIES} >= {PolicyKind.IDENTITY, PolicyKind.TRUST, PolicyKind.SCP}
    assert len(SEED_POLICIES) >= 50


# ----------------------------------------------------------------------------- strategies

#: Strings that have broken parsers before: control characters, lone surrogates, BOM,
#: bidi overrides, combining marks, case-folding oddities, non-ASCII digits (``\d``
#: matches them), line separators, JSON and glob metacharacters, policy variables.
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\x7f",
    "\t\n\r",
    "\ud800",
    "\udfff",
    "a\udc80b",
    "\ufeff",
    "\u202e",
    "\u2028",
    "\u0085",
    "A\u0301",
    "\u01c5",
    "\u00df",
    "\u0130",
    "\U0001f600",
    "\uffff",
    "\u0663" * 12,
    "\uff11" * 12,
    "123456789012",
    "*",
    "?",
    "${",
    "${aws:username}",
    "${*}",
    "${aws:PrincipalTag/x, 'd'}",
    "arn:",
    "arn:aws:iam::111111111111:root",
    "arn:aws:iam::111111111111:role/R",
    "arn:aws:sts::111111111111:assumed-role/R/s",
    "arn:aws:iam::*:role/*",
    "o-a1b2c3d4e5",
    "ec2.amazonaws.com",
    "sts:AssumeRole",
    "sts:*",
    "2012-10-17",
    "2008-10-17",
    "true",
    "false",
    "null",
    "NaN",
    "1e999",
    "-0",
    "0x10",
    "3600",
    "1.2.3.4/33",
    "::1",
    "2020-02-30T00:00:00Z",
    "9999999999999",
    '"',
    "\\",
    "{}",
    "[]",
    "'",
]

HUGE_INTS = [2**31, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**100, -(10**300)]

# Strategies are built once, at import: building one inside a draw (st.sampled_from of a
# fresh list, a fresh st.recursive) costs more than drawing from it.
_INDEX = st.integers(min_value=0, max_value=1 << 16)


def pick(draw: st.DrawFn, seq: Sequence[Any]) -> Any:
    """One element of ``seq``, drawn without building a new strategy."""
    return seq[draw(_INDEX) % len(seq)]


@st.composite
def huge_strings(draw: st.DrawFn) -> str:
    n = draw(st.integers(min_value=1_000, max_value=200_000))
    return str(pick(draw, ["a", "\U0001f600", "*", ":", "/"])) * n


odd_strings = st.sampled_from(ODD_STRINGS)
strings = st.one_of(odd_strings, st.text(max_size=20))
integers = st.one_of(
    st.integers(min_value=-1, max_value=50_000),
    st.sampled_from(HUGE_INTS),
    # up to 2**14000 (4,215 digits), just under Python's 4,300-digit str() limit, because the
    # text-producing strategies json.dumps these; larger integers: see REGRESSIONS
    st.builds(
        lambda sign, bits, low: sign * (2**bits + low),
        st.sampled_from([1, -1]),
        st.integers(64, 14_000),
        st.integers(0, 2**64),
    ),
)
floats = st.one_of(st.sampled_from([0.0, -0.0, 0.5, 3600.0, 1e308, 5e-324, float("nan"), float("inf")]), st.floats())
scalars = st.one_of(st.none(), st.booleans(), integers, floats, strings)

SCENARIO_WORDS = sorted(
    {
        # every field name of the format, so random objects hit real fields
        "id",
        "caller",
        "role",
        "organization",
        "request",
        "context",
        "semantics",
        "expect",
        "nonexistent_principals",
        "disabled_regions",
        "arn",
        "service",
        "role_path",
        "credentials",
        "unique_id",
        "identity_policies",
        "permissions_boundary",
        "session_policy",
        "tags",
        "transitive_tag_keys",
        "source_identity",
        "mfa",
        "trust_policy",
        "role_id",
        "max_session_duration",
        "exists",
        "legacy_implicit_self_trust",
        "management_account",
        "members",
        "scps",
        "rcps",
        "role_session_name",
        "duration_seconds",
        "external_id",
        "policy",
        "policy_arns",
        "serial_number",
        "token_code",
        "region",
        "decision",
        "error_code",
        "denied_by",
        "action",
        "Key",
        "Value",
        # and of policies
        "Version",
        "Id",
        "Statement",
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "AWS",
        "Service",
        "Federated",
    }
)
keys = st.one_of(st.sampled_from(SCENARIO_WORDS), strings)


@cache
def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(keys, kids, max_size=4)),
        max_leaves=max_leaves,
    )


def nested(depth: int, leaf: Any) -> Any:
    """``depth`` levels of alternating arrays and objects around ``leaf``."""
    v = leaf
    for i in range(depth):
        v = [v] if i % 2 else {"k": v}
    return v


# Nesting far beyond what hand-written input has (the test's own copying and mutation
# recurse, so depths past the recursion limit are covered by the REGRESSIONS tests).
deep_values = st.builds(nested, st.integers(min_value=20, max_value=200), scalars)

scenario_shaped = st.fixed_dictionaries(
    {"caller": json_values(4), "role": json_values(4), "request": json_values(4)},
    optional={k: json_values(3) for k in ("organization", "context", "foo")},
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every JSON path inside ``value`` (the root is ``()``)."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _wrong_type(v: Any) -> list[Any]:
    """Values of a plausible but wrong type for ``v``: numbers as strings and the like."""
    if isinstance(v, bool):
        return ["true" if v else "false", int(v), None, [v]]
    if isinstance(v, int):
        return [str(v), float(v) if abs(v) < 2**1000 else 1e308, str(v) + ".0", True, [v], -v, v * 10**20]
    if isinstance(v, str):
        return [[v], {"v": v}, 0, v.upper(), v + v[:1], v[:-1], " " + v, v + "\n", v.replace("1", "\u0661")]
    if isinstance(v, list):
        return [v[0] if v else None, {}, {"0": v}, [], [v], json.dumps(v)]
    if isinstance(v, dict):
        return [list(v.values()), [v], json.dumps(v), {}, "{}"]
    return [{}, [], "", 0]


MUTATIONS = ["delete", "replace", "wrong_type", "add_field", "huge", "odd", "deep", "number_as_string", "dup"]
HUGE_STRINGS = huge_strings()


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A valid document with one to three mutations at random JSON paths."""
    doc = copy.deepcopy(pick(draw, seeds))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = pick(draw, _paths(doc))
        parent = _get(doc, path[:-1]) if path else None
        current = _get(doc, path)
        op = pick(draw, MUTATIONS)
        if op == "add_field":
            if isinstance(current, dict):
                current[draw(keys)] = draw(json_values(4))
                continue
            if isinstance(current, list):
                current.append(draw(json_values(4)))
                continue
            op = "replace"
        if op == "dup" and isinstance(current, list) and current:
            current.append(copy.deepcopy(pick(draw, current)))
            continue
        if op == "delete" and parent is not None:
            del parent[path[-1]]  # a required field, an optional one, or an array element
            continue
        new: Any
        if op == "wrong_type":
            new = pick(draw, _wrong_type(current))
        elif op == "huge":
            new = draw(HUGE_STRINGS)
        elif op == "odd":
            new = draw(odd_strings)
            if isinstance(current, str) and draw(st.booleans()):
                new = current + new  # keep the shape, poison the content
        elif op == "deep":
            new = draw(deep_values)
        elif op == "number_as_string":
            new = str(current) if isinstance(current, (int, float)) else pick(draw, ["3600", "1", "0"])
        else:
            new = draw(json_values(4))
        if parent is None:
            doc = new
        else:
            parent[path[-1]] = new
    return doc


# ----------------------------------------------------------------------------- (a) and (b)


def _load_and_decide(doc: Any) -> None:
    """The contract: InputError, or a scenario that decides to a Result or UndecidableError."""
    try:
        scenario = load_scenario(doc)
    except InputError as exc:
        assert exc.path.startswith("$")
        assert str(exc)
        event("InputError")
        return
    try:
        result = decide(scenario)
    except UndecidableError as exc:
        assert exc.path.startswith("$")
        event("UndecidableError")
        return
    event(f"decided: {result.decision} {result.error_code or ''}".strip())
    assert isinstance(result, Result)
    assert result.decision in ("allowed", "explicitDeny", "implicitDeny", "error")
    json.dumps(result.to_json())  # the result is always printable as JSON


@fuzz(N_RANDOM_SCENARIOS)
@given(st.one_of(json_values(6), scenario_shaped, deep_values))
def test_random_json_values_raise_only_input_error(doc: Any) -> None:
    _load_and_decide(doc)


@fuzz(N_MUTATED_SCENARIOS)
@given(mutated(SEEDS))
def test_mutated_scenarios_load_and_decide_or_raise_input_error(doc: Any) -> None:
    _load_and_decide(doc)


# ----------------------------------------------------------------------------- (c) policies

ACTIONS = ["sts:AssumeRole", "sts:*", "*", "STS:assumerole", "sts:Assume?ole", "s3:GetObject", "sts:TagSession"]
BAD_ACTIONS = ["sts:", ":", "sts", "", "sts:Assume Role", "*:*"]
RESOURCES = [
    "*",
    "arn:aws:iam::*:role/*",
    "arn:aws:iam::111111111111:role/R",
    "arn:*:iam::*:role/${aws:username}",
    "arn:aws:iam::111111111111:role/${aws:PrincipalTag/team, 'blue'}",
    "arn:aws:iam::*:role/${*}x",
    "arn:aws:iam::?????????111:role/*",
]
BAD_RESOURCES = ["arn", "arn:aws:iam::111111111111:role/${", "role/R", "", "arn:aws:iam::1:role/${a b}"]
PRINCIPALS = [
    "*",
    {"AWS": "*"},
    {"AWS": "111111111111"},
    {"AWS": ["arn:aws:iam::111111111111:user/alice"]},
    {"Service": "ec2.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"AWS": "AROAEXAMPLEEXAMPLE12"},
    {"AWS": "arn:aws:sts::111111111111:assumed-role/R/s1"},
]
BAD_PRINCIPALS = [
    {"AWS": "arn:aws:*"},
    {"CanonicalUser": "x"},
    {},
    {"AWS": []},
    {"AWS": "alice"},
    "alice",
    {"Service": "*"},
]
#: Values by operator family: mostly well-formed (the last entry or two of each list is
#: not), so that parsing gets through to evaluation against random request contexts.
FAMILY_VALUES = {
    "string": st.one_of(
        st.text(st.characters(max_codepoint=0xFF, exclude_categories=["Cc"]), max_size=12),
        st.sampled_from(["${aws:username}", "a*b?", "${aws:PrincipalTag/team}", "${*}"]),
        strings,
    ),
    "numeric": st.one_of(st.sampled_from(["0", "3600", "-1.5", "1e3", " 7 ", "x"]), integers, floats),
    "date": st.sampled_from(
        [
            "2024-01-01T00:00:00Z",
            "2024-01-01",
            "2024",
            "1700000000",
            "-1",
            "2024-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-14:00",
            "999999999999",
            "yesterday",
        ]
    ),
    "bool": st.one_of(st.sampled_from(["true", "false", "True", "${aws:SecureTransport}", "yes"]), st.booleans()),
    "binary": st.sampled_from(["dGVzdA==", "", "AAAA", "not base64", "\u00e9"]),
    "ip": st.sampled_from(["10.0.0.0/8", "10.0.0.1", "::/0", "2001:db8::/32", " 10.0.0.0/8", "1.2.3.4/33"]),
    "arn": st.sampled_from(
        [
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111111111111:user/alice",
            "arn:*",
            "*",
            "x",
            "arn:aws:iam::${aws:PrincipalAccount}:root",
        ]
    ),
    "null": st.sampled_from(["true", "false", "maybe"]),
}
CONDITION_KEYS = [
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:PrincipalArn",
    "aws:TagKeys",
    "sts:ExternalId",
    "aws:PrincipalTag/team",
    "aws:MultiFactorAuthAge",
    "aws:SecureTransport",
    "aws:userid",
    "AWS:SOURCEIP",
    "aws:username",
]


@st.composite
def condition_blocks(draw: st.DrawFn) -> dict[str, Any]:
    block: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 2))):
        op = pick(draw, OPERATOR_LIST)
        name = pick(draw, ["", "", "", "ForAllValues:", "ForAnyValue:"]) + op + pick(draw, ["", "", "IfExists"])
        values = FAMILY_VALUES_OR_LISTS[OPERATORS[op][0]]
        block[name] = {pick(draw, CONDITION_KEYS): draw(values) for _ in range(draw(st.integers(1, 2)))}
    return block


def _one_or_list(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(values), st.lists(st.sampled_from(values), min_size=1, max_size=3))


OPERATOR_LIST = sorted(OPERATORS)
FAMILY_VALUES_OR_LISTS = {
    family: st.one_of(values, st.lists(values, min_size=1, max_size=3)) for family, values in FAMILY_VALUES.items()
}
CONDITION_BLOCKS = condition_blocks()
ACTION_VALUES = _one_or_list(ACTIONS)
RESOURCE_VALUES = _one_or_list(RESOURCES)


@st.composite
def plausible_policy(draw: st.DrawFn, kind: PolicyKind) -> dict[str, Any]:
    """A policy of ``kind`` that is valid more often than not: the parser's accepting paths get
    exercised as well as its refusals, and parsed conditions meet random request contexts."""
    statements = []
    for _ in range(draw(st.integers(1, 2))):
        st_: dict[str, Any] = {"Effect": "Deny" if kind is PolicyKind.RCP else pick(draw, ["Allow", "Deny"])}
        st_[pick(draw, ["NotAction", "Action", "Action", "Action"])] = draw(ACTION_VALUES)
        if kind is PolicyKind.TRUST:
            st_["Principal"] = pick(draw, PRINCIPALS)
        else:
            st_[pick(draw, ["NotResource", "Resource", "Resource", "Resource"])] = draw(RESOURCE_VALUES)
            if kind is PolicyKind.RCP:
                st_["Principal"] = "*"
        if draw(st.booleans()):
            st_["Condition"] = draw(CONDITION_BLOCKS)
        if draw(st.booleans()):
            st_["Sid"] = pick(draw, ["S1", "", "AllowAssume"])
        statements.append(st_)
    doc: dict[str, Any] = {"Version": pick(draw, ["2012-10-17", "2012-10-17", "2008-10-17"])}
    doc["Statement"] = statements if len(statements) > 1 or draw(st.booleans()) else statements[0]
    # poison it, sometimes: one wrong element, the kind of slip a person makes
    poison = pick(draw, [None] * 15 + [0, 1, 2, 3, 4])
    target = statements[0]
    if poison == 0:
        target["Action"] = pick(draw, BAD_ACTIONS)
    elif poison == 1:
        target["Resource"] = pick(draw, BAD_RESOURCES)
    elif poison == 2:
        target["Principal"] = pick(draw, BAD_PRINCIPALS + PRINCIPALS)
    elif poison == 3:
        target[pick(draw, ["NotPrincipal", "Bogus", "effect", "Condition"])] = draw(scalars)
    elif poison == 4:
        doc[pick(draw, ["Version", "Id", "Statement", "Extra"])] = draw(json_values(4))
    return doc


#: Request contexts to evaluate parsed conditions against: both well-typed values and
#: values of the wrong type for the operator (those may only raise UndecidableError).
contexts = st.dictionaries(
    st.sampled_from([k.lower() for k in CONDITION_KEYS]),
    st.one_of(
        strings,
        st.lists(strings, max_size=3).map(tuple),
        st.sampled_from(
            [
                "10.1.2.3",
                "::1",
                "2025-06-01T00:00:00Z",
                "1750000000",
                "3600",
                "dGVzdA==",
                "true",
                "arn:aws:iam::111111111111:user/alice",
                "0001-01-01T00:00:00+14:00",
            ]
        ),
    ),
    max_size=4,
)
seed_policies = mutated(_Seeds(p for _, p in SEED_POLICIES))


PLAUSIBLE = {kind: plausible_policy(kind) for kind in PolicyKind}
POLICY_DOCUMENTS = {
    kind: st.one_of(json_values(6), PLAUSIBLE[kind], PLAUSIBLE[kind], PLAUSIBLE[kind], seed_policies, deep_values)
    for kind in PolicyKind
}


@fuzz(N_POLICIES)
@given(st.data(), st.sampled_from(list(PolicyKind)), contexts)
def test_random_and_mutated_policies_parse_or_raise_malformed(
    data: st.DataObject, kind: PolicyKind, ctx: dict[str, Any]
) -> None:
    doc = data.draw(POLICY_DOCUMENTS[kind], label="document")
    try:
        policy = parse_policy(doc, kind)
    except MalformedPolicyError as exc:
        assert exc.path.startswith("$")
        assert exc.error_code == "MalformedPolicyDocument"
        event("MalformedPolicyError")
        return
    event("parsed")
    assert isinstance(policy, Policy)
    assert policy.kind is kind
    json.dumps(policy.to_json())
    # A policy that parsed evaluates against any context: a Boolean, or UndecidableError.
    for statement in policy.statements:
        try:
            statement.matches_action("sts:assumerole")
            statement.matches_resource("arn:aws:iam::111111111111:role/R", ctx)
            statement.conditions_hold(ctx)
        except UndecidableError:
            pass


@st.composite
def _truncations(draw: st.DrawFn, texts: list[str]) -> str:
    """A prefix of one of ``texts``: JSON cut off anywhere."""
    text: str = pick(draw, texts)
    return text[: draw(_INDEX) % max(len(text), 1)]


SEED_POLICY_TEXTS = [json.dumps(p) for _, p in SEED_POLICIES]
policy_texts = st.one_of(
    st.text(),
    st.text(st.sampled_from('{}[]",:0123456789.eE-+ \ntruefalsn\\u"StatementEffectAllow')),
    _truncations(_Seeds(SEED_POLICY_TEXTS)),
    json_values().map(json.dumps),
    st.one_of(*PLAUSIBLE.values()).map(json.dumps),
    st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.integers(1, 5000).map(lambda n: "[" * n),
    st.sampled_from(['{"Statement":[]}', '{"a":1,"a":2}', "NaN", "1e99999", "\ufeff{}", "{}\x00"]),
)


@fuzz(N_POLICY_TEXT)
@given(policy_texts, st.sampled_from(list(PolicyKind)))
def test_random_policy_text_parses_or_raises_malformed(text: str, kind: PolicyKind) -> None:
    try:
        assert isinstance(parse_policy_text(text, kind), Policy)
        event("parsed")
    except MalformedPolicyError as exc:
        assert exc.path.startswith("$")
        event("MalformedPolicyError")


# ----------------------------------------------------------------------------- (d) the CLI


def run_cli(argv: list[str], stdin_text: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin_text), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert err.endswith("\n")
    assert lines[0].startswith("rolecall:"), err
    return lines[0]


cli_texts = st.one_of(
    st.text(),
    st.text(st.sampled_from('{}[]",:0123456789 \n\rtruefalsenull\\"caller"role"request')),
    st.binary().map(lambda b: b.decode("latin-1")),
    st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")),
    _truncations(_Seeds(SEED_TEXTS)),
    _truncations(_Seeds(t.replace("\n", " ") + "\n" + t.replace("\n", " ") for t in SEED_TEXTS[:5])),
    json_values().map(json.dumps),
    mutated(SEEDS).map(lambda d: json.dumps(d, ensure_ascii=False)),
    st.lists(mutated(SEEDS).map(json.dumps), min_size=2, max_size=3).map("\n".join),
    st.lists(st.one_of(st.text(max_size=20), json_values(6).map(json.dumps)), min_size=2, max_size=4).map("\n".join),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
)


@fuzz(N_CLI)
@given(cli_texts)
def test_cli_answers_bad_input_with_exit_2_and_one_line(text: str) -> None:
    code, out, err = run_cli(["decide", "-"], text)
    event(f"exit {code}")
    assert "Traceback" not in err
    assert code in (0, 1, 2), err  # 3 would be an internal error
    for line in err.splitlines():
        assert line.startswith("rolecall:"), err
    if code == 2 and "bad input" in err:  # one error line per bad record, a result per good one
        bad = [line for line in err.splitlines() if line.startswith("rolecall: bad input")]
        assert len(bad) + len(out.splitlines()) <= max(1, len(text.splitlines()))
    for line in out.splitlines():
        assert json.loads(line)["decision"] in ("allowed", "explicitDeny", "implicitDeny", "error")


# ----------------------------------------------------------------------------- examples

VALID = json.loads((SPEC_SCENARIOS / "14-cross-account-identity-allows.json").read_text())


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(VALID)
    doc.pop("expect")
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = doc
        for p in parents:
            target = target[p]
        target[last] = value
    return doc


def test_the_example_scenario_is_valid() -> None:
    code, out, err = run_cli(["decide", "-"], json.dumps(VALID))
    assert (code, err) == (0, "")
    assert json.loads(out)["decision"] == "allowed"


def test_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    code, out, err = run_cli(["decide", str(missing)])
    assert code == 2 and not out
    line = assert_one_error_line(err)
    assert str(missing) in line and "no such file" in line


def test_file_url_that_does_not_exist(tmp_path: Path) -> None:
    code, _, err = run_cli(["decide", f"file://{tmp_path / 'nope.json'}"])
    assert code == 2
    assert "no such file" in assert_one_error_line(err)


def test_a_directory(tmp_path: Path) -> None:
    code, out, err = run_cli(["decide", str(tmp_path)])
    assert code == 2 and not out
    assert "is a directory" in assert_one_error_line(err)


def test_non_utf8_bytes_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(_doc(id="caf\u00e9"), ensure_ascii=False).encode("latin-1"))
    code, out, err = run_cli(["decide", str(path)])
    assert code == 2 and not out
    line = assert_one_error_line(err)
    assert "not UTF-8" in line and str(path) in line


def test_empty_input() -> None:
    code, _, err = run_cli(["decide", "-"], " \n\t\n")
    assert code == 2
    assert "no scenario" in assert_one_error_line(err)


def test_json_lines_with_one_bad_line_names_the_line(tmp_path: Path) -> None:
    good = json.dumps(_doc())
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join([good, good, '{"caller": {', good]) + "\n")
    code, out, err = run_cli(["decide", str(path)])
    assert code == 2  # a bad line makes the exit 2, at the end
    assert [json.loads(r)["decision"] for r in out.splitlines()] == ["allowed"] * 3  # every good line decided
    line = assert_one_error_line(err)
    assert f"{path}:3:" in line and "not JSON" in line


def test_json_lines_with_one_invalid_scenario_names_the_line_and_path() -> None:
    good = json.dumps(_doc())
    code, _, err = run_cli(["decide", "-"], "\n".join([good, json.dumps(_doc(request__foo=1)), good]))
    assert code == 2
    line = assert_one_error_line(err)
    assert "<stdin>:2:" in line and "$.request.foo" in line


def test_unknown_field_names_its_json_path() -> None:
    code, out, err = run_cli(["decide", "-"], json.dumps(_doc(caller__foo="bar")))
    assert code == 2 and not out
    line = assert_one_error_line(err)
    assert "$.caller.foo" in line and "unknown field 'foo'" in line
    with pytest.raises(InputError) as info:
        load_scenario(_doc(caller__foo="bar"))
    assert info.value.path == "$.caller.foo"


def test_unknown_field_with_odd_name_is_quoted_in_the_path() -> None:
    with pytest.raises(InputError) as info:
        load_scenario(_doc(caller__tags={"ok": "v"}, **{"caller__a b": 1}))
    assert info.value.path == '$.caller["a b"]'


def test_wrong_type_names_its_json_path() -> None:
    code, out, err = run_cli(["decide", "-"], json.dumps(_doc(request__duration_seconds="3600")))
    assert code == 2 and not out
    line = assert_one_error_line(err)
    assert "$.request.duration_seconds" in line and "expected an integer, got string" in line
    for wrong in (3600.0, True, None, [3600]):
        with pytest.raises(InputError) as info:
            load_scenario(_doc(request__duration_seconds=wrong))
        assert info.value.path == "$.request.duration_seconds"


def test_missing_required_field() -> None:
    doc = _doc()
    del doc["request"]["role_session_name"]
    with pytest.raises(InputError, match="role_session_name") as info:
        load_scenario(doc)
    assert info.value.path == "$.request"


def test_repeated_key_is_an_input_error() -> None:
    text = json.dumps(_doc())[:-1] + ', "id": "a", "id": "b"}'
    code, _, err = run_cli(["decide", "-"], text)
    assert code == 2
    assert "$.id" in assert_one_error_line(err)


def test_policy_iam_refuses_is_an_aws_error_not_bad_input() -> None:
    trust = copy.deepcopy(VALID["role"]["trust_policy"])
    trust["Statement"][0]["Resource"] = "*"
    code, out, err = run_cli(["decide", "-"], json.dumps(_doc(role__trust_policy=trust)))
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["decision"] == "error"
    assert result["error_code"] == "MalformedPolicyDocument"
    assert "$.role.trust_policy.Statement[0].Resource" in result["message"]
    assert "Has prohibited field Resource" in result["message"]


def test_identity_policy_with_principal_is_malformed() -> None:
    ident = copy.deepcopy(VALID["caller"]["identity_policies"][0])
    ident["Statement"][0]["Principal"] = "*"
    result = decide(load_scenario(_doc(caller__identity_policies=[ident])))
    assert (result.decision, result.error_code) == ("error", "MalformedPolicyDocument")
    assert "$.caller.identity_policies[0].Statement[0].Principal" in (result.message or "")


def test_policy_that_is_not_an_object_is_bad_input_not_malformed() -> None:
    with pytest.raises(InputError) as info:
        load_scenario(_doc(role__trust_policy=None))
    assert info.value.path == "$.role.trust_policy"
    with pytest.raises(InputError) as info:
        load_scenario(_doc(caller__identity_policies=["{}"]))
    assert info.value.path == "$.caller.identity_policies[0]"


def test_usage_errors_exit_2_without_traceback() -> None:
    for argv in (["frobnicate"], ["decide", "--no-such-flag"], []):
        code, _, err = run_cli(argv)
        assert code == 2
        assert_one_error_line(err)


def test_undecidable_scenario_exits_2_with_one_line() -> None:
    ident = copy.deepcopy(VALID["caller"]["identity_policies"][0])
    ident["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    doc = _doc(caller__identity_policies=[ident], context={"aws:SourceIp": ["10.0.0.1", "10.0.0.2"]})
    with pytest.raises(UndecidableError):
        decide(load_scenario(doc))
    code, out, err = run_cli(["decide", "-"], json.dumps(doc))
    assert code == 2 and not out
    assert "cannot decide" in assert_one_error_line(err)


def test_scenario_id_with_newline_keeps_the_error_on_one_line() -> None:
    ident = copy.deepcopy(VALID["caller"]["identity_policies"][0])
    ident["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    doc = _doc(id="one\ntwo", caller__identity_policies=[ident], context={"aws:SourceIp": ["10.0.0.1", "10.0.0.2"]})
    code, _, err = run_cli(["decide", "-"], json.dumps(doc))
    assert code == 2
    assert "one\\ntwo" in assert_one_error_line(err)
    doc = _doc(id="one\ntwo", expect={"decision": "explicitDeny"})
    code, _, err = run_cli(["decide", "-"], json.dumps(doc))
    assert code == 1
    assert "expectation not met" in assert_one_error_line(err)


# ----------------------------------------------------------------------------- REGRESSIONS
# Bugs this file found, kept as regression tests: integers beyond Python's str() limit,
# nesting beyond the recursion limit, lone surrogates on a UTF-8 stream, non-ASCII digits.


def test_huge_int_duration_is_an_input_error() -> None:
    with pytest.raises(InputError, match="out of range") as info:
        load_scenario(_doc(request__duration_seconds=10**5000))
    assert info.value.path == "$.request.duration_seconds"


def test_huge_int_management_account_is_an_input_error() -> None:
    with pytest.raises(InputError, match="12-digit account id, got integer"):
        load_scenario(_doc(organization={"id": "o-a1b2c3d4e5", "management_account": 10**5000}))


def test_huge_int_condition_value_is_malformed() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"NumericEquals": {"k": 10**5000}},
        },
    }
    with pytest.raises(MalformedPolicyError, match="too large"):
        parse_policy(doc, PolicyKind.IDENTITY)


def test_deeply_nested_policy_value_is_malformed() -> None:
    with pytest.raises(MalformedPolicyError):
        parse_policy({"Version": "2012-10-17", "Statement": nested(3000, "x")}, PolicyKind.IDENTITY)


def test_deeply_nested_management_account_is_an_input_error() -> None:
    with pytest.raises(InputError):
        load_scenario(_doc(organization={"id": "o-a1b2c3d4e5", "management_account": nested(3000, "x")}))


def test_lone_surrogate_escape_is_printed_not_crashed_on() -> None:
    text = json.dumps(_doc(request__role_session_name="s\ud800"))  # ASCII text: "s\\ud800"
    raw_out, raw_err = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(raw_out, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(raw_err, encoding="utf-8", write_through=True)
    code = main(["decide", "-"], stdin=io.StringIO(text), stdout=out, stderr=err)
    assert code in (0, 1), raw_err.getvalue()
    result = json.loads(raw_out.getvalue().decode("utf-8"))
    assert result["error_code"] == "ValidationError" and "s\ud800" in result["message"]


def test_non_ascii_digits_are_not_an_account_id() -> None:
    with pytest.raises(InputError):
        load_scenario(
            _doc(
                caller__arn="arn:aws:iam::\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11"
                "\uff11\uff11:user/alice"
            )
        )


def test_model_exports_the_typed_errors() -> None:
    assert issubclass(model.UndecidableError, model.InputError)
    assert not issubclass(model.MalformedPolicyError, model.InputError)


@pytest.mark.parametrize("where", ["operator", "key", "field"])
def test_a_huge_value_is_quoted_bounded_in_the_error_line(where: str) -> None:
    """An error quoting a value from the input quotes its beginning and end only (model/errors.py
    ``bounded``): a 1,000,000-character operator, condition key or field name gives one short line,
    an error line or a result whose message is bounded."""
    huge = "x" * 1_000_000
    doc = copy.deepcopy(VALID)
    doc.pop("expect", None)
    statement = doc["role"]["trust_policy"]["Statement"][0]
    if where == "operator":
        statement["Condition"] = {huge: {"aws:username": "a"}}
    elif where == "key":
        statement["Condition"] = {"StringEquals": {huge: "a"}}
    else:
        doc["request"][huge] = 1
    out, err = io.StringIO(), io.StringIO()
    code = main(["decide", "-"], stdin=io.StringIO(json.dumps(doc)), stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    # the message and the JSON path are bounded each, and the schema's word on the field is bounded too
    assert code in (0, 2) and text.count("\n") == 1 and len(text) < 3 * model.errors.MAX_ERROR_TEXT, text[:300]
    assert "characters omitted" in text
