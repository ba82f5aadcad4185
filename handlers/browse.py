"""The Permits, Locations and Vendors menus: browsing by topic, region and category."""

from __future__ import annotations

from bot.i18n import N_
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services.knowledge import Article
from handlers.menus import footer_buttons
from handlers.wording import REGION_NAMES

PERMIT_CATEGORIES = ("permits", "visa", "customs", "incentives", "contact", "practical")
VENDOR_LABELS = {
    "service-company": N_("Film-service companies (fixers)"),
    "equipment-rental": N_("Equipment rental"),
    "drone-operator": N_("Drone operators"),
    "casting": N_("Casting"),
    "transport": N_("Transport"),
    "catering": N_("Catering"),
    "post-production": N_("Post-production"),
    "translator": N_("Translators and interpreters"),
}


def _article_rows(articles: list[Article], language: str) -> list[tuple[Button, ...]]:
    return [(Button(a.title.get(language) or a.title["en"], f"article:{a.id}"),)
            for a in articles]


async def browse(ctx: Context) -> list[Reply]:
    _ = ctx._
    kb = ctx.app.knowledge
    target, _sep, argument = ctx.incoming.action.partition(":")[2].partition(":")
    if target == "permits":
        articles = [a for category in PERMIT_CATEGORIES for a in kb.in_categories([category])]
        rows = _article_rows(articles, ctx.language)
        text = _("Permits and rules: choose a topic.")
    elif target == "locations" and argument in REGION_NAMES:
        places = kb.locations(argument)
        rows = _article_rows(places, ctx.language)
        text = ctx.t.ngettext("{count} location in {region}:", "{count} locations in {region}:",
                              len(places)).format(count=len(places),
                                                  region=_(REGION_NAMES[argument]))
        rows.append((Button(_("Other regions"), "browse:locations"),))
    elif target == "locations":
        rows = [(Button(_(name), f"browse:locations:{region}"),)
                for region, name in REGION_NAMES.items()]
        text = _("Locations: choose a region.")
    elif target == "vendors":
        rows = []
        for category, label in VENDOR_LABELS.items():
            article = kb.vendor_article(category)
            if article is not None:
                rows.append((Button(_(label), f"article:{article.id}"),))
        text = _("Local vendors: choose a category.")
    else:
        return [Reply(_("That menu is no longer available."), (footer_buttons(ctx.t),))]
    rows.append(footer_buttons(ctx.t))
    return [Reply(text, tuple(rows), edit=True)]


def register(router: Router) -> None:
    router.action("browse", browse)
