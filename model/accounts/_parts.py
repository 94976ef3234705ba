"""The typed scenario of a pair, assembled from parts loaded once (docs/graph.md, "Scale").

A pair's scenario (:meth:`~rolecall.model.accounts.graph.Analysis.plain`) is the caller's part
(:meth:`Snapshot.caller_doc`), the role's part (:meth:`Snapshot.role_doc`), the organization with
the chains of the two accounts (:meth:`Snapshot.organization_doc`, trimmed) and a request. Loading
that document for every pair parses the same policies again and again (most of the graph's time);
here each part is loaded **once**, by the scenario loader's own functions
(:mod:`rolecall.model.scenario`: ``load_caller``, ``load_role``, ``load_organization``,
``load_request``, ``load_context``), and only the :class:`~rolecall.model.scenario.Scenario`
itself is put together per pair, as ``load_scenario`` puts it together. Nothing is decided here:
the typed scenario goes to :func:`rolecall.model.decide`.
tests/accounts/test_graph_parts.py checks that the assembled scenario equals the loaded one.

A part the loader refuses (an :class:`~rolecall.model.errors.InputError`) is kept and raised when
a scenario is assembled, in the loader's order (caller, role, request, organization, context); a
policy IAM would refuse to store is the scenario's ``malformed`` (the first in the loader's order),
as ``load_scenario`` records it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from typing import Any, Generic, TypeVar

from ..errors import MalformedPolicyError, RolecallError
from ..scenario import (
    CallerSpec,
    Organization,
    PolicyLoader,
    Request,
    RoleSpec,
    Scenario,
    load_caller,
    load_context,
    load_disabled_regions,
    load_organization,
    load_request,
    load_role,
    load_semantics,
)

__all__ = ["Loaded", "Parts", "RequestPart"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

#: A request as the graph sends it: the ``request`` object, the ``context`` object (``{}``: none)
#: and whether the caller signed in with MFA (``caller.mfa``).
RequestPart = tuple[Mapping[str, Any], Mapping[str, Any], bool]


class Loaded(Generic[T]):
    """One part of a scenario, loaded once: the value, the first policy IAM would refuse, or the
    error the loader raised."""

    __slots__ = ("error", "malformed", "value")

    def __init__(self, load: Callable[[PolicyLoader], T], policies: PolicyLoader) -> None:
        self.error: RolecallError | None = None
        try:
            self.value: T = load(policies)
        except RolecallError as exc:
            self.error = exc
        self.malformed: MalformedPolicyError | None = policies.malformed

    def get(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value


class Parts:
    """The loaded parts of one snapshot's scenarios, each loaded on first use and kept."""

    def __init__(self) -> None:
        self.semantics = load_semantics({}, "$.semantics")
        self._disabled = load_disabled_regions({}, "$.disabled_regions")
        self._callers: dict[Hashable, Loaded[CallerSpec]] = {}
        self._roles: dict[Hashable, Loaded[RoleSpec]] = {}
        self._orgs: dict[Hashable, Loaded[Organization | None]] = {}
        self._plain: dict[str, Request] = {}

    def _loader(self) -> PolicyLoader:
        return PolicyLoader(self.semantics)

    def caller(self, key: Hashable, doc: Callable[[], Mapping[str, Any]]) -> Loaded[CallerSpec]:
        """The ``caller`` part (``doc()``: its scenario JSON), loaded once per ``key``."""
        hit = self._callers.get(key)
        if hit is None:
            hit = self._callers[key] = Loaded(lambda p: load_caller(doc(), "$.caller", p), self._loader())
        return hit

    def role(self, key: Hashable, doc: Callable[[], Mapping[str, Any]]) -> Loaded[RoleSpec]:
        hit = self._roles.get(key)
        if hit is None:
            hit = self._roles[key] = Loaded(lambda p: load_role(doc(), "$.role", p), self._loader())
        return hit

    def organization(self, key: Hashable, doc: Callable[[], Mapping[str, Any] | None]) -> Loaded[Organization | None]:
        hit = self._orgs.get(key)
        if hit is None:

            def load(p: PolicyLoader) -> Organization | None:
                value = doc()
                return None if value is None else load_organization(value, "$.organization", p)

            hit = self._orgs[key] = Loaded(load, self._loader())
        return hit

    def scenario(
        self,
        sid: str,
        caller: Loaded[CallerSpec],
        role: Loaded[RoleSpec],
        organization: Loaded[Organization | None],
        request: RequestPart,
        compiled: dict[Any, Any],
    ) -> Scenario:
        """The scenario ``load_scenario`` gives for ``{"id": sid, "caller": …, "role": …,
        "organization": …, "request": …, "context": …}`` (``caller.mfa`` set when the request part
        says so), without its ``source``. ``compiled`` is the model's per-world cache: pass the same
        dict only for scenarios of the same caller, role, organization and MFA."""
        c = caller.get()
        r = role.get()
        req_doc, ctx_doc, mfa = request
        if mfa:
            c = replace(c, mfa=True)
        req = self._request(req_doc)
        org = organization.get()
        context = load_context(ctx_doc, "$.context", c, req, org, r.arn.account) if ctx_doc else {}
        return Scenario(
            caller=c,
            role=r,
            request=req,
            organization=org,
            context=context,
            semantics=self.semantics,
            expect=None,
            id=sid,
            nonexistent_principals=frozenset(),
            disabled_regions=self._disabled,
            malformed=caller.malformed or role.malformed or organization.malformed,
            compiled=compiled,
        )

    def _request(self, doc: Mapping[str, Any]) -> Request:
        if len(doc) == 1 and isinstance(doc.get("role_session_name"), str):  # the plain request, loaded once
            name = doc["role_session_name"]
            hit = self._plain.get(name)
            if hit is None:
                hit = self._plain[name] = load_request(dict(doc), "$.request")
            return hit
        return load_request(dict(doc), "$.request")
