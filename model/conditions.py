"""The one place where condition operators, policy variables and the context live.

Semantics follow docs/semantics.md §4.5 and the AWS pages it cites (COND, CONDOPS, MULTI,
VARS):

* Blocks: different operators and different keys are ANDed; several policy
  values for one key are ORed, except for negated operators, where the request
  value must differ from every listed value.
* Key names are case-insensitive (COND): the context and conditions both use
  lower-cased key names.
* A missing key makes a positive operator false and a negated operator true;
  ``…IfExists`` makes any operator true on a missing key; ``Null`` tests
  presence. ``ForAllValues:`` is true on a missing key or an empty set;
  ``ForAnyValue:`` is false there (MULTI).
* Policy variables ``${key}``, ``${key, 'default'}`` and the escapes ``${*}``,
  ``${?}``, ``${$}`` are recognised only under Version ``2012-10-17`` and only
  in the operator families that allow them (string, ARN, Bool); elsewhere the
  text is literal (VARS). A variable whose key has no value (and no default)
  makes its condition false: "the statement doesn't take effect" (VARS).

Fail closed: where AWS leaves the outcome undefined (a multi-valued key tested
without ``ForAllValues``/``ForAnyValue``, a request value of the wrong type for
the operator) the model raises :class:`UndecidableError` rather than guess.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from .errors import InputError, MalformedPolicyError, child
from .match import Glob, arn_glob_matches, glob_parts, string_glob_matches

__all__ = [
    "Condition",
    "Context",
    "OPERATORS",
    "UndecidableError",
    "Var",
    "parse_binary",
    "parse_condition_block",
    "parse_date",
    "parse_ip",
    "parse_number",
    "parse_template",
    "resolve",
]


class Context(Protocol):
    """The request context: lower-cased key -> one value, or a tuple for multi-valued keys.

    Anything with ``get`` will do: a dict, or the decision's lazily built context.
    """

    def get(self, key: str, /) -> str | tuple[str, ...] | None: ...


class UndecidableError(InputError):
    """The model cannot decide this input soundly (fail closed, never an Allow)."""


# family, negated, variables allowed
OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string", False),
    "StringNotEqualsIgnoreCase": ("string", True),
    "StringLike": ("string", False),
    "StringNotLike": ("string", True),
    "NumericEquals": ("numeric", False),
    "NumericNotEquals": ("numeric", True),
    "NumericLessThan": ("numeric", False),
    "NumericLessThanEquals": ("numeric", False),
    "NumericGreaterThan": ("numeric", False),
    "NumericGreaterThanEquals": ("numeric", False),
    "DateEquals": ("date", False),
    "DateNotEquals": ("date", True),
    "DateLessThan": ("date", False),
    "DateLessThanEquals": ("date", False),
    "DateGreaterThan": ("date", False),
    "DateGreaterThanEquals": ("date", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}
_VARIABLE_FAMILIES = frozenset({"string", "arn", "bool"})
_QUALIFIERS = ("ForAllValues:", "ForAnyValue:")


@dataclass(frozen=True, slots=True)
class Var:
    """A policy variable ``${key}`` or ``${key, 'default'}`` inside a template."""

    key: str
    default: str | None = None


#: A template: literal text, STAR / QMARK wildcards and variables.
Template = tuple[str | Var, ...]
_VAR = re.compile(r"\$\{([^}]*)\}")
_VAR_BODY = re.compile(r"\s*([^\s,'}]+)\s*(?:,\s*'([^']*)'\s*)?")


def parse_template(text: str, *, wildcards: bool, variables: bool, where: str) -> Template:
    """Parse a policy string into literal text, wildcards and variables.

    With ``wildcards`` (``StringLike``, ARN operators, Resource elements), ``*``
    and ``?`` become :data:`~rolecall.model.match.STAR` / :data:`~rolecall.model.match.QMARK`.
    With ``variables`` (Version 2012-10-17), ``${…}`` is a variable or escape;
    without, it is literal text.
    """
    parts: list[str | Var] = []

    def literal(chunk: str) -> None:
        if wildcards:
            parts.extend(glob_parts(chunk))
        elif chunk:
            parts.append(chunk)

    if not variables or "${" not in text:  # no variable: the parts are merged already
        return glob_parts(text) if wildcards else ((text,) if text else ())
    pos = 0
    for m in _VAR.finditer(text):
        literal(text[pos : m.start()])
        body = m.group(1)
        if body in ("*", "?", "$"):
            parts.append(body)  # escape: always literal
        else:
            vm = _VAR_BODY.fullmatch(body)
            if vm is None:
                raise MalformedPolicyError(f"invalid policy variable ${{{body}}}", where)
            parts.append(Var(vm.group(1).lower(), vm.group(2)))
        pos = m.end()
    rest = text[pos:]
    if "${" in rest:
        raise MalformedPolicyError(f"unterminated policy variable in {text!r}", where)
    literal(rest)
    return _merge(parts)


def _merge(parts: list[str | Var]) -> Template:
    out: list[str | Var] = []
    for p in parts:
        if out and type(p) is str and type(out[-1]) is str:
            out[-1] = out[-1] + p
        else:
            out.append(p)
    return tuple(out)


def resolve(template: Template, ctx: Context) -> Glob | None:
    """Substitute variables; ``None`` if one has no single value and no default (VARS)."""
    if not any(isinstance(p, Var) for p in template):
        return template  # type: ignore[return-value]
    out: list[str] = []
    for p in template:
        if isinstance(p, Var):
            value = ctx.get(p.key)
            if isinstance(value, tuple):  # only single-valued keys can be variables
                value = None
            if value is None:
                value = p.default
            if value is None:
                return None
            out.append(value)
        else:
            out.append(p)
    return tuple(_merge(out))  # type: ignore[arg-type]


# ---------------------------------------------------------------- value parsing


#: The numbers the model decides with: finite, at most this many significant digits, and a
#: decimal exponent within a double's range. AWS documents no limit for numeric condition values
#: (CONDOPS); a value outside this domain (``1e999999999``, a 4,400-digit decimal, ``1e-100000``)
#: is one no request of a real account compares against, and deciding with it would cost
#: unbounded time and memory (10^999999999). A policy value outside it is refused as malformed,
#: a request value as undecidable: never a decision the model cannot stand behind.
NUMBER_DIGITS = 64
NUMBER_EXPONENT = 308


def parse_number(text: str) -> Decimal | None:
    """A numeric condition value, or ``None`` when it is not a number of the model's domain."""
    t = text.strip()
    if len(t) > NUMBER_DIGITS + 16:  # digits, sign, point and an exponent: anything longer is out
        return None
    try:
        n = Decimal(t)
    except (InvalidOperation, ValueError):
        return None
    if not n.is_finite() or len(n.as_tuple().digits) > NUMBER_DIGITS:
        return None
    return n if n.is_zero() or abs(n.adjusted()) <= NUMBER_EXPONENT else None


