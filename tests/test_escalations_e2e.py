"""The staff desk end to end: a crew's question reaches a forum topic in the desk
group, a staff answer reaches the crew once, the crew's follow-up lands in the same
topic, a /note stays internal, /close tells the crew. The real python-telegram-bot
against the fake Bot API; the Zalo OA crew through the fake OA.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config, StaffConfig
from bot.storage.models import EscalationMessage, Message
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZaloBot, FakeZaloOA
from tests.harness import free_port, running, wait_until
from tests.test_telegram import answered, callback_data, telegram_config
from tests.test_zalo import answered as zalo_answered
from tests.test_zalo import bot_config, hook, oa_config

DESK = -1009000000001
STAFF = 770001
OUTSIDER = 770002


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def with_desk(config: Config) -> Config:
    return replace(config, staff=StaffConfig(telegram_chat_id=DESK,
                                             staff_ids=[f"telegram:{STAFF}"]))


def in_topic(fake: FakeTelegram, thread: int, text: str, user_id: int) -> None:
    """A message in a forum topic of the desk, as Telegram delivers it."""
    update = fake.message(DESK, text, chat_type="supergroup", title="Staff desk",
                          user_id=user_id, first_name="Lan")
    message = update["message"]
    fake.inject({"update_id": update["update_id"] + 10_000, "message": {
        **message, "message_id": message["message_id"] + 10_000,
        "message_thread_id": thread, "is_topic_message": True,
        "chat": {**message["chat"], "is_forum": True}}})


def desk_texts(fake: FakeTelegram, thread: int) -> list[str]:
    return [m["plain_text"] or "" for m in fake.sent(DESK) if m["message_thread_id"] == thread]


async def test_a_korean_crew_reaches_staff_and_back(config: Config, fake: FakeTelegram) -> None:
    async with running(with_desk(telegram_config(config, fake))) as bot:
        crew = 5001
        fake.message(crew, "부산에서 가장 맛있는 돼지국밥집이 어디예요?", language_code="ko")
        (declined,) = await answered(fake, crew, 1)
        assert "staff:talk" in callback_data(declined)
        fake.callback(crew, "staff:talk", message_id=declined["message_id"],
                      language_code="ko")
        (confirmed,) = (await answered(fake, crew, 2))[1:]
        assert "직원" in confirmed["plain_text"]
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        (topic,) = fake.topics(DESK)
        assert topic["name"].startswith("[ko] ")
        thread = topic["message_thread_id"]
        card = desk_texts(fake, thread)[0]
        assert "돼지국밥" in card and "ko" in card

        in_topic(fake, thread, "Xin lỗi, chúng tôi không giới thiệu nhà hàng.", STAFF)
        answer = (await answered(fake, crew, 3))[2]["plain_text"]
        assert "영화국" in answer and "không giới thiệu" in answer

        fake.message(crew, "알겠습니다. 그럼 촬영 허가 서류는요?", language_code="ko")
        await fake.wait_for(lambda f: any("촬영 허가 서류" in t for t in desk_texts(f, thread)))
        in_topic(fake, thread, "/note crew seems to be a food show, check the permit type",
                 STAFF)
        in_topic(fake, thread, "this should not be relayed", OUTSIDER)
        in_topic(fake, thread, "/article permit.drone", STAFF)
        await fake.wait_for(lambda f: any("드론" in (m["plain_text"] or "") and
                                          "sources:permit.drone" in str(m.get("reply_markup"))
                                          for m in f.sent(crew)))
        in_topic(fake, thread, "/reply checking", STAFF)
        await fake.wait_for(lambda f: any("관련 기관" in (m["plain_text"] or "")
                                          for m in f.sent(crew)))
        in_topic(fake, thread, "/close", STAFF)
        await fake.wait_for(lambda f: any("1 = " in (m["plain_text"] or "")
                                          for m in f.sent(crew)))
        closed = next(m for m in fake.sent(crew) if "1 = " in (m["plain_text"] or ""))
        assert "영화국" in closed["plain_text"]
        assert "rate:1:5" in callback_data(closed)
        await bot.app.settled()
        sent_to_crew = [m["plain_text"] for m in fake.sent(crew)]
        assert not any("food show" in t or "should not be relayed" in t for t in sent_to_crew)
        assert sum("không giới thiệu" in t for t in sent_to_crew) == 1  # once
        async with bot.app.db.session() as session:
            directions = [(m.direction, m.text[:12]) for m in (await session.scalars(
                select(EscalationMessage).order_by(EscalationMessage.id))).all()]
        assert [d for d, _ in directions] == ["crew", "staff", "crew", "note", "staff",
                                              "staff", "note"]

        # After closing, a new question opens a new escalation (a new topic).
        fake.message(crew, "/staff 드론 비행 승인 문의입니다", language_code="ko")
        await fake.wait_for(lambda f: len(f.topics(DESK)) == 2)


async def test_a_zalo_crew_gets_the_staff_reply_once(config: Config, fake: FakeTelegram
                                                     ) -> None:
    async with FakeZaloOA() as oa:
        configured = with_desk(oa_config(telegram_config(config, fake), oa))
        async with running(configured) as bot:
            assert await oa.post_event(hook(bot), oa.text_event(
                "zalo-crew", "/staff Cho hỏi thủ tục quay phim ở Hội An")) == 200
            await zalo_answered(oa, "zalo-crew", 1)
            await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
            thread = fake.topics(DESK)[0]["message_thread_id"]
            in_topic(fake, thread, "Bạn cần nộp hồ sơ qua công ty dịch vụ.", STAFF)
            texts: list[Any] = await zalo_answered(oa, "zalo-crew", 2)
            assert "Cục Điện ảnh" in texts[1] and "công ty dịch vụ" in texts[1]
            await bot.app.settled()
            assert sum("công ty dịch vụ" in t for t in oa.texts("zalo-crew")) == 1
            # A file Telegram will not hand over (an unknown file id): the topic is told,
            # nothing is sent.
            update = fake.message(DESK, "x", chat_type="supergroup", user_id=STAFF)
            message = {k: v for k, v in update["message"].items()
                       if k not in ("text", "entities")}
            fake.inject({"update_id": update["update_id"] + 10_000, "message": {
                **message, "message_id": message["message_id"] + 10_000,
                "message_thread_id": thread, "is_topic_message": True,
                "document": {"file_id": "f1", "file_unique_id": "u", "file_name": "a.pdf"}}})
            await fake.wait_for(lambda f: any("e-mail" in t or "email" in t
                                              for t in desk_texts(f, thread)))
            assert len(oa.texts("zalo-crew")) == 2
            # An edit in the desk: Zalo cannot edit, so a marked correction follows.
            update = fake.message(DESK, "x", chat_type="supergroup", user_id=STAFF)
            answer = {**update["message"], "message_id": 990, "message_thread_id": thread,
                      "is_topic_message": True, "text": "Hồ sơ nộp trước 10 ngày."}
            answer.pop("entities", None)
            fake.inject({"update_id": update["update_id"] + 20_000, "message": answer})
            await zalo_answered(oa, "zalo-crew", 3)
            fake.inject({"update_id": update["update_id"] + 20_001, "edited_message": {
                **answer, "text": "Hồ sơ nộp trước 15 ngày.", "edit_date": 1_800_000_000}})
            corrected = (await zalo_answered(oa, "zalo-crew", 4))[3]
            assert "Đính chính" in corrected and "15 ngày" in corrected


async def settled(path: Path) -> bool:
    """No outgoing row waits or is being sent (read from outside, as an operator would)."""
    with sqlite3.connect(path) as db:
        (waiting,) = db.execute("SELECT count(*) FROM messages WHERE direction = 'out' "
                                "AND status IN ('pending', 'sending')").fetchone()
    return int(waiting) == 0


async def test_sigkill_between_the_crews_message_and_the_staff_reply(
        tmp_path: Path, fake: FakeTelegram) -> None:
    """`crewbot run` killed (SIGKILL) while an escalation waits for staff: after the
    restart the staff reply reaches the crew once, and nothing the crew said is lost."""
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"\n'
        f'[telegram]\ntoken = "{fake.token}"\napi_base_url = "{fake.base_url}"\n'
        f"poll_timeout = 5\n[web]\nport = {free_port()}\n"
        f'[staff]\ntelegram_chat_id = {DESK}\nstaff_ids = ["telegram:{STAFF}"]\n',
        encoding="utf-8")

    async def start() -> asyncio.subprocess.Process:
        before = len(fake.calls_to("deleteWebhook"))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config_file),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        await fake.wait_for(lambda f: len(f.calls_to("deleteWebhook")) > before, timeout=60)
        return process

    crew = 5101
    process = await start()
    try:
        fake.message(crew, "/staff 호이안 야간 촬영 시 조명 허가가 따로 필요한가요?",
                     language_code="ko")
        await answered(fake, crew, 1)
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        thread = fake.topics(DESK)[0]["message_thread_id"]
        fake.message(crew, "발전기도 가져갈 예정입니다.", language_code="ko")
        await fake.wait_for(lambda f: any("발전기" in t for t in desk_texts(f, thread)))
        # Past the documented duplicate window: every send's outcome is recorded.
        await wait_until(lambda: settled(tmp_path / "bot.db"))
        process.kill()
        await process.wait()
        in_topic(fake, thread, "Cần xin phép UBND thành phố Hội An.", STAFF)
        fake.message(crew, "감사합니다!", language_code="ko")
        process = await start()
        await fake.wait_for(lambda f: any("UBND" in (m["plain_text"] or "")
                                          for m in f.sent(crew)), timeout=60)
        await fake.wait_for(lambda f: any("감사합니다" in t for t in desk_texts(f, thread)),
                            timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
    relayed = [m for m in fake.sent(crew) if "UBND" in (m["plain_text"] or "")]
    assert len(relayed) == 1
    topic = desk_texts(fake, thread)
    assert topic, fake.summary()
    assert sum("발전기" in t for t in topic) == 1 and sum("감사합니다" in t for t in topic) == 1
    assert len(fake.topics(DESK)) == 1


async def test_photos_and_documents_cross_the_desk(config: Config, fake: FakeTelegram
                                                   ) -> None:
    """A crew's passport scan lands in the topic; the staff's document reaches the crew;
    both by Telegram file id, nothing downloaded or stored."""
    async with running(with_desk(telegram_config(config, fake))):
        crew = 5201
        fake.message(crew, "/staff We need help with our crew visas", language_code="en")
        await answered(fake, crew, 1)
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        thread = fake.topics(DESK)[0]["message_thread_id"]
        base = fake.message(crew, "(photo follows)")
        await answered(fake, crew, 2)
        message = {k: v for k, v in base["message"].items() if k not in ("text", "entities")}
        fake.inject({"update_id": base["update_id"] + 1, "message": {
            **message, "message_id": message["message_id"] + 1,
            "photo": [{"file_id": "crew-scan-small", "file_unique_id": "a", "width": 90,
                       "height": 60},
                      {"file_id": "crew-scan-large", "file_unique_id": "b", "width": 1280,
                       "height": 853}]}})
        await fake.wait_for(lambda f: any(m["kind"] == "photo" and
                                          m["message_thread_id"] == thread
                                          for m in f.sent(DESK)))
        scan = next(m for m in fake.sent(DESK) if m["kind"] == "photo")
        assert scan["media"][0]["file_id"] == "crew-scan-large"

        update = fake.message(DESK, "x", chat_type="supergroup", user_id=STAFF)
        staff_message = {k: v for k, v in update["message"].items()
                         if k not in ("text", "entities")}
        fake.inject({"update_id": update["update_id"] + 10_000, "message": {
            **staff_message, "message_id": staff_message["message_id"] + 10_000,
            "message_thread_id": thread, "is_topic_message": True,
            "chat": {**staff_message["chat"], "is_forum": True},
            "document": {"file_id": "visa-form-file", "file_unique_id": "v",
                         "file_name": "NA5.pdf"},
            "caption": "Please fill in this form."}})
        await fake.wait_for(lambda f: any(m["kind"] == "document" for m in f.sent(crew)))
        (form,) = [m for m in fake.sent(crew) if m["kind"] == "document"]
        assert form["media"]["file_id"] == "visa-form-file"
        assert "Cinema Department" in form["plain_text"] and "fill in" in form["plain_text"]
        # Telegram to Telegram needs no bytes: nothing was fetched.
        assert not fake.calls_to("getFile") and not fake.downloads


async def test_a_relay_that_cannot_arrive_is_reported_in_the_topic(
        config: Config, fake: FakeTelegram) -> None:
    async with running(with_desk(telegram_config(config, fake))):
        crew = 5301
        fake.message(crew, "/staff Is a drone allowed over Hoan Kiem lake?")
        await answered(fake, crew, 1)
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        thread = fake.topics(DESK)[0]["message_thread_id"]
        fake.block(crew)  # the crew blocked the bot meanwhile
        in_topic(fake, thread, "No, the lake is in a no-fly zone.", STAFF)
        await fake.wait_for(lambda f: any("Not delivered" in t for t in desk_texts(f, thread)))
        in_topic(fake, thread, "Are you still there?", STAFF)  # known unreachable: said at once
        await fake.wait_for(lambda f: sum("Not delivered" in t
                                          for t in desk_texts(f, thread)) >= 2)
        assert len(fake.sent(crew)) == 1


async def test_a_staff_edit_edits_the_crews_copy(config: Config, fake: FakeTelegram) -> None:
    async with running(with_desk(telegram_config(config, fake))) as bot:
        crew = 5401
        fake.message(crew, "/staff When can we pick up the permit?")
        await answered(fake, crew, 1)
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        thread = fake.topics(DESK)[0]["message_thread_id"]
        update = fake.message(DESK, "x", chat_type="supergroup", user_id=STAFF)
        staff_message = {**update["message"], "message_id": 777, "message_thread_id": thread,
                         "is_topic_message": True, "text": "On Monday at 9:00."}
        staff_message.pop("entities", None)
        fake.inject({"update_id": update["update_id"] + 10_000, "message": staff_message})
        (_, relayed) = await answered(fake, crew, 2)
        assert "Monday" in relayed["plain_text"]
        await bot.app.settled()

        async def copy_sent() -> bool:
            async with bot.app.db.session() as session:
                rows = (await session.scalars(select(Message.status).where(
                    Message.direction == "out"))).all()
                return "sending" not in rows and "pending" not in rows
        await wait_until(copy_sent)
        fake.inject({"update_id": update["update_id"] + 10_001, "edited_message": {
            **staff_message, "text": "On Tuesday at 9:00.", "edit_date": 1_800_000_000}})
        await fake.wait_for(lambda f: "Tuesday" in (f.sent(crew)[1]["plain_text"] or ""))
        assert len(fake.sent(crew)) == 2  # edited in place, not sent again
        assert fake.sent(crew)[1]["edited"] >= 1


async def test_a_desk_without_topics_answers_by_replying_to_the_card(
        config: Config, fake: FakeTelegram) -> None:
    fake.fail("createForumTopic", status=400, description="Bad Request: the chat is not a forum",
              times=100)
    async with running(with_desk(telegram_config(config, fake))):
        crew = 5501
        fake.message(crew, "/staff Can we film inside Hue citadel at night?")
        await answered(fake, crew, 1)
        await fake.wait_for(lambda f: bool(f.sent(DESK)))
        (card,) = fake.sent(DESK)
        assert card["message_thread_id"] is None and "Hue citadel" in card["plain_text"]
        fake.message(DESK, "Only with the Hue Monuments Conservation Centre's consent.",
                     chat_type="group", user_id=STAFF, reply_to_bot=True)
        fake.message(DESK, "general chatter, not a reply", chat_type="group", user_id=STAFF)
        (_, relayed) = await answered(fake, crew, 2)
        assert "Conservation Centre" in relayed["plain_text"]
        fake.message(crew, "Thank you!")
        await fake.wait_for(lambda f: any("Thank you!" in (m["plain_text"] or "")
                                          for m in f.sent(DESK)))
        assert len(fake.sent(crew)) == 3  # the relay and the "passed on" line only


async def test_quoted_replies_keep_their_quote_on_the_other_side(
        config: Config, fake: FakeTelegram) -> None:
    async with running(with_desk(telegram_config(config, fake))) as bot:
        crew = 5601
        fake.message(crew, "/staff About our shooting schedule")
        await answered(fake, crew, 1)
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        thread = fake.topics(DESK)[0]["message_thread_id"]
        original = fake.message(crew, "Day 1 is Ha Long, day 2 Cat Ba.")["message"]
        await fake.wait_for(lambda f: any("Cat Ba" in t for t in desk_texts(f, thread)))
        await bot.app.settled()
        copy = next(m for m in fake.sent(DESK) if "Cat Ba" in (m["plain_text"] or ""))

        async def all_sent() -> bool:
            async with bot.app.db.session() as session:
                statuses = (await session.scalars(select(Message.status).where(
                    Message.direction == "out"))).all()
                return not {"pending", "sending"} & set(statuses)
        await wait_until(all_sent)
        update = fake.message(DESK, "x", chat_type="supergroup", user_id=STAFF)
        staff_message = {**update["message"], "message_id": 880, "message_thread_id": thread,
                         "is_topic_message": True, "text": "Cat Ba needs a separate permit.",
                         "reply_to_message": {"message_id": copy["message_id"], "date": 1,
                                              "chat": update["message"]["chat"],
                                              "text": copy["plain_text"]}}
        staff_message.pop("entities", None)
        fake.inject({"update_id": update["update_id"] + 10_000, "message": staff_message})
        await fake.wait_for(lambda f: any("separate permit" in (m["plain_text"] or "")
                                          for m in f.sent(crew)))
        answer = next(m for m in fake.sent(crew) if "separate permit" in (m["plain_text"] or ""))
        assert answer["reply_to_message_id"] == original["message_id"]
        await wait_until(all_sent)
        # The crew replies to that answer: the desk's copy quotes the staff's message.
        reply = fake.message(crew, "Which office issues it?")
        fake.inject({"update_id": reply["update_id"] + 10_000, "message": {
            **reply["message"], "message_id": reply["message"]["message_id"] + 100,
            "text": "Which office issues it, please?",
            "reply_to_message": {"message_id": answer["message_id"], "date": 1,
                                 "chat": reply["message"]["chat"], "text": "…"}}})
        await fake.wait_for(lambda f: any("issues it, please" in (m["plain_text"] or "")
                                          for m in f.sent(DESK)))
        quoted = next(m for m in fake.sent(DESK)
                      if "issues it, please" in (m["plain_text"] or ""))
        assert quoted["reply_to_message_id"] == 880


async def test_a_deleted_topic_is_made_anew_and_crews_stay_apart(
        config: Config, fake: FakeTelegram) -> None:
    async with running(with_desk(telegram_config(config, fake))):
        first, second = 5701, 5702
        fake.message(first, "/staff Question from the first crew")
        fake.message(second, "/staff Question from the second crew")
        await answered(fake, first, 1)
        await answered(fake, second, 1)
        await fake.wait_for(lambda f: len(f.topics(DESK)) == 2 and len(f.sent(DESK)) >= 2)
        assert len({t["message_thread_id"] for t in fake.topics(DESK)}) == 2  # one each
        first_thread = next(m["message_thread_id"] for m in fake.sent(DESK)
                            if "first crew" in (m["plain_text"] or ""))
        second_thread = next(m["message_thread_id"] for m in fake.sent(DESK)
                             if "second crew" in (m["plain_text"] or ""))
        in_topic(fake, first_thread, "For the first crew only.", STAFF)
        await answered(fake, first, 2)
        fake.delete_topic(DESK, first_thread)  # staff tidied the forum
        fake.message(first, "One more detail from the first crew")
        await fake.wait_for(lambda f: len(f.topics(DESK)) == 2 and any(
            "One more detail" in (m["plain_text"] or "") for m in f.sent(DESK)))
        renewed = next(m["message_thread_id"] for m in fake.sent(DESK)
                       if "One more detail" in (m["plain_text"] or ""))
        assert renewed not in (first_thread, second_thread)
        assert first_thread != second_thread
        assert not any("first crew only" in (m["plain_text"] or "")
                       for m in fake.sent(second))


# -- a staff member's files for a crew on Zalo ------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 800  # ~200 KB
PDF = b"%PDF-1.7\n" + b"visa form " * 30_000 + b"\n%%EOF\n"  # ~300 KB


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as server:
        yield server


@pytest.fixture
async def zbot() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot() as server:
        yield server


def staff_file(fake: FakeTelegram, thread: int, *, photo: str = "", document: str = "",
               name: str = "", caption: str = "") -> None:
    """A staff member's photo (by file id) or document in the topic, as Telegram sends it."""
    update = fake.message(DESK, "x", chat_type="supergroup", user_id=STAFF)
    message = {k: v for k, v in update["message"].items() if k not in ("text", "entities")}
    message.update(message_id=message["message_id"] + 10_000, message_thread_id=thread,
                   is_topic_message=True, chat={**message["chat"], "is_forum": True})
    if photo:
        message["photo"] = [{"file_id": f"{photo}-small", "file_unique_id": "s",
                             "width": 90, "height": 60},
                            {"file_id": photo, "file_unique_id": "l", "width": 1280,
                             "height": 853}]
    if document:
        message["document"] = {"file_id": document, "file_unique_id": "d",
                               "file_name": name}
    if caption:
        message["caption"] = caption
    fake.inject({"update_id": update["update_id"] + 10_000, "message": message})


