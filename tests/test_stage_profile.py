"""scripts/stage_profile.py: py-spy's raw samples filed by part, waits left out."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "stage_profile.py"
spec = importlib.util.spec_from_file_location("stage_profile", SCRIPT)
assert spec is not None and spec.loader is not None
stage_profile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stage_profile)

CONSUMER = ("run (asyncio/runners.py:190);BatchProcessor.process (motcua_runtime/consumer.py:246);"
            "BatchProcessor._apply (motcua_runtime/consumer.py:411)")


def test_a_sample_goes_to_the_innermost_part_listed_first_and_waits_are_left_out(tmp_path):
    raw = tmp_path / "signing.txt"
    raw.write_text("\n".join([
        # the seal, called by the consumer's batch: the seal's, not the batch's
        f"{CONSUMER};Signing.sign (motcua_signing/handlers.py:87);"
        "ResultIssuer.issue (motcua_signing/issuer.py:40);_CmsTemplate.sign (seal.py:121) 30",
        # the batch's own SQL
        f"{CONSUMER};AsyncSession.execute (sqlalchemy/ext/asyncio/session.py:652) 10",
        # the event loop waiting: not a busy sample
        "run (asyncio/runners.py:190);EpollSelector.select (selectors.py:468) 500",
        "run (asyncio/runners.py:190);Handle._run (asyncio/events.py:80) 5",
        "",
    ]))
    busy, parts = stage_profile.shares(raw)
    assert busy == 45
    assert parts == {"signing: the result's page and seal": 30,
                     "the batch's transaction (chain book, inbox, SQL)": 10,
                     stage_profile.OTHER: 5}


def test_a_file_not_in_py_spy_s_raw_format_is_refused_with_its_line(tmp_path):
    raw = tmp_path / "flame.svg"
    raw.write_text("run (asyncio/runners.py:190) 3\n<svg version=\"1.1\">\n")
    with pytest.raises(SystemExit, match=r"flame.svg:2: not py-spy's raw format"):
        stage_profile.shares(raw)
