"""The chaos run's plan and verdict, without a stack."""

from __future__ import annotations

import random
from collections import Counter

from motcua_cli.chaos import BROKER_KILL, POISON, STAGE_KILL, passed, plan_faults, poison_records

STAGES = ["appraisal", "approval", "signing", "delivery", "audit", "operations"]


def test_each_fault_gets_its_own_slot_of_the_window() -> None:
    for seed in range(20):
        faults = plan_faults(random.Random(seed), 80.0, STAGES)
        kinds = Counter(fault.kind for fault in faults)
        assert kinds[STAGE_KILL] == 3 and kinds[BROKER_KILL] == 1 and kinds[POISON] == 1
        assert len(faults) == 8
        slot = 80.0 / len(faults)
        for index, fault in enumerate(faults):  # one per slot, never at its edges
            assert index * slot < fault.at < (index + 1) * slot
        assert len({f.target for f in faults if f.kind == STAGE_KILL}) == 3


def test_the_plan_follows_the_seed() -> None:
    assert plan_faults(random.Random(7), 60, STAGES) == plan_faults(random.Random(7), 60, STAGES)
    assert plan_faults(random.Random(7), 60, STAGES) != plan_faults(random.Random(8), 60, STAGES)


def test_every_poison_record_is_distinct() -> None:
    records = poison_records(random.Random(1), oversized_bytes=2_000_000)
    assert len({value for value, _ in records}) == len(records)
    assert max(len(value) for value, _ in records) == 2_000_000


def clean() -> dict:
    return {"dossiers": 10, "terminal": 10, "lost": 0, "duplicates": 0,
            "dead_letters_not_injected": 0, "injected_not_dead_lettered": 0,
            "replay_findings_not_injected": [], "edge_refusals": {"413": 1}}


def test_the_verdict_fails_on_any_loss_duplicate_or_stray_dead_letter() -> None:
    assert passed(clean())
    for change in ({"lost": 1}, {"duplicates": 1}, {"terminal": 9},
                   {"dead_letters_not_injected": 1}, {"injected_not_dead_lettered": 1},
                   {"replay_findings_not_injected": [{"reason": "x"}]},
                   {"edge_refusals": {"202": 1}}, {"edge_refusals": {}}):
        assert not passed({**clean(), **change}), change
