"""The learned second opinion on which articles a message asks: its judge takes an
article away from a reading that answers several (never emptying one), adds one only to
a message the rules answered and it may judge, weighs where the rules read an article,
never reads a follow-up, and the shipped weights are the ones the bot computes with."""

from __future__ import annotations

import base64
import json
from array import array
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.knowledge import KnowledgeBase
from bot.services.understanding import Reader
from bot.services.understanding.article_model import ASKED, ArticleModel, asked_ngrams
from bot.services.understanding.ask_judge import Proposal, width

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TWO_ASKS = "Can we fly a drone over Da Nang? And how do we bring our cameras through customs?"


@pytest.fixture(scope="module")
def reader(knowledge: KnowledgeBase) -> Reader:
    return Reader.load(knowledge)


FAMILIES = ("customs", "permit", "vendors")


def judge_of(threshold: float = 0.6, **weights: float) -> dict[str, object]:
    """A judge weighing only the named facts: by default the model's chance alone (a
    candidate is kept when the model gives it at least `threshold`)."""
    names = ("logit", "answered", "index", "rules", "candidates", "rank", "lead",
             "sentences", "several", "in_question")
    facts = width(FAMILIES)
    coef = [0.0] * facts
    for name, value in (weights or {"logit": 1.0}).items():
        coef[names.index(name)] = value
    return {"families": list(FAMILIES), "mean": [0.0] * facts, "scale": [1.0] * facts,
            "coef": coef, "intercept": 0.0, "threshold": threshold}


def model_of(articles: dict[str, tuple[list[int], float]],
             grams: tuple[str, ...] = (" dr", "dro"),
             judge: dict[str, object] | None = None) -> ArticleModel:
    """A model with the given weights per article over `grams`, packed as shipped."""
    return ArticleModel.load_data({
        "ngrams": list(grams), "idf": [1.0] * len(grams),
        "articles": list(articles),
        "coef": [base64.b64encode(array("b", w).tobytes()).decode() for w, _ in
                 articles.values()],
        "scales": [1.0] * len(articles), "intercepts": [b for _, b in articles.values()],
        "judge": judge or judge_of()})


def proposed(*articles: str, in_question: bool = True) -> list[Proposal]:
    return [Proposal(a, "topic", in_question, False, True) for a in articles]


def test_the_shipped_model_is_loaded_with_the_knowledge(reader: Reader,
                                                        knowledge: KnowledgeBase) -> None:
    model = reader.article_model
    assert model is not None and 0.0 < model.judge.threshold <= 1.0
    assert set(model.articles) == {article.id for article in knowledge.articles}
    chances = model.chances(TWO_ASKS)
    assert chances["permit.drone"] > 0.5 and chances["customs.equipment"] > 0.5
    assert chances["vendors.catering"] < 0.1
    likely = model.judge.likelihoods(proposed("permit.drone", "customs.equipment"), chances,
                                     2, len(TWO_ASKS))
    assert min(likely["permit.drone"], likely["customs.equipment"]) >= model.judge.threshold


def test_packed_weights_are_read_signed_and_scaled() -> None:
    model = model_of({"permit.drone": ([100, -100], 0.0)})
    text_with_both = "dro"  # " dr" and "dro" both occur, with equal weight
    assert model.chances(text_with_both)["permit.drone"] == pytest.approx(0.5)
    assert model.chances("nothing known") == {"permit.drone": pytest.approx(0.5)}
    assert model.revise("drone. dro", proposed("x.unknown"), 4) == ["x.unknown"]


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
    short = {**judge_of(), "coef": [1.0]}
    with pytest.raises(ValueError, match=r"the judge has 1 weights for \d+ features"):
        model_of({"permit.drone": ([1, 1], 0.0)}, judge=short)


def test_the_judge_weighs_where_the_rules_read_an_article() -> None:
    """An article the rules read in a question stays; the same article read around the
    questions goes, when the judge has learnt that context is not asked (the model's
    chance is the same for both)."""
    context_is_not_asked = model_of({"permit.drone": ([0, 0], 0.0),
                                     "customs.equipment": ([0, 0], 0.0)},
                                    judge=judge_of(in_question=10.0, answered=-4.0))
    text = "We bring a drone. Which papers do customs want?"
    asked = [Proposal("customs.equipment", "topic", True, False, True),
             Proposal("permit.drone", "topic", False, False, True)]
    assert context_is_not_asked.revise(text, asked, 4) == ["customs.equipment"]
    both_asked = [Proposal("customs.equipment", "topic", True, False, True),
                  Proposal("permit.drone", "topic", True, False, True)]
    assert context_is_not_asked.revise(text, both_asked, 4) == [
        "customs.equipment", "permit.drone"]


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
    """Added only where the rules answered something and the judge has a say (a message
    of several sentences, or of several answers), and no more than the most a reply
    holds."""
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
    assert sure_of_catering.revise("One. Two.", proposed("a", "b", "c", "d"), 4) == [
        "a", "b", "c", "d"]


def test_the_shipped_file_says_how_it_was_chosen(knowledge: KnowledgeBase) -> None:
    data = json.loads((knowledge.root / "article-model.json").read_text(encoding="utf-8"))
    assert "realistic" not in data["trained_on"]
    chosen = next(c for c in data["left_out"]
                  if c["threshold"] == data["judge"]["threshold"])
    assert chosen["turned_right"] > 2 * chosen["turned_wrong"]
