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

import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from bot.config import SUPPORTED_LANGUAGES
from bot.services.knowledge import Answer, KnowledgeBase
from bot.services.knowledge.model import Article
from bot.services.knowledge.service import ABROAD_CATEGORIES, intent_of
from bot.services.knowledge.text import INTRODUCES, fold, script_counts
from bot.services.understanding.article_model import ArticleModel
from bot.services.understanding.ask_judge import Proposal
from bot.services.understanding.han import simplified
from bot.services.understanding.places import (
    Gazetteer,
    Mention,
    Place,
    is_origin,
    without_names,
)
from bot.services.understanding.scope_model import ScopeModel
from bot.services.understanding.segments import (
    COMMAS,
    LIST_ITEM,
    TEXTS_KEPT,
    clauses,
    commas,
    is_question,
    sentences,
)
from bot.services.understanding.smalltalk import SmallTalk, courtesy, hands_over, small_talk
from bot.services.understanding.topics import Topic, Topics

# A follow-up is short: "and in Hoi An?", "how long does it take?", "드론은요?".
FOLLOW_UP_CHARS = 80
# The writer saying who they are, at the start of a statement ("je suis interprète à
# Hanoi", "I'm Sarah, a producer in Singapore"; `INTRODUCES` besides).
_WRITER = re.compile(r"\s*(?:(?:hi,?\s*|hello,?\s*|bonjour,?\s*)?(?:je suis|i am|i'm|moi c'est"
                     r"|my name is|em ten|minh ten)\b|私は|わたしは)")
# A letter's salutation ("Dear Cinema Department team,", "Kính gửi Cục Điện ảnh,",
# "尊敬的越南电影局工作人员："): folded, a short statement ending in a comma or a colon.
_SALUTATION = re.compile(r"\s*(?:dear|kinh gui|kinh thua|kinh chao|尊敬的|致|敬启|"
                         r"chere?s?|madame|monsieur|messieurs|拝啓|존경하는|친애하는)")
# Latin words, beyond place names, that make a message clearly written in its language
# rather than one ambiguous word ("visa", "drone", "Ha Long") in the chat's language.
CLEAR_SENTENCE_WORDS = 3
CLEAR_SENTENCE_CHARS = 4  # Hangul, kana or Han characters, likewise
MAX_ASKS = 4
# One word of unmarked Latin letters, or none at all ("9", "👍", "?!").
_ONE_PLAIN_WORD = re.compile(r"[^\w]*(?:[a-zA-Z]+|\d+)?[^\w]*")
# The language of a chat that chose none, on a platform that said none, for a message
# that could be any: the knowledge base's first language.
DEFAULT_LANGUAGE = "en"
# How much better the search must cover a question than the aspect our words found,
# for its subject to win.
SEARCH_MARGIN = 0.1
# A sentence naming a place and at most this many letters besides ("Hue citadel?",
# "Hội An thì sao?") asks about the place; a longer one needs filming words or the
# search's agreement ("the best phở near Hoàn Kiếm lake" is about phở).
BARE_PLACE_LETTERS = 12
# A place named with hardly a word besides ("Tú Làn", "Hội An thì sao?", "하노이에서 사파
# 가는 방법") asks what filming there takes: no learned doubt about scope applies to it.
# ("What about Hoan Kiem lake?" and "하롱베이 1박2일 크루즈 추천" say more.)
ALONE_PLACE_LETTERS = 6
# Words that address the reader or soften the tone and ask nothing: they do not make a
# place named with them say more ("dạ còn Hội An thì sao ad?" is "Hội An thì sao?").
_ADDRESS = re.compile(r"(?<!\w)(?:dạ|ạ|ad|admin|ơi|nhé|nha|please|pls|plz|svp|stp)(?!\w)")
# A trip from somewhere no gazetteer lists ("how long from the airport?", "空港から",
# "从机场", "từ sân bay"): like a place named as a trip's start, it asks how to get there.
_TRIP = re.compile(r"(?<!\w)(?:from the (?:airport|station|city|centre|center|hotel)"
                   r"|depuis l'aeroport|depuis la gare|depuis le centre|tu san bay|tu ga"
                   r"|tu trung tam)(?!\w)|공항에서|역에서|시내에서|空港から|駅から|市内から"
                   r"|从机场|从车站|从市区|从市中心")
# How far a trip is, besides how long it takes (an aspect): "is it far from Hanoi?".
_FAR = re.compile(r"(?<!\w)(?:far|distance|travel time|drive|loin|trajet|xa|bao xa"
                  r"|di chuyen)(?!\w)|멀|거리|이동 시간|移動時間|遠い|距離|远|距离|车程|路程")
# Words pointing back at what was just answered: "who applies for that?", "那怎么找这样的公司",
# "the list?", or asking it on a condition ("what if the shoot is two months?",
# "촬영이 두 달이면요?"). Not "there", "거기", "そこ": those point back at a place ("drones
# there?").
_BACK = re.compile(r"(?<!\w)(?:that|it|this|those|these|same|ca|cela|celui|celle|meme|do|nay"
                   r"|kia|giong|list|liste|en avez|danh sach|what if|et si|neu)(?!\w)"
                   r"|그거|그것|그건|이거|같은|리스트|목록|면요|それ"
                   r"|その|あれ|同じ|リスト|一覧|なら|たら|这个|那个|这样|那样|一样|名单|列表"
                   r"|如果|的话")
# Words pointing back at the place just answered: "거기 로케 허가는?" asks the place's.
_THERE = re.compile(r"(?<!\w)(?:there|la-bas|o do|o day|tai do)(?!\w)|거기|그곳|そこ|あそこ"
                    r"|那里|那边|那儿")
# "Vietnam" named: the sentence is about here, whatever other country it compares with.
_VIETNAM = re.compile(r"(?<![a-z])(?:viet ?nam|vn)(?![a-z])|베트남|ベトナム|越南")
# ...unless as the country the crew chose against: "베트남 말고 캄보디아에서", "instead of
# Vietnam", "ベトナムではなく", "不在越南".
_NOT_VIETNAM = re.compile(
    r"(?<![a-z])(?:instead of|rather than|not in|not|after|before) (?:in )?viet ?nam(?![a-z])"
    r"|(?<![a-z])(?:au lieu du|plutot qu'au|pas au) vietnam(?![a-z])"
    r"|(?<![a-z])(?:thay vi|khong phai|khong quay o|khong phai o) viet ?nam(?![a-z])"
    r"|베트남 ?(?:말고|대신|이 아니라|가 아니라)|ベトナム(?:ではなく|じゃなく|の代わりに)"
    r"|(?:不在|而不是|不是|不去)越南|越南以外")
# "I have two questions", "以下2点", "想请教两个问题": announces the questions that follow.
_ANNOUNCES = re.compile(r"(?<!\w)(?:questions?|following|cau hoi|sau day|van de)(?!\w)"
                        r"|질문|문의|以下|質問|問題|问题|几点|两点")
