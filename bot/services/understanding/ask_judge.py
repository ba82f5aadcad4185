"""Which of a message's candidate articles it asks for, weighing the rules' reading and
the article model's chances together.

The rules know where a topic was named (in a question or around one, as a place or a
topic word); the article model knows how crews word what they ask. Neither alone tells
"our documentary team wants to fly a drone over Ha Long" (the drone asked, the
documentary route and the bay named around it) from "documentary permit and drone rules
for Ha Long?" (all three asked). Thresholds on the model's chance alone (drop below one,
add above another) mended some of those and broke others; this judge is one logistic
regression over a few dozen facts about each candidate (its chance, its rank, whether
the rules answered it and how, in which kind of sentence, what else is a candidate, and
since session 18 the model's chances for each of a long message's questions read alone),
trained by `benchmarks/train_articles.py` on the model's chances for messages it was not
trained on, so that it trusts the model as much as the model deserves on new messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

VIAS = ("topic", "place", "search")  # how a rule came to an article
CANDIDATES_FROM_MODEL = 4  # the model's best articles judged besides the rules'
CANDIDATE_CHANCE = 0.2  # ... when at least this likely
UNKNOWN_CHANCE = 0.5  # an article the model was not trained on: it has no say
ALONE_CHANCE = 0.5  # a question read alone asks its likeliest article when at least this
# The model's chances for a whole message, and for each of its questions read alone (none
# for a message of one sentence).
Chances = tuple[dict[str, float], list[dict[str, float]]]


@dataclass(frozen=True)
class Proposal:
    """An article the rules answered, and what they read it from."""

    article: str
    via: str  # "topic", "place", "search"
    in_question: bool  # named in a sentence that asks
    place: bool  # said about a place
    topic: bool  # said about a topic


def judged(proposals: Sequence[Proposal], sentences: int) -> bool:
    """Whether the judge has a say: a message of one sentence the rules answered with one
    article is read as they read it, and one they did not answer is not answered."""
    return len(proposals) > 1 or (len(proposals) == 1 and sentences > 1)


def _logit(chance: float) -> float:
    chance = min(max(chance, 1e-6), 1.0 - 1e-6)
    return math.log(chance / (1.0 - chance))


def features(proposals: Sequence[Proposal], chances: dict[str, float], sentences: int,
             length: int, families: Sequence[str],
             questions: Sequence[dict[str, float]] = ()) -> tuple[list[str], list[list[float]]]:
    """Each candidate, and the facts the judge weighs about it (`families`: the article
    id prefixes the judge was trained with, "location", "permit", ...; `questions`: the
    model's chances for each question of a message of several sentences, read alone)."""
    ranked = sorted(chances, key=lambda a: -chances[a])
    rank = {article: i for i, article in enumerate(ranked)}
    rules = [p.article for p in proposals]
    # The candidates: the rules' articles, then the model's likeliest.
    found = list(dict.fromkeys(rules + [a for a in ranked[:CANDIDATES_FROM_MODEL]
                                        if chances[a] >= CANDIDATE_CHANCE]))
    by_rules = {p.article: (i, p) for i, p in reversed(list(enumerate(proposals)))}
    likely = sum(chances.get(a, 0.0) > 0.5 for a in found)
    rows = []
    for article in found:
        chance = chances.get(article, UNKNOWN_CHANCE)
        logit = _logit(chance)
        others = [chances.get(b, UNKNOWN_CHANCE) for b in found if b != article]
        index, proposal = by_rules.get(article, (-1, None))
        asked = -1.0 if proposal is None else float(proposal.in_question)
        row = [logit, float(proposal is not None), float(index), float(len(rules)),
               float(len(found)), float(rank.get(article, len(ranked))),
               chance - max(others, default=0.0), float(sentences), float(sentences > 1),
               asked, float(proposal is not None and proposal.place),
               float(proposal is not None and proposal.topic), float(likely),
               math.log1p(length),
               logit * (proposal is not None), logit * (sentences > 1), logit * (asked == 1.0),
               logit * (asked == 0.0)]
        row += [float(proposal is not None and proposal.via == via) for via in VIAS]
        family = article.split(".")[0]
        row += [float(family == f) for f in families]
        row += [float(any(b.startswith("location.") for b in rules if b != article)),
                float(any(not b.startswith("location.") for b in rules if b != article))]
        # A long message's second or third question is diluted among the letters of the
        # whole; read alone, the question it asks stands out ("…ad có biết chỗ nào cho
        # thuê đèn không?" after a story about the shoot).
        alone = _logit(max((q.get(article, UNKNOWN_CHANCE) for q in questions),
                           default=chance))
        tops = sum(bool(q) and max(q, key=lambda a: q[a]) == article
                   and q[article] >= ALONE_CHANCE for q in questions)
        row += [alone, alone * bool(questions), float(tops)]
        rows.append(row)
    return found, rows


def width(families: Sequence[str]) -> int:
    """How many facts the judge weighs about a candidate, with these families."""
    return len(features([Proposal("x.y", "topic", True, False, True)], {}, 1, 1,
                        families)[1][0])


@dataclass(frozen=True)
class Judge:
    families: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]
    intercept: float
    threshold: float  # a candidate at least this likely asked is answered

    @classmethod
    def load_data(cls, data: dict[str, Any]) -> Judge:
        judge = cls(tuple(data["families"]), np.array(data["mean"], dtype=np.float64),
                    np.array(data["scale"], dtype=np.float64),
                    np.array(data["coef"], dtype=np.float64), float(data["intercept"]),
                    float(data["threshold"]))
        facts = width(judge.families)
        if not len(judge.mean) == len(judge.scale) == len(judge.coef) == facts:
            raise ValueError(f"article-model.json: the judge has {len(judge.coef)} weights "
                             f"for {facts} features")
        return judge

    def data(self) -> dict[str, Any]:
        """The judge as `article-model.json` keeps it (what `load_data` reads)."""
        return {"families": list(self.families), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "threshold": self.threshold}

    def likelihoods(self, proposals: Sequence[Proposal], chances: dict[str, float],
                    sentences: int, length: int,
                    questions: Sequence[dict[str, float]] = ()) -> dict[str, float]:
        """How likely each candidate is asked."""
        found, rows = features(proposals, chances, sentences, length, self.families,
                               questions)
        if not found:
            return {}
        scores = ((np.array(rows) - self.mean) / self.scale) @ self.coef + self.intercept
        likely = 1.0 / (1.0 + np.exp(-np.clip(scores, -30.0, 30.0)))
        return dict(zip(found, likely.tolist(), strict=True))

    def revise(self, proposals: Sequence[Proposal], chances: Callable[[], Chances],
               sentences: int, length: int, most: int) -> list[str]:
        """The rules' articles where the judge has no say (`chances`, the model's, are
        then not computed), else its choice."""
        if not judged(proposals, sentences):
            return [p.article for p in proposals]
        return self.choose(proposals, *chances(), sentences, length, most)

    def choose(self, proposals: Sequence[Proposal], chances: dict[str, float],
               questions: Sequence[dict[str, float]], sentences: int, length: int,
               most: int) -> list[str]:
        """The candidates likely asked, the rules' first in their order, then the
        model's, likeliest first; the rules' reading when none is. A rules' article the
        model was not trained on stays: the judge has no say on it."""
        likely = self.likelihoods(proposals, chances, sentences, length, questions)
        rules = [p.article for p in proposals]
        kept = [a for a in rules if a not in chances or likely[a] >= self.threshold]
        kept += sorted((a for a, chance in likely.items()
                        if a not in rules and chance >= self.threshold),
                       key=lambda a: -likely[a])
        return (kept or rules)[:most]
