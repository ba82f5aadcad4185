"""Answer latency (p50, p99), memory and start-up time of the knowledge search.

    python benchmarks/bench_answers.py [--sizes shipped,10000]

Each size runs in a fresh child process so its memory figure (peak RSS) is its own, and
the child starts the way the bot does: `KnowledgeBase.load` on a knowledge folder. The
large sizes are written to a temporary folder first, generated from the shipped knowledge
base: every generated article is a real article's file (header kept, id changed) whose
bodies are reshuffled sentences from articles of the same category and language, as long
as the real article's body in that language. So the vocabulary, lengths, languages and
files are realistic, every file loads without a problem, and no two bodies are
identical (`crewbot kb check` still fails on them: reshuffled sentences leave a `**`
unpaired here and there, and menus.yaml lists none of the generated ids). A timed
answer includes reading the answered article's body, as the reply needs it.

Start-up is measured twice per size, in two processes: without the on-disk cache (the
first start after the knowledge base or the code changed) and with it (every later
start, the shipped base included).

A timed answer is the bot's reading of a message (`Reader.read`: sentences, topics,
places, the search where needed) plus the bodies its reply shows; the messages are the
short questions below and some long ones (an introduction, several questions).

`--ask` measures `crewbot ask` itself on the shipped knowledge base, as the issue asks:
its start-up (wall time of `crewbot ask QUESTION`, median of five) and the CPU per
question of `crewbot ask --json --batch FILE` without start-up: the child's CPU time for
every distinct question of the evaluation sets minus its CPU time for one question,
divided by the difference in questions ("cold": what the first batch after start pays,
the files and tables read on first use included); and the same after a warm-up batch of
other messages (the first 400 of `tune.jsonl`) in both runs ("steady": what a running
bot pays for each new question, one-time loading excluded).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
    # Long ones, as crews write them (our own, not from an evaluation set).
    "Hi! I'm a line producer with a small Berlin company. We plan ten days in Hoi An and "
    "Da Nang next March with a crew of 12. Do we need a permit for that, and how long "
    "does it take? Also, can we fly a drone over the old town? Thanks a lot, Jana",
    "안녕하세요. 서울 광고 제작사입니다. 다음 달 하노이에서 이틀 촬영 예정인데 장비 통관은 어떻게 "
    "하나요? 그리고 현지 조명 렌탈 업체도 소개해 주실 수 있나요? 감사합니다.",
    "Bonjour, on prépare un documentaire à Huế en avril. Quels documents faut-il fournir, "
    "et est-ce que l'équipe a besoin d'un visa spécial ? Merci d'avance.",
    "thanks!",
]
# Sentence ends in Latin and Korean text (". ", "? ") and in Chinese and Japanese (。！？),
# and line breaks (list items, headings). Splitting on ". " alone left Chinese and
# Japanese bodies whole, so generated ones were about seven real bodies long.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_UNSPACED = ("ja", "zh")


def _peak_rss_mb() -> float:
    """The kernel's high-water mark (VmHWM), falling back to getrusage off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _body(rng: random.Random, pool: list[str], length: int, language: str) -> str:
    """Shuffled sentences of the pool, about `length` characters, in short paragraphs."""
    glue = "" if language in _UNSPACED else " "
    paragraphs: list[str] = []
    sentences: list[str] = []
    total = 0
    for sentence in rng.sample(pool, len(pool)):
        sentences.append(sentence)
        total += len(sentence) + 1
        if len(sentences) == 3:
            paragraphs.append(glue.join(sentences))
            sentences = []
        if total >= length:
            break
    if sentences:
        paragraphs.append(glue.join(sentences))
    return "\n\n".join(paragraphs)


def generate(source: Path, target: Path, size: int, seed: int = 7) -> None:
    """Write a knowledge folder of `size` articles made from `source`'s (see the module
    docstring); the real articles come first, under their own ids."""
    from bot.services.knowledge import loader
    from bot.services.knowledge.loader import _split_front_matter

    rng = random.Random(seed)
    content = loader.load(source)
    real = list(content.articles.values())
    sentences: dict[tuple[str, str], list[str]] = {}
    for article in real:
        for lang in article.languages:
            parts = [s.strip() for s in _SENTENCE_END.split(article.body[lang]) if s.strip()]
            sentences.setdefault((article.category, lang), []).extend(parts)
    headers = {}
    for article in real:
        parts = _split_front_matter((source.parent / article.path).read_text(encoding="utf-8"))
        assert parts is not None
        headers[article.id] = parts[0]
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("articles"))
    (target / "articles").mkdir()
    for number in range(size):
        base = real[number % len(real)]
        article_id = base.id if number < len(real) else f"{base.id}.g{number}"
        header = re.sub(r"(?m)^id: .*$", f"id: {article_id}", headers[base.id], count=1)
        lines = ["---", header.rstrip("\n"), "---"]
        for lang in base.languages:
            pool = sentences[(base.category, lang)]
            lines += [f"<!-- lang: {lang} -->", _body(rng, pool, len(base.body[lang]), lang), ""]
        (target / "articles" / f"{article_id}.md").write_text("\n".join(lines),
                                                             encoding="utf-8")


