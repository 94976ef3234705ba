"""Project-wide test configuration: Hypothesis profiles and shared paths.

Profiles (select with ``--hypothesis-profile=NAME`` or ``HYPOTHESIS_PROFILE``):
``dev`` (fast feedback), ``ci`` (the default, what CI runs), ``nightly`` (long).
Property tests scale their example counts from the profile; fuzz tests that must
reach a fixed total (for instance 10,000 malformed inputs) say so themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SPEC_SCENARIOS = ROOT / "tests" / "scenarios" / "spec"
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "tests" / "data" / "aws-managed-policies.jsonl.gz"  # copied from shared/corpus

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("nightly", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
