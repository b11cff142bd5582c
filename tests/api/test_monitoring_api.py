"""Health monitoring (健康监测) over HTTP, role by role: the device catalogue, units, bindings, SIM cards, rules,
personal thresholds and duty (D-01, D-03, D-06, S-08); a partner system pushing device data (I-04) with its
acknowledgements, duplicates and dead letters; vitals (M-08, P-03); the one-tap SOS and the dispatch desk (M-12,
D-02, S-09); device alarms pushed over HTTP — with the refusals, every one in the `{code, message, details}` shape.

The app runs over SQLite with `tests.world` in it. The module fixture configures monitoring through the API as
an operator and the admins would (two device models, a heart-rate rule, a standard band and a guardian hub bound
to elder A, a band bound to elder B) and adds, through the use cases, A's doctor 李医生 (account doctor_A, elder
A's primary doctor) and a partner-system account of institution A (partner_A). Tests that change shared state
work on devices of their own, or close the alarms they open, so each test also passes alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from attrs import define, field

from tests.api.conftest import ERROR_KEYS, Api, assert_error, field_error, login, make_api
from tests.conftest import FrozenClock, operator
from tests.monitoring.setup import frame
from tests.world import PASSWORD, World, phone
from yiyangkang.bootstrap import encode_standard
from yiyangkang.domain.monitoring.messages import DeviceMessage, Measurement, Signal, SignalKind, SignalSource
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services import accounts, elders, staff
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.monitoring.ingest import ingest
from yiyangkang.services.staff import StaffForm

BASE = "/api/v1/monitoring"
INGEST = "/api/v1/devices/ingest"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BAND_A, HUB_A, BAND_B = "YYK-BAND-A-0001", "861234567890123", "YYK-BAND-B-0001"
CONTENT_TYPES = {"radar": "application/octet-stream", "watch": "text/plain"}  # JSON for the others (§1.7)
# A frame reaches ingestion through the MQTT bridge, or pushed over HTTP by a partner.
ROUTES = ["bridge", "http"]
HR_RULE: dict[str, Any] = {
    "name": "心率过快", "vital": "heart_rate", "alarm_kind": "vital",
    "thresholds": {"conditions": [{"severity": "major", "comparator": ">", "value": 120, "duration_s": 300},
                                  {"severity": "critical", "comparator": ">", "value": 150}],
                   "clear_comparator": "<", "clear_value": 110},
}


# --- the app ----------------------------------------------------------------------------------------------

@define
class Mon:
    """The running app, the world, and what the module fixture configured."""

    api: Api
    models: dict[str, str] = field(factory=dict)  # band / hub -> model id
    devices: dict[str, str] = field(factory=dict)  # serial -> device id
    rule: str = ""
    doctor: str = ""
    _tokens: dict[str, tuple[datetime, dict[str, str]]] = field(factory=dict)
    _counter: int = 0

    @property
    def world(self) -> World:
        return self.api.world

    @property
    def clock(self) -> FrozenClock:
        return self.api.clock

    def elder(self, key: str) -> str:
        return self.world.elders[key]

    def h(self, username: str) -> dict[str, str]:
        """The bearer header of `username`, logged in again once the clock has moved an hour (tokens last 8)."""
        now = self.clock.now()
        cached = self._tokens.get(username)
        if cached is None or now - cached[0] > timedelta(hours=1):
            cached = (now, login(self.api.client, username, PASSWORD))
            self._tokens[username] = cached
        return cached[1]

    def get(self, username: str, path: str, **params: Any) -> Any:
        return self.api.client.get(path, headers=self.h(username), params=params or None)

    def post(self, username: str, path: str, body: Any = None) -> Any:
        return self.api.client.post(path, headers=self.h(username), json={} if body is None else body)

    def put(self, username: str, path: str, body: Any) -> Any:
        return self.api.client.put(path, headers=self.h(username), json=body)

    def push(self, username: str, codec: str, payload: bytes, serial: str | None = None) -> Any:
        """A push over HTTP as §1.7 documents it: the raw bytes the device would publish, with its Content-Type."""
        headers = {**self.h(username), "Content-Type": CONTENT_TYPES.get(codec, "application/json")}
        return self.api.client.post(f"{INGEST}/{codec}", headers=headers, params={"serial": serial} if serial else None,
                                    content=payload)

    def send(self, route: str, codec: str, serial: str, payload: bytes) -> dict[str, Any]:
        """One frame in by `route`: pushed over HTTP by A's partner, or published on the codec's MQTT topic and
        handed to ingestion as the bridge does. The counts of what happened to it."""
        if route == "http":
            result: dict[str, Any] = ok(self.push("partner_A", codec, payload, serial))
            return result
        topic = f"yyk/v1/dev/{serial}/up" if codec == "standard" else f"vendor/{codec}/{serial}/up"
        report = ingest(self.api.rt, [frame(topic, payload, self.clock.now())])
        return {"stored": report.stored, "duplicates": report.duplicates, "dead_letters": report.dead_letters,
                "alarms": len(report.alarms)}

    def feed(self, serial: str, payload: bytes) -> None:
        """Device data for the tests that read it, in through the bridge's path."""
        assert self.send("bridge", "standard", serial, payload)["stored"] == 1

    def next_id(self, prefix: str) -> str:
        """A fresh standard-protocol message id (the device's own counter)."""
        self._counter += 1
        return f"{prefix}-{self._counter:04d}"

    def iso(self, at: datetime) -> str:
        """`at` as the app would send it: ISO 8601 with the +08:00 offset."""
        return at.astimezone(SHANGHAI).isoformat()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def encoded(message: DeviceMessage, at: datetime) -> bytes:
    """The payload `encode_standard` builds for `message` (the topic goes with it when published over MQTT)."""
    payload: bytes = encode_standard(message, at=at)[1]
    return payload


def telemetry(serial: str, ident: str, at: datetime, values: dict[Vital, float]) -> bytes:
    """A standard-protocol telemetry frame (§2) as the device's firmware builds it."""
    message = DeviceMessage(serial=serial, key=f"std:{serial}:{ident}",
                            measurements=tuple(Measurement(v, x, at) for v, x in values.items()))
    return encoded(message, at)


def buffered(serial: str, ident: str, readings: list[tuple[datetime, dict[Vital, float]]]) -> bytes:
    """A standard frame carrying buffered readings, each at its own time."""
    message = DeviceMessage(serial=serial, key=f"std:{serial}:{ident}", measurements=tuple(
        Measurement(v, x, at) for at, values in readings for v, x in values.items()))
    return encoded(message, readings[0][0])


def event(serial: str, ident: str, at: datetime, kind: SignalKind, source: SignalSource) -> bytes:
    message = DeviceMessage(serial=serial, key=f"std:{serial}:{ident}", signals=(Signal(kind, source, at),))
    return encoded(message, at)


def hub_alarm(at: datetime, trigger: str = "cord", serial: str = HUB_A, battery: int = 87) -> bytes:
    """The guardian hub's alarm (守护一键通, docs/device-protocol.md §6.5), in its vendor JSON."""
    return json.dumps({"imei": serial, "msgType": "alarm", "trigger": trigger, "battery": battery,
                       "time": int(at.timestamp())}).encode()


