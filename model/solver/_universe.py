"""The symbolic universe of a query: every caller and request, as Z3 variables with their domains.

A query (``queries.py``) asks about all AssumeRole requests against a world
whose policies are given. This module builds the :class:`~rolecall.model.solver.encode.Env`
of variables for it, the constraints that keep every assignment a request
the model would accept (R0) and that passes R13, and what :mod:`decode` needs to
turn an assignment back into a scenario. Two frames:

* **trust** (a trust policy is given): the role is fixed; the caller is any IAM
  user, role session or service, in any account; whether the caller's identity
  policy, boundary and session policy allow each action is free (decoded to
  policies that do exactly that);
* **identity** (an identity policy is given): the caller is fixed; the role is
  any role of the caller's partition, trusting the caller's account.

Context keys (R4) are built from the caller and request where the model derives
them, and are free (any value, or a list: decoded into the scenario's
``context``) where a scenario may give them. Lists are bounded: a key tested
``q`` times with ``ForAllValues``/``ForAnyValue`` gets ``q + 1`` slots, enough
for one witness per test (a larger set only adds elements no test
distinguishes), and two when an unqualified test could meet a list.

Stated limits of the universe (an answer holds within them): the caller's and
the request's tag keys are ASCII; a transitive tag key is spelt exactly as its
tag; a service principal never presents MFA; a number has at most one more
decimal than the policy's numbers. A construct the encoding cannot state
exactly raises :class:`~rolecall.model.solver.encode.Unsupported` (the answer is
``Unknown``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import z3

from ..conditions import OPERATORS, Template, Var, parse_template
from ..policy import Policy, PolicyKind
from ._re import ANY_RUN, fold_regex
from .encode import (
    SERVICE,
    SESSION,
    USER,
    ArnTerm,
    Caller,
    Env,
    KeyState,
    RoleTerms,
    Unsupported,
)

__all__ = [
    "Assignment",
    "Frame",
    "Pool",
    "PooledModel",
    "Universe",
    "entry_fields",
    "observed_fields",
    "referenced_keys",
]

_RS = z3.ReSort(z3.StringSort())


def _chars(spec: str) -> z3.ReRef:
    """One character of a class written like ``a-zA-Z0-9_+=,.@-`` (``-`` last is literal)."""
    pieces: list[z3.ReRef] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            pieces.append(z3.Range(spec[i], spec[i + 2]))
            i += 3
        else:
            pieces.append(z3.Re(z3.StringVal(spec[i])))
            i += 1
    return pieces[0] if len(pieces) == 1 else z3.Union(*pieces)


_NAME_CHARS = _chars("a-zA-Z0-9_+=,.@-")

#: A bounded repetition as Z3 handles it best: membership in a starred class plus a length
#: range (``Loop(c, lo, hi)`` unrolls into large automata, and string search slows down badly).
_Bounded = tuple[z3.ReRef, int, int]


def _within(term: z3.SeqRef, domain: _Bounded, *, strict: bool = False) -> z3.BoolRef:
    """``term`` is ``lo`` to ``hi`` characters of the class. Without ``strict`` the upper bound is
    left out: length bounds make Z3's string search erratic (seconds instead of milliseconds),
    and leaving one out only enlarges the universe, which keeps proofs sound; the strict form is
    added when a decoded value turned out too long (``queries._Query.find``)."""
    chars, lo, hi = domain
    if lo == hi:  # fixed width (account ids): position by position searches far better than a star
        return z3.And(z3.Length(term) == lo, *[z3.InRe(z3.SubString(term, i, 1), chars) for i in range(lo)])
    at_least = z3.Concat(*([chars] * lo), z3.Star(chars)) if lo else z3.Star(chars)
    if not strict:
        return z3.InRe(term, at_least)
    return z3.And(z3.InRe(term, z3.Star(chars)), z3.Length(term) >= lo, z3.Length(term) <= hi)


_NAME: _Bounded = (_NAME_CHARS, 1, 64)
_SESSION_NAME: _Bounded = (_NAME_CHARS, 2, 64)
_EXTERNAL_ID: _Bounded = (_chars("a-zA-Z0-9_+=,.@:/-"), 2, 1224)
_PATH = z3.Union(z3.Re("/"), z3.Concat(z3.Re("/"), z3.Star(z3.Range("!", "~")), z3.Re("/")))
_ACCOUNT: _Bounded = (z3.Range("0", "9"), 12, 12)
_ALICE, _APP_ROLE = z3.StringVal("alice"), z3.StringVal("app-role")
#: An IAM path and a name as one string: "/" or "/.../", then 1-64 name characters.
_PATH_NAME = z3.Concat(
    z3.Union(z3.Re("/"), z3.Concat(z3.Re("/"), z3.Star(z3.Range("!", "~")), z3.Re("/"))), z3.Plus(_NAME_CHARS)
)
_PATH_NAME_STRICT = z3.Concat(
    z3.Union(z3.Re("/"), z3.Concat(z3.Re("/"), z3.Star(z3.Range("!", "~")), z3.Re("/"))), z3.Loop(_NAME_CHARS, 1, 64)
)
_UNIQUE = z3.Concat(z3.Union(z3.Re("AIDA"), z3.Re("AROA")), z3.Plus(_chars("A-Z0-9")))
_UNIQUE_LENGTH = (16, 25)
_SERVICE = z3.Concat(
    _chars("a-z0-9"),
    z3.Star(_chars("a-z0-9.-")),
    z3.Re(".amazonaws.com"),
    z3.Option(z3.Re(".cn")),
)
_TAG_CHARS = _chars("a-zA-Z0-9 _.:/=+@-")
_TAG_KEY: _Bounded = (_TAG_CHARS, 1, 128)
_TAG_VALUE: _Bounded = (_TAG_CHARS, 0, 256)
#: Free context values: any text of the policy alphabet.
_FREE = z3.Star(z3.Union(z3.Re("\t"), z3.Re("\n"), z3.Re("\r"), z3.Range(" ", "\u00ff")))
_AWS_PREFIX = z3.Concat(fold_regex("aws:", str.lower), ANY_RUN)

#: Keys the model derives from the caller, the role or the request (R4; scenario.py refuses them in context).
_CALLER_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
        "aws:principalisawsservice",
        "aws:principalservicename",
    }
)
_ALWAYS_PRESENT = frozenset({"aws:securetransport", "aws:requestedregion", "aws:currenttime", "aws:epochtime"})
_SINGLE_FREE = frozenset({"aws:currenttime", "aws:epochtime"})
_TYPED = ("numeric", "date", "ip", "binary")


def referenced_keys(policies: Iterable[Policy]) -> dict[str, dict[str, int]]:
    """Every context key the policies read, with how: family -> number of tests
    (``"qualified"`` counts ForAllValues/ForAnyValue tests, ``"variable"`` uses as ``${key}``)."""
    out: dict[str, dict[str, int]] = {}

    def note(key: str, how: str) -> None:
        uses = out.setdefault(key, {})
        uses[how] = uses.get(how, 0) + 1

    seen_tests: set[object] = set()
    for policy in policies:
        for st in policy.statements:
            for text in st.resources or st.not_resources:
                for part in parse_template(text, wildcards=True, variables=st.variables, where="$"):
                    if isinstance(part, Var):
                        note(part.key, "variable")
            for cond in st.conditions:
                family, _ = OPERATORS[cond.operator]
                note(cond.key, family)
                if cond in seen_tests:
                    continue  # the same test twice needs no second witness
                seen_tests.add(cond)
                if cond.qualifier is not None:
                    note(cond.key, "qualified")
                elif family != "null":
                    note(cond.key, "unqualified")
                if cond.variables and family in ("string", "arn", "bool"):
                    for v in cond.values:
                        for part in parse_template(v, wildcards=False, variables=True, where="$"):
                            if isinstance(part, Var):
                                note(part.key, "variable")
    return out


#: Which fields of the caller and request each context key reads (R4).
_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "aws:principalarn": ("path", "name"),
    "aws:userid": ("uid", "session"),
    "aws:username": ("name", "name_alone"),
    "aws:principalservicename": ("service",),
    "sts:rolesessionname": ("session_name",),
    "sts:externalid": ("external_id",),
    "sts:sourceidentity": ("source_identity",),
    "aws:sourceidentity": ("caller_source",),
}


def observed_fields(policies: Iterable[Policy], refs: dict[str, dict[str, int]]) -> set[str]:
    """The caller and request fields some policy can tell apart: through a principal entry or a
    context key. Every other field is fixed to one valid value in the universe, which loses
    nothing: no policy (and no query goal, see :attr:`Frame.observe`) reads it, so every value
    decides alike. This keeps Z3 away from string constraints nothing depends on."""
    seen: set[str] = set()
    for key in refs:
        seen.update(_KEY_FIELDS.get(key, ()))
    for policy in policies:
        for st in policy.statements:
            if st.principal is None:
                continue
            if st.principal.service:
                seen.add("service")
            for e in st.principal.aws:
                seen.update(entry_fields(e))
    return seen


def entry_fields(entry: str) -> tuple[str, ...]:
    """The caller fields a principal entry compares (besides kind, partition and account)."""
    if entry.startswith(("AIDA", "AROA")):
        return ("uid",)
    if ":user/" in entry or ":role/" in entry:
        return ("path", "name")
    if ":assumed-role/" in entry:
        return ("name", "name_alone", "session")
    if ":federated-user/" in entry:
        return ("name", "name_alone")
    if entry.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return ("service",)
    return ()


class Assignment(Protocol):
    """Values for a universe's variables: a Z3 model, or a :class:`PooledModel`."""

    def eval(self, t: Any, model_completion: bool = False) -> Any: ...


