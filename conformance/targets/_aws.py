"""boto3 glue shared by the emulator targets (private): clients, the AssumeRole call, outcomes.

Every call goes through a real boto3 client with client-side parameter
validation switched off (so that the *server's* validation is what gets
tested) and without retries (so that a failure surfaces as one).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from rolecall.model.result import FEDERATED_RESPONSE_FIELDS

from .._world import CallerPlan, FederatedPlan, Plan, RolePlan
from .base import Outcome, TargetError

__all__ = [
    "AwsApi",
    "Creds",
    "DeadlineSender",
    "assume_federated",
    "classify_denial",
    "is_target_failure",
    "outcome_of_error",
]

Creds = tuple[str, str, str | None]
"""(AccessKeyId, SecretAccessKey, SessionToken or None)."""

CONFIG = Config(
    parameter_validation=False,
    retries={"total_max_attempts": 1},
    connect_timeout=10,
    read_timeout=30,
)

#: error codes that mean "the target failed", never an AWS answer
_TARGET_FAILURES = {"InternalFailure", "InternalError", "ServiceUnavailable", "InternalServerError", "Throttling"}

_EXPLICIT = re.compile(r"with an explicit deny", re.IGNORECASE)
_IMPLICIT = re.compile(r"because no .* allows|no (?:identity-based|resource-based|session) policy allows", re.I)


def classify_denial(message: str | None) -> str:
    """``explicitDeny`` / ``implicitDeny`` when AWS's message says which, else ``denied``."""
    if message and _EXPLICIT.search(message):
        return "explicitDeny"
    if message and _IMPLICIT.search(message):
        return "implicitDeny"
    return "denied"


def outcome_of_error(code: str, message: str | None, raw: Any, phase: str = "assume") -> Outcome:
    """An AWS error answer as an outcome (AccessDenied as a denial, any other code as ``error``)."""
    if code in ("AccessDenied", "AccessDeniedException"):
        result: dict[str, Any] = {"decision": classify_denial(message), "message": message}
        return Outcome(result=result, raw=raw, phase=phase, decision_from_text=True)
    result = {"decision": "error", "error_code": code, "message": message}
    return Outcome(result=result, raw=raw, phase=phase)


