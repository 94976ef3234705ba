"""The project's Hypothesis profiles (private; see :func:`rolecall.strategies.register_profiles`)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILES = ("dev", "ci", "nightly")


def register_profiles(load: bool = False) -> None:
    """Register the Hypothesis profiles ``dev`` (50 examples), ``ci`` (300, derandomized and
    without the example database, so that every run draws the same examples; the default) and
    ``nightly`` (5,000); no deadline, ``too_slow`` suppressed in ``ci`` and ``nightly``. Idempotent.
    With ``load``, also load the profile named by ``HYPOTHESIS_PROFILE`` (default ``ci``)."""
    settings.register_profile("dev", max_examples=50, deadline=None)
    settings.register_profile(
        "ci",
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
        database=None,
    )
    settings.register_profile("nightly", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    if load:
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
