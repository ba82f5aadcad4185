"""Who may do what: roles come from `[staff]` as "channel:user id" entries.

The user id, not the chat, carries the role: a staff member writing in the desk group
and in a private chat is the same person, and a crew member in the desk group is not
staff for being there.
"""

from __future__ import annotations

from bot.config import StaffConfig

CREW = "crew"
STAFF = "staff"
COORDINATOR = "coordinator"
ADMIN = "admin"


def role_of(settings: StaffConfig, channel: str, user_id: str) -> str:
    key = f"{channel}:{user_id}"
    if key in settings.admin_ids:
        return ADMIN
    if key in settings.coordinator_ids:
        return COORDINATOR
    if key in settings.staff_ids:
        return STAFF
    return CREW


def is_staff(role: str) -> bool:
    """Coordinators and admins can do all that staff can."""
    return role in (STAFF, COORDINATOR, ADMIN)


def is_coordinator(role: str) -> bool:
    """Admins can do all that coordinators can (schedule reminders)."""
    return role in (COORDINATOR, ADMIN)
