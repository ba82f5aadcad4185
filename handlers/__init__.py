"""Conversation handlers: parse, call a service, build `Reply`s. No platform code here."""

from bot.router import Router
from handlers import (
    applications,
    articles,
    browse,
    escalations,
    media,
    places,
    questions,
    start,
)


def register(router: Router) -> None:
    start.register(router)
    browse.register(router)
    articles.register(router)
    escalations.register(router)
    applications.register(router)
    questions.register(router)
    media.register(router)
    places.register(router)
