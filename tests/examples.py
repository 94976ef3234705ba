"""The one place that sizes a property test: every example count follows the loaded Hypothesis profile.

The project's profiles (``rolecall.strategies.register_profiles``) are ``dev`` (50 examples per
test), ``ci`` (300, derandomized; the default) and ``nightly`` (5,000). A test that needs more or
fewer examples than the profile's own count states what it needs *in the ci profile*, and
:func:`scaled` turns that into the loaded profile's count, in proportion: a test that draws 2,000
scenarios in ``ci`` draws 333 in ``dev`` and 33,333 in ``nightly``. The profile is the one loaded
by ``--hypothesis-profile`` or ``HYPOTHESIS_PROFILE`` (tests/conftest.py), read when the test
module is imported, after Hypothesis's pytest plugin has loaded it.

Counts that must not follow the profile (a fixed total a requirement names, such as the 10,000
malformed inputs of tests/unit/test_bad_input.py, or a minimum) say so where they are set.
"""

from __future__ import annotations

from hypothesis import settings

from rolecall.strategies import register_profiles

__all__ = ["CI_EXAMPLES", "profile_examples", "scaled"]

register_profiles()
#: Examples per test in the ci profile: the unit :func:`scaled` counts in.
CI_EXAMPLES: int = settings.get_profile("ci").max_examples


def profile_examples() -> int:
    """The loaded profile's own examples per test."""
    return settings().max_examples  # a settings object inherits the loaded profile


def scaled(in_ci: int, *, at_least: int = 1) -> int:
    """Examples for a test that runs ``in_ci`` of them in the ci profile, in the loaded profile's
    proportion (never fewer than ``at_least``)."""
    return max(at_least, round(in_ci * profile_examples() / CI_EXAMPLES))
