"""moto with AWS-exact role assumption: rolecall's model as moto's authorizer for STS's AssumeRole,
AssumeRoleWithWebIdentity and AssumeRoleWithSAML.

An opt-in switch. While it is on, every call of :data:`COVERED_ACTIONS` that moto receives,
in-process (``mock_aws``) or through its server in this process (``ThreadedMotoServer``, or the
``rolecall moto-server`` command), is answered by the reference model (:func:`rolecall.model.decide`)
and never by moto:

1. **Who calls**: for AssumeRole, the request's access key, looked up in moto's state in every
   account: an IAM user's key (active), or the key of a session moto issued (a role session, not
   expired). Any other key is AWS's ``InvalidClientTokenId``; an expired session ``ExpiredToken``.
   The signature is not checked (moto's own enforcement does that when it is on). The federated
   doors are unsigned: the token or SAML response is read by the switch's :data:`ReadCaller`
   (:func:`read_caller` by default: claims and assertion fields, no signature verified).
2. **What the world is**: read from moto's state at call time, through
   :func:`rolecall.model.accounts.readers.read_moto_backends` for the caller's and the role's
   accounts and their organization (users, groups, roles, inline and managed policies,
   boundaries, tags, ``MaxSessionDuration``, IAM OIDC and SAML providers, SCPs and RCPs): a policy
   the test changed is seen by the next call. A role session's session policy, session tags,
   transitive tag keys, source identity and federated origin (F13) are those it was issued with
   (kept on moto's session object).
3. **The answer**: the model's decision, with AWS's error code and message (``AccessDenied``
   word for word, ``ValidationError``, ``MalformedPolicyDocument``, ``InvalidIdentityToken``…),
   or, when allowed, a session that moto stores (so ``GetCallerIdentity`` and later calls see
   it) with the model's ARN, id and duration and the response fields AWS sends, and the session's
   tags, transitive keys and source identity for the calls it makes next.

Fail closed. What the model refuses to decide (:class:`~rolecall.model.UndecidableError`), and a
world the reader refuses (a policy the model cannot read, in the caller's or the role's
account), are answered HTTP 400 with the code ``RolecallCannotDecide`` and the reason: never an
Allow, never moto's own answer; so is a token the reader cannot read (an OAuth 2.0 access token, a
Cognito identity pool moto does not hold). A request whose parameters are not the API's shapes (no
``RoleArn``, a ``RoleArn`` that is no role ARN) is a ``ValidationError`` naming the parameter.

Forms: :func:`exact_sts` (a context manager and a decorator, composing with ``mock_aws``), the
pytest fixture ``rolecall_exact_sts`` (rolecall's plugin), and ``rolecall moto-server`` (moto's
``moto_server`` command with the switch on). A ``ThreadedMotoServer`` started in a process where
the switch is on answers with it too. docs/emulators.md, "moto with AWS-exact AssumeRole".
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import string
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..model import (
    AnyScenario,
    AssumedRole,
    FederatedScenario,
    InputError,
    MalformedPolicyError,
    PolicyKind,
    Result,
    RolecallError,
    Scenario,
    Semantics,
    UndecidableError,
    decide,
    load_scenario,
    parse_policy,
)
from ..model.accounts import Snapshot
from ..model.accounts.readers import read_moto_backends
from ..model.federation import TOKEN_LIMITS, federated_origin
from ..model.policy import load_json
from ..model.result import FEDERATED_RESPONSE_FIELDS
from ..model.scenario import size_quota_error
from ..model.validation import packed_percent, sensitive_constraint, validation_error
from ._tokens import TokenRefused, read_saml_response, read_web_identity_token

__all__ = [
    "COVERED_ACTIONS",
    "ExactSession",
    "ReadCaller",
    "TokenRefused",
    "exact_sts",
    "is_enabled",
    "main",
    "read_caller",
    "read_saml_response",
    "read_web_identity_token",
    "record_session",
    "service_credentials",
]

COVERED_ACTIONS = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
"""The STS actions the switch answers with the model."""

ReadCaller = Callable[[str, str, "str | None"], Mapping[str, Any]]
"""How the switch reads who calls a federated door: ``(api, token, provider_id)`` -> the scenario's
``federated_caller`` (docs/federation.md §3.2), where ``token`` is the ``WebIdentityToken`` or the
``SAMLAssertion`` as sent. It may raise :class:`TokenRefused` (STS's answer to a token it cannot
parse) or :class:`~rolecall.model.UndecidableError` (the switch answers ``RolecallCannotDecide``).
The default is :func:`read_caller`; give another to :class:`exact_sts` to verify signatures with your
test identity provider's keys, or to say what a token cannot (an OAuth 2.0 token's claims)."""

#: HTTP status per error code: AWS answers these with 403, every other refusal with 400
_FORBIDDEN = {"AccessDenied", "InvalidClientTokenId", "ExpiredToken", "RegionDisabledException", "IDPRejectedClaim"}
#: the trust policy of a role that does not exist (``"exists": false``: the model never reads it)
_NO_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
_ATTRIBUTE = "rolecall_session"

_lock = threading.Lock()
_decide_lock = threading.Lock()
_depth = 0
_saved: dict[str, Callable[..., Any]] = {}
_readers: list[ReadCaller | None] = []
"""The ``read_caller`` of every :class:`exact_sts` entered, innermost last."""


class ExactSession:
    """What a role session carries into the calls it makes (kept on moto's session object)."""

    __slots__ = ("federated_origin", "policy_arns", "session_policy", "source_identity", "tags", "transitive_tag_keys")

    def __init__(
        self,
        tags: Sequence[tuple[str, str]] = (),
        transitive_tag_keys: Sequence[str] = (),
        source_identity: str | None = None,
        session_policy: str | None = None,
        policy_arns: Sequence[str] = (),
        federated_origin: Mapping[str, Any] | None = None,
    ) -> None:
        self.tags = tuple(tags)
        """The session tags (inherited transitive tags first, then the request's)."""
        self.transitive_tag_keys = tuple(transitive_tag_keys)
        self.source_identity = source_identity
        self.session_policy = session_policy
        """The inline session policy's text (``Policy``)."""
        self.policy_arns = tuple(policy_arns)
        """The managed session policies (``PolicyArns``): a scenario's caller holds one inline session
        policy, so a session with these is not decided as a caller (fail closed)."""
        self.federated_origin = federated_origin
        """A session a federated door issued: its ``caller.federated_origin`` (F13: the provider and the
        federation keys its later calls carry)."""


def record_session(moto_session: Any, session: ExactSession) -> None:
    """Attach ``session`` to a session moto issued (``moto.sts.models.AssumedRole``): for a test
    that creates a caller session in moto's backends itself and wants its tags and source identity
    seen by the switch."""
    setattr(moto_session, _ATTRIBUTE, session)


_services: dict[str, str] = {}
"""Access key id -> the service principal it signs as (:func:`service_credentials`)."""


def service_credentials(service: str) -> tuple[str, str]:
    """An access key id and secret that sign as the AWS service principal ``service``
    (``ec2.amazonaws.com``): what EC2 does when it assumes an instance profile's role, which a test
    has no other way to do in moto. Only the switch's AssumeRole knows them (they are no IAM user's);
    they last as long as the process. The service name is checked by the model when it is used."""
    key = "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    with _lock:
        _services[key] = service
    return key, secrets.token_urlsafe(30)


def is_enabled() -> bool:
    """Whether the switch is on in this process."""
    return _depth > 0


def _enable() -> None:
    global _depth
    from moto.iam.models import IAMBackend
    from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator
    from moto.sts.responses import TokenResponse

    with _lock:
        if _depth == 0:
            create_role = IAMBackend.create_role
            _saved["create_role"] = create_role

            def checked_create_role(self: Any, *args: Any, **kwargs: Any) -> Any:
                # moto's CreateRole stores any trust policy (its UpdateAssumeRolePolicy checks one): check it
                document = kwargs.get("assume_role_policy_document", args[1] if len(args) > 1 else None)
                IAMTrustPolicyDocumentValidator(str(document)).validate()
                return create_role(self, *args, **kwargs)

            IAMBackend.create_role = checked_create_role  # type: ignore[method-assign]
            original = TokenResponse.call_action
            _saved["call_action"] = original
            _saved["identity"] = IAMPolicyDocumentValidator.validate
            _saved["trust"] = IAMTrustPolicyDocumentValidator.validate

            def call_action(self: Any) -> Any:
                if _depth > 0 and self._get_action() in COVERED_ACTIONS:
                    return _answer(self)
                return original(self)

            TokenResponse.call_action = call_action  # type: ignore[method-assign]
            setattr(IAMPolicyDocumentValidator, "validate", _validator(PolicyKind.IDENTITY))  # noqa: B010
            setattr(IAMTrustPolicyDocumentValidator, "validate", _validator(PolicyKind.TRUST))  # noqa: B010
        _depth += 1


def _disable() -> None:
    global _depth
    from moto.iam.models import IAMBackend
    from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator
    from moto.sts.responses import TokenResponse

    with _lock:
        _depth -= 1
        if _depth == 0 and _saved:
            IAMBackend.create_role = _saved.pop("create_role")  # type: ignore[method-assign]
            TokenResponse.call_action = _saved.pop("call_action")  # type: ignore[method-assign]
            IAMPolicyDocumentValidator.validate = _saved.pop("identity")  # type: ignore[method-assign]
            IAMTrustPolicyDocumentValidator.validate = _saved.pop("trust")  # type: ignore[method-assign]


_DEFAULTS = Semantics()


def _validator(kind: PolicyKind) -> Callable[[Any], None]:
    """moto's check of a policy document it is asked to store (CreateRole, PutUserPolicy,
    CreatePolicy…), replaced by the model's (docs/semantics.md §4.2, §4.8): what AWS stores, moto
    stores, and what AWS refuses, moto refuses with AWS's code. Without it a world could hold
    policies AWS never would (moto accepts a partial wildcard in a principal) or lack ones AWS
    keeps (moto refuses a policy without ``Version``)."""

    def validate(self: Any) -> None:
        from moto.iam.exceptions import LimitExceededException, MalformedPolicyDocument

        try:
            doc = load_json(self._policy_document)
        except (ValueError, RecursionError):
            raise MalformedPolicyDocument("Syntax errors in policy.") from None
        try:
            parse_policy(doc, kind)
        except MalformedPolicyError as exc:
            raise MalformedPolicyDocument(exc.message) from None
        except RolecallError as exc:
            raise MalformedPolicyDocument(f"Syntax errors in policy: {exc.message}") from None
        quota = size_quota_error(doc, kind, _DEFAULTS, "$")
        if quota is not None:
            raise LimitExceededException(quota.message)

    return validate


class exact_sts(contextlib.ContextDecorator):
    """The switch, as a context manager or a decorator; nests, and composes with ``mock_aws``::

    with mock_aws(), exact_sts():
        ...   # every AssumeRole, AssumeRoleWithWebIdentity and AssumeRoleWithSAML is decided by rolecall's model

    @mock_aws
    @exact_sts()
    def test_it(): ...

    ``read_caller``: how the federated doors read a token or SAML response (:data:`ReadCaller`); the
    innermost switch that names one wins, else :func:`read_caller`.
    """

    def __init__(self, read_caller: ReadCaller | None = None) -> None:
        self.read_caller = read_caller

    def __enter__(self) -> exact_sts:
        _enable()
        with _lock:
            _readers.append(self.read_caller)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            if self.read_caller in _readers:
                del _readers[len(_readers) - 1 - _readers[::-1].index(self.read_caller)]
        _disable()


def read_caller(api: str, token: str, provider_id: str | None = None) -> Mapping[str, Any]:
    """The switch's default :data:`ReadCaller`: :func:`read_web_identity_token` or
    :func:`read_saml_response` (signatures are not verified; an expired token or response is
    ``expired``). A Cognito token's identity pool (its ``aud``) is looked up in moto's
    cognito-identity backends for the account that owns it (F10's cross-account rule); a pool moto
    does not hold is not guessed (:class:`~rolecall.model.UndecidableError`)."""
    if api == "AssumeRoleWithSAML":
        return read_saml_response(token)
    doc = read_web_identity_token(token, provider_id)
    if doc["provider_kind"] == "cognito":
        pool = doc["claims"].get("aud")
        owner = _pool_account(pool) if isinstance(pool, str) else None
        if owner is None:
            raise UndecidableError(
                f"the Cognito identity pool {pool!r} of the token is not in moto: rolecall cannot tell which "
                "account owns it (create it with cognito-identity's CreateIdentityPool)",
                "$.federated_caller.claims.aud",
            )
        doc["cognito_pool_account"] = owner
    return doc


def _pool_account(pool: str) -> str | None:
    """The moto account whose cognito-identity backend (any Region) holds the identity pool ``pool``."""
    from moto.backends import get_backend

    for account, regions in list(get_backend("cognito-identity").items()):
        for backend in list(regions.values()):
            if pool in backend.identity_pools:
                return str(account)
    return None


def _reader() -> ReadCaller:
    """The innermost :class:`exact_sts`'s ``read_caller`` that names one, else :func:`read_caller`."""
    with _lock:
        chosen = next((r for r in reversed(_readers) if r is not None), None)
    return chosen or read_caller


# =========================================================================== answering


class _Refusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def _answer(response: Any) -> Any:
    """The HTTP answer (status, headers, body) to one AssumeRole, through moto's serializer."""
    from moto.core.responses import ActionResult
    from moto.sts.exceptions import STSClientError

    action = response._get_action()
    try:
        try:
            result: Any = _assume_role(response) if action == "AssumeRole" else _assume_federated(response, action)
        except _Refusal:
            raise
        except Exception as exc:  # moto's state in a shape the reader does not know: fail closed, one line
            why = f"rolecall cannot decide this request: {type(exc).__name__}: {exc}"
            raise _Refusal("RolecallCannotDecide", why) from None
    except _Refusal as refusal:
        result = STSClientError(refusal.code, refusal.message)
        with warnings.catch_warnings():  # moto warns of an error code STS's model does not list (AccessDenied)
            warnings.simplefilter("ignore", UserWarning)
            status, headers, body = response.serialized(ActionResult(result))
        status = 403 if refusal.code in _FORBIDDEN else 400
        headers["status"] = str(status)
        return status, headers, body
    status, headers, body = response.serialized(ActionResult(result))
    return status, headers, body


def _param(response: Any, name: str) -> Any:
    return response._get_param(name)


def _required(response: Any, name: str) -> str:
    """A required parameter of the call, else AWS's ValidationError for a missing member (the field
    named in camel case, as STS spells it)."""
    value = _param(response, name)
    if not isinstance(value, str):
        field = name[0].lower() + name[1:]
        raise _Refusal(
            "ValidationError",
            f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: "
            "Member must not be null",
        )
    return value


def _assume_role(response: Any) -> dict[str, Any]:
    from moto.sts.models import sts_backends

    caller_doc, caller_account = _caller(response)
    role_arn = _required(response, "RoleArn")
    session_name = _required(response, "RoleSessionName")
    role_account = _account_of(role_arn)
    request = _request(response, session_name)

    def doc_of(snapshot: Snapshot) -> dict[str, Any]:
        return {
            "caller": caller_doc(snapshot),
            "role": _role_doc(snapshot, role_arn, role_account),
            "request": request,
            **_organization(snapshot),
        }

    scenario, result = _decided(doc_of, caller_account, role_account)
    assert isinstance(scenario, Scenario) and result.assumed_role is not None
    assumed = result.assumed_role
    c = scenario.caller
    partition = scenario.role.arn.partition
    policy = request.get("policy")
    sts: Any = sts_backends[role_account][partition]
    moto_session = sts.assume_role(
        response.region,
        session_name,
        role_arn,
        policy,
        assumed.duration_seconds,
        request.get("external_id"),
    )
    # the session's own state for the calls it makes (docs/semantics.md §1.5, "Tags"): inherited
    # transitive tags, then the request's; transitive keys accumulate; the source identity is kept
    inherited = [(k, v) for k, v in c.tags.items() if k.lower() in {t.lower() for t in c.transitive_tag_keys}]
    tags = inherited + [(t["Key"], t["Value"]) for t in request.get("tags", [])]
    keys = list(c.transitive_tag_keys) + list(request.get("transitive_tag_keys", []))
    source = request.get("source_identity") or c.source_identity
    record_session(moto_session, ExactSession(tags, keys, source, policy, request.get("policy_arns", ())))
    out = _credentials(moto_session, assumed)
    if "policy" in request or "tags" in request:
        out["PackedPolicySize"] = packed_percent(
            tuple((t["Key"], t["Value"]) for t in request.get("tags", [])), request.get("policy")
        )
    if source is not None:
        out["SourceIdentity"] = source
    return out


def _credentials(moto_session: Any, assumed: AssumedRole) -> dict[str, Any]:
    """The response's ``Credentials`` and ``AssumedRoleUser``: moto's session (its keys, which
    GetCallerIdentity and later calls look up), with the model's ARN, id and expiration."""
    moto_session.expiration = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=assumed.duration_seconds)
    return {
        "Credentials": {
            "AccessKeyId": moto_session.access_key_id,
            "SecretAccessKey": moto_session.secret_access_key,
            "SessionToken": moto_session.session_token,
            "Expiration": moto_session.expiration,
        },
        "AssumedRoleUser": {"AssumedRoleId": assumed.assumed_role_id, "Arn": assumed.arn},
    }


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _organization(snapshot: Snapshot) -> dict[str, Any]:
    org = snapshot.organization_doc()
    return {"organization": org} if org is not None else {}


