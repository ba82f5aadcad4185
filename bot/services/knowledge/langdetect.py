"""Offline language detection that works on one short line.

Script decides Korean, Japanese and Chinese, unless they are a few words amid whole
sentences of Vietnamese or French (an interpreter quoting the client). For Latin text,
letters that only Vietnamese (ơ, ư, ă, đ, ạ...) or only French (ç, œ, î, û...) use decide
when present; otherwise a character n-gram model trained on the knowledge base's own
English, French and Vietnamese text decides, after place names (which belong to no
language: "Da Lat") are set aside. Too little evidence falls back to the platform hint,
then English.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from bot.services.knowledge.text import VI_ONLY_LETTERS, fold, script_counts

_VI_ONLY = VI_ONLY_LETTERS
_FR_ONLY = set("çœæëïÿîû")
# Counted by the regex engine, not a Python loop over every character.
_VI_ONLY_FOUND = re.compile("[" + "".join(sorted(_VI_ONLY)) + "]")
_FR_ONLY_FOUND = re.compile("[" + "".join(sorted(_FR_ONLY)) + "]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
LATIN_LANGUAGES = ("en", "fr", "vi")
_PUNCTUATION = ".,;:!?()[]{}\"'«»“”‘’…"
WORDS_KEPT = 1 << 16


# Latin letters per Korean, Japanese or Chinese character for the Latin text to be the
# message's language (a Hangul syllable or a Han character is about a Latin word).
LATIN_AROUND = 8
_ASIAN = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u31f0-\u31ff"
                    r"\uff66-\uff9f\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]+")


def _asian_script(counts: dict[str, int]) -> str | None:
    """The language the message's Korean, Japanese or Chinese characters say, if any."""
    if counts["hangul"] and counts["hangul"] >= counts["kana"]:
        return "ko"
    if counts["kana"]:
        return "ja"
    if counts["han"] >= 2 or (counts["han"] and counts["han"] * 2 >= counts["latin"]):
        return "zh"
    return None


@dataclass(frozen=True)
class Detection:
    language: str
    confident: bool


def _grams(word: str) -> Iterable[str]:
    padded = f" {word} "
    for n in (1, 2, 3, 4):
        for i in range(len(padded) - n + 1):
            yield padded[i : i + n]


