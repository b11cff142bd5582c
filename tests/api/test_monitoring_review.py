"""Security review of health monitoring (健康监测) over HTTP: scope (IDOR), tampering, personal data, robustness.

Every problem the review confirmed is fixed; its test stays as the regression test. The others pin down what
was checked and found sound.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from attrs import define, field
from litestar.testing import TestClient

from apps.api.app import create_app
from tests.api.conftest import Api, assert_error, login, make_api
from tests.conftest import operator
from tests.monitoring.setup import frame
from tests.world import PASSWORD, World, build_world, id_card, phone
from yiyangkang.adapters.notify.sandbox import SandboxNotifier
from yiyangkang.bootstrap import Container, decode_http, encode_standard
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.monitoring.messages import DeviceMessage, Measurement, Signal, SignalKind, SignalSource
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services import accounts, elders
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.monitoring.ingest import Frame, ingest, ingest_pushed

BASE = "/api/v1/monitoring"
INGEST = "/api/v1/devices/ingest"
BAND_A, BAND_A1, BAND_B = "REV-BAND-A-0001", "REV-BAND-A1-0001", "REV-BAND-B-0001"
HR_RULE: dict[str, Any] = {
    "name": "心率过快", "vital": "heart_rate", "alarm_kind": "vital",
    "thresholds": {"conditions": [{"severity": "critical", "comparator": ">", "value": 150}],
                   "clear_comparator": "<", "clear_value": 110},
}
PDF = b"%PDF-1.4\n% review\n"


@define
class Review:
    api: Api
    models: dict[str, str] = field(factory=dict)
    devices: dict[str, str] = field(factory=dict)  # serial -> id
    sims: dict[str, str] = field(factory=dict)  # A / B -> id
    alarms: dict[str, str] = field(factory=dict)  # elder key -> an open SOS alarm id
    checkups: dict[str, str] = field(factory=dict)  # elder key -> report id
    rule: str = ""
    _headers: dict[str, dict[str, str]] = field(factory=dict)
    _n: int = 0

    @property
    def world(self) -> World:
        return self.api.world

    def elder(self, key: str) -> str:
        return self.world.elders[key]

    def h(self, username: str) -> dict[str, str]:
        if username not in self._headers:
            self._headers[username] = login(self.api.client, username, PASSWORD)
        return self._headers[username]

    def get(self, username: str, path: str, **params: Any) -> Any:
        return self.api.client.get(path, headers=self.h(username), params=params or None)

    def post(self, username: str, path: str, body: Any = None) -> Any:
        return self.api.client.post(path, headers=self.h(username), json={} if body is None else body)

    def put(self, username: str, path: str, body: Any) -> Any:
        return self.api.client.put(path, headers=self.h(username), json=body)

    def push(self, username: str, codec: str, payload: bytes, serial: str | None = None) -> Any:
        return self.api.client.post(f"{INGEST}/{codec}", headers={**self.h(username), "Content-Type": "application/json"},
                                    params={"serial": serial} if serial else None, content=payload)

    def ident(self) -> str:
        self._n += 1
        return f"rev-{self._n:04d}"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def std(serial: str, ident: str, at: datetime, *, values: dict[Vital, float] | None = None,
        sos: bool = False) -> bytes:
    message = DeviceMessage(serial=serial, key=f"std:{serial}:{ident}",
                            measurements=tuple(Measurement(v, x, at) for v, x in (values or {}).items()),
                            signals=(Signal(SignalKind.SOS, SignalSource.BAND_KEY, at),) if sos else ())
    payload: bytes = encode_standard(message, at=at)[1]
    return payload


def checkup_frame(ident: str, at: datetime) -> bytes:
    return json.dumps({"v": 1, "id": ident, "ts": int(at.timestamp() * 1000), "type": "checkup",
                       "checkup": {"items": [{"name": "血压", "value": "120/80"}], "conclusion": "正常",
                                   "document": base64.b64encode(PDF).decode()}}).encode()


@pytest.fixture(scope="module")
def r(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    for api in make_api(tmp_path_factory.mktemp("api-monitoring-review") / "api.db"):
        rt, op, world = api.rt, operator(), api.world
        for username, inst in (("partner_A", "A"), ("partner_B", "B")):
            world.accounts[username] = accounts.create_account(rt, op, AccountForm(
                username=username, password=PASSWORD, role="partner", institution_id=world.inst[inst])).id
        rv = Review(api)
        rv.models["band"] = ok(rv.post("operator", f"{BASE}/device-models", {
            "name": "评审手环", "vendor": "医养康", "device_kind": "band", "codec": "standard",
            "vitals": ["heart_rate", "spo2"], "data_interval_s": 600}), 201)["id"]
        rv.rule = ok(rv.post("operator", f"{BASE}/rules", HR_RULE), 201)["id"]
        for serial, key, admin in ((BAND_A, "A", "admin_A"), (BAND_A1, "A1", "admin_A1"), (BAND_B, "B", "admin_B")):
            rv.devices[serial] = ok(rv.post(admin, f"{BASE}/devices", {
                "model_id": rv.models["band"], "serial": serial, "location": "卧室"}), 201)["id"]
            ok(rv.post(admin, f"{BASE}/devices/{rv.devices[serial]}/bind", {"elder_id": world.elders[key]}))
        for key, admin, iccid in (("A", "admin_A", "89860000000000000001"), ("B", "admin_B", "89860000000000000002")):
            rv.sims[key] = ok(rv.post(admin, f"{BASE}/sim-cards", {
                "iccid": iccid, "msisdn": "13900000000", "carrier": "中国移动", "plan_minutes": 1, "plan_data_mb": 1,
                "activated_on": "2026-01-01", "expires_on": "2026-12-31"}), 201)["id"]
        api.clock.advance(minutes=1)
        now = api.clock.now()
        for serial, partner in ((BAND_A, "partner_A"), (BAND_A1, "partner_A"), (BAND_B, "partner_B")):
            ok(rv.push(partner, "standard", std(serial, rv.ident(), now, values={Vital.HEART_RATE: 70}), serial))
            pushed = ok(rv.push(partner, "standard", std(serial, rv.ident(), now, sos=True), serial))
            assert pushed["alarms"] == 1, pushed
            ok(rv.push(partner, "standard", checkup_frame(rv.ident(), now), serial))
        for key in ("A", "A1", "B"):
            [alarm] = ok(rv.get("operator", f"{BASE}/alarms", elder_id=world.elders[key]))["items"]
            rv.alarms[key] = alarm["id"]
            [report] = ok(rv.get("operator", f"{BASE}/elders/{world.elders[key]}/checkups"))["items"]
            rv.checkups[key] = report["id"]
        yield rv


# --- 1. scope (IDOR) -------------------------------------------------------------------------------------

def _reads(rv: Review, key: str, serial: str) -> list[str]:
    """Every monitoring GET with an id that belongs to elder `key` (and its device `serial`)."""
    elder = rv.elder(key)
    return [
        f"{BASE}/devices/{rv.devices[serial]}",
        f"{BASE}/devices/{rv.devices[serial]}/events",
        f"{BASE}/alarms/{rv.alarms[key]}",
        f"{BASE}/alarms/{rv.alarms[key]}/events",
        f"{BASE}/elders/{elder}/vitals",
        f"{BASE}/elders/{elder}/checkups",
        f"{BASE}/checkups/{rv.checkups[key]}/document",
    ]


@pytest.mark.parametrize(("username", "key", "serial"), [
    ("admin_B", "A", BAND_A), ("admin_A1", "A", BAND_A), ("staff_A1", "A", BAND_A),
    ("admin_A2", "A1", BAND_A1), ("family_F", "A1", BAND_A1), ("elder_A", "A1", BAND_A1),
    ("family_F", "B", BAND_B), ("elder_A", "B", BAND_B), ("admin_A", "B", BAND_B), ("partner_A", "A", BAND_A),
    ("auditor", "A", BAND_A),
])
def test_outsiders_get_404_or_403_on_every_read(r: Review, username: str, key: str, serial: str) -> None:
    for path in _reads(r, key, serial):
        response = r.get(username, path)
        assert response.status_code in (403, 404), (path, response.status_code, response.text[:200])
    history = r.get(username, f"{BASE}/elders/{r.elder(key)}/vitals/heart_rate",
                    start="2020-01-01T00:00:00+08:00", end="2020-02-01T00:00:00+08:00")
    assert history.status_code in (403, 404), history.text


@pytest.mark.parametrize(("username", "key", "serial"), [
    ("admin_A", "A1", BAND_A1), ("staff_A1", "A1", BAND_A1), ("admin_A1", "A1", BAND_A1),
    ("family_F", "A", BAND_A), ("elder_A", "A", BAND_A), ("operator", "B", BAND_B),
])
def test_insiders_read(r: Review, username: str, key: str, serial: str) -> None:
    """A device's history (who had it, why it was taken back) is for the back office: elders and families read
    the device itself, not its events."""
    back_office = username not in ("family_F", "elder_A")
    for path in _reads(r, key, serial):
        expected = 403 if path.endswith("/events") and "/devices/" in path and not back_office else 200
        assert r.get(username, path).status_code == expected, path


@pytest.mark.parametrize(("username", "key", "serial", "inst"), [
    ("admin_B", "A", BAND_A, "A"), ("admin_A2", "A1", BAND_A1, "A1"), ("admin_A1", "A", BAND_A, "A"),
    ("staff_A1", "A", BAND_A, "A"), ("family_F", "B", BAND_B, "B"),
])
def test_outsiders_change_nothing(r: Review, username: str, key: str, serial: str, inst: str) -> None:
    device, alarm, sim = r.devices[serial], r.alarms[key], r.sims.get(inst, r.sims["A"])
    before = ok(r.get("operator", f"{BASE}/devices/{device}"))
    writes = [
        r.post(username, f"{BASE}/devices/{device}/unbind", {"reason": "x"}),
        r.post(username, f"{BASE}/devices/{device}/retire", {"reason": "x"}),
        r.post(username, f"{BASE}/alarms/{alarm}/acknowledge", {"note": "x"}),
        r.post(username, f"{BASE}/alarms/{alarm}/close", {"reason": "false_alarm"}),
        r.put(username, f"{BASE}/elders/{r.elder(key)}/rule-overrides/{r.rule}", {"enabled": False}),
        r.put(username, f"{BASE}/duty/{r.world.inst[inst]}", {"duty_staff_ids": []}),
        r.post(username, f"{BASE}/sim-cards/{sim}/attach", {"device_id": None}),
        r.post(username, f"{BASE}/sim-cards/{sim}/renew", {"expires_on": "2030-01-01"}),
        r.get(username, f"{BASE}/elders/{r.elder(key)}/rule-overrides"),
        r.get(username, f"{BASE}/duty/{r.world.inst[inst]}"),
        r.post(username, f"{BASE}/elders/{r.elder(key)}/sos", {"note": "x"}),
    ]
    for response in writes:
        assert response.status_code in (403, 404), (response.request.url, response.status_code, response.text[:200])
    assert ok(r.get("operator", f"{BASE}/devices/{device}")) == before
    assert ok(r.get("operator", f"{BASE}/alarms/{alarm}"))["alarm"]["status"] == "open"


def test_list_filters_do_not_leak_foreign_rows(r: Review) -> None:
    for username, foreign in (("admin_A", "B"), ("admin_A2", "A1"), ("staff_A1", "A"), ("family_F", "B"),
                              ("elder_A", "A1"), ("admin_B", "A")):
        elder = r.elder(foreign)
        assert ok(r.get(username, f"{BASE}/alarms", elder_id=elder))["items"] == [], username
        assert ok(r.get(username, f"{BASE}/devices", elder_id=elder))["items"] == [], username
        feed = ok(r.get(username, f"{BASE}/alarms/dispatch", page_size=100))["items"]
        assert elder not in {c["alarm"]["elder_id"] for c in feed}, username
        listed = ok(r.get(username, f"{BASE}/alarms", page_size=100))["items"]
        assert elder not in {a["elder_id"] for a in listed}, username
    sims = {s["id"] for s in ok(r.get("admin_A", f"{BASE}/sim-cards", page_size=100))["items"]}
    assert r.sims["B"] not in sims and r.sims["A"] in sims


def test_tampering_is_refused(r: Review) -> None:
    device_a = r.devices[BAND_A]
    # extra fields are refused, not ignored
    assert_error(r.post("admin_A", f"{BASE}/devices", {"model_id": r.models["band"], "serial": "REV-X-1",
                                                       "elder_id": r.elder("A"), "status": "active"}), 400)
    assert_error(r.post("admin_A", f"{BASE}/alarms/{r.alarms['A']}/acknowledge",
                        {"note": "x", "institution_id": r.world.inst["B"]}), 400)
    # registering for another tree, binding a foreign elder, a SIM into a foreign device, foreign duty staff
    assert_error(r.post("admin_A", f"{BASE}/devices", {"model_id": r.models["band"], "serial": "REV-X-2",
                                                       "institution_id": r.world.inst["B"]}), 404)
    assert_error(r.post("admin_A1", f"{BASE}/sim-cards", {
        "iccid": "89860000000000000009", "msisdn": "13900000009", "carrier": "x", "plan_minutes": 1,
        "plan_data_mb": 1, "activated_on": "2026-01-01", "expires_on": "2026-12-31",
        "institution_id": r.world.inst["A2"]}), 404)
    assert_error(r.post("admin_A", f"{BASE}/sim-cards/{r.sims['A']}/attach", {"device_id": r.devices[BAND_B]}), 404)
    assert_error(r.post("admin_A", f"{BASE}/sim-cards/{r.sims['A']}/attach", {"device_id": r.devices[BAND_A1]}),
                 409, "SIM_OTHER_INSTITUTION")
    spare = ok(r.post("admin_A", f"{BASE}/devices", {"model_id": r.models["band"], "serial": "REV-X-3"}), 201)["id"]
    assert_error(r.post("admin_A", f"{BASE}/devices/{spare}/bind", {"elder_id": r.elder("B")}), 404)
    assert_error(r.post("staff_A1", f"{BASE}/devices/{spare}/bind", {"elder_id": r.elder("A1")}), 404)
    assert_error(r.post("admin_A", f"{BASE}/devices/{spare}/bind", {"elder_id": r.elder("A1")}), 409,
                 "DEVICE_OTHER_INSTITUTION")
    for staff_key in ("B", "A1"):
        response = r.put("admin_A", f"{BASE}/duty/{r.world.inst['A']}", {"duty_staff_ids": [r.world.staff[staff_key]]})
        assert_error(response, 422)
    assert ok(r.get("admin_A", f"{BASE}/devices/{device_a}"))["elder_id"] == r.elder("A")


def test_history_filtered_by_a_foreign_device_is_empty(r: Review) -> None:
    now = r.api.clock.now()
    history = ok(r.get("admin_A", f"{BASE}/elders/{r.elder('A')}/vitals/heart_rate", device_id=r.devices[BAND_B],
                       start=(now - timedelta(days=1)).isoformat(), end=(now + timedelta(days=1)).isoformat()))
    assert (history["total"], history["points"]) == (0, [])


def test_family_sees_only_their_elders_part_of_a_shared_device(r: Review) -> None:
    rt = r.api.rt
    other = elders.register_elder(rt, operator(), ElderForm(
        institution_id=r.world.inst["A"], name="王秀英", id_card_no=id_card(77), region_code="440104",
        phone=phone(277))).id
    device = ok(r.post("admin_A", f"{BASE}/devices", {"model_id": r.models["band"], "serial": "REV-SHARED-1"}),
                201)["id"]
    ok(r.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": other}))
    r.api.clock.advance(minutes=1)
    ok(r.post("admin_A", f"{BASE}/devices/{device}/unbind", {"reason": "王秀英住院，设备收回"}))
    r.api.clock.advance(minutes=1)
    ok(r.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": r.elder("A")}))
    shown = r.get("family_F", f"{BASE}/devices/{device}")
    assert shown.status_code == 200
    events = r.get("family_F", f"{BASE}/devices/{device}/events")
    leaked = [text for text in (shown.text, events.text) if other in text or "住院" in text]
    assert leaked == []


# --- 2. partners and devices speaking for others -------------------------------------------------------

def test_partner_cannot_push_for_a_foreign_or_sibling_device(r: Review) -> None:
    now = r.api.clock.now()
    letters = ok(r.get("operator", f"{BASE}/dead-letters"))["total"]
    assert_error(r.push("partner_B", "standard", std(BAND_A1, r.ident(), now, sos=True), BAND_A1), 404)
    gateway = json.dumps({BAND_A: [{"heartRate": 170}], "REV-UNKNOWN-9": [{"heartRate": 70}]}).encode()
    assert_error(r.push("partner_B", "thingsboard", gateway), 404)
    assert_error(r.push("partner_A", "standard", std(BAND_B, r.ident(), now, sos=True), BAND_B), 404)
    assert ok(r.get("operator", f"{BASE}/dead-letters"))["total"] == letters
    assert ok(r.get("operator", f"{BASE}/alarms", elder_id=r.elder("A1")))["total"] == 1


def test_a_partner_without_an_institution_feeds_nobody(r: Review) -> None:
    """No such account can be created through the API; should one exist (a stale row), its SUBTREE scope is empty."""
    orphan = Principal(account_id="orphan", role=Role.PARTNER, username="orphan")
    now = r.api.clock.now()
    raw = std(BAND_A, r.ident(), now, sos=True)
    pushed = Frame(channel="http:standard", codec="standard", payload=raw, received_at=now,
                   decoded=decode_http("standard", BAND_A, raw, now))
    with pytest.raises(NotFound):
        ingest_pushed(r.api.rt, orphan, pushed)


def test_a_refused_message_does_not_burn_its_key(r: Review) -> None:
    serial = "REV-NEW-A-0001"
    squat = r.push("partner_B", "standard", std(serial, "1", r.api.clock.now(), sos=True), serial)
    assert_error(squat, 404)  # over HTTP: a device not registered to the caller's institutions
    early = _bridge(r, f"yyk/v1/dev/{serial}/up", std(serial, "1", r.api.clock.now(), sos=True))
    assert (early.stored, early.dead_letters) == (0, 1)  # over MQTT: dead-lettered, its key not claimed
    device = ok(r.post("admin_A", f"{BASE}/devices", {"model_id": r.models["band"], "serial": serial}), 201)["id"]
    ok(r.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": r.elder("A")}))
    r.api.clock.advance(minutes=1)
    real = ok(r.push("partner_A", "standard", std(serial, "1", r.api.clock.now(), sos=True), serial))
    assert (real["stored"], real["duplicates"]) == (1, 0), real  # the SOS is not mistaken for a duplicate


def _bridge(r: Review, topic: str, payload: bytes) -> Any:
    """What the MQTT bridge does with one message (`Bridge._frame` + `ingest`)."""
    return ingest(r.api.rt, [frame(topic, payload, r.api.clock.now())])


def test_a_frame_cannot_name_another_device_than_its_topic(r: Review) -> None:
    now = r.api.clock.now()
    content = b"AL,251126,013000,V,0,N,0,E,0,0,0,0,0,80,0,0,00010000"
    watch = b"[3G*%s*%04X*%s]" % (BAND_B.encode(), len(content), content)
    report = _bridge(r, f"watch/{BAND_A}/up", watch)
    assert (report.stored, report.dead_letters, report.alarms) == (0, 1, [])
    hub = json.dumps({"imei": BAND_B, "msgType": "alarm", "trigger": "cord", "time": int(now.timestamp())}).encode()
    report = _bridge(r, f"vendor/guardian-hub/{BAND_A}/up", hub)
    assert (report.stored, report.dead_letters, report.alarms) == (0, 1, [])
    for topic in ("yyk/v1/dev/a#b/up", "yyk/v1/dev/a+b/up", "yyk/v1/dev//up", "yyk/v1/dev/a/b/up",
                  "v1/devices/me/telemetry"):
        assert frame(topic, std(BAND_A, r.ident(), now, values={Vital.HEART_RATE: 70}), now).decoded is None, topic
    for serial in ("a/b", "a+b", "a#b", "a b", "序列号"):
        response = r.post("admin_A", f"{BASE}/devices", {"model_id": r.models["band"], "serial": serial})
        assert_error(response, 400)


def test_the_shared_gateway_topic_cannot_speak_for_any_device(r: Review) -> None:
    now = r.api.clock.now()
    report = _bridge(r, "v1/gateway/telemetry",
                     json.dumps({BAND_B: [{"ts": int(now.timestamp() * 1000), "values": {"heartRate": 64}}]}).encode())
    assert report.stored == 0, "a reading for institution B's elder from an unidentified gateway was stored"


# --- 3. personal data --------------------------------------------------------------------------------------

def test_lists_mask_and_handlers_see_the_card(r: Review) -> None:
    name = "老人A"
    listed = r.get("admin_A", f"{BASE}/alarms", elder_id=r.elder("A"))
    assert name not in listed.text and ok(listed)["items"][0]["elder_name"] == "老**"
    for username in ("admin_A", "family_F"):
        card = ok(r.get(username, f"{BASE}/alarms/{r.alarms['A']}"))
        assert (card["masked"], card["alarm"]["elder_name"]) == (False, name)
    sims = r.get("admin_A", f"{BASE}/sim-cards")
    assert "13900000000" not in sims.text


def test_the_sandbox_outbox_holds_no_full_names(r: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = tmp_path / "notifications.jsonl"
    monkeypatch.setattr(r.api.rt, "notifier", SandboxNotifier(outbox))
    ok(r.put("admin_A1", f"{BASE}/duty/{r.world.inst['A1']}", {"duty_staff_ids": [r.world.staff["A1"]]}))
    r.api.clock.advance(minutes=1)
    pushed = ok(r.push("partner_A", "standard", std(BAND_A1, r.ident(), r.api.clock.now(),
                                                    values={Vital.HEART_RATE: 170}), BAND_A1))
    assert pushed["alarms"] == 1
    written = outbox.read_text(encoding="utf-8")
    assert phone(101) not in written and "138****0101" in written  # the duty worker's phone is masked already
    assert "老人A1" not in written, written


# --- 4. robustness -----------------------------------------------------------------------------------------

BAD_RANGES = {
    "naive start, aware end": ("2026-11-01T00:00:00", "2026-11-30T00:00:00+08:00"),
    "both naive": ("2026-11-01T00:00:00", "2026-11-30T00:00:00"),
    "before year 1 in UTC": ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+14:00"),
    "after year 9999 in UTC": ("9999-12-30T00:00:00-14:00", "9999-12-31T23:00:00-14:00"),
}


@pytest.mark.parametrize("case", sorted(BAD_RANGES))
def test_history_with_odd_datetimes_is_a_4xx(r: Review, case: str) -> None:
    start, end = BAD_RANGES[case]
    response = r.get("family_F", f"{BASE}/elders/{r.elder('A')}/vitals/heart_rate", start=start, end=end)
    assert 400 <= response.status_code < 500, (case, response.status_code)
    assert_error(response, response.status_code)


@pytest.mark.parametrize("since", ["2026-11-01T00:00:00", "0001-01-01T00:00:00+14:00"])
def test_alarm_list_with_odd_since_is_a_4xx(r: Review, since: str) -> None:
    response = r.get("staff_A1", f"{BASE}/alarms", since=since)
    assert 400 <= response.status_code < 500, response.status_code


def test_ranges_pages_and_numbers_are_checked(r: Review) -> None:
    path = f"{BASE}/elders/{r.elder('A')}/vitals/heart_rate"
    assert_error(r.get("admin_A", path, start="2020-01-01T00:00:00+08:00", end="2026-01-01T00:00:00+08:00"), 422)
    assert_error(r.get("admin_A", path, start="2026-01-02T00:00:00+08:00", end="2026-01-01T00:00:00+08:00"), 422)
    assert_error(r.get("admin_A", path, start="2026-01-01T00:00:00+08:00", end="2026-01-02T00:00:00+08:00",
                       max_points=100000), 400)
    assert_error(r.get("admin_A", f"{BASE}/alarms", page_size=100000), 400)
    assert_error(r.get("admin_A", f"{BASE}/devices", page=0), 400)
    override = f"{BASE}/elders/{r.elder('A')}/rule-overrides/{r.rule}"
    for value in (b"1e999", b"NaN", b"Infinity", b"-1e400"):
        raw = b'{"thresholds": {"conditions": [{"severity": "critical", "comparator": ">", "value": %s}]}}' % value
        response = r.api.client.put(override, headers={**r.h("admin_A"), "Content-Type": "application/json"},
                                    content=raw)
        assert_error(response, 400)
    assert_error(r.put("admin_A", override, {"thresholds": {"conditions": [
        {"severity": "critical", "comparator": ">", "value": 999999}]}}), 422)


@pytest.mark.parametrize("note", ["\ud800", "a\x00b", "\x1b[31m", "长" * 501],
                         ids=["lone surrogate", "NUL", "escape sequence", "501 characters"])
def test_bad_text_in_bodies_is_400(r: Review, note: str) -> None:
    raw = json.dumps({"note": note})
    for path in (f"{BASE}/alarms/{r.alarms['A']}/acknowledge", f"{BASE}/elders/{r.elder('A')}/sos"):
        response = r.api.client.post(path, headers={**r.h("admin_A"), "Content-Type": "application/json"},
                                     content=raw.encode())
        assert_error(response, 400)


def test_oversized_pushes(r: Review) -> None:
    letters = ok(r.get("operator", f"{BASE}/dead-letters", reason="PAYLOAD_TOO_LARGE"))["total"]
    big = b'{"v":1,"id":"x","type":"telemetry","values":{}' + b" " * (2 << 20) + b"}"
    pushed = ok(r.push("partner_A", "standard", big, BAND_A))
    assert (pushed["stored"], pushed["dead_letters"]) == (0, 1)
    [letter] = ok(r.get("operator", f"{BASE}/dead-letters", reason="PAYLOAD_TOO_LARGE", page_size=1))["items"]
    assert letter["size"] <= 64 * 1024
    assert ok(r.get("operator", f"{BASE}/dead-letters", reason="PAYLOAD_TOO_LARGE"))["total"] == letters + 1
    assert_error(r.push("partner_A", "standard", b" " * (12 << 20), BAND_A), 413)


def test_duty_of_a_missing_institution_is_404(r: Review) -> None:
    assert_error(r.put("operator", f"{BASE}/duty/no-such-institution", {"duty_staff_ids": []}), 404)


# --- 5. the same on PostgreSQL (NUL and lone surrogates are refused there; SQLite would store them) ---------

@pytest.fixture
def on_db(sql_backend: Container) -> Iterator[Review]:
    world = build_world(sql_backend)
    world.accounts["partner_A"] = accounts.create_account(sql_backend, operator(), AccountForm(
        username="partner_A", password=PASSWORD, role="partner", institution_id=world.inst["A"])).id
    with TestClient(app=create_app(sql_backend)) as client:
        rv = Review(Api(client=client, world=world, clock=sql_backend.clock, rt=sql_backend))  # type: ignore[arg-type]
        rv.models["band"] = ok(rv.post("operator", f"{BASE}/device-models", {
            "name": "评审手环", "vendor": "医养康", "device_kind": "band", "codec": "standard"}), 201)["id"]
        rv.devices[BAND_A] = ok(rv.post("admin_A", f"{BASE}/devices", {
            "model_id": rv.models["band"], "serial": BAND_A}), 201)["id"]
        ok(rv.post("admin_A", f"{BASE}/devices/{rv.devices[BAND_A]}/bind", {"elder_id": world.elders["A"]}))
        yield rv


def test_control_characters_never_reach_the_database(on_db: Review) -> None:
    r = on_db
    device = r.devices[BAND_A]
    for path, raw in (
        (f"{BASE}/devices", {"model_id": r.models["band"], "serial": "REV-X", "location": "卧\x00室"}),
        (f"{BASE}/devices", {"model_id": r.models["band"], "serial": "REV-\x00X"}),
        (f"{BASE}/devices/{device}/unbind", {"reason": "\ud83d"}),
        (f"{BASE}/elders/{r.elder('A')}/sos", {"note": "\x00"}),
    ):
        response = r.api.client.post(path, headers={**r.h("admin_A"), "Content-Type": "application/json"},
                                     content=json.dumps(raw).encode())
        assert_error(response, 400)
    assert_error(r.get("admin_A", f"{BASE}/devices", keyword="a\x00b"), 400)
    assert_error(r.get("operator", f"{BASE}/dead-letters", serial="a\x00b"), 400)
    now = r.api.clock.now()
    ms = int(now.timestamp() * 1000)
    pushes = [
        ("standard", BAND_A, {"v": 1, "id": "n1", "ts": ms, "type": "event",
                              "event": {"kind": "sos", "source": "band_key", "detail": "\u0000\ud800"}}),
        ("standard", BAND_A, {"v": 1, "id": "n2", "ts": ms, "type": "checkup", "checkup": {"conclusion": "a\u0000"}}),
        ("standard", BAND_A, {"v": 1, "id": "n3", "type": "telemetry", "values": {"heart\u0000rate": 70}}),
        ("thingsboard", None, {"dev\u0000ice": [{"heartRate": 70}]}),
        ("csu-air", BAND_A, {"devId": "x\u0000", "time": ms // 1000, "data": {"pm25": 3}}),
        ("xiaoxin-robot", BAND_A, {"deviceNo": BAND_A, "reportTime": ms, "type": "checkup",
                                    "report": {"summary": "\u0000", "items": [{"itemName": "\ud800", "itemValue": 1}]}}),
    ]
    for codec, serial, body in pushes:
        raw = json.dumps(body).encode()
        pushed = ok(r.push("partner_A", codec, raw, serial))
        assert (pushed["stored"], pushed["dead_letters"]) == (0, 1), (codec, body)
    letters = ok(r.get("operator", f"{BASE}/dead-letters", page_size=100))["items"]
    assert len(letters) == len(pushes)
    assert ok(r.get("admin_A", f"{BASE}/alarms"))["total"] == 0


def test_history_with_a_naive_datetime_is_a_4xx_on_every_database(on_db: Review) -> None:
    response = on_db.get("admin_A", f"{BASE}/elders/{on_db.elder('A')}/vitals/heart_rate",
                         start="2026-11-01T00:00:00", end="2026-11-30T00:00:00")
    assert 400 <= response.status_code < 500, response.status_code


def test_an_undecodable_push_for_a_foreign_device_is_404(r: Review) -> None:
    before = ok(r.get("operator", f"{BASE}/dead-letters", serial=BAND_B))["total"]
    response = r.push("partner_A", "standard", b'{"v":1,"id":"x","type":"telemetry","values":{"heart_rate":', BAND_B)
    assert ok(r.get("operator", f"{BASE}/dead-letters", serial=BAND_B))["total"] == before, response.text
    assert_error(response, 404)
