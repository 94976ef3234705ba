"""Decisive coverage: which parts of the rule the generated scenarios make *decide* (issue 18 items 1, 2).

Line coverage says a line ran; this says a part of the rule mattered. For every scenario the conformance
properties draw in a ``ci``-profile run, and for the public :func:`rolecall.strategies.scenarios` at the
``ci`` profile's count, the model decides the scenario, then decides it again with one part changed; the
part is *decisive* when the decision (``allowed`` / ``explicitDeny`` / ``implicitDeny`` / ``error``)
changes. The parts, and the matrices they are counted in (docs/coverage.md says why these shapes):

* **Condition tests** (one operator + key entry of a statement's ``Condition`` block; docs/semantics.md
  §4.5, R4): removed, and flipped (the operator negated, ``Bool`` / ``Null`` values swapped, ``Binary``
  values made unmatchable). Counted per operator family against each value of every other dimension
  (negation, ``IfExists``, key present / absent / multi-valued, set operator, policy variable under
  either policy version) and per policy kind.
* **Rules** R0-R14 and F0-F13 (:data:`RULES`): the rule the result names, its deciding element changed
  (:func:`rule_decisive`).
* **Deny sources**: an explicit Deny that decides, per policy kind, its statements neutralised.
* **Principal kinds** and **match classes** (R8, F10): a trust-policy Allow that matched the caller, per
  caller kind and per ``principal_class``, neutralised.

The scenarios are *the same examples the suite draws*: :func:`run_properties` runs every property of
``rolecall.conformance`` (the very functions ``rolecall conformance`` runs) under the ``ci`` profile,
which is derandomized, against a recording session whose target can express everything (as the
``model`` and ``solver`` targets can); the session decides and rejects exactly as
:meth:`Conformance.check` does for a target that agrees with the model, so Hypothesis makes the same
draws. Nothing here is hard-coded: change a generator and the counts move.

Run ``python -m tests.quality.coverage`` to print the matrices and write ``tests/quality/COVERAGE.md``;
``tests/quality/test_decisive.py`` asserts that every allowed cell is decisive at least
:data:`MINIMUM` times.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import json
import pkgutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import given, reject, settings

from rolecall import conformance, model, strategies
from rolecall.conformance._world import caller_kind
from rolecall.conformance.expectations import Expectations
from rolecall.conformance.session import Conformance
from rolecall.conformance.targets.model import ModelTarget
from rolecall.model.conditions import OPERATORS
from rolecall.model.decide import granting_reasons

Doc = dict[str, Any]

#: every allowed cell must be decisive in at least this many scenarios of a ci-profile run
MINIMUM = 5
HERE = Path(__file__).resolve().parent
MARKDOWN = HERE / "COVERAGE.md"

# ------------------------------------------------------------------------------------------ the dimensions

#: the operator families of CONDOPS, as rows; ``String`` is the equality operators, ``StringLike`` the
#: pattern ones (their wildcard rule differs, so an evaluator can get one right and the other wrong)
FAMILIES = ("String", "StringLike", "Numeric", "Date", "Bool", "Binary", "IpAddress", "Arn", "Null")

#: the columns of the condition matrix: (dimension, value)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("negation", "plain"),
    ("negation", "negated"),
    ("IfExists", "without"),
    ("IfExists", "with"),
    ("key", "present"),
    ("key", "absent"),
    ("key", "multi-valued"),
    ("set operator", "none"),
    ("set operator", "ForAllValues"),
    ("set operator", "ForAnyValue"),
    ("variable", "none"),
    ("variable", "2012-10-17"),
    ("variable", "2008-10-17"),
)

#: the policy kinds whose conditions the decision evaluates (the request's own session policy, sent for
#: the new session, is only checked for syntax and size at R13: its conditions never take part)
POLICY_KINDS = ("trust", "identity", "boundary", "session", "SCP", "RCP")

#: the cells AWS does not allow, with why (docs/coverage.md cites the pages); a cell is (family, column)
DISALLOWED: dict[tuple[str, str], str] = {}


def _disallow(families: Sequence[str], columns: Sequence[str], why: str) -> None:
    for f in families:
        for c in columns:
            DISALLOWED[(f, c)] = why


_disallow(("Bool", "Binary", "Null"), ("negated",), "no negated operator exists (CONDOPS lists none)")
_disallow(("Null",), ("with",), "`NullIfExists` is not an operator: IfExists applies to every operator but Null")
_disallow(
    ("Null",),
    ("ForAllValues", "ForAnyValue"),
    "Null tests a key's presence, not its values: set operators do not apply (CONDOPS, MULTI)",
)
_disallow(
    ("Numeric", "Date", "Bool", "Binary", "IpAddress", "Arn"),
    ("multi-valued",),
    "no multi-valued key of this type exists in an AssumeRole request context (GKEYS, STSKEYS: the "
    "multi-valued keys are lists of strings)",
)
_disallow(
    ("Numeric", "Date", "Binary", "IpAddress", "Null"),
    ("2012-10-17", "2008-10-17"),
    "policy variables are substituted only in string, ARN and Bool conditions (VARS); elsewhere `${...}` "
    "is text the operator refuses (not a number, date, base64 value, address or true/false)",
)
_disallow(
    ("Binary",),
    ("present", "with", "ForAllValues"),
    "no Binary-typed key is ever present in an AssumeRole request context (GKEYS, STSKEYS), and on an absent "
    "key an IfExists or ForAllValues test holds whatever its values: it can never decide",
)
_disallow(
    ("Bool",),
    ("2008-10-17",),
    "under 2008-10-17 `${...}` is literal text, and Bool takes only true or false (CONDOPS, VARS)",
)

#: the rules a result can name (docs/semantics.md, docs/federation.md)
RULES = tuple(f"R{i}" for i in range(15)) + tuple(f"F{i}" for i in range(14))

#: rules no result names, with why (docs/semantics.md §7 item 8, docs/federation.md §1)
NEVER_DECIDES: dict[str, str] = {
    "R3": "sets the actions a later denial names; never the rule of a result",
    "R4": "computes the request context; conditions decide through the rules that read them",
    "R6": "RCPs act only through their Denies (R5): every level holds RCPFullAWSAccess",
    "R12": "a grandfathered self-assumption ends at R14, a refusal is reported as R8",
    "F2": "the shape of the federated decision (no AWS caller): decides nothing",
    "F5": "the actions a federated call needs: decides nothing",
    "F6": "the federated request context: decides nothing",
    "F8": "RCPs act only through their Denies (F7)",
    "F9": "SCPs bind federated callers only under the option scps_apply_to_federated, which no strategy sets",
    "F13": "a federated session's AssumeRole is decided by the R rules (R4, R13, R14)",
}

DENY_SOURCES = (
    "role trust policy",
    "identity-based policy",
    "permissions boundary",
    "session policy",
    "service control policy",
    "resource control policy",
)

#: caller kinds (:func:`rolecall.conformance._world.caller_kind`) as the principal-kind rows
PRINCIPAL_KINDS = ("user", "role-session", "session-token", "service", "root", "federated", "web-identity", "saml")
UNMATCHABLE_KINDS = {
    "root": "refused at R1 before any trust policy is read (TRB-ROLES: roles may not be assumed by root)",
    "federated": "GetFederationToken sessions are refused at R1 (TEMP-REQ)",
}

#: R8's and F10's match classes (``Reason.principal_class``)
MATCH_CLASSES = ("user", "role", "session", "account", "wildcard", "service", "federated")


# ------------------------------------------------------------------------------------------ the policies


@dataclass(frozen=True)
class Site:
    """Where a policy lives in a scenario document: its kind and the path of keys to it."""

    kind: str
    path: tuple[str | int, ...]


def sites(doc: Doc) -> list[Site]:
    """Every policy of ``doc`` whose conditions the decision can read (:data:`POLICY_KINDS`)."""
    out = []
    role, caller = doc.get("role", {}), doc.get("caller", {})
    if isinstance(role.get("trust_policy"), dict):
        out.append(Site("trust", ("role", "trust_policy")))
    for i, p in enumerate(caller.get("identity_policies") or []):
        if isinstance(p, dict):
            out.append(Site("identity", ("caller", "identity_policies", i)))
    for key, kind in (("permissions_boundary", "boundary"), ("session_policy", "session")):
        if isinstance(caller.get(key), dict):
            out.append(Site(kind, ("caller", key)))
    org = doc.get("organization") or {}
    for field_, kind in (("scps", "SCP"), ("rcps", "RCP")):
        for account, chain in (org.get(field_) or {}).items():
            for level, policies in enumerate(chain):
                for i, p in enumerate(policies):
                    if isinstance(p, dict):
                        out.append(Site(kind, ("organization", field_, account, level, i)))
    return out


def _at(doc: Any, path: Sequence[str | int]) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def statements(policy: Doc) -> list[Doc]:
    """The statements of a policy as a list (``Statement`` may be one object)."""
    s = policy.get("Statement", [])
    return [x for x in (s if isinstance(s, list) else [s]) if isinstance(x, dict)]


def _statement(doc: Doc, site: Site, index: int) -> Doc:
    policy = _at(doc, site.path)
    s = policy["Statement"]
    out: Doc = s[index] if isinstance(s, list) else s
    return out


def _copy(doc: Doc) -> Doc:
    out: Doc = json.loads(json.dumps(doc))
    return out


# ------------------------------------------------------------------------------------------ deciding


def decision(doc: Doc) -> str | None:
    """The model's decision on ``doc``, or ``None`` when the model refuses to decide it (input error,
    undecidable): such a variant is no evidence either way."""
    try:
        return model.decide(model.load_scenario(doc)).decision
    except model.RolecallError:
        return None


def _changes(base: str, variant: Doc) -> bool:
    d = decision(variant)
    return d is not None and d != base


# ------------------------------------------------------------------------------------------ condition tests


@dataclass(frozen=True)
class Test:
    """One condition test: an operator + key entry of one statement's ``Condition`` block."""

    site: Site
    statement: int
    operator: str
    """as written (``ForAnyValue:StringLikeIfExists``)"""
    key: str
    values: tuple[Any, ...]
    version: str | None

    @property
    def parts(self) -> tuple[str, str | None, bool]:
        """(base operator, set operator, IfExists)."""
        base, qualifier = self.operator, None
        for q in ("ForAllValues:", "ForAnyValue:"):
            if base.startswith(q):
                base, qualifier = base[len(q) :], q[:-1]
        if_exists = base.endswith("IfExists") and base != "IfExists"
        return base.removesuffix("IfExists") if if_exists else base, qualifier, if_exists

    @property
    def family(self) -> str | None:
        base = self.parts[0]
        if base not in OPERATORS:
            return None
        fam = OPERATORS[base][0]
        if fam == "string":
            return "StringLike" if base.endswith("Like") else "String"
        return {
            "numeric": "Numeric",
            "date": "Date",
            "bool": "Bool",
            "binary": "Binary",
            "ip": "IpAddress",
            "arn": "Arn",
            "null": "Null",
        }[fam]


