"""Following an application end to end: the admin API creates it, crews on Telegram and
Zalo link with /track, and a status change reaches every linked chat once, in its
language, with the staff note. `crewbot run`'s code in-process, the real
python-telegram-bot and aiohttp clients against the fakes on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.config import AdminApiConfig, Config, StaffConfig
from bot.runner import Running
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZaloOA
from tests.harness import running
from tests.test_telegram import answered, telegram_config
from tests.test_zalo import answered as zalo_answered
from tests.test_zalo import hook, oa_config

TOKEN = "case-system-token-0123456789"
STAFF = 990001
NEW = {"production_title": "Rice and Rain", "company": "Lumière Films SAS", "country": "FR",
       "service_company": "Hanoi Fixers Co.", "shoot_start": "2027-03-01",
       "shoot_end": "2027-03-20", "locations": ["Ha Long Bay", "Hoi An"],
       "contact_email": "prod@example.com"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def api(bot: Running, method: str, path: str, body: dict[str, Any] | None = None
              ) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.request(
            method, f"{bot.web.base_url}/api/v1{path}", json=body,
            headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        return response.status, await response.json()


def with_api(config: Config) -> Config:
    return replace(config, admin_api=AdminApiConfig(token=TOKEN),
                   staff=StaffConfig(staff_ids=[f"telegram:{STAFF}"]))


async def test_three_crews_follow_and_each_is_told_once_in_its_language(
        config: Config, fake: FakeTelegram) -> None:
    async with running(with_api(telegram_config(config, fake))) as bot:
        status, created = await api(bot, "POST", "/applications", NEW)
        assert status == 201
        reference, code = created["reference"], created["access_code"]
        crews = {4001: "en", 4002: "ko", 4003: "vi"}
        for chat, language in crews.items():
            fake.message(chat, f"/track {reference} {code.lower()}", language_code=language)
        linked = {chat: (await answered(fake, chat, 1))[0]["plain_text"] for chat in crews}
        assert "You now follow" in linked[4001] and "Submitted" in linked[4001]
        assert reference in linked[4002] and "You now follow" not in linked[4002]
        assert reference in linked[4003] and "You now follow" not in linked[4003]
        for chat in crews:
            fake.message(chat, "/status", language_code=crews[chat])
        cards = {chat: (await answered(fake, chat, 2))[1]["plain_text"] for chat in crews}
        assert all(reference in card for card in cards.values())
        assert cards[4002] != cards[4001] and cards[4003] != cards[4001]

        status, moved = await api(bot, "POST", f"/applications/{reference}/status", {
            "status": "under_review", "note": "Dossier complet", "actor": "officer.lan"})
        assert status == 200 and moved["status"] == "under_review"
        notices = {chat: await answered(fake, chat, 3) for chat in crews}
        for sent in notices.values():
            assert "Dossier complet" in sent[2]["plain_text"]
        assert "Under review" in notices[4001][2]["plain_text"]
        assert notices[4002][2]["plain_text"] != notices[4001][2]["plain_text"]

        # Wrong code and guessed reference: the same answer, nothing revealed.
        fake.message(4004, f"/track {reference} AAAAA-AAAAA")
        fake.message(4004, f"/track VN-FP-2026-9999 {code}")
        wrong, guessed = (m["plain_text"] for m in await answered(fake, 4004, 2))
        assert wrong == guessed and reference not in wrong
        # A crew member cannot move it; staff can.
        fake.message(4001, f"/setstatus {reference} approved P-1 2027-04-01")
        refused = (await answered(fake, 4001, 4))[3]["plain_text"]
        assert "staff" in refused.lower()
        status, current = await api(bot, "GET", f"/applications/{reference}")
        assert current["status"] == "under_review"
        fake.message(STAFF, f"/setstatus {reference} info_requested Script in Vietnamese; "
                            "crew list")
        (confirmation,) = await answered(fake, STAFF, 1)
        assert "3" in confirmation["plain_text"]
        for chat in crews:
            fourth = (await answered(fake, chat, 4 if chat != 4001 else 5))[-1]
            assert "Script in Vietnamese" in fourth["plain_text"]
        await bot.app.settled()
        assert len(fake.sent(4002)) == 4 and len(fake.sent(4003)) == 4  # each told once


async def test_a_zalo_chat_links_and_is_told(config: Config) -> None:
    async with FakeZaloOA() as oa, running(with_api(oa_config(config, oa))) as bot:
        status, created = await api(bot, "POST", "/applications", NEW)
        reference, code = created["reference"], created["access_code"]
        assert await oa.post_event(hook(bot), oa.text_event(
            "zu-1", f"/track {reference} {code}")) == 200
        (linked,) = await zalo_answered(oa, "zu-1", 1)
        assert reference in linked and "You now follow" in linked
        status, _ = await api(bot, "POST", f"/applications/{reference}/status", {
            "status": "withdrawn", "note": "Production postponed", "actor": "officer"})
        assert status == 200
        texts = await zalo_answered(oa, "zu-1", 2)
        assert "Withdrawn" in texts[1] and "Production postponed" in texts[1]
