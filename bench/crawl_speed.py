"""How fast a crawl archives the replica, and where the time goes, measured in one run.

    python bench/crawl_speed.py [--articles 300]

For each theme it starts a replica, runs one real crawl in a child process (as a user would) into a
fresh SQLite file, and prints pages per second; it also times the extractor alone on the same pages
(median, p95), so the share of extraction in a crawl shows as a ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extract import extract  # noqa: E402
from crawler.sites import get_profile  # noqa: E402
from xdd_archive.replica import Replica  # noqa: E402


def crawl_seconds(base_url: str, db: Path) -> tuple[float, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("XDD_DB", "XDD_NOW", "XDD_CONFIG")}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "xdd_archive.cli", "crawl", "--site", "replica", "--base-url", base_url,
                           "--db", str(db), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    print(f"{'theme':<8} {'articles':>8} {'crawl s':>8} {'pages/s':>8} {'extract median ms':>18} "
          f"{'p95 ms':>7} {'extract share':>14}")
    for theme in ("old", "new", "portal"):
        with Replica(articles=args.articles, seed=3, theme=theme) as site, tempfile.TemporaryDirectory() as tmp:
            seconds, report = crawl_seconds(site.base_url, Path(tmp) / "a.db")
            assert report["stats"]["new_articles"] == args.articles, report
            profile = get_profile("replica", site.base_url)
            pages = [(site.article_url(i), urllib.request.urlopen(site.article_url(i)).read()) for i in site.ids]
            extract(*pages[0], profile)  # warm-up: trafilatura's first call loads its resources
            times = []
            for url, html in pages:
                t = time.perf_counter()
                extract(url, html, profile)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            median, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
            share = sum(times) / 1000 / seconds
            requests = report["stats"]["requests"]
            print(f"{theme:<8} {args.articles:>8} {seconds:>8.1f} {requests / seconds:>8.0f} {median:>18.1f} "
                  f"{p95:>7.1f} {share:>13.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
