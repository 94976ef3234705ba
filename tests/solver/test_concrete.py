"""The solver's concrete mode agrees with the model on every scenario there is.

:func:`rolecall.model.solver.decide` decides R1-R12 with Z3 (R0, R13 and R14 with the model's own
functions); :func:`rolecall.model.decide` is the reference. On every scenario the tests ship, and on
generated ones, both must reach the same (decision, rule, denied_by, action, error_code), the
same message and the same assumed role, or both refuse with :class:`rolecall.model.UndecidableError`.
Only ``reasons`` is not compared: the solver does not report them.

Sources of scenarios (each case is named after its file, and its place in the file):

* every JSON / JSON Lines file under ``tests/`` and ``examples/``, searched for scenario
  objects wherever they are nested (the SPEC scenarios of ``tests/scenarios/spec``, the
  shipped examples, the fault counterexamples of ``tests/quality/detection.json``);
* the pinned counterexample of every entry of ``conformance/expectations/*.toml``;
* :data:`EDGE_CASES`, written here, where the model refuses (or decides before it would);
* generated scenarios, valid and invalid (:func:`rolecall.strategies.scenarios`), 2,000 of each under
  the ``ci`` profile (300 under ``dev``, 20,000 under ``nightly``).

A scenario found twice (``moto-server.toml`` pins the same counterexamples as ``moto.toml``)
is checked once, under the first name it was found by.

On a disagreement the failure prints the scenario as JSON and both results: paste the
scenario into a file and replay it with ``rolecall decide`` (either engine).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from rolecall.conformance.expectations import Expectations
from rolecall.model import AnyScenario, Result, UndecidableError, decide, load_scenario
from rolecall.model.policy import load_json
from rolecall.model.solver import decide as solver_decide
from rolecall.strategies import scenarios
from tests.conftest import EXAMPLES, ROOT, SPEC_SCENARIOS
from tests.examples import scaled

Doc = dict[str, Any]
Engine = Callable[[AnyScenario], Result]

#: What both engines must agree on (``reasons`` is the model's alone).
FIELDS = ("decision", "rule", "denied_by", "action", "error_code", "message", "assumed_role")

EXPECTATIONS = ROOT / "conformance" / "expectations"


# =========================================================================== the comparison


def outcome(engine: Engine, doc: Doc) -> Result | UndecidableError:
    """One engine's answer; each engine gets a scenario of its own, so no state is shared."""
    try:
        return engine(load_scenario(doc))
    except UndecidableError as exc:
        return exc


def _show(r: Result | UndecidableError) -> str:
    if isinstance(r, UndecidableError):
        return f"UndecidableError: {r}"
    return json.dumps(r.to_json(), sort_keys=True)


def disagreement(doc: Doc) -> str | None:
    """None when the solver and the model agree on ``doc``; otherwise a replayable report."""
    model, solver = outcome(decide, doc), outcome(solver_decide, doc)
    if "federated_caller" in doc:
        # The encoding does not state the federated doors yet: the solver must refuse them (never
        # another answer than the model's); the model's own answer is checked elsewhere.
        refused = isinstance(solver, UndecidableError) and solver.path == "$.api"
        differing = [] if refused else ["federated door not refused"]
    elif isinstance(model, UndecidableError) or isinstance(solver, UndecidableError):
        # Both refuse: agreement. Their messages differ on purpose (the model names the condition
        # it could not evaluate; the solver only knows that some condition was undecidable).
        same = isinstance(model, UndecidableError) and isinstance(solver, UndecidableError)
        differing = [] if same else ["undecidable"]
    else:
        differing = [f for f in FIELDS if getattr(model, f) != getattr(solver, f)]
    if not differing:
        return None
    return (
        f"the solver and the model disagree on {', '.join(differing)}\n"
        f"scenario: {json.dumps(doc, sort_keys=True)}\n"
        f"model:    {_show(model)}\n"
        f"solver:   {_show(solver)}"
    )


def assert_agree(doc: Doc) -> None:
    report = disagreement(doc)
    assert report is None, report


# =========================================================================== the shipped scenarios


def _is_scenario(value: object) -> bool:
    door = {"federated_caller"} if isinstance(value, dict) and "federated_caller" in value else {"caller"}
    return isinstance(value, dict) and {*door, "role", "request"} <= set(value)


