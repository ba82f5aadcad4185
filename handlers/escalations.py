"""Talking to a person: crews open an escalation, staff answer it from the desk.

Crew side: the "Talk to staff" button (after an unanswered question it takes that
question along), `/staff [text]`, and, while an escalation is open, every text the crew
writes joins it. Desk side: what staff write in an escalation's topic reaches the crew,
labelled as the department's; a message starting with `/note` never leaves the desk;
`/close` ends it and tells the crew. Only staff are relayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App, knowledge_dir
from bot.i18n import N_, Translator
from bot.messages import Button, Incoming, Reply
from bot.router import Context, Router
from bot.services import roles
from bot.services.applications import texts
from bot.services.escalations import drafts
from bot.services.escalations.hours import OfficeHours
from bot.services.escalations.service import department_says
from bot.storage.models import Chat, Escalation, UnansweredQuestion, utcnow
from handlers import applications, staff
from handlers.articles import render
from handlers.wording import pick

# "Talk to staff" right after an unanswered question takes that question along.
RECENT_QUESTION = timedelta(minutes=30)


async def _recent_question(ctx: Context) -> UnansweredQuestion | None:
    return await ctx.session.scalar(
        select(UnansweredQuestion).where(
            UnansweredQuestion.chat_id == ctx.chat.id,
            UnansweredQuestion.created_at > utcnow() - RECENT_QUESTION)
        .order_by(UnansweredQuestion.id.desc()).limit(1))


async def talk(ctx: Context) -> list[Reply]:
    """The button and `/staff [text]`."""
    escalations = ctx.app.escalations
    if not escalations.configured:
        return await staff.talk_to_staff(ctx)  # no desk: say how to reach the department
    _ = ctx._
    question = ctx.incoming.args if ctx.incoming.command else ""
    best_article, best_score = "", 0.0
    if not question:
        recent = await _recent_question(ctx)
        already = await escalations.current(ctx.session, ctx.chat)
        if recent is not None and already is None:
            question = recent.text
            best_article, best_score = recent.best_article or "", recent.score
    if question:  # "/staff Cho hỏi..." is answered, and relayed back, in Vietnamese
        ctx = ctx.speaking(question)
        _ = ctx._
    _escalation, created = await escalations.open(ctx.session, ctx.chat, ctx.language,
                                                 question, best_article, best_score)
    menu = (Button(_("Main menu"), "menu:main"),)
    if not created:
        text = (_("Passed on to the staff.") if question else
                _("Your conversation with the staff is open: write here and they will read "
                  "it."))
    elif question:
        text = _("I have passed your question to the Cinema Department's staff. They will "
                 "answer here, in this chat. You can add details or documents meanwhile.")
    else:
        text = _("Please write your question here. A member of the Cinema Department's "
                 "staff will answer in this chat.")
    if created:
        text += _out_of_hours(ctx)
    return [Reply(text, (menu,))]


def _out_of_hours(ctx: Context) -> str:
    """Once per escalation, at its start: when staff will read it, in the crew's zone."""
    settings = ctx.app.config.bot
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    now = utcnow()
    if hours.is_open(now):
        return ""
    opening = hours.next_opening(now)
    zone = ctx.chat.timezone or settings.timezone
    return "\n\n" + ctx._("Our staff work {hours} (Vietnam time), and it is outside those "
                           "hours now: expect an answer from {when}.").format(
        hours=settings.office_hours, when=ctx.t.datetime(opening, zone, "short"))


async def follow_up(ctx: Context, escalation: Escalation) -> list[Reply]:
    """What a crew sends while its escalation is open (text, a photo, a scan) goes to the
    staff."""
    await ctx.app.escalations.from_crew(ctx.session, escalation, ctx.chat,
                                        ctx.incoming.text.strip(), ctx.incoming.attachment,
                                        ctx.incoming.message_ref, ctx.incoming.reply_to)
    return [Reply(ctx._("Passed on to the staff."))]


def _author(ctx: Context) -> str:
    return f"{ctx.incoming.display_name} ({ctx.incoming.channel}:{ctx.incoming.user_id})"


async def _desk_escalation(ctx: Context) -> Escalation | None:
    """The escalation a staff message belongs to: its topic, or, in a group without
    topics, the desk message it replies to. Only staff are ever relayed."""
    if not roles.is_staff(ctx.role):
        return None
    if ctx.incoming.thread_id:
        return await ctx.app.escalations.by_thread(ctx.session, ctx.incoming.thread_id)
    if ctx.incoming.reply_to:
        return await ctx.app.escalations.by_reply(ctx.session, ctx.incoming.reply_to)
    return None


