"""Escalations: what the bot cannot answer reaches a person, and the answer the crew."""

from bot.services.escalations.service import DeskNotConfigured, Escalations

__all__ = ["DeskNotConfigured", "Escalations"]
