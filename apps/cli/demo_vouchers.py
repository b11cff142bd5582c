"""The voucher part of the demo (养老服务券演示数据): three procurement institutions (越秀 centre and its 北京街
station, 海珠), a 重阳节 batch granted in October and expired since, and November's 通用券 and 助浴券 granted to
half the demo elders — who then pay for November's orders vouchers first (`seed_mall` pays with them)."""

from __future__ import annotations

from datetime import date, datetime

from apps.cli.demo_homebed import DemoClock, _principal
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.vouchers.batches import VoucherKind
from yiyangkang.services.vouchers import admin, grants
from yiyangkang.services.vouchers.admin import BatchForm, ProcurementForm
from yiyangkang.services.vouchers.expiry import expire_vouchers
from yiyangkang.services.vouchers.grants import GrantForm

PROCUREMENT = {"yuexiu": "GZYX-ZC-2026-017", "yuexiu_beijing": "GZYX-ZC-2026-018", "haizhu": "GZHZ-ZC-2026-006"}


def _elder_ids(rt: Container, logins: list[str]) -> list[str]:
    return [sorted(_principal(rt, login).elder_ids)[0] for login in logins]


def seed_vouchers(rt: Container, clock: DemoClock, categories: dict[str, str]) -> dict[str, int]:
    """Before November's orders: the procurement list, the batches and the grants."""
    op = _principal(rt, "operator")
    clock.to(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI))
    for key, contract in PROCUREMENT.items():
        institution = _principal(rt, f"admin_{key}").institution_id
        admin.put_on_list(rt, op, ProcurementForm(institution_id=str(institution), contract_no=contract))
    elders = _elder_ids(rt, [f"elder{n:02d}" for n in range(1, 13)])
    double_ninth = admin.create_batch(rt, op, BatchForm(
        name="2026年重阳节敬老服务券", voucher_kind=VoucherKind.GENERAL, face_value_fen=3000,
        valid_from=date(2026, 10, 1), valid_until=date(2026, 10, 31), quota=5000, per_elder=1,
        region_code="440100", description="重阳节专项，10月内有效，逾期作废"))
    admin.issue_batch(rt, op, double_ninth.id)
    grants.grant(rt, op, GrantForm(batch_id=double_ninth.id, elder_ids=elders[:4]))
    clock.to(datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI))
    expired = expire_vouchers(rt)
    admin.close_batch(rt, op, double_ninth.id, "活动结束")
    general = admin.create_batch(rt, op, BatchForm(
        name="2026年广州市居家养老服务券（通用）", voucher_kind=VoucherKind.GENERAL, face_value_fen=20000,
        valid_from=date(2026, 11, 1), valid_until=date(2026, 12, 31), quota=20000, per_elder=1, region_code="440100",
        description="可在政采机构购买居家养老服务与商品"))
    bath = admin.create_batch(rt, op, BatchForm(
        name="2026年失能长者助浴券", voucher_kind=VoucherKind.BATH, face_value_fen=5000,
        category_ids=[categories["care"]], valid_from=date(2026, 11, 1), valid_until=date(2027, 3, 31), quota=3000,
        per_elder=2, region_code="440100", description="限居家照护类服务使用"))
    for batch in (general, bath):
        admin.issue_batch(rt, op, batch.id)
    granted = grants.grant(rt, op, GrantForm(batch_id=general.id, elder_ids=elders[:6]))
    granted += grants.grant(rt, op, GrantForm(batch_id=bath.id, elder_ids=elders[:3]))
    return {"batches": 3, "vouchers": 4 + len(granted), "expired": expired}
