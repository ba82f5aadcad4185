"""The `crewbot` command as a newcomer uses it: a subprocess, no config, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def crewbot(*args: str, cwd: Path, stdin: str = "", extra_env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_version_and_help(tmp_path: Path) -> None:
    from bot import __version__

    assert crewbot("--version", cwd=tmp_path).stdout.strip() == f"crewbot {__version__}"
    result = crewbot("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("chat", "ask", "run", "db", "kb"):
        assert command in result.stdout
    assert crewbot(cwd=tmp_path).returncode == 2
    assert crewbot("frobnicate", cwd=tmp_path).returncode == 2


def test_chat_start_then_language_then_menu(tmp_path: Path) -> None:
    result = crewbot("chat", cwd=tmp_path, stdin="/start\n2\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] English" in out and "[2] Tiếng Việt" in out and "[6] Français" in out
    menu = out.split("[6] Français", 1)[1]
    assert "Đã chuyển sang tiếng Việt." in menu
    assert "[1] Giấy phép" in menu or "[1]" in menu
    assert "Permits" not in menu
    assert (tmp_path / "crewbot.db").exists()


def test_chat_answers_drone_question_with_source(tmp_path: Path) -> None:
    """The short answer first, with Details and Sources as the first two choices."""
    result = crewbot("chat", cwd=tmp_path,
                     stdin="Can I fly a drone?\n2\n1\n/quit\nnot read\n")
    assert result.returncode == 0, result.stderr
    answer, sources, details = result.stdout.split("[1] Details")[:3]
    assert "drone" in answer.lower() and "http" not in answer
    assert "[2] Sources" in sources and "http" in sources and "Decree" in sources
    assert "Decree" in details or len(details) > 500  # the body, in sections


def test_chat_korean_question_gets_korean_answer(tmp_path: Path) -> None:
    result = crewbot("chat", cwd=tmp_path, stdin="드론 촬영하려면 허가가 필요한가요?\n")
    assert result.returncode == 0, result.stderr
    hangul = sum(0xAC00 <= ord(ch) <= 0xD7AF for ch in result.stdout)
    assert hangul > 100


def test_chat_lang_option(tmp_path: Path) -> None:
    result = crewbot("chat", "--lang", "ja", cwd=tmp_path, stdin="/menu\n")
    assert result.returncode == 0
    assert "Permits" not in result.stdout


def test_run_without_channel_explains(tmp_path: Path) -> None:
    result = crewbot("run", cwd=tmp_path)
    assert result.returncode == 1
    assert "[telegram] token" in result.stderr and "crewbot chat" in result.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    result = crewbot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "crewbot.db").exists()


def test_kb_check_and_stats_on_shipped_knowledge(tmp_path: Path) -> None:
    check = crewbot("kb", "check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout
    assert "knowledge base OK" in check.stdout
    stats = crewbot("kb", "stats", cwd=tmp_path)
    assert stats.returncode == 0
    assert "location" in stats.stdout and "vendor" in stats.stdout


def test_ask_json_and_batch(tmp_path: Path) -> None:
    one = crewbot("ask", "--json", "Can I fly a drone?", cwd=tmp_path)
    record = json.loads(one.stdout)
    assert record["article"] == "permit.drone" and record["lang"] == "en"
    assert record["escalate"] is False and record["answer_lang"] == "en"
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in [
        {"q": "드론 촬영 허가"}, {"q": "Tell me a joke"}, {"q": "Hội An", "lang": "vi"},
    ]) + "\n", encoding="utf-8")
    result = crewbot("ask", "--json", "--batch", str(batch), cwd=tmp_path)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["lang"] for r in rows] == ["ko", "en", "vi"]
    assert rows[0]["article"] == "permit.drone" and rows[0]["answer_lang"] == "ko"
    assert rows[1]["article"] is None and rows[1]["escalate"] is True
    assert rows[2]["article"] == "location.hoi-an"
    for row in rows:
        assert {"lang", "article", "score", "escalate", "answer_lang", "text"} <= set(row)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "ok"}\nnot json\n', encoding="utf-8")
    failed = crewbot("ask", "--json", "--batch", str(bad), cwd=tmp_path)
    assert failed.returncode == 2 and "bad.jsonl:2" in failed.stderr


def test_kb_gaps_lists_unanswered_questions(tmp_path: Path) -> None:
    crewbot("chat", cwd=tmp_path, stdin="Where can I buy bitcoin?\nWhere can I buy bitcoin?\n")
    result = crewbot("kb", "gaps", cwd=tmp_path)
    assert result.returncode == 0
    assert "bitcoin" in result.stdout and "    2" in result.stdout
