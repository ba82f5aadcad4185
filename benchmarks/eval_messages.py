"""Score crewbot's reading of realistic messages against a plain BM25 baseline.

    python benchmarks/eval_messages.py benchmarks/realistic.jsonl [--show-misses]

Each line (see benchmarks/realistic-brief.md): `q`, `lang`, `kind` (short, long, oos,
oos_near, unknown_place, followup, smalltalk, chat_lang), `expect` (article ids: one per
question; empty when nothing in the base answers), optional `also` (acceptable
alternatives), `chat_lang` (the language the chat chose; otherwise none was chosen and
the language is detected), `answer_lang`, and for follow-ups `first` / `first_expect`.

Figures, for crewbot and the baseline:
- right: on answerable messages, every expected article answered (or an `also`), and
  nothing else; for follow-ups, the follow-up read after the first message's answer;
- declined: out-of-scope messages (oos, oos_near) answered with no article;
- unknown_place: no article, and the place recognised as having none (crewbot only);
- small_talk_clean: small talk never answered with an article;
- language: the reply's language is the expected one (crewbot only).
The baseline answers one article (BM25 over all text of all articles, its threshold
calibrated on this very set) and has no memory of the first message.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.eval_answers import Bm25Baseline
from bot.paths import bundled
from bot.services.knowledge import KnowledgeBase
from bot.services.understanding import Ask, Reader, Reading

ANSWERABLE = ("short", "long", "chat_lang", "followup")
OUT_OF_SCOPE = ("oos", "oos_near")


def right(got: list[str], row: dict[str, Any]) -> bool:
    expect = list(row.get("expect") or [])
    also = set(row.get("also") or [])
    if not expect:
        return not got
    allowed = set(expect) | also
    if any(article not in allowed for article in got):
        return False
    if len(expect) == 1:
        return bool(got)
    return all(e in got for e in expect) or (
        bool(also) and len(got) >= len(expect) and len(set(got)) == len(got))


def read(reader: Reader, row: dict[str, Any], search_only: bool = False) -> Reading:
    chosen = row.get("chat_lang")
    if search_only:  # the bot before the reader: the whole message searched at once
        answer = reader.kb.answer(str(row["q"]), hint=chosen or "")
        asks = [Ask(answer.article, answer.score, "search")] if answer.article else []
        return Reading(str(row["q"]), answer.language, asks)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    memory = None
    if row.get("kind") == "followup":
        memory = reader.read(str(row["first"]), chosen, None, now).memory
        now += timedelta(minutes=1)
    return reader.read(str(row["q"]), chosen, memory, now)


def evaluate(rows: list[dict[str, Any]], reader: Reader, show: bool, search_only: bool = False
             ) -> dict[str, Any]:
    kb = reader.kb
    baseline = Bm25Baseline(kb)
    baseline.calibrate([{"q": r["q"], "expect": (r.get("expect") or [None])[0]}
                        for r in rows])
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    base: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def tally(table: dict[str, list[int]], key: str, ok: bool) -> None:
        table[key][0] += ok
        table[key][1] += 1

    for row in rows:
        kind = str(row["kind"])
        reading = read(reader, row, search_only)
        got = reading.articles
        base_answer = baseline.answer(str(row["q"]))
        base_got = [base_answer] if base_answer else []
        ok = right(got, row)
        if kind in ANSWERABLE:
            key = "followup" if kind == "followup" else "right"
            tally(counts, key, ok)
            tally(base, key, right(base_got, row))
        elif kind in OUT_OF_SCOPE:
            ok = not got and not reading.unknown_places
            tally(counts, "declined", not got)
            tally(base, "declined", not base_got)
        elif kind == "unknown_place":
            ok = not got and bool(reading.unknown_places)
            tally(counts, "unknown_place", ok)
            tally(base, "unknown_place", not base_got)
        elif kind == "smalltalk":
            ok = not got
            tally(counts, "small_talk_clean", ok)
            tally(base, "small_talk_clean", not base_got)
        language = str(row.get("answer_lang") or row["lang"])
        lang_ok = reading.language == language
        tally(counts, "language", lang_ok)
        tally(kinds, kind, ok)
        if show and (not ok or not lang_ok):
            unknown = [p.id for p in reading.unknown_places]
            print(f"MISS {row['id']} {kind} expect={row.get('expect')} also={row.get('also')}"
                  f" got={got} unknown={unknown} talk={reading.small_talk}"
                  f" lang={reading.language}/{language} q={row['q'][:160]!r}",
                  file=sys.stderr)

    def share(table: dict[str, list[int]]) -> dict[str, float]:
        return {k: round(v[0] / v[1], 4) for k, v in sorted(table.items()) if v[1]}

    return {"crewbot": share(counts), "bm25_baseline": share(base),
            "by_kind": share(kinds), "counts": {k: v[1] for k, v in sorted(kinds.items())}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--knowledge", type=Path, default=bundled("knowledge"))
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--search-only", action="store_true",
                        help="the whole message searched at once, as before the reader")
    args = parser.parse_args()
    from bot.config import load_config

    kb = KnowledgeBase.load(args.knowledge, load_config(None).knowledge.answer_threshold)
    rows = [json.loads(line) for line in args.dataset.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    print(json.dumps(evaluate(rows, Reader.load(kb), args.show_misses,
                                     args.search_only), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
