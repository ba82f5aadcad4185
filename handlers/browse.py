"""The Permits, Locations and Vendors menus: browsing by topic, region and category."""

from __future__ import annotations

from bot.i18n import N_
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services.knowledge import Article, menus
from handlers.menus import footer_buttons
from handlers.wording import REGION_NAMES, pick

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


def menu(ctx: Context, name: str) -> Reply:
    """A menu of `menus.yaml` (the Permits menu and those it opens), in the order staff
    set there; a menu it opens is one button, and such a menu has one back."""
    _ = ctx._
    kb = ctx.app.knowledge
    rows: list[tuple[Button, ...]] = []
    for item in menus.items(kb.menus, name, kb.articles):
        if item.startswith("menu:"):
            sub = kb.menus[item.removeprefix("menu:")]
            rows.append((Button(pick(sub.title, ctx.language), f"browse:{sub.name}"),))
        elif item in kb.by_id:
            rows += _article_rows([kb.by_id[item]], ctx.language)
    if name == menus.TOP:
        text = _("Permits and rules: choose a topic.")
    else:
        text = f"**{pick(kb.menus[name].title, ctx.language)}**\n\n" + _("Choose a topic.")
        parent = menus.parent_of(kb.menus, name) or menus.TOP
        label = (_("Permits") if parent == menus.TOP
                 else pick(kb.menus[parent].title, ctx.language))
        rows.append((Button(label, f"browse:{parent}"),))
    rows.append(footer_buttons(ctx.t))
    return Reply(text, tuple(rows), edit=True)


async def browse(ctx: Context) -> list[Reply]:
    _ = ctx._
    kb = ctx.app.knowledge
    target, _sep, argument = ctx.incoming.action.partition(":")[2].partition(":")
    if target == menus.TOP or target in kb.menus:
        return [menu(ctx, target)]
    if target == "locations" and argument in REGION_NAMES:
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
