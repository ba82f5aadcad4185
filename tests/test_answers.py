"""Answering: language detection, tokenising, fuzzy names, confidence, and the dev set.

No line of shared/eval/dev.jsonl appears here: the questions below are our own, so the
dev figures stay a measurement of questions the bot has not been tuned on word for word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.eval_answers import evaluate, load_rows
from bot.services.knowledge import KnowledgeBase
from bot.services.knowledge.index import IN_QUESTIONS, IN_TITLE
from bot.services.knowledge.text import fold, tokenize, unknown_shares
from tests.conftest import ROOT, SHARED


def test_fold_and_tokenize_per_script() -> None:
    assert fold("Hội An") == "hoi an" and fold("Đà Lạt") == "da lat"
    assert "giay_phep" in tokenize("Giấy phép quay phim")
    assert "撮影" in tokenize("撮影許可の申請") and "許可" in tokenize("撮影許可の申請")
    assert "ドローン" in tokenize("ドローンを飛ばしたい")
    assert "드론" in tokenize("드론을 날려도 되나요")
    assert "the" not in tokenize("the drone") and tokenize("drones") == tokenize("drone")


def test_korean_particles_and_endings_come_off() -> None:
    assert tokenize("드론을") == tokenize("드론") == ["드론"]
    assert tokenize("촬영하려면 허가가 필요한가요") == ["촬영", "허가", "필요"]
    # A noun ending in a particle-like syllable keeps it: 가 after a consonant is no particle.
    assert tokenize("국가") == ["국가"] and "베이" in tokenize("하롱베이에서")
    # Two-syllable nouns ending like a particle stay whole, bare or with a particle.
    assert tokenize("허가") == tokenize("허가가") == tokenize("허가를") == ["허가"]
    assert tokenize("필요") == ["필요"] and tokenize("돼요") == []


def test_japanese_splits_at_script_changes() -> None:
    tokens = tokenize("博物館で撮影したいです")
    assert {"博物", "物館", "撮影"} <= set(tokens)
    assert "館で" not in tokens and "で撮" not in tokens  # no seam across the particle


def test_chinese_function_words_split_the_run() -> None:
    assert tokenize("签证要怎么申请") == ["签证", "证要", "申请"]  # no 要怎, 怎么, 么申


def test_latin_inflections_meet_their_stem() -> None:
    assert tokenize("filming") == tokenize("filmed") == tokenize("film")
    assert tokenize("tournez") == tokenize("tourner") and tokenize("coûte") == tokenize("coût")


def test_unknown_words_count_as_words_in_every_script() -> None:
    assert unknown_shares("맛집")["맛집"] == 1.0          # one Korean word
    assert unknown_shares("今日")["今日"] == 1.0          # one two-kanji word
    assert unknown_shares("giay phep")["giay_phep"] == 0.0  # a pair repeats its words


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Is a permit needed to shoot a short film here?", "en"),
        ("Combien de temps faut-il pour obtenir le permis ?", "fr"),
        ("Tôi cần giấy phép gì để quay phim?", "vi"),
        ("xin giay phep quay phim o dau vay", "vi"),
        ("cho minh xin so dien thoai cuc dien anh", "vi"),
        ("드론 촬영해도 되나요?", "ko"),
        ("申請に必要な書類を教えてください", "ja"),
        ("签证要怎么申请？", "zh"),
        ("Peut-on filmer dans une pagode ?", "fr"),
        # Place names keep their marks in any language and decide nothing.
        ("Des plages sympas à Đà Nẵng pour tourner ?", "fr"),
        # One Vietnamese loanword does not make a French sentence Vietnamese.
        ("Où manger un bon phở à Saïgon ?", "fr"),
        # í, ó, ú, á are no French letters: "phí?" is Vietnamese; a Spanish name in an
        # English sentence decides nothing.
        ("phí?", "vi"),
        ("Our DP José wants to know how long the permit takes", "en"),
        # Who writes a Chinese word amid English (Singapore, Kuala Lumpur) reads Chinese.
        ("Client's legal team asking 在越南拍摄一定要买 production insurance 吗? "
         "And any emergency hotline we should put on the call sheet? thx", "zh"),
        ("ok noted. 那 transport 呢? need 1 van + 1 truck for gear", "zh"),
        ("Hi, our PD asks: 드론 촬영 허가는 얼마나 걸려요?", "ko"),
        # Whole sentences of Vietnamese or French around a client's word are written by
        # an interpreter who reads Vietnamese or French (tune17, tune37).
        ("cho e hoi team Han Quoc muon 촬영 tren vinh Ha Long thi co phai xin phep ban "
         "quan ly vinh ko a?", "vi"),
        ("Bên Nhật cái gì cũng đòi 承諾書 (giấy đồng ý) có chữ ký hết, người dân xuất hiện "
         "trên hình có cần giấy đồng ý không ạ?", "vi"),
        ("Le réalisateur demande si on peut tourner au 文廟 avec une équipe de dix "
         "personnes, il faut une autorisation spéciale ?", "fr"),
        # ... but a Vietnamese phrase quoted in Korean is Korean.
        ("베트남어로 'xin giấy phép quay phim'이라고 하면 되나요?", "ko"),
    ],
)
def test_language_detection(knowledge: KnowledgeBase, text: str, language: str) -> None:
    assert knowledge.detect_language(text)[0] == language


def test_place_names_are_neutral(knowledge: KnowledgeBase) -> None:
    assert knowledge.detect_language("Ha Long")[0] == "en"
    assert knowledge.detect_language("Ha Long", hint="fr")[0] == "fr"
    assert knowledge.detect_language("Hà Nội")[0] == "vi"  # a bare name is all there is


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Are we allowed to fly a drone?", "permit.drone"),
        ("flycam", "permit.drone"),
        ("Halong bay", "location.ha-long-bay"),
        ("Hoian old town", "location.hoi-an"),
        ("filming in saigon", "location.ho-chi-minh-city"),
        ("ATA carnet", "customs.equipment"),
        ("we need a fixer", "vendors.service-company"),
        ("드론 촬영 허가", "permit.drone"),
        ("ホイアンで撮影", "location.hoi-an"),
        ("下龙湾拍摄", "location.ha-long-bay"),
        # Hiring points to the vendors, asking leave to the rules.
        ("Where can we rent a drone team in Hoi An?", "vendors.drone-operator"),
        ("드론 조종사를 섭외하고 싶어요", "vendors.drone-operator"),
        ("드론 촬영하려면 허가가 필요한가요?", "permit.drone"),
        # Long questions whose particles and endings once diluted the score.
        ("해변에서 드론으로 항공 촬영을 하려면 비행 허가를 따로 받아야 하나요?", "permit.drone"),
        ("撮影許可を申請するときに提出しなければならない書類を教えてください", "permit.dossier"),
        ("我们是外国剧组，想来越南拍一部电影，请问需要申请拍摄许可吗？", "permit.overview"),
    ],
)
def test_answers(knowledge: KnowledgeBase, question: str, article: str) -> None:
    answer = knowledge.answer(question)
    assert answer.article is not None, answer
    assert answer.article.id == article
    assert 0.0 <= answer.score <= 1.0


@pytest.mark.parametrize("question", [
    "Tell me something funny", "What is the capital of Peru?", "asdfgh qwerty",
    "Where can I film in Bangkok?",
    # One in-scope word (a place, "weather") must not carry an off-topic question.
    "하노이 맛집 추천해 주세요", "明日のハノイの天気を教えて",
    "Peut-on pêcher dans la baie d'Along ?", "Hát cho tôi một bài đi",
    "Where is a good bar in District 1?",
])
def test_out_of_scope_is_declined(knowledge: KnowledgeBase, question: str) -> None:
    answer = knowledge.answer(question)
    assert answer.article is None and answer.escalate, answer


@pytest.mark.parametrize("question", [
    "Do we need a visa to go to Cambodia for the next shoot?", "visa pour aller au Japon ?",
    "일본에서 촬영하려면 비자가 필요한가요?", "去泰国拍摄要办签证吗？", "Cần visa đi Lào không?",
    "Quelle autorisation pour tourner au Maroc ?",
])
def test_going_abroad_is_out_of_scope_even_for_visas(knowledge: KnowledgeBase,
                                                      question: str) -> None:
    assert knowledge.foreign_roles(question)[0], question
    assert knowledge.answer(question).article is None


@pytest.mark.parametrize("question", [
    "We fly in from Seoul next month, do the Korean crew need a visa?",
    "Nous arrivons de Paris : faut-il un visa pour l'équipe ?",
    "서울에서 오는 스태프도 비자가 필요한가요?",
    "And for our presenter, who holds a New Zealand passport: does he need a visa?",
])
def test_coming_from_abroad_still_gets_the_visa_article(knowledge: KnowledgeBase,
                                                         question: str) -> None:
    going, coming, _ = knowledge.foreign_roles(question)
    assert coming and not going
    answer = knowledge.answer(question)
    assert answer.article is not None and answer.article.id == "visa.crew", answer


def test_this_side_of_a_border_is_no_trip_abroad(knowledge: KnowledgeBase) -> None:
    assert knowledge.foreign_roles("Faut-il une autorisation particulière pour tourner en zone "
                                   "frontalière, côté Chine ?") == ([], [], [])
    answer = knowledge.answer("Faut-il une autorisation pour tourner en zone frontalière, "
                              "côté Chine ?")
    assert answer.article is not None and answer.article.id == "permit.restricted-areas"


def test_a_name_is_matched_only_where_all_its_words_are(knowledge: KnowledgeBase) -> None:
    """Hà Nội shares "ha" with Hà Giang; that is no mention of Hà Giang."""
    answer = knowledge.answer("Hà Giang en moto avec le matériel, c'est faisable ?")
    assert answer.candidates[0][0] == "location.ha-giang", answer.candidates


def test_crew_questions_are_their_own_tier_of_the_index(knowledge: KnowledgeBase) -> None:
    drone = next(n for n, a in enumerate(knowledge.articles) if a.id == "permit.drone")
    article = knowledge.articles[drone]
    index = knowledge.indexes["en"]
    title_words = set(tokenize(article.title["en"]))
    asked_only = {t for q in article.questions["en"] for t in tokenize(q)} - title_words - {
        t for alias in article.aliases["en"] for t in tokenize(alias)} - set(
        tokenize(" ".join(article.tags)))
    assert asked_only
    for token, where in ((next(iter(title_words)), IN_TITLE),
                         (sorted(asked_only)[0], IN_QUESTIONS)):
        found = index.matches(token)
        assert found is not None
        docs, places = found
        assert int(places[list(docs).index(drone)]) == where, token


def test_off_topic_terms_respect_vietnamese_marks_and_katakana_words(
        knowledge: KnowledgeBase) -> None:
    assert knowledge.off_topic_in("Hát cho tôi một bài đi") == ["hát cho"]
    assert knowledge.off_topic_in("Quận Hạt có đẹp không") == []
    assert knowledge.off_topic_in("Nhà hát Lớn Hà Nội") == []  # theatre, not singing
    assert knowledge.off_topic_in("ドライバー付きの車") == []  # バー inside ドライバー


def test_screening_the_finished_film_is_no_cinema_question(knowledge: KnowledgeBase) -> None:
    """Screening the film in Vietnam needs its classification (the after-shoot article);
    what cinemas show now does not concern us. Likewise "ask to see the rushes" is no
    sightseeing."""
    assert knowledge.off_topic_in(
        "베트남 안에서 상영하려면 별도 심의나 등급 분류가 필요한가요?") == []
    assert knowledge.off_topic_in("하노이에 한국 영화 상영하는 극장 있나요?")
    assert knowledge.off_topic_in("요즘 베트남 극장에서 상영 중인 한국 영화 뭐 있어요?")
    assert knowledge.off_topic_in("Les autorités demandent à voir nos rushes ?") == []
    assert knowledge.off_topic_in("Qu'est-ce qu'il y a à voir à Ninh Binh ?")
    # whose advert it is, not an account to open
    assert knowledge.off_topic_in("Bank TVC in HCMC, how long for permits?") == []
    assert knowledge.off_topic_in("Can I open a bank account in HCMC?")
    # a translator to hire is ours; asking the bot to translate is not
    assert knowledge.off_topic_in("Who can translate our script into Vietnamese?") == []


@pytest.mark.parametrize("question", [
    "海外で使うなら手数料安いクレカどれ？", "フーコックで泊まるならどのリゾートがいいかな？",
    "ドローンの操縦がうまくなるコツってありますか？",
    "인천공항 장기주차 하루 얼마에요?", "판시판 케이블카 첫차 몇시에요?",
    "Resort nào ở biển Mỹ Khê giá tốt cho đoàn 15 người?", "lich tau HP - HN chay may gio ak",
    "Which is the best bun cha in Hanoi?", "what club in Saigon can we book for the party?",
    "Pourriez-vous traduire ce paragraphe en allemand ?",
])
def test_leisure_money_and_skills_are_declined(knowledge: KnowledgeBase, question: str
                                                  ) -> None:
    assert knowledge.off_topic_in(question), question


# The targets (0.95 each) on the dev set.
FLOOR = {"top1": 0.95, "declined": 0.95, "lang": 0.95}
# Our own held-out questions (benchmarks/heldout.jsonl), written before tuning.
HELDOUT_FLOOR = {"top1": 0.95, "declined": 0.95, "lang": 1.0}


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


def test_heldout_set_regression_floor(knowledge: KnowledgeBase) -> None:
    result = evaluate(load_rows(Path(ROOT) / "benchmarks" / "heldout.jsonl"), knowledge)
    for metric, floor in HELDOUT_FLOOR.items():
        assert result["crewbot"][metric] >= floor, result


def test_a_listed_phrase_is_found_in_the_plural() -> None:
    """"houses" is "house", not "hous"; "taxes" is "tax"; "drones" is "drone"."""
    from bot.services.knowledge.phrases import Phrases

    phrases = Phrases([("rental house", "rent"), ("tax", "tax"), ("drone", "drone")])
    assert [m.value for m in phrases.find("any rental houses there? taxes? drones?")] == [
        "rent", "tax", "drone"]


def test_script_counts_count_each_scripts_letters() -> None:
    """Hangul (syllables, jamo and compatibility jamo), kana (half-width too), Han, and any
    other letter below U+2000 as "latin"; digits, marks, underscores and symbols are none."""
    from bot.services.knowledge.text import script_counts

    assert script_counts("Ha Long 하롱 ᄀㄱ ハロン ｱｲ 下龙湾 Đà Nẵng ΑΒΓ абв ß ǅ_9 ① ℓ ,.!") == {
        "hangul": 4, "kana": 5, "han": 3, "latin": 20}
    assert script_counts("") == {"hangul": 0, "kana": 0, "han": 0, "latin": 0}
