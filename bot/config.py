"""Configuration: TOML file, then `CREWBOT_<SECTION>_<KEY>` environment overrides.

Every key is declared once here, with its type and default, so that a typo or a wrong
type fails at start with the file, the key and what was expected, instead of surfacing
as a strange behaviour hours later.
"""

from __future__ import annotations

import base64
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_LANGUAGES = ("en", "vi", "ko", "ja", "zh", "fr")
ENV_PREFIX = "CREWBOT_"
DEFAULTS = "built-in defaults"
# CREWBOT_ variables that are not configuration keys. Every other CREWBOT_ variable must
# name a key: a typo (CREWBOT_TELEGRAM_TOKN) would otherwise leave a channel silently off.
# CREWBOT_TEST_* belong to the test suite (CREWBOT_TEST_DATABASE_URL).
ENV_NOT_KEYS = frozenset({"CREWBOT_CONFIG", "CREWBOT_CACHE_DIR"})
ENV_TEST_PREFIX = "CREWBOT_TEST_"
# Telegram's own rule for setWebhook's secret_token; anything else is refused by
# Telegram at start, so it is refused here first, with the key's name.
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""


class StartupError(Exception):
    """A problem outside the configuration that stops the start (a database server down,
    a port taken, a driver not installed). Its text is the one line the operator reads,
    so the command line prints it as it is instead of a traceback."""


def _choice(*values: str) -> dict[str, Any]:
    return {"choices": values}


def _within(accepts: Callable[[Any], bool], expected: str) -> dict[str, Any]:
    """A number's bounds, with the words the error gives for them."""
    return {"accepts": accepts, "expected": expected}


@dataclass(frozen=True)
class BotConfig:
    default_language: str = field(default="en", metadata=_choice(*SUPPORTED_LANGUAGES))
    languages: list[str] = field(default_factory=lambda: list(SUPPORTED_LANGUAGES))
    timezone: str = "Asia/Ho_Chi_Minh"
    office_hours: str = "Mon-Fri 08:00-17:00"
    # On SIGTERM/SIGINT: how long the batch in hand and the sends in flight may take to
    # finish before the process exits anyway (the next start recovers what is left).
    shutdown_seconds: float = field(default=10.0, metadata=_within(
        lambda v: 0.0 < v <= 600.0, "a number of seconds from 0 (exclusive) to 600"))


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite+aiosqlite:///crewbot.db"


@dataclass(frozen=True)
class KnowledgeConfig:
    dir: str = ""
    answer_threshold: float = field(default=0.32, metadata=_within(
        lambda v: 0.0 <= v <= 1.0, "a number from 0 to 1"))
    # How long "and in Hoi An?" is read with the chat's last topic and place.
    follow_up_minutes: int = field(default=30, metadata=_within(
        lambda v: 0 <= v <= 1440, "a number of minutes from 0 to 1440"))
    # An article's `reviewed` date is when its sources were last checked; `crewbot kb
    # check` warns about articles checked longer ago than this.
    review_max_age_days: int = field(default=180, metadata=_within(
        lambda v: 1 <= v <= 3650, "a number of days from 1 to 3650"))


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    api_base_url: str = "https://api.telegram.org/bot"
    mode: str = field(default="polling", metadata=_choice("polling", "webhook"))
    webhook_url: str = ""
    webhook_secret: str = ""
    poll_timeout: int = 30


@dataclass(frozen=True)
class ZaloConfig:
    api: str = field(default="oa", metadata=_choice("oa", "bot"))
    app_id: str = ""
    app_secret: str = ""
    oa_secret_key: str = ""
    refresh_token: str = ""
    bot_token: str = ""
    api_base_url: str = ""
    oauth_base_url: str = "https://oauth.zaloapp.com"
    webhook_path: str = "/zalo/webhook"
    webhook_secret: str = ""
    mode: str = field(default="polling", metadata=_choice("polling", "webhook"))
    signature_window_seconds: int = field(default=46800, metadata=_within(
        lambda v: v >= 46800, "at least 46800 (13 hours: Zalo re-sends an event with its "
        "first timestamp for 12 hours)"))
    webhook_url: str = ""
    sends_per_second: float = 10.0


