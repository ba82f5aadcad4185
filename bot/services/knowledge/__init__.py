"""Load, validate, index and search the knowledge base in `knowledge/`."""

from bot.services.knowledge.model import Article, Problem, Vendor
from bot.services.knowledge.service import Answer, KnowledgeBase

__all__ = ["Answer", "Article", "KnowledgeBase", "Problem", "Vendor"]
