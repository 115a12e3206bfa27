"""Settings as command-line flags: the CLI adapts :mod:`xdd_archive.config` (which knows no click) to
options, so each setting's flag, help and default are written once, in ``config.SETTINGS``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from xdd_archive.config import BY_NAME, CONFIG_FILE, ENV_CONFIG, Setting, load_config

__all__ = ["config_option", "setting_option", "with_settings"]

F = TypeVar("F", bound=Callable[..., Any])


def _param(setting: Setting) -> str:
    """The click parameter name of a setting's flag (``crawl.max_requests`` -> ``setting_crawl_max_requests``)."""
    return "setting_" + setting.name.replace(".", "_")


def setting_option(setting: Setting) -> Callable[[F], F]:
    """The flag of one setting, its help ending with its environment variable and default."""
    default = "" if setting.default is None else f"; default {setting.show(setting.default)}"
    return click.option(setting.flag, _param(setting), default=None, metavar=setting.metavar,
                        help=f"{setting.help} [env {setting.env}{default}]")


def config_option(func: F) -> F:
    """``--config PATH``: the settings file (else ``$XDD_CONFIG``, else ``./xdd-archive.toml``)."""
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        default=None,
        help=f"Settings file (TOML). Default: ${ENV_CONFIG}, else ./{CONFIG_FILE} if it exists.",
    )(func)


def with_settings(*names: str) -> Callable[[F], F]:
    """A click decorator: adds ``--config`` and the flags of the named settings, and hands the command
    a resolved :class:`~xdd_archive.config.Config` as ``settings`` instead of the raw flag values."""
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise KeyError(f"unknown settings: {unknown}")

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flags = {name: kwargs.pop(_param(BY_NAME[name])) for name in names}
            kwargs["settings"] = load_config(kwargs.pop("config_path"), flags=flags)
            return func(*args, **kwargs)

        for name in reversed(names):
            wrapper = setting_option(BY_NAME[name])(wrapper)
        return config_option(wrapper)  # type: ignore[return-value]

    return decorate
