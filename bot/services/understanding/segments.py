"""A message cut into its sentences.

Crews write "Hi! I'm a line producer at a Paris company. We shoot in Da Nang in May.
Do we need a permit? And can we fly a drone there? Thanks, Marie": the introduction
and the sign-off are no questions, and the two questions are two.
"""

from __future__ import annotations

import functools
import re

from bot.services.knowledge.text import fold

# A sentence ends at . ? ! ; (Latin: followed by a space or the end; "e.g." and "2.5" stay
# whole) or at 。？！ (CJK, which has no spaces), after a Korean emoticon ("들어서요 ㅠ
# 하노이에..."), at every line break, and before an item
# of a list written on one line ("... không ạ, 2) bên em cần ...", "①...②...").
_END = re.compile(r"(?<=[.?!;])\s+|(?<=[。？！；])|\n+|(?<=\?)(?=\S)|(?<=[ㅠㅜㅋㅎ])\s+"
                  r"|[\s,，、]+(?=\(?\d{1,2}\)\s)|(?<=\S)\s*(?=[②-⑩])")
# An item of a list: crews number their questions ("1.", "2)", "①", "첫째", "・").
LIST_ITEM = re.compile(r"\s*(?:\(?\d{1,2}(?:[.)]|/(?!\d))|[Qq]\d{1,2}\s*[-.:)]|[①-⑩]|[・•●▪*]"
                       r"|-(?=\s)|첫째|둘째|셋째|넷째"
                       r"|[一二三四五]是|第[一二三四五]|其次|另外)")
_MARKER_ONLY = re.compile(r"\(?\d{1,2}[.)]|[①-⑩]")
_CLOSING_ITEM = re.compile(r"\d{1,2}\)")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|mr|mrs|ms|dr|no|vs|approx|st)\.)$",
                           re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The sentences of `text`, in order, without empty ones."""
    return list(_sentences(text))


# A message is cut, and its sentences told questions, by the reader, the article model
# and its judge, each more than once: once per text.
TEXTS_KEPT = 1024


@functools.lru_cache(maxsize=TEXTS_KEPT)
def _sentences(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for piece in _END.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if parts and (_ABBREVIATION.search(parts[-1]) or _MARKER_ONLY.fullmatch(parts[-1])
                      or (_CLOSING_ITEM.match(piece)
                          and parts[-1].count("(") > parts[-1].count(")"))):
            # "e.g. My Khe", "1. which visa?"; "(giữa tháng 12) mới nộp": a parenthesis
            # closing, not the twelfth question
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return tuple(parts)


# What makes a sentence a question rather than a statement of context ("We shoot a TVC in
# Da Nang in May."): a question mark, or a question word or ending of its language.
# Folded (no marks); Latin cues are whole words.
_QUESTION_WORDS = (
    # English
    "how", "what", "which", "where", "when", "why", "can we", "can i",
    "could we", "could you", "do we", "do i", "does", "is it", "is there", "are there",
    "are we", "should we", "must we", "would it", "wondering", "any idea", "please advise",
    "let me know", "tell me", "like to know", "need to know", "any advice", "recommend",
    "is that", "will we", "anyone", "suggest", "put us in touch", "point us", "looking for",
    "want to know", "wants to know", "wanted to know", "know if", "know whether",
    "kindly tell", "kindly advise", "kindly let", "kindly confirm", "tell whether",
    "tell us whether", "tell us if",
    # French
    "comment", "quel", "quelle", "quels", "quelles", "combien", "quand",
    "pourquoi", "est-ce", "peut-on", "faut-il", "doit-on", "pouvez-vous", "pourriez-vous",
    "savoir si", "aimerais savoir", "voudrais savoir", "conseillez", "connaissez",
    "recommander", "conseiller", "m'indiquer", "nous indiquer", "il nous faudrait",
    "je me posais la question", "je me demandais", "on cherche un", "on cherche une",
    "on cherche des", "on cherche aussi", "nous cherchons un", "nous cherchons une",
    "nous cherchons des", "nous cherchons aussi", "je cherche un", "je cherche une",
    "je cherche des", "nous cherchons deux", "on cherche deux", "nous recherchons",
    "on recherche",
    # Vietnamese
    "khong", "ko", "sao", "nao", "gi", "bao nhieu", "bao lau", "o dau", "the nao",
    "duoc khong", "co can", "co phai", "lam sao", "cho em hoi", "cho minh hoi", "xin hoi",
    "cho hoi", "chua", "gioi thieu", "tu van", "goi y", "chi giup", "muon hoi", "muon biet",
    "can biet", "dang tim", "ntn",  # (typed in a hurry: "ntn" is "như thế nào")
)
_QUESTION_LATIN = re.compile(r"(?<!\w)(?:" + "|".join(
    re.escape(w) for w in sorted(_QUESTION_WORDS, key=len, reverse=True)) + r")(?!\w)")
_QUESTION_CJK = re.compile(
    # Korean endings and words
    r"나요|까요|가요|습니까|을까|어떻게|무엇|뭐|언제|어디|누가|누구|얼마|인지|는지|은지|알려|궁금"
    r"|되나|되죠|할까|하나요|있나요|없나요|건가요|한가요|추천|소개해|한지요|가능한지|알고 ?싶"
    r"|찾고 ?있"
    # Japanese
    r"|ですか|ますか|でしょうか|ませんか|教えて|知りたい|どう(?!も)|どこ|いつ|誰|何(?!度か|回か)"
    r"|いくら"
    r"|どのくらい"
    r"|どれくらい|可能か|べきか|のか|ください|紹介して|おすすめ|伺いたい|お聞きしたい|ご教示|探しています"
    r"|確認したい"
    # Chinese
    r"|吗|呢|怎么|什么|如何|哪|多少|多久|多长|是否|能否|可否|请问|想问|想了解|请教|推荐|介绍一下"
    # ("麻烦您…" asks a favour; "太麻烦" finds it too much trouble)
    r"|(?<![太很挺好嫌怕])麻烦"
    r"|有没有|能不能|是不是|要不要|可不可以|想知道|想确认|请告知|在找"
    # "还能拍不", "行不": a clause ending on 不 asks yes or no
    r"|(?<=[\u4e00-\u9fff])不(?=[，,。！!～~\s]|$)")


# French "qui" and "ou" ask only where a question puts them ("qui fait la demande",
# "à qui s'adresser", "où louer"): "une société belge qui prépare un doc" and "Hanoi ou
# Hué" state. "où" written with its accent always asks.
_FRENCH_WH = re.compile(r"(?:^|[,:;(]\s*|(?<!\w)(?:a|de|pour|avec|par|chez|c'est|et)\s+)"
                        r"(?:qui|ou)(?!\w)")


# English "who" asks where a question puts it ("Who approves it?", "and who do we ask",
# "do you know who grants it"): "a young woman who went missing" states.
_ENGLISH_WHO = re.compile(r"(?:^|[,:;(]\s*|(?<!\w)(?:and|but|so|or|to|know|tell|ask|asking"
                          r"|wondering|wonder|me|us|advise|confirm|sure|idea|clear|check"
                          r"|about|from|by|with|for|then)\s+)(?:who|whom)(?!\w)")


@functools.lru_cache(maxsize=TEXTS_KEPT)
def is_question(sentence: str) -> bool:
    """A question mark, or a question word or ending: "Do we need a permit", "cần giấy
    phép gì", "허가가 필요한가요", "許可は必要ですか", "需要许可吗"."""
    if "?" in sentence or "？" in sentence:
        return True
    folded = fold(sentence)
    return bool(_QUESTION_LATIN.search(folded) or _QUESTION_CJK.search(sentence)
                or _FRENCH_WH.search(folded.strip()) or _ENGLISH_WHO.search(folded.strip())
                or "où" in sentence.lower())


