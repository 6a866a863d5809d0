"""Checking a sealed PDF from outside Python, with poppler: `pdfsig` (signature and trust, through
an NSS database holding the dev root) and `pdftotext`. The tests need them: when they are missing
the tests fail and say what to install (`.ci/run` installs them), never skip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

APT = {"pdfsig": "poppler-utils", "pdftotext": "poppler-utils", "certutil": "libnss3-tools"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: apt-get install {APT[name]} "
                    "(.ci/run installs it on a fresh machine)", pytrace=False)
    return path


def nss_trusting(root_pem: Path, directory: Path) -> Path:
    """An NSS database in which `root_pem` is a trusted CA for document signing (C,C,C): what a
    reader's trust store holds once the province's root is installed."""
    directory.mkdir(parents=True, exist_ok=True)
    certutil = tool("certutil")
    subprocess.run([certutil, "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run([certutil, "-A", "-d", f"sql:{directory}", "-n", "motcua-root", "-t", "C,C,C",
                    "-i", str(root_pem)], check=True, capture_output=True)
    return directory


def pdfsig(pdf: Path, nss_dir: Path) -> str:
    # pdfsig exits 0 whatever it finds; its report is what tells.
    result = subprocess.run([tool("pdfsig"), "-nssdir", f"sql:{nss_dir}", str(pdf)],
                            capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def pdftotext(pdf: bytes, directory: Path) -> str:
    path = directory / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([tool("pdftotext"), str(path), "-"], capture_output=True,
                            text=True, check=True, timeout=60)
    return result.stdout


def flip_one_byte_in_a_stream(pdf: bytes) -> bytes:
    """The same file with one bit changed inside the data of the first stream after the page
    object (within the signed byte range): still a readable PDF, no longer the signed one."""
    start = pdf.index(b"stream", pdf.index(b"/Contents")) + len(b"stream\n") + 20
    damaged = bytearray(pdf)
    damaged[start] ^= 0x01
    return bytes(damaged)