class PooledModel:
    """A model of the pool universe read as a model of the universe (each string variable is
    the value its pooled term takes, see :meth:`Universe.pooled`)."""

    def __init__(self, m: z3.ModelRef, pooled: list[tuple[z3.SeqRef, z3.SeqRef]]) -> None:
        self.m = m
        values = [(var, m.eval(term, model_completion=True)) for var, term in pooled]
        # z3.substitute checks the sorts of every pair on every call; decoding evaluates dozens
        # of terms, so the arrays are built once and Z3's C function is called directly
        self._keep = values
        self._n = len(values)
        self._from = (z3.Ast * self._n)(*[v.as_ast() for v, _ in values])
        self._to = (z3.Ast * self._n)(*[x.as_ast() for _, x in values])

    def eval(self, t: Any, model_completion: bool = False) -> Any:
        if self._n:
            ctx = t.ctx
            t = z3.ExprRef(z3.Z3_substitute(ctx.ref(), t.as_ast(), self._n, self._from, self._to), ctx)
        return self.m.eval(t, model_completion=model_completion)


@dataclass(frozen=True)
class Frame:
    """What a query fixes. ``mode`` is ``trust`` or ``identity``; in trust mode ``role_arn``
    names the role; in identity mode ``caller_arn`` names the caller."""

    mode: str
    policies: tuple[Policy, ...]
    role_arn: str = "arn:aws:iam::111122223333:role/rolecall-role"
    caller_arn: str = "arn:aws:iam::111122223333:user/rolecall-caller"
    free_side: bool = True
    """In the trust frame: the caller's own side is free (else the World's identity policies)."""
    observe: tuple[str, ...] = ()
    """Fields a query's own goal reads besides the policies (see :func:`observed_fields`)."""


@dataclass
class _Free:
    """A free context key: count, is-tuple flag, slots, and typed readings per slot."""

    count: z3.ArithRef
    is_tuple: z3.BoolRef
    slots: list[z3.SeqRef]
    typed_family: str | None = None
    typed: dict[int, tuple[z3.BoolRef, Any]] = field(default_factory=dict)


