"""Tokenising text from six languages and three kinds of script.

Latin text (English, French, Vietnamese) is folded to lower case without diacritics, so
"Hội An", "Hoi An" and "hoi an" meet; word pairs are kept as extra tokens because
Vietnamese words are mostly two syllables ("giấy phép"). Chinese and Japanese have no
spaces, so runs of Han and kana become character bigrams, and Korean words, which carry
their particles attached ("드론을"), become Hangul bigrams too.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from itertools import pairwise

_TOKEN_RUN = re.compile(
    r"(?P<latin>[0-9a-z]+(?:['’][a-z]+)?)"
    r"|(?P<hangul>[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+)"
    r"|(?P<cjk>[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f々〆ヵヶー]+)"
)

# Letters only Vietnamese writes, of the six languages (French has none of them).
VI_ONLY_LETTERS = frozenset("ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũõãìòýỳíóúá")

# Who the writer is ("we are a film school in Kunming", "I'm a teacher at...", "我们是
# ...电影学院"): a school or a job in the introduction is no question about it.
INTRODUCES = re.compile(r"(?:\b(?:we are an?|we're an?|i am an?|i'm an?|je suis une?"
                        r"|nous sommes une?|je suis professeur|chung toi la|em la|minh la"
                        r"|toi la)\s"
                        r"|我们是|我是|저희는|저는)")
# ... up to a word less than 40 characters after the introduction began
INTRODUCED = re.compile(INTRODUCES.pattern + r"[^.!?。！？\n]{0,40}$")

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
    info infos information informations wondering besoin voudrais voudrions aimerais
    aimerions souhaite souhaitons savoir renseignement renseignements
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


# A dash typed for the katakana long-vowel mark ("ドロ－ン" is "ドローン"), one character for
# one.
_KATAKANA_DASH = re.compile(r"(?<=[\u30a1-\u30fa])[-‐‑–—―](?=[\u30a1-\u30fa])")


@functools.lru_cache(maxsize=1024)  # a message and its sentences are folded dozens of times
def fold(text: str) -> str:
    """Lower case, compatibility forms unified, Latin diacritics removed (đ -> d), a
    dash between katakana read as the long-vowel mark."""
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isascii():
        return text
    return _KATAKANA_DASH.sub("ー", text.translate(_FOLD))


# English and French inflections ("filming", "tourner", "tournez", "coûte"), cut so that
# the verb meets its noun ("film", "tournage" -> "tourn", "coût"). Folded Vietnamese
# syllables never end in these, and short words are left alone.
_LATIN_SUFFIXES = ("ing", "ent", "ed", "er", "ez", "e")


@functools.lru_cache(maxsize=1 << 16)  # a corpus repeats its words: stem each once
def _stem(word: str) -> str:
    """Plural -s, then one common English/French inflection."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) >= 5 and not word[0].isdigit():
        for suffix in _LATIN_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)]
    return word


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _has_final_consonant(syllable: str) -> bool:
    code = ord(syllable) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


# Korean attaches particles and verb endings to the word ("드론을", "촬영하려면"): left on,
# they make bigrams that are grammar, not topic ("을", "려면"), and that differ between the
# question and the article. Suffixes that only follow a final consonant (을, 이, 은, 과) or
# only a vowel (를, 가, 는, 와) are stripped only after such a syllable, so nouns that end
# in those syllables ("국가", "베이") keep their last letter.
_KO_AFTER_CONSONANT = frozenset("이 은 을 과 으로 으로는 으로도 이랑 이나 이라도 이에요 인가요 "
                                "이죠 이고 이면 이라 이라서 이야 이라면".split())