def _decided(
    doc_of: Callable[[Snapshot], dict[str, Any]], caller_account: str, role_account: str
) -> tuple[AnyScenario, Result]:
    """The scenario of the call (``doc_of`` moto's state now) and the model's decision on it, or the
    refusal to answer: the model's error or denial with its code and message; a parameter the loader
    refuses is a ``ValidationError``; what the model cannot decide, a token it cannot read, or moto's
    state in a shape the reader refuses is ``RolecallCannotDecide`` (fail closed, never an Allow)."""
    try:
        snapshot = _read(caller_account, role_account)
        doc = doc_of(snapshot)
        with _decide_lock:  # one decision at a time: a cached scenario's model cache is not thread-safe
            scenario = _scenario(json.dumps(doc, sort_keys=True))
            result = decide(scenario)
    except UndecidableError as exc:
        raise _Refusal("RolecallCannotDecide", f"rolecall cannot decide this request: {exc.message}") from None
    except InputError as exc:
        if exc.path.startswith(("$.request", "$.role.arn")):
            raise _Refusal("ValidationError", f"{exc.message} (at {exc.path})") from None
        if exc.path.startswith("$.federated_caller"):
            raise _Refusal("RolecallCannotDecide", f"rolecall cannot read the token: {exc.message}") from None
        raise _Refusal("RolecallCannotDecide", f"rolecall cannot read moto's state: {exc.message}") from None
    except RolecallError as exc:
        raise _Refusal("RolecallCannotDecide", f"rolecall cannot decide this request: {exc.message}") from None
    if result.decision != "allowed" or result.assumed_role is None:
        raise _Refusal(result.error_code or "AccessDenied", result.message or "")
    return scenario, result


