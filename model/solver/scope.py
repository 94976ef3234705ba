"""Which statements of a policy a query's claim depends on beyond the ``sts:AssumeRole`` door.

The encoding (``encode.py``) states the ``sts:AssumeRole`` door, with its
companion actions ``sts:TagSession`` and ``sts:SetSourceIdentity``
(docs/semantics.md rules R3, R5-R12). A trust policy can also open the two
federated doors, ``sts:AssumeRoleWithWebIdentity`` (OIDC: GitHub Actions, EKS,
Cognito, Google, ...) and ``sts:AssumeRoleWithSAML``, to a ``Federated``
principal (the IAM User Guide, "AWS JSON policy elements: Principal",
federated principals), and can grant ``sts:SetContext`` (trusted identity
propagation, a request parameter the model does not have). The federated frame
(``federated_frame.py``) states the federated doors for tokens and assertions
that pass no session tags and no source identity, with ``"*"`` read as the
chosen semantics reads it; ``sts:SetContext`` is stated nowhere.

A query that ignored such a statement would answer about the AssumeRole door
alone and call it the role: a trust policy whose only statement lets any GitHub
repository in the world in would be "PROVED: no public access". This module
finds, for every query, the statements its claim depends on beyond that door,
so the query asks the federated frame too, and answers ``Unknown`` (never a
pass) naming what neither states, unless the claim provably does not depend on
it:

* a claim that the policy grants *nothing* to some callers (no public access,
  access not granted, who can assume) depends only on the statements that can
  **admit** a caller through a federated door (:func:`admitting`): an ``Allow``
  whose Action or NotAction covers a federated action and whose principal can
  match a federated caller (a ``Federated`` entry, or ``"*"``, whose matching of
  federated callers is contested: see :data:`WILDCARD`, so a proof resting on it
  is unknown). Deny statements only take away, and an Allow that no federated
  caller can match admits nobody;
* a claim that compares two trust policies (no new access, equivalence)
  depends on every statement that can take part in a federated decision
  (:func:`federated_part`): when the two policies' parts are the same, both
  decide every federated request alike and the comparison rests on the
  AssumeRole door; when neither policy admits anyone through a federated door,
  neither allows a federated request at all; otherwise the frame compares them
  token by token, and :func:`federated_comparison_gaps` names what that
  comparison does not state;
* identity policies take no part in federated decisions: the federated caller
  is unsigned and has no AWS identity (the STS API reference: the call "does
  not require the use of Amazon Web Services security credentials"), so
  an identity policy's claims never depend on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import RolecallError
from ..policy import Policy, PolicyKind, Statement

__all__ = [
    "ABSENT_IN_FEDERATED",
    "WILDCARD",
    "COMPANION_ACTIONS",
    "UNSTATED_DOORS",
    "Gap",
    "admitting",
    "comparison_gap",
    "federated_comparison_gaps",
    "federated_part",
    "unstated_token_keys",
]

#: Why ``"*"`` may admit a federated caller: the IAM User Guide's Principal page says a wildcard in a
#: resource-based policy grants access to all users "including anonymous users", while IAM Access
#: Analyzer's policy checks report "Principal: * not supported in role trust policy". AWS documents no
#: outcome, so a proof must not rest on either.
WILDCARD = 'whether "*" matches a federated caller is undocumented (the IAM User Guide and Access Analyzer differ)'

#: The doors into a role the encoding does not state.
UNSTATED_DOORS = ("sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
#: Actions a federated or AssumeRole request may need beside its door: session tags and source
#: identity from the token (as R3 for AssumeRole), provided contexts (``sts:SetContext``, not in the model).
COMPANION_ACTIONS = ("sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext")


@dataclass(frozen=True)
class Gap:
    """A statement the encoding does not state, and what the query's claim needs of it."""

    index: int
    statement: Statement
    actions: tuple[str, ...]
    why: str

    def describe(self) -> str:
        sid = f" (Sid {self.statement.sid})" if self.statement.sid else ""
        principal = self.statement.principal.to_json() if self.statement.principal is not None else None
        who = f" to {json.dumps(principal, separators=(',', ':'))}" if principal is not None else ""
        verb = "allows" if self.statement.effect == "Allow" else "denies"
        return f"$.Statement[{self.index}]{sid} {verb} {', '.join(self.actions)}{who}: {self.why}"


