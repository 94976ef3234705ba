"""The access graph of a snapshot: who can assume which role, each edge decided by the model.

Nodes are the snapshot's users and roles (a role acting as a caller is a session of it,
:meth:`Snapshot.caller_doc`), and the principals outside the snapshot that trust policies name:
accounts, principal ARNs, ``*``, service principals and federated identity providers. An edge
``P -> R`` says that P can assume R, and it is **decided by the model**: each is one scenario
(``caller_doc``, ``role_doc``, the organization, a request) that :func:`rolecall.model.decide`
allows, carried on the edge so that ``rolecall decide`` replays it. Nothing here states a rule of
its own (docs/graph.md):

* **Unconditional** edge: the plain request (a session name, nothing else) is allowed.
* **Conditional** edge: the plain request is refused, and some other request (an ExternalId, MFA,
  a source IP, session tags…) is allowed. The request is found by the solver
  (:func:`rolecall.model.solver.check_access_not_granted`, whose counterexample is a request the
  trust policy admits) and then decided again by the model with the caller's real identity
  policies, boundary and SCPs. A counterexample the model refuses with the real caller, or a
  solver ``Unknown``, makes an edge of status ``unknown``: never claimed, never dropped.
* A scenario the model refuses to decide (:class:`~rolecall.model.UndecidableError`, or an
  ``error`` decision) is an edge of status ``error``.

Principals outside the snapshot are decided with a *representative* caller, said on the edge
(``note``): for an account, a user of that account whose identity policy allows everything (its
own policies are unknown); for ``*``, such a user of an account outside the snapshot and the
organization; for a service, the service itself (R11). Federated providers take the solver's
federated findings (:func:`rolecall.model.solver.who_can_assume`), whose witnesses the model
decides again with the snapshot's identity providers.

**Scale** (:func:`candidate_pairs`): the model is never run on every pair. Trust policies are
indexed by their ``Allow`` statements' principal entries (exact ARNs, unique ids, account roots,
``*``, services, providers), and a caller finds its candidate roles by looking up the entries that
name it (the model's own table, :func:`rolecall.model.match.principal_keys`: principal matching is
exact, R8). A candidate whose trust grant needs the caller's identity policy (across accounts, R9;
through an account entry in the same account, R10e) must also be reachable by an ``Allow`` of that
identity policy covering ``sts:AssumeRole`` (Resource patterns; ``NotResource``, ``*`` and policy
variables mean "any"). :func:`brute_force_graph` decides every caller against every role;
tests/accounts/test_graph_equivalence.py checks on generated snapshots that both give the same
graph.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..arn import RoleSession, parse_caller_arn
from ..conditions import UndecidableError
from ..decide import Reason, Result, decide, granting_reasons
from ..errors import InputError, RolecallError
from ..match import principal_keys
from ..policy import Policy, PolicyKind, Statement, dump_policy, parse_policy, remembering_parses
from ..scenario import AnyScenario, Scenario, load_scenario
from ._parts import Parts, RequestPart
from .snapshot import SESSION_NAME, Account, Role, Snapshot, User

__all__ = [
    "Analysis",
    "with_request",
    "DEFAULT_TIMEOUT_MS",
    "AccessGraph",
    "Edge",
    "Hop",
    "Node",
    "Stats",
    "admin_roles",
    "brute_force_graph",
    "build_graph",
    "candidate_pairs",
    "merge_snapshots",
    "paths",
]

#: The solver's budget per question about one pair (a conditional edge).
DEFAULT_TIMEOUT_MS = 10_000
_ASSUME = "sts:assumerole"
#: Resource patterns without policy variables read no context.
_NO_CONTEXT: dict[str, str] = {}
_EXTERNAL_USER = "rolecall-external"
#: Keys a witness request may not bring: facts of the world, which the organization decides.
_WORLD_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths", "aws:resourceorgid", "aws:resourceorgpaths"})
_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
#: AWS's spelling of the condition keys the findings read (conditions are stored lower-cased).
_SPELLING = {
    k.lower(): k
    for k in (
        "sts:ExternalId",
        "sts:RoleSessionName",
        "sts:SourceIdentity",
        "sts:TransitiveTagKeys",
        "aws:MultiFactorAuthPresent",
        "aws:MultiFactorAuthAge",
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:VpcSourceIp",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalType",
        "aws:PrincipalIsAWSService",
        "aws:userid",
        "aws:username",
        "aws:TagKeys",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:SecureTransport",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
    )
}


# =========================================================================== the graph's values


@dataclass(frozen=True)
class Node:
    """A principal of the graph: ``kind`` is ``user``, ``role`` (in the snapshot), ``account``,
    ``principal`` (an ARN outside the snapshot), ``public`` (``*``), ``service`` or ``federated``."""

    id: str
    kind: str
    account: str | None = None
    external: bool = False
    """Outside the snapshot: decided with a representative caller (module docstring)."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "account": self.account, "external": self.external}


