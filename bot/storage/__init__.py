"""Persistence: SQLAlchemy models, the async engine and Alembic migrations."""

from bot.storage.db import Database
from bot.storage.models import Base, Chat, Message, UnansweredQuestion

__all__ = ["Base", "Chat", "Database", "Message", "UnansweredQuestion"]
