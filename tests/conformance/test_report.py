"""The conformance report: report.json, the CONFORMANCE.md matrix, JUnit properties, reproduction scripts."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance._report import (
    FORMAT,
    ReportError,
    build_report,
    junit_properties,
    load_reports,
    matrix,
    merge_data,
    reproduce_script,
    write_report,
)
from rolecall.conformance._world import Unsupported
from rolecall.conformance.expectations import Expectation, Expectations, signature_of
from rolecall.conformance.session import Conformance, NewDivergence
from rolecall.conformance.targets import load_target

from ..conftest import EXAMPLES

pytest.importorskip("moto")

A, B, C = "111111111111", "222222222222", "333333333333"


def _allow(resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}],
    }


def _trust(principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
    }


#: cross-account, the trust names a third account: AWS denies, moto never evaluates cross-account trust
CROSS: dict[str, Any] = {
    "id": "cross-account user, the trust names someone else",
    "caller": {"arn": f"arn:aws:iam::{A}:user/alice", "identity_policies": [_allow(f"arn:aws:iam::{B}:role/R")]},
    "role": {"arn": f"arn:aws:iam::{B}:role/R", "trust_policy": _trust(f"arn:aws:iam::{C}:root")},
    "request": {"role_session_name": "s1"},
}

#: a role-session caller with everything the plan can carry
ROLE_SESSION: dict[str, Any] = {
    "id": "role session with a boundary, a session policy, tags and a source identity",
    "caller": {
        "arn": f"arn:aws:sts::{A}:assumed-role/RA/s0",
        "role_path": "/team/",
        "identity_policies": [_allow("*")],
        "permissions_boundary": _allow("*"),
        "session_policy": _allow(f"arn:aws:iam::{B}:role/*"),
        "tags": {"team": "blue", "cost": "42"},
        "transitive_tag_keys": ["team"],
        "source_identity": "alice",
    },
    "role": {
        "arn": f"arn:aws:iam::{B}:role/ops/R",
        "trust_policy": _trust(f"arn:aws:iam::{A}:role/team/RA"),
        "max_session_duration": 7200,
        "tags": {"env": "prod"},
    },
    "request": {
        "role_session_name": "s1",
        "duration_seconds": 3600,
        "external_id": 'it\'s "quoted"',
        "policy": json.dumps(_allow("*")),
        "tags": [{"Key": "project", "Value": "x"}],
        "source_identity": "alice",
    },
}

#: a session of the target role assuming the role itself
SELF_ASSUME: dict[str, Any] = {
    "caller": {"arn": f"arn:aws:sts::{A}:assumed-role/R/s0", "identity_policies": [_allow(f"arn:aws:iam::{A}:role/R")]},
    "role": {
        "arn": f"arn:aws:iam::{A}:role/R",
        "trust_policy": _trust(f"arn:aws:iam::{A}:role/R"),
        "max_session_duration": 3600,
    },
    "request": {"role_session_name": "s1"},
}

#: the role does not exist
MISSING: dict[str, Any] = {
    "caller": {"arn": f"arn:aws:iam::{A}:user/bob", "identity_policies": [_allow("*")]},
    "role": {"arn": f"arn:aws:iam::{A}:role/Nope", "trust_policy": _trust(f"arn:aws:iam::{A}:root"), "exists": False},
    "request": {"role_session_name": "s1"},
}


# ---------------------------------------------------------------------------------------------- a real run


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[Conformance, Expectation]]:
    """A moto session that met one new divergence, then the same one as a known one, and replayed it."""
    target = load_target("moto")
    target.start()
    try:
        conf = Conformance(target, Expectations(target="moto", version=target.version))
        with pytest.raises(NewDivergence) as info:
            conf.check(CROSS, "cross-account")
        conf.new.append(info.value.divergence)
        d = info.value.divergence
        entry = Expectation(
            "moto-cross-account-trust",
            "cross-account",
            "moto never evaluates cross-account trust",
            signature_of(d.facts),
            d.scenario,
            "https://github.com/getmoto/moto/issues/0",
        )
        conf.expectations = Expectations(
            target="moto", version=target.version, entries=[entry], path=Path("conformance/expectations/moto.toml")
        )
        conf.check(CROSS, "cross-account")
        conf.check(CROSS, "cross-account")
        assert conf.replay(entry)[0] == "holds"
        yield conf, entry
    finally:
        target.stop()


META = {
    "rolecall_version": "0.1.0",
    "target_name": "moto",
    "target_version": "5.2.5",
    "capabilities": ["user-callers", "multi-account"],
    "profile": "ci",
    "started": 1_700_000_000.0,
    "duration_seconds": 12.3456,
}

TESTS = {
    "cross-account": {"passed": 1, "failed": 1, "skipped": 0, "error": 0, "skip_reasons": []},
    "organizations": {
        "passed": 0,
        "failed": 0,
        "skipped": 2,
        "error": 0,
        "skip_reasons": ["needs organizations", "needs organizations"],
    },
    "expectations": {"passed": 1, "failed": 0, "skipped": 0, "error": 0, "skip_reasons": []},
}


@pytest.fixture(scope="module")
def report(run: tuple[Conformance, Expectation]) -> dict[str, Any]:
    conf, _ = run
    data = json.loads(json.dumps(conf.data()))  # as it crosses the pytest-xdist boundary
    return build_report(META, TESTS, data, conf.expectations)


def test_report_structure(report: dict[str, Any]) -> None:
    assert report["format"] == FORMAT
    assert report["target"] == {"name": "moto", "version": "5.2.5", "capabilities": ["multi-account", "user-callers"]}
    assert report["profile"] == "ci" and report["rolecall_version"] == "0.1.0"
    assert report["started"].startswith("2023-11-14T22:13:20")
    assert report["duration_seconds"] == pytest.approx(12.346)
    assert report["python"].startswith("3.") and report["platform"]
    assert set(report["features"]) == {"cross-account", "organizations", "expectations"}
    ca = report["features"]["cross-account"]
    assert ca == {
        "passed": 1,
        "failed": 1,
        "skipped": 0,
        "error": 0,
        "skip_reasons": [],
        "examples": 3,
        "agreed": 0,
        "known": 2,
        "open": 0,
        "new": 0,
        "unsupported": 0,
        "order_avoided": 0,
        "target_errors": 0,
        "first_new_at": 1,
    }
    assert report["features"]["organizations"]["first_new_at"] is None
    assert report["features"]["organizations"]["skip_reasons"] == ["needs organizations"]
    assert report["expectations"] == {
        "file": "conformance/expectations/moto.toml",
        "version": "5.2.5",
        "entries": 1,
        "replayed": {"moto-cross-account-trust": "holds"},
    }
    assert json.loads(json.dumps(report)) == report  # JSON-ready


def test_report_divergences(report: dict[str, Any]) -> None:
    new = [d for d in report["divergences"] if d["status"] == "new"]
    known = [d for d in report["divergences"] if d["status"] == "known"]
    assert len(new) == 1 and len(known) == 1
    d = new[0]
    assert d["feature"] == "cross-account" and d["expectation"] is None
    assert d["difference"]["aspect"] == "decision"
    assert d["model"]["decision"] == "implicitDeny" and d["target"]["result"]["decision"] == "allowed"
    assert d["scenario"]["role"]["trust_policy"] == CROSS["role"]["trust_policy"]  # the user's account ids
    assert "sts.assume_role" not in d["reproduce"] and "assume_role(**PARAMS)" in d["reproduce"]
    assert known[0]["expectation"] == "moto-cross-account-trust"
    (k,) = report["known"]
    assert k["id"] == "moto-cross-account-trust" and k["hits"] == 2 and k["replay"] == "holds"
    assert k["link"].startswith("https://") and k["signature"]["accounts"] == "cross"
    assert k["counterexample"]["role"]["arn"] == CROSS["role"]["arn"] and k["reproduce"]
    assert report["summary"] == {
        "passed": 2,
        "failed": 1,
        "skipped": 2,
        "error": 0,
        "new_divergences": 1,
        "known_divergences": 1,
        "known_hits": 2,
        "expectations_fixed": 0,
        "open_points": {},
        "unverified": 0,
        "classes": 1,
        "order_avoided": 0,
        "examples": 3,
        "target_errors": 0,
    }


def test_junit_properties(report: dict[str, Any]) -> None:
    props = dict(junit_properties(report))
    assert props["rolecall_target"] == "moto" and props["rolecall_target_version"] == "5.2.5"
    assert props["rolecall_profile"] == "ci" and props["rolecall_new_divergences"] == "1"
    assert all(isinstance(v, str) for v in props.values())


def test_matrix(report: dict[str, Any]) -> None:
    other = copy.deepcopy(report)
    other["target"]["name"], other["target"]["version"] = "moto-server", "5.2.5"
    other["divergences"] = [d for d in other["divergences"] if d["status"] == "known"]
    other["features"]["cross-account"]["failed"] = 0
    other["features"]["same-account"] = {
        "passed": 3,
        "failed": 0,
        "skipped": 0,
        "error": 0,
        "skip_reasons": [],
        "examples": 300,
        "agreed": 300,
        "known": 0,
        "unsupported": 0,
    }
    text = matrix([report, other])
    assert "never edited by hand" in text and "rolecall conformance" in text
    assert "| feature | moto 5.2.5 | moto-server 5.2.5 |" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert set(rows) >= {"cross-account", "organizations", "expectations", "same-account"}
    assert "❌ 1 new" in rows["cross-account"] and "⚠️ known 2" in rows["cross-account"]
    assert "⏭ skipped (needs organizations)" in rows["organizations"]
    assert rows["same-account"].endswith("| — | ✅ 300/300 |")
    assert "## moto 5.2.5" in text and "## moto-server 5.2.5" in text
    assert "`moto-cross-account-trust` (cross-account): moto never evaluates cross-account trust" in text
    assert "<details><summary>scenario</summary>" in text and '"role_session_name": "s1"' in text
    assert "**Totals**: 2 passed, 1 failed, 2 skipped, 0 errors" in text


def test_write_and_load(report: dict[str, Any], tmp_path: Path) -> None:
    other = copy.deepcopy(report)
    other["target"]["name"] = "moto-server"
    other_path = tmp_path / "server" / "report.json"
    write_report(other_path.parent, other)
    out = tmp_path / "out"
    json_path, md_path = write_report(out, report, [other_path, out / "report.json"])
    assert json_path == out / "report.json" and md_path == out / "CONFORMANCE.md"
    assert json_path.read_text(encoding="utf-8").startswith('{\n  "classes"')  # indent 2, sorted keys
    assert load_reports([json_path]) == [report]
    md = md_path.read_text(encoding="utf-8")
    assert "| feature | moto 5.2.5 | moto-server 5.2.5 |" in md  # this report once, plus the other
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something-else/9"}), encoding="utf-8")
    with pytest.raises(ReportError, match="unsupported report format"):
        load_reports([bad])
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ReportError, match="not a rolecall conformance report"):
        load_reports([bad])
    with pytest.raises(ReportError, match="cannot read"):
        load_reports([tmp_path / "missing.json"])


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (lambda r: r.update(features="x"), "$.features: expected an object"),
        (lambda r: r.update(summary={}), "$.summary.passed: expected a whole number"),
        (lambda r: r.update(divergences=[1]), "$.divergences[0]: expected an object"),
        (lambda r: r.update(known=[{"id": 1}]), "$.known[0]: expected an id and a feature"),
        (lambda r: r["features"]["cross-account"].update(passed="2"), '$.features["cross-account"].passed'),
        (lambda r: r.update(target=[]), "$.target: expected an object"),
    ],
)
def test_a_damaged_report_is_refused_with_its_path(
    report: dict[str, Any], tmp_path: Path, damage: Any, where: str
) -> None:
    """A report edited by hand or written by another tool: one error naming the field, never a crash."""
    broken = copy.deepcopy(report)
    damage(broken)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load_reports([path])
    assert str(caught.value).startswith(f"{path}: ") and where in str(caught.value)


def test_an_interrupted_run_is_marked_so(run: tuple[Conformance, Expectation]) -> None:
    conf, _ = run
    data = json.loads(json.dumps(conf.data()))
    whole = build_report(META, TESTS, data, conf.expectations)
    cut = build_report({**META, "interrupted": True}, TESTS, data, conf.expectations)
    assert whole["interrupted"] is False and cut["interrupted"] is True
    assert "**Interrupted**" in matrix([cut]) and "**Interrupted**" not in matrix([whole])


def test_merge_data() -> None:
    d1 = {
        "counts": {"f": {"examples": 10, "agreed": 8, "known": 2, "unsupported": 1}},
        "known_hits": {"k1": 2},
        "known_examples": {"k1": {"n": 1}},
        "new": [{"n": "a"}],
        "replayed": {"k1": "holds", "k2": "holds"},
        "first_new": {"f": 7},
        "open_hits": {"order": 2},
        "open_examples": {"order": {"n": "o1"}},
    }
    d2 = {
        "first_new": {"f": 3, "g": 9},
        "counts": {
            "f": {"examples": 5, "agreed": 5, "known": 0, "unsupported": 0},
            "g": {"examples": 1, "agreed": 1, "known": 0, "unsupported": 0},
        },
        "known_hits": {"k1": 3, "k3": 1},
        "known_examples": {"k1": {"n": 2}, "k3": {"n": 3}},
        "new": [{"n": "b"}],
        "replayed": {"k2": "changed"},
        "open_hits": {"order": 1, "wording": 4},
        "open_examples": {"order": {"n": "o2"}, "wording": {"n": "w"}},
        "target_errors": [{"feature": "g", "message": "refused"}],
    }
    m = merge_data([d1, d2])
    assert m["target_errors"] == [{"feature": "g", "message": "refused"}]
    assert m["counts"] == {
        "f": {"examples": 15, "agreed": 13, "known": 2, "open": 0, "new": 0, "unsupported": 1, "order_avoided": 0}
        | {"target_errors": 0},
        "g": {"examples": 1, "agreed": 1, "known": 0, "open": 0, "new": 0, "unsupported": 0, "order_avoided": 0}
        | {"target_errors": 0},
    }
    assert m["open_hits"] == {"order": 3, "wording": 4}
    assert m["open_examples"] == {"order": {"n": "o1"}, "wording": {"n": "w"}}
    assert m["known_hits"] == {"k1": 5, "k3": 1}
    assert m["known_examples"] == {"k1": {"n": 1}, "k3": {"n": 3}}
    assert m["new"] == [{"n": "a"}, {"n": "b"}]
    assert m["replayed"] == {"k1": "holds", "k2": "changed"}
    assert m["first_new"] == {"f": 3, "g": 9}
    assert merge_data([]) == {
        "counts": {},
        "known_hits": {},
        "known_examples": {},
        "new": [],
        "replayed": {},
        "first_new": {},
        "open_hits": {},
        "open_examples": {},
        "target_errors": [],
        "classes": {},
    }
    r = build_report(
        {**META, "started": time.time()},
        {},
        {**m, "new": [], "known_examples": {}, "open_examples": {}},
        Expectations(target="moto"),
    )
    assert r["features"]["f"]["first_new_at"] == 3 and r["features"]["g"]["first_new_at"] == 9


def test_build_report_without_observations() -> None:
    r = build_report({**META, "started": time.time()}, {}, merge_data([]), Expectations(target="moto"))
    assert r["features"] == {} and r["divergences"] == [] and r["known"] == []
    assert r["expectations"]["file"] is None
    assert r["summary"]["new_divergences"] == 0


# ---------------------------------------------------------------------------------------------- reproduce


def _run_scripts(scripts: dict[str, str], tmp_path: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    paths = {}
    for name, text in scripts.items():
        compile(text, name, "exec")
        path = tmp_path / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        paths[name] = path

    def one(path: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("ENDPOINT_URL", "MOTO_RESET")}
        return subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(paths, pool.map(one, paths.values()), strict=True))


def test_reproduce_scripts_run(report: dict[str, Any], tmp_path: Path) -> None:
    scripts = {
        f.stem: reproduce_script(json.loads(f.read_text(encoding="utf-8")))
        for f in sorted(EXAMPLES.glob("0[1-4]-*.json"))
    }
    scripts["role_session"] = reproduce_script(ROLE_SESSION)
    scripts["self_assume"] = reproduce_script(SELF_ASSUME, {"decision": "allowed"})
    scripts["missing"] = reproduce_script(MISSING)
    new = next(d for d in report["divergences"] if d["status"] == "new")
    scripts["divergence"] = new["reproduce"]
    results = _run_scripts(scripts, tmp_path)
    for name, r in results.items():
        assert r.returncode == 0, f"{name}:\n{r.stdout}\n{r.stderr}"
        assert r.stdout.startswith("outcome: "), f"{name}:\n{r.stdout}\n{r.stderr}"
    # what moto answers (docs/emulators.md): cross-account trust is never evaluated, same-account needs an
    # identity allow
    assert results["02-user-cross-account"].stdout.startswith(f"outcome: allowed arn:aws:sts::{B}:assumed-role/R/s1")
    assert results["divergence"].stdout.startswith(f"outcome: allowed arn:aws:sts::{B}:assumed-role/R/s1")
    assert "expected (AWS, per the rolecall model): implicitDeny (role trust policy)" in results["divergence"].stdout
    assert "expected (AWS, per the rolecall model): allowed" in results["01-user-same-account"].stdout
    # moto's STS answers for a role that does not exist (its AssumeRole never looks the role up)
    assert results["missing"].stdout.startswith("outcome: allowed arn:aws:sts::111111111111:assumed-role/Nope/s1")


def test_reproduce_script_content() -> None:
    text = reproduce_script(ROLE_SESSION)
    trust = json.dumps(ROLE_SESSION["role"]["trust_policy"])
    assert f"TRUST_POLICY = {trust!r}" in text  # the exact JSON text, as a Python literal
    assert f"    'Policy': {ROLE_SESSION['request']['policy']!r}," in text
    assert "'ExternalId': 'it\\'s \"quoted\"'," in text
    assert "PermissionsBoundary=boundary" in text and "CALLER_SESSION_POLICY" in text
    assert "TransitiveTagKeys=['team']" in text and "SourceIdentity='alice'" in text
    assert "Path='/team/'" in text and "Path='/ops/'" in text and "MaxSessionDuration=7200" in text
    assert "client(\"iam\", '222222222222')" in text
    assert "x-moto-account-id" in text and 'moto_api("reset-auth", unauthenticated)' in text
    assert "ENDPOINT_URL" in text
    assert "parameter_validation=False" in text and "mock_aws" in text
    self_text = reproduce_script(SELF_ASSUME)
    assert self_text.count("create_role(") == 1 and "the target role is the caller's role" in self_text
    assert "create_role(" not in reproduce_script(MISSING).split("def provision")[1].split("def error_text")[0]


@pytest.mark.parametrize("title", ["see C:\\xdocs\\new", 'ends in """ quotes """', "a\\", "\\N{x} \\u12"])
def test_reproduce_script_with_any_hand_written_reason_compiles(title: str) -> None:
    """A reason edited by hand becomes the script's title: backslashes and triple quotes are text."""
    text = reproduce_script(ROLE_SESSION, title=title)
    compile(text, "reproduce.py", "exec")
    namespace: dict[str, Any] = {}
    exec(compile(text.split("\nimport ", 1)[0], "head", "exec"), namespace)  # the docstring alone
    assert " ".join(title.split()).replace('"""', "'''") in namespace["__doc__"]


def test_reproduce_script_unsupported_caller() -> None:
    with pytest.raises(Unsupported):
        reproduce_script(json.loads((EXAMPLES / "05-ec2-instance-role.json").read_text(encoding="utf-8")))


def test_reproduce_script_on_a_moto_server(tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        path = tmp_path / "cross.py"
        path.write_text(reproduce_script(CROSS), encoding="utf-8")
        env = {**os.environ, "ENDPOINT_URL": f"http://127.0.0.1:{port}", "MOTO_RESET": "1"}
        for _ in range(2):  # twice: MOTO_RESET=1 frees the names
            r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, env=env)
            assert r.returncode == 0, r.stderr
            assert r.stdout.startswith(f"outcome: allowed arn:aws:sts::{B}:assumed-role/R/s1"), r.stdout + r.stderr
    finally:
        server.stop()
