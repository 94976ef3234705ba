"""rolecall's reference model of AWS ``sts:AssumeRole``: the readable specification.

Pure Python; imports neither boto3, moto nor z3. Start with :func:`decide`
(``model/decide.py``), which states docs/semantics.md's rules R0-R14 one function each.

>>> from rolecall.model import load_scenario, decide
>>> decide(load_scenario(doc)).decision      # doctest: +SKIP
'allowed'
"""

from .conditions import UndecidableError
from .decide import AssumedRole, Reason, Result, decide, expectation_mismatch, request_context, required_actions
from .errors import InputError, MalformedPolicyError, RolecallError
from .open_points import OpenPoint, open_points
from .policy import Policy, PolicyKind, PrincipalSet, Statement, dump_policy, parse_policy, parse_policy_text
from .scenario import (
    CallerSpec,
    Organization,
    Request,
    RoleSpec,
    Scenario,
    Semantics,
    canonical_document,
    dump_scenario,
    iter_scenarios,
    load_scenario,
    load_scenarios_text,
)

__all__ = [
    "AssumedRole",
    "CallerSpec",
    "InputError",
    "MalformedPolicyError",
    "OpenPoint",
    "Organization",
    "Policy",
    "PolicyKind",
    "PrincipalSet",
    "Reason",
    "Request",
    "Result",
    "RoleSpec",
    "RolecallError",
    "Scenario",
    "Semantics",
    "Statement",
    "UndecidableError",
    "canonical_document",
    "decide",
    "dump_policy",
    "dump_scenario",
    "iter_scenarios",
    "expectation_mismatch",
    "load_scenario",
    "load_scenarios_text",
    "open_points",
    "parse_policy",
    "parse_policy_text",
    "request_context",
    "required_actions",
]