def ack(ident: str) -> str:
    """The standard acknowledgement (§2.4), exactly these bytes."""
    return f'{{"v":1,"ack":"{ident}","ok":true}}'


def events_of(m: Mon, username: str, path: str) -> list[str]:
    found = ok(m.get(username, f"{path}/events"))
    assert isinstance(found, list)
    for e in found:
        assert {"name", "actor_id", "occurred_at"} <= set(e), e
        assert datetime.fromisoformat(e["occurred_at"]).tzinfo is not None
    return [e["name"] for e in found]


def open_alarms(m: Mon, username: str = "admin_A", **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(m.get(username, f"{BASE}/alarms", open_only="true", page_size=100,
                                           **params))["items"]
    return items


def finish(m: Mon, alarm_id: str, username: str = "admin_A") -> None:
    """Acknowledge and close an alarm as handled, so the dispatch queue is empty for the next test."""
    ok(m.post(username, f"{BASE}/alarms/{alarm_id}/acknowledge", {"note": "已联系"}))
    ok(m.post(username, f"{BASE}/alarms/{alarm_id}/close", {"reason": "handled"}))


def register(m: Mon, username: str, serial: str, model: str = "band", institution: str = "A") -> Any:
    return m.post(username, f"{BASE}/devices", {"model_id": m.models[model], "serial": serial, "location": "卧室",
                                                "institution_id": m.world.inst[institution]})


def configure(m: Mon) -> None:
    """The back office's set-up, over HTTP: the operator's catalogue and rule, the admins' devices."""
    m.models["band"] = ok(m.post("operator", f"{BASE}/device-models", {
        "name": "YYK 标准手环", "vendor": "医养康", "device_kind": "band", "codec": "standard",
        "vitals": ["heart_rate", "spo2", "body_temp", "battery"], "data_interval_s": 600}), 201)["id"]
    m.models["hub"] = ok(m.post("operator", f"{BASE}/device-models", {
        "name": "守护一键通 G1", "vendor": "颐年科技", "device_kind": "guardian_hub", "codec": "guardian-hub",
        "vitals": ["battery"], "data_interval_s": 3600}), 201)["id"]
    m.rule = ok(m.post("operator", f"{BASE}/rules", HR_RULE), 201)["id"]
    for serial, model, inst, elder, admin in ((BAND_A, "band", "A", "A", "admin_A"), (HUB_A, "hub", "A", "A", "admin_A"),
                                              (BAND_B, "band", "B", "B", "admin_B")):
        m.devices[serial] = ok(register(m, admin, serial, model, inst), 201)["id"]
        ok(m.post(admin, f"{BASE}/devices/{m.devices[serial]}/bind", {"elder_id": m.elder(elder)}))


@pytest.fixture(scope="module")
def m(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mon]:
    for api in make_api(tmp_path_factory.mktemp("api-monitoring") / "api.db"):
        rt, op, world = api.rt, operator(), api.world
        doctor = staff.hire_staff(rt, op, StaffForm(institution_id=world.inst["A"], name="李医生", phone=phone(400),
                                                    profession="doctor", license_no="110440100012345")).id
        elders.update_elder(rt, op, world.elders["A"], ElderForm(primary_doctor_id=doctor))
        for username, role, links in (("doctor_A", "staff", {"staff_id": doctor}),
                                      ("partner_A", "partner", {"institution_id": world.inst["A"]})):
            world.accounts[username] = accounts.create_account(rt, op, AccountForm(
                username=username, password=PASSWORD, role=role, **links)).id
        mon = Mon(api, doctor=doctor)
        configure(mon)
        api.clock.advance(minutes=1)  # the devices have been bound a minute when data starts coming in
        yield mon


# --- 1. configuration --------------------------------------------------------------------------------------

def test_catalogue_and_rules_are_the_operators_d03(m: Mon) -> None:
    """D-03: the operator keeps the model catalogue and the rules; admins and staff read them, nobody else."""
    models = {x["id"]: x for x in ok(m.get("admin_A", f"{BASE}/device-models"))}
    assert models[m.models["band"]]["codec"] == "standard"
    assert models[m.models["hub"]]["codec"] == "guardian-hub"
    assert models[m.models["hub"]]["device_kind"] == "guardian_hub"
    assert models[m.models["band"]]["vitals"] == ["heart_rate", "spo2", "body_temp", "battery"]
    rules = {r["id"]: r for r in ok(m.get("staff_A1", f"{BASE}/rules"))}
    hr = rules[m.rule]
    assert (hr["vital"], hr["alarm_kind"], hr["active"]) == ("heart_rate", "vital", True)
    conditions = [(c["severity"], c["comparator"], c["value"], c["duration_s"]) for c in hr["thresholds"]["conditions"]]
    assert conditions == [("critical", ">", 150, 0), ("major", ">", 120, 300)]  # most severe first
    assert (hr["thresholds"]["clear_comparator"], hr["thresholds"]["clear_value"]) == ("<", 110)
    for username in ("family_F", "elder_A", "partner_A", "auditor"):
        assert_error(m.get(username, f"{BASE}/device-models"), 403, "PERMISSION_DENIED")
        assert_error(m.get(username, f"{BASE}/rules"), 403, "PERMISSION_DENIED")
    body = {"name": "某手环", "vendor": "某厂", "device_kind": "band", "codec": "standard"}
    for username in ("admin_A", "staff_A1"):
        assert_error(m.post(username, f"{BASE}/device-models", body), 403, "PERMISSION_DENIED")
        assert_error(m.post(username, f"{BASE}/rules", {**HR_RULE, "name": "心率过快2"}), 403, "PERMISSION_DENIED")
    bad = field_error(m.post("operator", f"{BASE}/device-models", {**body, "codec": "mqtt-json"}), "codec")
    assert bad["code"] == "UNKNOWN_CODEC"
    assert_error(m.post("operator", f"{BASE}/device-models", {**body, "name": "守护一键通 G1"}), 409)


def test_register_bind_unbind_keeps_the_history_s08_d01(m: Mon) -> None:
    """S-08/D-01: admin_A registers a unit for A and binds it to elder A; the device shows the binding; unbinding
    ends it but keeps it in the history; staff of A1 cannot register, B cannot see it, nobody binds it to an elder
    outside their scope, and a serial is registered once."""
    serial = "YYK-BAND-A-0101"
    created = ok(register(m, "admin_A", serial), 201)
    device = created["id"]
    assert (created["serial"], created["institution_id"], created["status"], created["elder_id"]) == (
        serial, m.world.inst["A"], "active", None)
    assert created["bindings"] == []
    assert_error(register(m, "admin_A", serial), 409, "DEVICE_SERIAL_TAKEN")
    assert_error(register(m, "staff_A1", "YYK-BAND-A-0102", institution="A1"), 403, "PERMISSION_DENIED")
    assert_error(register(m, "admin_A", "YYK-BAND-A-0103", institution="B"), 404)
    assert_error(register(m, "admin_A1", "YYK-BAND-A-0104", institution="A"), 404)
    bad = field_error(m.post("admin_A", f"{BASE}/devices", {"model_id": "no-such-model", "serial": "YYK-X-1"}),
                      "model_id")
    assert bad["code"] == "UNKNOWN_MODEL"

    assert_error(m.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": m.elder("B")}), 404)
    assert_error(m.post("admin_B", f"{BASE}/devices/{device}/bind", {"elder_id": m.elder("B")}), 404)
    bound = ok(m.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": m.elder("A")}))
    assert bound["elder_id"] == m.elder("A")
    assert [(b["elder_id"], b["end"]) for b in bound["bindings"]] == [(m.elder("A"), None)]
    assert_error(m.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": m.elder("A")}), 409)

    shown = ok(m.get("admin_A", f"{BASE}/devices/{device}"))
    assert shown["bindings"] == bound["bindings"]
    assert datetime.fromisoformat(shown["bindings"][0]["start"]) == m.clock.now()
    assert_error(m.get("admin_B", f"{BASE}/devices/{device}"), 404)
    assert_error(m.get("staff_A1", f"{BASE}/devices/{device}"), 404)
    listed = ok(m.get("admin_A", f"{BASE}/devices", elder_id=m.elder("A"), page_size=100))
    assert {d["serial"] for d in listed["items"]} >= {serial, BAND_A, HUB_A}
    assert BAND_B not in {d["serial"] for d in listed["items"]}
    assert {d["serial"] for d in ok(m.get("admin_B", f"{BASE}/devices", page_size=100))["items"]} == {BAND_B}
    family_sees = {d["serial"] for d in ok(m.get("family_F", f"{BASE}/devices", page_size=100))["items"]}
    assert {serial, BAND_A, HUB_A} <= family_sees and BAND_B not in family_sees

    m.clock.advance(minutes=5)
    unbound = ok(m.post("admin_A", f"{BASE}/devices/{device}/unbind", {"reason": "老人住院，设备收回"}))
    assert unbound["elder_id"] is None
    [period] = unbound["bindings"]
    assert period["elder_id"] == m.elder("A")
    assert datetime.fromisoformat(period["end"]) == m.clock.now()
    again = ok(m.get("admin_A", f"{BASE}/devices/{device}"))
    assert again["bindings"] == unbound["bindings"]
    names = events_of(m, "admin_A", f"{BASE}/devices/{device}")
    assert names == ["device.created", "device.bound", "device.unbound"]
    assert_error(m.get("admin_B", f"{BASE}/devices/{device}/events"), 404)


def test_duty_staff_and_escalation_limits(m: Mon) -> None:
    """admin_A names A's service worker as duty staff and sets the escalation minutes per severity; staff of
    another institution cannot be on A's duty; B's admin does not see A's settings; staff may not set them."""
    path = f"{BASE}/duty/{m.world.inst['A']}"
    before = ok(m.get("admin_A", path))
    assert before["institution_id"] == m.world.inst["A"]
    saved = ok(m.put("admin_A", path, {"duty_staff_ids": [m.world.staff["A"]],
                                       "escalate_after_min": {"critical": 5, "major": 15}}))
    assert saved["duty_staff_ids"] == [m.world.staff["A"]]
    assert saved["escalate_after_min"]["critical"] == 5 and saved["escalate_after_min"]["major"] == 15
    assert ok(m.get("admin_A", path)) == saved
    other = field_error(m.put("admin_A", path, {"duty_staff_ids": [m.world.staff["B"]]}), "duty_staff_ids.0")
    assert other["code"] == "UNKNOWN_STAFF"
    field_error(m.put("admin_A", path, {"duty_staff_ids": [], "escalate_after_min": {"urgent": 5}}),
                "escalate_after_min.urgent")
    assert_error(m.put("admin_A", path, {"duty_staff_ids": [], "escalate_after_min": {"critical": 1441}}), 400,
                 "REQUEST_INVALID")
    assert_error(m.get("admin_B", path), 404)
    assert_error(m.put("admin_B", path, {"duty_staff_ids": []}), 404)
    assert_error(m.put("staff_A1", path, {"duty_staff_ids": []}), 403, "PERMISSION_DENIED")
    assert ok(m.get("admin_A", path)) == saved  # the refusals changed nothing


def test_sim_card_masked_attached_renewed_d06(m: Mon) -> None:
    """D-06: admin_A adds a 4G card (its number masked in every answer), puts it into a device of A, renews it;
    a device of B is out of reach; a renewal must move the expiry forward; retiring the device frees the card."""
    device = ok(register(m, "admin_A", "YYK-BAND-A-0201"), 201)["id"]
    msisdn = "13912345678"
    body = {"iccid": "89860012345678901234", "msisdn": msisdn, "carrier": "中国移动", "plan_minutes": 100,
            "plan_data_mb": 1024, "activated_on": "2026-01-01", "expires_on": "2026-12-31"}
    created = m.post("admin_A", f"{BASE}/sim-cards", body)
    sim = ok(created, 201)
    assert msisdn not in created.text
    assert sim["msisdn"] != msisdn and "*" in sim["msisdn"] and sim["msisdn"][-4:] == msisdn[-4:]
    assert (sim["institution_id"], sim["device_id"], sim["expires_on"]) == (m.world.inst["A"], None, "2026-12-31")
    assert_error(m.post("admin_A", f"{BASE}/sim-cards", body), 409)
    bad = assert_error(m.post("admin_A", f"{BASE}/sim-cards", {**body, "iccid": "12345", "msisdn": "12345",
                                                                 "expires_on": "2025-12-31"}), 422)
    assert {d["field"] for d in bad["details"]} == {"iccid", "msisdn", "expires_on"}

    path = f"{BASE}/sim-cards/{sim['id']}"
    assert_error(m.post("admin_A", f"{path}/attach", {"device_id": m.devices[BAND_B]}), 404)
    assert_error(m.post("admin_B", f"{path}/attach", {"device_id": m.devices[BAND_B]}), 404)
    attached = ok(m.post("admin_A", f"{path}/attach", {"device_id": device}))
    assert attached["device_id"] == device and msisdn not in json.dumps(attached)
    assert_error(m.post("admin_A", f"{path}/renew", {"expires_on": "2026-06-30"}), 409, "SIM_EXPIRY_NOT_LATER")
    renewed = ok(m.post("admin_A", f"{path}/renew", {"expires_on": "2027-12-31"}))
    assert renewed["expires_on"] == "2027-12-31" and renewed["version"] > attached["version"]
    listed = m.get("admin_A", f"{BASE}/sim-cards", keyword="8986001234")
    assert [s["id"] for s in ok(listed)["items"]] == [sim["id"]] and msisdn not in listed.text
    assert ok(m.get("admin_B", f"{BASE}/sim-cards", keyword="8986001234"))["items"] == []
    assert_error(m.get("staff_A1", f"{BASE}/sim-cards"), 403, "PERMISSION_DENIED")

    retired = ok(m.post("admin_A", f"{BASE}/devices/{device}/retire", {"reason": "损坏"}))
    assert retired["status"] == "retired"
    [card] = ok(m.get("admin_A", f"{BASE}/sim-cards", keyword="8986001234"))["items"]
    assert card["device_id"] is None
    assert_error(m.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": m.elder("A")}), 409)


def test_personal_thresholds_for_one_elder_d03(m: Mon) -> None:
    """D-03: an elder's own thresholds for a rule; admins and staff of the elder's institution set them, the
    family only looks at the values."""
    path = f"{BASE}/elders/{m.elder('A')}/rule-overrides"
    body = {"thresholds": {"conditions": [{"severity": "major", "comparator": ">", "value": 130}],
                           "clear_comparator": "<", "clear_value": 115}}
    saved = ok(m.put("admin_A", f"{path}/{m.rule}", body))
    assert (saved["rule_id"], saved["elder_id"], saved["enabled"]) == (m.rule, m.elder("A"), True)
    assert saved["thresholds"]["conditions"][0]["value"] == 130
    changed = ok(m.put("admin_A", f"{path}/{m.rule}", {**body, "enabled": False}))
    assert changed["id"] == saved["id"] and changed["enabled"] is False
    ok(m.put("admin_A", f"{path}/{m.rule}", body))
    assert [o["id"] for o in ok(m.get("admin_A", path))] == [saved["id"]]
    assert field_error(m.put("admin_A", f"{path}/no-such-rule", body), "rule_id")["code"] == "UNKNOWN_RULE"
    out_of_range = {"thresholds": {"conditions": [{"severity": "major", "comparator": ">", "value": 900}]}}
    field_error(m.put("admin_A", f"{path}/{m.rule}", out_of_range), "thresholds.conditions.0.value")
    assert_error(m.put("family_F", f"{path}/{m.rule}", body), 403, "PERMISSION_DENIED")
    assert_error(m.put("admin_B", f"{path}/{m.rule}", body), 404)
    assert_error(m.get("admin_B", path), 404)


# --- 2. a partner pushes device data -------------------------------------------------------------------------

def test_partner_pushes_standard_telemetry_acked_and_stored_once_i04(m: Mon) -> None:
    """I-04 (§1.7, §2.4): A's partner system pushes a standard frame for A's band: stored and acknowledged with the
    exact ack bytes; the same frame again (the device's resend) is a duplicate, stored nothing, and is acknowledged
    again."""
    now = m.clock.now()
    ident = m.next_id("push")
    raw = telemetry(BAND_A, ident, now, {Vital.HEART_RATE: 72, Vital.SPO2: 97})
    first = ok(m.push("partner_A", "standard", raw, BAND_A))
    assert first == {"stored": 1, "duplicates": 0, "dead_letters": 0, "alarms": 0, "replies": [ack(ident)]}
    again = ok(m.push("partner_A", "standard", raw, BAND_A))
    assert again == {"stored": 0, "duplicates": 1, "dead_letters": 0, "alarms": 0, "replies": [ack(ident)]}
    device = ok(m.get("admin_A", f"{BASE}/devices/{m.devices[BAND_A]}"))
    assert datetime.fromisoformat(device["last_data_at"]) == now
    history = ok(m.get("admin_A", f"{BASE}/elders/{m.elder('A')}/vitals/heart_rate", start=m.iso(now),
                       end=m.iso(now + timedelta(seconds=1))))
    assert [p["value"] for p in history["points"]] == [72]


@pytest.mark.parametrize("route", ROUTES)
def test_garbage_goes_to_the_dead_letter_store_with_its_reason(m: Mon, route: str) -> None:
    """§1.6: a frame that cannot be decoded is dead-lettered (over HTTP: answered 200, the push was received, and
    never acknowledged); the operator reads it with its reason and downloads the payload as it came; nobody
    else may."""
    serial = f"YYK-BAND-A-04{len(route):02d}"  # a serial of its own per route
    ok(register(m, "admin_A", serial), 201)  # over HTTP a partner may name only registered devices
    garbage = b'{"v":1,"id":"g-1","type":"telemetry","values":{"heart_rate":7'
    sent = m.send(route, "standard", serial, garbage)
    assert (sent["stored"], sent["dead_letters"], sent.get("replies", [])) == (0, 1, [])
    letters = ok(m.get("operator", f"{BASE}/dead-letters", serial=serial, reason="BAD_JSON"))["items"]
    assert len(letters) == 1
    letter = letters[0]
    # both routes file a frame they cannot decode under the codec that owns it
    channel = "http:standard" if route == "http" else f"yyk/v1/dev/{serial}/up"
    codec = "standard"
    assert (letter["codec"], letter["channel"], letter["serial"], letter["size"]) == (
        codec, channel, serial, len(garbage))
    assert letter["message"] and letter["preview_hex"].startswith("7b 22 76")
    payload = m.api.client.get(f"{BASE}/dead-letters/{letter['id']}/payload", headers=m.h("operator"))
    assert payload.status_code == 200, payload.text
    assert payload.content == garbage
    assert payload.headers["content-type"].startswith("application/octet-stream")
    assert_error(m.get("operator", f"{BASE}/dead-letters/no-such-letter/payload"), 404)
    for username in ("admin_A", "partner_A", "staff_A1", "auditor"):
        assert_error(m.get(username, f"{BASE}/dead-letters"), 403, "PERMISSION_DENIED")
        assert_error(m.get(username, f"{BASE}/dead-letters/{letter['id']}/payload"), 403, "PERMISSION_DENIED")


def test_a_push_for_an_unregistered_device_is_404_not_a_dead_letter(m: Mon) -> None:
    """§1.7: over HTTP a partner may name only devices registered to its institutions; a stranger's serial is
    answered 404 and fills no dead-letter store."""
    before = ok(m.get("operator", f"{BASE}/dead-letters"))["total"]
    raw = telemetry("YYK-NOBODY-0001", m.next_id("bad"), m.clock.now(), {Vital.HEART_RATE: 70})
    assert_error(m.push("partner_A", "standard", raw, "YYK-NOBODY-0001"), 404)
    assert ok(m.get("operator", f"{BASE}/dead-letters"))["total"] == before


@pytest.mark.parametrize(("case", "serial", "reason"), [
    ("impossible value", BAND_A, "IMPLAUSIBLE_VALUE"),
    ("no serial", None, "BAD_SERIAL"),
    ("unknown field", BAND_A, "BAD_SCHEMA"),
    ("version 2", BAND_A, "VERSION_UNSUPPORTED"),
])
def test_refused_pushes_are_dead_lettered(m: Mon, case: str, serial: str | None, reason: str) -> None:
    """§1.6/§1.7: every refused push is a 200 with one dead letter under its stable reason code, and no ack."""
    values: dict[Vital, float] = {Vital.HEART_RATE: 400 if case == "impossible value" else 70}
    raw = telemetry(serial or BAND_A, m.next_id("bad"), m.clock.now(), values)
    if case == "unknown field":
        raw = raw.replace(b'"type"', b'"typo":1,"type"')
    if case == "version 2":
        raw = raw.replace(b'"v":1', b'"v":2')
    before = ok(m.get("operator", f"{BASE}/dead-letters", reason=reason))["total"]
    pushed = ok(m.push("partner_A", "standard", raw, serial))
    assert (pushed["stored"], pushed["dead_letters"], pushed["replies"]) == (0, 1, []), case
    assert ok(m.get("operator", f"{BASE}/dead-letters", reason=reason))["total"] == before + 1, case


@pytest.mark.parametrize("route", ROUTES)
def test_a_retired_device_is_refused(m: Mon, route: str) -> None:
    serial = f"YYK-BAND-A-03{len(route):02d}"
    device = ok(register(m, "admin_A", serial), 201)["id"]
    ok(m.post("admin_A", f"{BASE}/devices/{device}/bind", {"elder_id": m.elder("A")}))
    assert_error(m.post("admin_A", f"{BASE}/devices/{device}/retire", {"reason": "停用"}), 409, "DEVICE_STILL_BOUND")
    ok(m.post("admin_A", f"{BASE}/devices/{device}/unbind", {"reason": "收回"}))
    ok(m.post("admin_A", f"{BASE}/devices/{device}/retire", {"reason": "停用"}))
    sent = m.send(route, "standard", serial, telemetry(serial, m.next_id("r"), m.clock.now(), {Vital.HEART_RATE: 70}))
    assert (sent["stored"], sent["dead_letters"]) == (0, 1)
    assert ok(m.get("operator", f"{BASE}/dead-letters", serial=serial))["items"][0]["reason"] == "DEVICE_RETIRED"


def test_a_partner_feeds_only_its_own_institutions_devices(m: Mon) -> None:
    """A's partner pushing for B's band — directly or in a ThingsBoard gateway batch — is answered as if the
    device did not exist, and nothing is stored, not even a dead letter."""
    raw = telemetry(BAND_B, m.next_id("b"), m.clock.now(), {Vital.HEART_RATE: 70})
    letters = ok(m.get("operator", f"{BASE}/dead-letters"))["total"]
    assert_error(m.push("partner_A", "standard", raw, BAND_B), 404)
    assert_error(m.push("partner_A", "thingsboard", json.dumps({BAND_B: [{"heartRate": 70}]}).encode()), 404)
    assert ok(m.get("admin_B", f"{BASE}/devices/{m.devices[BAND_B]}"))["last_data_at"] is None
    assert ok(m.get("admin_B", f"{BASE}/elders/{m.elder('B')}/vitals"))["vitals"] == []
    assert ok(m.get("operator", f"{BASE}/dead-letters"))["total"] == letters


def test_unknown_codec_is_404_and_only_partners_push(m: Mon) -> None:
    raw = telemetry(BAND_A, m.next_id("x"), m.clock.now(), {Vital.HEART_RATE: 70})
    assert_error(m.push("partner_A", "mqtt-json", raw, BAND_A), 404)
    for username in ("staff_A1", "elder_A", "family_F", "admin_A", "auditor"):
        assert_error(m.push(username, "standard", raw, BAND_A), 403, "PERMISSION_DENIED")


def test_pushing_needs_a_signed_in_account(m: Mon) -> None:
    raw = telemetry(BAND_A, m.next_id("x"), m.clock.now(), {Vital.HEART_RATE: 70})
    anonymous = m.api.client.post(f"{INGEST}/standard", params={"serial": BAND_A}, content=raw,
                                  headers={"Content-Type": "application/json"})
    assert_error(anonymous, 401, "AUTHENTICATION_REQUIRED")


UNDECODABLE = [
    ("standard", b""), ("standard", b"\x00" * 10), ("standard", "王秀英".encode("gbk")), ("standard", b"[" * 5000),
    ("standard", b'{"v":1e999}'), ("thingsboard", b"\xff\x00 not a frame"), ("watch", b"\xff\x00 not a frame"),
    ("radar", b"\xff\x00 not a frame"), ("csu-air", b"\xff\x00 not a frame"), ("xiaoxin-robot", b"[]"),
]


def test_undecodable_pushes_are_dead_letters_never_400_or_500(m: Mon) -> None:
    """§1.6: whatever bytes arrive for a known codec, the answer is a 200 and one dead letter."""
    for codec, raw in UNDECODABLE:
        pushed = ok(m.push("partner_A", codec, raw, BAND_A))
        assert (pushed["stored"], pushed["dead_letters"]) == (0, 1), (codec, raw[:20])


# --- 3. vitals ---------------------------------------------------------------------------------------------

def test_elder_and_family_read_latest_vitals_and_history_m08_p03(m: Mon) -> None:
    """M-08/P-03: the elder, the family, the admin and the doctor read the newest value of each vital with its
    LOINC code and UCUM unit, and a vital's history in a time range given with an offset; a dense range comes
    back averaged in buckets."""
    m.clock.advance(hours=1)
    t0 = m.clock.now()
    m.feed(BAND_A, buffered(BAND_A, m.next_id("v"), [
        (t0 - timedelta(minutes=20), {Vital.HEART_RATE: 80, Vital.SPO2: 96}),
        (t0 - timedelta(minutes=10), {Vital.HEART_RATE: 76}),
    ]))
    m.feed(BAND_A, telemetry(BAND_A, m.next_id("v"), t0, {Vital.HEART_RATE: 71, Vital.BODY_TEMPERATURE: 36.6}))
    for username in ("elder_A", "family_F", "admin_A", "doctor_A"):
        latest = ok(m.get(username, f"{BASE}/elders/{m.elder('A')}/vitals"))
        by = {v["vital"]: v for v in latest["vitals"]}
        assert (by["heart_rate"]["value"], by["heart_rate"]["code"], by["heart_rate"]["unit"]) == (71, "8867-4", "/min")
        assert datetime.fromisoformat(by["heart_rate"]["at"]) == t0
        assert (by["spo2"]["value"], by["spo2"]["code"], by["spo2"]["unit"]) == (96, "2708-6", "%")
        assert (by["body_temp"]["value"], by["body_temp"]["unit"]) == (36.6, "Cel")
        assert latest["by_device"]["heart_rate"][0]["serial"] == BAND_A

    path = f"{BASE}/elders/{m.elder('A')}/vitals/heart_rate"
    window = {"start": m.iso(t0 - timedelta(minutes=30)), "end": m.iso(t0 + timedelta(seconds=1))}
    assert "+08:00" in window["start"]
    history = ok(m.get("family_F", path, **window))
    assert (history["vital"], history["code"], history["unit"], history["bucket_s"], history["total"]) == (
        "heart_rate", "8867-4", "/min", 0, 3)
    assert [p["value"] for p in history["points"]] == [80, 76, 71]
    assert datetime.fromisoformat(history["start"]) == t0 - timedelta(minutes=30)
    narrow = ok(m.get("elder_A", path, start=m.iso(t0 - timedelta(minutes=15)), end=m.iso(t0)))
    assert [p["value"] for p in narrow["points"]] == [76]  # [start, end)
    assert ok(m.get("elder_A", path, device_id=m.devices[BAND_A], **window))["total"] == 3
    assert ok(m.get("elder_A", path, device_id=m.devices[HUB_A], **window))["total"] == 0

    # an hour of readings a minute apart, averaged into 6 buckets of 10 minutes
    start = t0 + timedelta(minutes=1)
    m.clock.advance(hours=1, minutes=1)
    m.feed(BAND_A, buffered(BAND_A, m.next_id("v"), [
        (start + timedelta(minutes=i), {Vital.HEART_RATE: 60 + i % 10}) for i in range(60)]))
    dense = ok(m.get("elder_A", path, start=m.iso(start), end=m.iso(start + timedelta(hours=1)), max_points=6))
    assert (dense["total"], dense["bucket_s"], len(dense["points"])) == (60, 600, 6)
    assert [p["count"] for p in dense["points"]] == [10] * 6
    assert all((p["min"], p["value"], p["max"]) == (60, 64.5, 69) for p in dense["points"])


def test_vitals_outside_ones_reach_are_404(m: Mon) -> None:
    """P-03: the family sees only the elder they are linked to; B's admin does not see A's elder; A1's staff
    does not see A's elder."""
    window = {"start": m.iso(m.clock.now() - timedelta(hours=1)), "end": m.iso(m.clock.now())}
    for username, elder in (("family_F", "B"), ("elder_A", "B"), ("admin_B", "A"), ("staff_A1", "A")):
        assert_error(m.get(username, f"{BASE}/elders/{m.elder(elder)}/vitals"), 404)
        assert_error(m.get(username, f"{BASE}/elders/{m.elder(elder)}/vitals/heart_rate", **window), 404)
        assert_error(m.get(username, f"{BASE}/elders/{m.elder(elder)}/checkups"), 404)
    for username in ("partner_A", "auditor"):
        assert_error(m.get(username, f"{BASE}/elders/{m.elder('A')}/vitals"), 403, "PERMISSION_DENIED")
    assert_error(m.get("family_F", f"{BASE}/elders/no-such-elder/vitals"), 404)


def test_a_bad_range_is_422_and_a_bad_vital_400(m: Mon) -> None:
    now = m.clock.now()
    path = f"{BASE}/elders/{m.elder('A')}/vitals/heart_rate"
    body = assert_error(m.get("elder_A", path, start=m.iso(now), end=m.iso(now - timedelta(hours=1))), 422)
    assert [(d["field"], d["code"]) for d in body["details"]] == [("end", "BAD_RANGE")]
    assert all(d["message"] for d in body["details"])
    body = assert_error(m.get("elder_A", path, start=m.iso(now - timedelta(days=400)), end=m.iso(now)), 422)
    assert [(d["field"], d["code"]) for d in body["details"]] == [("start", "RANGE_TOO_LONG")]
    window = {"start": m.iso(now - timedelta(hours=1)), "end": m.iso(now)}
    assert_error(m.get("elder_A", f"{BASE}/elders/{m.elder('A')}/vitals/pulse_pressure", **window), 400,
                 "REQUEST_INVALID")
    assert_error(m.get("elder_A", path, start="yesterday", end=m.iso(now)), 400, "REQUEST_INVALID")
    assert_error(m.get("elder_A", path, end=m.iso(now)), 400, "REQUEST_INVALID")
    assert_error(m.get("elder_A", path, max_points=0, **window), 400, "REQUEST_INVALID")


# --- 4. SOS and the dispatch desk ---------------------------------------------------------------------------

def test_one_tap_sos_card_acknowledge_close_m12(m: Mon) -> None:
    """M-12/D-02: elder A taps SOS: a critical SOS alarm and a video-call request to the family and the doctor;
    family, doctor and duty staff are told. A's dispatcher sees it first in the queue with the name masked, and in
    full on the card, as the family does; B's admin and A1's staff do not see it at all. It must be acknowledged
    before it is closed; the elder may not handle it; the events tell created → acknowledged → handled."""
    assert open_alarms(m) == []
    ok(m.put("admin_A", f"{BASE}/duty/{m.world.inst['A']}", {"duty_staff_ids": [m.world.staff["A"]]}))
    m.feed(BAND_A, telemetry(BAND_A, m.next_id("s"), m.clock.now(), {Vital.HEART_RATE: 98}))
    sent_before = len(m.api.rt.notifier.sent)  # type: ignore[attr-defined, unused-ignore]
    result = ok(m.post("elder_A", f"{BASE}/elders/{m.elder('A')}/sos", {"note": "胸口痛"}), 201)
    alarm = result["alarm"]
    assert (alarm["alarm_kind"], alarm["severity"], alarm["status"], alarm["source"]) == (
        "sos", "critical", "open", "app")
    assert alarm["elder_name"] == "老人A" and "胸口痛" in alarm["detail"]
    assert result["call_request_id"] and result["invitees"] == 2  # family_F and doctor_A
    told = {n.phone for n in m.api.rt.notifier.sent[sent_before:]}  # type: ignore[attr-defined, unused-ignore]
    assert {phone(300), phone(400), phone(100)} <= told  # the son, the doctor, A's duty staff
    assert_error(m.post("elder_A", f"{BASE}/elders/{m.elder('B')}/sos"), 404)
    for username in ("admin_A", "staff_A1", "partner_A"):
        assert_error(m.post(username, f"{BASE}/elders/{m.elder('A')}/sos"), 403, "PERMISSION_DENIED")

    queue = open_alarms(m)
    assert queue[0]["id"] == alarm["id"]
    assert queue[0]["elder_name"] == "老**"
    assert alarm["id"] not in {a["id"] for a in open_alarms(m, "admin_B")}
    assert alarm["id"] not in {a["id"] for a in open_alarms(m, "staff_A1")}
    assert open_alarms(m, "family_F")[0]["id"] == alarm["id"]

    card_path = f"{BASE}/alarms/{alarm['id']}"
    for username in ("admin_A", "family_F", "elder_A", "operator"):
        card = ok(m.get(username, card_path))
        assert card["masked"] is False, username
        assert card["alarm"]["elder_name"] == "老人A"
        assert card["elder_phone"] == phone(200)
        assert {"relation": "儿子", "name": "陈志强", "phone": phone(300)} in card["contacts"]
        assert (card["doctor_name"], card["doctor_phone"]) == ("李医生", phone(400))
        assert {v["vital"]: v["value"] for v in card["latest_vitals"]}["heart_rate"] == 98
    for username in ("admin_B", "staff_A1", "admin_A1"):
        assert_error(m.get(username, card_path), 404)
        assert_error(m.get(username, f"{card_path}/events"), 404)
        assert_error(m.post(username, f"{card_path}/acknowledge"), 404)
    assert_error(m.get("auditor", card_path), 403, "PERMISSION_DENIED")

    assert_error(m.post("admin_A", f"{card_path}/close", {"reason": "handled"}), 409, "ALARM_NOT_ACKNOWLEDGED")
    for username in ("elder_A", "family_F"):
        assert_error(m.post(username, f"{card_path}/acknowledge"), 403, "PERMISSION_DENIED")
    acked = ok(m.post("admin_A", f"{card_path}/acknowledge", {"note": "已电话联系，上门中"}))
    assert (acked["status"], acked["acknowledged_by"], acked["acknowledge_note"]) == (
        "acknowledged", m.world.accounts["admin_A"], "已电话联系，上门中")
    assert_error(m.post("admin_A", f"{card_path}/acknowledge"), 409)
    assert_error(m.post("admin_A", f"{card_path}/close", {"reason": "recovered"}), 400, "REQUEST_INVALID")
    closed = ok(m.post("admin_A", f"{card_path}/close", {"reason": "handled", "note": "已送医"}))
    assert (closed["status"], closed["close_reason"], closed["close_note"]) == ("closed", "handled", "已送医")
    assert_error(m.post("admin_A", f"{card_path}/close", {"reason": "handled"}), 409)
    assert events_of(m, "admin_A", card_path) == ["alarm.created", "alarm.acknowledged", "alarm.handled"]
    assert events_of(m, "family_F", card_path) == ["alarm.created", "alarm.acknowledged", "alarm.handled"]
    assert alarm["id"] not in {a["id"] for a in open_alarms(m)}
    closed_list = ok(m.get("admin_A", f"{BASE}/alarms", status="closed", elder_id=m.elder("A")))["items"]
    assert alarm["id"] in {a["id"] for a in closed_list}


def test_dispatch_queue_orders_by_severity_then_age_d02(m: Mon) -> None:
    """D-02: a low battery (minor) raised first still queues behind a later critical SOS; when the family taps SOS
    the video call invites the doctor only (not the caller)."""
    assert open_alarms(m) == []
    sent = m.send("bridge", "standard", BAND_A, event(BAND_A, m.next_id("lb"), m.clock.now(), SignalKind.LOW_BATTERY,
                                                      SignalSource.DEVICE))
    assert sent["alarms"] == 1
    m.clock.advance(minutes=1)
    sos = ok(m.post("family_F", f"{BASE}/elders/{m.elder('A')}/sos"), 201)
    assert sos["invitees"] == 1
    queue = open_alarms(m)
    assert [a["alarm_kind"] for a in queue] == ["sos", "low_battery"]
    assert [a["alarm_kind"] for a in open_alarms(m, severity="minor")] == ["low_battery"]
    for alarm in queue:
        finish(m, alarm["id"])
    assert open_alarms(m) == []


# --- 5. device alarms pushed over HTTP -----------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_guardian_hub_pull_cord_and_band_fall_d05(m: Mon, route: str) -> None:
    """D-05 (§6.5): the guardian hub's pull cord, in the hub's vendor JSON, opens one critical SOS alarm (source
    pull_cord); the same bytes again open no second alarm (whether they count as a duplicate or as a repeat on
    the open alarm); another pull while it is open counts on the same alarm. (The hub has no fall event: §6.5
    knows alarm, lowBattery and heartbeat.) A fall from the band opens a fall alarm; the list filters by kind."""
    assert open_alarms(m) == []
    m.clock.advance(minutes=1)  # each route's frames are its own (the dedup key is the same for both routes)
    payload = hub_alarm(m.clock.now())
    first = m.send(route, "guardian-hub", HUB_A, payload)
    assert (first["stored"], first["duplicates"], first["dead_letters"], first["alarms"]) == (1, 0, 0, 1)
    assert first.get("replies", []) == []
    again = m.send(route, "guardian-hub", HUB_A, payload)
    assert (again["stored"] + again["duplicates"], again["alarms"]) == (1, 0)
    [sos] = open_alarms(m, kind="sos")
    assert (sos["severity"], sos["source"], sos["count"], sos["device_id"]) == (
        "critical", "pull_cord", 1 + again["stored"], m.devices[HUB_A])
    m.clock.advance(seconds=30)
    pulled = m.send(route, "guardian-hub", HUB_A, hub_alarm(m.clock.now(), trigger="voice"))
    assert (pulled["stored"], pulled["alarms"]) == (1, 0)
    [sos_again] = open_alarms(m, kind="sos")
    assert (sos_again["id"], sos_again["count"]) == (sos["id"], sos["count"] + 1)
    mismatch = m.send(route, "guardian-hub", HUB_A, hub_alarm(m.clock.now(), serial="861234567890999"))
    assert (mismatch["stored"], mismatch["dead_letters"]) == (0, 1)

    fall = m.send(route, "standard", BAND_A, event(BAND_A, m.next_id("fall"), m.clock.now(), SignalKind.FALL,
                                                   SignalSource.DEVICE))
    assert fall["alarms"] == 1
    [fallen] = open_alarms(m, kind="fall")
    assert (fallen["severity"], fallen["device_id"]) == ("critical", m.devices[BAND_A])
    assert {a["id"] for a in open_alarms(m, kind=["sos", "fall"])} == {sos["id"], fallen["id"]}
    assert open_alarms(m, kind="low_battery") == []
    assert {a["id"] for a in open_alarms(m, elder_id=m.elder("A"))} == {sos["id"], fallen["id"]}
    assert [a["id"] for a in open_alarms(m, "family_F", kind="fall")] == [fallen["id"]]
    assert open_alarms(m, "admin_B", kind="fall") == []
    assert_error(m.get("admin_A", f"{BASE}/alarms", kind="meteor"), 400, "REQUEST_INVALID")
    card = ok(m.get("admin_A", f"{BASE}/alarms/{sos['id']}"))
    assert (card["device_serial"], card["device_location"]) == (HUB_A, "卧室")
    assert {v["vital"]: v["value"] for v in card["latest_vitals"]}["battery"] == 87
    for alarm in (sos, fallen):
        finish(m, alarm["id"])
    assert open_alarms(m) == []


# --- 6. validation -------------------------------------------------------------------------------------------

def rule(**changes: Any) -> dict[str, Any]:
    return {**HR_RULE, "name": "规则校验", **changes}


def thresholds(comparator: str, value: float, clear_comparator: str, clear_value: float) -> dict[str, Any]:
    return {"conditions": [{"severity": "major", "comparator": comparator, "value": value}],
            "clear_comparator": clear_comparator, "clear_value": clear_value}


def test_a_clear_threshold_overlapping_the_alarm_is_422_d03(m: Mon) -> None:
    """D-03: the clear threshold must leave a hysteresis band: `>= 120` raising and `< 125` clearing overlap."""
    body = assert_error(m.post("operator", f"{BASE}/rules", rule(thresholds=thresholds(">=", 120, "<", 125))), 422)
    assert [(d["field"], d["code"]) for d in body["details"]] == [("thresholds.clear_value", "CLEAR_OVERLAPS")]
    override = m.put("admin_A", f"{BASE}/elders/{m.elder('A')}/rule-overrides/{m.rule}",
                     {"thresholds": thresholds("<=", 50, ">", 40)})
    assert [(d["field"], d["code"]) for d in assert_error(override, 422)["details"]] == [
        ("thresholds.clear_value", "CLEAR_OVERLAPS")]


def test_a_clear_threshold_overlapping_a_strict_alarm_is_422_d03(m: Mon) -> None:
    response = m.post("operator", f"{BASE}/rules", rule(name="规则校验严格", thresholds=thresholds(">", 120, "<", 125),
                                                     active=False))
    body = assert_error(response, 422)
    assert [(d["field"], d["code"]) for d in body["details"]] == [("thresholds.clear_value", "CLEAR_OVERLAPS")]


DUPLICATE_SEVERITY = {"conditions": [{"severity": "major", "comparator": ">", "value": 120},
                                     {"severity": "major", "comparator": ">", "value": 130}]}


@pytest.mark.parametrize("where", ["rule", "override"])
def test_two_conditions_of_one_severity_are_422_not_500(m: Mon, where: str) -> None:
    if where == "rule":
        response = m.post("operator", f"{BASE}/rules", rule(name="规则校验重复", thresholds=DUPLICATE_SEVERITY))
    else:
        response = m.put("admin_A", f"{BASE}/elders/{m.elder('A')}/rule-overrides/{m.rule}",
                         {"thresholds": DUPLICATE_SEVERITY})
    error = field_error(response, "thresholds.conditions.1.severity")
    assert error["code"] == "DUPLICATE_SEVERITY"


def test_rule_business_checks_are_422_per_field_d03(m: Mon) -> None:
    """An unknown vital, a kind no rule may raise, conditions that cannot be, an unknown model: 422 naming each
    field; nothing is created."""
    body = assert_error(m.post("operator", f"{BASE}/rules", rule(vital="pulse_pressure", alarm_kind="sos")), 422)
    codes = {d["field"]: d["code"] for d in body["details"]}
    assert set(codes) == {"vital", "alarm_kind"} and codes["alarm_kind"] == "NOT_A_RULE_KIND"
    field_error(m.post("operator", f"{BASE}/rules", rule(vital="pulse_pressure")), "vital")
    body = assert_error(m.post("operator", f"{BASE}/rules", rule(thresholds={"conditions": [
        {"severity": "major", "comparator": ">", "value": 120, "duration_s": 60, "repeats": 3},
        {"severity": "urgent", "comparator": ">", "value": 500}]})), 422)
    codes = {d["field"]: d["code"] for d in body["details"]}
    assert codes["thresholds.conditions.0.duration_s"] == "DURATION_AND_REPEATS"
    assert {"thresholds.conditions.1.severity", "thresholds.conditions.1.value"} <= set(codes)
    field_error(m.post("operator", f"{BASE}/rules", rule(thresholds={"conditions": []})), "thresholds.conditions")
    field_error(m.post("operator", f"{BASE}/rules", rule(schedule={"start": "25:00"})), "schedule.start")
    assert field_error(m.post("operator", f"{BASE}/rules", rule(model_id="no-such-model")), "model_id")["code"] \
        == "UNKNOWN_MODEL"
    assert "规则校验" not in {r["name"] for r in ok(m.get("operator", f"{BASE}/rules"))}


@pytest.mark.parametrize(("path", "body", "unknown"), [
    ("/device-models", {"name": "X", "vendor": "Y", "device_kind": "band", "codec": "standard", "colour": "red"},
     "colour"),
    ("/rules", {**HR_RULE, "name": "多余字段", "level": "major"}, "level"),
    ("/rules", {**HR_RULE, "name": "多余字段", "thresholds": {**HR_RULE["thresholds"], "hysteresis": 5}},
     "hysteresis"),
    ("/devices", {"model_id": "m", "serial": "YYK-1", "imei": "8600"}, "imei"),
    ("/sim-cards", {"iccid": "8986", "msisdn": "139", "carrier": "x", "plan_minutes": 1, "plan_data_mb": 1,
                    "activated_on": "2026-01-01", "expires_on": "2027-01-01", "pin": "1234"}, "pin"),
])
def test_an_unknown_field_is_400_request_invalid(m: Mon, path: str, body: dict[str, Any], unknown: str) -> None:
    """As everywhere in the API (tests/api/test_validation_api.py): a body that is not the documented shape is
    the decoder's 400 REQUEST_INVALID, naming the field."""
    error = assert_error(m.post("operator", f"{BASE}{path}", body), 400, "REQUEST_INVALID")
    assert unknown in str(error["details"])


@pytest.mark.parametrize(("method", "path", "body"), [
    ("put", "/duty/{inst}", {"duty_staff_ids": [], "escalate": 5}),
    ("put", "/elders/{elder}/rule-overrides/{rule}", {"enabled": True, "reason": "x"}),
    ("post", "/devices/{band}/bind", {"elder_id": "{elder}", "at": "now"}),
    ("post", "/alarms/none/acknowledge", {"note": "x", "by": "me"}),
    ("post", "/elders/{elder}/sos", {"note": "x", "video": True}),
])
def test_unknown_fields_on_commands_are_400(m: Mon, method: str, path: str, body: dict[str, Any]) -> None:
    values = {"inst": m.world.inst["A"], "elder": m.elder("A"), "rule": m.rule, "band": m.devices[BAND_A]}
    url = f"{BASE}{path.format(**values)}"
    sent = {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}
    username = "elder_A" if "sos" in path else "admin_A"
    before = ok(m.get("admin_A", f"{BASE}/alarms", elder_id=m.elder("A")))["total"]
    response = getattr(m.api.client, method)(url, headers=m.h(username), json=sent)
    assert_error(response, 400, "REQUEST_INVALID")
    assert ok(m.get("admin_A", f"{BASE}/alarms", elder_id=m.elder("A")))["total"] == before


def test_wrong_types_and_malformed_bodies_are_400(m: Mon) -> None:
    headers = {**m.h("admin_A"), "Content-Type": "application/json"}
    for raw in (b"", b"{", b"[]", b'{"elder_id": 1}', b'{"elder_id": null}', b"\xff\xfe"):
        response = m.api.client.post(f"{BASE}/devices/{m.devices[BAND_A]}/bind", headers=headers, content=raw)
        assert_error(response, 400)
    for params in ({"page_size": 0}, {"severity": "huge"}, {"open_only": "perhaps"}, {"since": "yesterday"}):
        assert_error(m.get("admin_A", f"{BASE}/alarms", **params), 400, "REQUEST_INVALID")


# --- 7. the error shape -------------------------------------------------------------------------------------

def test_every_error_is_code_message_details(m: Mon) -> None:
    """Every refusal above went through `assert_error` (exactly `{code, message, details}`); here one of each
    status, side by side."""
    responses = [
        m.api.client.get(f"{BASE}/alarms"),  # 401
        m.get("partner_A", f"{BASE}/alarms"),  # 403
        m.get("admin_A", f"{BASE}/alarms/no-such-alarm"),  # 404
        m.get("admin_A", f"{BASE}/alarms", page_size=0),  # 400
        m.post("operator", f"{BASE}/rules", rule(vital="nope")),  # 422
        m.post("admin_A", f"{BASE}/devices", {"model_id": m.models["band"], "serial": BAND_A}),  # 409
        m.api.client.delete(f"{BASE}/rules", headers=m.h("operator")),  # 405
    ]
    assert [r.status_code for r in responses] == [401, 403, 404, 400, 422, 409, 405]
    for response in responses:
        assert set(response.json()) == ERROR_KEYS, response.text
        assert_error(response, response.status_code)


def test_dispatch_feed_cards_most_severe_first_with_everything_to_act_on(m: Mon) -> None:
    """The dispatch centre's feed: open alarms as cards (elder, address, contacts, doctor, device, latest vitals),
    most severe then oldest; in full for those who answer alarms, nothing of another institution."""
    ok(m.post("elder_A", f"{BASE}/elders/{m.elder('A')}/sos", {"note": "调度队列"}), 201)
    feed = ok(m.get("admin_A", f"{BASE}/alarms/dispatch"))
    assert feed["items"], feed
    ranks = {"critical": 4, "major": 3, "minor": 2, "warning": 1}
    keys = [(-ranks[c["alarm"]["severity"]], c["alarm"]["first_at"]) for c in feed["items"]]
    assert keys == sorted(keys)
    card = next(c for c in feed["items"] if c["alarm"]["alarm_kind"] == "sos")
    assert card["masked"] is False and card["alarm"]["elder_name"] == "老人A"
    assert {"contacts", "address", "doctor_name", "latest_vitals", "device_serial"} <= set(card)
    assert ok(m.get("admin_B", f"{BASE}/alarms/dispatch"))["items"] == []