#: the federated APIs' parameters -> the scenario's ``request`` fields (docs/federation.md §3.5)
_FEDERATED_PARAMS = {
    "AssumeRoleWithWebIdentity": {"RoleSessionName": "role_session_name", "ProviderId": "provider_id"},
    "AssumeRoleWithSAML": {"PrincipalArn": "principal_arn"},
}


def _check_length(token: str, field: str, longest: int) -> None:
    """The token or assertion as sent against the API's length (SMITHY-STS: at least 4 characters, at most
    the model's ``TOKEN_LIMITS``; ``sensitive``: AWS leaves the value out of the message). The switch knows
    the very text, which a scenario only bounds (F1)."""
    if 4 <= len(token) <= longest:
        return
    bound = "greater than or equal to 4" if len(token) < 4 else f"less than or equal to {longest}"
    refused = validation_error([sensitive_constraint(field, f"Member must have length {bound}")], "F1")
    assert refused is not None and refused.error_code is not None
    raise _Refusal(refused.error_code, refused.message or "")


def _assume_federated(response: Any, api: str) -> dict[str, Any]:
    """AssumeRoleWithWebIdentity or AssumeRoleWithSAML (docs/federation.md F0-F12): unsigned, so no
    caller is looked up; the token or response is read by the switch's :data:`ReadCaller`, the role,
    the identity providers of its account and its organization from moto's state now."""
    from moto.sts.models import sts_backends

    role_arn = _required(response, "RoleArn")
    saml = api == "AssumeRoleWithSAML"
    request: dict[str, Any] = {}
    for name, key in _FEDERATED_PARAMS[api].items():
        value = _required(response, name) if name != "ProviderId" else _param(response, name)
        if value is not None:
            request[key] = value
    token = _required(response, "SAMLAssertion" if saml else "WebIdentityToken")
    _check_length(token, *TOKEN_LIMITS[api][:2])
    _common_params(response, request)
    role_account = _account_of(role_arn)
    try:
        caller = dict(_reader()(api, token, request.get("provider_id")))
    except TokenRefused as refused:
        raise _Refusal(refused.code, refused.message) from None
    except UndecidableError as exc:
        raise _Refusal("RolecallCannotDecide", f"rolecall cannot read the token: {exc.message}") from None

    def doc_of(snapshot: Snapshot) -> dict[str, Any]:
        return {
            "api": api,
            "federated_caller": caller,
            "identity_providers": snapshot.identity_providers_doc(role_account),
            "role": _role_doc(snapshot, role_arn, role_account),
            "request": request,
            **_organization(snapshot),
        }

    scenario, result = _decided(doc_of, "", role_account)
    assumed = result.assumed_role
    assert isinstance(scenario, FederatedScenario) and assumed is not None
    session_name = assumed.arn.rsplit("/", 1)[-1]
    policy = request.get("policy")
    sts: Any = sts_backends[role_account][scenario.role.arn.partition]
    moto_session = sts.assume_role(response.region, session_name, role_arn, policy, assumed.duration_seconds, None)
    tags = list(assumed.session_tags or ())
    record_session(
        moto_session,
        ExactSession(
            tags,
            assumed.transitive_tag_keys or (),
            assumed.source_identity,
            policy,
            request.get("policy_arns", ()),
            federated_origin(scenario),
        ),
    )
    out = _credentials(moto_session, assumed)
    for name, field in FEDERATED_RESPONSE_FIELDS[api].items():
        value = getattr(assumed, field)
        if value is not None:
            out[name] = value
    if "policy" in request or tags:
        out["PackedPolicySize"] = packed_percent(tuple(tags), policy)
    return out


