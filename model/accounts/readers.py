"""Readers of AWS's own outputs: account dumps and an Organizations snapshot into one rolecall snapshot.

Users hold accounts, and AWS describes an account in its own words: ``aws iam
get-account-authorization-details`` (GAAD) prints every user, group, role and managed policy
with their policies, and the Organizations API describes the tree of accounts and its service
and resource control policies. This module turns those outputs into a ``rolecall-snapshot/1``
document (docs/accounts.md) and the :class:`~rolecall.model.accounts.snapshot.Snapshot` it loads
to, so that an account can be analysed from a file its owner already knows how to make.

The inputs, each a decoded JSON value with a name for the messages (a file name):

* **A GAAD output**, one account per input: a response object, or an array of response pages
  (``Marker`` / ``IsTruncated``); several inputs of the same account are merged. Policy documents
  may be JSON objects (as the AWS CLI and boto3 print them), JSON text, or URL-encoded JSON text
  (as the raw API returns them): each document is decoded on its own
  (:func:`decode_policy_document`). The account and partition come from the ARNs.
* **Identity providers**, in the same input or their own: ``OpenIDConnectProviders`` (each
  ``GetOpenIDConnectProvider``'s output plus its ``Arn``) and ``SAMLProviders`` (each
  ``GetSAMLProvider``'s output plus its ``Arn``).
* **A rolecall snapshot** (``"format": "rolecall-snapshot/1"``): its accounts join the others.
* **An Organizations snapshot** (:func:`read_organization`), given apart.

Fail closed, nothing dropped in silence. A bad or partial input is one
:class:`~rolecall.model.errors.InputError` naming the input, the JSON path and the problem: a
policy the model refuses (at its path inside the dump), a group, managed policy or boundary a
principal names that the dump lacks, an AWS managed policy neither in the dump nor in rolecall's
shipped copy, an account whose every page says ``IsTruncated``. What the inputs hold that a
snapshot does not keep (AWS managed policies attached to nothing, the implied ``RCPFullAWSAccess``,
policy types other than SCPs and RCPs, ids not in AWS's form) is listed in :attr:`Read.notes`.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import unquote

from ..errors import InputError, RolecallError, child
from ..policy import PolicyKind, load_json, parse_policy
from .snapshot import FORMAT, Organization, Snapshot, load_snapshot

__all__ = [
    "SHIPPED_VERSION_DATE",
    "Read",
    "decode_policy_document",
    "load_json_file",
    "read_files",
    "read_inputs",
    "read_moto_backends",
    "read_organization",
    "shipped_aws_managed_policy",
]

#: The date of rolecall's copy of AWS's managed policy documents (``model/data``): the copy was made
#: on this day (the timestamp in its gzip header, 2026-11-29 00:11 UTC), so each policy is as AWS
#: published it then, at the version the copy names. Not the date each version was created.
SHIPPED_VERSION_DATE = "2026-11-29"

_GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_PROVIDER_KEYS = ("OpenIDConnectProviders", "SAMLProviders")
_PAGE_KEYS = frozenset({*_GAAD_KEYS, *_PROVIDER_KEYS, "IsTruncated", "Marker", "ResponseMetadata"})
_ORG_KEYS = frozenset({"Organization", "Roots", "OrganizationalUnits", "Accounts", "Policies"})
_IAM_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>[0-9]{12}|aws):"
    r"(?P<kind>user|group|role|policy|oidc-provider|saml-provider)(?P<rest>/.*)",
    re.ASCII | re.DOTALL,
)
_USER_ID = re.compile(r"AIDA[A-Z0-9]+")
_ROLE_ID = re.compile(r"AROA[A-Z0-9]+")
_ORG_TYPES = {"SERVICE_CONTROL_POLICY": PolicyKind.SCP, "RESOURCE_CONTROL_POLICY": PolicyKind.RCP}

#: The order of a principal's fields in the snapshot document (as docs/accounts.md lists them).
_FIELD_ORDER = (
    "name",
    "path",
    "id",
    "trust_policy",
    "max_session_duration",
    "tags",
    "groups",
    "inline_policies",
    "managed_policies",
    "permissions_boundary",
)

Origin = tuple[str, str]
"""Where a value was read: (input name, JSON path)."""


@dataclass(frozen=True)
class Read:
    """What the readers made of their inputs."""

    snapshot: Snapshot
    document: dict[str, Any]
    """The ``rolecall-snapshot/1`` document (policy documents as the inputs spelled them)."""
    notes: tuple[str, ...] = ()
    """What the inputs hold that the snapshot does not keep, and why (one line each)."""
    counts: Mapping[str, int] = field(default_factory=dict)
    """How much was read: accounts, users, groups, roles, customer managed policies, AWS managed
    policies (from the dumps and shipped), OIDC and SAML providers, organization nodes and policies."""


# =========================================================================== small readers


def load_json_file(path: str) -> Any:
    """A JSON file, decoded with repeated keys remembered (the model refuses them in policies, the
    readers elsewhere); an unreadable file or bad JSON is an :class:`InputError` naming the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", "$") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory", "$") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", "$") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})", "$") from None
    try:
        return load_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", "$") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not JSON: {exc}", "$") from None