@dataclass(frozen=True)
class Edge:
    """``source`` can assume ``to`` (``status`` ``edge``), or the model or solver could not say
    (``unknown``: never an edge claimed; ``error``: a scenario the model refuses to decide)."""

    source: str
    to: str
    status: str
    conditional: bool
    conditions: tuple[str, ...]
    """The condition keys of the deciding statements (and of the Denies a request must avoid)."""
    scenario: dict[str, Any]
    """For an edge, a scenario the model allows (``rolecall decide`` replays it); otherwise the
    plain scenario, or the witness the model refused."""
    door: str = "AssumeRole"
    note: str | None = None
    reason: str | None = None
    """Why the edge is ``unknown`` or ``error``."""
    rule: str | None = None

    @property
    def satisfiable(self) -> bool | None:
        """Some request is allowed: ``True`` for an edge, ``None`` when unknown."""
        return True if self.status == "edge" else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "to": self.to,
            "status": self.status,
            "conditional": self.conditional,
            "conditions": list(self.conditions),
            "satisfiable": self.satisfiable,
            "door": self.door,
        }
        for name in ("note", "reason", "rule"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        out["scenario"] = self.scenario
        return out


@dataclass(frozen=True)
class Stats:
    callers: int
    roles: int
    all_pairs: int
    candidate_pairs: int
    solver_questions: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class AccessGraph:
    """Nodes, edges (status ``edge``), ``unknown`` and ``errors``, all sorted by (to, from)."""

    nodes: dict[str, Node]
    edges: list[Edge]
    unknown: list[Edge] = field(default_factory=list)
    errors: list[Edge] = field(default_factory=list)
    stats: Stats | None = None

    def all_edges(self) -> list[Edge]:
        return sorted([*self.edges, *self.unknown, *self.errors], key=_order)

    def incoming(self) -> dict[str, list[Edge]]:
        out: dict[str, list[Edge]] = {}
        for e in self.edges:
            out.setdefault(e.to, []).append(e)
        return out

    def to_json(self) -> list[dict[str, Any]]:
        """``edges.json``: every edge, unknown and error, in order."""
        return [e.to_json() for e in self.all_edges()]


def _order(e: Edge) -> tuple[str, str, str]:
    return (e.to, e.source, e.door)


# =========================================================================== several files, one snapshot


def merge_snapshots(snapshots: Sequence[Snapshot]) -> Snapshot:
    """One snapshot of several (one file per account, an organization file…): accounts are
    united (an account in two files is an :class:`InputError`), so is every AWS managed policy,
    and the organization is the one snapshot that has it."""
    if not snapshots:
        raise InputError("no snapshot given", "$")
    if len(snapshots) == 1:
        return snapshots[0]
    partition = snapshots[0].partition
    accounts: dict[str, Account] = {}
    managed: dict[str, Any] = {}
    org = None
    for i, s in enumerate(snapshots):
        where = f"$[{i}]"
        if s.partition != partition:
            raise InputError(f"partition {s.partition!r} differs from the first snapshot's {partition!r}", where)
        for aid, account in s.accounts.items():
            if aid in accounts:
                raise InputError(f"account {aid} appears in two snapshots", f"{where}.accounts")
            accounts[aid] = account
        managed.update(s.aws_managed_policies)
        if s.organization is not None:
            if org is not None and org != s.organization:
                raise InputError("two snapshots hold different organizations", f"{where}.organization")
            org = s.organization
    return Snapshot(partition, accounts, managed, org)


# =========================================================================== callers


@dataclass(frozen=True)
class _Caller:
    id: str
    kind: str
    account: str | None
    doc: dict[str, Any]
    keys: Mapping[str, str]
    """The trust entries that name this caller, with their class (R8); empty for a service."""
    service: str | None
    solver_principal: str
    """What the solver's ``principals`` selector names (a user, role, account or service)."""
    policies: tuple[Policy, ...]
    boundary: Policy | None
    reach_any: bool
    reach_exact: frozenset[str]
    reach_patterns: tuple[Statement, ...]
    external: bool
    note: str | None = None

    def reaches(self, role_arn: str) -> bool:
        """An identity ``Allow`` covering sts:AssumeRole can name this role (R9, R10e)."""
        if self.reach_any or role_arn in self.reach_exact:
            return True
        return any(st.matches_resource(role_arn, _NO_CONTEXT) for st in self.reach_patterns)


def _reach(policies: Iterable[Policy]) -> tuple[bool, frozenset[str], tuple[Statement, ...]]:
    """The role ARNs an identity policy's Allow statements can reach for sts:AssumeRole: any (a
    ``NotResource``, ``*``, a policy variable), exact ARNs, or wildcard patterns (tested with the
    model's own Resource matching, :meth:`Statement.matches_resource`)."""
    exact: set[str] = set()
    patterns: list[Statement] = []
    for policy in policies:
        for _, st in policy.statements_for("Allow", _ASSUME):
            if st.not_resources or "*" in st.resources or any("${" in r for r in st.resources):
                return True, frozenset(), ()
            if any("*" in r or "?" in r for r in st.resources):
                patterns.append(st)
            else:
                exact.update(st.resources)
    return False, frozenset(exact), tuple(patterns)


def _internal(snapshot: Snapshot, principal: User | Role) -> _Caller:
    doc = snapshot.caller_doc(principal)
    caller = parse_caller_arn(doc["arn"], role_path=doc.get("role_path", "/"), unique_id=doc.get("unique_id"))
    assert not isinstance(caller, RoleSession) or caller.session_name == SESSION_NAME
    policies = tuple(snapshot.identity_policies(principal))
    any_, exact, patterns = _reach(policies)
    arn = principal.arn(snapshot.partition)
    return _Caller(
        id=arn,
        kind="user" if isinstance(principal, User) else "role",
        account=principal.account,
        doc=doc,
        keys=principal_keys(caller),
        service=None,
        solver_principal=arn,
        policies=policies,
        boundary=snapshot.boundary(principal),
        reach_any=any_,
        reach_exact=exact,
        reach_patterns=patterns,
        external=False,
    )


_ALLOW_ALL_POLICY = parse_policy(_ALLOW_ALL, PolicyKind.IDENTITY)


def _representative(node: Node, arn: str, note: str, solver_principal: str) -> _Caller:
    role_path = "/"
    if ":sts::" not in arn and ":role/" in arn:  # a role outside the snapshot: a session of it
        account, rest = arn.split(":")[4], arn.split(":role", 1)[1]
        role_path, name = rest.rsplit("/", 1)[0] + "/", rest.rsplit("/", 1)[1]
        arn = f"arn:{arn.split(':')[1]}:sts::{account}:assumed-role/{name}/{SESSION_NAME}"
    caller = parse_caller_arn(arn, role_path=role_path)
    doc: dict[str, Any] = {"arn": arn, "identity_policies": [_ALLOW_ALL]}
    if role_path != "/":
        doc["role_path"] = role_path
    return _Caller(
        id=node.id,
        kind=node.kind,
        account=node.account,
        doc=doc,
        keys=principal_keys(caller),
        service=None,
        solver_principal=solver_principal,
        policies=(_ALLOW_ALL_POLICY,),
        boundary=None,
        reach_any=True,
        reach_exact=frozenset(),
        reach_patterns=(),
        external=True,
        note=note,
    )


def _service(name: str) -> _Caller:
    return _Caller(
        id=name,
        kind="service",
        account=None,
        doc={"service": name},
        keys={},
        service=name,
        solver_principal=name,
        policies=(),
        boundary=None,
        reach_any=True,
        reach_exact=frozenset(),
        reach_patterns=(),
        external=True,
        note="the service itself (R11): no identity policy, boundary or SCP",
    )


def _entries(role: Role) -> Iterator[tuple[str, str]]:
    """``(kind, entry)`` of every principal entry of the role's trust Allows that cover
    sts:AssumeRole (``aws``, ``service``), and of every ``Federated`` entry (the federated doors)."""
    for st in role.trust_policy.statements:
        if st.effect != "Allow" or st.principal is None:
            continue
        if st.matches_action(_ASSUME):
            for e in st.principal.aws:
                yield "aws", e
            for e in st.principal.service:
                yield "service", e
        for e in st.principal.federated:
            yield "federated", e


# =========================================================================== one pair's pieces

#: The plain request: a session name, nothing else (docs/graph.md).
_PLAIN: RequestPart = ({"role_session_name": SESSION_NAME}, {}, False)
_Decided = tuple[Result | None, str | None]


class Found(NamedTuple):
    """A decided pair, as a worker returns it: the edge without its scenario document, which
    :meth:`Analysis.edge` builds for the edges the graph emits (``request``: the request that
    decided it, ``None`` for the plain one)."""

    ci: int
    ri: int
    status: str
    conditional: bool
    conditions: tuple[str, ...]
    request: RequestPart | None
    reason: str | None = None
    rule: str | None = None


class _Side(NamedTuple):
    """A caller's identity policies, boundary and SCPs: whether they read the request, and their
    conditional statements covering sts:AssumeRole (statement, Resource has a variable, its keys)."""

    dependent: bool
    allows: tuple[tuple[Statement, bool, tuple[str, ...]], ...]
    denies: tuple[tuple[Statement, bool, tuple[str, ...]], ...]


class _RoleSide(NamedTuple):
    dependent: bool
    denies: tuple[tuple[Statement, bool, tuple[str, ...]], ...]


#: Condition keys whose value a snapshot fixes for a caller of its own (a user, a session of one of its
#: roles, a service) and for its roles: no request changes them, so a statement reading only these
#: decides every request as it decides the plain one. The principal's ARN, account, type and
#: organization (aws:PrincipalOrgID from the snapshot's organization), the role's account, tags and
#: organization (the IAM User Guide, "AWS global condition context keys").
_FIXED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principaltype",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:resourceaccount",
        "aws:resourceorgid",
    }
)
# Not fixed, though they name the caller or the organization: aws:PrincipalServiceNamesList,
# aws:PrincipalOrgPaths and aws:ResourceOrgPaths are not computed by the model (docs/semantics.md §9):
# a scenario gives them in ``context``, so a request can hold any value.
#: For an IAM user only: its tags and names. A role session's tags and user id also hold what its own
#: AssumeRole passed (session tags, the session name), which the snapshot does not know.
_FIXED_FOR_USERS = frozenset({"aws:username", "aws:userid"})


