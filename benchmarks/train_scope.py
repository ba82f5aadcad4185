"""Train the scope model (`knowledge/scope-model.json`): is a message ours at all?

    python benchmarks/train_scope.py [--sets tune,tune2,...] [--out knowledge/scope-model.json]

Training data: the tuning sets' messages (out of scope: `oos`, `oos_near`; ours: `short`,
`long`, `chat_lang`, `unknown_place` and follow-ups' first messages), every crew
question of the knowledge base, and the shared development set's questions that have an
article (`../shared/eval/dev.jsonl`, when it is there: crews' questions like the base's
own, "Da Nang beaches" among them). Never `realistic.jsonl` (held out) nor the answer
sets (`heldout.jsonl`, `hard.jsonl`).

The threshold is chosen by leaving each set out in turn: a model trained on the others
reads it, and the reader's answers it would decline are counted, out-of-scope ones
gained and right ones lost. The threshold kept has the best gains less twice the losses
over all sets (a right answer taken away costs a crew more than a near miss declined
saves), among the thresholds at which the model trained on all sets declines none of
those crew questions, then is used with that model. Needs scikit-learn
(the `train` extra; the bot reads the model with plain Python).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.eval_messages import read, right
from bot.paths import bundled
from bot.services.knowledge import KnowledgeBase
from bot.services.understanding import Reader
from bot.services.understanding.han import simplified
from bot.services.understanding.letter_ngrams import features, ngrams

HERE = Path(__file__).resolve().parent
DEV = HERE.parent.parent / "shared" / "eval" / "dev.jsonl"
SETS = ("tune", "tune2", "check2", "tune3", "tune4", "tune5", "tune6", "tune7", "tune8",
        "tune9", "tune10", "tune11", "tune12", "tune13", "tune14", "tune15", "tune16", "tune17",
        "tune18", "tune19", "tune20", "tune21", "tune22", "tune23", "tune24", "tune25",
        "tune26", "tune27", "tune28")
OUT_OF_SCOPE = ("oos", "oos_near")
OURS = ("short", "long", "chat_lang", "unknown_place")
KEEP = 30_000  # n-grams kept, by weight: the rest changes nothing measurable
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
LOSS_WEIGHT = 2


def examples(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for row in rows:
        if row["kind"] in OUT_OF_SCOPE:
            found.append((str(row["q"]), 1))
        elif row["kind"] in OURS:
            found.append((str(row["q"]), 0))
        elif row["kind"] == "followup" and row.get("first_expect"):
            found.append((str(row["first"]), 0))
    return found


def as_read(reader: Reader, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as the reader reads them (Traditional Chinese as Simplified), so the
    models learn from the text they will be given."""
    for row in rows:
        for key in ("q", "first"):
            text = row.get(key)
            if text and reader.language_of(str(text), row.get("chat_lang")) == "zh":
                row[key] = simplified(str(text))
    return rows


def idf_of(texts: list[str], grams: Callable[[str], Counter[str]] = ngrams
           ) -> dict[str, float]:
    """Smoothed idf (as scikit-learn's) of the n-grams found in at least two texts."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(grams(text)))
    n = len(texts)
    return {g: math.log((1 + n) / (1 + d)) + 1.0 for g, d in df.items() if d >= 2}


def matrix(texts: list[str], idf: dict[str, float],
           grams: Callable[[str], Counter[str]] = ngrams) -> Any:
    """The texts' features as the bot computes them, one sparse row per text."""
    from scipy.sparse import csr_matrix

    column = {g: i for i, g in enumerate(idf)}
    data: list[float] = []
    rows: list[int] = []
    cols: list[int] = []
    for number, text in enumerate(texts):
        for gram, value in features(text, idf, grams).items():
            rows.append(number)
            cols.append(column[gram])
            data.append(value)
    return csr_matrix((data, (rows, cols)), shape=(len(texts), len(idf)))


def train(texts: list[str], labels: list[int], c: float = 10.0,
          weight: str | None = "balanced") -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    def fit(idf: dict[str, float]) -> tuple[dict[str, float], float]:
        model = LogisticRegression(C=c, class_weight=weight, max_iter=3000)
        model.fit(matrix(texts, idf), labels)
        return dict(zip(idf, model.coef_[0].tolist(), strict=True)), float(model.intercept_[0])

    idf = idf_of(texts)
    coef, _ = fit(idf)
    kept = sorted(coef, key=lambda g: -abs(coef[g]))[:KEEP]
    idf = {g: idf[g] for g in kept}
    coef, intercept = fit(idf)
    return {"ngrams": list(idf), "idf": [round(idf[g], 5) for g in idf],
            "coef": [round(coef[g], 5) for g in idf], "intercept": intercept}


