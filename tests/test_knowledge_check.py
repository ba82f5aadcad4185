"""`crewbot kb check` passes on the shipped knowledge base and names file and problem
on broken copies of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.paths import bundled
from bot.services.knowledge import loader

ARTICLES = "articles"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(bundled("knowledge"), root)
    return root


def edit(root: Path, name: str, change: Callable[[str], str]) -> None:
    path = root / ARTICLES / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def problems(root: Path) -> list[str]:
    return [str(p) for p in loader.load(root).problems]


def test_shipped_knowledge_is_clean() -> None:
    content = loader.load(bundled("knowledge"))
    assert content.problems == []
    assert len(content.articles) >= 39
    assert content.vendors and all(v.sample for v in content.vendors)


def test_spec_ids_all_present() -> None:
    spec = Path(__file__).resolve().parents[2] / "shared" / "knowledge-spec.md"
    required = loader.load_required(bundled("knowledge"))
    if spec.exists():
        text = spec.read_text(encoding="utf-8")
        ids = set(re.findall(r"\b((?:permit|visa|customs|contact|practical|location|vendors)"
                             r"\.[a-z-]+|incentives)\b", text))
        ids.discard("vendors.equipment-rental") if "vendors.<category>" in text else None
        assert ids - {"vendors.equipment-rental"} <= set(required)


# The English questions become a bare word and the list moves to an unknown language.
QUESTIONS_BROKEN = ("\nquestions:\n  en:\n", "\nquestions:\n  en: x\n  qq:\n")


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("permit.drone.md", lambda t: t.replace("id: permit.drone\n", "", 1), "missing id"),
        ("permit.drone.md", lambda t: t.replace("category: permits", "category: weather", 1),
         "unknown category 'weather'"),
        ("permit.drone.md", lambda t: re.sub(r"\nreviewed: .*", "", t, count=1),
         "missing reviewed date"),
        ("permit.drone.md", lambda t: re.sub(r"\nsources:(\n  .*)+", "", t, count=1),
         "missing sources"),
        ("permit.drone.md", lambda t: t.replace("<!-- lang: ko -->", "<!-- lang: xx -->"),
         "unknown body language 'xx'"),
        ("location.hoi-an.md", lambda t: re.sub(r"lat: [0-9.]+", "lat: 51.5", t, count=1),
         "bad coordinates"),
        ("permit.drone.md", lambda t: t.replace(*QUESTIONS_BROKEN, 1),
         "questions.en: expected a list"),
        ("permit.drone.md", lambda t: t.replace(*QUESTIONS_BROKEN, 1),
         "questions: unknown language 'qq'"),
        ("location.hoi-an.md", lambda t: re.sub(r"lon: [0-9.]+", "lon: abc", t, count=1),
         "bad coordinates"),
    ],
)
def test_broken_copy_names_file_and_problem(kb_copy: Path, name: str,
                                            change: Callable[[str], str], expected: str) -> None:
    edit(kb_copy, name, change)
    found = problems(kb_copy)
    assert any(name in p and expected in p for p in found), found
    line = next(p for p in found if expected in p)
    assert re.match(rf"knowledge/articles/{re.escape(name)}:\d+: ", line)


def test_empty_body_and_missing_language(kb_copy: Path) -> None:
    def empty_vi(text: str) -> str:
        head, _, rest = text.partition("<!-- lang: vi -->")
        _, marker, tail = rest.partition("<!-- lang:")
        return head + "<!-- lang: vi -->\n\n" + marker + tail
    edit(kb_copy, "permit.fees.md", empty_vi)
    found = problems(kb_copy)
    assert any("permit.fees.md" in p and "empty body for language 'vi'" in p for p in found)
    assert any("permit.fees.md" in p and "missing language 'vi'" in p for p in found)


def test_duplicate_id(kb_copy: Path) -> None:
    source = kb_copy / ARTICLES / "permit.fees.md"
    (kb_copy / ARTICLES / "permit.fees-copy.md").write_text(
        source.read_text(encoding="utf-8"), encoding="utf-8")
    found = problems(kb_copy)
    assert any("permit.fees-copy.md" in p and "does not match the file name" in p
               for p in found)


def test_missing_required_article(kb_copy: Path) -> None:
    (kb_copy / ARTICLES / "visa.crew.md").unlink()
    found = problems(kb_copy)
    assert any("missing id 'visa.crew' required by the spec" in p for p in found)


def test_broken_yaml_points_at_line(kb_copy: Path) -> None:
    edit(kb_copy, "incentives.md", lambda t: t.replace("kind: article", "kind: [article", 1))
    found = problems(kb_copy)
    assert any("incentives.md" in p and "invalid YAML header" in p for p in found)


def test_bad_vendor_entry(kb_copy: Path) -> None:
    path = kb_copy / "vendors" / "casting.yaml"
    text = path.read_text(encoding="utf-8").replace("category: casting", "category: magic", 1)
    path.write_text(text, encoding="utf-8")
    found = problems(kb_copy)
    assert any("vendors/casting.yaml" in p and "unknown category 'magic'" in p for p in found)


def test_cli_exits_1_on_problems(kb_copy: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (kb_copy / ARTICLES / "visa.crew.md").unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    env["CREWBOT_KNOWLEDGE_DIR"] = str(kb_copy)
    result = subprocess.run([sys.executable, "-m", "bot", "kb", "check"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "missing id 'visa.crew'" in result.stdout


def test_chinese_and_japanese_lines_join_without_a_space() -> None:
    """YAML folds a `>-` block's lines with spaces; between Han or kana they are typos."""
    content = loader.load(bundled("knowledge"))
    seam = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff]")
    folded = [a.id for a in content.articles.values()
              for lang in ("zh", "ja") if seam.search(a.summary.get(lang, ""))]
    assert folded == []


