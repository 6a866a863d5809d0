"""`motcua import-legacy` at the edge, without a stack: the sample file it writes is one the
rules take whole, half ended and half in progress; a file is refused before anything is asked
of the system when there is no database to check its codes against."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.legacy import beside
from motcua_cli.main import main
from motcua_intake.legacy import read_lines


def test_the_sample_is_a_file_the_rules_take(tmp_path, capsys):
    out = tmp_path / "mau.jsonl"
    assert main(["--data-dir", str(tmp_path), "import-legacy", "--sample", "40",
                 "--out", str(out)]) == 0
    judged = read_lines(str(out), out.read_text(), default_catalogue(),
                        now=datetime.now(timezone.utc), read_result=beside(out))
    assert len(judged) == 40 and sum(j.dossier.finished for j in judged) == 20
    # The signed results of those at 9 are written beside the file, as the lines name them.
    signed = [j for j in judged if j.dossier.status == 9]
    assert signed and all((tmp_path / j.dossier.result_file).read_bytes() == j.result
                          for j in signed)
    assert f"40 sample dossiers in {out}, {len(signed)} signed result(s) beside it" in \
        capsys.readouterr().err


def test_without_a_database_nothing_is_tried(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    export = tmp_path / "cu.jsonl"
    export.write_text("{}\n")
    with pytest.raises(SystemExit, match="no database: start `motcua up` or set DATABASE_URL"):
        main(["--data-dir", str(tmp_path), "import-legacy", str(export)])
    with pytest.raises(SystemExit, match="name the FILE"):
        main(["--data-dir", str(tmp_path), "import-legacy"])
    with pytest.raises(SystemExit, match="cannot read it"):
        main(["--data-dir", str(tmp_path), "import-legacy", str(tmp_path / "none.jsonl")])
