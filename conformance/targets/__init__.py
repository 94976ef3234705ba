"""Targets: what the suite runs scenarios against (protocol in :mod:`rolecall.conformance.targets.base`).

Built-ins, by name: ``model`` (the reference model), ``solver`` (the model's Z3
engine, :func:`rolecall.model.solver.decide`), ``moto`` (moto in-process,
IAM enforcement on), ``moto-server`` (a ``ThreadedMotoServer`` the suite starts
on 127.0.0.1, the AssumeRole over HTTP), ``moto-server-http`` (the same with
every provisioning call over HTTP too), ``moto-exact`` and ``moto-exact-server`` (the ``moto`` and
``moto-server`` targets with rolecall's model deciding AssumeRole, :mod:`rolecall.conformance.moto_exact`)
and ``endpoint`` (any URL, with an accounts file naming the
credentials to use in each account). Anything else is an import path
``package.module:object`` naming a target object, or a class or factory that
builds one when called without arguments.
"""

from __future__ import annotations

import importlib
from typing import Any

from .base import (
    Capability,
    Outcome,
    Target,
    TargetConfigurationError,
    TargetError,
    TargetProtocol,
    TargetUnavailable,
)

__all__ = [
    "BUILTIN",
    "Capability",
    "Outcome",
    "Target",
    "TargetConfigurationError",
    "TargetError",
    "TargetProtocol",
    "TargetUnavailable",
    "import_target_module",
    "load_target",
]

BUILTIN = (
    "model",
    "solver",
    "moto",
    "moto-server",
    "moto-server-http",
    "moto-exact",
    "moto-exact-server",
    "endpoint",
)


def load_target(
    spec: str,
    *,
    endpoint_url: str | None = None,
    accounts: str | None = None,
    worker: str | None = None,
    deadline: float | None = None,
) -> TargetProtocol:
    """The target named by ``spec`` (a built-in name or ``package.module:object``), not started.

    ``deadline`` is the endpoint target's total deadline per call, in seconds (default
    ``EndpointTarget.DEADLINE``). Raises :class:`TargetConfigurationError` (bad input: exit 2) naming the
    problem in what was given.
    """
    if spec == "model":
        from .model import ModelTarget

        return ModelTarget()
    if spec == "solver":
        from .solver import SolverTarget

        return SolverTarget()
    if spec in ("moto", "moto-exact"):
        from .moto import MotoTarget

        return MotoTarget(worker, exact=spec == "moto-exact")
    if spec in ("moto-server", "moto-server-http", "moto-exact-server"):
        from .moto import MotoServerTarget

        return MotoServerTarget(
            worker, provision="http" if spec == "moto-server-http" else "backend", exact="exact" in spec
        )
    if spec == "endpoint":
        from .endpoint import EndpointTarget

        if not endpoint_url:
            raise TargetConfigurationError(
                "target 'endpoint' needs an endpoint URL (--endpoint-url; pytest: "
                "--rolecall-endpoint-url or ROLECALL_ENDPOINT_URL)"
            )
        if not accounts:
            raise TargetConfigurationError(
                "target 'endpoint' needs an accounts file (--accounts FILE; pytest: "
                "--rolecall-accounts or ROLECALL_ACCOUNTS)"
            )
        if deadline is None:
            return EndpointTarget(endpoint_url, accounts)
        return EndpointTarget(endpoint_url, accounts, deadline=deadline)
    module = import_target_module(spec)
    module_name, _, attr = spec.partition(":")
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TargetConfigurationError(f"target {spec!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, type) or (not isinstance(obj, TargetProtocol) and callable(obj)):
        try:
            obj = obj()
        except Exception as exc:
            raise TargetConfigurationError(
                f"target {spec!r}: building it failed: {type(exc).__name__}: {exc}"
            ) from None
    if not isinstance(obj, TargetProtocol):
        missing = [
            m for m in ("name", "version", "capabilities", "start", "stop", "prepare", "run") if not hasattr(obj, m)
        ]
        raise TargetConfigurationError(
            f"target {spec!r} does not follow the target protocol: missing {', '.join(missing)} (see docs/targets.md)"
        )
    return obj


def import_target_module(spec: str) -> Any:
    """The module of a ``package.module:object`` target spec, imported; :class:`TargetConfigurationError`
    when ``spec`` is no such path or the module fails to import (raises, calls ``sys.exit``)."""
    if ":" not in spec:
        raise TargetConfigurationError(
            f"unknown target {spec!r}: use one of {', '.join(BUILTIN)} or an import path package.module:object"
        )
    module_name = spec.partition(":")[0]
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetConfigurationError(f"target {spec!r}: cannot import {module_name!r} ({exc})") from None
    except SystemExit as exc:  # a module that calls sys.exit() on import
        raise TargetConfigurationError(
            f"target {spec!r}: importing {module_name!r} called sys.exit({exc.code})"
        ) from None
    except Exception as exc:  # the user's module failed on import: their input, told in one line
        raise TargetConfigurationError(
            f"target {spec!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
