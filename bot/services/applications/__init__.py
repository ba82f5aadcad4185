"""Permit applications: the workflow, crews following them, the department moving them."""

from bot.services.applications import texts
from bot.services.applications.service import (
    Applications,
    NewApplication,
    StatusChange,
    TooManyAttempts,
)
from bot.services.applications.workflow import (
    STATUSES,
    ApplicationError,
    Conflict,
    MissingDetail,
    TransitionRefused,
    UnknownStatus,
    items,
)

__all__ = ["STATUSES", "ApplicationError", "Applications", "Conflict", "MissingDetail",
           "NewApplication", "StatusChange", "TooManyAttempts", "TransitionRefused",
           "UnknownStatus", "items", "texts"]
