"""The AssumeRole decision of ``model/decide.py`` as Z3 terms over a request.

An :class:`Env` holds the inputs the decision reads, each a Z3 term: the
caller's fields (kind, partition, account, path, name, session name, unique
id, service), the role's fields, which actions the request requires (R3), and
the request context key by key (R4). The terms are constants when a concrete
scenario is decided (``rolecall decide --engine solver``) and variables when a
query ranges over every request (``model/solver/queries.py``); the encoding is
the same for both.

:func:`encode` turns a :class:`World` (the policies, organization, role facts
and semantics options, all concrete) and an :class:`Env` into an
:class:`Encoding`: the outcome (which rule decided, with what) and ``err``,
true when the model would refuse to decide (an unqualified test of a
multi-valued key, a request value of the wrong type for a numeric, date, IP or
binary operator: ``UndecidableError``). Both follow the model's evaluation
order statement by statement, because the model raises on the first such test
it *reaches*.

Encoded rules: R1 (root and federated callers), R2 (existence, partition), R3
(required actions), R5 (explicit deny in SCPs, RCPs, trust, identity,
boundary, session policy), R6, R7 (SCP chain per level), R8-R12 (trust classes,
cross- and same-account requirements, services, grandfathered self-trust) with
every :class:`~rolecall.model.scenario.Semantics` option. R0 and R13/R14 read no policy
and no condition; ``model/solver/concrete.py`` applies the model's own functions
for them, and queries range over requests that pass them.

Design (docs/architecture.md, "The solver"): ARNs by field, never one symbolic string
(principal entries compare field by field; the ARN is concatenated only where a
condition or Resource pattern must read it whole); actions are concrete (the
three STS actions), matched by the model; wildcards are regular-expression
membership; no quantifiers.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from ..conditions import OPERATORS, Condition, Var, parse_binary, parse_date, parse_ip, parse_number, parse_template
from ..match import STAR, glob_units
from ..policy import Policy, PolicyKind, Statement
from ..scenario import Semantics
from ._re import arn_shape, fold_regex, folds_below_range, template_regex, units_regex

__all__ = [
    "ACTIONS",
    "FEDERATED",
    "KINDS",
    "ROOT",
    "SERVICE",
    "SESSION",
    "USER",
    "ArnTerm",
    "Caller",
    "Conditions",
    "Encoding",
    "Env",
    "KeyState",
    "Outcome",
    "RoleTerms",
    "Statements",
    "Unsupported",
    "World",
    "constant_key",
    "encode",
    "entry_classes",
]

USER, SESSION, SERVICE, ROOT, FEDERATED = range(5)
KINDS = ("user", "session", "service", "root", "federated")
ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")


class Unsupported(Exception):
    """A construct the encoding cannot state exactly: the answer is ``Unknown``, never a pass."""


@dataclass(frozen=True)
class Caller:
    """The caller's fields as terms. ``path``/``name`` are the user's, or the role's for a
    role session (whose ``session`` is the session name); ``name`` is the federated user's
    name for a federated caller. ``creds`` indexes :data:`CREDENTIALS`."""

    kind: z3.ArithRef
    creds: z3.ArithRef
    partition: z3.SeqRef
    account: z3.SeqRef
    path: z3.SeqRef
    name: z3.SeqRef
    session: z3.SeqRef
    uid: z3.SeqRef
    service: z3.SeqRef


CREDENTIALS = ("long-term", "session-token", "role-session", "federation")


@dataclass(frozen=True)
class RoleTerms:
    """The target role's ARN fields: ``arn:{partition}:iam::{account}:role{path}{name}``."""

    partition: z3.SeqRef
    account: z3.SeqRef
    path: z3.SeqRef
    name: z3.SeqRef

    @functools.cached_property
    def structured(self) -> ArnTerm | None:
        """The role ARN by fields, for a symbolic role (a constant one is matched whole)."""
        partition = _const_str(self.partition)
        if partition is None or z3.is_string_value(self.account):
            return None
        return ArnTerm(f"arn:{partition}:iam:", self.account, ((_TRUE, "role", self.path, self.name),))

    @property
    def arn(self) -> z3.SeqRef:
        return z3.Concat(
            z3.StringVal("arn:"),
            self.partition,
            z3.StringVal(":iam::"),
            self.account,
            z3.StringVal(":role"),
            self.path,
            self.name,
        )


@dataclass(frozen=True)
class ArnTerm:
    """An ARN whose first four fields are known text: ``{head}:{account}:{resource}``, the resource
    one of several guarded terms (a user's or a role's). Lets a pattern be matched field by field
    (docs/architecture.md: never one symbolic string for the whole ARN where it can be helped)."""

    head: str
    """``arn:{partition}:{service}:{region}``."""
    account: z3.SeqRef
    """Twelve digits (the universe's domain)."""
    resources: tuple[tuple[z3.BoolRef, str, z3.SeqRef, z3.SeqRef], ...]
    """(guard, literal start, path, name): ``user`` + path + name, or ``role`` + path + name."""


#: A typed reading of one context value: (parses, value) for numeric, date, ip or binary.
Typed = Callable[[int, str], tuple[z3.BoolRef, Any]]


@dataclass(frozen=True)
class KeyState:
    """One context key: ``count`` values (0: absent), held in ``slots``; ``is_tuple`` tells a
    one-element list from a single string (a policy variable reads only the latter, VARS).
    ``typed(j, family)`` reads slot ``j`` as a number, date, IP address or binary value."""

    count: z3.ArithRef
    is_tuple: z3.BoolRef
    slots: tuple[z3.SeqRef, ...]
    typed: Typed
    arns: tuple[ArnTerm | None, ...] = ()
    """The ARN structure of each slot, where the universe knows it (``aws:PrincipalArn``)."""
    active: tuple[z3.BoolRef, ...] | None = None
    """Which slots hold a value, when that is not simply the first ``count`` (the request's tags)."""


@dataclass
class Env:
    """Everything the decision reads from the request and the caller (see the module docstring)."""

    caller: Caller
    role: RoleTerms
    need_tag: z3.BoolRef
    need_source: z3.BoolRef
    key: Callable[[str], KeyState]
    """The state of a (lower-cased) context key; keys no one can set are absent."""
    side: Callable[[PolicyKind, str], tuple[z3.BoolRef, z3.BoolRef]] | None = None
    """For queries over every caller: whether the caller has an identity policy, boundary or
    session policy and whether it allows an action, as terms (``None``: the World's policies)."""


