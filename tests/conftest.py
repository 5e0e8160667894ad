"""Fixtures shared by every test folder: dummy AWS credentials and a moto DynamoDB table shaped like the
template's (hash key ``id``). Never real AWS.

Hypothesis profiles, for every randomised test in the suite (loaded here, so no test can run unseeded):

    ci       (default; bin/test) derandomized, no example database: the same examples on every run, so a CI
             verdict never depends on the seed. 150 examples unless a test asks for another number.
    nightly  random seeds, the example database on, 10,000 examples where a test does not fix the number:
             HYPOTHESIS_PROFILE=nightly .venv/bin/python -m pytest tests/triage tests/fuzz
    seeded   the ci budget with the examples drawn from ``--hypothesis-seed`` (no database): to show a verdict does
             not hang on one seed, e.g. for N in 1..10:
             HYPOTHESIS_PROFILE=seeded .venv/bin/python -m pytest tests/triage --hypothesis-seed=N
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.persistence.helpers import TABLE

_COMMON: dict[str, Any] = {
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
settings.register_profile("seeded", max_examples=150, database=None, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and a region only; never real AWS."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "DATA_TTL_DAYS",
                "SKILL_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("TABLE_NAME", TABLE)


@pytest.fixture
def dynamodb(aws_env: None) -> Iterator[Any]:
    """A moto DynamoDB with the template's table shape (hash key ``id``)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        resource.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield resource

