"""Ed25519 (RFC 8032) verification of a detached signature with libsodium, the copy PyNaCl
bundles: what motcua_runtime.trust checks every event's signature with.

PyNaCl binds only `crypto_sign_open`, which takes the signature and the message as one buffer:
the caller concatenates them, PyNaCl allocates and zeroes a buffer as long and copies the message
out of it. That is 2 to 3 µs of the 60 a verification costs on this machine, paid for every
event a consumer or the replay verifies (issue 15). The library PyNaCl bundles also exports
libsodium's `crypto_sign_verify_detached`, the very check `crypto_sign_open` makes before it
copies (the same canonical-S, small-order and equation checks), on the two buffers as they are;
it is called here through ctypes. Where a build of PyNaCl does not export it, verification
falls back to `crypto_sign_open`: the verdicts are the same, only slower."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from nacl import _sodium
from nacl.bindings import crypto_sign_open  # importing nacl.bindings runs sodium_init
from nacl.exceptions import BadSignatureError

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def _detached() -> Callable[[bytes, bytes, int, bytes], int] | None:
    """libsodium's crypto_sign_verify_detached from PyNaCl's own library, or None."""
    try:
        function = ctypes.CDLL(_sodium.__file__).crypto_sign_verify_detached
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
    function.restype = ctypes.c_int
    return function


_VERIFY_DETACHED = _detached()


def verify(signature: bytes, message: bytes, public_key: bytes) -> bool:
    """Whether `signature` (64 bytes) is the Ed25519 signature of `message` by `public_key`
    (32 bytes). Lengths are checked here: libsodium reads exactly that many bytes."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        return False
    if _VERIFY_DETACHED is not None:
        return _VERIFY_DETACHED(signature, message, len(message), public_key) == 0
    return verify_combined(signature, message, public_key)


def verify_combined(signature: bytes, message: bytes, public_key: bytes) -> bool:
    """The same verdict through PyNaCl's crypto_sign_open (the fallback, and the reference the
    tests compare with)."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True


def detached_available() -> bool:
    return _VERIFY_DETACHED is not None