_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_EPOCH = re.compile(r"-?\d{1,12}")


def parse_date(text: str) -> datetime | None:
    """W3C ISO 8601 profile or epoch seconds (CONDOPS "Date condition operators")."""
    t = text.strip()
    try:
        if _EPOCH.fullmatch(t) and not _YEAR.fullmatch(t):
            return datetime.fromtimestamp(int(t), tz=UTC)
        if _YEAR.fullmatch(t):
            return datetime(int(t), 1, 1, tzinfo=UTC)
        if _YEAR_MONTH.fullmatch(t):
            return datetime(int(t[:4]), int(t[5:7]), 1, tzinfo=UTC)
        dt = datetime.fromisoformat(t.replace("z", "Z"))
    except (ValueError, OverflowError, OSError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_ip(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An ``IpAddress`` condition value (an address or a CIDR block, host bits allowed), or ``None``."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def parse_binary(text: str) -> bytes | None:
    """A ``BinaryEquals`` condition value (strict base64), or ``None``."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) test of a Condition block, in canonical form.

    ``operator`` is the base operator (``StringLike``); ``qualifier`` is
    ``ForAllValues``/``ForAnyValue`` or ``None``; ``key`` is lower-cased;
    ``values`` are the policy values as canonical strings, sorted and
    de-duplicated (their order and repetition never matter). ``variables``
    records whether ``${…}`` is a variable here (Version 2012-10-17).
    """

    operator: str
    key: str
    values: tuple[str, ...]
    qualifier: str | None = None
    if_exists: bool = False
    variables: bool = True
    _test: Callable[[Context], bool] = field(default=None, compare=False, repr=False, hash=False)  # type: ignore[assignment]

    @property
    def name(self) -> str:
        """The operator as written in a policy (``ForAnyValue:StringLikeIfExists``)."""
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return prefix + self.operator + ("IfExists" if self.if_exists else "")

    def evaluate(self, ctx: Context) -> bool:
        """Evaluate against a request context (lower-cased keys)."""
        return self._test(ctx)


def _compile(cond: Condition, where: str) -> Callable[[Context], bool]:
    family, negated = OPERATORS[cond.operator]
    op = cond.operator
    key = cond.key
    qualifier = cond.qualifier
    if_exists = cond.if_exists

    if family == "null":
        wanted: set[bool] = set()
        for v in cond.values:
            if v.lower() not in ("true", "false"):
                raise MalformedPolicyError(f'Null takes "true" or "false", not {v!r}', where)
            wanted.add(v.lower() == "true")

        def null_test(ctx: Context) -> bool:
            raw = ctx.get(key)
            absent = raw is None or raw == ()
            return absent in wanted

        return null_test

    # one matcher per policy value: request value -> bool; None return from a
    # template means "variable without value".
    value_tests: list[Callable[[str, Context], bool | None]] = []
    variables = cond.variables and family in _VARIABLE_FAMILIES
    for v in cond.values:
        value_tests.append(_value_test(family, op, v, variables=variables, where=where))

    def single(value: str, ctx: Context) -> bool | None:
        hit = False
        for t in value_tests:
            r = t(value, ctx)
            if r is None:
                return None
            hit = hit or r
        return (not hit) if negated else hit

    def test(ctx: Context) -> bool:
        raw = ctx.get(key)
        if raw is None:
            if if_exists or qualifier == "ForAllValues":
                return True
            if qualifier == "ForAnyValue":
                return False
            return negated
        values = raw if isinstance(raw, tuple) else (raw,)
        if qualifier == "ForAllValues":
            results = [single(v, ctx) for v in values]
            return not any(r is None for r in results) and all(results)
        if qualifier == "ForAnyValue":
            results = [single(v, ctx) for v in values]
            return not any(r is None for r in results) and any(results)
        if not values:
            return True if if_exists else negated
        if len(values) > 1:
            raise UndecidableError(
                f"{cond.name} tests the multi-valued key {key!r} without ForAllValues:/ForAnyValue:; "
                "AWS documents no outcome for this (MULTI), so the model will not guess",
                where,
            )
        r = single(values[0], ctx)
        return bool(r) if r is not None else False

    return test


def _value_test(family: str, op: str, v: str, *, variables: bool, where: str) -> Callable[[str, Context], bool | None]:
    """The test of one policy value ``v`` of operator ``op`` against one request value (§4.5): the
    family's own builder of :data:`_VALUE_TESTS`. A malformed policy value is refused here, when the
    policy is read; a request value the operator cannot read is undecidable when it is tested."""
    return _VALUE_TESTS[family](op, v, variables, where)


_ValueTest = Callable[[str, Context], bool | None]


def _string_test(op: str, v: str, variables: bool, where: str) -> _ValueTest:
    """String operators: exact or case-folded equality, or a Like glob; a value without policy
    variables is compiled once (the common case), one with them resolved per request."""
    like = op.endswith("Like")
    ignore_case = op.endswith("IgnoreCase")
    tpl = parse_template(v, wildcards=like, variables=variables, where=where)
    maybe_vars = variables and "${" in v  # else no Var: no walk over the parts of a long value
    static = None if maybe_vars and any(isinstance(p, Var) for p in tpl) else tpl
    if like:
        if static is not None:
            return lambda value, ctx: string_glob_matches(static, value)  # type: ignore[arg-type]
        return _glob_test(tpl, string_glob_matches)
    if static is not None:
        text = "".join(static)  # type: ignore[arg-type]
        if ignore_case:
            folded = text.casefold()
            return lambda value, ctx: value.casefold() == folded
        return lambda value, ctx: value == text

    def eq(value: str, ctx: Context) -> bool | None:
        g = resolve(tpl, ctx)
        if g is None:
            return None
        text = "".join(g)
        return value.casefold() == text.casefold() if ignore_case else value == text

    return eq


def _arn_test(op: str, v: str, variables: bool, where: str) -> _ValueTest:
    """ARN operators: a glob matched segment by segment (§4.4)."""
    return _glob_test(parse_template(v, wildcards=True, variables=variables, where=where), arn_glob_matches)


def _bool_test(op: str, v: str, variables: bool, where: str) -> _ValueTest:
    """Bool: ``true`` or ``false`` (case-insensitive), or a policy variable resolved per request."""
    tpl = parse_template(v, wildcards=False, variables=variables, where=where)
    if not any(isinstance(p, Var) for p in tpl) and v.lower() not in ("true", "false"):
        raise MalformedPolicyError(f'Bool takes "true" or "false", not {v!r}', where)

    def bool_test(value: str, ctx: Context) -> bool | None:
        g = resolve(tpl, ctx)
        return None if g is None else value.lower() == "".join(g).lower()

    return bool_test


def _ordered_test(op: str, v: str, variables: bool, where: str) -> _ValueTest:
    """Numeric and Date operators: the policy value parsed once, the request value per test."""
    numeric = op.startswith("Numeric")
    parse: Callable[[str], Any] = parse_number if numeric else parse_date
    what = (
        f"a number (at most {NUMBER_DIGITS} digits, exponent within ±{NUMBER_EXPONENT})"
        if numeric
        else "an ISO 8601 date or epoch seconds"
    )
    bound = parse(v)
    if bound is None:
        raise MalformedPolicyError(f"{op} needs {what}, not {v!r}", where)
    cmp = _ORDER[op.removeprefix("Numeric" if numeric else "Date")]

    def ordered_test(value: str, ctx: Context) -> bool:
        r = parse(value)
        if r is None:
            raise UndecidableError(f"{op}: request value {value!r} is not {what}", where)
        return cmp(r, bound)

    return ordered_test


def _ip_test(op: str, v: str, variables: bool, where: str) -> _ValueTest:
    """IpAddress / NotIpAddress: an address or CIDR block of the request value's IP version."""
    net = parse_ip(v)
    if net is None:
        raise MalformedPolicyError(f"{op} needs an IP address or CIDR block, not {v!r}", where)

    def ip_test(value: str, ctx: Context) -> bool:
        try:
            addr = ipaddress.ip_address(value.strip())
        except ValueError:
            raise UndecidableError(f"{op}: request value {value!r} is not an IP address", where) from None
        return addr.version == net.version and addr in net

    return ip_test


def _binary_test(op: str, v: str, variables: bool, where: str) -> _ValueTest:
    """BinaryEquals: base64 values compared as bytes."""
    b = parse_binary(v)
    if b is None:
        raise MalformedPolicyError(f"BinaryEquals needs base64, not {v!r}", where)

    def bin_test(value: str, ctx: Context) -> bool:
        r = parse_binary(value)
        if r is None:
            raise UndecidableError(f"BinaryEquals: request value {value!r} is not base64", where)
        return r == b

    return bin_test


_VALUE_TESTS: dict[str, Callable[[str, str, bool, str], _ValueTest]] = {
    "string": _string_test,
    "arn": _arn_test,
    "bool": _bool_test,
    "numeric": _ordered_test,
    "date": _ordered_test,
    "ip": _ip_test,
    "binary": _binary_test,
}
"""Each operator family's builder of value tests (the families of :data:`OPERATORS`)."""


def _glob_test(tpl: Template, matches: Callable[[Glob, str], bool]) -> Callable[[str, Context], bool | None]:
    """A Like / ARN test of one policy value, its variables resolved per request (None: no value)."""

    def test(value: str, ctx: Context) -> bool | None:
        g = resolve(tpl, ctx)
        return None if g is None else matches(g, value)

    return test


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a == b,  # negation applied by the caller
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _canonical_value(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise MalformedPolicyError("condition values must be finite numbers", where)
        if isinstance(v, int) and not -(10**300) < v < 10**300:
            raise MalformedPolicyError("condition value: number too large", where)
        return repr(v) if isinstance(v, float) else str(v)
    raise MalformedPolicyError(f"condition values are strings, numbers or booleans, not {type(v).__name__}", where)


def parse_operator(name: str, where: str) -> tuple[str, str | None, bool]:
    """Split ``ForAnyValue:StringLikeIfExists`` into (base, qualifier, if_exists)."""
    qualifier = None
    base = name
    for q in _QUALIFIERS:
        if base.startswith(q):
            qualifier = q[:-1]
            base = base[len(q) :]
    if_exists = False
    if base.endswith("IfExists") and base != "IfExists":
        base = base[: -len("IfExists")]
        if_exists = True
    if base not in OPERATORS or (base == "Null" and (if_exists or qualifier)):
        raise MalformedPolicyError(f"Invalid Condition type : {name}", where)
    return base, qualifier, if_exists


def make_condition(
    operator: str,
    key: str,
    values: Sequence[str],
    *,
    qualifier: str | None = None,
    if_exists: bool = False,
    variables: bool = True,
    where: str = "$",
) -> Condition:
    """Build (and validate) a canonical condition."""
    cond = Condition(operator, key.lower(), tuple(sorted(set(values))), qualifier, if_exists, variables)
    object.__setattr__(cond, "_test", _compile(cond, where))
    return cond


def parse_condition_block(block: Any, *, variables: bool, where: str) -> tuple[Condition, ...]:
    """Parse a statement's ``Condition`` object into canonical conditions."""
    if not isinstance(block, dict):
        raise MalformedPolicyError("Condition must be an object of operators", where)
    out: list[Condition] = []
    for op_name, keys in block.items():
        op_where = child(where, op_name)
        base, qualifier, if_exists = parse_operator(op_name, op_where)
        if not isinstance(keys, dict) or not keys:
            raise MalformedPolicyError(f"{op_name} must map condition keys to values", op_where)
        seen: set[str] = set()
        for key, raw in keys.items():
            key_where = child(op_where, key)
            if not isinstance(key, str) or not key or len(key) > 256:
                raise MalformedPolicyError("condition keys are non-empty strings", key_where)
            if key.lower() in seen:
                raise MalformedPolicyError(f"condition key {key!r} repeats under {op_name}", key_where)
            seen.add(key.lower())
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                raise MalformedPolicyError("a condition key needs at least one value", key_where)
            values = [_canonical_value(v, key_where) for v in items]
            out.append(
                make_condition(
                    base, key, values, qualifier=qualifier, if_exists=if_exists, variables=variables, where=key_where
                )
            )
    out.sort(key=lambda c: (c.operator, c.qualifier or "", c.if_exists, c.key, c.values))
    # Duplicate identical tests (e.g. after case-folding keys) mean the same thing once.
    deduped: list[Condition] = []
    for c in out:
        if not deduped or deduped[-1] != c:
            deduped.append(c)
    return tuple(deduped)