@functools.lru_cache(maxsize=256)
def _scenario(text: str) -> AnyScenario:
    """The loaded scenario of a document (its JSON text): a world and request seen before are not
    parsed again, and the model's per-world cache in it is reused (the model keys what it keeps by
    what it read, so the clock's keys are read again on every call)."""
    return load_scenario(json.loads(text))


def _read(caller_account: str, role_account: str) -> Snapshot:
    """The caller's and the role's accounts, and their organization, as moto holds them now (an empty
    world when moto holds nothing for them: a service calling for a role that does not exist)."""
    from moto.backends import get_backend

    iam = get_backend("iam")
    ids = [a for a in dict.fromkeys((caller_account, role_account)) if a]
    try:
        return read_moto_backends([a for a in ids if a in iam] or ids, shared=True).snapshot
    except InputError as exc:
        if exc.message.startswith("moto holds no IAM entity"):
            return Snapshot("aws", {}, {}, None)
        raise


def _role_doc(snapshot: Any, role_arn: str, account: str) -> dict[str, Any]:
    a = snapshot.accounts.get(account)
    name = role_arn.rsplit("/", 1)[-1]
    if a is not None:
        role = a.roles.get(name)
        if role is not None and role.arn(snapshot.partition) == role_arn:
            return dict(snapshot.role_doc(role))
    return {"arn": role_arn, "trust_policy": _NO_TRUST, "exists": False}


