"""What the case system reads about an application: its record and history, never the
access code or any hash (those stay with the crews and the database)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.applications import items
from bot.storage.models import Application, ApplicationEvent

Body = dict[str, object]


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def event_json(event: ApplicationEvent) -> Body:
    return {"from": event.from_status or None, "to": event.to_status, "note": event.note,
            "actor": event.actor, "at": _moment(event.created_at)}


def application_json(application: Application, history: Iterable[ApplicationEvent]) -> Body:
    return {
        "reference": application.reference,
        "external_case": application.external_case,
        "status": application.status,
        "production_title": application.production_title,
        "company": application.company,
        "country": application.country,
        "service_company": application.service_company,
        "shoot_start": _day(application.shoot_start),
        "shoot_end": _day(application.shoot_end),
        "locations": items(application.locations),
        "contact_email": application.contact_email,
        "note": application.note,
        "requested": items(application.requested),
        "requested_due": _day(application.requested_due),
        "decision_due": _day(application.decision_due),
        "permit_number": application.permit_number or None,
        "valid_from": _day(application.valid_from),
        "valid_until": _day(application.valid_until),
        "created_at": _moment(application.created_at),
        "updated_at": _moment(application.updated_at),
        "history": [event_json(event) for event in history],
    }


async def histories(session: AsyncSession, applications: list[Application]
                    ) -> dict[int, list[ApplicationEvent]]:
    """The histories of a whole page in one query (not one per application)."""
    by_application: defaultdict[int, list[ApplicationEvent]] = defaultdict(list)
    if not applications:
        return by_application
    events = await session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id.in_([row.id for row in applications]))
        .order_by(ApplicationEvent.application_id, ApplicationEvent.id))
    for event in events:
        by_application[event.application_id].append(event)
    return by_application
