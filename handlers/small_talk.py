"""Small talk gets a short reply in kind, never an article.

"Thanks" after an answer is no question about anything; answering it from the knowledge
base would be a decline at best, and once was the military-zones article ("cảm ơn" read
without accents as "cấm", forbidden).
"""

from __future__ import annotations

from bot.messages import Reply
from bot.router import Context
from bot.services.understanding import SmallTalk
from handlers.menus import footer_buttons, main_menu, main_menu_buttons
from handlers.wording import text_for


def reply_to(ctx: Context, talk: SmallTalk) -> Reply:
    text = text_for(ctx.t, talk)
    if text is None:  # help, menu, a greeting, an emoji
        return main_menu(ctx)
    if talk.kind == "number":
        return Reply(text, main_menu_buttons(ctx))
    if talk.kind == "bye":
        return Reply(text)
    return Reply(text, (footer_buttons(ctx.t),))
