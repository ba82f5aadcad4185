"""The knowledge base as the bot uses it: load, index, answer, browse."""

from __future__ import annotations

import functools
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from bot.services.knowledge import loader, menus
from bot.services.knowledge.cache import KnowledgeCache
from bot.services.knowledge.index import (
    IN_BODY,
    IN_QUESTIONS,
    IN_TITLE,
    STRONG,
    WEAK,
    IndexedDoc,
    LanguageIndex,
    QuestionSet,
    TokenEvidence,
    build_indexes,
    is_kana_bigram,
    pin_mmap_threshold,
    token_class,
)
from bot.services.knowledge.langdetect import LanguageDetector
from bot.services.knowledge.menus import Menu
from bot.services.knowledge.model import ALL_LANGUAGES, Article, Content, Problem, Vendor
from bot.services.knowledge.names import NameMatcher
from bot.services.knowledge.phrases import Match, Phrases, unmarked_forms
from bot.services.knowledge.text import (
    INTRODUCED,
    fold,
    han_pieces,
    part_scales,
    tokenize,
    unknown_shares,
)

# A foreign place in the question halves confidence; articles about coming from abroad
# (visas, customs, calling the department from another time zone) lose less.
ABROAD_CATEGORIES = frozenset({"visa", "customs", "contact"})
FOREIGN_PENALTY = 0.5
# A word from `scope.yaml`'s off-topic list (today's weather, restaurants, jokes) likewise.
OFF_TOPIC_PENALTY = 0.4
ABROAD_PENALTY = 0.75
# Words around a foreign place that make it where the crew is going or working (folded).
_GOING_BEFORE = re.compile(
    r"(?:\b(?:to|into|visit|visiting|for|visa|au|aux|en|pour|vers|visiter|di|sang|qua|toi"
    r"|den|du lich|visa du lich"
    # filming there: "to film in Japan", "shooting in Cambodia", "quay o Thai Lan"
    r"|(?:film|filming|shoot|shooting|record|recording|quay|quay phim)"
    r"\s+(?:in|at|o|tai))\s+(?:the\s+|la\s+|le\s+|l')?|去|到|赴|往|在)$")
_GOING_AFTER = re.compile(
    # (a visa's class may stand between: "美国B1/B2签证", "USA E-2 visa")
    r"\s*(?:[a-z]-?\d{1,2}(?:/[a-z]-?\d{1,2})?\s*)?(?:visa|(?:관광\s*)?비자|에\s*가|으?로\s*가|행|에서\s*(?:촬영|찍|드론|허가)|에\s*(?:가|입국)"
    r"|に行|へ|に入国|に呼|のビザ|ビザ|で撮|でドローン|签证|旅游|拍)")
# ... that send the crew (or its gear) back home, which is no filming abroad: "take the
# kit back to Korea", "다시 한국으로 가지고", "rentrer en France", "日本に持ち帰る".
_RETURN_BEFORE = re.compile(
    r"(?:\b(?:back to|back home to|return to|returning to|retour en|retour au|rentrer en"
    r"|rentrer au|ramener en|ramener au|ramene en|ramene au|ramenons en|ramenons au"
    r"|mang ve|ve lai|tro ve)\s+(?:the\s+)?"
    r"|다시\s*|带回|运回|回)$")
_RETURN_AFTER = re.compile(r"\s*(?:に戻|へ戻|に持ち帰|へ持ち帰|に持って帰|に帰|へ帰)")
# ... that name the neighbour across Vietnam's border ("near the border with China",
# "中国との国境付近", "biên giới Việt - Trung"): the shoot is on this side.
_BORDER_BEFORE = re.compile(r"\b(?:borders? with|bordering|(?:frontieres?|frontalieres?) avec"
                            r"|bien gioi(?: voi)?"
                            r"|giap(?: voi)?"
                            # "en zone frontalière, côté Chine": this side of it
                            r"|frontalieres?,?\s+(?:du\s+)?cote(?:\s+de)?"
                            r"|border (?:areas?|zones?|regions?),?\s+(?:near|by)"
                            r")\s+(?:the\s+|la\s+|le\s+|l')?$")
_BORDER_AFTER = re.compile(r"(?:\s*(?:-?\s*vietnam(?:ese)?\s+)?(?:border|frontier)\b"
                           r"|\s*(?:との|と)?国境|\s*(?:的)?边境|\s*接壤|\s*(?:와|과)?\s*(?:의\s*)?국경)")
# Words making a venue the set of a scene ("cảnh bar", "a bar scene", "scène de café").
_SCENE_BEFORE = re.compile(r"(?:\b(?:canh|scene in an?|scene at an?|scenes in an?|scene de"
                           r"|scenes de|scene dans une?|set in an?|boi canh"
                           # what is filmed: "shoot a song" (a song sequence), "filmer un match"
                           r"|(?:shoot|shooting|film|filming|picturi[sz]e|picturi[sz]ing|tourner"
                           r"|filmer)(?:\s+(?:a|an|the|our|this|un|une|le|la|notre))?)\s+"
                           r"(?:the\s+|la\s+|le\s+)?"
                           r"|장면|シーン|戏)$")
_SCENE_AFTER = re.compile(r"(?:\s+(?:scene|scenes|set|sequence)\b|\s*(?:장면|씬|신|のシーン|シーン"
                          r"|のカット|戏|场景|镜头)"
                          # ... or whose advert it is: "a bank TVC", "pub pour une banque"
                          r"|\s+(?:tvc|commercial|commercials|advert|ad|ads|campaign|spot"
                          r"|client)\b|\s*(?:광고|のcm|cm|广告))")