class Universe:
    """Variables, domain constraints and the Env of one query (see the module docstring)."""

    def __init__(self, frame: Frame, tag: str = "") -> None:
        self.frame = frame
        self.tag = tag
        self.constraints: list[z3.BoolRef] = []
        self.strings: list[tuple[z3.SeqRef, str | None, tuple[str, ...]]] = []
        """Every string variable, with where its values come from in :meth:`pooled`."""
        self.strict: list[z3.BoolRef] = []
        """Constraints that only keep decoded values well-formed, added on demand (see the tags)."""
        self.refs = referenced_keys(frame.policies)
        self._check_typed_usage()
        self.observed = observed_fields(frame.policies, self.refs) | set(frame.observe)
        from ..arn import RoleArn, parse_caller_arn, parse_role_arn

        if frame.mode == "trust":
            role = parse_role_arn(frame.role_arn)
            self.role_fixed: RoleArn | None = role
            self.role = RoleTerms(*(z3.StringVal(v) for v in (role.partition, role.account, role.path, role.name)))
            self.partition = role.partition
            self.caller = self._symbolic_caller()
            self.caller_fixed: Any = None
        else:
            principal = parse_caller_arn(frame.caller_arn)
            self.caller_fixed = principal
            self.partition = principal.partition
            from .concrete import caller_terms

            self.caller = caller_terms(principal)
            self.role_fixed = None
            self.role = self._symbolic_role()
        self.need_tag = z3.Bool(self._n("need_tag"))
        self.need_source = z3.Bool(self._n("need_source"))
        self.free: dict[str, _Free] = {}
        self.side_vars: dict[tuple[PolicyKind, str], tuple[z3.BoolRef, z3.BoolRef]] = {}
        self.principal_tags: dict[str, tuple[z3.BoolRef, z3.SeqRef]] = {}
        self.role_tags: dict[str, tuple[z3.BoolRef, z3.SeqRef]] = {}
        self.inherit: dict[str, z3.BoolRef] = {}
        self._keys: dict[str, KeyState] = {}
        self._build_request()
        self.env = Env(
            caller=self.caller,
            role=self.role,
            need_tag=self.need_tag,
            need_source=self.need_source,
            key=self.key,
            side=self._side if frame.mode == "trust" and frame.free_side else None,
        )

    # ------------------------------------------------------------------ names

    def _n(self, name: str) -> str:
        return f"{self.tag}{name}"

    def _str(self, name: str, *keys: str, category: str | None = None) -> z3.SeqRef:
        """A string variable. In the pool universe (:meth:`pooled`) it takes the values of a
        category of fields, or those of the conditions on ``keys``."""
        term = z3.String(self._n(name))
        self.strings.append((term, category, keys))
        return term

    def _domain(self, guard: z3.BoolRef, term: z3.SeqRef, domain: _Bounded) -> z3.BoolRef:
        """The domain of ``term`` where ``guard`` holds: the loose form now, the strict one on demand."""
        self.strict.append(z3.Implies(guard, _within(term, domain, strict=True)))
        return _within(term, domain)

    def _in(self, term: z3.SeqRef, regex: z3.ReRef) -> None:
        self.constraints.append(z3.InRe(term, regex))

    # ------------------------------------------------------------------ usage

    def _check_typed_usage(self) -> None:
        for key, uses in self.refs.items():
            typed: list[str] = [f for f in _TYPED if f in uses]
            other: list[str] = [f for f in ("string", "arn", "bool", "variable") if f in uses]
            if len(typed) > 1 or (typed and other):
                raise Unsupported(
                    f"the key {key!r} is tested both as {' and '.join(typed + other)}; the universe reads each "
                    "key one way"
                )

    def _family(self, key: str) -> str | None:
        uses = self.refs.get(key, {})
        return next((f for f in _TYPED if f in uses), None)

    # ------------------------------------------------------------------ caller and role

    def _symbolic_caller(self) -> Caller:
        seen = self.observed
        k = z3.Int(self._n("kind"))
        user = k == USER

        def field(name: str, default: z3.SeqRef) -> z3.SeqRef:
            return self._str(name, category="name" if name == "session" else name) if name in seen else default

        # Path and name as one string ("/a/b/" + "name") where nothing reads the name alone: Z3
        # searches one string under one pattern far better than two under their concatenation.
        self.joined = "path" in seen and "name_alone" not in seen
        c = Caller(
            kind=k,
            creds=z3.Int(self._n("creds")),
            partition=z3.StringVal(self.partition),
            account=self._str("account", category="account"),
            path=self._str("pathname", category="pathname") if self.joined else field("path", z3.StringVal("/")),
            name=z3.StringVal("")
            if self.joined
            else field("name", z3.If(user, z3.StringVal("alice"), z3.StringVal("app-role"))),
            session=field("session", z3.StringVal("app-session")),
            uid=field("uid", z3.If(user, z3.StringVal("AIDAEXAMPLEUSER001"), z3.StringVal("AROAEXAMPLEROLE001"))),
            service=field("service", z3.StringVal("ec2.amazonaws.com")),
        )
        iam = [_within(c.account, _ACCOUNT)]
        if self.joined:
            iam.append(z3.InRe(c.path, _PATH_NAME))
            self.strict.append(
                z3.Implies(k != SERVICE, z3.And(z3.InRe(c.path, _PATH_NAME_STRICT), z3.Length(c.path) <= 576))
            )
        else:
            if "path" in seen:
                iam.append(z3.InRe(c.path, _PATH))
                self.strict.append(z3.Implies(k != SERVICE, z3.Length(c.path) <= 512))
            if "name" in seen:
                iam.append(self._domain(k != SERVICE, c.name, _NAME))
        if "uid" in seen:
            lo, hi = _UNIQUE_LENGTH
            iam += [z3.InRe(c.uid, _UNIQUE), z3.Length(c.uid) >= lo, z3.Length(c.uid) <= hi]
        self.constraints += [
            z3.Or(k == USER, k == SESSION, k == SERVICE),
            z3.Implies(k == USER, z3.Or(c.creds == 0, c.creds == 1)),
            z3.Implies(k == SESSION, c.creds == 2),
            z3.Implies(k == SERVICE, c.creds == 0),
            z3.Implies(k != SERVICE, z3.And(*iam)),
        ]
        if "service" in seen:
            self.constraints.append(z3.Implies(k == SERVICE, z3.InRe(c.service, _SERVICE)))
        if "session" in seen:
            self.constraints.append(z3.Implies(k == SESSION, self._domain(k == SESSION, c.session, _SESSION_NAME)))
        return c

    def _symbolic_role(self) -> RoleTerms:
        # the path and name as one string (see the caller's); decode splits it at the last "/"
        role = RoleTerms(
            z3.StringVal(self.partition),
            self._str("role_account", category="account"),
            self._str("role_pathname", category="pathname"),
            z3.StringVal(""),
        )
        self.constraints.append(_within(role.account, _ACCOUNT))
        self._in(role.path, _PATH_NAME)
        self.strict.append(z3.And(z3.InRe(role.path, _PATH_NAME_STRICT), z3.Length(role.path) <= 576))
        return role

    def _side(self, kind: PolicyKind, action: str) -> tuple[z3.BoolRef, z3.BoolRef]:
        """Free caller side: (the caller has this policy, it allows the action)."""
        key = (kind, action)
        if key not in self.side_vars:
            name = kind.name.lower()
            present = z3.BoolVal(True) if kind is PolicyKind.IDENTITY else z3.Bool(self._n(f"has_{name}"))
            if kind is PolicyKind.SESSION and not z3.is_true(present):
                self.constraints.append(z3.Implies(present, self.caller.kind == SESSION))
            allows = z3.Bool(self._n(f"{name}_allows_{action.split(':')[1]}"))
            self.side_vars[key] = (present, allows)
        return self.side_vars[key]

    # ------------------------------------------------------------------ context

    def key(self, name: str) -> KeyState:
        """The state of a context key (built on first use; unreferenced keys are never asked)."""
        if name not in self._keys:
            self._keys[name] = self._make_key(name)
        return self._keys[name]

    def free_key(self, name: str) -> KeyState:
        """A context key every value of which is possible, whatever :meth:`key` derives for ``name`` in
        the AssumeRole door's world (the federated frame's ``sts:RoleAuthorizedByIdP``, which no AWS
        caller sets): built once, shared with :meth:`key` from then on."""
        if name not in self._keys:
            self._keys[name] = self._free_key(name)
        return self._keys[name]

    def _single(self, present: z3.BoolRef, value: z3.SeqRef, key: str) -> KeyState:
        count = z3.If(present, z3.IntVal(1), z3.IntVal(0))
        typed = self._typed_reader(key, [value])
        return KeyState(count, z3.BoolVal(False), (value,), typed)

    def _typed_reader(self, key: str, slots: list[z3.SeqRef]) -> Any:
        family = self._family(key)
        constant = [s.as_string() if z3.is_string_value(s) else None for s in slots]
        readings: dict[int, tuple[z3.BoolRef, Any]] = {}

        def typed(j: int, fam: str) -> tuple[z3.BoolRef, Any]:
            if constant[j] is not None:
                from .encode import parse_typed

                ok, v = parse_typed(fam, constant[j])  # type: ignore[arg-type]
                return z3.BoolVal(ok), v
            if family != fam or key not in self.free:
                raise Unsupported(f"{fam} test of {key!r}, whose value the universe builds as text")
            if j not in readings:
                readings[j] = self._typed_vars(key, j, fam)
                self.free[key].typed[j] = readings[j]
            return readings[j]

        return typed

    def _typed_vars(self, key: str, j: int, family: str) -> tuple[z3.BoolRef, Any]:
        ok = z3.Bool(self._n(f"{key}#{j}:ok"))
        if family == "numeric":
            n = z3.Int(self._n(f"{key}#{j}:num"))
            return ok, z3.ToReal(n) / (10 ** self._decimals(key))
        if family == "date":
            n = z3.Int(self._n(f"{key}#{j}:usec"))
            self.constraints.append(z3.And(n >= -62135596800 * 10**6, n <= 253402300799 * 10**6))
            return ok, z3.ToReal(n) / 10**6
        if family == "ip":
            version, number = z3.Int(self._n(f"{key}#{j}:ipv")), z3.Int(self._n(f"{key}#{j}:ip"))
            self.constraints.append(
                z3.Or(
                    z3.And(version == 4, number >= 0, number < 2**32),
                    z3.And(version == 6, number >= 0, number < 2**128),
                )
            )
            return ok, (version, number)
        data = z3.String(self._n(f"{key}#{j}:bytes"))
        self._in(data, z3.Star(z3.Range("\x00", "\u00ff")))
        return ok, data

    def _decimals(self, key: str) -> int:
        """One more decimal than the policy numbers tested against this key (enough for a witness
        strictly between any two of them)."""
        from ..conditions import parse_number

        most = 0
        for policy in self.frame.policies:
            for st in policy.statements:
                for cond in st.conditions:
                    if cond.key == key and OPERATORS[cond.operator][0] == "numeric":
                        for v in cond.values:
                            n = parse_number(v)
                            if n is not None:
                                most = max(most, -n.as_tuple().exponent if n.as_tuple().exponent < 0 else 0)  # type: ignore[operator]
        return most + 1

    def _free_key(self, key: str) -> KeyState:
        uses = self.refs.get(key, {})
        slots_n = uses.get("qualified", 0) + (2 if uses.get("unqualified") else 1)
        if key in _SINGLE_FREE:
            slots_n = 1
        count = z3.Int(self._n(f"{key}#count"))
        is_tuple = z3.Bool(self._n(f"{key}#tuple"))
        slots = [self._str(f"{key}#{j}", key) for j in range(slots_n)]
        lo = 1 if key in _ALWAYS_PRESENT else 0
        self.constraints += [count >= lo, count <= slots_n]
        if key in _SINGLE_FREE:
            self.constraints.append(z3.Not(is_tuple))
        if self._family(key) is None:  # a typed key's text is never read: it is decoded from its reading
            # the policy alphabet keeps decoded values printable; like length bounds it slows the search,
            # so it is added only when a decoded value was not (``queries._Query.find``)
            self.strict += [z3.InRe(s, _FREE) for s in slots]
        self.free[key] = _Free(count, is_tuple, slots, self._family(key))
        return KeyState(count, is_tuple, tuple(slots), self._typed_reader(key, slots))

    def _make_key(self, key: str) -> KeyState:
        """The state of one context key (the model's ``request_context``): the caller's keys, tag keys,
        the request's parameters, nothing for a derived key nothing derives, else a free key the
        context may give."""
        if key in _CALLER_KEYS:
            return self._caller_key(key)
        if key == "aws:resourceaccount":
            return self._single(z3.BoolVal(True), self.role.account, key)
        state = self._tag_key(key) or self._request_key(key)
        if state is not None:
            return state
        if key.startswith(("sts:", "aws:requesttag/", "aws:resourcetag/", "aws:principaltag/")):
            return KeyState(z3.IntVal(0), z3.BoolVal(False), (), _nothing)  # derived, and nothing derives it
        return self._free_key(key)  # aws:PrincipalOrgID too: no organization in a query's world

    def _caller_key(self, key: str) -> KeyState:
        """A key of the caller (GKEYS): its ARN (with the fields the structured matcher reads when the
        account is symbolic), account, type, user id and name, whether it is a service, which one."""
        c = self.caller
        kind = c.kind
        iam = kind != SERVICE
        arn_type = z3.If(kind == USER, z3.StringVal(":user"), z3.StringVal(":role"))
        values: dict[str, tuple[z3.BoolRef, z3.SeqRef]] = {
            "aws:principalarn": (
                iam,
                z3.Concat(
                    z3.StringVal("arn:"), c.partition, z3.StringVal(":iam::"), c.account, arn_type, c.path, c.name
                ),
            ),
            "aws:principalaccount": (iam, c.account),
            "aws:principaltype": (iam, z3.If(kind == USER, z3.StringVal("User"), z3.StringVal("AssumedRole"))),
            "aws:userid": (iam, z3.If(kind == USER, c.uid, z3.Concat(c.uid, z3.StringVal(":"), c.session))),
            "aws:username": (kind == USER, c.name),
            "aws:principalisawsservice": (
                z3.BoolVal(True),
                z3.If(iam, z3.StringVal("false"), z3.StringVal("true")),
            ),
            "aws:principalservicename": (kind == SERVICE, c.service),
        }
        present, value = values[key]
        state = self._single(z3.simplify(present), z3.simplify(value), key)
        if key == "aws:principalarn" and not z3.is_string_value(c.account):
            resources = (
                (kind == USER, "user", c.path, c.name),
                (kind != USER, "role", c.path, c.name),
            )
            at = ArnTerm(f"arn:{self.partition}:iam:", c.account, resources)
            state = KeyState(state.count, state.is_tuple, state.slots, state.typed, (at,))
        return state

    def _tag_key(self, key: str) -> KeyState | None:
        """``aws:PrincipalTag/k``; ``aws:ResourceTag/k``, the role's tag or, for a session of the role,
        one the caller's tags pass on (``inherit``); ``aws:RequestTag/k`` of a named tag slot."""
        if key.startswith("aws:principaltag/"):
            present, value = self._principal_tag(key.split("/", 1)[1])
            return self._single(present, value, key)
        if key.startswith("aws:resourcetag/"):
            k = key.split("/", 1)[1]
            role_present, role_value = self._role_tag(k)
            inherit = z3.Bool(self._n(f"inherit:{k}"))
            ptag_present, ptag_value = self._principal_tag(k)
            self.inherit[k] = inherit
            self.constraints.append(z3.Implies(inherit, z3.And(self.caller.kind == SESSION, ptag_present)))
            return self._single(z3.Or(inherit, role_present), z3.If(inherit, ptag_value, role_value), key)
        if key.startswith("aws:requesttag/"):
            active, _, tag_value = self.tags[self.tag_slot[key.split("/", 1)[1]]]
            return self._single(active, tag_value, key)
        return None

    def _request_key(self, key: str) -> KeyState | None:
        """A key of the request's parameters (STSKEYS): source identity, MFA, session name, ExternalId,
        the tag keys and transitive tag keys."""
        singles: dict[str, Callable[[], tuple[z3.BoolRef, z3.SeqRef]]] = {
            "aws:sourceidentity": lambda: self.caller_source,
            "aws:multifactorauthpresent": lambda: (self.mfa_present, self.mfa_value),
            "sts:rolesessionname": lambda: (z3.BoolVal(True), self.session_name),
            "sts:externalid": lambda: (self.external_present, self.external_id),
            "sts:sourceidentity": lambda: (self.need_source, self.source_identity),
        }
        if key in singles:
            present, value = singles[key]()
            return self._single(present, value, key)
        if key == "aws:tagkeys":
            return KeyState(
                self.n_tags,
                z3.BoolVal(True),
                tuple(k for _, k, _ in self.tags),
                self._typed_reader(key, [k for _, k, _ in self.tags]),
                active=tuple(a for a, _, _ in self.tags),
            )
        if key == "sts:transitivetagkeys":
            return KeyState(
                self.n_transitive,
                z3.BoolVal(True),
                tuple(self.transitive),
                self._typed_reader(key, list(self.transitive)),
            )
        return None

    def _principal_tag(self, k: str) -> tuple[z3.BoolRef, z3.SeqRef]:
        if k not in self.principal_tags:
            present = z3.Bool(self._n(f"ptag:{k}"))
            value = self._str(f"ptag:{k}=", f"aws:principaltag/{k}", f"aws:resourcetag/{k}")
            self.constraints.append(
                z3.Implies(present, z3.And(self.caller.kind != SERVICE, self._domain(present, value, _TAG_VALUE)))
            )
            self.principal_tags[k] = (present, value)
        return self.principal_tags[k]

    def _role_tag(self, k: str) -> tuple[z3.BoolRef, z3.SeqRef]:
        if k not in self.role_tags:
            present, value = z3.Bool(self._n(f"rtag:{k}")), self._str(f"rtag:{k}=", f"aws:resourcetag/{k}")
            self.constraints.append(z3.Implies(present, self._domain(present, value, _TAG_VALUE)))
            self.role_tags[k] = (present, value)
        return self.role_tags[k]

    # ------------------------------------------------------------------ the request

    def _build_request(self) -> None:
        """The request's parameters a policy can read, as free terms (only those ``observed``):
        session name and ExternalId, source identity, MFA, session tags, transitive keys."""
        self._build_session_name_and_external_id()
        self._build_source_identity()
        self._build_mfa()
        self._build_tags()
        self._build_transitive_keys()

    def _build_session_name_and_external_id(self) -> None:
        """RoleSessionName (``sts:RoleSessionName``) and ExternalId, free only where a policy reads them."""
        seen = self.observed
        if "session_name" in seen:
            self.session_name = self._str("session_name", "sts:rolesessionname")
            self.constraints.append(self._domain(z3.BoolVal(True), self.session_name, _SESSION_NAME))
        else:
            self.session_name = z3.StringVal("rolecall-session")
        self.external_present = z3.Bool(self._n("has_external_id"))
        self.external_id = self._str("external_id", "sts:externalid")
        if "external_id" in seen:
            self.constraints.append(
                z3.Implies(self.external_present, self._domain(self.external_present, self.external_id, _EXTERNAL_ID))
            )
        else:
            self.external_present, self.external_id = z3.BoolVal(False), z3.StringVal("")

    def _build_source_identity(self) -> None:
        """The request's SourceIdentity and the caller's own (role sessions only; a chain keeps it, R13)."""
        c, seen = self.caller, self.observed
        if "source_identity" in seen or "caller_source" in seen:
            self.source_identity = self._str("source_identity", "sts:sourceidentity", "aws:sourceidentity")
            self.constraints.append(
                z3.Implies(self.need_source, self._domain(self.need_source, self.source_identity, _SESSION_NAME))
            )
        else:
            self.source_identity = z3.StringVal("rolecall-source")
        if "caller_source" in seen:
            present = z3.Bool(self._n("caller_source"))
            value = self._str("caller_source=", "sts:sourceidentity", "aws:sourceidentity")
            self.constraints.append(
                z3.Implies(present, z3.And(c.kind == SESSION, self._domain(present, value, _SESSION_NAME)))
            )
            self.constraints.append(z3.Implies(z3.And(present, self.need_source), value == self.source_identity))
        else:
            present, value = z3.BoolVal(False), z3.StringVal("")
        self.caller_source = (present, value)

    def _build_mfa(self) -> None:
        """``aws:MultiFactorAuthPresent`` as a small integer (GKEYS)."""
        c = self.caller
        # MFA (GKEYS): absent for long-term keys without MFA, "false" for temporary credentials
        # 0 absent, 1 "true", 2 "false": a small integer, not a string, keeps the search easy
        self.mfa = z3.Int(self._n("mfa"))
        self.mfa_present = self.mfa != 0
        self.mfa_value = z3.If(self.mfa == 1, z3.StringVal("true"), z3.StringVal("false"))
        self.constraints += [
            self.mfa >= 0,
            self.mfa <= 2,
            z3.Implies(self.mfa == 0, z3.And(c.kind != SESSION, c.creds == 0)),
            z3.Implies(self.mfa == 2, z3.Or(c.creds == 1, c.creds == 2)),
            z3.Implies(c.kind == SERVICE, self.mfa == 0),
        ]

    def _build_tags(self) -> None:
        """Session tags: a slot per tag key a policy names, plus the slots ``aws:TagKeys`` tests need."""
        # Tags: slots only when a policy reads them. Each tag key a policy names (aws:RequestTag/k) has a
        # slot of its own, holding k in any case; the other slots hold keys no policy names, one per
        # test of aws:TagKeys (a witness each) and one more. So no slot can clash with another by case.
        tag_refs = sorted(k.split("/", 1)[1] for k in self.refs if k.startswith("aws:requesttag/"))
        tagkey_tests = sum(
            self.refs.get(k, {}).get(u, 0)
            for k in ("aws:tagkeys", "sts:transitivetagkeys")
            for u in ("qualified", "unqualified")
        )
        reads_keys = "aws:tagkeys" in self.refs or "sts:transitivetagkeys" in self.refs
        extra = min(50 - len(tag_refs), tagkey_tests + 1) if reads_keys else 0
        self.tags: list[tuple[z3.BoolRef, z3.SeqRef, z3.SeqRef]] = []
        self.tag_slot: dict[str, int] = {}
        named = [fold_regex(k, str.lower) for k in tag_refs]
        _, key_lo, _ = _TAG_KEY
        for i in range(len(tag_refs) + extra):
            named_key = (f"aws:requesttag/{tag_refs[i]}",) if i < len(tag_refs) else ()
            active = z3.Bool(self._n(f"tag{i}"))
            key = self._str(f"tag{i}:key", "aws:tagkeys", "sts:transitivetagkeys")
            value = self._str(f"tag{i}:value", *named_key)
            bounds = [z3.Length(key) >= key_lo, z3.Not(z3.InRe(key, _AWS_PREFIX))]
            if i < len(tag_refs):
                self.tag_slot[tag_refs[i]] = i
                bounds.append(z3.InRe(key, named[i]))
            else:
                bounds += [z3.Not(z3.InRe(key, r)) for r in named]
                if i > len(tag_refs):
                    self.constraints.append(z3.Implies(active, self.tags[-1][0]))
                for other_active, other_key, _ in self.tags[len(tag_refs) :]:
                    self.constraints.append(z3.Implies(z3.And(active, other_active), other_key != key))
            self.constraints.append(z3.Implies(active, z3.And(*bounds)))
            # The character classes and length bounds make Z3's search erratic; they only keep a decoded
            # tag valid, so they are added when a decoded tag was not (see queries._Query.find): leaving
            # them out enlarges the universe, which keeps proofs sound.
            self.strict.append(
                z3.Implies(active, z3.And(_within(key, _TAG_KEY, strict=True), _within(value, _TAG_VALUE, strict=True)))
            )
            self.tags.append((active, key, value))
        if self.tags:
            self.n_tags = z3.Sum(*[z3.If(a, 1, 0) for a, _, _ in self.tags])
            self.constraints.append(self.need_tag == (self.n_tags >= 1))
            sizes = [z3.If(a, z3.Length(k) + z3.Length(v), 0) for a, k, v in self.tags]
            self.constraints.append(z3.Sum(*sizes) <= 900)  # far below the packed-size band (R13)
        else:
            self.n_tags = z3.IntVal(0)

    def _build_transitive_keys(self) -> None:
        """Transitive tag keys: a subset of the tag keys, one slot per test of them, plus one."""
        # transitive keys: a subset of the tag keys
        t = (
            (self.refs.get("sts:transitivetagkeys", {}).get("qualified", 0) + 1)
            if "sts:transitivetagkeys" in self.refs
            else 0
        )
        self.transitive: list[z3.SeqRef] = []
        self.transitive_active: list[z3.BoolRef] = []
        for j in range(min(t, len(self.tags))):
            active = z3.Bool(self._n(f"transitive{j}"))
            key = self._str(f"transitive{j}", "aws:tagkeys", "sts:transitivetagkeys")
            self.constraints.append(z3.Implies(active, z3.Or(*[z3.And(a, k == key) for a, k, _ in self.tags])))
            if self.transitive_active:
                self.constraints.append(z3.Implies(active, self.transitive_active[-1]))
            for other in self.transitive:
                self.constraints.append(z3.Implies(active, other != key))
            self.transitive.append(key)
            self.transitive_active.append(active)
        self.n_transitive = (
            z3.Sum(*[z3.If(a, 1, 0) for a in self.transitive_active]) if self.transitive else z3.IntVal(0)
        )

    def pooled(self) -> list[tuple[z3.SeqRef, z3.SeqRef]]:
        """The pool universe: each string variable paired with a term that takes one of the
        policies' own values (:class:`Pool`), chosen by a fresh integer selector.

        Substituted into a formula and simplified, every test of a string against a constant,
        a pattern or another pooled string becomes a test of selectors (Z3's rewriter evaluates
        each test on each value), so no string search is left: Z3 answers in milliseconds where
        its string solver can take seconds. It is an under-approximation, a part of the
        universe: a model of it is a model of the universe, and ``unsat`` proves nothing
        (``queries._Query.solve`` then searches the whole universe).
        """
        pool = Pool(self.frame)
        out = []
        for i, (var, category, keys) in enumerate(self.strings):
            values = pool.values(category, keys)
            selector = z3.Int(self._n(f"pool!{i}"))
            term: z3.SeqRef = z3.StringVal(values[-1])
            for j in range(len(values) - 2, -1, -1):
                term = z3.If(selector == j, z3.StringVal(values[j]), term)
            out.append((var, term))
        return out

    def finish(self) -> None:
        """Constraints that need every key built (call after encoding)."""
        for k, inherit in self.inherit.items():
            fr = fold_regex(k, str.lower)
            for active, key, _ in self.tags:
                self.constraints.append(z3.Not(z3.And(inherit, active, z3.InRe(key, fr))))  # R13: no re-passing


