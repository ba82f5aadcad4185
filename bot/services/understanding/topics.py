"""What a message is about, from the words crews use for it (`knowledge/topics.yaml`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.services.knowledge.loader import read_yaml
from bot.services.knowledge.text import fold
from bot.services.understanding.terms import Found, Terms

KINDS = ("subject", "vendor", "local", "route", "aspect", "general", "filming", "crew")
# Unknown long words whose typo reading is kept.
WORDS_KEPT = 1 << 14
# A Latin word long enough that one typo in it still leaves it recognisable.
_LONG_WORD = re.compile(r"(?<![a-z])[a-z]{6,}(?![a-z])")


@dataclass(frozen=True)
class Topic:
    id: str
    kind: str
    article: str
    hire: str | None = None
    prefer_hire: bool = False  # when the search cannot tell the rules from the vendors
    needs_hire: bool = False  # a vendor topic whose words are also everyday ones
    own: bool = False  # an aspect answered by its own article even in a follow-up
    absorbs: tuple[str, ...] = ()  # subjects that, named with it, are part of it
    # With hiring words, these words ask for a vendor's details, not about this topic
    # ("un pilote de drone, vous avez des contacts ?" wants pilots' numbers, not ours).
    not_hiring: bool = False
    # Words that mostly say when ("after the shoot"): a vendor named beside them is what
    # the sentence asks for, even without hiring words.
    yields_to_vendors: bool = False
    # Its article is about how the permit is applied for (who applies), not a matter with
    # its own lead time and cost: a side asked right after its answer is the permit's.
    procedure: bool = False
    # What writers call themselves ("em là fixer ở TP.HCM", "I'm a fixer based in..."):
    # named in an introduction, it says who writes, not what is asked.
    role: bool = False
    # Whom crews write to ("Cục Điện ảnh", "ベトナム映画局 御中"): named beside anything
    # else of ours, it is where the dossier goes, not a request for its contacts.
    addressee: bool = False
    # A `crew` topic: the answers right after which naming it asks `article` (by default
    # `article` itself: "our sound guy is Indian though" after the visa answer; the gear
    # after the visa answer asks how it comes in).
    after: tuple[str, ...] = ()
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def sides_are_the_permits(self) -> bool:
        """A side (how long, how much, which papers) asked right after this topic's
        answer is the permit's: a kind of production's route, or who applies."""
        return self.kind == "route" or self.procedure

    @property
    def is_subject(self) -> bool:
        """A matter with its own article, which also covers its lead time and cost."""
        return self.kind in ("subject", "vendor", "local", "route")



@dataclass
class Topics:
    topics: dict[str, Topic] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Who the crew are asks nothing by itself: kept apart from what a message asks.
        asking = [(cue, t) for t in self.topics.values() if t.kind != "crew"
                  for cues in t.cues.values() for cue in cues]
        crew = [(cue, t) for t in self.topics.values() if t.kind == "crew"
                for cues in t.cues.values() for cue in cues]
        self._terms: Terms[Topic] = Terms(asking, marks_matter=True, overlapping=True)
        self._crew: Terms[Topic] = Terms(crew, marks_matter=True, overlapping=True)
        # Single long Latin words, for reading a typo: "aproval" is "approval".
        self._long_words: dict[str, Topic] = {
            fold(cue): topic for cue, topic in asking if _LONG_WORD.fullmatch(fold(cue))}
        self._spellings = list(self._long_words)
        # Crews' unknown words (names, typos) recur: each is compared with ours once.
        self._typo_of = functools.lru_cache(maxsize=WORDS_KEPT)(self._typo_of_uncached)
        # Whether a word is one the knowledge base uses (set by the reader): only
        # words it does not know are read as typos.
        self.known: Callable[[str], bool] | None = None
        # The topic an article answers: a subject before a side of a procedure that
        # shares its article ("who applies" is answered by the service-company article).
        self.by_article: dict[str, Topic] = {}
        # (The general permit topic keeps the overview: a follow-up after it asks anew.)
        for topic in sorted(self.topics.values(),
                            key=lambda t: (t.kind != "general", not t.is_subject)):
            self.by_article.setdefault(topic.article, topic)
            if topic.hire:
                self.by_article.setdefault(topic.hire, topic)

    @classmethod
    def load(cls, path: Path) -> Topics:
        if not path.exists():
            return cls()
        data = read_yaml(path.read_text(encoding="utf-8")) or {}
        topics: dict[str, Topic] = {}
        problems: list[str] = []
        for topic_id, entry in (data.get("topics") or {}).items():
            if not isinstance(entry, dict) or not entry.get("article"):
                problems.append(f"{path.name}: {topic_id}: needs an article")
                continue
            kind = str(entry.get("kind", ""))
            if kind not in KINDS:
                problems.append(f"{path.name}: {topic_id}: kind must be one of {', '.join(KINDS)}")
            cues = {str(lang): tuple(str(c) for c in (values or []))
                    for lang, values in (entry.get("cues") or {}).items()}
            topics[str(topic_id)] = Topic(str(topic_id), kind, str(entry["article"]),
                                          entry.get("hire") or None,
                                          entry.get("prefer") == "hire",
                                          bool(entry.get("needs_hire")),
                                          bool(entry.get("own")),
                                          tuple(entry.get("absorbs") or ()),
                                          not_hiring=bool(entry.get("not_hiring")),
                                          yields_to_vendors=bool(
                                              entry.get("yields_to_vendors")),
                                          procedure=bool(entry.get("procedure")),
                                          role=bool(entry.get("role")),
                                          addressee=bool(entry.get("addressee")),
                                          after=tuple(entry.get("after") or ()),
                                          cues=cues)
        return cls(topics, problems)

    def check(self, article_ids: set[str], languages: tuple[str, ...]) -> list[str]:
        found = list(self.problems)
        for topic in self.topics.values():
            for ref in (topic.article, topic.hire, *topic.after):
                if ref and ref not in article_ids:
                    found.append(f"topics.yaml: {topic.id}: no article {ref!r}")
            for language in languages:
                if not topic.cues.get(language):
                    found.append(f"topics.yaml: {topic.id}: no words in {language}")
        return found

    def find(self, text: str, hiring: bool = False) -> list[Topic]:
        """The topics `text` names, in order of first mention, each once; the sides of
        a procedure last, the most telling first (how long, then how much, then which
        papers: "how early should we submit the application?" asks when). `hiring`: the
        text asks to hire, so a vendor it names stays even where a topic absorbs it
        ("a certified translation: where do we find a translator?")."""
        seen: dict[str, Topic] = {}
        found_terms = self._terms.find(text)
        for found in found_terms:
            seen.setdefault(found.value.id, found.value)
        for topic in self._misspelt(text, found_terms):
            seen.setdefault(topic.id, topic)
        if any(t.kind != "filming" and not t.addressee for t in seen.values()):
            seen = {k: t for k, t in seen.items() if not t.addressee}
        for topic in list(seen.values()):
            for absorbed in topic.absorbs:
                if not (hiring and absorbed in seen and seen[absorbed].kind == "vendor"):
                    seen.pop(absorbed, None)
        order = list(self.topics)
        return sorted(seen.values(), key=lambda t: (t.kind == "aspect",
                                                   order.index(t.id) if t.kind == "aspect"
                                                   else 0))

    def _misspelt(self, text: str, found: list[Found[Topic]]) -> list[Topic]:
        """Topics named by a long Latin word one typo away from one of their words
        ("aproval", "interpretor", "insurence"), when the knowledge base has no such
        word itself (then it is a word, not a typo: "filing" is no "filming") and the
        first letters agree ("faisons", we do, is no "saisons")."""
        if self.known is None or not self._long_words:
            return []
        topics: list[Topic] = []
        for match in _LONG_WORD.finditer(fold(text)):
            word = match.group()
            if any(f.start <= match.start() < f.end for f in found) or self.known(word):
                continue
            topic = self._typo_of(word)
            if topic is not None:
                topics.append(topic)
        return topics

    def _typo_of_uncached(self, word: str) -> Topic | None:
        near = process.extractOne(word, self._spellings, scorer=OSA.distance, score_cutoff=1)
        if near is not None and near[0][0] == word[0]:  # typos spare the first letter
            return self._long_words[near[0]]
        return None

    def about_crew(self, text: str) -> dict[str, str]:
        """What `text`, naming who or what comes with the crew ("our sound guy is Indian
        though", "他是台湾人呢？", "장비는요?"), asks right after each answer: the
        article answered last -> the article asked."""
        asked: dict[str, str] = {}
        for found in self._crew.find(text):
            for answered in found.value.after or (found.value.article,):
                asked.setdefault(answered, found.value.article)
        return asked

    def mentions(self, topic: Topic, text: str) -> bool:
        """Whether `text` (an article's sentence) speaks of `topic`, in any language."""
        return any(f.value.id == topic.id for f in self._terms.find(text))
