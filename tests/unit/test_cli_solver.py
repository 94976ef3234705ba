"""The solver's commands on the command line (conformance/_solve.py): answers, exit codes, replays.

Every counterexample and witness printed here is replayed through ``rolecall decide`` (the model,
and the solver engine) with its ``expect`` met; bad input is one line on stderr with exit 2; an
unknown is exit 3 and never a pass. The policies are small and real; each solver call takes
tens of milliseconds.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.cli import main
from tests.conftest import SPEC_SCENARIOS

ROLE = "arn:aws:iam::111122223333:role/rolecall-role"  # the commands' default --role-arn
OWN, PARTNER, STRANGER = "111122223333", "444455556666", "777788889999"
ORG = "o-xxxxxxxxxx"


# =========================================================================== helpers


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def run_json(argv: list[str]) -> tuple[int, dict[str, Any]]:
    code, out, err = run([*argv, "--json"])
    assert err == "", err
    assert out.count("\n") == 1, out
    return code, json.loads(out)


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return str(path)


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(
    principal: Any, condition: dict[str, Any] | None = None, *, action: Any = "sts:AssumeRole", effect: str = "Allow"
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        out["Condition"] = condition
    return out


def identity(resource: str, action: Any = "sts:AssumeRole") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def account(acct: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{acct}:root"}


def caller_account(scenario: dict[str, Any]) -> str:
    return str(scenario["caller"]["arn"]).split(":")[4]


def replay(tmp_path: Path, scenario: dict[str, Any], name: str = "replay.json") -> None:
    """``rolecall decide`` (both engines) allows the scenario and meets its expect."""
    assert scenario["expect"] == {"decision": "allowed"}
    assert isinstance(scenario["id"], str) and scenario["id"]
    path = write(tmp_path, name, scenario)
    for engine in ("model", "solver"):
        code, out, err = run(["decide", "--engine", engine, path])
        assert code == 0, (engine, err)
        result = json.loads(out)
        assert result["decision"] == "allowed" and result["id"] == scenario["id"], (engine, result)


def decide_decision(tmp_path: Path, scenario: dict[str, Any]) -> str:
    code, out, err = run(["decide", write(tmp_path, "other.json", scenario)])
    assert code == 0, err
    return str(json.loads(out)["decision"])


def printed_scenario(out: str) -> dict[str, Any]:
    """The scenario a readable counterexample prints after "replay it with `rolecall decide`"."""
    lines = out.splitlines()
    i = lines.index("  replay it with `rolecall decide`:")
    doc: dict[str, Any] = json.loads(lines[i + 1])
    return doc


def glob_match(pattern: str, text: str) -> bool:
    """IAM's Resource matching: ``*`` any run of characters, ``?`` one."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text) is not None


# =========================================================================== check-no-new-access


