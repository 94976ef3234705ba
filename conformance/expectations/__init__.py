"""Known divergences of a target: ``conformance/expectations/<target>.toml``.

Each entry (``[[divergence]]``) names its ``feature``, a ``reason``, a
``link`` to the AWS documentation behind it (written by hand, or by default the
page of its tag or rule: :func:`default_link`), its pinned minimal ``counterexample`` (a scenario,
as JSON text) and a ``[divergence.signature]`` that recognises the divergence
in any scenario. A signature is a set of facts (see :func:`rolecall.conformance._compare.facts`):

``aspect``, ``phase``, ``accounts``, ``caller``, ``model``, ``target``, ``target_message``, ``rule``,
``denied_by``, ``action``, ``error_field`` (the request field a ValidationError names)
    a string, or a list of accepted strings (a fact the signature does not name matches anything);
``trust_match``, ``tags``
    lists that must all be present in the divergence's facts;
``not_tags``
    tags that must be absent.

The core facts name the class of a divergence; the tags name a variant of it (a
trust naming an account, a re-cased action…). A target that refuses to store a
scenario's policies, or fails, is known by ``phase`` and the shape of its message
(``target_message``), whatever the model decides: that is the class of such a
divergence. Exploration recognises a divergence at three levels, the first that
matches winning: its variant (the signature with its tags), its class (the core
facts alone: a known class met in other company), and, for the actions AssumeRole
implies (``sts:TagSession``, ``sts:SetSourceIdentity``), its family (the target
answers the same to the model's decision on that action by the same rule and the
same deciding policy, in either accounts setting, explicit or implicit: a target
that does not evaluate a policy on an action errs on it in every such scenario;
a deny of another policy kind is another family), and last, for those actions
again, an ignored action: when the entries show the target answering the same to
refusals of the action by two or more kinds of policy, it does not evaluate the
action, and a refusal by any kind is that cause (:meth:`Expectations.explain`).
So it never flakes on a known class, under any profile or seed; a divergence no
level explains is new. ``--update-expectations`` requires the
variant, so that every variant gets its own entry.

For instance "cross-account; the model denies on the trust side; the target
allows" is ``accounts = "cross"``, ``model = "implicitDeny"``, ``rule = "R8"``,
``denied_by = "role trust policy"``, ``target = "allowed"``.

Every run replays each pinned counterexample and requires it to still diverge
the way its signature says (strict: a divergence the target has fixed fails the
run until the file is updated); a divergence no signature explains fails the
run as new. ``rolecall conformance --update-expectations`` rewrites the file
from a run, keeping the reasons and links of the entries that still hold.

Run it with rolecall installed as CI installs it (``pip install .``): Hypothesis
draws constants from the source of local modules, so an editable install draws
other examples (the ``ci`` profile is derandomized and has no example database,
so an installed copy draws the same examples on every machine).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import FileTooLarge, read_text_capped

__all__ = [
    "DISCRIMINATING_TAGS",
    "Expectation",
    "Expectations",
    "ExpectationsError",
    "builtin_path",
    "default_link",
    "signature_of",
]

HERE = Path(__file__).resolve().parent

_SCALAR_KEYS = (
    "aspect",
    "phase",
    "accounts",
    "caller",
    "model",
    "target",
    "target_message",
    "rule",
    "denied_by",
    "action",
    "error_field",
)
_LIST_KEYS = ("trust_match", "tags", "not_tags")

#: scenario tags that take part in automatically written signatures when the minimal counterexample has them
DISCRIMINATING_TAGS = (
    "trust-deny",
    "trust-condition",
    "action-case",
    "wildcard-?",
    "regex-metacharacter",
    "principal:account",
    "no-identity-policy",
    "role-missing",
    "request:duration_seconds",
    "request:tags",
    "request:source_identity",
    "request:policy",
)
"""Few on purpose: each names a way emulators go wrong (docs/emulators.md); a tag a shrunk counterexample
merely happens to carry would make its signature too narrow, and exploration would keep finding the
same divergence as "new"."""


class ExpectationsError(Exception):
    """An expectations file that cannot be used (the message names the file and the entry)."""


_SAME_AS = {"moto-server-http": "moto-server"}
"""Targets whose divergences are another's (the same server, provisioned another way)."""


def builtin_path(target_name: str) -> Path:
    """Where the shipped expectations of a built-in target live."""
    return HERE / f"{_SAME_AS.get(target_name, target_name)}.toml"


