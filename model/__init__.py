"""rolecall's reference model of AWS role assumption: the readable specification.

Pure Python; imports neither boto3, moto nor z3. Start with :func:`decide`
(``model/decide.py``), which states docs/semantics.md's rules R0-R14 one function each for
``sts:AssumeRole``, and ``model/federation.py``, rules F0-F12 of docs/federation.md for
AssumeRoleWithWebIdentity and AssumeRoleWithSAML.

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
    AnyScenario,
    CallerSpec,
    FederatedCaller,
    FederatedOrigin,
    FederatedRequest,
    FederatedScenario,
    IdentityProviders,
    OidcProvider,
    Organization,
    Request,
    RoleSpec,
    SamlAssertion,
    SamlProvider,
    Scenario,
    Semantics,
    canonical_document,
    dump_scenario,
    iter_scenarios,
    load_assume_role,
    load_scenario,
    load_scenarios_text,
)

__all__ = [
    "AnyScenario",
    "AssumedRole",
    "CallerSpec",
    "FederatedCaller",
    "FederatedOrigin",
    "FederatedRequest",
    "FederatedScenario",
    "IdentityProviders",
    "OidcProvider",
    "SamlAssertion",
    "SamlProvider",
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
    "load_assume_role",
    "load_scenario",
    "load_scenarios_text",
    "open_points",
    "parse_policy",
    "parse_policy_text",
    "request_context",
    "required_actions",
]
