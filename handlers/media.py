"""Stickers, images, files and contact cards: the bot reads text only, and says so."""

from __future__ import annotations

from bot.messages import Reply
from bot.router import Context, Router
from handlers import escalations
from handlers.menus import footer_buttons


async def unreadable(ctx: Context) -> list[Reply]:
    """`media:<kind>`: a channel got something that is not text (and had no caption).

    With a conversation open with staff, a photo or file is for them (a passport scan, a
    location photo): it goes to the desk.
    """
    if ctx.app.escalations.configured and ctx.incoming.attachment is not None:
        escalation = await ctx.app.escalations.current(ctx.session, ctx.chat)
        if escalation is not None:
            return await escalations.follow_up(ctx, escalation)
    if ctx.incoming.action == "media:contact":
        text = ctx._("I can't do anything with a shared contact, and I don't keep it. To "
                     "reach a person at the Cinema Department, press \"Talk to staff\".")
    else:
        text = ctx._("I can only read text. Please type your question in your own language.")
    return [Reply(text, (footer_buttons(ctx.t),))]


def register(router: Router) -> None:
    router.action("media", unreadable)
