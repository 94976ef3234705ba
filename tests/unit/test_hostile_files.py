"""Hostile files and paths, each tried in a process of its own under a memory limit (address space) and a
time limit that the harness enforces (issue 20): the answer is one ``rolecall:`` line and exit 2, never a
traceback, an "internal error" or a run of the whole suite before the problem is found.

The limits are the harness's guard against an input read whole or forever, not timing assertions: a
process that reads ``/dev/zero`` whole dies of the memory limit (``MemoryError``, an internal error) and
one that loops is killed at the time limit, and either fails the test on its exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.processes import rolecall

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "01-user-same-account.json")
MEMORY = 1 << 30  # bytes of address space: a Python process with rolecall and moto loaded takes ~0.3 GB
SECONDS = 60


def _limited(tmp_path: Path, *argv: str, memory: int = MEMORY) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))  # a --target module there
    return rolecall(tmp_path, *argv, path=path, timeout=SECONDS, memory=memory)


def _one_line(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    text = done.stdout + done.stderr
    assert done.returncode == code, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text and "INTERNALERROR" not in text, text[-3000:]
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rolecall:"), text[-3000:]
    return lines[0]


@pytest.fixture
def huge(tmp_path: Path) -> str:
    """A file of 3 GB of NULs (sparse: it takes no disk), as a mistaken path would name."""
    path = tmp_path / "disk.img"
    with path.open("wb") as fh:
        fh.truncate(3 << 30)
    return str(path)


@pytest.mark.parametrize("source", ["/dev/zero", "huge"])
def test_matrix_refuses_an_endless_report(tmp_path: Path, huge: str, source: str) -> None:
    report = huge if source == "huge" else source
    line = _one_line(_limited(tmp_path, "matrix", report, "-o", str(tmp_path / "matrix.out")))
    assert report in line and "longer than" in line


def test_matrix_refuses_a_report_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
    line = _one_line(_limited(tmp_path, "matrix", str(path), "-o", str(tmp_path / "matrix.out")))
    assert str(path) in line and "nested too deeply" in line


@pytest.mark.parametrize("source", ["/dev/zero", "huge"])
def test_replay_refuses_an_endless_accounts_file(tmp_path: Path, huge: str, source: str) -> None:
    accounts = huge if source == "huge" else source
    argv = ["replay", "--target", "endpoint", "--endpoint-url", "http://127.0.0.1:9", "--accounts", accounts, EXAMPLE]
    line = _one_line(_limited(tmp_path, *argv))
    assert accounts in line and "longer than" in line


def test_conformance_refuses_an_endless_expectations_file(tmp_path: Path, huge: str) -> None:
    argv = ["conformance", "--target", "model", "-q", "--report", str(tmp_path / "r"), "--expectations", huge]
    line = _one_line(_limited(tmp_path, *argv))
    assert f"--expectations {huge}" in line and "longer than" in line


def test_a_report_folder_that_is_a_dangling_link_is_refused_before_the_run(tmp_path: Path) -> None:
    """It used to run the whole suite, then end in "internal error: FileExistsError", the results lost."""
    link = tmp_path / "r"
    link.symlink_to(tmp_path / "gone" / "away")
    line = _one_line(_limited(tmp_path, "conformance", "--target", "model", "-q", "--report", str(link)))
    assert f"--report {link}" in line and "does not exist" in line
    assert not (tmp_path / "gone").exists()


def test_a_report_folder_where_nothing_can_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    """/proc takes no new files, even from root (a permission check alone let root through)."""
    line = _one_line(_limited(tmp_path, "conformance", "--target", "model", "-q", "--report", "/proc/rolecall-report"))
    assert "--report /proc/rolecall-report" in line and "cannot" in line


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--target", "endpoint", "--endpoint-url", "file:///etc/passwd"], "an emulator's URL is http"),
        (["--target", "endpoint", "--endpoint-url", "http://[::1"], "not a URL"),
        (["--target", "raises_on_import:make"], "importing 'raises_on_import' failed: RuntimeError"),
        (["--target", "exits_on_import:make"], "called sys.exit(7)"),
        (["--target", "no_such_module_here:make"], "cannot import 'no_such_module_here'"),
    ],
)
def test_conformance_names_a_bad_target_in_one_line(tmp_path: Path, argv: list[str], words: str) -> None:
    """What names or reaches the target is checked before pytest starts: one line, not pytest's
    "ERROR: …" and "no tests ran"."""
    (tmp_path / "raises_on_import.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(7)\n")
    accounts = tmp_path / "accounts.json"
    keys = {"access_key_id": "AKIAHOSTILE000000001", "secret_access_key": "s"}
    accounts.write_text(json.dumps({"accounts": {"111111111111": keys}}))
    if "endpoint" in argv:
        argv = [*argv, "--accounts", str(accounts)]
    done = _limited(tmp_path, "conformance", *argv, "-q", "--report", str(tmp_path / "r"))
    assert words in _one_line(done)
    assert done.stdout == ""


def test_a_matrix_written_through_a_link_keeps_the_link(tmp_path: Path) -> None:
    from rolecall.conformance._files import write_atomic

    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "CONFORMANCE.md"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "missing" / "x.txt")
    with pytest.raises(FileNotFoundError):
        write_atomic(dangling, "new")
    assert dangling.is_symlink()


def test_a_policy_of_a_million_wildcards_is_decided_in_bounded_memory(tmp_path: Path) -> None:
    """A 2 MB StringLike value of a million stars in an identity policy (the format cannot say whether a
    policy is an AWS managed one, which no size quota bounds): decided, not read as a unit and a regular
    expression per character (3 s and 360 MB before)."""
    doc = json.loads(Path(EXAMPLE).read_text())
    doc.pop("expect")
    statement = doc["caller"]["identity_policies"][0]["Statement"][0]
    statement["Condition"] = {"StringLike": {"aws:username": "*a" * (1 << 20)}}
    path = tmp_path / "stars.json"
    path.write_text(json.dumps(doc))
    done = _limited(tmp_path, "decide", str(path), memory=300 << 20)  # issue 20: within 300 MB
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    assert json.loads(done.stdout)["decision"] == "implicitDeny"  # alice ends in e, not a