def _listify(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


@dataclass
class Expectation:
    """One known divergence."""

    id: str
    feature: str
    reason: str
    signature: dict[str, Any]
    counterexample: dict[str, Any]
    link: str = ""

    def matches(self, facts: Mapping[str, Any], *, tags: bool = True, family: bool = False) -> bool:
        """Whether the signature recognises ``facts``; with ``tags=False``, on its core facts alone;
        with ``family=True``, on its family (see the module docstring)."""
        if family:
            mine = _family(self.signature)
            return mine is not None and mine == _family(facts)
        for key, want in self.signature.items():
            if not tags and key in ("tags", "not_tags", "trust_match"):
                continue
            if key in _SCALAR_KEYS:
                if str(facts.get(key, "")) not in _listify(want):
                    return False
            elif key in ("trust_match", "tags"):
                if not set(_listify(want)) <= set(facts.get(key, ())):
                    return False
            elif key == "not_tags" and set(_listify(want)) & set(facts.get("tags", ())):
                return False
        return True

    @property
    def specificity(self) -> int:
        return sum(len(_listify(v)) if k in _LIST_KEYS else 1 for k, v in self.signature.items())

    @property
    def aspect(self) -> str:
        return str(self.signature.get("aspect", "decision"))


@dataclass
class Expectations:
    """The expectations of one target (possibly none)."""

    target: str
    version: str = ""
    entries: list[Expectation] = field(default_factory=list)
    path: Path | None = None

    def explain(
        self, facts: Mapping[str, Any], feature: str | None = None, *, strict: bool = True
    ) -> Expectation | None:
        """The most specific entry whose signature matches (only entries of ``feature`` if given).

        Not ``strict``: when no signature matches with its tags, the most specific one whose core
        facts (aspect, accounts, outcomes, rule, policy, action, field) match: the same class of
        divergence met in a scenario that also carries, or lacks, some scenario tags; failing that,
        one of the same family (module docstring). Exploration uses this, so that it never flakes on
        a known class; ``--update-expectations`` is strict, so that every tagged variant (an account
        principal, a re-cased action…) gets its own entry.
        """
        pool = [e for e in self.entries if feature is None or e.feature == feature]
        levels = ((True, False), (False, False), (False, True)) if not strict else ((True, False),)
        for with_tags, family in levels:
            best: Expectation | None = None
            for e in pool:
                if e.matches(facts, tags=with_tags, family=family) and (
                    best is None or e.specificity > best.specificity
                ):
                    best = e
            if best is not None:
                return best
        return None if strict else self._action_ignored(facts, pool)

    def _action_ignored(self, facts: Mapping[str, Any], pool: list[Expectation]) -> Expectation | None:
        """The last level of exploration: for an action AssumeRole implies, when the entries show the
        target answering the same to the model's refusals of that action by two or more kinds of
        policy (a trust-side and an identity-side refusal, say), the target evidently does not evaluate
        the action at all, and a refusal by any other kind is the same cause. Fewer kinds are no such
        evidence: a target evaluating the action but ignoring one policy kind on it meets a new
        divergence. (A policy kind a target ignores everywhere also shows on ``sts:AssumeRole``, which
        has no such level.)"""
        key = _family(facts)
        if key is None:
            return None
        same = [e for e in pool if (k := _family(e.signature)) is not None and k[:4] == key[:4]]
        kinds = {str(e.signature.get("denied_by", "")) for e in same} - {""}
        if len(kinds) < 2:
            return None
        return max(same, key=lambda e: e.specificity)

    def version_note(self, target_name: str, target_version: str) -> str | None:
        """When these expectations were written for another version of the target: what to say."""
        if not self.version or not target_version or self.version == target_version:
            return None
        return f"expectations written for {target_name} {self.version}; this is {target_name} {target_version}"

    @classmethod
    def load(cls, path: Path, target: str) -> Expectations:
        """Read and validate a file; a missing file is no expectations."""
        if not path.exists():
            return cls(target=target, path=path)
        try:
            data = tomllib.loads(read_text_capped(path))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, FileTooLarge) as exc:
            raise ExpectationsError(f"{path}: {exc}") from None
        except RecursionError:
            raise ExpectationsError(f"{path}: not an expectations file (TOML nested too deeply)") from None
        entries = []
        seen: set[str] = set()
        for i, raw in enumerate(data.get("divergence", [])):
            where = f"{path}: divergence[{i}]"
            if not isinstance(raw, dict):
                raise ExpectationsError(f"{where}: not a table")
            unknown = set(raw) - {"id", "feature", "reason", "link", "signature", "counterexample"}
            if unknown:
                raise ExpectationsError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
            for key in ("id", "feature", "reason", "signature", "counterexample"):
                if key not in raw:
                    raise ExpectationsError(f"{where}: missing {key!r}")
            sig = raw["signature"]
            if not isinstance(sig, dict) or not sig:
                raise ExpectationsError(f"{where}.signature: must be a non-empty table")
            bad = set(sig) - set(_SCALAR_KEYS) - set(_LIST_KEYS)
            if bad:
                raise ExpectationsError(f"{where}.signature: unknown fact(s) {', '.join(sorted(bad))}")
            try:
                scenario = json.loads(raw["counterexample"])
            except (TypeError, json.JSONDecodeError) as exc:
                raise ExpectationsError(f"{where}.counterexample: not a JSON scenario ({exc})") from None
            if not isinstance(scenario, dict):
                raise ExpectationsError(f"{where}.counterexample: not a JSON object")
            if raw["id"] in seen:
                raise ExpectationsError(f"{where}: duplicate id {raw['id']!r}")
            seen.add(raw["id"])
            entries.append(
                Expectation(
                    str(raw["id"]),
                    str(raw["feature"]),
                    str(raw["reason"]),
                    dict(sig),
                    scenario,
                    str(raw.get("link", "")),
                )
            )
        return cls(
            target=str(data.get("target", target)), version=str(data.get("version", "")), entries=entries, path=path
        )

    def dump(self) -> str:
        """The file's text (TOML), entries in a stable order."""
        lines = [
            f"# Known divergences of {self.target} {self.version} from AWS (see conformance/expectations/__init__.py).",
            f"# Written by `rolecall conformance --target {self.target} --update-expectations`; reasons and links",
            "# may be edited by hand and are kept when the file is rewritten.",
            f"target = {_str(self.target)}",
            f"version = {_str(self.version)}",
        ]
        for e in sorted(self.entries, key=lambda e: (e.feature, e.id)):
            lines += [
                "",
                "[[divergence]]",
                f"id = {_str(e.id)}",
                f"feature = {_str(e.feature)}",
                f"reason = {_str(e.reason)}",
                f"link = {_str(e.link or default_link(e.signature))}",
                f"counterexample = {_multiline(json.dumps(e.counterexample, indent=2, sort_keys=True))}",
                "[divergence.signature]",
            ]
            for key in (*_SCALAR_KEYS, *_LIST_KEYS):
                if key in e.signature:
                    v = e.signature[key]
                    lines.append(
                        f"{key} = " + ("[" + ", ".join(_str(x) for x in v) + "]" if isinstance(v, list) else _str(v))
                    )
        return "\n".join(lines) + "\n"


_IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
_API_ASSUME_ROLE = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
#: The AWS page behind a divergence, by the tag that names how the target goes wrong (first match wins)
#: and then by the rule that decided (docs/semantics.md §0 lists these pages by key).
_LINKS_BY_TAG = (
    ("action-case", _IAM + "reference_policies_elements_action.html"),
    ("wildcard-?", _IAM + "reference_policies_elements_resource.html"),
    ("regex-metacharacter", _IAM + "reference_policies_elements_resource.html"),
    ("principal:account", _IAM + "reference_policies_elements_principal.html"),
    ("trust-condition", _IAM + "reference_policies_elements_condition_operators.html"),
    ("request:tags", _IAM + "id_session-tags.html"),
    ("request:source_identity", _IAM + "id_credentials_temp_control-access_monitor.html"),
    ("request:policy", _IAM + "reference_policies_grammar.html"),
    ("request:duration_seconds", _API_ASSUME_ROLE),
)
_LINKS_BY_RULE = {
    "R0": _API_ASSUME_ROLE,
    "R1": _IAM + "id_credentials_temp_request.html",
    "R2": _API_ASSUME_ROLE,
    "R5": _IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
    "R6": "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html",
    "R7": "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
    "R8": _IAM + "reference_policies_elements_principal.html",
    "R9": _IAM + "reference_policies_evaluation-logic-cross-account.html",
    "R10": _IAM + "reference_policies_evaluation-logic_policy-eval-basics.html",
    "R11": _IAM + "reference_policies_elements_principal.html",
    "R12": "https://aws.amazon.com/blogs/security/announcing-an-update-to-iam-role-trust-policy-behavior/",
    "R13": _API_ASSUME_ROLE,
    "R14": _API_ASSUME_ROLE,
}


_STS_API = "https://docs.aws.amazon.com/STS/latest/APIReference/"
#: The pages behind a divergence at a federated door, by the rule that decided (docs/federation.md §0).
_FEDERATED_LINKS = {
    "F0": _IAM + "id_roles_providers_oidc_secure-by-default.html",
    "F10": _IAM + "id_roles_create_for-idp_oidc.html",
    "F7": _IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html",
    "F4": _IAM + "id_roles_create_for-idp_oidc.html",
}