# A question that points back at the sentence before it ("What visa does he need for
# that?" after "he wants to stay and teach English") is about that sentence's subject.
_POINTS_BACK = re.compile(r"(?<!\w)(?:for that|for this|pour (?:ca|cela)|cho viec (?:do|nay)"
                          r"|(?:does|would|will) (?:he|she) need|lui (?:faut|faudrait|faudra)"
                          r"|(?:il|elle) (?:a|aurait|aura) besoin"
                          r"|de lam (?:viec )?(?:do|vay))(?!\w)"
                          r"|그러려면|그걸 하려면|이를 위해"
                          r"|そのために|そのためには|それには|为此|这样的话")
# Topics a request for the last subject's vendors may name: what the crew shoots and who
# comes ("can you recommend one that's done US shows?", "... worked with American crews?").
_WHO_NOT_WHAT = ("filming", "route", "crew")
# Words saying the crew needs something: with hiring words and a vendor, a request.
# (Folded, the Vietnamese "cần" is the English "can": "muốn" stands for it, and "cần" only
# before a word for getting something: "cần thuê", "cần tìm".)
_NEED = re.compile(r"\b(?:need|needs|needed|we'll need|require|looking for|faut|besoin"
                   r"|cherche|cherchons|muon|want|wanted|can (?:thue|tim|book|dat))\b"
                   r"|필요|구해|구합니다|探して|必要|欲しい|ほしい|手配したい|需要|想找|要找")
# A permit for work other than filming: what it allows is the errand asked about.
_OTHER_PERMIT = re.compile(r"(?<!\w)(?:work(?:ing)? permit|labou?r permit|permis de travail"
                           r"|giay phep lao dong)(?!\w)|労働許可|就労許可|工作许可|劳动许可"
                           r"|취업 ?허가|노동 ?허가")
# Words for going home ("fly back", "về nước", "다시 가져갈", "帰国"): the country a
# question about leaving names is the crew's own, not another shoot.
_HOMEWARD = re.compile(r"(?<!\w)(?:back|home|ve nuoc|tro ve|mang ve|rentrer|retour|ramener)"
                       r"(?!\w)|귀국|다시|돌아|帰|回国|回去|带回|运回")
# French puts a space before "?" and "!": the one sign of French in "Catering ?".
_FRENCH_SPACING = re.compile(r"^[A-Za-z][A-Za-z' -]* [?!]\s*$")
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_STRAY = re.compile(r"[a-zA-Z]{1,3}[.!?]*")
_NOTE_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")
# A list item's or heading's marks before a note's sentence ("- **Drones**: ..." keeps its
# bold, which once lost only its opening half).
_NOTE_MARKERS = re.compile(r"^(?:(?:[-#]+|\*(?!\*))\s+)+")


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
    via: str  # "topic", "place", "search", "follow-up", "learned"
    place: Place | None = None  # a place the answer should say something about
    topic: Topic | None = None
    sentence: str = ""


def proposals(asks: list[Ask]) -> list[Proposal]:
    """The rules' answers as the article model's judge weighs them."""
    return [Proposal(ask.article.id, ask.via, bool(ask.sentence) and is_question(ask.sentence),
                     ask.place is not None, ask.topic is not None) for ask in asks]


@dataclass
class Reading:
    text: str
    language: str
    asks: list[Ask] = field(default_factory=list)
    small_talk: SmallTalk | None = None
    unknown_places: list[Place] = field(default_factory=list)
    # When nothing was answered: the search's best reading of the message, for the
    # decline's suggestions and the staff's list of gaps.
    search: Answer | None = None
    memory: Memory = field(default_factory=Memory)
    topical: bool = False  # names a topic of ours (filming words included), or a place alone

    @property
    def articles(self) -> list[str]:
        return [ask.article.id for ask in self.asks]


@dataclass
class _Context:
    """What the message's statements say ("We shoot a TVC in Da Nang and Hoi An."), for
    its questions that do not say it again ("Do we need a permit?")."""

    places: list[Place] = field(default_factory=list)
    subjects: list[Topic] = field(default_factory=list)
    # The places the message's questions so far asked about: where a later "how long from
    # Hanoi?" goes.
    asked: list[Place] = field(default_factory=list)
    # Only the statement right before a "Can you confirm?": what it names is the answer,
    # whatever the search makes of three words.
    confirming: bool = False


@dataclass
class _Sentence:
    text: str
    topics: list[Topic]
    places: list[Place]
    search: Callable[[], Answer]  # the knowledge base's search, run only if needed
    abroad: bool  # names a foreign destination, or a foreign place and no Vietnamese one
    going: bool  # names a foreign destination ("a visa for Japan", "tourner au Japon")
    off_topic: bool
    question: bool  # a question, not a statement of context ("We shoot in May.")
    bare: bool  # little besides a place name
    alone: bool  # a place name and hardly anything else
    # Its only places are where a trip starts ("How long from Hanoi?"): the place asked
    # about is the message's or the chat's, if there is one.
    origins_only: bool = False
    language: str = ""  # the message's, which its cue words are read in
    intent: str = ""  # "hire", "permit" or "": read once, asked by several rules

    @cached_property
    def answer(self) -> Answer:
        return self.search()

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @property
    def searched(self) -> bool:
        return "answer" in self.__dict__

    @property
    def subjects(self) -> list[Topic]:
        return [t for t in self.topics if t.is_subject]

    @property
    def scene_subjects(self) -> list[Topic]:
        """The subjects this sentence, as a statement, sets the scene with: not the
        department it is written to ("We sent our application to the Cinema Department.
        How long does it take?" asks the permit's lead time)."""
        return [t for t in self.subjects if not t.addressee]

    @property
    def aspects(self) -> list[Topic]:
        return [t for t in self.topics if t.kind == "aspect"]

    @property
    def general(self) -> bool:
        return any(t.kind == "general" for t in self.topics)

    @property
    def short(self) -> bool:
        return len(self.text) <= FOLLOW_UP_CHARS

    @property
    def filming(self) -> bool:
        return any(t.kind == "filming" for t in self.topics)


