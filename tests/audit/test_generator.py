"""The auditors' generator (motcua_audit.generator), which `motcua audit bench` and the profiling
scripts replay: every event it makes is one the contracts accept (parsed as a consumer parses the
topic), every path of PATHS occurs, and a share of its dossiers are brought in from the system
being replaced, signed by the import key the trust list names, which the replay verifies and
counts apart from native history."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from motcua_audit.auditor import Auditor
from motcua_audit.generator import IMPORT, IMPORTED, generate, prepare_keys
from motcua_contracts.topic import parse_event
from motcua_runtime.keys import load_registry
from motcua_runtime.trust import Verifier

DOSSIERS = 400
ALL_IMPORTED = 1500  # enough for every imported status to occur


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    keys_dir = tmp_path_factory.mktemp("generator-keys")
    return keys_dir, list(generate(prepare_keys(keys_dir), DOSSIERS, seed=3, window=50))


def test_every_generated_event_is_one_the_contracts_accept(generated):
    _, records = generated
    refused = Counter()
    types = Counter()
    for _partition, _offset, _key, value in records:
        try:
            types[parse_event(value).type] += 1
        except ValueError as error:  # pydantic's ValidationError, UnsupportedEvent
            refused[(json.loads(value)["type"], str(error).splitlines()[0])] += 1
    assert refused == Counter()
    # Postal deliveries included: who signed for it travels sealed.
    assert types["ResultPickedUpByPost"] > 0 and types["ResultDelivered"] > 0


def test_a_share_of_the_dossiers_is_imported_and_signed_by_the_import_key(generated):
    keys_dir, records = generated
    events = [parse_event(value) for *_, value in records]
    imported = [e for e in events if e.type == "DossierImported"]
    roots = [e for e in events if e.type in ("DossierImported", "DossierSubmitted")]
    assert len(roots) == DOSSIERS
    assert 0.02 < len(imported) / DOSSIERS < 0.09  # about 5%
    assert {e.producer.service for e in imported} == {IMPORT}
    # Ended there, and continued here: by the agency, the desk, a withdrawal, an old result.
    assert {e.status for e in imported} >= {10, 4}
    continued = {e.dossier_id for e in imported if e.continues_at}
    assert any(e.dossier_id in continued and e.type == "ResultDelivered" for e in events)
    # The replay verifies them (signature, key, entitlement, chain, lifecycle) and counts them
    # apart from native history.
    auditor = Auditor(Verifier(load_registry(keys_dir)))
    for record in records:
        auditor.feed(*record)
    auditor.finish()
    assert auditor.findings == []
    assert auditor.tally.imported_dossiers == len(imported)
    assert auditor.tally.continued_events > 0


def test_every_imported_status_replays_clean(tmp_path):
    """Every status an import takes (generator.IMPORTED), continued here as the stages would."""
    signer_of = prepare_keys(tmp_path)
    records = list(generate(signer_of, ALL_IMPORTED, seed=3, window=50))
    events = [parse_event(value) for *_, value in records]
    assert {e.status for e in events if e.type == "DossierImported"} == set(IMPORTED)
    auditor = Auditor(Verifier(load_registry(tmp_path)))
    for record in records:
        auditor.feed(*record)
    auditor.finish()
    assert auditor.findings == []