def _federated_link(signature: Mapping[str, Any], aspect: str) -> str:
    action = _listify(signature.get("action", ""))[0]
    saml = action == "sts:AssumeRoleWithSAML" or _listify(signature.get("caller", ""))[0] == "saml"
    api = _STS_API + ("API_AssumeRoleWithSAML.html" if saml else "API_AssumeRoleWithWebIdentity.html")
    if aspect != "decision":  # the response of either API (a signature names no action there)
        return _IAM + "id_roles_providers.html"
    rule = _listify(signature.get("rule", ""))[0]
    if saml and rule in ("F4", "F10"):
        return _IAM + "id_roles_create_for-idp_saml.html"
    if "request:tags" in set(_listify(signature.get("tags", []))) or str(signature.get("action")) == "sts:TagSession":
        return _IAM + "id_session-tags.html"
    return _FEDERATED_LINKS.get(rule, api)


def default_link(signature: Mapping[str, Any]) -> str:
    """The AWS documentation page behind a divergence with this signature: the page of the message
    (troubleshooting access-denied messages), of the tag that names the mistake, or of the rule; at the
    federated doors the API's page or the page of the federated rule (docs/federation.md §0)."""
    aspect = str(signature.get("aspect", "decision"))
    if _listify(signature.get("accounts", ""))[0] == "federated":
        return _federated_link(signature, aspect)
    if aspect == "message":
        return _IAM + "troubleshoot_access-denied.html"
    if aspect != "decision":
        return _API_ASSUME_ROLE + "#API_AssumeRole_ResponseElements"
    tags = set(_listify(signature.get("tags", [])))
    for tag, url in _LINKS_BY_TAG:
        if tag in tags:
            return url
    rule = _listify(signature.get("rule", ""))[0]
    return _LINKS_BY_RULE.get(rule, _IAM + "reference_policies_evaluation-logic.html")


def _str(s: Any) -> str:
    return json.dumps(str(s), ensure_ascii=False)


def _multiline(text: str) -> str:
    if "'''" not in text and all(ch == "\n" or ch == "\t" or ord(ch) >= 0x20 for ch in text):
        return "'''\n" + text + "\n'''"
    return _str(text)


#: the actions AssumeRole implies, whose divergences form families (see the module docstring)
_IMPLIED_ACTIONS = ("sts:TagSession", "sts:SetSourceIdentity")
_DENIED = ("explicitDeny", "implicitDeny", "denied")


def _family(facts: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The family of a divergence (or a signature): the aspect, the action AssumeRole implies, the
    model's decision class, the target's answer, the rule and the deciding policy (not the accounts,
    nor explicit against implicit); ``None`` outside the implied actions."""
    action = facts.get("action")
    if not isinstance(action, str) or action not in _IMPLIED_ACTIONS or facts.get("phase", "assume") != "assume":
        return None
    model = str(facts.get("model", ""))
    return (
        str(facts.get("aspect")),
        action,
        "denied" if model in _DENIED else model,
        str(facts.get("target")),
        str(facts.get("rule", "")),
        str(facts.get("denied_by", "")),
    )


def signature_of(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The signature written for a new divergence: its core facts and its discriminating tags; for a
    refusal to store the scenario or a failure of the target, the phase and the target's words."""
    if facts.get("phase", "assume") != "assume":
        return {k: facts[k] for k in ("aspect", "phase", "target", "target_message") if k in facts}
    sig: dict[str, Any] = {k: facts[k] for k in ("aspect", "accounts", "model", "target", "rule") if facts.get(k)}
    for k in ("denied_by", "action", "error_field"):
        if facts.get(k):
            sig[k] = facts[k]
    sig["tags"] = [t for t in DISCRIMINATING_TAGS if t in set(facts.get("tags", ()))]
    return sig


def describe(facts: Mapping[str, Any]) -> str:
    """A one-line reason for an automatically written entry."""
    where = {"same": "same account", "cross": "cross-account", "service": "service caller"}.get(
        str(facts.get("accounts")), str(facts.get("accounts"))
    )
    if facts.get("accounts") == "federated":
        where = "AssumeRoleWithSAML" if facts.get("caller") == "saml" else "AssumeRoleWithWebIdentity"
    phase = facts.get("phase", "assume")
    if phase != "assume":
        what = "refuses to store the scenario" if phase == "provision" else "fails"
        return f"the target {what}: {facts.get('target')} ({facts.get('target_message') or 'no message'})"
    if facts.get("aspect") == "decision":
        side = f" ({facts['rule']}{', ' + str(facts['denied_by']) if facts.get('denied_by') else ''})"
        text = f"{where}: AWS decides {facts['model']}{side}, the target answers {facts['target']}"
        if facts.get("error_field"):
            text += f" (AWS validates {facts['error_field']})"
    else:
        text = f"{where}: the {facts['aspect']} differs ({facts['model']})"
    tags: Iterable[str] = [t for t in facts.get("tags", ()) if t in DISCRIMINATING_TAGS]
    return text + (f"; with {', '.join(tags)}" if tags else "")
