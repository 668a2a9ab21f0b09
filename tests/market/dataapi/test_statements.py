"""How many SQL statements one data API call costs: observable load on the database.

Counted with a ``before_cursor_execute`` listener on the engine, over the whole HTTP call
(the API-key dependency, the endpoint, the commit and its audit chain). Counted: every
statement the application sends (SELECT, INSERT, UPDATE, ...). Not counted: BEGIN and COMMIT
(the driver's transaction calls, not statements), SQLite's ``BEGIN IMMEDIATE`` (issued
beside the first write by ``ground.db``), and the test's own SAVEPOINTs around each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlmodel import Session

from accounts.models import Role, User
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.factories import activate_plan, create_api_key, create_user

# The call's own statements: the key joined with its owner; the dataset; the entitlements
# usable, with whether a standing stop covers them (all plain SELECTs); the quota's conditional
# decrement and the usage event. Before issue 14 there were 8 (the key, its owner and an UPDATE
# of its last use apart, the stops asked apart).
# The audit trail's statement, counted apart (the audit package owns it): the record's one
# INSERT; the sealer chains it later, outside the call (before issue 14 the chain's head was
# read and moved in every call, 3 statements).
MAX_OWN_STATEMENTS = 5
MAX_AUDIT_STATEMENTS = 1


@contextmanager
def counted(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb not in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"}:
            statements.append(statement)

    engine = connection.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_data_call_costs_a_bounded_number_of_statements(
    client: TestClient,
    connection: Connection,
    session: Session,
    settings: Settings,
    provider: User,
    listed: Dataset,
) -> None:
    buyer = create_user(session, role=Role.buyer)
    activate_plan(session, buyer, listed, provider, calls=10)
    key = create_api_key(session, buyer)
    session.commit()
    url = f"/api/v1/data/{listed.id}/rows"
    assert client.get(url, headers={"X-API-Key": key}).status_code == 200  # warm: last use
    with counted(connection) as statements:
        response = client.get(url, params={"limit": 5}, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    audit = [s for s in statements if " audit_" in s.replace('"', " ")]
    own = [s for s in statements if s not in audit]
    assert len(own) <= MAX_OWN_STATEMENTS, own
    assert len(audit) <= MAX_AUDIT_STATEMENTS, audit