def is_target_failure(exc: ClientError) -> bool:
    """Whether an error answer is the target failing (any 5xx, whatever its body; a code that says the
    server failed or is throttling; no code at all), never an answer AWS would give the scenario."""
    err = exc.response.get("Error", {})
    code = str(err.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return status >= 500 or code in _TARGET_FAILURES or not code


def _client_error(exc: ClientError, phase: str) -> Outcome:
    err = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    code = str(err.get("Code", ""))
    status = int(meta.get("HTTPStatusCode") or 0)
    if is_target_failure(exc):
        raise TargetError(f"HTTP {status} {code}: {err.get('Message', '')}".strip()) from exc
    return outcome_of_error(code, err.get("Message"), {"Error": dict(err), "HTTPStatusCode": status}, phase)


@contextmanager
def target_failures(what: str) -> Iterator[None]:
    """Turn transport failures and emulator crashes into :class:`TargetError`."""
    try:
        yield
    except (ClientError, TargetError):
        raise
    except BotoCoreError as exc:  # parser errors (HTTP 500 HTML), connection refused, timeouts
        raise TargetError(f"{what}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # an in-process emulator crashing (TypeError, AttributeError, …)
        raise TargetError(f"{what}: {type(exc).__name__}: {exc}") from exc


class _Body:
    """The raw body botocore reads an :class:`~botocore.awsrequest.AWSResponse` from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


#: the most a response body may hold (an emulator's answer is a few kilobytes; a server sending without
#: end is failing)
MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class DeadlineSender:
    """Sends each request of a boto3 client itself, with a *total* deadline per call.

    botocore's ``read_timeout`` bounds each socket read, so a server that sends its headers and then
    one byte every few seconds holds a call for ever. This sender (a ``before-send`` handler, which
    botocore lets answer in its place) closes the connection when ``deadline`` seconds have passed
    since the request started, whatever the server is doing, and reads at most
    :data:`MAX_RESPONSE_BYTES`; either is a :class:`TargetError`, never an answer. HTTPS is verified
    against the system's certificates, or the bundle ``AWS_CA_BUNDLE`` names; proxies are not used
    (an emulator is reached directly).
    """

    def __init__(self, deadline: float, connect_timeout: float = 10.0) -> None:
        self.deadline = deadline
        self.connect_timeout = connect_timeout

    def __call__(self, request: Any, **_: Any) -> Any:
        url = urlsplit(request.url)
        timeout = min(self.connect_timeout, self.deadline)
        conn: http.client.HTTPConnection
        if url.scheme == "https":
            context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
            conn = http.client.HTTPSConnection(url.hostname or "", url.port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=timeout)
        expired = threading.Event()
        began = time.monotonic()

        def expire() -> None:
            expired.set()
            sock = conn.sock
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(2)  # wakes the reading thread at once

        timer = threading.Timer(self.deadline, expire)
        timer.daemon = True
        timer.start()
        try:
            conn.connect()
            left = self.deadline - (time.monotonic() - began)
            if expired.is_set() or left <= 0:  # the deadline passed while connecting: the timer found no socket
                raise TargetError(f"{request.url}: no complete answer within {self.deadline:g} s")
            if conn.sock is not None:
                conn.sock.settimeout(left)  # each read waits at most what is left; the timer closes the rest
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            body = request.body
            if hasattr(body, "read"):
                body = body.read()
            conn.request(request.method, path, body=body, headers=dict(request.headers.items()))
            response = conn.getresponse()
            data = response.read(MAX_RESPONSE_BYTES + 1)
            if expired.is_set():
                raise TargetError(f"{request.url}: no complete answer within {self.deadline:g} s")
            if len(data) > MAX_RESPONSE_BYTES:
                raise TargetError(f"{request.url}: the answer exceeds {MAX_RESPONSE_BYTES} bytes")
            length = response.getheader("Content-Length")
            if length is not None and length.isdigit() and int(length) != len(data):
                raise TargetError(f"{request.url}: the answer ended after {len(data)} of {length} bytes")
            headers = HTTPHeaders()
            for k, v in response.getheaders():
                headers[k] = v
            return AWSResponse(request.url, response.status, headers, _Body(data))
        except (OSError, http.client.HTTPException) as exc:
            # the timer, or a read bounded by what was left of the deadline (whichever ends it first)
            if expired.is_set() or time.monotonic() - began >= self.deadline - 0.05:
                raise TargetError(f"{request.url}: no complete answer within {self.deadline:g} s") from None
            raise TargetError(f"{request.url}: {type(exc).__name__}: {exc}") from None
        finally:
            timer.cancel()
            conn.close()


class AwsApi:
    """boto3 clients for one endpoint, reused across scenarios (client creation costs milliseconds).

    ``headers`` is called before each request is signed and may add headers
    (the moto server's ``x-moto-account-id`` during provisioning). With ``deadline``, every call
    has a total deadline in seconds (:class:`DeadlineSender`); with ``retries``, a failed AssumeRole is
    tried again that many times (after 0.5 s, then 1 s…).
    """

    def __init__(
        self,
        endpoint_url: str | None,
        headers: Callable[[], dict[str, str]] | None = None,
        *,
        deadline: float | None = None,
        retries: int = 0,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.retries = retries
        """How many times a failed AssumeRole is tried again (a failure of the target, never an answer;
        provisioning calls are never retried: a create that reached the server would then be refused
        as a duplicate, and read as the scenario's answer)."""
        self._sender = DeadlineSender(deadline) if deadline is not None else None
        self._session = boto3.session.Session(
            aws_access_key_id="provisioning", aws_secret_access_key="provisioning", region_name="us-east-1"
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._headers = headers

    def client(self, service: str, region: str = "us-east-1", creds: Creds | None = None) -> Any:
        """A client of ``service``; with ``creds``, one signing with those credentials."""
        key = (service, region)
        c = self._clients.get(key)
        if c is None:
            c = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=CONFIG)
            if self._headers is not None:
                c.meta.events.register("before-sign.*.*", self._add_headers)
            if self._sender is not None:
                c.meta.events.register("before-send.*.*", self._sender)
            self._clients[key] = c
        if creds is not None:
            # One client per (service, region), re-pointed at the caller's credentials: creating a
            # client per scenario would cost more than the AssumeRole itself. Not thread-safe: one
            # target drives its clients from one thread at a time.
            c._request_signer._credentials = Credentials(*creds)
        return c

    def _add_headers(self, request: Any, **_: Any) -> None:
        assert self._headers is not None
        for k, v in self._headers().items():
            request.headers[k] = v

    def caller_identity(self, region: str, creds: Creds) -> dict[str, str]:
        """GetCallerIdentity with issued credentials: ``Arn``, ``Account``, ``UserId``, or the ``Error``."""
        try:
            with target_failures("GetCallerIdentity"):
                who = self.client("sts", region, creds).get_caller_identity()
            return {k: str(who.get(k)) for k in ("Arn", "Account", "UserId")}
        except ClientError as exc:
            err = exc.response.get("Error", {})
            return {"Error": f"{err.get('Code')}: {err.get('Message')}"}

    def assume(self, p: Plan, creds: Creds, *, check_identity: bool = False) -> Outcome:
        """Perform the scenario's AssumeRole as the caller; optionally GetCallerIdentity with the result."""
        sts = self.client("sts", p.region, creds)
        for attempt in range(self.retries + 1):
            requested_at = time.time()
            try:
                with target_failures("AssumeRole"):
                    try:
                        resp = sts.assume_role(**p.params)
                    except ClientError as exc:
                        return _client_error(exc, "assume")  # an answer, or a TargetError for a 5xx
                break
            except TargetError:
                if attempt == self.retries:
                    raise
                time.sleep(0.5 * 2**attempt)
        try:
            c = resp["Credentials"]
            user = resp["AssumedRoleUser"]
            expiration = c["Expiration"]
            result = {
                "decision": "allowed",
                "assumed_role": {
                    "arn": user["Arn"],
                    "assumed_role_id": user["AssumedRoleId"],
                    "duration_seconds": round(expiration.timestamp() - requested_at),
                },
            }
            credentials = {"AccessKeyId": c["AccessKeyId"], "Expiration": expiration.isoformat()}
            new = (c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise TargetError(f"AssumeRole answered without {exc}: {resp!r}"[:500]) from exc
        identity = self.caller_identity(p.region, new) if check_identity else None
        raw = {k: v for k, v in resp.items() if k != "ResponseMetadata"}
        raw["Credentials"] = {k: str(v) for k, v in c.items() if k != "SecretAccessKey"}
        return Outcome(result=result, raw=raw, identity=identity, credentials=credentials, requested_at=requested_at)


#: The response fields of the federated APIs (boto3's names) -> rolecall's (docs/federation.md F12).
#: every federated response member -> the result field it fills (both APIs' members: an emulator may send
#: either, and each is read)
_FEDERATED_RESPONSE = {name: ours for fields in FEDERATED_RESPONSE_FIELDS.values() for name, ours in fields.items()}


def _federated_call(api: AwsApi, fp: FederatedPlan) -> Any:
    sts = api.client("sts", fp.region)
    if fp.api == "AssumeRoleWithSAML":
        return sts.assume_role_with_saml(**fp.params)
    return sts.assume_role_with_web_identity(**fp.params)


def assume_federated(
    api: AwsApi, fp: FederatedPlan, *, check_identity: bool = False, around: Callable[[], Any] | None = None
) -> Outcome:
    """Perform a federated scenario's call (unsigned: the APIs take no AWS credentials, SMITHY-STS) and
    optionally GetCallerIdentity with the credentials it issued. ``around`` is a context manager
    factory wrapped around the call alone (an emulator's switch for letting an unsigned call through
    its own authentication)."""
    requested_at = time.time()
    with target_failures(fp.api), around() if around is not None else contextlib.nullcontext():
        try:
            resp = _federated_call(api, fp)
        except ClientError as exc:
            return _client_error(exc, "assume")
    try:
        c = resp["Credentials"]
        user = resp["AssumedRoleUser"]
        expiration = c["Expiration"]
        assumed: dict[str, Any] = {
            "arn": user["Arn"],
            "assumed_role_id": user["AssumedRoleId"],
            "duration_seconds": round(expiration.timestamp() - requested_at),
        }
        new = (c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise TargetError(f"{fp.api} answered without {exc}: {resp!r}"[:500]) from exc
    for name, ours in _FEDERATED_RESPONSE.items():
        if resp.get(name) is not None:
            assumed[ours] = str(resp[name])
    identity = api.caller_identity(fp.region, new) if check_identity else None
    raw = {k: v for k, v in resp.items() if k not in ("ResponseMetadata", "Credentials")}
    return Outcome(
        result={"decision": "allowed", "assumed_role": assumed},
        raw=raw,
        identity=identity,
        credentials={"AccessKeyId": c["AccessKeyId"], "Expiration": expiration.isoformat()},
        requested_at=requested_at,
    )


#: provisioning refusals that say the *provisioning credentials* are wrong, not the scenario
_PROVISIONING_FAILURES = {
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "InvalidAccessKeyId",
}


def provision_error(exc: ClientError) -> Outcome:
    """A provisioning call refused by the target: the AWS answer of saving the scenario's policies
    (``MalformedPolicyDocument``, ``ValidationError``…). A refusal of the provisioning credentials
    themselves is a :class:`TargetError`, never the scenario's answer."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    if code in _PROVISIONING_FAILURES:
        raise TargetError(f"provisioning refused ({code}): {exc}") from exc
    return _client_error(exc, "provision")


class ApiProvisioner:
    """Provision a plan through the IAM and STS APIs (the moto server, any endpoint).

    ``iam(account)`` returns an IAM client acting in ``account``; ``sts(account)`` an
    STS client allowed to assume the caller's role in ``account`` (to create a caller
    session); ``bootstrap_principal``, when given, is also trusted by the caller's role
    (the principal ``sts(account)`` signs as, on targets that authenticate provisioning).
    Every created resource is logged in ``created`` (for targets that clean up).
    """

    def __init__(
        self,
        iam: Callable[[str], Any],
        sts: Callable[[str], Any],
        bootstrap_principal: Callable[[str], str | None] | None = None,
    ) -> None:
        self._iam = iam
        self._sts = sts
        self._bootstrap = bootstrap_principal
        self.created: list[tuple[str, str, str]] = []
        """(account, kind, name) in creation order; kinds ``user``, ``user-policy`` (name
        ``USER:POLICY``), ``access-key`` (``USER:KEYID``), ``policy`` (its ARN), ``role``,
        ``role-policy`` (``ROLE:POLICY``), ``oidc-provider`` and ``saml-provider`` (their ARNs)."""
        self.role_id: str | None = None
        """The RoleId CreateRole answered for the target role."""

    def calls(self, p: Plan) -> int:
        """How many API calls :meth:`provision` makes for ``p``."""
        c = p.caller
        n = len(c.identity_policies) + (1 if p.role.exists and not p.self_assume else 0)
        return n + 2 + (1 if c.boundary is not None else 0)

    def provision(self, p: Plan) -> Creds | Outcome:
        """Create the caller and the role; the caller's credentials, or the AWS answer that refused."""
        try:
            with target_failures("provisioning"):
                creds = self._caller(p)
                if p.role.exists and not p.self_assume:
                    self._role(p.role)
                return creds
        except ClientError as exc:
            return provision_error(exc)

    def federated_calls(self, fp: FederatedPlan) -> int:
        """How many API calls :meth:`provision_federated` makes for ``fp``."""
        return len(fp.oidc_providers) + len(fp.saml_providers) + (1 if fp.role.exists else 0)

    def provision_federated(self, fp: FederatedPlan) -> Outcome | None:
        """Create a federated scenario's identity providers (CreateOpenIDConnectProvider,
        CreateSAMLProvider, each in its account) and its role; ``None``, or the AWS answer that refused.
        The role's id is then :attr:`role_id`."""
        try:
            with target_failures("provisioning"):
                for account, url, client_ids, thumbprints in fp.oidc_providers:
                    kw: dict[str, Any] = {"Url": url, "ClientIDList": list(client_ids)}
                    if thumbprints:  # optional since 2024: IAM then trusts the provider's CA (docs/federation.md)
                        kw["ThumbprintList"] = list(thumbprints)
                    made = self._iam(account).create_open_id_connect_provider(**kw)
                    self.created.append((account, "oidc-provider", str(made["OpenIDConnectProviderArn"])))
                for account, name, metadata in fp.saml_providers:
                    made = self._iam(account).create_saml_provider(Name=name, SAMLMetadataDocument=metadata)
                    self.created.append((account, "saml-provider", str(made["SAMLProviderArn"])))
                if fp.role.exists:
                    self._role(fp.role)
                return None
        except ClientError as exc:
            return provision_error(exc)
        except KeyError as exc:
            raise TargetError(f"provisioning: an identity provider was created without {exc}") from exc

    def _role(self, r: RolePlan) -> None:
        """CreateRole for the scenario's role (its trust, path, duration and tags); logs it and its id."""
        kw: dict[str, Any] = {"RoleName": r.name, "Path": r.path, "AssumeRolePolicyDocument": r.trust}
        if r.max_session_duration is not None:
            kw["MaxSessionDuration"] = r.max_session_duration
        if r.tags:
            kw["Tags"] = [{"Key": k, "Value": v} for k, v in r.tags]
        made = self._iam(r.account).create_role(**kw)
        self.created.append((r.account, "role", r.name))
        self.role_id = str(made.get("Role", {}).get("RoleId") or "") or None

    def _caller(self, p: Plan) -> Creds:
        c = p.caller
        if c.kind == "user":
            return self._user_caller(c)
        # a role session: the caller's role, its policies, then a session of it
        iam = self._iam(c.account)
        kw = self._caller_role_kwargs(p)
        if c.boundary is not None:
            kw["PermissionsBoundary"] = self._boundary(iam, c)
        made = iam.create_role(**kw)
        self.created.append((c.account, "role", c.name))
        if p.self_assume:
            self.role_id = str(made.get("Role", {}).get("RoleId") or "") or None
        for i, doc in enumerate(c.identity_policies):
            iam.put_role_policy(RoleName=c.name, PolicyName=f"p{i}", PolicyDocument=doc)
            self.created.append((c.account, "role-policy", f"{c.name}:p{i}"))
        cred = self._sts(c.account).assume_role(**_session_params(c))["Credentials"]
        return (cred["AccessKeyId"], cred["SecretAccessKey"], cred["SessionToken"])

    def _boundary(self, iam: Any, c: CallerPlan) -> str:
        """CreatePolicy for the caller's permissions boundary; its ARN (logged)."""
        assert c.boundary is not None
        arn = str(iam.create_policy(PolicyName=f"{c.name}-boundary", PolicyDocument=c.boundary)["Policy"]["Arn"])
        self.created.append((c.account, "policy", arn))
        return arn

    def _user_caller(self, c: CallerPlan) -> Creds:
        """An IAM user caller: the user (with its tags and boundary), its inline policies and an access key;
        logs each."""
        iam = self._iam(c.account)
        kw: dict[str, Any] = {"UserName": c.name, "Path": c.path}
        tags = [{"Key": k, "Value": v} for k, v in c.tags]
        if tags:
            kw["Tags"] = tags
        if c.boundary is not None:  # a target that declares user-boundaries gets the boundary the model reads
            kw["PermissionsBoundary"] = self._boundary(iam, c)
        iam.create_user(**kw)
        self.created.append((c.account, "user", c.name))
        for i, doc in enumerate(c.identity_policies):
            iam.put_user_policy(UserName=c.name, PolicyName=f"p{i}", PolicyDocument=doc)
            self.created.append((c.account, "user-policy", f"{c.name}:p{i}"))
        key = iam.create_access_key(UserName=c.name)["AccessKey"]
        self.created.append((c.account, "access-key", f"{c.name}:{key['AccessKeyId']}"))
        return (key["AccessKeyId"], key["SecretAccessKey"], None)

    def _caller_role_kwargs(self, p: Plan) -> dict[str, Any]:
        """CreateRole's arguments for a role-session caller: a role its own account (and the bootstrap
        principal) may assume; or, when the caller is a session of the target role, the target's trust,
        duration and tags."""
        c = p.caller
        tags = [{"Key": k, "Value": v} for k, v in c.tags]
        principals = [f"arn:{c.partition}:iam::{c.account}:root"]
        extra = self._bootstrap(c.account) if self._bootstrap is not None else None
        if extra:
            principals.append(extra)
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": principals},
                        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    }
                ],
            }
        )
        kw: dict[str, Any] = {
            "RoleName": c.name,
            "Path": c.path,
            "AssumeRolePolicyDocument": trust,
            "MaxSessionDuration": 43200,
        }
        if p.self_assume:  # one role: the target's trust, duration and tags, the caller's permissions
            r = p.role
            kw["AssumeRolePolicyDocument"] = r.trust
            kw.pop("MaxSessionDuration")
            if r.max_session_duration is not None:
                kw["MaxSessionDuration"] = r.max_session_duration
            tags = tags or [{"Key": k, "Value": v} for k, v in r.tags]
        if tags:
            kw["Tags"] = tags
        return kw


def _session_params(c: CallerPlan) -> dict[str, Any]:
    """AssumeRole's arguments for the caller's own session: name, session policy, transitive tags, source identity."""
    params: dict[str, Any] = {"RoleArn": c.role_arn, "RoleSessionName": c.session_name}
    if c.session_policy is not None:
        params["Policy"] = c.session_policy
    if c.transitive_tag_keys:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in c.tags if k in c.transitive_tag_keys]
        params["TransitiveTagKeys"] = list(c.transitive_tag_keys)
    if c.source_identity is not None:
        params["SourceIdentity"] = c.source_identity
    return params
