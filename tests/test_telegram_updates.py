"""Telegram updates of every kind, as Telegram sends them, through the running bot.

What each kind gets is the README's table: forum topics are answered in their topic,
a caption that mentions the bot in a group is a question, a shared point gets the
nearest place of the guide, a contact gets a line, and an update python-telegram-bot
cannot read is recorded, confirmed and skipped, never allowed to stop polling.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import Config, WebConfig
from bot.storage.models import FailedUpdate
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import free_port, running
from tests.test_telegram import KOREAN_DRONE, answered, telegram_config, texts

HOI_AN = (15.8801, 108.3380)  # the old town's Japanese Bridge


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def unparseable(update_id: int, chat_id: int) -> dict[str, Any]:
    """A message python-telegram-bot cannot build: its chat has no `type` (required)."""
    return {"update_id": update_id, "message": {
        "message_id": 5, "date": 1700000000, "text": "hello",
        "chat": {"id": chat_id},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Odd"}}}


async def failed_rows(config_app: Any) -> list[FailedUpdate]:
    async with config_app.db.session() as session:
        return list((await session.scalars(select(FailedUpdate))).all())


async def test_one_unparseable_update_in_a_batch_is_skipped_and_polling_goes_on(
        config: Config, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running(telegram_config(config, fake)) as bot:
        fake.message(2001, "/help")
        await answered(fake, 2001, 1)
        # One batch: a good update, one python-telegram-bot cannot parse, a good one.
        before = fake.message(2002, "/help")
        bad_id = before["update_id"] + 1
        fake.inject(unparseable(bad_id, 2003))
        fake.message(2004, "/help")
        await answered(fake, 2002, 1)
        await answered(fake, 2004, 1)
        # Polling goes on: a later message is answered too.
        fake.message(2005, KOREAN_DRONE)
        (answer,) = await answered(fake, 2005, 1)
        assert "드론" in answer["text"]
        assert fake.sent(2003) == []
        (failed,) = await failed_rows(bot.app)
        assert failed.update_id == str(bad_id) and failed.channel == "telegram"
        assert "unparseable" in failed.error and '"chat": {"id": 2003}' in failed.raw
    logged = [r for r in caplog.records if f"update_id={bad_id} " in r.getMessage()]
    assert logged and all(r.levelno == logging.WARNING for r in logged)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The bad update was confirmed: Telegram no longer holds it.
    assert all(u["update_id"] != bad_id for u in fake.pending_updates())


async def test_question_in_a_forum_topic_is_answered_in_that_topic(
        config: Config, fake: FakeTelegram) -> None:
    forum = -1001234567890
    async with running(telegram_config(config, fake)):
        update = fake.message(forum, "@crewbot_test_bot " + KOREAN_DRONE,
                              chat_type="supergroup", title="Crew forum")
        message = update["message"]
        # The same update as it comes from a forum topic (Telegram adds both fields).
        fake.inject({"update_id": update["update_id"] + 100, "message": {
            **message, "message_id": message["message_id"] + 1, "message_thread_id": 77,
            "is_topic_message": True,
            "chat": {**message["chat"], "is_forum": True}}})
        replies = await answered(fake, forum, 2)
        in_topic = [m for m in replies if m["message_thread_id"] == 77]
        assert in_topic and "드론" in in_topic[0]["text"]
        general = [m for m in replies if m["message_thread_id"] is None]
        assert general  # the first, outside any topic, was answered outside too


async def test_button_pressed_in_a_topic_answers_in_the_topic(
        config: Config, fake: FakeTelegram) -> None:
    forum = -1001234567891
    async with running(telegram_config(config, fake)):
        update = fake.message(forum, "/menu", chat_type="supergroup")
        message = update["message"]
        fake.inject({"update_id": update["update_id"] + 100, "message": {
            **message, "message_id": message["message_id"] + 1, "message_thread_id": 9,
            "is_topic_message": True, "text": "/help"}})
        replies = await answered(fake, forum, 2)
        topic_menu = next(m for m in replies if m["message_thread_id"] == 9)
        fake.callback(forum, "browse:permits", message_id=topic_menu["message_id"],
                      chat_type="supergroup")
        await fake.wait_for(lambda f: len(f.sent(forum)) >= 3 or any(
            m["edited"] for m in f.sent(forum)))
        assert all(m["message_thread_id"] in (None, 9) for m in fake.sent(forum))


async def test_group_caption_mentioning_the_bot_is_a_question(
        config: Config, fake: FakeTelegram) -> None:
    group = -4001
    async with running(telegram_config(config, fake)):
        base = fake.message(group, "nothing for the bot here", chat_type="group")
        message = dict(base["message"])
        del message["text"]
        message.pop("entities", None)
        caption = "@crewbot_test_bot can we fly a drone at this spot?"
        photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
        fake.inject({"update_id": base["update_id"] + 1, "message": {
            **message, "message_id": message["message_id"] + 1, "photo": photo,
            "caption": caption,
            "caption_entities": [{"type": "mention", "offset": 0, "length": 17}]}})
        fake.inject({"update_id": base["update_id"] + 2, "message": {
            **message, "message_id": message["message_id"] + 2, "photo": photo,
            "caption": "our set today"}})
        fake.message(group, "/help@crewbot_test_bot", chat_type="group")
        replies = await answered(fake, group, 2)
        assert "drone" in replies[0]["text"].lower()
        assert len(replies) == 2  # the unaddressed photo and the chatter got nothing


async def test_shared_location_venue_and_contact_get_answers(
        config: Config, fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        fake.location(2101, *HOI_AN)
        (near,) = await answered(fake, 2101, 1)
        assert "Hoi An" in near["plain_text"] and "km" in near["plain_text"]
        assert any("article:location" in str(b) for b in (near["reply_markup"] or {}).values())
        base = fake.message(2102, "/help")
        await answered(fake, 2102, 1)
        message = {k: v for k, v in base["message"].items() if k not in ("text", "entities")}
        fake.inject({"update_id": base["update_id"] + 1, "message": {
            **message, "message_id": 50,
            "venue": {"location": {"latitude": HOI_AN[0], "longitude": HOI_AN[1]},
                      "title": "Chùa Cầu", "address": "Nguyễn Thị Minh Khai, Hội An"},
            "location": {"latitude": HOI_AN[0], "longitude": HOI_AN[1]}}})
        fake.inject({"update_id": base["update_id"] + 2, "message": {
            **message, "message_id": 51,
            "contact": {"phone_number": "+84900000000", "first_name": "Lan"}}})
        fake.location(2102, 48.8584, 2.2945)  # Paris: outside the guide
        replies = await answered(fake, 2102, 4)
        assert "Hoi An" in replies[1]["plain_text"]
        assert "contact" in replies[2]["plain_text"]
        assert "outside" in replies[3]["plain_text"]


async def test_webhook_takes_an_unparseable_update_with_200_and_a_warning(
        config: Config, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    configured = replace(telegram_config(config, fake, mode="webhook", webhook_url=url,
                                         webhook_secret="s3cret-token"),
                         web=WebConfig(host="127.0.0.1", port=port))
    caplog.set_level(logging.INFO)
    async with running(configured) as bot:
        assert await fake.post_webhook(unparseable(880001, 2201), "s3cret-token") == 200
        assert await fake.post_webhook(unparseable(880001, 2201), "s3cret-token") == 200
        async with aiohttp.ClientSession() as http, http.post(
                url, json={"update_id": True},
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}) as response:
            assert response.status == 400
        fake.message(2202, "/help")
        await answered(fake, 2202, 1)
        (failed,) = await failed_rows(bot.app)
        assert failed.update_id == "880001"
    assert any("880001" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    assert texts(fake, 2201) == []


async def test_health_reports_a_failing_poll_and_its_recovery(
        config: Config, fake: FakeTelegram) -> None:
    port = free_port()
    configured = replace(telegram_config(config, fake), web=WebConfig(host="127.0.0.1",
                                                                      port=port))
    async with running(configured):
        fake.fail("getUpdates", status=502, times=2)
        fake.message(2301, "/help")
        await answered(fake, 2301, 1)
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
        assert len([c for c in fake.calls_to("getUpdates") if c.status == 502]) == 2
