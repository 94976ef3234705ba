"""The ``endpoint`` target: any emulator reachable at a URL, with an accounts file naming its credentials.

Where the ``moto`` targets can mint accounts at will, an emulator somewhere
else (LocalStack, a company's own, moto started by hand) has the accounts it
has, and the suite can act in them only with credentials someone gives it. The
*accounts file* says which::

    {
      "region": "us-east-1",
      "accounts": {
        "111111111111": {"access_key_id": "AKIA...", "secret_access_key": "...", "session_token": null},
        "222222222222": {"access_key_id": "AKIA...", "secret_access_key": "..."}
      },
      "capabilities": ["user-callers", "role-session-callers", "multi-account"],
      "name": "localstack",
      "version": "4.2"
    }

``accounts`` (required, at least one)
    Account id (12 ASCII digits) -> the credentials of a principal allowed to
    create and delete IAM users, roles, inline and managed policies, access
    keys and OIDC and SAML identity providers in that account, and to assume the
    roles it creates (``sts:AssumeRole`` on ``*``). ``access_key_id`` and ``secret_access_key`` are required,
    ``session_token`` is optional (a string or null).
``region`` (optional, ``us-east-1``)
    The region of the provisioning calls and of the start-up check. The
    AssumeRole under test goes to the scenario's own region (``request.region``,
    default ``us-east-1``).
``capabilities`` (optional)
    The :class:`~rolecall.conformance.targets.base.Capability` values the emulator
    supports; replaces the default set (:data:`DEFAULT_CAPABILITIES`, plus
    ``multi-account`` when the file has two accounts or more).
``name`` / ``version`` (optional)
    Shown in reports; default ``endpoint`` and ``unknown``.

Any other key, anywhere, is an error: the file is validated when the target is
built, and every fault is reported as :class:`TargetConfigurationError` with the file
and the JSON path (``accounts.json: $.accounts.111111111111.secret_access_key:
missing``).

How a scenario is realised:

* :meth:`EndpointTarget.prepare` renames the scenario's account ids: the
  caller's account to the file's first account, the role's account (when it
  differs) to the second, and every other 12-digit number (accounts the
  scenario only mentions) to fixed ids ``999999999999``, ``999999999998``…
  that are not in the file. A scenario needing more accounts than the file
  has is :class:`Unsupported`.
* :meth:`EndpointTarget.run` provisions the caller (user, or role plus a
  session of it) and the role with the file's credentials of each account,
  performs the AssumeRole as the caller, and then deletes everything it
  created, whatever happened. Because the accounts are reused, the names a
  scenario uses (``alice``, ``R``) recur; a leftover of an interrupted run is
  deleted when a create answers ``EntityAlreadyExists``, and provisioning is
  retried once. The accounts must therefore be dedicated to the suite, and
  one emulator must not serve two runs (or two pytest-xdist workers) at once.
* A federated scenario (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) has no
  caller: the role's account is renamed to the file's first account, every
  other account with identity providers to the next; :meth:`EndpointTarget.run`
  creates the providers and the role, makes the call unsigned (as AWS takes
  it), and deletes them. An emulator failing an unsigned call is a
  :class:`TargetError` whose note names the capability to leave out.
* A role-session caller is a role trusting its own account plus, by name, the
  file's principal (emulators that match trust principals literally would
  otherwise refuse to let that principal create the caller's session). When
  the caller is a session of the target role itself, the session must be
  created through the scenario's own trust policy; a refusal makes the
  scenario :class:`Unsupported`.
* Any denial or credential error while provisioning is a
  :class:`TargetError` (the file's credentials lack permissions), never an
  outcome; the AWS answer of saving a scenario's policy
  (``MalformedPolicyDocument``…) is an outcome, as with every target.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from rolecall.model.scenario import MAX_SCENARIO_CHARS

from .._files import FileTooLarge, read_text_capped
from .._world import ACCOUNT_ID, FederatedPlan, Plan, RolePlan, Unsupported, federated_plan, plan
from ._aws import ApiProvisioner, AwsApi, Creds, assume_federated, is_target_failure, outcome_of_error
from .base import (
    API_PROVISIONABLE,
    Capability,
    Outcome,
    Target,
    TargetConfigurationError,
    TargetError,
    TargetUnavailable,
)

__all__ = [
    "DEFAULT_CAPABILITIES",
    "SAMPLE_ACCOUNTS",
    "EndpointTarget",
    "endpoint_expectations_name",
    "load_accounts_file",
    "parse_deadline",
    "provision_or_outcome",
]

#: the sample accounts file shipped with the package (``rolecall endpoint-sample`` prints it)
SAMPLE_ACCOUNTS = Path(__file__).resolve().parent.parent / "accounts.sample.json"


def endpoint_expectations_name(name: str) -> str:
    """The default expectations file of an emulator whose accounts file says ``"name": name``:
    ``<name>.toml`` in the working directory (characters a file name cannot safely hold become ``_``),
    so that each emulator has its own file and none is written into the installed package."""
    return (re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "endpoint") + ".toml"


_T = TypeVar("_T")
_P = TypeVar("_P")

#: the capability that declares each federated door (the hint of a failed unsigned call)
_FEDERATED_CAPABILITY = {
    "AssumeRoleWithWebIdentity": Capability.WEB_IDENTITY.value,
    "AssumeRoleWithSAML": Capability.SAML.value,
}

#: the longest call deadline taken, in seconds (an hour: a budget, not a way to wait for ever)
MAX_DEADLINE = 3600.0


def parse_deadline(text: str) -> float:
    """A call deadline from an option's text: seconds in (0, :data:`MAX_DEADLINE`]; ``ValueError``
    naming the problem otherwise (``nan``, ``inf``, ``0``, words)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_DEADLINE:
        raise ValueError(f"{text!r} is not a number of seconds in (0, {MAX_DEADLINE:g}]")
    return value


