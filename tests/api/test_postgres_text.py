"""PostgreSQL refuses NUL in text; the API must answer 400 for it, never 500 (found on PG only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from apps.api.app import create_app
from tests.api.conftest import login
from tests.world import build_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_client(sql_backend) -> Iterator[tuple[TestClient[Any], Any]]:
    world = build_world(sql_backend)
    with TestClient(app=create_app(sql_backend)) as client:
        yield client, world


def test_control_characters_are_refused_everywhere(pg_client) -> None:
    client, world = pg_client
    headers = login(client, "operator")
    answers = [
        client.post("/api/v1/auth/login", json={"login": "admin\x00A", "password": "x"}),
        client.get("/api/v1/elders", params={"keyword": "老\x00人"}, headers=headers),
        client.get("/api/v1/elders/abc%00def", headers=headers),
        client.patch(f"/api/v1/elders/{world.elders['A']}", json={"name": "李\x00四"}, headers=headers),
        client.patch(f"/api/v1/institutions/{world.inst['A']}", json={"contact_phone": "020" + " " * 40 + "83456789"},
                     headers=headers),
    ]
    assert [r.status_code for r in answers[:4]] == [400, 400, 400, 400]
    assert all(set(r.json()) == {"code", "message", "details"} for r in answers[:4])
    assert answers[4].status_code == 200
    assert answers[4].json()["contact_phone"] == "020-83456789"
