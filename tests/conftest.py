"""Project-wide test configuration: Hypothesis profiles and shared paths.

Profiles (select with ``--hypothesis-profile=NAME`` or ``HYPOTHESIS_PROFILE``):
``dev`` (fast feedback), ``ci`` (the default, what CI runs), ``nightly`` (long).
Property tests scale their example counts from the profile; fuzz tests that must
reach a fixed total (for instance 10,000 malformed inputs) say so themselves.
"""

from __future__ import annotations

from pathlib import Path

from rolecall.strategies import register_profiles

ROOT = Path(__file__).resolve().parent.parent
SPEC_SCENARIOS = ROOT / "tests" / "scenarios" / "spec"
FEDERATION_SCENARIOS = ROOT / "tests" / "scenarios" / "federation"
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "model" / "data" / "aws-managed-policies.jsonl.gz"  # shipped as package data

register_profiles(load=True)  # dev / ci / nightly, from HYPOTHESIS_PROFILE (default ci)
