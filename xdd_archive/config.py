"""Settings: each declared once (name, kind, default, help, environment variable, flag), resolved with
flags > environment > file > defaults, and able to say where each value came from.

The optional file is TOML: ``--config PATH``, else ``$XDD_CONFIG``, else ``./xdd-archive.toml`` when it
exists. Its keys are the setting names below, grouped in tables::

    site = "xaydungdang"
    database = "archive.db"          # relative to this file

    [politeness]
    download_delay = 2.0
    concurrency_per_host = 1

    [revisit]
    tiers = "2d=1h, 14d=6h, 91d=1d, 365d=7d"   # articles younger than 2 days: every hour, ...
    oldest = "30d"                             # ...older than the last tier: every 30 days
    jitter = 0.1

    [schedule]
    every = "6h"
    full_every = "7d"

Durations are written ``90s``, ``30m``, ``6h``, ``1h30m``, ``7d``, ``2w`` (a bare number is seconds).
A bad file or value raises :class:`errors.ConfigError` naming the setting and where it came from.
This module knows nothing of the command line: :mod:`xdd_archive.cli.options` turns settings into flags.

Example::

    settings = load_config(flags={"site": "replica", "politeness.download_delay": None})
    settings["site"]            # 'replica'
    settings.origin("site")     # 'flag --site'
    settings.revisit_policy()   # storage.archive.RevisitPolicy built from the revisit.* settings
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from storage.archive import DEFAULT_POLICY, RevisitPolicy
from storage.timespec import format_duration, parse_duration
from xdd_archive.cron import check_crontab
from xdd_archive.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "SETTINGS",
    "Config",
    "Setting",
    "format_duration",
    "load_config",
    "parse_duration",
]

CONFIG_FILE = "xdd-archive.toml"
ENV_CONFIG = "XDD_CONFIG"

# -- value kinds ------------------------------------------------------------------------------------

Tiers = tuple[tuple[timedelta, timedelta], ...]


def parse_tiers(value: Any) -> Tiers:
    """``"2d=1h, 14d=6h"`` (or a TOML table ``{"2d" = "1h"}``): below each age, that interval."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str):
        for part in filter(None, (p.strip() for p in value.split(","))):
            text_age, sep, text_interval = part.partition("=")
            if not sep:
                text_age, sep, text_interval = part.partition(":")
            if not sep:
                raise ValueError(f"expected AGE=INTERVAL pairs such as '2d=1h, 14d=6h', got {part!r}")
            pairs.append((text_age, text_interval))
    else:
        raise ValueError(f"expected AGE=INTERVAL pairs such as '2d=1h, 14d=6h', got {value!r}")
    tiers = tuple((parse_duration(a), parse_duration(i)) for a, i in pairs)
    if not tiers:
        raise ValueError("expected at least one AGE=INTERVAL pair")
    for (age, interval), previous in zip(tiers, (None, *tiers[:-1]), strict=True):
        if interval <= timedelta(0):
            raise ValueError(f"interval {format_duration(interval)} must be longer than zero")
        if previous is not None and age <= previous[0]:
            raise ValueError("ages must increase from one pair to the next")
    return tiers


def format_tiers(tiers: Tiers) -> str:
    return ", ".join(f"{format_duration(a)}={format_duration(i)}" for a, i in tiers)


@dataclass(frozen=True)
class Kind:
    """How a setting's value is read (from TOML, an environment variable or a flag) and shown."""

    name: str
    parse: Callable[[Any], Any]
    show: Callable[[Any], str] = str


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value.strip()


def _number(minimum: float | None = None, maximum: float | None = None) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"expected a number, got {value!r}")
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
            raise ValueError(f"expected a number {bounds}, got {value!r}")
        return number

    return parse


def _integer(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if number < minimum:
            raise ValueError(f"expected a whole number of at least {minimum}, got {value!r}")
        return number

    return parse


def _positive_duration(value: Any) -> timedelta:
    duration = parse_duration(value)
    if duration <= timedelta(0):
        raise ValueError(f"expected a duration longer than zero, got {value!r}")
    return duration


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value)
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _cron(value: Any) -> str:
    text = _text(value)
    try:
        return check_crontab(text)
    except ValueError as exc:
        raise ValueError(f"expected a crontab line such as '0 */6 * * *', got {value!r} ({exc})") from None


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected a time zone name such as Asia/Ho_Chi_Minh or UTC, got {value!r}") from None
    return text


def _url(value: Any) -> str:
    text = _text(value)
    if not re.match(r"^https?://[^/\s]+", text):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return text.rstrip("/")