def decode_policy_document(value: Any, where: str) -> Any:
    """A policy document as GAAD or Organizations give it, decoded: a JSON object as is (the AWS CLI,
    boto3), JSON text parsed (DescribePolicy's ``Content``), URL-encoded JSON text unquoted with
    :func:`urllib.parse.unquote` and parsed (the raw IAM API, RFC 3986 encoding: ``{`` is always
    ``%7B``, so the two kinds of text never meet)."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str):
        raise InputError(f"a policy document: a JSON object or (URL-encoded) JSON text, not {_kind(value)}", where)
    text = value.strip()
    if text.startswith("{"):
        how = "JSON text"
    elif text[:3].upper() == "%7B":
        text, how = unquote(text), "URL-encoded JSON text"
    else:
        raise InputError(f"a policy document: a JSON object or (URL-encoded) JSON text, not {value[:40]!r}", where)
    try:
        return load_json(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"a policy document in {how} that is not JSON ({exc})", where) from None


@cache
def _shipped() -> dict[str, Mapping[str, Any]]:
    resource = files("rolecall.model") / "data" / "aws-managed-policies.jsonl.gz"
    out: dict[str, Mapping[str, Any]] = {}
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[row["arn"]] = row
    return out


def shipped_aws_managed_policy(arn: str) -> dict[str, Any] | None:
    """rolecall's copy of the AWS managed policy ``arn`` (partition ``aws``), as a snapshot's
    ``aws_managed_policies`` entry (``document``, ``version``, ``source: "shipped"``,
    ``version_date``: :data:`SHIPPED_VERSION_DATE`), or ``None`` when rolecall ships no such policy."""
    row = _shipped().get(arn)
    if row is None:
        return None
    return {
        "document": row["document"],
        "version": row["version"],
        "source": "shipped",
        "version_date": SHIPPED_VERSION_DATE,
    }


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _obj(value: Any, where: str, what: str = "an object") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"expected {what}, got {_kind(value)}", where)
    dups = getattr(value, "duplicates", ())
    if dups:
        raise InputError(f"the key {dups[0]!r} is given twice", child(where, dups[0]))
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"expected an array, got {_kind(value)}", where)
    return value


def _str(m: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    if key not in m:
        if default is not None:
            return default
        raise InputError(f"missing {key!r}", where)
    value = m[key]
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {_kind(value)}", child(where, key))
    return value


def _arn(value: str, where: str, kind: str) -> re.Match[str]:
    m = _IAM_ARN.fullmatch(value)
    if m is None or m["kind"] != kind:
        raise InputError(f"not an IAM {kind} ARN: {value!r}", where)
    return m


def _tags(value: Any, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for i, t in enumerate(_list(value, where)):
        w = child(where, i)
        tag = _obj(t, w)
        key, val = _str(tag, "Key", w), _str(tag, "Value", w)
        if key.lower() in seen:
            raise InputError(f"tag keys are case-insensitive: {key!r} repeats {seen[key.lower()]!r}", w)
        seen[key.lower()] = key
        out[key] = val
    return out


def _policy(value: Any, kind: PolicyKind, where: str) -> Any:
    """The decoded document, after the model's parser has accepted it (a refusal names its path)."""
    doc = decode_policy_document(value, where)
    try:
        parse_policy(doc, kind, where)
    except RolecallError as exc:
        raise InputError(f"a policy the model refuses: {exc.message}", exc.path) from None
    return doc


@contextmanager
def _in(source: str) -> Iterator[None]:
    """Errors raised while reading ``source`` name it."""
    try:
        yield
    except InputError as exc:
        if exc.message.startswith(f"{source}: "):
            raise
        raise InputError(f"{source}: {exc.message}", exc.path) from None


# =========================================================================== accumulating accounts


@dataclass
class _Entry:
    doc: dict[str, Any]
    origin: Origin
    refs: list[tuple[str, str, Origin]] = field(default_factory=list)
    """(what, ARN or name, where): managed policies, boundaries and groups this entry names."""


@dataclass
class _Account:
    id: str
    users: dict[str, _Entry] = field(default_factory=dict)
    groups: dict[str, _Entry] = field(default_factory=dict)
    roles: dict[str, _Entry] = field(default_factory=dict)
    policies: dict[str, _Entry] = field(default_factory=dict)
    oidc: dict[str, _Entry] = field(default_factory=dict)
    saml: dict[str, _Entry] = field(default_factory=dict)
    pages: list[tuple[Origin, bool]] = field(default_factory=list)
    """Every GAAD page of the account: where, and whether it says ``IsTruncated``."""
    default_durations: int = 0


@dataclass
class _AwsManagedUse:
    """The AWS managed policies the accounts use: ARN -> the snapshot's entry, those read from the dumps,
    and how many come from rolecall's shipped copy."""

    policies: dict[str, Any] = field(default_factory=dict)
    from_dump: set[str] = field(default_factory=set)
    shipped: int = 0


def _input_pages(value: Any) -> list[tuple[str, Any]]:
    """An input's get-account-authorization-details pages with their JSON paths (one object, or an array)."""
    if isinstance(value, list):
        pages = [(child("$", i), p) for i, p in enumerate(value)]
        if not pages:
            raise InputError("an empty array: no get-account-authorization-details page", "$")
        return pages
    return [("$", value)]


def _gaad_page(page: Any, where: str) -> Mapping[str, Any]:
    """A page, checked to be a get-account-authorization-details output (known fields, at least one list)."""
    p = _obj(page, where, "a get-account-authorization-details output (an object)")
    unknown = sorted(set(p) - _PAGE_KEYS)
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r}: not a get-account-authorization-details output "
            f"(fields: {', '.join(sorted(_PAGE_KEYS))})",
            child(where, unknown[0]),
        )
    if not any(k in p for k in (*_GAAD_KEYS, *_PROVIDER_KEYS)):
        raise InputError(
            "no UserDetailList, GroupDetailList, RoleDetailList, Policies, OpenIDConnectProviders "
            "or SAMLProviders: not a get-account-authorization-details output",
            where,
        )
    return p


