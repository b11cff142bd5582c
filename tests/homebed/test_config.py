"""Home-bed configuration (HB-20): field-by-field validation, who may write, settings bounds, and the
subsidy each order gets from the configuration."""

from __future__ import annotations

import pytest

from tests.conftest import FrozenClock, operator
from tests.homebed.helpers import build, field_codes, place, service_item, sign_plan, subsidy_type
from tests.homebed.setup import PNG
from tests.world import build_world
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import ConcurrentUpdate, Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.services.homebed import config, orders
from yiyangkang.services.homebed.common import Upload
from yiyangkang.services.homebed.config import (
    LevelForm,
    OptionForm,
    RenovationItemForm,
    ScaleForm,
    ScaleItemForm,
    ServiceItemForm,
    SubsidyTypeForm,
)

OP = operator()


def _items() -> list[ScaleItemForm]:
    """Two items scoring 0-2 each: totals 0…4."""
    opts = [OptionForm(label="好", score=0), OptionForm(label="中", score=1), OptionForm(label="差", score=2)]
    return [ScaleItemForm(code="a", question="甲", options=opts), ScaleItemForm(code="b", question="乙", options=opts)]


def _levels(*bands: tuple[int, int]) -> list[LevelForm]:
    return [LevelForm(name=f"L{n}", min_score=lo, max_score=hi) for n, (lo, hi) in enumerate(bands)]


def test_service_item_fields_are_checked_all_at_once(memory: Container) -> None:
    """HB-20: price within ¥0…100,000, standard minutes 5…1440, a name and a category; every problem in one 422."""
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.SERVICE_ITEMS, ServiceItemForm(
            name=" ", category=None, standard_minutes=4, price_fen=-1))
    assert field_codes(bad) == {("name", "REQUIRED"), ("category", "REQUIRED"),
                                ("standard_minutes", "OUT_OF_RANGE"), ("price_fen", "OUT_OF_RANGE")}
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.SERVICE_ITEMS, ServiceItemForm(
            name="理疗", category="康复", standard_minutes=24 * 60 + 1, price_fen=10_000_001))
    assert field_codes(bad) == {("standard_minutes", "OUT_OF_RANGE"), ("price_fen", "OUT_OF_RANGE")}
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.SERVICE_ITEMS, ServiceItemForm(name="理疗", category="康复"))
    assert field_codes(bad) == {("standard_minutes", "OUT_OF_RANGE"), ("price_fen", "REQUIRED")}
    # The bounds themselves are allowed.
    low = config.create_entry(memory, OP, config.SERVICE_ITEMS, ServiceItemForm(
        name="电话问候", category="关怀", standard_minutes=5, price_fen=0))
    high = config.create_entry(memory, OP, config.SERVICE_ITEMS, ServiceItemForm(
        name="陪护", category="照护", standard_minutes=1440, price_fen=10_000_000))
    assert (low.price_fen, low.standard_minutes, high.price_fen, high.standard_minutes) == (0, 5, 10_000_000, 1440)
    # An update is checked the same way and changes nothing when refused.
    with pytest.raises(ValidationFailed) as bad:
        config.update_entry(memory, OP, config.SERVICE_ITEMS, low.id, ServiceItemForm(price_fen=-5))
    assert field_codes(bad) == {("price_fen", "OUT_OF_RANGE")}
    assert config.get_entry(memory, OP, config.SERVICE_ITEMS, low.id).price_fen == 0


def test_renovation_item_price_and_pictures(memory: Container) -> None:
    """HB-20: renovation items need a price in range; pictures are JPG/PNG only."""
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.RENOVATION_ITEMS, RenovationItemForm(name="扶手", unit="", price_fen=-1))
    assert field_codes(bad) == {("unit", "REQUIRED"), ("price_fen", "OUT_OF_RANGE")}
    item = config.create_entry(memory, OP, config.RENOVATION_ITEMS,
                               RenovationItemForm(name="扶手", unit="个", price_fen=18000))
    with pytest.raises(ValidationFailed) as bad:
        config.add_picture(memory, OP, item.id, Upload("a.pdf", b"%PDF-1.4\n" + b"0" * 20))
    assert field_codes(bad) == {("file", "UNSUPPORTED_TYPE")}
    shown = config.add_picture(memory, OP, item.id, Upload("扶手.png", PNG))
    assert [p.content_type for p in shown.pictures] == ["image/png"]
    ref, data = config.picture(memory, OP, item.id, shown.pictures[0].key)
    assert data == PNG and ref.name == "扶手.png"