def condition_tests(doc: Doc) -> list[Test]:
    """Every condition test of every policy :func:`sites` lists."""
    out = []
    for site in sites(doc):
        policy = _at(doc, site.path)
        version = policy.get("Version") if isinstance(policy.get("Version"), str) else None
        for i, s in enumerate(statements(policy)):
            block = s.get("Condition")
            if not isinstance(block, dict):
                continue
            for op, keys in block.items():
                if not isinstance(keys, dict):
                    continue
                for key, raw in keys.items():
                    values = tuple(raw) if isinstance(raw, list) else (raw,)
                    out.append(Test(site, i, str(op), str(key), values, version))
    return out


#: an operator and its negation (CONDOPS): flipping a test negates it
_NEGATION = {
    "StringEquals": "StringNotEquals",
    "StringEqualsIgnoreCase": "StringNotEqualsIgnoreCase",
    "StringLike": "StringNotLike",
    "NumericEquals": "NumericNotEquals",
    "NumericLessThan": "NumericGreaterThanEquals",
    "NumericLessThanEquals": "NumericGreaterThan",
    "DateEquals": "DateNotEquals",
    "DateLessThan": "DateGreaterThanEquals",
    "DateLessThanEquals": "DateGreaterThan",
    "IpAddress": "NotIpAddress",
    "ArnEquals": "ArnNotEquals",
    "ArnLike": "ArnNotLike",
}
_NEGATION.update({v: k for k, v in list(_NEGATION.items())})
#: base64 no request value is
_UNMATCHABLE_BINARY = "cm9sZWNhbGwtdW5tYXRjaGFibGU="