def _nothing(j: int, family: str) -> tuple[z3.BoolRef, Any]:  # pragma: no cover - an absent key has no slot
    raise AssertionError("an absent key has no value")


_ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
#: Fresh values no policy names, valid in the domains they are drawn for.
_FRESH = {
    "text": ("", "rolecall", "rolecall-x"),
    "name": ("alice", "app-role", "app-session"),
    "account": ("123456789012", "000000000000"),
    "pathname": ("/alice", "/app-role"),
    "path": ("/",),
    "service": ("ec2.amazonaws.com",),
    "uid": ("AIDAEXAMPLEUSER001", "AROAEXAMPLEROLE001"),
}
#: Values a token's claims take that no policy need name, for the federated frame's checks
#: (``federated_frame.py``): the SAML Recipients F3 accepts (regional and global sign-in), Cognito's
#: ``amr`` words, ``sts:RoleAuthorizedByIdP``'s two values, and subjects naming a tenant nobody
#: names (the public-tenant probe: GitHub, GitLab, HCP Terraform, Buildkite subject formats).
_TOKEN_VALUES = {
    "saml:aud": (
        "https://signin.aws.amazon.com/saml",
        "https://us-east-1.signin.aws.amazon.com/saml",
        "https://signin.aws.amazon.com/static/saml",
    ),
    "sts:roleauthorizedbyidp": ("true", "false"),
    ":amr": ("authenticated", "unauthenticated", "graph.facebook.com"),
    ":sub": (
        "rolecall-attacker",
        "repo:rolecall-attacker/app:ref:refs/heads/main",
        "project_path:rolecall-attacker/app:ref_type:branch:ref:main",
        "organization:rolecall-attacker:project:p:workspace:w:run_phase:apply",
        "organization:rolecall-attacker:pipeline:p:ref:refs/heads/main",
    ),
}
#: Keys whose values are the caller's fields: a policy variable of one reads that category's pool.
_FIELD_KEYS = {"aws:username": "name", "aws:userid": "uid", "aws:principalaccount": "account"}
_VARIABLE_VALUES = 6
"""Values tried for each policy variable when a templated condition value is instantiated."""


