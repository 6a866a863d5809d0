"""The replay's log file source: every record read once, by the share its partition falls to,
whatever its read buffer cuts; a malformed line named by its number."""

from __future__ import annotations

import pytest

from motcua_audit import sources
from motcua_audit.sources import FileSource, SourceError, write_log

RECORDS = [(partition, offset, f"dossier-{partition}".encode(),
            b'{"n":%d,"text":"m\xe1\xbb\x99t c\xe1\xbb\xada"}' % offset)
           for offset in range(40) for partition in range(5)]


def read(path, share, shares):
    return [record for batch in FileSource(path).read_sync(share, shares) for record in batch]


@pytest.mark.parametrize("buffer", [7, 64, 1 << 20])  # lines cut by the buffer, and whole
@pytest.mark.parametrize("shares", [1, 2, 3])
def test_each_record_is_read_once_by_the_share_of_its_partition(tmp_path, monkeypatch, buffer,
                                                                shares):
    monkeypatch.setattr(sources, "_BUFFER", buffer)
    log = tmp_path / "log.tsv"
    assert write_log(log, RECORDS) == len(RECORDS)
    for share in range(shares):
        assert read(log, share, shares) == [r for r in RECORDS if r[0] % shares == share]


def test_a_record_without_a_key_and_a_last_line_without_its_newline(tmp_path):
    log = tmp_path / "log.tsv"
    log.write_bytes(b"0\t1\t\t{}\n1\t2\tk\t{\"a\":1}")
    assert read(log, 0, 1) == [(0, 1, None, b"{}"), (1, 2, b"k", b'{"a":1}')]


@pytest.mark.parametrize("text,line", [
    ("garbage\n", 1),  # the partition is no number: every share says so
    ("0\t1\tk\t{}\n\n", 2),  # an empty line
    ("0\t1\tk\t{}\n1\tnot-an-offset\tk\t{}\n", 2),
    ("0\t1\tk\t{}\n1\t2\n", 2),  # too few fields, in a partition of the second share
])
def test_a_malformed_line_is_named_by_the_share_that_reads_it(tmp_path, text, line):
    log = tmp_path / "bad.tsv"
    log.write_text(text)
    messages = []
    for share in range(2):
        try:
            read(log, share, 2)
        except SourceError as error:
            messages.append(str(error))
    assert messages and all(m == f"{log}:{line}: not a log line (partition TAB offset TAB key "
                                 "TAB value)" for m in messages)
    with pytest.raises(SourceError, match=f"bad.tsv:{line}: not a log line"):
        read(log, 0, 1)