TEXT = Kind("text", _text)
URL = Kind("url", _url)
DURATION = Kind("duration", _positive_duration, format_duration)
TIERS = Kind("tiers", parse_tiers, format_tiers)
CRON = Kind("crontab", _cron)
TIMEZONE = Kind("time zone", _timezone)


# -- the settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting: its dotted name (the TOML key), kind, default, help, environment variable, flag.

    ``default=None`` means "not set": the crawl then uses the site profile's own value (politeness)
    or the feature is off (a schedule).
    """

    name: str
    kind: Kind
    default: Any
    help: str
    env: str
    flag: str
    metavar: str = "VALUE"

    def parse(self, value: Any, where: str) -> Any:
        """The value, checked; '' and None (from the environment or a flag) mean "not set"."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return self.kind.parse(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {self.name}: {exc}") from None

    def show(self, value: Any) -> str:
        return "-" if value is None else self.kind.show(value)


_POLICY = DEFAULT_POLICY

SETTINGS: tuple[Setting, ...] = (
    Setting("site", TEXT, "xaydungdang", "Site profile to crawl (xaydungdang, replica).",
            "XDD_SITE", "--site", "NAME"),
    Setting("base_url", URL, None, "Crawl a mirror of the site at this URL instead (e.g. a replica).",
            "XDD_BASE_URL", "--base-url", "URL"),
    Setting("database", TEXT, "xdd-archive.db",
            "Archive database: a file path (relative to the config file when set there) or a SQLAlchemy URL.",
            "XDD_DB", "--db", "PATH|URL"),
    Setting("politeness.download_delay", Kind("seconds", _number(0), "{:g}".format), None,
            "Seconds between requests to a host (default: the site profile's, 1 s for the magazine).",
            "XDD_DOWNLOAD_DELAY", "--download-delay", "SECONDS"),
    Setting("politeness.concurrency_per_host", Kind("count", _integer(1)), None,
            "Requests at once per host (default: the site profile's, 2 for the magazine).",
            "XDD_CONCURRENCY_PER_HOST", "--concurrency-per-host", "N"),
    Setting("politeness.user_agent", TEXT, None,
            "User-Agent to send (default: xdd-archive/VERSION with the project's URL); say how to reach you.",
            "XDD_USER_AGENT", "--user-agent", "TEXT"),
    Setting("crawl.max_requests", Kind("count", _integer(1)), None,
            "Stop a crawl after N requests; the next crawl carries on.", "XDD_MAX_REQUESTS", "--max-requests", "N"),
    Setting("crawl.keep_raw", Kind("choice", _choice("changes", "all")), "changes",
            "Keep raw HTML for new revisions and rejections only (changes), or for every capture (all).",
            "XDD_KEEP_RAW", "--keep-raw", "changes|all"),
    Setting("revisit.tiers", TIERS, _POLICY.tiers,
            "Revisit intervals by article age (since publication or the last change): AGE=INTERVAL pairs.",
            "XDD_REVISIT_TIERS", "--revisit-tiers", "PAIRS"),
    Setting("revisit.oldest", DURATION, _POLICY.oldest, "Revisit interval of articles older than the last tier.",
            "XDD_REVISIT_OLDEST", "--revisit-oldest", "DURATION"),
    Setting("revisit.jitter", Kind("share", _number(0, 0.5), "{:g}".format), _POLICY.jitter,
            "Spread revisits by up to this share of the interval, up or down (0 to 0.5).",
            "XDD_REVISIT_JITTER", "--revisit-jitter", "SHARE"),
    Setting("revisit.retry", DURATION, _POLICY.retry, "Try a page that failed or was rejected again after this.",
            "XDD_REVISIT_RETRY", "--revisit-retry", "DURATION"),
    Setting("revisit.gone", DURATION, _POLICY.gone, "Look whether a gone article came back this often.",
            "XDD_REVISIT_GONE", "--revisit-gone", "DURATION"),
    Setting("schedule.every", DURATION, None, "Crawl every DURATION (e.g. 6h; down to seconds, e.g. 2s).",
            "XDD_SCHEDULE_EVERY", "--every", "DURATION"),
    Setting("schedule.cron", CRON, None, "Crawl at the times of this crontab line instead, e.g. '0 */6 * * *'.",
            "XDD_SCHEDULE_CRON", "--cron", "CRONTAB"),
    Setting("schedule.full_every", DURATION, None,
            "Make a scheduled crawl a full pass (--full) when the last successful full crawl is older than this.",
            "XDD_SCHEDULE_FULL_EVERY", "--full-every", "DURATION"),
    Setting("schedule.time_limit", DURATION, timedelta(hours=6),
            "Stop a scheduled crawl that runs longer than this (its run is marked interrupted).",
            "XDD_TIME_LIMIT", "--time-limit", "DURATION"),
    Setting("schedule.misfire_grace", DURATION, timedelta(days=1),
            "A run missed while the daemon was down still happens (once, on restart) if at most this late.",
            "XDD_MISFIRE_GRACE", "--misfire-grace", "DURATION"),
    Setting("schedule.stop_timeout", DURATION, timedelta(seconds=30),
            "How long a stopping crawl may take to close cleanly before it is killed.",
            "XDD_STOP_TIMEOUT", "--stop-timeout", "DURATION"),
    Setting("schedule.timezone", TIMEZONE, None, "Time zone of --cron times (default: this machine's).",
            "XDD_TIMEZONE", "--timezone", "ZONE"),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

# precedence, lowest first
SOURCES = ("default", "file", "env", "flag")


# -- resolution -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Resolved settings: ``config[name]`` is the value, :meth:`origin` where it came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]
    path: Path | None = None
    _origins: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        if name not in BY_NAME:
            raise KeyError(name)
        return self.values[name]

    def source(self, name: str) -> str:
        """``default``, ``file``, ``env`` or ``flag``."""
        return self.sources[name]

    def origin(self, name: str) -> str:
        """Where the value came from, for people: ``default``, ``file PATH``, ``env XDD_X``, ``flag --x``."""
        return self._origins.get(name, self.sources[name])

    def rank(self, name: str) -> int:
        """The precedence of the value's source (higher wins)."""
        return SOURCES.index(self.sources[name])

    def revisit_policy(self) -> RevisitPolicy:
        """The revisit policy the ``revisit.*`` settings describe."""
        return RevisitPolicy(
            tiers=self["revisit.tiers"],
            oldest=self["revisit.oldest"],
            jitter=self["revisit.jitter"],
            retry=self["revisit.retry"],
            gone=self["revisit.gone"],
        )

    def rows(self) -> list[dict[str, Any]]:
        """Every setting with its value as text, source and origin (what ``xdd-archive config`` shows)."""
        return [
            {
                "name": s.name,
                "value": s.show(self.values[s.name]),
                "source": self.sources[s.name],
                "origin": self.origin(s.name),
                "env": s.env,
                "flag": s.flag,
                "help": s.help,
            }
            for s in SETTINGS
        ]


def find_config_file(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file to read: ``path``, else ``$XDD_CONFIG``, else ``./xdd-archive.toml`` if present."""
    env = os.environ if env is None else env
    explicit = path or env.get(ENV_CONFIG) or None
    if explicit:
        found = Path(explicit).expanduser()
        if not found.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return found.resolve()
    default = Path(CONFIG_FILE)
    return default.resolve() if default.is_file() else None


def _flatten(table: Mapping[str, Any], prefix: str, path: Path, out: dict[str, Any]) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if name in BY_NAME:
            out[name] = value
        elif isinstance(value, Mapping):
            _flatten(value, name + ".", path, out)
        else:
            close = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{path}: unknown setting {name!r}{hint}")


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's settings by dotted name, as written (not yet checked)."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    out: dict[str, Any] = {}
    _flatten(data, "", path, out)
    return out


def load_config(
    path: str | Path | None = None,
    *,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Resolve every setting: ``flags`` (by setting name; None means not given) > environment > file > defaults.

    Raises :class:`errors.ConfigError` for a missing explicit file, bad TOML, an unknown key or a bad value.
    """
    env = os.environ if env is None else env
    file = find_config_file(path, env)
    from_file = read_config_file(file) if file is not None else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    origins: dict[str, str] = {}
    for setting in SETTINGS:
        value, source, origin = setting.default, "default", "default"
        raw = from_file.get(setting.name)
        parsed = setting.parse(raw, str(file)) if raw is not None else None
        if parsed is not None:
            if setting.name == "database" and "://" not in parsed:
                # a relative path in the file means: beside the file, wherever the command runs
                parsed = str((file.parent / Path(parsed).expanduser()).resolve())  # type: ignore[union-attr]
            value, source, origin = parsed, "file", f"file {file}"
        parsed = setting.parse(env.get(setting.env), f"environment variable {setting.env}")
        if parsed is not None:
            value, source, origin = parsed, "env", f"env {setting.env}"
        parsed = setting.parse((flags or {}).get(setting.name), f"flag {setting.flag}")
        if parsed is not None:
            value, source, origin = parsed, "flag", f"flag {setting.flag}"
        values[setting.name] = value
        sources[setting.name] = source
        origins[setting.name] = origin
    return Config(values=values, sources=sources, path=file, _origins=origins)