def _request(response: Any, session_name: str) -> dict[str, Any]:
    """The scenario's ``request`` from AssumeRole's parameters, as sent."""
    out: dict[str, Any] = {"role_session_name": session_name}
    simple = {
        "ExternalId": "external_id",
        "SourceIdentity": "source_identity",
        "SerialNumber": "serial_number",
        "TokenCode": "token_code",
    }
    for name, key in simple.items():
        value = _param(response, name)
        if value is not None:
            out[key] = value
    tags = _param(response, "Tags")
    if tags is not None:
        out["tags"] = [{"Key": t.get("Key"), "Value": t.get("Value")} for t in tags]
    keys = _param(response, "TransitiveTagKeys")
    if keys is not None:
        out["transitive_tag_keys"] = list(keys)
    _common_params(response, out)
    return out


def _common_params(response: Any, out: dict[str, Any]) -> None:
    """The parameters every door takes (``DurationSeconds``, ``Policy``, ``PolicyArns``) and the
    Region the call was sent to, into the scenario's ``request`` ``out``."""
    for name, key in (("DurationSeconds", "duration_seconds"), ("Policy", "policy")):
        value = _param(response, name)
        if value is not None:
            out[key] = value
    arns = _param(response, "PolicyArns")
    if arns is not None:
        out["policy_arns"] = [a.get("arn") if isinstance(a, Mapping) else a for a in arns]
    region = response.region
    if region and region != "us-east-1":
        out["region"] = region


