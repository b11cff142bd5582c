"""Device bridge benchmark (D-01…D-09): `python -m bench bridge [--messages 20000] [--devices 16] [--workers 4]
[--batch 200] [--database pg|sqlite] [--load 1000] [--sos 200] [--feed burst|window|both] [--window 50]`.

On a scratch database (PostgreSQL by default, dropped afterwards; `--database sqlite`: a temporary file) it sets
up, through the use cases, an institution with a nurse on duty, the heart-rate rule of the monitoring tests
(major above 120 for 5 min, critical above 150, clear below 110), one elder with a standard band per
`--devices` and one elder with a guardian hub per `--sos`, every device bound. Then, through the real Mosquitto
and `apps.device_bridge.bridge.Bridge` (real system clock, periodic scan off, notices to the sandbox outbox):

  (a) throughput: N standard telemetry frames (one heart rate each, distinct ids, device times in order and
      normal values, so every reading goes through the rule and none opens an alarm), one
      `mosquitto_pub -l --nodelay -q 1` process per band with the payload lines on its stdin. Measured from
      the publishers' start until the bridge's `on_batch` (called after the commit and the PUBACKs) has
      counted all N stored. Baseline, same run, fed the same way: a bare paho-mqtt 2.x subscriber (MQTT 5,
      QoS 1, the bridge's topic filters, automatic PUBACK) that only counts what it receives (on the benchmark's
      topics: the broker is shared). Two feeds:
        - burst: all lines on the publishers' stdin at once. Whatever a subscriber has not taken waits in the
          broker, which drops QoS 1 messages for a subscriber beyond its queue limit (`max_queued_messages`,
          default 1000 per client, above the 20 `max_inflight_messages`): a shortfall is printed, not waited
          for (5 s without progress after the publishers finished ends the wait);
        - window: lines are handed to the publishers only while fewer than `--window` (default 50) are
          unaccounted for end to end (handed over but not yet stored / counted). On Mosquitto 2.0.11 with
          several publishers, windows of 100 and more already lost messages even for the bare subscriber (the
          broker logs "Outgoing messages are being dropped"), so the default is small; the bridge's batches are
          then at most that big. Its saturated rate (full batches) is what (b) shows under overload.
      SQL statements per stored message (by statement and table), the bridge's batch sizes and this process's
      CPU time per message (bridge, or bare subscriber, plus the feeding loop) are printed too.
  (b) SOS-to-stored-alarm latency under load: the bands publish `--load` readings/s (a pacing thread feeds
      their `mosquitto_pub` processes; the achieved rate is measured), and after 2 s of load, `--sos`
      guardian-hub pull-cord frames go out at 5 per second from a paho publisher, each from a different elder's
      hub, so each opens a new SOS alarm. Latency: from just before the publish to the `on_batch` whose report
      names that alarm (the bridge calls it after commit, PUBACK and notice delivery); the alarm is mapped to
      its hub through the database after the run. p50 / p95 / p99 / max, and how many were stored (all must).
  (c) max RSS of the process, the machine, the database and the bridge settings.

Every run uses client ids and shared-subscription groups of its own, and drops each bridge session at the
end (clean start, session expiry 0), so nothing stays queued at the broker. Publisher processes are killed in
`finally`. Exit status 2 when Mosquitto, `mosquitto_pub` or PostgreSQL is missing; 1 when SOS alarms were lost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import paho.mqtt
import paho.mqtt.client as mqtt
import sqlalchemy
from attrs import define, field
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from apps.device_bridge import bridge as bridge_module
from apps.device_bridge.bridge import Bridge
from yiyangkang.adapters.sqlalchemy.scratch import reachable, scratch_database
from yiyangkang.adapters.sqlalchemy.tables_monitoring import mon_dead_letters, mon_readings
from yiyangkang.bootstrap import CODECS, SUBSCRIPTIONS, Container, build, encode_standard, read_region_file
from yiyangkang.domain.kernel.identifiers import credit_code_check_char, id_card_check_char
from yiyangkang.domain.monitoring.messages import DeviceMessage, Measurement
from yiyangkang.domain.monitoring.rules import AlarmKind
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services import elders
from yiyangkang.services.auth import system_principal
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.institutions import InstitutionForm, register_institution
from yiyangkang.services.monitoring import devices, rules
from yiyangkang.services.monitoring.devices import ModelInput
from yiyangkang.services.monitoring.ingest import IngestReport
from yiyangkang.services.monitoring.rules import ConditionInput, RuleInput, ThresholdsInput
from yiyangkang.services.regions import load_regions
from yiyangkang.services.staff import StaffForm, hire_staff
from yiyangkang.settings import Settings

PG_ADMIN_URL = os.environ.get("YYK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
OPERATOR = system_principal("bench")
BROKER_INFLIGHT, BROKER_QUEUED = 20, 1000  # Mosquitto's defaults per client: max_inflight / max_queued_messages
WINDOW_DEFAULT = 50
DROPPED = "the broker dropped them (see the last note)"
BROKER_NOTE = ("Mosquitto drops QoS 1 messages for a subscriber whose backlog at the broker passes its "
               f"per-client limit (max_inflight_messages {BROKER_INFLIGHT} + max_queued_messages {BROKER_QUEUED} by "
               "default) and logs \"Outgoing messages are being dropped for client …\"; nothing tells the publisher. "
               "With several concurrent publishers it happened with far fewer outstanding end to end, as the benchmark "
               "counts them (acknowledged by the subscriber, but not yet processed by the broker?)")
TABLE = {"INSERT": re.compile(r"\bINTO\s+(\w+)", re.I), "UPDATE": re.compile(r"^\s*UPDATE\s+(\w+)", re.I),
         "DELETE": re.compile(r"\bFROM\s+(\w+)", re.I), "SELECT": re.compile(r"\bFROM\s+(\w+)", re.I)}
SOS_PER_S = 5.0
WARMUP_S = 2.0
IDLE_S = 5.0  # the publishers are done and nothing moved for this long: the rest is not coming
STALL_S = 120.0  # nothing moved for this long although the publishers still run: give up
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭"
GIVEN = ["国强", "秀英", "建华", "桂芳", "志明", "玉兰", "伟雄", "淑珍", "锦辉", "丽华", "炳坤", "美玲"]


# --- payloads --------------------------------------------------------------------------------------

def telemetry(ident: str, ts_ms: int, heart_rate: int) -> bytes:
    """A standard telemetry frame with one heart rate, byte for byte what `encode_standard` writes (checked in
    `check_template`), at a fraction of its cost: the load generator runs in the bridge's process."""
    return b'{"v":1,"id":"%s","ts":%d,"type":"telemetry","values":{"heart_rate":%d}}' % (
        ident.encode(), ts_ms, heart_rate)