@dataclass(frozen=True)
class OutboxConfig:
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    max_attempts: int = 10
    sweep_seconds: float = 5.0


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata=_within(
        lambda v: 0 <= v < 65536, "a port from 0 (any free one) to 65535"))


@dataclass(frozen=True)
class ApplicationsConfig:
    # Calendar days the department has for a decision, counted from the day the file is
    # complete (taken into review), and again from the day requested information arrives.
    decision_days: int = field(default=20, metadata=_within(
        lambda v: 1 <= v <= 365, "a number of days from 1 to 365"))


@dataclass(frozen=True)
class AdminApiConfig:
    token: str = ""


@dataclass(frozen=True)
class StaffConfig:
    telegram_chat_id: int = 0
    staff_ids: list[str] = field(default_factory=list)
    coordinator_ids: list[str] = field(default_factory=list)
    admin_ids: list[str] = field(default_factory=list)
    # An escalation without a staff answer after this long is raised again in the desk.
    sla_minutes: int = field(default=60, metadata=_within(
        lambda v: v >= 1, "a number of minutes, at least 1"))


_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class RemindersConfig:
    # How often a process looks for reminders that fell due (besides waking at the next
    # one it knows of): the most a reminder can be late while the process runs.
    poll_seconds: float = field(default=10.0, metadata=_within(
        lambda v: 0.0 < v <= 300.0, "a number of seconds from 0 (exclusive) to 300"))
    # An occurrence found later than this (every process was down) is not sent, but told
    # to its author; within it, it goes out once after the restart.
    grace_minutes: int = field(default=60, metadata=_within(
        lambda v: 0 <= v <= 10080, "a number of minutes from 0 to 10080 (a week)"))
    # On each member's own clock; an urgent reminder ignores them; "" = none.
    quiet_hours: str = field(default="22:00-07:00", metadata=_within(
        lambda v: v == "" or (bool(_QUIET.match(v)) and v[:5] != v[6:]),
        "a window like '22:00-07:00' (start and end differ), or '' for none"))
    # Automatic reminders from application data, fired at automatic_time in [bot] timezone.
    permit_expiry: bool = True
    requested_items: bool = True
    shoot_start: bool = True
    automatic_time: str = field(default="09:00", metadata=_within(
        lambda v: bool(_CLOCK.match(v)), "a time of day like '09:00'"))


def _desk_key_ok(value: str) -> bool:
    """Empty (the desk is off) or 32 bytes in URL-safe base64, as Fernet wants them."""
    if not value:
        return True
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        return False


@dataclass(frozen=True)
class DeskConfig:
    # The web desk's cookie key: 32 random bytes in URL-safe base64; empty = no web desk.
    # Checked by `_validate_desk`, which does not repeat a wrong key in its message.
    secret_key: str = ""
    session_minutes: int = field(default=60, metadata=_within(
        lambda v: 1 <= v <= 1440, "a number of minutes from 1 to 1440"))
    secure_cookie: bool = True
    poll_seconds: float = field(default=1.0, metadata=_within(
        lambda v: 0.0 < v <= 60.0, "a number of seconds from 0 (exclusive) to 60"))


