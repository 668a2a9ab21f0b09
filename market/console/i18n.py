"""Languages of the console: Chinese by default, English on request.

The choice lives in a ``lang`` cookie that a link on every page sets (``/console/lang/en``), so
it survives sign-out and needs no account setting. Texts come from the message catalogs in
``market.console.messages``; errors raised by the services already carry both languages
(``SluiceError.detail`` and ``detail_zh``), so the console never translates them itself.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from ground.errors import SluiceError
from market.console.messages import MESSAGES

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
LANG_COOKIE = "lang"
# The value of <html lang>: BCP 47 tags a screen reader can pick a voice for.
HTML_LANG: dict[Lang, str] = {"zh": "zh-CN", "en": "en"}


def lang_of(request: Request) -> Lang:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else DEFAULT_LANG


def translate(key: str, lang: Lang, **values: object) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` placeholders filled from ``values``.

    An unknown key raises ``KeyError``: a page that names a missing message fails its test
    instead of showing the key to a user.
    """
    zh, en = MESSAGES[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def error_text(exc: SluiceError, lang: Lang) -> str:
    return exc.detail_zh if lang == "zh" else exc.detail
