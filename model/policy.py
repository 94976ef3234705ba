"""Policy documents: parse JSON into frozen, canonical values, or refuse them as IAM does.

Canonical means one spelling per meaning (docs/architecture.md, after hypothesis-jsonschema):
``Statement`` is always a tuple; ``Action`` patterns are lower-cased (actions are
case-insensitive, docs/semantics.md §4.4) and, like every other multi-valued element,
sorted and de-duplicated; ``"*"`` and ``{"AWS": "*"}`` are the same principal; a
bare account id is its ``arn:aws:iam::ID:root`` ARN (PRINC: IAM may rewrite it
so on save); condition keys are lower-cased (COND); condition values are
strings. Statement *order* is kept (it never changes a decision, but reasons
cite statements by index).

Validation refuses what IAM refuses to store, per policy kind (docs/semantics.md §4.1,
§4.2), with the JSON path of the fault, as :class:`~rolecall.model.errors.MalformedPolicyError`:
a ``Principal`` in an identity policy ("Policy document should not specify a
principal."), ``Resource`` in a trust policy ("Has prohibited field Resource"),
``NotPrincipal`` in a trust policy, partial wildcards in a principal ("Invalid
principal in policy"), unknown operators, an unknown ``Version``, wrong types,
repeated keys and characters outside the policy alphabet (QUOTAS); and, for the two
kinds Organizations stores, what its syntax pages leave out (docs/semantics.md §4.9;
ORG-SCP-SYNTAX "SCP syntax" and ORG-RCP-SYNTAX "RCP syntax", AWS Organizations User
Guide): an SCP or RCP without ``"Version": "2012-10-17"`` or with an ``Id``, an RCP
that Allows, names a ``Principal`` other than ``"*"`` or uses ``NotAction``. An SCP may
use the full IAM policy language since September 2025 (conditions, ``NotAction`` and
resource ARNs in an Allow, ``NotResource``), and none of that is refused.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .arn import PARTITIONS, Caller, is_account_id
from .conditions import Condition, Context, Template, Var, parse_condition_block, parse_template, resolve
from .errors import MalformedPolicyError, child
from .match import Glob, arn_glob_matches, glob_parts, principal_classes, string_glob_matches

__all__ = [
    "Policy",
    "PolicyKind",
    "PrincipalSet",
    "Statement",
    "dump_policy",
    "load_json",
    "parse_policy",
    "parse_policy_text",
    "policy_size",
    "remembering_parses",
]


class PolicyKind(StrEnum):
    """The kinds of policy that take part in an AssumeRole decision (docs/semantics.md R5)."""

    IDENTITY = "identity-based policy"
    TRUST = "role trust policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    SCP = "service control policy"
    RCP = "resource control policy"


class DuplicateKeyDict(dict):  # type: ignore[type-arg]
    """A JSON object that remembers keys which appeared more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> DuplicateKeyDict:
    out = DuplicateKeyDict()
    dups = []
    for k, v in pairs:
        if k in out:
            dups.append(k)
        out[k] = v
    if dups:
        out.duplicates = tuple(dups)
    return out