def _nested(value: object, path: str) -> Iterator[tuple[str, Doc]]:
    """Every scenario object inside a decoded JSON value, with its JSON path."""
    if _is_scenario(value):
        assert isinstance(value, dict)
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nested(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nested(item, f"{path}[{i}]")


def _from_file(path: Path) -> Iterator[tuple[str, Doc]]:
    """A JSON file (one scenario, or a document holding scenarios) or JSON Lines (one per line)."""
    name = path.relative_to(ROOT).as_posix()
    text = path.read_text(encoding="utf-8")
    try:
        values = [("", load_json(text))]
    except ValueError:
        values = [(f":{n}", load_json(line)) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    for where, value in values:
        for json_path, doc in _nested(value, "$"):
            yield name + where + ("" if json_path == "$" else json_path), doc


def _sources() -> dict[str, list[tuple[str, Doc]]]:
    files = sorted({*ROOT.glob("tests/**/*.json"), *ROOT.glob("tests/**/*.jsonl"), *EXAMPLES.glob("*.json")})
    out: dict[str, list[tuple[str, Doc]]] = {}
    for path in files:
        source = {SPEC_SCENARIOS: "spec", EXAMPLES: "examples"}.get(path.parent, path.relative_to(ROOT).as_posix())
        out.setdefault(source, []).extend(_from_file(path))
    for path in sorted(EXPECTATIONS.glob("*.toml"), key=lambda p: p.stem):
        name = path.relative_to(ROOT).as_posix()
        entries = Expectations.load(path, path.stem).entries
        out[name] = [(f"{name}:{e.id}", e.counterexample) for e in entries]
    return out


SOURCES = _sources()


def _unique() -> tuple[list[tuple[str, Doc]], Counter[str]]:
    seen: set[str] = set()
    cases, counts = [], Counter[str]()
    for source, found in SOURCES.items():
        for case_id, doc in found:
            key = json.dumps(doc, sort_keys=True)
            if key not in seen:
                seen.add(key)
                cases.append((case_id, doc))
                counts[source] += 1
    return cases, counts


CASES, CHECKED = _unique()


def test_every_source_was_found() -> None:
    """The parametrization below is not vacuous: every kind of stored scenario is there."""
    spec_files = len(list(SPEC_SCENARIOS.glob("*.json")))
    assert spec_files >= 82 and len(SOURCES["spec"]) == spec_files
    assert len(SOURCES["examples"]) == len(list(EXAMPLES.glob("*.json"))) > 0
    assert len(SOURCES["tests/quality/detection.json"]) > 0
    for path in EXPECTATIONS.glob("*.toml"):
        assert len(SOURCES[path.relative_to(ROOT).as_posix()]) > 0, path
    # the spec's scenarios, the examples, the detection table's counterexamples and the unique pinned
    # counterexamples of both expectation files: 266 since the files know divergences by cause (127 and
    # 126 entries, where they held 339 and 341)
    assert sum(CHECKED.values()) == len(CASES) > 200


@pytest.mark.parametrize("doc", [doc for _, doc in CASES], ids=[case_id for case_id, _ in CASES])
def test_shipped_scenario(doc: Doc) -> None:
    assert_agree(doc)


# =========================================================================== where the model refuses

# No stored or generated scenario makes the model refuse (UndecidableError), so these do: a condition on
# a multi-valued aws:SourceIp without ForAllValues:/ForAnyValue:, or a value of the wrong type, in each
# kind of policy, and with something that decides before the condition is read (then both must decide,
# in the model's order, rather than refuse).

A, B = "111111111111", "222222222222"
MULTI = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}


def _pol(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: str | list[str] = "sts:AssumeRole", **more: Any) -> Doc:
    return {"Effect": "Allow", "Action": action, "Resource": "*", **more}


def _trust(principal: str = f"arn:aws:iam::{A}:root", action: str | list[str] = "sts:AssumeRole", **more: Any) -> Doc:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **more}


TRUST_DENY_ALL = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}


def _edge(
    identity: list[Doc] | None = None,
    trust: list[Doc] | None = None,
    role: str = f"arn:aws:iam::{A}:role/R",
    context: Doc | None = None,
    **more: Any,
) -> Doc:
    """alice (account A) assumes ``role``; ``identity`` are the statements of her one identity policy
    (default: Allow sts:AssumeRole; ``[]``: no identity policy); ``more``: ``organization`` or ``section__field``."""
    statements = [_allow()] if identity is None else identity
    policies = [_pol(*statements)] if statements else []
    doc: Doc = {
        "caller": {"arn": f"arn:aws:iam::{A}:user/alice", "identity_policies": policies},
        "role": {"arn": role, "trust_policy": _pol(*(trust or [_trust()]))},
        "request": {"role_session_name": "s1"},
        "context": {"aws:SourceIp": ["10.0.0.1", "10.0.0.2"]} if context is None else context,
    }
    for key, value in more.items():
        *section, field = key.split("__")
        (doc.setdefault(section[0], {}) if section else doc)[field] = value
    return doc


def _org(**policies: Any) -> Doc:
    return {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "members": [A, B], **policies}