def _without(doc: Doc, t: Test) -> Doc:
    out = _copy(doc)
    s = _statement(out, t.site, t.statement)
    block = s["Condition"]
    del block[t.operator][t.key]
    if not block[t.operator]:
        del block[t.operator]
    if not block:
        del s["Condition"]
    return out


def _flipped(doc: Doc, t: Test, ctx: Any) -> Doc | None:
    """``doc`` with ``t`` flipped, or ``None`` when it has no flip (or the flip would merge with a test
    already there). A Bool value that is a policy variable flips to the opposite of the variable's value."""
    base, qualifier, if_exists = t.parts
    if base in _NEGATION:
        name = (f"{qualifier}:" if qualifier else "") + _NEGATION[base] + ("IfExists" if if_exists else "")
        values: list[Any] = list(t.values)
    elif base in ("Bool", "Null"):
        name = t.operator
        swap = {"true": "false", "false": "true"}
        values = []
        for v in t.values:
            text = str(_resolved(v, t, ctx)).lower()
            values.append(not v if isinstance(v, bool) else swap.get(text, v))
        if values == list(t.values):
            return None
    elif base == "BinaryEquals":
        name, values = t.operator, [_UNMATCHABLE_BINARY]
    else:
        return None
    out = _without(doc, t)
    s = _statement(out, t.site, t.statement)
    block = s.setdefault("Condition", {})
    if t.key in block.get(name, {}):
        return None
    block.setdefault(name, {})[t.key] = values if len(values) > 1 else values[0]
    return out


