"""Field-level encryption and keyed hashes, from one 256-bit master key.

In the cloud the key is an SSM SecureString (``FIELD_KEY_PARAMETER``), read once
per cold start; in the dev stack and tests it is ``FIELD_KEY`` (base64). From it
HKDF derives separate keys for AES-GCM encryption of contact data, for hashing
query codes, for signing upload ids and for signing residents' tokens, so no key
serves two purposes.

Only sealing and opening contact data need the ``cryptography`` package; it is
loaded then, so the requests that never touch a contact (tracking, the staff
queue, anonymous submissions) do not pay for its import on a cold start.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from functools import lru_cache
from typing import Any

from chalicelib.settings import get_settings

_NONCE_BYTES = 12


class KeyUnavailable(RuntimeError):
    """No field key configured: the deployment is incomplete."""


class FieldCipher:
    def __init__(self, master_key: bytes):
        if len(master_key) != 32:
            raise KeyUnavailable("the field key must be 32 bytes")
        self._aead_key = _derive(master_key, b"suqiu/field-encryption")
        self._hash_key = _derive(master_key, b"suqiu/keyed-hash")
        self._sign_key = _derive(master_key, b"suqiu/signature")
        self._token_key = _derive(master_key, b"suqiu/resident-token")

    def seal(self, value: Any, context: str) -> bytes:
        """Encrypt a JSON value; ``context`` (e.g. the tracking number) binds it to its record."""
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(value, ensure_ascii=False).encode()
        return nonce + self._aead().encrypt(nonce, plain, context.encode())

    def open(self, sealed: bytes, context: str) -> Any:
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        return json.loads(self._aead().decrypt(nonce, body, context.encode()))

    def _aead(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self._aead_key)

    def keyed_hash(self, *parts: str) -> str:
        """A hash only this deployment can compute: query codes are short, so a plain hash would fall to a dictionary."""
        # surrogatepass: a part may be client input that is not valid UTF-8 (a lone surrogate
        # from a query string); it must hash (to something that matches nothing), not fail.
        message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def sign(self, message: str) -> str:
        digest = hmac.new(self._sign_key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")

    def token_key(self) -> bytes:
        """The HS256 key of the residents' short-lived tokens (after phone verification)."""
        return self._token_key


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) with no salt, for one 32-byte key: extract, then one block of expand."""
    pseudo_random_key = hmac.new(b"\x00" * hashlib.sha256().digest_size, master_key, hashlib.sha256).digest()
    return hmac.new(pseudo_random_key, purpose + b"\x01", hashlib.sha256).digest()


def _load_master_key() -> bytes:
    settings = get_settings()
    if settings.field_key_parameter:
        from chalicelib.adapters.aws import boto3_client  # only in the cloud path

        response = boto3_client("ssm").get_parameter(Name=settings.field_key_parameter, WithDecryption=True)
        return base64.b64decode(response["Parameter"]["Value"])
    if settings.field_key:
        return base64.b64decode(settings.field_key)
    raise KeyUnavailable("set FIELD_KEY_PARAMETER (SSM SecureString) or FIELD_KEY")


@lru_cache(maxsize=1)
def get_cipher() -> FieldCipher:
    return FieldCipher(_load_master_key())
