"""The admin API over HTTP: the real aiohttp server (the WebServer with the App, or the
whole bot) on 127.0.0.1, on SQLite and PostgreSQL; then a property-based run of
schemathesis against docs/openapi.yaml on the live server."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from bot.api import mount
from bot.app import App
from bot.config import AdminApiConfig, Config, WebConfig
from bot.services import chats
from bot.services.applications.countries import COUNTRIES
from bot.storage.models import (
    Application,
    ApplicationEvent,
    ApplicationLink,
    IdempotentRequest,
    Message,
)
from bot.web import WebServer
from tests.conftest import ROOT
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import running
from tests.test_telegram import telegram_config

TOKEN = "admin-api-test-token-0123456789abcdef"
OPENAPI = ROOT / "docs" / "openapi.yaml"
NEW: dict[str, Any] = {
    "production_title": "Rice and Rain", "company": "Lumière Films SAS", "country": "FR",
    "service_company": "Hanoi Fixers Co.", "shoot_start": "2027-03-01",
    "shoot_end": "2027-03-20", "locations": ["Ha Long Bay", "Hoi An"],
    "contact_email": "prod@example.com"}
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def with_api(config: Config, token: str = TOKEN) -> Config:
    return replace(config, admin_api=AdminApiConfig(token=token),
                   web=WebConfig(host="127.0.0.1", port=0))


@dataclass
class Api:
    """An HTTP client of the running API, as the case system would be."""

    app: App
    base_url: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                   token: str | None = TOKEN, key: str | None = None,
                   params: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        async with self.http.request(method, f"{self.base_url}/api/v1{path}", data=data,
                                     headers=headers, params=params) as response:
            assert response.content_type == "application/json", await response.text()
            return response.status, await response.json()

    async def create(self, **changes: Any) -> dict[str, Any]:
        status, body = await self.call("POST", "/applications", {**NEW, **changes})
        assert status == 201, body
        return dict(body)

    async def move(self, reference: str, status: str, **details: Any) -> dict[str, Any]:
        code, body = await self.call("POST", f"/applications/{reference}/status",
                                     {"status": status, "actor": "officer.lan", **details})
        assert code == 200, body
        return dict(body)


@pytest.fixture
async def api(config: Config) -> AsyncIterator[Api]:
    """The App and the one WebServer with the API mounted, as `crewbot run` has them."""
    config = with_api(config)
    app = await App.create(config)
    server = WebServer(config.web)
    assert mount(server, app)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(app, server.base_url, http)
    finally:
        await server.stop()
        await app.close()


async def counts(app: App) -> dict[str, int]:
    """Rows of every table the API writes to, to show that a refusal wrote nothing."""
    async with app.db.session() as session:
        return {model.__tablename__: int(await session.scalar(
                    select(func.count()).select_from(model)) or 0)
                for model in (Application, ApplicationEvent, IdempotentRequest, Message)}


def error_of(body: Any) -> tuple[str, str | None]:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    return body["error"]["code"], body["error"]["field"]


# Creating and reading.

async def test_create_answers_the_reference_and_code_once_and_get_never_shows_them(
        api: Api) -> None:
    created = await api.create(external_case="CDA-2027-118")
    reference = created["reference"]
    assert re.fullmatch(r"VN-FP-\d{4}-0001", reference)
    assert CODE.fullmatch(created["access_code"])
    assert created["status"] == "submitted" and created["external_case"] == "CDA-2027-118"
    assert created["locations"] == ["Ha Long Bay", "Hoi An"] and created["country"] == "FR"
    assert [(e["from"], e["to"], e["actor"]) for e in created["history"]] == [
        (None, "submitted", "case_system")]
    assert "deep_link" not in created

    status, read = await api.call("GET", f"/applications/{reference.lower()}")
    assert status == 200
    assert read == {k: v for k, v in created.items() if k != "access_code"}
    text = json.dumps(read)
    assert created["access_code"] not in text and "argon2" not in text and "hash" not in text
    async with api.app.db.session() as session:
        row = await session.scalar(select(Application).where(
            Application.reference == reference))
        assert row is not None and row.access_code_hash.startswith("$argon2")


async def test_the_access_code_links_a_chat_with_track(api: Api) -> None:
    created = await api.create()
    async with api.app.db.session() as session:
        chat = await chats.get_or_create_chat(session, "test", "crew-1", "Crew")
        linked = await api.app.applications.track(
            session, chat, created["reference"], created["access_code"].lower())
        assert linked is not None and linked.reference == created["reference"]


async def test_status_changes_with_their_details_and_history(api: Api) -> None:
    reference = (await api.create())["reference"]
    review = await api.move(reference, "under_review", note="Dossier complet")
    assert review["status"] == "under_review" and review["note"] == "Dossier complet"
    assert review["decision_due"] is not None

    asked = await api.move(reference, "info_requested", note="Two documents missing",
                           requested=["Script in Vietnamese", " Drone pilot licence "],
                           due="2027-01-15")
    assert asked["requested"] == ["Script in Vietnamese", "Drone pilot licence"]
    assert asked["requested_due"] == "2027-01-15" and asked["decision_due"] is None

    await api.move(reference, "under_review", note="received")
    approved = await api.move(reference, "approved", permit_number="GP-123/CĐA",
                              valid_from="2027-02-25", valid_until="2027-03-31")
    assert (approved["permit_number"], approved["valid_from"], approved["valid_until"]) == (
        "GP-123/CĐA", "2027-02-25", "2027-03-31")
    assert approved["requested"] == [] and approved["decision_due"] is None
    history = [(e["from"], e["to"], e["actor"]) for e in approved["history"]]
    assert history == [(None, "submitted", "case_system"),
                       ("submitted", "under_review", "officer.lan"),
                       ("under_review", "info_requested", "officer.lan"),
                       ("info_requested", "under_review", "officer.lan"),
                       ("under_review", "approved", "officer.lan")]
    assert approved["history"][2]["note"] == "Two documents missing"
    status, read = await api.call("GET", f"/applications/{reference}")
    assert status == 200 and read == approved


async def test_a_change_queues_one_notice_per_following_chat_in_its_transaction(
        api: Api) -> None:
    created = await api.create()
    async with api.app.db.session() as session:
        for external in ("crew-1", "crew-2"):
            chat = await chats.get_or_create_chat(session, "test", external, "Crew")
            await api.app.applications.track(session, chat, created["reference"],
                                             created["access_code"])
    before = (await counts(api.app))["messages"]
    await api.move(created["reference"], "under_review", note="Dossier complet")
    async with api.app.db.session() as session:
        notices = (await session.scalars(select(Message.text).where(
            Message.direction == "out"))).all()
        assert await session.scalar(select(func.count()).select_from(ApplicationLink)) == 2
    assert (await counts(api.app))["messages"] == before + 2
    assert all("Dossier complet" in text for text in notices[-2:])


async def test_list_pages_oldest_first_with_a_cursor_and_filters(api: Api) -> None:
    references = [(await api.create(production_title=f"Film {n}"))["reference"]
                  for n in range(5)]
    await api.move(references[1], "under_review")
    await api.move(references[3], "under_review")

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = await api.call("GET", "/applications", params=params)
        assert status == 200 and len(page["items"]) <= 2
        seen += [item["reference"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == references and pages == 3
    assert all(item["history"] for item in page["items"])

    status, page = await api.call("GET", "/applications", params={"status": "under_review"})
    assert [item["reference"] for item in page["items"]] == [references[1], references[3]]
    assert page["next_cursor"] is None
    status, exact = await api.call("GET", "/applications", params={"limit": "5"})
    assert len(exact["items"]) == 5 and exact["next_cursor"] is None

    changed = page["items"][1]["updated_at"]
    status, since = await api.call("GET", "/applications", params={"updated_since": changed})
    assert status == 200 and [item["reference"] for item in since["items"]] == [references[3]]
    status, future = await api.call("GET", "/applications",
                                    params={"updated_since": "2999-01-01T00:00:00+07:00"})
    assert status == 200 and future == {"items": [], "next_cursor": None}


BAD_QUERIES: list[tuple[dict[str, str], str]] = [
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"status": "pending"}, "status"), ({"cursor": "not-ours"}, "cursor"),
    ({"cursor": "YWZ0ZXI6MA"}, "cursor"),  # "after:0", not one we give out
    ({"updated_since": "2027-03-01"}, "updated_since"),
    ({"updated_since": "2027-03-01T08:00:00"}, "updated_since"),  # no offset
    ({"stauts": "approved"}, "stauts")]


async def test_list_refuses_bad_parameters_naming_them(api: Api) -> None:
    for params, field in BAD_QUERIES:
        status, body = await api.call("GET", "/applications", params=params)
        assert (status, error_of(body)[1]) == (400, field), params


# Refusals, and that they write nothing.

async def test_missing_or_wrong_token_is_401_everywhere(api: Api) -> None:
    before = await counts(api.app)
    for token in (None, "", "wrong-token", TOKEN + "x", TOKEN[:-1], TOKEN.upper()):
        for method, path, body in (("POST", "/applications", NEW),
                                   ("GET", "/applications", None),
                                   ("GET", "/applications/VN-FP-2027-0001", None),
                                   ("POST", "/applications/VN-FP-2027-0001/status", None),
                                   ("GET", "/no-such-thing", None)):
            status, answer = await api.call(method, path, body, token=token)
            assert (status, error_of(answer)) == (401, ("unauthorized", None)), (token, path)
    assert await counts(api.app) == before


async def test_only_a_bearer_token_is_accepted(api: Api) -> None:
    async with api.http.get(f"{api.base_url}/api/v1/applications",
                            headers={"Authorization": f"Basic {TOKEN}"}) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


BAD_CREATIONS: list[tuple[str, bytes, str, str | None]] = [
    ("malformed JSON", b'{"production_title": "Rice', "malformed_json", None),
    ("not an object", b'["Rice and Rain"]', "invalid_body", None),
    ("NaN", json.dumps({**NEW, "production_title": "x"}).replace('"x"', "NaN").encode(),
     "malformed_json", None),
    ("a key twice", b'{"country": "FR", "country": "KR"}', "malformed_json", "country"),
    ("unknown field", json.dumps({**NEW, "budget": 100}).encode(), "unknown_field", "budget"),
    ("missing field", json.dumps({k: v for k, v in NEW.items() if k != "company"}).encode(),
     "missing_field", "company"),
    ("wrong type", json.dumps({**NEW, "locations": "Hoi An"}).encode(), "wrong_type",
     "locations"),
    ("wrong item type", json.dumps({**NEW, "locations": ["Hoi An", 7]}).encode(),
     "wrong_type", "locations[1]"),
    ("bad date", json.dumps({**NEW, "shoot_start": "2027-02-30"}).encode(), "invalid_value",
     "shoot_start"),
    ("not ISO date", json.dumps({**NEW, "shoot_start": "01/03/2027"}).encode(),
     "invalid_value", "shoot_start"),
    ("end before start", json.dumps({**NEW, "shoot_end": "2027-02-01"}).encode(),
     "invalid_value", "shoot_end"),
    ("bad country", json.dumps({**NEW, "country": "XX"}).encode(), "invalid_value",
     "country"),
    ("lower-case country", json.dumps({**NEW, "country": "fr"}).encode(), "invalid_value",
     "country"),
    ("a grouping, not a country", json.dumps({**NEW, "country": "EU"}).encode(),
     "invalid_value", "country"),
    ("bad e-mail", json.dumps({**NEW, "contact_email": "prod.example.com"}).encode(),
     "invalid_value", "contact_email"),
    ("blank title", json.dumps({**NEW, "production_title": "   "}).encode(), "invalid_value",
     "production_title"),
    ("NUL in a text", json.dumps({**NEW, "company": "Lumi\u0000ère"}).encode(),
     "invalid_value", "company"),
    ("lone surrogate", json.dumps({**NEW, "company": "x"}).replace('"x"', '"\\ud800"').encode(),
     "invalid_value", "company"),
    ("too long", json.dumps({**NEW, "company": "x" * 257}).encode(), "invalid_value",
     "company"),
    ("no locations", json.dumps({**NEW, "locations": []}).encode(), "invalid_value",
     "locations"),
    ("not UTF-8", b'{"company": "\xff"}', "malformed_json", None),
]


async def test_a_bad_creation_is_400_naming_the_field_and_writes_nothing(api: Api) -> None:
    before = await counts(api.app)
    for name, raw, code, field in BAD_CREATIONS:
        status, body = await api.call("POST", "/applications", raw=raw, key="retry-key-1")
        assert (status, error_of(body)) == (400, (code, field)), (name, body)
    assert await counts(api.app) == before


async def test_the_country_list_is_iso_3166_and_the_schema_says_the_same() -> None:
    assert len(COUNTRIES) == 249
    assert {"VN", "FR", "KR", "JP", "CN", "US", "NA", "NO"} <= COUNTRIES
    assert not {"EU", "UN", "ZZ", "XK", "AC", "IC", "001"} & COUNTRIES
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert set(document["components"]["schemas"]["Country"]["enum"]) == COUNTRIES


async def test_an_unknown_reference_is_404(api: Api) -> None:
    before = await counts(api.app)
    status, body = await api.call("GET", "/applications/VN-FP-2027-9999")
    assert status == 404 and error_of(body) == ("not_found", None)
    status, body = await api.call("POST", "/applications/VN-FP-2027-9999/status",
                                  {"status": "under_review", "actor": "officer"},
                                  key="move-missing")
    assert status == 404 and error_of(body)[0] == "not_found"
    status, body = await api.call("GET", "/applications/%00")
    assert status == 404
    status, body = await api.call("GET", "/no-such-path")
    assert status == 404 and error_of(body)[0] == "not_found"
    status, body = await api.call("DELETE", "/applications")
    assert status == 405 and error_of(body)[0] == "method_not_allowed"
    assert await counts(api.app) == before


async def test_a_move_the_workflow_refuses_is_409_naming_the_allowed_ones(api: Api) -> None:
    reference = (await api.create())["reference"]
    before = await counts(api.app)
    status, body = await api.call("POST", f"/applications/{reference}/status", {
        "status": "approved", "actor": "officer", "permit_number": "GP-1",
        "valid_until": "2027-03-31"}, key="approve-too-early")
    assert status == 409 and error_of(body) == ("transition_refused", "status")
    assert "allowed from submitted: under_review, withdrawn" in body["error"]["message"]
    assert await counts(api.app) == before
    _, read = await api.call("GET", f"/applications/{reference}")
    assert read["status"] == "submitted" and len(read["history"]) == 1


BAD_CHANGES: list[tuple[dict[str, Any], str, str]] = [
    ({"status": "approved"}, "missing_detail", "permit_number"),
    ({"status": "approved", "permit_number": "GP-1"}, "missing_detail", "valid_until"),
    ({"status": "approved", "permit_number": "GP-1", "valid_from": "2027-04-01",
      "valid_until": "2027-03-31"}, "missing_detail", "valid_until"),
    ({"status": "info_requested"}, "missing_detail", "requested"),
    ({"status": "info_requested", "requested": []}, "invalid_value", "requested"),
    ({"status": "rejected", "permit_number": "GP-1"}, "not_applicable", "permit_number"),
    ({"status": "info_requested", "requested": ["Script"], "valid_until": "2027-03-31"},
     "not_applicable", "valid_until"),
    ({"status": "info_requested", "requested": ["Script"], "due": "soon"}, "invalid_value",
     "due"),
    ({"status": "granted"}, "invalid_value", "status"),
    ({"status": "approved", "actor": None}, "missing_field", "actor"),
    ({"status": "approved", "actor": 7}, "wrong_type", "actor"),
    ({"status": "approved", "decided": True}, "unknown_field", "decided"),
    ({"status": "rejected", "note": "a\u0000b"}, "invalid_value", "note"),
]


async def test_a_bad_status_change_is_400_and_writes_nothing(api: Api) -> None:
    reference = (await api.create())["reference"]
    await api.move(reference, "under_review")
    before = await counts(api.app)
    for details, code, field in BAD_CHANGES:
        status, body = await api.call("POST", f"/applications/{reference}/status",
                                      {"actor": "officer", **details}, key="bad-change")
        assert (status, error_of(body)) == (400, (code, field)), (details, body)
    assert await counts(api.app) == before
    rejected = await api.move(reference, "rejected", note="Line one\nLine two")
    assert rejected["note"] == "Line one\nLine two"


# Idempotency.

async def test_a_retried_creation_returns_the_same_answer_and_creates_one(api: Api) -> None:
    first_status, first = await api.call("POST", "/applications", NEW, key="case-118-create")
    again_status, again = await api.call("POST", "/applications", NEW, key="case-118-create")
    assert first_status == again_status == 201
    assert again == first and again["access_code"] == first["access_code"]
    totals = await counts(api.app)
    assert totals["applications"] == 1 and totals["idempotent_requests"] == 1
    async with api.app.db.session() as session:
        stored = (await session.scalars(select(IdempotentRequest))).one()
    assert "case-118-create" not in stored.key  # kept as its hash
    assert first["access_code"] not in stored.body  # sealed with the key

    status, body = await api.call("POST", "/applications", {**NEW, "company": "Other"},
                                  key="case-118-create")
    assert status == 422 and error_of(body) == ("idempotency_key_reused", "Idempotency-Key")
    status, body = await api.call("POST", f"/applications/{first['reference']}/status",
                                  {"status": "under_review", "actor": "x"},
                                  key="case-118-create")
    assert status == 422
    assert (await counts(api.app))["applications"] == 1


async def test_concurrent_duplicates_create_one_application(api: Api) -> None:
    answers = await asyncio.gather(*(api.call("POST", "/applications", NEW, key="same-moment")
                                     for _ in range(4)))
    assert {status for status, _ in answers} == {201}
    assert len({body["reference"] for _, body in answers}) == 1
    assert len({body["access_code"] for _, body in answers}) == 1
    totals = await counts(api.app)
    assert totals["applications"] == 1 and totals["application_events"] == 1


async def test_a_retried_status_change_is_not_done_twice(api: Api) -> None:
    reference = (await api.create())["reference"]
    change = {"status": "under_review", "actor": "officer", "note": "complete"}
    path = f"/applications/{reference}/status"
    first = await api.call("POST", path, change, key="move-1")
    again = await api.call("POST", path, change, key="move-1")
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert (await counts(api.app))["application_events"] == 2
    # Without the key, the same request is a new one: the workflow refuses the repeat.
    status, body = await api.call("POST", path, change)
    assert status == 409 and error_of(body)[0] == "transition_refused"


async def test_a_refusal_is_not_stored_and_a_corrected_retry_works(api: Api) -> None:
    status, _ = await api.call("POST", "/applications", {**NEW, "country": "XX"}, key="k-1")
    assert status == 400
    status, body = await api.call("POST", "/applications", NEW, key="k-1")
    assert status == 201 and body["country"] == "FR"


async def test_a_bad_idempotency_key_is_400(api: Api) -> None:
    status, body = await api.call("POST", "/applications", NEW, key="with space")
    assert status == 400 and error_of(body) == ("invalid_value", "Idempotency-Key")
    assert (await counts(api.app))["applications"] == 0


async def test_a_duplicate_external_case_is_409(api: Api) -> None:
    await api.create(external_case="CDA-1")
    before = await counts(api.app)
    status, body = await api.call("POST", "/applications", {**NEW, "external_case": "CDA-1"})
    assert status == 409 and error_of(body) == ("duplicate_external_case", "external_case")
    assert await counts(api.app) == before


async def test_a_body_over_the_server_limit_is_413_and_writes_nothing(api: Api) -> None:
    big = json.dumps({**NEW, "company": "x" * (2 * 1024 * 1024)}).encode()
    status, body = await api.call("POST", "/applications", raw=big)
    assert status == 413 and error_of(body)[0] == "too_large"
    assert (await counts(api.app))["applications"] == 0


async def test_logs_are_one_line_each_without_the_token_or_the_code(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    created = await api.create()
    await api.move(created["reference"], "under_review")
    await api.call("GET", "/applications", token="wrong-token")
    await api.call("POST", "/applications", NEW, key="log-key")
    await api.call("POST", "/applications", NEW, key="log-key")
    lines = [record.getMessage() for record in caplog.records
             if record.name.startswith("crewbot")]
    assert any("admin api method=POST path=/api/v1/applications status=201" in line
               for line in lines)
    assert any("reason=unauthorized" in line for line in lines)
    assert any("replayed=true" in line for line in lines)
    for line in lines:
        assert "\n" not in line
        assert TOKEN not in line and "wrong-token" not in line
        assert created["access_code"] not in line and "log-key" not in line


# Mounted or not.

async def test_without_a_token_the_api_is_not_served(config: Config) -> None:
    config = with_api(config, token="")
    app = await App.create(config)
    server = WebServer(config.web)
    try:
        assert not mount(server, app)
        await server.start()
        async with aiohttp.ClientSession() as http:
            for path in ("/api/v1/applications", "/api/v1/applications/VN-FP-2027-0001"):
                async with http.get(f"{server.base_url}{path}",
                                    headers={"Authorization": "Bearer "}) as response:
                    assert response.status == 404
            async with http.post(f"{server.base_url}/api/v1/applications", json=NEW) as response:
                assert response.status == 404
        assert (await counts(app))["applications"] == 0
    finally:
        await server.stop()
        await app.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_crewbot_run_serves_the_api_beside_the_webhooks(config: Config,
                                                              fake: FakeTelegram) -> None:
    config = replace(telegram_config(config, fake), admin_api=AdminApiConfig(token=TOKEN))
    async with running(config) as bot, aiohttp.ClientSession() as http:
        api = Api(bot.app, bot.web.base_url, http)
        created = await api.create()
        assert (await api.move(created["reference"], "under_review"))["status"] == "under_review"
        async with http.get(f"{bot.web.base_url}/healthz") as response:
            assert response.status == 200



# The property-based run against docs/openapi.yaml.

EXAMPLES = 50  # per operation and generation mode: bounded for CI, derandomized
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]


def _property_run(base_url: str, references: list[str]) -> dict[str, int]:
    """Blocking: schemathesis sends its requests with `requests`, from a worker thread,
    while the server goes on answering on the test's event loop."""
    schema = schemathesis.openapi.from_path(str(OPENAPI))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    statuses: dict[str, int] = {}
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                if "{reference}" in operation.path and mode is GenerationMode.POSITIVE:
                    # Random references are all unknown (404): half the examples use ones
                    # that exist, so the success paths and the workflow are reached too.
                    strategy = st.one_of(strategy, *(operation.as_strategy(
                        generation_mode=mode, path_parameters={"reference": reference})
                        for reference in references))

                @settings(max_examples=EXAMPLES, derandomize=True, database=None,
                          deadline=None, suppress_health_check=list(HealthCheck),
                          phases=[Phase.explicit, Phase.generate, Phase.shrink])
                @given(case=strategy)
                def check(case: Case) -> None:
                    response = case.call(base_url=base_url, session=session, headers=auth,
                                         timeout=30)
                    key = f"{case.operation.label} {response.status_code}"
                    statuses[key] = statuses.get(key, 0) + 1
                    case.validate_response(response, checks=CHECKS, headers=auth)

                check()
    return statuses


async def test_property_run_finds_no_5xx_and_no_answer_outside_the_schema(api: Api) -> None:
    """schemathesis generates valid and invalid requests from docs/openapi.yaml and checks
    every answer: no 5xx, every status documented, every body valid against its schema,
    every invalid request refused."""
    submitted = (await api.create())["reference"]
    in_review = (await api.create(production_title="Second"))["reference"]
    await api.move(in_review, "under_review")
    statuses = await asyncio.to_thread(_property_run, api.base_url, [submitted, in_review])
    # The run reached the answers that matter, not only refusals.
    for expected in ("POST /api/v1/applications 201", "POST /api/v1/applications 400",
                     "GET /api/v1/applications 200", "GET /api/v1/applications 400",
                     "GET /api/v1/applications/{reference} 200",
                     "GET /api/v1/applications/{reference} 404",
                     "POST /api/v1/applications/{reference}/status 400",
                     "POST /api/v1/applications/{reference}/status 404"):
        assert statuses.get(expected), (expected, statuses)
    assert all(int(key.rsplit(" ", 1)[1]) < 500 for key in statuses), statuses