_KO_AFTER_VOWEL = frozenset("가 는 를 와 로 로는 로도 랑 나 라도 예요 라 라서 야 라면".split())
_KO_ANY = frozenset("""
    의 에 에서 에서는 에서도 에게 에게는 한테 께 에는 에도 도 만 까지 부터 처럼 보다 마다 하고
    까지는 부터는 에서만 에만 요 들 들이 들을 들은 들도 들의 들에게 이랑은 이랑도
    나요 까요 어요 아요 해요 여요 워요 세요 네요 지요 죠 데요 는데요 은데요 던데요 는데 은데
    는지 은지 인지 을지 습니까 습니다 니까 니다 려면 으려면 려고 으려고 려는 어야 아야 해야
    어서 아서 해서 으면 하면 면 해도 어도 아도 가요 는가요 은가요 나 을까 을까요 할까요
    는 게 기 고 싶어요 싶은데 싶습니다 싶어 주세요 줘요 줘 드려요 드릴까요
""".split()) - frozenset("는 나 게 기 고".split())
# A two-syllable word ending in these is far more often a noun than a one-syllable word
# with a subject particle.
_KO_NOUN_ENDINGS = frozenset(("가", "이", "요"))
_KO_SUFFIXES = sorted(_KO_AFTER_CONSONANT | _KO_AFTER_VOWEL | _KO_ANY, key=len, reverse=True)
# "하다"/"되다" forms left after an ending ("촬영하", "가능한", "허가되"): the noun is the topic.
_KO_LIGHT_VERB = frozenset("하 할 한 해 했 합 함 되 될 된 돼 됐 됩 됨")
# One-syllable stems that are grammar or filler once the ending is gone (있나요 -> 있).
_KO_STOP = frozenset("""
    있 없 하 해 되 돼 수 것 거 좀 더 안 못 잘 때 싶 받 주 줘 알 뭐 왜 어 그 이 저 제 내 우 또 꼭 다
    및 등 중 번 분 개 쪽 게 건 뿐 할 한 될 된 걸 어디 어떻게 어떤 무엇 무슨 어느 누가 누구
    혹시 보통 저희 우리 제가 그리고 그런데 그럼 정말 너무 이런 그런 이거 그거 여기 거기 지금
    몇 알려 알려주 알고 궁금 문의드
""".split())


def _strip_korean_suffix(word: str) -> str:
    for suffix in _KO_SUFFIXES:
        if len(word) <= len(suffix) or not word.endswith(suffix):
            continue
        if len(word) == 2 and suffix in _KO_NOUN_ENDINGS and word[0] not in _KO_STOP \
                and word[0] not in _KO_LIGHT_VERB:
            continue  # 허가, 휴가, 필요 are nouns, not 허 + a particle or ending
        before = word[-len(suffix) - 1]
        if suffix in _KO_AFTER_CONSONANT and not _has_final_consonant(before):
            continue
        if suffix in _KO_AFTER_VOWEL and _has_final_consonant(before) and not (
                suffix.startswith("로") and ord(before) >= 0xAC00
                and (ord(before) - 0xAC00) % 28 == 8):  # ㄹ-final takes 로: 서울로
            continue
        return word[: -len(suffix)]
    return word


# Sentence endings that may follow a particle ("월부터예요", "서울에서요").
_KO_SENTENCE_ENDS = ("예요", "이에요", "요", "입니다", "이야", "야")


@functools.lru_cache(maxsize=1 << 16)
def _korean_stem(word: str) -> str:
    """One suffix comes off, a second only after a sentence ending (stripping any second
    suffix measured worse), then a light verb."""
    stripped = _strip_korean_suffix(word)
    if stripped != word and word[len(stripped):] in _KO_SENTENCE_ENDS:
        stripped = _strip_korean_suffix(stripped)
    word = stripped
    if len(word) > 2 and word[-1] in _KO_LIGHT_VERB:
        word = word[:-1]
    return word


def _piece_shares(piece: str, words: float) -> list[tuple[str, float]]:
    """Bigrams of a piece of `words` words, each standing for an equal share of them."""
    grams = _bigrams(piece)
    return [(gram, words / len(grams)) for gram in grams]


