"""A Z3 model of a query's universe -> a concrete scenario the model can replay.

The scenario is in the scenario format (docs/scenario-format.md): the caller, its
policies as decided by the free caller side, its tags and source identity; the
role with its trust policy and tags; the request; and, in ``context``, every
free key the model read. ``rolecall decide`` replays it, and every query does
so before it reports a counterexample (``queries.py``), so a decoding slip
surfaces as ``Unknown`` rather than as a false finding.
"""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import z3

from ..policy import Policy, PolicyKind
from ..scenario import Semantics
from ._universe import Assignment, Universe
from .encode import SERVICE, USER

__all__ = ["decode", "key_values"]

_VERSION = "2012-10-17"
#: A tag key no query universe reads, for a request that must carry tags the policies never name.
_SPARE_TAG = "rolecall-tag"


def decode(
    u: Universe, m: Assignment, *, trust: Policy, identity: tuple[Policy, ...], semantics: Semantics
) -> dict[str, Any]:
    """The scenario of one assignment of ``u``'s variables."""
    ev = _Eval(m)
    doc: dict[str, Any] = {
        "caller": _caller(u, ev, identity),
        "role": _role(u, ev, trust),
        "request": _request(u, ev),
    }
    context = _context(u, ev)
    if context:
        doc["context"] = context
    if semantics != Semantics():
        doc["semantics"] = {k: getattr(semantics, k) for k in semantics.__dataclass_fields__}
    return doc


_JSON: dict[int, tuple[Policy, dict[str, Any]]] = {}


def _json(policy: Policy) -> dict[str, Any]:
    """``policy.to_json()``, once per policy object (a query decodes many scenarios with the same
    policies, and a large policy takes milliseconds to write out). The documents are shared:
    nothing here or in ``queries.py`` changes a decoded policy in place."""
    key = id(policy)
    if key not in _JSON or _JSON[key][0] is not policy:
        if len(_JSON) >= 64:
            _JSON.clear()
        _JSON[key] = (policy, policy.to_json())
    return _JSON[key][1]


class _Eval:
    def __init__(self, m: Assignment) -> None:
        self.m = m

    def s(self, term: z3.SeqRef) -> str:
        return str(self.m.eval(term, model_completion=True).as_string())

    def b(self, term: z3.BoolRef) -> bool:
        return bool(z3.is_true(self.m.eval(term, model_completion=True)))

    def i(self, term: z3.ArithRef) -> int:
        return int(self.m.eval(term, model_completion=True).as_long())


def _caller(u: Universe, ev: _Eval, identity: tuple[Policy, ...]) -> dict[str, Any]:
    """The witness's ``caller``: a service, or an IAM principal with its policies, then the session
    state a policy read (tags, inherited transitive keys, source identity, MFA)."""
    c = u.caller
    kind = ev.i(c.kind)
    if u.caller_fixed is not None:
        out: dict[str, Any] = {"arn": u.frame.caller_arn, "identity_policies": [_json(p) for p in identity]}
    elif kind == SERVICE:
        return {"service": ev.s(c.service)}
    else:
        out = _iam_caller(u, ev, kind)
        out.update(_caller_policies(u, ev, identity))
    tags = {k: ev.s(v) for k, (p, v) in u.principal_tags.items() if ev.b(p)}
    if tags:
        out["tags"] = tags
    inherited = [k for k, inherit in u.inherit.items() if ev.b(inherit)]
    if inherited:
        out["transitive_tag_keys"] = inherited
    present, value = u.caller_source
    if ev.b(present):
        out["source_identity"] = ev.s(value)
    if ev.i(u.mfa) == 1:
        out["mfa"] = True
    return out


def _iam_caller(u: Universe, ev: _Eval, kind: int) -> dict[str, Any]:
    """An IAM user (long-term keys or a GetSessionToken session) or a role session, by its ARN."""
    c = u.caller
    partition, account, path, name = u.partition, ev.s(c.account), ev.s(c.path), ev.s(c.name)
    if u.joined:  # one string: the name is what follows the last "/"
        path, _, name = (path + name).rpartition("/")
        path += "/"
    if kind == USER:
        out = {"arn": f"arn:{partition}:iam::{account}:user{path}{name}", "unique_id": ev.s(c.uid)}
        if ev.i(c.creds) == 1:
            out["credentials"] = "session-token"
        return out
    return {
        "arn": f"arn:{partition}:sts::{account}:assumed-role/{name}/{ev.s(c.session)}",
        "role_path": path,
        "unique_id": ev.s(c.uid),
    }


