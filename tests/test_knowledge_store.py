"""How the knowledge base is kept: bodies read from their files, details packed, the index
built in blocks, the on-disk cache, and libyaml parsing like the pure-Python parser."""

from __future__ import annotations

import logging
import os
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bot.paths import bundled
from bot.services.knowledge import KnowledgeBase, cache, loader, service
from bot.services.knowledge.index import (
    EVIDENCE_KEPT,
    IndexBuilder,
    IndexedDoc,
    LanguageIndex,
    SizedMemo,
)
from bot.services.knowledge.loader import BodyFile

QUESTIONS = ["Can we fly a drone over Ha Long Bay?", "ベトナムで撮影する許可", "visa for the crew",
             "thue flycam o da nang", "Where can I buy bitcoin?"]


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(bundled("knowledge"), root)
    return root


def _bodies_in_memory(path: Path) -> dict[str, str]:
    """The bodies as the loader split them before they were kept on disk."""
    parts = loader._split_front_matter(path.read_text(encoding="utf-8"))
    assert parts is not None
    bodies, _, _ = loader._split_bodies(parts[2], parts[3], str(path), [])
    return {lang: text for lang, text in bodies.items() if text}


def test_bodies_read_from_the_files_are_the_loaded_ones(kb_copy: Path) -> None:
    path = kb_copy / "articles" / "permit.drone.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # offsets survive CRLF
    content = loader.load(kb_copy)
    assert content.problems == []
    for article in content.articles.values():
        assert isinstance(article.body, BodyFile)
        expected = _bodies_in_memory(kb_copy.parent / article.path)
        assert dict(article.body.items()) == expected
        assert article.body.read() == expected
        assert list(article.body) == list(expected) and "xx" not in article.body


def test_a_body_edited_or_deleted_after_loading(kb_copy: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    article = loader.load(kb_copy).articles["permit.drone"]
    path = kb_copy / "articles" / "permit.drone.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("<!-- lang: en -->", "<!-- lang: en -->\nNEW FIRST LINE"),
                    encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert article.body["en"].startswith("NEW FIRST LINE")
    assert article.body["vi"] == _bodies_in_memory(path)["vi"]
    path.unlink()
    with caplog.at_level(logging.WARNING):
        assert article.body["en"] == ""
    assert "unreadable" in caplog.text
    with pytest.raises(KeyError):
        article.body["xx"]


def test_packed_details_unpack_to_the_header_values(kb_copy: Path) -> None:
    article = loader.load(kb_copy).articles["location.hoi-an"]
    assert "Hoi An" in article.aliases["en"] and article.summary["en"].startswith("Hoi An")
    assert article.sources and article.sources[0].url.startswith("https://")
    assert article.location is not None and article.location.region == "central"
    assert "February" in article.location.best_season["en"]
    opened = loader.opened(article)
    assert opened.summary == article.summary and dict(opened.body) == dict(article.body)
    assert opened.location is not None
    assert opened.location.access == article.location.access


def _reference_index(docs: list[IndexedDoc], size: int) -> LanguageIndex:
    """The straightforward build the blocked one must equal: Python lists per token."""
    vocabulary: dict[str, int] = {}
    postings: list[list[tuple[int, int]]] = []
    lengths = np.zeros(max(1, size), dtype=np.float32)
    for number, doc in enumerate(docs):
        counts = Counter(doc.weak)
        counts.update(doc.strong * 3)
        lengths[number] = sum(counts.values())
        for token, count in counts.items():
            if token not in vocabulary:
                vocabulary[token] = len(vocabulary)
                postings.append([])
            packed = min(count, 0x7F) | (0x80 if token in doc.strong else 0)
            postings[vocabulary[token]].append((number, packed))
    offsets = np.zeros(len(postings) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in postings], out=offsets[1:])
    flat = [entry for posting in postings for entry in posting]
    return LanguageIndex.from_arrays(size, 0.5, vocabulary, offsets,
                                     np.array([d for d, _ in flat], dtype=np.uint16),
                                     np.array([p for _, p in flat], dtype=np.uint8), lengths)