class _Reader:
    def __init__(self) -> None:
        self.accounts: dict[str, _Account] = {}
        self.aws_managed: dict[str, tuple[Mapping[str, Any], str, Origin]] = {}
        """ARN -> (the Policies entry, the default version's JSON path, where)."""
        self.partition: tuple[str, Origin] | None = None
        self.snapshot_accounts: dict[str, tuple[Any, Origin]] = {}
        self.snapshot_aws_managed: dict[str, tuple[Any, Origin]] = {}
        self.organization: tuple[dict[str, Any], Origin] | None = None
        self.notes: list[str] = []
        self.bad_ids: list[str] = []

    # ------------------------------------------------------------------ partition and account

    def _partition(self, partition: str, origin: Origin) -> None:
        if self.partition is None:
            self.partition = (partition, origin)
        elif self.partition[0] != partition:
            first = self.partition[1]
            raise InputError(
                f"partition {partition!r}, but {first[0]} at {first[1]} is in {self.partition[0]!r}: "
                "a snapshot covers one partition",
                origin[1],
            )

    def _account_arns(self, page: Mapping[str, Any], where: str) -> Iterator[tuple[str, str, str]]:
        """(partition, account, where) of every ARN of an account's own entity in a page."""
        for key, arn_key in (
            ("UserDetailList", "Arn"),
            ("GroupDetailList", "Arn"),
            ("RoleDetailList", "Arn"),
            ("Policies", "Arn"),
            ("OpenIDConnectProviders", "Arn"),
            ("SAMLProviders", "Arn"),
        ):
            for i, item in enumerate(_list(page.get(key, []), child(where, key))):
                w = child(child(where, key), i)
                arn = _str(_obj(item, w), arn_key, w)
                m = _IAM_ARN.fullmatch(arn)
                if m is None:
                    raise InputError(f"not an IAM ARN: {arn!r}", child(w, arn_key))
                if m["account"] != "aws":
                    yield m["partition"], m["account"], child(w, arn_key)

    # ------------------------------------------------------------------ one input

    def add_input(self, source: str, value: Any) -> None:
        with _in(source):
            if isinstance(value, Mapping) and "format" in value:
                self._add_snapshot(source, value)
                return
            if isinstance(value, Mapping) and "Roots" in value and "Organization" in value:
                raise InputError("an Organizations snapshot: give it as the organization input (--organization)", "$")
            pages = _input_pages(value)
            account = self._input_account(source, pages)
            if account is None:
                # only AWS managed policies (a late page): global, no account needed
                if not any(_obj(page, where).get("Policies") for where, page in pages):
                    self.notes.append(f"{source}: no user, group, role, policy or provider: nothing to read")
                for where, page in pages:
                    self._policies(None, source, page, where)
                return
            a = self.accounts.setdefault(account, _Account(account))
            for where, page in pages:
                self._page(a, source, page, where)

    def _input_account(self, source: str, pages: list[tuple[str, Any]]) -> str | None:
        """The one account whose entities the pages hold (``None``: only AWS managed policies); each page
        must be a get-account-authorization-details output, in the snapshot's one partition."""
        account: tuple[str, str] | None = None  # (id, where)
        for where, page in pages:
            p = _gaad_page(page, where)
            for partition, acct, w in self._account_arns(p, where):
                self._partition(partition, (source, w))
                if account is None:
                    account = (acct, w)
                elif acct != account[0]:
                    raise InputError(
                        f"an ARN of account {acct}, but this input is of account {account[0]} (from {account[1]}): "
                        "give one input per account",
                        w,
                    )
        return None if account is None else account[0]

    def _add_snapshot(self, source: str, value: Mapping[str, Any]) -> None:
        load_snapshot(value)  # the whole snapshot is valid on its own (errors name its paths)
        self._partition(value.get("partition", "aws"), (source, "$.partition"))
        for i, a in enumerate(value.get("accounts", [])):
            w = child(child("$", "accounts"), i)
            if a["id"] in self.snapshot_accounts:
                other = self.snapshot_accounts[a["id"]][1]
                raise InputError(f"account {a['id']} is also in {other[0]} at {other[1]}", child(w, "id"))
            self.snapshot_accounts[a["id"]] = (a, (source, w))
        for arn, p in value.get("aws_managed_policies", {}).items():
            self.snapshot_aws_managed.setdefault(arn, (p, (source, child(child("$", "aws_managed_policies"), arn))))
        if value.get("organization"):
            self.set_organization(value["organization"], (source, "$.organization"))

    def set_organization(self, doc: dict[str, Any], origin: Origin) -> None:
        if self.organization is not None and self.organization[0] != doc:
            other = self.organization[1]
            raise InputError(f"a second organization (the first: {other[0]} at {other[1]})", origin[1])
        self.organization = (doc, origin)

    # ------------------------------------------------------------------ one page

    def _page(self, a: _Account, source: str, page: Mapping[str, Any], where: str) -> None:
        if any(k in page for k in _GAAD_KEYS):
            truncated = page.get("IsTruncated", False)
            if not isinstance(truncated, bool):
                raise InputError(f"expected a boolean, got {_kind(truncated)}", child(where, "IsTruncated"))
            a.pages.append(((source, where), truncated))
        for i, item in enumerate(page.get("UserDetailList", [])):
            self._user(a, source, item, child(child(where, "UserDetailList"), i))
        for i, item in enumerate(page.get("GroupDetailList", [])):
            self._group(a, source, item, child(child(where, "GroupDetailList"), i))
        for i, item in enumerate(page.get("RoleDetailList", [])):
            self._role(a, source, item, child(child(where, "RoleDetailList"), i))
        self._policies(a, source, page, where)
        for i, item in enumerate(page.get("OpenIDConnectProviders", [])):
            self._oidc(a, source, item, child(child(where, "OpenIDConnectProviders"), i))
        for i, item in enumerate(page.get("SAMLProviders", [])):
            self._saml(a, source, item, child(child(where, "SAMLProviders"), i))

    def _merge(self, into: dict[str, _Entry], key: str, entry: _Entry, what: str) -> None:
        """The same entity in two pages or inputs must read the same (a dump is one moment)."""
        old = into.get(key)
        if old is None:
            into[key] = entry
        elif old.doc != entry.doc:
            raise InputError(
                f"{what} {key!r} differs from the one in {old.origin[0]} at {old.origin[1]}: "
                "dumps of one account taken at different times?",
                entry.origin[1],
            )

    def _principal(
        self, a: _Account, source: str, item: Any, where: str, kind: str, name_key: str, list_key: str
    ) -> tuple[Mapping[str, Any], _Entry]:
        m = _obj(item, where)
        name = _str(m, name_key, where)
        path = _str(m, "Path", where, "/")
        arn = _str(m, "Arn", where)
        expected = f"arn:{_arn(arn, child(where, 'Arn'), kind)['partition']}:iam::{a.id}:{kind}{path}{name}"
        if arn != expected:
            raise InputError(f"the ARN does not match {name_key} and Path (expected {expected!r})", child(where, "Arn"))
        doc: dict[str, Any] = {"name": name}
        if path != "/":
            doc["path"] = path
        entry = _Entry(doc, (source, where))
        inline: dict[str, Any] = {}
        for i, p in enumerate(_list(m.get(list_key, []), child(where, list_key))):
            w = child(child(where, list_key), i)
            pm = _obj(p, w)
            pname = _str(pm, "PolicyName", w)
            if pname in inline:
                raise InputError(f"a second inline policy named {pname!r}", child(w, "PolicyName"))
            if "PolicyDocument" not in pm:
                raise InputError("missing 'PolicyDocument'", w)
            inline[pname] = _policy(pm["PolicyDocument"], PolicyKind.IDENTITY, child(w, "PolicyDocument"))
        if inline:
            doc["inline_policies"] = inline
        managed = []
        for i, p in enumerate(_list(m.get("AttachedManagedPolicies", []), child(where, "AttachedManagedPolicies"))):
            w = child(child(where, "AttachedManagedPolicies"), i)
            parn = _str(_obj(p, w), "PolicyArn", w)
            _arn(parn, child(w, "PolicyArn"), "policy")
            managed.append(parn)
            entry.refs.append(("policy", parn, (source, child(w, "PolicyArn"))))
        if managed:
            doc["managed_policies"] = managed
        if m.get("PermissionsBoundary"):
            w = child(where, "PermissionsBoundary")
            barn = _str(_obj(m["PermissionsBoundary"], w), "PermissionsBoundaryArn", w)
            _arn(barn, child(w, "PermissionsBoundaryArn"), "policy")
            doc["permissions_boundary"] = barn
            entry.refs.append(("policy", barn, (source, child(w, "PermissionsBoundaryArn"))))
        if m.get("Tags"):
            doc["tags"] = _tags(m["Tags"], child(where, "Tags"))
        return m, entry

    def _id(self, m: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str, doc: dict[str, Any]) -> None:
        if key not in m:
            return
        value = _str(m, key, where)
        if pattern.fullmatch(value):
            doc["id"] = value
        else:
            self.bad_ids.append(f"{where}.{key} = {value!r}")

    def _user(self, a: _Account, source: str, item: Any, where: str) -> None:
        m, entry = self._principal(a, source, item, where, "user", "UserName", "UserPolicyList")
        self._id(m, "UserId", _USER_ID, f"{source}: {where}", entry.doc)
        groups = []
        for i, g in enumerate(_list(m.get("GroupList", []), child(where, "GroupList"))):
            if not isinstance(g, str):
                raise InputError(f"expected a group name, got {_kind(g)}", child(child(where, "GroupList"), i))
            groups.append(g)
            entry.refs.append(("group", g, (source, child(child(where, "GroupList"), i))))
        if groups:
            entry.doc["groups"] = groups
        self._merge(a.users, entry.doc["name"], entry, "user")

    def _group(self, a: _Account, source: str, item: Any, where: str) -> None:
        m, entry = self._principal(a, source, item, where, "group", "GroupName", "GroupPolicyList")
        for key in ("PermissionsBoundary", "Tags"):
            if m.get(key):  # IAM has neither for groups: a dump that says otherwise is not AWS's
                raise InputError(f"a group has no {key} in IAM", child(where, key))
        self._merge(a.groups, entry.doc["name"], entry, "group")

    def _role(self, a: _Account, source: str, item: Any, where: str) -> None:
        m, entry = self._principal(a, source, item, where, "role", "RoleName", "RolePolicyList")
        self._id(m, "RoleId", _ROLE_ID, f"{source}: {where}", entry.doc)
        if "AssumeRolePolicyDocument" not in m:
            raise InputError("missing 'AssumeRolePolicyDocument' (the trust policy)", where)
        entry.doc["trust_policy"] = _policy(
            m["AssumeRolePolicyDocument"], PolicyKind.TRUST, child(where, "AssumeRolePolicyDocument")
        )
        if "MaxSessionDuration" in m:  # not in GAAD; ListRoles and GetRole have it (rolecall collect adds it)
            duration = m["MaxSessionDuration"]
            if not isinstance(duration, int) or isinstance(duration, bool) or not 3600 <= duration <= 43200:
                raise InputError(f"3600-43200 seconds, not {duration!r}", child(where, "MaxSessionDuration"))
            if duration != 3600:
                entry.doc["max_session_duration"] = duration
        else:
            a.default_durations += 1
        self._merge(a.roles, entry.doc["name"], entry, "role")

    def _policies(self, a: _Account | None, source: str, page: Mapping[str, Any], where: str) -> None:
        for i, item in enumerate(_list(page.get("Policies", []), child(where, "Policies"))):
            w = child(child(where, "Policies"), i)
            m = _obj(item, w)
            arn = _str(m, "Arn", w)
            parsed = _arn(arn, child(w, "Arn"), "policy")
            self._partition(parsed["partition"], (source, child(w, "Arn")))
            doc_where, version = self._default_version(m, w)
            if parsed["account"] == "aws":
                old = self.aws_managed.get(arn)
                if old is not None and _version(old[0], old[1]) != _version(m, doc_where):
                    raise InputError(
                        f"the AWS managed policy {arn} differs from the one in {old[2][0]} at {old[2][1]}",
                        doc_where,
                    )
                self.aws_managed.setdefault(arn, (m, doc_where, (source, w)))
                continue
            assert a is not None  # an input with a customer managed policy has an account
            document = _policy(_version_document(m, doc_where), PolicyKind.IDENTITY, doc_where)
            entry = _Entry({"arn": arn, "document": document, "version": version}, (source, w))
            self._merge(a.policies, arn, entry, "managed policy")

    @staticmethod
    def _default_version(m: Mapping[str, Any], where: str) -> tuple[str, str]:
        """(the JSON path of the default version's ``Document``, its id); a dump without it is partial."""
        default = _str(m, "DefaultVersionId", where)
        versions = _list(m.get("PolicyVersionList"), child(where, "PolicyVersionList"))
        found = None
        for k, v in enumerate(versions):
            vw = child(child(where, "PolicyVersionList"), k)
            vm = _obj(v, vw)
            vid = _str(vm, "VersionId", vw)
            flag = vm.get("IsDefaultVersion", False)
            if not isinstance(flag, bool):
                raise InputError(f"expected a boolean, got {_kind(flag)}", child(vw, "IsDefaultVersion"))
            if flag != (vid == default):
                raise InputError(
                    f"IsDefaultVersion is {str(flag).lower()} but DefaultVersionId is {default!r}",
                    child(vw, "IsDefaultVersion"),
                )
            if flag:
                if "Document" not in vm:
                    raise InputError("the default version has no 'Document'", vw)
                found = (child(vw, "Document"), vid)
        if found is None:
            raise InputError(f"the default version {default!r} is not in PolicyVersionList (a partial dump?)", where)
        return found

    def _oidc(self, a: _Account, source: str, item: Any, where: str) -> None:
        m = _obj(item, where)
        arn = _str(m, "Arn", where)
        host = _arn(arn, child(where, "Arn"), "oidc-provider")["rest"][1:]
        url = _str(m, "Url", where, host)  # GetOpenIDConnectProvider's Url has no scheme
        doc: dict[str, Any] = {"url": url if url.startswith("https://") else f"https://{url}"}
        client_ids = _list(m.get("ClientIDList", []), child(where, "ClientIDList"))
        for i, c in enumerate(client_ids):
            if not isinstance(c, str):
                raise InputError(f"expected a client id, got {_kind(c)}", child(child(where, "ClientIDList"), i))
        if client_ids:
            doc["client_ids"] = list(client_ids)
        self._merge(a.oidc, arn, _Entry(doc, (source, where)), "OIDC provider")

    def _saml(self, a: _Account, source: str, item: Any, where: str) -> None:
        m = _obj(item, where)
        arn = _str(m, "Arn", where)
        name = _arn(arn, child(where, "Arn"), "saml-provider")["rest"][1:]
        doc: dict[str, Any] = {"name": name}
        if "SAMLMetadataDocument" in m:
            text = _str(m, "SAMLMetadataDocument", where)
            try:
                root = ElementTree.fromstring(text)
            except ElementTree.ParseError as exc:
                raise InputError(
                    f"the SAML metadata is not XML ({exc})", child(where, "SAMLMetadataDocument")
                ) from None
            issuer = root.get("entityID")
            if issuer is None:
                raise InputError(
                    "the SAML metadata names no entityID (the IdP's issuer)", child(where, "SAMLMetadataDocument")
                )
            doc["issuer"] = issuer
        self._merge(a.saml, arn, _Entry(doc, (source, where)), "SAML provider")

    # ------------------------------------------------------------------ the snapshot

    def finish(self) -> Read:
        origins: dict[str, Origin] = {}
        partition = self.partition[0] if self.partition else "aws"
        used = _AwsManagedUse()
        accounts: list[Any] = []
        counts = dict.fromkeys(
            ("accounts", "users", "groups", "roles", "customer_managed_policies", "oidc_providers", "saml_providers"),
            0,
        )
        for acct_id in sorted(self.accounts):
            self._check_whole(acct_id)
            w = child(child("$", "accounts"), len(accounts))
            accounts.append(self._account_doc(acct_id, w, origins, counts, used))
        for _acct_id, (adoc, origin) in sorted(self.snapshot_accounts.items()):
            origins[child(child("$", "accounts"), len(accounts))] = origin
            accounts.append(adoc)
        aws_managed = used.policies
        for arn, (p, origin) in self.snapshot_aws_managed.items():
            if arn in aws_managed and aws_managed[arn] != p:
                raise InputError(
                    f"{origin[0]}: the AWS managed policy {arn} differs from the one read from the dumps", origin[1]
                )
            aws_managed.setdefault(arn, p)
        counts["accounts"] = len(accounts)
        self._note_left_out(used.from_dump)
        counts["aws_managed_policies_from_dumps"] = len(used.from_dump)
        counts["aws_managed_policies_shipped"] = used.shipped
        document: dict[str, Any] = {"format": FORMAT, "partition": partition, "accounts": accounts}
        if aws_managed:
            document["aws_managed_policies"] = aws_managed
        if self.organization is not None:
            document["organization"] = self.organization[0]
            origins["$.organization"] = self.organization[1]
            org = self.organization[0]
            counts["organization_nodes"] = len(org.get("nodes", []))
            counts["organization_policies"] = len(org.get("policies", []))
            _fill_account_names(document)
        try:
            snapshot = load_snapshot(document)
        except InputError as exc:
            raise _located(exc, origins) from None
        return Read(snapshot, document, tuple(self.notes), counts)

    def _check_whole(self, acct_id: str) -> None:
        """An account read from dumps is not also in a snapshot input, and its dump is not partial (every
        page IsTruncated)."""
        a = self.accounts[acct_id]
        if acct_id in self.snapshot_accounts:
            other = self.snapshot_accounts[acct_id][1]
            first = next(iter([*a.users.values(), *a.roles.values(), *a.groups.values(), *a.policies.values()]))
            raise InputError(
                f"{first.origin[0]}: account {acct_id} is also in the snapshot {other[0]} at {other[1]}",
                first.origin[1],
            )
        if a.pages and all(truncated for _, truncated in a.pages):
            listed = ", ".join(f"{s} {w}" for (s, w), _ in a.pages[:3])
            raise InputError(
                f"{a.pages[-1][0][0]}: a partial dump of account {acct_id}: every page says IsTruncated "
                f"({listed}); the last page (IsTruncated false) is missing",
                a.pages[-1][0][1],
            )

    def _account_doc(
        self, acct_id: str, w: str, origins: dict[str, Origin], counts: dict[str, int], used: _AwsManagedUse
    ) -> dict[str, Any]:
        """An account's snapshot document at ``w``: its principals (their references resolved), customer
        managed policies and providers; where each came from, and the counts."""
        a = self.accounts[acct_id]
        doc: dict[str, Any] = {"id": acct_id}
        for kind, entries in (("users", a.users), ("groups", a.groups), ("roles", a.roles)):
            if entries:
                doc[kind] = []
            for name, e in entries.items():
                origins[child(child(w, kind), len(doc[kind]))] = e.origin
                doc[kind].append({k: e.doc[k] for k in sorted(e.doc, key=_FIELD_ORDER.index)})
                counts[kind] += 1
                for what, ref, where in e.refs:
                    self._resolve_ref(a, name, what, ref, where, used)
        if a.policies:
            doc["policies"] = []
            for e in a.policies.values():
                origins[child(child(w, "policies"), len(doc["policies"]))] = e.origin
                doc["policies"].append(e.doc)
                counts["customer_managed_policies"] += 1
        if a.oidc:
            doc["oidc_providers"] = [e.doc for e in a.oidc.values()]
            counts["oidc_providers"] += len(a.oidc)
        if a.saml:
            doc["saml_providers"] = [e.doc for e in a.saml.values()]
            counts["saml_providers"] += len(a.saml)
        if a.default_durations:
            self.notes.append(
                f"account {acct_id}: {a.default_durations} role(s) without MaxSessionDuration "
                "(get-account-authorization-details does not report it) take 3600 s"
            )
        return doc

    def _resolve_ref(self, a: _Account, name: str, what: str, ref: str, where: Origin, used: _AwsManagedUse) -> None:
        """A group or managed policy a principal names must be in the account's dump; an AWS managed one is
        taken from the dumps or rolecall's shipped copy (once)."""
        if what == "group":
            if ref not in a.groups:
                raise InputError(
                    f"{where[0]}: user {name!r} is in group {ref!r}, which the dump of account "
                    f"{a.id} lacks (a partial dump?)",
                    where[1],
                )
            return
        ref_account = ref.split(":")[4]
        if ref_account == "aws":
            if ref in used.policies:
                return
            used.policies[ref] = self._aws_managed(ref, where)
            if used.policies[ref].get("source") == "shipped":
                used.shipped += 1
            else:
                used.from_dump.add(ref)
        elif ref not in a.policies:
            raise InputError(
                f"{where[0]}: the managed policy {ref} is not in the dump's Policies of account "
                f"{a.id} (a partial dump?)",
                where[1],
            )

    def _note_left_out(self, used_from_dump: set[str]) -> None:
        """Notes on what the snapshot leaves out: unused AWS managed policies, ids not in AWS's form."""
        unused = len(set(self.aws_managed) - used_from_dump)
        if unused:
            self.notes.append(
                f"{unused} AWS managed policies in the dumps are attached to nothing and used as no boundary: not kept"
            )
        if self.bad_ids:
            self.notes.append(
                f"{len(self.bad_ids)} user or role id(s) not in AWS's form (AIDA…/AROA…), left out (the snapshot "
                f"derives ids from the ARNs): {', '.join(self.bad_ids[:3])}{' …' if len(self.bad_ids) > 3 else ''}"
            )

    def _aws_managed(self, arn: str, where: Origin) -> dict[str, Any]:
        found = self.aws_managed.get(arn)
        if found is not None:
            m, doc_where, origin = found
            with _in(origin[0]):
                document = _policy(_version_document(m, doc_where), PolicyKind.IDENTITY, doc_where)
            return {"document": document, "version": m["DefaultVersionId"]}
        shipped = shipped_aws_managed_policy(arn)
        if shipped is None:
            raise InputError(
                f"{where[0]}: the AWS managed policy {arn} is neither in the dumps nor in rolecall's shipped copy "
                "(dump it too: aws iam get-account-authorization-details --filter AWSManagedPolicy)",
                where[1],
            )
        try:
            parse_policy(shipped["document"], PolicyKind.IDENTITY, "$")
        except RolecallError as exc:
            raise InputError(
                f"{where[0]}: rolecall's shipped copy of {arn} is a policy the model refuses ({exc.message} at "
                f"{exc.path}); dump it too: aws iam get-account-authorization-details --filter AWSManagedPolicy",
                where[1],
            ) from None
        return shipped