def test_canned_replies_need_every_language_and_a_good_name(kb_copy: Path) -> None:
    assert "checking" in loader.load(kb_copy).replies
    (kb_copy / "replies" / "more.yaml").write_text(
        "- name: Bad Name\n  texts: {en: x}\n"
        "- name: half\n  texts: {en: 'Only English', vi: 'Chỉ tiếng Việt'}\n"
        "- name: checking\n  texts: {en: a, vi: a, ko: a, ja: a, zh: a, fr: a}\n",
        encoding="utf-8")
    found = problems(kb_copy)
    assert any("more.yaml" in p and "Bad Name" in p for p in found)
    assert any("'half': missing text in ko, ja, zh, fr" in p for p in found)
    assert any("duplicate reply name 'checking'" in p for p in found)


def test_cli_checks_the_readers_places_and_topics(kb_copy: Path, tmp_path: Path) -> None:
    """A place or topic pointing at an article that does not exist, or a topic without
    words in a shipped language, fails `crewbot kb check` with the file and entry."""
    import os
    import subprocess
    import sys

    places = kb_copy / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8").replace(
        "article: location.sapa", "article: location.sa-pa", 1), encoding="utf-8")
    topics = kb_copy / "topics.yaml"
    topics.write_text(topics.read_text(encoding="utf-8").replace(
        "      ja: [ビザ, 査証, 入国許可, ビザ免除, ノービザ]\n", "", 1), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    env["CREWBOT_KNOWLEDGE_DIR"] = str(kb_copy)
    result = subprocess.run([sys.executable, "-m", "bot", "kb", "check"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout
    assert "places.yaml: sa-pa: no article 'location.sa-pa'" in result.stdout
    assert "topics.yaml: visa: no words in ja" in result.stdout


# `crewbot kb check` on a copy of the shipped knowledge base, named by `[knowledge] dir`.

def kb_cli(root: Path, tmp_path: Path, *args: str,
           extra: str = "") -> subprocess.CompletedProcess[str]:
    config = tmp_path / "crewbot.toml"
    config.write_text(f'[knowledge]\ndir = "{root}"\n{extra}', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "kb", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def body_line(root: Path, name: str, language: str, text: str) -> int:
    """Put `text` at the top of the article's body in `language`; its line number."""
    path = root / ARTICLES / name
    lines = path.read_text(encoding="utf-8").split("\n")
    marker = lines.index(f"<!-- lang: {language} -->")
    lines.insert(marker + 1, text)
    path.write_text("\n".join(lines), encoding="utf-8")
    return marker + 2


def test_kb_check_passes_on_a_copy_of_the_shipped_knowledge(kb_copy: Path,
                                                            tmp_path: Path) -> None:
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 0, result.stdout
    assert re.search(rf"knowledge base OK: \d+ articles, \d+ vendors in {re.escape(str(kb_copy))}",
                     result.stdout)


def test_kb_check_fails_on_an_article_id_in_a_body(kb_copy: Path, tmp_path: Path) -> None:
    line = body_line(kb_copy, "permit.fees.md", "fr", "Voir aussi permit.drone pour les vols.")
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 1
    assert (f"knowledge/articles/permit.fees.md:{line}: body.fr: the id 'permit.drone'"
            in result.stdout)
    assert "1 problem(s)" in result.stderr


def test_kb_check_fails_on_a_table_in_a_summary(kb_copy: Path, tmp_path: Path) -> None:
    edit(kb_copy, "permit.fees.md", lambda t: t.replace(
        "  ko: >-\n", "  ko: |\n    | 비용 | 금액 |\n    |---|---|\n    | 수수료 | 없음 |\n", 1))
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 1
    # A summary is shown as it is: even a whole table is not turned into a list there.
    assert "knowledge/articles/permit.fees.md:23: summary.ko: a Markdown table" in result.stdout
    assert "1 problem(s)" in result.stderr


def test_kb_check_warns_on_a_stale_review_date(kb_copy: Path, tmp_path: Path) -> None:
    edit(kb_copy, "permit.fees.md",
         lambda t: re.sub(r"\nreviewed: .*", "\nreviewed: 2020-01-15", t, count=1))
    line = next(number for number, text in enumerate(
        (kb_copy / ARTICLES / "permit.fees.md").read_text(encoding="utf-8").split("\n"),
        start=1) if text.startswith("reviewed:"))
    result = kb_cli(kb_copy, tmp_path, "check", extra="review_max_age_days = 365\n")
    assert result.returncode == 0, result.stdout
    assert (f"knowledge/articles/permit.fees.md:{line}: warning: reviewed: 2020-01-15 is "
            in result.stdout)
    assert "[knowledge] review_max_age_days (365)" in result.stdout
    assert "knowledge base OK" in result.stdout and "1 warning(s)" in result.stdout


def test_kb_check_fails_on_a_review_date_after_today(kb_copy: Path, tmp_path: Path) -> None:
    edit(kb_copy, "permit.fees.md",
         lambda t: re.sub(r"\nreviewed: .*", "\nreviewed: 2999-01-01", t, count=1))
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 1
    assert "permit.fees.md:" in result.stdout and "reviewed: 2999-01-01 is after today" \
        in result.stdout


def test_kb_check_fails_on_markup_in_other_fields(kb_copy: Path, tmp_path: Path) -> None:
    """A place's note, a title, a source title and a vendor's name and services."""
    edit(kb_copy, "location.hoi-an.md", lambda t: t.replace(
        "    vi: Bay đến Cảng", "    vi: <b>Bay</b> đến Cảng", 1))
    edit(kb_copy, "permit.fees.md", lambda t: t.replace(
        "title: Tạp chí Tài chính,", "title: Tạp chí Tài chính [vi],", 1))
    edit(kb_copy, "incentives.md", lambda t: re.sub(r"\n  ja: (.*)", r"\n  ja: '**\1**'", t,
                                                    count=1))
    vendors = kb_copy / "vendors" / "casting.yaml"
    vendors.write_text(vendors.read_text(encoding="utf-8").replace(
        "    fr: ", "    fr: Voir [le permis](permit.content-review). ", 1), encoding="utf-8")
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 1
    out = result.stdout
    assert "location.hoi-an.md:138: location.access.vi: HTML <b>" in out
    assert "permit.fees.md:129: sources.1.title: markup ([ ])" in out
    assert re.search(r"incentives.md:\d+: title.ja: markup \(\* or _\)", out)
    assert re.search(r"vendors/casting.yaml:\d+: sample-[a-z-]+: services.fr: a link to "
                     r"'permit.content-review', not a web address", out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Bold**, - lists, 1. numbers, [a link](https://vbpl.vn/x?a=1&b=2), *a film*", []),
        ("# A heading\n\nA paragraph.", []),
        ("Rows:\n\n| Day | Date |\n|---|---|\n| Tết | lunar |", []),  # a body's table
        ("Mail staff@example.com or see https://example.com/permit.drone.html", []),
        ("See permit.drone.", ["the id 'permit.drone'"]),
        ("See location.sa-pa (gone).", ["the id 'location.sa-pa'"]),
        ("| a | b |\n| c | d |", ["a Markdown table"]),
        ("line<br>break &nbsp;", ["HTML <br>", "the HTML entity &nbsp;"]),
        ("Use `flycam`.", ["`code`"]),
        ("```\ncode\n```", ["a code block", "a code block"]),
        ("> quoted", ["a quote (>)"]),
        ("above\n\n---\n\nbelow", ["a rule line"]),
        ("![map](https://example.com/map.png)", ["an image"]),
        ("[drone rules](permit.drone)", ["the id 'permit.drone'", "a link to 'permit.drone'"]),
        ("**half bold\n\nnext", ["an unpaired **"]),
    ],
)
def test_what_a_phone_cannot_show(text: str, expected: list[str]) -> None:
    from bot.services.knowledge.review import TextRules

    found = [problem for _line, problem in TextRules(["permit.drone"]).rich(text, body=True)]
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start), found


def test_plain_text_fields_take_no_markup() -> None:
    from bot.services.knowledge.review import TextRules

    rules = TextRules([])
    assert rules.plain("Flying a drone (flycam) — Asia/Ho_Chi_Minh, 5 * 3") == []
    for title in ("**Drones**", "*Drones*", "Drones [2025]", "`drones`", "a | b", "# Drones",
                  "Drones<br>", "see permit.drone"):
        assert rules.plain(title), title


# Sources: a title per language, primary or secondary.

def test_a_source_title_per_language_and_a_type(kb_copy: Path) -> None:
    edit(kb_copy, "permit.fees.md", lambda t: t.replace(
        "  - title: Tạp chí Tài chính, Circular 289/2016/TT-BTC on fees in the cinema sector "
        "(amounts)\n",
        "  - title:\n      en: Circular 289/2016/TT-BTC on fees\n"
        "      vi: Thông tư 289/2016/TT-BTC về phí\n    type: primary\n", 1))
    article = loader.load(kb_copy).articles["permit.fees"]
    source = article.sources[1]
    assert (source.title, source.type) == ("Circular 289/2016/TT-BTC on fees", "primary")
    assert source.title_in("vi") == "Thông tư 289/2016/TT-BTC về phí"
    assert source.title_in("ko") == "Circular 289/2016/TT-BTC on fees"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("  - title: {en: Fees, xx: Phí}\n    url: https://x.gov.vn\n",
         "sources.0.title: unknown language 'xx'"),
        ("  - title: Fees\n    url: https://x.gov.vn\n    type: official\n",
         "sources.0.type: expected primary or secondary, got 'official'"),
        ("  - title: [Fees]\n    url: https://x.gov.vn\n",
         "sources.0.title: expected a text, or one per language"),
    ],
)
def test_bad_sources_are_named(kb_copy: Path, source: str, expected: str) -> None:
    edit(kb_copy, "permit.fees.md", lambda t: t.replace("sources:\n", "sources:\n" + source, 1))
    found = problems(kb_copy)
    assert any("permit.fees.md" in p and expected in p for p in found), found


@pytest.mark.parametrize(
    ("url", "declared", "primary"),
    [
        ("https://cucdienanh.gov.vn", "", True),
        ("https://vnembassy-minsk.mofa.gov.vn/en-us/Pages/default.aspx", "", True),
        ("https://vanban.chinhphu.vn/?pageid=27160&docid=1", "", True),
        ("https://baochinhphu.vn/news-102251143.htm", "", False),
        ("https://thuvienphapluat.vn/van-ban/Van-hoa-Xa-hoi/Luat-Dien-anh-2022-486445.aspx",
         "", True),
        ("https://thuvienphapluat.vn/hoi-dap-phap-luat/324FE-hd-chung-thuc.html", "", False),
        ("https://vi.wikisource.org/wiki/Trang:Cong_bao_Chinh_phu_571_572_nam_2022.pdf/77",
         "", True),
        ("https://e.vnexpress.net/news/travel/x.html", "", False),
        ("https://e.vnexpress.net/news/travel/x.html", "primary", True),
        ("https://cucdienanh.gov.vn/news", "secondary", False),
    ],
)
def test_primary_sources(url: str, declared: str, primary: bool) -> None:
    from bot.services.knowledge.model import Source
    from bot.services.knowledge.sources import is_primary

    assert is_primary(Source("A title", url, type=declared)) is primary


def test_kb_stats_counts_sources_and_names_articles_without_a_primary_one(
        kb_copy: Path, tmp_path: Path) -> None:
    # Every source of one article said to be secondary, whatever its address.
    edit(kb_copy, "permit.fees.md", lambda t: re.sub(
        r"(?m)^(    url: \S+)$", r"\1\n    type: secondary", t))
    sources = (kb_copy / "articles" / "permit.fees.md").read_text(
        encoding="utf-8").count("    type: secondary")
    result = kb_cli(kb_copy, tmp_path, "stats")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()
            if line.startswith(("permit.", "all "))}
    assert sources >= 2 and rows["permit.fees"] == ["0", str(sources)]
    assert rows["permit.drone"][0] != "0"
    primary, secondary = (int(n) for n in rows["all"])
    assert f"sources: {primary + secondary} ({primary} primary, {secondary} secondary)" \
        in result.stdout
    without = next(line for line in result.stdout.splitlines()
                   if line.startswith("articles without a primary source"))
    assert "permit.fees" in without