def file_note(text: str) -> bool:
    """The topic's word that a file did not reach the crew (in the desk's language)."""
    return text.startswith("⚠️") and "e-mail" in text


async def all_sent(bot: Any) -> bool:
    async with bot.app.db.session() as session:
        statuses = (await session.scalars(select(Message.status).where(
            Message.direction == "out"))).all()
    return not {"pending", "sending"} & set(statuses)


async def zalo_escalation(bot: Any, oa: FakeZaloOA, fake: FakeTelegram, crew: str) -> int:
    """A Zalo OA crew asks for staff; the topic's thread id."""
    assert await oa.post_event(hook(bot), oa.text_event(
        crew, "/staff Cho hỏi mẫu đơn xin thị thực cho đoàn làm phim")) == 200
    await zalo_answered(oa, crew, 1)
    await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
    return int(fake.topics(DESK)[0]["message_thread_id"])


async def test_a_staff_photo_and_pdf_reach_a_zalo_crew_uploaded_once(
        config: Config, fake: FakeTelegram, oa: FakeZaloOA) -> None:
    """Fetched from Telegram only because they cross, uploaded to Zalo, sent by the id
    Zalo handed out: one upload and one message each, with the very bytes."""
    fake.add_file("staff-photo", JPEG, "photos/file_7.jpg")
    fake.add_file("staff-form", PDF, "documents/file_8.pdf")
    async with running(with_desk(oa_config(telegram_config(config, fake), oa))) as bot:
        crew = "zalo-crew-files"
        thread = await zalo_escalation(bot, oa, fake, crew)
        staff_file(fake, thread, photo="staff-photo")
        await oa.wait_for(lambda: len(oa.attachments_to(crew)) == 1)
        staff_file(fake, thread, document="staff-form", name="Tờ khai NA5.pdf",
                   caption="Please fill in this form.")
        await oa.wait_for(lambda: any("fill in" in t for t in oa.texts(crew)))
        await bot.app.settled()
        await wait_until(lambda: all_sent(bot))

        image, form = oa.uploads
        assert (image.kind, image.content_type, image.data) == ("image", "image/jpeg", JPEG)
        assert image.filename.endswith(".jpg")
        assert (form.kind, form.filename, form.content_type, form.data) == (
            "file", "Tờ khai NA5.pdf", "application/pdf", PDF)
        assert oa.attachments_to(crew) == [("image", image), ("file", form)]  # once each
        assert len(oa.calls_to("upload/image")) == len(oa.calls_to("upload/file")) == 1
        assert fake.downloads == ["staff-photo", "staff-form"]
        # The file first, then the staff's words, labelled, once; a photo sent without
        # words gets no empty label of its own.
        after_form = [sent.message.get("text", "") for sent in oa.sent_to(crew)][2:]
        assert after_form[1:] == [after_form[1]] and "fill in" in after_form[1]
        assert "Cục Điện ảnh" in after_form[1]
        assert len(oa.sent_to(crew)) == 4  # the "passed on" line, the photo, file, words
        assert not any(file_note(t) for t in desk_texts(fake, thread))
        async with bot.app.db.session() as session:
            kept = [m.text for m in (await session.scalars(select(EscalationMessage)
                    .where(EscalationMessage.direction == "staff"))).all()]
        assert kept == ["[photo]", "[document] Please fill in this form."]


