"""Points (积分) over HTTP, role by role (M-07, P-07…P-10, S-10): an activity from draft to attendance and the
points it earns, goods exchanged, delivered, cancelled and exported, staff service points — and the refusals:
another institution's admin (404), another elder's family (404), roles without the right (403), malformed
bodies (400) and business rules (409/422), each in the one error shape."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import define

from tests.api.conftest import Caller, assert_error, field_error, serve
from tests.world import World, build_world

P = "/api/v1/points"


@define
class PointsApi(Caller):
    world: World

    def activity(self, capacity: int = 10, points: int = 20) -> dict[str, Any]:
        body = {"title": "长者太极拳体验课", "place": "越秀区东风中路437号二楼活动室", "capacity": capacity,
                "points": points, "enrol_from": self.at(hours=-1), "enrol_until": self.at(days=2),
                "starts_at": self.at(days=3), "ends_at": self.at(days=3, hours=2)}
        created = self.post("admin_A", f"{P}/activities", body)
        assert created.status_code == 201, created.text
        published = self.post("admin_A", f"{P}/activities/{created.json()['id']}/publish")
        assert published.status_code == 200, published.text
        result: dict[str, Any] = published.json()
        return result

    def good(self, stock: int = 5, price: int = 30) -> dict[str, Any]:
        created = self.post("admin_A", f"{P}/goods", {"name": "电子体温计", "points_price": price, "stock": stock})
        assert created.status_code == 201, created.text
        shelved = self.post("admin_A", f"{P}/goods/{created.json()['id']}/shelf", {"on_shelf": True})
        assert shelved.status_code == 200, shelved.text
        result: dict[str, Any] = shelved.json()
        return result

    def earn(self, elder_id: str, points: int) -> None:
        """The elder enrols in a new activity, it takes place, A checks attendance."""
        act = self.activity(points=points)
        e = self.post("admin_A", f"{P}/activities/{act['id']}/enrolments", {"elder_id": elder_id})
        assert e.status_code == 201, e.text
        self.clock.advance(days=3, minutes=1)
        done = self.post("admin_A", f"{P}/enrolments/{e.json()['id']}/attendance")
        assert done.status_code == 200, done.text


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PointsApi]:
    db = tmp_path_factory.mktemp("api-points") / "api.db"
    for client, world, clock, container in serve(Path(db), build_world):
        yield PointsApi(client=client, world=world, clock=clock, rt=container)


def test_m07_p07_p08_activity_enrolment_attendance_and_the_points_ledger(api: PointsApi) -> None:
    elder = api.world.elders["A"]
    act = api.activity(points=20)
    assert (act["status"], act["status_label"]) == ("published", "已发布")
    listed = api.get("family_F", f"{P}/activities")
    assert act["id"] in [a["id"] for a in listed.json()["items"]]
    e = api.post("family_F", f"{P}/activities/{act['id']}/enrolments", {"elder_id": elder})
    assert e.status_code == 201, e.text
    assert_error(api.post("elder_A", f"{P}/activities/{act['id']}/enrolments", {"elder_id": elder}), 409,
                 "POINTS_ALREADY_ENROLLED")
    before = api.get("elder_A", f"{P}/elders/{elder}/ledger").json()["balance"]
    api.clock.advance(days=3, minutes=1)
    done = api.post("admin_A", f"{P}/enrolments/{e.json()['id']}/attendance")
    assert (done.status_code, done.json()["points_earned"]) == (200, 20)
    assert_error(api.post("admin_A", f"{P}/enrolments/{e.json()['id']}/attendance"), 409,
                 "POINTS_ENROLMENT_INVALID_TRANSITION")
    book = api.get("family_F", f"{P}/elders/{elder}/ledger", page_size=1).json()
    assert book["balance"] == before + 20
    assert book["entries"][0]["kind_label"] == "活动签到"
    assert book["entries"][0]["reference"] == f"points-activity:{e.json()['id']}"
    records = api.get("elder_A", f"{P}/enrolments", activity_id=act["id"]).json()
    assert [r["status"] for r in records["items"]] == ["attended"]
    events = api.get("admin_A", f"{P}/enrolments/{e.json()['id']}/events").json()
    assert [x["name"] for x in events] == ["points_enrolment.enrolled", "points_enrolment.attended"]


def test_p09_p10_exchange_deliver_cancel_and_export(api: PointsApi) -> None:
    elder = api.world.elders["A"]
    api.earn(elder, 100)
    good = api.good(stock=5, price=30)
    ex = api.post("family_F", f"{P}/exchanges", {"good_id": good["id"], "elder_id": elder, "quantity": 2})
    assert ex.status_code == 201, ex.text
    assert (ex.json()["points"], ex.json()["status_label"]) == (60, "待发放")
    assert api.get("elder_A", f"{P}/goods/{good['id']}").json()["stock"] == 3
    poor = assert_error(api.post("elder_A", f"{P}/exchanges", {"good_id": good["id"], "elder_id": elder,
                                                                "quantity": 3}), 409, "POINTS_INSUFFICIENT")
    assert poor["details"]["needed"] == 90
    second = api.post("elder_A", f"{P}/exchanges", {"good_id": good["id"], "elder_id": elder}).json()
    assert api.post("admin_A", f"{P}/exchanges/{ex.json()['id']}/deliver").json()["status"] == "delivered"
    back = api.post("elder_A", f"{P}/exchanges/{second['id']}/cancel", {"reason": "不需要了"})
    assert (back.status_code, back.json()["status"]) == (200, "cancelled")
    assert api.get("admin_A", f"{P}/goods/{good['id']}").json()["stock"] == 3
    mine = api.get("family_F", f"{P}/exchanges", good_id=good["id"]).json()
    assert {r["id"] for r in mine["items"]} == {ex.json()["id"], second["id"]}
    exported = api.get("admin_A", f"{P}/exchanges/export", format="csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["兑换单号", "兑换时间", "机构", "商品"]
    mine_rows = [r for r in rows[1:] if r[0] in (ex.json()["id"], second["id"])]
    assert {r[6] for r in mine_rows} == {"老**"}  # the elder's name masked
    assert {r[7] for r in mine_rows} == {"已发放", "已取消"}


def test_refusals_other_institution_other_elder_roles_and_malformed_bodies(api: PointsApi) -> None:
    elder_a, elder_b = api.world.elders["A"], api.world.elders["B"]
    act = api.activity()
    good = api.good()
    assert_error(api.post("admin_B", f"{P}/activities/{act['id']}/close"), 404, "POINTS_ACTIVITY_NOT_FOUND")
    assert_error(api.put("admin_B", f"{P}/goods/{good['id']}", {"points_price": 1}), 404, "POINTS_GOOD_NOT_FOUND")
    assert_error(api.post("family_F", f"{P}/activities/{act['id']}/enrolments", {"elder_id": elder_b}), 404,
                 "ELDER_NOT_FOUND")
    assert_error(api.post("family_F", f"{P}/exchanges", {"good_id": good["id"], "elder_id": elder_b}), 404,
                 "ELDER_NOT_FOUND")
    assert_error(api.get("family_F", f"{P}/elders/{elder_b}/ledger"), 404, "ELDER_NOT_FOUND")
    assert_error(api.get("admin_B", f"{P}/elders/{elder_a}/ledger"), 404, "ELDER_NOT_FOUND")
    assert_error(api.post("elder_A", f"{P}/activities", {"title": "x"}), 403, "PERMISSION_DENIED")
    assert_error(api.post("admin_A", f"{P}/exchanges", {"good_id": good["id"], "elder_id": elder_a}), 403,
                 "PERMISSION_DENIED")
    e = api.post("elder_A", f"{P}/activities/{act['id']}/enrolments", {"elder_id": elder_a}).json()
    assert_error(api.post("admin_B", f"{P}/enrolments/{e['id']}/attendance"), 404, "POINTS_ENROLMENT_NOT_FOUND")
    assert_error(api.post("elder_A", f"{P}/enrolments/{e['id']}/attendance"), 403, "PERMISSION_DENIED")
    assert api.get("admin_B", f"{P}/enrolments", activity_id=act["id"]).json()["total"] == 0
    assert_error(api.post("admin_A", f"{P}/activities", {"title": "x", "colour": "red"}), 400)
    naive = {"title": "义诊", "place": "社区", "capacity": 5, "points": 5, "enrol_from": "2026-11-25T10:00:00",
             "enrol_until": api.at(days=1), "starts_at": api.at(days=2), "ends_at": api.at(days=2, hours=1)}
    assert_error(api.post("admin_A", f"{P}/activities", naive), 400)
    bad = {**naive, "enrol_from": api.at(hours=-1), "capacity": 0, "title": "  "}
    response = api.post("admin_A", f"{P}/activities", bad)
    assert field_error(response, "capacity")["code"] == "OUT_OF_RANGE"
    assert field_error(response, "title")["code"] == "REQUIRED"
    assert_error(api.post("admin_A", f"{P}/goods", {"name": "x", "points_price": -1}), 400)
    assert_error(api.get("admin_A", f"{P}/activities/nope"), 404, "POINTS_ACTIVITY_NOT_FOUND")


def test_s10_service_points_over_http(api: PointsApi) -> None:
    staff_a1 = api.world.staff["A1"]
    assert_error(api.post("operator", f"{P}/service-points/award", {"period": "2027-06"}), 422)
    assert_error(api.post("operator", f"{P}/service-points/award", {"period": "2026-1"}), 400)
    assert_error(api.post("admin_A", f"{P}/service-points/award", {"period": "2026-10"}), 403, "PERMISSION_DENIED")
    run = api.post("operator", f"{P}/service-points/award", {"period": "2026-10"})
    assert (run.status_code, run.json()["period"], run.json()["awarded"]) == (200, "2026-10", 0)
    mine = api.get("staff_A1", f"{P}/service-points/mine")
    assert (mine.status_code, mine.json()["staff_id"], mine.json()["balance"]) == (200, staff_a1, 0)
    assert api.get("admin_A", f"{P}/service-points/staff/{staff_a1}").status_code == 200
    assert_error(api.get("admin_B", f"{P}/service-points/staff/{staff_a1}"), 404, "STAFF_NOT_FOUND")
    assert_error(api.get("staff_A1", f"{P}/service-points/staff/{api.world.staff['A']}"), 404, "STAFF_NOT_FOUND")
    assert_error(api.get("elder_A", f"{P}/service-points"), 403, "PERMISSION_DENIED")
    assert_error(api.get("admin_A", f"{P}/service-points/mine"), 404)
    assert api.get("admin_B", f"{P}/service-points").json()["total"] == 0
