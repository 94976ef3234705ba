"""The solver's concrete mode agrees with the model on every scenario there is.

:func:`rolecall.model.solver.decide` decides R1-R12 with Z3 (R0, R13 and R14 with the model's own
functions), and at the federated doors F7-F10 with Z3 (F0, F1, F3, F4, F11 and F12 with the
model's); :func:`rolecall.model.decide` is the reference. On every scenario the tests ship, and on
generated ones, both must reach the same (decision, rule, denied_by, action, error_code), the
same message and the same assumed role, or both refuse with :class:`rolecall.model.UndecidableError`.
Only ``reasons`` is not compared: the solver does not report them.

Sources of scenarios (each case is named after its file, and its place in the file):

* every JSON / JSON Lines file under ``tests/`` and ``examples/``, searched for scenario
  objects wherever they are nested (the SPEC scenarios of ``tests/scenarios/spec``, the
  federated scenarios of ``tests/scenarios/federation``, the shipped examples, the fault
  counterexamples of ``tests/quality/detection.json``);
* the pinned counterexample of every entry of ``conformance/expectations/*.toml``;
* :data:`EDGE_CASES`, written here, where the model refuses (or decides before it would);
* generated scenarios, valid and invalid (:func:`rolecall.strategies.scenarios`), 2,000 of each under
  the ``ci`` profile (333 under ``dev``, 33,333 under ``nightly``);
* generated federated scenarios of each door (:func:`rolecall.strategies.federated_scenarios`),
  1,000 of each under the ``ci`` profile, some of them turned undecidable for the model.

A scenario found twice (``moto-server.toml`` pins the same counterexamples as ``moto.toml``)
is checked once, under the first name it was found by.

On a disagreement the failure prints the scenario as JSON and both results: paste the
scenario into a file and replay it with ``rolecall decide`` (either engine).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecall.conformance.expectations import Expectations
from rolecall.model import AnyScenario, Result, UndecidableError, decide, load_scenario
from rolecall.model.decide import expectation_mismatch
from rolecall.model.policy import load_json
from rolecall.model.solver import decide as solver_decide
from rolecall.strategies import federated_scenarios, scenarios
from tests.conftest import EXAMPLES, FEDERATION_SCENARIOS, ROOT, SPEC_SCENARIOS
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
    if isinstance(model, UndecidableError) or isinstance(solver, UndecidableError):
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


# =========================================================================== the federated doors

FEDERATED: dict[str, Doc] = {
    p.stem: load_json(p.read_text(encoding="utf-8")) for p in sorted(FEDERATION_SCENARIOS.glob("*.json"))
}


def test_every_federated_scenario_is_checked() -> None:
    """All 71 stored federated scenarios are among the shipped ones compared above, and of every outcome."""
    assert len(FEDERATED) == 71
    shipped = {json.dumps(doc, sort_keys=True) for _, doc in CASES}
    assert all(json.dumps(doc, sort_keys=True) in shipped for doc in FEDERATED.values())
    decisions = {doc["expect"]["decision"] for doc in FEDERATED.values()}
    assert decisions == {"allowed", "implicitDeny", "explicitDeny", "error"}


@pytest.mark.parametrize("name", list(FEDERATED))
def test_the_solver_meets_each_federated_expectation(name: str) -> None:
    """The solver's own answer meets the scenario's ``expect`` (and is the model's, field by field)."""
    doc = FEDERATED[name]
    assert_agree(doc)
    s = load_scenario(doc)
    assert expectation_mismatch(s, solver_decide(s)) == []


# Where the model refuses at a federated door: a condition on a multi-valued key without a qualifier
# (F7 or F10 reaches it), or a Cognito amr of several values read as one string (F6); and, for each,
# a variant where something decides first, so both engines must decide in the model's order.

PROVIDER = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
SOURCES_IP = {"aws:SourceIp": ["10.0.0.1", "10.0.0.2"]}
STAR_DENY = {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}


def _federated_edge(name: str, *statements: Doc, multi_on_first: bool = False, **more: Any) -> Doc:
    """A stored federated scenario with a multi-valued ``aws:SourceIp`` in its context, ``statements``
    appended to its trust policy, MULTI added to the first statement's conditions when asked, and
    ``more``: ``field`` or ``section__field`` values."""
    doc = copy.deepcopy(FEDERATED[name])
    doc["context"] = {**doc.get("context", {}), **SOURCES_IP}
    trust = doc["role"]["trust_policy"]["Statement"]
    if multi_on_first:
        trust[0]["Condition"] = {**trust[0].get("Condition", {}), **MULTI}
    trust.extend(statements)
    for key, value in more.items():
        *section, field = key.split("__")
        (doc.setdefault(section[0], {}) if section else doc)[field] = value
    return doc


def _scp_org(condition: Doc) -> Doc:
    """FED-45's organization with one SCP level, whose one Allow of ``sts:*`` holds under ``condition``
    (``{}``: a level that allows only ``s3:*``, so F9 refuses)."""
    allow: Doc = {"Effect": "Allow", "Action": "sts:*" if condition else "s3:*", "Resource": "*"}
    if condition:
        allow["Condition"] = condition
    org: Doc = copy.deepcopy(FEDERATED["FED-45-scps-apply-to-federated-true"]["organization"])
    org["scps"] = {"222222222222": [[_pol(allow)]]}
    return org


FEDERATED_EDGE_CASES: dict[str, tuple[Doc, bool]] = {
    "trust-allow": (_federated_edge("FED-01", multi_on_first=True), True),
    "trust-allow/star-deny-first": (_federated_edge("FED-01", STAR_DENY, multi_on_first=True), False),
    "trust-allow/earlier-condition-fails": (
        _federated_edge(
            "FED-01",
            {
                **FEDERATED["FED-01"]["role"]["trust_policy"]["Statement"][0],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}, **MULTI},
            },
            role__trust_predates_idp_controls=True,  # a statement without a sub test is stored (F0)
        ),
        False,
    ),
    "trust-allow/other-provider": (
        _federated_edge(
            "FED-01",
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER.replace("222222222222", "111111111111")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": MULTI,
            },
            role__trust_predates_idp_controls=True,
        ),
        False,
    ),
    "trust-deny-star": (_federated_edge("FED-01", {**STAR_DENY, "Condition": MULTI}), True),
    "trust-deny-bare-host": (
        _federated_edge(
            "FED-01",
            {**STAR_DENY, "Principal": {"Federated": "token.actions.githubusercontent.com"}, "Condition": MULTI},
        ),
        True,
    ),
    "rcp-deny/trust-deny-evaluated-too": (_federated_edge("FED-43", {**STAR_DENY, "Condition": MULTI}), True),
    "primary-deny/tag-session-deny-not-reached": (
        _federated_edge(
            "FED-41",
            {**STAR_DENY, "Action": "sts:AssumeRoleWithWebIdentity"},
            {**STAR_DENY, "Action": "sts:TagSession", "Condition": MULTI},
        ),
        False,
    ),
    "saml-trust-allow": (_federated_edge("FED-32", multi_on_first=True), True),
    "tag-session-companion": (
        _federated_edge(
            "FED-41",
            {
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::222222222222:oidc-provider/idp.example.com"},
                "Action": "sts:TagSession",
                "Condition": MULTI,
            },
        ),
        True,
    ),
    "scp-allow": (_federated_edge("FED-45-scps-apply-to-federated-true", organization=_scp_org(MULTI)), True),
    "scp-level-without-allow": (
        _federated_edge("FED-45-scps-apply-to-federated-true", organization=_scp_org({})),
        False,
    ),
    "cognito-amr-single-valued": (_federated_edge("FED-24", semantics__cognito_amr_multivalued=False), True),
}