def _version_document(m: Mapping[str, Any], doc_where: str) -> Any:
    k = int(doc_where.rsplit("[", 1)[1].split("]")[0])
    return m["PolicyVersionList"][k]["Document"]


def _version(m: Mapping[str, Any], doc_where: str) -> tuple[str, str]:
    doc = _version_document(m, doc_where)
    return m["DefaultVersionId"], json.dumps(decode_policy_document(doc, doc_where), sort_keys=True)


def _fill_account_names(document: dict[str, Any]) -> None:
    """An account's name, from the organization's tree, when the dumps do not give one."""
    names = {n["id"]: n.get("name") for n in document["organization"].get("nodes", [])}
    for a in document["accounts"]:
        if "name" not in a and names.get(a["id"]):
            a["name"] = names[a["id"]]


def _located(exc: InputError, origins: Mapping[str, Origin]) -> InputError:
    """An error the snapshot loader found, at the place in the inputs it came from."""
    best = ""
    for key in origins:
        if (exc.path == key or exc.path.startswith((key + ".", key + "["))) and len(key) > len(best):
            best = key
    if not best:
        return exc
    source, where = origins[best]
    return InputError(f"{source}: {exc.message} (the snapshot's {exc.path})", where)


# =========================================================================== the organization


def _organization_doc(value: Any, notes: list[str]) -> dict[str, Any]:
    """An Organizations snapshot (docs/accounts.md) as the snapshot's ``organization``."""
    o = _obj(value, "$", "an Organizations snapshot (an object)")
    unknown = sorted(set(o) - _ORG_KEYS)
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r} (an Organizations snapshot has {', '.join(sorted(_ORG_KEYS))})",
            child("$", unknown[0]),
        )
    for key in ("Organization", "Roots"):
        if key not in o:
            raise InputError(f"missing {key!r}: not an Organizations snapshot", "$")
    org = _obj(o["Organization"], "$.Organization")
    doc: dict[str, Any] = {
        "id": _str(org, "Id", "$.Organization"),
        "management_account": _str(org, "MasterAccountId", "$.Organization"),
    }
    nodes: dict[str, dict[str, Any]] = {}
    where_of: dict[str, str] = {}
    enabled = _org_roots(o, nodes, where_of)
    doc["policy_types"] = [t for t in _ORG_TYPES if t in enabled]
    _org_children(o, nodes, where_of)
    if doc["management_account"] not in nodes:
        raise InputError(
            f"the management account {doc['management_account']} is not among the Accounts (a partial snapshot?)",
            "$.Organization.MasterAccountId",
        )
    policies = _org_policies(o, nodes, notes)
    doc["nodes"] = list(nodes.values())
    doc["policies"] = policies
    for t in _ORG_TYPES:
        if t not in enabled and any(
            p["type"] == t and any(p["id"] in n.get("policies", []) for n in nodes.values()) for p in policies
        ):
            notes.append(f"organization: {t} is not enabled in the root: its attached policies are not in force")
    return doc