def _korean_tokens(run: str) -> list[tuple[str, float]]:
    stem = _korean_stem(run)
    if stem in _KO_STOP:
        return []
    # Spaces separate Korean words, so a stem is one word; a lone syllable may be a
    # leftover of grammar rather than a word.
    return _piece_shares(stem, 1.0 if len(stem) > 1 else 0.5)


_JA_PIECE = re.compile(r"[\u3040-\u309f]+|[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9fー]+"
                       r"|[^\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]+")
# Chinese has no spaces, so function words are cut out of the run like Latin stopwords:
# they tell nothing about the topic, and the bigrams across them ("证怎", "摄的") are seams
# between words. Written articles rarely use the colloquial ones (怎么, 那边), which
# would otherwise look rare, hence informative.
_ZH_FUNCTION_WORDS = sorted("""
    怎么样 怎么办 怎么 怎样 什么 哪些 哪里 哪儿 哪个 如何 是否 可以 可不可以 能否 能不能 需不需要
    需要 要不要 有没有 没有 我们 你们 他们 咱们 请问 一下 一般 一个 这个 那个 这些 那些 这边 那边
    这里 那里 比较 大概 具体 还有 还是 或者 以及 因为 所以 如果 应该 是不是 就是 已经 现在 时候
    告诉 知道 想问 请教 麻烦
    的 吗 呢 吧 啊 呀 嘛 了
""".split(), key=len, reverse=True)
_ZH_SPLIT = re.compile("|".join(_ZH_FUNCTION_WORDS))


# Kanji pieces that only frame a Japanese question (教えて, 知りたい, 何か).
_JA_STOP = frozenset("教 知 何 方法 場合 今回 私 私達 弊社 御社 件 質問".split())


def _han_shares(piece: str) -> list[tuple[str, float]]:
    """Han words are mostly two characters: a two-character piece is a word, a longer one
    holds about one word per two characters, a lone character is often half of a verb."""
    if len(piece) == 1:
        return [(piece, 0.5)]
    return _piece_shares(piece, len(piece) / 2)


def _cjk_tokens(run: str) -> list[tuple[str, float]]:
    """Japanese changes script where a word meets its grammar (撮影|したい|です), so each
    kanji, katakana and hiragana piece is tokenised on its own; one-or-two-kana pieces are
    particles (の, で, を) and dropped."""
    tokens: list[tuple[str, float]] = []
    has_kana = any("\u3040" <= ch <= "\u30ff" for ch in run)
    if not has_kana:
        for piece in _ZH_SPLIT.split(run):
            if piece:
                tokens.extend(_han_shares(piece))
        return tokens
    for piece in _JA_PIECE.findall(run):
        first = piece[0]
        if "\u3040" <= first <= "\u309f":
            if len(piece) > 2:  # mostly grammar (ですか, したい): little weight if unknown
                tokens.extend((gram, 0.1) for gram in _bigrams(piece))
        elif "\u30a0" <= first <= "\u30ff" or "\u31f0" <= first <= "\u31ff" or \
                "\uff66" <= first <= "\uff9f":
            # The whole katakana word stands for itself; its bigrams only help partial
            # matches (ドローン操縦士 ~ ドローン).
            tokens.extend((gram, 0.0) for gram in _bigrams(piece))
            if len(piece) >= 2:
                tokens.append((piece, 1.0))
        elif piece not in _JA_STOP:
            tokens.extend(_han_shares(piece))
    return tokens


# The search reads a sentence's tokens three times in a row (its words, their shares, the
# names they spell): the last few texts' are kept for that. An article's text is
# tokenised once, and a long one is not kept; nor are more texts than a search needs
# (while 10,000 articles are indexed, 256 kept sections took 11 MB more at the peak).
TOKENS_KEPT_CHARS = 2000
TOKENS_KEPT = 32


def _tokens_with_shares(text: str) -> tuple[tuple[str, float], ...]:
    if len(text) <= TOKENS_KEPT_CHARS:
        return _kept_tokens_with_shares(text)
    return _read_tokens_with_shares(text)