def test_a_removed_picture_is_deleted(backend: Container) -> None:
    """HB-20: removing a renovation item's picture deletes the stored file, not only the reference."""
    item = config.create_entry(backend, OP, config.RENOVATION_ITEMS,
                               RenovationItemForm(name="扶手", unit="个", price_fen=18000))
    first = config.add_picture(backend, OP, item.id, Upload("扶手.png", PNG)).pictures[0].key
    second = config.add_picture(backend, OP, item.id, Upload("扶手2.png", PNG + b"2")).pictures[1].key
    assert backend.files.get(first) == PNG
    shown = config.remove_picture(backend, OP, item.id, first)
    assert [p.key for p in shown.pictures] == [second]
    assert backend.files.get(first) is None
    assert backend.files.get(second) == PNG + b"2"
    with pytest.raises(NotFound):
        config.picture(backend, OP, item.id, first)


def test_subsidy_type_fields(memory: Container) -> None:
    """HB-20: ratio 1…10000 basis points, an amount for the amount mode, a known mode and region, a sane cap."""
    def refused(**kw: object) -> set[tuple[str, str]]:
        with pytest.raises(ValidationFailed) as bad:
            config.create_entry(memory, OP, config.SUBSIDY_TYPES, SubsidyTypeForm(
                region_code=kw.pop("region_code", "440100"), name="补贴", **kw))  # type: ignore[arg-type]
        return field_codes(bad)

    assert refused(mode="ratio", ratio_bp=0) == {("ratio_bp", "OUT_OF_RANGE")}
    assert refused(mode="ratio", ratio_bp=10_001) == {("ratio_bp", "OUT_OF_RANGE")}
    assert refused(mode="ratio") == {("ratio_bp", "OUT_OF_RANGE")}
    assert refused(mode="amount") == {("amount_fen", "REQUIRED")}
    assert refused(mode="amount", amount_fen=-1) == {("amount_fen", "OUT_OF_RANGE")}
    assert refused(mode="amount", amount_fen=100, cap_fen=-3) == {("cap_fen", "OUT_OF_RANGE")}
    assert refused(mode="percent", ratio_bp=5000) == {("mode", "INVALID")}
    assert refused(region_code="999999", mode="amount", amount_fen=100) == {("region_code", "UNKNOWN_REGION")}
    assert refused(region_code="44", mode="amount", amount_fen=100) == {("region_code", "INVALID")}
    made = config.create_entry(memory, OP, config.SUBSIDY_TYPES, SubsidyTypeForm(
        region_code="440100", name="全额", mode="ratio", ratio_bp=10_000))
    assert (made.ratio_bp, made.amount_fen, made.cap_fen) == (10_000, None, None)
    # Switching the mode of an existing type clears the other mode's parameter.
    switched = config.update_entry(memory, OP, config.SUBSIDY_TYPES, made.id,
                                   SubsidyTypeForm(mode="amount", amount_fen=2500))
    assert (switched.mode, switched.amount_fen, switched.ratio_bp) == ("amount", 2500, None)
    with pytest.raises(ValidationFailed) as bad:
        config.update_entry(memory, OP, config.SUBSIDY_TYPES, made.id, SubsidyTypeForm(mode="ratio"))
    assert field_codes(bad) == {("ratio_bp", "OUT_OF_RANGE")}


@pytest.mark.parametrize(("bands", "code"), [
    (((0, 1), (3, 4)), "NOT_CONTIGUOUS"),  # gap: 2 maps to no level
    (((0, 2), (2, 4)), "NOT_CONTIGUOUS"),  # overlap: 2 maps to two levels
    (((1, 2), (3, 4)), "NOT_CONTIGUOUS"),  # the lowest total 0 is not covered
    (((0, 2), (3, 3)), "NOT_COVERING"),  # the highest total 4 is not covered
    (((0, 2), (4, 3)), "INVALID_RANGE"),  # min above max
    ((), "REQUIRED"),
])
def test_scale_levels_must_cover_every_total_once(memory: Container, bands: tuple[tuple[int, int], ...],
                                                  code: str) -> None:
    """HB-20/HB-08: the level bands of a scale leave no gap and no overlap between the lowest and highest total."""
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.SCALES, ScaleForm(name="量表", items=_items(), levels=_levels(*bands)))
    assert ("levels", code) in field_codes(bad)


