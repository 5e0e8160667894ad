"""The catch-all exception handler logs the error's type and where it happened (module:line of the project's own
code), never its message: messages carry values, here the words a person said. Real envelopes through the real
``lambda_handler``; the fault is injected by replacing one engine function for the length of a test."""

from __future__ import annotations

import json
import linecache
import logging
import sys

import pytest

import lambda_function
from skill.handlers.errors import error_location
from triage import durations, engine

from .conftest import envelope

SAID = "since my fall on the ice"  # what the person said: it ends up in the exception's message


def _launch() -> dict:
    return envelope({"type": "LaunchRequest"}, None, True, "session-error-log", "en-US")


def _error_fields(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    records = [r for r in caplog.records if r.getMessage().startswith("skill.error ")]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    record = records[0]
    assert record.levelno == logging.ERROR and record.exc_info is None and record.exc_text is None  # no traceback
    return dict(item.split("=", 1) for item in record.getMessage().split()[1:])


def _source_line(location: str) -> str:
    """'package.module:12' -> line 12 of that module's file."""
    module, line = location.rsplit(":", 1)
    return linecache.getline(sys.modules[module].__file__ or "", int(line))


def _nothing_logged_says(caplog: pytest.LogCaptureFixture, text: str) -> None:
    for r in caplog.records:
        assert text not in r.getMessage() and text not in str(r.args), r.getMessage()
        assert not r.exc_info and not r.exc_text


def test_an_error_raised_in_project_code_is_logged_with_its_module_and_line(caplog, monkeypatch):
    def next_step(*args: object, **kwargs: object) -> object:
        return durations.parse_duration(SAID)  # the project's own code raises ValueError("... 'since my fall…'")

    monkeypatch.setattr(engine, "next_step", next_step)
    caplog.set_level(logging.DEBUG)
    out = lambda_function.lambda_handler(_launch(), None)
    assert "something went wrong" in out["response"]["outputSpeech"]["ssml"]
    fields = _error_fields(caplog)
    assert fields["code"] == "ValueError"
    assert fields["where"].startswith("triage.durations:")
    assert "raise ValueError" in _source_line(fields["where"])
    assert "raised_in" not in fields  # the innermost frame is the project's own
    _nothing_logged_says(caplog, SAID)


def test_an_error_raised_in_a_library_names_the_project_line_that_called_it(caplog, monkeypatch):
    def next_step(*args: object, **kwargs: object) -> object:
        return json.loads(SAID)  # a library raises JSONDecodeError; the message quotes the text

    monkeypatch.setattr(engine, "next_step", next_step)
    caplog.set_level(logging.DEBUG)
    lambda_function.lambda_handler(_launch(), None)
    fields = _error_fields(caplog)
    assert fields["code"] == "JSONDecodeError"
    assert fields["where"].startswith("skill.")  # the handler code that called the engine
    assert "next_step(" in _source_line(fields["where"])
    assert fields["raised_in"].startswith("json.")
    _nothing_logged_says(caplog, SAID)


def test_error_location_without_a_traceback():
    assert error_location(ValueError(SAID)) == ("unknown", None)