def _caller_policies(u: Universe, ev: _Eval, identity: tuple[Policy, ...]) -> dict[str, Any]:
    """The caller's identity policies (the given ones, or one allowing what the model's side allowed),
    and a boundary and session policy where the witness has them."""
    out: dict[str, Any] = {}
    if u.env.side is None:  # every caller holds the given identity policies (who-can-assume --identity)
        out["identity_policies"] = [_json(p) for p in identity]
    else:
        allowed = _allowed(u, ev, PolicyKind.IDENTITY)
        out["identity_policies"] = [_allow_policy(allowed)] if allowed else []
    for kind_, name_ in ((PolicyKind.BOUNDARY, "permissions_boundary"), (PolicyKind.SESSION, "session_policy")):
        present = [ev.b(p) for (k, _), (p, _) in u.side_vars.items() if k is kind_]
        if any(present):
            out[name_] = _allow_policy(_allowed(u, ev, kind_) or ["s3:GetObject"])
    return out


def _allowed(u: Universe, ev: _Eval, kind: PolicyKind) -> list[str]:
    return [action for (k, action), (_, allows) in u.side_vars.items() if k is kind and ev.b(allows)]


def _allow_policy(actions: list[str]) -> dict[str, Any]:
    return {"Version": _VERSION, "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}]}


def _role(u: Universe, ev: _Eval, trust: Policy) -> dict[str, Any]:
    r = u.role
    arn = f"arn:{u.partition}:iam::{ev.s(r.account)}:role{ev.s(r.path)}{ev.s(r.name)}"
    out: dict[str, Any] = {"arn": arn, "trust_policy": _json(trust)}
    tags = {k: ev.s(v) for k, (p, v) in u.role_tags.items() if ev.b(p)}
    if tags:
        out["tags"] = tags
    return out


def _request(u: Universe, ev: _Eval) -> dict[str, Any]:
    out: dict[str, Any] = {"role_session_name": ev.s(u.session_name)}
    if ev.b(u.external_present):
        out["external_id"] = ev.s(u.external_id)
    if ev.b(u.need_source):
        out["source_identity"] = ev.s(u.source_identity)
    tags = [{"Key": ev.s(k), "Value": ev.s(v)} for a, k, v in u.tags if ev.b(a)]
    if ev.b(u.need_tag) and not tags:
        tags = [{"Key": _SPARE_TAG, "Value": "x"}]
    if tags:
        out["tags"] = tags
    transitive = [ev.s(k) for a, k in zip(u.transitive_active, u.transitive, strict=True) if ev.b(a)]
    if transitive:
        out["transitive_tag_keys"] = transitive
    return out


def _context(u: Universe, ev: _Eval) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, free in u.free.items():
        count = ev.i(free.count)
        if count == 0:
            continue
        values = [_slot(free, j, ev) for j in range(count)]
        out[key] = values[0] if count == 1 and not ev.b(free.is_tuple) else values
    return out


def key_values(u: Universe, key: str, m: Assignment) -> list[str]:
    """The values a model gives a free context key of the universe, as a scenario writes them (a
    typed key's from its typed reading: an IP address, a number, a date, base64): what the federated
    frame's witnesses read too."""
    free, ev = u.free[key], _Eval(m)
    return [_slot(free, j, ev) for j in range(min(ev.i(free.count), len(free.slots)))]


def _slot(free: Any, j: int, ev: _Eval) -> str:
    """One value of a free key: its text, or for a typed key the text of its typed reading."""
    if free.typed_family is None or j not in free.typed:
        return ev.s(free.slots[j])
    ok, value = free.typed[j]
    family = free.typed_family
    if not ev.b(ok):
        return {"numeric": "not-a-number", "date": "not-a-date", "ip": "not-an-ip", "binary": "!!"}[family]
    if family == "numeric":
        number = ev.m.eval(value, model_completion=True)
        fraction = number.as_fraction()
        return _decimal_text(fraction.numerator, fraction.denominator)
    if family == "date":
        usec = ev.m.eval(value * 10**6, model_completion=True).as_fraction()
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(usec))
        return moment.isoformat()
    if family == "ip":
        version, number = (ev.i(t) for t in value)
        addr = ipaddress.IPv4Address(number) if version == 4 else ipaddress.IPv6Address(number)
        return str(addr)
    data = ev.s(value)
    return base64.b64encode(data.encode("latin-1")).decode("ascii")


def _decimal_text(numerator: int, denominator: int) -> str:
    """The exact decimal of a fraction whose denominator divides a power of ten."""
    places = 0
    while (10**places) % denominator:
        places += 1
    return format(Decimal(numerator * (10**places // denominator)).scaleb(-places), "f")
