"""The shipped expectations for moto name the divergence classes docs/emulators.md reports, each found by the
suite itself (``rolecall conformance --target moto --update-expectations`` wrote the file), and each
entry's pinned counterexample still diverges that way against the moto targets (replayed here too,
outside the conformance run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rolecall.conformance.expectations import Expectation, Expectations, builtin_path
from rolecall.conformance.session import Conformance
from rolecall.conformance.targets import load_target

Sig = dict[str, Any]


def _tags(sig: Sig) -> set[str]:
    return set(sig.get("tags", []))


def _is(sig: Sig, key: str, *values: str) -> bool:
    v = sig.get(key)
    return any(x in values for x in (v if isinstance(v, list) else [v]))


#: docs/emulators.md §2 class -> how its expectation's signature reads
CLASSES: dict[str, Callable[[Sig], bool]] = {
    "cross-account trust never evaluated (D9)": lambda s: (
        _is(s, "accounts", "cross")
        and _is(s, "target", "allowed")
        and _is(s, "denied_by", "role trust policy")
        and _is(s, "rule", "R8", "R5")
    ),
    "same-account direct grants needing an identity policy (D3)": lambda s: (
        _is(s, "accounts", "same")
        and _is(s, "model", "allowed")
        and _is(s, "target", "denied")
        and "no-identity-policy" in _tags(s)
    ),
    "account principals not matched (D4)": lambda s: (
        _is(s, "accounts", "same")
        and _is(s, "model", "allowed")
        and _is(s, "target", "denied")
        and "principal:account" in _tags(s)
    ),
    "a matching trust Deny allowing (D7)": lambda s: (
        _is(s, "model", "explicitDeny") and _is(s, "denied_by", "role trust policy") and _is(s, "target", "allowed")
    ),
    "substring principal matching (D5)": lambda s: (
        _is(s, "accounts", "same")
        and _is(s, "rule", "R8")
        and _is(s, "target", "allowed")
        and not _tags(s) & {"trust-condition", "trust-deny"}
    ),
    "unimplemented condition operators passing (D12)": lambda s: (
        _is(s, "model", "implicitDeny") and _is(s, "target", "allowed") and "trust-condition" in _tags(s)
    ),
    "case-sensitive actions (D20)": lambda s: (
        _is(s, "model", "allowed") and _is(s, "target", "denied") and "action-case" in _tags(s)
    ),
    "raw-regex wildcards (D19)": lambda s: bool(_tags(s) & {"wildcard-?", "regex-metacharacter"}),
    "durations not validated (D21)": lambda s: (
        _is(s, "model", "error:ValidationError")
        and _is(s, "target", "allowed")
        and ("request:duration_seconds" in _tags(s) or _is(s, "error_field", "durationSeconds"))
    ),
    "session names not validated (D22)": lambda s: (
        _is(s, "model", "error:ValidationError")
        and _is(s, "target", "allowed")
        and _is(s, "error_field", "roleSessionName")
    ),
    "session tags not requiring sts:TagSession (D24)": lambda s: (
        _is(s, "action", "sts:TagSession") and _is(s, "target", "allowed")
    ),
    "policies of Version 2008-10-17 refused when stored (D28)": lambda s: (
        _is(s, "phase", "provision")
        and _is(s, "target", "error:MalformedPolicyDocument")
        and "2012-10-17" not in str(s.get("target_message"))  # numbers are masked: N-N-N
        and "must be version" in str(s.get("target_message"))
    ),
    "crashes on a trust principal it cannot read (D8)": lambda s: (
        _is(s, "phase", "target-error") and "AttributeError" in str(s.get("target_message"))
    ),
}


@pytest.fixture(scope="module")
def moto_expectations() -> Expectations:
    return Expectations.load(builtin_path("moto"), "moto")


@pytest.mark.parametrize("name", list(CLASSES))
def test_the_suite_found_the_class(moto_expectations: Expectations, name: str) -> None:
    matching = [e.id for e in moto_expectations.entries if CLASSES[name](e.signature)]
    assert matching, f"no expectation in {builtin_path('moto')} describes {name}"


@pytest.fixture(scope="module", params=["moto", "moto-server"])
def conformance(request: pytest.FixtureRequest) -> Iterator[Conformance]:
    target = load_target(request.param, worker="gw7")
    target.start()
    try:
        yield Conformance(target, Expectations.load(builtin_path(request.param), request.param))
    finally:
        target.stop()


def test_every_pinned_counterexample_still_diverges(conformance: Conformance) -> None:
    entries: list[Expectation] = conformance.expectations.entries
    assert entries, "no expectations shipped"
    statuses = {e.id: conformance.replay(e)[0] for e in entries}
    assert {k: v for k, v in statuses.items() if v != "holds"} == {}


@pytest.mark.parametrize("target", ["moto", "moto-server"])
def test_every_entry_links_the_aws_page_behind_it(target: str) -> None:
    """Each entry's ``link`` is an AWS documentation page (by hand, or the default of its tag or rule),
    and the file says which moto version it was made for."""
    expectations = Expectations.load(builtin_path(target), target)
    assert expectations.version == "5.2.5"
    unlinked = [
        e.id
        for e in expectations.entries
        if not e.link.startswith(("https://docs.aws.amazon.com/", "https://aws.amazon.com/"))
    ]
    assert unlinked == []