def check_template() -> None:
    at = datetime(2026, 11, 26, 8, 30, 0, 123000, tzinfo=UTC)
    message = DeviceMessage(serial="YYK-BAND-0000", key="std:YYK-BAND-0000:t-1",
                            measurements=(Measurement(Vital.HEART_RATE, 72.0, at),))
    topic, payload = encode_standard(message, at=at)
    mine = telemetry("t-1", int(at.timestamp() * 1000), 72)
    if topic != "yyk/v1/dev/YYK-BAND-0000/up" or payload != mine:
        raise SystemExit(f"the benchmark's frame template differs from encode_standard: {payload!r} != {mine!r}")


def band_topic(serial: str) -> str:
    return f"yyk/v1/dev/{serial}/up"


def hub_sos(serial: str) -> tuple[str, bytes]:
    """The guardian hub's pull cord (拉绳), as its vendor JSON says it (docs/device-protocol.md §6.5)."""
    body = {"imei": serial, "msgType": "alarm", "trigger": "cord", "battery": 87, "time": int(time.time())}
    return f"vendor/guardian-hub/{serial}/up", json.dumps(body).encode()


# --- the world -------------------------------------------------------------------------------------

@define
class World:
    bands: list[str]
    hubs: list[str]
    hub_of_device: dict[str, int]  # hub device id -> index into `hubs`
    elders: int
    setup_s: float
    last_ts_ms: int  # device times of later frames start after this (the rule sees each band's data in order)


def id_card(n: int) -> str:
    """The n-th valid ID number: the 3-digit sequence repeats every 1,000, so each block gets its own birth date."""
    birth = date(1936, 1, 1) + timedelta(days=(n // 1000) * 3)
    body = f"440104{birth:%Y%m%d}{n % 1000:03d}"
    return f"{body}{id_card_check_char(body)}"


def populate(rt: Container, bands: int, hubs: int) -> World:
    start = time.perf_counter()
    load_regions(rt, read_region_file())
    body = "91440101MA5CBENCH"
    inst = register_institution(rt, OPERATOR, InstitutionForm(
        name="基准测试智慧养老服务中心", credit_code=body + credit_code_check_char(body), type="home_care_provider",
        region_code="440104", address="广州市越秀区东风中路437号")).id
    nurse = hire_staff(rt, OPERATOR, StaffForm(institution_id=inst, name="值班护士", phone="13900000001",
                                               profession="service_worker")).id
    rules.set_duty(rt, OPERATOR, inst, duty_staff_ids=(nurse,))
    band_model = devices.create_model(rt, OPERATOR, ModelInput(
        "YYK 标准手环 B1", "医养康", "band", "standard", ("heart_rate", "spo2"), 600), CODECS).id
    hub_model = devices.create_model(rt, OPERATOR, ModelInput(
        "守护一键通 G1", "颐年科技", "guardian_hub", "guardian-hub", ("battery",), 3600), CODECS).id
    rules.create_rule(rt, OPERATOR, RuleInput(
        name="心率过快", vital="heart_rate", alarm_kind="vital",
        thresholds=ThresholdsInput(
            (ConditionInput("major", ">", 120, duration_s=300), ConditionInput("critical", ">", 150)), "<", 110)))
    band_serials = [f"YYK-BAND-{n:04d}" for n in range(bands)]
    hub_serials = [f"86{n:013d}" for n in range(hubs)]
    hub_of_device: dict[str, int] = {}
    for n, serial in enumerate(band_serials + hub_serials):
        elder = elders.register_elder(rt, OPERATOR, ElderForm(
            institution_id=inst, name=SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)],
            id_card_no=id_card(n), region_code="440104", phone=f"137{n:08d}")).id
        is_hub = n >= bands
        device = devices.register_device(rt, OPERATOR, model_id=hub_model if is_hub else band_model, serial=serial,
                                         location="卧室", institution_id=inst)
        devices.bind_device(rt, OPERATOR, device.id, elder)
        if is_hub:
            hub_of_device[device.id] = n - bands
    bound_ms = int(rt.clock.now().timestamp() * 1000)
    return World(band_serials, hub_serials, hub_of_device, bands + hubs, time.perf_counter() - start, bound_ms)


