"""Questions the knowledge base could not answer, kept for staff (`crewbot kb gaps`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.knowledge import Answer
from bot.services.knowledge.text import normalize_question
from bot.storage.models import UnansweredQuestion, utcnow


async def record_unanswered(session: AsyncSession, chat_id: int | None, answer: Answer) -> None:
    session.add(UnansweredQuestion(
        chat_id=chat_id,
        text=answer.question[:4000],
        normalized=normalize_question(answer.question),
        language=answer.language,
        best_article=answer.candidates[0][0] if answer.candidates else None,
        score=answer.score,
        created_at=utcnow(),
    ))


@dataclass(frozen=True)
class Gap:
    count: int
    example: str
    language: str
    best_article: str | None


async def gaps(session: AsyncSession, limit: int = 20) -> list[Gap]:
    """The most frequent unanswered questions, grouped by their normalised form."""
    query = (
        select(
            UnansweredQuestion.normalized,
            func.count().label("n"),
            func.max(UnansweredQuestion.text),
            func.max(UnansweredQuestion.language),
            func.max(UnansweredQuestion.best_article),
        )
        .group_by(UnansweredQuestion.normalized)
        .order_by(func.count().desc(), UnansweredQuestion.normalized)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [Gap(int(row[1]), str(row[2]), str(row[3]), row[4]) for row in rows]