async def desk_text(ctx: Context) -> list[Reply]:
    """A staff message (with its photo or file, if any) goes to the crew: the crew's
    channel carries the file its own way, and says in the topic if it cannot."""
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return []
    if not await ctx.app.escalations.from_staff(ctx.session, escalation, _author(ctx),
                                                ctx.incoming.text.strip(),
                                                ctx.incoming.attachment,
                                                ctx.incoming.message_ref,
                                                ctx.incoming.reply_to):
        return [Reply(ctx._("This escalation is closed; nothing was sent to the crew."))]
    return []


async def desk_edit(ctx: Context) -> list[Reply]:
    """A staff member corrected a relayed message: the crew's copy follows."""
    escalation = await _desk_escalation(ctx)
    if escalation is not None and escalation.status == "open":
        await ctx.app.escalations.edited_by_staff(ctx.session, escalation,
                                                  ctx.incoming.message_ref,
                                                  ctx.incoming.text.strip())
    return []


async def desk_note(ctx: Context) -> list[Reply]:
    """`/note ...`: stored with the escalation, never relayed."""
    escalation = await _desk_escalation(ctx)
    if escalation is not None:
        await ctx.app.escalations.note(ctx.session, escalation, _author(ctx),
                                       ctx.incoming.args)
    return []


async def desk_close(ctx: Context) -> list[Reply]:
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return []
    if not await ctx.app.escalations.close(ctx.session, escalation, _author(ctx),
                                           ctx.incoming.args):
        return [Reply(ctx._("This escalation is closed; nothing was sent to the crew."))]
    return []


