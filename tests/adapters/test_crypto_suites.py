"""The two crypto suites and the key ring: 国密 known answers, aes unchanged, values that name their suite and key."""
from __future__ import annotations

import hashlib
import hmac
from unittest import mock

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from chalicelib.adapters.crypto import SUITES, FieldCipher, KeyRing, KeyUnavailable, UnknownKey, WrongSuite

KEY = bytes(range(32))
CONTACT = {"name": "李桂兰", "phone": "+8613904371234"}
GM, AES = SUITES["gm"], SUITES["aes"]

# ---- GB/T known answers --------------------------------------------------------------------------


def test_sm4_block_is_the_gbt_32907_2016_example():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()

    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_as_the_gm_suite_seals_is_rfc_8998s_example():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    plain = bytes.fromhex("aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8 + "ee" * 8 + "aa" * 8)
    aad = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    nonce = bytes.fromhex("00001234567800000000abcd")
    expected = (
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15"
        "a56834cbcf98c397b4024a2691233b8d" + "83de3541e4c2b58177e065a9bf7b62ec"  # the tag last
    )

    assert GM.encrypt(key, nonce, plain, aad).hex() == expected
    assert GM.decrypt(key, nonce, bytes.fromhex(expected), aad) == plain
    with pytest.raises(InvalidTag):
        GM.decrypt(key, nonce, bytes.fromhex(expected), aad + b"x")


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
)
def test_sm3_is_the_gbt_32905_2016_examples(message, digest):
    sm3 = hashes.Hash(hashes.SM3())
    sm3.update(message)

    assert sm3.finalize().hex() == digest


def _hmac_sm3(key: bytes, message: bytes) -> bytes:
    """RFC 2104 over SM3, written out here (block 64 bytes), apart from the suite's."""
    def sm3(data: bytes) -> bytes:
        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize()

    key = key.ljust(64, b"\x00")
    return sm3(bytes(b ^ 0x5C for b in key) + sm3(bytes(b ^ 0x36 for b in key) + message))


def test_gm_keyed_hash_is_hmac_sm3():
    assert GM.mac(b"k" * 32, b"phone\x1f+8613904371234") == _hmac_sm3(b"k" * 32, b"phone\x1f+8613904371234")


def test_gm_key_derivation_is_rfc5869_hkdf_over_sm3():
    prk = _hmac_sm3(b"\x00" * 32, KEY)
    okm = _hmac_sm3(prk, b"suqiu/field-encryption\x01")

    assert GM.derive(KEY, b"suqiu/field-encryption") == okm
    assert GM.derive(KEY, b"suqiu/field-encryption", 16) == okm[:16]


# ---- aes: byte for byte what was stored before the suites ---------------------------------------

# Made by the code as it was before the suites (FieldCipher(KEY), nonce bytes 100…111).
OLD_SEALED = bytes.fromhex(
    "6465666768696a6b6c6d6e6f8cf734ee1f7a7ad5debaddd564c055335e7024039c8c5eb6485e410a2cc227ca29c1bb0daa4b1dc0"
    "37ae19833143b671a46bebba6bbc020ba706d89d0de3dc70"
)


def test_aes_opens_what_was_sealed_before_the_suites():
    assert FieldCipher(KEY).open(OLD_SEALED, "LY202611210001") == CONTACT
    with pytest.raises(InvalidTag):
        FieldCipher(KEY).open(OLD_SEALED, "LY202611210002")


def test_aes_hashes_signatures_and_token_key_are_those_stored_before():
    cipher = FieldCipher(KEY)

    assert cipher.keyed_hash("phone", "+8613904371234") == "5e54f0cd0a2cf79b65867565c8d570946f0ba705d76ad0807f197ab72c0043fb"
    assert cipher.sign("upload-1") == "kCv0-ItV2Hd969xt"
    assert cipher.token_key().hex() == "9ea86cf02e931b4ccafb0b59bad41ef001ccb0bb991dcb14669632f82afa8722"


@pytest.mark.parametrize("looks_like", [b"\xa5A\x00", b"\xa5A\x07", b"\xa5G\x00"])
def test_an_old_value_whose_nonce_looks_like_a_header_still_opens(looks_like):
    nonce = looks_like + bytes(9)
    with mock.patch("os.urandom", lambda n: nonce):
        old = nonce + AES.encrypt(AES.derive(KEY, b"suqiu/field-encryption"), nonce, b'{"a": 1}', b"LY1")

    assert FieldCipher(KEY).open(old, "LY1") == {"a": 1}


# ---- sealed values name their suite and key ------------------------------------------------------


@pytest.mark.parametrize("suite", ["aes", "gm"])
def test_a_sealed_value_names_its_suite_and_key_and_opens_in_its_context_only(suite):
    cipher = FieldCipher(KEY, SUITES[suite])
    sealed = cipher.seal(CONTACT, "LY202611210001")

    assert sealed[:3] == bytes((0xA5, ord(SUITES[suite].code), 0))
    assert cipher.open(sealed, "LY202611210001") == CONTACT
    assert "13904371234".encode() not in sealed and "李桂兰".encode() not in sealed
    with pytest.raises(InvalidTag):
        cipher.open(sealed, "LY202611210002")


