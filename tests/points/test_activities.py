"""Points activities on every backend (M-07, P-07, P-08): the lifecycle, enrolment within the window and the
capacity, attendance earning the points once, closing and cancelling, and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FrozenClock, operator
from tests.points.setup import ALL, PointsWorld, build_points
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.services import ledger
from yiyangkang.services.points import activities
from yiyangkang.services.points import ledger as points_ledger
from yiyangkang.services.points.activities import ActivityForm


@pytest.fixture
def w(backend: Container) -> PointsWorld:
    return build_points(backend)


def test_m07_p08_enrol_attend_and_earn_points_once(w: PointsWorld, clock: FrozenClock) -> None:
    """M-07/P-08/P-07: the family enrols the elder in a published activity; after it starts A's staff checks
    attendance and the elder's ledger shows the points once; a second check is refused and books nothing."""
    act = w.activity(points=20)
    assert act.status == "published"
    e = activities.enrol(w.rt, w.p("family_F"), act.id, w.elder)
    assert (e.status, e.elder_name) == ("enrolled", "老**")
    assert activities.get_activity(w.rt, w.p("elder_A"), act.id).enrolled == 1
    with pytest.raises(Conflict) as early:
        activities.check_attendance(w.rt, w.p("admin_A"), e.id)
    assert early.value.code == "POINTS_ACTIVITY_NOT_STARTED"
    clock.advance(days=3, minutes=5)
    done = activities.check_attendance(w.rt, w.p("admin_A"), e.id)
    assert (done.status, done.points_earned) == ("attended", 20)
    with pytest.raises(InvalidTransition):
        activities.check_attendance(w.rt, w.p("admin_A"), e.id)
    book = points_ledger.elder_ledger(w.rt, w.p("elder_A"), w.elder, ALL)
    assert book.balance == 20
    assert [(x.kind, x.points, x.reference) for x in book.entries] == [("points_earn", 20, f"points-activity:{e.id}")]
    mine = activities.list_enrolments(w.rt, w.p("elder_A"), ALL)
    assert [x.status for x in mine.items] == ["attended"]
    assert ledger.reconcile(w.rt) == []


def test_m07_capacity_window_and_one_enrolment_per_elder(w: PointsWorld, clock: FrozenClock) -> None:
    act = w.activity(capacity=1)
    activities.enrol(w.rt, w.p("elder_A"), act.id, w.elder)
    with pytest.raises(Conflict) as twice:
        activities.enrol(w.rt, w.p("family_F"), act.id, w.elder)
    assert twice.value.code == "POINTS_ALREADY_ENROLLED"
    with pytest.raises(Conflict) as full:
        activities.enrol(w.rt, w.p("admin_A"), act.id, w.world.elders["A1"])
    assert full.value.code == "POINTS_ACTIVITY_FULL"
    late = w.activity(capacity=5, title="健康讲座")
    clock.advance(days=2, hours=1)
    with pytest.raises(Conflict) as closed:
        activities.enrol(w.rt, w.p("elder_A"), late.id, w.elder)
    assert closed.value.code == "POINTS_ENROLMENT_CLOSED"
    assert activities.get_activity(w.rt, w.p("admin_A"), late.id).enrolled == 0


def test_p08_cancel_before_start_frees_the_seat_and_allows_enrolling_again(w: PointsWorld, clock: FrozenClock) -> None:
    act = w.activity(capacity=1)
    e = activities.enrol(w.rt, w.p("elder_A"), act.id, w.elder)
    cancelled = activities.cancel_enrolment(w.rt, w.p("family_F"), e.id, "临时有事")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "临时有事")
    assert activities.get_activity(w.rt, w.p("elder_A"), act.id).seats_left == 1
    again = activities.enrol(w.rt, w.p("elder_A"), act.id, w.elder)
    clock.advance(days=3)
    with pytest.raises(Conflict) as started:
        activities.cancel_enrolment(w.rt, w.p("elder_A"), again.id)
    assert started.value.code == "POINTS_ACTIVITY_STARTED"


def test_close_marks_absent_and_cancel_cancels_every_enrolment(w: PointsWorld, clock: FrozenClock) -> None:
    held, dropped = w.activity(), w.activity(title="书法兴趣班")
    came = activities.enrol(w.rt, w.p("elder_A"), held.id, w.elder)
    stayed_home = activities.enrol(w.rt, w.p("admin_A"), held.id, w.world.elders["A1"])
    waiting = activities.enrol(w.rt, w.p("elder_A"), dropped.id, w.elder)
    with pytest.raises(ValidationFailed):
        activities.cancel_activity(w.rt, w.p("admin_A"), dropped.id, " ")
    assert activities.cancel_activity(w.rt, w.p("admin_A"), dropped.id, "场地维修").status == "cancelled"
    assert activities.get_enrolment(w.rt, w.p("elder_A"), waiting.id).status == "cancelled"
    with pytest.raises(Conflict) as not_started:
        activities.close_activity(w.rt, w.p("admin_A"), held.id)
    assert not_started.value.code == "POINTS_ACTIVITY_NOT_STARTED"
    clock.advance(days=3, hours=1)
    with pytest.raises(Conflict) as too_late:
        activities.cancel_activity(w.rt, w.p("admin_A"), held.id, "下雨")
    assert too_late.value.code == "POINTS_ACTIVITY_STARTED"
    activities.check_attendance(w.rt, w.p("admin_A"), came.id)
    assert activities.close_activity(w.rt, w.p("admin_A"), held.id).status == "closed"
    assert activities.get_enrolment(w.rt, w.p("admin_A"), stayed_home.id).status == "absent"
    with pytest.raises(Conflict) as over:
        activities.check_attendance(w.rt, w.p("admin_A"), stayed_home.id)
    assert over.value.code == "POINTS_ACTIVITY_NOT_OPEN"
    assert w.balance(w.elder) == 20
    assert w.balance(w.world.elders["A1"]) == 0
    names = [e.name for e in activities.activity_events(w.rt, w.p("admin_A"), held.id)]
    assert names == ["points_activity.created", "points_activity.published", "points_activity.closed"]


