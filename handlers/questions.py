"""Free text: read for its questions, each answered from the knowledge base in the
chat's language, or small talk answered in kind, or an honest "I don't know"."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.i18n import Translator
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services import chats
from bot.services.knowledge import Answer, KnowledgeBase
from bot.services.questions import record_unanswered
from bot.services.understanding import Ask, Memory, Place, Reading
from bot.storage.models import utcnow
from handlers import escalations, small_talk
from handlers.articles import render
from handlers.menus import footer_buttons
from handlers.wording import decline_text, no_article_text, pick, several_text

# Articles that apply wherever a crew films: what a place without its own article gets.
EVERYWHERE = ("permit.overview", "permit.drone", "permit.heritage-sites")


def decline(t: Translator, kb: KnowledgeBase, answer: Answer | None) -> Reply:
    """The honest "I don't know", with near misses offered as suggestions only."""
    text, suggestions = decline_text(t, kb, answer)
    rows: list[tuple[Button, ...]] = [
        (Button(pick(a.title, t.language), f"article:{a.id}"),) for a in suggestions]
    rows.append(footer_buttons(t))
    return Reply(text, tuple(rows))


def _title(ctx: Context, article_id: str) -> str:
    return pick(ctx.app.knowledge.by_id[article_id].title, ctx.language)


def no_article_on(ctx: Context, places: list[Place]) -> Reply:
    text = no_article_text(ctx.t, places)
    rows: list[tuple[Button, ...]] = [(Button(_title(ctx, a), f"article:{a}"),)
                                      for a in EVERYWHERE if a in ctx.app.knowledge.by_id]
    rows.append(footer_buttons(ctx.t))
    return Reply(text, tuple(rows))


def place_note(ctx: Context, ask: Ask) -> str | None:
    """After "drone in Da Nang"'s drone article: what the Da Nang article says about
    drones, or that there is no article on the place."""
    place = ask.place
    if place is None:
        return None
    _ = ctx._
    name = place.name(ctx.language)
    if not place.article and ask.article.id in place.see:
        # Cần Thơ answered with the Mekong Delta article: say what it is and is not.
        return _("We have no location article on {place} as a whole; the article above "
                 "covers the places in it that crews film most. A member of staff can tell "
                 "you about the rest of {place}.").format(place=name)
    if not place.article:
        return _("We have no location article on {place} yet: what is above applies "
                 "everywhere, and a member of staff can tell you about {place}'s own "
                 "rules.").format(place=name)
    article, sentences = ctx.app.reader.place_note(ask, ctx.language)
    if article is None or not sentences:
        return None  # the place's article is offered as a button on the answer instead
    text = _("What our {place} article says about this:").format(place=name)
    return text + "\n" + "\n".join(f"- {s}" for s in sentences)


def with_place_button(ctx: Context, reply: Reply, ask: Ask) -> Reply:
    """The answer with a button to the article of the place it was asked about."""
    place = ask.place
    if place is None or not place.article or place.article not in ctx.app.knowledge.by_id:
        return reply
    button = (Button(_title(ctx, place.article), f"article:{place.article}"),)
    return replace(reply, buttons=(button, *reply.buttons))


def several(ctx: Context, asks: list[Ask]) -> Reply:
    """The short answers, and each article as a button."""
    rows: list[tuple[Button, ...]] = [
        (Button(f"{n}. {_title(ctx, a.article.id)}", f"article:{a.article.id}"),)
        for n, a in enumerate(asks, start=1)]
    rows.append(footer_buttons(ctx.t))
    return Reply(several_text(ctx.t, asks), tuple(rows))


def memory_of(ctx: Context) -> Memory:
    chat = ctx.chat
    return Memory(chat.topic_article, chat.topic_place, chat.topic_at)


async def remember(ctx: Context, reading: Reading, now: datetime) -> None:
    if reading.memory.at == now:  # this message set a topic or a place
        await chats.remember_topic(ctx.session, ctx.chat, reading.memory.article,
                                   reading.memory.place, now)


async def question(ctx: Context) -> list[Reply]:
    if ctx.app.escalations.configured:  # no desk, no escalations: spare the query
        escalation = await ctx.app.escalations.current(ctx.session, ctx.chat)
        if escalation is not None:  # an open conversation with staff: they read it
            return await escalations.follow_up(ctx, escalation)
    text = ctx.incoming.text.strip()
    now = utcnow()
    reader = ctx.app.reader
    reading = reader.read(text, ctx.chat.language, memory_of(ctx), now,
                          hint=ctx.incoming.language_hint)
    if reading.language != ctx.language and reading.language in ctx.app.config.bot.languages:
        ctx = ctx.with_language(reading.language)
    if reading.small_talk is not None:
        return [small_talk.reply_to(ctx, reading.small_talk)]
    await remember(ctx, reading, now)
    if not reading.asks:
        assert reading.search is not None
        await record_unanswered(ctx.session, ctx.chat.id, reading.search)
        if reading.unknown_places:
            return [no_article_on(ctx, reading.unknown_places)]
        return [decline(ctx.t, ctx.app.knowledge, reading.search)]
    if len(reading.asks) > 1:
        replies = [several(ctx, reading.asks)]
    else:
        replies = render(reading.asks[0].article, ctx)
        note = place_note(ctx, reading.asks[0])
        first = with_place_button(ctx, replies[0], reading.asks[0])
        if note is not None:  # in the same message: one more send is one more wait
            first = replace(first, text=f"{first.text}\n\n{note}")
        replies[0] = first
    if reading.unknown_places:
        replies.append(no_article_on(ctx, reading.unknown_places))
    return replies


def register(router: Router) -> None:
    router.text(question)