class Pool:
    """The values of the pool universe (:meth:`Universe.pooled`), drawn from the policies.

    By category for the caller's and the role's fields (``account``, ``pathname``, ``path``,
    ``name``, ``service``, ``uid``): every ARN and principal entry of the policies split into
    fields, and every value of a condition on a key that reads the field. By condition key for
    the others: the values of the conditions on the key. Wildcards are instantiated empty and
    as one character; a policy variable takes a few values of its own key's pool. Fresh
    values that no policy names are added everywhere (``StringNotEquals`` needs one).
    """

    def __init__(self, frame: Frame) -> None:
        self.categories: dict[str, set[str]] = {c: set(v) for c, v in _FRESH.items()}
        self.keys: dict[str, set[str]] = {}
        templated: list[tuple[str, Template]] = []
        for policy in frame.policies:
            for st in policy.statements:
                for text in (*st.resources, *st.not_resources):
                    self._arn(text)
                if st.principal is not None:
                    for e in st.principal.aws:
                        self._arn(e)
                        if e.startswith(("AIDA", "AROA")):
                            self.categories["uid"].add(e)
                    self.categories["service"].update(st.principal.service)
                for cond in st.conditions:
                    values = self.keys.setdefault(cond.key, set())
                    if "/" in cond.key:  # a tag key is a value of aws:TagKeys
                        self.keys.setdefault("aws:tagkeys", set()).add(cond.key.split("/", 1)[1])
                    for v in cond.values:
                        if v.startswith("arn:") and "${" not in v:
                            self._arn(v)  # its fields, wildcards and all
                        tpl = parse_template(v, wildcards=True, variables=cond.variables, where="$")
                        if any(isinstance(part, Var) for part in tpl):
                            templated.append((cond.key, tpl))
                            continue
                        stars = _CLAIM_STARS if _is_claim_key(cond.key) else ("", "x")
                        for text in _instances(tpl, lambda _: [], stars):
                            values.add(text)
                            self._field_value(cond.key, text)
        self._arn(frame.role_arn)
        self._arn(frame.caller_arn)
        for key, tpl in templated:
            for text in _instances(tpl, self._variable_values):
                self.keys[key].add(text)
                self._field_value(key, text)

    def values(self, category: str | None, keys: tuple[str, ...]) -> list[str]:
        if category is not None:
            return sorted(self.categories[category])
        out = set(_FRESH["text"])
        for key in keys:
            out |= self.keys.get(key, set())
            if _is_claim_key(key):
                out.add("rolecall-attacker")  # the attacker's tenant or subject (federated_frame.ATTACKER)
            for name, values in _TOKEN_VALUES.items():
                if key == name or (name.startswith(":") and key.endswith(name) and "." in key.split(":", 1)[0]):
                    out.update(values)
        return sorted(out)

    def _variable_values(self, var: Var) -> list[str]:
        category = _FIELD_KEYS.get(var.key)
        pool = self.categories[category] if category else self.keys.get(var.key, set()) | set(_FRESH["text"])
        chosen = sorted(pool)[:_VARIABLE_VALUES]
        return chosen + ([var.default] if var.default is not None else [])

    def _field_value(self, key: str, text: str) -> None:
        category = _FIELD_KEYS.get(key)
        if category is not None:
            self.categories[category].add(text)
        elif key == "aws:principalservicename":
            self.categories["service"].add(text)

    def _arn(self, text: str) -> None:
        fields = text.split(":", 5)
        if not text.startswith("arn:") or len(fields) < 6:
            self.categories["account"].update(_ACCOUNT_ID.findall(text))
            return
        digits = fields[4].replace("?", "0")  # an account pattern, its wildcards as zeros
        if "*" in digits:
            digits = digits.replace("*", "0" * max(0, 13 - len(digits)), 1).replace("*", "")
        if len(digits) == 12 and digits.isdigit():
            self.categories["account"].add(digits)
        kind, _, rest = fields[5].partition("/")
        for r in _instances(parse_template(rest, wildcards=True, variables=False, where="$"), lambda _: []):
            if kind == "assumed-role":
                role, _, session = r.partition("/")
                self.categories["name"].update((role, session))
                self.categories["pathname"].add("/" + role)
            elif r:
                head, _, last = r.rpartition("/")
                self.categories["pathname"].add("/" + r)
                self.categories["path"].add(f"/{head}/" if head else "/")
                self.categories["name"].add(last)


