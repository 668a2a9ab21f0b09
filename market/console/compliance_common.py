"""What the compliance pages share: reading filter values from a query string, the names
and titles behind ids, and page links that keep the filters.

Filters arrive as plain strings and are read here rather than typed as FastAPI parameters:
a filter form submits ``grade=`` for "all", which a ``DataGrade | None`` parameter refuses
with a 422, and a mistyped id deserves a message naming the field in the reader's language.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from sqlmodel import Session

from accounts import service as accounts
from ground.errors import NotFound
from ground.ops.logs import get_logger
from listings import service as listings
from market.console.forms import FormInvalid

log = get_logger(__name__)

E = TypeVar("E", bound=StrEnum)
PAGE_SIZE = 20


def optional_choice(kind: type[E], value: str, field: str) -> E | None:
    """``""`` -> None (the "all" option); a known value -> the member; else a 400."""
    if not value.strip():
        return None
    try:
        return kind(value.strip())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise FormInvalid(
            f"{field}: {value!r} is not one of {allowed}.",
            f"{field}：{value!r} 不是可选值（{allowed}）之一。",
        ) from None


def optional_uuid(value: str, field: str) -> uuid.UUID | None:
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise FormInvalid(
            f"{field}: {value!r} is not an id (a UUID such as 3f2b…-…).",
            f"{field}：{value!r} 不是有效的编号（UUID）。",
        ) from None


def optional_day(value: str, field: str, *, end_of_day: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` from a date input as a UTC instant: the day's start, or with
    ``end_of_day`` the next day's start (so "until 5 May" includes all of 5 May)."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise FormInvalid(
            f"{field}: {value!r} is not a date (YYYY-MM-DD).",
            f"{field}：{value!r} 不是有效日期（年-月-日）。",
        ) from None
    if end_of_day:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=UTC)


def pages(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(total / page_size))


def page_links(path: str, filters: Mapping[str, object]) -> Callable[[int], str]:
    """``url_for_page`` for the pager macro: the same filters, another page."""
    kept = {k: str(v) for k, v in filters.items() if v not in (None, "")}

    def url_for_page(number: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': number})}"

    return url_for_page


def _named(
    ids: set[uuid.UUID | None], look_up: Callable[[uuid.UUID], str], what: str
) -> dict[uuid.UUID, str]:
    """``look_up`` once per distinct id named on a page; one gone since is shown by its id."""
    found: dict[uuid.UUID, str] = {}
    for named_id in ids:
        if named_id is None:
            continue
        try:
            found[named_id] = look_up(named_id)
        except NotFound:
            log.debug("page names a record that is gone", what=what, id=str(named_id))
            found[named_id] = str(named_id)
    return found


def user_emails(session: Session, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """E-mail addresses of the people named on a page."""
    return _named(user_ids, lambda user_id: accounts.get_user(session, user_id).email, "user")


def dataset_titles(session: Session, dataset_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Titles of the datasets named on a page."""
    return _named(
        dataset_ids, lambda dataset_id: listings.get_dataset(session, dataset_id).title, "dataset"
    )