# The menus' order: knowledge/menus.yaml.

def test_kb_check_fails_on_a_broken_menus_file(kb_copy: Path, tmp_path: Path) -> None:
    path = kb_copy / "menus.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    - permit.fees\n", "    - permit.feez\n", 1)
    text = text.replace('    ja: "現場の実務：天候・祝日・安全"\n', "", 1)
    text += "spare:\n  title: {en: Spare}\n  items: [permit.fees, practical.seasons]\n"
    path.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 1
    out = result.stdout
    feez = lines.index("    - permit.feez") + 1
    assert f"knowledge/menus.yaml:{feez}: permits: no article 'permit.feez'" in out
    assert re.search(r"knowledge/menus.yaml:\d+: practical.title: missing ja \(its button\)",
                     out)
    assert re.search(r"knowledge/menus.yaml:\d+: spare: no menu opens it", out)
    assert re.search(r"knowledge/menus.yaml:\d+: spare: 'practical.seasons' is listed "
                     r"already \(in practical\)", out)
    assert "spare.title: missing vi, ko, ja, zh, fr" in out


def test_kb_check_fails_on_an_article_in_no_menu(kb_copy: Path, tmp_path: Path) -> None:
    path = kb_copy / "menus.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    - incentives\n", "", 1),
                    encoding="utf-8")
    result = kb_cli(kb_copy, tmp_path, "check")
    assert result.returncode == 1
    assert ("knowledge/menus.yaml:1: incentives (incentives) is in no menu" in result.stdout)


def test_without_a_menus_file_the_menus_follow_the_categories(kb_copy: Path,
                                                              tmp_path: Path) -> None:
    from bot.services.knowledge import menus

    (kb_copy / "menus.yaml").unlink()
    assert kb_cli(kb_copy, tmp_path, "check").returncode == 0
    articles = sorted(loader.load(kb_copy).articles.values(), key=lambda a: a.id)
    shown = menus.items(menus.load(kb_copy).menus, "permits", articles)
    assert shown == [a.id for category in menus.CATEGORIES for a in articles
                     if a.category == category]
    assert shown[0] == "permit.after-shoot" and "practical.safety" in shown
