"""PRIVACY.md against what the code and template.yaml actually do: the retention days, the bounds of
DATA_TTL_DAYS, log retention, backups, encryption, where records live, and the phrases it tells people to say
(each one understood by the interaction model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hosting import sqlite_persistence
from skill import persistence
from tools import build_models
from tools.invoke import load_template
from tools.nlu import LocalNlu

ROOT = Path(__file__).resolve().parents[2]
POLICY = (ROOT / "PRIVACY.md").read_text(encoding="utf-8")
TEXT = " ".join(POLICY.split())  # line breaks as spaces
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
TABLE = RESOURCES["SkillTable"]["Properties"]
# What the policy tells people to say to the skill, and the intent each must reach.
SAID = {
    "Alexa, ask Back Numbness Helper to delete my data": "DeleteDataIntent",
    "delete my data": "DeleteDataIntent",
    "forget me": "DeleteDataIntent",
    "what did you tell me last time?": "LastResultIntent",
    "stop remembering me": "StopRememberingIntent",
}


def test_the_days_kept_are_the_days_the_code_and_template_use():
    days = persistence.DEFAULT_TTL_DAYS
    assert days == sqlite_persistence.DEFAULT_TTL_DAYS
    assert TEMPLATE["Parameters"]["DataTtlDays"]["Default"] == days
    assert f"for {days} days after you last use it" in TEXT
    assert f"kept for **{days} days after the last conversation in which the skill saved it**" in TEXT
    assert "`DATA_TTL_DAYS` setting" in TEXT
    low, high = TEMPLATE["Parameters"]["DataTtlDays"]["MinValue"], TEMPLATE["Parameters"]["DataTtlDays"]["MaxValue"]
    assert f"{low} to {high}" in TEXT
    assert TABLE["TimeToLiveSpecification"] == {"AttributeName": persistence.TTL_ATTRIBUTE, "Enabled": True}


def test_logs_backups_and_encryption_are_as_the_policy_says():
    retention = RESOURCES["SkillLogGroup"]["Properties"]["RetentionInDays"]
    assert f"are deleted after {retention} days" in TEXT
    assert TABLE["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert "continuous backup (point-in-time recovery) for up to 35 days" in TEXT  # AWS's fixed PITR window
    assert TABLE["SSESpecification"]["SSEEnabled"] is True
    assert "encrypted at rest" in TEXT


def test_the_policy_names_where_and_whose_records_and_how_to_delete_them():
    for words in ("Amazon DynamoDB", "SQLite", "AWS region", "voice ID", "belongs to the Amazon account",
                  "Alexa app", "delete my data", "not directed at children", "not a substitute for professional"):
        assert words in TEXT, words
    assert "## Who we are and how to contact us" in POLICY
    assert build_models.CONTACT_PLACEHOLDER in POLICY  # the deployer fills it in; a release build insists


@pytest.mark.parametrize(("phrase", "intent"), sorted(SAID.items()))
def test_every_phrase_the_policy_suggests_is_understood(phrase, intent):
    assert f'"{phrase}"' in TEXT
    understood = LocalNlu.for_locale("en-US").understand(phrase)
    assert understood.intent == intent, f"{phrase!r} -> {understood.intent}"
