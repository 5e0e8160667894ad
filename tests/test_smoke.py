import json
from pathlib import Path

import lambda_function

EVENTS = Path(__file__).resolve().parents[1] / "events"


def test_launch_answers():
    event = {
        "version": "1.0",
        "session": {"new": True, "sessionId": "s", "application": {"applicationId": "a"}, "user": {"userId": "u"}},
        "context": {"System": {"application": {"applicationId": "a"}, "user": {"userId": "u"}}},
        "request": {"type": "LaunchRequest", "requestId": "r", "timestamp": "2026-11-24T00:00:00Z", "locale": "en-US"},
    }
    out = lambda_function.lambda_handler(event, None)
    assert "back numbness" in json.dumps(out)
