"""Hypothesis profiles for the fuzz tests (and the safety tests' bounded property checks).

    ci       (default) 150 examples, derandomized: the same examples on every run, so CI is reproducible.
    nightly  10,000 examples, random seeds, the example database on: HYPOTHESIS_PROFILE=nightly

Only the tests that ask for a profile use it (``settings(fuzz_profile())``): nothing here calls
``settings.load_profile``, so other test folders keep their own settings.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=150, derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "nightly",
    max_examples=10_000,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    **_COMMON,
)
