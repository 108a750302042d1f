"""Field-level encryption and keyed hashes, under one crypto suite and one key ring.

Two suites, chosen per stack by ``CRYPTO_SUITE`` (a stack may never switch: infra/deploy.py
refuses it, and a sealed value names the suite that made it):

- ``aes`` (the default): AES-256-GCM, HMAC-SHA256, HKDF-SHA256 — exactly what every stack
  stored before the suites existed, so its hashes and its sealed values still match and open;
- ``gm`` (国密, for a city that must pass 密评): SM4-GCM, HMAC-SM3, HKDF-SM3.

The key ring is the SSM SecureString (``FIELD_KEY_PARAMETER``) or, in the dev stack and tests,
``FIELD_KEY``: either base64 of 32 bytes (a stack never rotated) or the JSON that
``make rotate-key`` writes, ``{"root": b64, "current": id, "keys": {id: b64, …}}``. The root
key never changes: HKDF derives from it the keys of the keyed hashes (phones, query codes, SMS
codes, API keys, idempotency keys…), of upload-id signatures and of residents' tokens, which
cannot be recomputed from stored data. Contact data is sealed under the current key of
``keys`` (an unrotated ring's only key, id 0, is the root itself, as before); older keys stay
until the rotation has re-sealed everything under the new one. A sealed value starts with a
3-byte header — format, suite, key id — which is also authenticated, so it can never be opened
under the wrong suite or key silently: that is a ``WrongSuite`` or ``UnknownKey`` error. Values
sealed before the header existed (AES, the root key) still open under ``aes``.

In the cloud the ring is read at a cold start and again after ``RING_SECONDS``, or at once when a
value names a key this container does not know yet, so a rotation reaches every container.

Only sealing and opening contact data need the ``cryptography`` package under ``aes``; it is
loaded then, so the requests that never touch a contact (tracking, the staff queue, anonymous
submissions) do not pay for its import on a cold start. ``gm`` needs it for its hashes too
(SM3 comes from the OpenSSL that cryptography bundles, not from the runtime's).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from chalicelib.adapters.secrets import forget_secrets, secret
from chalicelib.settings import get_settings

_NONCE_BYTES = 12
_FORMAT = 0xA5  # the header's first byte: this sealed format, version 1
_HEADER_BYTES = 3  # format, suite, key id
ROOT_KEY_ID = 0  # an unrotated ring's one sealing key: the root key itself, as before the ring
RING_SECONDS = 300  # how long a container keeps the ring it read (infra/rotate.py waits longer)


class KeyUnavailable(RuntimeError):
    """No usable field key configured: the deployment is incomplete."""


class WrongSuite(KeyUnavailable):
    """A stored value was sealed under another suite than the configured one: the stack's suite changed."""


class UnknownKey(KeyUnavailable):
    """A stored value names a key the ring does not hold (retired too early, or another stack's)."""


# ---- the suites ------------------------------------------------------------------------------------

