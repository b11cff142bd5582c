"""Staff service points (S-10) on every backend: the month's visible ratings of each worker, averaged exactly,
earn 3 / 1 / 0 points once per period; staff see their own periods, admins their institution's staff, another
institution's admin nothing. And the rule itself as properties (Hypothesis): never rounded up."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FrozenClock, operator
from tests.mall.setup import ALL, MallWorld, build_mall
from tests.world import PASSWORD
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.points.service import Period, ServiceAward, average_text
from yiyangkang.services import accounts, ledger
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.mall import fulfilment, ratings
from yiyangkang.services.mall.ratings import RatingForm
from yiyangkang.services.points import service_points
from yiyangkang.services.points.common import staff_points

# -- the rule (S-10) ------------------------------------------------------------------------------------

STARS = st.lists(st.integers(min_value=1, max_value=5), max_size=60)


def _judge(stars: list[int]) -> ServiceAward:
    return ServiceAward.judge(id="a", staff_id="s", institution_id="i", period=Period(2026, 10), stars=stars,
                              at=datetime(2026, 11, 1, tzinfo=UTC))


@given(STARS)
def test_s10_points_follow_the_rule_on_the_exact_average(stars: list[int]) -> None:
    """3 points iff every rating is five stars; 1 iff the exact mean is at least 4 and not all five; else 0
    (no rating: 0). The mean is never rounded up: 4.96 earns 1, not 3."""
    award = _judge(stars)
    mean = Fraction(sum(stars), len(stars)) if stars else None
    if stars and all(s == 5 for s in stars):
        assert award.points == 3
    elif mean is not None and mean >= 4:
        assert award.points == 1
    else:
        assert award.points == 0
    assert award.average == mean


@given(STARS.filter(bool))
def test_s10_the_shown_average_is_floored_to_two_decimals(stars: list[int]) -> None:
    text = average_text(sum(stars), len(stars))
    shown = Fraction(text)
    mean = Fraction(sum(stars), len(stars))
    assert shown <= mean < shown + Fraction(1, 100)
    assert (text == "5.00") == all(s == 5 for s in stars)


def test_s10_four_point_nine_six_is_not_five() -> None:
    award = _judge([5] * 24 + [4])
    assert (average_text(award.stars_sum, award.rating_count), award.points) == ("4.96", 1)
    assert _judge([5, 5, 4]).points == 1 and average_text(14, 3) == "4.66"
    assert _judge([4, 4, 3]).points == 0
    assert _judge([]).points == 0


def test_period_is_a_shanghai_calendar_month() -> None:
    october = Period.parse("2026-10")
    assert october.start == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert october.end == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert Period.parse("2026-12").next() == Period(2027, 1)
    assert Period.of(datetime(2026, 10, 31, 16, 30, tzinfo=UTC)).text == "2026-11"  # already 1 Nov in Shanghai
    for bad in ("2026-13", "2026-1", "26-10", "2026/10", "", "1999-12"):
        with pytest.raises(ValueError):
            Period.parse(bad)


# -- the monthly job on every backend -----------------------------------------------------------------------

def _rated_visit(w: MallWorld, clock: FrozenClock, worker_login: str, worker_id: str, stars: int) -> str:
    """A home visit bought by elder A, served by the worker and rated; the rating's id."""
    trade = w.buy(("bath", 1))
    visit = trade.sub_orders[0]
    fulfilment.dispatch(w.rt, w.p("admin_A"), visit.id, worker_id)
    clock.advance(hours=4)
    assert visit.verify_code is not None
    fulfilment.start_visit(w.rt, w.p(worker_login), visit.id, visit.verify_code)
    clock.advance(minutes=55)
    fulfilment.complete_visit(w.rt, w.p(worker_login), visit.id, "助浴完成")
    return ratings.rate(w.rt, w.p("elder_A"), RatingForm(sub_order_id=visit.id, stars=stars)).id


@pytest.fixture
def rated(backend: Container, clock: FrozenClock) -> MallWorld:
    """November 2026: staff_A is rated 5, 5, 4 (4.66: 1 point); 员工A 5, 5 and a 1 an operator hid (3 points)."""
    w = build_mall(backend)
    w.world.accounts["staff_A0"] = accounts.create_account(w.rt, operator(), AccountForm(
        username="staff_A0", password=PASSWORD, role="staff", staff_id=w.world.staff["A"])).id
    for stars in (5, 5, 4):
        _rated_visit(w, clock, "staff_A", w.staff_A, stars)
    for stars in (5, 5):
        _rated_visit(w, clock, "staff_A0", w.world.staff["A"], stars)
    hidden = _rated_visit(w, clock, "staff_A0", w.world.staff["A"], 1)
    ratings.set_hidden(w.rt, operator(), hidden, True, "评价内容与服务无关")
    return w


def test_s10_award_once_per_period_and_who_sees_it(rated: MallWorld, clock: FrozenClock) -> None:
    w = rated
    with pytest.raises(ValidationFailed) as early:
        service_points.award_service_points(w.rt, operator(), "2026-11")
    assert early.value.errors[0].code == "PERIOD_NOT_OVER"
    clock.current = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 1 December, 00:00 in Shanghai
    with pytest.raises(PermissionDenied):
        service_points.award_service_points(w.rt, w.p("admin_A"), "2026-11")
    steps: list[tuple[int, int]] = []
    run = service_points.award_service_points(w.rt, operator(), "2026-11", progress=lambda n, t: steps.append((n, t)))
    assert (run.rated_staff, run.awarded, run.already, run.points) == (2, 2, 0, 4)
    assert steps == [(1, 2), (2, 2)]
    again = service_points.award_service_points(w.rt, operator(), "2026-11")
    assert (again.awarded, again.already, again.points) == (0, 2, 0)
    with w.rt.uow() as uow:
        assert uow.ledger.balance(staff_points(w.staff_A)) == 1
        assert uow.ledger.balance(staff_points(w.world.staff["A"])) == 3
    assert ledger.reconcile(w.rt) == []
    mine = service_points.staff_service_points(w.rt, w.p("staff_A"), w.staff_A, ALL)
    assert (mine.balance, [(p.period, p.rating_count, p.average, p.points) for p in mine.periods]) == (
        1, [("2026-11", 3, "4.66", 1)])
    own = service_points.list_service_points(w.rt, w.p("staff_A"), ALL)
    assert [p.staff_id for p in own.items] == [w.staff_A]
    assert service_points.list_service_points(w.rt, w.p("staff_A"), ALL, staff_id=w.world.staff["A"]).total == 0
    with pytest.raises(NotFound):
        service_points.staff_service_points(w.rt, w.p("staff_A"), w.world.staff["A"], ALL)
    board = service_points.list_service_points(w.rt, w.p("admin_A"), ALL, period="2026-11")
    assert sorted((p.staff_name, p.average, p.points) for p in board.items) == [
        ("员工A", "5.00", 3), ("护理员甲", "4.66", 1)]
    assert service_points.staff_service_points(w.rt, w.p("admin_A"), w.world.staff["A"], ALL).balance == 3
    assert service_points.list_service_points(w.rt, w.p("admin_B"), ALL).total == 0
    with pytest.raises(NotFound):
        service_points.staff_service_points(w.rt, w.p("admin_B"), w.staff_A, ALL)
    with pytest.raises(PermissionDenied):
        service_points.list_service_points(w.rt, w.p("elder_A"), ALL)
    october = service_points.award_service_points(w.rt, operator(), "2026-10")
    assert (october.rated_staff, october.awarded) == (0, 0)