# ... where a transfer starts or ends ("minibus pour les transferts hôtel-décor", "pick-up
# at the hotel", "酒店接送"): the trip is what is asked, a van and a driver, no booking.
_TRANSFER_BEFORE = re.compile(r"(?:\b(?:transfers?|transferts?|navettes?|shuttles?|pick ?ups?"
                              r"|pickup at|pick up at|pick us up at|drop ?off at|dua don|don)"
                              r"\s+(?:(?:at|from|to|the|our|a|de|du|l'|la|le|les|tu|o|tai)\s+)*"
                              r"|从)$")
_TRANSFER_AFTER = re.compile(r"(?:\s*[-/]\s*(?:set|location|decor|plateau|lieu de tournage"
                             r"|airport|aeroport|san bay|phim truong)"
                             r"|\s+(?:transfers?|transferts?|shuttles?|pick ?ups?|navettes?)\b"
                             r"|\s*(?:接送|送迎|픽업|셔틀|からロケ地|から現場|에서 현장"
                             r"|到片场|到现场))")
# ... that a comparison names ("a rebate like Thailand's", "태국처럼", "comme en
# Thaïlande"): the question is still about here.
_LIKE_BEFORE = re.compile(r"\b(?:like|unlike|as in|compared to|compared with|comme en|comme au"
                          r"|comme a|comme la|contrairement a|nhu|giong nhu|giong)\s+"
                          r"(?:the\s+|in\s+|la\s+|le\s+)?$|(?:像|跟|和|与)$")
_LIKE_AFTER = re.compile(r"\s*(?:처럼|같이|보다|のように|みたいに|と同様|と同じ|より|一样"
                         r"|那样|那样的)")
# ... that name a language, not the country ("phiên dịch tiếng Pháp", "프랑스어 통역").
_LANGUAGE_BEFORE = re.compile(r"\btieng\s+$")
_LANGUAGE_AFTER = re.compile(r"어|語|语")
_NOT_A_TRIP = ((_LANGUAGE_BEFORE, _LANGUAGE_AFTER), (_BORDER_BEFORE, _BORDER_AFTER),
               (_LIKE_BEFORE, _LIKE_AFTER))
# A venue as a scene's set ("cảnh bar", "une scène de restaurant") or as a transfer's end
# is filming or transport, not going out.
_NOT_GOING_OUT = ((_SCENE_BEFORE, _SCENE_AFTER), (_TRANSFER_BEFORE, _TRANSFER_AFTER))


def _around(folded: str, start: int, end: int,
            words: tuple[re.Pattern[str], re.Pattern[str]]) -> bool:
    """Whether the words just before `start` or just after `end` are these."""
    before, after = words
    return bool(before.search(folded, 0, start) or after.match(folded, end))


# ... and that make it where the crew comes from.
_FROM_BEFORE = re.compile(r"(?:\b(?:from|de|du|des|depuis|tu|quoc tich|nguoi|nationality"
                          # "báo giá cho bên Pháp", "phía Hàn Quốc", "đoàn Nhật": the party
                          # or crew from abroad
                          r"|nationalite|ben|phia|doan|ekip)\s+(?:the\s+|la\s+|l')?|从|来自|国籍)$")
_FROM_AFTER = re.compile(r"\s*(?:에서\s*(?:오|와|왔|출발|쓰던|가져|들고|사용하던)"
                         r"|(?:側|サイド)?から|出发|过来"
                         r"|\s*국적|国籍|籍|人"
                         # whose passport it is: "a New Zealand passport", "한국 여권"
                         r"|\s+(?:passports?|citizens?|nationals?)\b|\s*여권|\s*护照|の?パスポート"
                         # ... or where its company is: "日本の制作会社", "한국 제작사",
                         # "a Tokyo-based company", "上海一家影视公司"
                         r"|-?based|\s*(?:production )?company"
                         r"|の(?:制作|映像|CM)?(?:会社|プロダクション)"
                         r"|의?\s*(?:제작사|회사|방송사|프로덕션|광고대행사)"
                         r"|(?:的|一家)?(?:影视|广告|制作|传媒)?公司)")
# A place's own name in the question counts beyond an ordinary alias match, so that the
# place's article beats articles that merely mention it ("Ha Long Bay" in heritage rules).
NAME_BONUS = 0.8
# ... and weighs as two words in the question: in "Sa Pa, how bad are the roads up there
# with a grip truck?" the place is what is asked about, whatever the other words.
NAME_WEIGHT = 2.0
# A place name followed by one of these is a language or a nationality ("한국어", "日本語").
_NOT_A_PLACE_AFTER = tuple("어語语人인")
# A foreign place's Vietnamese name this short, once folded, is matched with its marks.
SHORT_MARKED_NAME = 3


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    language_confident: bool
    article: Article | None
    score: float
    threshold: float
    candidates: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    @property
    def escalate(self) -> bool:
        return self.article is None

    @property
    def answer_language(self) -> str:
        if self.article is None or self.article.has_language(self.language):
            return self.language
        return "en"


def _body_token(token: str) -> bool:
    """Word pairs and kana-only bigrams add little in long text and cost much memory."""
    return "_" not in token and not is_kana_bigram(token)


def _doc_fields(article: Article, language: str) -> IndexedDoc:
    strong: list[str] = []
    weak: list[str] = []
    strong += tokenize(article.title.get(language, ""))
    for alias in article.aliases.get(language, ()):
        strong += tokenize(alias)
    if language == "en":
        for tag in article.tags:
            strong += tokenize(tag.replace("-", " "))
    asked: list[str] = []
    for question in article.questions.get(language, ()):
        asked += tokenize(question)
    texts = [article.summary.get(language, ""), article.body.get(language, "")]
    if article.location is not None:
        texts += [field.get(language, "") for field in (
            article.location.best_season, article.location.access,
            article.location.permit_notes)]
    for text in texts:
        weak += [token for token in tokenize(text) if _body_token(token)]
    return IndexedDoc(strong, weak, asked)