DEFAULT_CAPABILITIES: frozenset[str] = API_PROVISIONABLE
"""What an emulator is assumed to support when its accounts file does not say; ``multi-account`` is
added when the file names two accounts or more."""

_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_TOP_KEYS = frozenset({"region", "accounts", "capabilities", "name", "version"})
_CRED_KEYS = frozenset({"access_key_id", "secret_access_key", "session_token"})
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")

#: error codes of a provisioning call that mean the file's credentials do not work, never an AWS answer
_AUTH_FAILURES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "AuthFailure",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "InvalidToken",
    }
)


# ---------------------------------------------------------------------------------------------- accounts file


@dataclasses.dataclass(frozen=True)
class AccountsFile:
    """A validated accounts file."""

    path: str
    region: str
    accounts: dict[str, Creds]
    """Account id -> credentials, in file order."""
    capabilities: frozenset[Capability]
    name: str
    version: str


def _sub(path: str, key: str) -> str:
    """The JSON path of ``key`` under ``path`` (``$.accounts.111111111111``, ``$["odd key"]``)."""
    return f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing a key given twice (``json`` would silently keep the last)."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def load_accounts_file(path: str) -> AccountsFile:
    """Read and validate an accounts file (format: the module docstring).

    Raises :class:`TargetConfigurationError` naming the file and the JSON path of the first fault.
    """
    data = _read_accounts_json(path)
    check = _AccountsChecker(path)
    top = check.obj(data, "$", _TOP_KEYS)
    region = check.text_field(top, "$", "region", "us-east-1")
    name = check.text_field(top, "$", "name", "endpoint")
    version = check.text_field(top, "$", "version", "unknown")
    assert region is not None and name is not None and version is not None
    accounts = check.accounts(top)
    capabilities = check.capabilities(top, accounts)
    return AccountsFile(path, region, accounts, capabilities, name, version)


