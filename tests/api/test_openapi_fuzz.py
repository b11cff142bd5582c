"""Schema-driven fuzzing of every operation in the app's OpenAPI document.

For each operation (path + method) the operator sends, with random path and query parameters:
  (a) a body of random JSON,
  (b) raw bytes that are not JSON,
  (c) a body built from the operation's request schema with one field of the wrong type,
  (d) a body built from the request schema plus a field the schema does not know,
  and also such a body as it is, with plausible values for well-known fields (ids of real objects,
  valid phone and ID numbers …) mixed in, so that some requests reach the use cases.
Whatever arrives, the server never answers 5xx, and every 4xx is `{code, message, details}` with a
non-empty string code. Bodies that happen to be valid may well succeed: that is fine. Bodies of kinds
(b)-(d) must be refused by the decoder (400). For (c) the wrong value is never one that Litestar's lax
decoding converts anyway ("12" for an integer, "0" or 1 for a boolean, "null" for an optional field).

The operations are read at import time from a throwaway in-memory app; the requests go to one
SQLite-backed world shared by the whole module.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from apps.api.app import create_app
from tests.api.conftest import ERROR_KEYS, Api
from tests.conftest import test_settings as settings_for_tests
from tests.world import credit_code, id_card
from yiyangkang.bootstrap import build

Schema = dict[str, Any]
# Examples per operation and mode; raise it for a long hunt: YYK_FUZZ_EXAMPLES=500 pytest tests/api/test_openapi_fuzz.py
FUZZ_EXAMPLES = int(os.environ.get("YYK_FUZZ_EXAMPLES", "25"))
METHODS = ("get", "post", "put", "patch", "delete")


def _load_schema() -> Schema:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(build(settings_for_tests(), in_memory=True))
        with TestClient(app=app) as client:
            response = client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    schema: Schema = response.json()
    return schema


SCHEMA = _load_schema()
COMPONENTS: dict[str, Schema] = SCHEMA.get("components", {}).get("schemas", {})
OPERATIONS: list[tuple[str, str, Schema]] = [
    (path, method, op)
    for path, item in SCHEMA["paths"].items() if not path.startswith("/schema")
    for method, op in item.items() if method in METHODS
]


def op_id(path: str, method: str, op: Schema) -> str:
    return str(op.get("operationId") or f"{method}:{path}")


def request_schema(op: Schema) -> Schema | None:
    body = op.get("requestBody")
    if not body:
        return None
    found: Schema | None = body.get("content", {}).get("application/json", {}).get("schema")
    return resolve(found) if found else None


def resolve(schema: Schema) -> Schema:
    """Follow `$ref`s into the components."""
    seen = 0
    while "$ref" in schema:
        seen += 1
        assert seen < 20, schema
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_the_schema_documents_every_operation_with_an_id() -> None:
    assert len(OPERATIONS) >= 20, [op_id(*o) for o in OPERATIONS]
    ids = [op.get("operationId") for _path, _method, op in OPERATIONS]
    assert all(ids), [f"{m.upper()} {p}" for p, m, op in OPERATIONS if not op.get("operationId")]
    assert len(set(ids)) == len(ids)
    with_body = [op_id(*o) for o in OPERATIONS if request_schema(o[2]) is not None]
    assert {"login", "registerElder", "hireStaff", "createAccount", "addAddress"} <= set(with_body)
    for _path, _method, op in OPERATIONS:
        schema = request_schema(op)
        if schema is not None:
            assert schema.get("type") == "object", op_id(_path, _method, op)


# --- strategies ------------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
RANDOM_JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=24)


def _not_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


# Raw bytes, text that is not JSON, and non-UTF-8 bytes inside JSON strings (GBK from old clients).
NOT_JSON = st.one_of(
    st.text(max_size=48).map(str.encode).filter(_not_json),
    st.binary(max_size=64).filter(_not_json),
    st.text(alphabet="王秀英陈志强广州越秀", min_size=1, max_size=12)
    .map(lambda t: b'{"name": "' + t.encode("gbk") + b'"}').filter(_not_json),
    st.sampled_from([b"", b"{", b"{'a': 1}", b"[1, 2", b"nul", b"\xff\xfe\xfd", b'{"a": NaN}', b"<xml/>",
                     b"a=1&b=2", b"\x80"]),
)


Hints = dict[str, st.SearchStrategy[Any]]


def from_schema(schema: Schema, depth: int = 0, hints: Hints | None = None) -> st.SearchStrategy[Any]:
    """Values that (mostly) satisfy a JSON schema: the documented shape, random contents. `hints`
    offer plausible values for properties by name, so that some bodies get past the business checks."""
    hints = hints or {}
    schema = resolve(schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        outer = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        return st.one_of([from_schema({**outer, **resolve(alt)}, depth, hints) for alt in alternatives])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, depth, hints) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = int(schema.get("minimum", -(2**31)))
        high = int(schema.get("maximum", 2**31))
        return st.integers(low, high)
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        if schema.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat())
        if schema.get("format") == "date-time":
            return st.datetimes().map(lambda d: d.isoformat())
        low = int(schema.get("minLength", 0))
        return st.text(min_size=low, max_size=max(low, min(int(schema.get("maxLength", 40)), 40)))
    if kind == "array":
        if depth > 3:
            return st.just([])
        return st.lists(from_schema(schema.get("items", {}), depth + 1, hints),
                        max_size=min(int(schema.get("maxItems", 3)), 3))
    if kind == "object" or "properties" in schema:
        properties: dict[str, Schema] = schema.get("properties", {})
        if depth > 3 or not properties:
            return st.dictionaries(st.text(max_size=8), SCALARS, max_size=3)
        required = set(schema.get("required", []))

        def field(name: str, sub: Schema) -> st.SearchStrategy[Any]:
            plain = from_schema(sub, depth + 1, hints)
            return st.one_of(hints[name], plain) if name in hints else plain

        # Hinted fields are always sent (their plain branch may still be null or junk).
        return st.fixed_dictionaries(
            {name: field(name, sub) for name, sub in properties.items() if name in required or name in hints},
            optional={name: field(name, sub) for name, sub in properties.items()
                      if name not in required and name not in hints},
        )
    return RANDOM_JSON


JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def _types_of(schema: Schema) -> set[str]:
    """The JSON types a schema admits."""
    schema = resolve(schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        return set().union(*(_types_of(alt) for alt in alternatives))
    if "enum" in schema:
        return {JSON_TYPES[type(v)] for v in schema["enum"]}
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else {"string", "integer", "number", "boolean", "null", "array", "object"}


_OF_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=12),
    "integer": st.integers(),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    "boolean": st.booleans(),
    "null": st.none(),
    "array": st.lists(SCALARS, max_size=3),
    "object": st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
}


def lax_coercible(value: Any, admitted: set[str]) -> bool:
    """Whether Litestar's lax (strict=False) msgspec decoding turns `value` into an admitted type
    anyway: "12" and "1e3" into numbers, "true"/"0" and 0/1 into booleans, "null" into None."""
    if isinstance(value, str) and admitted & {"integer", "number", "boolean", "null"}:
        text = value.lower()
        if text in ("true", "false", "null"):
            return True
        try:
            float(text)
        except ValueError:
            return False
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value in (0, 1) and "boolean" in admitted


def _formats_of(schema: Schema) -> set[str]:
    schema = resolve(schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        return set().union(*(_formats_of(alt) for alt in alternatives))
    return {schema["format"]} if "format" in schema else set()


def wrong_type(schema: Schema) -> st.SearchStrategy[Any]:
    """A value of a JSON type the schema does not admit (numbers admit integers too), and that the
    lax decoder would not convert into an admitted one (it reads a number as a Unix time for a date-time)."""
    admitted = _types_of(schema)
    if "number" in admitted:
        admitted |= {"integer"}
    if "date-time" in _formats_of(schema):
        admitted |= {"integer", "number"}
    wrong = [kind for kind in _OF_TYPE if kind not in admitted]
    return (st.sampled_from(wrong).flatmap(lambda kind: _OF_TYPE[kind])
            .filter(lambda value: not lax_coercible(value, admitted)))


# --- the fuzz --------------------------------------------------------------------------------------

MODES = {
    "random_json": "(a) a body of random JSON",
    "not_json": "(b) raw bytes that are not JSON",
    "wrong_type": "(c) a schema-shaped body with one field of the wrong type",
    "unknown_field": "(d) a schema-shaped body plus an unknown field",
    "schema_body": "a schema-shaped body as it is (it may succeed)",
}
CASES = [
    pytest.param(path, method, op, mode, id=f"{op_id(path, method, op)}-{mode}")
    for path, method, op in OPERATIONS
    for mode in MODES
    if mode in ("random_json", "not_json") or request_schema(op) is not None
]


@pytest.fixture(scope="module")
def operator_headers(api: Api) -> dict[str, str]:
    return api.headers("operator")


@pytest.fixture(scope="module")
def known_ids(api: Api) -> dict[str, list[str]]:
    """Ids of real objects by the name of the parameter or field that takes them, so that some
    requests get past the lookup into the use case. The operator's own account is left out: a random
    password reset on it would end the fuzz's session."""
    world = api.world
    operator = world.accounts["operator"]
    staff = sorted(world.staff.values())
    return {
        "institution_id": sorted(world.inst.values()),
        "parent_id": sorted(world.inst.values()),
        "staff_id": staff,
        "primary_doctor_id": staff,
        "elder_id": sorted(world.elders.values()),
        "family_member_id": [world.family_member],
        "account_id": sorted(a for a in world.accounts.values() if a != operator),
        "code": ["440104", "440000", "440104003"],
    }


