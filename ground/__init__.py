"""The ground: settings, database and unit of work, errors, events, tasks, pagination,
operations, idempotency and storage. It imports no domain; every domain imports it."""
