"""Benchmark: peak memory of ``xdd-archive export`` does not grow with the size of the archive.

Builds a 50-article and a 5,000-article archive directly through ``storage.archive.record_capture``
(no crawl: realistic Vietnamese articles from the replica's generator, raw HTML bodies kept, a revisit
that keeps only a digest, edits every 5th article, deletions every 25th), then exports each format from
each archive in a child process (``python -m cli export ...``) and reads that child's peak RSS
(``os.wait4`` rusage ``ru_maxrss``). It prints the figures measured in this one run and the difference
between the two archives; it is a benchmark, not a timed test.

    python bench/export_memory.py                 # 50 vs 5,000 articles
    python bench/export_memory.py --large 2000    # a quicker run
    python bench/export_memory.py --keep DIR      # keep the archives and exports in DIR

:func:`build_archive` is also what the export tests use to make large archives quickly.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage.archive import Content, Extracted, Fetched, record_capture  # noqa: E402
from storage.db import open_archive  # noqa: E402
from xdd_archive.replica.content import Article as ReplicaArticle  # noqa: E402
from xdd_archive.replica.content import generate_articles  # noqa: E402

__all__ = ["ArchiveShape", "build_archive", "page_html"]

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
BASE_URL = "http://127.0.0.1:8765"
FORMATS = (("jsonl", "out.jsonl"), ("csv", "out.csv"), ("markdown", "out.zip"), ("warc", "out.warc.gz"))


@dataclass(frozen=True)
class ArchiveShape:
    """How :func:`build_archive` varies the history: every ``edit_every``-th article gets a second
    revision, every ``gone_every``-th is deleted (404) at the end; every article is revisited once
    unchanged (raw body not kept: only its digest) when ``revisit`` is set."""

    edit_every: int = 5
    gone_every: int = 25
    revisit: bool = True


def page_html(article: ReplicaArticle, *, body_text: str | None = None, views: int = 0) -> bytes:
    """A plain article page for an archived raw body (what the export writes into WARC responses)."""
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in (body_text or article.body_text).split("\n\n"))
    return (
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(article.title)}</title></head>\n<body><article>"
        f"<h1>{html.escape(article.title)}</h1>\n<p class=\"sapo\">{html.escape(article.lead)}</p>\n"
        f"{paragraphs}\n<p class=\"author\">{html.escape(article.author_line or '')}</p>\n"
        f"<p class=\"views\">Lượt xem: {views}</p></article></body></html>\n"
    ).encode()


def _content(article: ReplicaArticle, body_text: str) -> Content:
    return Content(
        title=article.title,
        lead=article.lead,
        body_text=body_text,
        body_markdown=body_text,
        author=article.author,
        source=article.source,
        published_at=article.published_at,
        category=article.category,
        tags=list(article.tags),
        images=[{"url": i.url, "caption": i.caption} for i in article.images],
    )


def build_archive(db: Path | str, articles: int, *, seed: int = 1, shape: ArchiveShape = ArchiveShape(),
                  base_url: str = BASE_URL, batch: int = 250) -> dict[str, int]:
    """Fill a new archive at ``db`` with ``articles`` articles through ``record_capture`` (the
    versioning rules, no crawl, no extraction); returns how many captures of each outcome it made."""
    archive = open_archive(str(db))
    counts: dict[str, int] = {}
    generated = generate_articles(articles, seed=seed)

    def record(session, art: ReplicaArticle, at: datetime, body_text: str | None, views: int,  # type: ignore[no-untyped-def]
               status: int = 200) -> None:
        url = base_url + art.path("old")
        text = body_text if body_text is not None else art.body_text
        body = page_html(art, body_text=text, views=views) if status == 200 else b"<h1>404 Not Found</h1>"
        result = record_capture(
            session,
            site="replica",
            urls=[url],
            keys=[str(art.id)],
            canonical_url=url,
            fetched=Fetched(requested_url=url, final_url=url, fetched_at=at, status=status, body=body,
                            headers={"content-type": "text/html; charset=utf-8",
                                     "etag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"',
                                     "content-length": str(len(body) + 17),  # stale on purpose
                                     "content-encoding": "gzip"}),  # stale: Scrapy decoded it
            extracted=Extracted(content=_content(art, text), views=views, extractor_version="bench")
            if status == 200 else None,
            now=at,
        )
        counts[result.outcome] = counts.get(result.outcome, 0) + 1

    rounds: list[list[tuple[ReplicaArticle, str | None, int, int]]] = [[], [], [], []]
    for i, art in enumerate(generated):
        rounds[0].append((art, None, art.views, 200))
        if shape.revisit:
            rounds[1].append((art, None, art.views + 7, 200))
        if shape.edit_every and i % shape.edit_every == 0:
            edited = art.body_text.replace("Đảng", "Đảng ta", 1) + "\n\nĐoạn bổ sung sau khi biên tập."
            rounds[2].append((art, edited, art.views + 11, 200))
        if shape.gone_every and i % shape.gone_every == 0:
            rounds[3].append((art, None, 0, 404))
    for n, items in enumerate(rounds):
        start = T0 + timedelta(days=n)
        for offset in range(0, len(items), batch):
            with archive.write() as session:
                for k, (art, text, views, status) in enumerate(items[offset:offset + batch], start=offset):
                    record(session, art, start + timedelta(seconds=k), text, views, status)
    archive.dispose()
    return counts


def peak_rss_kib(args: list[str]) -> tuple[int, float]:
    """Run ``python -m cli ARGS`` and return its peak RSS in KiB (``ru_maxrss``) and its seconds."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("XDD_DB", "XDD_NOW")}
    proc = subprocess.Popen([sys.executable, "-m", "xdd_archive.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"export failed ({proc.returncode}): {' '.join(args)}\n{stderr}")
    return usage.ru_maxrss, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=50, help="articles in the small archive (50)")
    parser.add_argument("--large", type=int, default=5000, help="articles in the large archive (5000)")
    parser.add_argument("--keep", type=Path, default=None, help="keep archives and exports in this directory")
    options = parser.parse_args(argv)
    workdir = options.keep or Path(tempfile.mkdtemp(prefix="xdd-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[int, tuple[int, float, int]]] = {}
    for size in (options.small, options.large):
        db = workdir / f"archive-{size}.db"
        if not db.exists():
            started = time.monotonic()
            counts = build_archive(db, size)
            print(f"built {size:>6} articles in {time.monotonic() - started:6.1f} s: {counts}", flush=True)
        for fmt, name in FORMATS:
            out = workdir / f"{size}-{name}"
            rss, seconds = peak_rss_kib(["export", "--db", str(db), "--format", fmt, "--out", str(out)])
            size_bytes = out.stat().st_size
            results.setdefault(fmt, {})[size] = (rss, seconds, size_bytes)
            print(f"  {fmt:<9} {size:>6} articles: peak RSS {rss / 1024:7.1f} MiB, {seconds:6.2f} s, "
                  f"output {size_bytes / 1e6:8.2f} MB", flush=True)
    print()
    print(f"{'format':<9} {'peak RSS small':>15} {'peak RSS large':>15} {'difference':>11} {'ratio':>6}"
          f" {'output ratio':>13}")
    for fmt, by_size in results.items():
        small, large = by_size[options.small], by_size[options.large]
        print(f"{fmt:<9} {small[0] / 1024:>11.1f} MiB {large[0] / 1024:>11.1f} MiB "
              f"{(large[0] - small[0]) / 1024:>7.1f} MiB {large[0] / small[0]:>6.2f} {large[2] / small[2]:>13.0f}")
    if options.keep is None:
        import shutil

        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
