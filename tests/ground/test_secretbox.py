"""Sealing secrets at rest: AES-256-GCM with a key id, bound to the value's place, no
fallback to plaintext."""

from __future__ import annotations

import pytest

from ground.errors import SluiceError
from ground.secretbox import (
    Keyring,
    SecretsKeyError,
    decode_key,
    generate_key,
    key_id,
    sealed_key_id,
)

CURRENT, OLD = decode_key(generate_key()), decode_key(generate_key())
CONTEXT = "dataset:1:pseudonym_secret"
SECRET = bytes(range(32))


def test_a_sealed_value_opens_to_the_secret_and_shows_nothing_of_it() -> None:
    ring = Keyring(CURRENT)
    sealed = ring.seal(SECRET, context=CONTEXT)
    assert ring.open(sealed, context=CONTEXT) == SECRET
    assert sealed.startswith(f"v1.{key_id(CURRENT)}.")
    assert SECRET.hex() not in sealed
    assert ring.seal(SECRET, context=CONTEXT) != sealed  # a fresh nonce every time


def test_a_value_moved_to_another_record_does_not_open() -> None:
    ring = Keyring(CURRENT)
    sealed = ring.seal(SECRET, context=CONTEXT)
    with pytest.raises(SecretsKeyError, match="does not authenticate"):
        ring.open(sealed, context="dataset:2:pseudonym_secret")


def test_a_tampered_value_does_not_open() -> None:
    ring = Keyring(CURRENT)
    sealed = ring.seal(SECRET, context=CONTEXT)
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(SecretsKeyError, match="does not authenticate"):
        ring.open(flipped, context=CONTEXT)


def test_a_value_under_a_key_not_configured_names_that_key() -> None:
    sealed = Keyring(OLD).seal(SECRET, context=CONTEXT)
    with pytest.raises(SecretsKeyError, match=key_id(OLD)):
        Keyring(CURRENT).open(sealed, context=CONTEXT)


@pytest.mark.parametrize("stored", [SECRET.hex(), "", "v1.short.abc", "v2.0123456789abcdef.x"])
def test_plaintext_or_unknown_formats_are_never_used_as_they_are(stored: str) -> None:
    with pytest.raises(SecretsKeyError, match="not a sealed value"):
        Keyring(CURRENT).open(stored, context=CONTEXT)


def test_retired_keys_open_and_reseal_moves_a_value_to_the_current_key() -> None:
    sealed = Keyring(OLD).seal(SECRET, context=CONTEXT)
    ring = Keyring(CURRENT, (OLD,))
    assert ring.open(sealed, context=CONTEXT) == SECRET
    moved = ring.reseal(sealed, context=CONTEXT)
    assert sealed_key_id(moved, context=CONTEXT) == key_id(CURRENT)
    assert Keyring(CURRENT).open(moved, context=CONTEXT) == SECRET
    assert ring.reseal(moved, context=CONTEXT) == moved  # already current: unchanged


@pytest.mark.parametrize("text", ["", "abc", "c2hvcnQ=", "!" * 44, generate_key()[:-4]])
def test_keys_must_be_32_bytes_of_url_safe_base64(text: str) -> None:
    with pytest.raises(ValueError, match="base64|bytes"):
        decode_key(text)


def test_a_keyring_refuses_keys_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring(b"short")


def test_the_error_tells_clients_little_and_operators_everything() -> None:
    refusal = SecretsKeyError("dataset:1:pseudonym_secret is sealed under key abc")
    assert isinstance(refusal, SluiceError)
    assert refusal.status_code == 503
    body = refusal.body()
    assert body["error"] == "SecretsKeyError"
    assert "abc" not in body["detail"]
    assert "密钥" in body["detail_zh"]
    assert str(refusal) == refusal.reason
