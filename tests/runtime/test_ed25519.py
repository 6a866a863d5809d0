"""Ed25519 verification of a detached signature (motcua_runtime.ed25519): libsodium's
crypto_sign_verify_detached, called directly, gives the same verdict as PyNaCl's
crypto_sign_open on genuine signatures and on every kind of bad one, including those libsodium
refuses for their form (a non-canonical S, a small-order key)."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from motcua_runtime import ed25519

# The order of the Ed25519 group: S + L is the same scalar, in a form RFC 8032 refuses.
L = 2**252 + 27742317777372353535851937790883648493


@pytest.fixture(scope="module")
def signed():
    key = SigningKey(bytes(range(32)))
    message = '{"type":"DossierAccepted","agency":"STP","applicant":"Lò Văn Sáng"}'.encode()
    return key.sign(message).signature, message, bytes(key.verify_key)


def both(signature, message, public_key):
    fast = ed25519.verify(signature, message, public_key)
    assert fast == ed25519.verify_combined(signature, message, public_key)
    return fast


def test_the_installed_pynacl_exports_the_detached_check():
    assert ed25519.detached_available()  # so the tests below exercise it, not the fallback


def test_a_genuine_signature_verifies(signed):
    assert both(*signed)


def test_an_empty_message_is_signed_and_verified_too():
    key = SigningKey(bytes(32))
    assert both(key.sign(b"").signature, b"", bytes(key.verify_key))


@pytest.mark.parametrize("where", ["signature", "message", "public_key"])
def test_one_bit_flipped_anywhere_fails(signed, where):
    parts = dict(zip(("signature", "message", "public_key"), signed, strict=True))
    altered = bytearray(parts[where])
    altered[len(altered) // 2] ^= 0x01
    parts[where] = bytes(altered)
    assert not both(parts["signature"], parts["message"], parts["public_key"])


def test_another_key_fails(signed):
    signature, message, _ = signed
    assert not both(signature, message, bytes(SigningKey(bytes(31) + b"\x01").verify_key))


@pytest.mark.parametrize("signature_bytes,key_bytes", [(63, 32), (65, 32), (0, 32), (64, 31),
                                                       (64, 33), (64, 0)])
def test_wrong_lengths_fail_without_reading_past_the_buffers(signed, signature_bytes,
                                                             key_bytes):
    signature, message, public_key = signed
    assert not both((signature * 2)[:signature_bytes], message, (public_key * 2)[:key_bytes])


def test_a_non_canonical_s_is_refused(signed):
    signature, message, public_key = signed
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + L).to_bytes(32, "little")
    assert not both(malleated, message, public_key)


def test_a_small_order_public_key_is_refused(signed):
    signature, message, _ = signed
    identity = (1).to_bytes(32, "little")  # the neutral point: every "signature" would fit it
    assert not both(bytes(32) + bytes(32), message, identity)
    assert not both(signature, message, identity)


def test_without_the_detached_check_the_fallback_gives_the_same_verdicts(signed, monkeypatch):
    monkeypatch.setattr(ed25519, "_VERIFY_DETACHED", None)
    signature, message, public_key = signed
    assert ed25519.verify(signature, message, public_key)
    assert not ed25519.verify(signature, message + b" ", public_key)
    assert not ed25519.verify(signature[:63], message, public_key)
