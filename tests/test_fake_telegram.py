"""The fake Bot API, driven by the real python-telegram-bot over HTTP.

The channel's end-to-end tests trust this fake to answer like Telegram and to turn into the
same PTB exceptions, so those are checked here against PTB itself rather than assumed.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import (
    NOT_MODIFIED,
    SECRET_HEADER,
    FakeTelegram,
    HtmlParseError,
    parse_html,
)

CHAT = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def plain_http(**kwargs: Any) -> HTTPXRequest:
    """PTB's own request class; without TLS verification it skips loading CA certificates,
    which is most of the cost of building a Bot (the fake speaks plain HTTP anyway)."""
    return HTTPXRequest(httpx_kwargs={"verify": False}, **kwargs)


def local_bot(fake: FakeTelegram, **request: Any) -> Bot:
    return Bot(fake.token, base_url=fake.base_url, request=plain_http(**request),
               get_updates_request=plain_http())


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with local_bot(fake) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d)
                                  for d in data]])


class Receiver:
    """A stand-in for the bot's webhook endpoint: records posts, answers scripted statuses."""

    def __init__(self, secret: str | None = None, statuses: list[int] | None = None) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get(SECRET_HEADER)
        if self.secret is not None and header != self.secret:
            return web.Response(status=403)
        self.received.append((await request.json(), header))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({}, status=status)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after  # int or timedelta, depending on PTB_TIMEDELTA
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --- Basics.

async def test_get_me_and_bad_token(fake: FakeTelegram, bot: Bot) -> None:
    assert (bot.id, bot.username) == (123456, "crewbot_test_bot")
    assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/bot")
    assert [c.status for c in fake.calls_to("getMe")] == [200]
    stranger = Bot("999:WRONG", base_url=fake.base_url)  # PTB's default requests
    with pytest.raises(InvalidToken, match="rejected"):
        await stranger.initialize()  # 401 Unauthorized
    await stranger.shutdown()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert fake.calls_to("noSuchMethod")[0].failed


