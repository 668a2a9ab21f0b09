"""Sign-in throttling: failed attempts counted per account and per client, in a moving window.

Passwords are checked with argon2, which is slow on purpose, but without a limit an attacker can
still try thousands of passwords an hour against one account, or one password against every
account from one address. Each failed sign-in is counted twice — under the e-mail tried and
under the client address — and once either count reaches its limit within the window, every
attempt for that account (or from that client) is refused with 429 and ``Retry-After`` before
the password is even checked, right or wrong. A successful sign-in clears its account's count.

Counts live in the storage ``SLUICE_RATE_LIMIT_STORAGE_URL`` names (``limits``' URL syntax):
``memory://`` in one process (the embedded default), Redis in production so every API node
shares them. With no URL set, a Redis broker is used when there is one, else memory.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ground.config import Settings
from ground.errors import SluiceError

log = logging.getLogger(__name__)


class TooManyAttempts(SluiceError):
    """Too many failed sign-ins for this account or from this client: wait and retry."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"Too many failed sign-in attempts. Try again in {minutes} minute(s).",
            f"登录失败次数过多，请在 {minutes} 分钟后重试。",
        )
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def storage_url(settings: Settings) -> str:
    if settings.rate_limit_storage_url:
        return settings.rate_limit_storage_url
    if settings.celery_broker_url.startswith(("redis://", "rediss://")):
        return settings.celery_broker_url
    return "memory://"


@lru_cache
def _storage(url: str) -> Storage:
    storage = storage_from_string(url)
    if not isinstance(storage, Storage):  # an async storage URL (async+redis://…)
        raise ValueError(f"SLUICE_RATE_LIMIT_STORAGE_URL must name a synchronous storage: {url}")
    return storage


def storage_for(settings: Settings) -> Storage:
    """The shared counter storage (one per URL in a process)."""
    return _storage(storage_url(settings))


class LoginThrottle:
    """The two counters of one sign-in attempt: its account's and its client's."""

    def __init__(self, settings: Settings, email: str, client: str) -> None:
        window = settings.login_failure_window_minutes
        self._limiter = MovingWindowRateLimiter(storage_for(settings))
        self._counters: list[tuple[RateLimitItem, tuple[str, str]]] = [
            (
                RateLimitItemPerMinute(settings.login_max_failures_per_account, window),
                ("login-account", email.strip().lower()),
            ),
            (
                RateLimitItemPerMinute(settings.login_max_failures_per_client, window),
                ("login-client", client),
            ),
        ]

    def check(self) -> None:
        """Raise ``TooManyAttempts`` if either counter is at its limit."""
        for item, key in self._counters:
            if not self._limiter.test(item, *key):
                reset = self._limiter.get_window_stats(item, *key).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                log.warning(
                    "sign-in throttled", extra={"counter": key[0], "retry_after": retry_after}
                )
                raise TooManyAttempts(retry_after)

    def failed(self) -> None:
        for item, key in self._counters:
            self._limiter.hit(item, *key)

    def succeeded(self) -> None:
        item, key = self._counters[0]
        self._limiter.clear(item, *key)
