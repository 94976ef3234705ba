"""The AssumeRole rule as Z3 constraints: the model's second statement, able to prove.

Two uses (docs/architecture.md, "The solver"):

* **Concrete mode**: :func:`decide` decides one scenario with Z3, for comparison
  with :func:`rolecall.model.decide` on anything (``rolecall decide --engine solver``).
* **Queries** over every caller and request, named after IAM Access Analyzer's
  checks, each answering :class:`Proved`, :class:`Counterexample` (a scenario,
  already replayed through the model) or :class:`Unknown` (a timeout or an
  unsupported construct; never a pass): :func:`check_no_new_access`,
  :func:`check_equivalent`, :func:`check_access_not_granted`,
  :func:`check_no_public_access`, :func:`external_id_required`,
  :func:`who_can_assume` (findings with witnesses, the federated doors' included) and
  :func:`check_federated_subjects`.

This package imports ``z3``; :mod:`rolecall.model` itself never imports it.

>>> from rolecall.model import parse_policy_text, PolicyKind
>>> from rolecall.model.solver import check_no_public_access
>>> trust = parse_policy_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
...     '"Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]}', PolicyKind.TRUST)
>>> check_no_public_access(trust, trusted_accounts=["444455556666"]).to_json()["result"]
'proved'
"""

from ._lazy import clear_interrupt, request_interrupt, stop_if_interrupted
from .concrete import decide
from .encode import Unsupported
from .queries import (
    Answer,
    Counterexample,
    FederatedFinding,
    Finding,
    Proved,
    Unknown,
    WhoCanAssume,
    check_access_not_granted,
    check_equivalent,
    check_federated_subjects,
    check_no_new_access,
    check_no_public_access,
    external_id_required,
    who_can_assume,
)

__all__ = [
    "Answer",
    "Counterexample",
    "FederatedFinding",
    "Finding",
    "Proved",
    "Unknown",
    "Unsupported",
    "WhoCanAssume",
    "check_access_not_granted",
    "check_equivalent",
    "check_federated_subjects",
    "check_no_new_access",
    "check_no_public_access",
    "clear_interrupt",
    "decide",
    "external_id_required",
    "request_interrupt",
    "stop_if_interrupted",
    "who_can_assume",
]
