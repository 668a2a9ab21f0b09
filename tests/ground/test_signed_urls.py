"""Signed download links: only ours, only as signed, only until they expire."""

from __future__ import annotations

import pytest

from ground.signed_urls import LinkRefused, sign, verify

SECRET = "s" * 40


def _check(**changes: object) -> None:
    link = sign(SECRET, purpose="export", resource="abc", lifetime_seconds=60, now=1000)
    arguments: dict[str, object] = {
        "purpose": "export",
        "resource": "abc",
        "expires": link.expires,
        "signature": link.signature,
        "now": 1030,
    }
    arguments.update(changes)
    verify(SECRET, **arguments)  # type: ignore[arg-type]


def test_a_link_verifies_as_signed() -> None:
    _check()


@pytest.mark.parametrize(
    "changes",
    [
        {"resource": "abd"},
        {"purpose": "share"},
        {"expires": 1061},
        {"signature": "0" * 64},
        {"signature": ""},
        {"now": 1061},
    ],
    ids=["other resource", "other purpose", "later expiry", "forged", "empty", "expired"],
)
def test_an_altered_or_expired_link_is_refused_with_one_message(
    changes: dict[str, object],
) -> None:
    with pytest.raises(LinkRefused) as refused:
        _check(**changes)
    assert refused.value.status_code == 403
    assert "expired" in refused.value.detail
    assert refused.value.detail_zh != refused.value.detail


def test_another_secret_signs_other_links() -> None:
    link = sign(SECRET, purpose="export", resource="abc", lifetime_seconds=60, now=1000)
    with pytest.raises(LinkRefused):
        verify(
            "t" * 40,
            purpose="export",
            resource="abc",
            expires=link.expires,
            signature=link.signature,
            now=1000,
        )
