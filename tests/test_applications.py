"""The applications service: references, codes, the workflow, notices, concurrency."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services import chats
from bot.services.applications import (
    Conflict,
    MissingDetail,
    NewApplication,
    StatusChange,
    TooManyAttempts,
    TransitionRefused,
)
from bot.services.applications.codes import normalise_code
from bot.storage.models import Application, ApplicationEvent, Chat, Message
from tests.test_outbox import PlatformDouble

NEW = NewApplication(
    production_title="Rice and Rain", company="Lumière Films SAS", country="FR",
    service_company="Hanoi Fixers Co.", shoot_start=date(2027, 3, 1),
    shoot_end=date(2027, 3, 20), locations=["Ha Long Bay", "Hoi An"],
    contact_email="prod@example.com")
TODAY = date(2026, 12, 2)


async def create(app: App) -> tuple[str, str]:
    async with app.db.session() as session:
        application, code = await app.applications.create(session, NEW, "test", TODAY)
        return application.reference, code


async def chat(app: App, channel: str, external: str, language: str | None) -> Chat:
    async with app.db.session() as session:
        row = await chats.get_or_create_chat(session, channel, external, "Crew")
        row.language = language
        return row


async def move(app: App, reference: str, status: str, **details: object) -> None:
    async with app.db.session() as session:
        await app.applications.change(session, reference, StatusChange(
            status, actor="officer", **details), TODAY)  # type: ignore[arg-type]


async def test_reference_and_code_format_and_the_code_stored_only_hashed(app: App) -> None:
    first, code = await create(app)
    second, _ = await create(app)
    assert re.fullmatch(r"VN-FP-2026-\d{4}", first) and first.endswith("0001")
    assert second.endswith("0002")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", code)
    assert normalise_code(code.lower().replace("-", " ")) == code
    async with app.db.session() as session:
        row = await session.scalar(select(Application).where(Application.reference == first))
        assert row is not None and code not in row.access_code_hash
        assert row.access_code_hash.startswith("$argon2")


async def test_workflow_allows_its_moves_and_names_the_allowed_ones(app: App) -> None:
    reference, _ = await create(app)
    with pytest.raises(TransitionRefused, match="allowed from submitted: under_review, "
                                                 "withdrawn"):
        await move(app, reference, "approved", permit_number="P-1",
                   valid_until=date(2027, 3, 31))
    await move(app, reference, "under_review")
    with pytest.raises(MissingDetail):
        await move(app, reference, "info_requested")
    await move(app, reference, "info_requested", requested=["Script in Vietnamese"],
               due=date(2026, 12, 20))
    await move(app, reference, "under_review", note="script received")
    await move(app, reference, "approved", permit_number="GP-123/CĐA",
               valid_until=date(2027, 3, 31))
    with pytest.raises(TransitionRefused, match="allowed from approved: expired"):
        await move(app, reference, "withdrawn")
    async with app.db.session() as session:
        row = await app.applications.get(session, reference.lower())
        assert row is not None and row.status == "approved" and row.version == 5
        history = await app.applications.history(session, row)
    assert [(e.from_status, e.to_status) for e in history] == [
        ("", "submitted"), ("submitted", "under_review"), ("under_review", "info_requested"),
        ("info_requested", "under_review"), ("under_review", "approved")]
    assert await app.applications.expire_due(date(2027, 4, 1)) == 1


async def test_decision_due_counts_from_complete_and_again_after_information(app: App) -> None:
    reference, _ = await create(app)
    await move(app, reference, "under_review")
    async with app.db.session() as session:
        row = await app.applications.get(session, reference)
        assert row is not None and row.decision_due == TODAY + timedelta(days=20)
    await move(app, reference, "info_requested", requested=["Crew list"])
    async with app.db.session() as session:
        row = await app.applications.get(session, reference)
        assert row is not None and row.decision_due is None
    later = TODAY + timedelta(days=9)
    async with app.db.session() as session:
        await app.applications.change(session, reference, StatusChange("under_review"), later)
        row = await app.applications.get(session, reference)
        assert row is not None and row.decision_due == later + timedelta(days=20)


async def test_every_following_chat_gets_one_notice_in_its_language(app: App) -> None:
    platform = PlatformDouble()
    platform.text_limit = 4096  # one row per notice
    app.outbox.register(platform)
    reference, code = await create(app)
    followers = [await chat(app, "double", "en-1", "en"),
                 await chat(app, "double", "ko-1", "ko"),
                 await chat(app, "double", "vi-1", "vi")]
    stranger = await chat(app, "double", "x-1", "en")
    for follower in followers:
        async with app.db.session() as session:
            assert await app.applications.track(session, follower, reference, code)
            assert await app.applications.track(session, follower, reference, code)  # twice
    await move(app, reference, "under_review", note="Dossier complet")
    async with app.db.session() as session:
        rows = (await session.scalars(select(Message).where(Message.direction == "out")
                                      .order_by(Message.chat_id))).all()
    assert [row.chat_id for row in rows] == [f.id for f in followers]
    texts = {row.chat_id: row.text for row in rows}
    assert "Under review" in texts[followers[0].id]
    assert "검토" in texts[followers[1].id]
    assert "Dossier complet" in texts[followers[2].id]
    assert stranger.id not in texts


async def test_wrong_reference_and_wrong_code_look_alike_and_five_make_the_chat_wait(
        app: App) -> None:
    reference, code = await create(app)
    crew = await chat(app, "double", "guess", "en")
    async with app.db.session() as session:
        assert await app.applications.track(session, crew, reference, "AAAAA-AAAAA") is None
        assert await app.applications.track(session, crew, "VN-FP-2026-9999", code) is None
        for _ in range(3):
            assert await app.applications.track(session, crew, reference, "x") is None
    async with app.db.session() as session:
        with pytest.raises(TooManyAttempts):
            await app.applications.track(session, crew, reference, code)


async def test_two_changes_at_the_same_moment_leave_a_consistent_history(app: App) -> None:
    reference, _ = await create(app)
    await move(app, reference, "under_review")

    async def decide(status: str, **details: object) -> str:
        try:
            await move(app, reference, status, **details)
        except (Conflict, TransitionRefused) as error:
            return type(error).__name__
        return "ok"

    outcomes = await asyncio.gather(
        decide("approved", permit_number="P-9", valid_until=date(2027, 4, 1)),
        decide("rejected", note="no"), decide("withdrawn"))
    assert outcomes.count("ok") == 1
    async with app.db.session() as session:
        row = await app.applications.get(session, reference)
        assert row is not None
        events = (await session.scalars(select(ApplicationEvent).where(
            ApplicationEvent.application_id == row.id).order_by(ApplicationEvent.id))).all()
    assert [e.to_status for e in events][-1] == row.status
    assert [e.from_status for e in events][1:] == [e.to_status for e in events][:-1]
    assert row.version == len(events)


async def test_chat_commands_usage_untrack_and_deep_link(app: App) -> None:
    from tests.conftest import Conversation

    reference, code = await create(app)
    crew = Conversation(app, user="crew-1")
    (usage,) = await crew.say("/track")
    assert usage.text.startswith("Usage: /track REFERENCE ACCESS-CODE")
    (nothing,) = await crew.say("/status")
    assert "You don't follow any application yet" in nothing.text
    (linked,) = await crew.say(f"/track {reference.lower()} {code.replace('-', ' ')}")
    assert linked.text.startswith(f"You now follow {reference}")
    (card,) = await crew.say("/status")
    assert "Status: **Submitted**" in card.text and "**What to do now:**" in card.text
    (gone,) = await crew.say(f"/untrack {reference}")
    assert gone.text == f"You no longer follow {reference}."
    (again,) = await crew.say(f"/untrack {reference}")
    assert again.text == f"You don't follow {reference}."
    async with app.db.session() as session:
        token = await app.applications.new_link_token(session, reference)
    assert token is not None and len(token) <= 64
    other = Conversation(app, user="crew-2")
    (tapped,) = await other.say(f"/start {token}")
    assert tapped.text.startswith(f"You now follow {reference}")
    (stale,) = await Conversation(app, user="crew-3").say("/start t-not-a-real-token")
    assert "do not match" in stale.text


async def test_staff_commands_need_the_role(app: App) -> None:
    from bot.config import StaffConfig
    from tests.conftest import Conversation

    reference, _ = await create(app)
    crew = Conversation(app, user="crew-9")
    for command in (f"/app {reference}", "/apps", f"/setstatus {reference} under_review"):
        (refused,) = await crew.say(command)
        assert refused.text == "This command is for Cinema Department staff."
    app.config = replace(app.config, staff=StaffConfig(staff_ids=["test:officer"]))
    officer = Conversation(app, user="officer")
    (listing,) = await officer.say("/apps submitted")
    assert reference in listing.text
    (details,) = await officer.say(f"/app {reference}")
    assert "Lumière Films SAS (FR)" in details.text and "Followed by 0 chats" in details.text
    (moved,) = await officer.say(f"/setstatus {reference} under_review file complete")
    assert moved.text == f"{reference} is now Under review. 0 following chats will be told."
    (refused,) = await officer.say(f"/setstatus {reference} expired")
    assert refused.text.startswith("Not changed: from under_review the allowed moves are:")
    (usage,) = await officer.say(f"/setstatus {reference} approved")
    assert usage.text.startswith("Usage: /setstatus")