def test_no_new_access_proves_a_narrowing_trust_change(tmp_path: Path) -> None:
    old = write(tmp_path, "old.json", trust(stmt(account(PARTNER))))
    new = write(tmp_path, "new.json", trust(stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": "ext-id-1"}})))
    code, out, err = run(["check-no-new-access", old, new])
    assert (code, err) == (0, "")
    assert out.startswith("check-no-new-access: PROVED\n")
    assert "every request the new trust policy allows, the old one allows" in out
    code, doc = run_json(["check-no-new-access", old, new])
    assert code == 0 and doc["result"] == "proved" and "scenario" not in doc


def test_no_new_access_if_exists_widening_replays(tmp_path: Path) -> None:
    old = write(tmp_path, "old.json", trust(stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": "ext-id-1"}})))
    new = write(
        tmp_path, "new.json", trust(stmt(account(PARTNER), {"StringEqualsIfExists": {"sts:ExternalId": "ext-id-1"}}))
    )
    code, doc = run_json(["check-no-new-access", old, new])
    assert code == 1 and doc["result"] == "counterexample" and doc["query"] == "check-no-new-access"
    scenario = doc["scenario"]
    # IfExists lets through exactly the requests that send no ExternalId
    assert "external_id" not in scenario["request"]
    assert caller_account(scenario) == PARTNER
    assert scenario["role"]["arn"] == ROLE
    assert scenario["role"]["trust_policy"]["Statement"][0]["Condition"] == {
        "StringEqualsIfExists": {"sts:externalid": ["ext-id-1"]}
    }
    replay(tmp_path, scenario)
    # the compare part: the same request against the old policy, which does not allow it
    compare = doc["compare"]
    assert compare["decision"] != "allowed"
    assert compare["scenario"]["role"]["trust_policy"]["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:externalid": ["ext-id-1"]}
    }
    assert compare["scenario"]["caller"] == scenario["caller"]
    assert compare["scenario"]["request"] == scenario["request"]
    assert decide_decision(tmp_path, compare["scenario"]) == compare["decision"]


def test_no_new_access_added_principal_readable(tmp_path: Path) -> None:
    old = write(tmp_path, "old.json", trust(stmt(account(PARTNER))))
    new = write(tmp_path, "new.json", trust(stmt({"AWS": [f"arn:aws:iam::{PARTNER}:root", STRANGER]})))
    code, out, err = run(["check-no-new-access", old, new])
    assert (code, err) == (1, "")
    assert out.startswith("check-no-new-access: COUNTEREXAMPLE\n")
    assert "It is not true that every request the new trust policy allows, the old one allows:" in out
    # an IAM user (arn:aws:iam::…) or a role session (arn:aws:sts::…) of the added account: the solver may pick either
    assert re.search(rf"caller: arn:aws:(iam|sts)::{STRANGER}:", out), out
    assert f"role: {ROLE}" in out
    assert "the new policy: allowed; the old policy: implicitDeny" in out
    scenario = printed_scenario(out)
    assert caller_account(scenario) == STRANGER
    replay(tmp_path, scenario)
    # the other way round, the change only narrows
    code, out, _ = run(["check-no-new-access", new, old])
    assert code == 0 and "PROVED" in out


def test_no_new_access_identity_policies(tmp_path: Path) -> None:
    narrow, wide = "arn:aws:iam::*:role/app-*", "arn:aws:iam::*:role/*"
    old = write(tmp_path, "old.json", identity(narrow))
    new = write(tmp_path, "new.json", identity(wide))
    code, doc = run_json(["check-no-new-access", old, new])
    assert code == 1
    assert doc["statement"] == "every request the new identity policy allows, the old one allows"
    scenario = doc["scenario"]
    role_arn = scenario["role"]["arn"]
    assert glob_match(wide, role_arn) and not glob_match(narrow, role_arn), role_arn
    assert scenario["caller"]["arn"] == "arn:aws:iam::111122223333:user/rolecall-caller"  # the default --caller-arn
    assert scenario["caller"]["identity_policies"][0]["Statement"][0]["Resource"] == [wide]
    replay(tmp_path, scenario)
    compare = doc["compare"]
    assert compare["decision"] == "implicitDeny"
    assert compare["scenario"]["caller"]["identity_policies"][0]["Statement"][0]["Resource"] == [narrow]
    assert compare["scenario"]["role"] == scenario["role"]
    # the reverse direction narrows: proved
    code, out, _ = run(["check-no-new-access", new, old])
    assert code == 0 and "PROVED" in out and "identity policy" in out


def test_no_new_access_identity_with_caller_arn(tmp_path: Path) -> None:
    caller = f"arn:aws:iam::{PARTNER}:user/dev"
    old = write(tmp_path, "old.json", identity(f"arn:aws:iam::{PARTNER}:role/app-*"))
    new = write(tmp_path, "new.json", identity(f"arn:aws:iam::{PARTNER}:role/*"))
    code, doc = run_json(["check-no-new-access", old, new, "--caller-arn", caller])
    assert code == 1
    assert doc["scenario"]["caller"]["arn"] == caller
    assert doc["scenario"]["role"]["arn"].startswith(f"arn:aws:iam::{PARTNER}:role/")
    replay(tmp_path, doc["scenario"])


def test_save_writes_a_replayable_scenario(tmp_path: Path) -> None:
    old = write(tmp_path, "old.json", trust(stmt(account(PARTNER))))
    new = write(tmp_path, "new.json", trust(stmt("*")))
    saved = tmp_path / "counterexample.json"
    code, doc = run_json(["check-no-new-access", old, new, "--save", str(saved)])
    assert code == 1
    assert json.loads(saved.read_text(encoding="utf-8")) == doc["scenario"]
    code, out, err = run(["decide", str(saved)])
    assert code == 0 and err == ""
    assert json.loads(out)["decision"] == "allowed"
    code, out, err = run(["decide", "--engine", "solver", str(saved)])
    assert code == 0 and err == "" and json.loads(out)["decision"] == "allowed"
    # a proof saves nothing
    proved = tmp_path / "nothing.json"
    assert run(["check-no-new-access", new, old, "--save", str(proved)])[0] == 0
    assert not proved.exists()


def test_save_to_an_unwritable_path_is_bad_input(tmp_path: Path) -> None:
    star = write(tmp_path, "star.json", trust(stmt("*")))
    target = tmp_path / "no" / "such" / "dir.json"
    code, out, err = run(["check-no-public-access", star, "--save", str(target)])
    assert code == 2 and "COUNTEREXAMPLE" in out and "replay it with `rolecall decide`" in out  # found, then shown
    assert err.count("\n") == 1 and str(target) in err and "(at --save)" in err


def test_save_dash_writes_to_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    star = write(tmp_path, "star.json", trust(stmt("*")))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check-no-public-access", star, "--json", "--save", "-"])
    assert code == 1 and err == "" and not (tmp_path / "-").exists()
    answer, saved = out.split("\n", 1)
    assert json.loads(saved) == json.loads(answer)["scenario"]


def test_inputs_from_stdin_and_file_urls(tmp_path: Path) -> None:
    old_doc = trust(stmt(account(PARTNER)))
    old = write(tmp_path, "old.json", old_doc)
    new = write(tmp_path, "new.json", trust(stmt(account(PARTNER), {"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    code, out, err = run(["check-no-new-access", "-", f"file://{new}"], stdin=json.dumps(old_doc))
    assert code == 0 and "PROVED" in out, err
    code, out, err = run(["check-no-new-access", f"file://{new}", "-"], stdin=json.dumps(old_doc))
    assert code == 1 and "COUNTEREXAMPLE" in out, err
    assert printed_scenario(out)["caller"].get("mfa") is not True  # the old policy needs MFA, the new does not
    assert run(["check-no-new-access", old, new])[0] == 0


# =========================================================================== check-equivalent


def test_equivalent_spellings_are_proved(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", trust(stmt({"AWS": "123456789012"})))
    b = write(tmp_path, "b.json", trust(stmt({"AWS": "arn:aws:iam::123456789012:root"}, action="STS:assumerole")))
    code, out, err = run(["check-equivalent", a, b])
    assert (code, err) == (0, "")
    assert out == "check-equivalent: PROVED\n  A and B allow exactly the same requests.\n"
    code, doc = run_json(["check-equivalent", b, a])
    assert code == 0 and doc == {
        "query": "check-equivalent",
        "result": "proved",
        "statement": "A and B allow exactly the same requests",
    }


def test_equivalent_identity_spellings(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", identity("arn:aws:iam::*:role/app-*", action="sts:AssumeRole"))
    b = write(tmp_path, "b.json", identity("arn:aws:iam::*:role/app-*", action=["sts:Assume*"]))
    assert run(["check-equivalent", a, b])[0] == 0


@pytest.mark.parametrize("order", ["narrow-first", "wide-first"])
def test_different_policies_are_not_equivalent(tmp_path: Path, order: str) -> None:
    narrow = write(tmp_path, "narrow.json", trust(stmt(account(PARTNER))))
    wide = write(tmp_path, "wide.json", trust(stmt({"AWS": [PARTNER, STRANGER]})))
    a, b = (narrow, wide) if order == "narrow-first" else (wide, narrow)
    code, doc = run_json(["check-equivalent", a, b])
    assert code == 1 and doc["result"] == "counterexample"
    scenario = doc["scenario"]
    # the only request one allows and the other does not: a caller of the added account
    assert caller_account(scenario) == STRANGER
    replay(tmp_path, scenario)
    assert doc["compare"]["decision"] == "implicitDeny"
    assert decide_decision(tmp_path, doc["compare"]["scenario"]) == "implicitDeny"


# =========================================================================== check-access-not-granted


def test_access_not_granted_by_account(tmp_path: Path) -> None:
    policy = write(tmp_path, "trust.json", trust(stmt(account(PARTNER))))
    code, doc = run_json(["check-access-not-granted", policy, "--account", PARTNER])
    assert code == 1 and doc["query"] == "check-access-not-granted"
    assert caller_account(doc["scenario"]) == PARTNER
    replay(tmp_path, doc["scenario"])
    code, out, err = run(["check-access-not-granted", policy, "--account", STRANGER])
    assert (code, err) == (0, "")
    assert out == "check-access-not-granted: PROVED\n  the policy grants none of the named access.\n"
    # with no selector: does the policy grant anything at all? It does.
    code, out, _ = run(["check-access-not-granted", policy])
    assert code == 1 and "COUNTEREXAMPLE" in out


def test_access_not_granted_by_principal(tmp_path: Path) -> None:
    policy = write(tmp_path, "trust.json", trust(stmt(account(PARTNER))))
    bob = f"arn:aws:iam::{PARTNER}:user/bob"
    code, doc = run_json(["check-access-not-granted", policy, "--principal", bob])
    assert code == 1
    assert doc["scenario"]["caller"]["arn"] == bob
    replay(tmp_path, doc["scenario"])
    assert run(["check-access-not-granted", policy, "--principal", f"arn:aws:iam::{STRANGER}:user/bob"])[0] == 0
    assert run(["check-access-not-granted", policy, "--principal", STRANGER])[0] == 0
    assert run(["check-access-not-granted", policy, "--principal", "ec2.amazonaws.com"])[0] == 0


def test_access_not_granted_identity_policy(tmp_path: Path) -> None:
    policy = write(tmp_path, "identity.json", identity(f"arn:aws:iam::{PARTNER}:role/app-*"))
    web = f"arn:aws:iam::{PARTNER}:role/app-web"
    code, doc = run_json(["check-access-not-granted", policy, "--role", web])
    assert code == 1 and doc["scenario"]["role"]["arn"] == web
    replay(tmp_path, doc["scenario"])
    assert run(["check-access-not-granted", policy, "--role", f"arn:aws:iam::{PARTNER}:role/admin"])[0] == 0
    code, doc = run_json(["check-access-not-granted", policy, "--account", PARTNER])
    assert code == 1
    role_arn = doc["scenario"]["role"]["arn"]
    assert role_arn.split(":")[4] == PARTNER and glob_match(f"arn:aws:iam::{PARTNER}:role/app-*", role_arn)
    replay(tmp_path, doc["scenario"])
    assert run(["check-access-not-granted", policy, "--account", STRANGER])[0] == 0


def test_access_not_granted_by_action(tmp_path: Path) -> None:
    only_assume = write(tmp_path, "assume.json", trust(stmt(account(PARTNER))))
    code, out, _ = run(["check-access-not-granted", only_assume, "--action", "sts:TagSession"])
    assert code == 0 and "PROVED" in out
    assert run(["check-access-not-granted", only_assume, "--action", "sts:SetSourceIdentity"])[0] == 0
    assert run(["check-access-not-granted", only_assume, "--action", "sts:AssumeRole"])[0] == 1
    tagging = write(
        tmp_path, "tagging.json", trust(stmt(account(PARTNER), action=["sts:AssumeRole", "sts:TagSession"]))
    )
    code, doc = run_json(["check-access-not-granted", tagging, "--action", "sts:TagSession"])
    assert code == 1
    request = doc["scenario"]["request"]
    assert request.get("tags") or request.get("transitive_tag_keys"), request  # a request that needs TagSession
    replay(tmp_path, doc["scenario"])


def test_access_not_granted_bad_selectors(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", trust(stmt(account(PARTNER))))
    idp = write(tmp_path, "identity.json", identity("*"))
    cases = [
        (["check-access-not-granted", tr, "--action", "sts:GetCallerIdentity"], "(at --action)"),
        (["check-access-not-granted", tr, "--account", "4444"], "(at --account)"),
        (["check-access-not-granted", tr, "--principal", "garbage"], "(at --principal)"),
        (["check-access-not-granted", tr, "--role", f"arn:aws:iam::{PARTNER}:role/x"], "(at --role)"),
        (["check-access-not-granted", idp, "--principal", f"arn:aws:iam::{PARTNER}:user/bob"], "(at --principal)"),
        (["check-access-not-granted", idp, "--role", "not-an-arn"], "(at --role)"),
    ]
    for argv, where in cases:
        code, out, err = run(argv)
        assert code == 2 and out == "", argv
        assert err.startswith("rolecall: bad input:") and err.count("\n") == 1 and where in err, (argv, err)
    assert "sts:GetCallerIdentity" in run(cases[0][0])[2]


# =========================================================================== check-no-public-access


def test_no_public_access_own_account(tmp_path: Path) -> None:
    own = write(tmp_path, "own.json", trust(stmt(account(OWN))))
    code, out, err = run(["check-no-public-access", own])
    assert (code, err) == (0, "")
    assert out == f"check-no-public-access: PROVED\n  no principal outside {OWN} can assume the role.\n"
    # the trusted account comes from --role-arn: the same trust on another account's role is public to it
    other_role = f"arn:aws:iam::{STRANGER}:role/r"
    code, doc = run_json(["check-no-public-access", own, "--role-arn", other_role])
    assert code == 1
    assert doc["scenario"]["role"]["arn"] == other_role and caller_account(doc["scenario"]) == OWN
    replay(tmp_path, doc["scenario"])


def test_no_public_access_wildcard(tmp_path: Path) -> None:
    star = write(tmp_path, "star.json", trust(stmt("*")))
    code, doc = run_json(["check-no-public-access", star])
    assert code == 1 and doc["query"] == "check-no-public-access"
    assert caller_account(doc["scenario"]) != OWN
    replay(tmp_path, doc["scenario"])
    code, out, _ = run(["check-no-public-access", star])
    assert code == 1 and "COUNTEREXAMPLE" in out and f"It is not true that no principal outside {OWN}" in out


def test_no_public_access_trusted_account(tmp_path: Path) -> None:
    partner = write(tmp_path, "partner.json", trust(stmt(account(PARTNER))))
    code, doc = run_json(["check-no-public-access", partner])
    assert code == 1 and caller_account(doc["scenario"]) == PARTNER
    code, out, _ = run(["check-no-public-access", partner, "--trusted-account", PARTNER])
    assert code == 0 and f"no principal outside {PARTNER} can assume" in out
    assert run(["check-no-public-access", partner, "--trusted-account", STRANGER])[0] == 1


def test_no_public_access_services_are_not_public(tmp_path: Path) -> None:
    svc = write(tmp_path, "svc.json", trust(stmt({"Service": "ec2.amazonaws.com"})))
    assert run(["check-no-public-access", svc])[0] == 0


def test_no_public_access_org_condition_without_trusted_org(tmp_path: Path) -> None:
    org = write(tmp_path, "org.json", trust(stmt("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})))
    code, doc = run_json(["check-no-public-access", org])
    assert code == 1
    assert caller_account(doc["scenario"]) != OWN
    replay(tmp_path, doc["scenario"])


def test_no_public_access_trusted_org(tmp_path: Path) -> None:
    org = write(tmp_path, "org.json", trust(stmt("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})))
    code, out, _ = run(["check-no-public-access", org, "--trusted-org", ORG])
    assert code == 0 and f"no principal outside {OWN}, {ORG} can assume the role" in out, out
    # another organization is not the one the policy names
    code, doc = run_json(["check-no-public-access", org, "--trusted-org", "o-yyyyyyyyyy"])
    assert code == 1 and caller_account(doc["scenario"]) != OWN
    org_id = doc["scenario"]["context"]["aws:principalorgid"]
    assert org_id in (ORG, [ORG])
    replay(tmp_path, doc["scenario"])


def test_no_public_access_bad_options(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", trust(stmt(account(PARTNER))))
    code, out, err = run(["check-no-public-access", tr, "--trusted-account", "4444"])
    assert code == 2 and out == "" and "(at --trusted-account)" in err


# =========================================================================== external-id-required


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"sts:ExternalId": "ext-id-1"}}, 0),
        ({"StringEqualsIfExists": {"sts:ExternalId": "ext-id-1"}}, 1),
        ({"StringLike": {"sts:ExternalId": "*"}}, 0),  # a StringLike test needs the key present
        ({"Null": {"sts:ExternalId": "false"}}, 0),
        ({"Null": {"sts:ExternalId": "true"}}, 1),
        ({"StringNotEquals": {"sts:ExternalId": "ext-id-1"}}, 1),  # holds when the key is absent
        (None, 1),
    ],
    ids=["StringEquals", "IfExists", "StringLike-star", "Null-false", "Null-true", "StringNotEquals", "none"],
)
def test_external_id_required(tmp_path: Path, condition: dict[str, Any] | None, expected: int) -> None:
    tr = write(tmp_path, "trust.json", trust(stmt(account(PARTNER), condition)))
    code, doc = run_json(["external-id-required", tr])
    assert code == expected, doc
    assert doc["query"] == "external-id-required"
    assert doc["statement"] == "every cross-account caller must present an ExternalId"
    if expected == 1:
        scenario = doc["scenario"]
        assert "external_id" not in scenario["request"]
        assert caller_account(scenario) == PARTNER
        replay(tmp_path, scenario)


def test_external_id_required_every_statement(tmp_path: Path) -> None:
    tr = write(
        tmp_path,
        "trust.json",
        trust(stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": "ext-id-1"}}), stmt(account(STRANGER))),
    )
    code, out, err = run(["external-id-required", tr])
    assert (code, err) == (1, "")
    assert "It is not true that every cross-account caller must present an ExternalId" in out
    scenario = printed_scenario(out)
    assert caller_account(scenario) == STRANGER and "external_id" not in scenario["request"]
    replay(tmp_path, scenario)


def test_external_id_required_same_account_is_not_asked(tmp_path: Path) -> None:
    tr = write(
        tmp_path,
        "trust.json",
        trust(stmt(account(OWN)), stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": "ext-id-1"}})),
    )
    assert run(["external-id-required", tr])[0] == 0


def test_external_id_required_named_ids(tmp_path: Path) -> None:
    one = write(tmp_path, "one.json", trust(stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": "ext-id-1"}})))
    two = write(
        tmp_path,
        "two.json",
        trust(stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": ["ext-id-1", "ext-id-2"]}})),
    )
    code, out, _ = run(["external-id-required", one, "--external-id", "ext-id-1"])
    assert code == 0 and "must present one of the ExternalIds ext-id-1." in out
    code, doc = run_json(["external-id-required", two, "--external-id", "ext-id-1"])
    assert code == 1
    assert doc["scenario"]["request"]["external_id"] == "ext-id-2"
    replay(tmp_path, doc["scenario"])
    code, doc = run_json(["external-id-required", one, "--external-id", "ext-id-2"])
    assert code == 1 and doc["scenario"]["request"]["external_id"] == "ext-id-1"
    code, out, _ = run(["external-id-required", two, "--external-id", "ext-id-1", "--external-id", "ext-id-2"])
    assert code == 0 and "one of the ExternalIds ext-id-1, ext-id-2" in out
    # StringLike "*" requires an ExternalId, but not a named one
    like = write(tmp_path, "like.json", trust(stmt(account(PARTNER), {"StringLike": {"sts:ExternalId": "*"}})))
    code, doc = run_json(["external-id-required", like, "--external-id", "ext-id-1"])
    assert code == 1 and doc["scenario"]["request"]["external_id"] not in (None, "ext-id-1")
    replay(tmp_path, doc["scenario"])


# =========================================================================== who-can-assume


def _mixed_trust() -> dict[str, Any]:
    return trust(
        {
            "Sid": "Cross",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{PARTNER}:root", f"arn:aws:iam::{OWN}:user/bob"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "ext-id-1"}},
        },
        stmt({"Service": "ec2.amazonaws.com"}),
    )


def test_who_can_assume_json(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", _mixed_trust())
    code, doc = run_json(["who-can-assume", tr])
    assert code == 0 and doc["query"] == "who-can-assume" and doc["result"] == "findings"
    found = {f["principal"]: f for f in doc["findings"]}
    assert set(found) == {f"arn:aws:iam::{PARTNER}:root", f"arn:aws:iam::{OWN}:user/bob", "ec2.amazonaws.com"}
    partner, bob, ec2 = (
        found[f"arn:aws:iam::{PARTNER}:root"],
        found[f"arn:aws:iam::{OWN}:user/bob"],
        found["ec2.amazonaws.com"],
    )
    assert (partner["class"], partner["accounts"], partner["cross_account"], partner["same_account"]) == (
        "account",
        [PARTNER],
        True,
        False,
    )
    assert partner["external_id_required"] is True and partner["sid"] == "Cross" and partner["statement"] == 0
    assert partner["conditions"] == {"StringEquals": {"sts:externalid": ["ext-id-1"]}}
    assert (bob["class"], bob["accounts"], bob["cross_account"], bob["same_account"]) == ("user", [OWN], False, True)
    assert (ec2["class"], ec2["accounts"], ec2["statement"], ec2["external_id_required"]) == ("service", [], 1, False)
    assert "sid" not in ec2 and "conditions" not in ec2
    assert ec2["witness"]["caller"] == {"service": "ec2.amazonaws.com"}
    assert bob["witness"]["caller"]["arn"] == f"arn:aws:iam::{OWN}:user/bob"
    assert caller_account(partner["witness"]) == PARTNER
    assert partner["witness"]["request"]["external_id"] == "ext-id-1"
    for i, f in enumerate(doc["findings"]):
        assert f["witness"]["id"].startswith(f"who-can-assume witness: statement {f['statement']}, ")
        replay(tmp_path, f["witness"], f"witness-{i}.json")


def test_who_can_assume_readable(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", _mixed_trust())
    code, out, err = run(["who-can-assume", tr])
    assert (code, err) == (0, "")
    assert (
        f"- arn:aws:iam::{PARTNER}:root (account), statement 0 (Sid Cross)\n    who: {PARTNER}; cross-account\n" in out
    )
    assert f"- arn:aws:iam::{OWN}:user/bob (user), statement 0 (Sid Cross)\n    who: {OWN}; same account\n" in out
    assert "- ec2.amazonaws.com (service), statement 1\n    who: services only\n" in out
    assert out.count("    an ExternalId is required\n") == 2
    witnesses = [json.loads(line.removeprefix("    witness: ")) for line in out.splitlines() if "witness: {" in line]
    assert len(witnesses) == 3
    for i, w in enumerate(witnesses):
        replay(tmp_path, w, f"witness-{i}.json")


def test_who_can_assume_wildcard(tmp_path: Path) -> None:
    star = write(tmp_path, "star.json", trust(stmt("*")))
    code, doc = run_json(["who-can-assume", star])
    assert code == 0
    [f] = doc["findings"]
    assert (f["principal"], f["class"], f["accounts"], f["same_account"], f["cross_account"]) == (
        "*",
        "wildcard",
        "any",
        True,
        True,
    )
    replay(tmp_path, f["witness"])
    code, out, _ = run(["who-can-assume", star])
    assert code == 0 and "- * (wildcard), statement 0\n    who: any account; same account, cross-account\n" in out


@pytest.mark.parametrize(
    "doc",
    [
        trust(stmt(account(PARTNER), effect="Deny")),
        trust(stmt("*"), stmt("*", effect="Deny")),
        trust(stmt({"AWS": f"arn:aws-cn:iam::{PARTNER}:root"})),  # another partition than the role's
        trust(stmt(account(PARTNER), action="sts:TagSession")),
        trust(stmt("*", {"Bool": {"aws:PrincipalIsAWSService": "true"}})),  # "*" covers no service by default
    ],
    ids=["deny-only", "deny-everyone", "other-partition", "no-assume-action", "star-services-only"],
)
def test_who_can_assume_nobody(tmp_path: Path, doc: dict[str, Any]) -> None:
    tr = write(tmp_path, "trust.json", doc)
    code, out, err = run(["who-can-assume", tr])
    assert (code, out, err) == (0, "who-can-assume: nobody can assume this role\n", "")
    code, answer = run_json(["who-can-assume", tr])
    assert code == 0 and answer == {"query": "who-can-assume", "findings": [], "result": "findings"}


def test_who_can_assume_with_identity_that_excludes_the_role(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", trust(stmt(account(PARTNER))))
    other = write(tmp_path, "identity.json", identity(f"arn:aws:iam::{OWN}:role/other"))
    code, out, _ = run(["who-can-assume", tr, "--identity", other])
    assert code == 0 and out == "who-can-assume: nobody can assume this role\n"


def test_who_can_assume_with_identity_that_allows_the_role(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", trust(stmt(account(PARTNER))))
    allows = write(tmp_path, "identity.json", identity(ROLE))
    code, doc = run_json(["who-can-assume", tr, "--identity", allows])
    assert code == 0, doc
    [f] = doc["findings"]
    assert f["accounts"] == [PARTNER]
    replay(tmp_path, f["witness"])


def test_who_can_assume_save_writes_the_witnesses(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", _mixed_trust())
    saved = tmp_path / "witnesses.json"
    code, doc = run_json(["who-can-assume", tr, "--save", str(saved)])
    assert code == 0
    witnesses = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]  # JSON Lines
    assert witnesses == [f["witness"] for f in doc["findings"]] and len(witnesses) == 3
    code, out, err = run(["decide", str(saved)])
    assert code == 0, err
    assert [json.loads(line)["decision"] for line in out.splitlines()] == ["allowed"] * 3


def test_who_can_assume_saved_file_replays_directly(tmp_path: Path) -> None:
    tr = write(tmp_path, "trust.json", _mixed_trust())
    saved = tmp_path / "witnesses.json"
    assert run(["who-can-assume", tr, "--save", str(saved)])[0] == 0
    code, _, err = run(["decide", str(saved)])
    assert code == 0, err


# =========================================================================== --semantics


def test_semantics_wildcard_matches_services(tmp_path: Path) -> None:
    star = write(tmp_path, "star.json", trust(stmt("*")))
    argv = ["check-access-not-granted", star, "--principal", "ec2.amazonaws.com"]
    assert run(argv)[0] == 0
    assert run([*argv, "--semantics", "wildcard_matches_services=false"])[0] == 0
    code, doc = run_json([*argv, "--semantics", "wildcard_matches_services=TRUE"])
    assert code == 1
    scenario = doc["scenario"]
    assert scenario["caller"] == {"service": "ec2.amazonaws.com"}
    assert scenario["semantics"]["wildcard_matches_services"] is True  # so the replay decides the same way
    replay(tmp_path, scenario)
    # services are never public, whichever the semantics
    assert run(["check-no-public-access", star, "--semantics", "wildcard_matches_services=true"])[0] == 1
    services = write(tmp_path, "svc.json", trust(stmt("*", {"Bool": {"aws:PrincipalIsAWSService": "true"}})))
    assert run(["check-no-public-access", services, "--semantics", "wildcard_matches_services=true"])[0] == 0


def test_semantics_wildcard_matches_services_in_who_can_assume(tmp_path: Path) -> None:
    services = write(tmp_path, "svc.json", trust(stmt("*", {"Bool": {"aws:PrincipalIsAWSService": "true"}})))
    assert run(["who-can-assume", services])[1] == "who-can-assume: nobody can assume this role\n"
    code, doc = run_json(["who-can-assume", services, "--semantics", "wildcard_matches_services=true"])
    assert code == 0, doc
    [f] = doc["findings"]
    assert f["principal"] == "*" and "service" in f["witness"]["caller"]
    replay(tmp_path, f["witness"])


# =========================================================================== bad input


def _bad_inputs(tmp_path: Path) -> list[tuple[list[str], list[str]]]:
    """(argv, what the one-line error must name)."""
    good = write(tmp_path, "good.json", trust(stmt(account(PARTNER))))
    ident = write(tmp_path, "ident.json", identity("*"))
    missing = str(tmp_path / "missing.json")
    not_json = write(tmp_path, "notjson.json", "{not json")
    bad_principal = write(tmp_path, "badprincipal.json", trust(stmt({"AWS": "arn:aws:iam::x:root"})))
    return [
        (["check-no-new-access", missing, good], [missing, "no such file", "(at $)"]),
        (["check-no-new-access", good, not_json], [not_json, "not JSON", "(at $)"]),
        (["who-can-assume", "-"], ["<stdin>", "(at $)"]),
        (["check-no-public-access", bad_principal], [bad_principal, "arn:aws:iam::x:root", "$.Statement[0].Principal"]),
        (["check-equivalent", bad_principal, good], [bad_principal, "(at $.Statement[0].Principal.AWS)"]),
        (["check-no-new-access", good, ident], [good, ident, "trust policy", "identity-based policy", "(at $)"]),
        (["check-equivalent", ident, good], [good, ident, "(at $)"]),
        (["external-id-required", ident], [ident, "Principal", "(at $.Statement[0])"]),
        (["who-can-assume", good, "--identity", good], [good, "principal", "(at $.Statement[0].Principal)"]),
        (["who-can-assume", good, "--semantics", "no_such_point=true"], ["--semantics", "(at no_such_point=true)"]),
        (["who-can-assume", good, "--semantics", "wildcard_matches_services=yes"], ["wildcard_matches_services"]),
        (["check-no-public-access", good, "--semantics", "wildcard_matches_services"], ["NAME=true|false"]),
        (
            ["check-no-public-access", good, "--timeout", "0"],
            ["--timeout takes seconds, more than 0", "(at --timeout)"],
        ),
        (["external-id-required", good, "--timeout", "-5"], ["(at --timeout)"]),
        (["check-no-public-access", good, "--role-arn", "not-an-arn"], ["not-an-arn", "(at --role-arn)"]),
        (["who-can-assume", good, "--role-arn", f"arn:aws:iam::{OWN}:user/bob"], ["(at --role-arn)"]),
        (["check-no-new-access", ident, ident, "--caller-arn", "nope"], ["nope", "(at --caller-arn)"]),
    ]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for argv, named in _bad_inputs(tmp_path):
        code, out, err = run(argv, stdin="[1, 2")
        assert code == 2 and out == "", (argv, out, err)
        assert err.startswith("rolecall: bad input: ") and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err and "internal error" not in err
        for text in named:
            assert text in err, (argv, text, err)


def test_usage_errors_exit_2() -> None:
    for argv in (
        ["check-no-new-access", "only-one.json"],
        ["who-can-assume", "t.json", "--timeout", "soon"],
        ["check-equivalent", "a.json", "b.json", "--frobnicate"],
    ):
        code, out, err = run(argv)
        assert code == 2 and out == "" and err.startswith("rolecall: error:"), (argv, err)
    code, out, err = run(["check-no-new-access", "--help"])
    assert code == 0 and out.startswith("usage: rolecall check-no-new-access") and "Exit 0 proved" in out


# =========================================================================== unknown: never a pass


_UNSUPPORTED = {
    "arn-wildcard-after-variable": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}*:role/x"}},
    "key-numeric-and-string": {
        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
        "StringEquals": {"aws:MultiFactorAuthAge": "10"},
    },
    "ignore-case-with-variable": {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "${aws:username}"}},
}


@pytest.mark.parametrize("construct", sorted(_UNSUPPORTED))
def test_unsupported_constructs_are_unknown(tmp_path: Path, construct: str) -> None:
    tr = write(tmp_path, "trust.json", trust(stmt(account(PARTNER), _UNSUPPORTED[construct])))
    plain = write(tmp_path, "plain.json", trust(stmt(account(PARTNER))))
    for argv in (
        ["check-no-public-access", tr, "--trusted-account", PARTNER],
        ["external-id-required", tr],
        ["check-no-new-access", plain, tr],
        ["check-equivalent", tr, plain],
        ["check-access-not-granted", tr, "--account", STRANGER],
    ):
        code, out, err = run(argv)
        assert (code, err) == (3, ""), (argv, out, err)
        assert "PROVED" not in out
        assert ": UNKNOWN\n  unsupported: " in out and "(an unknown is never a pass)" in out, out
    code, doc = run_json(["external-id-required", tr])
    assert code == 3 and doc["result"] == "unknown" and doc["reason"].startswith("unsupported: ")
    code, out, err = run(["who-can-assume", tr])
    assert code == 3 and err == ""
    assert "who-can-assume: UNKNOWN\n  unsupported: " in out  # no findings: none said to be incomplete
    assert "nobody can assume" not in out
    code, doc = run_json(["who-can-assume", tr])
    assert code == 3 and doc["result"] == "unknown" and doc["findings"] == []


def test_a_tiny_timeout_is_never_a_proof(tmp_path: Path) -> None:
    old = write(tmp_path, "old.json", trust(stmt(account(PARTNER), {"StringEquals": {"sts:ExternalId": "ext-id-1"}})))
    new = write(
        tmp_path, "new.json", trust(stmt(account(PARTNER), {"StringEqualsIfExists": {"sts:ExternalId": "ext-id-1"}}))
    )
    code, out, _ = run(["check-no-new-access", old, new, "--timeout", "0.001"])
    assert code in (1, 3) and "PROVED" not in out
    if code == 3:
        assert "UNKNOWN" in out and "never a pass" in out


# =========================================================================== decide --engine solver


def test_solver_engine_matches_the_model_on_the_spec_scenarios() -> None:
    files = sorted(str(p) for p in SPEC_SCENARIOS.glob("*.json"))
    assert len(files) > 40
    code_m, out_m, err_m = run(["decide", *files])
    code_s, out_s, err_s = run(["decide", "--engine", "solver", *files])
    assert (code_m, err_m) == (0, "") and (code_s, err_s) == (0, "")
    model = [json.loads(line) for line in out_m.splitlines()]
    solver = [json.loads(line) for line in out_s.splitlines()]
    assert len(model) == len(solver) == len(files)
    assert all("reasons" not in r for r in solver)
    assert any("reasons" in r for r in model)
    for m, s in zip(model, solver, strict=True):
        m.pop("reasons", None)
        assert m == s


def test_solver_engine_explain() -> None:
    allowed = [
        p
        for p in sorted(SPEC_SCENARIOS.glob("*.json"))
        if json.loads(p.read_text())["expect"] == {"decision": "allowed"}
    ][:4]
    [denied] = list(SPEC_SCENARIOS.glob("08-*.json"))
    assert allowed
    code, out, err = run(["decide", "--engine", "solver", "--explain", *map(str, allowed), str(denied)])
    assert (code, err) == (0, "")
    note = "  - (the solver engine reports no statements; decide with --engine model to see them)"
    assert out.count(note) == len(allowed)
    assert out.count("expectation: met") == len(allowed) + 1
    assert "denied by: the role trust policy, on sts:AssumeRole" in out
    code, out, _ = run(["decide", "--engine", "model", "--explain", *map(str, allowed)])
    assert code == 0 and "solver engine" not in out and "Allow in the role trust policy" in out


# =========================================================================== interruption


#: AWS's quota on a trust policy raised past the large policies below (2,048 non-whitespace characters by
#: default; 300 statements take some 40,000): they stand for a policy that takes long to encode
RAISED = ["--semantics", "trust_policy_size_quota=1000000"]


def _large_trust(tmp_path: Path) -> str:
    """300 statements, each with conditions: a query on it runs for many seconds."""
    statements = [
        stmt(
            account(f"{100000000000 + i:012d}"),
            {
                "StringLike": {"sts:ExternalId": f"ext-{i}-*"},
                "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/team-{i}/*"},
            },
        )
        for i in range(300)
    ]
    return write(tmp_path, "large.json", trust(*statements))


@pytest.mark.parametrize("argv", [["who-can-assume"], ["check-equivalent", "SAME"], ["check-no-public-access"]])
def test_ctrl_c_ends_a_query_at_once_and_never_as_a_proof(tmp_path: Path, argv: list[str]) -> None:
    """SIGINT while the query runs (inside a long Z3 call or a check): "rolecall: interrupted", exit
    130, nothing on standard output, no traceback. (Once, who-can-assume ignored five SIGINTs and
    check-equivalent interrupted printed PROVED.) The child's time limit is the harness's guard."""
    import signal
    import subprocess
    import sys
    import time

    path = _large_trust(tmp_path)
    command = [argv[0], path, *([path] if argv[1:] == ["SAME"] else []), "--timeout", "120", *RAISED]
    child = subprocess.Popen(
        [sys.executable, "-m", "rolecall.conformance.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a pytest-xdist worker ignores SIGINT, and a child inherits that: give it a shell's default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(1.5)
    assert child.poll() is None, child.communicate()  # still at work: the signal interrupts a running query
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 130, (out, err)
    assert out == "" and err == "rolecall: interrupted\n"


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "0", "-1"])
def test_a_timeout_outside_its_range_is_bad_input(tmp_path: Path, value: str) -> None:
    code, out, err = run(
        ["check-no-public-access", write(tmp_path, "t.json", trust(stmt(account(PARTNER)))), "--timeout", value]
    )
    assert (code, out) == (2, "") and err.startswith("rolecall: bad input: --timeout") and err.count("\n") == 1


def _big_trust(tmp_path: Path) -> str:
    """300 conditioned statements: encoding them takes longer than a short --timeout."""
    statements = [
        stmt(
            {"AWS": f"arn:aws:iam::{100000000000 + i:012d}:role/r{i}"},
            {"StringLike": {"aws:PrincipalTag/t": f"*a*b*{i}*"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        )
        for i in range(300)
    ]
    return write(tmp_path, "big.json", trust(*statements))


def test_a_deadline_leaves_z3_as_it_was(tmp_path: Path) -> None:
    """The deadline interrupts Z3's context; the command clears that on its way out, or the next query in
    the same process meets a rewriter that evaluates nothing and the pool stage's models stop meaning
    what they say (a proof became "no decoded counterexample replayed")."""
    import z3

    big = _big_trust(tmp_path)
    code, out, _ = run(["who-can-assume", big, "--timeout", "0.5", *RAISED])
    assert code == 3 and "UNKNOWN" in out, out  # the deadline (or, on a fast machine, the query's budget)
    assert z3.is_false(z3.simplify(z3.StringVal("ab") == z3.StringVal("b")))
    own = write(tmp_path, "own.json", trust(stmt({"AWS": "arn:aws:iam::111122223333:root"})))
    code, out, _ = run(["check-no-public-access", own])
    assert code == 0 and "PROVED" in out, out


def test_an_interrupt_is_cleared_on_the_way_out() -> None:
    """The clean-up the commands run after an interrupt: Z3's rewriter evaluates again."""
    import z3

    from rolecall.model.solver import clear_interrupt

    z3.main_ctx().interrupt()  # what the watcher does on Ctrl-C or the deadline
    assert not z3.is_false(z3.simplify(z3.StringVal("ab") == z3.StringVal("b")))  # the harm: nothing is evaluated
    clear_interrupt()
    assert z3.is_false(z3.simplify(z3.StringVal("ab") == z3.StringVal("b")))


def test_timeout_bounds_the_whole_command(tmp_path: Path) -> None:
    """--timeout bounds reading, encoding, every check and replay, not only Z3's checks: who-can-assume on
    300 conditioned statements answers UNKNOWN by the deadline plus a second, never after."""
    import time

    big = _big_trust(tmp_path)
    began = time.monotonic()
    code, out, err = run(["who-can-assume", big, "--timeout", "0.5", *RAISED])
    took = time.monotonic() - began
    assert code == 3 and err == "", err
    assert "UNKNOWN" in out and "time limit of 0.5 s" in out
    assert took < 0.5 + 1.0 + 0.5, took  # the deadline, its grace, and the slack of a loaded machine


def test_ctrl_c_while_the_program_loads_is_one_line() -> None:
    """A Ctrl-C that lands while ``rolecall`` still loads its modules (a second or more on a busy machine)
    once printed a traceback from inside an import and exited -2: now the same line and 130 as later.
    The child loads the CLI as the ``rolecall`` program does, then interrupts itself before main()."""
    import subprocess
    import sys

    code = (
        "import os, signal, sys, time\n"
        "sys.argv = ['rolecall', 'who-can-assume']\n"
        "import rolecall.conformance.cli\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "time.sleep(10)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (child.returncode, child.stdout, child.stderr) == (130, "", "rolecall: interrupted\n")
    # imported by a host (a test, the pytest plugin), the module leaves the host's Ctrl-C alone
    host = subprocess.run(
        [
            sys.executable,
            "-c",
            "import signal, rolecall.conformance.cli\n"
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert host.returncode == 0, host.stderr


def test_a_ctrl_c_python_loses_still_ends_the_query(tmp_path: Path) -> None:
    """Under load a Ctrl-C once landed in a Z3 term's finalizer, where Python drops the KeyboardInterrupt
    ("Exception ignored"): who-can-assume went on and printed UNKNOWN, check-equivalent ran on. The
    child drops every KeyboardInterrupt so; the signal still reaches the query (its wakeup pipe), which
    stops at its next step: exit 130, the one line, nothing on standard output."""
    import signal
    import subprocess
    import sys
    import time

    path = _large_trust(tmp_path)
    code = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, lambda signum, frame: None)  # Python loses every KeyboardInterrupt\n"
        "from rolecall.conformance.cli import main\n"
        f"sys.exit(main(['check-equivalent', {path!r}, {path!r}, '--timeout', '120', *{RAISED!r}]))\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    give_up = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < give_up:  # again until the query is running to see it
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert (child.returncode, out, err) == (130, "", "rolecall: interrupted\n")


def test_an_interrupt_request_stops_a_query_and_clears() -> None:
    """The flag behind it, in process: a query asked to stop raises KeyboardInterrupt at its first step;
    once cleared, the next query answers."""
    from rolecall.model import PolicyKind, parse_policy
    from rolecall.model.solver import clear_interrupt, request_interrupt
    from rolecall.model.solver import queries as q

    policy = parse_policy(trust(stmt(account(PARTNER))), PolicyKind.TRUST)
    request_interrupt()
    try:
        with pytest.raises(KeyboardInterrupt):
            q.check_no_public_access(policy)
    finally:
        clear_interrupt()
    assert isinstance(q.check_no_public_access(policy), q.Counterexample)


def test_a_half_built_z3_object_after_a_ctrl_c_is_not_reported() -> None:
    """A Ctrl-C that lands inside a Z3 object's ``__init__`` leaves it half-built; its finalizer then
    fails (AttributeError), and Python would print "Exception ignored in AstRef.__del__" under the one
    line of an interrupted command (a flake seen under load). The command's unraisable hook drops that
    once a Ctrl-C was received, and only then: any other unraisable error still reaches the previous hook."""
    import gc
    import sys

    import z3

    from rolecall.conformance import cli

    seen: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = cli._quiet_lost_interrupts(lambda u: seen.append(f"{u.exc_type.__name__} in {u.object}"))
    try:
        for interrupted in (True, False):
            cli._interrupts[:] = [2] if interrupted else []
            half = z3.AstRef.__new__(z3.AstRef)  # what a Ctrl-C inside AstRef.__init__ leaves
            del half
            gc.collect()
            assert bool(seen) is not interrupted, seen
    finally:
        sys.unraisablehook = previous
        cli._interrupts.clear()
    assert seen and seen[0].startswith("AttributeError in <function AstRef.__del__")
