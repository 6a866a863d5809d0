"""The key registry: validity at an event's time, rotation keeping old keys for the past,
revocation dating the compromise, private keys readable by their owner only."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone

import pytest

from motcua_runtime.keys import (
    KeyProblem,
    KeyRegistry,
    create_key,
    ensure_keys,
    load_registry,
    private_key_path,
    revoke,
    rotate,
    signer_for,
)

NOW = datetime.now(timezone.utc)


def test_init_creates_one_key_per_instance_once(tmp_path):
    created = ensure_keys(tmp_path, [("intake", None), ("appraisal", "STP")])
    assert [r.key_id for r in created] == ["intake-1", "appraisal.STP-1"]
    assert ensure_keys(tmp_path, [("intake", None), ("appraisal", "STP")]) == []
    registry = load_registry(tmp_path)
    assert registry.keys["appraisal.STP-1"].agency == "STP"
    assert registry.keys["intake-1"].agency is None


def test_private_keys_are_readable_by_their_owner_only(tmp_path):
    record = create_key(tmp_path, "signing", "STP")
    path = private_key_path(tmp_path, record.key_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "PRIVATE" not in (tmp_path / "registry.json").read_text()


def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_for_the_past(tmp_path):
    old = create_key(tmp_path, "approval", "STP")
    new = rotate(tmp_path, "approval", "STP", grace=timedelta(hours=1))
    registry = load_registry(tmp_path)
    assert signer_for(tmp_path, "approval", "STP").key_id == new.key_id
    kept = registry.keys[old.key_id]
    assert kept.problem_at(NOW - timedelta(days=30)) is None  # past events still verify
    assert "expired" in kept.problem_at(NOW + timedelta(hours=2))


def test_a_revoked_key_vouches_only_for_what_it_signed_before(tmp_path):
    record = create_key(tmp_path, "delivery", None)
    revoke(tmp_path, record.key_id, at=NOW)
    revoked = load_registry(tmp_path).keys[record.key_id]
    assert revoked.problem_at(NOW - timedelta(seconds=1)) is None
    assert "revoked" in revoked.problem_at(NOW)
    with pytest.raises(KeyProblem, match="no valid key for delivery"):
        signer_for(tmp_path, "delivery", None)


def test_a_running_consumer_sees_a_key_added_after_it_loaded_the_registry(tmp_path):
    create_key(tmp_path, "intake", None)
    registry = KeyRegistry.load(tmp_path / "registry.json")
    added = create_key(tmp_path, "appraisal", "SXD")
    assert registry.get(added.key_id) == added


def test_a_broken_or_missing_registry_is_a_clear_error(tmp_path):
    with pytest.raises(KeyProblem, match="motcua keys init"):
        load_registry(tmp_path)
    (tmp_path / "registry.json").write_text('{"keys": [{"key_id": "x"}]}')
    with pytest.raises(KeyProblem, match="not valid"):
        load_registry(tmp_path)
