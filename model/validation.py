"""Request-parameter validation shared by every door (docs/semantics.md R0, docs/federation.md F1)
and the session-policy packing estimate (R13, F11).

The constraints are the STS service model's (BOTO-STS, SMITHY-STS): length bounds and the
pattern as AWS prints it in its ``ValidationError`` messages. Each door lists which parameters it
checks; the texts and their order are AWS's.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from .conditions import UndecidableError
from .result import Result

__all__ = [
    "PACKED_LIMIT_BYTES",
    "PACKED_UNCERTAIN_BAND",
    "SESSION_NAME",
    "constraint",
    "packed_percent",
    "packed_size_refusal",
    "sensitive_constraint",
    "valid_session_name",
    "validation_error",
    "violations",
]

SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*", re.ASCII)
_SERIAL = re.compile(r"[\w+=/:,.@-]*", re.ASCII)
_TOKEN = re.compile(r"[\d]*", re.ASCII)
_ARN_CHARS = re.compile(r"[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")
_ARN_SHOWN = r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+"
_POLICY_CHARS = re.compile(r"[\t\n\r\x20-\xff]+")
_TAG_PUNCT = frozenset("_.:/=+-@")


def _tag_text_ok(text: str) -> bool:
    """``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`` (BOTO-STS tagKeyType / tagValueType)."""
    return all(ch in _TAG_PUNCT or unicodedata.category(ch)[0] in "LZN" for ch in text)


_TAG_KEY_SHOWN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
_TAG_VALUE_SHOWN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"

#: String parameters of the STS APIs: (min length, max length, pattern, the pattern as AWS prints it).
_CONSTRAINTS: dict[str, tuple[int, int | None, Callable[[str], object], str]] = {
    "roleArn": (20, 2048, _ARN_CHARS.fullmatch, _ARN_SHOWN),
    "roleSessionName": (2, 64, SESSION_NAME.fullmatch, r"[\w+=,.@-]*"),
    "externalId": (2, 1224, _EXTERNAL_ID.fullmatch, r"[\w+=,.@:\/-]*"),
    "serialNumber": (9, 256, _SERIAL.fullmatch, r"[\w+=/:,.@-]*"),
    "tokenCode": (6, 6, _TOKEN.fullmatch, r"[\d]*"),
    "sourceIdentity": (2, 64, SESSION_NAME.fullmatch, r"[\w+=,.@-]*"),
    "policy": (1, None, lambda v: not v or _POLICY_CHARS.fullmatch(v), r"[\u0009\u000A\u000D\u0020-\u00FF]+"),
    "policyArns.member.arn": (20, 2048, lambda v: True, ""),
    # the federated APIs (SMITHY-STS): their Policy has a maximum, AssumeRole's has none (F1)
    "federatedPolicy": (
        1,
        2048,
        lambda v: not v or _POLICY_CHARS.fullmatch(v),
        r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    ),
    "principalArn": (20, 2048, _ARN_CHARS.fullmatch, _ARN_SHOWN),
    "providerId": (4, 2048, lambda v: True, ""),
    "tags.member.key": (1, 128, _tag_text_ok, _TAG_KEY_SHOWN),
    "tags.member.value": (0, 256, _tag_text_ok, _TAG_VALUE_SHOWN),
    "transitiveTagKeys.member": (1, 128, lambda v: True, ""),
}


@lru_cache(maxsize=8192)
def violations(kind: str, value: str, field: str) -> tuple[str, ...]:
    """The constraint violations of one string parameter (pure, so cached per value)."""
    lo, hi, ok, shown = _CONSTRAINTS[kind]
    out = []
    if len(value) < lo:
        out.append(constraint(value, field, f"Member must have length greater than or equal to {lo}"))
    elif hi is not None and len(value) > hi:
        out.append(constraint(value, field, f"Member must have length less than or equal to {hi}"))
    if not ok(value):
        out.append(constraint(value, field, f"Member must satisfy regular expression pattern: {shown}"))
    return tuple(out)


@lru_cache(maxsize=65536)
def valid_session_name(name: str) -> bool:
    return 2 <= len(name) <= 64 and SESSION_NAME.fullmatch(name) is not None


def constraint(value: object, field: str, rule: str) -> str:
    """One violation in AWS's words: ``Value '…' at 'field' failed to satisfy constraint: …``."""
    return f"Value '{value}' at '{field}' failed to satisfy constraint: {rule}"


def sensitive_constraint(field: str, rule: str) -> str:
    """One violation of a parameter the service model marks ``sensitive`` (a web identity token, a SAML
    assertion): AWS leaves the value out, ``Value at 'field' failed to satisfy constraint: …`` (the
    same shape AWS answers for SSM's sensitive ``Value``: ministryofjustice/modernisation-platform#8116)."""
    return f"Value at '{field}' failed to satisfy constraint: {rule}"


def validation_error(errors: Sequence[str], rule: str) -> Result | None:
    """Every violation in one ``ValidationError``, in AWS's shape: ``N validation errors
    detected: …; …`` (``None`` when there is none)."""
    if not errors:
        return None
    n = len(errors)
    head = f"{n} validation error{'s' if n > 1 else ''} detected: "
    return Result("error", rule, error_code="ValidationError", message=head + "; ".join(errors))


#: AWS does not publish how it packs session policies and tags. The model's estimate:
#: UTF-8 bytes of tag keys and values plus the zlib-compressed size of the compact
#: session policy, against 2048 bytes. Within the uncertain band around the limit the
#: model refuses to decide (fail closed) instead of guessing.
PACKED_LIMIT_BYTES = 2048
PACKED_UNCERTAIN_BAND = (90, 110)


def packed_percent(tags: Iterable[tuple[str, str]], policy: str | None) -> int:
    """The model's estimate of ``PackedPolicySize`` for these session tags and session policy
    (see :data:`PACKED_LIMIT_BYTES`)."""
    size = sum(len(k.encode()) + len(v.encode()) for k, v in tags)
    if policy:
        size += len(zlib.compress("".join(policy.split()).encode("latin-1", "replace"), 9))
    return math.ceil(100 * size / PACKED_LIMIT_BYTES)


def packed_size_refusal(tags: Iterable[tuple[str, str]], policy: str | None) -> str | None:
    """R13 and the federated doors' post-authorization checks: AWS's ``PackedPolicyTooLarge`` message for
    these session tags and session policy, or ``None`` within the limit. AWS does not publish its
    packing, so within :data:`PACKED_UNCERTAIN_BAND` of the limit the model refuses to decide (fail
    closed): :class:`~rolecall.model.conditions.UndecidableError`."""
    percent = packed_percent(tags, policy)
    lo, hi = PACKED_UNCERTAIN_BAND
    if lo <= percent < hi:
        raise UndecidableError(
            f"the packed size of session policy and tags is about {percent}% of the limit; AWS does not "
            "publish its packing, so the model will not decide a request this close to it",
            "$.request",
        )
    if percent < hi:
        return None
    what = "session tags" if not policy else "session policies and session tags"
    return f"Packed size of {what} consumes {percent}% of allotted space."