# What the question wants done, from cue words in its own language: hiring or renting
# points to a vendor article, asking leave to a rule. Only the order of articles that
# explain the question alike changes ("Can I use a drone?" is about the rules, "rent a
# drone" about the vendors); confidence does not.
_HIRE_CUES: dict[str, tuple[str, ...]] = {
    "en": ("rent", "rental", "renting", "hire", "hiring", "book", "booking", "find", "recommend",
           "rec",  # (shorthand: "can u rec a local op")
           "supplier", "vendor", "operator", "agency", "who can", "charter", "do you have",
           "go through", "with driver", "with a driver", "the list", "locally", "looking for a",
           "looking for an", "looking for local", "name a few", "name some", "any names",
           "suggest one", "suggest some", "do you know a", "do you know any", "know anyone",
           "know someone", "any contacts", "a contact for"),
    "fr": ("louer", "loue", "location", "trouver", "recommander", "conseiller", "prestataire",
           "fournisseur", "agence", "engager", "on engage", "engageons", "embaucher",
           "qui peut", "operateur",
           "vous avez des", "avez-vous des", "passer par", "passe par", "avec chauffeur",
           "vous en avez", "une liste", "vous auriez des", "auriez-vous des", "loueur",
           "loueurs", "cherchons un", "cherchons une", "cherchons deux", "cherche un",
           "cherche une", "recherchons un", "recherchons une", "vous en connaissez",
           "en connaissez", "m'en indiquer", "m'en recommander", "des noms", "quelques noms",
           "si on prend", "on prendrait"),
    "vi": ("thue", "tim", "gioi thieu", "nha cung cap", "cho nao", "don vi nao", "co don vi",
           "ben nao co", "co ben nao", "team nao", "danh sach", "co list",
           "nao co giay phep", "agency nao", "cong ty nao"),
    "ko": ("렌탈", "렌트", "대여", "빌리", "빌려", "구하", "구할", "구함", "구해", "섭외", "추천",
           "소개", "업체", "고용", "리스트", "몇 군데", "몇군데"),
    "ja": ("レンタル", "借り", "手配", "紹介", "業者", "頼め", "依頼", "探し", "チャーター",
           "ドライバー付き", "運転手付き", "雇", "起用", "キャスティングしたい", "リスト", "一覧"),
    "zh": ("租", "借", "找", "推荐", "供应商", "服务商", "雇", "带司机", "配司机", "订车", "好订",
           "名单", "列表"),
}
_PERMIT_CUES: dict[str, tuple[str, ...]] = {
    "en": ("permit", "permission", "allowed", "allow", "legal", "legally", "licence", "license",
           "approval", "approve", "fly a drone", "fly the drone", "fly drones", "fly our drone",
           "flying a drone", "flying drones", "flying our drone",
           # an obligation asks the rule ("is a local service company mandatory?")
           "mandatory", "compulsory", "obligatory", "required by law"),
    "fr": ("autorisation", "autorise", "permis", "droit", "legal", "faire voler",
           "obligatoire", "obligatoirement", "oblige"),
    "vi": ("giay phep", "xin phep", "cap phep", "duoc phep", "cho phep", "bay flycam",
           "bay drone", "bat buoc", "xin flycam", "xin bay", "xin drone"),
    "ko": ("허가", "허락", "합법", "불법", "띄우", "띄울", "띄워", "날리면", "날려도", "날릴 수",
           "의무", "필수"),
    "ja": ("許可", "認め", "飛ばし", "飛ばせ", "義務", "必須", "撮影のための手続き", "撮影の手続き",
           "撮影手続き"),
    "zh": ("许可", "批准", "允许", "合法", "审批", "报批", "批文", "飞无人机", "能飞", "可以飞",
           "强制", "必须", "一定要"),
}
# "Can we ...?", "가능한가요", "可能ですか" ask leave only when nothing in the question asks
# to hire: "現地のオペレーターを紹介してもらうことは可能ですか？" asks for a vendor.
_MAY_CUES: dict[str, tuple[str, ...]] = {
    "en": ("can i", "can we", "may i", "may we", "is it ok", "ok to"),
    "fr": ("peut-on", "a-t-on", "faut-il", "est-il possible", "pouvons-nous"),
    # (as typed in a hurry: "bay dc ko", "đc k", "co dc")
    "vi": ("duoc khong", "co duoc", "duoc ko", "duoc k", "duoc hong", "duoc kh", "dc khong",
           "dc ko", "dc k", "dc hong", "dc kh", "co dc"),
    "ko": ("돼요", "되나요", "되요", "됩니까", "가능", "괜찮"),
    "ja": ("可能", "大丈夫", "いいですか", "できますか"),
    "zh": ("可以吗", "能不能", "可以用", "可以在", "能否", "是否可以"),
}
# Doing without a vendor asks whether one is required ("不找越南的电影公司可以吗？",
# "without going through a fixer?"): the rule, not the vendors. (Nor is whom to apply to
# someone to hire: "用无人机航拍要找谁申请？")
_NO_HIRE_CUES: dict[str, tuple[str, ...]] = {
    "en": ("without a fixer", "without hiring", "without going through", "without using a"),
    "fr": ("sans passer par", "sans fixeur", "sans prestataire", "sans societe locale"),
    "vi": ("khong thue", "khong can thue", "khong qua cong ty", "khong can qua"),
    "ko": ("안 끼고", "없이 진행", "거치지 않고"),
    "ja": ("通さずに", "通さないで", "頼まずに", "使わずに"),
    "zh": ("不找", "不用找", "不请", "不通过", "不经过", "找谁申请", "找谁审批", "找谁批准",
           "找哪个部门"),
}
_CUE_PATTERNS = {
    kind: {lang: re.compile("|".join(
        # (a Latin cue also in the plural: "operators", "opérateurs", "permits")
        rf"\b{re.escape(cue)}(?:s|es)?\b" if cue.isascii() else re.escape(cue)
        for cue in cues))
        for lang, cues in table.items()}
    for kind, table in (("hire", _HIRE_CUES), ("permit", _PERMIT_CUES), ("may", _MAY_CUES),
                        ("no_hire", _NO_HIRE_CUES))
}