def _fixed_key(key: str, kind: str) -> bool:
    k = key.lower()
    if k in _FIXED_KEYS or k.startswith("aws:resourcetag/"):
        return True
    return kind == "user" and (k in _FIXED_FOR_USERS or k.startswith("aws:principaltag/"))


def _reads_request(st: Statement, kind: str) -> bool:
    """Whether a statement can decide two requests of a caller of this kind differently: a policy
    variable in its Resource or in a condition value, or a condition key the snapshot does not fix
    (:data:`_FIXED_KEYS`). Only the snapshot's own users, role sessions and services have fixed keys;
    for a principal outside the snapshot every condition reads the request."""
    if not st.request_dependent:
        return False
    if kind not in ("user", "role", "service"):
        return True
    if any("${" in r for r in (*st.resources, *st.not_resources)):
        return True
    return any(not _fixed_key(c.key, kind) or any("${" in v for v in c.values) for c in st.conditions)


def _conditional(policies: Iterable[Policy], effect: str) -> tuple[tuple[Statement, bool, tuple[str, ...]], ...]:
    """The statements of ``effect`` covering sts:AssumeRole that have conditions, each with whether
    its Resource has a policy variable and its condition keys (named once)."""
    return tuple(
        (st, any("${" in r for r in st.resources or st.not_resources), tuple(k.key for k in st.conditions))
        for p in policies
        for _, st in p.statements_for(effect, _ASSUME)
        if st.conditions
    )


def _request_part(c: _Caller, witness: Mapping[str, Any]) -> RequestPart:
    """A witness's request: its ``request``, its ``context`` (without the organization's facts, which
    the snapshot decides) and whether the caller signed in with MFA (a user or role session only)."""
    request = dict(witness.get("request") or {"role_session_name": SESSION_NAME})
    context = {k: v for k, v in (witness.get("context") or {}).items() if k.lower() not in _WORLD_KEYS}
    mfa = bool((witness.get("caller") or {}).get("mfa")) and "arn" in c.doc
    return request, context, mfa


# =========================================================================== the analysis


