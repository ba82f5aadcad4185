"""Answering: language detection, tokenising, fuzzy names, confidence, and the dev set."""

from __future__ import annotations

import pytest

from benchmarks.eval_answers import evaluate, load_rows
from bot.services.knowledge import KnowledgeBase
from bot.services.knowledge.text import fold, tokenize
from tests.conftest import SHARED


def test_fold_and_tokenize_per_script() -> None:
    assert fold("Hội An") == "hoi an" and fold("Đà Lạt") == "da lat"
    assert "giay_phep" in tokenize("Giấy phép quay phim")
    assert "撮影" in tokenize("撮影許可の申請") and "許可" in tokenize("撮影許可の申請")
    assert "ドローン" in tokenize("ドローンを飛ばしたい")
    assert "드론" in tokenize("드론을 날려도 되나요")
    assert "the" not in tokenize("the drone") and "drone" in tokenize("drones")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Do I need a permit to film in Vietnam?", "en"),
        ("Combien de jours pour le permis ?", "fr"),
        ("Tôi cần giấy phép gì để quay phim?", "vi"),
        ("xin giay phep quay mat bao lau vay ad", "vi"),
        ("cho xin sdt lien he cuc dien anh voi", "vi"),
        ("드론 써도 돼요?", "ko"),
        ("必要な書類は何ですか？", "ja"),
        ("签证怎么办？", "zh"),
        ("Peut-on filmer dans une pagode ?", "fr"),
    ],
)
def test_language_detection(knowledge: KnowledgeBase, text: str, language: str) -> None:
    assert knowledge.detect_language(text)[0] == language


def test_place_names_are_neutral(knowledge: KnowledgeBase) -> None:
    assert knowledge.detect_language("Da Lat")[0] == "en"
    assert knowledge.detect_language("Da Lat", hint="fr")[0] == "fr"


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Can I fly a drone?", "permit.drone"),
        ("flycam", "permit.drone"),
        ("Halong bay", "location.ha-long-bay"),
        ("Hoian old town", "location.hoi-an"),
        ("filming in saigon", "location.ho-chi-minh-city"),
        ("ATA carnet", "customs.equipment"),
        ("we need a fixer", "vendors.service-company"),
        ("드론 촬영 허가", "permit.drone"),
        ("ホイアンで撮影", "location.hoi-an"),
        ("下龙湾拍摄", "location.ha-long-bay"),
    ],
)
def test_answers(knowledge: KnowledgeBase, question: str, article: str) -> None:
    answer = knowledge.answer(question)
    assert answer.article is not None, answer
    assert answer.article.id == article
    assert 0.0 <= answer.score <= 1.0


@pytest.mark.parametrize("question", ["Tell me a joke", "What is the capital of Peru?",
                                      "asdfgh qwerty", "Where can I film in Bangkok?"])
def test_out_of_scope_is_declined(knowledge: KnowledgeBase, question: str) -> None:
    answer = knowledge.answer(question)
    assert answer.article is None and answer.escalate


# Regression floors at the level measured when this test was last raised. The issue's
# targets (0.95 for each) are not reached yet; raise these as the answering improves.
FLOOR = {"top1": 0.78, "declined": 0.66, "lang": 0.95}


def test_dev_set_regression_floor_and_beats_baseline(knowledge: KnowledgeBase) -> None:
    path = SHARED / "eval" / "dev.jsonl"
    if not path.exists():
        pytest.skip("shared/eval/dev.jsonl is not beside this checkout")
    result = evaluate(load_rows(path), knowledge)
    ours, base = result["crewbot"], result["bm25_baseline"]
    for metric, floor in FLOOR.items():
        assert ours[metric] >= floor, result
    assert ours["top1"] > base["top1"] + 0.1, result
    assert ours["declined"] > base["declined"], result
    assert ours["lang"] > base["lang"] + 0.5, result
