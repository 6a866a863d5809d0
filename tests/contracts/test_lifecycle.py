"""The lifecycle fold: every path docs/domain.md describes is legal, and what is stale, out of
order or from the wrong stage is refused with a reason."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from motcua_contracts import PRODUCERS, DossierState, IllegalTransition, Status, advance
from motcua_contracts.lifecycle import AFTER_DELIVERY, NEUTRAL
from motcua_contracts.topic import EVENT_TYPES


def event(kind: str, by: str | None = None, **fields: object) -> SimpleNamespace:
    """The parts of an event the rules read: its type, its producer, and the routing fields."""
    service = by or sorted(PRODUCERS[kind])[0]
    return SimpleNamespace(type=kind, producer=SimpleNamespace(service=service), **fields)


def walk(*steps: SimpleNamespace) -> DossierState:
    state = DossierState()
    for step in steps:
        state = advance(state, step)  # type: ignore[arg-type]
    return state


SUBMIT = event("DossierSubmitted")
ACCEPT = event("DossierAccepted")
APPRAISE = event("DossierAppraised")
APPROVE = event("DossierApproved")
SIGN = event("ResultSigned")
DELIVER = event("ResultDelivered", channel="online", agency="STP")
ASK_AT_INTAKE = event("SupplementRequested", "intake", requested_by="intake")
ASK_AT_APPRAISAL = event("SupplementRequested", "appraisal", requested_by="appraisal")
PROVIDED_TO_INTAKE = event("SupplementProvided", resumes="intake")
PROVIDED_TO_APPRAISAL = event("SupplementProvided", resumes="appraisal")

PATHS = {
    "happy": ([SUBMIT, ACCEPT, APPRAISE, APPROVE, SIGN, DELIVER], Status.DELIVERED),
    "taken over by the agency": ([SUBMIT, ACCEPT, event("DossierTakenOver"), APPRAISE, APPROVE,
                                  SIGN, DELIVER], Status.DELIVERED),
    "denied": ([SUBMIT, ACCEPT, APPRAISE, event("DossierDenied"), SIGN, DELIVER],
               Status.DELIVERED),
    "refused": ([SUBMIT, event("DossierRefused")], Status.REFUSED),
    "supplement at intake, then accepted": (
        [SUBMIT, ASK_AT_INTAKE, PROVIDED_TO_INTAKE, ACCEPT, APPRAISE], Status.IN_PROGRESS),
    "supplement at intake expires": ([SUBMIT, ASK_AT_INTAKE, event("DossierRefused")],
                                     Status.REFUSED),
    "supplement at appraisal": ([SUBMIT, ACCEPT, ASK_AT_APPRAISAL, PROVIDED_TO_APPRAISAL,
                                 APPRAISE], Status.IN_PROGRESS),
    # The rules' refusal of an accepted dossier: processing stopped (8), never a denial.
    "appraisal supplement expires": ([SUBMIT, ACCEPT, ASK_AT_APPRAISAL,
                                      event("SupplementExpired", schema_version=2)],
                                     Status.STOPPED),
    # Schema version 1 handed the dossier back to the agency; older logs still replay.
    "appraisal supplement expires (version 1)": (
        [SUBMIT, ACCEPT, ASK_AT_APPRAISAL, event("SupplementExpired", schema_version=1),
         APPRAISE], Status.IN_PROGRESS),
    "fees": ([SUBMIT, ACCEPT, event("FeesRequested")], Status.AWAITING_FEES),
    "fees paid": ([SUBMIT, ACCEPT, event("FeesRequested"), event("FeesPaid"), APPRAISE],
                  Status.IN_PROGRESS),
    "consultation": ([SUBMIT, ACCEPT, event("ConsultationRequested"),
                      event("ConsultationRequested"), event("ConsultationAnswered"),
                      event("ConsultationAnswered"), APPRAISE], Status.IN_PROGRESS),
    "returned to appraisal": ([SUBMIT, ACCEPT, APPRAISE, event("DossierReturned"), APPRAISE,
                               APPROVE], Status.IN_PROGRESS),
    "withdrawn": ([SUBMIT, ACCEPT, event("WithdrawalRequested"),
                   event("DossierStopped", "appraisal")], Status.STOPPED),
    "withdrawal pending while approval goes on": (
        [SUBMIT, ACCEPT, APPRAISE, event("WithdrawalRequested"), APPROVE],
        Status.WITHDRAWAL_REQUESTED),
    "apology then delivery": ([SUBMIT, ACCEPT, event("DelayApologized", "appraisal"), APPRAISE,
                               event("DossierOverdue"), APPROVE, SIGN, DELIVER],
                              Status.DELIVERED),
}


@pytest.mark.parametrize("name", PATHS)
def test_every_path_of_the_domain_is_legal(name: str):
    steps, final = PATHS[name]
    assert walk(*steps).status == final


def test_the_state_survives_its_json_form():
    state = walk(SUBMIT, ACCEPT, ASK_AT_APPRAISAL)
    assert DossierState.from_json(state.to_json()) == state
    assert DossierState.from_json(None) == DossierState()


REFUSED = [
    ([], ACCEPT, "no DossierSubmitted came first"),
    ([SUBMIT], SUBMIT, "already submitted"),
    ([SUBMIT], APPROVE, "not at approval"),
    ([SUBMIT, ACCEPT], SIGN, "not at signing"),
    ([SUBMIT, ACCEPT, APPRAISE], APPRAISE, "not at appraisal"),
    ([SUBMIT, ASK_AT_INTAKE, PROVIDED_TO_INTAKE], ASK_AT_INTAKE, "only once"),
    ([SUBMIT, ACCEPT, ASK_AT_APPRAISAL], PROVIDED_TO_INTAKE, "no supplement was requested by"),
    ([SUBMIT, ACCEPT, ASK_AT_APPRAISAL], APPRAISE, "not at appraisal"),
    ([SUBMIT, ACCEPT, event("ConsultationRequested")], APPRAISE, "still unanswered"),
    ([SUBMIT, ACCEPT], event("ConsultationAnswered"), "no consultation"),
    ([SUBMIT, ACCEPT], event("FeesPaid"), "no fees are due"),
    ([SUBMIT, ACCEPT, event("DelayApologized", "appraisal")],
     event("DelayApologized", "appraisal"), "already reset once"),
    ([SUBMIT, ACCEPT], event("DelayApologized", "signing"), "only the stage holding"),
    ([SUBMIT, ACCEPT], event("DossierStopped", "appraisal"), "did not ask to withdraw"),
    ([SUBMIT, ACCEPT, APPRAISE, APPROVE, SIGN], event("WithdrawalRequested"), "result is ready"),
    ([SUBMIT], event("DossierAccepted", "appraisal"), "may be emitted by intake, not by appraisal"),
    ([SUBMIT, ACCEPT, APPRAISE], event("DossierApproved", "appraisal"), "not by appraisal"),
    ([SUBMIT], event("SupplementRequested", "intake", requested_by="appraisal"),
     "requested_by appraisal but emitted by intake"),
]


@pytest.mark.parametrize("before, step, reason", REFUSED, ids=[r[2] for r in REFUSED])
def test_an_illegal_event_is_refused_with_the_reason(before, step, reason):
    state = walk(*before)
    with pytest.raises(IllegalTransition, match=reason):
        advance(state, step)


@pytest.mark.parametrize("ending", [[event("DossierRefused")],
                                    [ACCEPT, APPRAISE, APPROVE, SIGN, DELIVER],
                                    [event("WithdrawalRequested"), event("DossierStopped")]])
@pytest.mark.parametrize("following", sorted(set(EVENT_TYPES) - {"DossierSubmitted"} - NEUTRAL
                                              - AFTER_DELIVERY))
def test_nothing_happens_after_the_end(ending, following):
    state = walk(SUBMIT, *ending)
    assert state.ended
    with pytest.raises(IllegalTransition, match="has ended"):
        advance(state, event(following, requested_by="intake", resumes="intake"))


def test_a_rating_follows_the_delivery_and_changes_nothing():
    delivered = walk(SUBMIT, ACCEPT, APPRAISE, APPROVE, SIGN, DELIVER)
    assert advance(delivered, event("DossierRated")) == delivered


@pytest.mark.parametrize("before", [[], [ACCEPT, APPRAISE, APPROVE, SIGN],
                                    [event("DossierRefused")],
                                    [event("WithdrawalRequested"), event("DossierStopped")]])
def test_only_a_delivered_dossier_is_rated(before):
    with pytest.raises(IllegalTransition, match="only a delivered dossier is rated"):
        advance(walk(SUBMIT, *before), event("DossierRated"))


def test_a_rating_from_another_stage_is_refused():
    delivered = walk(SUBMIT, ACCEPT, APPRAISE, APPROVE, SIGN, DELIVER)
    with pytest.raises(IllegalTransition, match="may be emitted by intake"):
        advance(delivered, event("DossierRated", "delivery"))


@pytest.mark.parametrize("ending", [[], [ACCEPT, APPRAISE, APPROVE, SIGN, DELIVER]])
def test_an_operator_resolving_a_dead_letter_changes_nothing_even_after_the_end(ending):
    state = walk(SUBMIT, *ending) if ending else DossierState()
    resolved = event("DeadLetterResolved", consumer="appraisal", resolution="skipped",
                     refused_type="DossierAccepted", refusal="Rejected: stale")
    assert advance(state, resolved) == state


def test_every_event_type_has_its_producers_and_a_rule():
    assert set(PRODUCERS) == set(EVENT_TYPES)


# -- delivery by post: the desk hands over, the post office picks up and delivers --------------

def submitted(channel: str) -> SimpleNamespace:
    return event("DossierSubmitted", delivery=SimpleNamespace(channel=channel))


def delivered(channel: str, agency: str = "STP", **fields: object) -> SimpleNamespace:
    return event("ResultDelivered", channel=channel, agency=agency, **fields)


ACCEPT_STP = event("DossierAccepted", agency="STP")
READY = [ACCEPT_STP, APPRAISE, APPROVE, SIGN]
HAND = event("ResultHandedToPost", agency="BUUDIEN", competent_agency="STP")
PICK = event("ResultPickedUpByPost", post_office="BUUDIEN", tracking_number="RR123456785VN")
POSTED = delivered("postal", post_office="BUUDIEN", tracking_number="RR123456785VN")


def test_by_post_the_result_stays_ready_until_the_post_office_delivers_it():
    state = walk(submitted("postal"), *READY, HAND)
    assert (state.status, state.holder, state.post_office) == (Status.RESULT_READY, "delivery",
                                                               "BUUDIEN")
    state = advance(state, PICK)  # type: ignore[arg-type]
    assert (state.status, state.tracking_number) == (Status.RESULT_READY, "RR123456785VN")
    assert advance(state, POSTED).status == Status.DELIVERED  # type: ignore[arg-type]
    assert DossierState.from_json(state.to_json()) == state


@pytest.mark.parametrize("channel", ["counter", "online"])
def test_at_the_counter_and_online_the_desk_delivers_directly(channel: str):
    assert walk(submitted(channel), *READY, delivered(channel)).status == Status.DELIVERED


POSTAL_REFUSED = [
    ([submitted("postal"), ACCEPT_STP, APPRAISE, APPROVE], HAND, "not at delivery"),
    ([submitted("postal"), *READY], PICK, "not handed to a post office"),
    ([submitted("postal"), *READY], POSTED, "no post office picked the result up"),
    ([submitted("postal"), *READY, HAND], POSTED, "no post office picked the result up"),
    ([submitted("postal"), *READY, HAND], delivered("counter"), "chose postal delivery"),
    ([SUBMIT, *READY, HAND], delivered("online"), "with the post office BUUDIEN"),
    ([submitted("counter"), *READY], HAND, "chose counter delivery, not postal"),
    ([submitted("postal"), *READY, HAND], HAND, "already handed to the post office"),
    ([submitted("postal"), *READY],
     event("ResultHandedToPost", agency="BUUDIEN", competent_agency="SXD"),
     "hands over only its own results"),
    ([submitted("postal"), *READY, HAND],
     event("ResultPickedUpByPost", post_office="SXD", tracking_number="RR123456785VN"),
     "handed to BUUDIEN, not to SXD"),
    ([submitted("postal"), *READY, HAND, PICK], PICK, "already picked it up"),
    ([submitted("postal"), *READY, HAND, PICK],
     delivered("postal", post_office="SXD", tracking_number="RR123456785VN"),
     "BUUDIEN carries it, not SXD"),
    ([submitted("postal"), *READY, HAND, PICK],
     delivered("postal", post_office="BUUDIEN", tracking_number="RR000000005VN"),
     "is not the item picked up"),
    ([submitted("counter"), *READY], delivered("counter", agency="SXD"),
     "cannot be delivered as SXD's"),
    ([submitted("postal"), *READY, HAND],
     event("ResultPickedUpByPost", "signing", post_office="BUUDIEN"),
     "may be emitted by delivery, not by signing"),
    ([submitted("postal"), *READY, HAND], event("WithdrawalRequested"),
     "result is ready"),
]


@pytest.mark.parametrize("before, step, reason", POSTAL_REFUSED,
                         ids=[r[2] for r in POSTAL_REFUSED])
def test_an_illegal_postal_step_is_refused_with_the_reason(before, step, reason):
    with pytest.raises(IllegalTransition, match=reason):
        advance(walk(*before), step)


@pytest.mark.parametrize("after", ["DossierAppraised", "SupplementProvided", "DelayApologized"])
def test_an_expired_supplement_after_acceptance_ends_the_dossier(after: str):
    """A supplement not delivered by its deadline ends in refusal: for an accepted dossier that is
    status 8 (3 is a refusal at intake), and nothing may follow, neither a denial nor the late
    supplement."""
    ended = walk(SUBMIT, ACCEPT, ASK_AT_APPRAISAL, event("SupplementExpired", schema_version=2))
    assert (ended.status, ended.holder, ended.ended) == (Status.STOPPED, None, True)
    follow = {"DossierAppraised": APPRAISE, "SupplementProvided": PROVIDED_TO_APPRAISAL,
              "DelayApologized": event("DelayApologized", "appraisal")}[after]
    with pytest.raises(IllegalTransition, match="the dossier has ended"):
        advance(ended, follow)  # type: ignore[arg-type]


def test_accepted_is_2_until_the_competent_agency_takes_the_dossier_over_then_4():
    """Status 2 while the dossier waits for the agency; 4 once the agency holds it, whoever
    decides it and when (the portal reports 2, then 4)."""
    accepted = walk(SUBMIT, ACCEPT)
    assert (accepted.status, accepted.holder) == (Status.ACCEPTED, "appraisal")
    taken = advance(accepted, event("DossierTakenOver"))  # type: ignore[arg-type]
    assert (taken.status, taken.holder) == (Status.IN_PROGRESS, "appraisal")
    with pytest.raises(IllegalTransition, match=r"status must be one of \[2\]"):
        advance(taken, event("DossierTakenOver"))  # type: ignore[arg-type]
    with pytest.raises(IllegalTransition, match="may be emitted by appraisal"):
        advance(accepted, event("DossierTakenOver", "intake"))  # type: ignore[arg-type]
    with pytest.raises(IllegalTransition, match="not at appraisal"):
        advance(walk(SUBMIT), event("DossierTakenOver"))  # type: ignore[arg-type]


@pytest.mark.parametrize("stage, steps", [
    ("intake", [SUBMIT, ACCEPT]),  # intake handed the dossier on with its appointment, at once
    ("delivery", [SUBMIT, ACCEPT, APPRAISE, APPROVE, SIGN]),  # the result is ready: judged at 9
])
def test_an_apology_comes_from_the_agency_stage_holding_the_dossier_never_intake_or_delivery(
        stage: str, steps: list[SimpleNamespace]):
    """docs/domain.md: intake never holds a dossier that has an appointment, and a dossier at
    delivery has ended its processing (on time is judged at status 9), so form 04 is the
    competent agency's, issued by the stage that holds the dossier."""
    with pytest.raises(IllegalTransition, match=f"not by {stage}"):
        advance(walk(*steps), event("DelayApologized", stage))  # type: ignore[arg-type]
    holder = walk(*steps[:2]).holder
    assert advance(walk(*steps[:2]), event("DelayApologized", holder)).rescheduled  # type: ignore