@pytest.mark.parametrize("suite", ["aes", "gm"])
@pytest.mark.parametrize("position", [1, 2, 3, -1])  # suite, key id, nonce, tag
def test_a_changed_byte_anywhere_does_not_open(suite, position):
    cipher = FieldCipher(KeyRing(KEY).with_new_key(bytes(32)), SUITES[suite])
    sealed = bytearray(cipher.seal(CONTACT, "LY1"))
    sealed[position] ^= 1

    with pytest.raises((InvalidTag, KeyUnavailable)):
        cipher.open(bytes(sealed), "LY1")


def test_a_value_of_the_other_suite_is_refused_not_opened():
    aes, gm = FieldCipher(KEY, AES), FieldCipher(KEY, GM)

    with pytest.raises(WrongSuite, match="sealed with the aes suite.*configured for gm"):
        gm.open(aes.seal(CONTACT, "LY1"), "LY1")
    with pytest.raises(WrongSuite, match="sealed with the gm suite.*configured for aes"):
        aes.open(gm.seal(CONTACT, "LY1"), "LY1")
    with pytest.raises(WrongSuite, match="no gm header"):
        gm.open(OLD_SEALED, "LY202611210001")  # an aes stack's value from before the header


def test_the_suites_hash_differently_from_the_same_key():
    aes, gm = FieldCipher(KEY, AES), FieldCipher(KEY, GM)

    assert aes.keyed_hash("phone", "+8613904371234") != gm.keyed_hash("phone", "+8613904371234")
    assert len(gm.keyed_hash("phone", "+8613904371234")) == 64  # SM3: 256 bits
    assert aes.token_key() != gm.token_key() and aes.sign("u") != gm.sign("u")


def test_an_unknown_suite_is_a_configuration_error():
    from chalicelib.adapters.crypto import suite_named

    with pytest.raises(KeyUnavailable, match="expected one of aes, gm"):
        suite_named("des")


# ---- the key ring ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["aes", "gm"])
def test_a_new_key_seals_while_the_old_opens_and_hashes_stay(suite):
    before = FieldCipher(KEY, SUITES[suite])
    old = before.seal(CONTACT, "LY1")
    ring = KeyRing(KEY).with_new_key(b"n" * 32)
    after = FieldCipher(KeyRing.parse(ring.dump()), SUITES[suite])

    assert after.ring.current == 1 and after.seal(CONTACT, "LY1")[2] == 1
    assert after.open(old, "LY1") == CONTACT
    assert after.keyed_hash("phone", "x") == before.keyed_hash("phone", "x")
    assert after.sign("u") == before.sign("u") and after.token_key() == before.token_key()


@pytest.mark.parametrize("suite", ["aes", "gm"])
def test_reseal_moves_a_value_to_the_current_key_once(suite):
    old = FieldCipher(KEY, SUITES[suite]).seal(CONTACT, "LY1")
    cipher = FieldCipher(KeyRing(KEY).with_new_key(b"n" * 32), SUITES[suite])

    resealed = cipher.reseal(old, "LY1")

    assert resealed[2] == 1 and cipher.reseal(resealed, "LY1") is None
    retired = FieldCipher(cipher.ring.retired(), SUITES[suite])
    assert retired.open(resealed, "LY1") == CONTACT
    with pytest.raises(UnknownKey, match="key 0"):
        retired.open(old, "LY1")


def test_reseal_moves_an_unheaded_aes_value():
    cipher = FieldCipher(KeyRing(KEY).with_new_key(b"n" * 32))

    resealed = cipher.reseal(OLD_SEALED, "LY202611210001")

    assert FieldCipher(cipher.ring.retired()).open(resealed, "LY202611210001") == CONTACT
    with pytest.raises(UnknownKey):
        FieldCipher(cipher.ring.retired()).open(OLD_SEALED, "LY202611210001")


def test_a_key_the_container_does_not_know_yet_reads_the_ring_again():
    rotated = KeyRing(KEY).with_new_key(b"n" * 32)
    sealed = FieldCipher(rotated).seal(CONTACT, "LY1")
    stale = FieldCipher(KeyRing(KEY), reload=lambda: rotated)

    assert stale.open(sealed, "LY1") == CONTACT
    assert stale.seal(CONTACT, "LY1")[2] == 1  # and it seals under the new key from then on


@pytest.mark.parametrize("text", ["", "not base64!", "{}", '{"root": "AAAA", "current": 0, "keys": {}}', "[1]"])
def test_an_unreadable_ring_is_a_configuration_error(text):
    with pytest.raises(KeyUnavailable):
        KeyRing.parse(text)


def test_a_ring_whose_current_key_is_missing_is_refused():
    import base64
    import json

    key = base64.b64encode(KEY).decode()
    with pytest.raises(KeyUnavailable, match="current key 2"):
        KeyRing.parse(json.dumps({"root": key, "current": 2, "keys": {"0": key}}))


def test_the_hmac_reference_here_agrees_with_the_standard_library_where_it_has_sm3():
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this Python's OpenSSL has no SM3")
    assert _hmac_sm3(b"k", b"m") == hmac.new(b"k", b"m", "sm3").digest()
