"""Our extractor's rate against plain trafilatura's, on the same pages, measured in one run.

    python bench/extract_speed.py [--articles 100] [--rounds 5] [--profile]

The pages: every article of a replica in each of its three themes (fetched over HTTP from a replica on
127.0.0.1) plus the golden pages. The anchor is ``trafilatura.bare_extraction(html, url=url,
with_metadata=True)`` (trafilatura alone, its defaults: body and metadata); ours is
``crawler.extract.extract`` with the page's profile. Both run single-core in this process: each page is
timed by one then the other, in several rounds, and each page's fastest time counts (the run least
disturbed by other work on the machine). The ratio is trafilatura's time over ours (our rate over its
rate). The goal (issue 12): at least 0.9. ``--profile`` prints where our time goes instead.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extract import extract  # noqa: E402
from crawler.sites import PROFILES, SiteProfile, get_profile  # noqa: E402
from xdd_archive.replica import Replica  # noqa: E402

GOAL = 0.9
Page = tuple[str, bytes, SiteProfile | None]


def replica_pages(articles: int) -> dict[str, list[Page]]:
    """Every article page of a replica in each theme, as served."""
    groups: dict[str, list[Page]] = {}
    for theme in ("old", "new", "portal"):
        with Replica(articles=articles, seed=3, theme=theme) as site:
            profile = get_profile("replica", site.base_url)
            pages = []
            for article_id in site.ids:
                url = site.article_url(article_id)
                with urllib.request.urlopen(url, timeout=10) as resp:
                    pages.append((url, resp.read(), profile))
            groups[f"replica {theme}"] = pages
    return groups


def golden_pages() -> list[Page]:
    """The golden cases' pages with the profile each case names (or the one owning its URL)."""
    pages = []
    for folder in sorted((ROOT / "tests" / "golden").iterdir()):
        if not (folder / "page.html").is_file():
            continue
        url = (folder / "url.txt").read_text(encoding="utf-8").strip()
        named = folder / "profile.txt"
        if named.is_file():
            name = named.read_text(encoding="utf-8").strip()
            profile = None if name in ("", "none") else get_profile(name)
        else:
            profile = next((p for p in PROFILES.values() if p.owns(url)), None)
        pages.append((url, (folder / "page.html").read_bytes(), profile))
    return pages


def trafilatura_once(pages: list[Page]) -> None:
    import trafilatura

    for url, html, _profile in pages:
        trafilatura.bare_extraction(html, url=url, with_metadata=True)


def ours_once(pages: list[Page]) -> None:
    for url, html, profile in pages:
        extract(url, html, profile)


def best_seconds(pages: list[Page], rounds: int) -> tuple[float, float]:
    """(trafilatura's seconds, ours) for ``pages``: each page timed by both in turn, ``rounds`` times, and
    each page's fastest time kept (on a shared machine a page's slow runs are other work's doing)."""
    import trafilatura

    theirs = [float("inf")] * len(pages)
    ours = [float("inf")] * len(pages)
    clock = time.perf_counter
    for _ in range(rounds):
        for i, (url, html, profile) in enumerate(pages):
            started = clock()
            trafilatura.bare_extraction(html, url=url, with_metadata=True)
            middle = clock()
            extract(url, html, profile)
            theirs[i] = min(theirs[i], middle - started)
            ours[i] = min(ours[i], clock() - middle)
    return sum(theirs), sum(ours)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="articles per replica theme (default 100)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; each page's fastest counts (default 5)")
    parser.add_argument("--profile", action="store_true", help="print where our extractor's time goes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    groups = replica_pages(args.articles)
    groups["golden"] = golden_pages()
    every = [page for pages in groups.values() for page in pages]
    trafilatura_once(every[:3])  # warm-up: both load their resources on the first call
    ours_once(every[:3])
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(ours_once, every)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return 0

    figures: dict[str, Any] = {}
    totals = [0.0, 0.0]
    for name, pages in groups.items():
        theirs, ours = best_seconds(pages, args.rounds)
        totals[0] += theirs
        totals[1] += ours
        figures[name] = {"pages": len(pages), "trafilatura_pages_per_s": len(pages) / theirs,
                         "ours_pages_per_s": len(pages) / ours, "ratio": theirs / ours}
    figures["all"] = {"pages": len(every), "trafilatura_pages_per_s": len(every) / totals[0],
                      "ours_pages_per_s": len(every) / totals[1], "ratio": totals[0] / totals[1]}
    if args.json:
        print(json.dumps({"goal": GOAL, "groups": figures}, indent=2))
    else:
        print(f"{'pages':<16}{'n':>5}{'trafilatura p/s':>17}{'ours p/s':>10}{'ratio':>8}   goal >= {GOAL}")
        for name, f in figures.items():
            print(f"{name:<16}{f['pages']:>5}{f['trafilatura_pages_per_s']:>17.1f}{f['ours_pages_per_s']:>10.1f}"
                  f"{f['ratio']:>8.2f}")
    return 0 if figures["all"]["ratio"] >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