def test_scale_items_and_level_update(memory: Container) -> None:
    """HB-20: items need two options and unique codes; an update of the levels alone is checked against the items."""
    one_option = [ScaleItemForm(code="a", question="甲", options=[OptionForm(label="好", score=0)])]
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.SCALES, ScaleForm(name="量表", items=one_option,
                                                                 levels=_levels((0, 0))))
    assert field_codes(bad) == {("items.0.options", "TOO_FEW")}
    twice = [*_items(), _items()[0]]
    with pytest.raises(ValidationFailed) as bad:
        config.create_entry(memory, OP, config.SCALES, ScaleForm(name="量表", items=twice,
                                                                 levels=_levels((0, 6))))
    assert ("items", "DUPLICATE") in field_codes(bad)
    scale = config.create_entry(memory, OP, config.SCALES, ScaleForm(name="量表", items=_items(),
                                                                     levels=_levels((0, 1), (2, 4))))
    with pytest.raises(ValidationFailed) as bad:
        config.update_entry(memory, OP, config.SCALES, scale.id, ScaleForm(levels=_levels((0, 1), (2, 3))))
    assert field_codes(bad) == {("levels", "NOT_COVERING")}
    changed = config.update_entry(memory, OP, config.SCALES, scale.id, ScaleForm(levels=_levels((0, 2), (3, 4))))
    assert [(lv.min_score, lv.max_score) for lv in changed.levels] == [(0, 2), (3, 4)]
    assert len(changed.items) == 2


def test_only_the_platform_operator_writes_the_configuration(memory: Container) -> None:
    """HB-20: institution admins, staff and elders read the configuration but may not change it (403)."""
    world = build_world(memory)
    item = config.create_entry(memory, OP, config.SERVICE_ITEMS, ServiceItemForm(
        name="上门护理", category="医疗护理", standard_minutes=60, price_fen=12000, subsidy_eligible=True))
    for login in ("admin_A", "staff_A1", "elder_A", "auditor"):
        who = world.principal(login)
        with pytest.raises(PermissionDenied):
            config.create_entry(memory, who, config.SERVICE_ITEMS, ServiceItemForm(
                name="私加项目", category="其他", standard_minutes=30, price_fen=100))
        with pytest.raises(PermissionDenied):
            config.update_entry(memory, who, config.SERVICE_ITEMS, item.id, ServiceItemForm(price_fen=1))
        with pytest.raises(PermissionDenied):
            config.update_settings(memory, who, {"cancel_deadline_minutes": 10})
        assert config.get_entry(memory, who, config.SERVICE_ITEMS, item.id).price_fen == 12000
        assert config.get_settings(memory, who).cancel_deadline_minutes == 120
    assert [i.name for i in config.list_entries(memory, world.principal("admin_A"), config.SERVICE_ITEMS)] == ["上门护理"]


@pytest.mark.parametrize(("name", "low", "high"), [
    ("cancel_deadline_minutes", 0, 7 * 24 * 60),
    ("reminder_lead_days", 1, 180),
    ("dispatch_timeout_minutes", 5, 7 * 24 * 60),
    ("late_arrival_minutes", 1, 24 * 60),
    ("overtime_minutes", 1, 24 * 60),
    ("too_short_percent", 1, 100),
])
def test_settings_bounds(memory: Container, name: str, low: int, high: int) -> None:
    """HB-20: each business setting is refused one step outside its bounds and accepted on them."""
    for wrong in (low - 1, high + 1):
        with pytest.raises(ValidationFailed) as bad:
            config.update_settings(memory, OP, {name: wrong})
        assert field_codes(bad) == {(name, "OUT_OF_RANGE")}
    assert getattr(config.update_settings(memory, OP, {name: low}), name) == low
    assert getattr(config.update_settings(memory, OP, {name: high}), name) == high
    assert getattr(config.get_settings(memory, OP), name) == high


def test_settings_are_saved_and_versioned(backend: Container) -> None:
    """HB-20: settings persist; several bad values come back together; a stale version is refused."""
    assert config.get_settings(backend, OP).cancel_deadline_minutes == 120
    with pytest.raises(ValidationFailed) as bad:
        config.update_settings(backend, OP, {"reminder_lead_days": 0, "too_short_percent": 101,
                                             "overtime_minutes": 45})
    assert field_codes(bad) == {("reminder_lead_days", "OUT_OF_RANGE"), ("too_short_percent", "OUT_OF_RANGE")}
    assert config.get_settings(backend, OP).overtime_minutes == 30  # nothing of the refused form was kept
    first = config.update_settings(backend, OP, {"cancel_deadline_minutes": 60, "reminder_lead_days": 15})
    second = config.update_settings(backend, OP, {"overtime_minutes": 40}, expected_version=first.version)
    assert second.version == first.version + 1
    with pytest.raises((ConcurrentUpdate, Conflict)):
        config.update_settings(backend, OP, {"overtime_minutes": 50}, expected_version=first.version)
    now = config.get_settings(backend, OP)
    assert (now.cancel_deadline_minutes, now.reminder_lead_days, now.overtime_minutes) == (60, 15, 40)


