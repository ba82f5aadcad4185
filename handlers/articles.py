"""How an article looks to a crew: the short answer first, the details and the sources a
button away.

A producer reads on a phone: the whole article (4,000 characters and more) arrived as
two or three messages on Telegram and three on Zalo. The answer now leads with the
article's short answer; "Details" sends the body in sections that each fit one message
on either platform, "Sources" the sources and their review date.
"""

from __future__ import annotations

from bot.messages import Button, Location, Reply
from bot.router import Context, Router
from bot.services.knowledge import Article, KnowledgeBase
from handlers import vendors
from handlers.menus import footer_buttons
from handlers.wording import (
    SECTION_LIMIT,
    detail_parts,
    pick,
    sections,
    short_text,
    sources_text,
)


def article_buttons(article: Article, kb: KnowledgeBase, ctx: Context
                    ) -> tuple[tuple[Button, ...], ...]:
    _ = ctx._
    rows: list[tuple[Button, ...]] = [(Button(_("Details"), f"details:{article.id}"),
                                       Button(_("Sources"), f"sources:{article.id}"))]
    if article.vendor_category:  # the list narrowed to a city, a tap away
        category = article.vendor_category
        rows += vendors.city_rows(ctx, category, kb.vendors_in(category))
    for related_id in article.related[:3]:
        related = kb.by_id.get(related_id)
        if related is not None:
            rows.append((Button(pick(related.title, ctx.language), f"article:{related.id}"),))
    rows.append(footer_buttons(ctx.t))
    return tuple(rows)


def render(article: Article, ctx: Context, edit: bool = False) -> list[Reply]:
    kb = ctx.app.knowledge
    replies = [Reply(short_text(article, ctx.t), article_buttons(article, kb, ctx), edit=edit)]
    if article.location is not None:
        title = pick(article.title, ctx.language)
        replies.append(Reply(title, location=Location(article.location.lat,
                                                      article.location.lon, title)))
    return replies


def _pressed(ctx: Context) -> Article | None:
    return ctx.app.knowledge.by_id.get(ctx.incoming.action.partition(":")[2])


def _gone(ctx: Context) -> list[Reply]:
    return [Reply(ctx._("That article is no longer available."), (footer_buttons(ctx.t),))]


async def show_article(ctx: Context) -> list[Reply]:
    article = _pressed(ctx)
    return _gone(ctx) if article is None else render(article, ctx)


async def show_details(ctx: Context) -> list[Reply]:
    """The body in sections, one message each; the last carries the buttons."""
    article = _pressed(ctx)
    if article is None:
        return _gone(ctx)
    texts = sections(detail_parts(article, ctx.app.knowledge, ctx.t,
                                  lambda city: vendors.city_name(ctx, city)), SECTION_LIMIT)
    buttons = ((Button(ctx._("Sources"), f"sources:{article.id}"),), footer_buttons(ctx.t))
    return [Reply(text, buttons if last else ())
            for last, text in ((i == len(texts) - 1, t) for i, t in enumerate(texts))]


async def show_sources(ctx: Context) -> list[Reply]:
    article = _pressed(ctx)
    if article is None:
        return _gone(ctx)
    texts = sections([sources_text(article, ctx.t)], SECTION_LIMIT)  # a long list: parts
    buttons = ((Button(ctx._("Details"), f"details:{article.id}"),), footer_buttons(ctx.t))
    return [Reply(text, buttons if number == len(texts) - 1 else ())
            for number, text in enumerate(texts)]


def register(router: Router) -> None:
    router.action("article", show_article)
    router.action("details", show_details)
    router.action("sources", show_sources)