class Reader:
    def __init__(self, knowledge: KnowledgeBase, gazetteer: Gazetteer, topics: Topics,
                 memory_minutes: int = 30, scope_model: ScopeModel | None = None,
                 article_model: ArticleModel | None = None) -> None:
        self.kb = knowledge
        self.gazetteer = gazetteer
        self.topics = topics
        self.memory_minutes = memory_minutes
        self.scope_model = scope_model
        self.article_model = article_model
        topics.known = knowledge.knows  # typos are read against this base's own words
        self._notes: dict[tuple[str, str, str], list[str]] = {}
        # A one-sentence message is read as small talk whole, then as its sentence (kept
        # as long as its sentences are).
        self._small_talk = functools.lru_cache(maxsize=TEXTS_KEPT)(self._small_talk_of)
        self._aspect_articles = {t.article for t in topics.topics.values()
                                 if t.kind in ("aspect", "general")}
        # Articles a place's own article may stand in for (border zones, seasons): "et à
        # Ha Giang ?" after the border-zone answer asks Ha Giang's, which gives its rules.
        self._local_articles = {t.article for t in topics.topics.values() if t.kind == "local"}

    @classmethod
    def load(cls, knowledge: KnowledgeBase, memory_minutes: int = 30,
             article_model: bool = True) -> Reader:
        """The reader of the knowledge base's folder: its `places.yaml`, `topics.yaml`,
        `scope-model.json` and `article-model.json` (not read when `article_model` is
        false: its trainer reads as the rules do, whatever the shipped file holds)."""
        return cls(knowledge, Gazetteer.load(knowledge.root / "places.yaml"),
                   Topics.load(knowledge.root / "topics.yaml"), memory_minutes,
                   ScopeModel.load(knowledge.root / "scope-model.json"),
                   ArticleModel.load(knowledge.root / "article-model.json")
                   if article_model else None)

    # -- language ---------------------------------------------------------------------

    def language_of(self, text: str, chosen: str | None, hint: str = "") -> str:
        """The chat's language, unless the message is clearly a whole sentence in another:
        one ambiguous word ("visa", "drone") or a place name changes nothing."""
        detected, confident = self.kb.detect_language(text, hint or (chosen or ""))
        if chosen is None:
            if not confident and not hint and _FRENCH_SPACING.search(text):
                return "fr"  # "Catering ?", "documents ?": French typography
            return detected
        if detected == chosen or not confident:
            return chosen
        rest = without_names(text, self.gazetteer.find(text))
        counts = script_counts(rest)
        if detected in ("ko", "ja", "zh"):
            own = counts["hangul"] if detected == "ko" else counts["kana"] + counts["han"]
            return detected if own >= CLEAR_SENTENCE_CHARS else chosen
        words = _LATIN_WORD.findall(rest)
        return detected if len(words) >= CLEAR_SENTENCE_WORDS else chosen

    # -- reading ----------------------------------------------------------------------

    def read(self, text: str, chosen: str | None = None, memory: Memory | None = None,
             now: datetime | None = None, hint: str = "") -> Reading:
        talk = self._small_talk(text)
        if talk is None and _han_without_kana(text):
            talk = self._small_talk(simplified(text))  # "多謝晒！" is "多谢晒！"
        if talk is not None:  # "merci" in a chat with no language yet: French
            if chosen is None and talk.language:
                language = talk.language
            elif chosen is None and not talk.language and _ONE_PLAIN_WORD.fullmatch(
                    text.strip()):
                # "menu", "ok", "9", "👍": written alike in every language
                language = hint or DEFAULT_LANGUAGE
            else:
                language = self.language_of(text, chosen, hint)
            return Reading(text, language, small_talk=talk, memory=memory or Memory())
        language = self.language_of(text, chosen, hint)
        reading = Reading(text, language, memory=memory or Memory())
        if language == "zh":  # "簽證" is "签证": the base is written in Simplified
            text = simplified(text)
        remembered = memory if memory is not None and now is not None and memory.fresh(
            now, self.memory_minutes) else None
        parts = [part for s in sentences(text) if self._small_talk(s) is None
                 for part in self._parts(s, language)]
        parts = [dataclasses.replace(part, off_topic=True) if (
            number and part.question and not part.off_topic and parts[number - 1].off_topic
            and _POINTS_BACK.search(part.folded)) else part
            for number, part in enumerate(parts)]
        context = _Context()
        asks: dict[bool, list[Ask]] = {True: [], False: []}
        unknown: dict[bool, list[Place]] = {True: [], False: []}
        searched: list[tuple[bool, Ask]] = []
        writers: list[Place] = []
        for part in parts:  # statements first: they set the scene for the questions
            if part.question:
                continue
            introduces = bool(INTRODUCES.search(part.folded))  # "Em là fixer ở TP.HCM"
            if introduces or _WRITER.match(part.folded):
                # "je suis interprète à Hanoi": where the writer is, not where the crew
                # films ("... filmer le col de Ma Pi Leng. ... cette zone frontalière ?")
                writers += [p for p in part.places if p not in writers]
            elif not part.origins_only:  # not "from Saigon by car", "our office in Hanoi"
                context.places += [p for p in part.places if p not in context.places]
            if (part.short and _SALUTATION.match(part.folded)
                    and part.text.rstrip().endswith((",", ":", "：", "，"))):
                continue  # "尊敬的越南电影局工作人员：" is whom the letter is to, not a subject
            context.subjects += [t for t in part.scene_subjects if t not in context.subjects
                                 and not (t.role and introduces)]
        if not context.places:  # ("Em là fixer ở Đà Lạt. Quay đồi chè cần xin phép ai?")
            context.places = writers
        off_topic = any(part.off_topic for part in parts)
        # (A question about hotels is not answered from the statements around it, nor a
        # message whose every question is about filming abroad: "What are the rules at
        # Angkor Wat? We go there after.")
        questions = [part for part in parts if part.question]
        declined = any(part.off_topic for part in questions) or (
            bool(questions) and all(self._abroad(part) for part in questions)
            # ("En France on a…, et au Vietnam ?"; but "We might nip over after the
            # Vietnam leg." says where the crew comes from)
            and not any(_here_named(part.folded) for part in questions))
        # Questions first; statements only when the questions found nothing (their
        # search is spared then).
        for side in (True, False):
            if side is False and (asks[True] or unknown[True] or searched or declined):
                break
            # A question with nothing of its own ("想问一下：", "Could you advise on the
            # following?", "Is that possible?") borrows the statements' places and
            # subjects; next to questions that name their own, it asks nothing more.
            borrowed: list[Ask] = []
            borrowed_places: list[Place] = []
            lenders: list[_Sentence] = []  # the questions the borrowed asks are read from
            # "Which mosquito repellent works? DEET or a local brand?", "Do drivers expect
            # a tip? How much?": a question with no subject of its own right after one
            # about something not ours goes on about that thing.
            aside = False
            for number, part in enumerate(parts):
                if part.question is not side:
                    continue
                hiring = part.intent == "hire"
                if part.off_topic or (aside and not part.places and not any(
                        (t.kind != "vendor" or hiring) and not (
                            t.kind == "route" and not part.general and not part.filming)
                        for t in part.subjects)):
                    # (a driver named is whom to tip, not a van to hire; a kind of
                    # production named alone, "학생작품도 되나", what the festival takes;
                    # but a place of ours named asks anew: "et on a le droit de filmer
                    # sur le pont japonais ?")
                    aside = True
                    continue
                aside = False
                taken = {a.article.id for a in asks[side]}
                previous = asks[side][-1].topic if asks[side] else None
                if previous is not None and previous.addressee:
                    # ("Whom do we write to at the department? And how long does it
                    # take?" asks the permit's lead time, not the department's.)
                    previous = None
                hollow = not part.topics and not part.places
                before = parts[number - 1] if number else None
                # The statement right before this question, if that is what precedes it.
                statement = before if (before is not None and not before.question
                                       and not before.off_topic) else None
                stated = [t for t in statement.scene_subjects
                          if t.kind == "subject"] if statement else []
                if previous is None and stated and not part.subjects:
                    # "Offices close at Tet, I heard. How much does it delay the
                    # schedule?": a side asked right after a statement naming a subject is
                    # that subject's, as after a question on it.
                    previous = stated[0]
                    taken = taken | {previous.article}
                # "Our carnet agent says we can use an ATA carnet. Can you confirm?": a
                # short question with nothing of its own right after a statement naming a
                # subject asks about it, whatever else the message asks ("Two
                # questions:" announces the next ones instead).
                confirms = (side and hollow and part.short and statement is not None
                            and any(t.kind != "route" for t in statement.scene_subjects)
                            and not _ANNOUNCES.search(part.folded)
                            and not part.text.rstrip().endswith((":", "："))
                            and not (number + 1 < len(parts)
                                     and LIST_ITEM.match(parts[number + 1].text)))
                if (side and not part.places and part.short and before is not None
                        and all(t.kind == "filming" for t in part.topics)
                        and before.question and asks[side]
                        and asks[side][-1].sentence == before.text
                        and not LIST_ITEM.match(part.text)):  # a numbered item asks anew
                    # "Is October typhoon season? Will it affect the shoot much?": the
                    # question just answered, asked on.
                    continue
                scene = _Context(list(statement.places), list(statement.subjects),
                                 context.asked, confirming=True) if confirms and statement \
                    else context
                found, places = self._decide(part, scene, remembered, off_topic, text,
                                             language, taken, previous)
                if side and not part.off_topic and not part.origins_only:
                    context.asked += [p for p in part.places if p not in context.asked]
                hollow = hollow and not confirms
                for ask in found:
                    if ask.via == "search" and not (side and LIST_ITEM.match(part.text)):
                        # (each numbered question is one of its own: its search's answer
                        # stands beside the others')
                        searched.append((side, ask))
                    else:
                        (borrowed if hollow else asks[side]).append(ask)
                if hollow:
                    lenders.append(part)
                target = borrowed_places if hollow else unknown[side]
                target += [p for p in places if p not in target]
            if not asks[side] and not unknown[side]:
                asks[side], unknown[side] = borrowed, borrowed_places
                for lender in lenders if side else []:
                    # "Can we film inside a pagoda? Who grants it?": the pagoda's
                    context.places += [p for p in lender.places if p not in context.places]
                    context.subjects += [t for t in lender.subjects
                                         if t not in context.subjects]
        # A question's topics, else what the search makes of a question, else the
        # statements' topics ("We'd like to fly a drone over Ha Long Bay."), else theirs
        # as the search reads them.
        by_search = {side: max((a for q, a in searched if q == side), default=None,
                               key=lambda a: a.score) for side in (True, False)}
        chosen_asks: list[Ask] = []
        for side, searched_too in ((True, False), (True, True), (False, False),
                                   (False, True)):
            best = by_search[side]
            if not searched_too and (asks[side] or unknown[side]):
                chosen_asks, reading.unknown_places = asks[side], unknown[side]
                break
            if searched_too and best is not None:
                chosen_asks = [best]
                break
        reading.asks = _distinct(chosen_asks)[:MAX_ASKS]
        if reading.asks and remembered is None and self.article_model is not None:
            # Of several articles, one the learned reading finds unlikely asked is a topic
            # named around the questions ("our documentary team", "the heritage old
            # town"): answered, a producer reads it as a requirement. One it finds likely
            # asked in a long message is a request the rules did not read as one ("Also
            # need a caterer for ~70 ppl a day.").
            revised = self.article_model.revise(text, proposals(reading.asks), MAX_ASKS,
                                                self.not_ours)
            rules = {ask.article.id: ask for ask in reading.asks}
            # A place's article is never the answer about a place the message does not
            # name ("giấy phép Bộ" for a Hoi An shoot asks nothing of Hanoi).
            places_added = {article_id for article_id in revised if article_id not in rules
                            and (a := self._article(article_id)) is not None
                            and a.kind == "location"}
            if places_added:
                places_added -= {a for m in self.gazetteer.find(text)
                                 for a in (m.place.article, *m.place.see) if a}
                # (and never empties the reading: the rules' stands then, as the judge's
                # own does when it keeps nothing)
                revised = [a for a in revised if a not in places_added] or list(rules)
            reading.asks = [rules.get(article_id) or Ask(article, 0.0, "learned")
                            for article_id in revised
                            if (article := self._article(article_id)) is not None]
        reading.topical = any(part.topics for part in parts) or (
            len(parts) == 1 and parts[0].alone)
        if (reading.asks and not reading.topical and remembered is None
                and self.scope_model is not None and self.scope_model.declines(text)):
            # Only a place (or the search's best guess) answered, no word of ours (not
            # even a filming word) is named, and the learned reading is sure the rest is
            # none of ours ("a coworking space in District 1?", "a cruise on Ha Long Bay
            # for the crew's day off"): an honest decline beats an article a crew acts
            # on. (It reads a message alone: not a follow-up, which the chat's last
            # answer explains.)
            reading.asks = []
        if reading.unknown_places:  # a place asked about has no article: not another's
            reading.asks = [a for a in reading.asks if a.article.kind != "location"]
        if not reading.asks:
            # The sentence the search came closest on (the whole of a long message
            # dilutes it), else the whole message.
            searched_parts = [p.answer for p in parts if p.searched and p.answer.candidates]
            reading.search = max(searched_parts, key=lambda a: a.score, default=None) or (
                self.kb.answer(text, language=language))
        if reading.asks and now is not None:
            # The chat goes on about the last subject asked, not the place around it:
            # "하롱베이에서 드론 띄워도 되나요?" answered with the drone article and the
            # bay's, then "퍼밋 받는데 몇일 걸려요?" asks the drone's lead time.
            subjects = [ask for ask in reading.asks if ask.article.kind != "location"]
            last = subjects[-1] if subjects else reading.asks[-1]
            about = last.place or self.gazetteer.with_article(last.article.id)
            reading.memory = Memory(last.article.id, about.id if about else None, now)
        elif reading.unknown_places and now is not None:
            reading.memory = Memory(None, reading.unknown_places[-1].id, now)
        return reading

    def _small_talk_of(self, text: str) -> SmallTalk | None:
        talk = small_talk(text)
        if talk is not None and talk.kind == "bot" and self.topics.find(text):
            return None  # "not the chatbot, put me through to staff": a request
        if talk is None and _STRAY.fullmatch(text.strip()) and not self.topics.find(
                text) and not self.gazetteer.find(text):
            # "np", "ta", "xd": too short to be about anything, unless it names one of
            # our topics ("tet", "vfx") or a place ("Hue"); the search would match it to
            # some name with full confidence.
            return SmallTalk("empty")
        if talk is None and (thanks := courtesy(text)) is not None and not any(
                is_question(s) for s in sentences(text)) and not self.gazetteer.find(text):
            # (said at length: "Thank you ever so much, that's helpful."), naming nothing
            # of ours but who reads the answer next ("I'll forward it to our fixer")
            # ("明白了，我回头跟导演商量一下再联系你们": writing again is the goodbye itself)
            topics = [t for t in self.topics.find(text)
                      if not (thanks.kind == "bye" and t.article == "contact.department")]
            if not topics or (hands_over(text) and all(t.kind == "vendor" or t.role for t in topics)
                              and not any(intent_of(text, lang) == "hire"
                                          for lang in SUPPORTED_LANGUAGES)):
                return thanks
        return talk

    def _parts(self, sentence: str, language: str) -> list[_Sentence]:
        """The sentence, or its clauses when "and" joins two that each name a topic or a
        place of their own ("what documents, and how long does it take?"), or when commas
        join two questions that do ("DIT 업체에 맡길 수 있는지 궁금하고요, 밥차도 구할 수
        있을까요?")."""
        whole = self._sentence(sentence, language)
        if whole.off_topic or len({t.id for t in whole.topics if t.kind != "filming"}) < 2:
            # "stay on after wrap and teach English"; with fewer than two topics, no two
            # clauses can ask two things (and cutting costs as much as reading again).
            return [whole]
        split = self._split(whole, clauses(sentence), language, False) or [whole]
        return [piece for part in split
                for piece in self._split(part, commas(part.text), language, True) or [part]]

    def _split(self, whole: _Sentence, pieces: list[str], language: str, asked: bool
               ) -> list[_Sentence] | None:
        """`whole` cut into `pieces`, if they ask separate questions."""
        if len(pieces) < 2:
            return None
        parts = [self._sentence(piece, language) for piece in pieces]
        if not self._apart(parts, language, asked):
            return None
        for part in parts:  # each clause is as much a question as its sentence
            part.question = whole.question
        return [p for p in parts if p.places or p.topics]

    @staticmethod
    def _apart(parts: list[_Sentence], language: str, asked: bool) -> bool:
        """Whether the clauses of one sentence ask separate questions; `asked`: only
        those that are questions by themselves count (a comma joins much else)."""

        def subjects(part: _Sentence) -> list[Topic]:
            if asked and not is_question(part.text):
                return []
            # A vendor's word only with hiring words ("flying in with two ARRI cameras,
            # and ..." is no rental; "Chinese actors and crew" is no casting call); a
            # place asked leave for is a subject of its own ("filming on Sao beach, and
            # the drone flights").
            # Asked by itself, a vendor's word asks for one ("현지 업체에 맡길 수 있는지").
            hiring = part.intent == "hire"
            hire = asked or hiring
            own = [t for t in part.subjects
                   if (t.kind != "vendor" or hire) and not (t.not_hiring and hiring)]
            return own or ([t for t in part.topics if t.kind == "general"]
                           if part.places else [])

        # A clause asks something of its own with a subject; with only a side of a
        # procedure when no clause names a subject ("which papers, and how long?", but
        # "for drones, how long?" is one question); a place alone ("grip in HCMC") or
        # filming words alone belong to their neighbour.
        # A side of the permit itself before any subject ("허가 수수료가 얼마인지, 그리고
        # 인센티브는") cannot point at that subject: it is a question of its own. Clauses
        # naming the same subject ("drones over the coast and drone shots of the pass")
        # are one question.
        first = next((i for i, p in enumerate(parts) if subjects(p)), len(parts))
        with_subject = [p for i, p in enumerate(parts)
                        if subjects(p) or (i < first and p.aspects and (
                            p.general or asked) and (not asked or is_question(p.text)))]
        if asked:
            named = with_subject
        else:
            named = with_subject if first < len(parts) else [p for p in parts if p.aspects]
        return len(named) >= 2 and len(
            {tuple(t.id for t in subjects(p) or p.aspects) for p in named}) >= 2

    def _sentence(self, text: str, language: str) -> _Sentence:
        mentions = self.gazetteer.find(text)
        folded = fold(text)
        # "Trang An ... how far from Hanoi?": the trip's start is not what is asked about.
        asked = [m for m in mentions if not is_origin(folded, m)]
        origins = [m.place for m in mentions if m not in asked]
        if asked:
            mentions = asked
        places: list[Place] = []
        for mention in reversed(mentions):  # each place where it is last named
            if mention.place not in places:
                places.insert(0, mention.place)
        rest = without_names(text, mentions)
        # (in the text without our places: "Lào Cai" is no Laos, "China Beach" no China)
        going, _, elsewhere = self.kb.foreign_roles(rest)
        letters = _letters(rest)
        intent = intent_of(text, language)
        topics = self.topics.find(text, hiring=intent == "hire")
        # A need said with hiring words asks for the vendor as much as a question would:
        # "et faut aussi un van 9 places avec chauffeur", "还要找一个中越翻译跟组". (A need
        # without them, "Also need a caterer for 70", is left to the article model.)
        # Leave asked to film something that is no errand of ours ("an authorisation to
        # film in the street and at the tourist sites?", "工場内の撮影でも許可は必要?",
        # "拍街头美食视频也要办许可吗?"): what is filmed is the scene, not the question.
        # (Not a permit for other work, nor filming as a time: "a work permit to teach
        # English after the shoot".)
        asks = is_question(rest)  # "Sao beach" is no "sao?" (why), "Hon Gai" no "gi"
        films_with_leave = (intent == "permit" and asks
                            and {"general", "filming"} <= {t.kind for t in topics}
                            and not any(t.id == "after" for t in topics)
                            and not _OTHER_PERMIT.search(folded))
        off_topic = not films_with_leave and self._not_ours_beside(text, mentions)
        # Crews number their questions: an item of a list naming something of ours asks
        # about it even when worded as a wish ("2. 通訳さんも現場に1人欲しいです"), or
        # naming only a place ("2) Même question pour la vieille ville de Hoi An.").
        listed = bool(LIST_ITEM.match(text)) and (
            any(t.kind != "filming" for t in topics) or (bool(places) and not off_topic))
        requested = intent == "hire" and not off_topic and any(
            t.kind == "vendor" or t.hire for t in topics) and bool(_NEED.search(folded))
        return _Sentence(text, topics, _most_specific(places),
                         lambda: self.kb.answer(text, language=language),
                         abroad=bool(going) or (bool(elsewhere) and not places
                                                and not _here_named(folded)),
                         going=bool(going),
                         off_topic=off_topic,
                         question=asks or listed or requested,
                         bare=letters <= BARE_PLACE_LETTERS or self._bare_clause(
                             text, mentions, topics),
                         alone=bool(places) and letters <= ALONE_PLACE_LETTERS,
                         origins_only=bool(origins) and not asked, language=language,
                         intent=intent)

    @staticmethod
    def _bare_clause(text: str, mentions: list[Mention], topics: list[Topic]) -> bool:
        """Whether a place is asked about bare in a sentence's first clause, the others
        naming nothing of ours ("what about Hoi An, we're driving down after")."""
        comma = COMMAS.search(text)
        if topics or comma is None or not text[comma.end():].strip():
            return False
        first = text[:comma.start()]
        named = [m for m in mentions if m.end <= comma.start()]
        rest = without_names(first, named)
        return bool(named) and is_question(first) and _letters(rest) <= BARE_PLACE_LETTERS

    def _not_ours_beside(self, text: str, mentions: list[Mention]) -> bool:
        """`not_ours`, but a word inside a place's name is the place's: 珍珠岛 (Hon Tre, the
        "pearl island") is no pearl shopping; "vé cáp treo Fansipan" still asks a fare."""
        names = [fold(text[m.start:m.end]) for m in mentions]
        return any(not any(fold(term) in name for name in names)
                   for term in self.kb.off_topic_in(text))

    def not_ours(self, question: str) -> bool:
        """A question naming something not ours ("Is there a good tailor in Hoi An?"),
        which the article model's judge does not read alone."""
        return bool(self.kb.off_topic_in(question))

    def _abroad(self, part: _Sentence) -> bool:
        """A question about filming in another country is not ours; a visa or customs
        question names other countries naturally ("three crew of US nationality"), and
        one about leaving after the shoot the country the crew goes home to ("장비 다시
        한국으로 가져갈 때 세관에서 뭐 해야 돼요?")."""
        home = any(t.id == "after" for t in part.subjects) and bool(
            _HOMEWARD.search(part.folded))
        return part.abroad and not home and (part.going or not any(
            self.kb.by_id[t.article].category in ABROAD_CATEGORIES
            for t in part.subjects if t.article in self.kb.by_id))

    def _article(self, article_id: str | None) -> Article | None:
        return self.kb.by_id.get(article_id) if article_id else None

    def _ask(self, article_id: str | None, part: _Sentence, via: str,
             place: Place | None = None, topic: Topic | None = None) -> list[Ask]:
        """The one ask answering `part` with `article_id` (none if no such article)."""
        article = self._article(article_id)
        if article is None:
            return []
        threshold = self.kb.threshold
        # The search's confidence, when the reading needed the search; else the threshold
        # (the topic or the place decided, which is as sure as an answer gets here).
        score = dict(part.answer.candidates).get(article.id, threshold) if part.searched \
            else threshold
        if place is not None and place.article == article.id:
            place = None  # the place's own article needs no note about the place
        return [Ask(article, max(score, threshold), via, place, topic, part.text)]

    def _decide(self, part: _Sentence, context: _Context, memory: Memory | None,
                off_topic: bool, message: str, language: str,
                taken: frozenset[str] | set[str] = frozenset(),
                previous: Topic | None = None) -> tuple[list[Ask], list[Place]]:
        """The asks of one sentence, and the places it asks about that have no article.

        `context`: what the message's statements named; `memory`: what the chat talked
        about last, if recent; `off_topic`: the message speaks of hotels, sport, banks...;
        `taken`: the articles the message's earlier questions are answered with. Each
        question of several is a question of its own: when its first reading is an
        answer already given ("1/ who permits filming in Da Lat? 2/ does it rain in Da
        Lat in August?"), a subject of its own that is not ("what visa do journalists
        need?" after the press question) answers it. `previous`: the topic the
        message's question before this one was answered on: "Can we use a drone for the
        car shots? How far ahead must we apply?" asks the drone's lead time, which the
        drone article gives.
        """
        if part.off_topic:  # "a visa to teach English", "hotels near the old town"
            return [], []
        if self._abroad(part) and (part.going or not context.places):
            # (Another country named in passing, "作中で日本の制度への批判を語る場面", in a
            # message whose statements film at a place of ours asks about here.)
            return [], []
        last_place = self.gazetteer.places.get(memory.place or "") if memory else None
        known = context.asked + context.places
        if part.places and all(any(self.gazetteer.contains(p, k) for k in known)
                               for p in part.places):
            # "富国岛 ... 听说那边现在归安江省管了": the province it belongs to now is still
            # the island's question.
            inner = [k for k in known if any(self.gazetteer.contains(p, k)
                                             for p in part.places)]
            part = dataclasses.replace(part, places=inner[:1])
        destination = (context.asked[-1] if context.asked else
                       context.places[0] if context.places else last_place)
        trip = (part.origins_only or (not part.places and bool(_TRIP.search(
            part.folded)))) and destination is not None
        if trip:
            part = dataclasses.replace(part, places=[], origins_only=False)
        place = part.places[0] if part.places else None
        last = self.topics.by_article.get(memory.article or "") if memory else None
        recent = last_place if memory is not None and part.short else None
        local = place or (destination if trip else None) or (
            context.places[0] if context.places else None) or recent
        intent = part.intent
        hire = intent == "hire"

        def top() -> str | None:
            return part.answer.candidates[0][0] if part.answer.candidates else None

        crew_asks = self.topics.about_crew(part.text).get(memory.article or "") if (
            memory is not None and part.short and not part.places
            # ("et notre monteur, il est canadien": an editor named is who comes, not a
            # post house to hire)
            and all(t.kind == "filming" or (t.kind == "vendor" and intent != "hire")
                    for t in part.topics)) else None
        if crew_asks:
            # "our sound guy is Indian though", "촬영감독은 미국인이에요" after the visa
            # answer: their visa; "장비는요?", "Còn thiết bị?" after it: how the gear
            # comes in.
            return self._ask(crew_asks, part, "follow-up", last_place, last), []
        if (memory is not None and last is not None and last.is_subject
                and last.kind != "local" and part.short
                and all(t.kind == "vendor" for t in part.subjects)
                and place is None and (_BACK.search(part.folded) or (
                    hire and last.hire is not None and all(
                        t.kind in _WHO_NOT_WHAT for t in part.topics)))
                and not any(t.own or last.sides_are_the_permits for t in part.aspects)
                and not (hire and last.hire is None and last.kind != "vendor")
                # ("and someone to do dailies?" after the rental houses: the post houses)
                and not (last.kind == "vendor" and any(t.kind == "vendor" and t.id != last.id
                                                       for t in part.subjects))):
            # "who applies for it, us or the service company?", "那怎么找这样的公司？":
            # still the last subject (its vendors, when the follow-up asks to hire: "et
            # si on passe par un opérateur local ?" after the drone answer). A subject
            # with no vendors of its own leaves the hiring to be asked anew ("what if we
            # rent it all in Vietnam instead?" after the carnet answer).
            back = last.hire if hire and last.hire else memory.article
            return self._ask(back, part, "follow-up", last_place, last), []
        # Hiring words name a vendor directory; without them, "transport" or "actors" is
        # only a subject when the search agrees ("is it easy to get there?" is access).
        # A route ("an MV", "a documentary") at a named place asks about the place, and
        # in a long sentence without permit words it only says what the crew shoots.
        subjects = [t for t in part.subjects
                    if (not t.needs_hire or hire or top() == t.article)
                    and not (t.not_hiring and hire)
                    and not (t.procedure and part.aspects and not hire)
                    and (t.kind != "route" or (place is None and not part.aspects and (
                        part.general or part.short
                        or (part.question and all(u.kind in ("route", "filming")
                                                  for u in part.topics)))))]
        if any(t.kind == "vendor" for t in subjects) and all(
                t.yields_to_vendors for t in subjects if t.kind != "vendor"):
            subjects = [t for t in subjects if t.kind == "vendor"]
        if not hire and any(t.kind != "vendor" for t in subjects):
            # "Chinese actors and crew: which visa?": without hiring words, a vendor's
            # word names who the question is about, not a vendor to find.
            subjects = [t for t in subjects if t.kind != "vendor"]
        if (trip and not subjects and local is not None and local.article
                and (part.aspects or _FAR.search(part.folded))):
            # "How long from Hanoi?" after Ha Giang: getting there, which the place's
            # article covers, not how long a permit takes.
            return self._ask(local.article, part, "place"), []
        if any(t.kind == "subject" for t in subjects):
            # "fly a drone in the national park": the park is where, the drone is what
            subjects = [t for t in subjects if t.kind != "local"]
        fresh = [t for t in subjects if (t.hire if hire and t.hire else t.article)
                 not in taken]
        if fresh and len(fresh) < len(subjects):
            subjects = fresh
        if subjects:
            topic, article = self._pick(subjects, lambda: part.answer, intent,
                                        bare=memory is not None and part.short
                                        and len(subjects) == 1)
            # The place the message is about gives its own seasons, sites and border
            # rules, named in this sentence or before it ("We film in Hue. What's the
            # process inside the citadel?"); not the chat's last place: "and the rainy
            # season?" after the Sapa answer asks about seasons.
            where = part.places or context.places[:1]
            if topic.kind == "local" and where and all(p.article for p in where):
                # (A place already answered: its article says this too, nothing more.)
                return self._places(part, where)
            via = "follow-up" if local is not None and local is recent and place is None and (
                not context.places) else "topic"
            # What applies everywhere, and that the place itself has no article ("film
            # wildlife in Cat Tien national park": the parks' rules; no article on Cat Tien)
            missing = _without_article(where) if topic.kind == "local" else []
            return self._ask(article, part, via, local, topic), missing
        if place is not None:
            if hire and (top() or "").startswith("vendors.") and part.answer.article:
                return self._searched(part), []  # "où louer une caméra à Hô Chi Minh-Ville"
            if part.aspects:
                if part.general or not place.article:  # "how long is a permit for Hue?"
                    return self._ask(part.aspects[0].article, part, "topic", place,
                                     part.aspects[0]), []
                # "how early do the boats leave Tuan Chau?" is about the place
                return self._places(part, part.places)
            if (memory and last is not None and last.is_subject and last.kind != "local"
                    and memory.article not in self._local_articles
                    and part.short and not part.general):
                # "and in Hoi An?" after the drone answer: drones in Hoi An.
                return self._ask(memory.article, part, "follow-up", place, last), []
            if off_topic and not part.general and not part.filming:
                # "the Hai Van pass ... on our day off"; but "What would we need to film
                # in the Old Quarter?" after a story about a tailor is the place's
                return [], []
            named = {p.article for p in part.places} | {a for p in part.places for a in p.see}
            found = part.answer.article
            # (A kind of production at the place, "a 4x4 TVC on the Mui Ne dunes", is
            # filming there.)
            if part.general or part.filming or part.bare or any(
                    t.kind == "route" for t in part.topics) or (
                    found is not None and found.id in named) or (
                    found is not None and found.kind == "location"):
                # Another place's article is never the answer about this one.
                return self._places(part, part.places)
            return self._searched(part), []
        if part.aspects:
            if (previous is not None and previous.kind in ("subject", "local")
                    and not part.general
                    and not part.aspects[0].own and previous.article in taken
                    and not LIST_ITEM.match(part.text)):  # a numbered item asks anew
                return self._ask(previous.article, part, "topic", local, previous), []
            answered = self._article(memory.article) if memory is not None else None
            vendors = answered is not None and answered.kind == "vendors"
            if (memory is not None and last is not None and last.is_subject and part.short
                    and (not part.aspects[0].own or vendors)
                    and not last.sides_are_the_permits):
                # "how long does that take?" after the drone answer: still drones (but
                # "which papers, then?" after the documentary route is the permit's);
                # "giá?" after the drone operators' list is their rates.
                return self._ask(memory.article, part, "follow-up", last_place, last), []
            found = part.answer.article
            aspect = part.aspects[0]
            scores = dict(part.answer.candidates)
            if not part.general and found is not None and not (
                    part.short and memory is not None) and (
                    found.id not in self._aspect_articles) and (
                    found.kind != "location") and found.id not in {
                    t.article for t in context.subjects} and (
                    scores.get(found.id, 0.0) >= scores.get(aspect.article, 0.0)
                    + SEARCH_MARGIN):
                # "脚本の審査って、どういう内容…": the search knows a subject our words
                # missed; only when it covers the question clearly better than the aspect
                # does ("How long does the filming permit take to get approved?" is no
                # drone question because "approved" is in the drone article too).
                return self._searched(part), []
            return self._ask(aspect.article, part, "topic", local, aspect), []
        if (part.general and memory is not None and last is not None and last.is_subject
                and last.kind not in ("local", "route") and part.short and place is None
                and not context.places and not context.subjects
                and all(t.kind in ("general", "filming") for t in part.topics)
                and not _THERE.search(part.folded)):
            # "thế xin phép ở đâu?" right after the drone answer: the drone's leave;
            # "do they get the permit for us?" after the service companies: who applies.
            return self._ask(last.article, part, "follow-up", last_place, last), []
        if part.general:
            read = self._from_context(part, context, recent, local, message, language)
            if read is not None:
                return read
            general = next(t for t in part.topics if t.kind == "general")
            return self._ask(general.article, part, "topic", None, general), []
        if part.question and all(t.kind == "filming" for t in part.topics):
            # "We want aerials over the bay. Is that possible?"; "A carnet for the camera.
            # Does that work here?"; "An SF film on the dunes of Mui Ne. What do we need?"
            read = self._from_context(part, context, recent, local, message, language)
            if read is not None:
                return read
        return self._searched(part), []

    def _from_context(self, part: _Sentence, context: _Context, recent: Place | None,
                      local: Place | None, message: str, language: str
                      ) -> tuple[list[Ask], list[Place]] | None:
        """A question with nothing of its own ("Do we need a permit?", "Is that
        possible?") asks about what the message, or the chat just before, was about."""
        found = part.answer.article
        own = self.topics.by_article.get(found.id) if found is not None else None
        if found is not None and own is not None and own.kind == "route" and (
                not context.confirming) and not any(
                t.kind in ("subject", "local") for t in context.subjects) and all(
                p.article or p.see for p in context.places):
            # (A place with no article of ours is never hidden: "Tournage à Vung Tau.
            # Quelles démarches ?")
            # "Does a commercial need the same licence?", "the same permit for a TV travel
            # show?": the search reads a kind of production our words missed; which route
            # applies beats the places of the introduction.
            return self._searched(part), []
        # "Where do we apply, then?" after a question about the Imperial City: there.
        # But one about the whole country ("外国剧组在越南拍摄是否必须办理拍摄许可？",
        # "what is the legal basis for needing permission to film in Vietnam?") asks
        # what applies everywhere, not at the places the introduction named.
        places = [] if _here_named(part.folded) else (
            context.places[:MAX_ASKS] or (context.asked[-1:] if part.general else [])
            or ([recent] if recent else []))
        # What the crew shoots (a documentary, a TVC) says less than what it does; without
        # hiring words, the gear or the people it names say who or what the question is
        # about ("our rental house made us a carnet: does it work here?" asks customs).
        subjects = sorted(context.subjects, key=lambda t: t.kind == "route")
        hire = part.intent == "hire"
        if not hire and any(t.kind not in ("vendor", "route") for t in subjects):
            subjects = [t for t in subjects if t.kind != "vendor"]
        # "We'd rather hire a local drone operator. Can you recommend someone?"
        wanted = (subjects[0].hire if hire and subjects[0].hire else subjects[0].article
                  ) if subjects else None
        if subjects and places:
            # "A documentary on the Hmong of Sa Pa. Do villages have to agree?": the
            # whole message, searched, tells the subject from the place; but what the crew
            # shoots (a commercial) never hides that a place has no article of ours.
            # (Nor do the people it films, named without hiring words, from a question
            # about filming: "a lifestyle video on the Mui Ne dunes with models. What's
            # needed to film there?")
            if (subjects[0].kind == "route" or (
                    subjects[0].kind == "vendor" and not hire and part.filming)
                    ) and _without_article(places):
                return self._places(part, places)
            if not self._place_before_subject(message, language, subjects[0], places):
                # ("… dans le parc national de Cát Tiên. Comment faire ?": the parks'
                # rules, and no article on the park itself, as when the question names it)
                missing = _without_article(places) if subjects[0].kind == "local" else []
                return self._ask(wanted, part, "topic", local, subjects[0]), missing
        elif subjects:  # "We shoot a TVC. Which permits do we need?"
            return self._ask(wanted, part, "topic", local, subjects[0]), []
        if places:
            return self._places(part, places)
        if found is not None and found.kind != "location" and (
                found.id not in self._aspect_articles):
            return self._searched(part), []  # "…without a contract, will we get a permit?"
        return None

    def _place_before_subject(self, message: str, language: str, subject: Topic,
                              places: list[Place]) -> bool:
        """Whether the whole message, searched, ranks a place's article above the
        subject's article."""
        candidates = [a for a, _ in self.kb.answer(message, language=language).candidates]

        def position(article: str | None) -> int:
            return candidates.index(article) if article in candidates else len(candidates)

        best_place = min(position(a) for p in places for a in (p.article, *p.see))
        return best_place < position(subject.article)

    def _places(self, part: _Sentence, places: list[Place]) -> tuple[list[Ask], list[Place]]:
        """Each place's article; for a place with none, the article covering places in it
        (Can Tho: the Mekong Delta), said to be so, or the place as one we have nothing
        on (Nha Trang)."""
        asks: list[Ask] = []
        for place in places:
            if place.article:
                asks += self._ask(place.article, part, "place")
            elif place.see:
                asks += self._ask(place.see[0], part, "place", place)
        return asks, _without_article(places)

    def _searched(self, part: _Sentence) -> list[Ask]:
        """What the search alone answers, when it is sure enough."""
        article = part.answer.article
        if article is None:
            return []
        return [Ask(article, part.answer.score, "search", None, None, part.text)]

    @staticmethod
    def _pick(subjects: list[Topic], answer: Callable[[], Answer], intent: str,
              bare: bool = False) -> tuple[Topic, str]:
        """Of the subjects of one sentence, the one the search ranks first (else the first
        named); its vendor article when the sentence asks to hire, its rules when it asks
        leave; else as the search orders them ("un pilote de drone sur place ?"), and
        where the search cannot tell them apart ("Local fixer", "drone?"), as the topic
        prefers."""
        if len(subjects) == 1 and (not subjects[0].hire or intent or bare):
            # Nothing for the search to decide; "flycam thì sao?" right after an answer,
            # a subject named bare, asks its rules unless the topic is mostly hired.
            topic = subjects[0]
            if bare and not intent:
                return topic, (topic.hire if topic.prefer_hire and topic.hire
                               else topic.article)
            return topic, (topic.hire if intent == "hire" and topic.hire else topic.article)
        ranked = [article_id for article_id, _ in answer().candidates]
        scores = dict(answer().candidates)

        def position(topic: Topic) -> int:
            found = [ranked.index(a) for a in (topic.article, topic.hire) if a in ranked]
            return min(found) if found else len(ranked)

        topic = min(subjects, key=position)
        if not topic.hire or intent == "permit":
            return topic, topic.article
        if intent == "hire":
            return topic, topic.hire
        if scores.get(topic.article, 0.0) == scores.get(topic.hire, 0.0):
            return topic, (topic.hire if topic.prefer_hire else topic.article)
        rules = ranked.index(topic.article) if topic.article in ranked else len(ranked)
        vendors = ranked.index(topic.hire) if topic.hire in ranked else len(ranked)
        return topic, (topic.hire if vendors < rules else topic.article)

    # -- what a place's article says about a topic --------------------------------------

    def place_note(self, ask: Ask, language: str) -> tuple[Article | None, list[str]]:
        """For "drone in Da Nang": Da Nang's article and its sentences about drones."""
        place = ask.place
        if place is None:
            return None, []
        article = self._article(place.article)
        if article is None or ask.topic is None:
            return article, []
        key = (article.id, ask.topic.id, language)
        if key not in self._notes:  # the same few pairs are asked all day
            self._notes[key] = self._note(article, ask.topic, language)
        return article, self._notes[key]

    def _note(self, article: Article, topic: Topic, language: str) -> list[str]:
        lang = language if article.has_language(language) else "en"
        texts: list[str] = []
        if article.location is not None:
            texts.append(article.location.permit_notes.get(lang, ""))
            texts.append(article.location.access.get(lang, ""))
        texts.append(article.summary.get(lang, ""))
        texts.append(article.body.get(lang, ""))
        picked: list[str] = []
        for text in texts:
            for sentence in _NOTE_SENTENCE.split(text):
                sentence = _NOTE_MARKERS.sub("", sentence.strip()).strip()
                if sentence.count("**") % 2:  # a bold run cut by the sentence's end
                    sentence = sentence.replace("**", "")
                if (sentence and sentence not in picked and len(sentence) < 400
                        and self.topics.mentions(topic, sentence)):
                    picked.append(sentence)
        return picked[:3]