@pytest.mark.parametrize("block", [1, 3, 7, 1024])
def test_blocked_index_build_equals_the_simple_one(block: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IndexBuilder, "BLOCK", block)
    rng = random.Random(block)
    words = [f"w{i}" for i in range(60)]
    docs = [IndexedDoc(rng.sample(words[:20], rng.randint(0, 3)),
                       [rng.choice(words[: 10 + 2 * n]) for _ in range(rng.randint(0, 40))])
            for n in range(23)]
    built, expected = LanguageIndex(iter(docs), len(docs)), _reference_index(docs, len(docs))
    assert list(built._vocabulary.items()) == list(expected._vocabulary.items())
    for mine, theirs in zip(built.arrays()[1:], expected.arrays()[1:], strict=True):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
    assert np.array_equal(built._weights, expected._weights)
    for token in ("w0", "w5", "w30", "unknown"):
        assert np.array_equal(built.bm25([token, "w1"]), expected.bm25([token, "w1"]))


def _state(kb: KnowledgeBase) -> tuple[object, ...]:
    return ([a.id for a in kb.articles], [str(p) for p in kb.problems], kb.vendors, kb.replies,
            {lang: [np.asarray(x).tolist() for x in index.arrays()[1:]]
             for lang, index in kb.indexes.items()},
            [kb.answer(q).candidates for q in QUESTIONS])


def test_cache_is_used_when_unchanged_and_rebuilt_on_any_change(
        kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MIN_ARTICLES", 1)
    store = tmp_path / "cache"
    built = KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)
    assert len(list(store.glob("knowledge-*.pickle"))) == 1
    real_load = loader.load
    monkeypatch.setattr(loader, "load", lambda root: pytest.fail("cache not used"))
    cached = KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)
    assert _state(cached) == _state(built)
    article = cached.by_id["permit.drone"]
    assert article.body["en"] == built.by_id["permit.drone"].body["en"]
    assert article.summary == built.by_id["permit.drone"].summary
    # An edit, even one keeping the size, makes the copy stale: the base is loaded again.
    monkeypatch.setattr(loader, "load", real_load)
    path = kb_copy / "articles" / "permit.drone.md"
    text = path.read_text(encoding="utf-8")
    assert "Legal basis" in text
    path.write_text(text.replace("Legal basis", "LEGAL BASIS"), encoding="utf-8")
    calls: list[Path] = []
    monkeypatch.setattr(loader, "load", lambda root: calls.append(root) or real_load(root))
    edited = KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)
    assert calls == [kb_copy] and "LEGAL BASIS" in edited.by_id["permit.drone"].body["en"]
    # A touched but unchanged file keeps the copy, and bodies are still read by offset.
    os.utime(path, ns=(2, 2))
    calls.clear()
    touched = KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)
    assert calls == [] and touched.by_id["permit.drone"].body["en"] == \
        edited.by_id["permit.drone"].body["en"]


def test_a_broken_or_unwritable_cache_is_never_required(
        kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(cache, "MIN_ARTICLES", 1)
    store = tmp_path / "cache"
    expected = _state(KnowledgeBase.load(kb_copy, 0.35, cache_dir=store))
    (copy,) = store.glob("knowledge-*.pickle")
    data = copy.read_bytes()
    copy.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING):
        assert _state(KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)) == expected
    assert "cache unreadable" in caplog.text
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        assert _state(KnowledgeBase.load(kb_copy, 0.35, cache_dir=blocked / "x")) == expected
    assert "cache not written" in caplog.text


def test_a_handful_of_articles_is_not_cached_but_the_shipped_base_is(
        kb_copy: Path, tmp_path: Path) -> None:
    """Reading the copy pays off from the shipped base's size up (start-up about halved);
    a few articles are built directly."""
    KnowledgeBase.load(kb_copy, 0.35, cache_dir=tmp_path / "shipped")
    assert list((tmp_path / "shipped").glob("knowledge-*.pickle"))
    for extra in sorted((kb_copy / "articles").glob("*.md"))[cache.MIN_ARTICLES - 1:]:
        extra.unlink()
    KnowledgeBase.load(kb_copy, 0.35, cache_dir=tmp_path / "small")
    assert not (tmp_path / "small").exists()