async def desk_open(ctx: Context) -> list[Reply]:
    """`/open`: the open escalations, oldest first, with how long each has waited."""
    if not roles.is_staff(ctx.role):
        return []
    _ = ctx._
    waiting = await ctx.app.escalations.open_ones(ctx.session)
    if not waiting:
        return [Reply(_("No open escalations."))]
    now = utcnow()
    lines = []
    for escalation, chat in waiting:
        minutes = int((now - escalation.opened_at).total_seconds() // 60)
        claimed = f" · {escalation.claimed_by}" if escalation.claimed_by else ""
        lines.append(f"#{escalation.id} [{escalation.language}] "
                     f"{chat.display_name or chat.external_id} · {minutes} min{claimed}")
    return [Reply("\n".join(lines))]


async def desk_claim(ctx: Context) -> list[Reply]:
    escalation = await _desk_escalation(ctx)
    if escalation is not None:
        await ctx.app.escalations.claim(ctx.session, escalation, _author(ctx))
    return []


@dataclass(frozen=True)
class Prepared:
    """What the bot prepared for a crew in its language: the messages, the line the
    escalation's history keeps, and what the desk is shown as sent."""

    replies: list[Reply]
    record: str
    shown: str


def crew_context(app: App, session: AsyncSession, crew: Chat, language: str) -> Context:
    """The crew's side of a staff action, for preparing what the crew will read; the
    Telegram desk and the web desk both prepare through it."""
    incoming = Incoming(channel=crew.channel, chat_id=crew.external_id,
                        user_id=crew.external_id)
    return Context(incoming, crew, session, app.catalogs.get(language), app)


def article_for_crew(crew: Context, article_id: str) -> Prepared | None:
    """A knowledge article as the crew's bot would show it, in the crew's language."""
    article = crew.app.knowledge.by_id.get(article_id.strip())
    if article is None:
        return None
    title = pick(article.title, crew.language)
    return Prepared(render(article, crew), f"[article {article.id}]", title)


def canned_for_crew(crew: Context, name: str) -> Prepared | None:
    """A canned reply (`knowledge/replies/`) in the crew's language, as the department's."""
    texts_by_language = crew.app.knowledge.replies.get(name.strip())
    if texts_by_language is None:
        return None
    text = pick(texts_by_language, crew.language)
    return Prepared([Reply(department_says(crew.t, text))],
                    f"[reply {name.strip()}] {text}", text)


async def desk_article(ctx: Context) -> list[Reply]:
    """`/article ID`: the knowledge article, to the crew, in the crew's language."""
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return []
    prepared = article_for_crew(ctx.with_language(escalation.language), ctx.incoming.args)
    if prepared is None:
        return [Reply(ctx._("Usage: /article ID, for example /article permit.drone"))]
    await _send_prepared(ctx, escalation, prepared)
    return []


async def send_prepared(app: App, session: AsyncSession, escalation: Escalation,
                        author: str, prepared: Prepared, desk: Translator) -> bool:
    """Send what the bot prepared in the crew's language; the topic shows what went, in
    the desk's language. False when the escalation is closed (nothing sent)."""
    return await app.escalations.send_to_crew(
        session, escalation, author, prepared.replies, prepared.record,
        desk.gettext("Sent to the crew: {title} ({language})").format(
            title=prepared.shown, language=escalation.language))


async def _send_prepared(ctx: Context, escalation: Escalation, prepared: Prepared) -> None:
    await send_prepared(ctx.app, ctx.session, escalation, _author(ctx), prepared, ctx.t)


async def desk_reply(ctx: Context) -> list[Reply]:
    """`/reply NAME`: a canned reply (`knowledge/replies/`), in the crew's language."""
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return []
    prepared = canned_for_crew(ctx.with_language(escalation.language), ctx.incoming.args)
    if prepared is None:
        return [Reply(ctx._("Usage: /reply NAME, one of: {names}").format(
            names=", ".join(sorted(ctx.app.knowledge.replies)) or "-"))]
    await _send_prepared(ctx, escalation, prepared)
    return []


async def desk_transfer(ctx: Context) -> list[Reply]:
    """`/transfer @user`: the escalation is now that colleague's."""
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return []
    to = ctx.incoming.args.strip()
    if not to.startswith("@") or len(to) < 2:
        return [Reply(ctx._("Usage: /transfer @username"))]
    await ctx.app.escalations.claim(ctx.session, escalation, to, transferred=True)
    return []


async def desk_app(ctx: Context) -> list[Reply]:
    """`/app` in an escalation's topic: the crew's applications; `/app REF` anywhere."""
    if ctx.incoming.args.strip() or not roles.is_staff(ctx.role):
        return await applications.staff_show(ctx)
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return await applications.staff_show(ctx)  # its usage line
    crew = await ctx.session.get(Chat, escalation.chat_id)
    followed = await ctx.app.applications.followed(ctx.session, crew) if crew else []
    if not followed:
        return [Reply(ctx._("This crew follows no application."))]
    cards = []
    for application in followed:
        history = await ctx.app.applications.history(ctx.session, application)
        cards.append(Reply(texts.status_card(application, history, ctx.t)))
    return cards


async def desk_savefaq(ctx: Context) -> list[Reply]:
    """`/savefaq` on a closed escalation: its question and the staff answers become a
    draft article under `knowledge/drafts/`, for someone to review and move into place."""
    escalation = await _desk_escalation(ctx)
    if escalation is None:
        return []
    if escalation.status != "closed":
        return [Reply(ctx._("Close the escalation first (/close), then /savefaq."))]
    messages = await ctx.app.escalations.history(ctx.session, escalation)
    path = drafts.write(knowledge_dir(ctx.app.config), escalation, messages)
    return [Reply(ctx._("Draft saved for review: {path}").format(path=path.name))]


async def rate(ctx: Context) -> list[Reply]:
    """`rate:<escalation>:<stars>`: once, for the chat's own closed escalation."""
    _, escalation_id, stars = ([*ctx.incoming.action.split(":"), "", ""])[:3]
    if not (escalation_id.isdigit() and stars.isdigit()):
        return []
    if await ctx.app.escalations.rate(ctx.session, ctx.chat, int(escalation_id), int(stars)):
        return [Reply(ctx._("Thank you for your rating."))]
    return []


def register(router: Router) -> None:
    router.action("staff", talk)
    router.command("staff", talk, N_("Talk to the Cinema Department's staff"))
    router.desk_command("note", desk_note)
    router.desk_command("close", desk_close)
    router.desk_command("open", desk_open)
    router.desk_command("claim", desk_claim)
    router.desk_command("article", desk_article)
    router.desk_command("app", desk_app)
    router.desk_command("reply", desk_reply)
    router.desk_command("transfer", desk_transfer)
    router.desk_command("savefaq", desk_savefaq)
    router.action("rate", rate)
    router.desk_text(desk_text)
    router.desk_edit(desk_edit)
