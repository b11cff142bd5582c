"""Fixtures for the device bridge against the real Mosquitto (mandatory under CI=true)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.conftest import IN_CI

HOST, PORT = "127.0.0.1", 1883


def _reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> None:
    if not _reachable():
        if IN_CI:
            pytest.fail(f"Mosquitto is required under CI=true but {HOST}:{PORT} is unreachable")
        pytest.skip("Mosquitto unreachable (set CI=true to make this a failure)")


def forget_session(client_id: str) -> None:
    """Drop a persistent session left at the broker (clean start, no expiry), so tests leave nothing queued."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 0
    client.connect(HOST, PORT, clean_start=True, properties=props)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


@pytest.fixture
def names(broker: None) -> Iterator[tuple[str, str]]:
    """A client id and shared-subscription group of this test's own; the session is dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    client_id, group = f"yyk-test-{tag}", f"yyk-test-{tag}"
    yield client_id, group
    forget_session(client_id)


class Publisher:
    def __init__(self) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"yyk-pub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.connect(HOST, PORT)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: None) -> Iterator[Publisher]:
    pub = Publisher()
    yield pub
    pub.close()


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()
