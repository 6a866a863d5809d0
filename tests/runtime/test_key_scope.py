"""What a key may sign for is stated in the trust list: an agency's key that agency alone, a
shared key every agency but those with an instance of their own (`except_agencies`). The
Verifier refuses the rest; a key written before scopes existed keeps meaning every agency; a
change of instances gives the shared instance a new key instead of re-judging the old one's
past; a service will not start with a key that cannot sign for what it serves."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from motcua_cli.up import ensure_dev_keys
from motcua_contracts import new_event, uuid7
from motcua_contracts.shared import DelayApologized
from motcua_runtime.keys import (
    KeyProblem,
    KeyRecord,
    create_key,
    load_registry,
    own_instances,
    rotate,
    signer_for,
    signer_from_settings,
)
from motcua_runtime.scope import AgencyScope
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.trust import Verifier

NOW = datetime.now(timezone.utc)


def apology(signer, agency: str, at: datetime = NOW):
    """What the shared appraisal instance signed for an STP dossier in the report."""
    return new_event(DelayApologized, dossier_id=uuid7(), agency=agency, occurred_at=at,
                     producer=signer.producer, sign=signer.sign, reason="Thiếu cán bộ",
                     previous_due_at=at + timedelta(days=1), new_due_at=at + timedelta(days=3))


def verdict(keys_dir, event):
    document = json.loads(event.model_dump_json())
    return Verifier(load_registry(keys_dir)).check(document, event.occurred_at)


# -- the rule ---------------------------------------------------------------------------------

def test_the_shared_scope_is_an_exclusion_so_a_new_agency_is_served_without_an_edit():
    shared = AgencyScope.shared({"STP"})
    assert not shared.serves("STP")
    assert shared.serves("SXD") and shared.serves("A-NEW-AGENCY")
    assert AgencyScope("STP").serves("STP") and not AgencyScope("STP").serves("SXD")
    assert AgencyScope().serves("STP")
    assert str(shared) == "every agency but STP"


def test_a_key_covers_an_instance_only_if_it_may_sign_for_every_agency_the_instance_serves():
    assert AgencyScope().covers(AgencyScope.shared({"STP"}))
    assert AgencyScope.shared({"STP"}).covers(AgencyScope.shared({"STP", "SXD"}))
    assert not AgencyScope.shared({"STP", "SXD"}).covers(AgencyScope.shared({"STP"}))
    assert not AgencyScope.shared({"STP"}).covers(AgencyScope("STP"))
    assert AgencyScope("STP").covers(AgencyScope("STP"))
    assert not AgencyScope("STP").covers(AgencyScope())


# -- the Verifier -----------------------------------------------------------------------------

def test_a_scoped_shared_key_is_refused_for_an_agency_with_its_own_instance(tmp_path):
    ensure_dev_keys(tmp_path, {"appraisal": ["STP"]})
    shared = signer_for(tmp_path, "appraisal", None)
    refused = verdict(tmp_path, apology(shared, "STP"))
    assert refused.kind == "entitlement"
    assert refused.reason == (f"DelayApologized for agency STP signed with key {shared.key_id} "
                              "of appraisal, which may sign for every agency but STP (STP has "
                              "an instance of its own)")
    assert verdict(tmp_path, apology(shared, "SXD")) is None
    assert verdict(tmp_path, apology(signer_for(tmp_path, "appraisal", "STP"), "STP")) is None


def test_a_key_written_before_scopes_existed_still_signs_for_every_agency(tmp_path):
    """A registry entry without `except_agencies` (as every key in an old log's registry):
    today's meaning, so the replay of an old log still passes."""
    record = create_key(tmp_path, "appraisal", None)
    path = tmp_path / "registry.json"
    document = json.loads(path.read_text())
    for entry in document["keys"]:
        entry.pop("except_agencies", None)
    path.write_text(json.dumps(document))
    assert load_registry(tmp_path).keys[record.key_id].except_agencies == frozenset()
    assert verdict(tmp_path, apology(signer_for(tmp_path, "appraisal", None), "STP")) is None


@pytest.mark.parametrize("change, message", [
    ({"agencies": ["SXD"]}, "fields this version does not know: agencies"),
    ({"agency": "STP", "except_agencies": ["SXD"]}, "cannot also list except_agencies"),
    ({"except_agencies": "STP"}, "not a list of agency codes"),
])
def test_a_scope_the_verifier_would_not_enforce_makes_the_registry_invalid(tmp_path, change,
                                                                         message):
    create_key(tmp_path, "appraisal", None)
    path = tmp_path / "registry.json"
    document = json.loads(path.read_text())
    document["keys"][0].update(change)
    path.write_text(json.dumps(document))
    with pytest.raises(KeyProblem, match=message):
        load_registry(tmp_path)


# -- keys init and rotation -------------------------------------------------------------------

def test_keys_init_states_each_shared_keys_scope_in_the_trust_list(tmp_path):
    ensure_dev_keys(tmp_path, {"appraisal": ["STP"], "approval": ["STP", "CAT"]})
    entries = {e["key_id"]: e for e in json.loads((tmp_path / "registry.json").read_text())["keys"]}
    assert entries["appraisal-1"]["except_agencies"] == ["STP"]
    assert entries["approval-1"]["except_agencies"] == ["CAT", "STP"]
    assert entries["intake-1"]["except_agencies"] == []  # stated: nobody left out
    assert "except_agencies" not in entries["appraisal.STP-1"]
    assert own_instances([("appraisal", None), ("appraisal", "STP")]) == {
        "appraisal": frozenset({"STP"})}


def test_a_new_own_instance_replaces_the_shared_key_and_keeps_its_past_verifying(tmp_path):
    ensure_dev_keys(tmp_path, {})
    before = signer_for(tmp_path, "appraisal", None)
    earlier = apology(before, "STP", at=NOW - timedelta(days=1))  # before STP had its own
    created = ensure_dev_keys(tmp_path, {"appraisal": ["STP"]})
    assert created == ["appraisal-2", "appraisal.STP-1"]
    after = signer_for(tmp_path, "appraisal", None)
    assert after.key_id == "appraisal-2"
    assert verdict(tmp_path, earlier) is None  # the old log still verifies
    late = apology(before, "SXD", at=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert "expired" in verdict(tmp_path, late).reason  # no grace: the old key stops now
    assert verdict(tmp_path, apology(after, "STP", at=late.occurred_at)).kind == "entitlement"
    assert ensure_dev_keys(tmp_path, {"appraisal": ["STP"]}) == []  # same instances: no change


def test_rotation_keeps_the_scope(tmp_path):
    ensure_dev_keys(tmp_path, {"delivery": ["BUUDIEN"]})
    new = rotate(tmp_path, "delivery", None, grace=timedelta(0))
    assert new.except_agencies == frozenset({"BUUDIEN"})


# -- the service's own key --------------------------------------------------------------------

def settings(keys_dir, **fields) -> ServiceSettings:
    return ServiceSettings(database_url="postgresql+asyncpg://x/y", keys_dir=keys_dir, **fields)


def test_a_service_refuses_to_start_with_a_key_that_cannot_sign_for_what_it_serves(tmp_path):
    ensure_dev_keys(tmp_path, {"appraisal": ["STP"]})
    with pytest.raises(KeyProblem, match="may sign for every agency but STP, but appraisal "
                                         "serves every agency"):
        signer_from_settings(settings(tmp_path), "appraisal")
    signer = signer_from_settings(settings(tmp_path, except_agencies={"STP"}), "appraisal")
    assert signer.key_id == "appraisal-1"
    assert signer_from_settings(settings(tmp_path, agency="STP"), "appraisal").key_id \
        == "appraisal.STP-1"


def test_an_agency_key_cannot_carry_exclusions():
    with pytest.raises(ValueError, match="signs for that agency alone"):
        KeyRecord("appraisal.STP-1", "appraisal", "STP", b"\0" * 32, NOW,
                  except_agencies=frozenset({"SXD"}))


def test_the_keys_init_command_scopes_as_motcua_up_runs(tmp_path, monkeypatch, capsys):
    """`keys init` counts the post office's delivery instance that `up` always runs, so the two
    never replace each other's shared keys."""
    from motcua_cli.main import main

    monkeypatch.delenv("MOTCUA_KEYS_DIR", raising=False)
    for _ in range(2):
        assert main(["--data-dir", str(tmp_path), "keys", "init",
                     "--instance", "appraisal:STP"]) == 0
    assert "nothing to create" in capsys.readouterr().out
    registry = load_registry(tmp_path / "keys")
    assert registry.keys["appraisal-1"].except_agencies == {"STP"}
    assert registry.keys["delivery-1"].except_agencies == {"BUUDIEN"}
    assert ensure_dev_keys(tmp_path / "keys", {"appraisal": ["STP"], "delivery": ["BUUDIEN"]}) \
        == []
