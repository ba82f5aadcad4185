"""The learned second opinion on scope: it takes away only answers that a place alone
(or the search's guess) gave to a message naming no word of ours, not even a filming
word, never a topic's or a follow-up's, and never one of the knowledge base's own crew
questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.knowledge import KnowledgeBase
from bot.services.understanding import Reader
from bot.services.understanding.letter_ngrams import ngrams
from bot.services.understanding.scope_model import ScopeModel

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def reader(knowledge: KnowledgeBase) -> Reader:
    return Reader.load(knowledge)


def test_ngrams_read_marks_and_case_alike() -> None:
    assert ngrams("Hội An") == ngrams("hoi an")
    assert " ho" in ngrams("Hội An") and "an " in ngrams("Hội An")


def test_the_shipped_model_is_loaded_with_the_knowledge(reader: Reader) -> None:
    model = reader.scope_model
    assert model is not None and 0.0 < model.threshold < 1.0
    assert 0.0 <= model.off_scope("Do we need a permit to film in Hue?") < model.threshold


@pytest.mark.parametrize("text", [
    "Is there a coworking space in District 1 we can rent for a month?",
    "Best hotel near the Hoi An old town for our crew?",
    "하롱베이 1박2일 크루즈 추천 좀 해주세요",
])
def test_a_place_named_beside_something_not_ours_is_declined(text: str, reader: Reader
                                                             ) -> None:
    assert reader.read(text, None, None, NOW).articles == []


def test_places_and_topics_of_ours_are_answered(reader: Reader) -> None:
    assert reader.read("Can we shoot at Hoan Kiem lake?", None, None, NOW).articles == [
        "location.hanoi"]
    reading = reader.read("Nha Trang beach filming, what do we need?", None, None, NOW)
    assert [p.id for p in reading.unknown_places] == ["nha-trang"]


def test_only_topic_less_answers_outside_a_follow_up_are_judged(knowledge: KnowledgeBase
                                                                ) -> None:
    """A model sure of everything still leaves topics, a place named alone (it asks
    what filming there takes) and follow-ups alone."""
    loaded = Reader.load(knowledge)
    sure = ScopeModel({}, {}, 0.0, -1.0)  # declines whatever it reads
    reader = Reader(knowledge, loaded.gazetteer, loaded.topics, scope_model=sure)
    assert reader.read("What about Hoan Kiem lake?", None, None, NOW).articles == []
    assert reader.read("Hoan Kiem lake?", None, None, NOW).articles == ["location.hanoi"]
    assert reader.read("Can we shoot at Hoan Kiem lake?", None, None, NOW).articles == [
        "location.hanoi"]
    assert reader.read("Can we fly a drone in Da Nang?", None, None, NOW).articles == [
        "permit.drone"]
    first = loaded.read("Can we fly a drone in Da Nang?", None, None, NOW)
    later = NOW + timedelta(minutes=2)
    assert reader.read("and in Hoi An?", None, first.memory, later).articles == [
        "permit.drone"]


def test_no_crew_question_of_the_knowledge_base_is_declined_by_the_model(
        knowledge: KnowledgeBase, reader: Reader) -> None:
    """Each crew question the reader answers without a topic is one the model judges;
    none may be declined."""
    model = reader.scope_model
    assert model is not None
    rules = Reader(knowledge, reader.gazetteer, reader.topics)
    judged = [(article.id, question) for article in knowledge.articles
              for language, questions in article.questions.items() for question in questions
              if (reading := rules.read(question, language)).asks and not reading.topical]
    assert len(judged) > 100
    assert [(article, q) for article, q in judged if model.declines(q)] == []
