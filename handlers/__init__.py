"""Conversation handlers: parse, call a service, build `Reply`s. No platform code here.

The handler modules are imported when registered, not with the package: `crewbot ask`
needs only `handlers.wording` and should not pay for the database layer at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.router import Router


def register(router: Router) -> None:
    from handlers import (
        applications,
        articles,
        browse,
        escalations,
        media,
        places,
        questions,
        reminders,
        start,
        vendors,
    )

    start.register(router)
    browse.register(router)
    articles.register(router)
    escalations.register(router)
    applications.register(router)
    questions.register(router)
    media.register(router)
    places.register(router)
    reminders.register(router)
    vendors.register(router)
