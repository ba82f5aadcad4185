"""A `Reply` in Zalo's forms: OA consultation messages, Bot Platform texts with numbers.

Zalo shows no markup, so the Markdown subset of replies is stripped (`to_plain`), links
kept as "label: url". A location becomes a text line with a maps link on both products
(a consultation message has no map pin we could rely on).

OA messages carry at most five buttons. A reply with more is sent as several messages:
whole rows of buttons go together as long as they fit, the reply's text rides on the
first, and the following ones carry a bare continuation mark (Zalo wants a text on a
button message, and the sender has no translator for a real sentence). That keeps every
choice one tap away, at the cost of a second bubble for the six-button menus.

The Bot Platform has no buttons at all: choices are numbered lines under the text, as
on the console, and the user answers with the number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.channels.console import maps_link
from bot.channels.zalo.events import ACTION_PREFIX
from bot.channels.zalo.oa_client import (
    MAX_BUTTON_PAYLOAD,
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_TEXT,
    buttons_message,
    image_message,
    link_button,
    query_button,
    text_message,
)
from bot.formatting import split_text, to_plain
from bot.messages import Button, Reply

log = logging.getLogger("crewbot.zalo")

CONTINUATION = "…"


def location_text(reply: Reply) -> str:
    assert reply.location is not None
    loc = reply.location
    title = loc.title or to_plain(reply.text).strip()
    line = f"📍 {title}: " if title else "📍 "
    return (f"{line}{loc.latitude:.5f}, {loc.longitude:.5f}\n"
            f"{maps_link(loc.latitude, loc.longitude)}")


def _title(label: str) -> str:
    label = to_plain(label).strip() or CONTINUATION
    if len(label) <= MAX_BUTTON_TITLE:
        return label
    return label[:MAX_BUTTON_TITLE - 1] + "…"


def oa_button(button: Button) -> dict[str, Any] | None:
    if button.url:
        return link_button(_title(button.label), button.url)
    if len(ACTION_PREFIX + button.action) > MAX_BUTTON_PAYLOAD or not button.action:
        log.error("button dropped: action empty or over %s characters action=%s",
                  MAX_BUTTON_PAYLOAD, button.action[:80])
        return None
    return query_button(_title(button.label), button.action)


def _button_groups(reply: Reply) -> list[list[dict[str, Any]]]:
    """Rows of OA buttons packed into messages of at most five, rows kept whole if they fit."""
    groups: list[list[dict[str, Any]]] = []
    for row in reply.buttons:
        built = [b for b in (oa_button(button) for button in row) if b is not None]
        if not built:
            continue
        if not groups or len(groups[-1]) + len(built) > MAX_BUTTONS:
            groups.append([])
        for button in built:
            if len(groups[-1]) == MAX_BUTTONS:
                groups.append([])
            groups[-1].append(button)
    return groups


def oa_messages(reply: Reply) -> list[dict[str, Any]]:
    """The consultation messages that together show `reply`, in sending order."""
    if reply.location is not None:
        return [text_message(location_text(reply))]
    messages: list[dict[str, Any]] = []
    if reply.image_url:
        messages.append(image_message(reply.image_url))
    text = to_plain(reply.text).strip()
    # The outbox cuts long replies at 2,000 characters already; this covers the rest.
    chunks = split_text(text, MAX_TEXT) if text else []
    groups = _button_groups(reply)
    if not groups:
        return messages + [text_message(chunk) for chunk in chunks]
    head = chunks[:-1]
    last = chunks[-1] if chunks else CONTINUATION
    messages += [text_message(chunk) for chunk in head]
    messages.append(buttons_message(last, groups[0]))
    messages += [buttons_message(CONTINUATION, group) for group in groups[1:]]
    return messages


@dataclass(frozen=True)
class BotRendering:
    """The Bot Platform texts of one reply, and the actions its numbers stand for."""

    photo_url: str
    texts: list[str]
    actions: list[str]


def bot_rendering(reply: Reply, first_number: int = 1, limit: int = MAX_TEXT) -> BotRendering:
    """`reply` as texts of at most `limit` characters; choices numbered from `first_number`."""
    if reply.location is not None:
        return BotRendering("", [location_text(reply)], [])
    lines: list[str] = []
    actions: list[str] = []
    for row in reply.buttons:
        for button in row:
            label = to_plain(button.label).strip()
            if button.url:
                lines.append(f"{label}: {button.url}")
            elif button.action:
                lines.append(f"[{first_number + len(actions)}] {label}")
                actions.append(button.action)
    text = to_plain(reply.text).strip()
    choices = "\n".join(lines)
    whole = "\n\n".join(part for part in (text, choices) if part)
    if len(whole) <= limit:
        texts = [whole] if whole else []
    else:
        texts = split_text(text, limit) if text else []
        if choices:
            texts += split_text(choices, limit)
    return BotRendering(reply.image_url, texts, actions)