@dataclass(frozen=True)
class World:
    """The concrete facts the decision reads besides the request: policies, role facts,
    the organization and the semantics options (``model.scenario`` types)."""

    trust: Policy
    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session_policy: Policy | None = None
    role_exists: bool = True
    legacy_implicit_self_trust: bool = False
    organization: Any = None
    semantics: Semantics = field(default_factory=Semantics)


@dataclass(frozen=True)
class Outcome:
    """What decided, in the result format's words (docs/scenario-format.md)."""

    decision: str
    rule: str
    denied_by: str | None = None
    action: str | None = None


@dataclass
class Encoding:
    """The decision as terms: ``outcome`` indexes :attr:`outcomes`; ``err`` is true where the
    model refuses to decide. ``grants`` maps (statement index, principal entry) of the trust
    policy to the term "this entry of this statement grants sts:AssumeRole" (for findings)."""

    outcome: z3.ArithRef
    err: z3.BoolRef
    outcomes: list[Outcome]
    allowed: z3.BoolRef
    grants: dict[tuple[int, str], z3.BoolRef] = field(default_factory=dict)
    classes: dict[str, z3.BoolRef] = field(default_factory=dict)


def constant_key(value: str | tuple[str, ...] | None) -> KeyState:
    """A context key whose value is known: absent (``None``), one string, or a list (a tuple)."""
    if value is None:
        return KeyState(z3.IntVal(0), z3.BoolVal(False), (), _no_slot)
    values = value if isinstance(value, tuple) else (value,)

    def typed(j: int, family: str) -> tuple[z3.BoolRef, Any]:
        ok, v = parse_typed(family, values[j])
        return z3.BoolVal(ok), v

    return KeyState(
        z3.IntVal(len(values)), z3.BoolVal(isinstance(value, tuple)), tuple(z3.StringVal(v) for v in values), typed
    )


def _no_slot(j: int, family: str) -> tuple[z3.BoolRef, Any]:  # pragma: no cover - an absent key has no slot
    raise AssertionError("an absent key has no value to read")


def encode(world: World, env: Env) -> Encoding:
    """Encode the decision of ``world`` on the request ``env`` (R1-R12)."""
    return _Encoder(world, env).run()


# =========================================================================== helpers

_TRUE, _FALSE = z3.BoolVal(True), z3.BoolVal(False)
#: Z3 shares one node per term, so a term is the constant true (false) exactly when it has its id:
#: one call instead of the several of ``z3.is_true`` (the encoder asks it of every term it builds).
_TRUE_ID, _FALSE_ID = _TRUE.get_id(), _FALSE.get_id()


_CTX = _TRUE.ctx