def _resolved(value: Any, t: Test, ctx: Any) -> Any:
    """A value that is one policy variable ``${key}`` (under 2012-10-17), as the request context resolves it."""
    if t.version == "2012-10-17" and isinstance(value, str) and value.startswith("${") and "," not in value:
        got = ctx.get(value[2:-1].strip().lower())
        return got if isinstance(got, str) else value
    return value


def test_is_decisive(doc: Doc, base: str, t: Test, ctx: Any) -> bool:
    """Whether removing ``t``, or flipping it, changes the decision ``base`` on ``doc`` (``ctx``: its request
    context)."""
    if _changes(base, _without(doc, t)):
        return True
    flipped = _flipped(doc, t, ctx)
    return flipped is not None and _changes(base, flipped)


def key_state(ctx: Any, key: str) -> str:
    """``present``, ``absent`` or ``multi-valued``: the key's value in the request context."""
    raw = ctx.get(key.lower())
    if raw is None or raw == ():
        return "absent"
    return "multi-valued" if isinstance(raw, tuple) else "present"


def cells_of(t: Test, ctx: Any) -> tuple[str, list[str]]:
    """The test's family and the condition-matrix columns it falls in."""
    family = t.family
    assert family is not None
    base, qualifier, if_exists = t.parts
    variable = any(isinstance(v, str) and "${" in v for v in t.values)
    return family, [
        "negated" if OPERATORS[base][1] else "plain",
        "with" if if_exists else "without",
        key_state(ctx, t.key),
        qualifier or "none",
        ("2012-10-17" if t.version == "2012-10-17" else "2008-10-17") if variable else "none",
    ]


# ------------------------------------------------------------------------------------------ statements


def _neutralised(doc: Doc, where: Sequence[tuple[Site, int]]) -> Doc:
    """``doc`` with the statements ``where`` made inert: their actions replaced by one no request
    needs, so they stay (a policy never becomes empty) but match nothing."""
    out = _copy(doc)
    for site, index in where:
        s = _statement(out, site, index)
        s.pop("NotAction", None)
        s["Action"] = "rolecall:Inert"
    return out


def reason_sites(doc: Doc, reasons: Sequence[model.Reason]) -> list[tuple[Site, int]]:
    """The statements ``reasons`` name, located in ``doc``."""
    by_kind = {
        "role trust policy": "trust",
        "identity-based policy": "identity",
        "permissions boundary": "boundary",
        "session policy": "session",
        "service control policy": "SCP",
        "resource control policy": "RCP",
    }
    caller = str(doc.get("caller", {}).get("arn", ""))
    role = str(doc.get("role", {}).get("arn", ""))
    account = {"SCP": caller.split(":")[4] if caller.count(":") >= 5 else "", "RCP": role.split(":")[4]}
    out = []
    for r in reasons:
        kind = by_kind.get(r.policy)
        for site in sites(doc):
            if site.kind != kind:
                continue
            if kind == "identity" and site.path[2] != r.policy_index:
                continue
            if kind in ("SCP", "RCP") and (
                site.path[2] != account[kind] or site.path[3] != r.level or site.path[4] != r.policy_index
            ):
                continue
            if r.statement < len(statements(_at(doc, site.path))):
                out.append((site, r.statement))
    return out


def _granted(doc: Doc, kind: str) -> Doc:
    """``doc`` with an Allow of everything added to the policies of ``kind`` (a missing grant supplied)."""
    out = _copy(doc)
    allow: Doc = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    for site in sites(out):
        if site.kind == kind:
            policy = _at(out, site.path)
            policy["Statement"] = [*statements(policy), dict(allow)]
    return out


#: denied_by -> the policy kind of :func:`sites`
_KIND_OF = {
    "identity-based policy": "identity",
    "permissions boundary": "boundary",
    "session policy": "session",
    "service control policy": "SCP",
}