class AesSuite:
    """AES-256-GCM, HMAC-SHA256, HKDF-SHA256: byte for byte what stacks stored before the suites."""

    name, code, seal_key_bytes = "aes", b"A", 32

    def derive(self, key: bytes, purpose: bytes, length: int = 32) -> bytes:
        """HKDF-SHA256 (RFC 5869) with no salt, one block: extract, then one block of expand."""
        pseudo_random_key = hmac.new(b"\x00" * hashlib.sha256().digest_size, key, hashlib.sha256).digest()
        return hmac.new(pseudo_random_key, purpose + b"\x01", hashlib.sha256).digest()[:length]

    def mac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, hashlib.sha256).digest()

    def encrypt(self, key: bytes, nonce: bytes, plain: bytes, aad: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(key).encrypt(nonce, plain, aad)

    def decrypt(self, key: bytes, nonce: bytes, body: bytes, aad: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(key).decrypt(nonce, body, aad)


class GmSuite:
    """国密: SM4-GCM (GB/T 32907), HMAC-SM3 (GB/T 32905), HKDF-SM3, from cryptography's OpenSSL."""

    name, code, seal_key_bytes = "gm", b"G", 16  # SM4 has 128-bit keys
    _TAG_BYTES = 16

    def derive(self, key: bytes, purpose: bytes, length: int = 32) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SM3(), length=length, salt=None, info=purpose).derive(key)

    def mac(self, key: bytes, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes, hmac as crypto_hmac

        code = crypto_hmac.HMAC(key, hashes.SM3())
        code.update(message)
        return code.finalize()

    def encrypt(self, key: bytes, nonce: bytes, plain: bytes, aad: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        body = encryptor.update(plain) + encryptor.finalize()
        return body + encryptor.tag  # the layout AESGCM uses: ciphertext, then the 16-byte tag

    def decrypt(self, key: bytes, nonce: bytes, body: bytes, aad: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        if len(body) < self._TAG_BYTES:
            from cryptography.exceptions import InvalidTag

            raise InvalidTag
        text, tag = body[: -self._TAG_BYTES], body[-self._TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(text) + decryptor.finalize()  # InvalidTag if anything differs


SUITES = {suite.name: suite for suite in (AesSuite(), GmSuite())}
_BY_CODE = {suite.code[0]: suite for suite in SUITES.values()}


def suite_named(name: str):
    try:
        return SUITES[name]
    except KeyError:
        raise KeyUnavailable(f"CRYPTO_SUITE={name!r}: expected one of {', '.join(SUITES)}") from None


# ---- the key ring ----------------------------------------------------------------------------------

class KeyRing:
    """The root key (hashes, signatures, tokens: never rotated) and the sealing keys by id, one current."""

    def __init__(self, root: bytes, keys: dict[int, bytes] | None = None, current: int = ROOT_KEY_ID):
        keys = {ROOT_KEY_ID: root} if keys is None else dict(keys)
        if any(len(key) != 32 for key in (root, *keys.values())):
            raise KeyUnavailable("the field key must be 32 bytes")
        if current not in keys:
            raise KeyUnavailable(f"the key ring's current key {current} is not among its keys")
        if not all(0 <= key_id <= 255 for key_id in keys):
            raise KeyUnavailable("key ids are 0 to 255")
        self.root, self.keys, self.current = root, keys, current

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """The parameter's value: base64 of one 32-byte key, or the ring's JSON."""
        text = text.strip()
        if not text.startswith("{"):
            return cls(_b64(text))
        try:
            ring = json.loads(text)
            keys = {int(key_id): _b64(key) for key_id, key in ring["keys"].items()}
            return cls(_b64(ring["root"]), keys, int(ring["current"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyUnavailable("the field key ring is not readable") from None

    def dump(self) -> str:
        encode = lambda key: base64.b64encode(key).decode()  # noqa: E731
        return json.dumps({
            "root": encode(self.root), "current": self.current,
            "keys": {str(key_id): encode(key) for key_id, key in sorted(self.keys.items())},
        })

    def with_new_key(self, key: bytes) -> KeyRing:
        """A new current key; the others stay, to open what they sealed until it is re-sealed."""
        new_id = max(self.keys) + 1
        if new_id > 255:
            raise KeyUnavailable("the key ring has used every key id")
        return KeyRing(self.root, {**self.keys, new_id: key}, new_id)

    def retired(self) -> KeyRing:
        """Only the current sealing key: once nothing sealed under another remains."""
        return KeyRing(self.root, {self.current: self.keys[self.current]}, self.current)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise KeyUnavailable("the field key is not base64") from None


# ---- the cipher ------------------------------------------------------------------------------------

class FieldCipher:
    def __init__(self, ring: KeyRing | bytes, suite=None, reload=None):
        """``ring`` (a bare key is a ring of one); ``reload`` reads the ring again, for a key not known yet."""
        self.suite = suite or SUITES["aes"]
        self._reload = reload
        self._use(ring if isinstance(ring, KeyRing) else KeyRing(ring))

    def _use(self, ring: KeyRing) -> None:
        derive = self.suite.derive
        self.ring = ring
        self._hash_key = derive(ring.root, b"suqiu/keyed-hash")
        self._sign_key = derive(ring.root, b"suqiu/signature")
        self._token_key = derive(ring.root, b"suqiu/resident-token")
        self._seal_keys = {
            key_id: derive(key, b"suqiu/field-encryption", self.suite.seal_key_bytes) for key_id, key in ring.keys.items()
        }

    def seal(self, value: Any, context: str) -> bytes:
        """Encrypt a JSON value; ``context`` (e.g. the tracking number) binds it to its record."""
        header = bytes((_FORMAT, self.suite.code[0], self.ring.current))
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(value, ensure_ascii=False).encode()
        return header + nonce + self.suite.encrypt(self._seal_keys[self.ring.current], nonce, plain, header + context.encode())

    def open(self, sealed: bytes, context: str) -> Any:
        """The value; InvalidTag if it was changed or moved to another context; WrongSuite; UnknownKey."""
        from cryptography.exceptions import InvalidTag

        suite, key_id = self._header(sealed)
        if suite is self.suite and key_id not in self._seal_keys and self._reload is not None:
            self._use(self._reload())  # a rotation began after this container read the ring
        refusal = None
        if suite is self.suite and key_id in self._seal_keys:
            try:
                return self._open_headed(sealed, context, key_id)
            except InvalidTag:
                if not self._may_be_unheaded():
                    raise
        elif suite is not None:
            refusal = self._refusal(suite, key_id)
        if not self._may_be_unheaded():
            raise refusal or self._unheaded_refusal()
        # Sealed before the header: AES-GCM under the root key, the context alone authenticated. (An old
        # value's first three nonce bytes can look like a header, odds 2 in 2**24: it is tried as old too.)
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return json.loads(self.suite.decrypt(self._seal_keys[ROOT_KEY_ID], nonce, body, context.encode()))
        except InvalidTag:
            if refusal is not None:
                raise refusal from None
            raise

    def _open_headed(self, sealed: bytes, context: str, key_id: int) -> Any:
        header, nonce = sealed[:_HEADER_BYTES], sealed[_HEADER_BYTES:_HEADER_BYTES + _NONCE_BYTES]
        body = sealed[_HEADER_BYTES + _NONCE_BYTES:]
        return json.loads(self.suite.decrypt(self._seal_keys[key_id], nonce, body, header + context.encode()))

    @staticmethod
    def _header(sealed: bytes) -> tuple[Any, int | None]:
        """The suite and key id a value names; (None, None) for no header."""
        if len(sealed) > _HEADER_BYTES and sealed[0] == _FORMAT and sealed[1] in _BY_CODE:
            return _BY_CODE[sealed[1]], sealed[2]
        return None, None

    def _refusal(self, suite, key_id: int) -> KeyUnavailable:
        if suite is not self.suite:
            return WrongSuite(
                f"a stored value was sealed with the {suite.name} suite, but this stack is configured for "
                f"{self.suite.name}: CRYPTO_SUITE must not change on a stack with data"
            )
        return UnknownKey(f"a stored value was sealed with key {key_id}, which the key ring does not hold")

    def _unheaded_refusal(self) -> KeyUnavailable:
        if self.suite.name == "aes":
            return UnknownKey(f"a stored value was sealed before the key ring, under key {ROOT_KEY_ID}, which it no longer holds")
        return WrongSuite(f"a stored value has no {self.suite.name} header: this stack's suite did not seal it")

    def _may_be_unheaded(self) -> bool:
        """Values sealed before the header (AES-GCM under the root key) exist only in aes stacks, until rotated."""
        return self.suite.name == "aes" and ROOT_KEY_ID in self._seal_keys

    def reseal(self, sealed: bytes, context: str) -> bytes | None:
        """The value sealed again under the current key (the rotation); None if it already is."""
        from cryptography.exceptions import InvalidTag

        suite, key_id = self._header(sealed)
        if suite is self.suite and key_id == self.ring.current:
            try:
                self._open_headed(sealed, context, key_id)
                return None
            except InvalidTag:
                pass  # an old value that only looks headed, or a changed one: open says which
        return self.seal(self.open(sealed, context), context)

    def keyed_hash(self, *parts: str) -> str:
        """A hash only this deployment can compute: query codes are short, so a plain hash would fall to a dictionary."""
        # surrogatepass: a part may be client input that is not valid UTF-8 (a lone surrogate
        # from a query string); it must hash (to something that matches nothing), not fail.
        message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        return self.suite.mac(self._hash_key, message).hex()

    def sign(self, message: str) -> str:
        digest = self.suite.mac(self._sign_key, message.encode())
        return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")

    def token_key(self) -> bytes:
        """The HS256 key of the residents' short-lived tokens (after phone verification)."""
        return self._token_key


def _ring_text(fresh: bool = False) -> str:
    """The ring as stored: SSM's (kept RING_SECONDS, unless ``fresh``) or, off the cloud, FIELD_KEY."""
    settings = get_settings()
    if settings.field_key_parameter:
        return secret(settings.field_key_parameter, RING_SECONDS, fresh=fresh)
    if settings.field_key:
        return settings.field_key
    raise KeyUnavailable("set FIELD_KEY_PARAMETER (SSM SecureString) or FIELD_KEY")


_cached: tuple[str, FieldCipher] | None = None  # the cipher, and the ring text it was made from


def get_cipher() -> FieldCipher:
    """The stack's cipher, made again when the ring read (from SSM: again after RING_SECONDS) changed."""
    global _cached
    text = _ring_text()
    if _cached is None or _cached[0] != text:
        _cached = (text, FieldCipher(KeyRing.parse(text), suite_named(get_settings().crypto_suite), reload=_ring_now))
    return _cached[1]


def _ring_now() -> KeyRing:
    """The ring SSM holds now, for a value sealed under a key this container does not know yet."""
    return KeyRing.parse(_ring_text(fresh=True))


def forget_cipher() -> None:
    """The next get_cipher reads the settings and the ring again (tests that change them)."""
    global _cached
    _cached = None
    forget_secrets()