# --- MQTT ------------------------------------------------------------------------------------------

def reachable_broker(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def connect_properties(expiry_s: int) -> Properties:
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = expiry_s
    return props


def forget_session(host: str, port: int, client_id: str) -> None:
    """Drop a persistent session left at the broker (clean start, no expiry): nothing stays queued for it."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    try:
        client.connect(host, port, clean_start=True, properties=connect_properties(0))
        client.loop_start()
        connected.wait(5)
        client.disconnect()
        client.loop_stop()
    except OSError as exc:
        print(f"  warning: could not drop the session of {client_id}: {exc}")


class BareSubscriber:
    """The baseline: paho-mqtt 2.x, MQTT 5, QoS 1 on the bridge's topic filters, PUBACK sent by paho on
    receipt; it only counts."""

    def __init__(self, host: str, port: int, client_id: str, topics: set[str]) -> None:
        self.host, self.port, self.topics = host, port, topics
        self.count = 0
        self.last = 0.0
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in SUBSCRIPTIONS])

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic in self.topics:  # the broker is shared: other clients' frames match the filters too
            self.count += 1
            self.last = time.perf_counter()

    def start(self) -> None:
        self.client.connect(self.host, self.port, clean_start=True, properties=connect_properties(0))
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise SystemExit("the bare subscriber was not subscribed within 10 s")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@define
class Tally:
    """What the bridge's `on_batch` reported, with the time of each report."""

    lock: threading.Lock = field(factory=threading.Lock)
    stored: int = 0
    readings: int = 0
    last: float = 0.0
    batches: list[tuple[float, int, int]] = field(factory=list)  # (time, stored, messages in the batch)
    alarms: dict[str, float] = field(factory=dict)  # alarm id -> when on_batch reported it

    def on_batch(self, report: IngestReport) -> None:
        now = time.perf_counter()
        with self.lock:
            self.stored += report.stored
            self.readings += report.readings
            if report.stored:
                self.last = now
            self.batches.append((now, report.stored, report.stored + report.duplicates + report.dead_letters))
            for alarm in report.alarms:
                self.alarms[alarm] = now


class Publishers:
    """One `mosquitto_pub -l --nodelay -q 1` per topic, reading payload lines on its stdin (a file, or a pipe
    the benchmark writes to)."""

    def __init__(self, exe: str, host: str, port: int, topics: list[str], workdir: Path, tag: str) -> None:
        self.exe, self.host, self.port, self.topics, self.workdir, self.tag = exe, host, port, topics, workdir, tag
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self.killed: set[int] = set()

    def start(self, inputs: list[Path] | None = None) -> None:
        for n, topic in enumerate(self.topics):
            log = self.workdir / f"pub-{self.tag}-{n}.log"
            self.logs.append(log)
            stdin: IO[bytes] | int = inputs[n].open("rb") if inputs else subprocess.PIPE
            try:
                with log.open("wb") as err:
                    self.procs.append(subprocess.Popen(
                        [self.exe, "-h", self.host, "-p", str(self.port), "-i", f"yyk-bench-pub-{self.tag}-{n}",
                         "-l", "--nodelay", "-q", "1", "-t", topic],
                        stdin=stdin, stdout=subprocess.DEVNULL, stderr=err))
            finally:
                if not isinstance(stdin, int):
                    stdin.close()

    def write(self, n: int, data: bytes) -> None:
        pipe = self.procs[n].stdin
        assert pipe is not None
        pipe.write(data)
        pipe.flush()

    def close_input(self) -> None:
        for proc in self.procs:
            if proc.stdin is not None and not proc.stdin.closed:
                with contextlib.suppress(OSError):
                    proc.stdin.close()

    def running(self) -> bool:
        return any(proc.poll() is None for proc in self.procs)

    def failures(self) -> list[str]:
        bad = []
        for topic, proc, log in zip(self.topics, self.procs, self.logs, strict=True):
            if proc.poll() not in (None, 0) and proc.pid not in self.killed:
                text = log.read_text(errors="replace").strip().splitlines()
                bad.append(f"{topic}: exit {proc.returncode} {text[-1] if text else ''}")
        return bad

    def kill(self) -> None:
        """End them: their input is closed and they may be finishing their last PUBACKs; killed after 2 s."""
        self.close_input()
        deadline = time.monotonic() + 2
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        for proc in self.procs:
            if proc.poll() is None:
                self.killed.add(proc.pid)
                proc.kill()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


# --- measurements ----------------------------------------------------------------------------------

@define
class Throughput:
    who: str
    feed: str
    target: int
    done: int
    seconds: float  # from the publishers' start to the last message counted
    cpu: float = 0.0  # CPU seconds of this process meanwhile
    batches: list[int] = field(factory=list)  # messages per bridge batch
    statements: dict[str, int] = field(factory=dict)  # SQL statements by verb, bridge only
    failures: list[str] = field(factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def complete(self) -> bool:
        return self.done >= self.target


@define
class Latency:
    offered: int
    load_s: float
    stored_during: int  # messages the bridge stored while the SOS frames went out (load and SOS)
    window_s: float
    load_stored: int  # load readings stored by the end
    sos: int
    latencies_ms: list[float]
    batches: list[int]
    drain_s: float
    failures: list[str]


class Bench:
    def __init__(self, rt: Container, world: World, args: argparse.Namespace, exe: str, workdir: Path,
                 cleanup: contextlib.ExitStack) -> None:
        self.rt, self.world, self.args, self.exe, self.workdir, self.cleanup = rt, world, args, exe, workdir, cleanup
        self.tag = uuid.uuid4().hex[:8]
        self.host, self.port = rt.settings.mqtt_host, rt.settings.mqtt_port
        self.statements: dict[str, int] = {}
        self.counting = False
        self.readings = 0  # readings every bridge's on_batch reported
        assert rt.engine is not None
        event.listen(rt.engine, "before_cursor_execute", self._count_statement)

    def _count_statement(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self.counting:
            key = verb = statement.lstrip().split(None, 1)[0].upper()
            if verb in TABLE and (found := TABLE[verb].search(statement)):
                key = f"{verb} {found.group(1)}"
            self.statements[key] = self.statements.get(key, 0) + 1

    # -- frames -------------------------------------------------------------------------------------
    def frames(self, prefix: str, total: int) -> list[list[bytes]]:
        """`total` telemetry lines split over the bands; each band's device times rise and come after every
        frame sent before (so the rule evaluates each reading instead of skipping it as stale)."""
        bands = len(self.world.bands)
        per_band = [total // bands + (1 if n < total % bands else 0) for n in range(bands)]
        low = self.world.last_ts_ms + 1
        high = max(low, int(time.time() * 1000) - 1)
        lines: list[list[bytes]] = []
        for n, count in enumerate(per_band):
            lines.append([telemetry(f"{prefix}-{n}-{k}", low + (high - low) * k // max(count, 1), 60 + (k + n) % 40)
                          + b"\n" for k in range(count)])
        self.world.last_ts_ms = high
        return lines

    # -- bridge life cycle --------------------------------------------------------------------------
    @contextmanager
    def bridge(self, name: str, tally: Tally) -> Iterator[Bridge]:
        client_id = f"yyk-bench-{self.tag}-{name}"
        self.cleanup.callback(forget_session, self.host, self.port, client_id)  # even on Ctrl-C
        bridge = Bridge(self.rt, client_id=client_id, group=client_id, workers=self.args.workers,
                        batch=self.args.batch, scan_seconds=0, on_batch=tally.on_batch)
        bridge.start()
        try:
            if not bridge.connected.wait(10):
                raise SystemExit("the bridge did not subscribe within 10 s")
            yield bridge
        finally:
            bridge.stop()
            forget_session(self.host, self.port, client_id)  # at once: later phases' frames must not queue for it
            self.readings += tally.readings

    # -- (a) throughput -----------------------------------------------------------------------------
    def throughput(self, who: str, feed: str) -> Throughput:
        total = self.args.messages
        name = f"{feed}-{who}"
        lines = self.frames(f"{name}{self.tag}", total)
        pubs = Publishers(self.exe, self.host, self.port, [band_topic(s) for s in self.world.bands], self.workdir,
                          f"{self.tag}-{name}")
        self.cleanup.callback(pubs.kill)
        inputs = None
        if feed == "burst":
            inputs = [self.workdir / f"{name}-{n}.txt" for n in range(len(lines))]
            for path, chunk in zip(inputs, lines, strict=True):
                path.write_bytes(b"".join(chunk))
        if who == "bare":
            sub = BareSubscriber(self.host, self.port, f"yyk-bench-{self.tag}-{name}", set(pubs.topics))
            sub.start()
            try:
                start, cpu = self._feed(pubs, feed, lines, inputs, lambda: sub.count, total)
                return Throughput(who, feed, total, sub.count, (sub.last or start) - start, cpu=cpu,
                                  failures=pubs.failures())
            finally:
                sub.stop()
                pubs.kill()
        tally = Tally()
        self.statements = {}
        with self.bridge(name, tally):
            self.counting = True
            try:
                start, cpu = self._feed(pubs, feed, lines, inputs, lambda: tally.stored, total)
            finally:
                self.counting = False
                pubs.kill()
        return Throughput(who, feed, total, tally.stored, (tally.last or start) - start, cpu,
                          [b for _, _, b in tally.batches], dict(self.statements), pubs.failures())

    def _feed(self, pubs: Publishers, feed: str, lines: list[list[bytes]], inputs: list[Path] | None,
              done: Callable[[], int], total: int) -> tuple[float, float]:
        """Start the publishers, feed them, wait for `done()` to reach `total` (or to stop moving); the start
        time and this process's CPU seconds meanwhile (the subscriber and the feeding loop)."""
        cpu = time.process_time()
        start = time.perf_counter()
        pubs.start(inputs)
        if feed == "window":
            pos = [0] * len(lines)
            written, seen, moved, turn = 0, done(), time.monotonic(), 0
            while written < total:
                allowed = self.args.window - (written - (now := done()))
                if now != seen:
                    seen, moved = now, time.monotonic()
                if allowed <= 0:
                    if time.monotonic() - moved > IDLE_S:  # something was lost after all: stop feeding
                        break
                    time.sleep(0.0005)
                    continue
                active = [n for n in range(len(lines)) if pos[n] < len(lines[n])]
                turn = (turn + 1) % len(active)  # who goes first rotates: no band gets ahead when slots are few
                active = active[turn:] + active[:turn]
                share = max(1, allowed // len(active))
                for n in active:
                    take = min(share, len(lines[n]) - pos[n], allowed)
                    if take <= 0:
                        break
                    pubs.write(n, b"".join(lines[n][pos[n]:pos[n] + take]))
                    pos[n] += take
                    written += take
                    allowed -= take
            pubs.close_input()
        wait_for(done, total, pubs.running)
        return start, time.process_time() - cpu

    # -- (b) SOS latency under load -----------------------------------------------------------------
    def latency(self) -> Latency:
        tally = Tally()
        bands, hubs = self.world.bands, self.world.hubs
        pubs = Publishers(self.exe, self.host, self.port, [band_topic(s) for s in bands], self.workdir,
                          f"{self.tag}-load")
        self.cleanup.callback(pubs.kill)
        sos_client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"yyk-bench-{self.tag}-sos",
                                 protocol=mqtt.MQTTv5)
        sent_at: list[float] = []
        with self.bridge("latency", tally):
            sos_client.connect(self.host, self.port, clean_start=True, properties=connect_properties(0))
            sos_client.loop_start()
            pubs.start()
            stop_load = threading.Event()
            load = Pacer(pubs, self.args.load, f"l{self.tag}", stop_load)
            load.thread.start()
            try:
                time.sleep(WARMUP_S)
                window_start = time.perf_counter()
                infos = []
                for n, serial in enumerate(hubs):
                    delay = window_start + n / SOS_PER_S - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    topic, payload = hub_sos(serial)
                    sent_at.append(time.perf_counter())
                    infos.append(sos_client.publish(topic, payload, qos=1))
                window_end = time.perf_counter()
            finally:
                stop_load.set()
                load.thread.join(timeout=10)
                pubs.close_input()
            for info in infos:
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(timeout=10)
            sos_client.disconnect()
            sos_client.loop_stop()
            drain_start = time.perf_counter()
            wait_for(lambda: tally.stored, load.sent + len(hubs), pubs.running)
            drain_s = max(tally.last - drain_start, 0.0)
            pubs.kill()
        with tally.lock:
            batches = list(tally.batches)
            seen = dict(tally.alarms)
        stored_during = sum(s for t, s, _ in batches if window_start <= t <= window_end)
        latencies = []
        with self.rt.uow() as uow:
            for alarm_id, at in seen.items():
                alarm = uow.alarms.get(alarm_id)
                if alarm is None or alarm.alarm_kind is not AlarmKind.SOS or alarm.device_id is None:
                    continue
                hub = self.world.hub_of_device.get(alarm.device_id)
                if hub is not None:
                    latencies.append((at - sent_at[hub]) * 1000)
        return Latency(load.sent, load.seconds, stored_during, window_end - window_start,
                       tally.stored - len(latencies), len(hubs), sorted(latencies), [b for _, _, b in batches],
                       drain_s, pubs.failures())

    def database_counts(self) -> tuple[int, int, int]:
        """Readings, dead letters, and dead letters of the benchmark's own devices (the others are frames that
        other clients of the shared broker published on device topics: the bridge subscribes to all of them)."""
        assert self.rt.engine is not None
        ours = self.world.bands + self.world.hubs
        with self.rt.engine.connect() as conn:
            readings = conn.execute(select(func.count()).select_from(mon_readings)).scalar_one()
            dead = conn.execute(select(func.count()).select_from(mon_dead_letters)).scalar_one()
            own = conn.execute(select(func.count()).select_from(mon_dead_letters)
                               .where(mon_dead_letters.c.serial.in_(ours))).scalar_one()
        return int(readings), int(dead), int(own)


class Pacer:
    """Feeds the bands' publishers `rate` telemetry lines per second (round-robin over the bands, device time =
    now), in 5 ms ticks; what it handed over and for how long is its achieved rate."""

    def __init__(self, pubs: Publishers, rate: float, prefix: str, stop: threading.Event) -> None:
        self.pubs, self.rate, self.prefix, self.stop = pubs, rate, prefix, stop
        self.sent = 0
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="bench-load", daemon=True)

    def _run(self) -> None:
        bands = len(self.pubs.topics)
        start = time.perf_counter()
        while not self.stop.is_set():
            due = int((time.perf_counter() - start) * self.rate) - self.sent
            if due > 0:
                ts = int(time.time() * 1000)
                chunks: list[list[bytes]] = [[] for _ in range(bands)]
                for k in range(self.sent, self.sent + due):
                    chunks[k % bands].append(telemetry(f"{self.prefix}-{k}", ts, 60 + k % 40) + b"\n")
                try:
                    for n, chunk in enumerate(chunks):
                        if chunk:
                            self.pubs.write(n, b"".join(chunk))
                except OSError:  # a publisher died: its failure is reported
                    break
                self.sent += due
            self.stop.wait(0.005)
        self.seconds = time.perf_counter() - start


def wait_for(done: Callable[[], int], target: int, running: Callable[[], bool]) -> None:
    """Until `done()` reaches `target`; or the publishers have finished and nothing moved for IDLE_S (the
    broker dropped the rest); or nothing moved for STALL_S at all."""
    last, moved = done(), time.monotonic()
    while (now := done()) < target:
        tick = time.monotonic()
        if now != last:
            last, moved = now, tick
        elif tick - moved > (STALL_S if running() else IDLE_S):
            return
        time.sleep(0.002)


# --- report --------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return values[min(len(values) - 1, max(0, int(-(-p * len(values) // 100)) - 1))]


def describe_batches(batches: list[int], configured: int) -> str:
    sizes = [b for b in batches if b]
    if not sizes:
        return "no batches"
    return (f"{len(sizes):,} batches, mean {statistics.fmean(sizes):.1f} / max {max(sizes)} messages "
            f"(configured up to {configured})")


def print_throughput(bare: Throughput, bridged: Throughput, batch: int) -> list[str]:
    notes = []
    for r in (bridged, bare):
        verb = "stored" if r.who == "bridge" else "received"
        label = "bridge" if r.who == "bridge" else "bare paho"
        cpu = f"   CPU {r.cpu / r.done * 1000:.2f} ms/msg" if r.done else ""
        if r.complete:
            print(f"    {label:<10} {r.done:>9,} {verb} in {r.seconds:7.2f} s {r.rate:>10,.0f} msg/s{cpu}")
        else:
            lost = r.target - r.done
            print(f"    {label:<10} {r.done:>9,} of {r.target:,} {verb} ({lost:,} LOST) in {r.seconds:7.2f} s "
                  f"{r.rate:>10,.0f} msg/s of what arrived{cpu}")
            notes.append(f"{r.feed}/{r.who}: {lost:,} messages never arrived: {DROPPED}")
        for failure in r.failures:
            notes.append(f"{r.feed}/{r.who}: publisher failed: {failure}")
    print(f"    {'':<10} {describe_batches(bridged.batches, batch)}")
    if bridged.done:
        per = {k: v / bridged.done for k, v in sorted(bridged.statements.items(), key=lambda kv: -kv[1])}
        print(f"    {'':<10} SQL statements per stored message: {sum(per.values()):.2f}")
        items = list(per.items())
        for start in range(0, len(items), 4):
            print(f"    {'':<12} " + ", ".join(f"{k} {v:.2f}" for k, v in items[start:start + 4]))
    if bare.rate and bridged.rate:
        flag = "" if bridged.complete and bare.complete else "   (incomplete: rates of what arrived)"
        print(f"    ratio bridge / bare: {bridged.rate / bare.rate:.3f}{flag}")
    return notes


def run(args: argparse.Namespace, url: str, label: str, exe: str, workdir: Path) -> int:
    settings = Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                        files_dir=str(workdir / "files"), notify_outbox=str(workdir / "notices.jsonl"),
                        mqtt_host=args.mqtt_host, mqtt_port=args.mqtt_port)
    rt = build(settings)
    notes: list[str] = []
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(rt.dispose)
        rt.upgrade_database()
        world = populate(rt, args.devices, args.sos)
        print(f"\n{label}")
        print(f"  setup         {world.elders} elders, {len(world.bands)} standard bands, {len(world.hubs)} guardian "
              f"hubs, bound through the use cases in {world.setup_s:.1f} s")
        bench = Bench(rt, world, args, exe, workdir, cleanup)

        print(f"\n  (a) throughput: {args.messages:,} telemetry frames (one heart rate each) from {args.devices} "
              f"`mosquitto_pub -l --nodelay -q 1`, end to end until all are stored / received")
        results: list[tuple[Throughput, Throughput]] = []
        for feed in (["burst", "window"] if args.feed == "both" else [args.feed]):
            what = ("all lines on the publishers' stdin at once" if feed == "burst" else
                    f"at most {args.window:,} handed over but not yet stored / counted")
            print(f"  {feed:<7} ({what})")
            bare = bench.throughput("bare", feed)
            bridged = bench.throughput("bridge", feed)
            notes += print_throughput(bare, bridged, args.batch)
            results.append((bare, bridged))

        print(f"\n  (b) SOS → stored alarm, under a background load of {args.load:,.0f} readings/s "
              f"({args.sos} pull-cord SOS at {SOS_PER_S:g}/s, each from another elder's hub)")
        lat = bench.latency()
        offered = lat.offered / lat.load_s if lat.load_s else 0.0
        print(f"    load offered   {lat.offered:>9,} readings in {lat.load_s:6.1f} s = {offered:>8,.0f} /s "
              f"(handed to {args.devices} mosquitto_pub)")
        print(f"    bridge stored  {lat.stored_during / max(lat.window_s, 1e-3):>8,.0f} msg/s while the SOS went out "
              f"(load + SOS); {lat.load_stored:,} of {lat.offered:,} load readings stored in the end"
              + (f" (drained {lat.drain_s:.1f} s after the load stopped)" if lat.drain_s > 0.5 else ""))
        print(f"    {'':<14} {describe_batches(lat.batches, args.batch)}")
        n = len(lat.latencies_ms)
        if n:
            ms = lat.latencies_ms
            print(f"    SOS latency    p50 {pct(ms, 50):8.1f} ms   p95 {pct(ms, 95):8.1f} ms   "
                  f"p99 {pct(ms, 99):8.1f} ms   max {ms[-1]:8.1f} ms   (publish → on_batch: commit, PUBACK, notices)")
        verdict = "all" if n == lat.sos else f"MISSING {lat.sos - n}"
        print(f"    SOS alarms     {n} of {lat.sos} stored ({verdict})")
        if lat.load_stored < lat.offered:
            notes.append(f"latency: {lat.offered - lat.load_stored:,} load readings never arrived: {DROPPED}")
        if n < lat.sos:
            notes.append(f"latency: {lat.sos - n} SOS frames never became alarms: {DROPPED}")
        notes += [f"latency: publisher failed: {f}" for f in lat.failures]

        readings, dead, own_dead = bench.database_counts()
        check = "as on_batch reported" if readings == bench.readings else f"on_batch reported {bench.readings:,}"
        print(f"\n  database      {readings:,} readings stored in all ({check}); {own_dead} dead letters from the "
              f"benchmark's devices, {dead - own_dead} from other clients' frames on the shared broker")
        if readings != bench.readings:
            notes.append(f"the database holds {readings - bench.readings:+,} readings that no on_batch reported")

        if lat.offered and lat.stored_during / max(lat.window_s, 1e-3) < 0.95 * offered:
            notes.append(f"latency: the offered load ({offered:,.0f}/s) exceeds what the bridge stores "
                         f"({lat.stored_during / max(lat.window_s, 1e-3):,.0f}/s with full batches): the backlog grows "
                         "until the broker drops, and every SOS waits behind it (no priority for alarms)")
        if any(DROPPED in n for n in notes):
            notes.append(BROKER_NOTE)
        bridged_batches = [b for _, r in results for b in r.batches] + lat.batches
        if bridged_batches and max(bridged_batches) <= BROKER_INFLIGHT < args.batch:
            notes.append(f"no bridge batch held more than {max(bridged_batches)} messages although --batch is "
                         f"{args.batch}: Mosquitto's max_inflight_messages ({BROKER_INFLIGHT}) caps what the bridge "
                         "holds unacknowledged, and the bridge acknowledges only after the commit (it sends no "
                         "MQTT 5 Receive Maximum to ask for more)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\n  memory        max RSS {rss / 1024:.0f} MiB (this process: bridge, baseline subscriber, load pacer)")
    print(f"  bridge        {args.workers} workers, batch {args.batch}, queue {bridge_module.QUEUE_SIZE} per worker, "
          f"batch wait {bridge_module.BATCH_WAIT_S * 1000:.0f} ms, periodic scan off, notices to the sandbox outbox")
    if args.broker == "deploy":
        print(f"  broker        a private Mosquitto on {args.mqtt_host}:{args.mqtt_port} with deploy/mosquitto.conf's "
              f"limits: {', '.join(deploy_limits())}")
    else:
        print(f"  broker        Mosquitto on {args.mqtt_host}:{args.mqtt_port} as configured (Mosquitto's defaults: "
              f"max_inflight_messages {BROKER_INFLIGHT}, max_queued_messages {BROKER_QUEUED} per client)")
    if notes:
        print("\n  notes")
        for note in dict.fromkeys(notes):
            print(f"    - {note}")
    return 0 if len(lat.latencies_ms) == lat.sos else 1


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


DEPLOY_CONF = Path(__file__).resolve().parent.parent / "deploy" / "mosquitto.conf"


def deploy_limits() -> list[str]:
    """The broker limits the platform is deployed with (between the markers of deploy/mosquitto.conf)."""
    lines = DEPLOY_CONF.read_text(encoding="utf-8").splitlines()
    start, end = lines.index("# >>> limits"), lines.index("# <<< limits")
    return [line for line in lines[start + 1:end] if line and not line.startswith("#")]


@contextlib.contextmanager
def private_broker(exe: str, workdir: Path) -> Iterator[int]:
    """A Mosquitto of the benchmark's own on a free loopback port, with the deployed limits."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    conf = workdir / "mosquitto.conf"
    conf.write_text("\n".join([f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false",
                                *deploy_limits()]) + "\n", encoding="utf-8")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not reachable_broker("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"private mosquitto did not start (exit {proc.poll()})")
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bridge",
                                     description="Benchmark the MQTT device bridge: throughput and SOS latency.")
    parser.add_argument("--messages", type=int, default=20_000, help="telemetry frames for (a) (default 20,000)")
    parser.add_argument("--devices", type=int, default=16, help="standard bands = publisher processes (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="bridge worker threads (default 4)")
    parser.add_argument("--batch", type=int, default=200, help="bridge batch size (default 200)")
    parser.add_argument("--database", choices=("pg", "sqlite"), default="pg", help="default: pg (scratch database)")
    parser.add_argument("--load", type=float, default=1000, help="background readings/s during (b) (default 1000)")
    parser.add_argument("--sos", type=int, default=200, help="SOS frames (= guardian hubs and elders) (default 200)")
    parser.add_argument("--feed", choices=("burst", "window", "both"), default="both",
                        help="how (a) feeds the publishers (default both)")
    parser.add_argument("--window", type=int, default=WINDOW_DEFAULT,
                        help=f"window feed: frames handed over but not yet accounted for (default {WINDOW_DEFAULT})")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL server to create a scratch database on")
    parser.add_argument("--broker", choices=("deploy", "system"), default="deploy",
                        help="deploy: a private Mosquitto with the limits of deploy/mosquitto.conf (default); "
                             "system: the broker at --mqtt-host/--mqtt-port as it is configured")
    parser.add_argument("--mqtt-host", default=Settings().mqtt_host)
    parser.add_argument("--mqtt-port", type=int, default=Settings().mqtt_port)
    args = parser.parse_args(argv)
    if args.messages < 1 or args.devices < 1 or args.workers < 1 or args.batch < 1 or args.sos < 1 or args.load <= 0:
        parser.error("--messages, --devices, --workers, --batch, --sos and --load must be positive")
    if args.messages > 65_535 * args.devices:
        parser.error("more than 65,535 messages per publisher: paho and libmosquitto message ids wrap")
    logging.basicConfig(level=logging.WARNING, format="  [%(levelname)s %(name)s] %(message)s")
    # SIGTERM (and SIGINT, also where a shell ignores it for background jobs) unwinds through the `finally`s:
    # publishers killed, bridge sessions dropped, scratch database removed.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _interrupted)
    check_template()

    print(f"Device bridge benchmark: {args.messages:,} frames, {args.devices} devices, {args.sos} SOS under "
          f"{args.load:,.0f} readings/s")
    print(f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, paho-mqtt {paho.mqtt.__version__},"
          f" {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs")
    exe = shutil.which("mosquitto_pub")
    if exe is None:
        print("\nmosquitto_pub: not found on PATH (apt-get install mosquitto-clients); this benchmark needs it")
        return 2
    with tempfile.TemporaryDirectory(prefix="yyk-bench-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        if args.broker == "deploy":
            broker = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
            if not Path(broker).exists():
                print("\nmosquitto: not found (apt-get install mosquitto); or use --broker system")
                return 2
            args.mqtt_host, args.mqtt_port = "127.0.0.1", stack.enter_context(private_broker(broker, workdir))
        if not reachable_broker(args.mqtt_host, args.mqtt_port):
            print(f"\nMosquitto: unreachable on {args.mqtt_host}:{args.mqtt_port}; this benchmark needs it")
            return 2
        database: AbstractContextManager[str]
        if args.database == "pg":
            shown = make_url(args.pg_url).render_as_string(hide_password=True)
            if not reachable(args.pg_url):
                print(f"\nPostgreSQL: unreachable ({shown}); this benchmark needs it (or --database sqlite)")
                return 2
            database, label = scratch_database(args.pg_url, "yyk_bench"), f"PostgreSQL (temporary database on {shown})"
        else:
            database, label = contextlib.nullcontext(f"sqlite:///{workdir / 'bench.db'}"), "SQLite (temporary file)"
        try:
            with database as url:
                return run(args, url, label, exe, workdir)
        except KeyboardInterrupt as stop:
            print(f"\ninterrupted ({stop or 'SIGINT'}): publishers killed, bridge sessions dropped, database removed")
            return 130
