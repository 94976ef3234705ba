"""The two kinds of bad input rolecall distinguishes.

* :class:`InputError`: the *scenario* is not valid input (bad JSON, an unknown
  field, a wrong type). This is not an AWS answer: commands report it with the
  JSON path of the fault and exit 2 (docs/scenario-format.md, "The result").
* :class:`MalformedPolicyError`: a policy document that the IAM API would refuse
  to store or STS would refuse to accept. This *is* an AWS answer: deciding a
  scenario that contains one yields ``{"decision": "error", "error_code":
  "MalformedPolicyDocument"}``.

Both carry a JSON path (``$.caller.identity_policies[0].Statement[1].Effect``)
so that a person can find the fault without reading the model.
"""

from __future__ import annotations

import json

__all__ = [
    "MAX_ERROR_TEXT",
    "InputError",
    "MalformedPolicyError",
    "QuotaExceededError",
    "RolecallError",
    "bounded",
    "child",
]


#: the longest message or path an error keeps: a value quoted from the input (a 10 MB condition value, a
#: key of a million characters) is cut in the middle, so that every error line stays readable and bounded
MAX_ERROR_TEXT = 1000


def bounded(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text``, or its beginning and end with what lies between counted, when longer than ``limit``."""
    if len(text) <= limit:
        return text
    head, tail = limit * 3 // 4, limit // 5
    return f"{text[:head]}… [{len(text) - head - tail} characters omitted] …{text[-tail:]}"


class RolecallError(Exception):
    """Base class of every error rolecall reports about its input (message and path :func:`bounded`)."""

    def __init__(self, message: str, path: str = "$") -> None:
        message, path = bounded(message), bounded(path)
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputError(RolecallError):
    """The scenario (or another input file) is not valid rolecall input."""


class MalformedPolicyError(RolecallError):
    """A policy document AWS refuses (``MalformedPolicyDocument``).

    ``path`` locates the fault inside the scenario (or inside the document when
    it is parsed on its own); ``message`` is the text AWS would send, where
    known, followed by the specific reason.
    """

    error_code = "MalformedPolicyDocument"


class QuotaExceededError(MalformedPolicyError):
    """A policy document over one of AWS's size quotas: AWS refuses to store it, with the service's own
    error code (``LimitExceeded`` from IAM, ``ConstraintViolationException`` from Organizations) rather
    than ``MalformedPolicyDocument`` (docs/semantics.md §4.8)."""

    def __init__(self, message: str, path: str = "$", error_code: str = "LimitExceeded") -> None:
        super().__init__(message, path)
        self.error_code = error_code


def child(path: str, key: str | int) -> str:
    """The JSON path of ``key`` inside the value at ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return path + (f".{key}" if key.isidentifier() else "[" + json.dumps(key) + "]")
