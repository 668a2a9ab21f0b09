"""What a buyer can read about a listed dataset, every channel at once, for the ingestion
attacks: the catalog, the dataset's page in the API, the approved preview and the data API's
rows (after ordering the free sample). Also a walk that finds JSON integers a JavaScript
client would round."""

from __future__ import annotations

from typing import Any

from tests.attacks.harness import Account, Outsider

SAFE_INTEGER = 2**53 - 1


def buyer_views(outsider: Outsider, buyer: Account, dataset_id: str, rows: int) -> dict[str, Any]:
    """Every response a buyer gets about the dataset, by channel name (parsed JSON)."""
    ordered = outsider.order_free_sample(buyer, dataset_id)
    assert ordered.status_code == 201, ordered.text
    served = outsider.rows(buyer, dataset_id, limit=rows)
    assert served.status_code == 200, served.text
    return {
        "catalog": outsider.get(buyer, "/api/v1/catalog", limit=100),
        "dataset": outsider.get(buyer, f"/api/v1/datasets/{dataset_id}"),
        "preview": outsider.get(buyer, f"/api/v1/datasets/{dataset_id}/preview", rows=50),
        "rows": served.json(),
    }


def unsafe_integers(value: Any) -> list[int]:
    """Every JSON integer in ``value`` beyond ±(2^53 − 1)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value] if abs(value) > SAFE_INTEGER else []
    if isinstance(value, dict):
        return [n for item in value.values() for n in unsafe_integers(item)]
    if isinstance(value, list):
        return [n for item in value for n in unsafe_integers(item)]
    return []