def _read_accounts_json(path: str) -> Any:
    """The accounts file's JSON value (bounded, UTF-8, no key twice); each fault one configuration error."""
    try:
        text = read_text_capped(path, MAX_SCENARIO_CHARS)
    except FileTooLarge as exc:
        raise TargetConfigurationError(f"{path}: not an accounts file: {exc}") from None
    except OSError as exc:
        raise TargetConfigurationError(f"{path}: cannot read the accounts file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise TargetConfigurationError(f"{path}: not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise TargetConfigurationError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # a duplicate key
        raise TargetConfigurationError(f"{path}: {exc}") from None
    except RecursionError:
        raise TargetConfigurationError(f"{path}: not an accounts file: JSON nested too deeply") from None


class _AccountsChecker:
    """The checks of an accounts file's fields, each fault named by the file and its JSON path."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> TargetConfigurationError:
        """The error for the fault ``what`` at JSON path ``where``."""
        return TargetConfigurationError(f"{self.path}: {where}: {what}")

    def obj(self, value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
        """``value`` as an object holding only ``allowed`` fields."""
        if not isinstance(value, dict):
            raise self.fail(where, f"must be an object, not {_kind(value)}")
        for k in value:
            if k not in allowed:
                raise self.fail(_sub(where, k), f"unknown field (allowed: {', '.join(sorted(allowed))})")
        return value

    def text_field(
        self, o: Mapping[str, Any], where: str, key: str, default: str | None = None, nullable: bool = False
    ) -> str | None:
        """A non-empty string field (``default`` when absent; with ``nullable``, null allowed)."""
        if key not in o:
            if default is None and not nullable:
                raise self.fail(_sub(where, key), "missing")
            return default
        v = o[key]
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            raise self.fail(_sub(where, key), f"must be a string{' or null' if nullable else ''}, not {_kind(v)}")
        if not v.strip():
            raise self.fail(_sub(where, key), "must not be empty")
        return v

    def accounts(self, top: Mapping[str, Any]) -> dict[str, Creds]:
        """``$.accounts``: at least one account id, each with its access key, secret and optional token."""
        if "accounts" not in top:
            raise self.fail("$.accounts", "missing")
        raw_accounts = top["accounts"]
        if not isinstance(raw_accounts, dict):
            raise self.fail("$.accounts", f"must be an object, not {_kind(raw_accounts)}")
        if not raw_accounts:
            raise self.fail("$.accounts", "must name at least one account")
        accounts: dict[str, Creds] = {}
        for account, value in raw_accounts.items():
            where = _sub("$.accounts", account)
            if not (account.isascii() and _ACCOUNT_ID.fullmatch(account)):
                raise self.fail(where, "not an account id (12 ASCII digits)")
            o = self.obj(value, where, _CRED_KEYS)
            key_id = self.text_field(o, where, "access_key_id")
            secret = self.text_field(o, where, "secret_access_key")
            token = self.text_field(o, where, "session_token", nullable=True)
            assert key_id is not None and secret is not None
            accounts[account] = (key_id, secret, token)
        return accounts

    def capabilities(self, top: Mapping[str, Any], accounts: dict[str, Creds]) -> frozenset[Capability]:
        """``$.capabilities``: known ones, each once, multi-account only with two accounts; by default the
        default capabilities (and multi-account when the file names two accounts or more)."""
        if "capabilities" not in top:
            extra = {Capability(Capability.MULTI_ACCOUNT)} if len(accounts) >= 2 else set()
            return frozenset(Capability(c) for c in DEFAULT_CAPABILITIES | extra)
        raw_caps = top["capabilities"]
        if not isinstance(raw_caps, list):
            raise self.fail("$.capabilities", f"must be a list of strings, not {_kind(raw_caps)}")
        known = {c.value for c in Capability}
        caps: set[Capability] = set()
        for i, c in enumerate(raw_caps):
            if not isinstance(c, str) or c not in known:
                raise self.fail(f"$.capabilities[{i}]", f"unknown capability {c!r} (known: {', '.join(sorted(known))})")
            if c in caps:
                raise self.fail(f"$.capabilities[{i}]", f"{c!r} is listed twice")
            caps.add(Capability(c))
        if Capability.MULTI_ACCOUNT in caps and len(accounts) < 2:
            i = raw_caps.index(Capability.MULTI_ACCOUNT.value)
            raise self.fail(f"$.capabilities[{i}]", "'multi-account' needs at least two accounts in $.accounts")
        return frozenset(caps)


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _principal(arn: str) -> tuple[str, str] | None:
    """``("user", name)`` or ``("role", name)`` for an IAM user or role-session ARN (lower case: IAM
    names are unique case-insensitively), else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    resource = parts[5]
    if resource.startswith("user/"):
        return ("user", resource.rsplit("/", 1)[-1].lower())
    if resource.startswith("assumed-role/"):
        return ("role", resource.split("/")[1].lower())
    if resource.startswith("role/"):
        return ("role", resource.rsplit("/", 1)[-1].lower())
    return None


# ---------------------------------------------------------------------------------------------- the target


def _first_line(exc: BaseException) -> str:
    """An exception's message, its first line only and bounded (botocore quotes whole bodies)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:300]


def _checked_url(url: str) -> str:
    """An emulator's URL: ``http://`` or ``https://`` and a host (``file:///etc/passwd`` and ``http://[::1``
    are bad input, said in one line)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not one
    except ValueError as exc:
        raise TargetConfigurationError(f"--endpoint-url {url!r}: not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetConfigurationError(f"--endpoint-url {url!r}: an emulator's URL is http:// or https:// and a host")
    return url


def _needed_accounts(doc: dict[str, Any], seen: list[str]) -> list[str]:
    """The accounts a scenario needs credentials in: the caller's and the role's, then, for a federated
    scenario, every account whose identity providers it creates."""
    needed: list[str] = []
    for part in ("caller", "role"):
        section = doc.get(part)
        arn = section.get("arn") if isinstance(section, dict) else None
        account = arn.split(":")[4] if isinstance(arn, str) and arn.count(":") >= 5 else ""
        if account in seen and account not in needed:
            needed.append(account)
    providers = doc.get("identity_providers")
    if "federated_caller" in doc and isinstance(providers, dict):
        # a federated scenario: the role's account first, then every account whose providers it creates
        needed += [a for a in providers if a in seen and a not in needed]
    return needed


class EndpointTarget(Target):
    """Any emulator at ``endpoint_url``, acting in its accounts with the credentials of ``accounts_path``.

    Built from the file (validated at once: :class:`TargetConfigurationError` on any fault); :meth:`start`
    checks that the endpoint answers and that each account's credentials belong to that account.
    """

    #: the most one call to the emulator may take, all of it (connection, request, the whole answer):
    #: a server that hangs or drips its answer is a target error after this many seconds
    DEADLINE = 15.0

    #: how many times a failed AssumeRole is tried again before it is a target error
    RETRIES = 2

    def __init__(
        self, endpoint_url: str, accounts_path: str, *, deadline: float = DEADLINE, retries: int = RETRIES
    ) -> None:
        self.deadline = deadline
        self.retries = retries
        self.endpoint_url = _checked_url(endpoint_url)
        self.file = load_accounts_file(accounts_path)
        self.name = self.file.name
        self.version = self.file.version
        self.capabilities = frozenset(self.file.capabilities)
        self._api: AwsApi | None = None
        self._identities: dict[str, tuple[str, str] | None] = {}
        """Account -> the principal of the file's credentials there (from :meth:`start`)."""
        self._arns: dict[str, str] = {}
        """Account -> the ARN GetCallerIdentity answered for the file's credentials there."""

    # -- lifecycle

    def start(self) -> None:
        """Check the endpoint: GetCallerIdentity with each account's credentials must answer that account.

        Refuses to start on one of several pytest-xdist workers: they would share the file's accounts and
        provision the same names at the same time.
        """
        workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")
        if workers != "1":
            raise TargetUnavailable(
                f"the endpoint target cannot run on {workers} pytest-xdist workers: they would share the accounts "
                f"of {self.file.path} and create the same users and roles at once; run without -n"
            )
        api = AwsApi(self.endpoint_url, deadline=self.deadline, retries=self.retries)
        url = self.endpoint_url
        for account, creds in self.file.accounts.items():
            sts = api.client("sts", self.file.region, creds)
            try:
                who = sts.get_caller_identity()
            except ClientError as exc:
                err = exc.response.get("Error", {})
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                raise TargetUnavailable(
                    f"{url} refused the credentials of account {account} in {self.file.path}: "
                    f"HTTP {status} {err.get('Code')}: {err.get('Message')}"
                ) from None
            except (BotoCoreError, OSError, TargetError, ResponseParserError) as exc:
                # unreachable, hanging past the deadline, or answering what is not AWS's protocol
                raise TargetUnavailable(f"cannot use {url}: {type(exc).__name__}: {_first_line(exc)}") from None
            answered = str(who.get("Account"))
            if answered != account:
                raise TargetUnavailable(
                    f"{url}: the credentials given for account {account} in {self.file.path} "
                    f"belong to account {answered} ({who.get('Arn')})"
                )
            self._identities[account] = _principal(str(who.get("Arn", "")))
            self._arns[account] = str(who.get("Arn", ""))
        self._api = api

    def stop(self) -> None:
        """Nothing to release: every scenario cleans up after itself."""
        self._api = None

    # -- accounts

    def prepare(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Rename the scenario's accounts onto the file's (module docstring).

        Raises :class:`Unsupported` when the scenario needs more accounts than the file has, or
        names a user or role after the principal whose credentials the file gives.
        """
        text = json.dumps(doc)
        seen = list(dict.fromkeys(ACCOUNT_ID.findall(text)))
        mapping = self._account_mapping(seen, _needed_accounts(doc, seen))
        prepared: dict[str, Any] = json.loads(ACCOUNT_ID.sub(lambda m: mapping[m.group(0)], text))
        try:
            realised = federated_plan(prepared) if "federated_caller" in prepared else plan(prepared)
        except Unsupported:
            raise
        except Exception:  # not valid input: the model reports it when it decides the prepared scenario
            return prepared
        if isinstance(realised, FederatedPlan):
            self._check_role_name(realised.role)
        else:
            self._check_names(realised)
        return prepared

    def _account_mapping(self, seen: list[str], needed: list[str]) -> dict[str, str]:
        """The scenario's accounts onto the file's: the needed ones in order onto the file's accounts, every
        other one onto a spare id the file does not name; :class:`Unsupported` when the file has too few."""
        mine = list(self.file.accounts)
        if len(needed) > len(mine):
            raise Unsupported(
                f"the scenario needs {len(needed)} accounts ({', '.join(needed)}) and {self.file.path} "
                f"names {len(mine)}"
            )
        mapping = dict(zip(needed, mine, strict=False))
        spare = (f"{n:012d}" for n in range(999_999_999_999, -1, -1) if f"{n:012d}" not in self.file.accounts)
        for account in seen:
            if account not in mapping:
                mapping[account] = next(spare)
        return mapping

    def _check_role_name(self, r: RolePlan) -> None:
        """:meth:`_check_names` for a federated scenario: its role is all it names."""
        principal = ("role", r.name.lower())
        if r.exists and self._identities.get(r.account) == principal:
            raise Unsupported(
                f"the scenario's role {r.name!r} in account {r.account} is the principal whose credentials "
                f"{self.file.path} gives"
            )

    def _check_names(self, p: Plan) -> None:
        """Refuse a scenario whose caller or role has the name of the file's own principal: provisioning
        it would collide with that principal, and the leftover clean-up would delete it."""
        mine = [(p.caller.account, ("user" if p.caller.kind == "user" else "role", p.caller.name.lower()))]
        if p.role.exists:
            mine.append((p.role.account, ("role", p.role.name.lower())))
        for account, principal in mine:
            if self._identities.get(account) == principal:
                raise Unsupported(
                    f"the scenario's {principal[0]} {principal[1]!r} in account {account} is the principal whose "
                    f"credentials {self.file.path} gives"
                )

    # -- clients

    def _iam(self, account: str) -> Any:
        """The IAM client signing as ``account``'s principal (re-pointed on every call: take it just before use)."""
        assert self._api is not None
        return self._api.client("iam", self.file.region, self._creds(account))

    def _sts(self, account: str) -> Any:
        """The STS client signing as ``account``'s principal (to create a caller's session)."""
        assert self._api is not None
        return self._api.client("sts", self.file.region, self._creds(account))

    def _creds(self, account: str) -> Creds:
        try:
            return self.file.accounts[account]
        except KeyError:
            raise TargetError(
                f"account {account} is not in {self.file.path}: run() takes a scenario prepared by prepare()"
            ) from None

    # -- a scenario

    def run(self, doc: dict[str, Any], *, check_identity: bool = False) -> Outcome:
        """Provision, call, clean up (always); the outcome, with the role's id from CreateRole."""
        if self._api is None:
            raise TargetUnavailable("the endpoint target is not started")
        api = self._api
        if "federated_caller" in doc:
            return self._run_federated(federated_plan(doc), check_identity)
        p = plan(doc)
        self._creds(p.caller.account)
        if p.role.exists and not p.self_assume:
            self._creds(p.role.account)
        self._check_names(p)
        return self._provisioned(
            lambda prov: provision_or_outcome(prov.provision, p),
            lambda: self._purge_leftovers(p),
            lambda got, prov: self._refuse_target_failure(got, p, prov),
            lambda creds, prov: dataclasses.replace(
                api.assume(p, creds, check_identity=check_identity), role_id=prov.role_id
            ),
        )

    def _run_federated(self, fp: FederatedPlan, check_identity: bool) -> Outcome:
        """A federated door: the identity providers and the role created with the file's credentials of their
        accounts, then the call, unsigned as AWS takes it (docs/federation.md, "What the suite sends")."""
        assert self._api is not None
        api = self._api
        for account in fp.accounts:
            self._creds(account)
        self._check_role_name(fp.role)

        def refused(got: Outcome, _: ApiProvisioner) -> None:
            code = got.result.get("error_code")
            if got.result.get("decision") != "error" or code in _AUTH_FAILURES or code == "EntityAlreadyExists":
                raise TargetError(
                    f"provisioning the identity providers and the role in account(s) {', '.join(fp.accounts)} with "
                    f"the credentials of {self.file.path} was refused ({got.result.get('decision')} {code or ''}: "
                    f"{got.result.get('message')}); those credentials must be allowed to manage IAM OIDC and SAML "
                    "providers and roles"
                )

        def call(_: None, prov: ApiProvisioner) -> Outcome:
            try:
                out = assume_federated(api, fp, check_identity=check_identity)
            except TargetError as exc:
                exc.add_note(
                    f"AWS takes {fp.api} unsigned (no AWS credentials); an emulator that fails such a call cannot "
                    f"run the federated doors: leave {_FEDERATED_CAPABILITY[fp.api]!r} out of the capabilities of "
                    f"{self.file.path}"
                )
                raise
            return dataclasses.replace(out, role_id=prov.role_id)

        return self._provisioned(
            lambda prov: provision_or_outcome(prov.provision_federated, fp),
            lambda: self._purge_federated_leftovers(fp),
            refused,
            call,
        )

    def _provisioned(
        self,
        provision: Callable[[ApiProvisioner], _T | Outcome],
        purge: Callable[[], None],
        refused: Callable[[Outcome, ApiProvisioner], None],
        act: Callable[[_T, ApiProvisioner], Outcome],
    ) -> Outcome:
        """Provision with a fresh :class:`ApiProvisioner`, act on what it made, and delete it all, whatever
        happens. A create answered ``EntityAlreadyExists`` (a leftover of an interrupted run) deletes what
        this attempt made, calls ``purge`` to delete the leftovers, then provisions once more. A refusal is given to
        ``refused`` (which raises when it is about the file's credentials), else it is the outcome."""
        provisioners: list[ApiProvisioner] = []
        try:
            prov = ApiProvisioner(self._iam, self._sts, self._bootstrap_principal)
            provisioners.append(prov)
            got = provision(prov)
            if isinstance(got, Outcome) and got.result.get("error_code") == "EntityAlreadyExists":
                self._cleanup(prov.created, strict=True)
                provisioners.clear()
                purge()
                prov = ApiProvisioner(self._iam, self._sts, self._bootstrap_principal)
                provisioners.append(prov)
                got = provision(prov)
            if isinstance(got, Outcome):
                refused(got, prov)
                return got
            return act(got, prov)
        except BaseException as exc:
            # the real failure wins; a clean-up failure is only a note on it
            for problem in self._cleanup([c for pr in provisioners for c in pr.created], strict=False):
                exc.add_note(f"clean-up also failed: {problem}")
            provisioners.clear()
            raise
        finally:
            problems = self._cleanup([c for pr in provisioners for c in pr.created], strict=False)
            if problems:
                # a leftover would make the next scenario that uses these names fail or mean something else
                raise TargetError(f"clean-up after the scenario failed: {'; '.join(problems)}")

    def _bootstrap_principal(self, account: str) -> str | None:
        """The file's principal in ``account``, trusted by a role-session caller's role as well.

        ApiProvisioner trusts the caller's account (``…:root``) there, which in AWS lets any principal of
        the account with ``sts:AssumeRole`` create the caller's session. Emulators that match trust
        principals literally (moto, and the emulators built on it) refuse the file's principal unless it
        is named; naming it as well changes nothing in AWS and nothing the scenario says.
        """
        principal = self._arns.get(account, "")
        return principal if principal and not principal.endswith(":root") else None

    def _refuse_target_failure(self, got: Outcome, p: Plan, prov: ApiProvisioner) -> None:
        """A provisioning answer that is about the file's credentials (a denial, a bad key), not about the
        scenario's policies, is a failure of the target's set-up (or, for a caller that is a session of
        the target role itself, a scenario the target cannot provision)."""
        code = got.result.get("error_code")
        if got.result.get("decision") == "error" and code not in _AUTH_FAILURES and code != "EntityAlreadyExists":
            return  # the AWS answer of saving the scenario's policies
        c = p.caller
        session_step = c.kind == "role-session" and len(prov.created) == (
            (1 if c.boundary is not None else 0) + 1 + len(c.identity_policies)
        )
        why = f"{got.result.get('decision')} {code or ''}: {got.result.get('message')}"
        if session_step and p.self_assume and got.result.get("decision") != "error":
            raise Unsupported(
                f"the caller is a session of the target role itself, and the role's trust policy does not let "
                f"the principal of {self.file.path} in account {c.account} create that session ({why})"
            )
        what = "creating the caller's session" if session_step else "provisioning"
        accounts = ", ".join(dict.fromkeys((c.account, p.role.account)))
        hint = (
            "a leftover of an earlier run is still there after deleting it"
            if code == "EntityAlreadyExists"
            else "those credentials must be allowed to manage IAM users, roles, policies and keys and to assume roles"
        )
        raise TargetError(
            f"{what} in account(s) {accounts} with the credentials of {self.file.path} was refused ({why}); {hint}"
        )

    # -- clean-up

    def _cleanup(self, created: Iterable[tuple[str, str, str]], *, strict: bool) -> list[str]:
        """Delete ``created`` (ApiProvisioner's log) in reverse order; NoSuchEntity is fine.

        Returns the problems (``strict``: raises :class:`TargetError` on the first one instead).
        """
        problems: list[str] = []
        for account, kind, name in reversed(list(created)):
            try:
                self._delete(account, kind, name)
            except Exception as exc:
                problem = f"deleting {kind} {name} in {account}: {_describe(exc)}"
                if strict:
                    raise TargetError(problem) from exc
                problems.append(problem)
        return problems

    def _delete(self, account: str, kind: str, name: str) -> None:
        """Delete one entry of ApiProvisioner's log (``kind`` as it logs it)."""
        owner, _, item = name.partition(":")
        iam = self._iam(account)  # taken just before the one call made with it
        if kind == "user-policy":
            _ignore_missing(iam.delete_user_policy, UserName=owner, PolicyName=item)
        elif kind == "access-key":
            _ignore_missing(iam.delete_access_key, UserName=owner, AccessKeyId=item)
        elif kind == "user":
            _ignore_missing(iam.delete_user, UserName=name)
        elif kind == "role-policy":
            _ignore_missing(iam.delete_role_policy, RoleName=owner, PolicyName=item)
        elif kind == "role":
            _ignore_missing(iam.delete_role, RoleName=name)
        elif kind == "policy":  # logged by ARN
            _ignore_missing(iam.delete_policy, PolicyArn=name)
        elif kind == "oidc-provider":  # logged by ARN
            _ignore_missing(iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=name)
        elif kind == "saml-provider":  # logged by ARN
            _ignore_missing(iam.delete_saml_provider, SAMLProviderArn=name)
        else:
            raise TargetError(f"unknown kind of created resource {kind!r}")

    def _purge_leftovers(self, p: Plan) -> None:
        """Delete, with what hangs on them, the entities ``p`` creates, wherever they are left over."""
        c, r = p.caller, p.role
        try:
            if c.kind == "user":
                self._purge_user(c.account, c.name)
            else:
                self._purge_role(c.account, c.name)
                if c.boundary is not None:
                    arn = f"arn:{c.partition}:iam::{c.account}:policy/{c.name}-boundary"
                    _ignore_missing(self._iam(c.account).delete_policy, PolicyArn=arn)
            if r.exists and not p.self_assume:
                self._purge_role(r.account, r.name)
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(f"deleting the leftovers of an earlier run: {_describe(exc)}") from exc

    def _purge_federated_leftovers(self, fp: FederatedPlan) -> None:
        """Delete the identity providers and the role ``fp`` creates, wherever they are left over."""
        partition = fp.role.arn.split(":")[1]
        try:
            for account, url, *_ in fp.oidc_providers:
                arn = f"arn:{partition}:iam::{account}:oidc-provider/{url.removeprefix('https://')}"
                _ignore_missing(self._iam(account).delete_open_id_connect_provider, OpenIDConnectProviderArn=arn)
            for account, name, _ in fp.saml_providers:
                arn = f"arn:{partition}:iam::{account}:saml-provider/{name}"
                _ignore_missing(self._iam(account).delete_saml_provider, SAMLProviderArn=arn)
            if fp.role.exists:
                self._purge_role(fp.role.account, fp.role.name)
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(f"deleting the leftovers of an earlier run: {_describe(exc)}") from exc

    def _purge_user(self, account: str, name: str) -> None:
        """Delete user ``name`` with its inline and attached policies and its access keys."""
        try:
            policies = self._iam(account).list_user_policies(UserName=name).get("PolicyNames", [])
        except ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                return
            raise
        for policy in policies:
            _ignore_missing(self._iam(account).delete_user_policy, UserName=name, PolicyName=policy)
        for att in self._iam(account).list_attached_user_policies(UserName=name).get("AttachedPolicies", []):
            _ignore_missing(self._iam(account).detach_user_policy, UserName=name, PolicyArn=att["PolicyArn"])
        for key in self._iam(account).list_access_keys(UserName=name).get("AccessKeyMetadata", []):
            _ignore_missing(self._iam(account).delete_access_key, UserName=name, AccessKeyId=key["AccessKeyId"])
        _ignore_missing(self._iam(account).delete_user, UserName=name)

    def _purge_role(self, account: str, name: str) -> None:
        """Delete role ``name`` with its inline and attached policies."""
        try:
            policies = self._iam(account).list_role_policies(RoleName=name).get("PolicyNames", [])
        except ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                return
            raise
        for policy in policies:
            _ignore_missing(self._iam(account).delete_role_policy, RoleName=name, PolicyName=policy)
        for att in self._iam(account).list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
            _ignore_missing(self._iam(account).detach_role_policy, RoleName=name, PolicyArn=att["PolicyArn"])
        _ignore_missing(self._iam(account).delete_role, RoleName=name)


def provision_or_outcome(provision: Callable[[_P], _T | Outcome], p: _P) -> _T | Outcome:
    """``provision(p)`` (an :class:`ApiProvisioner` method), with a refusal of the file's credentials given
    back as the answer it was, so that :meth:`EndpointTarget._refuse_target_failure` can tell a set-up failure
    from an unsupported scenario. A failure of the target itself (a 5xx with any body, InternalFailure,
    throttling) stays a :class:`TargetError`: it is no answer to the scenario (issue 20: a 500 while
    provisioning was read as the scenario's answer, a new divergence ``error:InternalFailure``)."""
    try:
        return provision(p)
    except TargetError as exc:
        cause = exc.__cause__
        if isinstance(cause, ClientError) and not is_target_failure(cause):
            err = cause.response.get("Error", {})
            return outcome_of_error(str(err.get("Code", "")), err.get("Message"), dict(err), "provision")
        raise


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _ignore_missing(call: Callable[..., Any], **kw: Any) -> None:
    """``call(**kw)``; an answer of NoSuchEntity (already gone) is success."""
    try:
        call(**kw)
    except ClientError as exc:
        if _code(exc) != "NoSuchEntity":
            raise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code')}: {err.get('Message')}"
    return f"{type(exc).__name__}: {exc}"
