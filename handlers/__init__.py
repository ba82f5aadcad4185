"""Conversation handlers: parse, call a service, build `Reply`s. No platform code here."""

from bot.router import Router
from handlers import applications, articles, browse, media, places, questions, staff, start


def register(router: Router) -> None:
    start.register(router)
    browse.register(router)
    articles.register(router)
    staff.register(router)
    applications.register(router)
    questions.register(router)
    media.register(router)
    places.register(router)
