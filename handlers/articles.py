"""How an article looks to a crew: title, short answer, details, sources, review date."""

from __future__ import annotations

from bot.messages import Button, Location, Reply
from bot.router import Context, Router
from bot.services.knowledge import Article, KnowledgeBase
from handlers.menus import footer_buttons
from handlers.wording import pick, render_text


def article_buttons(article: Article, kb: KnowledgeBase, ctx: Context
                    ) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    for related_id in article.related[:3]:
        related = kb.by_id.get(related_id)
        if related is not None:
            rows.append((Button(pick(related.title, ctx.language), f"article:{related.id}"),))
    rows.append(footer_buttons(ctx.t))
    return tuple(rows)


def render(article: Article, ctx: Context, edit: bool = False) -> list[Reply]:
    kb = ctx.app.knowledge
    replies = [Reply(render_text(article, kb, ctx.t), article_buttons(article, kb, ctx),
                     edit=edit)]
    if article.location is not None:
        title = pick(article.title, ctx.language)
        replies.append(Reply(title, location=Location(article.location.lat,
                                                      article.location.lon, title)))
    return replies


async def show_article(ctx: Context) -> list[Reply]:
    article_id = ctx.incoming.action.partition(":")[2]
    article = ctx.app.knowledge.by_id.get(article_id)
    if article is None:
        return [Reply(ctx._("That article is no longer available."), (footer_buttons(ctx.t),))]
    return render(article, ctx)


def register(router: Router) -> None:
    router.action("article", show_article)
