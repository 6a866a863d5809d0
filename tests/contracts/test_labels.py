"""Every event type has its Vietnamese name: a citizen never reads a class name."""

from motcua_contracts import EVENT_TYPES
from motcua_contracts.labels import EVENT_NAMES, event_name


def test_every_event_type_has_a_vietnamese_name_and_no_name_is_left_over():
    assert set(EVENT_NAMES) == set(EVENT_TYPES)
    assert all(name and name != kind for kind, name in EVENT_NAMES.items())
    assert len(set(EVENT_NAMES.values())) == len(EVENT_NAMES)  # no two steps read alike


def test_a_type_this_version_does_not_know_reads_as_itself():
    assert event_name("ResultHandedToPost") == "Chuyển kết quả cho bưu điện"
    assert event_name("SomethingNew") == "SomethingNew"