@pytest.mark.parametrize("doc", [doc for doc, _ in FEDERATED_EDGE_CASES.values()], ids=list(FEDERATED_EDGE_CASES))
def test_where_the_model_refuses_a_federated_call(doc: Doc) -> None:
    assert_agree(doc)


def test_the_federated_refusals_are_refusals() -> None:
    """The federated cases above exercise what they say: the model refuses exactly those marked so."""
    cases = FEDERATED_EDGE_CASES.items()
    refused = {name for name, (doc, _) in cases if isinstance(outcome(decide, doc), UndecidableError)}
    assert refused == {name for name, (_, refuses) in cases if refuses}


#: The options F6-F10 read (docs/federation.md §1.1), flipped at random in the generated worlds.
FEDERATION_OPTIONS = (
    "wildcard_matches_federated",
    "bare_host_matches_oidc_provider",
    "oidc_array_aud_multivalued",
    "cognito_amr_multivalued",
    "federation_keys_in_companion_actions",
    "cognito_cross_account_requires_aud_amr",
    "scps_apply_to_federated",
)

#: Examples per door (1,000 in ci, scaled by the profile).
FEDERATED_N = scaled(1_000)


@st.composite
def _twisted_federated(draw: st.DrawFn, api: str) -> Doc:
    """A generated federated scenario, then perhaps: some options flipped (``federated_provider_value``
    too), and a condition the model cannot evaluate (a multi-valued key without a qualifier) on
    every trust statement or on a trust Deny that names everyone."""
    doc = copy.deepcopy(draw(federated_scenarios(api=api)))
    flips: dict[str, Any] = draw(st.dictionaries(st.sampled_from(FEDERATION_OPTIONS), st.booleans(), max_size=3))
    if draw(st.booleans()):
        flips["federated_provider_value"] = "host"
    if flips:
        doc["semantics"] = {**doc.get("semantics", {}), **flips}
    twist = draw(st.sampled_from(("none", "none", "allow", "deny")))
    if twist != "none":
        doc["context"] = {**doc.get("context", {}), **SOURCES_IP}
        trust = doc["role"]["trust_policy"]["Statement"]
        if twist == "allow":
            for statement in trust:
                statement["Condition"] = {**statement.get("Condition", {}), **MULTI}
        else:
            trust.append({**STAR_DENY, "Condition": MULTI})
    return doc


@settings(max_examples=FEDERATED_N)
@given(_twisted_federated("AssumeRoleWithWebIdentity"))
def test_generated_web_identity_scenarios(doc: Doc) -> None:
    """The solver decides AssumeRoleWithWebIdentity as the model, and refuses exactly where it does."""
    assert_agree(doc)


@settings(max_examples=FEDERATED_N)
@given(_twisted_federated("AssumeRoleWithSAML"))
def test_generated_saml_scenarios(doc: Doc) -> None:
    """The solver decides AssumeRoleWithSAML as the model, and refuses exactly where it does."""
    assert_agree(doc)