def _connective(make: Callable[..., Any], items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    """``z3.And``/``z3.Or`` of formulas through Z3's C function: the Python wrappers check and
    coerce every argument's sort, which dominated the time to encode a large policy."""
    array = (z3.Ast * len(items))(*[i.as_ast() for i in items])
    return z3.BoolRef(make(_CTX.ref(), len(items), array), _CTX)


def _or(items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    ids = [i.get_id() for i in items]
    if _TRUE_ID in ids:
        return _TRUE
    kept = [i for i, k in zip(items, ids, strict=True) if k != _FALSE_ID]
    return _FALSE if not kept else kept[0] if len(kept) == 1 else _connective(z3.Z3_mk_or, kept)


def _and(items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    ids = [i.get_id() for i in items]
    if _FALSE_ID in ids:
        return _FALSE
    kept = [i for i, k in zip(items, ids, strict=True) if k != _TRUE_ID]
    return _TRUE if not kept else kept[0] if len(kept) == 1 else _connective(z3.Z3_mk_and, kept)


def _not(b: z3.BoolRef) -> z3.BoolRef:
    k = b.get_id()
    if k == _TRUE_ID:
        return _FALSE
    if k == _FALSE_ID:
        return _TRUE
    return z3.BoolRef(z3.Z3_mk_not(_CTX.ref(), b.as_ast()), _CTX)


#: The connectives above, for the other encodings of this package (``federated.py``): they fold
#: the constants true and false as they build, which keeps a concrete decision's terms small.
and_terms, or_terms, not_term = _and, _or, _not


def _s(text: str) -> z3.SeqRef:
    return z3.StringVal(text)


def _const_str(term: z3.SeqRef) -> str | None:
    """The Python value of a string term that is a literal, else ``None``."""
    return term.as_string() if z3.is_string_value(term) else None


_ENTRY = re.compile(r"arn:(?P<partition>[\w-]+):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)", re.ASCII)
_PATHED = re.compile(r"(?P<type>user|role)(?P<path>/(?:.*/)?)(?P<name>[^/]+)", re.DOTALL)


# =========================================================================== principals


def entry_classes(c: Caller, e: str, wildcard_services: bool = False) -> list[tuple[str, z3.BoolRef]]:
    """The trust classes with which one canonical ``AWS`` principal entry matches the caller,
    each with the condition on the caller's fields (``model.match.principal_keys``: exact,
    field by field, never a wildcard but the lone ``*``)."""
    iam = c.kind != SERVICE
    if e == "*":
        return [("wildcard", _TRUE if wildcard_services else iam)]
    if e.startswith(("AIDA", "AROA")):
        return [("user", z3.And(c.kind == USER, c.uid == _s(e))), ("role", z3.And(c.kind == SESSION, c.uid == _s(e)))]
    m = _ENTRY.fullmatch(e)
    if m is None:
        raise Unsupported(f"principal entry {e!r}")
    base = [c.partition == _s(m["partition"]), c.account == _s(m["account"])]
    res = m["resource"]
    if m["service"] == "iam" and res == "root":
        return [("account", z3.And(iam, *base))]
    if m["service"] == "iam" and (pm := _PATHED.fullmatch(res)):
        kind, cls = (USER, "user") if pm["type"] == "user" else (SESSION, "role")
        return [(cls, z3.And(c.kind == kind, *base, pathname_eq(c.path, c.name, pm["path"] + pm["name"])))]
    if m["service"] == "sts" and res.startswith("assumed-role/"):
        _, role, session = res.split("/", 2)
        return [("session", z3.And(c.kind == SESSION, *base, c.name == _s(role), c.session == _s(session)))]
    if m["service"] == "sts" and res.startswith("federated-user/"):
        return [("federated", z3.And(c.kind == FEDERATED, *base, c.name == _s(res.split("/", 1)[1])))]
    raise Unsupported(f"principal entry {e!r}")


def pathname_eq(path: z3.SeqRef, name: z3.SeqRef, text: str) -> z3.BoolRef:
    """``path + name == text`` (see :func:`pathname_in`)."""
    return pathname_in(path, name, [("lit", ch) for ch in text], [0])


def pathname_in(
    path: z3.SeqRef, name: z3.SeqRef, units: Sequence[tuple[str, str]], starts: Sequence[int]
) -> z3.BoolRef:
    """``path + name`` matches the glob ``units`` from one of the states ``starts``.

    Z3 searches a regular expression (or an equation) over a concatenation of two variables
    badly: it must guess where one ends, which turns milliseconds into seconds. Here the split
    is made by hand, exactly: a run of the glob's automaton over ``path + name`` is in some state
    ``i`` after the path, so the path matches the units before ``i`` (and the star at ``i``, if
    it loops there) and the name matches the units from ``i``. A path starts and ends with "/"
    and a name holds none (the universe's domains; R0), which rules most states out. A universe
    holding path and name as one string has the name ``""``; constants are matched whole.
    """
    p, n = _const_str(path), _const_str(name)
    if n == "" or (p is not None and n is not None):
        return _glob_in(path if n == "" else z3.Concat(path, name), [units[i:] for i in starts])
    out: list[z3.BoolRef] = []
    for i in range(min(starts), len(units)):
        star_here = units[i][0] == "star"
        if not star_here and not (i > 0 and (units[i - 1] == ("lit", "/") or units[i - 1][0] == "any")):
            continue  # the path ends with "/": the unit before the split consumed it
        if ("lit", "/") in units[i:]:
            continue  # the name holds no "/"
        before = [[*units[s:i], *([units[i]] if star_here else [])] for s in starts if s <= i]
        before = [b for b in before if b]  # the path is never empty
        if before:
            out.append(_and([_glob_in(path, before), _glob_in(name, [units[i:]])]))
    return _or(out)


def _glob_in(term: z3.SeqRef, alternatives: Sequence[Sequence[tuple[str, str]]]) -> z3.BoolRef:
    """``term`` matches one of the unit runs: an equation when the one run is literal."""
    if len(alternatives) == 1 and all(kind == "lit" for kind, _ in alternatives[0]):
        return term == _s("".join(text for _, text in alternatives[0]))
    regexes = [units_regex(a) for a in alternatives]
    return z3.InRe(term, regexes[0] if len(regexes) == 1 else z3.Union(*regexes))


def account_chains(
    org: Any, by_account: Mapping[str, tuple[tuple[Policy, ...], ...]], account: z3.SeqRef
) -> list[tuple[z3.BoolRef, tuple[tuple[Policy, ...], ...]]]:
    """The policy chains of an organization's member accounts (its ``scps`` or ``rcps``), each with
    the condition "``account`` is that account": never the management account's, never an empty
    one (ORG-SCP, ORG-RCP). R6 and F7/F8 read the RCPs, F7/F9 the SCPs, of the role's account."""
    out = []
    for name, levels in sorted(by_account.items()):
        if name == org.management_account or name not in org.members or not levels:
            continue
        out.append((account == _s(name), levels))
    return out


# =========================================================================== conditions


_Single = tuple[z3.BoolRef, z3.BoolRef, z3.BoolRef]
"""One request value's (result, a variable had no value, raises) against a condition's values."""


def _set_operator_terms(
    qualifier: str, active: list[z3.BoolRef], singles: list[_Single]
) -> tuple[z3.BoolRef, z3.BoolRef]:
    """(value, raises) of a ForAllValues / ForAnyValue test over the key's present values (MULTI):
    every present value, or some, holds; a value whose variable has no value fails the set."""
    rows = list(zip(active, singles, strict=True))
    clean = _and([z3.Implies(a, _not(none)) for a, (_, none, _) in rows])
    if qualifier == "ForAllValues":
        value = _and([clean, *[z3.Implies(a, r) for a, (r, _, _) in rows]])
    else:
        value = _and([clean, _or([_and([a, r]) for a, (r, _, _) in rows])])
    return value, _or([_and([a, rs]) for a, (_, _, rs) in rows])


def _single_value_terms(
    ks: KeyState, active: list[z3.BoolRef], singles: list[_Single]
) -> tuple[z3.BoolRef, z3.BoolRef]:
    """(value, raises) of a test without a set operator: the key's one value holds (a multi-valued
    key is the model's UndecidableError, MULTI)."""
    r0, none0, raise0 = singles[0]
    if ks.active is not None:  # the one value is in whichever slot is active
        rows = list(zip(active, singles, strict=True))
        r0 = _or([_and([a, r]) for a, (r, _, _) in rows])
        none0 = _or([_and([a, n]) for a, (_, n, _) in rows])
        raise0 = _or([_and([a, x]) for a, (_, _, x) in rows])
    value = _and([_not(none0), r0])
    raises = _or([ks.count >= 2, _and([ks.count == 1, raise0])]) if len(ks.slots) > 1 else _and([ks.count == 1, raise0])
    return value, raises


class Conditions:
    """One place for conditions: each condition test as (value, raises) terms over the request
    context ``key`` (``model.conditions._compile``), with the policy-variable and wildcard matching
    the tests need (Resource patterns use it too). ``raises`` is the model's ``UndecidableError``
    (MULTI, CONDOPS). A condition reads only the context, never the action, the policy kind or the
    decision's step, so each is encoded once and shared."""

    def __init__(self, key: Callable[[str], KeyState]) -> None:
        self.key = key
        self._memo: dict[tuple[str, object], Any] = {}

    def condition(self, cond: Condition) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(value, raises) of one condition test (``model.conditions._compile``)."""
        key = ("condition", cond)
        if key not in self._memo:
            self._memo[key] = self._condition_term(cond)
        return self._memo[key]  # type: ignore[no-any-return]

    def _condition_term(self, cond: Condition) -> tuple[z3.BoolRef, z3.BoolRef]:
        family, negated = OPERATORS[cond.operator]
        ks = self.key(cond.key)
        absent = ks.count == 0
        if family == "null":
            wanted = {v.lower() == "true" for v in cond.values}
            return _or([absent if True in wanted else _FALSE, _not(absent) if False in wanted else _FALSE]), _FALSE
        singles = [self._single(cond, family, negated, ks, j) for j in range(len(ks.slots))]
        if cond.if_exists or cond.qualifier == "ForAllValues":
            on_absent = _TRUE
        elif cond.qualifier == "ForAnyValue":
            on_absent = _FALSE
        else:
            on_absent = _TRUE if negated else _FALSE
        active = list(ks.active) if ks.active is not None else [ks.count > j for j in range(len(ks.slots))]
        if cond.qualifier is not None:
            value, raises = _set_operator_terms(cond.qualifier, active, singles)
        elif not singles:
            return (on_absent, _FALSE)
        else:
            value, raises = _single_value_terms(ks, active, singles)
        return z3.If(absent, on_absent, value), _and([_not(absent), raises])

    def _single(
        self, cond: Condition, family: str, negated: bool, ks: KeyState, j: int
    ) -> tuple[z3.BoolRef, z3.BoolRef, z3.BoolRef]:
        """One request value against every policy value: (result, a variable had no value, raises)."""
        x = ks.slots[j]
        structure = ks.arns[j] if ks.arns else None
        variables = cond.variables and family in ("string", "arn", "bool")
        hits: list[z3.BoolRef] = []
        nones: list[z3.BoolRef] = []
        raises: z3.BoolRef = _FALSE
        if family in ("numeric", "date", "ip", "binary"):
            ok, value = ks.typed(j, family)
            raises = _not(ok)
            for v in cond.values:
                hits.append(_and([ok, self._typed_test(cond.operator, family, v, value)]))
        else:
            for v in cond.values:
                hit, none = self._value_test(cond.operator, family, v, x, variables, structure)
                hits.append(hit)
                nones.append(none)
        hit = _or(hits)
        return (_not(hit) if negated else hit), _or(nones), raises

    def _resolve(self, tpl: tuple[str | Var, ...]) -> tuple[list[str | z3.SeqRef], z3.BoolRef]:
        """Substitute variables (``resolve``): parts, and "some variable has no value"."""
        parts: list[str | z3.SeqRef] = []
        missing: list[z3.BoolRef] = []
        for p in tpl:
            if not isinstance(p, Var):
                parts.append(p)
                continue
            ks = self.key(p.key)
            available = _and([ks.count == 1, _not(ks.is_tuple)]) if ks.slots else _FALSE
            slot = ks.slots[0] if ks.slots else _s("")
            if p.default is not None:
                term = z3.If(available, slot, _s(p.default))
            else:
                term = slot
                missing.append(_not(available))
            term = z3.simplify(term)
            const = _const_str(term)
            parts.append(const if const is not None else term)
        merged: list[str | z3.SeqRef] = []
        for part in parts:  # plain literals merge; wildcards (STAR/QMARK) stay separate
            if merged and type(part) is str and type(merged[-1]) is str:
                merged[-1] = merged[-1] + part
            else:
                merged.append(part)
        return merged, _or(missing)

    def glob_test(
        self, tpl: tuple[str | Var, ...], x: z3.SeqRef, *, arn: bool, structure: ArnTerm | None = None
    ) -> z3.BoolRef:
        """Like / ARN / Resource match of one template; a missing variable matches nothing."""
        key = ("glob", (tpl, x.get_id(), arn, id(structure)))
        if key not in self._memo:
            self._memo[key] = (self._glob_term(tpl, x, arn=arn, structure=structure), x, structure)
        return self._memo[key][0]

    def _glob_term(
        self, tpl: tuple[str | Var, ...], x: z3.SeqRef, *, arn: bool, structure: ArnTerm | None
    ) -> z3.BoolRef:
        parts, missing = self._resolve(tpl)
        if structure is not None and all(isinstance(p, str) for p in parts):
            by_field = _structured_match(parts, structure, arn)
            if by_field is not None:
                return _and([_not(missing), by_field])
        if all(isinstance(p, str) for p in parts) and len(parts) == 1 and not _is_wild(parts[0]) and not arn:
            match = x == _s(parts[0])
        else:
            regex = template_regex(parts, arn)
            if regex is None:
                raise Unsupported("an ARN pattern with a wildcard in its first five fields after a policy variable")
            match = z3.InRe(x, regex)
            if arn:
                match = z3.And(z3.InRe(x, arn_shape()), match)
        return _and([_not(missing), match])

    def _value_test(
        self, op: str, family: str, v: str, x: z3.SeqRef, variables: bool, structure: ArnTerm | None = None
    ) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(hit, variable missing) of one policy value (``_value_test``)."""
        if family == "string":
            like = op.endswith("Like")
            tpl = parse_template(v, wildcards=like, variables=variables, where="$")
            if like:
                parts, missing = self._resolve(tpl)
                return self.glob_test(tpl, x, arn=False, structure=structure), missing
            parts, missing = self._resolve(tpl)
            if op.endswith("IgnoreCase"):
                return _and([_not(missing), self._fold_eq(x, parts, str.casefold)]), missing
            if structure is not None and all(isinstance(p, str) and "*" not in p and "?" not in p for p in parts):
                by_field = _structured_match(parts, structure, arn=False)  # an ARN known by fields
                if by_field is not None:
                    return _and([_not(missing), by_field]), missing
            text = _concat_parts(parts)
            return _and([_not(missing), x == text]), missing
        if family == "arn":
            tpl = parse_template(v, wildcards=True, variables=variables, where="$")
            _, missing = self._resolve(tpl)
            return self.glob_test(tpl, x, arn=True, structure=structure), missing
        if family == "bool":
            tpl = parse_template(v, wildcards=False, variables=variables, where="$")
            parts, missing = self._resolve(tpl)
            return _and([_not(missing), self._fold_eq(x, parts, str.lower)]), missing
        raise AssertionError(family)  # pragma: no cover

    def _fold_eq(self, x: z3.SeqRef, parts: list[str | z3.SeqRef], fold: Callable[[str], str]) -> z3.BoolRef:
        """``fold(x) == fold(text)``: by regular expression when ``text`` is concrete."""
        if not all(isinstance(p, str) for p in parts):
            raise Unsupported("a case-insensitive comparison with a policy variable")
        text = fold("".join(parts))
        xc = _const_str(x)
        if xc is not None and not folds_below_range(xc):
            return _TRUE if fold(xc) == text else _FALSE  # beyond the folding table: a concrete value, computed
        return z3.InRe(x, fold_regex(text, fold))

    def _typed_test(self, op: str, family: str, v: str, value: Any) -> z3.BoolRef:
        if family == "numeric":
            bound = parse_number(v)
            assert bound is not None
            return _ORDER[op.removeprefix("Numeric")](value, z3.RealVal(_fraction(bound)))
        if family == "date":
            moment = parse_date(v)
            assert moment is not None
            return _ORDER[op.removeprefix("Date")](value, z3.RealVal(epoch(moment)))
        if family == "ip":
            net = parse_ip(v)
            assert net is not None
            version, number = value
            lo, hi = int(net.network_address), int(net.broadcast_address)
            return z3.And(version == net.version, number >= lo, number <= hi)
        if family == "binary":
            b = parse_binary(v)
            assert b is not None
            return value == z3.StringVal(b.decode("latin-1"))
        raise AssertionError(family)  # pragma: no cover


# =========================================================================== statements


class Statements:
    """One place for statement matching, shared by the decisions (:func:`encode` for AssumeRole,
    ``model/solver/federated.py`` for the federated doors): Resource against the role ARN, then
    each Condition in order, short-circuiting as the model does (``_holds``, ``_matching``), with
    the err terms of the tests it reaches appended to ``errs``. The Action is concrete (the
    policy's ``statements_for``); the Principal is each decision's own (its table differs per door).
    """

    def __init__(self, role: RoleTerms, key: Callable[[str], KeyState], errs: list[z3.BoolRef]) -> None:
        self.role, self.errs = role, errs
        self.conditions = Conditions(key)
        self._memo: dict[int, z3.BoolRef] = {}

    def resource(self, st: Statement) -> z3.BoolRef:
        """Resource / NotResource against the role ARN (``_compile_resources``)."""
        key = id(st)
        if key not in self._memo:
            self._memo[key] = self._resource_term(st)
        return self._memo[key]

    def _resource_term(self, st: Statement) -> z3.BoolRef:
        patterns = st.resources or st.not_resources
        if not patterns:
            return _TRUE
        negate = bool(st.not_resources)
        if "*" in patterns:
            return _FALSE if negate else _TRUE
        arn, structure = self.role.arn, self.role.structured
        hits = []
        for text in patterns:
            tpl = parse_template(text, wildcards=True, variables=st.variables, where="$")
            hits.append(self.conditions.glob_test(tpl, arn, arn=True, structure=structure))
        hit = _or(hits)
        return _not(hit) if negate else hit

    def holds(self, st: Statement, reached: z3.BoolRef) -> z3.BoolRef:
        """Resource, then each condition in order, short-circuiting like ``_holds``."""
        res = self.resource(st)
        out = [res]
        step = _and([reached, res])
        for cond in st.conditions:
            value, raises = self.conditions.condition(cond)
            self.errs.append(_and([step, raises]))
            out.append(value)
            step = _and([step, value])
        return _and(out)

    def allows(self, policies: Sequence[Policy], action: str, reached: z3.BoolRef) -> z3.BoolRef:
        """Some statement allows (``_allows``): settled statements first, then the residual ones
        in order, each evaluated only while none before it held."""
        settled: list[z3.BoolRef] = []
        residual: list[Statement] = []
        for policy in policies:
            for _, st in policy.statements_for("Allow", action.lower()):
                if st.request_dependent:
                    residual.append(st)
                else:
                    settled.append(self.resource(st))
        any_settled = _or(settled)
        step = _and([reached, _not(any_settled)])
        held: list[z3.BoolRef] = []
        for st in residual:
            h = self.holds(st, step)
            held.append(h)
            step = _and([step, _not(h)])
        return _or([any_settled, *held])


# =========================================================================== the encoder


class _CallerSide:
    """The caller side as terms (the model's ``_CallerSide``): for each policy kind the caller may
    hold, whether it is present and whether it allows."""

    def __init__(self, sides: dict[PolicyKind, tuple[z3.BoolRef, z3.BoolRef]]) -> None:
        self.sides = sides

    def first_failure(
        self, *, identity: bool = True, boundary: bool = True, session: bool = True
    ) -> list[tuple[z3.BoolRef, PolicyKind]]:
        """The required caller-side policies that fail, in AWS's order (§1.4), each with its condition
        (a policy the caller does not have never fails)."""
        wanted = ((PolicyKind.IDENTITY, identity), (PolicyKind.BOUNDARY, boundary), (PolicyKind.SESSION, session))
        out: list[tuple[z3.BoolRef, PolicyKind]] = []
        for kind, needed in wanted:
            if needed and kind in self.sides:
                present, allows = self.sides[kind]
                out.append((_and([present, _not(allows)]), kind))
        return out


class _Encoder:
    """The AssumeRole decision, R1-R12 (``model.decide``), over :class:`Statements`."""

    def __init__(self, world: World, env: Env) -> None:
        self.w, self.env, self.c = world, env, env.caller
        self.errs: list[z3.BoolRef] = []
        self.outcomes: list[Outcome] = []
        self.grants: dict[tuple[int, str], z3.BoolRef] = {}
        self.class_terms: dict[str, z3.BoolRef] = {}
        # A statement's parts read only the request, never the action or the step: each is
        # encoded once (``Statements``, ``Conditions``) and shared by the three actions and the
        # Deny and Allow passes; so is each Principal's table.
        self.m = Statements(env.role, env.key, self.errs)
        self._memo: dict[tuple[str, object], Any] = {}

    def _code(self, o: Outcome) -> z3.ArithRef:
        if o not in self.outcomes:
            self.outcomes.append(o)
        return z3.IntVal(self.outcomes.index(o))

    # ------------------------------------------------------------------ the rule

    def run(self) -> Encoding:
        c, w = self.c, self.w
        actions = [(ACTIONS[0], _TRUE), (ACTIONS[1], self.env.need_tag), (ACTIONS[2], self.env.need_source)]
        r1 = z3.Or(c.kind == ROOT, c.kind == FEDERATED)
        r2 = _or(
            [_FALSE if w.role_exists else _TRUE, z3.And(c.kind != SERVICE, c.partition != self.env.role.partition)]
        )
        reached = _and([_not(r1), _not(r2)])
        allowed_code = self._code(Outcome("allowed", "R14"))
        # R5 over every action first, then R6/R7 and R8-R12 action by action.
        deny_steps: list[tuple[z3.BoolRef, z3.ArithRef]] = []
        phase = reached
        for action, needed in actions:
            found, code = self._explicit_deny(action, _and([phase, needed]))
            hit = _and([needed, found])
            deny_steps.append((hit, code))
            phase = _and([phase, _not(hit)])
        allow_steps: list[tuple[z3.BoolRef, z3.ArithRef]] = []
        for action, needed in actions:
            step_reached = _and([phase, needed])
            failures = self._gates(action, step_reached)
            for fail, code in failures:
                hit = _and([needed, fail])
                allow_steps.append((hit, code))
                phase = _and([phase, _not(hit)])
        outcome: z3.ArithRef = allowed_code
        for hit, code in reversed(deny_steps + allow_steps):
            outcome = z3.If(hit, code, outcome) if not z3.is_false(hit) else outcome
        outcome = z3.If(r2, self._code(Outcome("implicitDeny", "R2", PolicyKind.TRUST.value, ACTIONS[0])), outcome)
        outcome = z3.If(r1, self._code(Outcome("implicitDeny", "R1", None, ACTIONS[0])), outcome)
        err = _or(self.errs)
        # Allowed: nothing before R14 decided. Every other step's code is a refusal, so this is
        # ``outcome == allowed_code``, written as the Boolean structure it is (one arithmetic atom
        # over the whole If-chain would hide that structure from the solver's case splits).
        allowed = _and([_not(r1), _not(r2), *[_not(hit) for hit, _ in deny_steps + allow_steps], _not(err)])
        return Encoding(outcome, err, self.outcomes, allowed, self.grants, self.class_terms)

    # ------------------------------------------------------------------ R5

    def _deny_sets(self) -> list[tuple[PolicyKind, z3.BoolRef, Sequence[Policy], bool]]:
        """(kind, applies, policies, principal) in AWS's scan order (docs/semantics.md §1.4)."""
        out: list[tuple[PolicyKind, z3.BoolRef, Sequence[Policy], bool]] = []
        for guard, levels in self._scp_chains():
            out += [(PolicyKind.SCP, guard, level, False) for level in levels]
        for guard, levels in self._rcp_chains():
            out += [(PolicyKind.RCP, guard, level, True) for level in levels]
        out.append((PolicyKind.TRUST, _TRUE, (self.w.trust,), True))
        out += [(kind, applies, ps, False) for kind, applies, ps in self._caller_sets()]
        return out

    def _explicit_deny(self, action: str, reached: z3.BoolRef) -> tuple[z3.BoolRef, z3.ArithRef]:
        """Whether a Deny matches (every Deny statement naming the action is evaluated), and the
        outcome naming the first kind in scan order that has one."""
        found_by: list[tuple[PolicyKind, z3.BoolRef]] = []
        for kind, applies, policies, principal in self._deny_sets():
            hits = self._hits(policies, "Deny", action, _and([reached, applies]), principal, rcp=kind is PolicyKind.RCP)
            found_by.append((kind, _and([applies, _or([h for h, _ in hits])])))
        found = _or([f for _, f in found_by])
        code: z3.ArithRef = z3.IntVal(-1)
        for kind, f in reversed(found_by):
            if not z3.is_false(f):
                code = z3.If(f, self._code(Outcome("explicitDeny", "R5", kind.value, action)), code)
        return found, code

    # ------------------------------------------------------------------ R6, R7, R8-R12

    def _gates(self, action: str, reached: z3.BoolRef) -> list[tuple[z3.BoolRef, z3.ArithRef]]:
        """The failures of one action, in the order the model meets them: each SCP level,
        then the trust-and-caller rule."""
        steps: list[tuple[z3.BoolRef, z3.ArithRef]] = []
        r7 = self._code(Outcome("implicitDeny", "R7", PolicyKind.SCP.value, action))
        for guard, levels in self._scp_chains():
            level_reached = _and([reached, guard])
            for level in levels:
                ok = self.m.allows(level, action, level_reached)
                fail = _and([guard, _not(ok)])
                steps.append((fail, r7))
                level_reached = _and([level_reached, ok])
        passed = _and([reached, *[_not(f) for f, _ in steps]])
        steps += self._trust_and_caller(action, passed)
        return steps

    def _trust_and_caller(self, action: str, reached: z3.BoolRef) -> list[tuple[z3.BoolRef, z3.ArithRef]]:
        """R8-R12, as :func:`rolecall.model.decide.trust_and_caller`: the trust policy's grants by
        principal class, then the rule of the caller's kind (R11 services, R9 across accounts, R10/R12
        within one), each a function of the same name below."""
        c, w = self.c, self.w
        hits = self._hits((w.trust,), "Allow", action, reached, True, rcp=False, record=action == ACTIONS[0])
        cls: dict[str, z3.BoolRef] = {}
        for name in ("user", "role", "session", "account", "wildcard", "service"):
            cls[name] = _or([_and([h, classes[name]]) for h, classes in hits if name in classes])
        if action == ACTIONS[0]:
            self.class_terms = cls
        side = self._caller_side(action, _and([reached, c.kind != SERVICE]))
        service_fail, service_code = self._service_principal(cls, action)
        cross_fail, cross_code = self._cross_account(cls, side, action)
        same_fail, same_code = self._same_account(cls, side, action)
        cross = c.account != self.env.role.account
        is_service = c.kind == SERVICE
        fail = z3.If(is_service, service_fail, z3.If(cross, cross_fail, same_fail))
        code = z3.If(is_service, service_code, z3.If(cross, cross_code, same_code))
        return [(_and([reached, fail]), code)]

    def _caller_side(self, action: str, reached: z3.BoolRef) -> _CallerSide:
        """Whether each caller-side policy allows (the model's ``_CallerSide.of``): from the
        environment's own side where it states one (the access graph's), else from the world's
        identity policies, boundary and session policy (a policy the caller lacks is absent)."""
        w = self.w
        sides: dict[PolicyKind, tuple[z3.BoolRef, z3.BoolRef]] = {}
        if self.env.side is not None:
            for kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION):
                sides[kind] = self.env.side(kind, action)
        else:
            sides[PolicyKind.IDENTITY] = (_TRUE, self.m.allows(w.identity, action, reached))
            for kind, policy in ((PolicyKind.BOUNDARY, w.boundary), (PolicyKind.SESSION, w.session_policy)):
                if policy is not None:
                    sides[kind] = (_TRUE, self.m.allows((policy,), action, reached))
        return _CallerSide(sides)

    def _refusal(
        self, rule: str, failures: list[tuple[z3.BoolRef, PolicyKind]], action: str
    ) -> tuple[z3.BoolRef, z3.ArithRef]:
        """Whether any of ``failures`` holds, and the ``rule`` refusal naming the first that does."""
        fail = _or([f for f, _ in failures])
        code: z3.ArithRef = z3.IntVal(-1)
        for f, kind in reversed(failures):
            code = z3.If(f, self._code(Outcome("implicitDeny", rule, kind.value, action)), code)
        return fail, code

    def _service_principal(self, cls: dict[str, z3.BoolRef], action: str) -> tuple[z3.BoolRef, z3.ArithRef]:
        """R11 (:func:`rolecall.model.decide.service_principal`): a service needs a trust grant."""
        return _not(_or(list(cls.values()))), self._code(Outcome("implicitDeny", "R11", PolicyKind.TRUST.value, action))

    def _cross_account(
        self, cls: dict[str, z3.BoolRef], side: _CallerSide, action: str
    ) -> tuple[z3.BoolRef, z3.ArithRef]:
        """R9 (:func:`rolecall.model.decide.cross_account`): any trust grant (else R8), and the whole
        caller side."""
        any_class = _or(list(cls.values()))
        trust_code = self._code(Outcome("implicitDeny", "R8", PolicyKind.TRUST.value, action))
        side_fail, side_code = self._refusal("R9", side.first_failure(), action)
        return _or([_not(any_class), side_fail]), z3.If(_not(any_class), trust_code, side_code)

    def _same_account(
        self, cls: dict[str, z3.BoolRef], side: _CallerSide, action: str
    ) -> tuple[z3.BoolRef, z3.ArithRef]:
        """R10 with R12 (:func:`rolecall.model.decide.same_account`): a session or wildcard grant
        suffices; a user, role or account grant each with its own requirement (the first present
        class's first failing policy is the refusal's); no grant at all, R8, unless R12's
        grandfathered self-trust admits a session of the role itself."""
        c, w, sem = self.c, self.w, self.w.semantics
        user_needs = side.first_failure(identity=False, boundary=not sem.user_direct_bypasses_boundary, session=False)
        options: list[tuple[z3.BoolRef, list[tuple[z3.BoolRef, PolicyKind]]]] = [
            (cls["user"], user_needs),
            (cls["role"], side.first_failure(identity=sem.role_direct_needs_identity)),
            (cls["account"], side.first_failure()),
        ]
        met = _or(
            [
                cls["session"],
                cls["wildcard"],
                *[_and([present, _not(_or([f for f, _ in fl]))]) for present, fl in options],
            ]
        )
        some_class = _or([present for present, _ in options])
        r10_code: z3.ArithRef = z3.IntVal(-1)
        for present, fl in reversed(options):
            _, code = self._refusal("R10", fl, action)
            r10_code = z3.If(present, code, r10_code)
        self_assume = _and(
            [
                _TRUE if w.legacy_implicit_self_trust else _FALSE,
                c.kind == SESSION,
                c.partition == self.env.role.partition,
                c.account == self.env.role.account,
                self._same_role(),
                _not(_or([f for f, _ in side.first_failure()])),
            ]
        )
        trust_code = self._code(Outcome("implicitDeny", "R8", PolicyKind.TRUST.value, action))
        fail = _and([_not(met), _not(_and([_not(some_class), self_assume]))])
        return fail, z3.If(some_class, r10_code, trust_code)

    def _same_role(self) -> z3.BoolRef:
        """The caller's role (path and name) is the target role (R12)."""
        c, role = self.c, self.env.role
        rp, rn = _const_str(role.path), _const_str(role.name)
        if rp is not None and rn is not None:
            return pathname_eq(c.path, c.name, rp + rn)
        return z3.Concat(c.path, c.name) == z3.Concat(role.path, role.name)

    # ------------------------------------------------------------------ policy sets

    def _scp_chains(self) -> list[tuple[z3.BoolRef, tuple[tuple[Policy, ...], ...]]]:
        """R7 applicability (ORG-SCP): member accounts but the management account; IAM users and
        role sessions, never services nor service-linked roles."""
        org, c = self.w.organization, self.c
        if org is None:
            return []
        out = []
        for account, levels in sorted(org.scps.items()):
            if account == org.management_account or account not in org.members or not levels:
                continue
            guard = _and(
                [
                    c.kind != SERVICE,
                    c.account == _s(account),
                    _not(z3.And(c.kind == SESSION, z3.PrefixOf(_s("/aws-service-role/"), c.path))),
                ]
            )
            out.append((guard, levels))
        return out

    def _rcp_chains(self) -> list[tuple[z3.BoolRef, tuple[tuple[Policy, ...], ...]]]:
        """R6 applicability (ORG-RCP): resources of member accounts but the management account."""
        org = self.w.organization
        return account_chains(org, org.rcps, self.env.role.account) if org is not None else []

    def _caller_sets(self) -> list[tuple[PolicyKind, z3.BoolRef, Sequence[Policy]]]:
        w = self.w
        out: list[tuple[PolicyKind, z3.BoolRef, Sequence[Policy]]] = [(PolicyKind.IDENTITY, _TRUE, w.identity)]
        if w.boundary is not None:
            out.append((PolicyKind.BOUNDARY, _TRUE, (w.boundary,)))
        if w.session_policy is not None:
            out.append((PolicyKind.SESSION, _TRUE, (w.session_policy,)))
        return out

    def _hits(
        self,
        policies: Sequence[Policy],
        effect: str,
        action: str,
        reached: z3.BoolRef,
        principal: bool,
        *,
        rcp: bool,
        record: bool = False,
    ) -> list[tuple[z3.BoolRef, dict[str, z3.BoolRef]]]:
        """Every statement with this Effect naming the action, each evaluated (``_hits``):
        (applies, trust classes)."""
        out = []
        wildcard_services = rcp or self.w.semantics.wildcard_matches_services
        for policy in policies:
            for si, st in policy.statements_for(effect, action.lower()):
                classes: dict[str, z3.BoolRef] = {}
                matched = _TRUE
                entries: list[tuple[str, str, z3.BoolRef]] = []
                if principal:
                    entries = self._principal(st, wildcard_services)
                    for _entry, name, term in entries:
                        classes[name] = _or([classes.get(name, _FALSE), term])
                    matched = _or(list(classes.values()))
                    if z3.is_false(matched):
                        continue
                applies = self.m.holds(st, _and([reached, matched]))
                hit = _and([matched, applies])
                out.append((hit, classes))
                if record:
                    for entry, _name, term in entries:
                        key = (si, entry)
                        self.grants[key] = _or([self.grants.get(key, _FALSE), _and([term, applies])])
        return out

    # ------------------------------------------------------------------ principals

    def _principal(self, st: Statement, wildcard_services: bool) -> list[tuple[str, str, z3.BoolRef]]:
        """Each entry of the Principal with the trust class it gives and when it matches."""
        key = ("principal", (id(st), wildcard_services))
        if key not in self._memo:
            self._memo[key] = self._principal_entries(st, wildcard_services)
        return self._memo[key]  # type: ignore[no-any-return]

    def _principal_entries(self, st: Statement, wildcard_services: bool) -> list[tuple[str, str, z3.BoolRef]]:
        p = st.principal
        assert p is not None
        out = [(e, name, term) for e in p.aws for name, term in entry_classes(self.c, e, wildcard_services)]
        out += [(name, "service", z3.And(self.c.kind == SERVICE, self.c.service == _s(name))) for name in p.service]
        return out


def _structured_match(parts: list[str], at: ArnTerm, arn: bool) -> z3.BoolRef | None:
    """Match a concrete glob against an ARN known by fields, without one regular expression over
    the whole string (which Z3 searches badly once the account is symbolic).

    The model's own units of the glob (``model.match.glob_units``) are run as an automaton over the
    ARN: the literal head, then the account, then the colon and the resource's literal start;
    the symbolic rest of the resource must match from one of the states reached. The account
    is twelve digits: when no digit literal of the pattern can meet it, every account takes the
    automaton to the same states, so the match does not depend on it; a pattern that spells an
    account out compares it directly. ``None`` when neither holds (the caller matches the whole
    string instead).
    """
    glob = tuple(parts)
    units = glob_units(glob, arn=arn)
    items: list[str] = []
    for part in parts:
        items.extend((part,) if _is_wild(part) else part)
    prefix = at.head + ":"
    spelled = _spelled_account_match(glob, items, prefix, at, arn)
    if spelled is not None:
        return spelled
    states = _closure(units, {0})
    states = _consume(units, states, prefix)
    if not states:
        return _FALSE
    for _ in range(12):  # the account: any twelve digits, alike unless a digit literal can meet one
        if any(units[i][0] == "lit" and units[i][1].isdigit() for i in states if i < len(units)):
            return None
        states = _step(units, states, "0")
    states = _consume(units, states, ":")
    if not states:
        return _FALSE
    return _resource_match(at, units, sorted(states))


def _spelled_account_match(
    glob: tuple[str, ...], items: list[str], prefix: str, at: ArnTerm, arn: bool
) -> z3.BoolRef | None:
    """A pattern that spells the account out (a literal head, then an account field before a colon):
    the account compared (or, for ``1234*:``, its prefix, the star free to run past the colon), the
    resource matched after it. ``None`` for any other pattern."""
    head = items[: len(prefix)]
    rest = items[len(prefix) :]
    if any(_is_wild(i) for i in head) or ":" not in rest:
        return None
    if "".join(head) != prefix:
        return _FALSE
    k = rest.index(":")
    field = rest[:k]
    if field and not any(_is_wild(i) for i in field):
        tail = glob_units(glob, arn=arn)[len(prefix) + k + 1 :]
        return _and([at.account == _s("".join(field)), _resource_match(at, tail, [0])])
    if len(field) > 1 and field[-1] == STAR and not any(_is_wild(i) for i in field[:-1]):
        tail = glob_units(glob, arn=arn)[len(prefix) + k + 1 :]
        return _and([z3.PrefixOf(_s("".join(field[:-1])), at.account), _crossing(at, tail)])
    return None


def _crossing(at: ArnTerm, tail: Sequence[tuple[str, str]]) -> z3.BoolRef:
    """A star ending the account field, then ``:`` and ``tail``: as accounts hold no colon, the
    resource matches ``tail`` whole, or after one of its own colons."""
    with_colon = [("lit", ":"), *tail]
    return _or([_resource_match(at, tail, [0]), _resource_match(at, [("star", ".*"), *with_colon], [0])])


def _resource_match(at: ArnTerm, units: Sequence[tuple[str, str]], starts: Sequence[int]) -> z3.BoolRef:
    out = []
    for guard, literal, path, name in at.resources:
        states = _consume(units, _closure(units, set(starts)), literal)
        if not states:
            continue
        out.append(_and([guard, pathname_in(path, name, units, sorted(states))]))
    return _or(out)


def _closure(units: Sequence[tuple[str, str]], states: set[int]) -> set[int]:
    """States reachable without consuming: a star may match nothing."""
    out, todo = set(states), list(states)
    while todo:
        i = todo.pop()
        if i < len(units) and units[i][0] == "star" and i + 1 not in out:
            out.add(i + 1)
            todo.append(i + 1)
    return out


def _step(units: Sequence[tuple[str, str]], states: set[int], ch: str) -> set[int]:
    nxt: set[int] = set()
    for i in states:
        if i >= len(units):
            continue
        kind, text = units[i]
        fits = text == ch if kind == "lit" else (ch != ":" or not text.startswith("[^:]"))
        if fits:
            nxt.add(i if kind == "star" else i + 1)
    return _closure(units, nxt)


def _consume(units: Sequence[tuple[str, str]], states: set[int], text: str) -> set[int]:
    for ch in text:
        states = _step(units, states, ch)
        if not states:
            return set()
    return states


def _is_wild(part: object) -> bool:
    from ..match import QMARK, STAR

    return part in (STAR, QMARK)


def _concat_parts(parts: list[str | z3.SeqRef]) -> z3.SeqRef:
    terms = [_s(p) if isinstance(p, str) else p for p in parts]
    if not terms:
        return _s("")
    return terms[0] if len(terms) == 1 else z3.Concat(*terms)


_ORDER: dict[str, Callable[[Any, Any], z3.BoolRef]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a == b,  # negation applied by the caller, as in the model
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _fraction(n: Decimal) -> Fraction:
    return Fraction(n)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch(moment: datetime) -> Fraction:
    """Seconds since the epoch, exactly (microseconds kept)."""
    delta = moment - _EPOCH
    return Fraction(delta.days * 86400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def parse_typed(family: str, text: str) -> tuple[bool, Any]:
    """A concrete request value read as the family reads it (the model's parsers)."""
    if family == "numeric":
        n = parse_number(text)
        return (n is not None, z3.RealVal(_fraction(n)) if n is not None else z3.RealVal(0))
    if family == "date":
        d = parse_date(text)
        return (d is not None, z3.RealVal(epoch(d)) if d is not None else z3.RealVal(0))
    if family == "ip":
        try:
            addr = ipaddress.ip_address(text.strip())
        except ValueError:
            return False, (z3.IntVal(0), z3.IntVal(0))
        return True, (z3.IntVal(addr.version), z3.IntVal(int(addr)))
    if family == "binary":
        b = parse_binary(text)
        return (b is not None, z3.StringVal(b.decode("latin-1")) if b is not None else z3.StringVal(""))
    raise AssertionError(family)  # pragma: no cover


__all__ += ["CREDENTIALS", "account_chains", "and_terms", "epoch", "not_term", "or_terms", "parse_typed"]