@functools.lru_cache(maxsize=1024)  # asked of a sentence while read and while ranked
def intent_of(question: str, language: str) -> str:
    """"hire", "permit" or "" (neither, or both)."""
    folded = fold(question)
    no_hire = _CUE_PATTERNS["no_hire"].get(language)
    if no_hire is not None and no_hire.search(folded):
        return "permit"
    hire = _CUE_PATTERNS["hire"].get(language)
    if hire is not None and hire.search(folded):
        # A permit word inside a hiring phrase ("đơn vị flycam nào có giấy phép", a
        # licensed team) asks no leave.
        permit = _CUE_PATTERNS["permit"].get(language)
        return "" if permit is not None and permit.search(hire.sub(" ", folded)) else "hire"
    return "permit" if any(
        (pattern := _CUE_PATTERNS[kind].get(language)) is not None and pattern.search(folded)
        for kind in ("permit", "may")) else ""


INTENT_BONUS = 0.1
TEXTS_KEPT = 256  # a message's sentences and clauses, read several times each
KNOWN_WORDS_KEPT = 50_000
# Ranking weight of the best-matching crew question among the five best articles.
QUESTION_MATCH = 0.3
# Credit for a question word found only in the questions crews ask about an article:
# more than a body mention, less than a title or alias (measured on the dev set).
ASKED = 0.6


@dataclass
class _NameUnit:
    """Question tokens that spell one place or vendor name, and the articles it names."""
    tokens: set[str]
    docs: dict[int, float]


def _name_units(matches: list[tuple[list[str], int, float]]) -> list[_NameUnit]:
    """Overlapping matches ("Ha Long", "Ha Long Bay") are one name."""
    by_span: dict[tuple[str, ...], dict[int, float]] = {}
    for span, doc, ratio in matches:  # one entry per named article: group them first
        docs = by_span.setdefault(tuple(span), {})
        if ratio > docs.get(doc, 0.0):
            docs[doc] = ratio
    units: list[_NameUnit] = []
    for words, docs in by_span.items():
        unit = _NameUnit(set(words) | {f"{a}_{b}" for a, b in pairwise(words)}, docs)
        for other in [u for u in units if u.tokens & unit.tokens]:
            units.remove(other)
            unit.tokens |= other.tokens
            merged = dict(other.docs)
            for number, ratio in unit.docs.items():
                merged[number] = max(ratio, merged.get(number, 0.0))
            unit.docs = merged
        units.append(unit)
    return units


def _seam_shares(index: LanguageIndex, pieces: list[str], shares: dict[str, float]
                 ) -> dict[str, float]:
    """Unknown bigrams in a Han piece, as the words they hide.

    In a run of unknown bigrams, a character next to a known bigram belongs to that
    known word; only the characters in between are unknown words, about two characters
    each. "拍摄期间" with 拍摄 and 期间 known: 摄期 is a seam and counts nothing.
    """
    if not pieces:
        return shares
    shares = dict(shares)
    for piece in pieces:
        grams = [piece[i : i + 2] for i in range(len(piece) - 1)]
        known = [index.knows(gram) for gram in grams]
        start = 0
        while start < len(grams):
            if known[start]:
                start += 1
                continue
            end = start
            while end < len(grams) and not known[end]:
                end += 1
            chars = end - start + 1 - (start > 0) - (end < len(grams))
            share = max(0.0, chars / 2) / (end - start)
            for gram in grams[start:end]:
                shares[gram] = min(shares.get(gram, 1.0), share)
            start = end
    return shares


