"""From a crew's message to the questions it asks, each about a topic and a place.

One message may hold an introduction, several questions and a sign-off; it may follow up
the last answer ("and in Hoi An?", "how long does that take?"); it may be small talk.
The reader cuts it into sentences, recognises in each the topics (`topics.yaml`) and the
Vietnamese places (`places.yaml`), asks the knowledge base's search about it, and decides:

- a subject named ("drone", "비자", "海关") is answered by its article, with what the
  named place's article says about it ("drone in Da Nang");
- a place named with nothing more specific is answered by its article, or, when it has
  none, recognised as such (never another place's article);
- a side of a procedure (how long, how much, which papers) belongs to the subject named
  with it, or to the one the chat was talking about; alone, to its own article;
- a sentence with none of these is left to the search, which declines when unsure;
- an introduction or a sign-off around the questions adds no question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.services.knowledge import Answer, KnowledgeBase
from bot.services.knowledge.model import Article
from bot.services.knowledge.service import intent_of
from bot.services.knowledge.text import script_counts
from bot.services.understanding.places import Gazetteer, Place
from bot.services.understanding.segments import sentences
from bot.services.understanding.smalltalk import SmallTalk, small_talk
from bot.services.understanding.topics import Topic, Topics

# A follow-up is short: "and in Hoi An?", "how long does it take?", "드론은요?".
FOLLOW_UP_CHARS = 60
# Latin words, beyond place names, that make a message clearly written in its language
# rather than one ambiguous word ("visa", "drone", "Ha Long") in the chat's language.
CLEAR_SENTENCE_WORDS = 3
CLEAR_SENTENCE_CHARS = 4  # Hangul, kana or Han characters, likewise
MAX_ASKS = 4
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_NOTE_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


@dataclass(frozen=True)
class Memory:
    """What the chat talked about last: the article answered and the place, if any."""

    article: str | None = None
    place: str | None = None
    at: datetime | None = None

    def fresh(self, now: datetime, minutes: int) -> bool:
        return self.at is not None and now - self.at <= timedelta(minutes=minutes)


@dataclass(frozen=True)
class Ask:
    """One question of the message, and the article that answers it."""

    article: Article
    score: float
    via: str  # "topic", "place", "search", "follow-up"
    place: Place | None = None  # a place the answer should say something about
    topic: Topic | None = None
    sentence: str = ""


@dataclass
class Reading:
    text: str
    language: str
    asks: list[Ask] = field(default_factory=list)
    small_talk: SmallTalk | None = None
    unknown_places: list[Place] = field(default_factory=list)
    search: Answer | None = None  # the whole message searched, when nothing was answered
    memory: Memory = field(default_factory=Memory)

    @property
    def articles(self) -> list[str]:
        return [ask.article.id for ask in self.asks]


@dataclass
class _Sentence:
    text: str
    topics: list[Topic]
    places: list[Place]
    answer: Answer
    abroad: bool  # names a foreign destination, or a foreign place and no Vietnamese one
    off_topic: bool

    @property
    def subjects(self) -> list[Topic]:
        return [t for t in self.topics if t.is_subject]

    @property
    def aspects(self) -> list[Topic]:
        return [t for t in self.topics if t.kind == "aspect"]

    @property
    def general(self) -> bool:
        return any(t.kind == "general" for t in self.topics)

    @property
    def short(self) -> bool:
        return len(self.text) <= FOLLOW_UP_CHARS


class Reader:
    def __init__(self, knowledge: KnowledgeBase, gazetteer: Gazetteer, topics: Topics,
                 memory_minutes: int = 30) -> None:
        self.kb = knowledge
        self.gazetteer = gazetteer
        self.topics = topics
        self.memory_minutes = memory_minutes
        self._aspect_articles = {t.article for t in topics.topics.values()
                                 if t.kind in ("aspect", "general")}

    @classmethod
    def load(cls, knowledge: KnowledgeBase, memory_minutes: int = 30) -> Reader:
        """The reader of the knowledge base's folder: its `places.yaml` and `topics.yaml`."""
        return cls(knowledge, Gazetteer.load(knowledge.root / "places.yaml"),
                   Topics.load(knowledge.root / "topics.yaml"), memory_minutes)

    # -- language ---------------------------------------------------------------------

    def language_of(self, text: str, chosen: str | None, hint: str = "") -> str:
        """The chat's language, unless the message is clearly a whole sentence in another:
        one ambiguous word ("visa", "drone") or a place name changes nothing."""
        detected, confident = self.kb.detect_language(text, hint or (chosen or ""))
        if chosen is None:
            return detected
        if detected == chosen or not confident:
            return chosen
        rest = text
        for mention in reversed(self.gazetteer.find(text)):
            rest = rest[:mention.start] + " " + rest[mention.end:]
        counts = script_counts(rest)
        if detected in ("ko", "ja", "zh"):
            own = counts["hangul"] if detected == "ko" else counts["kana"] + counts["han"]
            return detected if own >= CLEAR_SENTENCE_CHARS else chosen
        words = _LATIN_WORD.findall(rest)
        return detected if len(words) >= CLEAR_SENTENCE_WORDS else chosen

    # -- reading ----------------------------------------------------------------------

    def read(self, text: str, chosen: str | None = None, memory: Memory | None = None,
             now: datetime | None = None, hint: str = "") -> Reading:
        language = self.language_of(text, chosen, hint)
        reading = Reading(text, language, memory=memory or Memory())
        talk = small_talk(text)
        if talk is not None:
            reading.small_talk = talk
            return reading
        remembered = memory if memory is not None and now is not None and memory.fresh(
            now, self.memory_minutes) else None
        parts = [self._sentence(s, language) for s in sentences(text)
                 if small_talk(s) is None]
        named = next((p for part in parts for p in part.places), None)
        found: list[Ask] = []
        searched: list[Ask] = []
        for part in parts:
            asks, unknown = self._decide(part, named, remembered)
            for ask in asks:
                (searched if ask.via == "search" else found).append(ask)
            for place in unknown:
                if place not in reading.unknown_places:
                    reading.unknown_places.append(place)
        if not found and searched and not reading.unknown_places:
            found = [max(searched, key=lambda a: a.score)]
        reading.asks = _distinct(found)[:MAX_ASKS]
        if reading.unknown_places:  # a place asked about has no article: not another's
            reading.asks = [a for a in reading.asks if a.article.kind != "location"]
        if not reading.asks and not reading.unknown_places:
            reading.search = self.kb.answer(text, language=language)
        if reading.asks and now is not None:
            last = reading.asks[-1]
            about = last.place or self.gazetteer.with_article(last.article.id)
            reading.memory = Memory(last.article.id, about.id if about else None, now)
        elif reading.unknown_places and now is not None:
            reading.memory = Memory(None, reading.unknown_places[-1].id, now)
        return reading

    def _sentence(self, text: str, language: str) -> _Sentence:
        places: list[Place] = []
        for mention in self.gazetteer.find(text):
            place = self._resolved(mention.place)
            if place not in places:
                places.append(place)
        going, _, elsewhere = self.kb.foreign_roles(text)
        return _Sentence(text, self.topics.find(text), places,
                         self.kb.answer(text, language=language),
                         abroad=bool(going) or (bool(elsewhere) and not places),
                         off_topic=bool(self.kb.off_topic_in(text)))

    def _resolved(self, place: Place) -> Place:
        """A former province is asked about as itself; its article, if any, is its own."""
        return place

    def _article(self, article_id: str | None) -> Article | None:
        return self.kb.by_id.get(article_id) if article_id else None

    def _ask(self, article_id: str | None, part: _Sentence, via: str,
             place: Place | None = None, topic: Topic | None = None) -> list[Ask]:
        """The one ask answering `part` with `article_id` (none if no such article)."""
        article = self._article(article_id)
        if article is None:
            return []
        score = dict(part.answer.candidates).get(article.id, part.answer.threshold)
        if place is not None and place.article == article.id:
            place = None  # the place's own article needs no note about the place
        return [Ask(article, max(score, part.answer.threshold), via, place, topic, part.text)]

    def _decide(self, part: _Sentence, named: Place | None, memory: Memory | None
                ) -> tuple[list[Ask], list[Place]]:
        """The asks of one sentence, and the places it asks about that have no article.

        `named`: the first Vietnamese place of the whole message ("We shoot in Da Nang in
        May. Do we need a permit?"); `memory`: what the chat talked about last, if recent.
        """
        if part.abroad or part.off_topic:  # the search weighs these itself
            return self._searched(part), []
        place = part.places[0] if part.places else None
        last_place = self.gazetteer.places.get(memory.place or "") if memory else None
        last = self.topics.by_article.get(memory.article or "") if memory else None
        # A short sentence with no place of its own may be about the chat's last place.
        local = place or named or (last_place if part.short else None)
        hire = intent_of(part.text, part.answer.language) == "hire"
        top = part.answer.candidates[0][0] if part.answer.candidates else None
        # Hiring words name a vendor directory; without them, "transport" or "actors" is
        # only a subject when the search agrees ("is it easy to get there?" is access).
        subjects = [t for t in part.subjects if t.kind != "vendor" or hire or top == t.article]
        if subjects:
            topic, article = self._pick(subjects, part.answer, hire)
            if topic.kind == "local" and local is not None and local.article:
                return self._ask(local.article, part, "place"), []
            via = "follow-up" if local is not None and local is last_place and (
                place is None and named is None) else "topic"
            return self._ask(article, part, via, local, topic), []
        if place is not None:
            if part.aspects:
                return self._ask(part.aspects[0].article, part, "topic", place,
                                 part.aspects[0]), []
            if (memory and last is not None and last.is_subject and last.kind != "local"
                    and part.short and not part.general):
                # "and in Hoi An?" after the drone answer: drones in Hoi An.
                return self._ask(memory.article, part, "follow-up", place, last), []
            asks = [a for p in part.places if p.article for a in self._ask(p.article, part,
                                                                           "place")]
            return asks, [p for p in part.places if not p.article]
        if part.aspects:
            if memory is not None and last is not None and last.is_subject and part.short:
                # "how long does that take?" after the drone answer: still drones.
                return self._ask(memory.article, part, "follow-up", last_place, last), []
            found = part.answer.article
            if found is not None and found.id not in self._aspect_articles and (
                    found.kind != "location"):
                # "脚本の審査って、どういう内容…": the search knows a subject our words missed.
                return self._searched(part), []
            aspect = next((t for t in part.aspects if t.article == top), part.aspects[0])
            return self._ask(aspect.article, part, "topic", local, aspect), []
        if part.general:
            if local is not None:
                if local.article:
                    return self._ask(local.article, part, "place"), []
                return [], [local]
            found = part.answer.article
            if found is not None and found.kind != "location":
                return self._ask(found.id, part, "topic"), []
            general = next(t for t in part.topics if t.kind == "general")
            return self._ask(general.article, part, "topic", None, general), []
        return self._searched(part), []

    def _searched(self, part: _Sentence) -> list[Ask]:
        """What the search alone answers, when it is sure enough."""
        article = part.answer.article
        if article is None:
            return []
        return [Ask(article, part.answer.score, "search", None, None, part.text)]

    @staticmethod
    def _pick(subjects: list[Topic], answer: Answer, hire: bool) -> tuple[Topic, str]:
        """Of the subjects of one sentence and their two articles each (the rules, the
        vendors), the one the search ranks first; else the first named, its vendor
        article when the sentence asks to hire."""
        ranked = [article_id for article_id, _ in answer.candidates]
        best: tuple[int, Topic, str] | None = None
        for topic in subjects:
            for article in (topic.article, topic.hire):
                if article and article in ranked:
                    position = ranked.index(article)
                    if best is None or position < best[0]:
                        best = (position, topic, article)
        if best is not None:
            return best[1], best[2]
        topic = subjects[0]
        return topic, (topic.hire if hire and topic.hire else topic.article)

    # -- what a place's article says about a topic --------------------------------------

    def place_note(self, ask: Ask, language: str) -> tuple[Article | None, list[str]]:
        """For "drone in Da Nang": Da Nang's article and its sentences about drones."""
        place = ask.place
        if place is None:
            return None, []
        article = self._article(place.article)
        if article is None or ask.topic is None:
            return article, []
        lang = language if article.has_language(language) else "en"
        texts = []
        if article.location is not None:
            texts.append(article.location.permit_notes.get(lang, ""))
            texts.append(article.location.access.get(lang, ""))
        texts.append(article.summary.get(lang, ""))
        texts.append(article.body.get(lang, ""))
        picked: list[str] = []
        for text in texts:
            for sentence in _NOTE_SENTENCE.split(text):
                sentence = sentence.strip().lstrip("-*# ").strip()
                if (sentence and sentence not in picked and len(sentence) < 400
                        and self.topics.mentions(ask.topic, sentence)):
                    picked.append(sentence)
        return article, picked[:3]


def _distinct(asks: list[Ask]) -> list[Ask]:
    """One ask per article; the one that names a place wins."""
    kept: dict[str, Ask] = {}
    for ask in asks:
        seen = kept.get(ask.article.id)
        if seen is None:
            kept[ask.article.id] = ask
        elif seen.place is None and ask.place is not None:
            kept[ask.article.id] = replace(ask)
    return list(kept.values())
