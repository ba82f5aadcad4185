"""Vendor lists narrowed to a city: `vendors:CATEGORY` and `vendors:CATEGORY:CITY`.

A crew shooting in Da Nang wants Da Nang's rental houses, not the country's. A vendor
article's answer carries a button per city its vendors are in (where there are two or
more); each opens the list for that city, with buttons to the other cities, the whole
list and the article. A city travels in the action as a key made of its name (lower
case, unmarked, hyphens: "ho-chi-minh-city"), short enough for Telegram's 64 bytes of
callback data whatever the name, and shown in the reader's language where the gazetteer
knows the place.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services.knowledge import Vendor
from bot.services.knowledge.text import fold
from handlers.browse import VENDOR_LABELS
from handlers.menus import footer_buttons
from handlers.wording import SECTION_LIMIT, pick, sections, vendors_text

_NOT_KEY = re.compile(r"[^a-z0-9]+")


def city_key(city: str) -> str:
    """"Ho Chi Minh City" -> "ho-chi-minh-city", "Đà Nẵng" -> "da-nang"."""
    return _NOT_KEY.sub("-", fold(city).lower()).strip("-")


def cities(vendors: list[Vendor]) -> list[str]:
    """The cities the vendors are in, those with most vendors first."""
    counts = Counter(vendor.city for vendor in vendors)
    return sorted(counts, key=lambda city: (-counts[city], city))


def city_name(ctx: Context, city: str) -> str:
    """The city as the reader writes it, where the gazetteer's place has that English
    name (not merely an alias: "Ha Long" is also the bay's, whose name is not the city's)."""
    for mention in ctx.app.reader.gazetteer.find(city):
        if fold(mention.place.name("en")) == fold(city):
            return mention.place.name(ctx.language)
    return city


def city_rows(ctx: Context, category: str, vendors: list[Vendor], current: str = ""
              ) -> list[tuple[Button, ...]]:
    """A button per city (two a row), but the one shown; none for a single city."""
    listed = cities(vendors)
    if len(listed) < 2:
        return []
    buttons = [Button(city_name(ctx, city), f"vendors:{category}:{city_key(city)}")
               for city in listed if city_key(city) != current]
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def vendor_list(ctx: Context, category: str, city: str = "") -> list[Reply]:
    """The category's vendors, in `city` (a `city_key`) if given and known, else all of
    them; in messages that each fit Zalo's, the last with the buttons."""
    _ = ctx._
    kb = ctx.app.knowledge
    vendors = kb.vendors_in(category)
    if category not in VENDOR_LABELS or not vendors:
        return [Reply(_("That menu is no longer available."), (footer_buttons(ctx.t),))]
    label = _(VENDOR_LABELS[category])
    shown = [vendor for vendor in vendors if city_key(vendor.city) == city]
    if shown:
        name = city_name(ctx, shown[0].city)
        heading = _("**{category} in {city}:**").format(category=label, city=name)
    else:
        city, shown = "", vendors
        heading = f"**{label}:**"
    text = vendors_text(shown, ctx.t, heading, lambda c: city_name(ctx, c))
    rows = city_rows(ctx, category, vendors, city)
    if city:
        rows.append((Button(_("All cities"), f"vendors:{category}"),))
    article = kb.vendor_article(category)
    if article is not None:
        rows.append((Button(pick(article.title, ctx.language), f"article:{article.id}"),))
    rows.append(footer_buttons(ctx.t))
    texts = sections([text], SECTION_LIMIT)
    return [Reply(part, tuple(rows) if number == len(texts) else ())
            for number, part in enumerate(texts, start=1)]


async def show_vendors(ctx: Context) -> list[Reply]:
    _prefix, _sep, rest = ctx.incoming.action.partition(":")
    category, _sep, city = rest.partition(":")
    return vendor_list(ctx, category, city)


def register(router: Router) -> None:
    router.action("vendors", show_vendors)