def _trust_granted(doc: Doc) -> Doc | None:
    """``doc`` with a trust Allow of the caller's own principal (the statement R8 / R11 / F10 missed)."""
    out = _copy(doc)
    trust = out["role"]["trust_policy"]
    caller = out.get("caller", {})
    if "federated_caller" in out:
        provider = out.get("request", {}).get("principal_arn")
        named = [s for s in statements(trust) if isinstance(s.get("Principal"), dict) and "Federated" in s["Principal"]]
        if not named:
            return None
        grant = _copy(named[0])  # the provider's statement, its conditions kept (IdP controls need some)
        grant.update({"Effect": "Allow", "Action": "sts:*"})
        grant.pop("NotAction", None)
        grant["Condition"] = {
            op: keys for op, keys in (grant.get("Condition") or {}).items() if op.startswith("StringEquals")
        }
        if provider:
            grant["Principal"] = {"Federated": provider}
    elif "service" in caller:
        grant = {"Effect": "Allow", "Principal": {"Service": caller["service"]}, "Action": "sts:*"}
    else:
        grant = {"Effect": "Allow", "Principal": {"AWS": caller.get("arn")}, "Action": "sts:*"}
    trust["Statement"] = [*statements(trust), grant]
    return out


def rule_decisive(doc: Doc, result: model.Result, granting: Sequence[model.Reason]) -> bool:
    """Whether the element the deciding rule rested on is decisive (docs/coverage.md, "Rules"):

    * an explicit Deny (R5, F7): its Deny statements neutralised, the decision changes;
    * an Allow (R14, F12): the trust statements that granted neutralised, the decision changes;
    * a missing role (R2, F4): the role made to exist, the decision changes;
    * a refused caller (R1): the caller an IAM user of its account allowed everything by its identity
      policy, the decision changes;
    * a missing grant (R7-R11, F10): the grant supplied (an Allow of everything in the policy that
      denied; in a trust policy an Allow of the caller's principal), the decision changes;
    * an error (R0, R13, F0, F1, F3, F11): the rule's check alone stops evaluation, whatever the
      policies say: decisive by definition (counted, not recomputed)."""
    base = result.decision
    if base == "error":
        return True
    if base == "explicitDeny":
        return _changes(base, _neutralised(doc, reason_sites(doc, [r for r in result.reasons if r.effect == "Deny"])))
    if base == "allowed":
        trust = [r for r in granting if r.policy == "role trust policy"]
        return bool(trust) and _changes(base, _neutralised(doc, reason_sites(doc, trust)))
    if result.rule in ("R2", "F4"):
        out = _copy(doc)
        out["role"]["exists"] = True
        return _changes(base, out)
    if result.rule == "R1":
        out = _copy(doc)
        account = str(out["caller"]["arn"]).split(":")[4]
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        out["caller"] = {"arn": f"arn:aws:iam::{account}:user/rolecall-probe", "identity_policies": [everything]}
        return _changes(base, out)
    if result.denied_by == "role trust policy":
        granted = _trust_granted(doc)
        return granted is not None and _changes(base, granted)
    kind = _KIND_OF.get(result.denied_by or "")
    return kind is not None and _changes(base, _granted(doc, kind))


# ------------------------------------------------------------------------------------------ the tally


@dataclass(frozen=True)
class Findings:
    """What one scenario contributes to a :class:`Tally`."""

    tests: int
    decisive_tests: int
    hit: frozenset[tuple[str, str, str]]
    """(``condition`` or ``kind``, family, column or policy kind) of its decisive condition tests"""
    rule: str
    rule_decisive: bool
    deny_source: str | None
    """``denied_by`` of an explicit deny"""
    kind: str
    """the caller kind"""
    matched: frozenset[str]
    """the match classes of the trust Allows that matched the caller"""
    match_decisive: bool


