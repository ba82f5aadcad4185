"""The learned second opinion on which articles a message asks: it takes an article away
from a reading that answers several (never emptying one), adds one only to a message of
several sentences the rules answered, never reads a follow-up, and the shipped weights
are the ones the bot computes with."""

from __future__ import annotations

import base64
import json
from array import array
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.knowledge import KnowledgeBase
from bot.services.understanding import Reader
from bot.services.understanding.article_model import ASKED, ArticleModel, asked_ngrams

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TWO_ASKS = "Can we fly a drone over Da Nang? And how do we bring our cameras through customs?"


@pytest.fixture(scope="module")
def reader(knowledge: KnowledgeBase) -> Reader:
    return Reader.load(knowledge)


def model_of(articles: dict[str, tuple[list[int], float]], drop: float = 0.1,
             add: float = 0.95, grams: tuple[str, ...] = (" dr", "dro")) -> ArticleModel:
    """A model with the given weights per article over `grams`, packed as shipped."""
    return ArticleModel.load_data({
        "ngrams": list(grams), "idf": [1.0] * len(grams),
        "articles": list(articles),
        "coef": [base64.b64encode(array("b", w).tobytes()).decode() for w, _ in
                 articles.values()],
        "scales": [1.0] * len(articles), "intercepts": [b for _, b in articles.values()],
        "drop_below": drop, "add_above": add})


def test_the_shipped_model_is_loaded_with_the_knowledge(reader: Reader,
                                                        knowledge: KnowledgeBase) -> None:
    model = reader.article_model
    assert model is not None and 0.0 < model.drop_below < 0.5 < model.add_above
    assert set(model.articles) == {article.id for article in knowledge.articles}
    chances = model.chances(TWO_ASKS)
    assert chances["permit.drone"] > 0.5 and chances["customs.equipment"] > 0.5
    assert chances["vendors.catering"] < model.drop_below


def test_packed_weights_are_read_signed_and_scaled() -> None:
    model = model_of({"permit.drone": ([100, -100], 0.0)})
    text_with_both = "dro"  # " dr" and "dro" both occur, with equal weight
    assert model.chances(text_with_both)["permit.drone"] == pytest.approx(0.5)
    assert model.chances("nothing known") == {"permit.drone": pytest.approx(0.5)}
    assert model.revise("drone. dro", ["x.unknown"], 4) == ["x.unknown"]


def test_a_long_messages_questions_are_read_apart_from_its_context() -> None:
    """"drone" said in a question weighs apart from "drone" said around it; a message of
    one sentence has nothing to tell apart."""
    grams = asked_ngrams("We bring our own drone. Which visa do we need?")
    assert grams[" dr"] == 1 and grams[ASKED + " dr"] == 0
    assert grams[" vi"] == 1 and grams[ASKED + " vi"] == 1
    asked = asked_ngrams("We have a visa. Can we fly the drone?")
    assert asked[ASKED + " dr"] == 1 and asked[ASKED + " vi"] == 0
    assert not any(g.startswith(ASKED) for g in asked_ngrams("Can we fly a drone?"))
    marked = model_of({"permit.drone": ([0, 100], 0.0)}, grams=(" dr", ASKED + " dr"))
    assert marked.chances("We bring a drone. Which visa?")["permit.drone"] == 0.5
    assert marked.chances("We have visas. Can we fly the drone?")["permit.drone"] > 0.99


def test_a_mismatched_model_file_is_refused() -> None:
    with pytest.raises(ValueError, match=r"permit\.drone has 1 weights for 2 n-grams"):
        model_of({"permit.drone": ([1], 0.0)})


def test_both_questions_of_a_message_stay_answered(reader: Reader) -> None:
    assert reader.read(TWO_ASKS, None, None, NOW).articles == [
        "permit.drone", "customs.equipment"]


def test_an_article_the_model_is_sure_is_not_asked_is_dropped(knowledge: KnowledgeBase
                                                              ) -> None:
    loaded = Reader.load(knowledge)
    doubts_customs = model_of({"customs.equipment": ([0, 0], -10.0),
                               "permit.drone": ([0, 0], 10.0)})
    reader = Reader(knowledge, loaded.gazetteer, loaded.topics,
                    article_model=doubts_customs)
    assert reader.read(TWO_ASKS, None, None, NOW).articles == ["permit.drone"]


def test_a_reading_is_never_emptied_nor_a_single_answer_judged(knowledge: KnowledgeBase
                                                               ) -> None:
    loaded = Reader.load(knowledge)
    doubts_all = model_of({"customs.equipment": ([0, 0], -10.0),
                           "permit.drone": ([0, 0], -10.0)})
    reader = Reader(knowledge, loaded.gazetteer, loaded.topics, article_model=doubts_all)
    assert reader.read(TWO_ASKS, None, None, NOW).articles == [
        "permit.drone", "customs.equipment"]
    assert reader.read("Can we fly a drone in Da Nang?", None, None, NOW).articles == [
        "permit.drone"]


def test_a_follow_up_is_read_with_the_chat_not_the_model(knowledge: KnowledgeBase) -> None:
    loaded = Reader.load(knowledge)
    first = loaded.read("Can we fly a drone in Da Nang?", None, None, NOW)
    follow_up = "and what about customs for the cameras and the drone?"
    expected = loaded.read(follow_up, None, first.memory, NOW + timedelta(minutes=1))
    assert len(expected.articles) > 1
    doubts_all = model_of({a: ([0, 0], -10.0) for a in expected.articles})
    reader = Reader(knowledge, loaded.gazetteer, loaded.topics, article_model=doubts_all)
    doubts_customs = model_of({"customs.equipment": ([0, 0], -10.0),
                               "permit.drone": ([0, 0], 10.0)})
    sure = Reader(knowledge, loaded.gazetteer, loaded.topics, article_model=doubts_customs)
    later = NOW + timedelta(minutes=1)
    assert reader.read(follow_up, None, first.memory, later).articles == expected.articles
    assert sure.read(follow_up, None, first.memory, later).articles == expected.articles


def test_a_long_message_gets_an_article_the_model_is_sure_it_asks(knowledge: KnowledgeBase
                                                                  ) -> None:
    """Added only where the rules answered something, to a message of several sentences,
    and no more than the most a reply holds."""
    loaded = Reader.load(knowledge)
    sure_of_catering = model_of({"vendors.catering": ([0, 0], 10.0),
                                 "permit.drone": ([0, 0], 10.0),
                                 "customs.equipment": ([0, 0], 10.0)})
    reader = Reader(knowledge, loaded.gazetteer, loaded.topics,
                    article_model=sure_of_catering)
    assert reader.read(TWO_ASKS, None, None, NOW).articles == [
        "permit.drone", "customs.equipment", "vendors.catering"]
    assert reader.read("Can we fly a drone in Da Nang?", None, None, NOW).articles == [
        "permit.drone"]
    assert reader.read("Which hotel near Hoan Kiem lake is best? We land on Monday.", None,
                       None, NOW).articles == []
    assert sure_of_catering.revise("One. Two.", ["a", "b", "c", "d"], 4) == [
        "a", "b", "c", "d"]


def test_the_shipped_file_says_how_it_was_chosen(knowledge: KnowledgeBase) -> None:
    data = json.loads((knowledge.root / "article-model.json").read_text(encoding="utf-8"))
    assert "realistic" not in data["trained_on"]
    chosen = next(c for c in data["left_out"] if c["drop_below"] == data["drop_below"]
                  and c["add_above"] == data["add_above"])
    assert chosen["turned_right"] > 2 * chosen["turned_wrong"]
