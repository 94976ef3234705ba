"""ARNs, account ids and the kinds of principal that can appear in AssumeRole.

A caller is one of five kinds (docs/semantics.md §1.1): an IAM user (long-term keys or
GetSessionToken credentials), a role session, an account root user, a federated
user (GetFederationToken credentials) or a service principal. Each is a frozen
value with the facts the decision needs: its account, the ARN AWS reports in an
AccessDenied message, the value of ``aws:PrincipalArn`` (the *role* ARN for a
role session, docs/semantics.md R4), its unique id and ``aws:userid``.

Identifier formats follow AWS's IAM identifiers page (docs/semantics.md key IDS) and the
STS service model (BOTO-STS).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

from .errors import InputError

__all__ = [
    "Caller",
    "FederatedUser",
    "IamUser",
    "PARTITIONS",
    "RoleArn",
    "RoleSession",
    "Root",
    "ServicePrincipal",
    "derive_unique_id",
    "entity_key",
    "is_account_id",
    "parse_caller_arn",
    "parse_role_arn",
]

#: The AWS partitions (ARN field 2). A role is never assumable across partitions (R2).
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})

_ACCOUNT = re.compile(r"[0-9]{12}")
# IAM user and role names: 1-64 of [\w+=,.@-] (IAM API CreateUser/CreateRole).
_NAME = r"[\w+=,.@-]{1,64}"
# IAM paths: "/" or "/.../" of printable ASCII, at most 512 characters (IDS).
_PATH = r"/(?:[\x21-\x7e]*/)?"
_USER_RES = re.compile(rf"user(?P<path>{_PATH})(?P<name>{_NAME})", re.ASCII)
_ROLE_RES = re.compile(rf"role(?P<path>{_PATH})(?P<name>{_NAME})", re.ASCII)
_SESSION_RES = re.compile(rf"assumed-role/(?P<role>{_NAME})/(?P<session>[\w+=,.@-]{{2,64}})", re.ASCII)
_FED_RES = re.compile(r"federated-user/(?P<name>[\w+=,.@-]{2,32})", re.ASCII)
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?", re.ASCII)

Credentials = Literal["long-term", "session-token", "role-session", "federation"]


def is_account_id(text: str) -> bool:
    """True for a 12-digit AWS account id."""
    return _ACCOUNT.fullmatch(text) is not None


_ENTITY_ARN = re.compile(r"arn:([\w-]+):iam::(\d{12}):(user|role)(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})", re.ASCII)


def entity_key(arn: str) -> tuple[str, str, str, str] | None:
    """(partition, account, ``user`` or ``role``, lower-cased name) of an IAM user or role ARN, ``None`` for
    any other text. Two ARNs with one key name one entity, or two that cannot both exist: IAM names are
    unique per account and kind, "not distinguished by case" (CreateUser, CreateRole), whatever the path
    (RES: "names must be unique within the account"; a path is not part of the name). The one place the
    model, the snapshot reader, the solver and the strategies key users and roles (docs/semantics.md §5.10)."""
    m = _ENTITY_ARN.fullmatch(arn)
    return None if m is None else (m[1], m[2], m[3], m[5].lower())


@functools.lru_cache(maxsize=4096)
def derive_unique_id(prefix: str, arn: str) -> str:
    """A deterministic IAM-style unique id (``AIDA…``/``AROA…``) for an ARN.

    Real ids are assigned by IAM at creation; scenarios that do not give one
    get this stable stand-in (prefix plus 17 base32 characters), so that the
    same ARN always yields the same id across the model, the solver and targets.
    """
    digest = hashlib.sha256(arn.encode("utf-8")).digest()
    return prefix + base64.b32encode(digest).decode("ascii")[:17]


def _split(arn: str, where: str) -> tuple[str, str, str, str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise InputError(f"not an ARN: {arn!r}", where)
    _, partition, service, region, account, resource = parts
    if partition not in PARTITIONS:
        raise InputError(f"unknown partition {partition!r} in ARN {arn!r}", where)
    return partition, service, region, account, resource


@dataclass(frozen=True, slots=True)
class RoleArn:
    """The target role: ``arn:{partition}:iam::{account}:role{path}{name}``."""

    partition: str
    account: str
    path: str
    name: str
    arn: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arn", f"arn:{self.partition}:iam::{self.account}:role{self.path}{self.name}")


@dataclass(frozen=True, slots=True)
class IamUser:
    """An IAM user calling with long-term keys or GetSessionToken credentials."""

    partition: str
    account: str
    path: str
    name: str
    unique_id: str
    credentials: Credentials = "long-term"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:user{self.path}{self.name}"

    principal_arn = arn
    principal_type = "User"

    @property
    def userid(self) -> str:
        return self.unique_id


@dataclass(frozen=True, slots=True)
class RoleSession:
    """A role session (``arn:…:sts::A:assumed-role/ROLE/SESSION``).

    Session ARNs carry no role path (IDS, TF-19957), so the path of the caller's
    role is a separate fact; ``aws:PrincipalArn`` is the role ARN with its path.
    ``unique_id`` is the role's ``AROA…`` id.
    """

    partition: str
    account: str
    role_path: str
    role_name: str
    session_name: str
    unique_id: str
    credentials: Credentials = "role-session"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role{self.role_path}{self.role_name}"

    principal_arn = role_arn
    principal_type = "AssumedRole"

    @property
    def userid(self) -> str:
        return f"{self.unique_id}:{self.session_name}"


@dataclass(frozen=True, slots=True)
class Root:
    """The root user of an account. It can never assume a role (R1)."""

    partition: str
    account: str
    credentials: Credentials = "long-term"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    principal_arn = arn
    principal_type = "Account"

    @property
    def userid(self) -> str:
        return self.account

    @property
    def unique_id(self) -> str:
        return self.account


@dataclass(frozen=True, slots=True)
class FederatedUser:
    """A GetFederationToken session; it may call no STS operation but GetCallerIdentity (R1)."""

    partition: str
    account: str
    name: str
    credentials: Credentials = "federation"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:sts::{self.account}:federated-user/{self.name}"

    principal_arn = arn
    principal_type = "FederatedUser"

    @property
    def userid(self) -> str:
        return f"{self.account}:{self.name}"

    @property
    def unique_id(self) -> str:
        return self.userid


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    """An AWS service assuming a role on a customer's behalf (R11), e.g. ``ec2.amazonaws.com``."""

    name: str
    credentials: Credentials = "long-term"

    @property
    def arn(self) -> str:
        return self.name

    principal_arn = arn
    principal_type = "Service"

    @property
    def account(self) -> None:
        return None


