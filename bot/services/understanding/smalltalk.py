"""Messages that are no question: thanks, ok, bye, laughter, "help" or "menu" without a
slash, a greeting, a stray number, an emoji.

Each gets a fitting short reply or the menu, never an article: "cảm ơn" is thanks (an
accent-less search once read it as "cấm", forbidden), and "9" typed when no list is on
screen is no question about anything. Words are compared folded (no case, no
diacritics), so "cam on" and "merci beaucoup" are found as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.services.knowledge.text import fold

# kind -> phrases, all languages together (folded forms are derived).
PHRASES: dict[str, tuple[str, ...]] = {
    "thanks": (
        "thanks", "thank you", "thank u", "thx", "ty", "tks", "tk", "many thanks",
        "thanks a lot", "thank you so much", "thanks so much", "cheers", "much appreciated",
        "appreciate it", "great thanks", "perfect thanks", "merci", "merci beaucoup",
        "merci bien", "mille merci", "mille mercis", "super merci", "cảm ơn", "cám ơn",
        "cảm ơn bạn", "cảm ơn nhiều", "cảm ơn ạ", "cảm ơn anh", "cảm ơn chị", "cảm ơn em",
        "xin cảm ơn", "cám ơn nhiều", "cảm ơn nhé", "cảm ơn nha", "thank", "tks ad",
        "감사합니다", "감사해요", "고맙습니다", "고마워요", "고마워", "감사", "땡큐", "ありがとう",
        "ありがとうございます", "ありがとうございました", "どうもありがとう", "どうも",
        "感謝します",
        "助かりました", "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "非常感谢", "谢啦",
    ),
    "ok": (
        "ok", "okay", "okie", "k", "kk", "got it", "understood", "i see", "alright",
        "all right", "noted", "sure", "cool", "great", "perfect", "nice", "good", "fine",
        "d'accord", "dac", "entendu", "compris", "parfait", "tres bien", "bien", "vu",
        "super", "ok merci", "ok thanks", "ok thank you", "okay thanks", "vâng", "dạ",
        "ừ", "được", "được rồi", "ok ạ", "dạ vâng", "vâng ạ", "hiểu rồi", "rõ rồi", "oke",
        "알겠습니다", "알겠어요", "네", "넵", "예", "좋아요", "오케이", "확인했습니다", "了解",
        "了解です", "わかりました", "分かりました", "はい", "承知しました", "オッケー", "好的",
        "好",
        "知道了", "明白", "明白了", "收到", "行", "可以", "嗯",
    ),
    "bye": (
        "bye", "goodbye", "bye bye", "see you", "see ya", "have a nice day", "good night",
        "au revoir", "a bientot", "bonne journee", "bonne soiree", "salut", "tạm biệt",
        "hẹn gặp lại", "bye nhé", "chào nhé", "안녕히 계세요", "안녕히", "잘 있어요", "수고하세요",
        "さようなら", "またね", "では失礼します", "失礼します", "お疲れ様です", "再见", "拜拜",
        "回头见", "晚安",
    ),
    "laughter": (
        "haha", "hahaha", "hahahaha", "hehe", "hihi", "lol", "lmao", "mdr", "ptdr", "kkk",
        "kaka", "ㅋㅋ", "ㅋㅋㅋ", "ㅋㅋㅋㅋ", "ㅎㅎ", "ㅎㅎㅎ", "www", "ww", "笑", "哈哈", "哈哈哈",
        "呵呵", "嘻嘻",
    ),
    "help": (
        "help", "help me", "aide", "aidez-moi", "au secours", "giúp", "giúp tôi", "giúp đỡ",
        "trợ giúp", "hướng dẫn", "도움", "도움말", "도와주세요", "ヘルプ", "助けて", "使い方",
        "帮助", "帮忙", "救命", "怎么用",
    ),
    "menu": (
        "menu", "main menu", "start", "home", "options", "menú", "accueil", "danh mục",
        "bắt đầu", "메뉴", "처음", "시작", "メニュー", "スタート", "菜单", "开始", "主菜单",
    ),
    "greeting": (
        "hello", "hi", "hey", "hi there", "hello there", "good morning", "good afternoon",
        "good evening", "greetings", "bonjour", "bonsoir", "salut", "coucou", "xin chào",
        "chào", "chào bạn", "alo", "chào ad", "chào anh", "chào chị", "안녕하세요", "안녕",
        "안녕하십니까", "こんにちは", "こんばんは", "おはよう", "おはようございます",
        "はじめまして",
        "你好", "您好", "大家好", "哈喽", "嗨",
    ),
    "bot": (
        "are you a bot", "are you a robot", "are you human", "is this a bot", "who are you",
        "tu es un robot", "es-tu un robot", "vous etes un robot", "bạn là ai", "bạn là bot à",
        "bạn là robot à", "봇이에요", "누구세요", "로봇이에요", "ボットですか", "あなたは誰",
        "你是机器人吗", "你是谁",
    ),
}
# Words that may surround small talk without making it a question ("thanks a lot guys!",
# "cảm ơn ad nhiều nhé", "ok merci beaucoup").
FILLERS = frozenset(w for word in (
    "so", "much", "very", "lot", "a", "again", "guys", "all", "you", "bot", "crewbot",
    "team", "everyone", "there", "for", "the", "help", "info", "information", "answer",
    "your", "really", "bạn", "anh", "chị", "em", "ad", "admin", "ạ", "nhé", "nha", "nhiều",
    "lắm", "rất", "nhá", "à", "ơi", "mọi", "người", "beaucoup", "bien", "pour", "l'info",
    "votre", "aide", "tout", "le", "monde", "à", "tous", "et", "and", "then", "oh", "ah",
    "well", "ok", "okay", "yes", "yeah", "oui", "ouais", "vâng", "dạ", "요", "정말", "진짜",
    "너무", "네", "ね", "よ", "本当に", "とても", "了", "啊", "呀", "哦", "你", "您", "非常",
) for w in fold(word).replace("'", " ").split())
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class SmallTalk:
    """What kind of small talk a message is: thanks, ok, bye, laughter, help, menu,
    greeting, bot (asking what crewbot is), number, or empty (emoji, punctuation)."""

    kind: str


def _words(text: str) -> list[str]:
    return [w for w in _PUNCT.split(fold(text)) if w]


_PHRASE_KIND = {" ".join(_words(p)): kind for kind, phrases in PHRASES.items() for p in phrases}


def _is_symbols(text: str) -> bool:
    return not any(unicodedata.category(ch)[0] in "LN" for ch in text)


def small_talk(text: str) -> SmallTalk | None:
    """The message's small-talk kind, or None when it may hold a question."""
    stripped = text.strip()
    if not stripped or _is_symbols(stripped):
        return SmallTalk("empty")
    if _NUMBER.match(stripped):
        return SmallTalk("number")
    if len(stripped) > 80:
        return None
    words = _words(stripped)
    found: list[str] = []
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
            kind = _cjk_kind(joined)
            if kind is not None:
                found.append(kind)
                break
            if words[i] in FILLERS:
                i += 1
                continue
            return None
    if not found:
        return None
    # "ok thanks bye": the last word is what it comes to, but thanks beats ok.
    for kind in ("bot", "help", "menu", "thanks", "bye", "greeting", "laughter", "ok"):
        if kind in found:
            return SmallTalk(kind)
    return None


def _cjk_kind(run: str) -> str | None:
    """A run of Hangul, kana or Han that is small talk from its start to its end,
    allowing filler characters between known phrases."""
    if not run or run.isascii():
        return None
    kinds: list[str] = []
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
            return None
    return kinds[-1] if kinds else None
