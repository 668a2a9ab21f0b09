"""Optional error reports to Sentry (sentry-sdk), only when ``SLUICE_SENTRY_DSN`` is set.

What a report carries: the exception's class, its stack frames (file, line, function and the
code around it — code, never data), the environment, and tags naming the request id or the
task. What it never carries: request bodies (``max_request_body_size="never"`` and
``data_collection`` turning every automatic collection off), headers,
cookies, query strings, users, local variables, exception messages (they can quote values,
as in ``ground.ops.logs``), log lines or breadcrumbs.

To hold that as a class rather than case by case, the SDK's default and auto-enabled
integrations are off (they would attach requests and log breadcrumbs) and ``_scrub`` strips
those fields from every event whatever added them; the app reports explicitly from the two
places where an unexpected exception ends: the request middleware and the task failure
signal.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.transport import Transport

from ground.config import Settings

REDACTED = "[redacted]"
_DROPPED = ("request", "user", "breadcrumbs", "extra", "contexts", "logentry", "message")

_enabled = False


def init_sentry(settings: Settings, *, transport: Transport | None = None) -> bool:
    """Start reporting if a DSN is configured; ``True`` when reports will be sent."""
    global _enabled
    if settings.sentry_dsn is None:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=str(settings.environment),
        # Nothing an integration could collect automatically: no user, cookie, header, body,
        # query string, SQL data, queue payload or frame variable.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        include_local_variables=False,
        default_integrations=False,
        auto_enabling_integrations=False,
        max_breadcrumbs=0,
        send_client_reports=False,
        auto_session_tracking=False,
        before_send=_scrub,
        transport=transport,
    )
    _enabled = True
    return True


def capture(exc: BaseException, **tags: str) -> None:
    """Report one unexpected exception (a no-op without a DSN)."""
    if not _enabled:
        return
    with sentry_sdk.new_scope() as scope:
        for name, value in tags.items():
            scope.set_tag(name, value)
        sentry_sdk.capture_exception(exc)


def _scrub(event: Any, _hint: Any) -> Any:
    for name in _DROPPED:
        event.pop(name, None)
    for value in (event.get("exception") or {}).get("values") or []:
        value["value"] = REDACTED
        for frame in (value.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event


def stop_sentry() -> None:
    """Flush and stop reporting (tests, and a process that reconfigures itself)."""
    global _enabled
    _enabled = False
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None, default_integrations=False, auto_enabling_integrations=False)
