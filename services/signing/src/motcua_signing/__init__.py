"""Signing (Đóng dấu), stage 4: the agency's clerk numbers the result, seals it with the agency's
signature and issues it. The signed document stays here; the event carries its hash."""

STAGE = "signing"