def load_json(text: str) -> Any:
    """``json.loads`` that keeps track of repeated keys instead of silently dropping values."""
    return json.loads(text, object_pairs_hook=_pairs_hook)


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A canonical ``Principal``: sorted, de-duplicated entries per key.

    ``aws`` holds ``"*"``, account root ARNs, user / role / session /
    federated-user ARNs and unique ids; ``service`` service principal names;
    ``federated`` identity providers.
    """

    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    _classes: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __hash__(self) -> int:
        return hash((self.aws, self.service, self.federated))

    def classes_for(self, caller: Caller, key: str, wildcard_matches_services: bool) -> frozenset[str]:
        """How this Principal matches the caller: the trust classes of docs/semantics.md R8 (see
        :func:`rolecall.model.match.principal_classes`), cached per caller identity ``key``
        (:func:`rolecall.model.match.caller_key` plus the option)."""
        hit = self._classes.get(key)
        if hit is None:
            hit = self._classes[key] = principal_classes(self.aws, self.service, caller, wildcard_matches_services)
        return hit

    def to_json(self) -> Any:
        """``"*"`` for everyone (the one spelling every policy kind accepts), else an object of lists."""
        if self.aws == ("*",) and not self.service and not self.federated:
            return "*"
        out: dict[str, list[str]] = {}
        if self.aws:
            out["AWS"] = list(self.aws)
        if self.service:
            out["Service"] = list(self.service)
        if self.federated:
            out["Federated"] = list(self.federated)
        return out


@dataclass(frozen=True, slots=True)
class Statement:
    """One canonical policy statement.

    Exactly one of ``actions`` / ``not_actions`` is non-empty, likewise for
    resources (except in trust and RCP-free kinds where resources are absent).
    """

    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principal: PrincipalSet | None = None
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    variables: bool = True
    _action_cache: dict[str, bool] = field(default_factory=dict, compare=False, repr=False, hash=False)
    _resource_test: Callable[[str, Context], bool] = field(default=None, compare=False, repr=False, hash=False)  # type: ignore[assignment]
    request_dependent: bool = field(default=False, compare=False, repr=False, hash=False)
    """Whether applying this statement needs the request context (conditions, or policy
    variables in its Resource); otherwise it is decided by the policy and the world alone."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_resource_test", _compile_resources(self))
        dynamic = self.variables and any("${" in r for r in self.resources or self.not_resources)
        object.__setattr__(self, "request_dependent", bool(self.conditions) or dynamic)

    def __hash__(self) -> int:
        return hash(
            (
                self.effect,
                self.actions,
                self.not_actions,
                self.resources,
                self.not_resources,
                self.principal,
                self.conditions,
                self.sid,
                self.variables,
            )
        )

    def matches_action(self, action_lower: str) -> bool:
        """Action / NotAction against a lower-cased action (case-insensitive, ``*`` ``?``)."""
        hit = self._action_cache.get(action_lower)
        if hit is None:
            patterns = self.actions or self.not_actions
            hit = any(string_glob_matches(glob_parts(p), action_lower) for p in patterns)
            if self.not_actions:
                hit = not hit
            self._action_cache[action_lower] = hit
        return hit

    def matches_resource(self, arn: str, ctx: Context) -> bool:
        """Resource / NotResource against the role ARN (field-by-field ARN matching).

        Trust policies have no Resource: the resource is the role itself (docs/semantics.md §4.2).
        """
        return self._resource_test(arn, ctx)

    def conditions_hold(self, ctx: Context) -> bool:
        """Every condition of the block holds (they are ANDed, COND)."""
        for c in self.conditions:
            if not c._test(ctx):
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.sid is not None:
            out["Sid"] = self.sid
        out["Effect"] = self.effect
        if self.principal is not None:
            out["Principal"] = self.principal.to_json()
        if self.actions:
            out["Action"] = list(self.actions)
        if self.not_actions:
            out["NotAction"] = list(self.not_actions)
        if self.resources:
            out["Resource"] = list(self.resources)
        if self.not_resources:
            out["NotResource"] = list(self.not_resources)
        if self.conditions:
            block: dict[str, dict[str, list[str]]] = {}
            for c in self.conditions:
                block.setdefault(c.name, {})[c.key] = list(c.values)
            out["Condition"] = block
        return out


def _compile_resources(st: Statement) -> Callable[[str, Context], bool]:
    patterns = st.resources or st.not_resources
    if not patterns:
        return lambda arn, ctx: True  # trust policies: the resource is the role itself
    negate = bool(st.not_resources)
    if "*" in patterns:
        return (lambda arn, ctx: False) if negate else (lambda arn, ctx: True)
    templates: list[Template] = [parse_template(p, wildcards=True, variables=st.variables, where="$") for p in patterns]
    static: list[Glob] = [t for t in templates if not any(isinstance(x, Var) for x in t)]  # type: ignore[misc]
    dynamic = [t for t in templates if any(isinstance(x, Var) for x in t)]

    static_cache: dict[str, bool] = {}

    def test(arn: str, ctx: Context) -> bool:
        hit = static_cache.get(arn)
        if hit is None:
            hit = static_cache[arn] = any(arn_glob_matches(g, arn) for g in static)
        if not hit:
            for t in dynamic:
                g = resolve(t, ctx)  # an entry whose variable has no value matches nothing (VARS)
                if g is not None and arn_glob_matches(g, arn):
                    hit = True
                    break
        return not hit if negate else hit

    return test