@functools.lru_cache(maxsize=TOKENS_KEPT)
def _kept_tokens_with_shares(text: str) -> tuple[tuple[str, float], ...]:
    return _read_tokens_with_shares(text)


def _read_tokens_with_shares(text: str) -> tuple[tuple[str, float], ...]:
    folded = fold(text)
    tokens: list[tuple[str, float]] = []
    latin_words: list[str] = []

    def flush_latin() -> None:
        tokens.extend((word, 1.0) for word in latin_words)
        tokens.extend((f"{a}_{b}", 0.0) for a, b in pairwise(latin_words))
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
            tokens.extend(_korean_tokens(run))
        else:
            tokens.extend(_cjk_tokens(run))
    flush_latin()
    return tuple(tokens)


def tokenize(text: str) -> list[str]:
    """Search tokens for any mix of scripts; duplicates kept (term frequency matters)."""
    return [token for token, _ in _tokens_with_shares(text)]


def han_pieces(text: str) -> list[str]:
    """The runs of Han characters tokenised as bigrams (Chinese pieces between function
    words, Japanese kanji pieces), for telling seams from unknown words."""
    pieces: list[str] = []
    for match in _TOKEN_RUN.finditer(fold(text)):
        if match.lastgroup != "cjk":
            continue
        run = match.group()
        if any("\u3040" <= ch <= "\u30ff" for ch in run):
            pieces += [p for p in _JA_PIECE.findall(run) if len(p) > 2 and p[0] > "\u30ff"]
        else:
            pieces += [p for p in _ZH_SPLIT.split(run) if len(p) > 2]
    return pieces


def part_scales(text: str) -> dict[str, float]:
    """Bigrams of a katakana word, which is a token too, each weighing 1/(n-1) of it.

    The bigrams only help partial matches (ドローン操縦士 ~ ドローン); counted fully, an
    unknown loanword like クランクイン would weigh as five known words that match nothing.
    """
    scales: dict[str, float] = {}
    for match in _TOKEN_RUN.finditer(fold(text)):
        if match.lastgroup != "cjk":
            continue
        for piece in _JA_PIECE.findall(match.group()):
            if len(piece) > 2 and "\u30a0" <= piece[0] <= "\u30ff":
                for gram in _bigrams(piece):
                    scales[gram] = min(scales.get(gram, 1.0), 1 / (len(piece) - 1))
    return scales


def unknown_shares(text: str) -> dict[str, float]:
    """How much of one word each token stands for, to weigh tokens the index has never seen.

    An unseen Latin word is an unseen word; an unseen bigram may be a whole word (맛집,
    今日), a part of one, or a seam between two known words, and a word pair only
    repeats its words. Counting each by the share of a word it stands for lets one
    unknown word weigh the same in every script.
    """
    shares: dict[str, float] = {}
    for token, share in _tokens_with_shares(text):
        shares[token] = max(share, shares.get(token, 0.0))
    return shares


# Each script's letters, counted by the regex engine (a Python loop over every character of
# a long message cost several percent of a question's CPU). "Latin" is any other letter
# below U+2000 (Greek and Cyrillic included), as `str.isalpha` tells, less the Hangul jamo.
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_OTHER_LETTER = re.compile("(?=[^\\W\\d_])[^\u1100-\u11ff\u2000-\U0010ffff]")


def script_counts(text: str) -> dict[str, int]:
    return dict(zip(("hangul", "kana", "han", "latin"), _script_counts(text), strict=True))


@functools.lru_cache(maxsize=1024)  # the language of a message is told more than once
def _script_counts(text: str) -> tuple[int, int, int, int]:
    return (len(_HANGUL.findall(text)), len(_KANA.findall(text)), len(_HAN.findall(text)),
            len(_OTHER_LETTER.findall(text)))


def normalize_question(text: str) -> str:
    """A stable key for grouping the same unanswered question asked in different ways."""
    return " ".join(sorted(set(tokenize(text))))[:512] or fold(text).strip()[:512]
