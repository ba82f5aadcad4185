"""The knowledge base as the bot uses it: load, index, answer, browse."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bot.services.knowledge import loader
from bot.services.knowledge.index import IndexedDoc, LanguageIndex, is_kana_bigram
from bot.services.knowledge.langdetect import LanguageDetector
from bot.services.knowledge.model import ALL_LANGUAGES, Article, Content, Problem, Vendor
from bot.services.knowledge.names import NameMatcher
from bot.services.knowledge.text import fold, tokenize

# A foreign place in the question halves confidence; articles about coming from abroad
# (visas, customs, calling the department from another time zone) lose less.
ABROAD_CATEGORIES = frozenset({"visa", "customs", "contact"})
FOREIGN_PENALTY = 0.5
ABROAD_PENALTY = 0.75
# A place's own name in the question counts beyond an ordinary alias match, so that the
# place's article beats articles that merely mention it ("Ha Long Bay" in heritage rules).
NAME_BONUS = 0.8
# A place name followed by one of these is a language or a nationality ("한국어", "日本語").
_NOT_A_PLACE_AFTER = tuple("어語语人인")


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
    texts = [article.summary.get(language, ""), article.body.get(language, "")]
    if article.location is not None:
        texts += [field.get(language, "") for field in (
            article.location.best_season, article.location.access,
            article.location.permit_notes)]
    for text in texts:
        weak += [token for token in tokenize(text) if _body_token(token)]
    return IndexedDoc(strong, weak)


class KnowledgeBase:
    def __init__(self, content: Content, root: Path, threshold: float,
                 unknown_weight: float = 0.5) -> None:
        started = time.perf_counter()
        self.root = root
        self.threshold = threshold
        self.articles: list[Article] = sorted(content.articles.values(), key=lambda a: a.id)
        self.by_id = {article.id: article for article in self.articles}
        self.vendors: list[Vendor] = content.vendors
        self.problems: list[Problem] = content.problems
        self.indexes = {
            language: LanguageIndex((_doc_fields(a, language) for a in self.articles),
                                    len(self.articles), unknown_weight)
            for language in ALL_LANGUAGES
        }
        self.names = NameMatcher()
        place_names: list[str] = []
        for number, article in enumerate(self.articles):
            # Place names and vendors' own names, not topic words like "flycam".
            if article.kind == "location":
                for language in ALL_LANGUAGES:
                    for name in (article.title.get(language, ""),
                                 *article.aliases.get(language, ())):
                        self.names.add(name, number)
                        place_names.append(name)
            elif article.vendor_category:
                for vendor in self.vendors_in(article.vendor_category):
                    self.names.add(vendor.name.replace("(sample)", ""), number)
        self.foreign_places = self._load_foreign_places(root)
        training = {lang: self._training_text(lang) for lang in ("en", "fr", "vi")}
        self.detector = LanguageDetector(training, neutral_words=place_names)
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
    def load(cls, root: Path, threshold: float) -> KnowledgeBase:
        return cls(loader.load(root), root, threshold)

    @staticmethod
    def _load_foreign_places(root: Path) -> list[re.Pattern[str]]:
        path = root / "scope.yaml"
        if not path.exists():
            return []
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        patterns = []
        for names in (data.get("foreign_places") or {}).values():
            for name in names:
                folded = re.escape(fold(str(name)))
                if folded.isascii():
                    patterns.append(re.compile(rf"\b{folded}\b"))
                else:
                    after = "".join(_NOT_A_PLACE_AFTER)
                    patterns.append(re.compile(rf"(?<![\u30a0-\u30ff]){folded}"
                                               rf"(?![\u30a0-\u30ff{after}])"))
        return patterns

    def foreign_places_in(self, question: str) -> list[str]:
        folded = fold(question)
        return [match.group() for pattern in self.foreign_places
                if (match := pattern.search(folded))]

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
        languages = [language] if language == "en" else [language, "en"]
        # "Bangkok" in a question is no evidence for an article about Vietnam, even one that
        # names it (time zones): such words weigh in the question but match nothing.
        foreign = self.foreign_places_in(question)
        unmatchable = frozenset(t for name in foreign for t in tokenize(name))
        names = self.names.match(question)
        coverage = np.zeros(len(self.articles))
        order = np.zeros(len(self.articles))
        for lang in languages:
            index = self.indexes.get(lang)
            if index is None:
                continue
            cov, bm25 = index.score(tokens, unmatchable)
            boosted = self._name_boost(names, tokens, index, cov)
            coverage = np.maximum(coverage, boosted)
            order = np.maximum(order, bm25)
        if foreign:
            for number, article in enumerate(self.articles):
                abroad = article.category in ABROAD_CATEGORIES
                coverage[number] *= ABROAD_PENALTY if abroad else FOREIGN_PENALTY
        peak = float(order.max()) or 1.0
        ranking = coverage + 0.05 * order / peak
        best = np.argsort(-ranking)[:5]
        return [(int(n), float(min(1.0, coverage[n])), float(ranking[n])) for n in best]

    @staticmethod
    def _name_boost(matches: list[tuple[list[str], int, float]], tokens: list[str],
                    index: LanguageIndex, coverage: np.ndarray) -> np.ndarray:
        """A place or vendor name, even misspelt, counts as a full match of its words."""
        if not matches:
            return coverage
        total = sum(index.token_weight(t) for t in set(tokens)) or 1.0
        boosted = coverage.copy()
        credited: dict[int, set[str]] = {}
        for span, doc, ratio in matches:
            done = credited.setdefault(doc, set())
            gain = 0.0
            for token in span:
                if token in done:
                    continue
                done.add(token)
                gain += index.token_weight(token) * ratio * NAME_BONUS
            boosted[doc] += gain / total
        return boosted

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

    def locations(self, region: str) -> list[Article]:
        return [a for a in self.articles
                if a.location is not None and a.location.region == region]

    def vendors_in(self, category: str) -> list[Vendor]:
        return [v for v in self.vendors if v.category == category]

    def vendor_article(self, category: str) -> Article | None:
        return next((a for a in self.articles if a.vendor_category == category), None)
