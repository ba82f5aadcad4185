"""A greeting and nothing else ("Xin chào", "안녕하세요", "Hello there") opens the menu.

Crews on Zalo and Telegram often start with a greeting; answering it from the knowledge
base would be a decline ("I don't know"), which is no welcome.
"""

from __future__ import annotations

import re
import unicodedata

GREETINGS = frozenset({
    "xin chào", "chào", "chào bạn", "alo", "hello", "hi", "hey", "good morning",
    "good afternoon", "good evening", "greetings", "안녕하세요", "안녕", "안녕하십니까",
    "こんにちは", "こんばんは", "おはよう", "おはようございます", "はじめまして", "你好", "您好",
    "大家好", "哈喽", "嗨", "bonjour", "bonsoir", "salut", "coucou",
})
# Words that may follow a greeting without making it a question ("chào anh ạ").
ADDRESSEES = frozenset({
    "bạn", "anh", "chị", "em", "ad", "admin", "ạ", "nhé", "nha", "shop", "mọi", "người",
    "cả", "nhà", "bot", "crewbot", "there", "everyone", "all", "team", "à", "tout", "le",
    "monde", "여러분", "요", "皆さん", "みなさん",
})
_NOT_WORD = re.compile(r"[^\w\s]+")


def is_greeting(text: str) -> bool:
    """True for a greeting and nothing else: "Xin chào!", "chào anh ạ", "Hello there"."""
    if len(text) > 60:
        return False
    normal = _NOT_WORD.sub(" ", unicodedata.normalize("NFC", text).lower())
    words = normal.split()
    if not words:
        return False
    for size in (3, 2, 1):
        head = " ".join(words[:size])
        if head in GREETINGS and all(word in ADDRESSEES for word in words[size:]):
            return True
    return False
