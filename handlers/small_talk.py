"""Small talk gets a short reply in kind, never an article.

"Thanks" after an answer is no question about anything; answering it from the knowledge
base would be a decline at best, and once was the military-zones article ("cảm ơn" read
without accents as "cấm", forbidden).
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages import Reply
from bot.router import Context
from bot.services.understanding import SmallTalk
from handlers.menus import footer_buttons, main_menu, main_menu_buttons


def text_for(t: Translator, talk: SmallTalk) -> str | None:
    """The short reply in kind; None where the menu is the reply (help, a greeting)."""
    _ = t.gettext
    replies = {
        "thanks": _("You're welcome! Ask me anything else about filming in Vietnam, in "
                    "your own words."),
        "ok": _("Good. Anything else? Type your question or open the menu."),
        "bye": _("Goodbye, and good luck with your shoot! Write again any time."),
        "laughter": _("Glad to hear it. Anything else I can help with?"),
        "bot": _("I'm crewbot, the film authority's automated assistant. I answer from a "
                 "knowledge base that staff review, with its sources, and I never guess. "
                 "For a person, press \"Talk to staff\"."),
        "number": _("That number is not one of the choices on screen. Choose a topic, or "
                    "type your question:"),
    }
    return replies.get(talk.kind)


def reply_to(ctx: Context, talk: SmallTalk) -> Reply:
    text = text_for(ctx.t, talk)
    if text is None:  # help, menu, a greeting, an emoji
        return main_menu(ctx)
    if talk.kind == "number":
        return Reply(text, main_menu_buttons(ctx))
    if talk.kind == "bye":
        return Reply(text)
    return Reply(text, (footer_buttons(ctx.t),))
