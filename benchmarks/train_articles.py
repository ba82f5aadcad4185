"""Train the article model (`knowledge/article-model.json`): which articles a message asks.

    python benchmarks/train_articles.py [--sets tune,tune2,...] [--out knowledge/article-model.json]
        [--fold-cache FILE]

One logistic regression per article over the letter n-grams the scope model reads, and
again, marked apart, those of a long message's questions (`asked_ngrams`: a topic named
in a question is asked, the same topic named around it may not be).
Training data: the tuning sets' messages with their expected articles (`short`, `long`,
`chat_lang`, and follow-ups' first messages; an `also` article is neither asked nor not
asked for its message), their out-of-scope messages and small talk (no article asked),
and every crew question of the knowledge base (its own article). Never
`realistic.jsonl` (held out) nor the answer sets (`heldout.jsonl`, `hard.jsonl`).

The judge (`ask_judge`) that weighs the rules' articles and the model's likeliest is
trained on the model's chances for messages it was not trained on: each set is left out
in turn, a model trained on the others reads it, and the rules' reading of each message
(before the model's say) is kept with those chances; the sets written after the model
(`JUDGE_SETS`) are read by the model trained on all the others. With each reading, the
model's chances for each question of a long message read alone. A judge trained on all
those readings is shipped; its threshold is chosen by leaving each set out again (a judge
trained on the other sets' readings revises the left-out set's; messages that turn
right are gains, those that turn wrong losses) and keeping the threshold with the best
gains less twice the losses (a right answer taken away costs a crew more than a wrong
one mended saves). Needs scikit-learn (the `train` extra).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.eval_messages import read, right
from benchmarks.train_scope import HERE, SETS, as_read, idf_of, matrix, prepare, write
from bot.services.understanding.article_model import ArticleModel, asked_ngrams
from bot.services.understanding.ask_judge import (
    Chances,
    Judge,
    Proposal,
    features,
    judged,
    width,
)
from bot.services.understanding.reader import MAX_ASKS, Reader, proposals
from bot.services.understanding.segments import sentences

ASKING = ("short", "long", "chat_lang")
NOTHING_ASKED = ("oos", "oos_near", "smalltalk")
# The sets the shipped model was trained on (session 12). Trained on all of `SETS`
# (session 13, `--sets` with the six newer ones) the judge turned more readings right
# leaving each set out (620 against 146 wrong), but read the held-out set no better and
# added two articles to the issue's own example ("Hello, I'm a line producer at a
# Paris-based company. What permits do we need to shoot in Da Nang?"), so it was not
# shipped. In session 14 the judge also weighed the model's chances over the questions
# alone (for the same example's introduction): 621 turned right / 144 wrong on 29 sets, the
# held-out set and the two sets written that session read no better, the example still
# got the service company; not shipped either.
ARTICLE_SETS = SETS[:SETS.index("tune22") + 1]
# Sets written after the article model was trained (session 13 on): read by the model
# trained on `ARTICLE_SETS`, which never saw them, they teach the judge as the left-out
# sets do (session 18: the judge also weighs each question read alone; left out in turn,
# the 38 sets read 6,983 of 7,698 messages right against 6,913 for the judge without those
# facts and 6,903 for the judge trained on `ARTICLE_SETS` alone).
JUDGE_SETS = tuple(f"tune{n}" for n in range(23, 39))
KEEP = 15_000  # n-grams kept: fewer measured worse, more no better
C = 4.0  # chosen leaving each set out, as the threshold (1 and 16 measured worse)
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 1.01)  # 1.01: the rules alone
JUDGE_C = 1.0  # 0.1 and 10 measured no better
LOSS_WEIGHT = 2

Example = tuple[str, set[str], set[str]]  # text, articles asked, articles acceptable


def examples(rows: list[dict[str, Any]]) -> list[Example]:
    found: list[Example] = []
    for row in rows:
        if row["kind"] in ASKING:
            found.append((str(row["q"]), set(row.get("expect") or []),
                          set(row.get("also") or [])))
        elif row["kind"] in NOTHING_ASKED:
            found.append((str(row["q"]), set(), set()))
        elif row["kind"] == "followup" and row.get("first_expect"):
            found.append((str(row["first"]), set(row["first_expect"]), set()))
    return found


def train(found: list[Example], articles: list[str]) -> dict[str, Any]:
    from joblib import Parallel, delayed
    from sklearn.linear_model import LogisticRegression

    texts = [text for text, _, _ in found]

    def fit(idf: dict[str, float]) -> dict[str, tuple[list[float], float]]:
        features = matrix(texts, idf, asked_ngrams)

        def one(article: str) -> tuple[str, tuple[list[float], float]] | None:
            judged = [i for i, (_, _, also) in enumerate(found) if article not in also]
            labels = [int(article in found[i][1]) for i in judged]
            if sum(labels) < 3:
                return None
            model = LogisticRegression(C=C, solver="liblinear", class_weight="balanced")
            model.fit(features[judged], labels)
            return article, (model.coef_[0].tolist(), float(model.intercept_[0]))

        # liblinear uses one core (and frees the GIL): the articles are fitted side by side.
        done = Parallel(n_jobs=-1, prefer="threads")(delayed(one)(a) for a in articles)
        return dict(pair for pair in done if pair is not None)

    idf = idf_of(texts, asked_ngrams)
    fitted = fit(idf)
    weight = Counter[str]()
    for coef, _ in fitted.values():
        for gram, value in zip(idf, coef, strict=True):
            weight[gram] = max(weight[gram], abs(value))
    kept = {gram for gram, _ in weight.most_common(KEEP)}
    idf = {g: v for g, v in idf.items() if g in kept}
    fitted = fit(idf)
    data: dict[str, Any] = {"ngrams": list(idf), "idf": [round(v, 5) for v in idf.values()],
                            "articles": [], "coef": [], "scales": [], "intercepts": []}
    for article, (coef, intercept) in fitted.items():
        scale = max(abs(v) for v in coef) / 127 or 1.0
        packed = bytes(round(v / scale) & 0xFF for v in coef)
        data["articles"].append(article)
        data["coef"].append(base64.b64encode(packed).decode("ascii"))
        data["scales"].append(scale)
        data["intercepts"].append(intercept)
    return data


@dataclass
class Judged:
    """A message of a left-out set as the judge sees it: the rules' reading, the chances
    of a model not trained on it, and what it really asks."""

    row: dict[str, Any]
    proposals: list[Proposal]
    chances: Chances
    sentences: int

    def facts(self, families: tuple[str, ...]) -> tuple[list[str], list[list[float]]]:
        whole, questions = self.chances
        return features(self.proposals, whole, self.sentences, len(self.row["q"]),
                        families, questions)

    def labels(self, found: list[str]) -> list[int]:
        asked = set(self.row.get("expect") or []) | set(self.row.get("also") or [])
        return [int(article in asked) for article in found]


def fit_judge(readings: list[Judged], families: tuple[str, ...], threshold: float) -> Judge:
    from sklearn.linear_model import LogisticRegression

    rows: list[list[float]] = []
    labels: list[int] = []
    for reading in readings:
        if judged(reading.proposals, reading.sentences):
            found, facts = reading.facts(families)
            rows += facts
            labels += reading.labels(found)
    x = np.array(rows)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=JUDGE_C, max_iter=5000)
    model.fit((x - mean) / scale, labels)
    return Judge(families, mean, scale, model.coef_[0], float(model.intercept_[0]), threshold)


def revised(judge: Judge, reading: Judged) -> list[str]:
    return judge.revise(reading.proposals, lambda: reading.chances, reading.sentences,
                        len(reading.row["q"]), MAX_ASKS)


def main() -> int:
    args, kb, reader, names, sets = prepare(
        __doc__.split("\n")[0], "article-model.json", ARTICLE_SETS,
        lambda parser: parser.add_argument(
            "--fold-cache", type=Path, help="keep each left-out set's chances in this file "
            "and read them from it when training on the same sets (delete it when the "
            "sets' messages or the model's settings change): the judge then trains in "
            "minutes") and parser.add_argument(
            "--judge-only", action="store_true", help="keep the article weights of the "
            "file at --out (trained on the same sets) and train the judge on them") and
        parser.add_argument(
            "--folds", type=int, default=0, help="read the sets for the judge in this many "
            "folds of sets, each by a model trained on the others (default: each set left "
            "out alone; a fold is one training, about two minutes on all the sets)"),
        article_model=False)
    judge_sets = {name: as_read(reader, [json.loads(line) for line in (
        HERE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()])
                  for name in JUDGE_SETS if name not in names}
    articles = sorted(article.id for article in kb.articles)
    families = tuple(sorted({article.split(".")[0] for article in articles}))
    crew_questions: list[Example] = [
        (q, {article.id}, set()) for article in kb.articles
        for questions in article.questions.values() for q in questions]
    # Each fold's chances, for the sets trained on: a file kept for other sets is not read.
    kept = (pickle.loads(args.fold_cache.read_bytes())
            if args.fold_cache and args.fold_cache.exists() else {})
    cache: dict[str, dict[str, Chances]] = (
        kept["folds"] if kept.get("sets") == names else {})
    readings: dict[str, list[Judged]] = {}
    folds = ([[name] for name in names] if not args.folds
             else [names[i::args.folds] for i in range(args.folds)])
    for fold in folds:
        key = ",".join(fold)
        if key not in cache:
            found = [e for name in names if name not in fold for e in examples(sets[name])]
            model = ArticleModel.load_data({**train(found + crew_questions, articles),
                                            "judge": idle_judge(families)})
            cache[key] = {str(row["q"]): model.readings(str(row["q"]), reader.not_ours)
                          for name in fold for row in sets[name] if row["kind"] in ASKING}
            if args.fold_cache:
                args.fold_cache.write_bytes(pickle.dumps({"sets": names, "folds": cache}))
        for held in fold:
            readings[held] = judged_readings(reader, sets[held], cache[key])
        print(key, "read", file=sys.stderr)
    if args.judge_only:  # the weights the bot reads now; what they were trained on stays
        data = {key: value for key, value in json.loads(args.out.read_text(
            encoding="utf-8")).items() if key not in ("judge", "left_out", "judged_on")}
        names = data.pop("trained_on")
    else:
        data = train([e for name in names for e in examples(sets[name])] + crew_questions,
                     articles)
    final = ArticleModel.load_data({**data, "judge": idle_judge(families)})
    for name, rows in judge_sets.items():  # never seen by the final model
        readings[name] = judged_readings(reader, rows, {
            str(row["q"]): final.readings(str(row["q"]), reader.not_ours) for row in rows
            if row["kind"] in ASKING})
    judged_on = list(readings)
    gains = Counter[float]()
    losses = Counter[float]()
    for held in judged_on:
        trained = fit_judge([r for name in judged_on if name != held for r in readings[name]],
                            families, 0.5)
        for threshold in THRESHOLDS:
            judge = dataclasses.replace(trained, threshold=threshold)
            for reading in readings[held]:
                rules = [p.article for p in reading.proposals]
                before = right(rules, reading.row)
                after = right(revised(judge, reading), reading.row)
                gains[threshold] += after and not before
                losses[threshold] += before and not after
    best = max(THRESHOLDS, key=lambda t: (gains[t] - LOSS_WEIGHT * losses[t], t))
    judge = fit_judge([r for name in judged_on for r in readings[name]], families, best)
    data["judge"] = judge.data()
    data["judged_on"] = judged_on
    data["left_out"] = [{"threshold": t, "turned_right": gains[t], "turned_wrong": losses[t]}
                        for t in THRESHOLDS]
    write(args.out, data, names)
    print(f"judge threshold {best}: {gains[best]} readings turned right, {losses[best]} "
          f"turned wrong (each set left out in turn, against the rules alone); "
          f"{len(data['ngrams'])} n-grams, {len(data['articles'])} articles -> {args.out}")
    return 0


def judged_readings(reader: Reader, rows: list[dict[str, Any]], chances: dict[str, Chances]
                    ) -> list[Judged]:
    """The set's asking messages as the judge sees them: the rules' reading and a model's
    chances (`chances`, by message) from a model not trained on them."""
    return [Judged(row, proposals(read(reader, row).asks), chances[str(row["q"])],
                   len(sentences(str(row["q"])))) for row in rows if row["kind"] in ASKING]


def idle_judge(families: tuple[str, ...]) -> dict[str, Any]:
    """A judge with no weights yet, so that a fold's model can be loaded to read with."""
    zeros = np.zeros(width(families))
    return Judge(families, zeros, zeros + 1.0, zeros, 0.0, 1.0).data()


if __name__ == "__main__":
    raise SystemExit(main())