async def test_a_file_zalo_will_not_take_is_said_in_the_topic_and_nothing_reaches_zalo(
        config: Config, fake: FakeTelegram, oa: FakeZaloOA) -> None:
    """Too big for Zalo (refused before it is even downloaded), or of a type Zalo does
    not take: the topic says so in plain words; the crew gets the words only."""
    fake.add_file("big-scan", b"%PDF-1.4\n" + bytes(6_800_000), "documents/file_9.pdf")
    fake.add_file("budget", b"PK\x03\x04" + bytes(2000), "documents/file_10.xlsx")
    async with running(with_desk(oa_config(telegram_config(config, fake), oa))) as bot:
        crew = "zalo-crew-big"
        thread = await zalo_escalation(bot, oa, fake, crew)
        staff_file(fake, thread, document="big-scan", name="scan.pdf")
        await fake.wait_for(lambda f: any(file_note(t) and "5 MB" in t
                                          for t in desk_texts(f, thread)))
        note = next(t for t in desk_texts(fake, thread) if file_note(t))
        # The desk's words (Vietnamese here, as the card), then the reason.
        assert note.startswith("⚠️ Đoàn phim này nhắn qua zalo") and "e-mail" in note
        assert note.endswith("(scan.pdf is 6.5 MB; Zalo takes files up to 5 MB)")
        staff_file(fake, thread, document="budget", name="budget.xlsx",
                   caption="The budget is attached.")
        await oa.wait_for(lambda: any("budget is attached" in t for t in oa.texts(crew)))
        await fake.wait_for(lambda f: any("budget.xlsx" in t
                                          for t in desk_texts(f, thread)))
        await bot.app.settled()
        await wait_until(lambda: all_sent(bot))
        assert not fake.downloads  # neither was worth fetching
        assert not oa.uploads and not oa.calls_to("upload/file")
        assert not oa.attachments_to(crew)
        assert len(oa.sent_to(crew)) == 2  # the "passed on" line and the words


