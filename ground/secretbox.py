"""Secrets at rest: values the platform must keep but never store in the clear.

A sealed value is ``v1.<key id>.<base64url(nonce || ciphertext || tag)>``: AES-256-GCM
(``cryptography``'s ``AESGCM``) under a 32-byte key from the settings, a random 96-bit nonce
per seal, and associated data that names the value's place (``dataset:<id>:pseudonym_secret``),
so a sealed value copied into another row does not open there. The key id is the first 16 hex
digits of SHA-256 over the key (a fingerprint, not the key), so opening picks the right key
without trying them all, and rotation knows which values are still under a retired key.

Guarantees: ``seal`` always uses the current key; ``open`` accepts the current and the retired
keys; anything else — a key that is not configured, a value that does not authenticate, or a
value that is not sealed at all (plaintext left from before encryption) — raises
``SecretsKeyError``. There is no fallback to plaintext, ever.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ground.errors import SluiceError

FORMAT = "v1"
KEY_BYTES = 32
_NONCE_BYTES = 12


class SecretsKeyError(SluiceError):
    """A stored secret cannot be opened: the key is missing or wrong, or the value is not
    sealed. The operators must fix the configuration; clients get a generic message and the
    reason (``reason``) goes to the logs and the CLI."""

    status_code = 503

    def __init__(self, reason: str) -> None:
        super().__init__(
            "The platform cannot open the keys of this dataset: its secrets key is missing or "
            "wrong. The operators have to correct the configuration.",
            "平台无法解开该数据集的密钥：加密密钥缺失或错误，需由运维人员修正配置。",
        )
        self.reason = reason

    def __str__(self) -> str:
        # Tracebacks, logs, the CLI and migrations show the operator the precise reason; the
        # HTTP body (`detail`) stays generic.
        return self.reason


def generate_key() -> str:
    """A new random key in the settings' format: 32 bytes, URL-safe base64 (44 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def decode_key(text: str) -> bytes:
    """The 32 key bytes of a key in the settings' format; ValueError (without the value) if
    the text is not one."""
    try:
        raw = _b64decode(text.strip())
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError("not URL-safe base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"decodes to {len(raw)} bytes instead of {KEY_BYTES}")
    return raw


def _b64decode(text: str) -> bytes:
    # validate=True: a character outside the alphabet is an error, not silently skipped.
    return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)


def key_id(key: bytes) -> str:
    """The public fingerprint of a key, written into every value sealed under it."""
    return hashlib.sha256(b"sluice secrets key id\x00" + key).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The current key (sealing and opening) and the retired keys (opening only)."""

    current: bytes
    retired: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        for key in (self.current, *self.retired):
            if len(key) != KEY_BYTES:
                raise ValueError(f"a secrets key must be {KEY_BYTES} bytes")

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def _keys(self) -> dict[str, bytes]:
        # The current key wins if it is also listed as retired.
        return {key_id(k): k for k in (*reversed(self.retired), self.current)}

    def seal(self, plaintext: bytes, *, context: str) -> str:
        """``plaintext`` encrypted and authenticated under the current key, bound to
        ``context``."""
        nonce = os.urandom(_NONCE_BYTES)
        body = AESGCM(self.current).encrypt(nonce, plaintext, context.encode("utf-8"))
        encoded = base64.urlsafe_b64encode(nonce + body).decode("ascii")
        return f"{FORMAT}.{self.current_id}.{encoded}"

    def open(self, sealed: str, *, context: str) -> bytes:
        """The plaintext of a value sealed by ``seal`` with the same ``context``.

        Raises ``SecretsKeyError`` naming the reason when the value is not sealed, its key is
        not configured, or it does not authenticate (tampered, or moved from another row)."""
        kid, payload = sealed_parts(sealed, context=context)
        key = self._keys().get(kid)
        if key is None:
            raise SecretsKeyError(
                f"{context} is sealed under key {kid}, which is neither SLUICE_SECRETS_KEY "
                f"(key {self.current_id}) nor one of SLUICE_SECRETS_RETIRED_KEYS"
            )
        try:
            raw = _b64decode(payload)
            return AESGCM(key).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretsKeyError(
                f"{context} does not authenticate under key {kid}: the stored value was altered "
                "or belongs to another record"
            ) from None

    def reseal(self, sealed: str, *, context: str) -> str:
        """The same plaintext sealed under the current key (unchanged if it already is)."""
        if sealed_key_id(sealed, context=context) == self.current_id:
            return sealed
        return self.seal(self.open(sealed, context=context), context=context)


def sealed_parts(sealed: str, *, context: str) -> tuple[str, str]:
    """(key id, payload) of a sealed value; ``SecretsKeyError`` if it is not one."""
    parts = sealed.split(".")
    if len(parts) != 3 or parts[0] != FORMAT or len(parts[1]) != 16:
        raise SecretsKeyError(
            f"{context} is not a sealed value (plaintext or an unknown format): it is never used "
            "as it is; run `sluice db upgrade` to encrypt secrets stored before encryption"
        )
    return parts[1], parts[2]


def sealed_key_id(sealed: str, *, context: str) -> str:
    """The id of the key a value is sealed under."""
    return sealed_parts(sealed, context=context)[0]
