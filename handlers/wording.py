"""What the bot says, as text: articles, short answers, declines, small talk.

Kept apart from the handlers that build `Reply`s with buttons so that `crewbot ask` can
word an answer exactly as a chat would see it without loading the chat machinery (the
database layer), which would double its start-up time.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.formatting import tables_as_lists
from bot.i18n import N_, NATIVE_NAMES, Translator
from bot.services.knowledge import Answer, Article, KnowledgeBase, Vendor
from bot.services.understanding import Ask, Place, SmallTalk

# Below the threshold but this close: offer the article as a suggestion, never as an answer.
SUGGESTION_RATIO = 0.6

REGION_NAMES = {
    "north": N_("Northern Vietnam"),
    "central": N_("Central Vietnam"),
    "south": N_("Southern Vietnam"),
}


def pick(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en", "")


SAMPLE_MARK = "(sample)"


def vendor_name(vendor: Vendor) -> str:
    """The vendor's name without the "(sample)" the data gives a sample's name: the list
    says once that its entries are samples."""
    name = vendor.name
    if vendor.sample and name.endswith(SAMPLE_MARK):
        name = name.removesuffix(SAMPLE_MARK).rstrip()
    return name


def vendor_lines(vendor: Vendor, t: Translator, city: str = "", mark: bool = False
                 ) -> list[str]:
    """One entry of a vendor list; `city` as the reader writes it (default: as the
    record does); `mark` the entry as a sample, in a list that mixes samples and real
    companies."""
    _ = t.gettext
    name = f"**{vendor_name(vendor)}**"
    if mark and vendor.sample:
        name += " " + _("(sample)")
    spoken = ", ".join(NATIVE_NAMES.get(code, code) for code in vendor.languages)
    contact = ", ".join(vendor.contact.values())
    return [
        f"- {name} ({city or vendor.city})",
        f"  {pick(vendor.services, t.language)}",
        "  " + _("Languages spoken: {languages}").format(languages=spoken),
        "  " + _("Contact: {contact}").format(contact=contact),
    ]


def vendors_text(vendors: list[Vendor], t: Translator, heading: str,
                 city_name: Callable[[str], str] | None = None) -> str:
    """A vendor list under `heading`, saying once, not on every entry, that its entries
    are samples (or, in a list that mixes them with real companies, which ones)."""
    _ = t.gettext
    lines = [heading]
    samples = sum(vendor.sample for vendor in vendors)
    if samples and samples == len(vendors):
        lines.append(_("These are sample entries, not real companies: the Cinema Department "
                       "has not yet given us its vetted list."))
    elif samples:
        lines.append(_("Entries marked (sample) are not real companies."))
    for vendor in vendors:
        city = city_name(vendor.city) if city_name is not None else vendor.city
        lines += vendor_lines(vendor, t, city, mark=0 < samples < len(vendors))
    return "\n".join(lines)


def _language_of(article: Article, t: Translator) -> str:
    return t.language if article.has_language(t.language) else "en"


def _head(article: Article, t: Translator) -> list[str]:
    """The title and the short answer (in English, saying so, where the reader's
    language is missing)."""
    _ = t.gettext
    lang = _language_of(article, t)
    parts: list[str] = []
    if lang != t.language:
        parts.append(_("(This article is not yet available in your language; here it is "
                       "in English.)"))
    return [*parts, f"**{article.title[lang]}**", article.summary[lang]]


def _reviewed(article: Article, t: Translator) -> str:
    return t.gettext("Reviewed on {date}.").format(date=t.date(article.reviewed))


def short_text(article: Article, t: Translator) -> str:
    """What a phone shows first: the title, the few lines a producer needs, the date the
    sources were checked; the details and the sources are a button away."""
    return "\n\n".join([*_head(article, t), _reviewed(article, t)])


def detail_parts(article: Article, kb: KnowledgeBase, t: Translator,
                 city_name: Callable[[str], str] | None = None) -> list[str]:
    """The body, the place's facts and the vendors list, as the paragraphs they are;
    `city_name` writes a vendor's city in the reader's language."""
    _ = t.gettext
    lang = _language_of(article, t)
    parts = [f"**{article.title[lang]}**", tables_as_lists(article.body[lang])]
    if article.location is not None:
        loc = article.location
        region = _(REGION_NAMES[loc.region])
        parts.append("\n".join([
            _("**Region:** {region}").format(region=region),
            _("**Best season:** {text}").format(text=pick(loc.best_season, lang)),
            _("**Access:** {text}").format(text=pick(loc.access, lang)),
            _("**Permit notes:** {text}").format(text=pick(loc.permit_notes, lang)),
        ]))
    if article.vendor_category:
        vendors = kb.vendors_in(article.vendor_category)
        if vendors:
            parts.append(vendors_text(vendors, t, _("**Vendors on our list:**"), city_name))
    return [part for part in parts if part]


# One message on Zalo (2,000 characters; Telegram takes 4,096), with room for the channel's
# own wrapping: what an article's details and a vendor list are cut to.
SECTION_LIMIT = 1800


def sections(parts: list[str], limit: int) -> list[str]:
    """Paragraphs gathered into sections of at most `limit` characters, cut between
    paragraphs (a paragraph longer than that is cut between its lines, then words), so
    that each section is one message on Telegram and on Zalo."""
    pieces: list[str] = []
    for part in parts:
        for paragraph in part.split("\n\n"):
            while len(paragraph) > limit:
                cut = paragraph.rfind("\n", 0, limit)
                if cut <= 0:
                    cut = paragraph.rfind(" ", 0, limit)
                if cut <= 0:
                    cut = limit
                pieces.append(paragraph[:cut].rstrip())
                paragraph = paragraph[cut:].lstrip()
            if paragraph.strip():
                pieces.append(paragraph)
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + 2 + len(piece) <= limit:
            out[-1] = f"{out[-1]}\n\n{piece}"
        else:
            out.append(piece)
    return out


def sources_text(article: Article, t: Translator) -> str:
    """The sources as links, each titled in the reader's language where the article
    gives that title, and the day they were checked."""
    _ = t.gettext
    sources = "\n".join(f"- [{s.title_in(t.language)}]({s.url})" for s in article.sources)
    return "\n\n".join([_("**Sources:**") + "\n" + sources, _reviewed(article, t)])


def render_text(article: Article, kb: KnowledgeBase, t: Translator) -> str:
    """The whole article in the reader's language (or English, saying so): what
    `crewbot ask` prints."""
    body = detail_parts(article, kb, t)[1:]  # the title is in the head
    return "\n\n".join([*_head(article, t), *body, sources_text(article, t)])


def decline_text(t: Translator, kb: KnowledgeBase, answer: Answer | None
                 ) -> tuple[str, list[Article]]:
    """The honest "I don't know", and near misses to offer as suggestions only."""
    _ = t.gettext
    text = _("I don't have a reliable answer to that in the knowledge base, and I won't "
             "guess. A member of staff can help you: press \"Talk to staff\".")
    suggestions = [kb.by_id[article_id] for article_id, score in answer.candidates[:2]
                   if score >= answer.threshold * SUGGESTION_RATIO] if answer else []
    if suggestions:
        text += "\n\n" + _("Perhaps one of these articles helps:")
    return text, suggestions


def no_article_text(t: Translator, places: list[Place]) -> str:
    """A place we know but have no article on: say so, and what applies everywhere."""
    _ = t.gettext
    names = ", ".join(place.name(t.language) for place in places)
    return _("We have no location article on {place} yet, so I won't guess what applies "
             "there. What applies everywhere in Vietnam: a foreign production films with a "
             "permit, through a Vietnamese film-service company; a drone needs its own "
             "flight permit; heritage sites, parks and the province add their own "
             "approvals. A member of staff can tell you about {place}.").format(place=names)


def several_text(t: Translator, asks: list[Ask]) -> str:
    """Several questions in one message: the short answer to each."""
    _ = t.gettext
    parts = [_("Your message asks about {count} things. The short answers:").format(
        count=len(asks))]
    for number, ask in enumerate(asks, start=1):
        article = ask.article
        lang = t.language if article.has_language(t.language) else "en"
        parts.append(f"{number}. **{article.title[lang]}**\n{article.summary[lang]}")
    parts.append(_("Press a topic for the full article with its sources."))
    return "\n\n".join(parts)


def text_for(t: Translator, talk: SmallTalk) -> str | None:
    """The short reply in kind; None where the menu is the reply (help, a greeting)."""
    _ = t.gettext
    replies = {
        "thanks": _("You're welcome! Ask me anything else about filming in Vietnam, in "
                    "your own words."),
        "ok": _("Good. Anything else? Type your question or open the menu."),
        "bye": _("Goodbye, and good luck with your shoot! Write again any time."),
        "laughter": _("Glad to hear it. Anything else I can help with?"),
        "bot": _("I'm crewbot, the film authority's automated assistant. I answer from a "
                 "knowledge base that staff review, with its sources, and I never guess. "
                 "For a person, press \"Talk to staff\"."),
        "number": _("That number is not one of the choices on screen. Choose a topic, or "
                    "type your question:"),
    }
    return replies.get(talk.kind)