def test_a_draft_is_edited_then_published_and_only_managers_see_drafts(w: PointsWorld, clock: FrozenClock) -> None:
    draft = w.activity(publish=False)
    with pytest.raises(NotFound):
        activities.get_activity(w.rt, w.p("elder_A"), draft.id)
    with pytest.raises(NotFound):
        activities.get_activity(w.rt, w.p("admin_B"), draft.id)
    assert activities.list_activities(w.rt, w.p("elder_A"), ALL).total == 0
    assert activities.list_activities(w.rt, w.p("elder_A"), ALL, status=activities.ActivityStatus.DRAFT).total == 0
    assert [a.id for a in activities.list_activities(w.rt, w.p("admin_A"), ALL, manage=True).items] == [draft.id]
    assert activities.list_activities(w.rt, w.p("admin_B"), ALL, manage=True).total == 0
    edited = activities.update_activity(w.rt, w.p("admin_A"), draft.id,
                                        ActivityForm(capacity=30, title="重阳登高"), expected_version=draft.version)
    assert (edited.capacity, edited.title) == (30, "重阳登高")
    with pytest.raises(ValidationFailed) as bad:
        activities.update_activity(w.rt, w.p("admin_A"), draft.id,
                                   ActivityForm(ends_at=w.now + timedelta(days=2), capacity=0))
    assert {e.field for e in bad.value.errors} == {"ends_at", "capacity"}
    activities.publish_activity(w.rt, w.p("admin_A"), draft.id)
    assert [a.title for a in activities.list_activities(w.rt, w.p("family_F"), ALL).items] == ["重阳登高"]
    with pytest.raises(Conflict) as frozen:
        activities.update_activity(w.rt, w.p("admin_A"), draft.id, ActivityForm(points=999))
    assert frozen.value.code == "POINTS_ACTIVITY_NOT_DRAFT"


def test_activity_form_names_every_problem_at_once(w: PointsWorld) -> None:
    now = w.now
    with pytest.raises(ValidationFailed) as bad:
        activities.create_activity(w.rt, w.p("admin_A"), ActivityForm(
            title=" ", place="x" * 101, capacity=0, points=0, enrol_from=now, enrol_until=now - timedelta(hours=1),
            starts_at=now.replace(tzinfo=None), ends_at=now))
    assert {e.field for e in bad.value.errors} == {"title", "place", "capacity", "points", "starts_at"}
    with pytest.raises(ValidationFailed) as window:
        activities.create_activity(w.rt, w.p("admin_A"), ActivityForm(
            title="义诊", place="社区中心", capacity=5, points=5, enrol_from=now, enrol_until=now + timedelta(days=2),
            starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=40)))
    assert {(e.field, e.code) for e in window.value.errors} == {("enrol_until", "INVALID_WINDOW"),
                                                                 ("ends_at", "INVALID_SCHEDULE")}
    assert activities.list_activities(w.rt, w.p("admin_A"), ALL, manage=True).total == 0  # nothing written


def test_scope_other_institutions_and_other_elders_are_refused(w: PointsWorld) -> None:
    """Another institution's admin cannot see or run A's drafts, enrolments or attendance (404); a family member
    cannot enrol an elder not linked to them (404); elders cannot publish (403)."""
    act = w.activity()
    with pytest.raises(NotFound) as other_admin:
        activities.publish_activity(w.rt, w.p("admin_B"), act.id)
    assert other_admin.value.code == "POINTS_ACTIVITY_NOT_FOUND"
    with pytest.raises(NotFound) as other_elder:
        activities.enrol(w.rt, w.p("family_F"), act.id, w.world.elders["B"])
    assert other_elder.value.code == "ELDER_NOT_FOUND"
    with pytest.raises(PermissionDenied):
        activities.create_activity(w.rt, w.p("elder_A"), ActivityForm(title="x"))
    e = activities.enrol(w.rt, w.p("elder_A"), act.id, w.elder)
    with pytest.raises(NotFound):
        activities.check_attendance(w.rt, w.p("admin_B"), e.id)
    with pytest.raises(NotFound):
        activities.cancel_enrolment(w.rt, w.p("admin_B"), e.id)
    with pytest.raises(NotFound):
        activities.get_enrolment(w.rt, w.p("admin_B"), e.id)
    assert activities.list_enrolments(w.rt, w.p("admin_B"), ALL).total == 0
    with pytest.raises(NotFound):
        points_ledger.elder_ledger(w.rt, w.p("family_F"), w.world.elders["B"], ALL)
    with pytest.raises(NotFound):
        points_ledger.elder_ledger(w.rt, w.p("admin_B"), w.elder, ALL)
    # The subordinate station's staff cannot run the parent institution's activity either.
    with pytest.raises(NotFound):
        activities.close_activity(w.rt, w.p("staff_A1"), act.id)
    assert activities.get_activity(w.rt, operator(), act.id).enrolled == 1
