"""The moto targets: ``moto`` (in-process ``mock_aws``) and ``moto-server`` (``ThreadedMotoServer``).

Both switch moto's IAM enforcement on (docs/emulators.md §1.4: it is off by
default, and then every AssumeRole succeeds) and perform the AssumeRole under
test, and the GetCallerIdentity after it, through a real boto3 client signing
with the caller's credentials, so that moto's own request handling, account
resolution and authorization decide.

Provisioning (docs/emulators.md §3, "Multi-account recipe"):

* Every scenario's accounts are renamed to fresh ones (:class:`FreshAccounts`),
  so one moto world serves many scenarios without collisions; the world is
  reset every ``RESET_EVERY`` scenarios only because moto resolves an access
  key by scanning every account, which grows linearly.
* ``moto`` creates users, keys, roles and the caller's session directly in
  moto's backends (the same objects its IAM and STS handlers call), which is
  what makes 100+ scenarios a second possible in-process.
* ``moto-server`` does the same (the server runs in the suite's process and
  shares its backends) and sends the AssumeRole and GetCallerIdentity over
  HTTP; ``moto-server-http`` provisions over HTTP too, like any remote
  emulator: IAM calls carry ``x-moto-account-id``; ``/moto-api/reset-auth``
  lets exactly the provisioning calls through unauthenticated and
  authenticates everything after them, the AssumeRole under test included.
  Every request costs the server about 6 ms, so this is about four times
  slower (tests/benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from rolecall.model.scenario import OAUTH_HOSTS

from .._world import FederatedPlan, FreshAccounts, Plan, federated_plan, plan
from ._aws import ApiProvisioner, AwsApi, Creds, assume_federated, outcome_of_error, target_failures
from .base import API_PROVISIONABLE, Capability, Outcome, Target, TargetError, TargetUnavailable

__all__ = ["MotoServerTarget", "MotoTarget"]

RESET_EVERY = 100
_T = TypeVar("_T")

_CAPABILITIES: frozenset[str] = frozenset({Capability.MULTI_ACCOUNT, *API_PROVISIONABLE})
"""What moto 5.2.5 can provision. Not: user permissions boundaries (no PutUserPermissionsBoundary),
organizations (its IAM authorization never consults SCPs or RCPs), arbitrary request context, MFA,
root / federated / service / GetSessionToken callers. The federated doors are in: moto answers
AssumeRoleWithWebIdentity and AssumeRoleWithSAML (docs/emulators.md, "The federated doors"); its IAM
enforcement cannot authenticate these unsigned calls (its authenticator reads the Authorization header),
so the targets let exactly that call through it; everything else stays enforced."""


_EXACT_CAPABILITIES: frozenset[str] = _CAPABILITIES | {Capability.ORGANIZATIONS}
"""What the ``moto-exact`` targets can provision: moto's, and organizations (created in moto's
Organizations backend with the scenario's ids and SCP and RCP chains, which the switch reads at
every call: :func:`_provision_organization_in_backends`)."""

_EXACT_OFFSET = 2_500_000_000
"""The exact targets' fresh accounts, apart from the plain targets' (they share this process's moto)."""


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def _account_base(worker: str | None, offset: int = 0) -> int:
    """Distinct fresh-account ranges per pytest-xdist worker (``gw0``, ``gw1``…) and per target kind
    (``offset``): the in-process and the server target share this process's moto backends."""
    n = int(worker[2:]) if worker and worker.startswith("gw") and worker[2:].isdigit() else 0
    return 100_000_000_000 + n * 10_000_000_000 + offset


class _ScenarioCallers:
    """The exact targets' :data:`~rolecall.conformance.moto_exact.ReadCaller`: the scenario's own
    ``federated_caller`` for a token the suite sent, after checking that the switch's default reader
    reads the token as the scenario states it (what a token can carry: provider, claims, the SAML
    fields, an expired status). What no token carries (a bad signature, the Cognito pool's account,
    an OAuth 2.0 token's claims) comes from the scenario alone. A token read otherwise is answered
    ``RolecallCannotDecide`` with the difference, a divergence the suite reports."""

    def __init__(self) -> None:
        self._meant: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def sending(self, fp: FederatedPlan, caller: Mapping[str, Any]) -> Iterator[None]:
        token = str(fp.params.get("SAMLAssertion") or fp.params.get("WebIdentityToken"))
        with self._lock:
            self._meant[token] = caller
        try:
            yield
        finally:
            with self._lock:
                self._meant.pop(token, None)

    def __call__(self, api: str, token: str, provider_id: str | None = None) -> Mapping[str, Any]:
        from .._tokens import read_saml_response, read_web_identity_token, same_caller
        from ..moto_exact import read_caller

        with self._lock:
            meant = self._meant.get(token)
        if meant is None:
            return read_caller(api, token, provider_id)
        if meant.get("token_status") == "malformed" or meant.get("provider") in OAUTH_HOSTS:
            return meant
        read = read_saml_response(token) if api == "AssumeRoleWithSAML" else read_web_identity_token(token)
        problem = same_caller(read, meant)
        if problem is not None:
            raise TargetError(f"the switch's reader read the token with {problem}")
        return meant


class _MotoTargetBase(Target):
    """What both moto targets share: moto reset every :data:`RESET_EVERY` scenarios, the door a
    scenario takes, and for the exact targets the switch (with the suite's :class:`_ScenarioCallers`)
    and the scenario's organization in moto's backends."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self._switch: Any = None
        self._callers = _ScenarioCallers()
        self._since_reset = 0

    def _switch_on(self) -> None:
        if self.exact:
            from ..moto_exact import exact_sts

            self._switch = exact_sts(read_caller=self._callers)
            self._switch.__enter__()

    def _switch_off(self) -> None:
        if self._switch is not None:
            self._switch.__exit__(None, None, None)
            self._switch = None

    def _started(self) -> AwsApi:
        """The API client of a started target, else :class:`TargetUnavailable`."""
        raise NotImplementedError

    def _reset(self) -> None:
        """Empty moto's accounts."""
        raise NotImplementedError

    def _run_federated(self, fp: FederatedPlan, check_identity: bool) -> Outcome:
        raise NotImplementedError

    def _assume(self, p: Plan, check_identity: bool) -> Outcome:
        """Provision ``p`` and perform its AssumeRole."""
        raise NotImplementedError

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        self._started()
        if self._since_reset >= RESET_EVERY:
            self._reset()
            self._since_reset = 0
        if "federated_caller" in doc:
            self._since_reset += 1
            fp = federated_plan(doc)
            _exact_organization(doc, self.exact)
            with self._callers.sending(fp, doc["federated_caller"]):
                return self._run_federated(fp, check_identity)
        p = plan(doc)
        self._since_reset += 1
        _exact_organization(doc, self.exact)
        return self._assume(p, check_identity)


class MotoTarget(_MotoTargetBase):
    """moto in-process (``mock_aws``), IAM enforcement on.

    ``exact=True`` (target ``moto-exact``): with the switch of :mod:`rolecall.conformance.moto_exact`
    on, so that rolecall's model answers every AssumeRole from moto's state."""

    name = "moto"
    capabilities = _CAPABILITIES

    def __init__(self, worker: str | None = None, exact: bool = False) -> None:
        super().__init__(exact)
        self.version = _moto_version()
        if exact:
            self.name = "moto-exact"
            self.capabilities = _EXACT_CAPABILITIES
        base = _account_base(worker or os.environ.get("PYTEST_XDIST_WORKER"), _EXACT_OFFSET if exact else 0)
        self._fresh = FreshAccounts(base)
        self._mock: Any = None
        self._saved: tuple[float, int] | None = None
        self._api: AwsApi | None = None
        self._account = threading.local()

    def start(self) -> None:
        if self._mock is not None:
            return
        from moto import mock_aws, settings
        from moto.core.authorization import ActionAuthenticatorMixin

        self._mock = mock_aws()
        self._mock.start()
        self._switch_on()
        self._saved = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # authenticate and authorize every request
        ActionAuthenticatorMixin.request_count = 0
        self._api = AwsApi(None, self._headers)

    def _headers(self) -> dict[str, str]:
        """``x-moto-account-id`` for a federated call: the role's account (an unsigned call names none)."""
        account = getattr(self._account, "id", None)
        return {"x-moto-account-id": account} if account else {}

    def stop(self) -> None:
        if self._mock is None:
            return
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        assert self._saved is not None
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = self._saved
        self._switch_off()
        self._mock.stop()
        self._mock = None

    def prepare(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self._fresh(doc)

    def _started(self) -> AwsApi:
        if self._mock is None or self._api is None:
            raise TargetUnavailable("the moto target is not started")
        return self._api

    def _reset(self) -> None:
        self._mock.reset()

    def _assume(self, p: Plan, check_identity: bool) -> Outcome:
        return _run_in_backends(self._started(), p, check_identity, self.exact)

    def _run_federated(self, fp: FederatedPlan, check_identity: bool) -> Outcome:
        from moto.core.authorization import disable_iam_authentication

        assert self._api is not None
        made = _provision_federated_in_backends(fp)
        if isinstance(made, Outcome):
            return made
        self._account.id = fp.role.account
        try:
            out = assume_federated(self._api, fp, check_identity=check_identity, around=disable_iam_authentication)
        finally:
            self._account.id = None
        return dataclasses.replace(out, role_id=made)


def _run_in_backends(api: AwsApi, p: Plan, check_identity: bool, exact: bool = False) -> Outcome:
    """Provision ``p`` in moto's backends, then perform its AssumeRole through ``api`` (both moto targets).

    ``exact``: the switch of :mod:`rolecall.conformance.moto_exact` is on, and a caller session
    carries its transitive tags and source identity (:func:`~rolecall.conformance.moto_exact.record_session`),
    which moto's own sessions cannot hold."""
    made = _provision_in_backends(p, exact)
    if isinstance(made, Outcome):
        return made
    creds, role_id = made
    if exact and p.caller.kind == "role-session":
        _record_caller_session(p, creds)
    return dataclasses.replace(api.assume(p, creds, check_identity=check_identity), role_id=role_id)


def _provision_in_backends(p: Plan, exact: bool = False) -> tuple[Creds, str | None] | Outcome:
    """Create the caller and the role directly in moto's backends (what its IAM and STS handlers call):
    the caller's credentials and the role's id, or moto's answer refusing a policy.

    ``exact`` (the switch's targets): a role that does not exist is created and deleted again, so
    that its trust policy is saved as AWS would save it (a trust AWS refuses makes a world that
    cannot exist: the model's ``MalformedPolicyDocument``) and its ARN names no role at the call."""
    from moto.core.exceptions import ServiceException
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    c, r = p.caller, p.role
    try:
        with target_failures("provisioning"):
            iam: Any = iam_backends[c.account][c.partition]
            tags = [{"Key": k, "Value": v} for k, v in c.tags]
            if c.kind == "user":
                iam.create_user(p.region, c.name, c.path, tags)
                for i, policy in enumerate(c.identity_policies):
                    iam.put_user_policy(c.name, f"p{i}", policy)
                key = iam.create_access_key(c.name)
                creds: Creds = (key.access_key_id, key.secret_access_key, None)
            else:
                boundary = None
                if c.boundary is not None:
                    boundary = iam.create_policy("", "/", c.boundary, f"{c.name}-boundary", []).arn
                trust, role_tags = _self_trust(c.partition, c.account), tags
                msd: str | None = "43200"
                if p.self_assume:  # one role: the target's trust, duration and tags, the caller's permissions
                    trust = r.trust
                    msd = str(r.max_session_duration) if r.max_session_duration is not None else None
                    role_tags = tags or [{"Key": k, "Value": v} for k, v in r.tags]
                made = iam.create_role(c.name, trust, c.path, boundary, "", role_tags, msd)
                for i, policy in enumerate(c.identity_policies):
                    iam.put_role_policy(c.name, f"p{i}", policy)
                sts: Any = sts_backends[c.account][c.partition]
                session = sts.assume_role(p.region, c.session_name, c.role_arn, c.session_policy, 3600, None)
                creds = (session.access_key_id, session.secret_access_key, session.session_token)
            role_id = str(made.id) if c.kind != "user" and p.self_assume else None
            if (r.exists or exact) and not p.self_assume:
                role_iam: Any = iam_backends[r.account][c.partition]
                role_msd = str(r.max_session_duration) if r.max_session_duration is not None else None
                role_tags = [{"Key": k, "Value": v} for k, v in r.tags]
                role_id = str(role_iam.create_role(r.name, r.trust, r.path, None, "", role_tags, role_msd).id)
                if not r.exists:
                    role_iam.delete_role(r.name)
                    role_id = None
            return creds, role_id
    except TargetError as exc:
        cause = exc.__cause__
        if isinstance(cause, ServiceException):
            return outcome_of_error(cause.code, cause.message, {"Error": {"Code": cause.code}}, "provision")
        raise


def _record_caller_session(p: Plan, creds: Creds) -> None:
    """Give the caller's session (created in moto's backends) its transitive tags, source identity and
    session policy, as the switch keeps them for the sessions it issues."""
    from moto.sts.models import sts_backends

    from ..moto_exact import ExactSession, record_session

    c = p.caller
    keys = {k.lower() for k in c.transitive_tag_keys}
    for s in sts_backends[c.account][c.partition].assumed_roles:
        if s.access_key_id == creds[0]:
            tags = [(k, v) for k, v in c.tags if k.lower() in keys]
            record_session(s, ExactSession(tags, c.transitive_tag_keys, c.source_identity, c.session_policy))
            return
    raise TargetError(f"the caller's session {creds[0]} is not in moto's backends")


def _provision_federated_in_backends(fp: FederatedPlan) -> str | Outcome | None:
    """Create the identity providers and the role of a federated scenario in moto's backends: the
    role's id (``None`` when the scenario's role does not exist), or moto's answer refusing one."""
    from moto.core.exceptions import ServiceException
    from moto.iam.models import iam_backends

    partition = fp.role.arn.split(":")[1]
    try:
        with target_failures("provisioning"):
            for account, url, client_ids, thumbprints in fp.oidc_providers:
                iam_backends[account][partition].create_open_id_connect_provider(
                    url, list(thumbprints), list(client_ids), []
                )
            for account, name, metadata in fp.saml_providers:
                iam_backends[account][partition].create_saml_provider(name, metadata)
            r = fp.role
            if not r.exists:
                return None
            msd = str(r.max_session_duration) if r.max_session_duration is not None else None
            tags = [{"Key": k, "Value": v} for k, v in r.tags]
            return str(iam_backends[r.account][partition].create_role(r.name, r.trust, r.path, None, "", tags, msd).id)
    except TargetError as exc:
        cause = exc.__cause__
        if isinstance(cause, ServiceException):
            return outcome_of_error(cause.code, cause.message, {"Error": {"Code": cause.code}}, "provision")
        raise


def _exact_organization(doc: Mapping[str, Any], exact: bool) -> None:
    """The scenario's organization, in moto's backends, for an exact target (the others cannot
    express one: ``adapt`` removed it)."""
    if exact and "organization" in doc:
        with target_failures("provisioning"):
            _provision_organization_in_backends(doc["organization"], str(doc["role"]["arn"]).split(":")[1])


def _provision_organization_in_backends(org: Mapping[str, Any], partition: str) -> None:
    """Create a scenario's ``organization`` in moto's Organizations backend, for the exact targets
    (the switch reads it back at every call, :mod:`rolecall.conformance.moto_exact`).

    moto's CreateOrganization and CreateAccount draw random ids, so the organization and its member
    accounts are made in the backend and given the scenario's ids. Both policy types are enabled at
    the root, which keeps moto's FullAWSAccess and RCPFullAWSAccess. Each account with a chain gets
    its own line of OUs below the root: the chain's levels but the last on the OUs, the last on the
    account, FullAWSAccess detached where an SCP level is given; a shorter SCP or RCP chain is padded at
    its top with levels that keep moto's defaults (FullAWSAccess; for RCPs RCPFullAWSAccess, which the
    reader leaves implied). The root's defaults and the padding allow every action, so the chain read
    back decides as the scenario's does; an account without a chain keeps the defaults (full access:
    docs/scenario-format.md, ``organization``)."""
    from moto.organizations import utils
    from moto.organizations.models import FakeAccount, organizations_backends

    mgmt = str(org["management_account"])
    backend: Any = organizations_backends[mgmt][partition]
    if backend.org is not None:
        raise TargetError(f"moto already holds an organization managed by {mgmt}")
    backend.create_organization(region="us-east-1", FeatureSet="ALL")
    organization: Any = backend.org
    org_id = organization.id = str(org["id"])
    root = backend.ou[0]
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        backend.enable_policy_type(RootId=root.id, PolicyType=policy_type)
    for member in org.get("members", []):
        if member == mgmt:
            continue
        account = FakeAccount(organization, AccountName=f"member-{member}", Email=f"{member}@example.com")
        account.id = str(member)
        backend.accounts.append(account)
        organizations_backends.master_accounts[account.id] = (mgmt, partition)
        for policy_id in (utils.DEFAULT_SCP_POLICY_ID, utils.DEFAULT_RCP_POLICY_ID):
            backend.attach_policy(PolicyId=policy_id, TargetId=account.id)
    for thing in (*backend.ou, *backend.accounts, *backend.policies):
        thing.organization_id = org_id
    scps, rcps = org.get("scps", {}), org.get("rcps", {})
    for account_id in dict.fromkeys([*scps, *rcps]):
        scp, rcp = list(scps.get(account_id, [])), list(rcps.get(account_id, []))
        depth = max(len(scp), len(rcp))
        # None: the level keeps moto's defaults (FullAWSAccess, RCPFullAWSAccess), which allow every action
        levels = list(zip([None] * (depth - len(scp)) + scp, [None] * (depth - len(rcp)) + rcp, strict=True))
        parent = root.id
        for n, (scp_level, rcp_level) in enumerate(levels):
            if n < depth - 1:
                target = backend.create_organizational_unit(Name=f"{account_id}-{n}", ParentId=parent)
                target_id = target["OrganizationalUnit"]["Id"]
                parent = target_id
            else:
                target_id = account_id
                backend.get_account_by_id(account_id).parent_id = parent
            for policy_type, level in (("SERVICE_CONTROL_POLICY", scp_level), ("RESOURCE_CONTROL_POLICY", rcp_level)):
                if level is None:
                    continue
                if policy_type == "SERVICE_CONTROL_POLICY":  # RCPFullAWSAccess cannot be detached
                    backend.detach_policy(PolicyId=utils.DEFAULT_SCP_POLICY_ID, TargetId=target_id)
                for i, document in enumerate(level):
                    made = backend.create_policy(
                        Name=f"{policy_type[0]}-{account_id}-{n}-{i}",
                        Type=policy_type,
                        Content=document if isinstance(document, str) else json.dumps(document, separators=(",", ":")),
                        Description="",
                    )
                    backend.attach_policy(PolicyId=made["Policy"]["PolicySummary"]["Id"], TargetId=target_id)


@contextlib.contextmanager
def _let_one_through(moto_api: Callable[[str, str], None]) -> Iterator[None]:
    """The moto server lets the next request through unauthenticated, then authenticates again."""
    moto_api("reset-auth", "1")
    try:
        yield
    finally:
        moto_api("reset-auth", "0")


def _self_trust(partition: str, account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                }
            ],
        }
    )