AR_AND_TAG = ["sts:AssumeRole", "sts:TagSession"]
ONE_TAG = [{"Key": "a", "Value": "1"}]
DENY_AR = {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}
BOB = f"arn:aws:iam::{A}:user/bob"
SCP_ALLOW_IF = _org(scps={A: [[_pol(_allow("*", Condition=MULTI))]]})

#: id -> (scenario, whether the model refuses it)
EDGE_CASES: dict[str, tuple[Doc, bool]] = {
    "identity-allow": (_edge([_allow(Condition=MULTI)]), True),
    "identity-allow/trust-deny-first": (_edge([_allow(Condition=MULTI)], [_trust(), TRUST_DENY_ALL]), False),
    "identity-allow/identity-deny-first": (_edge([_allow(Condition=MULTI), DENY_AR]), False),
    "identity-second-allow": (_edge([_allow(), _allow(Condition=MULTI)]), False),
    "identity-deny/trust-deny": (_edge([_allow(), {**DENY_AR, "Condition": MULTI}], [_trust(), TRUST_DENY_ALL]), True),
    "identity-other-resource": (
        _edge([_allow(), {**_allow(Condition=MULTI), "Resource": "arn:aws:iam::999999999999:role/x"}]),
        False,
    ),
    "trust-second-allow": (_edge(trust=[_trust(), _trust(Condition=MULTI)]), True),
    "trust-deny-other-principal": (
        _edge(trust=[_trust(), {**TRUST_DENY_ALL, "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Condition": MULTI}]),
        False,
    ),
    "trust-not-matching/identity-allow": (_edge([_allow(Condition=MULTI)], [_trust(BOB)]), True),
    "cross-account/trust-allow/no-identity": (_edge([], [_trust(Condition=MULTI)], f"arn:aws:iam::{B}:role/R"), True),
    "tag-session/assume-role-denied-first": (
        _edge(trust=[_trust(BOB), _trust(action="sts:TagSession", Condition=MULTI)], request__tags=ONE_TAG),
        False,
    ),
    "tag-session/assume-role-allowed": (
        _edge(
            [_allow(AR_AND_TAG)], [_trust(), _trust(action="sts:TagSession", Condition=MULTI)], request__tags=ONE_TAG
        ),
        True,
    ),
    "tag-keys-string-equals": (
        _edge(
            [_allow(AR_AND_TAG)],
            [_trust(action=AR_AND_TAG, Condition={"StringEquals": {"aws:TagKeys": "a"}})],
            context={},
            request__tags=[*ONE_TAG, {"Key": "b", "Value": "2"}],
        ),
        True,
    ),
    "wrong-type-numeric": (
        _edge(
            [_allow(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}})],
            context={"aws:MultiFactorAuthAge": "five"},
        ),
        True,
    ),
    "for-any-value": (_edge([_allow(Condition={"ForAnyValue:IpAddress": MULTI["IpAddress"]})]), False),
    "boundary": (_edge(caller__permissions_boundary=_pol(_allow(Condition=MULTI))), True),
    "scp-allow": (_edge(organization=SCP_ALLOW_IF), True),
    "scp-allow/trust-deny-first": (_edge(trust=[_trust(), TRUST_DENY_ALL], organization=SCP_ALLOW_IF), False),
    "rcp-deny": (
        _edge(
            role=f"arn:aws:iam::{B}:role/R",
            organization=_org(
                rcps={B: [[_pol({**TRUST_DENY_ALL, "Principal": "*", "Resource": "*", "Condition": MULTI})]]}
            ),
        ),
        True,
    ),
}


@pytest.mark.parametrize("doc", [doc for doc, _ in EDGE_CASES.values()], ids=list(EDGE_CASES))
def test_where_the_model_refuses(doc: Doc) -> None:
    assert_agree(doc)


def test_the_refusals_are_refusals() -> None:
    """The cases above exercise what they say: the model refuses exactly those marked so."""
    refused = {name for name, (doc, _) in EDGE_CASES.items() if isinstance(outcome(decide, doc), UndecidableError)}
    assert refused == {name for name, (_, refuses) in EDGE_CASES.items() if refuses}


# =========================================================================== generated scenarios


#: Examples per property (2,000 in ci, scaled by the profile): far more than the profile's own count,
#: because each example is cheap (~20 ms) and this is where the two engines are compared on worlds
#: nobody wrote.
N = scaled(2_000)


@settings(max_examples=N)  # every other setting (derandomize, deadline, database) from the profile
@given(scenarios())
def test_generated_scenarios(doc: Doc) -> None:
    assert_agree(doc)


@settings(max_examples=N)
@given(scenarios(invalid=True))
def test_generated_invalid_scenarios(doc: Doc) -> None:
    """Scenarios AWS refuses (R0). R0 is the model's own function in both engines: this checks that
    the solver applies it, and first (a broken world never reaches the encoding)."""
    assert_agree(doc)
