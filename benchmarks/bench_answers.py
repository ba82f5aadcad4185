"""Answer latency (p50, p99), memory and start-up time of the knowledge search.

    python benchmarks/bench_answers.py [--sizes shipped,10000] [--repeat 3]

Each size runs in a fresh child process so its memory figure (peak RSS) is its own. The
large sizes are generated from the shipped knowledge base: every generated article takes
a real article's fields and reshuffles sentences from articles of the same category, so
the vocabulary, lengths and languages are realistic and no two bodies are identical.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

QUESTIONS = [
    "Do we need a filming permit for a short documentary?",
    "How long before the shoot should we apply?",
    "Can we bring our own drone and fly it over the bay?",
    "What does a local fixer company do for us?",
    "Is the ATA carnet accepted for camera equipment?",
    "Best month to film in the Mekong delta?",
    "Giấy phép quay phim cho đoàn nước ngoài xin ở đâu?",
    "thue flycam o da nang",
    "하노이 구시가지에서 촬영할 수 있나요?",
    "촬영 장비 통관은 어떻게 하나요?",
    "ベトナムで撮影するにはどんな許可が必要ですか？",
    "フエの王宮でロケできますか？",
    "在越南拍摄需要办理什么手续？",
    "岘港有哪些适合拍摄的海滩？",
    "Faut-il une autorisation pour tourner à Hội An ?",
    "Quels documents pour le dossier de tournage ?",
    "Where can I buy bitcoin?",
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(content, size: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """`size` articles made from the real ones (see the module docstring)."""
    from bot.services.knowledge.model import Content

    rng = random.Random(seed)
    real = list(content.articles.values())
    sentences: dict[tuple[str, str], list[str]] = {}
    for article in real:
        for lang, body in article.body.items():
            parts = [s.strip() for s in body.replace("\n", " ").split(". ") if s.strip()]
            sentences.setdefault((article.category, lang), []).extend(parts)
    generated = Content(vendors=content.vendors)
    for number in range(size):
        base = real[number % len(real)]
        bodies = {}
        for lang in base.body:
            pool = sentences[(base.category, lang)]
            bodies[lang] = ". ".join(rng.sample(pool, min(len(pool), 12)))
        article_id = base.id if number < len(real) else f"{base.id}.g{number}"
        generated.articles[article_id] = replace(base, id=article_id, body=bodies,
                                                 related=())
    return generated


def child(size: str) -> dict[str, float | int | str]:
    started = time.perf_counter()
    rss_start = _rss_mb()
    from bot.paths import bundled
    from bot.services.knowledge import KnowledgeBase, loader

    root = bundled("knowledge")
    content = loader.load(root)
    if size != "shipped":
        content = generate(content, int(size))
    built = time.perf_counter()
    kb = KnowledgeBase(content, root, threshold=0.45)
    ready = time.perf_counter()
    for question in QUESTIONS:  # warm-up
        kb.answer(question)
    timings = []
    for _ in range(30):
        for question in QUESTIONS:
            t0 = time.perf_counter_ns()
            kb.answer(question)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
    timings.sort()
    return {
        "size": size,
        "articles": len(kb.articles),
        "startup_s": round(ready - started, 3),
        "index_build_s": round(ready - built, 3),
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_at_start_mb": round(rss_start, 1),
        "index_mb": round(sum(i.memory_bytes() for i in kb.indexes.values()) / 2**20, 1),
        "queries": len(timings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="shipped,10000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    rows = []
    for size in args.sizes.split(","):
        result = subprocess.run([sys.executable, __file__, "--child", size], check=True,
                                capture_output=True, text=True, cwd=Path(__file__).parent.parent)
        rows.append(json.loads(result.stdout))
    print(f"{'size':>8} {'articles':>8} {'startup s':>9} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'peak RSS MB':>11} {'index MB':>8}")
    for row in rows:
        print(f"{row['size']:>8} {row['articles']:>8} {row['startup_s']:>9} {row['p50_ms']:>7} "
              f"{row['p99_ms']:>7} {row['peak_rss_mb']:>11} {row['index_mb']:>8}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
