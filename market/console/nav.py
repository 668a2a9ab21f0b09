"""The navigation bar: each area contributes its entries, shown to the roles that may use them.

An area module lists its entries in ``NAV`` (see ``market.console.AREAS``); the bar shows an
entry only to the roles it names, so nobody is offered a page that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    message_key: str  # the entry's text, a key of the message catalogs
    href: str
    roles: frozenset[Role]


_ITEMS: list[NavItem] = []


def register(*items: NavItem) -> None:
    for item in items:
        if item not in _ITEMS:
            _ITEMS.append(item)


def visible_nav(role: Role | None) -> list[NavItem]:
    if role is None:
        return []
    return [item for item in _ITEMS if role in item.roles]