_NOT_STATED = "the answer depends on this statement"


#: Keys the federated frame (``federated_frame.py``) does not state: those of tokens that pass session
#: tags or a source identity, and the role's tags. A statement that takes part in a federated decision
#: and reads one is refused by the frame (``Unsupported``).
_UNSTATED_TOKEN_PREFIXES = ("aws:requesttag/", "aws:resourcetag/")
_UNSTATED_TOKEN_KEYS = frozenset({"aws:tagkeys", "sts:transitivetagkeys", "sts:sourceidentity"})


def unstated_token_keys(st: Statement) -> tuple[str, ...]:
    """The keys a statement's conditions read that the federated frame does not state."""
    keys = (c.key for c in st.conditions)
    return tuple(k for k in keys if k.lower() in _UNSTATED_TOKEN_KEYS or k.lower().startswith(_UNSTATED_TOKEN_PREFIXES))


def _covered(st: Statement, actions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(a for a in actions if st.matches_action(a.lower()))


#: Keys AWS documents as absent from every federated request (the caller has no AWS identity, and
#: the federated APIs take no ExternalId or MFA): the STS API reference's parameters, and the
#: VPC-endpoint and data-perimeter pages on ``aws:PrincipalOrgID``.
ABSENT_IN_FEDERATED = frozenset(
    {
        "sts:externalid",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:multifactorauthpresent",
        "aws:multifactorauthage",
        "aws:username",
        "aws:sourceidentity",
    }
)


def _absent_in_federated(key: str) -> bool:
    return key in ABSENT_IN_FEDERATED or key.startswith("aws:principaltag/")


def _may_match_federated(st: Statement) -> bool:
    """Whether the statement can match a federated caller: its principal has a ``Federated``
    entry or is ``"*"`` (:data:`WILDCARD`), and
    none of its conditions is false whenever its key is absent, for a key no federated request
    has (``StringEquals sts:ExternalId``: a federated caller presents none). The condition is
    evaluated by the model itself, on a context without the key."""
    p = st.principal
    if p is None or not (p.federated or "*" in p.aws):
        return False
    for cond in st.conditions:
        if _absent_in_federated(cond.key):
            try:
                holds = cond.evaluate({})
            except RolecallError:  # pragma: no cover - an absent key is never undecidable
                holds = True
            if not holds:
                return False
    return True


def admitting(policy: Policy) -> list[Gap]:
    """The Allow statements of a trust policy that can admit a caller through a door the encoding
    does not state (a federated action, a principal that can match a federated caller)."""
    if policy.kind is not PolicyKind.TRUST:
        return []
    out = []
    for i, st in enumerate(policy.statements):
        doors = _covered(st, UNSTATED_DOORS)
        if st.effect == "Allow" and doors and _may_match_federated(st):
            why = _NOT_STATED
            if st.principal is not None and not st.principal.federated:
                why = f"{WILDCARD}; {why}"
            out.append(Gap(i, st, doors, why))
    return out


def federated_part(policy: Policy) -> list[tuple[int, Statement, tuple[str, ...]]]:
    """The statements of a trust policy that can take part in a federated decision or one the
    encoding does not state: those covering a federated door or a companion action whose
    principal can match a federated caller, and every statement covering ``sts:SetContext``."""
    if policy.kind is not PolicyKind.TRUST:
        return []
    out = []
    for i, st in enumerate(policy.statements):
        federated = _covered(st, UNSTATED_DOORS + COMPANION_ACTIONS) if _may_match_federated(st) else ()
        context = _covered(st, ("sts:SetContext",))
        actions = tuple(dict.fromkeys(federated + context))
        if actions:
            out.append((i, st, actions))
    return out


def _canonical(st: Statement) -> str:
    doc = st.to_json()
    doc.pop("Sid", None)  # a Sid names a statement; it takes no part in a decision
    return json.dumps(doc, sort_keys=True)


def comparison_gap(old: Policy, new: Policy) -> Gap | None:
    """The first statement on which a comparison of two trust policies depends beyond the
    ``sts:AssumeRole`` door, or ``None`` when the comparison provably rests on that door alone: when
    the two policies' federated parts are the same (repeats take no part), both decide every federated
    request alike; when neither admits anyone through a federated door nor grants a provided context,
    neither allows such a request at all. Otherwise the federated doors must be compared too
    (``queries.check_no_new_access``, with :func:`federated_comparison_gaps`)."""
    if old.kind is not PolicyKind.TRUST or new.kind is not PolicyKind.TRUST:
        return None
    parts = federated_part(old) + federated_part(new)
    if not admitting(old) and not admitting(new) and not any("sts:SetContext" in acts for _, _, acts in parts):
        return None  # neither policy lets a federated caller in, nor grants a provided context
    for i, st, acts, which in _differing(old, new):
        why = "the two policies differ in this statement, which decides federated requests or provided contexts"
        return Gap(i, st, acts, f"{why} (it is in the {which} policy only)")
    return None


def _differing(old: Policy, new: Policy) -> list[tuple[int, Statement, tuple[str, ...], str]]:
    """The statements of the two policies' federated parts that the other policy does not hold."""
    old_part = [(i, st, acts, _canonical(st)) for i, st, acts in federated_part(old)]
    new_part = [(i, st, acts, _canonical(st)) for i, st, acts in federated_part(new)]
    old_keys, new_keys = {p[3] for p in old_part}, {p[3] for p in new_part}
    out = [(i, st, acts, "second") for i, st, acts, key in new_part if key not in old_keys]
    return out + [(i, st, acts, "first") for i, st, acts, key in old_part if key not in new_keys]


def federated_comparison_gaps(old: Policy, new: Policy) -> list[Gap]:
    """What a comparison of two trust policies still depends on once the federated frame
    (``federated_frame.py``) compares their federated doors token by token.

    The frame states tokens that pass no session tags and no source identity (F5 then requires
    only the door's action), and its ``"*"`` reading is one side of a contested point. So a proof
    also needs: no ``"*"`` statement that can admit a federated caller in the new policy
    (:data:`WILDCARD`: under the other reading it may admit every token; in the old policy such a
    statement only admits more under that reading, and a Deny's ``"*"`` always matches); and no
    statement the new policy adds (an ``Allow``) or drops (a ``Deny``: the two changes that can widen
    access) that covers ``sts:TagSession`` or ``sts:SetSourceIdentity`` for a federated caller (tokens
    that carry tags or a source identity are decided by it, and the frame has none), or
    ``sts:SetContext`` (not in the model); and no statement of either policy's federated part that
    reads a key the frame does not state (:func:`unstated_token_keys`: the frame refuses those). A
    door statement alone is enough: with the
    companion statements the same in both policies, a token with tags is allowed by one exactly when
    the same token without them is (the keys that would tell them apart, ``aws:RequestTag/*``,
    ``aws:TagKeys``, ``sts:TransitiveTagKeys``, ``sts:SourceIdentity``, are not stated: the frame
    refuses a policy that reads them)."""
    if old.kind is not PolicyKind.TRUST or new.kind is not PolicyKind.TRUST:
        return []
    out = [g for g in admitting(new) if g.statement.principal is not None and "*" in g.statement.principal.aws]
    for policy, which in ((old, "first"), (new, "second")):
        for i, st, acts in federated_part(policy):
            keys = unstated_token_keys(st)
            if keys:
                why = (
                    f"it reads {', '.join(keys)}, and the federated frame states neither tokens that pass session tags "
                    f"or a source identity nor the role's tags (in the {which} policy)"
                )
                out.append(Gap(i, st, acts, why))
    companions = ("sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext")
    for i, st, acts, which in _differing(old, new):
        covered = tuple(a for a in acts if a in companions)
        widens = (which == "second") == (st.effect == "Allow")  # an Allow added or a Deny removed
        if covered and widens:
            why = (
                "the two policies differ in this statement, which decides tokens that pass session tags or a "
                "source identity (or provided contexts), and the solver states tokens without them"
            )
            out.append(Gap(i, st, covered, f"{why} (this statement is in the {which} policy only)"))
    return out
