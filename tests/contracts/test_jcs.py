"""Event hashes are RFC 8785 (JCS): golden vectors with floats, negative zero and keys outside
the basic multilingual plane give the same bytes here and in JavaScript's reference
implementation (`canonicalize` from npm, installed by scripts/test into tests/interop), and a
signed event with floats in its data verifies there as well. Events written before JCS (no
`canonicalization` field) keep verifying as they were signed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from motcua_contracts import JCS, Producer, canonical_json, event_hash, new_event, uuid7
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import DossierAccepted
from tests.support import signed

INTEROP = Path(__file__).resolve().parent.parent / "interop"

VECTORS = [
    {"floor_area_m2": 120.0, "fee": 135000, "ratio": 0.1, "big": 1e21, "tiny": 5e-324},
    {"zero": -0.0, "max": 1.7976931348623157e308, "neg": -123456789.125, "exp": 1e-7},
    # UTF-16 order puts the emoji (a surrogate pair, 0xD83D...) before U+E000; code-point order
    # puts it after: the case where sorted(keys) is not JCS.
    {"\U0001F600": 1, "\ue000": 2, "a": 3, "\u00e9": 4, "Z": 5},
    {"nested": {"list": [1.5, "Lào Cai", None, True, {"b": 2.0, "a": []}]},
     "control": "tab\there\nnewline \u001f \u2028 \"quoted\" \\"},
    {"canonicalization": JCS, "number": 3.0},  # an event's marker selects JCS
]


def node_canonical(documents: list[dict]) -> list[tuple[str, str]]:
    node = shutil.which("node")
    assert node, "node is needed for the JCS interoperability test: scripts/test installs it"
    assert (INTEROP / "node_modules" / "canonicalize").is_dir(), (
        "run `npm ci --prefix tests/interop` (scripts/test does)")
    completed = subprocess.run(
        [node, str(INTEROP / "jcs.js")], input="\n".join(json.dumps(d) for d in documents) + "\n",
        capture_output=True, text=True, check=True, timeout=60)
    return [tuple(line.split("\t", 1)) for line in completed.stdout.split("\n") if line]


def jcs(document: dict) -> bytes:
    return canonical_json({**document, "canonicalization": JCS})


def test_golden_vectors_hash_the_same_in_python_and_javascript():
    marked = [{**vector, "canonicalization": JCS} for vector in VECTORS]
    theirs = node_canonical(marked)
    for vector, (digest, canonical) in zip(marked, theirs, strict=True):
        ours = canonical_json(vector)
        assert ours.decode() == canonical, vector
        assert hashlib.sha256(ours).hexdigest() == digest


def test_floats_are_written_as_ecmascript_numbers():
    assert jcs({"a": 120.0, "b": -0.0, "c": 1e21}) == (
        b'{"a":120,"b":0,"c":1e+21,"canonicalization":"RFC8785"}')


def test_a_signed_event_with_floats_verifies_in_javascript():
    event = signed(new_event(
        DossierAccepted, dossier_id=uuid7(), agency="SXD", producer=Producer(service="intake"),
        dossier=DossierFacts(code="000.00.22.H38-261124-0001", procedure_code="1.001612",
                             applicant_name="Lò Thị Mai", received_at="2026-11-24T08:00:00+07:00",
                             due_at="2026-12-08T08:00:00+07:00", delivery_channel="online",
                             data={"floor_area_m2": 120.0, "\U0001F3E0": "nhà"})))
    document = json.loads(event.model_dump_json())
    assert document["canonicalization"] == JCS
    unsigned = {k: v for k, v in document.items() if k not in ("hash", "signature")}
    [(digest, _)] = node_canonical([unsigned])
    assert digest == document["hash"] == event_hash(document)


def test_an_event_written_before_jcs_verifies_as_it_was_signed():
    legacy = {"type": "DossierAccepted", "data": {"floor_area_m2": 120.0}}
    old_bytes = json.dumps(legacy, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode()
    assert canonical_json(legacy) == old_bytes  # no marker: the old form, 120.0 stays 120.0
    assert event_hash({**legacy, "hash": "x"}) == hashlib.sha256(old_bytes).hexdigest()


def test_a_number_jcs_cannot_carry_is_refused_at_the_edge():
    from motcua_intake.filing.submissions import check_data

    with pytest.raises(ValueError, match="exactly between agencies"):
        check_data({"id": 2**60})


def test_the_fast_writer_gives_the_rfc8785_packages_bytes_on_generated_documents():
    """canonical_json writes most events with the standard library's JSON writer and falls
    back to the rfc8785 package for what it cannot vouch for: on documents full of the edge
    cases (integral, tiny, huge and negative-zero floats, integers at 2**53, keys outside ASCII
    and the BMP, control characters) both give the same bytes, or the same error."""
    import random

    import rfc8785

    rng = random.Random(15)
    keys = ["a", "b", "Z", "aa", "", "fee", "x_1", "\u00e9", "\U0001F600", "\ue000"]
    floats = [0.0, -0.0, 1e-4, 9.99e-5, 1e-7, 5e-324, 0.1, 123.456, 2.0**53, 2.0**53 + 2, 1e16,
              1e21, 1e300, float("inf"), float("nan")]
    integers = [0, 7, -3, 2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 10**20]

    def value(depth: int) -> object:
        pick = rng.random()
        if depth < 3 and pick < 0.15:
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 5))}
        if depth < 3 and pick < 0.25:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return rng.choice([
            lambda: rng.choice(floats), lambda: rng.uniform(-1e6, 1e6),
            lambda: float(rng.randint(-10**6, 10**6)), lambda: rng.choice(integers),
            lambda: rng.randint(-10**9, 10**9), lambda: rng.choice([True, False, None]),
            lambda: rng.uniform(-1, 1) * 10 ** rng.randint(-8, 22),
            lambda: "".join(chr(rng.choice([rng.randint(0, 0x7f), rng.randint(0x80, 0x2fff),
                                            0x2028, 0x1F600, 0xe000, 0xd800]))
                            for _ in range(rng.randint(0, 12))),
        ])()

    def outcome(write, document):
        try:
            return write(document)
        except Exception as error:  # noqa: BLE001 - the same refusal is part of the contract
            return type(error)

    for _ in range(5000):
        document = {rng.choice(keys): value(0) for _ in range(rng.randint(0, 6))}
        document["canonicalization"] = JCS
        assert outcome(canonical_json, document) == outcome(rfc8785.dumps, document), document
