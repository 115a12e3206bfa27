"""The ``changes`` report as people read and send it: the lines that describe each event (shared by
the terminal view), and two documents, Markdown and one self-contained HTML page (inline CSS, no
script, nothing fetched; every value escaped).

Layout, in the order people look: a summary sentence, then silent edits, edits, reverts, removals,
articles back online, and new articles (listed only when the report includes them; else a count).
Each event: when the archive saw it, the article (the archive's id, the site's own id, the title,
its link), then a line per changed short field (old -> new), an excerpt of the first change of the
lead or body, what else changed, the silent-edit verdict, and the command that shows the whole diff.
Times are in the site's zone, labelled (``utc=True``: UTC), to the minute.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from storage.changes import PROSE_FIELDS, SHORT_FIELDS, Change, ChangesReport
from storage.diff import FIELD_LABELS, Op, shown_value
from storage.timespec import human_time, zone_label

__all__ = ["Line", "command_for", "detail_lines", "render_html", "render_markdown", "summary_sentence"]


@dataclass(frozen=True)
class Line:
    """One line under an event: ``label``, then either ``old -> new`` (``arrow``), an excerpt with
    its changes marked (``ops``), or plain ``text``."""

    label: str
    ops: tuple[Op, ...] = ()
    arrow: bool = False
    text: str = ""
    alarm: bool = False  # worth a colour: a silent edit


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary_sentence(report: ChangesReport) -> str:
    """``3 edits (1 silent, 2 cannot be told: no declared modified date), 1 revert, 1 removed,
    40 new articles; 1 trivial change hidden (--all shows it)``."""
    counts = report.counts
    parts = []
    if counts["changed"]:
        notes = []
        if counts["silent"]:
            notes.append(f"{counts['silent']} silent")
        if counts["silent_unknown"]:
            notes.append(f"{counts['silent_unknown']} on pages without a declared modified date: "
                         "silent or not cannot be told")
        parts.append(_plural(counts["changed"], "edit") + (f" ({'; '.join(notes)})" if notes else ""))
    for kind, one, many in (("revert", "revert", None), ("gone", "removed", "removed"),
                            ("republished", "back online", "back online"), ("new", "new article", None)):
        if counts[kind]:
            parts.append(_plural(counts[kind], one, many))
    text = ", ".join(parts) or "nothing"
    hidden = []
    if report.hidden_trivial:
        them = "them" if report.hidden_trivial > 1 else "it"
        hidden.append(f"{_plural(report.hidden_trivial, 'trivial change')} hidden (--all shows {them})")
    if report.hidden_new:
        hidden.append("new articles counted, not listed (--new lists them)")
    return text + ("; " + "; ".join(hidden) if hidden else "")


def command_for(c: Change) -> str | None:
    """The command that shows the event in full."""
    if c.kind in ("changed", "revert") and c.previous is not None and c.revision is not None:
        return f"xdd-archive diff {c.article_id} {c.previous} {c.revision}"
    if c.kind in ("gone", "new", "republished"):
        return f"xdd-archive show {c.article_id}"
    return None


def detail_lines(c: Change, *, utc: bool = False) -> list[Line]:
    """What an event says beyond its headline (see the module docstring)."""
    lines: list[Line] = []
    shown = set()
    for f in c.fields:
        shown.add(f.name)
        if f.name in SHORT_FIELDS:
            old, new = (shown_value(f.name, v, utc=utc) for v in (f.old, f.new))
            lines.append(Line(f.label, (Op("delete", old or "(none)"), Op("insert", new or "(none)")), arrow=True))
        elif f.name in PROSE_FIELDS and f.excerpt:
            lines.append(Line(f.label, f.excerpt))
    others = [FIELD_LABELS.get(n, n) for n in c.changed_fields if n not in shown]
    if others:
        lines.append(Line("Also changed", text=", ".join(others)))
    if c.trivial:
        lines.append(Line("Trivial", text="punctuation, spacing or tone-mark placement only"))
    if c.reverts_to is not None:
        lines.append(Line("Revert", text=f"back to the text of revision {c.reverts_to}"))
    if c.kind in ("changed", "revert"):
        if c.silent == "yes":
            lines.append(Line("Silent edit", text="the modified date the page declares did not move "
                              f"({human_time(c.modified_at, utc=utc)})", alarm=True))
        elif c.silent == "unknown":
            lines.append(Line("Silent?", text="cannot be told: the page declares no modified date"))
    if c.kind == "gone":
        if c.redirect_article_id is not None:
            lines.append(Line("Now", text=f"its URL leads to article {c.redirect_article_id}"))
        elif c.reason:
            lines.append(Line("Why", text=c.reason))
    return lines


def headline(c: Change, *, utc: bool = False) -> str:
    """``2026-11-28 15:35 +07 · article 12 (site id 21075) · revision 2``."""
    parts = [human_time(c.at, utc=utc), f"article {c.article_id} (site id {c.key})"]
    if c.revision is not None and c.kind != "gone":
        parts.append(f"revision {c.revision}")
    return " · ".join(parts)


def _period(report: ChangesReport, utc: bool) -> str:
    where = f" on {report.site}" if report.site else ""
    return f"{human_time(report.since, utc=utc)} → {human_time(report.until, utc=utc)}{where}"


# -- Markdown ---------------------------------------------------------------------------------------

# inline syntax only: every escaped text sits inside a line that starts with our own markup
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str) -> str:
    """Text that Markdown shows as written (its syntax characters escaped, on one line)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_url(url: str) -> str:
    """A URL safe inside ``<...>`` link syntax."""
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20").replace("\n", "")