@dataclass(frozen=True)
class LogConfig:
    level: str = field(default="INFO", metadata=_choice("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class Config:
    bot: BotConfig = field(default_factory=BotConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    zalo: ZaloConfig = field(default_factory=ZaloConfig)
    web: WebConfig = field(default_factory=WebConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    applications: ApplicationsConfig = field(default_factory=ApplicationsConfig)
    admin_api: AdminApiConfig = field(default_factory=AdminApiConfig)
    staff: StaffConfig = field(default_factory=StaffConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    desk: DeskConfig = field(default_factory=DeskConfig)
    log: LogConfig = field(default_factory=LogConfig)
    source: str = DEFAULTS

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram.token)

    @property
    def zalo_enabled(self) -> bool:
        if self.zalo.api == "bot":
            return bool(self.zalo.bot_token)
        return bool(self.zalo.app_id and self.zalo.oa_secret_key)


_SECTIONS = {f.name: f for f in fields(Config) if f.name != "source"}
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _expected(tp: Any) -> str:
    if get_origin(tp) is list:
        (inner,) = get_args(tp)
        return f"a list of {_TYPE_NAMES[inner].removeprefix('a ').removeprefix('an ')}s"
    return _TYPE_NAMES[tp]


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check a TOML value against the declared type; ints are accepted where floats are."""
    if get_origin(tp) is list:
        (inner,) = get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected {_expected(tp)}, got {value!r}")
        return [_coerce(item, inner, where) for item in value]
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected {_expected(tp)}, got {value!r}")
    if not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {_expected(tp)}, got {value!r}")
    return value


def _from_env(raw: str, tp: Any, where: str) -> Any:
    """Parse an environment string into the declared type (lists are comma-separated)."""
    if get_origin(tp) is list:
        (inner,) = get_args(tp)
        items = [item.strip() for item in raw.split(",") if item.strip()]
        return [_from_env(item, inner, where) for item in items]
    if tp is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{where}: expected true or false, got {raw!r}")
    if tp in (int, float):
        try:
            return tp(raw.strip())
        except ValueError:
            raise ConfigError(f"{where}: expected {_expected(tp)}, got {raw!r}") from None
    return raw


_OFFICE_HOURS = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)-(Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
    r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$"
)


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section}_{key}".upper()


@dataclass(frozen=True)
class _Where:
    """Where each key's value came from, so that an error names the place to fix.

    A value from the environment is named by its variable; any other by the file and
    key; a missing value, when there is no file, by the variable that would set it.
    """

    origin: str
    from_env: frozenset[tuple[str, str]]

    def __call__(self, section: str, *keys: str) -> str:
        env = [f"${env_name(section, key)}" for key in keys
               if (section, key) in self.from_env or self.origin == DEFAULTS]
        listed = [key for key in keys
                  if (section, key) not in self.from_env and self.origin != DEFAULTS]
        parts = [f"{self.origin}: [{section}] {', '.join(listed)}"] if listed else []
        return ", ".join(parts + env)


def _hide_password(url: str) -> str:
    return re.sub(r"^([^:/]+://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _secret_problem(secret: str) -> str:
    """What is wrong with a secret, without repeating the secret."""
    if len(secret) > 256:
        return f"got {len(secret)} characters"
    bad = sorted({ch for ch in secret if not TELEGRAM_SECRET.fullmatch(ch)})
    return f"got {len(secret)} characters including " + ", ".join(repr(ch) for ch in bad)


def _validate_knowledge_dir(config: Config, where: _Where) -> None:
    folder = config.knowledge.dir
    if folder and not Path(folder).is_dir():
        resolved = Path(folder).resolve()
        raise ConfigError(
            f"{where('knowledge', 'dir')}: expected the folder holding articles/ and vendors/ "
            f"(empty = the bundled knowledge base), got {folder!r} (no folder {str(resolved)!r})"
        )


def _validate_zalo_oa(config: Config, where: _Where) -> None:
    """An Official Account needs all three of its keys; with some set and others left out,
    the channel would be off (or fail on its first webhook) without saying why."""
    if config.zalo.api != "oa":
        return
    needed = ("app_id", "app_secret", "oa_secret_key")
    given = [key for key in (*needed, "refresh_token") if getattr(config.zalo, key)]
    missing = [key for key in needed if not getattr(config.zalo, key)]
    if given and missing:
        raise ConfigError(
            f"{where('zalo', *missing)}: missing: a Zalo Official Account (api = 'oa') needs "
            f"app_id, app_secret and oa_secret_key, and only {' and '.join(given)} "
            f"{'is' if len(given) == 1 else 'are'} set"
        )


def _validate_telegram(config: Config, where: _Where) -> None:
    telegram = config.telegram
    rule = "1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
    if telegram.webhook_secret and not TELEGRAM_SECRET.fullmatch(telegram.webhook_secret):
        raise ConfigError(f"{where('telegram', 'webhook_secret')}: expected {rule}, "
                          f"{_secret_problem(telegram.webhook_secret)}")
    if telegram.mode != "webhook" or not config.telegram_enabled:
        return
    if not telegram.webhook_url:
        raise ConfigError(
            f"{where('telegram', 'webhook_url')}: expected the public HTTPS URL of the "
            "webhook when mode = 'webhook', got nothing"
        )
    if not telegram.webhook_secret:
        raise ConfigError(f"{where('telegram', 'webhook_secret')}: expected {rule} when "
                          "mode = 'webhook', got nothing")


def _validate_desk(config: Config, where: _Where) -> None:
    key = config.desk.secret_key
    if not _desk_key_ok(key):
        raise ConfigError(
            f"{where('desk', 'secret_key')}: expected 32 bytes in URL-safe base64, made with "
            "python3 -c 'import base64, secrets; print(base64.urlsafe_b64encode("
            "secrets.token_bytes(32)).decode())', or '' for no web desk; "
            f"got {len(key)} characters that are not such a key")


def _validate(config: Config, where: _Where) -> None:
    """Cross-field and format checks that a type alone cannot express."""
    for name in _SECTIONS:
        section = getattr(config, name)
        for f in fields(section):
            choices = f.metadata.get("choices")
            value = getattr(section, f.name)
            accepts = f.metadata.get("accepts")
            if accepts is not None and not accepts(value):
                raise ConfigError(f"{where(name, f.name)}: expected "
                                  f"{f.metadata['expected']}, got {value!r}")
            if choices and value not in choices:
                allowed = ", ".join(repr(c) for c in choices)
                raise ConfigError(
                    f"{where(name, f.name)}: expected one of {allowed}, got {value!r}"
                )
    unknown = [lang for lang in config.bot.languages if lang not in SUPPORTED_LANGUAGES]
    if unknown or not config.bot.languages:
        raise ConfigError(
            f"{where('bot', 'languages')}: expected a non-empty list from "
            f"{', '.join(SUPPORTED_LANGUAGES)}, got {config.bot.languages!r}"
        )
    try:
        ZoneInfo(config.bot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where('bot', 'timezone')}: expected an IANA time zone such as "
            f"'Asia/Ho_Chi_Minh', got {config.bot.timezone!r}"
        ) from None
    if not _OFFICE_HOURS.match(config.bot.office_hours):
        raise ConfigError(
            f"{where('bot', 'office_hours')}: expected a form like 'Mon-Fri 08:00-17:00', "
            f"got {config.bot.office_hours!r}"
        )
    _validate_knowledge_dir(config, where)
    scheme = config.database.url.split("://", 1)[0] if "://" in config.database.url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"{where('database', 'url')}: expected 'sqlite+aiosqlite:///FILE' or "
            "'postgresql+asyncpg://USER:PASSWORD@HOST:PORT/NAME', "
            f"got {_hide_password(config.database.url)!r}"
        )
    _validate_telegram(config, where)
    if config.zalo.sends_per_second <= 0:
        raise ConfigError(
            f"{where('zalo', 'sends_per_second')}: expected a number above 0, "
            f"got {config.zalo.sends_per_second!r}"
        )
    _validate_zalo_oa(config, where)
    _validate_desk(config, where)
    if config.zalo.api == "bot" and config.zalo.mode == "webhook" and config.zalo_enabled:
        if not config.zalo.webhook_url:
            raise ConfigError(
                f"{where('zalo', 'webhook_url')}: expected the public HTTPS URL that reaches "
                "webhook_path when api = 'bot' and mode = 'webhook', got nothing"
            )
        if not 8 <= len(config.zalo.webhook_secret) <= 256:
            raise ConfigError(
                f"{where('zalo', 'webhook_secret')}: expected 8 to 256 characters when "
                f"api = 'bot' and mode = 'webhook', got {len(config.zalo.webhook_secret)}"
            )


def _build_section(
    section_cls: type[Any], values: Mapping[str, Any], origin: str, section: str,
    from_env: set[tuple[str, str]],
) -> Any:
    hints = get_type_hints(section_cls)
    known = {f.name: f for f in fields(section_cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(
                f"{origin}: [{section}] {key}: unknown key (known keys: {', '.join(known)})"
            )
        kwargs[key] = _coerce(value, hints[key], f"{origin}: [{section}] {key}")
    for key, f in known.items():
        variable = env_name(section, key)
        if variable in os.environ:
            kwargs[key] = _from_env(os.environ[variable], hints[key], f"${variable}")
            from_env.add((section, key))
        elif key not in kwargs and f.default is MISSING and f.default_factory is MISSING:
            raise ConfigError(f"{origin}: [{section}] {key}: required")
    return section_cls(**kwargs)


def _check_environment() -> None:
    """Every CREWBOT_ variable must name a key (or be one of ENV_NOT_KEYS)."""
    known = {env_name(section, key) for section, keys in known_keys().items() for key in keys}
    for variable in sorted(os.environ):
        if (not variable.startswith(ENV_PREFIX) or variable in known
                or variable in ENV_NOT_KEYS or variable.startswith(ENV_TEST_PREFIX)):
            continue
        close = difflib.get_close_matches(variable, sorted(known | ENV_NOT_KEYS), n=1,
                                          cutoff=0.8)
        hint = (f"did you mean ${close[0]}?" if close else
                "expected CREWBOT_<SECTION>_<KEY> for a key of config.example.toml, "
                f"or one of {', '.join(sorted(ENV_NOT_KEYS))}")
        raise ConfigError(f"${variable}: names no configuration key ({hint})")


def parse_config(data: Mapping[str, Any], origin: str) -> Config:
    """Build a `Config` from parsed TOML, applying environment overrides."""
    _check_environment()
    sections: dict[str, Any] = {}
    from_env: set[tuple[str, str]] = set()
    for name, value in data.items():
        if name not in _SECTIONS:
            raise ConfigError(
                f"{origin}: [{name}]: unknown section (known sections: {', '.join(_SECTIONS)})"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{origin}: {name}: expected a [{name}] table, got {value!r}")
    hints = get_type_hints(Config)
    for name in _SECTIONS:
        sections[name] = _build_section(hints[name], data.get(name, {}), origin, name,
                                        from_env)
    config = Config(**sections, source=origin)
    _validate(config, _Where(origin, frozenset(from_env)))
    return config


def find_config_path(explicit: str | None) -> Path | None:
    """`--config`, else `$CREWBOT_CONFIG`, else `./config.toml`, else none (defaults)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("CREWBOT_CONFIG")
    if env:
        return Path(env)
    local = Path("config.toml")
    return local if local.exists() else None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_path(explicit)
    if path is None:
        return parse_config({}, DEFAULTS)
    origin = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{origin}: cannot read the configuration file ({exc.strerror})"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{origin}: expected UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: invalid TOML: {exc}") from None
    return parse_config(data, origin)


def known_keys() -> dict[str, list[str]]:
    """Every section and key, for the test that keeps config.example.toml complete."""
    hints = get_type_hints(Config)
    return {name: [f.name for f in fields(hints[name])] for name in _SECTIONS}
