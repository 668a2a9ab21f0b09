"""Structured logs: one configuration for the app, the CLI and the worker.

``configure_logging(settings)`` routes every logger of the process (ours, uvicorn's, Celery's,
any library's ``logging`` calls) through one structlog pipeline that renders JSON lines
(``SLUICE_LOG_FORMAT=json``) or readable ones (``console``), at ``SLUICE_LOG_LEVEL``. Lines
written while a request or a task is handled carry its ``request_id`` (and ``task_id``),
bound with ``bind_context``; the request middleware (``ground.ops.requests``) binds it.

What a log line can never carry, and why (privacy is the product, and logs are an exit):

- **No data values.** Our code logs ids, counts, classes, route templates and durations,
  never cells, query results, request bodies, headers or query strings.
- **No exception messages.** An exception is rendered as its class, the classes of its
  causes and its frames (``file:line in function``), never its text: third-party messages
  quote values (SQLAlchemy's ``IntegrityError`` prints the statement's parameters, DuckDB and
  Arrow quote cells, psycopg quotes a row's key). Dropping every message fixes that class of
  leak rather than one example of it.
- **No secrets.** A key whose name says secret (``password``, ``token``, ``secret``,
  ``api_key``, ``authorization``, ``cookie``, ``dsn``…) is logged as ``[redacted]``, and any
  string that looks like one of our API keys (``slk_…``), a JWT or a Stripe key is masked
  wherever it appears, the message included.
- **Libraries that quote values are held back.** ``celery.app.trace`` (it logs task results
  and exception text) is silenced: ``ground.ops.tasks`` logs every task's outcome itself.
  SQLAlchemy's, python-multipart's, the HTTP clients' and Stripe's loggers stay at WARNING
  whatever the level (they print SQL parameters, form fields and URLs), and the server runs
  without uvicorn's access log (it carries query strings); our request line replaces it.
  Task arguments are ids by convention (STYLE, thin tasks), so Celery's "received" line
  quotes nothing else.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from types import TracebackType
from typing import IO, Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from ground.config import Settings

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|cookie|dsn|credential",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"slk_[A-Za-z0-9_\-]{8,}"  # our API keys
    r"|eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"  # JWTs
    r"|\b(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]+"  # Stripe keys and webhook secrets
)
# Keys the pipeline itself adds; never treated as secrets by their name.
_OWN_KEYS = frozenset({"event", "level", "logger", "timestamp", "exception"})
# Loggers that print values (SQL parameters, form fields, URLs with query strings) below WARNING.
_HELD_AT_WARNING = (
    "sqlalchemy",
    "multipart",
    "python_multipart",
    "httpx",
    "httpx2",
    "httpcore",
    "urllib3",
    "stripe",
)
# Loggers whose lines quote task results and exception text; our task signals replace them.
_SILENCED = ("celery.app.trace",)
_MAX_FRAMES = 12
_HANDLER_NAME = "sluice"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exc_info_of(value: object) -> ExcInfo | None:
    if value is True:
        info = sys.exc_info()
        return None if info[1] is None else (info[0], info[1], info[2])
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and value[1] is not None:
        return value
    return None


def describe_exception(exc: BaseException, tb: TracebackType | None) -> dict[str, Any]:
    """An exception without its message: its class, its causes' classes and where it rose.

    Frames are file, line and function names (code, never data); the innermost frames are
    kept, since that is where the trouble started."""
    causes: list[str] = []
    seen = {id(exc)}
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen and len(causes) < 5:
        seen.add(id(link))
        causes.append(_qualified(type(link)))
        link = link.__cause__ or link.__context__
    frames = [
        f"{frame.filename.rsplit('site-packages/', 1)[-1]}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(tb)[-_MAX_FRAMES:]
    ]
    described: dict[str, Any] = {"type": _qualified(type(exc)), "frames": frames}
    if causes:
        described["caused_by"] = causes
    return described


def _qualified(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def summarize_exception(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Replace ``exc_info`` by ``describe_exception``: the message never reaches a renderer."""
    raw = event.pop("exc_info", None)
    event.pop("stack_info", None)
    info = _exc_info_of(raw)
    if info is not None:
        event["exception"] = describe_exception(info[1], info[2])
    return event


def _mask(value: object) -> object:
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {k: REDACTED if _is_secret_key(k) else _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(v) for v in value]
    return value


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and key not in _OWN_KEYS and bool(_SECRET_KEY.search(key))


def redact_secrets(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Secret-named keys become ``[redacted]``; secret-looking strings are masked anywhere."""
    for key in list(event):
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the LogRecord), never rendered
        event[key] = REDACTED if _is_secret_key(key) else _mask(event[key])
    return event


def _drop_formatted_copies(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Attributes another formatter left on a record (the message again, uvicorn's coloured
    copy of it, a time string) are not fields of the line."""
    for key in ("message", "color_message", "asctime"):
        event.pop(key, None)
    return event


def _shared(foreign: bool) -> list[Processor]:
    chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
    ]
    if foreign:
        # ``log.info("...", extra={...})`` of stdlib loggers becomes fields of the line.
        chain += [structlog.stdlib.ExtraAdder(), _drop_formatted_copies]
    chain += [
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        summarize_exception,
        redact_secrets,
    ]
    return chain


def exception_as_text(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """The console renderer prints ``exception`` as text: give it the summary
    (``describe_exception``) as lines, class, causes and frames, still with no message."""
    described = event.get("exception")
    if isinstance(described, Mapping):
        causes = described.get("caused_by") or []
        head = str(described.get("type", "?")) + "".join(f" <- {c}" for c in causes)
        event["exception"] = "\n".join([head, *(f"  {f}" for f in described.get("frames", []))])
    return event


def build_formatter(log_format: str) -> logging.Formatter:
    processors: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if log_format == "json":
        processors.append(structlog.processors.JSONRenderer(ensure_ascii=False, default=str))
    else:
        processors += [exception_as_text, structlog.dev.ConsoleRenderer(colors=False)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(foreign=True), processors=processors
    )


class _QuietOnError(logging.StreamHandler):
    """A line that cannot be rendered is reported by its error's class only.

    ``logging.Handler.handleError`` would print the whole record (its message and arguments,
    where a library's exception text and SQL parameters sit) and the traceback to stderr,
    outside the pipeline: the very values this module keeps out of logs."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        kind = sys.exc_info()[0]
        name = kind.__qualname__ if kind is not None else "unknown"
        try:
            sys.stderr.write(f"a log line of {record.name} could not be rendered ({name})\n")
        except Exception:  # noqa: S110 (nowhere left to report to)
            pass


class _CurrentStderr(_QuietOnError):
    """Writes to whatever ``sys.stderr`` is when a line is written (test runners swap it)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> None:
    """Route every logger of the process through one pipeline; safe to call again."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(foreign=False),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler: logging.Handler = _QuietOnError(stream) if stream is not None else _CurrentStderr()
    handler.setFormatter(build_formatter(settings.log_format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler.set_name(_HANDLER_NAME)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in _HELD_AT_WARNING:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _SILENCED:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    # Uvicorn's and Celery's own handlers would print a second, unstructured copy.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


def bind_context(**values: object) -> Mapping[str, Any]:
    """Bind fields to every line this context logs; returns tokens for ``unbind_context``."""
    return structlog.contextvars.bind_contextvars(**values)


def unbind_context(tokens: MutableMapping[str, Any] | Mapping[str, Any]) -> None:
    structlog.contextvars.reset_contextvars(**tokens)


def current_request_id() -> str | None:
    """The request id bound to this context, if any (a task carries it to the worker)."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None
