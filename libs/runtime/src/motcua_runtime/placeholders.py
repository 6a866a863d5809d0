"""Refusing to start on a published placeholder. docker-compose.yml and the PKI ship development
values (`dev-only-intake`, `motcua-dev-only-not-a-secret`, ...) that anyone can read in this
repository; they are fine on a laptop and a hole anywhere else. So outside development
(MOTCUA_ENV is not `development`; unset counts as production) a service, and `motcua migrate`,
refuse to start while any secret-looking variable holds one, while the retired shared token
secret is still set, or when a service with an HTTP API has no token issuer key to check
officers with. A secret given as a file (`..._PASSPHRASE_FILE`, `..._PASSWORD_FILE`, as mounted
secrets are) is judged by the file's contents. Messages name the variable, never its value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from motcua_runtime.issuer_keys import IssuerKeyProblem, load_public_keys
from motcua_runtime.settings import ServiceSettings

DEVELOPMENT = "development"
MARKERS = ("dev-only", "change-me", "changeme")
# Variables whose value is (or embeds) a credential: passwords, passphrases, database URLs.
_SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|DATABASE_URL|PRIVATE_KEY|_KEY$")
RETIRED = {"MOTCUA_TOKEN_SECRET": "officers' and services' tokens are EdDSA now, checked with "
                                  "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY and the key registry; a shared "
                                  "secret would let any holder mint an admin's token"}


def development(environ: Mapping[str, str]) -> bool:
    return environ.get("MOTCUA_ENV", "").strip().lower() == DEVELOPMENT


def environment_problems(environ: Mapping[str, str]) -> list[str]:
    """What in the environment production must not run with (empty in development)."""
    if development(environ):
        return []
    problems = []
    for name in sorted(environ):
        value = environ[name].lower()
        marker = next((m for m in MARKERS if m in value), None)
        if marker and _SECRET_NAME.search(name):
            problems.append(f"{name} holds a published placeholder ({marker}...): set a real "
                            "secret")
        elif name.endswith("_FILE") and _SECRET_NAME.search(name.removesuffix("_FILE")) and \
                (marker := _file_marker(environ[name])):
            problems.append(f"{name} names a file holding a published placeholder "
                            f"({marker}...): put a real secret in it")
        elif name in RETIRED and value.strip():
            problems.append(f"{name} is no longer read ({RETIRED[name]}): remove it")
    return problems


def _file_marker(path: str) -> str | None:
    """The placeholder marker in a secret file, if any. An unreadable file is not judged here:
    whoever reads the secret says so, naming the variable."""
    try:
        contents = Path(path).read_text(errors="replace").lower() if path else ""
    except OSError:
        return None
    return next((m for m in MARKERS if m in contents), None)


def settings_problems(settings: ServiceSettings, *, serves_http: bool) -> list[str]:
    """The token issuer key: unreadable is a mistake anywhere; missing only outside
    development, where an HTTP API nobody can sign in to is a misconfiguration, not a mode."""
    problems = []
    if settings.token_issuer_public_key is not None:
        try:
            load_public_keys(settings.token_issuer_public_key)
        except IssuerKeyProblem as problem:
            problems.append(str(problem))
    elif serves_http and not settings.development:
        problems.append("no MOTCUA_TOKEN_ISSUER_PUBLIC_KEY: officers could not sign in; run "
                        "`motcua tokens init` where tokens are issued and give this service "
                        "its issuer.pub")
    return problems


def refuse_placeholders(settings: ServiceSettings, environ: Mapping[str, str], *,
                        serves_http: bool) -> None:
    problems = environment_problems(environ) + settings_problems(settings,
                                                                serves_http=serves_http)
    if problems:
        mode = "development" if settings.development else \
            f"MOTCUA_ENV={environ.get('MOTCUA_ENV') or '(unset: production)'}"
        raise SystemExit(f"refusing to start ({mode}):\n  - " + "\n  - ".join(problems)
                         + "\n(MOTCUA_ENV=development accepts the placeholders, on a developer's "
                           "machine only)")
