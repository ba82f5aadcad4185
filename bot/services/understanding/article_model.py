"""A learned second opinion on which articles a message asks for.

A crew's long message names many things around its questions: "our documentary team",
"the old town is a heritage site", "we'll bring our own drone operator". The reader's
rules take each named topic a question leans on, and on long messages they often answer
one article more than was asked, which a producer then reads as a requirement; or they
miss a request written as a statement ("Also need a caterer for ~70 ppl a day"). This
is one logistic regression per article over letter n-grams (`letter_ngrams`), those of a
long message's questions counted a second time apart (`asked_ngrams`), trained by
`benchmarks/train_articles.py` on crews' labelled messages and the knowledge base's own
crew questions, and shipped as `article-model.json` beside the knowledge.

It revises what the rules answered, never replaces it: `ask_judge` weighs each of the
rules' articles and the model's likeliest with what the rules read them from, and keeps
those likely asked (the rules' reading stands when none is). A message of one sentence
with one answer is left as the rules read it.

The weights are one signed byte per n-gram and article, with a scale per article: 39
articles and 15,000 n-grams are 0.6 MB, and a message's scores are one small matrix
product.
"""

from __future__ import annotations

import base64
import functools
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import is_not
from pathlib import Path
from typing import Any, TypeGuard, cast

import numpy as np
import numpy.typing as npt

from bot.services.understanding.ask_judge import Chances, Judge, Proposal
from bot.services.understanding.letter_ngrams import ngrams, tfidf, word_ngrams, words
from bot.services.understanding.segments import is_question, sentences

ASKED = "\x1f"  # marks the n-grams of a long message's questions (never typed)


# A row the model has (0 included), told in C.
_KNOWN = cast(Callable[[int | None], TypeGuard[int]], functools.partial(is_not, None))


def asked_ngrams(text: str) -> Counter[str]:
    """The message's n-grams, and again, marked, those of its questions when it has
    several sentences: "drone" in "We'll bring a drone." is context, in "Can we fly the
    drone?" it is asked, and the model weighs the two apart."""
    found, asked = _ngrams_and_asked(text)
    if asked is not None:
        found.update({ASKED + gram: count for gram, count in asked.items()})
    return found


def _ngrams_and_asked(text: str) -> tuple[Counter[str], Counter[str] | None]:
    """The message's n-grams, and (unmarked) its questions' when it has several
    sentences: `asked_ngrams` before the marks, which the bot looks up apart."""
    asked = _asked_text(text)
    return ngrams(text), None if asked is None else ngrams(asked)


def _asked_text(text: str) -> str | None:
    """A message's questions, joined, when it has several sentences; else None (a
    one-sentence message's n-grams are not counted twice)."""
    parts = sentences(text)
    return " ".join(part for part in parts if is_question(part)) if len(parts) > 1 else None


@dataclass(frozen=True)
class ArticleModel:
    idf: dict[str, float]
    column: dict[str, int]  # n-gram -> its row in `weights`
    articles: tuple[str, ...]  # the columns of `weights`
    weights: npt.NDArray[np.int8]  # n-grams x articles
    scales: npt.NDArray[np.float64]
    intercepts: npt.NDArray[np.float64]
    judge: Judge

    @classmethod
    def load(cls, path: Path) -> ArticleModel | None:
        if not path.exists():
            return None
        return cls.load_data(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def load_data(cls, data: dict[str, Any]) -> ArticleModel:
        grams = data["ngrams"]
        columns = []
        for article, packed in zip(data["articles"], data["coef"], strict=True):
            column = np.frombuffer(base64.b64decode(packed), dtype=np.int8)
            if len(column) != len(grams):
                raise ValueError(f"article-model.json: {article} has {len(column)} weights "
                                 f"for {len(grams)} n-grams")
            columns.append(column)
        weights = (np.stack(columns, axis=1) if columns
                   else np.zeros((len(grams), 0), dtype=np.int8))
        return cls({g: float(i) for g, i in zip(grams, data["idf"], strict=True)},
                   {g: i for i, g in enumerate(grams)}, tuple(data["articles"]), weights,
                   np.array(data["scales"], dtype=np.float64),
                   np.array(data["intercepts"], dtype=np.float64),
                   Judge.load_data(data["judge"]))

    @cached_property
    def _asked_column(self) -> dict[str, int]:
        """The rows of the questions' n-grams, by the n-gram unmarked."""
        return {gram[1:]: row for gram, row in self.column.items() if gram[0] == ASKED}

    @cached_property
    def _idf_by_row(self) -> npt.NDArray[np.float64]:
        return np.fromiter(self.idf.values(), dtype=np.float64, count=len(self.idf))

    @cached_property
    def _rows_of(self) -> Callable[[str], tuple[tuple[int, ...], tuple[int, ...]]]:
        """A word's n-grams as rows of `weights`: (as said, as asked), those the model
        knows, in order. Crews' words repeat from message to message: each is looked up
        once."""

        def rows(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
            grams = word_ngrams(word)  # (filtered and mapped in C: a new word's first use)
            return (tuple(filter(_KNOWN, map(self.column.get, grams))),
                    tuple(filter(_KNOWN, map(self._asked_column.get, grams))))

        return functools.lru_cache(maxsize=1 << 16)(rows)

    def chances(self, text: str) -> dict[str, float]:
        """The probability that `text` asks for each article the model knows."""
        # `letter_ngrams.features` of `asked_ngrams`, kept as rows of `weights` rather
        # than a dict: each word's known n-grams are counted by their rows (a gram's first
        # place is its row's, so the order is that of the n-grams), the questions' by
        # the rows of their marked copies.
        rows_of = self._rows_of
        found = Counter(chain.from_iterable(rows_of(word)[0] for word in words(text)))
        asked = _asked_text(text)
        if asked is not None:
            found.update({-1 - row: count for row, count in Counter(chain.from_iterable(
                rows_of(word)[1] for word in words(asked))).items()})
        if found:
            rows = np.fromiter(found.keys(), dtype=np.int64, count=len(found))
            rows = np.where(rows < 0, -1 - rows, rows)
            values = tfidf(np.fromiter(found.values(), dtype=np.float64, count=len(found)),
                           self._idf_by_row[rows])
            scores = self.intercepts + self.scales * (values @ self.weights[rows].astype(
                np.float64))
        else:
            scores = self.intercepts
        chances = 1.0 / (1.0 + np.exp(-np.clip(scores, -30.0, 30.0)))
        return dict(zip(self.articles, chances.tolist(), strict=True))

    def readings(self, text: str, not_ours: Callable[[str], bool] = lambda _: False
                 ) -> Chances:
        """The chances for `text`, and for each of its questions alone when it has
        several sentences (what the judge weighs), but those `not_ours` ("Is there a
        good tailor in Hoi An?" names a place of ours, and asks nothing of it)."""
        parts = sentences(text)
        questions = [self.chances(part) for part in parts
                     if is_question(part) and not not_ours(part)] if len(parts) > 1 else []
        return self.chances(text), questions

    def revise(self, text: str, proposals: Sequence[Proposal], most: int,
               not_ours: Callable[[str], bool] = lambda _: False) -> list[str]:
        """The articles `text` asks for, of the rules' (`proposals`) and the model's
        likeliest, as the judge weighs them (up to `most`)."""
        return self.judge.revise(proposals, lambda: self.readings(text, not_ours),
                                 len(sentences(text)), len(text), most)