# Where one sentence joins two questions: "what documents, and how long does it take?",
# "허가 수수료가 얼마인지, 그리고 인센티브가 있는지", "撮影許可と、ドローンの許可は".
_JOINS = re.compile(
    r",?\s+(?:and also|and|as well as|plus|also|et aussi|et|ainsi que|va|và|cung nhu|"
    r"cũng như|voi lai|với lại)\s+|;\s*|\s*(?:그리고|또한|또|및)\s*|と、|、そして|、また|また、"
    r"|，?(?:还有|以及|另外|并且|和)，?", re.IGNORECASE)


# "between the application and the approval": the "and" joins the two ends of a span.
_BETWEEN = re.compile(r"(?<!\w)(?:between|entre|giữa|giua)(?!\w)", re.IGNORECASE)


def clauses(sentence: str) -> list[str]:
    """The parts of a sentence joined by "and" (or its like in each language), but not
    the two ends of a span ("how long between the application and the approval")."""
    pieces = _JOINS.split(sentence)
    merged = [pieces[0]]
    for join, before, piece in zip(_JOINS.findall(sentence), pieces[:-1], pieces[1:],
                                   strict=True):
        if _BETWEEN.search(before):  # the span's second end
            merged[-1] += join + piece
        else:
            merged.append(piece)
    return [part.strip(" ,，、") for part in merged if part.strip(" ,，、")]


COMMAS = re.compile(r"\s*[,，、]\s*")


# A clause giving the reason for the question before it, not a question of its own.
_REASON = re.compile(r"(?:since|because|as it|as it's|as they|vu que|parce que|puisque|car"
                     r"|etant donne|vi|boi vi|boi|因为|由于)(?!\w)")


def commas(sentence: str) -> list[str]:
    """The questions a sentence joins with commas, each with what leads to it ("For the
    shoot in May, which visa, and is customs strict?" is two, the first with its lead)."""
    groups: list[str] = []
    pending: list[str] = []
    for piece in COMMAS.split(sentence):
        if piece.strip():
            if groups and not pending and _REASON.match(fold(piece.strip())):
                # "which permits for Trang An, since it is a UNESCO site?": one question
                groups[-1] = f"{groups[-1]}, {piece.strip()}"
                continue
            pending.append(piece.strip())
            if is_question(piece):
                groups.append(", ".join(pending))
                pending = []
    if pending:
        if groups:
            groups[-1] = ", ".join([groups[-1], *pending])
        else:
            groups.append(", ".join(pending))
    return groups
