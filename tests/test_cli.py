"""The command line as a whole: every command documents itself with an example, data commands speak
JSON, and bad input gets one line on stderr and a distinct exit status, never a traceback."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from storage.db import open_archive
from xdd_archive.cli import cli

from .conftest import run_cli


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
    return found


LEAF_COMMANDS = [(path, c) for path, c in all_commands() if not isinstance(c, click.Group)]

# commands that print data must offer --json
DATA_COMMANDS = {
    ("articles",), ("show",), ("history",), ("extract",), ("crawl",), ("diff",), ("changes",), ("search",),
    ("status",), ("config",), ("schedule", "list"), ("schedule", "add"), ("schedule", "remove"),
    ("import-warc",), ("export",), ("demo",),
}


@pytest.mark.parametrize("path,command", LEAF_COMMANDS, ids=[" ".join(p) for p, _ in LEAF_COMMANDS])
def test_every_command_has_help_with_an_example(path, command):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`xdd-archive {' '.join(path)} --help` shows no example"


@pytest.mark.parametrize("path", sorted(DATA_COMMANDS), ids=[" ".join(p) for p in sorted(DATA_COMMANDS)])
def test_data_commands_offer_json(path):
    command = dict(LEAF_COMMANDS)[path]
    assert "--json" in {opt for p in command.params for opt in getattr(p, "opts", [])}


def test_the_readme_names_every_top_level_command():
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in cli.commands if f"xdd-archive {name}" not in readme]
    assert not missing, f"README does not show: {missing}"


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["show", "4242"], 6, "no article matches '4242'"),
        (["crawl", "--site", "nosuchsite"], 2, "unknown site 'nosuchsite'"),
        (["articles", "--db", "/nonexistent/dir/archive.db"], 5, "no archive at /nonexistent/dir/archive.db"),
        (["changes", "--since", "last tuesday"], 2, "--since"),
        (["crawl", "--site", "replica", "--base-url", "ftp://example.org"], 2, "--base-url"),
        (["crawl", "--site", "xaydungdang", "--base-url", "http://127.0.0.1:9"], 2, "pass --allow-private"),
        (["extract", "/nonexistent/page.html", "--url", "http://example.org/a"], 3, "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_status(tmp_path, args, code, message):
    open_archive(str(tmp_path / "archive.db")).dispose()  # an empty archive
    if "--db" not in args:
        args = [*args, "--db", str(tmp_path / "archive.db")] if args[0] != "extract" else args
    done = run_cli(*args, check=code)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xdd-archive: error:"), done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr


def test_reading_commands_never_create_an_archive_at_a_mistyped_path(tmp_path):
    typo = tmp_path / "archvie.db"
    for args in (["articles"], ["status"], ["search", "dang"], ["changes"], ["export", "--format", "jsonl",
                                                                          "--out", str(tmp_path / "x.jsonl")]):
        done = run_cli(*args, "--db", str(typo), check=5)
        assert done.stderr.startswith("xdd-archive: error: no archive at"), done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_page_that_is_not_an_article_exits_4(tmp_path):
    page = tmp_path / "listing.html"
    links = "".join(f'<li><a href="/nhip-cau-ban-doc/bai-{i}-{1000 + i}">Bài viết số {i}</a></li>' for i in range(30))
    page.write_text(f"<html><head><title>Nhịp cầu bạn đọc</title></head><body><ul>{links}</ul></body></html>")
    done = run_cli("extract", str(page), "--url", "https://www.xaydungdang.org.vn/nhip-cau-ban-doc", check=4)
    assert done.stderr.startswith("xdd-archive: error: not an article:")