def _findings(doc: Doc, decided: tuple[model.AnyScenario, model.Result] | None) -> Findings | None:
    """Decide ``doc`` and every variant its parts call for (``None``: the model refuses to decide it)."""
    try:
        loaded, result = decided or _decide(doc)
        ctx = model.request_context(loaded)
    except model.RolecallError:
        return None
    base = result.decision
    # the statements that granted (a refused world has none to read: R0, F0, a missing trust policy)
    granting = granting_reasons(loaded) if base != "error" and loaded.role.trust_policy is not None else ()
    hit: set[tuple[str, str, str]] = set()
    tests = decisive_tests = 0
    for t in condition_tests(doc):
        if t.family is None:
            continue
        tests += 1
        if not test_is_decisive(doc, base, t, ctx):
            continue
        decisive_tests += 1
        family, columns = cells_of(t, ctx)
        for c in columns:
            hit.add(("condition", family, c))
        hit.add(("kind", family, t.site.kind))
    decisive_rule = rule_decisive(doc, result, granting)
    matched = [r for r in granting if r.policy == "role trust policy" and r.principal_class]
    classes = frozenset(c for r in matched for c in str(r.principal_class).split(","))
    match_decisive = False
    if matched:
        trust = [r for r in granting if r.policy == "role trust policy"]
        if base == "allowed" and trust == matched:
            match_decisive = decisive_rule  # rule_decisive made these very statements inert already
        else:
            match_decisive = _changes(base, _neutralised(doc, reason_sites(doc, matched)))
    return Findings(
        tests,
        decisive_tests,
        frozenset(hit),
        result.rule,
        decisive_rule,
        result.denied_by if base == "explicitDeny" else None,
        caller_kind(doc),
        classes,
        match_decisive,
    )


@dataclass
class Tally:
    """The decisive-coverage counts of a set of scenarios (each cell counts scenarios, not tests)."""

    scenarios: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    conditions: dict[str, Counter[str]] = field(default_factory=lambda: {f: Counter() for f in FAMILIES})
    """family -> column value -> scenarios in which a test of that family and value is decisive"""
    kinds: dict[str, Counter[str]] = field(default_factory=lambda: {f: Counter() for f in FAMILIES})
    """family -> policy kind -> scenarios"""
    rules: dict[str, Counter[str]] = field(default_factory=lambda: {r: Counter() for r in RULES})
    """rule -> ``attributed`` / ``decisive`` -> scenarios"""
    denies: dict[str, Counter[str]] = field(default_factory=lambda: {s: Counter() for s in DENY_SOURCES})
    principals: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in PRINCIPAL_KINDS})
    matches: dict[str, Counter[str]] = field(default_factory=lambda: {c: Counter() for c in MATCH_CLASSES})
    tests: int = 0
    decisive_tests: int = 0
    memo: dict[str, Findings | None] = field(default_factory=dict, repr=False)
    """scenario (canonical JSON) -> its findings: a scenario drawn again is not decided again"""

    def add(self, doc: Doc, source: str, decided: tuple[model.AnyScenario, model.Result] | None = None) -> None:
        """Decide ``doc`` (unless ``decided`` gives it loaded and decided already) and every variant its parts
        call for; count what was decisive. A scenario drawn again (Hypothesis repeats about a third of a ci
        run's) counts again, from the findings of its first time."""
        key = json.dumps(doc, sort_keys=True)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = _findings(doc, decided)
        if found is None:
            return  # an input the model refuses to decide: no decision to be decisive for
        self.scenarios += 1
        self.sources[source] += 1
        self.tests += found.tests
        self.decisive_tests += found.decisive_tests
        for what, family, column in found.hit:
            (self.conditions if what == "condition" else self.kinds)[family][column] += 1
        rule = self.rules.setdefault(found.rule, Counter())
        rule["attributed"] += 1
        rule["decisive"] += found.rule_decisive
        if found.deny_source in self.denies:
            self.denies[found.deny_source]["attributed"] += 1
            self.denies[found.deny_source]["decisive"] += found.rule_decisive
        if found.matched:
            self.principals.setdefault(found.kind, Counter())["matched"] += 1
            self.principals[found.kind]["decisive"] += found.match_decisive
            for c in found.matched:
                self.matches.setdefault(c, Counter())["matched"] += 1
                self.matches[c]["decisive"] += found.match_decisive

    def short(self) -> list[str]:
        """Every allowed cell decisive fewer than :data:`MINIMUM` times, as ``what: count``."""
        out = []
        for family in FAMILIES:
            for _, column in COLUMNS:
                if (family, column) not in DISALLOWED and self.conditions[family][column] < MINIMUM:
                    out.append(f"condition {family} x {column}: {self.conditions[family][column]}")
            for kind in POLICY_KINDS:
                if self.kinds[family][kind] < MINIMUM:
                    out.append(f"condition {family} in {kind}: {self.kinds[family][kind]}")
        for rule in RULES:
            if rule not in NEVER_DECIDES and self.rules[rule]["decisive"] < MINIMUM:
                out.append(f"rule {rule}: {self.rules[rule]['decisive']}")
        for source in DENY_SOURCES:
            if self.denies[source]["decisive"] < MINIMUM:
                out.append(f"explicit deny in {source}: {self.denies[source]['decisive']}")
        for k in PRINCIPAL_KINDS:
            if k not in UNMATCHABLE_KINDS and self.principals[k]["decisive"] < MINIMUM:
                out.append(f"principal kind {k}: {self.principals[k]['decisive']}")
        for c in MATCH_CLASSES:
            if self.matches[c]["decisive"] < MINIMUM:
                out.append(f"match class {c}: {self.matches[c]['decisive']}")
        return out

    def never(self) -> list[str]:
        """Cells listed as impossible that were decisive anyway (the list would then be wrong)."""
        out = [f"condition {f} x {c}: {self.conditions[f][c]}" for (f, c) in DISALLOWED if self.conditions[f][c]]
        out += [f"rule {r}: {self.rules[r]['attributed']}" for r in NEVER_DECIDES if self.rules[r]["attributed"]]
        out += [f"principal kind {k}" for k in UNMATCHABLE_KINDS if self.principals[k]["decisive"]]
        return out