@dataclass(frozen=True, slots=True)
class Policy:
    """A canonical policy document of one :class:`PolicyKind`."""

    kind: PolicyKind
    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None
    _by_action: dict[tuple[str, str], tuple[tuple[int, Statement], ...]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def __hash__(self) -> int:
        return hash((self.kind, self.statements, self.version, self.id))

    def statements_for(self, effect: str, action_lower: str) -> tuple[tuple[int, Statement], ...]:
        """The (index, statement) pairs with this Effect whose Action / NotAction covers the action.

        Compiled once per (effect, action): AssumeRole asks about three actions only.
        """
        key = (effect, action_lower)
        hit = self._by_action.get(key)
        if hit is None:
            hit = tuple(
                (i, st)
                for i, st in enumerate(self.statements)
                if st.effect == effect and st.matches_action(action_lower)
            )
            self._by_action[key] = hit
        return hit

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON document; parsing it again gives an equal policy."""
        out: dict[str, Any] = {}
        if self.version is not None:
            out["Version"] = self.version
        if self.id is not None:
            out["Id"] = self.id
        out["Statement"] = [s.to_json() for s in self.statements]
        return out


def dump_policy(policy: Policy) -> str:
    """Canonical compact JSON text of a policy."""
    return json.dumps(policy.to_json(), separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------- parsing

_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_SID = re.compile(r"[A-Za-z0-9]*")
_ACTION = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]*")
_ALPHABET = re.compile(r"[^\t\n\r\x20-\xff]")
_UNIQUE_ID = re.compile(r"(AIDA|AROA)[A-Z0-9]{12,}")
_PRINCIPAL_ARN = re.compile(
    r"arn:(?P<partition>[\w-]+):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)", re.ASCII
)
_IAM_PRINCIPAL = re.compile(r"root|(user|role)(/|/[\x21-\x7e]*/)[\w+=,.@-]{1,64}", re.ASCII)
_STS_PRINCIPAL = re.compile(r"assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{2,64}|federated-user/[\w+=,.@-]{2,32}", re.ASCII)
_MESSAGES = {
    "principal": "Policy document should not specify a principal.",
    "resource": "Has prohibited field Resource",
    "invalid_principal": "Invalid principal in policy",
}


#: Organizations' policy kinds, which Organizations (not IAM) stores (docs/semantics.md §4.9)
_ORG_KINDS = (PolicyKind.SCP, PolicyKind.RCP)
_ORG_NAMES = {PolicyKind.SCP: "service control policy", PolicyKind.RCP: "resource control policy"}


def _fail(message: str, where: str) -> MalformedPolicyError:
    return MalformedPolicyError(message, where)


def _check_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("Syntax errors in policy: expected a JSON object", where)
    dups = getattr(value, "duplicates", ())
    if dups:
        raise _fail(f"Syntax errors in policy: key {dups[0]!r} repeats", child(where, dups[0]))
    return value


def _strings(value: Any, where: str, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _fail(f"{what} must not be empty", where)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _fail(f"{what} entries must be strings", child(where, i) if isinstance(value, list) else where)
        if not item:
            raise _fail(f"{what} entries must not be empty", child(where, i) if isinstance(value, list) else where)
    return items


def _check_alphabet(value: Any, where: str) -> None:
    """Characters allowed in policy documents: U+0009, U+000A, U+000D, U+0020-U+00FF (QUOTAS).

    The document's compact JSON text is searched first, in one pass: it holds every key and string of
    the document, with only control characters, quotes and backslashes escaped (``ensure_ascii`` off).
    A text with no character outside the alphabet and no ``\\u`` escape (a control character or a
    backslash before ``u``) passes; any other is walked element by element to name the path."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = None  # not JSON-shaped: the walk below names the problem the parser will meet
    if text is not None and _ALPHABET.search(text) is None and "\\u" not in text:
        return
    _walk_alphabet(value, where)


def _walk_alphabet(value: Any, where: str) -> None:
    """:func:`_check_alphabet` element by element, for the path of the first character refused."""
    if isinstance(value, str):
        m = _ALPHABET.search(value)
        if m:
            raise _fail(f"character U+{ord(m.group()):04X} is not allowed in policy documents", where)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk_alphabet(k, where)
            _walk_alphabet(v, child(where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk_alphabet(v, child(where, i))


def _canonical_aws_principal(entry: str, where: str) -> str:
    if entry == "*":
        return entry
    if is_account_id(entry):
        return f"arn:aws:iam::{entry}:root"
    if _UNIQUE_ID.fullmatch(entry):
        return entry
    if "*" in entry or "?" in entry:
        raise _fail(f"{_MESSAGES['invalid_principal']}: no partial wildcards in a principal ({entry!r})", where)
    m = _PRINCIPAL_ARN.fullmatch(entry)
    if m and m["partition"] in PARTITIONS:
        pattern = _IAM_PRINCIPAL if m["service"] == "iam" else _STS_PRINCIPAL
        if pattern.fullmatch(m["resource"]):
            return entry
    raise _fail(f"{_MESSAGES['invalid_principal']}: {entry!r}", where)


def _parse_principal(value: Any, kind: PolicyKind, where: str) -> PrincipalSet:
    if value == "*":
        return PrincipalSet(aws=("*",))
    obj = _check_object(value, where)
    if kind is PolicyKind.RCP:
        raise _fail('resource control policies support only "Principal": "*"', where)
    if not obj:
        raise _fail("Principal must name at least one principal", where)
    aws: set[str] = set()
    service: set[str] = set()
    federated: set[str] = set()
    for key, raw in obj.items():
        kw = child(where, key)
        entries = _strings(raw, kw, f"Principal {key}")
        for i, e in enumerate(entries):
            ew = child(kw, i) if isinstance(raw, list) else kw
            if key == "AWS":
                aws.add(_canonical_aws_principal(e, ew))
            elif key in ("Service", "Federated"):
                if "*" in e or "?" in e:
                    raise _fail(f"{_MESSAGES['invalid_principal']}: no wildcards in a {key} principal ({e!r})", ew)
                (service if key == "Service" else federated).add(e)
            else:
                raise _fail(f"{_MESSAGES['invalid_principal']}: unsupported principal type {key!r}", kw)
    return PrincipalSet(tuple(sorted(aws)), tuple(sorted(service)), tuple(sorted(federated)))


def _parse_statement(raw: Any, kind: PolicyKind, variables: bool, where: str) -> Statement:
    """One statement of a ``kind`` policy at ``where``: its elements, each by its own parser, in the
    order the model checks them (GRAMMAR; docs/semantics.md §4.1)."""
    st = _check_object(raw, where)
    for key in st:
        if key not in _STATEMENT_KEYS:
            raise _fail(f"Syntax errors in policy: unknown statement element {key!r}", child(where, key))
    sid = _parse_sid(st, where)
    effect = _parse_effect(st, kind, where)
    principal = _parse_principal_element(st, kind, where)
    akey, canon_actions = _parse_actions(st, kind, where)
    rkey, resources = _parse_resources(st, kind, variables, where)
    conditions: tuple[Condition, ...] = ()
    if "Condition" in st:
        conditions = parse_condition_block(st["Condition"], variables=variables, where=child(where, "Condition"))
    return Statement(
        effect=effect,
        actions=canon_actions if akey == "Action" else (),
        not_actions=canon_actions if akey == "NotAction" else (),
        resources=resources if rkey == "Resource" else (),
        not_resources=resources if rkey == "NotResource" else (),
        principal=principal,
        conditions=conditions,
        sid=sid,
        variables=variables,
    )


def _parse_sid(st: Mapping[str, Any], where: str) -> str | None:
    """``Sid``: optional, alphanumeric."""
    sid = st.get("Sid")
    if sid is not None and (not isinstance(sid, str) or _SID.fullmatch(sid) is None):
        raise _fail("Statement IDs (SID) must be alpha-numeric", child(where, "Sid"))
    return sid


def _parse_effect(st: Mapping[str, Any], kind: PolicyKind, where: str) -> str:
    """``Effect``: ``Allow`` or ``Deny``; a custom RCP may only Deny (RCPFullAWSAccess is implied)."""
    effect = st.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _fail('Effect must be "Allow" or "Deny"', child(where, "Effect"))
    if kind is PolicyKind.RCP and effect == "Allow":
        raise _fail(
            "custom resource control policies may only Deny (RCPFullAWSAccess is implied)", child(where, "Effect")
        )
    return str(effect)


def _parse_principal_element(st: Mapping[str, Any], kind: PolicyKind, where: str) -> PrincipalSet | None:
    """``Principal``: required in trust policies and RCPs, forbidden elsewhere; ``NotPrincipal`` is
    refused everywhere rolecall reads (not supported in trust policies and RCPs, a principal element
    where none belongs elsewhere)."""
    if "NotPrincipal" in st:
        raise _fail(
            "NotPrincipal is not supported in this policy kind"
            if kind in (PolicyKind.TRUST, PolicyKind.RCP)
            else _MESSAGES["principal"],
            child(where, "NotPrincipal"),
        )
    if kind in (PolicyKind.TRUST, PolicyKind.RCP):
        if "Principal" not in st:
            raise _fail("Missing required field Principal", where)
        return _parse_principal(st["Principal"], kind, child(where, "Principal"))
    if "Principal" in st:
        raise _fail(_MESSAGES["principal"], child(where, "Principal"))
    return None


def _parse_actions(st: Mapping[str, Any], kind: PolicyKind, where: str) -> tuple[str, tuple[str, ...]]:
    """Exactly one of ``Action`` and ``NotAction`` (an RCP has no NotAction, ORG-RCP-SYNTAX), each
    entry prefixed by a service; the element's name and its actions lower-cased (actions are
    case-insensitive, §4.4), sorted, without repeats."""
    if ("Action" in st) == ("NotAction" in st):
        raise _fail("a statement needs exactly one of Action and NotAction", where)
    if kind is PolicyKind.RCP and "NotAction" in st:
        raise _fail(
            "resource control policies do not support NotAction: use Action (ORG-RCP-SYNTAX)", child(where, "NotAction")
        )
    akey = "Action" if "Action" in st else "NotAction"
    actions = _strings(st[akey], child(where, akey), akey)
    for i, a in enumerate(actions):
        if _ACTION.fullmatch(a) is None:
            raise _fail(
                f"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.: {a!r}",
                child(child(where, akey), i) if isinstance(st[akey], list) else child(where, akey),
            )
    return akey, tuple(sorted({a.lower() for a in actions}))


def _parse_resources(
    st: Mapping[str, Any], kind: PolicyKind, variables: bool, where: str
) -> tuple[str | None, tuple[str, ...]]:
    """A trust policy has no ``Resource``/``NotResource`` (the role is the resource); every other kind
    exactly one of them, each entry ``*`` or an ARN (its variables checked); the element's name and
    its resources sorted, without repeats."""
    rkey = "Resource" if "Resource" in st else ("NotResource" if "NotResource" in st else None)
    if kind is PolicyKind.TRUST:
        if rkey is not None:
            raise _fail(f"Has prohibited field {rkey}", child(where, rkey))
        return None, ()
    if rkey is None or ("Resource" in st and "NotResource" in st):
        raise _fail("a statement needs exactly one of Resource and NotResource", where)
    items = _strings(st[rkey], child(where, rkey), rkey)
    for i, r in enumerate(items):
        if r != "*" and not r.startswith("arn:"):
            raise _fail(
                f'Resource {r!r} must be in ARN format or "*"',
                child(child(where, rkey), i) if isinstance(st[rkey], list) else child(where, rkey),
            )
        parse_template(r, wildcards=True, variables=variables, where=child(where, rkey))
    return rkey, tuple(sorted(set(items)))


def parse_policy(document: Any, kind: PolicyKind, where: str = "$") -> Policy:
    """Parse and validate a policy document (already decoded from JSON).

    Raises :class:`~rolecall.model.errors.MalformedPolicyError` with the JSON path of the
    first fault, for anything the IAM API (or STS, for session policies) refuses.

    Inside :func:`remembering_parses`, the same document (by its text) gives the same
    :class:`Policy` object again.
    """
    key: tuple[str, PolicyKind, str] | None = None
    if _PARSED is not None:
        try:
            key = (repr(document), kind, where)  # repr tells 1 from "1"
        except RecursionError:
            key = None
        if key is not None and key in _PARSED:
            return _PARSED[key]
    try:
        policy = _parse_policy(document, kind, where)
    except RecursionError:
        raise _fail("Syntax errors in policy: nested too deeply", where) from None
    if _PARSED is not None and key is not None:
        if len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = policy
    return policy


_PARSED: dict[tuple[str, PolicyKind, str], Policy] | None = None
_PARSED_MAX = 256


@contextlib.contextmanager
def remembering_parses() -> Iterator[None]:
    """Within the block, :func:`parse_policy` remembers the last 256 documents it parsed.

    The solver replays many scenarios that carry the same policies through the model
    (``model/solver/queries.py``), and a 200-statement policy takes milliseconds to parse. A
    parsed policy holds its compiled matchers, so the memory is scoped to the block: code that
    replaces a matching function (the fault-injection tests) never meets a policy compiled
    before. Not thread-safe; blocks nest.
    """
    global _PARSED
    outer = _PARSED
    if outer is None:
        _PARSED = {}
    try:
        yield
    finally:
        _PARSED = outer


def _parse_policy(document: Any, kind: PolicyKind, where: str) -> Policy:
    doc = _check_object(document, where)
    _check_alphabet(doc, where)
    for key in doc:
        if key not in ("Version", "Id", "Statement"):
            raise _fail(f"Syntax errors in policy: unknown element {key!r}", child(where, key))
    version = doc.get("Version")
    if version is not None and version not in _VERSIONS:
        raise _fail(
            f"The policy failed legacy parsing: Version {version!r} is not 2012-10-17 or 2008-10-17",
            child(where, "Version"),
        )
    if kind in _ORG_KINDS and version != "2012-10-17":
        raise _fail(
            f'every {_ORG_NAMES[kind]} must include "Version": "2012-10-17" (ORG-SCP-SYNTAX, ORG-RCP-SYNTAX)',
            child(where, "Version") if "Version" in doc else where,
        )
    pid = doc.get("Id")
    if pid is not None and kind in _ORG_KINDS:
        raise _fail(
            f"Syntax errors in policy: Id is not an element of {_ORG_NAMES[kind].replace('policy', 'policies')} "
            "(ORG-SCP-SYNTAX, ORG-RCP-SYNTAX)",
            child(where, "Id"),
        )
    if pid is not None and kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY):
        raise _fail(
            "Syntax errors in policy: Id is not allowed in identity policies (docs/semantics.md §4.1, GRAMMAR)",
            child(where, "Id"),
        )
    if pid is not None and not isinstance(pid, str):
        raise _fail("Id must be a string", child(where, "Id"))
    if "Statement" not in doc:
        raise _fail("Syntax errors in policy: missing Statement", where)
    raw = doc["Statement"]
    raw_list = raw if isinstance(raw, list) else [raw]
    if not raw_list:
        raise _fail("Syntax errors in policy: Statement is empty", child(where, "Statement"))
    variables = version == "2012-10-17"
    statements = tuple(
        _parse_statement(
            s,
            kind,
            variables,
            child(child(where, "Statement"), i) if isinstance(raw, list) else child(where, "Statement"),
        )
        for i, s in enumerate(raw_list)
    )
    return Policy(kind=kind, statements=statements, version=version, id=pid)


def policy_size(document: Any) -> int:
    """The size of a policy document as AWS's size quotas count it, at its least: the characters of its
    most compact JSON spelling (no whitespace between elements, no escape a character does not need),
    whitespace characters inside strings not counted either.

    IAM counts a policy "in non-whitespace characters" (the ``AssumeRolePolicySizeQuota`` of
    GetAccountSummary, IAM-API; "IAM does not count white space", QUOTAS); Organizations counts every
    character of an SCP or RCP, whitespace included (ORG-QUOTAS), of the text as it was sent. A scenario
    holds the decoded document, not that text, so this is the least any spelling of it counts under
    either rule: a document over a quota by this measure is over it however it was written
    (docs/semantics.md §4.8).
    """
    return len("".join(json.dumps(document, ensure_ascii=False, separators=(",", ":")).split()))


def parse_policy_text(text: str, kind: PolicyKind, where: str = "$") -> Policy:
    """Parse a policy from JSON text (a session policy as sent on the wire, a file)."""
    try:
        doc = load_json(text)
    except (ValueError, RecursionError) as exc:
        raise _fail(f"Syntax errors in policy: not JSON ({exc})", where) from None
    return parse_policy(doc, kind, where)
