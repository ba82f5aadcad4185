from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, known_keys, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CREWBOT_CONFIG", raising=False)
    config = load_config(None)
    assert config.database.url.startswith("sqlite+aiosqlite:///")
    assert config.bot.default_language == "en"
    assert not config.telegram_enabled and not config.zalo_enabled
    assert config.source == "built-in defaults"


def test_file_then_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "from-file"\n[web]\nport = 9000\n')
    monkeypatch.setenv("CREWBOT_TELEGRAM_TOKEN", "from-env")
    monkeypatch.setenv("CREWBOT_STAFF_STAFF_IDS", "telegram:1, zalo:abc")
    monkeypatch.setenv("CREWBOT_KNOWLEDGE_ANSWER_THRESHOLD", "0.7")
    config = load_config(path)
    assert config.telegram.token == "from-env"
    assert config.web.port == 9000
    assert config.staff.staff_ids == ["telegram:1", "zalo:abc"]
    assert config.knowledge.answer_threshold == 0.7


def test_config_env_variable_names_the_file(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\ndefault_language = "vi"\n')
    monkeypatch.setenv("CREWBOT_CONFIG", path)
    assert load_config(None).bot.default_language == "vi"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[telegram]\ntokn = "x"\n', "[telegram] tokn: unknown key"),
        ("[web]\nport = \"eighty\"\n", "[web] port: expected an integer, got 'eighty'"),
        ('[telegram]\nmode = "poll"\n', "[telegram] mode: expected one of 'polling', 'webhook'"),
        ('[bot]\nlanguages = ["en", "de"]\n', "[bot] languages"),
        ('[bot]\ntimezone = "Mars/Base"\n', "[bot] timezone"),
        ('[knowledge]\nanswer_threshold = 3\n', "[knowledge] answer_threshold"),
        ('[nosuch]\nx = 1\n', "[nosuch]: unknown section"),
        ("[web\n", "invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(path)
    assert expected in str(error.value)


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWBOT_WEB_PORT", "lots")
    with pytest.raises(ConfigError, match=r"\$CREWBOT_WEB_PORT: expected an integer"):
        parse_config({}, "defaults")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[database]\nurll = "x"\n', "[database] urll: unknown key"),
        ("[web]\nport = true\n", "[web] port: expected an integer"),
    ],
)
def test_cli_bad_config_one_line_exit_2(tmp_path: Path, body: str, fragment: str) -> None:
    path = write(tmp_path, body)
    result = _cli("--config", path, "kb", "check", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert path in lines[0] and fragment in lines[0]


def test_cli_unreadable_config_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = _cli("--config", str(missing), "chat", cwd=tmp_path)
    assert result.returncode == 2
    assert str(missing) in result.stderr and "cannot read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_example_config_documents_every_key() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    data = tomllib.loads(example)
    parse_config(data, "config.example.toml")
    for section, keys in known_keys().items():
        assert section in data, f"[{section}] missing from config.example.toml"
        for key in keys:
            assert key in data[section], f"[{section}] {key} missing from config.example.toml"
    lines = example.splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[number - 1].lstrip().startswith("#"), f"no comment above: {line}"
