"""The sandbox's part in a column rename (``listings.columns``): its privacy profile names
columns, so it follows the new names in the same transaction.

The declaration keeps its meaning under the new names (privacy unit, bounds and public
domains are renamed). An approval is withdrawn: compliance approved a profile of the old
file, and the rename wrote a new one, so the profile waits for review again. Subscribed by
``market.shell.wiring``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ground.db import utcnow
from listings import events
from sandbox.models import ProfileStatus
from sandbox.repository import SandboxRepository


def rename_profile_columns(session: Session, event: events.ColumnsRenamed) -> None:
    repo = SandboxRepository(session)
    profile = repo.profile(event.dataset.id, for_update=True)
    if profile is None:
        return
    profile.declared = renamed_declaration(profile.declared, event.renames)
    profile.approved = None
    profile.approved_by_id = None
    profile.approved_at = None
    profile.status = ProfileStatus.pending
    profile.updated_at = utcnow()
    repo.add(profile)


def renamed_declaration(declared: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """A profile declaration with its column names renamed; everything else unchanged."""
    unit = declared.get("privacy_unit")
    return {
        **declared,
        "privacy_unit": renames.get(unit, unit) if isinstance(unit, str) else unit,
        "bounds": {renames.get(k, k): v for k, v in declared.get("bounds", {}).items()},
        "public_domains": {
            renames.get(k, k): v for k, v in declared.get("public_domains", {}).items()
        },
    }