def child(root: Path, cache: Path) -> dict[str, float | int | str]:
    started = time.perf_counter()
    rss_start = _peak_rss_mb()
    from bot.services.knowledge import KnowledgeBase
    from bot.services.understanding import Reader

    kb = KnowledgeBase.load(root, threshold=0.32, cache_dir=cache)
    reader = Reader.load(kb)
    ready = time.perf_counter()

    def answer(question: str) -> None:
        reading = reader.read(question)
        for ask in reading.asks:  # what the reply shows
            article = ask.article
            lang = reading.language if article.has_language(reading.language) else "en"
            _ = (article.title[lang], article.summary[lang], article.body[lang])

    for question in QUESTIONS:  # warm-up
        answer(question)
    timings = []
    for _ in range(30):
        for question in QUESTIONS:
            t0 = time.perf_counter_ns()
            answer(question)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
    timings.sort()
    return {
        "articles": len(kb.articles),
        "problems": len(kb.problems),
        "startup_s": round(ready - started, 3),
        "index_build_s": round(kb.load_seconds, 3),
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_at_start_mb": round(rss_start, 1),
        "index_mb": round(sum(i.memory_bytes() for i in kb.indexes.values()) / 2**20, 1),
        "queries": len(timings),
    }


def _cpu_of(command: list[str]) -> float:
    """User + system CPU seconds of a child process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def measure_ask() -> dict[str, float | int]:
    """`crewbot ask`: start-up, and CPU per question of --json --batch without it."""
    here = Path(__file__).parent
    sets = [here.parent.parent / "shared" / "eval" / "dev.jsonl", here / "heldout.jsonl",
            here / "hard.jsonl", here / "realistic.jsonl"]
    questions = list(dict.fromkeys(
        json.loads(line)["q"] for path in sets if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines() if line.strip()))
    crewbot = str(Path(sys.executable).with_name("crewbot"))
    starts = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([crewbot, "ask", "Do we need a permit?"], check=True,
                       stdout=subprocess.DEVNULL)
        starts.append(time.perf_counter() - started)
    asked = set(questions)
    warm_up = [q for q in (json.loads(line)["q"] for line in (here / "tune.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()) if q not in asked][:400]

    def cpu_of_batch(name: str, batch: list[str]) -> float:
        path = Path(tmp) / name
        path.write_text("".join(json.dumps({"q": q}, ensure_ascii=False) + "\n"
                                for q in batch), encoding="utf-8")
        return min(_cpu_of([crewbot, "ask", "--json", "--batch", str(path)])
                   for _ in range(3))

    with tempfile.TemporaryDirectory(prefix="crewbot-ask-") as tmp:
        cold = (cpu_of_batch("many.jsonl", questions) - cpu_of_batch("one.jsonl", questions[:1])
                ) / (len(questions) - 1)
        steady = (cpu_of_batch("warm-many.jsonl", warm_up + questions)
                  - cpu_of_batch("warm.jsonl", warm_up)) / len(questions)
    return {"questions": len(questions),
            "startup_s": round(statistics.median(starts), 3),
            "cpu_per_question_ms": round(cold * 1000, 3),
            "steady_cpu_per_question_ms": round(steady * 1000, 3)}


def _run_child(root: Path, cache: Path) -> dict[str, float | int | str]:
    result = subprocess.run([sys.executable, __file__, "--child", str(root), "--cache",
                             str(cache)], check=True, capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent)
    row: dict[str, float | int | str] = json.loads(result.stdout)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="shipped,10000")
    parser.add_argument("--ask", action="store_true",
                        help="measure crewbot ask: start-up and CPU per question")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), Path(args.cache))))
        return 0
    if args.ask:
        print(json.dumps(measure_ask()))
        return 0
    sys.path.insert(0, str(Path(__file__).parent.parent))
    from bot.paths import bundled

    rows = []
    for size in args.sizes.split(","):
        with tempfile.TemporaryDirectory(prefix="crewbot-bench-") as tmp:
            root = bundled("knowledge")
            if size != "shipped":
                root = Path(tmp) / "knowledge"
                generate(bundled("knowledge"), root, int(size))
            cache = Path(tmp) / "cache"
            cold = _run_child(root, cache)
            warm = _run_child(root, cache)
        rows.append({"size": size, **cold, "startup_cached_s": warm["startup_s"],
                     "peak_rss_cached_mb": warm["peak_rss_mb"]})
    print(f"{'size':>8} {'articles':>8} {'startup s':>9} {'cached s':>8} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'peak RSS MB':>11} {'cached MB':>9} {'index MB':>8}")
    for row in rows:
        print(f"{row['size']:>8} {row['articles']:>8} {row['startup_s']:>9} "
              f"{row['startup_cached_s']:>8} {row['p50_ms']:>7} {row['p99_ms']:>7} "
              f"{row['peak_rss_mb']:>11} {row['peak_rss_cached_mb']:>9} {row['index_mb']:>8}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
