"""Messages that are no question: thanks, ok, bye, laughter, "help" or "menu" without a
slash, a greeting, a stray number, an emoji.

Each gets a fitting short reply or the menu, never an article: "cảm ơn" is thanks (an
accent-less search once read it as "cấm", forbidden), and "9" typed when no list is on
screen is no question about anything. Words are compared folded (no case, no
diacritics), so "cam on" and "merci beaucoup" are found as written.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from bot.services.knowledge.text import fold

# kind -> language -> phrases (folded forms are derived). The language is the reply's
# when the chat has not chosen one: "merci" is answered in French, "cảm ơn" in Vietnamese.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "thanks": {
        "en": ("thanks", "thank you", "thank u", "thx", "ty", "tks", "tk", "many thanks",
               "thanks a lot", "thank you so much", "thanks so much", "cheers", "shot",
               "cheers mate", "ta",
               "much appreciated", "appreciate it", "great thanks", "perfect thanks",
               "thank", "ok thanks", "ok thank you", "okay thanks", "thank you very much",
               "thanks for your help", "thank you for your help", "that helps", "that helps a lot",
               "that's sorted", "cheers that's sorted", "sorted", "all sorted",
               "very helpful", "that's helpful", "that's very helpful", "helpful", "awesome thanks",
               "no thanks", "no thank you", "legend", "you're a legend", "you legend"),
        "fr": ("merci", "merci beaucoup", "merci bcp", "merci bien", "mille merci",
               "mille mercis", "super merci", "ok merci", "merci a vous", "je vous remercie",
               "merci pour l'info", "merci pour votre reponse", "merci pour la reponse",
               "top merci", "merci tres utile", "tres utile", "super utile", "merci c'est utile",
               "merci beaucoup tres utile",
               "non merci", "merci c'est clair", "merci c'est tres clair"),
        "vi": ("cảm ơn", "cám ơn", "cảm ơn bạn", "cảm ơn nhiều", "cảm ơn ạ", "cảm ơn anh",
               "cảm ơn chị", "cảm ơn em", "xin cảm ơn", "cám ơn nhiều", "cảm ơn nhé",
               "cảm ơn nha", "tks ad", "ok cảm ơn", "thanks ad", "ok thanks ad", "ok tks ad",
               "camon", "cmon", "em cảm ơn",
               "dạ em cảm ơn", "mình cảm ơn", "không cảm ơn", "cảm ơn anh chị"),
        "ko": ("감사합니다", "감사해요", "고맙습니다", "고마워요", "고마워", "감사", "땡큐",
               "답변 감사합니다", "감사요", "ㄳ", "ㄱㅅ", "덕분에", "덕분에 많이 정리됐어요",
               "정리됐어요", "많이 정리됐어요",
               "감사드립니다"),
        "ja": ("ありがとう", "ありがとうございます", "ありがとうございました", "どうもありがとう",
               "どうも", "感謝します", "助かりました", "サンキュー", "助かります",
               "ありがとうございます助かります", "どうもです", "おおきに"),
        "zh": ("谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "非常感谢", "谢啦", "谢了", "很有帮助",
               "谢谢你的帮助"),
    },
    "ok": {
        "en": ("ok", "okay", "okie", "k", "kk", "got it", "understood", "i see", "alright",
               "all right", "noted", "sure", "cool", "great", "perfect", "nice", "good",
               "fine", "awesome", "brilliant", "yes", "yep", "yeah", "no", "nope", "hmm", "hm",
               "that's all", "that's all for now", "no more questions", "nothing else",
               "that's clear", "clear", "all good", "you're great", "you are great", "good bot"),
        "fr": ("d'accord", "dac", "entendu", "compris", "parfait", "tres bien", "bien", "vu",
               "super", "ok merci", "genial", "top", "ca marche", "oui", "non", "c'est clair",
               "c'est tres clair", "tres clair", "d'acc", "daccord"),
        "vi": ("vâng", "dạ", "ừ", "được", "được rồi", "ok ạ", "ok e", "oke e", "okie e", "ok ak",
               "dạ vâng", "vâng ạ", "hiểu rồi",
               "rõ rồi", "oke", "có", "không", "ok nhé", "hiểu rồi ạ", "em hiểu rồi", "rồi"),
        "ko": ("알겠습니다", "알겠어요", "네", "넵", "예", "좋아요", "오케이", "확인했습니다",
               "ㅇㅋ", "좋네요", "아하", "그렇군요",
               "아 그렇군요", "알겠어", "네네"),
        "ja": ("了解", "了解です", "わかりました", "分かりました", "はい", "承知しました",
               "オッケー", "了解しました", "承知いたしました", "なるほど", "よろしくお願いします",
               "よろしくお願いいたします", "よくわかりました",
               "はい了解です", "了解っす", "りょうかい", "りょ", "おけ", "りょーかい",
               "わかったっす", "あざす"),
        "zh": ("好的", "好", "知道了", "明白", "明白了", "收到", "行", "可以", "嗯", "好滴",
               "嗯嗯", "辛苦了", "好嘞", "了解"),
    },
    "bye": {
        "en": ("bye", "goodbye", "bye bye", "see you", "see ya", "have a nice day",
               "good night", "have a good day", "talk later", "later", "talk soon",
               "will be in touch", "i'll be in touch", "we'll be in touch"),
        "fr": ("au revoir", "a bientot", "bonne journee", "bonne soiree", "bonne journee a vous",
               "a plus", "a plus tard", "bonne fin de journee", "je reviens vers vous",
               "on revient vers vous"),
        "vi": ("tạm biệt", "hẹn gặp lại", "bye nhé", "chào nhé", "em sẽ liên hệ lại",
               "mình sẽ liên hệ lại", "báo lại sau", "báo lại ad sau", "liên hệ lại sau"),
        "ko": ("안녕히 계세요", "안녕히", "잘 있어요", "수고하세요", "다시 연락드릴게요",
               "또 연락드릴게요"),
        "ja": ("さようなら", "またね", "では失礼します", "失礼します", "お疲れ様です",
               "また連絡します", "またご連絡します", "また連絡しますね"),
        "zh": ("再见", "拜拜", "回头见", "晚安", "再联系", "回头再联系"),
    },
    "laughter": {
        "en": ("haha", "hahaha", "hahahaha", "hehe", "lol", "lmao"),
        "fr": ("mdr", "mdrr", "mdrrr", "ptdr", "hihi"),
        "vi": ("kkk", "kaka", "hihi"),
        "ko": ("ㅋㅋ", "ㅋㅋㅋ", "ㅋㅋㅋㅋ", "ㅎㅎ", "ㅎㅎㅎ"),
        "ja": ("www", "ww", "笑"),
        "zh": ("哈哈", "哈哈哈", "呵呵", "嘻嘻", "hhh", "hhhh", "hhhhh", "hhhhhh"),
    },
    "help": {
        "en": ("help", "help me", "what can you do", "what can you help with", "how does this work",
               "how do i use this"),
        "fr": ("aide", "aidez-moi", "au secours", "tu peux faire quoi", "que peux-tu faire",
               "que pouvez-vous faire", "comment ca marche"),
        "vi": ("giúp", "giúp tôi", "giúp đỡ", "trợ giúp", "hướng dẫn", "bạn làm được gì",
               "bạn giúp được gì", "dùng thế nào"),
        "ko": ("도움", "도움말", "도와주세요", "뭘 할 수 있어요", "뭐 할 수 있어요",
               "어떻게 사용해요"),
        "ja": ("ヘルプ", "助けて", "使い方", "何ができますか", "何ができる"),
        "zh": ("帮助", "帮忙", "救命", "怎么用", "你能做什么", "你会什么", "能做什么"),
    },
    "menu": {
        "en": ("menu", "main menu", "start", "home", "options", "start over", "restart", "back",
               "go back"),
        "fr": ("accueil", "menu principal", "retour", "recommencer"),
        "vi": ("danh mục", "bắt đầu", "quay lại", "bắt đầu lại"),
        "ko": ("메뉴", "처음", "시작"),
        "ja": ("メニュー", "スタート"),
        "zh": ("菜单", "开始", "主菜单"),
    },
    "greeting": {
        "en": ("hello", "hi", "hey", "hi there", "hello there", "good morning", "hiya", "howzit",
               "morning", "mornin", "afternoon", "evening",  # "Morning 👋🏾" (tune41)
               "good afternoon", "good evening", "greetings", "anyone there", "anyone here",
               "is anyone there", "how are you", "test", "testing",
               # a letter's salutation, alone on its line ("Dear Sir/Madam,")
               "dear sir", "dear madam", "dear sir or madam", "dear sirs", "dear team",
               "to whom it may concern"),
        "fr": ("bonjour", "bonsoir", "salut", "slt", "bjr", "bsr", "coucou", "allo", "ca va",
               "test",
               "madame monsieur", "monsieur madame", "messieurs dames", "chere madame",
               "cher monsieur"),
        "vi": ("xin chào", "chào", "chào bạn", "alo", "chào ad", "chào anh", "chào chị",
               "chào buổi sáng", "có ai không", "thử", "alo alo", "có ai ko", "alo alo có ai ko",
               "kính gửi", "kính gửi quý cục", "kính chào", "kính chào quý cục",
               "có đó không", "có đó ko", "có đó k", "còn đó không", "còn đó ko"),
        "ko": ("안녕하세요", "안녕", "안녕하십니까", "계세요", "테스트", "담당자님께", "담당자님"),
        "ja": ("こんにちは", "こんばんは", "おはよう", "おはようございます", "はじめまして",
               "テスト", "どなたかいますか", "ご担当者様", "貴局ご担当者様", "拝啓"),
        "zh": ("你好", "您好", "大家好", "哈喽", "嗨", "早上好", "在吗", "有人吗", "晚上好",
               "测试", "尊敬的贵局", "敬启者"),
    },
    "bot": {
        "en": ("are you a bot", "are you a robot", "are you human", "is this a bot",
               "who are you"),
        "fr": ("tu es un robot", "es-tu un robot", "vous etes un robot"),
        "vi": ("bạn là ai", "bạn là bot à", "bạn là robot à", "bạn là ai vậy", "bn là bot à",
               "bn là ai", "là bot à"),
        "ko": ("봇이에요", "누구세요", "로봇이에요"),
        "ja": ("ボットですか", "あなたは誰"),
        "zh": ("你是机器人吗", "你是谁"),
    },
}
# Said alike in several languages: these set no language ("ok", "menu", "bye").
UNIVERSAL = frozenset({"ok", "okay", "k", "kk", "menu", "bye", "bye bye", "super", "hihi",
                       "start", "cool", "nice"})
# Words that may surround small talk without making it a question ("thanks a lot guys!",
# "cảm ơn ad nhiều nhé", "ok merci beaucoup").
FILLERS = frozenset(w for word in (
    "so", "much", "very", "lot", "a", "again", "guys", "all", "you", "bot", "crewbot",
    "team", "everyone", "there", "for", "the", "help", "info", "information", "answer",
    "your", "really", "bạn", "anh", "chị", "em", "ad", "admin", "ạ", "nhé", "nha", "nhiều",
    "lắm", "rất", "nhá", "nhiu", "nhìu", "à", "ơi", "mọi", "người", "beaucoup", "bien", "pour",
    "l'info",
    "votre", "aide", "tout", "le", "monde", "à", "tous", "et", "and", "then", "oh", "ah",
    "well", "ok", "okay", "yes", "yeah", "oui", "ouais", "vâng", "dạ", "quick", "reply", "response",
    "vous", "mate", "now", "e", "c'est", "rapide", "reponse", "that", "it", "is", "this",
    "great", "요", "정말", "진짜",
    "너무", "네", "ね", "よ", "本当に", "とても", "了", "啊", "呀", "哦", "你", "您", "非常",
    # whom a greeting or thanks is addressed to ("Xin chào Quý Cục.", "Dear sir or madam")
    "quý", "cục", "dear", "sir", "madam", "or", "monsieur", "madame", "messieurs",
    "mesdames", "담당자님", "ご担当者様", "担当者様", "贵局", "老师",
) for w in fold(word).replace("'", " ").split())
# Fillers only Vietnamese use, addressing the reader ("anh chị", "ad", "nhé"): small talk
# in English or in words every language uses ("ok ad", "Ok thanks anh chị") is Vietnamese.
VI_ADDRESS = frozenset({"anh", "chi", "ad", "nhe", "nha", "nhieu", "nhiu", "oi"})
# A number, perhaps with a sign, a "#" or a full stop: "9", "-1", "#2", "3.", "42!".
_NUMBER = re.compile(r"^[#№]?\s*[+-]?\d+(?:[.,]\d+)?\s*[.!?)]*$")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_VI_LAUGH = re.compile(r"[=:]\){2,}")


@dataclass(frozen=True)
class SmallTalk:
    """What kind of small talk a message is: thanks, ok, bye, laughter, help, menu,
    greeting, bot (asking what crewbot is), number, or empty (emoji, punctuation); and
    the language its words belong to, if they tell ("" for "ok", "9", "👍")."""

    kind: str
    language: str = ""


# Laughter is typed as long as the laugh: "wwwww" is "www", "hihihihi" is "hihi".
_LONG_LAUGH = re.compile(r"([wk])\1{3,}|(ha|he|hi|ka)\2{2,}")


def _shorter_laugh(match: re.Match[str]) -> str:
    return match.group(1) * 3 if match.group(1) else match.group(2) * 2


@functools.lru_cache(maxsize=256)  # a sentence is read as small talk, then as courtesy
def _words(text: str) -> tuple[str, ...]:
    # (A laugh is all letters, so it never spans two words: shortened in one pass.)
    return tuple(w for w in _PUNCT.split(_LONG_LAUGH.sub(_shorter_laugh, fold(text))) if w)


_PHRASE_KIND: dict[str, tuple[str, str]] = {}
for _kind, _languages in PHRASES.items():
    for _language, _phrases in _languages.items():
        for _phrase in _phrases:
            _key = " ".join(_words(_phrase))
            _PHRASE_KIND.setdefault(_key, (_kind, "" if _key in UNIVERSAL else _language))


# Asking whether a person or a machine answers: "are you a real person?", "bạn là người
# thật hay bot vậy", "혹시 실제 사람이세요? 아님 봇?", "中の人いるんですか？AI？", "你是真人吗".
_BOT_WORDS = re.compile(
    r"(?<![a-z])(?:bot|robot|chatbot|human|real person|vrai humain|vraie personne"
    r"|personne reelle|intelligence artificielle|nguoi that|nguoi hay may|may tra loi)(?![a-z])"
    r"|봇|로봇|실제 사람|사람이세요|사람이에요|상담원|ボット|ロボット|中の人|人間|機械"
    r"|机器人|真人|人工")
BOT_QUESTION_CHARS = 60
BOT_QUESTION_WORDS = 10  # ("wait is this a bot or a real person", with no "?")


def _is_symbols(text: str) -> bool:
    return not any(unicodedata.category(ch)[0] in "LN" for ch in text)


def small_talk(text: str) -> SmallTalk | None:
    """The message's small-talk kind, or None when it may hold a question."""
    stripped = text.strip()
    if not stripped or _is_symbols(stripped):
        # Full-width punctuation ("？？？") is typed on Chinese and Japanese keyboards;
        # "=)))" is how Vietnamese chats laugh.
        if _VI_LAUGH.fullmatch(stripped):
            return SmallTalk("laughter", "vi")
        return SmallTalk("empty")
    if _NUMBER.match(stripped):
        return SmallTalk("number")
    if len(stripped) <= BOT_QUESTION_CHARS and _BOT_WORDS.search(fold(stripped)) and (
            "?" in stripped or "？" in stripped or len(_words(stripped)) <= BOT_QUESTION_WORDS):
        listed = _PHRASE_KIND.get(" ".join(_words(stripped)))  # "bn là bot à?": Vietnamese
        return SmallTalk("bot", listed[1] if listed else "")
    if len(stripped) > 80:
        return None
    words = _words(stripped)
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        for size in (5, 4, 3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if len(words) - i >= size and phrase in _PHRASE_KIND:
                found.append(_PHRASE_KIND[phrase])
                i += size
                break
        else:
            joined = "".join(words[i:])  # CJK and Hangul are written without spaces
            cjk = _cjk_kinds(joined)
            if cjk:
                found += cjk
                break
            if words[i] in FILLERS:
                i += 1
                continue
            return None
    if not found:
        return None
    language = next((lang for _, lang in found if lang), "")
    if language in ("", "en") and VI_ADDRESS.intersection(words):
        language = "vi"  # "ok ad", "Ok thanks anh chị": whom it thanks says who writes
    # "ok thanks bye": thanks beats ok, whatever the order.
    for kind in ("bot", "help", "menu", "thanks", "bye", "greeting", "laughter", "ok"):
        if any(k == kind for k, _ in found):
            return SmallTalk(kind, language)
    return None


# Thanks or a goodbye written out at length ("Thank you ever so much, that's extremely
# helpful.", "Dạ em cảm ơn Quý Cục nhiều ạ"): the reader takes such a message for them when
# it asks nothing and names nothing of ours.
COURTESY_KINDS = ("thanks", "bye")
COURTESY_CHARS = 120
_COURTESY: list[tuple[str, SmallTalk]] = sorted(
    ((phrase, SmallTalk(kind, language)) for phrase, (kind, language) in _PHRASE_KIND.items()
     if kind in COURTESY_KINDS and (len(phrase) >= 3 or not phrase.isascii())),
    key=lambda found: (COURTESY_KINDS.index(found[1].kind), -len(found[0])))


# Passing the answer on ("I'll forward it to our fixer", "je transmets à notre fixeur",
# "코디네이터에게 전달할게요"): with thanks, the people named are who reads the answer
# next, not a vendor asked for.
HANDOVER: dict[str, tuple[str, ...]] = {
    "en": ("forward", "forwarding", "pass it on", "pass this on", "pass it along",
           "pass this along", "pass on", "send it to", "send this to", "share it with",
           "share this with", "show it to", "show this to"),
    "fr": ("transmets", "transmettre", "transmettrai", "transmettons", "faire suivre",
           "fais suivre", "ferai suivre", "partager avec", "partagerai avec"),
    "vi": ("gửi cho", "gửi lại cho", "chuyển cho", "chuyển lại cho", "báo lại cho",
           "forward cho", "chuyển tiếp"),
    "ko": ("전달", "공유"),
    "ja": ("転送", "共有", "伝えます", "伝えておきます", "申し伝えます"),
    "zh": ("转发", "转给", "转告", "发给"),
}
_HANDOVER = tuple(" ".join(_words(phrase)) for phrases in HANDOVER.values() for phrase in phrases)


def _says(spaced: str, phrase: str) -> bool:
    """Whether the words (joined by spaces, one around them) hold the phrase: Latin ones
    as whole words, the other scripts anywhere."""
    return f" {phrase} " in spaced if phrase.isascii() else phrase in spaced


def hands_over(text: str) -> bool:
    """Whether the message says the answer goes on to someone else."""
    spaced = f" {' '.join(_words(text))} "
    return any(_says(spaced, phrase) for phrase in _HANDOVER)


# Most sentences hold none of them: their words (and, for the other scripts, one
# pattern) tell at once, before the phrases are tried one by one in their order.
_COURTESY_WORDS = frozenset(word for phrase, _ in _COURTESY if phrase.isascii()
                            for word in phrase.split())
_COURTESY_OTHER = re.compile("|".join(re.escape(phrase) for phrase, _ in _COURTESY
                                      if not phrase.isascii()))


# Where each phrase stands in `_COURTESY`: the Latin ones by their first word (a phrase
# can only be said where its first word is), the others together.
_COURTESY_BY_FIRST: dict[str, list[int]] = {}
for _number, (_phrase, _) in enumerate(_COURTESY):
    if _phrase.isascii():
        _COURTESY_BY_FIRST.setdefault(_phrase.split()[0], []).append(_number)
_COURTESY_NOT_LATIN = [number for number, (phrase, _) in enumerate(_COURTESY)
                       if not phrase.isascii()]


def courtesy(text: str) -> SmallTalk | None:
    """The thanks or goodbye a short message says among other words, if any."""
    if len(text) > COURTESY_CHARS:
        return None
    words = _words(text)
    joined = " ".join(words)
    other = _COURTESY_OTHER.search(joined) is not None
    if _COURTESY_WORDS.isdisjoint(words) and not other:
        return None
    spaced = f" {joined} "
    # The first of `_COURTESY`'s order said, among those that can be.
    candidates = sorted({number for word in _COURTESY_BY_FIRST.keys() & set(words)
                         for number in _COURTESY_BY_FIRST[word]}
                        | (set(_COURTESY_NOT_LATIN) if other else set()))
    return next((_COURTESY[number][1] for number in candidates
                 if _says(spaced, _COURTESY[number][0])), None)


def _cjk_kinds(run: str) -> list[tuple[str, str]]:
    """The small talk a run of Hangul, kana or Han is from its start to its end, allowing
    filler characters between known phrases; none if it is something else."""
    if not run or run.isascii():
        return []
    kinds: list[tuple[str, str]] = []
    pos = 0
    while pos < len(run):
        for end in range(len(run), pos, -1):
            piece = run[pos:end]
            if piece in _PHRASE_KIND and not piece.isascii():
                kinds.append(_PHRASE_KIND[piece])
                pos = end
                break
            if piece in FILLERS and not piece.isascii():
                pos = end
                break
        else:
            if run[pos] in "ㅋㅎ~!":
                pos += 1
                continue
            return []
    return kinds
