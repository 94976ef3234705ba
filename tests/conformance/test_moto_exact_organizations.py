"""The ``moto-exact`` target's organizations: a scenario's organization created in moto's Organizations
backend reads back (through :func:`rolecall.model.accounts.readers.read_moto_backends`, what the switch
reads at every call) as the scenario's chains, padded at their top only with levels that allow every
action, and decides as the scenario does. Real moto, in-process.

The shapes here are the ones the generators rarely meet together: a management account with a chain of
its own, an account with RCPs only, an SCP chain longer than the RCP chain of the same account, an empty
level (nothing attached: no SCP allows), and a member without any chain.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rolecall.conformance.targets import load_target
from rolecall.model import PolicyKind, decide, load_scenario, parse_policy
from rolecall.model.accounts.readers import read_moto_backends

MGMT, CALLER, ROLE, BARE = "999999999999", "111111111111", "222222222222", "333333333333"
FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ASSUME = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
DENY_TAGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:TagSession", "Resource": "*"}]}
RCP_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": CALLER}},
        }
    ],
}


def _scenario(caller_chain: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "caller": {"arn": f"arn:aws:iam::{CALLER}:user/alice", "identity_policies": [ASSUME]},
        "role": {
            "arn": f"arn:aws:iam::{ROLE}:role/R",
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": CALLER}, "Action": "sts:AssumeRole"}],
            },
        },
        "request": {"role_session_name": "s1"},
        "organization": {
            "id": "o-a1b2c3d4e5",
            "management_account": MGMT,
            "members": [CALLER, ROLE, BARE],
            "scps": {CALLER: caller_chain, MGMT: [[FULL], [DENY_TAGS]]},
            "rcps": {ROLE: [[], [RCP_DENY]], CALLER: [[RCP_DENY]]},
        },
    }


def _docs(levels: list[list[Any]], kind: PolicyKind = PolicyKind.SCP) -> list[list[str]]:
    """A chain's levels in one canonical spelling (the reader gives the model's)."""
    return [sorted(json.dumps(parse_policy(p, kind).to_json(), sort_keys=True) for p in level) for level in levels]


@pytest.mark.parametrize(
    ("chain", "decision"),
    [
        ([[FULL], [ASSUME, DENY_TAGS], [ASSUME]], "allowed"),
        ([[FULL], [], [ASSUME]], "implicitDeny"),  # an empty level: no SCP allows
        ([[DENY_TAGS]], "implicitDeny"),  # a Deny alone allows nothing
    ],
)
def test_an_organization_reads_back_as_the_scenarios_and_decides_alike(
    chain: list[list[dict[str, Any]]], decision: str
) -> None:
    target = load_target("moto-exact")
    target.start()
    try:
        doc = target.prepare(_scenario(chain))
        outcome = target.run(doc)
        want = decide(load_scenario(doc))
        assert want.decision == decision
        assert outcome.result["decision"] in (
            (decision,) if decision == "allowed" else ("implicitDeny", "explicitDeny")
        )
        org = doc["organization"]
        caller, role = doc["caller"]["arn"].split(":")[4], doc["role"]["arn"].split(":")[4]
        mgmt = org["management_account"]
        (bare,) = (m for m in org["members"] if m not in (caller, role))
        read = read_moto_backends([caller, role, bare, mgmt], shared=False).snapshot.organization_doc()
        assert read is not None and read["id"] == "o-a1b2c3d4e5" and read["management_account"] == mgmt
        root = [[FULL]]  # moto's root keeps FullAWSAccess: a level that allows every action
        for account, scenario_chain in org["scps"].items():
            got = read["scps"][account]
            pad = len(got) - len(root) - len(scenario_chain)
            assert pad >= 0
            assert _docs(got) == _docs(root + [[FULL]] * pad + scenario_chain), account
        assert _docs(read["scps"][bare]) == _docs([*root, [FULL]])  # no chain: the defaults
        for account, scenario_chain in org["rcps"].items():
            got = read["rcps"][account]
            want_rcps = [[]] * (len(got) - len(scenario_chain)) + scenario_chain
            assert _docs(got, PolicyKind.RCP) == _docs(want_rcps, PolicyKind.RCP), account
        assert bare not in read["rcps"]  # RCPFullAWSAccess alone: implied, nothing listed
        # the chains read back decide as the scenario's, whatever is asked of them
        again = dict(doc, organization=read)
        assert decide(load_scenario(again)).decision == want.decision
    finally:
        target.stop()