async def test_send_message_round_trips_html_and_keyboard(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        CHAT, "<b>Permit</b> 🎬 for <a href=\"https://x.vn/?a=1&amp;b=2\">Hội An</a> &lt;3",
        parse_mode=ParseMode.HTML, reply_markup=keyboard("yes", "no"),
        link_preview_options=LinkPreviewOptions(is_disabled=True))
    assert sent.text == "Permit 🎬 for Hội An <3"
    assert sent.parse_entities([MessageEntityType.TEXT_LINK]) == {
        sent.entities[1]: "Hội An"}
    assert sent.entities[1].url == "https://x.vn/?a=1&b=2"
    assert sent.reply_markup == keyboard("yes", "no")
    assert sent.from_user is not None and sent.from_user.id == fake.bot_id

    [held] = fake.sent(CHAT)
    assert held["message_id"] == sent.message_id
    assert held["text"].startswith("<b>Permit</b>")
    assert held["parse_mode"] == "HTML" and held["kind"] == "text" and held["edited"] == 0
    assert held["reply_markup"] == {"inline_keyboard": [[
        {"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]}
    assert held["link_preview_options"] == {"is_disabled": True}
    assert fake.delivered(CHAT) == fake.sent(CHAT) and fake.sent(CHAT + 1) == []
    # Parameters are decoded from PTB's form encoding.
    params = fake.calls_to("sendMessage")[0].params
    assert params["chat_id"] == CHAT and isinstance(params["reply_markup"], dict)

    second = await bot.send_message(CHAT, "again", reply_parameters=ReplyParameters(
        sent.message_id))
    assert second.message_id == sent.message_id + 1
    assert second.reply_to_message is not None
    assert second.reply_to_message.message_id == sent.message_id


@pytest.mark.parametrize(("text", "fragment"), [
    ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
    ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
])
async def test_bad_html_is_refused(fake: FakeTelegram, bot: Bot, text: str,
                                   fragment: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalize()s the rest, which lowercases it.
    assert fragment.lower() in caught.value.message.lower()
    assert fake.sent() == [] and fake.calls[-1].failed


async def test_text_and_button_validation(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "  ")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b></b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    # The limit counts the text after markup is parsed away.
    await bot.send_message(CHAT, f"<b>{'x' * 4096}</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "hi", reply_markup=keyboard("é" * 33))
    await bot.send_message(CHAT, "hi", reply_markup=keyboard("x" * 64))
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "hi", reply_to_message_id=999)
    assert [m["message_id"] for m in fake.sent(CHAT)] == [1, 2]


def test_html_parser_offsets_in_utf16() -> None:
    text, entities = parse_html(
        '😀 <b>x<i>y</i></b> <pre><code class="language-python">p</code></pre> '
        '<blockquote expandable>q</blockquote> <tg-spoiler>s</tg-spoiler> &#x1F600;&amp;&nbsp;')
    assert text == "😀 xy p q s 😀&&nbsp;"
    assert entities == [
        {"offset": 3, "length": 2, "type": "bold"},
        {"offset": 4, "length": 1, "type": "italic"},
        {"offset": 6, "length": 1, "type": "pre", "language": "python"},
        {"offset": 8, "length": 1, "type": "expandable_blockquote"},
        {"offset": 10, "length": 1, "type": "spoiler"},
    ]
    with pytest.raises(HtmlParseError, match="Unexpected end tag at byte offset 0"):
        parse_html("</b>")


async def test_json_bodies_and_query_strings_are_understood(fake: FakeTelegram) -> None:
    url = f"{fake.base_url}{fake.token}"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/sendmessage", json={
                "chat_id": str(CHAT), "text": "json", "reply_markup": markup}) as resp:
            body = await resp.json()
        assert body["ok"] and body["result"]["reply_markup"] == markup
        async with http.get(f"{url}/sendMessage", params={"chat_id": CHAT, "text": "123"}) as resp:
            assert (await resp.json())["result"]["text"] == "123"
        async with http.post(f"{url}/sendMessage", data={"chat_id": CHAT}) as resp:
            assert resp.status == 400
            assert await resp.json() == {"ok": False, "error_code": 400,
                                         "description": "Bad Request: message text is empty"}
        async with http.post(f"{url}/nope") as resp:
            assert (resp.status, await resp.json()) == (404, {
                "ok": False, "error_code": 404, "description": "Not Found"})
    assert [(m["text"], m["reply_markup"]) for m in fake.sent(CHAT)] == [
        ("json", markup), ("123", None)]
    assert [c.method for c in fake.calls] == ["sendMessage"] * 3 + ["nope"]


# --- Updates.

async def test_get_updates_serves_messages_and_callbacks_and_honours_offset(
        fake: FakeTelegram, bot: Bot) -> None:
    menu = await bot.send_message(CHAT, "Pick one", reply_markup=keyboard("permits"))
    first = fake.message(CHAT, "/start@crewbot_test_bot ja", language_code="ja")
    fake.callback(CHAT, "permits", message_id=menu.message_id)
    fake.location(CHAT, 16.07, 108.22, horizontal_accuracy=12.5)

    updates = await bot.get_updates(timeout=5)
    assert [u.update_id for u in updates] == [first["update_id"] + i for i in range(3)]
    message = updates[0].message
    assert message is not None and message.from_user is not None
    assert message.from_user.language_code == "ja" and message.from_user.id == CHAT
    assert list(message.parse_entities().values()) == ["/start@crewbot_test_bot"]
    query = updates[1].callback_query
    assert query is not None and query.data == "permits"
    assert isinstance(query.message, Message)
    assert query.message.message_id == menu.message_id
    assert query.message.reply_markup == keyboard("permits")
    assert await bot.answer_callback_query(query.id)
    assert fake.callback_answers[query.id]["callback_query_id"] == query.id
    location = updates[2].message.location if updates[2].message else None
    assert location is not None and location.horizontal_accuracy == 12.5

    # Unconfirmed updates are served again; a confirming offset drops them.
    assert len(await bot.get_updates(timeout=0)) == 3
    assert await bot.get_updates(offset=updates[1].update_id + 1, timeout=0) == (updates[2],)
    assert await bot.get_updates(offset=updates[2].update_id + 1, timeout=0) == ()
    assert fake.pending_updates() == []
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("nope")


async def test_group_mentions_replies_and_limit(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(-100777, "I am here")
    fake.message(-100777, "🎥 hey @crewbot_test_bot permits?", user_id=9, chat_type="supergroup",
                 title="Crew chat")
    fake.message(-100777, "thanks", user_id=9, chat_type="supergroup", reply_to_bot=True)
    [mention] = await bot.get_updates(limit=1)
    assert mention.message is not None and mention.message.chat.title == "Crew chat"
    assert list(mention.message.parse_entities([MessageEntityType.MENTION]).values()) == [
        "@crewbot_test_bot"]
    [reply] = await bot.get_updates(offset=mention.update_id + 1)
    replied = reply.message.reply_to_message if reply.message else None
    assert replied is not None and replied.from_user is not None
    assert replied.from_user.id == fake.bot_id and replied.text == "I am here"


async def test_duplicate_injection_is_delivered_again(fake: FakeTelegram, bot: Bot) -> None:
    update = fake.message(CHAT, "hello")
    [got] = await bot.get_updates(timeout=0)
    assert await bot.get_updates(offset=got.update_id + 1, timeout=0) == ()
    fake.inject(update)  # Telegram redelivering after a lost confirmation
    [again] = await bot.get_updates(offset=got.update_id + 1, timeout=0)
    assert again == got
    fake.inject({"update_id": 500, "message": {"message_id": 77, "date": 0, "text": "raw",
                                               "chat": {"id": 5, "type": "private"}}})
    # The duplicate was served above, so that same offset now confirms it.
    assert [u.update_id for u in await bot.get_updates(offset=got.update_id + 1)] == [500]
    assert fake.message(CHAT, "next")["update_id"] == 501


async def test_long_poll_returns_when_an_update_is_injected(fake: FakeTelegram,
                                                            bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await fake.wait_for(lambda f: any(not c.answered for c in f.calls_to("getUpdates")))
    fake.message(CHAT, "wake up")
    updates = await asyncio.wait_for(poll, 15)
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    # An empty long poll with timeout 0 answers at once with nothing.
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_a_second_poller_terminates_the_first(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await fake.wait_for(lambda f: len(f.calls_to("getUpdates")) == 1)
    # Another Bot: PTB's own getUpdates connection pool has room for one request only.
    async with local_bot(fake) as twin:
        second = asyncio.create_task(twin.get_updates(timeout=30, read_timeout=40))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, 15)
        fake.message(CHAT, "for the survivor")
        assert len(await asyncio.wait_for(second, 15)) == 1


# --- Errors as PTB sees them.

@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_becomes_retry_after_once(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "hi")
    assert retry_seconds(caught.value) == 7
    await bot.send_message(CHAT, "hi")  # times=1: the next one goes through
    assert [(c.status, c.failed) for c in fake.calls_to("sendMessage")] == [
        (429, True), (200, False)]
    assert [m["text"] for m in fake.delivered(CHAT)] == ["hi"]


async def test_403_500_502_and_400_map_to_ptb_errors(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail("sendMessage", status=403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    fake.fail("sendMessage", status=500)
    with pytest.raises(NetworkError) as server_error:
        await bot.send_message(CHAT, "x")
    assert type(server_error.value) is NetworkError  # not BadRequest, its subclass
    fake.fail("sendMessage", status=502)  # nginx's HTML page, not JSON
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "x")
    fake.fail("sendMessage", status=400, chat_id=CHAT + 1, times=2)
    await bot.send_message(CHAT, "other chats are not affected")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(CHAT + 1, "x")
    assert [m["text"] for m in fake.delivered()] == ["other chats are not affected"]
    assert sum(c.failed for c in fake.calls_to("sendMessage")) == 4


async def test_block_and_unblock(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    with pytest.raises(Forbidden):
        await bot.send_location(CHAT, 10.0, 106.0)
    await bot.send_message(CHAT + 1, "not blocked")
    fake.unblock(CHAT)
    await bot.send_message(CHAT, "back")
    assert [m["text"] for m in fake.delivered()] == ["not blocked", "back"]


async def test_delay_lets_the_client_time_out(fake: FakeTelegram) -> None:
    fake.delay("sendMessage", 30)
    async with local_bot(fake, read_timeout=0.2) as slow:
        with pytest.raises(TimedOut):
            await slow.send_message(CHAT, "x")
        fake.delay("sendMessage", 0)
        await slow.send_message(CHAT, "y")
    assert [m["text"] for m in fake.sent()] == ["y"]


# --- Webhooks.

async def test_webhook_delivery_with_secret_and_conflict(fake: FakeTelegram, bot: Bot) -> None:
    async with Receiver(secret="s3cret") as receiver:
        assert await bot.set_webhook(receiver.url, secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == receiver.url
        sent = [fake.message(CHAT, "one"), fake.message(CHAT, "two")]
        await fake.wait_for(lambda f: len(receiver.received) == 2)
        assert receiver.received == [(u, "s3cret") for u in sent]
        assert Update.de_json(receiver.received[0][0], bot).message is not None
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert await fake.post_webhook(sent[0], "wrong") == 403
        assert await fake.post_webhook(sent[0], None) == 403
        assert await fake.post_webhook(sent[0], "s3cret") == 200
        await fake.wait_for(lambda f: not f.pending_updates())

        assert await bot.delete_webhook()
        fake.message(CHAT, "polled")
        assert [u.message.text for u in await bot.get_updates() if u.message] == ["polled"]


async def test_webhook_retries_on_errors(fake: FakeTelegram, bot: Bot) -> None:
    fake.webhook_retry_delay = 0
    async with Receiver(statuses=[500, 502, 200, 500, 500, 500, 500]) as receiver:
        await bot.set_webhook(receiver.url)
        update = fake.message(CHAT, "retry me")
        dropped = fake.message(CHAT, "gives up")
        await fake.wait_for(lambda f: len(f.webhook_deliveries) == 7)
        assert [(d.status, d.attempt) for d in fake.webhook_deliveries] == [
            (500, 1), (502, 2), (200, 3), (500, 1), (500, 2), (500, 3), (500, 4)]
        assert all(header is None for _, header in receiver.received)
        await fake.wait_for(lambda f: f.webhook_dropped == [dropped])
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 500 " \
                                          "Internal Server Error"
        assert receiver.received[2][0] == update


async def test_pending_updates_survive_a_switch_to_polling(fake: FakeTelegram,
                                                           bot: Bot) -> None:
    fake.message(CHAT, "before")
    await bot.set_webhook("http://127.0.0.1:9/unreachable", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await bot.delete_webhook()
    fake.message(CHAT, "kept")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


# --- Other methods.

async def test_commands_per_language_and_scope(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")], language_code="vi")
    await bot.set_my_commands([BotCommand("permits", "Permits")],
                              scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="vi")] == [
        "Bắt đầu"]
    assert await bot.get_my_commands(language_code="ko") == ()
    assert fake.commands("vi") == [{"command": "start", "description": "Bắt đầu"}]
    assert fake.commands(scope="all_private_chats") == [
        {"command": "permits", "description": "Permits"}]
    await bot.delete_my_commands(language_code="vi")
    assert fake.commands("vi") == []
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await bot.set_my_description("Film permits in Vietnam", language_code="en")
    assert (await bot.get_my_description("en")).description == "Film permits in Vietnam"
    assert await bot.set_my_short_description("Permits")


async def test_edit_message_text_and_markup(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "<i>Step 1</i>", parse_mode=ParseMode.HTML,
                                  reply_markup=keyboard("next"))
    edited = await bot.edit_message_text("<i>Step 2</i>", CHAT, sent.message_id,
                                         parse_mode=ParseMode.HTML,
                                         reply_markup=keyboard("next"))
    assert not isinstance(edited, bool)
    assert edited.text == "Step 2" and edited.edit_date is not None
    [held] = fake.sent(CHAT)
    assert (held["text"], held["edited"]) == ("<i>Step 2</i>", 1)

    with pytest.raises(BadRequest, match=r"(?i)message is not modified") as same:
        await bot.edit_message_text("<i>Step 2</i>", CHAT, sent.message_id,
                                    parse_mode=ParseMode.HTML, reply_markup=keyboard("next"))
    assert same.value.message == NOT_MODIFIED.removeprefix("Bad Request: ").capitalize()
    # Same text without the keyboard is a change: the keyboard goes away, as in Telegram.
    await bot.edit_message_text("<i>Step 2</i>", CHAT, sent.message_id,
                                parse_mode=ParseMode.HTML)
    assert fake.sent(CHAT)[0]["reply_markup"] is None
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("a"))
    assert fake.sent(CHAT)[0]["edited"] == 3

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 999)
    incoming = fake.message(CHAT, "mine")["message"]["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", CHAT, incoming)

    assert await bot.delete_message(CHAT, sent.message_id)
    assert fake.sent(CHAT) == [] and fake.deleted[0]["message_id"] == sent.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)


async def test_location_venue_photo_action_topic_chat(fake: FakeTelegram, bot: Bot) -> None:
    pin = await bot.send_location(CHAT, 21.0285, 105.8542)
    assert pin.location is not None and pin.location.latitude == 21.0285
    venue = await bot.send_venue(CHAT, 16.0544, 108.2022, "Dragon Bridge", "Đà Nẵng")
    assert venue.venue is not None and venue.venue.title == "Dragon Bridge"
    by_url = await bot.send_photo(CHAT, "https://example.com/p.jpg", caption="<b>Set</b>",
                                  parse_mode=ParseMode.HTML, reply_markup=keyboard("more"))
    assert by_url.caption == "Set" and by_url.photo and by_url.reply_markup is not None
    uploaded = await bot.send_photo(CHAT, b"\x89PNG not really", filename="set.png")
    assert uploaded.photo
    assert fake.uploads == [("set.png", b"\x89PNG not really")]
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(CHAT, "https://example.com/p.jpg", caption="x" * 1025)
    assert await bot.send_chat_action(CHAT, "typing")

    assert [m["kind"] for m in fake.sent(CHAT)] == ["location", "venue", "photo", "photo"]
    assert fake.sent(CHAT)[0]["location"] == {"latitude": 21.0285, "longitude": 105.8542}
    assert fake.sent(CHAT)[2]["text"] == "<b>Set</b>"

    topic = await bot.create_forum_topic(-100555, "Night shoot")
    in_topic = await bot.send_message(-100555, "call sheet",
                                      message_thread_id=topic.message_thread_id)
    assert in_topic.message_thread_id == topic.message_thread_id
    assert fake.sent(-100555)[0]["message_thread_id"] == topic.message_thread_id
    chat = await bot.get_chat(-100555)
    assert chat.type == "supergroup"


async def test_wait_for_reports_recent_calls_on_timeout(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "only one")
    with pytest.raises(AssertionError, match="sendMessage"):
        await fake.wait_for(lambda f: len(f.sent()) == 2, timeout=0.05)
    [call] = await fake.wait_for_calls("sendMessage", 1)
    assert call.params["text"] == "only one" and call.at > 0


async def test_ptb_application_polls_and_replies(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"hello {context.args}")

    app = (Application.builder().token(fake.token).base_url(fake.base_url)
           .request(plain_http()).get_updates_request(plain_http()).build())
    app.add_handler(CommandHandler("start", start))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=10))
        await app.start()
        fake.message(CHAT, "/start crew")
        await fake.wait_for(lambda f: len(f.sent(CHAT)) == 1)
        await app.updater.stop()
        await app.stop()
    assert fake.sent(CHAT)[0]["text"] == "hello ['crew']"
    assert fake.calls_to("deleteWebhook")
