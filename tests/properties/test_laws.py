"""Laws every AssumeRole decision must obey, checked on generated scenarios.

Each law is a metamorphic property: decide a generated scenario, change it in
a way whose effect docs/semantics.md fixes (add a Deny, add an Allow, reorder statements,
canonicalise, remove one side of a cross-account grant), decide again, and
compare. The generators live in :mod:`tests.gen`. Example counts come from the
Hypothesis profile (``ci``: 300 per law); ``--hypothesis-show-statistics``
shows the coverage labels each law records with :func:`hypothesis.event`.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from rolecall import model
from tests import gen
from tests.examples import profile_examples

ALLOWED = "allowed"
ASSUME = "sts:AssumeRole"
#: The order in which R5 scans policy kinds (docs/semantics.md §1.4); the first kind with a
#: matching Deny is the one the result names.
DENY_SCAN_ORDER = ("scp", "rcp", "trust", "identity", "boundary", "session")
AUTHORIZING_CALLERS = ("user", "session-token", "role-session")
#: Laws that skip part of their examples run twice the profile's count (never fewer).
MORE = settings(max_examples=2 * profile_examples())


def decide(doc: dict[str, Any]) -> model.Result:
    return model.decide(model.load_scenario(doc))


def outcome(r: model.Result) -> tuple[str | None, ...]:
    """What a law compares: the decision and what it names, not the statement indices."""
    return (r.decision, r.denied_by, r.action, r.error_code)


def relation(w: gen.World) -> str:
    if w.kind == "service":
        return "service"
    return "same account" if w.same_account else "cross account"


def label(w: gen.World, r: model.Result) -> None:
    event(f"account: {relation(w)}")
    event(f"caller: {w.kind}")
    event(f"decision: {r.decision}")


def show(doc: dict[str, Any], r: model.Result) -> str:
    """A failure message: the result and the scenario, ready to replay."""
    return f"\nresult: {json.dumps(r.to_json())}\nscenario: {json.dumps(doc)}"


def draw_slot(data: st.DataObject, slots: list[gen.Slot]) -> gen.Slot:
    """A slot, the policy kind chosen first so that rare kinds (boundary, session policy,
    SCP, RCP) are not drowned by the trust and identity policies."""
    kind = data.draw(st.sampled_from(sorted({k for k, _ in slots})), label="kind")
    return data.draw(st.sampled_from([s for s in slots if s[0] == kind]), label="slot")


# =========================================================================== monotonicity


@given(st.data())
def test_deny_never_adds_access(data: st.DataObject) -> None:
    """Adding a Deny statement to any policy (trust, identity, boundary, session, an SCP,
    an RCP, or a new identity policy / SCP level / RCP level) never turns a refusal into an Allow."""
    doc = data.draw(gen.scenario_docs(), label="scenario")
    w = gen.world_of(doc)
    before = decide(doc)
    kind, path = draw_slot(data, gen.policy_slots(doc, new=True))
    stmt = data.draw(gen.statements_for(kind, w, "Deny"), label="deny")
    after_doc = gen.add_statement(doc, (kind, path), stmt)
    after = decide(after_doc)
    label(w, before)
    event(f"deny added to: {kind}")
    event(f"changed: {outcome(before) != outcome(after)}")
    if before.decision != ALLOWED:
        assert after.decision != ALLOWED, show(after_doc, after)
    if before.decision == "explicitDeny":  # a Deny never takes an explicit deny away either
        assert after.decision == "explicitDeny", show(after_doc, after)
    if before.rule in ("R0", "R1", "R2"):  # refused before any policy is read
        assert outcome(after) == outcome(before), show(after_doc, after)


@given(st.data())
def test_allow_never_removes_access(data: st.DataObject) -> None:
    """Adding an Allow statement to an existing policy never turns an Allow into a refusal."""
    doc = data.draw(gen.scenario_docs(), label="scenario")
    w = gen.world_of(doc)
    before = decide(doc)
    slots = [s for s in gen.policy_slots(doc) if s[0] != "rcp"]  # custom RCPs may only Deny
    kind, path = draw_slot(data, slots)
    stmt = data.draw(gen.statements_for(kind, w, "Allow"), label="allow")
    after_doc = gen.add_statement(doc, (kind, path), stmt)
    after = decide(after_doc)
    label(w, before)
    event(f"allow added to: {kind}")
    event(f"changed: {outcome(before) != outcome(after)}")
    if before.decision == ALLOWED:
        assert after.decision == ALLOWED, show(after_doc, after)
        assert after.assumed_role == before.assumed_role, show(after_doc, after)


# =========================================================================== representation


@given(st.data())
def test_statement_order_and_duplicates_never_matter(data: st.DataObject) -> None:
    """Permuting and duplicating the statements of every policy (and reordering the
    identity policies and the policies of each SCP/RCP level) keeps the outcome."""
    doc = data.draw(gen.scenario_docs(), label="scenario")
    # the law is about statements, not size: duplicates may cross AWS's size quotas (docs/semantics.md §4.8)
    doc.setdefault("semantics", {}).update(trust_policy_size_quota=10**6, org_policy_size_quota=10**6)
    w = gen.world_of(doc)

    def shuffle(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        dups = data.draw(st.lists(st.integers(0, len(statements) - 1), max_size=2), label="duplicates")
        copies = [{k: v for k, v in statements[i].items() if k != "Sid"} for i in dups]  # SIDs stay unique
        return data.draw(st.permutations(statements + copies), label="order")

    changed = gen.map_policies(doc, shuffle)
    caller = changed["caller"]
    if len(caller.get("identity_policies", [])) > 1:
        caller["identity_policies"] = data.draw(st.permutations(caller["identity_policies"]), label="identity order")
    for name in ("scps", "rcps"):
        for chain in (changed.get("organization") or {}).get(name, {}).values():
            for li, level in enumerate(chain):
                chain[li] = data.draw(st.permutations(level), label=f"{name} level order")
    before, after = decide(doc), decide(changed)
    label(w, before)
    assert outcome(after) == outcome(before), show(changed, after)
    assert (after.rule, after.message) == (before.rule, before.message), show(changed, after)


@given(gen.scenario_docs())
def test_canonical_document_keeps_the_decision_and_is_idempotent(doc: dict[str, Any]) -> None:
    """``canonical_document`` never changes the decision, and canonicalising twice is canonicalising once."""
    s = model.load_scenario(doc)
    canon = model.canonical_document(s)
    s2 = model.load_scenario(copy.deepcopy(canon))
    before, after = model.decide(s), model.decide(s2)
    label(gen.world_of(doc), before)
    event(f"canonical form differs from input: {canon != doc}")
    assert outcome(after) == outcome(before), show(canon, after)
    assert (after.rule, after.message) == (before.rule, before.message), show(canon, after)
    assert after.assumed_role == before.assumed_role, show(canon, after)
    assert model.canonical_document(s2) == canon, show(canon, after)


RCP_SCENARIO: dict[str, Any] = {
    "caller": {"arn": "arn:aws:iam::111111111111:user/alice"},
    "role": {
        "arn": "arn:aws:iam::222222222222:role/R",
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sts:AssumeRole"}
            ],
        },
    },
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account": "999999999999",
        "members": ["222222222222"],
        "rcps": {
            "222222222222": [
                [
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
                    }
                ]
            ]
        },
    },
    "request": {"role_session_name": "s1"},
}


def test_canonical_document_of_an_rcp_is_valid() -> None:
    """Regression: the canonical form once wrote an RCP's ``"Principal": "*"`` as
    ``{"AWS": ["*"]}``, which RCPs refuse; ``"*"`` is now the one spelling."""
    s = model.load_scenario(copy.deepcopy(RCP_SCENARIO))
    canon = model.canonical_document(s)
    after = model.decide(model.load_scenario(canon))
    assert outcome(after) == outcome(model.decide(s)), show(canon, after)


# =========================================================================== explicit deny


@MORE
@given(st.data())
def test_explicit_deny_anywhere_always_wins(data: st.DataObject) -> None:
    """A Deny matching everything in any *applicable* policy makes the decision
    ``explicitDeny`` once R0-R2 pass, naming that policy kind when no other Deny
    matches (otherwise the kind R5 scans first, docs/semantics.md §1.4).

    Applicable: the trust policy and the caller's identity policies, boundary and
    session policy always; SCPs only for a member (not management) caller account;
    RCPs only for a member (not management) role account.
    """
    doc = data.draw(gen.scenario_docs(), label="scenario")
    w = gen.world_of(doc)
    before = decide(doc)
    label(w, before)
    if before.rule in ("R0", "R1", "R2"):
        event("skipped: refused before authorization (R0-R2)")
        return
    slot = draw_slot(data, gen.applicable_slots(doc, w))
    kind = slot[0]
    event(f"deny-all added to: {kind}")
    after_doc = gen.add_statement(doc, slot, gen.match_all_deny(kind, w))
    after = decide(after_doc)
    assert after.decision == "explicitDeny", show(after_doc, after)
    assert after.rule == "R5", show(after_doc, after)
    assert after.action == ASSUME, show(after_doc, after)
    if before.decision == "explicitDeny" and before.action == ASSUME:
        # another Deny already matched sts:AssumeRole: R5 names the kind it scans first
        prior = next(k for k, v in gen.DENIED_BY.items() if v == before.denied_by)
        first = min((prior, kind), key=DENY_SCAN_ORDER.index)
        assert after.denied_by == gen.DENIED_BY[first], show(after_doc, after)
    else:
        assert after.denied_by == gen.DENIED_BY[kind], show(after_doc, after)


@MORE
@given(st.data())
def test_deny_in_inapplicable_organization_policy_changes_nothing(data: st.DataObject) -> None:
    """SCPs bind only member (non-management) caller accounts, RCPs only member
    (non-management) role accounts: a Deny-all elsewhere in the organization is inert."""
    doc = data.draw(gen.scenario_docs(), label="scenario")
    w = gen.world_of(doc)
    applicable = set(map(repr, gen.applicable_slots(doc, w)))
    inert = [s for s in gen.policy_slots(doc, new=True) if s[0] in ("scp", "rcp") and repr(s) not in applicable]
    before = decide(doc)
    label(w, before)
    if not inert:
        event("skipped: no inapplicable SCP/RCP")
        return
    slot = draw_slot(data, inert)
    event(f"inert deny-all added to: {slot[0]}")
    after_doc = gen.add_statement(doc, slot, gen.match_all_deny(slot[0], w))
    after = decide(after_doc)
    assert outcome(after) == outcome(before), show(after_doc, after)


# =========================================================================== cross / same account


@MORE
@given(gen.scenario_docs(relation="cross", kinds=AUTHORIZING_CALLERS))
def test_cross_account_allow_needs_both_sides(doc: dict[str, Any]) -> None:
    """Every allowed cross-account request needs both accounts (docs/semantics.md R9, XACCT):
    without the caller's identity policies it is refused by the identity-based policy;
    with a trust policy naming only an unrelated account, by the role trust policy."""
    w = gen.world_of(doc)
    before = decide(doc)
    label(w, before)
    assert not w.same_account
    if before.decision != ALLOWED:
        return
    no_identity = copy.deepcopy(doc)
    no_identity["caller"].pop("identity_policies", None)
    r = decide(no_identity)
    assert (r.decision, r.denied_by, r.rule) == ("implicitDeny", "identity-based policy", "R9"), show(no_identity, r)

    no_trust = copy.deepcopy(doc)
    no_trust["role"]["trust_policy"] = gen.unrelated_trust_policy()
    r = decide(no_trust)
    assert (r.decision, r.denied_by, r.rule) == ("implicitDeny", "role trust policy", "R8"), show(no_trust, r)


@given(gen.scenario_docs(relation="same", kinds=AUTHORIZING_CALLERS))
def test_same_account_identity_allow_alone_is_never_enough(doc: dict[str, Any]) -> None:
    """Within one account an identity-policy Allow (even with the boundary and session
    policy allowing too) never substitutes for the trust policy (docs/semantics.md R8, §6):
    with a trust policy naming nobody related, the request is refused, by the trust
    policy unless an explicit Deny or the SCP gate refuses it first.

    Grandfathered self-trust (R12) is the documented exception, so it is switched off.
    """
    w = gen.world_of(doc)
    assert w.same_account
    changed = copy.deepcopy(doc)
    changed["role"]["trust_policy"] = gen.unrelated_trust_policy()
    changed["role"].pop("legacy_implicit_self_trust", None)
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    changed = gen.add_statement(changed, ("identity", ("caller", "identity_policies", None)), allow_all)
    for kind, path in gen.policy_slots(changed):
        if kind in ("boundary", "session"):
            changed = gen.add_statement(changed, (kind, path), allow_all)
    r = decide(changed)
    label(w, r)
    assert r.decision != ALLOWED, show(changed, r)
    if r.decision == "implicitDeny":
        # R2: a role that does not exist is refused exactly like a trust-policy refusal
        assert (r.rule, r.denied_by) in {
            ("R8", "role trust policy"),
            ("R7", "service control policy"),
            ("R2", "role trust policy"),
        }, show(changed, r)
    elif r.decision == "error":  # an invalid request is refused before any policy is read (R0)
        assert r.rule == "R0", show(changed, r)
    else:
        assert r.decision == "explicitDeny", show(changed, r)


# =========================================================================== the generator itself


def test_generator_balance() -> None:
    """The generator is useful: over 300 examples both allowed and refused outcomes,
    and both same- and cross-account worlds, each make up at least 20 %."""
    seen: Counter[str] = Counter()

    @settings(max_examples=300, phases=[Phase.generate], database=None, derandomize=True)
    @given(gen.scenario_docs())
    def collect(doc: dict[str, Any]) -> None:
        w = gen.world_of(doc)
        r = decide(doc)
        seen["total"] += 1
        seen["allowed" if r.decision == ALLOWED else "refused"] += 1
        seen[relation(w)] += 1

    collect()
    total = seen["total"]
    assert total >= 300, seen
    for key in ("allowed", "refused", "same account", "cross account"):
        assert seen[key] >= 0.2 * total, (key, seen)