def _md_ops(ops: tuple[Op, ...], arrow: bool) -> str:
    if arrow:
        return f"~~{_md(ops[0].text)}~~ → **{_md(ops[1].text)}**"
    marks = {"delete": "~~{}~~", "insert": "**{}**", "equal": "{}"}
    # markers hug the words: a space inside ~~ ~~ would break them
    out = []
    for op in ops:
        text = _md(op.text)
        if op.kind != "equal" and text.strip():
            lead, core, trail = text[: len(text) - len(text.lstrip())], text.strip(), text[len(text.rstrip()):]
            out.append(lead + marks[op.kind].format(core) + trail)
        elif op.kind == "equal":
            out.append(text)
    return "".join(out)


def render_markdown(report: ChangesReport, *, utc: bool = False) -> str:
    """The report as Markdown: a heading, the summary, a section per kind, an entry per event."""
    out = [f"# Changes in the archive: {_md(_period(report, utc))}", "", _md(summary_sentence(report)), ""]
    for _name, heading, events in report.sections():
        out += [f"## {_md(heading)} ({len(events)})", ""]
        for c in events:
            out.append(f"### [{_md(c.title or '(no title)')}](<{_md_url(c.url)}>)")
            out.append("")
            out.append(_md(headline(c, utc=utc)))
            out.append("")
            for line in detail_lines(c, utc=utc):
                value = _md(line.text) if line.text else _md_ops(line.ops, line.arrow)
                out.append(f"- **{_md(line.label)}**: {value}")
            command = command_for(c)
            if command:
                out.append(f"- See it: `{command}`")
            out.append("")
    out.append(f"Times are in {'UTC' if utc else 'the site’s local time (Asia/Ho_Chi_Minh, ' + zone_label() + ')'}."
               " Made with xdd-archive.")
    return "\n".join(out) + "\n"


# -- HTML -------------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light dark; --del: #ffd7d5; --ins: #ccf0d4; --muted: #667; --line: #ccd; }
@media (prefers-color-scheme: dark) { :root { --del: #5c2121; --ins: #1e4a2b; --muted: #99a; --line: #445; } }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       margin: 0 auto; padding: 1rem; max-width: 52rem; overflow-wrap: anywhere; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.2rem 0 .2rem; } a { color: inherit; }
.meta, footer { color: var(--muted); font-size: .9rem; } ul { margin: .3rem 0; padding-left: 1.2rem; }
del { background: var(--del); } ins { background: var(--ins); text-decoration: none; }
.alarm { border-left: 4px solid #c33; padding-left: .4rem; } code { font-size: .85rem; }
"""


def _html_ops(ops: tuple[Op, ...], arrow: bool) -> str:
    if arrow:
        return f"<del>{html.escape(ops[0].text)}</del> → <ins>{html.escape(ops[1].text)}</ins>"
    tags = {"delete": "del", "insert": "ins"}
    return "".join(html.escape(op.text) if op.kind == "equal" else
                   f"<{tags[op.kind]}>{html.escape(op.text)}</{tags[op.kind]}>" for op in ops)


def _html_event(c: Change, utc: bool) -> list[str]:
    link = f'<a href="{html.escape(c.url, quote=True)}" rel="noreferrer noopener">{html.escape(c.title or "(no title)")}</a>'
    out = [f"<h3>{link}</h3>", f'<p class="meta">{html.escape(headline(c, utc=utc))}</p>', "<ul>"]
    for line in detail_lines(c, utc=utc):
        value = html.escape(line.text) if line.text else _html_ops(line.ops, line.arrow)
        css = ' class="alarm"' if line.alarm else ""
        out.append(f"<li{css}><strong>{html.escape(line.label)}</strong>: {value}</li>")
    command = command_for(c)
    if command:
        out.append(f"<li>See it: <code>{html.escape(command)}</code></li>")
    out.append("</ul>")
    return out


def render_html(report: ChangesReport, *, utc: bool = False) -> str:
    """The report as one self-contained HTML page, readable on a phone and safe to send on."""
    title = f"Changes in the archive: {_period(report, utc)}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(summary_sentence(report))}</p>",
    ]
    for _name, heading, events in report.sections():
        out.append(f"<section><h2>{html.escape(heading)} ({len(events)})</h2>")
        for c in events:
            out.extend(_html_event(c, utc))
        out.append("</section>")
    zone = "UTC" if utc else f"the site’s local time (Asia/Ho_Chi_Minh, {zone_label()})"
    out.append(f"<footer>Times are in {html.escape(zone)}. Made with xdd-archive.</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