# ------------------------------------------------------------------------------------------ the draws


class Recorder(Conformance):
    """A session whose target is the model: :meth:`check` records each scenario instead of running it.

    For a target that can express everything and always agrees with the model, :meth:`Conformance.check`
    adapts nothing, never raises, and rejects only a request invalid and unauthorized at once in a
    property that does not test that order; this does the same, so Hypothesis draws what the suite draws."""

    def __init__(self, sink: Callable[[Doc, tuple[model.AnyScenario, model.Result] | None], None]) -> None:
        target = ModelTarget()
        super().__init__(target, Expectations(target=target.name))
        self.sink = sink
        """where each scenario goes, with the model's load and decision of it (``None``: it refused)"""

    def check(self, doc: Doc, feature: str, aspects: Any = ("decision",), *, order: bool = False) -> None:
        try:
            decided: tuple[model.AnyScenario, model.Result] | None = _decide(doc)
        except model.RolecallError:
            decided = None
        if not order and decided is not None:
            loaded, expected = decided
            if (
                isinstance(loaded, model.Scenario)
                and expected.decision != "allowed"
                and any(p.point == "order" for p in model.open_points(loaded, expected))
            ):
                self.counts[feature].order_avoided += 1
                reject()
        self.sink(_copy(doc), decided)


def properties() -> list[tuple[str, Callable[..., None]]]:
    """Every Hypothesis property of ``rolecall.conformance`` (``module.function``, the function)."""
    out: list[tuple[str, Callable[..., None]]] = []
    for info in pkgutil.iter_modules(conformance.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"rolecall.conformance.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_") and hasattr(fn, "hypothesis"):
                out.append((f"{info.name}.{name}", fn))
    return out


def _decide(doc: Doc) -> tuple[model.AnyScenario, model.Result]:
    loaded = model.load_scenario(doc)
    return loaded, model.decide(loaded)


def run_properties(
    sink: Callable[[str, Doc, tuple[model.AnyScenario, model.Result] | None], None],
    names: Sequence[str] | None = None,
) -> None:
    """Run the conformance properties (``names``: only these) under the loaded profile, each scenario they
    draw given to ``sink`` (property, scenario, the model's load and decision) as it is drawn."""
    for name, fn in properties():
        if names is None or name in names:
            fn(rolecall=Recorder(functools.partial(sink, name)))


def suite_scenarios(names: Sequence[str] | None = None) -> list[tuple[str, Doc]]:
    """The scenarios the conformance properties draw (``names``: only these) under the loaded profile."""
    out: list[tuple[str, Doc]] = []
    run_properties(lambda name, doc, _: out.append((name, doc)), names)
    return out


def public_scenarios() -> list[Doc]:
    """What ``@given(scenarios())`` draws under the loaded profile."""
    drawn: list[Doc] = []

    @given(strategies.scenarios())
    def collect(doc: Doc) -> None:
        drawn.append(_copy(doc))

    collect()
    return drawn


def measure(names: Sequence[str] | None = None, *, public: bool = True) -> Tally:
    """Draw and tally: the properties ``names`` (all by default) and, with ``public``, ``scenarios()``."""
    tally = Tally()
    run_properties(lambda name, doc, decided: tally.add(doc, name, decided), names)
    if public:
        for doc in public_scenarios():
            tally.add(doc, "scenarios()")
    return tally


# ------------------------------------------------------------------------------------------ printing


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *[line(r) for r in rows]]