# =========================================================================== the caller


def _caller(response: Any) -> tuple[Callable[[Any], dict[str, Any]], str]:
    """Who signed the request: a function of the snapshot giving the scenario's ``caller``, and the
    caller's account."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    key_id = response.access_key
    service = _services.get(key_id)
    if service is not None:
        return (lambda _snapshot: {"service": service}), ""
    for account, by_partition in list(iam_backends.items()):
        for partition, iam in list(by_partition.items()):
            key = iam.access_keys.get(key_id)
            if key is None:
                continue
            if key.user_name is not None:
                if key.status != "Active":
                    break
                return _user_caller(key.user_name, account), account
            for s in sts_backends[account][partition].assumed_roles:
                if s.access_key_id == key_id:
                    if s.expiration <= datetime.now(UTC).replace(tzinfo=s.expiration.tzinfo):
                        raise _Refusal("ExpiredToken", "The security token included in the request is expired")
                    return _session_caller(s, account), account
    raise _Refusal("InvalidClientTokenId", "The security token included in the request is invalid.")


def _user_caller(name: str, account: str) -> Callable[[Any], dict[str, Any]]:
    def doc(snapshot: Any) -> dict[str, Any]:
        user = snapshot.accounts[account].users[name]
        return dict(snapshot.caller_doc(user))

    return doc


def _session_caller(s: Any, account: str) -> Callable[[Any], dict[str, Any]]:
    def doc(snapshot: Any) -> dict[str, Any]:
        name = s.role_arn.rsplit("/", 1)[-1]
        a = snapshot.accounts.get(account)
        role = a.roles.get(name) if a is not None else None
        if role is None or role.arn(snapshot.partition) != s.role_arn:
            raise UndecidableError(f"the caller's role {s.role_arn} no longer exists in moto", "$.caller")
        out = dict(snapshot.caller_doc(role))
        out["arn"] = s.arn
        exact: ExactSession = getattr(s, _ATTRIBUTE, None) or ExactSession(session_policy=s.policy)
        if exact.policy_arns:
            raise UndecidableError(
                f"the caller's session {s.arn} was created with managed session policies (PolicyArns), "
                "which a scenario's caller cannot hold",
                "$.caller",
            )
        if exact.session_policy is not None:
            out["session_policy"] = json.loads(exact.session_policy)
        tags = dict(out.get("tags", {}))
        for k, v in exact.tags:  # the session's tags override the role's (case-insensitively)
            for old in [t for t in tags if t.lower() == k.lower()]:
                del tags[old]
            tags[k] = v
        if tags:
            out["tags"] = tags
        if exact.transitive_tag_keys:
            out["transitive_tag_keys"] = list(exact.transitive_tag_keys)
        if exact.source_identity is not None:
            out["source_identity"] = exact.source_identity
        if exact.federated_origin is not None:
            out["federated_origin"] = dict(exact.federated_origin)
        return out

    return doc


# =========================================================================== moto_server


def main(argv: Sequence[str] | None = None) -> int:
    """``rolecall moto-server [moto_server's options]``: moto's server with the switch on."""
    from moto.server import main as moto_main

    args = list(argv or ())
    with exact_sts():
        moto_main(args or ["--host", "127.0.0.1"])  # moto reads sys.argv when given nothing
    return 0
