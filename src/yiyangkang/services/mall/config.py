"""Mall configuration (商城配置, A-13) per institution, and the platform's mall settings (A-03, A-08)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.mall.config import MALL_LIMITS, SETTINGS_ID, MallConfig, MallSettings, Place, ServiceArea
from yiyangkang.domain.mall.review import ReviewerLevel
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import load_institution, require
from yiyangkang.services.institutions import check_location, check_region
from yiyangkang.services.mall.common import mall_settings
from yiyangkang.services.mall.views import MallConfigView, MallSettingsView
from yiyangkang.services.runtime import Runtime

MAX_RADIUS_M = 100_000
A = TypeVar("A", bound=Aggregate)
A_in = TypeVar("A_in", bound=Aggregate, contravariant=True)


@frozen(kw_only=True)
class AreaForm:
    region_codes: Sequence[str] = ()
    radius_m: int | None = None
    center_lng: float | None = None
    center_lat: float | None = None


@frozen(kw_only=True)
class PlaceForm:
    address: str = ""
    notes: str = ""
    phone: str = ""
    lng: float | None = None
    lat: float | None = None


@frozen(kw_only=True)
class MallConfigForm:
    home_visit_area: AreaForm | None = None
    store: PlaceForm | None = None
    shipping_from: PlaceForm | None = None
    delivery_area: AreaForm | None = None
    pickup: PlaceForm | None = None


def _area(uow: UnitOfWork, checks: Checks, name: str, form: AreaForm) -> ServiceArea:
    sub = Checks(f"{name}.")
    for n, code in enumerate(form.region_codes):
        check_region(uow, sub, f"region_codes.{n}", code)
    center = check_location(sub, form.center_lng, form.center_lat)
    if form.radius_m is not None:
        sub.require("radius_m", 100 <= form.radius_m <= MAX_RADIUS_M and center is not None,
                    f"服务半径应在100～{MAX_RADIUS_M}米之间，并须给出中心点", "OUT_OF_RANGE")
    checks.errors += sub.errors
    return ServiceArea(region_codes=tuple(dict.fromkeys(form.region_codes)), center=center, radius_m=form.radius_m)


def _place(checks: Checks, name: str, form: PlaceForm) -> Place:
    sub = Checks(f"{name}.")
    address = sub.text("address", form.address, label="地址", max_len=200, required=False)
    notes = sub.text("notes", form.notes, label="说明", max_len=500, required=False)
    phone = sub.text("phone", form.phone, label="电话", max_len=20, required=False)
    location = check_location(sub, form.lng, form.lat)
    checks.errors += sub.errors
    return Place(address=address or "", notes=notes or "", phone=phone or "", location=location)


class _Store(Protocol[A_in]):
    def add(self, item: A_in) -> None: ...

    def save(self, item: A_in) -> None: ...


def _upsert(uow: UnitOfWork, repo: _Store[A], item: A, fresh: bool, changes: dict[str, object],
            principal: Principal, now: datetime) -> None:
    """A one-per-owner document (configuration, settings): created with its first save, then changed."""
    if fresh:
        for key, value in changes.items():
            setattr(item, key, value)
        item.record_created(principal.actor, now)
        repo.add(item)
        uow.commit()
    elif item.change(changes, principal.actor, now):
        repo.save(item)
        uow.commit()


def get_mall_config(rt: Runtime, principal: Principal, institution_id: str) -> MallConfigView:
    """Anyone who shops may read where an institution serves and where its store is."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        if uow.institutions.get(institution_id) is None:
            raise NotFound("机构", institution_id)
        config = uow.mall_configs.get(institution_id) or MallConfig(id=institution_id, created_at=rt.clock.now())
        return MallConfigView.of(config)


def put_mall_config(rt: Runtime, principal: Principal, institution_id: str, form: MallConfigForm,
                    expected_version: int | None = None) -> MallConfigView:
    """A-13: set the areas and places of one institution (parts not sent stay as they were)."""
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.MALL_CONFIG_WRITE, institution_id)
        now = rt.clock.now()
        config = uow.mall_configs.lock(institution_id)
        fresh = config is None
        config = config or MallConfig(id=institution_id, created_at=now)
        config.expect_version(expected_version)
        checks, changes = Checks(), dict[str, object]()
        for name in ("home_visit_area", "delivery_area"):
            area = getattr(form, name)
            if area is not None:
                changes[name] = _area(uow, checks, name, area)
        for name in ("store", "shipping_from", "pickup"):
            place = getattr(form, name)
            if place is not None:
                changes[name] = _place(checks, name, place)
        checks.done()
        _upsert(uow, uow.mall_configs, config, fresh, changes, principal, now)
        return MallConfigView.of(config)


def get_mall_settings(rt: Runtime, principal: Principal) -> MallSettingsView:
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        return MallSettingsView.of(mall_settings(uow, rt.clock.now()))


def update_mall_settings(rt: Runtime, principal: Principal, values: Mapping[str, Any],
                         expected_version: int | None = None) -> MallSettingsView:
    """Operators: who reviews what, order time limits and the exception thresholds."""
    require(principal, Operation.MALL_SETTINGS_WRITE)
    with rt.uow() as uow:
        now = rt.clock.now()
        current = uow.mall_settings.get(SETTINGS_ID)
        settings = current or MallSettings(id=SETTINGS_ID, created_at=now)
        settings.expect_version(expected_version)
        checks, changes = Checks(), dict[str, object]()
        for key, value in values.items():
            if key in MALL_LIMITS:
                low, high, label = MALL_LIMITS[key]
                if checks.require(key, type(value) is int and low <= value <= high, f"{label}应在{low}～{high}之间",
                                  "OUT_OF_RANGE"):
                    changes[key] = value
            elif key in ("product_reviewer", "package_reviewer", "promotion_reviewer"):
                level = checks.parse(key, choice(ReviewerLevel, "审核级别应为 platform、superior 或 self"), str(value))
                if level is not None:
                    changes[key] = level
            else:
                checks.fail(key, "没有这项设置", "UNKNOWN_SETTING")
        checks.done()
        _upsert(uow, uow.mall_settings, settings, current is None, changes, principal, now)
        return MallSettingsView.of(settings)