def _han_without_kana(text: str) -> bool:
    """Han characters and no kana: Chinese, which may be written in Traditional."""
    counts = script_counts(text)
    return bool(counts["han"]) and not counts["kana"]


def _without_article(places: list[Place]) -> list[Place]:
    """The places we have nothing on: no article of their own nor one covering them."""
    return [p for p in places if not p.article and not p.see]


def _letters(text: str) -> int:
    """The letters of `text` besides words of address ("ad", "ạ", "please"): how much
    a sentence says besides its place names."""
    return sum(ch.isalpha() for ch in _ADDRESS.sub("", text.lower()))


def _here_named(folded: str) -> bool:
    """Vietnam named, not as the country the crew chose against."""
    return bool(_VIETNAM.search(_NOT_VIETNAM.sub(" ", folded)))


def _most_specific(places: list[Place]) -> list[Place]:
    """"Cai Rang market in Can Tho": the market, which an article covers, not the city,
    which has none of its own; a place is dropped for one inside it that has an article."""
    covered = {p.article for p in places if p.article}
    inner = {p.inside for p in places if p.article}
    return [p for p in places
            if p.article or not (set(p.see) & covered or p.id in inner)] or places


def _distinct(asks: list[Ask]) -> list[Ask]:
    """One ask per article; the one that names a place wins."""
    kept: dict[str, Ask] = {}
    for ask in asks:
        seen = kept.get(ask.article.id)
        if seen is None or (seen.place is None and ask.place is not None):
            kept[ask.article.id] = ask
    return list(kept.values())