def _org_roots(o: Mapping[str, Any], nodes: dict[str, dict[str, Any]], where_of: dict[str, str]) -> set[str]:
    """The roots (at least one) into ``nodes``; the policy types enabled in them."""
    enabled: set[str] = set()
    roots = _list(o["Roots"], "$.Roots")
    if not roots:
        raise InputError("an organization has a root", "$.Roots")
    for i, r in enumerate(roots):
        w = child("$.Roots", i)
        rm = _obj(r, w)
        rid = _str(rm, "Id", w)
        nodes[rid] = {"id": rid, "name": _str(rm, "Name", w, "Root")}
        where_of[rid] = w
        for j, t in enumerate(_list(rm.get("PolicyTypes", []), child(w, "PolicyTypes"))):
            tw = child(child(w, "PolicyTypes"), j)
            tm = _obj(t, tw)
            if _str(tm, "Status", tw) == "ENABLED":
                enabled.add(_str(tm, "Type", tw))
    return enabled


def _org_children(o: Mapping[str, Any], nodes: dict[str, dict[str, Any]], where_of: dict[str, str]) -> None:
    """The OUs and accounts into ``nodes``, each once, each under a root or OU of the snapshot."""
    for key in ("OrganizationalUnits", "Accounts"):
        for i, n in enumerate(_list(o.get(key, []), child("$", key))):
            w = child(child("$", key), i)
            nm = _obj(n, w)
            nid = _str(nm, "Id", w)
            if nid in nodes:
                raise InputError(f"{nid} is listed twice (first at {where_of[nid]})", child(w, "Id"))
            node: dict[str, Any] = {"id": nid, "parent": _str(nm, "ParentId", w)}
            if "Name" in nm:
                node["name"] = _str(nm, "Name", w)
            nodes[nid] = node
            where_of[nid] = w
    for nid, node in nodes.items():
        if "parent" in node and node["parent"] not in nodes:
            raise InputError(
                f"the parent {node['parent']!r} is no root or OU of this Organizations snapshot (a partial one?)",
                child(where_of[nid], "ParentId"),
            )


