"""The core flow through the real router, handlers, services and database."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from bot.messages import Incoming
from bot.router import Context
from bot.storage.models import Chat, Message
from tests.conftest import Conversation

LANGUAGE_LABELS = ["English", "Tiếng Việt", "한국어", "日本語", "中文（简体）", "Français"]


async def test_start_offers_languages_then_menu_in_that_language(
        conversation: Conversation) -> None:
    replies = await conversation.say("/start")
    assert [b.label for b in replies[0].all_buttons()] == LANGUAGE_LABELS
    menu = await conversation.press(replies, "Tiếng Việt")
    labels = [b.label for b in menu[0].all_buttons()]
    assert "Đã chuyển sang tiếng Việt." in menu[0].text or menu[0].text.startswith("Đã")
    assert len(labels) == 6
    assert "Permits" not in labels  # translated, not English
    assert menu[0].edit


async def test_language_is_remembered(conversation: Conversation, app: App) -> None:
    await conversation.say(action="lang:ko")
    replies = await conversation.say("/menu")
    async with app.db.session() as session:
        chat = (await session.execute(select(Chat))).scalar_one()
    assert chat.language == "ko"
    assert "Permits" not in [b.label for b in replies[0].all_buttons()]


async def test_language_command_with_argument_and_usage(conversation: Conversation) -> None:
    replies = await conversation.say("/language fr")
    assert len(replies) == 2 and "français" in replies[0].text.lower()
    usage = await conversation.say("/language xx")
    assert "/language [en|vi|ko|ja|zh|fr]" in usage[0].text


async def test_unknown_command_gets_usage_in_users_language(conversation: Conversation) -> None:
    await conversation.say(action="lang:vi")
    replies = await conversation.say("/frobnicate")
    assert "/frobnicate" in replies[0].text
    assert "/start" in replies[0].text
    assert "Usage" not in replies[0].text  # Vietnamese, not English


async def test_help_lists_commands(conversation: Conversation) -> None:
    replies = await conversation.say("/help")
    for command in ("/start", "/menu", "/language", "/help"):
        assert command in replies[0].text


async def test_browse_menus(conversation: Conversation) -> None:
    menu = await conversation.say("/menu")
    permits = await conversation.press(menu, "Permits")
    assert len(permits[0].all_buttons()) > 10
    drone = await conversation.press(permits, "Flying a drone (flycam)")
    # The short answer first; the sources and the details a button away.
    assert "Yes, but only" in drone[0].text and "http" not in drone[0].text
    sources = await conversation.press(drone, "Sources")
    assert "Sources" in sources[0].text and "https://" in sources[0].text
    details = await conversation.press(drone, "Details")
    assert len(details) >= 2 and all(len(r.text) <= 1800 for r in details)
    assert details[-1].all_buttons()[0].label == "Sources"
    locations = await conversation.press(menu, "Locations")
    north = await conversation.press(locations, "Northern Vietnam")
    titles = [b.label for b in north[0].all_buttons()]
    assert any("Ha Long" in t or "Hạ Long" in t for t in titles)
    vendors = await conversation.press(menu, "Vendors")
    rental = await conversation.press(vendors, "Equipment rental")
    listed = await conversation.press(rental, "Details")
    assert "sample" in " ".join(r.text for r in listed).lower()


async def test_every_message_is_stored_in_and_out(conversation: Conversation,
                                                  app: App) -> None:
    await conversation.say("/start")
    await conversation.say("Can I fly a drone?")
    async with app.db.session() as session:
        rows = (await session.execute(select(Message).order_by(Message.id))).scalars().all()
    directions = [row.direction for row in rows]
    assert directions.count("in") == 2
    assert directions.count("out") >= 2
    assert rows[0].text == "/start"


async def test_duplicate_update_answered_once(conversation: Conversation) -> None:
    first = await conversation.say("/help", update_id="555")
    second = await conversation.say("/help", update_id="555")
    assert first and second == []


async def test_handler_crash_gives_apology_and_bot_keeps_working(
        conversation: Conversation, app: App) -> None:
    async def broken(ctx: Context) -> list:  # type: ignore[type-arg]
        raise RuntimeError("boom")

    app.router.command("broken", broken)
    await conversation.say(action="lang:fr")
    replies = await conversation.say("/broken")
    assert len(replies) == 1 and "Sorry" not in replies[0].text  # French apology
    assert (await conversation.say("/help"))[0].text


async def test_talk_to_staff_without_a_desk_and_no_application_are_honest(
        conversation: Conversation) -> None:
    menu = await conversation.say("/menu")
    staff = await conversation.press(menu, "Talk to staff")
    assert "not connected" in staff[0].text
    application = await conversation.press(menu, "My application")
    assert "You don't follow any application yet" in application[0].text


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), action=st.sampled_from(
    ["", "lang:", "lang:xx", "browse:", "browse:locations:mars", "article:nope", "menu:",
     "staff:talk", "nope:nope", "application:"]))
async def test_arbitrary_input_never_crashes(app: App, text: str, action: str) -> None:
    incoming = Incoming(channel="prop", chat_id="p", user_id="p", text=text, action=action)
    replies = await app.handle(incoming)
    for reply in replies:
        assert "Sorry, something went wrong" not in reply.text


async def test_deep_links_pick_a_language_or_open_an_article(conversation: Conversation
                                                             ) -> None:
    replies = await conversation.say("/start ko")
    assert replies[0].text == "언어가 한국어로 설정되었습니다."
    replies = await conversation.say("/start permit_drone")
    assert any("드론" in reply.text for reply in replies)
    assert any(button.action == "staff:talk" for reply in replies
               for button in reply.all_buttons())
    replies = await conversation.say("/start no_such_thing")
    assert any(button.action.startswith("lang:") for button in replies[0].all_buttons())


async def test_a_greeting_opens_the_menu_in_its_language(conversation: Conversation) -> None:
    replies = await conversation.say("안녕하세요!")
    assert replies[0].text.startswith("무엇이 궁금하신가요?")
    assert any(button.action == "browse:permits" for button in replies[0].all_buttons())
    replies = await conversation.say("Hello there")
    assert replies[0].text.startswith("What would you like to know?")


def test_a_table_reaches_a_phone_as_a_list() -> None:
    from handlers.wording import tables_as_lists

    text = "Holidays:\n\n| Holiday | Days | Date |\n|---|---|---|\n| New Year | 1 | 1 January |\n" \
           "| Tết | 5 | lunar |\n\nAfter."
    assert tables_as_lists(text) == ("Holidays:\n\n- New Year (Days: 1; Date: 1 January)\n"
                                     "- Tết (Days: 5; Date: lunar)\n\nAfter.")
    assert tables_as_lists("a | b, not a table") == "a | b, not a table"


async def test_the_holidays_details_show_no_table(conversation: Conversation) -> None:
    replies = await conversation.say(action="details:practical.holidays")
    text = "\n".join(r.text for r in replies)
    assert "|---" not in text and "| Holiday |" not in text and "- National Day" in text