async def test_a_failed_download_or_upload_is_retried_and_the_file_arrives_once(
        config: Config, fake: FakeTelegram, oa: FakeZaloOA) -> None:
    fake.add_file("staff-form", PDF, "documents/file_11.pdf")
    fake.fail("downloadFile", status=502)
    oa.fail("upload/file", 503)
    async with running(with_desk(oa_config(telegram_config(config, fake), oa))) as bot:
        crew = "zalo-crew-retry"
        thread = await zalo_escalation(bot, oa, fake, crew)
        staff_file(fake, thread, document="staff-form", name="form.pdf")
        await oa.wait_for(lambda: len(oa.attachments_to(crew)) == 1)
        await bot.app.settled()
        await wait_until(lambda: all_sent(bot))
        assert len(oa.uploads) == 1 and oa.uploads[0].data == PDF
        assert len(oa.calls_to("upload/file")) == 2  # the 503, then the upload
        assert fake.downloads == ["staff-form", "staff-form"]  # the 502 was not served
        assert len(fake.calls_to("downloadFile")) == 3
        assert len(oa.attachments_to(crew)) == 1
        assert not any(file_note(t) for t in desk_texts(fake, thread))


async def test_a_zalo_bot_platform_crew_gets_the_words_and_the_topic_says_why_not_the_file(
        config: Config, fake: FakeTelegram, zbot: FakeZaloBot) -> None:
    """The Bot Platform takes a photo only by a public link: the file stays, with the
    reason in the topic; nothing is downloaded."""
    fake.add_file("staff-photo", JPEG, "photos/file_12.jpg")
    async with running(with_desk(bot_config(telegram_config(config, fake), zbot))) as bot:
        crew = "zalo-bot-crew"
        await zbot.inject_text(crew, "/staff Cho hỏi giấy phép quay flycam ở Đà Nẵng")
        await zbot.wait_for(lambda: len(zbot.texts(crew)) >= 1)
        await fake.wait_for(lambda f: bool(f.topics(DESK)) and bool(f.sent(DESK)))
        thread = fake.topics(DESK)[0]["message_thread_id"]
        staff_file(fake, thread, photo="staff-photo", caption="Đây là bản đồ vùng cấm.")
        await zbot.wait_for(lambda: any("vùng cấm" in t for t in zbot.texts(crew)))
        await fake.wait_for(lambda f: any(file_note(t) and "Bot Platform" in t
                                          for t in desk_texts(f, thread)))
        await bot.app.settled()
        assert not zbot.calls_to("sendPhoto") and not fake.downloads
