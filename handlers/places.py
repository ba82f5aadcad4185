"""A shared point on the map (a location or a venue): the places of our guide near it.

A crew scouting on the ground drops a pin and wants to know what applies there; the
nearest location article is the useful answer. Short first: which place, how far, its
short answer, and buttons for the full article and the next nearest.
"""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.router import Context, Router
from handlers.menus import footer_buttons, main_menu_buttons

# Farther than this from every place of the guide, the point is not in Vietnam (the
# guide's places are spread over the whole country, none more than a few hundred km
# from the next): say so rather than name a place a day's drive away.
OUTSIDE_KM = 250.0
# Within this, the point is "at" the place; beyond it, "the nearest place is".
AT_KM = 25.0


async def shared_place(ctx: Context) -> list[Reply]:
    _ = ctx._
    point = ctx.incoming.location
    assert point is not None  # the router sends only shared places here
    nearest = ctx.app.knowledge.nearest_locations(point.latitude, point.longitude, limit=3)
    if not nearest or nearest[0][1] > OUTSIDE_KM:
        text = _("That point is outside the places our guide covers in Vietnam. Choose a "
                 "topic, or type your question.")
        return [Reply(text, main_menu_buttons(ctx))]
    article, km = nearest[0]
    language = ctx.language if article.has_language(ctx.language) else "en"
    title = article.title[language]
    distance = ctx.t.number(max(1, round(km)))
    if km <= AT_KM:
        line = _("You are near **{place}** (about {km} km).").format(place=title, km=distance)
    else:
        line = _("The nearest place in our guide is **{place}**, about {km} km away.").format(
            place=title, km=distance)
    text = f"{line}\n\n{article.summary[language]}"
    rows: list[tuple[Button, ...]] = [(Button(_("Read about {place}").format(place=title),
                                              f"article:{article.id}"),)]
    for other, other_km in nearest[1:]:
        if other_km <= OUTSIDE_KM:
            other_title = other.title.get(ctx.language) or other.title["en"]
            label = _("{place} ({km} km)").format(place=other_title,
                                                   km=ctx.t.number(round(other_km)))
            rows.append((Button(label, f"article:{other.id}"),))
    rows.append(footer_buttons(ctx.t))
    return [Reply(text, tuple(rows))]


def register(router: Router) -> None:
    router.location(shared_place)
