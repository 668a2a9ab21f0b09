"""Structured logs: JSON or console lines, bound context, no exception message, no secret."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy.exc import IntegrityError

from ground.config import Settings
from ground.ops.logs import (
    REDACTED,
    bind_context,
    configure_logging,
    current_request_id,
    get_logger,
    unbind_context,
)
from tests.fixtures.logs import LogOutput

RESIDENT_ID = "110105199003071234"


def test_json_lines_carry_level_logger_time_and_fields(log_output: LogOutput) -> None:
    get_logger("sluice.test").info("dataset profiled", dataset_id="d-1", rows=40)
    [line] = log_output.events("dataset profiled")
    assert line["level"] == "info"
    assert line["logger"] == "sluice.test"
    assert line["timestamp"].endswith("Z")
    assert (line["dataset_id"], line["rows"]) == ("d-1", 40)


def test_stdlib_loggers_and_their_extra_fields_go_through_the_same_pipeline(
    log_output: LogOutput,
) -> None:
    logging.getLogger("some.library").warning("pool exhausted", extra={"size": 10})
    [line] = log_output.events("pool exhausted")
    assert (line["level"], line["logger"], line["size"]) == ("warning", "some.library", 10)


def test_bound_context_is_on_every_line_until_unbound(log_output: LogOutput) -> None:
    log = get_logger("sluice.test")
    tokens = bind_context(request_id="req-42")
    log.info("inside")
    logging.getLogger("other").info("inside too")
    assert current_request_id() == "req-42"
    unbind_context(tokens)
    log.info("outside")
    by_event = {line["event"]: line for line in log_output.lines()}
    assert by_event["inside"]["request_id"] == "req-42"
    assert by_event["inside too"]["request_id"] == "req-42"
    assert "request_id" not in by_event["outside"]
    assert current_request_id() is None


def test_an_exception_is_logged_by_class_and_frames_never_by_message(
    log_output: LogOutput,
) -> None:
    """SQLAlchemy prints a statement's parameters in its message: the class of leak that
    rendering no exception message closes."""
    try:
        try:
            raise ValueError(f"bad value {RESIDENT_ID}")
        except ValueError as inner:
            raise IntegrityError("INSERT …", {"id_no": RESIDENT_ID}, inner) from inner
    except IntegrityError:
        get_logger("sluice.test").exception("insert failed")
        logging.getLogger("stdlib").exception("insert failed too")
    assert RESIDENT_ID not in log_output.text
    for line in log_output.lines():
        assert line["exception"]["type"] == "sqlalchemy.exc.IntegrityError"
        assert line["exception"]["caused_by"] == ["ValueError"]
        assert any("test_logs.py" in frame for frame in line["exception"]["frames"])


def test_secret_named_fields_are_redacted_whatever_their_value(log_output: LogOutput) -> None:
    get_logger("sluice.test").info(
        "signing in",
        password="hunter2-hunter2",
        api_key="anything",
        authorization="Bearer abc",
        nested={"refresh_token": "r-123", "kept": "visible"},
    )
    [line] = log_output.events("signing in")
    assert line["password"] == line["api_key"] == line["authorization"] == REDACTED
    assert line["nested"] == {"refresh_token": REDACTED, "kept": "visible"}
    assert "hunter2" not in log_output.text


@pytest.mark.parametrize(
    "secret",
    [
        "slk_" + "A1b2" * 10,
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "sk_test_51abcdefABCDEF0123456789",
        "whsec_test_0123456789abcdef",
    ],
)
def test_secret_looking_strings_are_masked_even_in_the_message(
    log_output: LogOutput, secret: str
) -> None:
    get_logger("sluice.test").info(f"header was {secret}", note=f"value {secret}")
    logging.getLogger("lib").info("lib saw %s", secret)
    assert secret not in log_output.text
    assert log_output.text.count(REDACTED) == 3


def test_console_format_is_one_readable_line(settings: Settings) -> None:
    stream = io.StringIO()
    configure_logging(settings.model_copy(update={"log_format": "console"}), stream=stream)
    try:
        get_logger("sluice.test").info("ready", port=8000)
    finally:
        configure_logging(settings)
    [line] = stream.getvalue().splitlines()
    assert "ready" in line
    assert "port=8000" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_console_format_renders_an_exception_by_class_and_frames_never_its_message(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console renderer once failed on the summary (a dict where it wants text), and
    logging's fallback printed the whole record, the exception's message with the SQL
    parameters in it, to stderr: neither the line nor any fallback may carry the value."""
    stream = io.StringIO()
    configure_logging(settings.model_copy(update={"log_format": "console"}), stream=stream)
    try:
        try:
            raise IntegrityError("INSERT …", {"id_no": RESIDENT_ID}, ValueError(RESIDENT_ID))
        except IntegrityError:
            get_logger("sluice.test").exception("insert failed")
            logging.getLogger("stdlib").exception("failed on %s", "a row")
    finally:
        configure_logging(settings)
    written = stream.getvalue() + capsys.readouterr().err
    assert RESIDENT_ID not in written
    assert "Logging error" not in written
    assert written.count("sqlalchemy.exc.IntegrityError") == 2
    assert "test_logs.py" in written


def test_a_line_that_cannot_be_rendered_is_reported_by_class_only(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever breaks a renderer, the fallback never prints the record's message or
    arguments."""
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    try:
        [ours] = [h for h in logging.getLogger().handlers if h.get_name() == "sluice"]
        # A format error, on purpose, handed to our handler alone (pytest's own capture
        # handler would raise it).
        record = logging.LogRecord(
            "lib", logging.INFO, __file__, 1, "value %d", (RESIDENT_ID,), None
        )
        ours.handle(record)
    finally:
        configure_logging(settings)
    written = stream.getvalue() + capsys.readouterr().err
    assert RESIDENT_ID not in written
    assert "could not be rendered (TypeError)" in written


def test_the_level_setting_filters_lines(settings: Settings) -> None:
    stream = io.StringIO()
    configure_logging(
        settings.model_copy(update={"log_format": "json", "log_level": "WARNING"}), stream=stream
    )
    try:
        get_logger("sluice.test").info("quiet")
        get_logger("sluice.test").warning("loud")
    finally:
        configure_logging(settings)
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["loud"]


def test_libraries_that_quote_values_stay_quiet_at_debug(log_output: LogOutput) -> None:
    logging.getLogger("sqlalchemy.engine.Engine").info("INSERT … (%s)", RESIDENT_ID)
    logging.getLogger("python_multipart.multipart").debug("field data %s", RESIDENT_ID)
    logging.getLogger("celery.app.trace").error("Task raised: ValueError(%r)", RESIDENT_ID)
    assert RESIDENT_ID not in log_output.text


def test_settings_accept_any_case_and_refuse_unknown_values() -> None:
    settings = Settings(log_level="debug", log_format="JSON")
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    with pytest.raises(ValueError, match="log_format"):
        Settings(log_format="xml")