#: How a wildcard of a token claim's pattern is instantiated in the pool: empty, one character, and
#: the federated frame's attacker tenant (``federated_frame.ATTACKER``), whose searches ask for a
#: subject such as ``repo:acme/rolecall-attacker`` under ``repo:acme/*``, or another owner
#: (``repo:acme-rolecall-attacker/x``, a tenant ended by ``/`` or ``:``) under ``repo:acme*``: a pool
#: model in milliseconds where Z3's string search took seconds, or ran out its budget.
_CLAIM_STARS = ("", "x", "rolecall-attacker", "-rolecall-attacker/x", "-rolecall-attacker:x")


def _is_claim_key(key: str) -> bool:
    """A key of a token's claims: ``saml:…``, or a provider's (its prefix a host: ``….com:sub``)."""
    prefix = key.split(":", 1)[0]
    return prefix == "saml" or "." in prefix


def _instances(tpl: Template, variable: Callable[[Var], list[str]], stars: tuple[str, ...] = ("", "x")) -> set[str]:
    """Strings a template matches: wildcards all ``stars[0]``, all ``stars[1]``…; each policy
    variable one of ``variable(var)`` (a few combinations, not all)."""
    from ..match import QMARK, STAR

    out: set[str] = set()
    choices = [variable(p) if isinstance(p, Var) else [] for p in tpl]
    for star in stars:
        for k in range(max([len(c) for c in choices] + [1])):
            text = []
            for part, options in zip(tpl, choices, strict=True):
                if isinstance(part, Var):
                    if not options:
                        break
                    text.append(options[k % len(options)])
                elif part is STAR:
                    text.append(star)
                elif part is QMARK:
                    text.append("x")
                else:
                    text.append(part)
            else:
                out.add("".join(text))
    return out
