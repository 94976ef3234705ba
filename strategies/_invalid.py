"""Inputs AWS refuses, each labelled with the error AWS gives (private; see :mod:`rolecall.strategies`).

A malformed policy is a valid one with exactly one fault planted, so every
output is refused for the labelled reason and nothing else; the fault list is
:data:`POLICY_FAULTS` (docs/semantics.md §4.1-4.2, docs/scenario-format.md "The result").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, NamedTuple

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ._scenarios import BAD_REQUESTS, constructed_scenarios
from ._statements import STATEMENT_MAKERS, policy
from ._world import Doc, World, draw_world, pick

MALFORMED = "MalformedPolicyDocument"
VALIDATION = "ValidationError"


class Malformed(NamedTuple):
    """A policy document AWS refuses to store, with what AWS says."""

    document: Doc
    """The policy document (plain JSON)."""
    kind: str
    """The policy kind it was written for: ``trust``, ``identity``, ``boundary``, ``session``, ``scp``, ``rcp``."""
    error_code: str
    """The AWS error code: always ``MalformedPolicyDocument``."""
    reason: str
    """The planted fault, in words."""


def _statements(doc: Doc) -> list[Doc]:
    raw = doc["Statement"]
    if isinstance(raw, dict):
        doc["Statement"] = [raw]
    return doc["Statement"]  # type: ignore[no-any-return]


def _first(doc: Doc) -> Doc:
    return _statements(doc)[0]


def _set(key: str, value: Any) -> Callable[[Doc], None]:
    def fault(doc: Doc) -> None:
        _first(doc)[key] = copy.deepcopy(value)

    return fault


def _both(key1: str, value1: Any, key2: str, value2: Any) -> Callable[[Doc], None]:
    def fault(doc: Doc) -> None:
        _first(doc)[key1] = value1
        _first(doc)[key2] = value2

    return fault


def _drop(*keys: str) -> Callable[[Doc], None]:
    def fault(doc: Doc) -> None:
        for key in keys:
            _first(doc).pop(key, None)

    return fault


def _rename(old: str, new: str) -> Callable[[Doc], None]:
    def fault(doc: Doc) -> None:
        s = _first(doc)
        if old in s:
            s[new] = s.pop(old)

    return fault


def _top(key: str, value: Any) -> Callable[[Doc], None]:
    def fault(doc: Doc) -> None:
        doc[key] = value

    return fault


def _condition(op: str, key: str, value: Any) -> Callable[[Doc], None]:
    def fault(doc: Doc) -> None:
        _first(doc)["Condition"] = {op: {key: value}}

    return fault


_ANY = ("trust", "identity", "boundary", "session", "scp", "rcp")
_CALLER_SIDE = ("identity", "boundary", "session", "scp")

#: (reason, policy kinds it applies to, how to plant it)
POLICY_FAULTS: list[tuple[str, tuple[str, ...], Callable[[Doc], None]]] = [
    ("Effect in lower case", _ANY, _set("Effect", "allow")),
    ("unknown Version", _ANY, _top("Version", "2012-10-18")),
    ("unknown condition operator", _ANY, _condition("StringEqualz", "aws:SourceIp", "x")),
    ("Bool with a non-boolean value", _ANY, _condition("Bool", "aws:SecureTransport", "yes")),
    ("IpAddress with a non-address", _ANY, _condition("IpAddress", "aws:SourceIp", "10.0.0.300")),
    ("Null with a non-boolean value", _ANY, _condition("Null", "sts:ExternalId", "maybe")),
    ("no Action nor NotAction", _ANY, _drop("Action", "NotAction")),
    ("Action and NotAction together", _ANY, _both("Action", "sts:AssumeRole", "NotAction", "s3:*")),
    ("Sid that is not alphanumeric", _ANY, _set("Sid", "not ok!")),
    ("character outside the policy alphabet", _ANY, _set("Sid", "S\u0100")),
    ("empty Statement list", _ANY, _top("Statement", [])),
    ("trust policy with a Resource", ("trust",), _set("Resource", "*")),
    ("trust policy with NotPrincipal", ("trust",), _rename("Principal", "NotPrincipal")),
    ("trust policy without a Principal", ("trust",), _drop("Principal")),
    ("partial wildcard in a principal ARN", ("trust",), _set("Principal", {"AWS": "arn:aws:iam::111111111111:user/*"})),
    ("partial wildcard account in a principal ARN", ("trust",), _set("Principal", {"AWS": "arn:aws:iam::*:root"})),
    ("permissions policy with a Principal", _CALLER_SIDE, _set("Principal", {"AWS": "111111111111"})),
    ("permissions policy without a Resource", _CALLER_SIDE, _drop("Resource", "NotResource")),
    ("custom RCP that Allows", ("rcp",), _set("Effect", "Allow")),
    ("SCP or RCP without Version 2012-10-17", ("scp", "rcp"), _top("Version", "2008-10-17")),
    ("RCP with NotAction", ("rcp",), _rename("Action", "NotAction")),
]


def _default_world(draw: st.DrawFn) -> World:
    return draw_world(draw, None, ("user", "role-session"))


@st.composite
def malformed_policies(draw: st.DrawFn, kinds: tuple[str, ...] = _ANY) -> Malformed:
    """A valid policy of one of ``kinds`` with one fault from :data:`POLICY_FAULTS` planted,
    as :class:`Malformed` (document, kind, ``MalformedPolicyDocument``, the fault in words).
    Shrinks towards the first fault and a one-statement policy."""
    faults = [(r, [k for k in ks if k in kinds], f) for r, ks, f in POLICY_FAULTS if set(ks) & set(kinds)]
    if not faults:
        raise InvalidArgument(f"no planted fault applies to policy kinds {kinds!r}")
    reason, fault_kinds, fault = pick(draw, faults)
    kind = pick(draw, fault_kinds)
    w = _default_world(draw)
    doc = policy(draw, lambda d: STATEMENT_MAKERS[kind](d, w), max_size=2, organizations=kind in ("scp", "rcp"))
    # plant into a copy whose first statement is a plain one of the right kind
    doc = copy.deepcopy(doc)
    fault(doc)
    return Malformed(doc, kind, MALFORMED, reason)


_SLOTS = {
    "trust": ("role", "trust_policy"),
    "identity": ("caller", "identity_policies", 0),
    "boundary": ("caller", "permissions_boundary"),
    "session": ("caller", "session_policy"),
}


@st.composite
def invalid_scenarios(draw: st.DrawFn, cross_account: bool | None = None, kinds: tuple[str, ...] | None = None) -> Doc:
    """A scenario AWS refuses, labelled in its ``expect`` (and ``id``): a stored policy it would
    not store (``MalformedPolicyDocument``), a trust policy naming a principal that does not
    exist ("Invalid principal in policy"), or a request failing validation (``ValidationError``)."""
    people = tuple(
        k
        for k in (kinds or ("user", "session-token", "role-session"))
        if k in ("user", "session-token", "role-session")
    ) or ("user", "role-session")
    doc = draw(constructed_scenarios("allowed", cross_account, people))
    what = pick(draw, ["policy", "policy", "principal", "request"])
    if what == "policy":
        caller = doc["caller"]
        slots = ["trust", "identity"]
        slots += [k for k, f in (("boundary", "permissions_boundary"), ("session", "session_policy")) if f in caller]
        slot = pick(draw, slots)
        if slot == "identity" and not caller.get("identity_policies"):
            caller["identity_policies"] = [
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": doc["role"]["arn"]}],
                }
            ]
        node: Any = doc
        for key in _SLOTS[slot]:
            node = node[key]
        faults = [(r, f) for r, ks, f in POLICY_FAULTS if slot in ks]
        reason, fault = pick(draw, faults)
        fault(node)
        code = MALFORMED
    elif what == "principal":
        w_arn = doc["caller"]["arn"]
        account = w_arn.split(":")[4]
        ghost = f"arn:aws:iam::{account}:user/ghost"
        doc["nonexistent_principals"] = [ghost]
        statements = _statements(doc["role"]["trust_policy"])
        statements.append({"Effect": "Allow", "Principal": {"AWS": ghost}, "Action": "sts:AssumeRole"})
        reason, code = "Invalid principal in policy (the named user does not exist)", MALFORMED
    else:
        reason, field, value = pick(draw, BAD_REQUESTS)
        if field == "transitive_tag_keys":
            doc["request"].pop("tags", None)
        doc["request"][field] = copy.deepcopy(value)
        code = VALIDATION
    doc["id"] = f"invalid: {reason}"
    doc["expect"] = {"decision": "error", "error_code": code}
    return doc