def _explained(index: LanguageIndex, tokens: list[str], shares: dict[str, float],
               scales: dict[str, float], unmatchable: frozenset[str],
               units: list[_NameUnit], pieces: list[str], name_weight: float = NAME_WEIGHT
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share of the question each article explains, name bonus, BM25 tie-breaker).

    Each token weighs by how well it singles out a topic; one the index has never seen
    weighs as the share of a word it stands for, so an unknown word counts against
    every article alike. A name, however many tokens it spells (ha, noi, ha_noi), weighs
    as `name_weight` words, no more: a place named in an off-topic question ("restaurants
    in Hanoi") must not explain most of it. The named article counts the name as fully
    matched, even misspelt; the extra NAME_BONUS orders articles but is no confidence.
    """
    size = index.size
    shares = _seam_shares(index, pieces, shares)
    bm25 = index.bm25(tokens, unmatchable)
    bonus = np.zeros(size)
    # Each token's (articles, credits, weight), summed in one pass after the loop: numpy's
    # cost is per call, and a question has dozens of tokens.
    found_docs: list[np.ndarray] = []
    found_credits: list[np.ndarray] = []
    found_weights: list[float] = []
    total = 0.0
    unknown = index.max_idf * index.unknown_weight
    in_unit = {token: unit_no for unit_no, unit in enumerate(units) for token in unit.tokens}
    unit_weight = [0.0] * len(units)
    unit_matched: list[np.ndarray | None] = [None for _ in units]  # few: a question's names
    for token in dict.fromkeys(tokens):
        evidence = index.evidence.get(token)
        if evidence is None:
            evidence = _evidence(index, token)
        if evidence is None:
            weight = unknown * shares.get(token, 1.0)
            docs, credit = None, None
        else:
            weight = evidence.topic * scales.get(token, 1.0)
            docs = evidence.docs
            credit = evidence.name_credit if token in in_unit else evidence.credit
            if token in unmatchable:
                docs, credit = None, None
        unit_no = in_unit.get(token)
        if unit_no is None:
            total += weight
            if docs is not None and credit is not None:
                found_docs.append(docs)
                found_credits.append(credit)
                found_weights.append(weight)
            continue
        unit_weight[unit_no] = max(unit_weight[unit_no], weight)
        if "_" in token:
            continue
        # An article that does not name the place matches the name only where it has
        # all its words: "Hà Nội" shares "ha" with "Hà Giang" but is not that place.
        has = np.zeros(size)
        if docs is not None and credit is not None:
            has[docs] = credit
        seen = unit_matched[unit_no]
        unit_matched[unit_no] = has if seen is None else np.minimum(seen, has)
    matched: np.ndarray = np.bincount(
        np.concatenate(found_docs), minlength=size, weights=np.concatenate(found_credits)
        * np.repeat(found_weights, [len(docs) for docs in found_docs])
    ) if found_docs else np.zeros(size)
    for unit, weight, seen in zip(units, unit_weight, unit_matched, strict=True):
        best = np.zeros(size) if seen is None else seen
        named = np.fromiter(unit.docs.keys(), dtype=np.int64, count=len(unit.docs))
        ratios = np.fromiter(unit.docs.values(), dtype=np.float64, count=len(unit.docs))
        best[named] = np.maximum(best[named], ratios)
        bonus[named] += weight * ratios * NAME_BONUS
        weight *= name_weight
        total += weight
        matched += weight * best
    total = total or 1.0
    return matched / total, bonus / total, bm25


def flat_evidence(index: LanguageIndex) -> None:
    """What `_evidence` works out, for every token of a small index at once: the same
    operations, element by element (the idf by `index.idf` itself, per distinct count)."""
    known = index.known_weights()
    topics = index.weight_array() * known
    counts = index.counts()
    idf = {int(count): index.idf(int(count)) for count in np.unique(counts)}
    body = known * np.array([idf[int(count)] for count in counts.tolist()])
    ratio = np.divide(body, topics, out=np.ones_like(body), where=topics != 0)
    in_body = np.where(topics != 0, WEAK * np.minimum(1.0, ratio), 0.0)
    asked = np.maximum(ASKED, in_body)
    pairs = index.pair_tokens()
    places = index.pair_places()
    pair_body = in_body[pairs]
    credit = np.where(places == IN_TITLE, STRONG,
                      np.where(places == IN_QUESTIONS, asked[pairs], pair_body))
    name_credit = np.where(places == IN_TITLE, STRONG, pair_body)
    index.flat_evidence = (topics, credit, name_credit)


def _evidence(index: LanguageIndex, token: str) -> TokenEvidence | None:
    if index.flat_evidence is not None:
        located = index.locate(token)
        if located is None:
            return None
        token_id, start, end = located
        topics, credits, name_credits = index.flat_evidence
        return index.evidence.put(token, TokenEvidence(
            float(topics[token_id]), index.docs_between(start, end), credits[start:end],
            name_credits[start:end]), 3 * (end - start))
    found = index.matches(token)
    if found is None:
        return None
    topic = index.token_weight(token)
    docs, where = found
    # A body mention is credited at the token's idf among bodies: a word common in
    # bodies ("ke", "cau" in folded Vietnamese) is weak evidence there, however rare it
    # is in titles and aliases.
    body = token_class(token)[0] * index.idf(len(docs))
    in_body = WEAK * min(1.0, body / topic) if topic else 0.0

    def credit(asked: float) -> np.ndarray:
        # By where the token stands in each article (IN_BODY, IN_QUESTIONS, IN_TITLE).
        by_where = np.empty(3)
        by_where[IN_BODY], by_where[IN_QUESTIONS], by_where[IN_TITLE] = in_body, asked, STRONG
        credited: np.ndarray = by_where[where]
        return credited

    # Crews' questions teach how a topic is asked, but a word in one of them is no topic
    # marker; a place named in one ("closer than Ha Long?") is a mention.
    return index.evidence.put(
        token, TokenEvidence(topic, docs, credit(max(ASKED, in_body)), credit(in_body)),
        3 * len(docs))


@functools.lru_cache(maxsize=1 << 14)
def _question_tokens(question: str) -> frozenset[str]:
    return frozenset(tokenize(question))


def question_weights(index: LanguageIndex, tokens: list[str], shares: dict[str, float]
                     ) -> dict[str, float]:
    """Each token of the question asked as `index` weighs it; an unseen one by the share
    of a word it stands for."""
    return {token: index.token_weight(token) * (1.0 if index.knows(token)
                                                else shares.get(token, 1.0))
            for token in tokens}


def _question_set(index: LanguageIndex, questions: list[str]) -> QuestionSet:
    postings: dict[str, list[int]] = {}
    own: list[float] = []
    for number, question in enumerate(questions):
        words, weight = _question_profile(index, question)
        own.append(weight)
        for token in words:
            postings.setdefault(token, []).append(number)
    return QuestionSet({t: tuple(n) for t, n in postings.items()}, tuple(own))


def question_match(index: LanguageIndex, weights: dict[str, float], key: object,
                   questions: Callable[[], list[str]], asked_total: float) -> float:
    """How closely the best of `questions` (an article's, named by `key`; listed only
    if needed) is worded like the question asked, whose tokens weigh `weights` (weighted
    Dice, in [0, 1]); `asked_total` is their sum, worked out once per ranking.

    An article ranked a second time gets a `QuestionSet`: the shipped base's 39 are
    ranked all day, while at 10,000 articles most are ranked once, where building one
    costs more than matching directly."""
    found = index.question_sets.get(key)
    if found is None and key in index.questions_seen:
        found = index.question_sets[key] = _question_set(index, questions())
        if len(index.question_sets) >= QUESTION_SETS_KEPT:  # about 15 kB each
            index.question_sets.clear()
    if found is None:
        if len(index.questions_seen) >= PROFILES_KEPT:
            index.questions_seen.clear()
        index.questions_seen.add(key)
        best = 0.0
        for question in questions():
            words, own = _question_profile(index, question)
            shared = sum(weights[token] for token in words & weights.keys())
            if shared:
                best = max(best, 2 * shared / (asked_total + own))
        return best
    shared_by: dict[int, float] = {}
    for token, weight in weights.items():
        for number in found.postings.get(token, ()):
            shared_by[number] = shared_by.get(number, 0.0) + weight
    return max((2 * value / (asked_total + found.own[number])
                for number, value in shared_by.items()), default=0.0)


def _ranked_languages(language: str) -> list[str]:
    """The languages whose crew questions a question in `language` is matched against:
    its own, and English, which every article has."""
    return [language] if language == "en" else [language, "en"]


PROFILES_KEPT = 1 << 15
# A base this small has its crew questions' profiles worked out before it is cached (a
# few thousand questions); a large one works out those of the articles it ranks.
PROFILES_WARMED_UP_TO = 500
QUESTION_SETS_KEPT = 1024


def _question_profile(index: LanguageIndex, question: str) -> tuple[frozenset[str], float]:
    """A crew question's tokens and their weight in `index`, worked out once."""
    profile = index.profiles.get(question)
    if profile is None:
        words = _question_tokens(question)
        profile = (words, sum(index.token_weight(t) for t in words if index.knows(t)))
        if len(index.profiles) >= PROFILES_KEPT:  # a bound, not an LRU: plenty here
            index.profiles.clear()
        index.profiles[question] = profile
    return profile


class KnowledgeBase:
    def __init__(self, content: Content, root: Path, threshold: float,
                 unknown_weight: float = 0.5,
                 indexes: dict[str, LanguageIndex] | None = None,
                 detector: LanguageDetector | None = None) -> None:
        """`indexes`, `detector`: built before from these very articles (by `load`, from
        its cache)."""
        started = time.perf_counter()
        self.root = root
        self.threshold = threshold
        self.articles: list[Article] = sorted(content.articles.values(), key=lambda a: a.id)
        self.by_id = {article.id: article for article in self.articles}
        self.vendors: list[Vendor] = content.vendors
        self.replies: dict[str, dict[str, str]] = content.replies
        self.problems: list[Problem] = content.problems
        # The browse menus' order (`menus.yaml`): small, read at each start, never cached.
        self.menus: dict[str, Menu] = menus.load(root).menus
        self.indexes = indexes if indexes is not None else build_indexes(
            (loader.opened(a) for a in self.articles), len(self.articles), _doc_fields,
            ALL_LANGUAGES, unknown_weight)
        for index in self.indexes.values():
            if index.small:
                flat_evidence(index)
        self.names = NameMatcher()
        place_names: list[str] = []
        for number, article in enumerate(self.articles):
            # Place names and vendors' own names, not topic words like "flycam".
            if article.kind == "location":
                aliases = article.aliases  # unpacked once, not once per language
                for language in ALL_LANGUAGES:
                    for name in (article.title.get(language, ""),
                                 *aliases.get(language, ())):
                        self.names.add(name, number)
                        place_names.append(name)
            elif article.vendor_category:
                for vendor in self.vendors_in(article.vendor_category):
                    self.names.add(vendor.name.replace("(sample)", ""), number)
        scope = root / "scope.yaml"
        scope_data = (loader.read_yaml(scope.read_text(encoding="utf-8")) or {}
                      ) if scope.exists() else {}
        self.foreign_places = self._load_foreign_places(scope_data)
        self._known_words: dict[str, bool] = {}
        # Built at start-up, not on the first question: it is part of reading one.
        forecast = scope_data.get("forecast") or {}
        # One pass finds the off-topic words and what changes by the hour; the words of
        # time are looked for only next to the latter.
        self._off_topic = self._load_off_topic({
            "off": scope_data.get("off_topic"), "live": forecast.get("live"),
            "season": forecast.get("season")})
        self._forecast_when = self._load_off_topic({"off": forecast.get("when")})
        # A message is read sentence by sentence, then ranked: each text's foreign places
        # and off-topic words are looked for once, not once by each reading of it.
        self._off_topic_of = functools.lru_cache(maxsize=TEXTS_KEPT)(self._off_topic_terms)
        self._roles_of = functools.lru_cache(maxsize=TEXTS_KEPT)(self._foreign_roles)
        self.detector = detector or LanguageDetector(
            {lang: self._training_text(lang) for lang in ("en", "fr", "vi")},
            neutral_words=place_names)
        self.load_seconds = time.perf_counter() - started

    def _training_text(self, language: str, budget: int = 400_000) -> list[str]:
        """Enough of the language's own text to learn its letter patterns, no more."""
        texts: list[str] = []
        for article in self.articles:
            for text in (article.title.get(language, ""), article.summary.get(language, ""),
                         article.body.get(language, "")):
                texts.append(text[:budget])
                budget -= len(texts[-1])
                if budget <= 0:
                    return texts
        return texts

    @classmethod
    def load(cls, root: Path, threshold: float, cache_dir: Path | None = None
             ) -> KnowledgeBase:
        """The knowledge base in `root`; a large one is kept ready in `cache_dir`
        (default ~/.cache/crewbot, see `cache`) for the next start."""
        pin_mmap_threshold()
        cache = KnowledgeCache.for_root(root, cache_dir, unknown_weight=0.5)
        if cache is None:
            return cls(loader.load(root), root, threshold)
        key = cache.key()
        cached = cache.read(key)
        if cached is not None:
            return cls(cached.content, root, threshold, indexes=cached.indexes,
                       detector=cached.detector)
        content = loader.load(root)
        knowledge = cls(content, root, threshold)
        if len(knowledge.articles) <= PROFILES_WARMED_UP_TO:
            knowledge.warm_question_profiles()
            knowledge.warm_question_sets()
        if cache.key() == key:  # unchanged while loading: the copy matches its key
            cache.write(key, content, knowledge.indexes, knowledge.detector)
        return knowledge

    def warm_question_profiles(self) -> None:
        """Work out every crew question's profile in every index that ranks it, for the
        copy on disk: a small base's articles are all ranked within the first few hundred
        messages, and each first ranking would otherwise tokenise its questions then."""
        for language, index in self.indexes.items():
            languages = _ranked_languages(language)
            for article in self.articles:
                for asked in languages:
                    for question in article.questions.get(asked, ()):
                        _question_profile(index, question)

    def warm_question_sets(self) -> None:
        """Index every article's crew questions for `question_match` in every index that
        ranks them, for the copy on disk: a small base's articles are all ranked again and
        again, and the first few hundred messages would otherwise pay for it."""
        for language, index in self.indexes.items():
            languages = tuple(_ranked_languages(language))
            for number in range(len(self.articles)):
                key = (number, languages)
                index.questions_seen.add(key)
                index.question_sets[key] = _question_set(
                    index, self._questions_in(number, languages))

    @staticmethod
    def _load_foreign_places(data: dict[str, Any]) -> tuple[Phrases[str], Phrases[str]]:
        """Foreign places' names (folded; matched as written, with their marks).

        A short Vietnamese name loses its meaning without its marks: "Mỹ" folds to the
        English "my", "Ý" to the French "y", "Úc" to "uc"; those match only as written.
        """
        names = [(written, written) for listed in (data.get("foreign_places") or {}).values()
                 for written in (unicodedata.normalize("NFKC", str(n)).lower() for n in listed)]
        short = [(name, name) for name, _ in names
                 if fold(name) != name and len(fold(name)) <= SHORT_MARKED_NAME]
        after = "".join(_NOT_A_PLACE_AFTER)
        return (Phrases(unmarked_forms(names, short=SHORT_MARKED_NAME), not_after=after),
                Phrases(short, not_after=after))

    @functools.lru_cache(maxsize=1024)  # noqa: B019  (one knowledge base per process)
    def _questions(self, number: int) -> dict[str, tuple[str, ...]]:
        """An article's crew questions, unpacked once for the articles often ranked."""
        return self.articles[number].questions

    def _questions_in(self, number: int, languages: tuple[str, ...]) -> list[str]:
        asked = self._questions(number)
        return [q for lang in languages for q in asked.get(lang, ())]

    @cached_property
    def _foreign_penalty(self) -> np.ndarray:
        return np.array([ABROAD_PENALTY if a.category in ABROAD_CATEGORIES else FOREIGN_PENALTY
                         for a in self.articles])

    @cached_property
    def _vendor_mask(self) -> np.ndarray:
        return np.array([a.kind == "vendors" for a in self.articles], dtype=np.float64)

    @staticmethod
    def _load_off_topic(lists: dict[str, dict[str, list[str]] | None]
                        ) -> tuple[Phrases[str], Phrases[str]]:
        """`scope.yaml` lists of terms (kind -> language -> terms) as written and folded,
        each found with its kind."""
        terms = [(unicodedata.normalize("NFC", str(term).lower()), kind)
                 for kind, by_language in lists.items()
                 for listed in (by_language or {}).values() for term in listed]
        return Phrases(terms), Phrases(unmarked_forms(terms))

    def off_topic_in(self, question: str) -> list[str]:
        """Off-topic terms in the question. A question typed with Vietnamese or French
        marks must match a term's marks ("hát" is to sing, "hạt" a district); one typed
        without them matches the folded term."""
        return list(self._off_topic_of(question))

    def _off_topic_terms(self, question: str) -> tuple[str, ...]:
        written = unicodedata.normalize("NFC", question.lower())
        folded = fold(written)
        marked = written != folded and any(
            not ch.isascii() and ch.isalpha() and ord(ch) < 0x2000 for ch in written)

        def find(terms: tuple[Phrases[str], Phrases[str]]) -> list[Match[str]]:
            as_written, as_folded = terms
            return as_written.find(written) if marked else as_folded.find(folded)

        found = find(self._off_topic)
        matches = [m for m in found if m.value == "off"]
        kinds = {m.value for m in found}
        if "live" in kinds and "season" not in kinds:  # today's weather, rate, showtimes
            matches += find(self._forecast_when)
        return tuple(m.phrase for m in matches
                     if not (any(_around(folded, m.start, m.end, words)
                                 for words in _NOT_GOING_OUT)
                             or INTRODUCED.search(folded, 0, m.start)))

    def foreign_roles(self, question: str) -> tuple[list[str], list[str], list[str]]:
        """Foreign places in the question as (destinations, origins, other mentions).

        A destination is where the crew would go or work ("a visa for Japan", "tourner
        au Japon", "일본에서 촬영"): that is out of scope even for the visa and customs
        articles. An origin ("flying in from Seoul", "日本から") is just where a crew
        comes from, which is what visas and customs are about, so it costs nothing.
        """
        going, coming, elsewhere = self._roles_of(question)
        return list(going), list(coming), list(elsewhere)

    def _foreign_roles(self, question: str
                       ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        folded = fold(question)
        # Same length as `folded` (one character for one), so positions agree.
        written = unicodedata.normalize("NFKC", question).lower()
        roles: tuple[list[str], list[str], list[str]] = ([], [], [])
        by_folded, by_written = self.foreign_places
        matches = by_folded.find(folded) + (by_written.find(written) if by_written else [])
        taken = -1
        for match in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
            if match.start < taken:  # "hong kong", not also "hong"
                continue
            taken = match.end
            start, end = match.start, match.end
            # "tiếng Pháp", "フランス語": a language; the neighbour across the border; a
            # comparison: none is where the crew goes, nor where it comes from.
            if any(_around(folded, start, end, words) for words in _NOT_A_TRIP):
                continue
            if _around(folded, start, end, (_RETURN_BEFORE, _RETURN_AFTER)):
                roles[1].append(match.phrase)  # home again: as good as where they come from
            elif _around(folded, start, end, (_GOING_BEFORE, _GOING_AFTER)):
                roles[0].append(match.phrase)
            elif _around(folded, start, end, (_FROM_BEFORE, _FROM_AFTER)):
                roles[1].append(match.phrase)
            else:
                roles[2].append(match.phrase)
        return tuple(roles[0]), tuple(roles[1]), tuple(roles[2])

    def knows(self, word: str) -> bool:
        """Whether some article or crew question, in any language, uses the word (as
        the search stems it): a word nobody in the base writes may be a typo."""
        known = self._known_words.get(word)
        if known is None:
            tokens = tokenize(word)
            known = bool(tokens) and any(index.knows(tokens[0])
                                         for index in self.indexes.values())
            if len(self._known_words) < KNOWN_WORDS_KEPT:  # crews' words repeat
                self._known_words[word] = known
        return known

    def detect_language(self, text: str, hint: str = "") -> tuple[str, bool]:
        detection = self.detector.detect(text, hint)
        return detection.language, detection.confident

    def rank(self, question: str, language: str) -> list[tuple[int, float, float]]:
        """(article number, confidence, tie-breaker), best first."""
        if not self.articles:
            return []
        tokens = tokenize(question)
        if not tokens:
            return []
        shares = unknown_shares(question)
        pieces = han_pieces(question)
        scales = part_scales(question)
        languages = _ranked_languages(language)
        # "Bangkok" in a question is no evidence for an article about Vietnam, even one that
        # names it (time zones): such words weigh in the question but match nothing.
        going, coming, elsewhere = self.foreign_roles(question)
        off_topic = self.off_topic_in(question)
        unmatchable = frozenset(t for name in going + coming + elsewhere + off_topic
                                for t in tokenize(name))
        units = _name_units(self.names.match(question))
        # Fishing in Ha Long Bay is not about filming there: the place weighs as one word.
        name_weight = 1.0 if going or elsewhere or off_topic else NAME_WEIGHT
        coverage = np.zeros(len(self.articles))
        bonus = np.zeros(len(self.articles))
        order = np.zeros(len(self.articles))
        for lang in languages:
            index = self.indexes.get(lang)
            if index is None:
                continue
            cov, name_bonus, bm25 = _explained(index, tokens, shares, scales, unmatchable,
                                               units, pieces, name_weight)
            better = cov > coverage
            coverage = np.where(better, cov, coverage)
            bonus = np.where(better, name_bonus, bonus)
            order = np.maximum(order, bm25)
        if going:
            coverage *= FOREIGN_PENALTY
        elif elsewhere:
            coverage *= self._foreign_penalty
        if off_topic:
            coverage *= OFF_TOPIC_PENALTY
        peak = float(order.max()) or 1.0
        ranking = coverage + bonus + 0.05 * order / peak
        intent = intent_of(question, language)
        if intent:
            sign = 1.0 if intent == "hire" else -1.0
            ranking = ranking + self._vendor_mask * (sign * INTENT_BONUS) * (coverage > 0)
        best = np.argpartition(-ranking, 4)[:5] if len(ranking) > 5 else np.arange(len(ranking))
        index = self.indexes.get(language)
        if index is not None:
            # Among the few best, the article with a crew question worded like this one
            # moves up: the words of one question together say more than the same words
            # spread over all of an article's questions.
            weights = question_weights(index, tokens, shares)
            asked_total = sum(weights.values())
            ranked_in = tuple(languages)
            for number in best.tolist():  # `ranking` is this call's own array
                ranking[number] += QUESTION_MATCH * question_match(
                    index, weights, (number, ranked_in),
                    functools.partial(self._questions_in, number, ranked_in), asked_total)
        best = best[np.argsort(-ranking[best], kind="stable")]
        return [(int(n), float(min(1.0, coverage[n])), float(ranking[n])) for n in best]

    def answer(self, question: str, hint: str = "", language: str | None = None) -> Answer:
        confident = True
        if language is None:  # the caller may have detected it already: do it once
            language, confident = self.detect_language(question, hint)
        ranked = self.rank(question, language)
        candidates = tuple((self.articles[n].id, round(conf, 4)) for n, conf, _ in ranked)
        if not ranked:
            return Answer(question, language, confident, None, 0.0, self.threshold, candidates)
        number, confidence, _ = ranked[0]
        article = self.articles[number] if confidence >= self.threshold else None
        return Answer(question, language, confident, article, confidence, self.threshold,
                      candidates)

    def in_categories(self, categories: Iterable[str]) -> list[Article]:
        wanted = set(categories)
        return [a for a in self.articles if a.category in wanted]

    def nearest_locations(self, latitude: float, longitude: float, limit: int = 3
                          ) -> list[tuple[Article, float]]:
        """Location articles by great-circle distance from a point, nearest first (km)."""
        placed = [(article, distance_km(latitude, longitude, article.location.lat,
                                        article.location.lon))
                  for article in self.articles if article.location is not None]
        placed.sort(key=lambda pair: pair[1])
        return placed[:limit]

    def locations(self, region: str) -> list[Article]:
        return [a for a in self.articles
                if a.location is not None and a.location.region == region]

    def vendors_in(self, category: str) -> list[Vendor]:
        return [v for v in self.vendors if v.category == category]

    def vendor_article(self, category: str) -> Article | None:
        return next((a for a in self.articles if a.vendor_category == category), None)


EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance: a few metres off at most over Vietnam's size, plenty here."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