Caller = IamUser | RoleSession | Root | FederatedUser | ServicePrincipal


def parse_role_arn(arn: str, where: str = "$") -> RoleArn:
    """Parse a role ARN, with its path; raise :class:`InputError` otherwise."""
    partition, service, region, account, resource = _split(arn, where)
    m = _ROLE_RES.fullmatch(resource)
    if service != "iam" or region or not is_account_id(account) or m is None or len(m["path"]) > 512:
        raise InputError(f"not an IAM role ARN (arn:aws:iam::123456789012:role/path/name): {arn!r}", where)
    return RoleArn(partition, account, m["path"], m["name"])


def parse_caller_arn(
    arn: str,
    where: str = "$",
    *,
    role_path: str = "/",
    unique_id: str | None = None,
    credentials: str | None = None,
) -> IamUser | RoleSession | Root | FederatedUser:
    """Parse the caller's ARN into a principal (docs/scenario-format.md ``caller.arn``).

    ``credentials`` defaults from the ARN; only an IAM user may also hold
    ``session-token`` credentials (GetSessionToken), every other combination
    is an input error.
    """
    partition, service, region, account, resource = _split(arn, where)
    if region or not is_account_id(account):
        raise InputError(f"a principal ARN has no region and a 12-digit account: {arn!r}", where)
    if service == "iam" and resource == "root":
        principal: IamUser | RoleSession | Root | FederatedUser = Root(partition, account)
    elif service == "iam" and (m := _USER_RES.fullmatch(resource)):
        user = IamUser(partition, account, m["path"], m["name"], "")
        principal = IamUser(partition, account, m["path"], m["name"], unique_id or derive_unique_id("AIDA", user.arn))
    elif service == "sts" and (m := _SESSION_RES.fullmatch(resource)):
        if re.fullmatch(_PATH, role_path) is None or len(role_path) > 512:
            raise InputError(f"not an IAM path (/ or /a/b/): {role_path!r}", where.rsplit(".", 1)[0] + ".role_path")
        role = RoleArn(partition, account, role_path, m["role"])
        principal = RoleSession(
            partition, account, role_path, m["role"], m["session"], unique_id or derive_unique_id("AROA", role.arn)
        )
    elif service == "sts" and (m := _FED_RES.fullmatch(resource)):
        principal = FederatedUser(partition, account, m["name"])
    else:
        raise InputError(
            "caller.arn must be an IAM user, role session (assumed-role/ROLE/SESSION, a session name of 2-64 "
            "characters), root or federated-user ARN: " + repr(arn),
            where,
        )
    if credentials is not None and credentials != principal.credentials:
        if not (isinstance(principal, IamUser) and credentials == "session-token"):
            raise InputError(
                f"credentials {credentials!r} are impossible for a {type(principal).__name__} caller",
                where.rsplit(".", 1)[0] + ".credentials",
            )
        principal = IamUser(partition, account, principal.path, principal.name, principal.unique_id, "session-token")
    return principal


def parse_service(name: str, where: str = "$") -> ServicePrincipal:
    """Parse a service principal name such as ``ec2.amazonaws.com``."""
    if _SERVICE.fullmatch(name) is None:
        raise InputError(f"not a service principal name (e.g. ec2.amazonaws.com): {name!r}", where)
    return ServicePrincipal(name)