def _org_policies(o: Mapping[str, Any], nodes: dict[str, dict[str, Any]], notes: list[str]) -> list[dict[str, Any]]:
    """The SCPs and RCPs that take part in assuming roles (R7), each attached to its targets in ``nodes``;
    other types and the AWS managed RCP are noted and left out."""
    policies = []
    for i, p in enumerate(_list(o.get("Policies", []), "$.Policies")):
        w = child("$.Policies", i)
        pm = _obj(p, w)
        summary = _obj(pm.get("PolicySummary"), child(w, "PolicySummary"))
        pid = _str(summary, "Id", child(w, "PolicySummary"))
        ptype = _str(summary, "Type", child(w, "PolicySummary"))
        name = _str(summary, "Name", child(w, "PolicySummary"), pid)
        if ptype not in _ORG_TYPES:
            notes.append(f"organization: policy {pid} ({name}) is a {ptype}, which takes no part in assuming roles")
            continue
        if ptype == "RESOURCE_CONTROL_POLICY" and summary.get("AwsManaged") is True:
            notes.append(
                f"organization: the AWS managed RCP {pid} ({name}) is implied at every level (docs/scenario-format.md)"
            )
            continue
        if "Content" not in pm:
            raise InputError("missing 'Content' (DescribePolicy's policy document)", w)
        document = _policy(pm["Content"], _ORG_TYPES[ptype], child(w, "Content"))
        policies.append({"id": pid, "type": ptype, "name": name, "document": document})
        _attach(pid, pm, w, nodes)
    return policies


