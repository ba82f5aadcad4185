from __future__ import annotations

import contextlib
import io
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
        ('[knowledge]\nreview_max_age_days = 0\n',
         "[knowledge] review_max_age_days: expected a number of days from 1 to 3650, got 0"),
        ('[knowledge]\nreview_max_age_days = "half a year"\n',
         "[knowledge] review_max_age_days: expected an integer, got 'half a year'"),
        ('[nosuch]\nx = 1\n', "[nosuch]: unknown section"),
        ('[bot]\nshutdown_seconds = 0\n', "[bot] shutdown_seconds: expected a number of seconds"),
        ('[staff]\nsla_minutes = 0\n', "[staff] sla_minutes: expected a number of minutes"),
        ('[zalo]\nsignature_window_seconds = 300\n',
         "[zalo] signature_window_seconds: expected at least 46800"),
        ('[desk]\nsecret_key = "abc"\n', "[desk] secret_key: expected 32 bytes"),
        ('[desk]\nsession_minutes = 0\n', "[desk] session_minutes: expected a number"),
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


def one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str | None,
                   env: dict[str, str]) -> str:
    """`crewbot kb stats` in-process: the configuration error it prints, asserted one line."""
    from bot import cli

    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CREWBOT_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = ["kb", "stats"] if body is None else ["--config", write(tmp_path, body), "kb", "stats"]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = cli.main(args)
    lines = stderr.getvalue().splitlines()
    assert code == 2, lines
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    assert lines[0].startswith("crewbot: configuration error: ")
    return lines[0].removeprefix("crewbot: configuration error: ")


WEBHOOK = ('[telegram]\ntoken = "1:abc"\nmode = "webhook"\n'
           'webhook_url = "https://bot.example.gov.vn/telegram/webhook"\n')


@pytest.mark.parametrize("secret", ["A-Za-z0-9_-", "x", "s" * 256])
def test_telegram_webhook_secret_valid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       secret: str) -> None:
    monkeypatch.delenv("CREWBOT_TELEGRAM_WEBHOOK_SECRET", raising=False)
    config = load_config(write(tmp_path, WEBHOOK + f'webhook_secret = "{secret}"\n'))
    assert config.telegram.webhook_secret == secret


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        ("", {}, "{file}: [telegram] webhook_secret: expected 1 to 256 characters of A-Z, a-z, "
                 "0-9, _ and - (Telegram's rule) when mode = 'webhook', got nothing"),
        ('webhook_secret = "a long random string"\n', {},
         "{file}: [telegram] webhook_secret: expected 1 to 256 characters of A-Z, a-z, 0-9, _ "
         "and - (Telegram's rule), got 20 characters including ' '"),
        ('webhook_secret = "' + "s" * 257 + '"\n', {},
         "{file}: [telegram] webhook_secret: expected 1 to 256 characters of A-Z, a-z, 0-9, _ "
         "and - (Telegram's rule), got 257 characters"),
        ("", {"CREWBOT_TELEGRAM_WEBHOOK_SECRET": "pa$$word!"},
         "$CREWBOT_TELEGRAM_WEBHOOK_SECRET: expected 1 to 256 characters of A-Z, a-z, 0-9, _ "
         "and - (Telegram's rule), got 9 characters including '!', '$'"),
    ],
)
def test_telegram_webhook_secret_missing_or_invalid(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: str, env: dict[str, str],
        expected: str) -> None:
    line = one_line_error(monkeypatch, tmp_path, WEBHOOK + extra, env)
    assert line == expected.format(file=tmp_path / "config.toml")
    assert "pa$$word" not in line


