"""Every answer, in every language, as a phone receives it on Telegram and on Zalo.

The first message (the title, the short answer and the review line) must read on one
screen: at most 1,000 characters. Each later part (a Details section, the Sources) must
be one message: Telegram takes 4,096 characters after its HTML is parsed, Zalo 2,000
(`bot.channels.zalo.oa_client.MAX_TEXT`, the limit its channel code splits at). A
failure names the article, the language and the part, for the content's editors.
"""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import date

import pytest

from bot.channels.telegram import TEXT_LIMIT
from bot.channels.zalo.oa_client import MAX_TEXT
from bot.channels.zalo.render import oa_messages
from bot.formatting import to_html, to_plain
from bot.i18n import default_catalogs
from bot.messages import Reply
from bot.services.knowledge import KnowledgeBase
from bot.services.knowledge.model import ALL_LANGUAGES
from handlers.articles import SECTION_LIMIT
from handlers.wording import detail_parts, sections, short_text, sources_text

FIRST_MESSAGE = 1000


def on_telegram(text: str) -> int:
    """The length Telegram counts: the text its HTML parses to, in UTF-16 code units."""
    shown = html.unescape(re.sub(r"<[^>]+>", "", to_html(text)))
    return len(shown.encode("utf-16-le")) // 2


def on_zalo(text: str) -> int:
    """The text Zalo receives; longer than one message, it would arrive in pieces."""
    messages = oa_messages(Reply(text))
    assert all(len(m["text"]) <= MAX_TEXT for m in messages)
    return MAX_TEXT + 1 if len(messages) > 1 else len(to_plain(text).strip())


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_every_answer_fits_a_phone(knowledge: KnowledgeBase, language: str) -> None:
    t = default_catalogs().get(language)
    too_long: list[str] = []
    for article in knowledge.articles:
        first = short_text(article, t)
        for channel, length in (("telegram", on_telegram(first)), ("zalo", on_zalo(first))):
            if length > FIRST_MESSAGE:
                too_long.append(f"{article.id} {language} first message on {channel}: "
                                f"{length} > {FIRST_MESSAGE}")
        parts = [(f"details {n}", text) for n, text in enumerate(
            sections(detail_parts(article, knowledge, t), SECTION_LIMIT), start=1)]
        parts += [(f"sources {n}", text) for n, text in enumerate(
            sections([sources_text(article, t)], SECTION_LIMIT), start=1)]
        for name, text in parts:
            for channel, length, limit in (("telegram", on_telegram(text), TEXT_LIMIT),
                                           ("zalo", on_zalo(text), MAX_TEXT)):
                if length > limit:
                    too_long.append(f"{article.id} {language} {name} on {channel}: "
                                    f"{length} > {limit}")
    assert not too_long, "\n".join(too_long)


@pytest.mark.parametrize(("language", "written"), [
    ("en", "November 24, 2026"), ("vi", "24 tháng 11, 2026"), ("ko", "2026년 11월 24일"),
    ("ja", "2026年11月24日"), ("zh", "2026年11月24日"), ("fr", "24 novembre 2026")])
def test_the_review_date_is_written_as_the_reader_writes_dates(
        knowledge: KnowledgeBase, language: str, written: str) -> None:
    """The first message's last line and the Sources' footer, through Babel."""
    article = dataclasses.replace(knowledge.by_id["permit.drone"], reviewed=date(2026, 11, 24))
    t = default_catalogs().get(language)
    for text in (short_text(article, t), sources_text(article, t)):
        assert written in text.rsplit("\n\n", 1)[1] and "2026-11-24" not in text