def _attach(pid: str, pm: Mapping[str, Any], w: str, nodes: dict[str, dict[str, Any]]) -> None:
    """Policy ``pid`` in the ``policies`` of each of its targets (a root, OU or account of the snapshot)."""
    for j, t in enumerate(_list(pm.get("Targets", []), child(w, "Targets"))):
        tw = child(child(w, "Targets"), j)
        target = _str(_obj(t, tw), "TargetId", tw)
        if target not in nodes:
            raise InputError(
                f"policy {pid} is attached to {target!r}, which is no root, OU or account of this "
                "Organizations snapshot (a partial one?)",
                child(tw, "TargetId"),
            )
        nodes[target].setdefault("policies", []).append(pid)


def read_organization(value: Any, source: str = "organization") -> Organization:
    """An Organizations snapshot (decoded JSON, docs/accounts.md) as a
    :class:`~rolecall.model.accounts.snapshot.Organization`; bad input names ``source`` and the path."""
    notes: list[str] = []
    with _in(source):
        doc = _organization_doc(value, notes)
        try:
            org = load_snapshot({"format": FORMAT, "organization": doc}).organization
        except InputError as exc:
            raise InputError(f"{exc.message} (the snapshot's {exc.path})", "$") from None
    assert org is not None
    return org


# =========================================================================== entry points


def read_inputs(inputs: Sequence[tuple[str, Any]], organization: tuple[str, Any] | None = None) -> Read:
    """Read account inputs (each ``(name, decoded JSON)``: a GAAD output or its pages, identity
    providers, or a rolecall snapshot) and an optional Organizations snapshot into one snapshot."""
    reader = _Reader()
    for source, value in inputs:
        reader.add_input(source, value)
    if organization is not None:
        source, value = organization
        with _in(source):
            reader.set_organization(_organization_doc(value, reader.notes), (source, "$"))
    if not inputs and organization is None:
        raise InputError("no input", "$")
    return reader.finish()


def read_files(paths: Sequence[str], organization: str | None = None) -> Read:
    """:func:`read_inputs` of JSON files (each named by its path in the messages)."""
    inputs = [(path, load_json_file(path)) for path in paths]
    org = (organization, load_json_file(organization)) if organization is not None else None
    return read_inputs(inputs, org)


# =========================================================================== moto's in-process state


def read_moto_backends(
    account_ids: Sequence[str] | None = None, *, organization: bool = True, shared: bool = False
) -> Read:
    """Read the accounts and the organization that moto holds in this process (``mock_aws``, or a
    ``ThreadedMotoServer`` started in it): ``moto.backends.get_backend("iam")`` and
    ``get_backend("organizations")``, keyed by account id and then by partition (IAM is global).

    Each account's IAM state is rendered as the ``get-account-authorization-details`` output and the
    identity provider entries that ``rolecall collect`` would receive from a moto server, and the
    organization as the Organizations snapshot ``collect`` builds; :func:`read_inputs` reads them, so
    the same checks and notes apply (docs/accounts.md, "moto's in-process state"). ``account_ids``:
    the accounts to read; by default every account of the organization, or, without one, every
    account whose IAM backend holds a user, group, role, customer managed policy or identity provider
    (moto's ``CreateOrganization`` leaves an ``OrganizationAccountAccessRole`` in a random account of
    its own: give accounts outside the organization by id). moto stores
    no permissions boundary for users (``PutUserPermissionsBoundary`` answers HTTP 500 in moto 5.2.5),
    so none is read. Needs moto (imported here, not by rolecall).

    ``shared=True``: the same state (the same rendered outputs) gives the same :class:`Read`
    object, kept from an earlier call (a few dozen are kept): for a caller that reads moto's state
    on every request and only reads the result (the AWS-exact AssumeRole switch,
    :mod:`rolecall.conformance.moto_exact`). Never change a shared ``Read``."""
    from moto.backends import get_backend  # moto is not a dependency of rolecall: imported on use

    iam_backends = get_backend("iam")
    org_doc: dict[str, Any] | None = None
    org_accounts: list[str] = []
    if organization:
        org_doc = _moto_organization(get_backend("organizations"), account_ids)
        if org_doc is not None:
            org_accounts = [a["Id"] for a in org_doc["Accounts"]]
    if account_ids is None and org_doc is not None:
        ids = org_accounts  # not every account with IAM state: moto's CreateOrganization leaves a role in a random one
    elif account_ids is None:
        ids = [acct for acct in iam_backends if any(_moto_iam_has_content(b) for b in iam_backends[acct].values())]
    else:
        ids = list(account_ids)
    inputs: list[tuple[str, Any]] = []
    for acct in ids:
        backends = [b for b in iam_backends[acct].values() if _moto_iam_has_content(b)] if acct in iam_backends else []
        if len(backends) > 1:
            raise InputError(f"moto account {acct}: IAM entities in more than one partition", "$")
        if backends:
            inputs.append((f"moto account {acct}", _moto_gaad(backends[0])))
    if not inputs and org_doc is None:
        raise InputError("moto holds no IAM entity and no organization for the accounts asked", "$")
    if shared:
        return _shared_read(json.dumps([inputs, org_doc], sort_keys=True))
    return read_inputs(inputs, ("moto organizations", org_doc) if org_doc is not None else None)