def test_telegram_webhook_secret_from_env_alone(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    line = one_line_error(monkeypatch, tmp_path, None, {
        "CREWBOT_TELEGRAM_TOKEN": "1:abc", "CREWBOT_TELEGRAM_MODE": "webhook",
        "CREWBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.gov.vn/hook"})
    assert line.startswith("$CREWBOT_TELEGRAM_WEBHOOK_SECRET: expected 1 to 256 characters")


def test_unknown_crewbot_variable_is_named(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    line = one_line_error(monkeypatch, tmp_path, None, {"CREWBOT_TELEGRAM_TOKN": "1:abc"})
    assert line == ("$CREWBOT_TELEGRAM_TOKN: names no configuration key "
                    "(did you mean $CREWBOT_TELEGRAM_TOKEN?)")
    line = one_line_error(monkeypatch, tmp_path, None, {"CREWBOT_FROBNICATE": "1"})
    assert line.startswith("$CREWBOT_FROBNICATE: names no configuration key (expected "
                           "CREWBOT_<SECTION>_<KEY>")


def test_variables_that_are_not_keys_still_work(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\ndefault_language = "fr"\n')
    monkeypatch.setenv("CREWBOT_CONFIG", path)
    monkeypatch.setenv("CREWBOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CREWBOT_TEST_DATABASE_URL", "postgresql+asyncpg://x@127.0.0.1/test_x")
    monkeypatch.setenv("CREWBOT_ADMIN_API_TOKEN", "t")  # a section name with an underscore
    config = load_config(None)
    assert config.bot.default_language == "fr" and config.admin_api.token == "t"


def test_invalid_value_from_env_names_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    line = one_line_error(monkeypatch, tmp_path, None, {"CREWBOT_TELEGRAM_MODE": "poll"})
    assert line == "$CREWBOT_TELEGRAM_MODE: expected one of 'polling', 'webhook', got 'poll'"
    line = one_line_error(monkeypatch, tmp_path, '[bot]\ndefault_language = "vi"\n',
                          {"CREWBOT_BOT_TIMEZONE": "Mars/Base"})
    assert line.startswith("$CREWBOT_BOT_TIMEZONE: expected an IANA time zone")
    assert "built-in defaults" not in line


@pytest.mark.parametrize(
    ("body", "env", "expected"),
    [
        ('[zalo]\napp_id = "123"\n', {},
         "{file}: [zalo] app_secret, oa_secret_key: missing: a Zalo Official Account "
         "(api = 'oa') needs app_id, app_secret and oa_secret_key, and only app_id is set"),
        ('[zalo]\napp_id = "123"\noa_secret_key = "k"\n', {},
         "{file}: [zalo] app_secret: missing: a Zalo Official Account (api = 'oa') needs "
         "app_id, app_secret and oa_secret_key, and only app_id and oa_secret_key are set"),
        (None, {"CREWBOT_ZALO_APP_SECRET": "s"},
         "$CREWBOT_ZALO_APP_ID, $CREWBOT_ZALO_OA_SECRET_KEY: missing: a Zalo Official Account "
         "(api = 'oa') needs app_id, app_secret and oa_secret_key, and only app_secret is set"),
    ],
)
def test_half_configured_zalo_oa_names_the_missing_keys(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str | None,
        env: dict[str, str], expected: str) -> None:
    line = one_line_error(monkeypatch, tmp_path, body, env)
    assert line == expected.format(file=tmp_path / "config.toml")


def test_complete_zalo_oa_and_zalo_bot_need_no_oa_keys(tmp_path: Path) -> None:
    full = load_config(write(tmp_path, '[zalo]\napp_id = "1"\napp_secret = "s"\n'
                                       'oa_secret_key = "k"\n'))
    assert full.zalo_enabled
    bot = load_config(write(tmp_path, '[zalo]\napi = "bot"\nbot_token = "1:x"\n'))
    assert bot.zalo_enabled


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mysql://crewbot:hunter2@db/crewbot", "'mysql://crewbot:***@db/crewbot'"),
        ("postgresql://crewbot@db/crewbot", "'postgresql://crewbot@db/crewbot'"),
        ("sqlite:///crewbot.db", "'sqlite:///crewbot.db'"),
        ("crewbot.db", "'crewbot.db'"),
    ],
)
def test_unsupported_database_url_is_a_configuration_error(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, shown: str) -> None:
    line = one_line_error(monkeypatch, tmp_path, f'[database]\nurl = "{url}"\n', {})
    assert line == (f"{tmp_path / 'config.toml'}: [database] url: expected "
                    "'sqlite+aiosqlite:///FILE' or "
                    f"'postgresql+asyncpg://USER:PASSWORD@HOST:PORT/NAME', got {shown}")
    assert "hunter2" not in line


def test_missing_knowledge_dir_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    line = one_line_error(monkeypatch, tmp_path, None, {"CREWBOT_KNOWLEDGE_DIR": "kb"})
    assert line == ("$CREWBOT_KNOWLEDGE_DIR: expected the folder holding articles/ and "
                    "vendors/ (empty = the bundled knowledge base), got 'kb' "
                    f"(no folder {str(tmp_path.resolve() / 'kb')!r})")
