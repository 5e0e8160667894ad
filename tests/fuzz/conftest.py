"""The fuzz tests use the suite's Hypothesis profiles (tests/conftest.py): ``ci`` (150 derandomized examples,
the default in bin/test) and ``nightly`` (10,000 examples, random seeds): HYPOTHESIS_PROFILE=nightly."""
