"""The baseline of bench/dataapi.py: a bare FastAPI handler serving the same rows from the same
Parquet file as the data API, with no database, no authentication and no masking.

    BENCH_PARQUET=/path/to/dataset.parquet uvicorn bare_app:app --app-dir bench

A plain implementation, what one would write without Sluice: the file's metadata read once at
start-up, one ``ParquetFile`` per worker thread (a reader is not documented as safe to share
between threads), the row groups covering the slice read, sliced, ``to_pylist`` and JSON.
"""

from __future__ import annotations

import bisect
import json
import os
import threading
from itertools import accumulate
from typing import Annotated, Any

import pyarrow.parquet as pq
from fastapi import FastAPI, Query, Response

PARQUET = os.environ["BENCH_PARQUET"]
_METADATA = pq.ParquetFile(PARQUET).metadata
# Row index at which each row group starts, and the total.
_STARTS = [0, *accumulate(_METADATA.row_group(i).num_rows for i in range(_METADATA.num_row_groups))]
TOTAL_ROWS = _STARTS[-1]
_local = threading.local()

app = FastAPI(title="bare rows")


def _reader() -> pq.ParquetFile:
    reader = getattr(_local, "reader", None)
    if reader is None:
        reader = _local.reader = pq.ParquetFile(PARQUET)
    return reader


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/rows")
def rows(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    end = min(offset + limit, TOTAL_ROWS)
    page: list[dict[str, Any]] = []
    if offset < end:
        first = bisect.bisect_right(_STARTS, offset) - 1
        last = bisect.bisect_right(_STARTS, end - 1) - 1
        table = _reader().read_row_groups(list(range(first, last + 1)))
        page = table.slice(offset - _STARTS[first], end - offset).to_pylist()
    body = {
        "columns": _METADATA.schema.names,
        "rows": page,
        "limit": limit,
        "offset": offset,
        "total_rows": TOTAL_ROWS,
    }
    return Response(
        json.dumps(body, ensure_ascii=False, default=str).encode(), media_type="application/json"
    )
