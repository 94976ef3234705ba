"""Public Hypothesis strategies for role assumption: accounts, principals, policies, scenarios, and
the federated doors' identity providers, tokens, SAML assertions and scenarios.

Every strategy generates plain JSON-ready values in AWS's spelling and in the
scenario format (docs/scenario-format.md), valid by construction (never by
filtering) and accepted by the model, unless asked for invalid input. They aim
where implementations break: near-miss principals and condition values,
wildcards next to regex metacharacters, same- and cross-account worlds in
balance, explicit denies with matching and non-matching conditions. Failures
shrink towards one statement per policy, few accounts and short names.

>>> from hypothesis import given
>>> from rolecall.strategies import scenarios
>>> @given(scenarios(decision="allowed", cross_account=True))
... def test_my_emulator(scenario): ...

The implementation lives in private modules; this façade only re-exports.
"""

from ._api import scenarios
from ._federation import (
    FAMILIES,
    FEDERATED_PLANS,
    federated_scenarios,
    identity_providers,
    saml_assertions,
    web_identity_tokens,
)
from ._invalid import POLICY_FAULTS, Malformed, malformed_policies
from ._policies import (
    actions,
    conditions,
    identity_policies,
    permissions_boundaries,
    rcps,
    requests,
    scps,
    session_policies,
    trust_policies,
)
from ._principals import (
    account_ids,
    arns,
    federated_users,
    role_sessions,
    roles,
    roots,
    service_principals,
    users,
)
from ._profiles import register_profiles
from ._snapshots import snapshots

__all__ = [
    "FAMILIES",
    "FEDERATED_PLANS",
    "POLICY_FAULTS",
    "Malformed",
    "account_ids",
    "actions",
    "arns",
    "conditions",
    "federated_scenarios",
    "federated_users",
    "identity_policies",
    "identity_providers",
    "malformed_policies",
    "permissions_boundaries",
    "rcps",
    "register_profiles",
    "requests",
    "role_sessions",
    "roles",
    "roots",
    "saml_assertions",
    "scenarios",
    "scps",
    "service_principals",
    "session_policies",
    "snapshots",
    "trust_policies",
    "users",
    "web_identity_tokens",
]

_missing = [name for name in __all__ if name not in globals()]
if _missing:
    raise ImportError(f"strategies.__all__ names missing objects: {', '.join(_missing)}")
del _missing
