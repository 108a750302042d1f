"""The field cipher: sealing contact data, keyed hashes, signatures, key derivation (the default suite, aes)."""
from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib.adapters.crypto import SUITES, FieldCipher, KeyUnavailable

KEY = bytes(range(32))
CONTACT = {"name": "李桂兰", "phone": "13904371234"}


@pytest.mark.parametrize("purpose", [b"suqiu/field-encryption", b"suqiu/keyed-hash", b"suqiu/signature"])
def test_key_derivation_is_rfc5869_hkdf_sha256(purpose):
    reference = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(KEY)

    assert SUITES["aes"].derive(KEY, purpose) == reference


def test_sealed_contact_opens_with_its_context_only():
    cipher = FieldCipher(KEY)
    sealed = cipher.seal(CONTACT, "LY202611210001")

    assert cipher.open(sealed, "LY202611210001") == CONTACT
    assert "13904371234".encode() not in sealed and "李桂兰".encode() not in sealed
    with pytest.raises(InvalidTag):
        cipher.open(sealed, "LY202611210002")  # moved onto another record


def test_tampered_ciphertext_does_not_open():
    cipher = FieldCipher(KEY)
    sealed = bytearray(cipher.seal(CONTACT, "LY202611210001"))
    sealed[-1] ^= 1

    with pytest.raises(InvalidTag):
        cipher.open(bytes(sealed), "LY202611210001")


def test_each_seal_uses_a_fresh_nonce():
    cipher = FieldCipher(KEY)

    assert cipher.seal(CONTACT, "x") != cipher.seal(CONTACT, "x")


def test_keyed_hash_depends_on_key_and_parts():
    cipher, other = FieldCipher(KEY), FieldCipher(bytes(32))

    assert cipher.keyed_hash("query-code", "LY1", "ABC") == cipher.keyed_hash("query-code", "LY1", "ABC")
    assert cipher.keyed_hash("query-code", "LY1", "ABC") != cipher.keyed_hash("query-code", "LY1", "ABD")
    assert cipher.keyed_hash("query-code", "LY1", "ABC") != other.keyed_hash("query-code", "LY1", "ABC")
    # Parts are separated, so shifting characters between them changes the hash.
    assert cipher.keyed_hash("a", "bc") != cipher.keyed_hash("ab", "c")


def test_signatures_differ_from_hashes_and_between_messages():
    cipher = FieldCipher(KEY)

    assert cipher.sign("upload-1") != cipher.sign("upload-2")
    assert cipher.sign("upload-1") not in cipher.keyed_hash("upload-1")


def test_a_key_of_the_wrong_size_is_refused():
    with pytest.raises(KeyUnavailable):
        FieldCipher(b"short")
