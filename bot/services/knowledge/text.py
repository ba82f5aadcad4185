"""Tokenising text from six languages and three kinds of script.

Latin text (English, French, Vietnamese) is folded to lower case without diacritics, so
"Hội An", "Hoi An" and "hoi an" meet; word pairs are kept as extra tokens because
Vietnamese words are mostly two syllables ("giấy phép"). Chinese and Japanese have no
spaces, so runs of Han and kana become character bigrams, and Korean words, which carry
their particles attached ("드론을"), become Hangul bigrams too.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

_TOKEN_RUN = re.compile(
    r"(?P<latin>[0-9a-z]+(?:['’][a-z]+)?)"
    r"|(?P<hangul>[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+)"
    r"|(?P<cjk>[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f々〆ヵヶー]+)"
)
_KATAKANA_WORD = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ffー]{2,}")

# Function words that carry no topic; folded, no diacritics.
STOPWORDS = frozenset(
    """
    a an the of to in on at for from by with and or but is are was were be been being do
    does did can could may might will would shall should must i we you he she it they me
    us my our your their this that these those there here what which who whom whose when
    where why how if then so as about into over any some all also just not no yes please
    thanks thank hi hello have has had get got need needs want wants like let s t m re
    ve ll d i'm it's use using know tell okay ok possible allowed le la les l de du des
    d un une et ou en au aux a est sont pour par sur dans avec sans ce cet cette ces c
    qu que qui quoi quel quelle quels quelles on nous vous je tu il ils elle elles y se
    sa son ses leur leurs mon ma mes ne pas plus est-ce faut peut-on toi minh ban cho
    cua va la co khong duoc thi o voi nhung cac mot nay do nao gi the nhu vay a a ad ah
    nhe nha oi vui long xin em anh chi minh toi chung ko k
    """.split()
)


class _FoldTable(dict[int, str]):
    """str.translate table built lazily, one character at a time, in C speed after that."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        decomposed = unicodedata.normalize("NFD", ch)
        # Only Latin letters lose their accents; kana voicing marks (ド, バ) stay.
        if decomposed and ord(decomposed[0]) < 0x0250:
            ch = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        self[code] = ch
        return ch


_FOLD = _FoldTable({ord("đ"): "d"})


def fold(text: str) -> str:
    """Lower case, compatibility forms unified, Latin diacritics removed (đ -> d)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text if text.isascii() else text.translate(_FOLD)


def _stem(word: str) -> str:
    """Plural -s only: enough for "drones"/"visas"/"tournages", harmless for Vietnamese."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokenize(text: str) -> list[str]:
    """Search tokens for any mix of scripts; duplicates kept (term frequency matters)."""
    folded = fold(text)
    tokens: list[str] = []
    latin_words: list[str] = []

    def flush_latin() -> None:
        tokens.extend(latin_words)
        tokens.extend(f"{a}_{b}" for a, b in pairwise(latin_words))
        latin_words.clear()

    for match in _TOKEN_RUN.finditer(folded):
        kind = match.lastgroup
        run = match.group()
        if kind == "latin":
            word = run.replace("’", "'")
            if "'" in word:  # c'est, l'equipe, what's
                head, _, tail = word.partition("'")
                word = tail if len(head) <= 2 else head
            if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
                continue
            latin_words.append(_stem(word))
            continue
        flush_latin()
        if kind == "hangul":
            tokens.extend(_bigrams(run))
        else:
            tokens.extend(_bigrams(run))
            tokens.extend(_KATAKANA_WORD.findall(run))
    flush_latin()
    return tokens


def script_counts(text: str) -> dict[str, int]:
    counts = {"hangul": 0, "kana": 0, "han": 0, "latin": 0}
    for ch in text:
        code = ord(ch)
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            counts["hangul"] += 1
        elif 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
            counts["kana"] += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            counts["han"] += 1
        elif ch.isalpha() and code < 0x2000:
            counts["latin"] += 1
    return counts


def normalize_question(text: str) -> str:
    """A stable key for grouping the same unanswered question asked in different ways."""
    return " ".join(sorted(set(tokenize(text))))[:512] or fold(text).strip()[:512]
