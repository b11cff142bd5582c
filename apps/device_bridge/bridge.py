"""The device bridge: subscribes to every device topic on the MQTT broker and feeds ingestion.

Why it is shaped like this:
- paho-mqtt 2.x, MQTT 5, a fixed client id and `clean_start=False` with a session expiry: the broker keeps
  the subscription and queues QoS 1 messages while the bridge restarts;
- `manual_ack=True`: a message is acknowledged (PUBACK) only after the batch that holds it is committed, so a
  crash before the commit makes the broker deliver it again; the message key then stores it once;
- shared subscriptions (`$share/<group>/…`): several bridge instances split the load;
- the network callback only parses nothing and blocks on nothing but a bounded queue (backpressure reaches
  the broker instead of memory); workers own a shard of devices each, so one device's messages are handled
  in arrival order, and write them in batches (one transaction per batch);
- a bad frame never stops the bridge: codecs reject to the dead-letter store, and ingestion splits a failing
  batch to isolate the poisoned frame;
- notices (family, doctor, duty staff) go out from a thread of their own, so a slow SMS provider never holds
  up the next batch of readings or the next SOS.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable
from datetime import datetime

import paho.mqtt.client as mqtt
from attrs import evolve, frozen
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from yiyangkang.bootstrap import SUBSCRIPTIONS, Container, codec_of, decode_topic
from yiyangkang.domain.monitoring.messages import FrameRejected
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.ingest import Frame, IngestReport, ingest
from yiyangkang.services.monitoring.scan import monitoring_scan

log = logging.getLogger("yyk.bridge")
SESSION_EXPIRY_S = 7 * 24 * 3600
QUEUE_SIZE = 2000
BATCH_WAIT_S = 0.02
RETRY_MAX_S = 30.0


@frozen
class Inbound:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime
    dup: bool = False


def shard_key(topic: str) -> str:
    """The device a topic belongs to (`…/<serial>/up`); a gateway's topic names no device, so a gateway's
    messages keep their order by sharing one worker."""
    parts = topic.split("/")
    return parts[-2] if len(parts) >= 2 else topic


class Bridge:
    def __init__(self, rt: Container, *, client_id: str | None = None, group: str | None = None,
                 workers: int | None = None, batch: int | None = None, scan_seconds: float | None = None,
                 on_batch: Callable[[IngestReport], None] | None = None) -> None:
        s = rt.settings
        self.rt = rt
        self.client_id = client_id or s.mqtt_client_id
        self.group = group or s.mqtt_group
        self.batch = batch or s.bridge_batch
        self.scan_seconds = s.bridge_scan_seconds if scan_seconds is None else scan_seconds
        self.on_batch = on_batch
        self.queues: list[queue.Queue[Inbound]] = [queue.Queue(QUEUE_SIZE) for _ in range(workers or s.bridge_workers)]
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.notices_waiting = threading.Event()
        self.threads: list[threading.Thread] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # -- MQTT callbacks (network thread: keep them tiny) ------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        log.info("connected (session present: %s)", flags.session_present)
        options = SubscribeOptions(qos=1)
        client.subscribe([(f"$share/{self.group}/{topic}", options) for topic in SUBSCRIPTIONS])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, reasons: list[ReasonCode],
                      properties: Properties | None) -> None:
        refused = [r for r in reasons if r.is_failure]
        if refused:
            log.error("broker refused subscriptions: %s", refused)
        self.connected.set()  # subscribed: from here on nothing published is missed

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: mqtt.DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("disconnected from the broker (%s); paho reconnects", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            item = Inbound(msg.topic, bytes(msg.payload), msg.mid, msg.qos, self.rt.clock.now(), bool(msg.dup))
            shard = zlib.crc32(shard_key(item.topic).encode()) % len(self.queues)
            while not self.stopping.is_set():
                try:
                    self.queues[shard].put(item, timeout=0.5)  # full: hold the broker back, not our memory
                    return
                except queue.Full:
                    continue
        except Exception:  # paho has swallowed callback errors before; log ours, never lose the thread
            log.exception("could not queue a message on %s", getattr(msg, "topic", "?"))

    # -- workers --------------------------------------------------------------------------------
    def _next_batch(self, q: queue.Queue[Inbound]) -> list[Inbound]:
        try:
            first = q.get(timeout=0.2)
        except queue.Empty:
            return []
        items = [first]
        deadline = time.monotonic() + BATCH_WAIT_S
        while len(items) < self.batch:
            left = deadline - time.monotonic()
            try:
                items.append(q.get(timeout=left) if left > 0 else q.get_nowait())
            except queue.Empty:
                break
        return items

    def _work(self, q: queue.Queue[Inbound]) -> None:
        while not self.stopping.is_set():
            items = self._next_batch(q)
            if not items:
                continue
            try:
                self._handle(items)
            except Exception:  # a dead worker would stall its shard and then the network thread: never die
                log.exception("a batch of %d messages could not be finished; they stay unacknowledged", len(items))

    def _handle(self, items: list[Inbound]) -> None:
        frames = [self._frame(i) for i in items]
        delay = 0.5
        while True:
            try:
                report = ingest(self.rt, frames)
                break
            except Exception:  # the database is away: keep the messages unacknowledged and try again
                log.exception("could not store a batch of %d messages; retrying in %.1f s", len(frames), delay)
                if self.stopping.wait(delay):
                    return  # not acknowledged: the broker delivers them again after the restart
                delay = min(delay * 2, RETRY_MAX_S)
                # part of the batch may have been stored before the failure: treat the retry as a redelivery
                frames = [evolve(f, redelivered=True) for f in frames]
        for frame in frames:
            if frame.decoded is None:
                continue
            if any(m.key in report.refused for m in frame.decoded.messages):
                continue
            for reply in frame.decoded.replies:
                self.client.publish(reply.topic, reply.payload, qos=1)
        for item in items:
            self.client.ack(item.mid, item.qos)
        if report.notices:
            self.notices_waiting.set()  # told by the delivery thread, so this shard moves on at once
        if self.on_batch is not None:
            self.on_batch(report)

    def _frame(self, item: Inbound) -> Frame:
        try:
            codec, decoded = decode_topic(item.topic, item.payload, item.received_at)
        except FrameRejected as rejected:
            return Frame(channel=item.topic, codec=codec_of(item.topic), payload=item.payload,
                         received_at=item.received_at, reason=rejected.reason, message=rejected.message,
                         serial=rejected.serial)
        return Frame(channel=item.topic, codec=codec, payload=item.payload, received_at=item.received_at,
                     decoded=decoded, redelivered=item.dup)

    def _deliver(self) -> None:
        try:
            deliver_notices(self.rt)
        except Exception:  # the scan retries what is still queued
            log.exception("notice delivery failed")

    def _tell(self) -> None:
        while not self.stopping.is_set():
            if self.notices_waiting.wait(1.0):
                self.notices_waiting.clear()
                self._deliver()

    def _scan(self) -> None:
        while not self.stopping.wait(self.scan_seconds):
            try:
                monitoring_scan(self.rt)
            except Exception:
                log.exception("monitoring scan failed; next round in %s s", self.scan_seconds)
            self.notices_waiting.set()

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect(self.rt.settings.mqtt_host, self.rt.settings.mqtt_port, keepalive=30,
                            clean_start=False, properties=props)
        for q in self.queues:
            self.threads.append(threading.Thread(target=self._work, args=(q,), name="yyk-bridge-worker", daemon=True))
        self.threads.append(threading.Thread(target=self._tell, name="yyk-bridge-notices", daemon=True))
        if self.scan_seconds > 0:
            self.threads.append(threading.Thread(target=self._scan, name="yyk-bridge-scan", daemon=True))
        for thread in self.threads:
            thread.start()
        self.client.loop_start()

    def stop(self) -> None:
        """Stop taking messages; what was received but not yet stored stays unacknowledged (redelivered)."""
        self.stopping.set()
        self.client.disconnect()
        self.client.loop_stop()
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads.clear()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self.stopping.wait(1):
                pass
        finally:
            self.stop()
