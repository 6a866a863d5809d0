"""The architecture's promises, checked on the source: stages never import each other, and the
contracts depend on nothing but pydantic and the standard library (any agency can use them)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("intake", "appraisal", "approval", "signing", "delivery", "audit", "operations",
          "portal")


def imported_modules(package_dir: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module
                     else [])
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_other_stage(stage):
    imports = imported_modules(ROOT / "services" / stage / "src" / f"motcua_{stage}")
    others = {f"motcua_{other}" for other in STAGES if other != stage}
    assert not others & imports.keys(), {m: imports[m] for m in others & imports.keys()}


def test_contracts_need_only_pydantic_and_the_standard_library():
    imports = imported_modules(ROOT / "libs" / "contracts" / "src" / "motcua_contracts")
    # rfc8785: the canonical JSON every agency must agree on (pure Python, no dependencies).
    allowed = ({"pydantic", "rfc8785", "motcua_contracts", "__future__"}
               | set(sys.stdlib_module_names))
    assert imports.keys() <= allowed, {m: imports[m] for m in imports.keys() - allowed}


# The province lives in configuration (PROVINCE_NAME, CENTRE_*: motcua_catalogue.centre, whose
# defaults name Lào Cai) and in the catalogue's data (data/lao-cai.json, MOTCUA_CATALOGUE);
# nowhere else in the code, so that another province runs motcua by configuration alone.
PROVINCE_WORDS = ("Lào Cai", "Lao Cai", "Yên Bái", "Hà Giang", ".H38")
CONFIGURATION = {"libs/catalogue/src/motcua_catalogue/centre.py"}


def test_no_province_is_written_in_the_code():
    written = []
    for top in ("libs", "services", "apps"):
        for path in (ROOT / top).rglob("*"):
            relative = str(path.relative_to(ROOT))
            if (path.suffix not in (".py", ".html", ".txt") or "/data/" in relative
                    or relative in CONFIGURATION):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0] if path.suffix == ".py" else line
                if any(word in code for word in PROVINCE_WORDS) and "examples=" not in code:
                    written.append(f"{relative}:{number}: {line.strip()}")
    assert written == []
