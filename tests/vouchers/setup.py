"""A voucher world on top of `tests.mall.setup`: A (越秀) is a procurement institution, B (天河) is not;
two batches are issued — 通用券 ¥100 (any service, two per elder, quota 10) and 助浴券 ¥50 (居家照护 only) —
and elder A holds one 通用券.

    build_mall's products: bath ¥150 (居家照护/助浴), rehab ¥200 (康复服务), diapers ¥80 (生活用品),
    walker ¥260 (康复服务/康复辅具), nursing_B ¥120 at B.
"""

from __future__ import annotations

from datetime import date, timedelta

from attrs import define

from tests.conftest import operator
from tests.mall.setup import MallWorld, build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.services.ledger import voucher_account
from yiyangkang.services.vouchers import admin, grants
from yiyangkang.services.vouchers.admin import BatchForm, ProcurementForm
from yiyangkang.services.vouchers.grants import GrantForm


@define
class VoucherWorld:
    mw: MallWorld
    general: str  # batch id: 通用券 ¥100
    bath: str  # batch id: 助浴券 ¥50, 居家照护 only
    voucher: str  # elder A's 通用券

    @property
    def rt(self) -> Container:
        return self.mw.rt

    @property
    def today(self) -> date:
        return business_date(self.rt.clock.now())

    def balance(self, voucher_id: str | None = None) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(voucher_account(voucher_id or self.voucher))

    def grant(self, batch: str, elder_key: str = "A", login: str = "operator") -> str:
        granted = grants.grant(self.rt, self.mw.p(login), GrantForm(batch_id=batch,
                                                                     elder_ids=[self.mw.world.elders[elder_key]]))
        return granted[0].id


def batch(rt: Container, name: str, face_fen: int, *, categories: tuple[str, ...] = (), quota: int | None = 10,
          per_elder: int = 2, days: int = 90, issue: bool = True) -> str:
    today = business_date(rt.clock.now())
    made = admin.create_batch(rt, operator(), BatchForm(
        name=name, face_value_fen=face_fen, category_ids=categories, valid_from=today,
        valid_until=today + timedelta(days=days), quota=quota, per_elder=per_elder))
    if issue:
        admin.issue_batch(rt, operator(), made.id)
    return made.id


def build_vouchers(rt: Container) -> VoucherWorld:
    mw = build_mall(rt)
    admin.put_on_list(rt, operator(), ProcurementForm(institution_id=mw.world.inst["A"], contract_no="GZCG-2026-001"))
    general = batch(rt, "2026年通用养老服务券", 10000)
    bath = batch(rt, "2026年助浴券", 5000, categories=(mw.categories["care"],))
    vw = VoucherWorld(mw, general, bath, "")
    vw.voucher = vw.grant(general)
    return vw
