"""Score crewbot's answering on a labelled set, against a plain BM25 baseline.

    python benchmarks/eval_answers.py ../shared/eval/dev.jsonl [--hints] [--show-misses]
        [--by-language]

Each line: {"q": ..., "lang": <expected language>, "expect": <article id or null>}.
Reported for both methods: top-1 accuracy on answerable questions, share of out-of-scope
questions declined, language detection accuracy (crewbot only; the baseline has none).
The expected language is NOT given to crewbot unless --hints is passed, so the detection
figure measures the detector, not the label.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from rank_bm25 import BM25Okapi

from bot.paths import bundled
from bot.services.knowledge import KnowledgeBase
from bot.services.knowledge.model import Article
from bot.services.understanding import Reader


@dataclass
class Scores:
    answerable: int = 0
    top1: int = 0
    out_of_scope: int = 0
    declined: int = 0
    lang_right: int = 0
    total: int = 0

    def as_dict(self) -> dict[str, float]:
        return {
            "top1": round(self.top1 / max(1, self.answerable), 4),
            "declined": round(self.declined / max(1, self.out_of_scope), 4),
            "lang": round(self.lang_right / max(1, self.total), 4),
        }


def baseline_text(article: Article) -> str:
    parts = []
    for lang in article.title:
        parts += [article.title[lang], article.summary.get(lang, ""), article.body.get(lang, ""),
                  " ".join(article.aliases.get(lang, ()))]
    return " ".join(parts)


class Bm25Baseline:
    """rank-bm25 over the same articles, all languages, lower-cased whitespace tokens.

    Its answer threshold is calibrated on the same questions (the one with the most
    questions handled right, answered or declined), so the comparison is with the
    baseline at its strongest. It has
    no language detection: its language figure is the majority guess, English.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.ids = [a.id for a in kb.articles]
        self.bm25 = BM25Okapi([baseline_text(a).lower().split() for a in kb.articles])
        self.threshold = 0.0

    def best(self, question: str) -> tuple[str, float]:
        scores = self.bm25.get_scores(question.lower().split())
        index = int(scores.argmax())
        return self.ids[index], float(scores[index])

    def calibrate(self, rows: list[dict[str, object]]) -> None:
        results = [(self.best(str(r["q"])), r.get("expect")) for r in rows]

        def quality(threshold: float) -> float:
            answerable = [(b, e) for b, e in results if e is not None]
            oos = [b for b, e in results if e is None]
            top1 = sum(b[0] == e and b[1] >= threshold for b, e in answerable)
            declined = sum(b[1] < threshold for b in oos)
            return float(top1 + declined)

        grid = [0.0, *sorted({round(b[1], 3) + 1e-6 for b, _ in results})]
        self.threshold = max(grid, key=quality)

    def answer(self, question: str) -> str | None:
        article, score = self.best(question)
        return article if score >= self.threshold and score > 0 else None


def load_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def evaluate(rows: list[dict[str, object]], kb: KnowledgeBase, hints: bool = False,
             show_misses: bool = False, by_language: bool = False, search_only: bool = False
             ) -> dict[str, dict[str, float]]:
    ours, base = Scores(), Scores()
    per_language: dict[str, Scores] = {}
    baseline = Bm25Baseline(kb)
    baseline.calibrate(rows)
    reader = Reader.load(kb)
    for row in rows:
        question, expect = str(row["q"]), row.get("expect")
        lang = str(row.get("lang", ""))
        answer = kb.answer(question, hint=lang if hints else "")
        got = answer.article.id if answer.article else None
        language = answer.language
        if not search_only:  # as the bot reads it: the first article it answers with
            reading = reader.read(question, lang if hints else None)
            got = reading.articles[0] if reading.articles else None
            language = reading.language
        base_got = baseline.answer(question)
        for scores, result in ((ours, got), (base, base_got)):
            scores.total += 1
            if expect is None:
                scores.out_of_scope += 1
                scores.declined += result is None
            else:
                scores.answerable += 1
                scores.top1 += result == expect
        ours.lang_right += language == lang
        mine = per_language.setdefault(lang, Scores())
        mine.total += 1
        mine.lang_right += language == lang
        if expect is None:
            mine.out_of_scope += 1
            mine.declined += got is None
        else:
            mine.answerable += 1
            mine.top1 += got == expect
        base.lang_right += lang == "en"
        if show_misses and (got != expect or language != lang):
            print(f"MISS expect={expect} got={got} score={answer.score:.3f} "
                  f"lang={language}/{lang} cands={answer.candidates[:3]} q={question}",
                  file=sys.stderr)
    result = {"crewbot": ours.as_dict(), "bm25_baseline": base.as_dict(),
              "counts": {"answerable": ours.answerable, "out_of_scope": ours.out_of_scope}}
    if by_language:  # where a change helps or hurts, without reading single questions
        for lang, scores in sorted(per_language.items()):
            result[f"crewbot_{lang}"] = {**scores.as_dict(), "n": float(scores.total)}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--knowledge", type=Path, default=bundled("knowledge"))
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--hints", action="store_true", help="pass the labelled language as hint")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--search-only", action="store_true",
                        help="the knowledge base's search alone, without the reader")
    parser.add_argument("--by-language", action="store_true",
                        help="crewbot's figures per expected language too")
    args = parser.parse_args()
    from bot.config import load_config

    threshold = args.threshold if args.threshold is not None else \
        load_config(None).knowledge.answer_threshold
    kb = KnowledgeBase.load(args.knowledge, threshold)
    result = evaluate(load_rows(args.dataset), kb, args.hints, show_misses=args.show_misses,
                      by_language=args.by_language, search_only=args.search_only)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
