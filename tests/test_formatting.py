"""The reply Markdown as each channel shows it (`bot.formatting`)."""

from __future__ import annotations

import random
import re

from bot import formatting
from bot.formatting import tables_as_lists, to_html, to_plain


def test_a_link_keeps_its_address_whole() -> None:
    """"&" in a query string once reached Telegram as "&amp;amp;", and a Wikipedia
    address lost its closing parenthesis."""
    text = ("- [Công an TP.HCM](http://www.congan.com.vn/?catid=702&id=388656) and "
            "[Cục Điện ảnh](https://vi.wikipedia.org/wiki/C%E1%BB%A5c_(Vi%E1%BB%87t_Nam)).")
    assert to_html(text) == (
        '- <a href="http://www.congan.com.vn/?catid=702&amp;id=388656">Công an TP.HCM</a> and '
        '<a href="https://vi.wikipedia.org/wiki/C%E1%BB%A5c_(Vi%E1%BB%87t_Nam)">Cục Điện ảnh</a>.')
    assert to_plain(text) == (
        "- Công an TP.HCM: http://www.congan.com.vn/?catid=702&id=388656 and "
        "Cục Điện ảnh: https://vi.wikipedia.org/wiki/C%E1%BB%A5c_(Vi%E1%BB%87t_Nam).")


def test_italics_and_what_only_looks_like_them() -> None:
    text = ("The film *Pao's Story* and _Kong_; 5 * 3 * 2; Asia/Ho_Chi_Minh; "
            "https://example.com/_a_/ and <b>")
    assert to_html(text) == (
        "The film <i>Pao's Story</i> and <i>Kong</i>; 5 * 3 * 2; Asia/Ho_Chi_Minh; "
        "https://example.com/_a_/ and &lt;b&gt;")
    assert to_plain(text) == (
        "The film Pao's Story and Kong; 5 * 3 * 2; Asia/Ho_Chi_Minh; "
        "https://example.com/_a_/ and <b>")


def test_bold_and_headings() -> None:
    assert to_html("# Steps\n**Apply** early") == "<b>Steps</b>\n<b>Apply</b> early"
    assert to_plain("# Steps\n**Apply** early") == "Steps\nApply early"


def test_a_table_becomes_a_list() -> None:
    text = "Before\n| Holiday | Days |\n|:---|---:|\n| Tết | 5 |\n| National Day | |\nAfter"
    assert tables_as_lists(text) == "Before\n- Tết (Days: 5)\n- National Day\nAfter"


def test_the_mark_first_patterns_read_as_the_look_behind_first_ones() -> None:
    """Headings and italics are found from their mark, then looked behind (five times
    faster on an article); on any text they replace what the patterns written the plain
    way, a look-behind at every character, replaced."""
    heading = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
    emphasis = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"
                          r"|(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
    rng = random.Random(5)
    texts = ["# A\n## B\n####### C\n #D\nx # E", "*a* x*b* **c** _d_ e_f_g (*h*) é*i*"]
    texts += ["".join(rng.choice("#*_ \n\tab1é[]()-") for _ in range(rng.randint(0, 14)))
              for _ in range(20_000)]
    for text in texts:
        assert formatting._HEADING.sub(r"<\1>", text) == heading.sub(r"<\1>", text)
        assert formatting._EMPHASIS.sub(r"<\1\2>", text) == emphasis.sub(r"<\1\2>", text)
