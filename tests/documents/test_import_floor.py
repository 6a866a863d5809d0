"""The fixed floor of a service's memory (docs/performance.md, "Memory"): what a service imports
at start it holds for ever. reportlab (with PIL) is about 20 MB of RSS and only the sample
attachments draw with it, so a service that needs the documents' wording, geometry or lookup
link must not load it by importing motcua_documents."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _modules_after(statement: str) -> set[str]:
    script = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=os.environ.copy(), check=True, timeout=120)
    return set(done.stdout.split())


@pytest.mark.parametrize("service", ["approval", "appraisal", "operations", "delivery",
                                     "signing", "intake", "workspace"])
def test_a_service_starts_without_reportlab(service: str) -> None:
    loaded = _modules_after(f"import motcua_{service}.app, motcua_{service}.__main__")
    assert "reportlab" not in loaded
    assert "PIL" not in loaded


def test_approval_and_operations_start_without_the_forms() -> None:
    # Approval words its default decision with motcua_documents.result, operations serves the
    # report table of motcua_documents.report_06a: neither draws a form or a QR code.
    for service in ("approval", "operations"):
        loaded = _modules_after(f"import motcua_{service}.app, motcua_{service}.__main__")
        assert not {"motcua_documents.forms", "fontTools", "segno"} & loaded, service


def test_the_package_still_gives_the_forms_names() -> None:
    loaded = _modules_after("from motcua_documents import TITLES, MEDIA_TYPE, lookup_url, render")
    assert "motcua_documents.forms" in loaded
    import motcua_documents

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        motcua_documents.nothing  # noqa: B018