@lru_cache(maxsize=64)
def _shared_read(state: str) -> Read:
    """:func:`read_inputs` of moto's rendered state (its JSON text: the cache key)."""
    inputs, org_doc = json.loads(state)
    return read_inputs(
        [(name, value) for name, value in inputs], ("moto organizations", org_doc) if org_doc is not None else None
    )


def _moto_iam_has_content(backend: Any) -> bool:
    customer = any(":aws:policy/" not in arn for arn in backend.managed_policies)
    return bool(backend.users or backend.groups or backend.roles or customer or backend.open_id_providers) or bool(
        backend.saml_providers
    )


def _moto_text(document: Any) -> Any:
    """A policy document as moto stores it (the text the caller sent), for :func:`decode_policy_document`."""
    return document.strip() if isinstance(document, str) else document


def _moto_inline(policies: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"PolicyName": name, "PolicyDocument": _moto_text(doc)} for name, doc in policies.items()]


def _moto_attached(managed: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"PolicyName": p.name, "PolicyArn": arn} for arn, p in managed.items()]


def _moto_policy(policy: Any) -> dict[str, Any]:
    return {
        "PolicyName": policy.name,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "PolicyVersionList": [
            {"Document": _moto_text(v.document), "VersionId": v.version_id, "IsDefaultVersion": bool(v.is_default)}
            for v in policy.versions
        ],
    }


def _moto_gaad(b: Any) -> list[Any]:
    """One account's IAM state as a GAAD page (and an identity provider page)."""
    used: dict[str, Any] = {}
    users = []
    for u in b.users.values():
        used.update(u.managed_policies)
        users.append(
            {
                "UserName": u.name,
                "Path": u.path,
                "Arn": u.arn,
                "UserId": u.id,
                "UserPolicyList": _moto_inline(u.policies),
                "GroupList": [g.name for g in b.groups.values() if u in g.users],
                "AttachedManagedPolicies": _moto_attached(u.managed_policies),
                "Tags": list(b.tagger.list_tags_for_resource(u.arn)["Tags"]),
            }
        )
    groups = []
    for g in b.groups.values():
        used.update(g.managed_policies)
        groups.append(
            {
                "GroupName": g.name,
                "Path": g.path,
                "Arn": g.arn,
                "GroupPolicyList": _moto_inline(g.policies),
                "AttachedManagedPolicies": _moto_attached(g.managed_policies),
            }
        )
    roles = []
    for r in b.roles.values():
        used.update(r.managed_policies)
        role: dict[str, Any] = {
            "RoleName": r.name,
            "Path": r.path,
            "Arn": r.arn,
            "RoleId": r.id,
            "AssumeRolePolicyDocument": _moto_text(r.assume_role_policy_document),
            "RolePolicyList": _moto_inline(r.policies),
            "AttachedManagedPolicies": _moto_attached(r.managed_policies),
            "Tags": list(r.tags or []),
            "MaxSessionDuration": int(r.max_session_duration or 3600),  # None: created without one (3600)
        }
        if r.permissions_boundary_arn:
            role["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": r.permissions_boundary_arn,
            }
            if r.permissions_boundary_arn in b.managed_policies:
                used[r.permissions_boundary_arn] = b.managed_policies[r.permissions_boundary_arn]
        roles.append(role)
    policies = {arn: p for arn, p in b.managed_policies.items() if ":aws:policy/" not in arn}
    policies.update(used)  # AWS managed policies: those a principal uses (moto loads the others lazily)
    page: dict[str, Any] = {
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": [_moto_policy(p) for p in policies.values()],
        "IsTruncated": False,
    }
    providers: dict[str, Any] = {
        "OpenIDConnectProviders": [
            {"Arn": arn, "Url": p.url, "ClientIDList": list(p.client_id_list)} for arn, p in b.open_id_providers.items()
        ],
        "SAMLProviders": [
            {"Arn": p.arn, "SAMLMetadataDocument": p.saml_metadata_document} for p in b.saml_providers.values()
        ],
    }
    return [page, providers] if providers["OpenIDConnectProviders"] or providers["SAMLProviders"] else [page]


def _moto_organization(backends: Any, account_ids: Sequence[str] | None) -> dict[str, Any] | None:
    """The Organizations snapshot of the organization moto holds (the one of ``account_ids``)."""
    found = []
    for acct in backends:
        for o in backends[acct].values():
            if o.org is None:
                continue
            members = {a.id for a in o.accounts}
            if account_ids is None or members & set(account_ids):
                found.append(o)
    if not found:
        return None
    if len(found) > 1:
        ids = ", ".join(sorted(o.org.id for o in found))
        raise InputError(f"moto holds more than one organization for the accounts asked ({ids})", "$")
    o = found[0]
    roots = [x for x in o.ou if type(x).__name__ == "FakeRoot"]
    ous = [x for x in o.ou if type(x).__name__ != "FakeRoot"]
    return {
        "Organization": {"Id": o.org.id, "MasterAccountId": o.org.master_account_id, "FeatureSet": o.org.feature_set},
        "Roots": [{"Id": r.id, "Name": r.name, "PolicyTypes": list(r.policy_types)} for r in roots],
        "OrganizationalUnits": [{"Id": u.id, "Name": u.name, "ParentId": u.parent_id} for u in ous],
        "Accounts": [{"Id": a.id, "Name": a.name, "Status": a.status, "ParentId": a.parent_id} for a in o.accounts],
        "Policies": [
            {
                "PolicySummary": {"Id": p.id, "Name": p.name, "Type": p.type, "AwsManaged": bool(p.aws_managed)},
                "Content": p.content,
                "Targets": [{"TargetId": t.id} for t in p.attachments],
            }
            for p in o.policies
            if p.type in _ORG_TYPES
        ],
    }