class LanguageDetector:
    def __init__(self, training: Mapping[str, Iterable[str]], neutral_words: Iterable[str] = ()
                 ) -> None:
        """`training`: texts per Latin language; `neutral_words`: folded place names."""
        self.neutral = {fold(w) for w in neutral_words}
        logp: dict[str, dict[str, float]] = {}
        unseen: dict[str, float] = {}
        self._word_logp: dict[str, dict[str, float]] = {}
        self._word_unseen: dict[str, float] = {}
        self._memo: dict[str, tuple[float, ...]] = {}
        for lang in LATIN_LANGUAGES:
            grams: Counter[str] = Counter()
            words: Counter[str] = Counter()
            for text in training.get(lang, ()):
                for word in _WORD.findall(fold(text)):
                    words[word] += 1
                    grams.update(_grams(word))
            total = sum(grams.values()) + len(grams) + 1
            logp[lang] = {g: math.log((c + 1) / total) for g, c in grams.items()}
            unseen[lang] = math.log(1 / total)
            wtotal = sum(words.values()) + len(words) + 1
            self._word_logp[lang] = {w: math.log((c + 1) / wtotal) for w, c in words.items()}
            self._word_unseen[lang] = math.log(0.5 / wtotal)
        # Each n-gram's log-probability in the three languages at once: a new word costs
        # one lookup per n-gram, not one per n-gram and language.
        self._unseen_all = tuple(unseen[lang] for lang in LATIN_LANGUAGES)
        self._gram_logps = {gram: tuple(logp[lang].get(gram, unseen[lang])
                                        for lang in LATIN_LANGUAGES)
                            for gram in set().union(*logp.values())}

    def _word_scores(self, word: str) -> tuple[float, ...]:
        """One word's evidence for each Latin language; crews reuse the same few
        thousand words, so each is worked out once (up to `WORDS_KEPT`)."""
        known = self._memo.get(word)
        if known is not None:
            return known
        table, unseen = self._gram_logps, self._unseen_all
        rows = [table.get(gram, unseen) for gram in _grams(word)]
        scores = tuple(
            sum(column) / len(rows) * 4
            + self._word_logp[lang].get(word, self._word_unseen[lang])
            for lang, column in zip(LATIN_LANGUAGES, zip(*rows, strict=True), strict=True))
        if len(self._memo) < WORDS_KEPT:
            self._memo[word] = scores
        return scores

    def _latin_scores(self, words: list[str]) -> dict[str, float]:
        totals = [0.0] * len(LATIN_LANGUAGES)
        for word in words:
            for i, score in enumerate(self._word_scores(word)):
                totals[i] += score
        return dict(zip(LATIN_LANGUAGES, totals, strict=True))

    @cached_property
    def _neutral_firsts(self) -> frozenset[str]:
        """The first words of the place names (most words of a message start none)."""
        return frozenset(name.split(" ")[0] for name in self.neutral)

    def _without_place_names(self, lowered: str) -> str:
        """Vietnamese place names keep their marks in any language ("tourner à Đà Nẵng"):
        they are no evidence that the question is Vietnamese."""
        words = lowered.split()
        folded = [fold(w.strip(_PUNCTUATION)) for w in words]
        keep = [True] * len(words)
        firsts = self._neutral_firsts
        for i in range(len(words)):
            if folded[i] not in firsts:  # no place's name starts here
                continue
            for size in (3, 2, 1):
                if i + size <= len(words) and " ".join(folded[i : i + size]) in self.neutral:
                    for j in range(i, i + size):
                        keep[j] = False
        rest = " ".join(w for w, k in zip(words, keep, strict=True) if k)
        # A bare place name is all there is to go on: "Hà Nội" alone is typed in Vietnamese.
        return rest if any(ch.isalpha() for ch in rest) else lowered

    def detect(self, text: str, hint: str = "") -> Detection:
        counts = script_counts(text)
        asian = _asian_script(counts)
        if asian is None:
            return self._detect_latin(text, hint)
        # Who types a Korean, Japanese or Chinese word amid English ("Client asks
        # 在越南拍摄要买保险吗?") reads that language: an English reader does not write it.
        # Whole sentences of Vietnamese or French around a few such words are written by
        # someone who reads Vietnamese or French: an interpreter passing on the client's
        # term ("team Han Quoc muon 촬영 tren vinh Ha Long", "承諾書 (giấy đồng ý)").
        if counts["latin"] >= LATIN_AROUND * sum(counts[s] for s in ("hangul", "kana", "han")):
            latin = self._detect_latin(_ASIAN.sub(" ", text), "")
            if latin.confident and latin.language in ("vi", "fr"):
                return latin
        return Detection(asian, True)

    def _detect_latin(self, text: str, hint: str) -> Detection:
        fallback = hint if hint else "en"
        counts = script_counts(text)
        if not counts["latin"]:
            return Detection(fallback, False)
        lowered = self._without_place_names(unicodedata.normalize("NFC", text.lower()))
        vi_marks = len(_VI_ONLY_FOUND.findall(lowered))
        fr_marks = len(_FR_ONLY_FOUND.findall(lowered))
        # Vietnamese marks most of its words; one marked loanword ("phở", "áo dài") in a
        # French or English sentence is left to the letter model.
        words_in = lowered.split()
        vi_words = sum(1 for word in words_in if _VI_ONLY_FOUND.search(word))
        if vi_marks > fr_marks and vi_words * 4 >= len(words_in):
            return Detection("vi", True)
        if fr_marks > vi_marks:
            return Detection("fr", True)
        folded = fold(text)
        words = [w for w in _WORD.findall(folded) if w not in self.neutral]
        # Place names spanning two words ("da lat", "ha long") are neutral too.
        pairs = {f"{a} {b}" for a, b in pairwise(words)}
        neutral_pairs = {p for p in pairs if p in self.neutral}
        if neutral_pairs:
            drop = {w for p in neutral_pairs for w in p.split()}
            words = [w for w in words if w not in drop]
        if not words:
            return Detection(fallback, False)
        if len(words) == 1 and sum(words[0] in self._word_logp[lang]
                                   for lang in LATIN_LANGUAGES) >= 2:
            # "menu", "visa", "drone": a word several languages write alike says nothing
            # about the language; the platform's hint or the default decides.
            return Detection(fallback, False)
        scores = self._latin_scores(words)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        (best, best_score), (_, second_score) = ranked[0], ranked[1]
        margin = (best_score - second_score) / len(words)
        if margin < 0.3 and hint in LATIN_LANGUAGES:
            return Detection(hint, False)
        if best == "vi" and not vi_marks and len(words) == 1:
            # One unmarked word ("Hi", "ok") is too little to call Vietnamese typed
            # without its marks; the platform's hint or the default decides instead.
            return Detection(hint if hint else best, False)
        return Detection(best, margin >= 0.3)