def test_the_copy_keeps_the_crew_questions_worked_out_and_reads_the_same(
        kb_copy: Path, tmp_path: Path) -> None:
    """The shipped base's crew questions are tokenised and weighed before it is cached,
    so the first messages after a start do not pay for it; answers are the same."""
    built = KnowledgeBase.load(kb_copy, 0.35, cache_dir=tmp_path)
    cached = KnowledgeBase.load(kb_copy, 0.35, cache_dir=tmp_path)
    question = built.articles[0].questions["en"][0]
    assert question in cached.indexes["en"].profiles
    assert question in cached.indexes["vi"].profiles  # the English ones back every index
    for text in ("Can we fly a drone over Ha Long Bay?", "하노이 촬영 허가 얼마나 걸려요?"):
        assert built.answer(text).candidates == cached.answer(text).candidates


def test_the_copy_keeps_every_articles_crew_questions_indexed(kb_copy: Path,
                                                               tmp_path: Path) -> None:
    """A small base's question sets are built before it is cached: the first message
    that ranks an article does not build them."""
    KnowledgeBase.load(kb_copy, 0.35, cache_dir=tmp_path)
    cached = KnowledgeBase.load(kb_copy, 0.35, cache_dir=tmp_path)
    for language, index in cached.indexes.items():
        ranked_in = ("en",) if language == "en" else (language, "en")
        assert set(index.question_sets) == {(n, ranked_in) for n in range(len(cached.articles))}


def test_a_small_index_works_out_every_tokens_evidence_as_a_large_one_does() -> None:
    """The shipped base's per-pair tables give, bit for bit, the evidence and BM25 terms
    that a large index works out per token on first use."""
    kb = KnowledgeBase.load(bundled("knowledge"), 0.35)
    checked = 0
    for index in kb.indexes.values():
        assert index.small and index.flat_evidence is not None
        flat = index.flat_evidence, index._flat_bm25
        for token in list(index._vocabulary)[::5]:
            results = []
            for tables in (flat, (None, None)):
                index.flat_evidence, index._flat_bm25 = tables
                index.evidence = SizedMemo(EVIDENCE_KEPT)
                index._bm25_terms = SizedMemo(EVIDENCE_KEPT)
                results.append((service._evidence(index, token), index._bm25_term(token)))
            (mine, my_term), (theirs, their_term) = results
            assert mine is not None and theirs is not None
            assert mine.topic == theirs.topic
            for a, b in ((mine.docs, theirs.docs), (mine.credit, theirs.credit),
                         (mine.name_credit, theirs.name_credit)):
                assert a.dtype == b.dtype and np.array_equal(a, b)
            assert my_term is not None and their_term is not None
            assert np.array_equal(my_term[0], their_term[0])
            assert np.array_equal(my_term[1], their_term[1])
            checked += 1
        index.flat_evidence, index._flat_bm25 = flat
        assert service._evidence(index, "no-such-token") is None
    assert checked > 5000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("title:\n", "title: \t\n", 1), "cannot start any token"),
        (lambda t: t.replace("tags: [", "tags: [what?s, ", 1), "expected ',' or ']'"),
        (lambda t: t.replace("reviewed: 20", "reviewed: 2026-13-45 #", 1),
         "month must be in 1..12"),
    ],
)
def test_libyaml_and_pure_python_parsing_agree(kb_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                               change: object, message: str) -> None:
    """libyaml accepts tabs and "?" in [...] that PyYAML's own parser rejects; a bad date
    used to stop the whole load with a ValueError."""
    path = kb_copy / "articles" / "permit.drone.md"
    assert callable(change)
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    fast = [str(p) for p in loader.load(kb_copy).problems]
    monkeypatch.setattr(loader, "_FAST_LOADER", None)
    assert fast == [str(p) for p in loader.load(kb_copy).problems]
    assert message in fast[0] and fast[0].startswith("knowledge/articles/permit.drone.md:")


def test_the_copy_keeps_the_trained_language_detector(
        kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training the letter model on the articles' text took about 0.4 s of every start:
    the copy keeps it, and it reads as the freshly trained one."""
    from bot.services.knowledge import langdetect

    store = tmp_path / "cache"
    built = KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)
    monkeypatch.setattr(langdetect.LanguageDetector, "__init__",
                        lambda *args, **kwargs: pytest.fail("detector trained again"))
    cached = KnowledgeBase.load(kb_copy, 0.35, cache_dir=store)
    for text in ("Combien de temps faut-il pour le permis ?", "xin giay phep quay phim",
                 "How long does the permit take?", "Hà Nội"):
        assert cached.detect_language(text) == built.detect_language(text), text
