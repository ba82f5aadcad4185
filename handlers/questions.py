"""Free text: a question for the knowledge base, answered in the language it was asked."""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services.knowledge import Answer, KnowledgeBase
from bot.services.questions import record_unanswered
from handlers import escalations
from handlers.articles import render
from handlers.greetings import is_greeting
from handlers.menus import footer_buttons, main_menu

# Below the threshold but this close: offer the article as a suggestion, never as an answer.
SUGGESTION_RATIO = 0.6


def decline(t: Translator, kb: KnowledgeBase, answer: Answer) -> Reply:
    """The honest "I don't know", with near misses offered as suggestions only."""
    _ = t.gettext
    text = _("I don't have a reliable answer to that in the knowledge base, and I won't "
             "guess. A member of staff can help you: press \"Talk to staff\".")
    rows: list[tuple[Button, ...]] = []
    suggestions = [kb.by_id[article_id] for article_id, score in answer.candidates[:2]
                   if score >= answer.threshold * SUGGESTION_RATIO]
    if suggestions:
        text += "\n\n" + _("Perhaps one of these articles helps:")
        rows += [(Button(a.title.get(t.language) or a.title["en"], f"article:{a.id}"),)
                 for a in suggestions]
    rows.append(footer_buttons(t))
    return Reply(text, tuple(rows))


async def question(ctx: Context) -> list[Reply]:
    if ctx.app.escalations.configured:  # no desk, no escalations: spare the query
        escalation = await ctx.app.escalations.current(ctx.session, ctx.chat)
        if escalation is not None:  # an open conversation with staff: they read it
            return await escalations.follow_up(ctx, escalation)
    kb = ctx.app.knowledge
    text = ctx.incoming.text.strip()
    ctx = ctx.speaking(text)
    if is_greeting(text):
        return [main_menu(ctx)]
    answer = kb.answer(text, language=ctx.language)
    if answer.article is None:
        await record_unanswered(ctx.session, ctx.chat.id, answer)
        return [decline(ctx.t, kb, answer)]
    return render(answer.article, ctx)


def register(router: Router) -> None:
    router.text(question)
