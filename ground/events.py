"""Domain events: typed payloads, delivered in the publisher's transaction.

A domain that must tell others something (a dataset was listed, a payment was captured)
defines a frozen dataclass in its ``events.py`` and calls ``publish(session, event)``. It never
imports the domains that react: the shell subscribes their handlers in one explicit place
(``market.shell.wiring``), so who reacts to what is read in one file, not discovered through
import side effects.

Delivery is synchronous and in-process, inside the publisher's unit of work: a handler's
writes commit or roll back with the change that caused them, so neither is ever half done. A
handler refuses the change by raising a ``SluiceError``; the unit of work then rolls back.
Handlers run in the order they were subscribed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

E = TypeVar("E")
Handler = Callable[[Session, E], None]


class EventBus:
    """Handlers by event type. Subscribing the same handler twice keeps one subscription."""

    def __init__(self) -> None:
        self._handlers: dict[type[Any], list[Callable[[Session, Any], None]]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

    def handlers(self, event_type: type[Any]) -> tuple[Callable[[Session, Any], None], ...]:
        return tuple(self._handlers.get(event_type, ()))

    def publish(self, session: Session, event: object) -> None:
        for handler in self._handlers.get(type(event), ()):
            handler(session, event)


bus = EventBus()


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Subscribe ``handler`` on the process's bus (called by the shell's wiring only)."""
    bus.subscribe(event_type, handler)


def publish(session: Session, event: object) -> None:
    """Deliver ``event`` to its subscribers now, inside ``session``'s transaction."""
    bus.publish(session, event)