@pytest.fixture(scope="module")
def hints(known_ids: dict[str, list[str]]) -> Hints:
    """Plausible values by property name. `login` gets none: failed logins of real accounts would
    lock them, the operator's among them."""
    return {
        **{name: st.sampled_from(ids) for name, ids in known_ids.items() if name.endswith("_id")},
        "region_code": st.sampled_from(["440104", "440106", "440104003", "999999"]),
        **dict.fromkeys(["phone", "contact_phone"], st.integers(0, 10**8 - 1).map(lambda n: f"139{n:08d}")),
        "id_card_no": st.integers(0, 999).map(id_card),
        "credit_code": st.integers(0, 99_999).map(credit_code),
        "gender": st.sampled_from(["male", "female"]),
        "type": st.sampled_from(["home_care_provider", "hospital", "nursing_home"]),
        "profession": st.sampled_from(["service_worker", "doctor", "nurse", "dispatcher"]),
        "role": st.sampled_from(["staff", "elder", "family", "institution_admin", "gov_auditor"]),
        "username": st.from_regex(r"\Afz_[a-z0-9]{3,12}\Z"),
        **dict.fromkeys(["password", "new_password"], st.from_regex(r"\A[A-Za-z]{4,10}[0-9]{2,6}\Z")),
    }


def path_value(name: str, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Mostly the id of a real object of the right kind, else random printable text (which finds
    segments such as "schema" or "healthz" that once slipped past authentication)."""
    text = st.one_of(PRINTABLE, st.sampled_from(["schema", "healthz", "schema-x", "api"]))
    real = known.get(name)
    return st.one_of(st.sampled_from(real), text) if real else text


def query_value(schema: Schema) -> st.SearchStrategy[str]:
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return value if isinstance(value, str) else json.dumps(value)

    return st.one_of(from_schema(schema).filter(lambda v: v is not None).map(text), PRINTABLE,
                     st.integers().map(str), st.just(""))


def build_url(draw: Any, path: str, op: Schema, known: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    url = path
    query: dict[str, str] = {}
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        if where == "path":
            url = url.replace("{" + name + "}", quote(draw(path_value(name, known), label=name), safe=""))
        elif where == "query" and draw(st.booleans(), label=f"send {name}"):
            query[name] = draw(query_value(param.get("schema", {})), label=name)
    return url, query


def build_body(draw: Any, op: Schema, mode: str, hints: Hints) -> tuple[bytes | None, Any]:
    """(raw bytes, or None to send `json`), json value."""
    if mode == "random_json":
        return None, draw(RANDOM_JSON, label="body")
    if mode == "not_json":
        return draw(NOT_JSON, label="raw body"), None
    schema = request_schema(op)
    assert schema is not None
    body: dict[str, Any] = dict(draw(from_schema(schema, hints=hints), label="schema body"))
    properties: dict[str, Schema] = schema.get("properties", {})
    if mode == "schema_body":
        return None, body
    if mode == "wrong_type":
        field = draw(st.sampled_from(sorted(properties)), label="field")
        body[field] = draw(wrong_type(properties[field]), label="wrong value")
    else:
        field = draw(st.text(min_size=1, max_size=16).filter(lambda k: k not in properties), label="unknown field")
        body[field] = draw(RANDOM_JSON, label="unknown value")
    return None, body


def check_response(response: Any, mode: str, takes_body: bool) -> None:
    status = response.status_code
    assert status < 500, f"{status}: {response.text}"
    if 400 <= status < 500:
        body = response.json()
        assert isinstance(body, dict), body
        assert set(body) == ERROR_KEYS, body
        assert isinstance(body["code"], str), body
        assert body["code"], body
        assert isinstance(body["message"], str), body
        assert body["message"], body
    if takes_body and mode in ("not_json", "wrong_type", "unknown_field") and status not in (404, 405):
        # The decoder refuses these before any use case runs; only an unroutable URL answers first.
        assert status == 400, f"{status}: {response.text}"


@pytest.mark.parametrize(("path", "method", "op", "mode"), CASES)
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(data=st.data())
def test_operation_survives_fuzzing(
    api: Api, operator_headers: dict[str, str], known_ids: dict[str, list[str]], hints: Hints, path: str, method: str,
    op: Schema, mode: str, data: st.DataObject,
) -> None:
    url, query = build_url(data.draw, path, op, known_ids)
    raw, body = build_body(data.draw, op, mode, hints)
    note(f"{method.upper()} {url} ?{query} {MODES[mode]}")
    headers = {**operator_headers, "Content-Type": "application/json"}
    if raw is not None:
        response = api.client.request(method.upper(), url, params=query, headers=headers, content=raw)
    else:
        response = api.client.request(method.upper(), url, params=query, headers=headers, json=body)
    check_response(response, mode, request_schema(op) is not None)


def test_the_operators_session_survived_the_fuzz(api: Api, operator_headers: dict[str, str]) -> None:
    """Guards the fuzz itself: had the operator's token died, every case would have tested only 401s."""
    assert api.client.get("/api/v1/me", headers=operator_headers).status_code == 200