def prepare(description: str, model_file: str, sets: tuple[str, ...] = SETS,
            more: Callable[[argparse.ArgumentParser], object] | None = None,
            article_model: bool = True) -> tuple[
        argparse.Namespace, KnowledgeBase, Reader, list[str], dict[str, list[dict[str, Any]]]]:
    """A trainer's command line, the shipped knowledge and its reader, and the tuning
    sets named on the command line, as the reader reads them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sets", default=",".join(sets))
    parser.add_argument("--out", type=Path, default=bundled("knowledge") / model_file)
    if more is not None:
        more(parser)
    args = parser.parse_args()
    from bot.config import load_config

    kb = KnowledgeBase.load(bundled("knowledge"), load_config(None).knowledge.answer_threshold)
    reader = Reader.load(kb, article_model=article_model)
    names = [s for s in args.sets.split(",") if s]
    sets = {name: as_read(reader, [json.loads(line) for line in (HERE / f"{name}.jsonl")
                                   .read_text(encoding="utf-8").splitlines() if line.strip()])
            for name in names}
    return args, kb, reader, names, sets


def write(path: Path, data: dict[str, Any], names: list[str]) -> None:
    """The model as the bot reads it, with the sets it was trained on."""
    data["trained_on"] = names
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                    encoding="utf-8")


def main() -> int:
    from bot.services.understanding.scope_model import ScopeModel

    args, kb, reader, names, sets = prepare(__doc__.split("\n")[0], "scope-model.json")
    reader.scope_model = None  # the reader's own answers, before any model's say
    asked = [(q, language) for article in kb.articles
             for language, questions in article.questions.items() for q in questions]
    if DEV.exists():
        asked += [(str(row["q"]), str(row["lang"])) for line in DEV.read_text(
            encoding="utf-8").splitlines() if line.strip() and (row := json.loads(line))["expect"]]
    crew_questions = [(q, 0) for q, _ in asked]
    gains = Counter[float]()
    losses = Counter[float]()
    for held in names:
        pairs = [p for name in names if name != held for p in examples(sets[name])]
        pairs += crew_questions
        data = train([t for t, _ in pairs], [y for _, y in pairs])
        model = ScopeModel.load_data({**data, "threshold": 1.0})
        for row in sets[held]:
            if row["kind"] not in OUT_OF_SCOPE + OURS:
                continue
            reading = read(reader, row)
            got = reading.articles
            if not got or reading.topical:  # the model only judges topic-less answers
                continue
            chance = model.off_scope(str(row["q"]))
            for threshold in THRESHOLDS:
                if chance > threshold:
                    if row["kind"] in OUT_OF_SCOPE:
                        gains[threshold] += 1
                    elif right(got, row):
                        losses[threshold] += 1
        print(held, {t: (gains[t], losses[t]) for t in THRESHOLDS}, file=sys.stderr)
    pairs = [p for name in names for p in examples(sets[name])] + crew_questions
    data = train([t for t, _ in pairs], [y for _, y in pairs])
    # No crew question is ever declined (tests/test_scope_model.py):
    # the threshold stays above the model's doubt on each the model would judge (answered,
    # with no topic; small talk such as "let me talk to a person" never reaches it).
    model = ScopeModel.load_data({**data, "threshold": 1.0})
    judged = [reader.read(q, language) for q, language in asked]
    floor = max((model.off_scope(r.text) for r in judged if r.asks and not r.topical),
                default=0.0)
    allowed = [t for t in THRESHOLDS if t >= floor] or [max(THRESHOLDS)]
    best = max(allowed, key=lambda t: (gains[t] - LOSS_WEIGHT * losses[t], t))
    data["threshold"] = best
    data["left_out"] = {str(t): {"declined_out_of_scope": gains[t],
                                 "declined_right_answers": losses[t]} for t in THRESHOLDS}
    write(args.out, data, names)
    print(f"threshold {best} (crew questions' highest doubt {floor:.3f}): {gains[best]} "
          f"out-of-scope answers declined, "
          f"{losses[best]} right answers lost (each set left out in turn); "
          f"{len(data['ngrams'])} n-grams -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