def test_subsidy_of_each_order_follows_the_configuration(backend: Container, clock: FrozenClock) -> None:
    """HB-20/HB-10: ratio with a cap, ratio under the cap (half-even on the fen), the amount mode (never above
    the price), and 0 for an item that is not subsidy-eligible; the amounts are fixed when the order is placed."""
    w = build(backend)
    odd = service_item(w, "康复理疗", 1005)  # 70 % = 703.5 → 704 (half to even: 703 is odd)
    even = service_item(w, "穴位按摩", 1015)  # 70 % = 710.5 → 710
    cheap = service_item(w, "测血压", 1500)
    amount = subsidy_type(w, "广州市定额补贴", "440100", mode="amount", amount_fen=2000)
    ratio_contract = sign_plan(w, w.apply(51), [w.nursing, w.meal, odd, even], subsidy=w.subsidy)
    amount_contract = sign_plan(w, w.apply(52), [w.nursing, cheap, w.meal], subsidy=amount)
    bare_contract = sign_plan(w, w.apply(53), [w.nursing], subsidy=None)

    def amounts(contract: str, item: str) -> tuple[int, int, int]:
        o = orders.get_order(w.rt, w.p("admin_A"), place(w, contract, item))
        return o.price_fen, o.subsidy_fen, o.self_pay_fen

    assert amounts(ratio_contract, w.nursing) == (12000, 8000, 4000)  # 8400 capped at 8000
    assert amounts(ratio_contract, odd) == (1005, 704, 301)
    assert amounts(ratio_contract, even) == (1015, 710, 305)
    assert amounts(ratio_contract, w.meal) == (3000, 0, 3000)
    assert amounts(amount_contract, w.nursing) == (12000, 2000, 10000)
    assert amounts(amount_contract, cheap) == (1500, 1500, 0)  # never more than the price
    assert amounts(amount_contract, w.meal) == (3000, 0, 3000)
    assert amounts(bare_contract, w.nursing) == (12000, 0, 12000)
    # A later price change touches new orders only.
    placed = place(w, ratio_contract, odd)
    config.update_entry(w.rt, OP, config.SERVICE_ITEMS, odd, ServiceItemForm(price_fen=2000))
    config.update_entry(w.rt, OP, config.SUBSIDY_TYPES, w.subsidy, SubsidyTypeForm(ratio_bp=5000))
    assert orders.get_order(w.rt, w.p("admin_A"), placed).subsidy_fen == 704
    assert amounts(ratio_contract, odd) == (2000, 1000, 1000)
    assert amounts(ratio_contract, w.nursing) == (12000, 6000, 6000)


def test_a_deactivated_subsidy_pays_nothing_on_new_orders(backend: Container) -> None:
    """HB-20/HB-10: once the operator stops a subsidy type, new orders of contracts that name it get no subsidy;
    orders placed before keep theirs; reactivated, it pays again."""
    w = build(backend)
    contract_id = sign_plan(w, w.apply(55), [w.nursing], subsidy=w.subsidy)

    def amounts(order_id: str) -> tuple[int, int, int]:
        o = orders.get_order(w.rt, w.p("admin_A"), order_id)
        return o.price_fen, o.subsidy_fen, o.self_pay_fen

    before = place(w, contract_id, w.nursing)
    config.update_entry(w.rt, OP, config.SUBSIDY_TYPES, w.subsidy, SubsidyTypeForm(active=False))
    assert amounts(place(w, contract_id, w.nursing)) == (12000, 0, 12000)
    assert amounts(before) == (12000, 8000, 4000)
    config.update_entry(w.rt, OP, config.SUBSIDY_TYPES, w.subsidy, SubsidyTypeForm(active=True))
    assert amounts(place(w, contract_id, w.nursing)) == (12000, 8000, 4000)


def test_subsidy_of_another_region_and_inactive_items_are_refused_at_signing(backend: Container) -> None:
    """HB-20/HB-03: a subsidy applies only to elders inside its region; a deactivated item cannot be planned."""
    w = build(backend)
    tianhe = subsidy_type(w, "天河区补贴", "440106", mode="amount", amount_fen=1000)
    config.update_entry(w.rt, OP, config.SERVICE_ITEMS, w.meal, ServiceItemForm(active=False))
    app = w.apply(54)  # lives in 越秀 (440104)
    with pytest.raises(ValidationFailed) as bad:
        sign_plan(w, app, [w.nursing, w.meal], subsidy=tianhe)
    assert field_codes(bad) == {("subsidy_type_id", "UNKNOWN_SUBSIDY_TYPE"),
                                ("service_plan.1.service_item_id", "UNKNOWN_SERVICE_ITEM")}
    assert [s.name for s in config.list_entries(w.rt, w.p("admin_A"), config.SUBSIDY_TYPES,
                                                region_code="440104")] == ["广州市家床护理补贴"]
