"""The states of an application and the moves between them.

One table says which move is allowed from where, so that the API, the staff commands,
the command line and the expiry job all refuse the same things with the same words.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
INFO_REQUESTED = "info_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
EXPIRED = "expired"

STATUSES = (SUBMITTED, UNDER_REVIEW, INFO_REQUESTED, APPROVED, REJECTED, WITHDRAWN, EXPIRED)
OPEN = (SUBMITTED, UNDER_REVIEW, INFO_REQUESTED)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    SUBMITTED: (UNDER_REVIEW, WITHDRAWN),
    UNDER_REVIEW: (INFO_REQUESTED, APPROVED, REJECTED, WITHDRAWN),
    INFO_REQUESTED: (UNDER_REVIEW, WITHDRAWN),
    APPROVED: (EXPIRED,),
    REJECTED: (),
    WITHDRAWN: (),
    EXPIRED: (),
}


class ApplicationError(Exception):
    """A change refused for a reason the caller can act on; the text says which."""


class UnknownStatus(ApplicationError):
    def __init__(self, status: str) -> None:
        super().__init__(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")


class TransitionRefused(ApplicationError):
    def __init__(self, current: str, wanted: str) -> None:
        allowed = TRANSITIONS.get(current, ())
        names = ", ".join(allowed) if allowed else "none (it is final)"
        super().__init__(f"cannot go from {current} to {wanted}; allowed from {current}: "
                         f"{names}")
        self.current = current
        self.wanted = wanted
        self.allowed = allowed


class Conflict(ApplicationError):
    """Someone else changed the application between our read and our write."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"{reference} was changed at the same moment; read it again and "
                         "retry")


class MissingDetail(ApplicationError):
    """A status that needs details (items requested, a permit number) came without them."""


def check(current: str, wanted: str) -> None:
    if wanted not in STATUSES:
        raise UnknownStatus(wanted)
    if wanted not in TRANSITIONS.get(current, ()):
        raise TransitionRefused(current, wanted)


def items(raw: str) -> list[str]:
    """A list column (locations, items requested), kept as JSON text."""
    value = json.loads(raw or "[]")
    return [str(item) for item in value] if isinstance(value, list) else []


def decision_due(complete_since: date | None, days: int) -> date | None:
    """Calendar days from the day the file was complete; none while it is not."""
    return complete_since + timedelta(days=days) if complete_since is not None else None