def _cell(count: int, allowed: bool = True) -> str:
    if not allowed:
        return "n/a" if count == 0 else f"{count}!"
    return f"{count}" if count >= MINIMUM else f"**{count}**"


def tables(t: Tally) -> list[str]:
    """The matrices as Markdown (readable as plain text too): short cells in bold, disallowed ``n/a``."""
    properties = [n for s, n in t.sources.items() if s != "scenarios()"]
    drawn = f"{sum(properties)} from {len(properties)} conformance properties"
    out = [
        f"{t.scenarios} scenarios ({drawn}, {t.sources['scenarios()']} from scenarios()); {t.tests} condition "
        f"tests, {t.decisive_tests} decisive. A cell counts the scenarios in which it was decisive; every allowed "
        f"cell needs at least {MINIMUM} (fewer in **bold**); `n/a`: not allowed (below).",
        "",
        "### Conditions: operator family x each dimension",
        "",
    ]
    head = ["family", *[f"{dim}: {v}" if dim in ("IfExists", "variable", "key") else v for dim, v in COLUMNS]]
    rows = [[f, *[_cell(t.conditions[f][c], (f, c) not in DISALLOWED) for _, c in COLUMNS]] for f in FAMILIES]
    out += _table(head, rows)
    out += ["", "### Conditions: operator family x policy kind", ""]
    out += _table(["family", *POLICY_KINDS], [[f, *[_cell(t.kinds[f][k]) for k in POLICY_KINDS]] for f in FAMILIES])
    out += ["", "### Rules: the rule a result names, and its deciding element decisive", ""]
    out += _table(
        ["rule", "attributed", "decisive"],
        [[r, str(t.rules[r]["attributed"]), _cell(t.rules[r]["decisive"], r not in NEVER_DECIDES)] for r in RULES],
    )
    out += ["", "### Deny sources: an explicit Deny that decides, and is decisive", ""]
    out += _table(
        ["deny source", "explicitDeny", "decisive"],
        [[s, str(t.denies[s]["attributed"]), _cell(t.denies[s]["decisive"])] for s in DENY_SOURCES],
    )
    out += ["", "### Principal kinds: a trust Allow matched the caller, and is decisive", ""]
    out += _table(
        ["caller kind", "matched", "decisive"],
        [
            [k, str(t.principals[k]["matched"]), _cell(t.principals[k]["decisive"], k not in UNMATCHABLE_KINDS)]
            for k in PRINCIPAL_KINDS
        ],
    )
    out += ["", "### Match classes (R8, F10): a trust Allow matched by this class, and is decisive", ""]
    out += _table(
        ["match class", "matched", "decisive"],
        [[c, str(t.matches[c]["matched"]), _cell(t.matches[c]["decisive"])] for c in MATCH_CLASSES],
    )
    out += ["", "### Not allowed", ""]
    reasons: dict[str, list[str]] = {}
    for (family, column), why in DISALLOWED.items():
        reasons.setdefault(why, []).append(f"{family} x {column}")
    out += [f"* {', '.join(cells)}: {why}" for why, cells in reasons.items()]
    out += [f"* rule {rule}: {why}" for rule, why in NEVER_DECIDES.items()]
    out += [f"* principal kind {kind}: {why}" for kind, why in UNMATCHABLE_KINDS.items()]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the matrices (and write them to ``--out``, ``tests/quality/COVERAGE.md`` by default)."""
    parser = argparse.ArgumentParser(prog="python -m tests.quality.coverage", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="ci", help="the Hypothesis profile (default: ci)")
    parser.add_argument("--out", type=Path, default=MARKDOWN, help="where to write the Markdown copy")
    args = parser.parse_args(argv)
    strategies.register_profiles()
    settings.load_profile(args.profile)
    began = time.monotonic()
    tally = measure()
    seconds = time.monotonic() - began
    lines = tables(tally)
    text = "\n".join(lines)
    print(text)
    print(f"({seconds:.0f} s)", file=sys.stderr)
    short, never = tally.short(), tally.never()
    head = [
        "# Decisive coverage",
        "",
        f"Written by `python -m tests.quality.coverage` (profile `{args.profile}`); what the cells mean and "
        "why some are not allowed: [docs/coverage.md](../../docs/coverage.md).",
        "",
    ]
    args.out.write_text("\n".join([*head, text, ""]), encoding="utf-8")
    for what in short:
        print(f"short: {what}", file=sys.stderr)
    for what in never:
        print(f"listed as impossible but decisive: {what}", file=sys.stderr)
    return 1 if short or never else 0


if __name__ == "__main__":
    sys.exit(main())
