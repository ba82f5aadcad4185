"""Reminders: coordinators say it once, every linked crew member hears it once."""

from bot.services.reminders.service import Draft, Reminders, Summary

__all__ = ["Draft", "Reminders", "Summary"]