class MotoServerTarget(_MotoTargetBase):
    """moto's ``ThreadedMotoServer``, started by the suite on 127.0.0.1 (a free port), over real HTTP.

    ``provision="backend"`` (target ``moto-server``): the AssumeRole under test and GetCallerIdentity
    go over HTTP through boto3; users, roles and caller sessions are created in moto's backends,
    which the server shares with the suite's process (as for ``moto``), and IAM enforcement stays on.
    ``provision="http"`` (target ``moto-server-http``): everything over HTTP, as for a remote
    emulator; about four times slower (each request costs the server about 6 ms).
    """

    capabilities = _CAPABILITIES

    def __init__(self, worker: str | None = None, provision: str = "backend", exact: bool = False) -> None:
        if provision not in ("backend", "http"):
            raise ValueError(f"provision must be 'backend' or 'http', not {provision!r}")
        super().__init__(exact)
        self.provision = provision
        self.name = "moto-server" if provision == "backend" else "moto-server-http"
        if exact:
            self.name = self.name.replace("moto-", "moto-exact-")
            self.capabilities = _EXACT_CAPABILITIES
        self.version = _moto_version()
        offset = 5_000_000_000 + (_EXACT_OFFSET if exact else 0)
        self._fresh = FreshAccounts(_account_base(worker or os.environ.get("PYTEST_XDIST_WORKER"), offset))
        self._server: Any = None
        self.endpoint_url: str | None = None
        self._account = threading.local()
        self._api: AwsApi | None = None

    def start(self) -> None:
        if self._server is not None:
            return
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._switch_on()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        _, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self._api = AwsApi(self.endpoint_url, self._headers)
        # moto's backends live in this process and outlive a session (an update runs several in one
        # process): a new session starts from empty accounts, or its fresh ids would meet the last one's
        self._moto_api("reset", "")
        self._moto_api("reset-auth", "0")

    def stop(self) -> None:
        if self._server is not None:
            try:
                self._moto_api("reset-auth", "inf")
            finally:
                self._server.stop()
                self._server = None
                self._switch_off()

    def _headers(self) -> dict[str, str]:
        account = getattr(self._account, "id", None)
        return {"x-moto-account-id": account} if account else {}

    def _moto_api(self, path: str, body: str) -> None:
        """POST to moto's control API (Content-Type text/plain: docs/emulators.md §1.4)."""
        assert self.endpoint_url is not None
        req = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/{path}",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                resp.read()
        except OSError as exc:
            raise TargetError(f"moto server control API /moto-api/{path}: {exc}") from exc

    def prepare(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self._fresh(doc)

    def _run_federated(self, fp: FederatedPlan, check_identity: bool) -> Outcome:
        assert self._api is not None
        made = _provision_federated_in_backends(fp) if self.provision == "backend" else self._provision_federated(fp)
        if isinstance(made, Outcome):
            return made
        self._account.id = fp.role.account  # the unsigned call names no account: the role's
        try:
            # the server's enforcement cannot authenticate an unsigned call: let exactly that one through
            out = assume_federated(
                self._api,
                fp,
                check_identity=check_identity,
                around=lambda: _let_one_through(self._moto_api),
            )
        finally:
            self._account.id = None
        return dataclasses.replace(out, role_id=made)

    def _provision_federated(self, fp: FederatedPlan) -> str | Outcome | None:
        """The providers and the role of ``fp`` over HTTP (IAM's own calls, as for any emulator); the
        role's id, or the answer that refused."""
        prov = ApiProvisioner(self._iam, self._sts)
        got = self._unauthenticated(prov.federated_calls(fp), lambda: prov.provision_federated(fp))
        return got if isinstance(got, Outcome) else prov.role_id

    def _unauthenticated(self, calls: int, provision: Callable[[], _T]) -> _T:
        """``provision()`` with exactly its ``calls`` requests let through unauthenticated: everything after
        them is authorized again, also when a call fails or is refused (a refused call may not be counted)."""
        self._moto_api("reset-auth", str(calls))
        try:
            got = provision()
        except BaseException:
            self._moto_api("reset-auth", "0")
            raise
        finally:
            self._account.id = None
        if isinstance(got, Outcome):
            self._moto_api("reset-auth", "0")
        return got

    def _iam(self, account: str) -> Any:
        assert self._api is not None
        self._account.id = account
        return self._api.client("iam")

    def _sts(self, account: str) -> Any:
        assert self._api is not None
        self._account.id = None
        return self._api.client("sts", creds=("provisioning", "provisioning", None))

    def _started(self) -> AwsApi:
        if self._api is None:
            raise TargetUnavailable("the moto-server target is not started")
        return self._api

    def _reset(self) -> None:
        self._moto_api("reset", "")

    def _assume(self, p: Plan, check_identity: bool) -> Outcome:
        api = self._started()
        if self.provision == "backend":
            return _run_in_backends(api, p, check_identity, self.exact)
        prov = ApiProvisioner(self._iam, self._sts)
        got = self._unauthenticated(prov.calls(p), lambda: prov.provision(p))
        if isinstance(got, Outcome):
            return got
        out = api.assume(p, got, check_identity=check_identity)
        return dataclasses.replace(out, role_id=prov.role_id)
