"""The reply Markdown as each channel shows it (`bot.formatting`)."""

from __future__ import annotations

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
