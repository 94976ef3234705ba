"""One namespace: rolecall installs ``rolecall.model``, ``rolecall.strategies`` and ``rolecall.conformance``,
and nothing else at the top level, so a user's project with modules of those names keeps working.

The reported collision: a project with its own ``model.py`` broke ``from strategies import scenarios``
(``No module named 'model.arn'``) and every shipped property under ``pytest --pyargs conformance``.
Each test here runs in a subprocess whose working directory is such a project (its folder comes
first on ``sys.path``), against the installed rolecall.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

USER_MODULES = {
    "model.py": "WHO = 'the user'\n",
    "strategies.py": "WHO = 'the user'\n",
    "conformance/__init__.py": "WHO = 'the user'\n",
    "conformance/test_mine.py": "def test_mine() -> None:\n    assert True\n",
}


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    for name, text in USER_MODULES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _run(cwd: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS"))}
    env["PYTHONPATH"] = str(cwd)  # the user's folder first, as a project's own modules are
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_users_model_and_rolecalls_live_side_by_side(user_project: Path) -> None:
    code = (
        "import model, strategies, conformance\n"
        "from hypothesis import given, settings\n"
        "from rolecall.strategies import scenarios\n"
        "from rolecall.model import decide, load_scenario\n"
        "assert model.WHO == strategies.WHO == conformance.WHO == 'the user'\n"
        "@settings(max_examples=20, database=None)\n"
        "@given(scenarios())\n"
        "def check(doc):\n"
        "    decide(load_scenario(doc))\n"
        "check()\n"
        "print('ok')\n"
    )
    done = _run(user_project, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_shipped_properties_run_beside_a_users_conformance_package(user_project: Path) -> None:
    """The pytest-plugin route with the user's own ``conformance`` package and ``model`` module
    imported first: the shipped properties import as ``rolecall.conformance.test_*``."""
    (user_project / "conftest.py").write_text("import conformance, model\n", encoding="utf-8")
    done = _run(
        user_project,
        "-m",
        "pytest",
        "--pyargs",
        "rolecall.conformance",
        "--rolecall-target",
        "model",
        "--hypothesis-profile",
        "dev",
        "-k",
        "same_account",
        "-p",
        "no:cacheprovider",
        "-q",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout


def test_rolecall_conformance_runs_beside_a_users_modules(user_project: Path) -> None:
    done = _run(
        user_project,
        "-m",
        "rolecall.conformance.cli",
        "conformance",
        "--target",
        "model",
        "--profile",
        "dev",
        "-k",
        "same_account",
        "-q",
        "--report",
        str(user_project / "report"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_only_rolecall_is_installed_at_the_top_level() -> None:
    # the installed distribution (a build leaves rolecall.egg-info in the source folder, on sys.path here)
    purelib = sysconfig.get_paths()["purelib"]
    dists = [d for d in importlib.metadata.distributions(path=[purelib]) if d.metadata["Name"] == "rolecall"]
    assert len(dists) == 1, purelib
    files = dists[0].files or []
    tops = {f.parts[0] for f in files if f.parts and not f.parts[0].endswith((".dist-info", ".pth"))}
    tops = {t for t in tops if t != ".." and not t.startswith("__editable__")}  # console scripts; a finder
    assert tops <= {"rolecall"}, tops
    for name in ("model", "strategies", "conformance"):
        spec = importlib.util.find_spec(f"rolecall.{name}")
        assert spec is not None and spec.origin is not None
        assert (Path(spec.origin).parent / "py.typed").exists(), name