class Analysis:
    """Everything one process needs to decide pairs: the callers, the roles, their documents."""

    def __init__(self, snapshot: Snapshot, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.snapshot = snapshot
        self.timeout_ms = timeout_ms
        self.partition = snapshot.partition
        self.roles: list[Role] = sorted(snapshot.roles(), key=lambda r: r.arn(self.partition))
        self.role_docs: dict[str, dict[str, Any]] = {}
        self.org = snapshot.organization
        self.org_members = set(self.org.members) | {self.org.management_account} if self.org else set()
        self._org_doc = snapshot.organization_doc()
        internal = [_internal(snapshot, p) for p in sorted(snapshot.users(), key=lambda u: u.arn(self.partition))]
        internal += [_internal(snapshot, r) for r in self.roles]
        self.nodes: dict[str, Node] = {c.id: Node(c.id, c.kind, c.account) for c in internal}
        self.callers: list[_Caller] = internal + self._outside()
        self.role_arns: list[str] = [r.arn(self.partition) for r in self.roles]
        self._entries: list[tuple[tuple[str, str], ...]] = [tuple(_entries(r)) for r in self.roles]
        self._witness: dict[str, dict[str, Any] | None] = {}
        self._by_trust: dict[tuple[str, str], dict[str, Any]] = {}
        self._chains: dict[tuple[str, str], list[list[Policy]]] = {}
        self._org_docs: dict[frozenset[str], dict[str, Any] | None] = {}
        self._sides: dict[int, _Side] = {}
        self._role_sides: dict[int, _RoleSide] = {}
        self._caller_reads: dict[int, bool] = {}
        self._role_reads: dict[tuple[int, str], bool] = {}
        self.parts = Parts()
        self.solver_questions = 0

    # ------------------------------------------------------------------ principals outside the snapshot

    def _free_account(self) -> str:
        taken = set(self.snapshot.accounts) | self.org_members
        for r in self.roles:
            for _, e in _entries(r):
                if e.startswith("arn:") and e.count(":") >= 5:
                    taken.add(e.split(":")[4])
        n = 999999999999
        while f"{n:012d}" in taken:
            n -= 1
        return f"{n:012d}"

    def _outside(self) -> list[_Caller]:
        """Nodes for what trust policies name outside the snapshot, with representative callers."""
        known = {c for c in self.nodes}
        p = self.partition
        out: dict[str, _Caller] = {}
        for role in self.roles:
            for kind, e in _entries(role):
                if kind == "service":
                    if e not in out:
                        self.nodes[e] = Node(e, "service", external=True)
                        out[e] = _service(e)
                    continue
                if kind == "federated" or e in out or e in known:
                    continue
                if e == "*":
                    account = self._free_account()
                    node = Node("*", "public", external=True)
                    arn = f"arn:{p}:iam::{account}:user/{_EXTERNAL_USER}"
                    note = (
                        f"any principal of any account: represented by {arn} (an account outside the snapshot and "
                        "its organization) with an identity policy allowing everything, its own policies being unknown"
                    )
                    out[e] = _representative(node, arn, note, arn)
                elif e.endswith(":root"):
                    account = e.split(":")[4]
                    if account in self.snapshot.accounts:
                        continue  # the account's own users and roles are in the snapshot
                    node = Node(account, "account", account, external=True)
                    arn = f"arn:{p}:iam::{account}:user/{_EXTERNAL_USER}"
                    note = (
                        f"account {account} is outside the snapshot: represented by {arn} with an identity policy "
                        "allowing everything, its own policies being unknown"
                    )
                    out[e] = _representative(node, arn, note, arn)
                elif e.startswith("arn:") and ":federated-user/" not in e:
                    account = e.split(":")[4]
                    if account in self.snapshot.accounts:
                        continue  # no such user or role in the snapshot: nobody is named
                    node = Node(e, "principal", account, external=True)
                    note = (
                        f"{e} is outside the snapshot: decided with an identity policy allowing everything, "
                        "its own policies being unknown"
                    )
                    out[e] = _representative(node, e, note, e)
                # a unique id of no principal in the snapshot (a deleted principal) or a federated user
                # (R1: GetFederationToken sessions never assume a role) names nobody who can call
        for c in out.values():
            self.nodes.setdefault(c.id, Node(c.id, c.kind, c.account, external=True))
        return [out[k] for k in sorted(out)]

    # ------------------------------------------------------------------ the candidates

    def trust_index(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Trust entry -> roles whose trust Allows (covering sts:AssumeRole) name it; service -> roles."""
        aws: dict[str, list[int]] = {}
        service: dict[str, list[int]] = {}
        for ri, role in enumerate(self.roles):
            for kind, e in _entries(role):
                target = aws if kind == "aws" else service if kind == "service" else None
                if target is not None:
                    lst = target.setdefault(e, [])
                    if not lst or lst[-1] != ri:
                        lst.append(ri)
        return aws, service

    def candidates(self) -> list[tuple[int, int]]:
        """The pairs the model decides (module docstring: the index)."""
        aws, service = self.trust_index()
        out: list[tuple[int, int]] = []
        for ci, c in enumerate(self.callers):
            if c.service is not None:
                out += [(ci, ri) for ri in service.get(c.service, ())]
                continue
            found: dict[int, bool] = {}
            for key, cls in c.keys.items():
                for ri in aws.get(key, ()):
                    direct = cls != "account" and c.account == self.roles[ri].account
                    found[ri] = found.get(ri, False) or direct
            for ri, direct in sorted(found.items()):
                if direct or c.reaches(self.roles[ri].arn(self.partition)):
                    out.append((ci, ri))
        return out

    # ------------------------------------------------------------------ one pair

    def role_doc(self, role: Role) -> dict[str, Any]:
        arn = role.arn(self.partition)
        doc = self.role_docs.get(arn)
        if doc is None:
            doc = self.role_docs[arn] = self.snapshot.role_doc(role)
        return doc

    def organization(self, *accounts: str | None) -> dict[str, Any] | None:
        """The organization, with the SCP and RCP chains of the accounts that take part only (the
        caller's SCPs, R7; the role's RCPs, R6): every other member's chains cannot decide. One
        document per set of accounts, shared by the pairs (and edges) that have it."""
        doc = self._org_doc
        if doc is None:
            return None
        keep = frozenset(a for a in accounts if a is not None)
        if keep not in self._org_docs:
            self._org_docs[keep] = {
                **doc,
                "scps": {a: v for a, v in doc["scps"].items() if a in keep},
                "rcps": {a: v for a, v in doc["rcps"].items() if a in keep},
            }
        return self._org_docs[keep]

    def plain(self, c: _Caller, role: Role) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": f"{c.id} assumes {role.arn(self.partition)}",
            "caller": c.doc,
            "role": self.role_doc(role),
            "request": {"role_session_name": SESSION_NAME},
        }
        org = self.organization(c.account, role.account)
        if org is not None:
            doc["organization"] = org
        return doc

    def scenario(
        self, ci: int, ri: int, request: RequestPart = _PLAIN, compiled: dict[Any, Any] | None = None
    ) -> Scenario:
        """The typed scenario of a pair: what ``load_scenario`` gives for :meth:`plain` (with the
        request part), assembled from the caller's, the role's and the organization's parts, each
        loaded once (``_parts.py``). ``compiled``: the model's per-world cache (one per pair and MFA)."""
        c, role = self.callers[ci], self.roles[ri]
        parts = self.parts
        keep = frozenset(a for a in (c.account, role.account) if a is not None)
        return parts.scenario(
            f"{c.id} assumes {self.role_arns[ri]}",
            parts.caller(ci, lambda: c.doc),
            parts.role(ri, lambda: self.role_doc(role)),
            parts.organization(keep, lambda: self.organization(c.account, role.account)),
            request,
            {} if compiled is None else compiled,
        )

    def _decide(self, ci: int, ri: int, request: RequestPart, worlds: dict[bool, dict[Any, Any]]) -> _Decided:
        """The model's decision of the pair's scenario with this request (:func:`_decide` of the typed
        scenario): scenarios of one pair with the same MFA share the model's per-world cache."""
        return _decide_typed(lambda: self.scenario(ci, ri, request, worlds.setdefault(request[2], {})))

    def edge(self, f: Found) -> Edge:
        """The edge of a decided pair, with its scenario document (built here, for the edges the graph
        emits only): the plain scenario, with the request that decided it, ``expect`` for an edge."""
        c, role = self.callers[f.ci], self.roles[f.ri]
        doc = self.plain(c, role)
        if f.request is not None:
            doc = with_request(doc, f.request)
        if f.status == "edge":
            doc = {**doc, "expect": {"decision": "allowed"}}
        return Edge(
            c.id, self.role_arns[f.ri], f.status, f.conditional, f.conditions, doc, note=c.note, reason=f.reason,
            rule=f.rule,
        )  # fmt: skip

    def decide_pair(self, ci: int, ri: int, prune: bool = True) -> Found | None:
        """The model's answer for one caller and one role (module docstring). ``prune``: skip the
        solver where the answer is already known to be "no edge" (no trust entry names the caller,
        R8; no identity Allow can name the role where one is needed, R9/R10e; a caller side that
        refuses every request); the brute force decides without these shortcuts."""
        worlds: dict[bool, dict[Any, Any]] = {}
        result, error = self._decide(ci, ri, _PLAIN, worlds)
        if error is not None:
            return Found(ci, ri, "error", False, (), None, reason=error)
        assert result is not None
        if result.decision == "allowed":
            return self._edge(ci, ri, None, result, conditional=False)
        if result.decision == "error":
            return Found(ci, ri, "error", False, (), None, reason=_why(result), rule=result.rule)
        if not self._request_dependent(ci, ri):
            return None  # no condition anywhere: every request is decided as the plain one
        if prune and self._never_granted(ci, ri):
            return None
        # A request that satisfies the conditions: the role's witness first, then the solver's for this caller.
        found = self._by_role_witness(ci, ri, worlds)
        if found is not None:
            return found
        return self._by_solver(ci, ri, worlds, prune)

    def _never_granted(self, ci: int, ri: int) -> bool:
        """No request can be allowed: no trust entry names the caller (R8), or no identity Allow can name
        the role where one is needed (R9/R10e)."""
        c = self.callers[ci]
        return not self._named(c, ri) or (self._needs_identity(c, ri) and not c.reaches(self.role_arns[ri]))

    def _by_role_witness(self, ci: int, ri: int, worlds: dict[bool, dict[Any, Any]]) -> Found | None:
        """A conditional edge when the model allows the role's witness request for this caller."""
        c = self.callers[ci]
        witness = self.role_witness(self.roles[ri])
        if witness is None:
            return None
        req = _request_part(c, witness)
        r, err = self._decide(ci, ri, req, worlds)
        if err is None and r is not None and r.decision == "allowed":
            return self._edge(ci, ri, req, r, conditional=True)
        return None

    def _by_solver(self, ci: int, ri: int, worlds: dict[bool, dict[Any, Any]], prune: bool) -> Found | None:
        """The solver's witness request for this caller, decided by the model (then more witnesses when
        the caller's own policies refuse it): an edge, no edge (proved), or unknown."""
        c = self.callers[ci]
        answer = self._solve(c, self.roles[ri])
        from ..solver import Counterexample, Proved  # the solver imports z3: only when a condition is met

        if isinstance(answer, Proved):
            return None
        if not isinstance(answer, Counterexample):
            reason = f"the solver could not decide whether a request satisfies the conditions: {answer.reason}"
            return Found(ci, ri, "unknown", True, self._conditions(ci, ri, None), None, reason=reason)
        req = _request_part(c, answer.scenario)
        r, err = self._decide(ci, ri, req, worlds)
        if err is not None:
            return Found(ci, ri, "error", True, (), req, reason=err)
        assert r is not None
        if r.decision == "allowed":
            return self._edge(ci, ri, req, r, conditional=True)
        if prune and self._caller_side_final(ci, ri, req, r):
            return None
        for other in self._more_witnesses(c, ri, req):
            r2, err2 = self._decide(ci, ri, other, worlds)
            if err2 is None and r2 is not None and r2.decision == "allowed":
                return self._edge(ci, ri, other, r2, conditional=True)
        reason = (
            "the trust policy admits a request from this caller (the solver's witness), but the model refuses "
            f"that request with the caller's own policies ({r.decision}, {r.rule}"
            f"{', ' + r.denied_by if r.denied_by else ''}); whether another request is allowed is not known"
        )
        return Found(ci, ri, "unknown", True, self._conditions(ci, ri, None), req, reason=reason)

    def _more_witnesses(self, c: _Caller, ri: int, refused: RequestPart) -> Iterator[RequestPart]:
        """When the solver's witness is refused with the caller's own policies, more requests for
        the model to decide, in a fixed order: the witness signed in with MFA (an identity policy
        may ask for it where the trust does not), then one witness per trust Allow naming the
        caller (the trust restricted to that Allow and every Deny), each also with MFA. The trust
        frame does not see the caller's own policies, so its one witness may take a statement they
        refuse while another statement's request is allowed."""
        from ..solver import Counterexample, check_access_not_granted

        def with_mfa(req: RequestPart) -> RequestPart | None:
            if c.service is not None or req[2]:
                return None
            return (req[0], req[1], True)

        m = with_mfa(refused)
        if m is not None:
            yield m
        statements = self.roles[ri].trust_policy.statements
        denies = [st.to_json() for st in statements if st.effect == "Deny"]
        allows = [
            st
            for st in statements
            if st.effect == "Allow"
            and st.matches_action(_ASSUME)
            and st.principal is not None
            and (any(e in c.keys for e in st.principal.aws) or c.service in st.principal.service)
        ]
        if len(allows) < 2:
            return
        for st in allows:
            sub = parse_policy({"Version": "2012-10-17", "Statement": [st.to_json(), *denies]}, PolicyKind.TRUST)
            self.solver_questions += 1
            answer = check_access_not_granted(
                sub, principals=[c.solver_principal], role_arn=self.role_arns[ri], timeout_ms=self.timeout_ms
            )
            if isinstance(answer, Counterexample):
                req = _request_part(c, answer.scenario)
                yield req
                m = with_mfa(req)
                if m is not None:
                    yield m

    def _edge(self, ci: int, ri: int, request: RequestPart | None, result: Result, *, conditional: bool) -> Found:
        conditions = self._conditions(ci, ri, None if conditional else result)
        return Found(ci, ri, "edge", conditional, conditions, request, rule=result.rule)

    def _scps(self, account: str | None) -> list[list[Policy]]:
        if self.org is None or account is None:
            return []
        return self._chain(account, "SERVICE_CONTROL_POLICY")

    def _rcps(self, account: str) -> list[list[Policy]]:
        if self.org is None:
            return []
        return self._chain(account, "RESOURCE_CONTROL_POLICY")

    def _chain(self, account: str, kind: str) -> list[list[Policy]]:
        key = (account, kind)
        hit = self._chains.get(key)
        if hit is None:
            assert self.org is not None
            hit = self._chains[key] = self.org.chain(account, kind) or []
        return hit

    def _side(self, ci: int) -> _Side:
        """The caller's side, once per caller: whether it reads the request, and its conditional
        statements covering sts:AssumeRole, with their condition keys (``_conditions``)."""
        side = self._sides.get(ci)
        if side is None:
            c = self.callers[ci]
            policies = [
                *c.policies,
                *([c.boundary] if c.boundary else []),
                *(p for lv in self._scps(c.account) for p in lv),
            ]
            side = self._sides[ci] = _Side(
                any(st.request_dependent for p in policies for st in p.statements),
                _conditional(policies, "Allow"),
                _conditional(policies, "Deny"),
            )
        return side

    def _role_side(self, ri: int) -> _RoleSide:
        """The role's side, once per role: whether its trust policy or RCPs read the request, and the
        conditional Denies of its RCPs."""
        side = self._role_sides.get(ri)
        if side is None:
            role = self.roles[ri]
            rcps = [p for level in self._rcps(role.account) for p in level]
            side = self._role_sides[ri] = _RoleSide(
                any(st.request_dependent for p in [role.trust_policy, *rcps] for st in p.statements),
                _conditional(rcps, "Deny"),
            )
        return side

    def _request_dependent(self, ci: int, ri: int) -> bool:
        """Some statement that can take part reads the request (a condition on a key the snapshot does
        not fix for this caller, or a policy variable: :func:`_reads_request`): otherwise every
        request is decided as the plain one (R4 is the only way a request reaches the decision; more
        actions, R3, only add checks). A trust condition on a user's tag the user lacks is then "no
        edge", not a question for the solver."""
        if not (self._side(ci).dependent or self._role_side(ri).dependent):
            return False
        c, role = self.callers[ci], self.roles[ri]
        if ci not in self._caller_reads:
            side = [
                *c.policies,
                *([c.boundary] if c.boundary else []),
                *(p for lv in self._scps(c.account) for p in lv),
            ]
            self._caller_reads[ci] = any(_reads_request(st, c.kind) for p in side for st in p.statements)
        if (ri, c.kind) not in self._role_reads:
            side = [role.trust_policy, *(p for level in self._rcps(role.account) for p in level)]
            self._role_reads[(ri, c.kind)] = any(_reads_request(st, c.kind) for p in side for st in p.statements)
        return self._caller_reads[ci] or self._role_reads[(ri, c.kind)]

    def _caller_side_final(self, ci: int, ri: int, request: RequestPart, r: Result) -> bool:
        """The witness satisfies the trust policy and the caller's side refuses it, in a way no
        request changes: the caller's side reads no request (no condition or variable in its
        identity policies, boundary or SCPs), the witness needs sts:AssumeRole only (no session
        tags or source identity, R3), and what that side must allow is fixed: across accounts
        always (R9), in the same account when every trust entry naming the caller has one class
        (R10a-e)."""
        if r.denied_by not in ("identity-based policy", "permissions boundary", "service control policy"):
            return False
        req = request[0]
        if req.get("tags") or req.get("source_identity") or req.get("transitive_tag_keys"):
            return False
        if self._side(ci).dependent:
            return False
        c, role = self.callers[ci], self.roles[ri]
        classes = {c.keys[e] for kind, e in self._entries[ri] if kind == "aws" and e in c.keys}
        return c.account != role.account or len(classes) == 1

    def _needs_identity(self, c: _Caller, ri: int) -> bool:
        """Every trust entry naming the caller needs its identity policy's Allow: across accounts
        (R9), or through the account only in the same account (R10e)."""
        if c.service is not None:
            return False
        classes = {c.keys[e] for kind, e in self._entries[ri] if kind == "aws" and e in c.keys}
        return c.account != self.roles[ri].account or classes <= {"account"}

    def _named(self, c: _Caller, ri: int) -> bool:
        """Some trust Allow covering sts:AssumeRole names the caller (R8, the model's own principal table)."""
        for kind, e in self._entries[ri]:
            if (kind == "aws" and e in c.keys) or (kind == "service" and e == c.service):
                return True
        return False

    def role_witness(self, role: Role) -> dict[str, Any] | None:
        """A request some caller can use (the solver's witness for the trust policy, whoever calls),
        tried first for every caller of the role: a pure function of the role, so that every
        process, in any order, finds the same edges. Roles of one account with the same trust
        policy share the question: the first one's witness, with this role, is this role's when the
        model allows it (a counterexample for this role too); otherwise the solver is asked."""
        arn = role.arn(self.partition)
        if arn not in self._witness:
            key = (dump_policy(role.trust_policy), role.account)
            found: dict[str, Any] | None = None
            shared = self._by_trust.get(key)
            if shared is not None:
                doc = {**shared, "role": {**{k: v for k, v in shared["role"].items() if k != "role_id"}, "arn": arn}}
                r, err = _decide(doc)
                if err is None and r is not None and r.decision == "allowed":
                    found = doc
            if found is None:
                from ..solver import Counterexample, check_access_not_granted

                self.solver_questions += 1
                answer = check_access_not_granted(role.trust_policy, role_arn=arn, timeout_ms=self.timeout_ms)
                if isinstance(answer, Counterexample):
                    found = answer.scenario
                    self._by_trust.setdefault(key, found)
            self._witness[arn] = found
        return self._witness[arn]

    def _solve(self, c: _Caller, role: Role) -> Any:
        """The solver's request for this caller: a counterexample to "the trust policy grants this
        principal nothing" (``*``: to "no principal outside the snapshot's accounts and organization
        can assume the role", whose witness is then decided with the representative caller)."""
        from ..solver import check_access_not_granted, check_no_public_access

        self.solver_questions += 1
        arn = role.arn(self.partition)
        if c.kind == "public":  # anyone outside the snapshot's accounts and organization
            trusted = sorted(set(self.snapshot.accounts) | self.org_members)
            return check_no_public_access(
                role.trust_policy,
                trusted_accounts=trusted,
                trusted_orgs=[self.org.id] if self.org else [],
                role_arn=arn,
                timeout_ms=self.timeout_ms,
            )
        return check_access_not_granted(
            role.trust_policy, principals=[c.solver_principal], role_arn=arn, timeout_ms=self.timeout_ms
        )

    # ------------------------------------------------------------------ conditions

    def _conditions(self, ci: int, ri: int, result: Result | None) -> tuple[str, ...]:
        """The condition keys of the statements that decided the plain request (the Allows of
        ``result.reasons``), or, for a conditional edge (``None``), of every Allow that can grant
        this caller this role (a witness request is one of many: the keys must not depend on it),
        and of the Denies that name this caller and role (a request must keep out of them)."""
        c, role = self.callers[ci], self.roles[ri]
        keys: set[str] = set()
        scps = self._scps(c.account)
        arn = self.role_arns[ri]
        side = self._side(ci)
        if result is None:
            keys |= _grant_keys(c, role, arn, side)
        for r in result.reasons if result is not None else ():
            decided = _decided_statement(r, c, role, scps)
            if decided is not None:
                keys.update(k.key for k in decided.conditions)
        for _, st in role.trust_policy.statements_for("Deny", _ASSUME):
            if st.conditions and _names_caller(st, c):
                keys.update(k.key for k in st.conditions)
        for st, dynamic, named in (*side.denies, *self._role_side(ri).denies):
            if dynamic or st.matches_resource(arn, _NO_CONTEXT):
                keys.update(named)
        return tuple(sorted({_SPELLING.get(k, k) for k in keys}))

    # ------------------------------------------------------------------ the federated doors

    def federated(self) -> list[Edge]:
        """Edges from identity providers: the solver's federated findings (docs/federation.md §6),
        each witness decided again by the model with the snapshot's identity providers."""
        from ..solver import who_can_assume

        out: list[Edge] = []
        for role in self.roles:
            providers = sorted({e for kind, e in _entries(role) if kind == "federated"})
            if not providers:
                continue
            arn = role.arn(self.partition)
            self.solver_questions += 1
            answer = who_can_assume(role.trust_policy, role_arn=arn, timeout_ms=self.timeout_ms)
            found = set()
            for f in answer.federated:
                self.nodes.setdefault(f.principal, Node(f.principal, "federated", _provider_account(f.principal), True))
                witness = dict(f.witness)
                witness["identity_providers"] = self.snapshot.identity_providers_doc(role.account)
                witness["id"] = f"{f.principal} assumes {arn}"
                org = self.organization(role.account)
                if org is not None:
                    witness["organization"] = org
                conditions = tuple(
                    sorted({_SPELLING.get(k.lower(), k) for v in (f.conditions or {}).values() for k in v})
                )
                r, err = _decide(witness)
                door = f.api.removeprefix("sts:")
                if err is not None:
                    out.append(Edge(f.principal, arn, "error", True, conditions, witness, door=door, reason=err))
                elif r is not None and r.decision == "allowed":
                    found.add(f.principal)
                    witness["expect"] = {"decision": "allowed"}
                    out.append(
                        Edge(f.principal, arn, "edge", bool(f.conditions), conditions, witness, door=door, rule=r.rule)
                    )
                else:
                    assert r is not None
                    reason = (
                        f"the solver's token is admitted by the trust policy, but the model refuses it in this "
                        f"snapshot ({r.decision}, {r.rule}: {r.message})"
                    )
                    out.append(Edge(f.principal, arn, "unknown", True, conditions, witness, door=door, reason=reason))
            if answer.unknown is not None:
                for p in providers:
                    if p not in found:
                        self.nodes.setdefault(p, Node(p, "federated", _provider_account(p), True))
                        reason = f"the solver could not decide the federated doors: {answer.unknown.reason}"
                        plain = {"role": self.role_doc(role)}
                        out.append(Edge(p, arn, "unknown", True, (), plain, door="federated", reason=reason))
        return out


def _names_caller(st: Statement, c: _Caller) -> bool:
    """Whether a trust statement's principal names the caller: one of its trust entries, or its service (R8)."""
    return st.principal is not None and (
        any(e in c.keys for e in st.principal.aws) or c.service in st.principal.service
    )


def _grant_keys(c: _Caller, role: Role, arn: str, side: _Side) -> set[str]:
    """The condition keys of every Allow that can grant the caller the role: the trust policy's that name
    it (R8) and its own side's that cover the role (R9/R10, boundary, SCPs)."""
    keys: set[str] = set()
    for _, st in role.trust_policy.statements_for("Allow", _ASSUME):
        if _names_caller(st, c):
            keys.update(k.key for k in st.conditions)
    for st, dynamic, named in side.allows:
        if dynamic or st.matches_resource(arn, _NO_CONTEXT):
            keys.update(named)
    return keys


def _decided_statement(r: Reason, c: _Caller, role: Role, scps: list[list[Policy]]) -> Statement | None:
    """The statement a reason of the decision names: in the role's trust policy (R8), the caller's identity
    policies (R9/R10), its permissions boundary, or its SCP chain (R7); ``None`` for another policy."""
    try:
        if r.policy == "role trust policy":
            return role.trust_policy.statements[r.statement]
        if r.policy == "identity-based policy":
            return c.policies[r.policy_index or 0].statements[r.statement]
        if r.policy == "permissions boundary" and c.boundary is not None:
            return c.boundary.statements[r.statement]
        if r.policy == "service control policy" and r.level is not None:
            return scps[r.level][r.policy_index or 0].statements[r.statement]
    except IndexError:  # pragma: no cover - reasons index the scenario's own policies
        return None
    return None


def _provider_account(provider: str) -> str | None:
    return provider.split(":")[4] if provider.startswith("arn:") and provider.count(":") >= 5 else None


def _decide(doc: dict[str, Any]) -> _Decided:
    """The model's decision (with the granting statements when allowed), or why it refuses to
    decide (fail closed: reported, never skipped)."""
    return _decide_typed(lambda: load_scenario(doc))


def _decide_typed(scenario: Callable[[], AnyScenario]) -> _Decided:
    """:func:`_decide` of a scenario built by ``scenario()`` (loaded, or assembled from loaded parts)."""
    try:
        s = scenario()
        result = decide(s)
        if result.decision == "allowed":
            result = result._replace(reasons=granting_reasons(s))
        return result, None
    except UndecidableError as exc:
        return None, f"the model cannot decide: {exc.message} (at {exc.path})"
    except RolecallError as exc:
        return None, f"the scenario is refused: {exc.message} (at {exc.path})"


def _why(result: Result) -> str:
    return f"{result.error_code}: {result.message}"


def with_request(base: dict[str, Any], request: RequestPart) -> dict[str, Any]:
    """The base scenario with a request part (:func:`_request_part`)."""
    doc = dict(base)
    doc["request"] = dict(request[0])
    if request[1]:
        doc["context"] = dict(request[1])
    if request[2]:
        doc["caller"] = {**base["caller"], "mfa": True}
    return doc


# =========================================================================== building


def candidate_pairs(snapshot: Snapshot) -> tuple[int, int]:
    """(candidate pairs, all pairs) of the snapshot: what :func:`build_graph` decides, out of every
    caller against every role."""
    a = Analysis(snapshot)
    return len(a.candidates()), len(a.callers) * len(a.roles)


_WORKER: Analysis | None = None
#: What decides a list of pairs: ``(analysis, pairs, prune) -> (decided pairs, solver questions)``.
Runner = Callable[["Analysis", list[tuple[int, int]], bool], tuple[list[Found], int]]


def decide_pairs(a: Analysis, pairs: Sequence[tuple[int, int]], prune: bool = True) -> tuple[list[Found], int]:
    """Decide pairs in this process: the decided ones (no edge: left out) and the solver questions asked."""
    before = a.solver_questions
    with remembering_parses():
        out = [f for ci, ri in pairs if (f := a.decide_pair(ci, ri, prune)) is not None]
    return out, a.solver_questions - before


def _work(pairs: Sequence[tuple[int, int]], prune: bool = True) -> tuple[list[Found], int]:
    assert _WORKER is not None
    return decide_pairs(_WORKER, pairs, prune)


def _processes(jobs: int) -> Runner:
    """Decide in ``jobs`` forked processes (the workers inherit the analysis: a parsed snapshot holds
    compiled matchers, which do not pickle), in chunks of consecutive pairs (a caller's pairs mostly
    in one process, which loads its part once)."""

    def run(a: Analysis, pairs: list[tuple[int, int]], prune: bool) -> tuple[list[Found], int]:
        global _WORKER
        if jobs <= 1 or len(pairs) < 2:
            return decide_pairs(a, pairs, prune)
        _WORKER = a
        try:
            ctx = multiprocessing.get_context("fork")
            size = max(1, min(2000, len(pairs) // (jobs * 8) or 1))
            chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
            found: list[Found] = []
            questions = 0
            with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                for part, q in pool.map(functools.partial(_work, prune=prune), chunks):
                    found += part
                    questions += q
            return found, questions
        finally:
            _WORKER = None

    return run


def role_witnesses(a: Analysis) -> None:
    """The roles' witnesses, in one process and in role order, before any pair is decided: every
    worker gets the same ones, whatever pairs it decides (the solver's answers can depend on the
    questions before)."""
    with remembering_parses():
        for role in a.roles:
            if any(st.request_dependent for st in role.trust_policy.statements):
                a.role_witness(role)


def _graph(a: Analysis, pairs: list[tuple[int, int]], run: Runner, prune: bool = True) -> AccessGraph:
    role_witnesses(a)
    decided, questions = run(a, pairs, prune)
    found = [a.edge(f) for f in decided]
    with remembering_parses():
        found += a.federated()
    found.sort(key=_order)
    stats = Stats(
        callers=len(a.callers),
        roles=len(a.roles),
        all_pairs=len(a.callers) * len(a.roles),
        candidate_pairs=len(pairs),
        solver_questions=questions + a.solver_questions,
    )
    return AccessGraph(
        nodes=dict(sorted(a.nodes.items())),
        edges=[e for e in found if e.status == "edge"],
        unknown=[e for e in found if e.status == "unknown"],
        errors=[e for e in found if e.status == "error"],
        stats=stats,
    )


def build_graph(
    snapshot: Snapshot, *, jobs: int = 1, timeout_ms: int = DEFAULT_TIMEOUT_MS, run: Runner | None = None
) -> AccessGraph:
    """The access graph, deciding only the candidate pairs (module docstring), over ``jobs``
    processes (the same graph for every ``jobs``), or with ``run`` (another engine: Dask's
    distributed scheduler, :mod:`rolecall.model.accounts.sharded`)."""
    a = Analysis(snapshot, timeout_ms)
    return _graph(a, a.candidates(), run or _processes(jobs))


def brute_force_graph(
    snapshot: Snapshot, *, shortcuts: bool = False, jobs: int = 1, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> AccessGraph:
    """The access graph by deciding every caller against every role: the reference that
    :func:`build_graph`'s index must equal (its candidate count is every pair). Without
    ``shortcuts`` (:meth:`Analysis.decide_pair`'s ``prune``) the solver is asked about every
    refused pair: the same edges, and ``unknown`` where the shortcuts know there is no edge."""
    a = Analysis(snapshot, timeout_ms)
    pairs = [(ci, ri) for ci in range(len(a.callers)) for ri in range(len(a.roles))]
    return _graph(a, pairs, _processes(jobs), prune=shortcuts)


# =========================================================================== chains


@dataclass(frozen=True)
class Hop:
    """One step of a chain: the edge taken."""

    edge: Edge

    def to_json(self) -> dict[str, Any]:
        return {"from": self.edge.source, "to": self.edge.to, "conditional": self.edge.conditional,
                "conditions": list(self.edge.conditions), "scenario": self.edge.scenario}  # fmt: skip


def paths(graph: AccessGraph, to: str, from_: str | None = None) -> list[list[Hop]]:
    """The shortest chains that reach role ``to``: one per principal that reaches it (``from_``:
    that principal's only), found breadth-first over the edges. A role session reaching another
    role is an edge from that role, so each hop after the first starts at the role the previous
    hop reached (role chaining, R13's one-hour cap aside)."""
    incoming = graph.incoming()
    best: dict[str, Edge] = {}  # node -> the first edge of its shortest chain to ``to``
    seen = {to}
    queue = deque([to])
    while queue:
        node = queue.popleft()
        for e in sorted(incoming.get(node, ()), key=_order):
            if e.source not in seen:
                seen.add(e.source)
                best[e.source] = e
                queue.append(e.source)
    sources = [from_] if from_ is not None else sorted(best, key=lambda s: (_length(best, s, to), s))
    out: list[list[Hop]] = []
    for s in sources:
        if s not in best:
            continue
        chain: list[Hop] = []
        node = s
        while node != to:
            e = best[node]
            chain.append(Hop(e))
            node = e.to
        out.append(chain)
    return out


def _length(best: Mapping[str, Edge], source: str, to: str) -> int:
    n, node = 0, source
    while node != to:
        node = best[node].to
        n += 1
    return n


# =========================================================================== administrators


def admin_roles(snapshot: Snapshot) -> dict[str, str]:
    """Roles with administrator permissions, with why: an identity policy that allows ``*`` on
    ``*`` without conditions, or AWS's ``AdministratorAccess`` attached."""
    out: dict[str, str] = {}
    for role in snapshot.roles():
        arn = role.arn(snapshot.partition)
        for m in role.managed_policies:
            if m.endswith(":policy/AdministratorAccess"):
                out[arn] = "AdministratorAccess is attached"
        if arn in out:
            continue
        for policy in snapshot.identity_policies(role):
            for st in policy.statements:
                if st.effect == "Allow" and "*" in st.actions and "*" in st.resources and not st.conditions:
                    out[arn] = "an identity policy allows * on *"
                    break
            if arn in out:
                break
    return out
