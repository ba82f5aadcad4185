"""Where a person can be reached when no staff desk is configured.

Without `[staff] telegram_chat_id` nobody would read an escalation, so the bot says
plainly how to contact the department and never pretends a message was passed on.
"""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.router import Context

CONTACT_ARTICLE = "contact.department"


def _contact_row(ctx: Context) -> tuple[Button, ...]:
    article = ctx.app.knowledge.by_id.get(CONTACT_ARTICLE)
    if article is None:
        return ()
    return (Button(article.title.get(ctx.language) or article.title["en"],
                   f"article:{CONTACT_ARTICLE}"),)


async def talk_to_staff(ctx: Context) -> list[Reply]:
    _ = ctx._
    text = _("The staff desk is not connected to this chat yet, so I cannot pass your "
             "message on. You can reach the Cinema Department directly: see how to contact "
             "them below.")
    rows = tuple(row for row in (_contact_row(ctx), (Button(_("Main menu"), "menu:main"),))
                 if row)
    return [Reply(text, rows)]


