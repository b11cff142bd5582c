"""Fixtures for the REST API tests: a SQLite-backed world served by the Litestar app.

- `api` (module scope): one world per test module, for tests that only read or whose writes touch
  nothing other tests of the module look at.
- `fresh_api` (function scope): a world of its own, for tests that change state (lockout,
  password change, disabling an account …).

`login(client, username)` returns the `Authorization` header of a fresh token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from attrs import define, field
from litestar.testing import TestClient

from apps.api.app import create_app
from tests.conftest import REGIONS, FrozenClock, test_settings
from tests.world import PASSWORD, World, build_world
from yiyangkang.adapters.sqlalchemy import migrate
from yiyangkang.bootstrap import Container, build
from yiyangkang.services.regions import load_regions

ERROR_KEYS = {"code", "message", "details"}


@define
class Api:
    """A running app over its own database, the world in it, and the clock it reads."""

    client: TestClient[Any]
    world: World
    clock: FrozenClock
    rt: Container

    def headers(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        return login(self.client, username, password)


@define
class Caller:
    """A running app called as one user or another (each logged in once per app), and its clock; subclasses add
    the world they were served with."""

    client: TestClient[Any]
    clock: FrozenClock
    rt: Container
    _tokens: dict[str, dict[str, str]] = field(factory=dict, kw_only=True)

    def h(self, username: str) -> dict[str, str]:
        """The bearer header of `username` (logged in once per app)."""
        if username not in self._tokens:
            self._tokens[username] = login(self.client, username, PASSWORD)
        return self._tokens[username]

    def get(self, username: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.h(username), params=params or None)

    def post(self, username: str, path: str, body: Any = None) -> Any:
        return self.client.post(path, headers=self.h(username), json=body)

    def put(self, username: str, path: str, body: Any = None) -> Any:
        return self.client.put(path, headers=self.h(username), json=body)

    def at(self, **delta: float) -> str:
        """An instant relative to the app's clock, written with its +08:00 offset."""
        return (self.clock.now() + timedelta(**delta)).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


def login(client: TestClient[Any], username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API; the bearer header for the new token."""
    response = client.post("/api/v1/auth/login", json={"login": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an error of `status` in the API's one shape; returns the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str)
    assert body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


def ok(response: Any, status: int = 200) -> Any:
    """The response has `status`; its JSON body."""
    assert response.status_code == status, response.text
    return response.json()


def detail_codes(response: Any, status: int = 422) -> dict[str, str]:
    """A field-level refusal: field → code."""
    body = assert_error(response, status)
    assert isinstance(body["details"], list), body
    return {d["field"]: d["code"] for d in body["details"]}


def error_fields(response: Any) -> set[str]:
    """The fields named by a field-level 422."""
    body = assert_error(response, 422)
    return {d["field"] for d in body["details"]}


def field_error(response: Any, field: str) -> dict[str, Any]:
    body = assert_error(response, 422)
    found = [d for d in body["details"] if d["field"] == field]
    assert found, body
    return found[0]


W = TypeVar("W")


def serve(db_file: Path, build_world: Callable[[Container], W]) -> Iterator[tuple[TestClient[Any], W, FrozenClock,
                                                                                  Container]]:
    """A migrated SQLite file with the regions, the world `build_world` puts in it, and the app over it."""
    clock = FrozenClock()
    container = build(test_settings(f"sqlite:///{db_file}"), clock=clock)
    assert container.engine is not None
    migrate.upgrade(container.engine)
    load_regions(container, REGIONS)
    world = build_world(container)
    try:
        with TestClient(app=create_app(container)) as client:
            yield client, world, clock, container
    finally:
        container.dispose()


def make_api(db_file: Path) -> Iterator[Api]:
    for client, world, clock, container in serve(db_file, build_world):
        yield Api(client=client, world=world, clock=clock, rt=container)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Api]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    yield from make_api(tmp_path_factory.mktemp(f"api-{name}") / "api.db")


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path / "api.db")


@pytest.fixture(scope="module")
def client(api: Api) -> TestClient[Any]:
    return api.client


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    return api.world


@pytest.fixture(scope="module")
def as_user(api: Api) -> dict[str, dict[str, str]]:
    """Bearer headers of every world account, logged in once per module."""
    return {username: login(api.client, username) for username in api.world.accounts}
