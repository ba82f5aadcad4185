"""How an article looks to a crew: title, short answer, details, sources, review date."""

from __future__ import annotations

from bot.i18n import N_, NATIVE_NAMES, Translator
from bot.messages import Button, Location, Reply
from bot.router import Context, Router
from bot.services.knowledge import Article, KnowledgeBase, Vendor
from handlers.menus import footer_buttons

REGION_NAMES = {
    "north": N_("Northern Vietnam"),
    "central": N_("Central Vietnam"),
    "south": N_("Southern Vietnam"),
}


def _pick(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en", "")


def vendor_lines(vendor: Vendor, t: Translator) -> list[str]:
    _ = t.gettext
    name = f"**{vendor.name}**"
    if vendor.sample:
        name += " " + _("(sample entry, not a real company)")
    spoken = ", ".join(NATIVE_NAMES.get(code, code) for code in vendor.languages)
    contact = ", ".join(vendor.contact.values())
    return [
        f"- {name} ({vendor.city})",
        f"  {_pick(vendor.services, t.language)}",
        "  " + _("Languages spoken: {languages}").format(languages=spoken),
        "  " + _("Contact: {contact}").format(contact=contact),
    ]


def render_text(article: Article, kb: KnowledgeBase, t: Translator) -> str:
    """The article in the reader's language, or in English with a note saying so."""
    _ = t.gettext
    lang = t.language if article.has_language(t.language) else "en"
    parts: list[str] = []
    if lang != t.language:
        parts.append(_("(This article is not yet available in your language; here it is "
                       "in English.)"))
    parts.append(f"**{article.title[lang]}**")
    parts.append(article.summary[lang])
    parts.append(article.body[lang])
    if article.location is not None:
        loc = article.location
        region = _(REGION_NAMES[loc.region])
        parts.append("\n".join([
            _("**Region:** {region}").format(region=region),
            _("**Best season:** {text}").format(text=_pick(loc.best_season, lang)),
            _("**Access:** {text}").format(text=_pick(loc.access, lang)),
            _("**Permit notes:** {text}").format(text=_pick(loc.permit_notes, lang)),
        ]))
    if article.vendor_category:
        vendors = kb.vendors_in(article.vendor_category)
        if vendors:
            lines = [_("**Vendors on our list:**")]
            for vendor in vendors:
                lines += vendor_lines(vendor, t)
            parts.append("\n".join(lines))
    sources = "\n".join(f"- [{s.title}]({s.url})" for s in article.sources)
    parts.append(_("**Sources:**") + "\n" + sources)
    parts.append(_("Reviewed on {date}.").format(date=t.date(article.reviewed)))
    return "\n\n".join(part for part in parts if part)


def article_buttons(article: Article, kb: KnowledgeBase, ctx: Context
                    ) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    for related_id in article.related[:3]:
        related = kb.by_id.get(related_id)
        if related is not None:
            rows.append((Button(_pick(related.title, ctx.language), f"article:{related.id}"),))
    rows.append(footer_buttons(ctx.t))
    return tuple(rows)


def render(article: Article, ctx: Context, edit: bool = False) -> list[Reply]:
    kb = ctx.app.knowledge
    replies = [Reply(render_text(article, kb, ctx.t), article_buttons(article, kb, ctx),
                     edit=edit)]
    if article.location is not None:
        title = _pick(article.title, ctx.language)
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
