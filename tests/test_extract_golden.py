"""Golden extraction cases: one folder per page under ``tests/golden/<case>/``.

Each folder holds ``page.html`` (the input, raw bytes), ``url.txt`` (the page URL), ``expected.json``
(the fields to check) and optionally ``headers.json`` (response headers, e.g. a wrong charset) and
``profile.txt`` (a profile name, or ``none``; by default the profile that owns the URL, if any).

``expected.json`` maps a field of :class:`crawler.extract.Extraction` to either the exact expected value
(datetimes as ISO strings, compared as instants; images as ``[{"url", "caption"}]``) or, for long text,
a matcher object::

    {"startswith": "...", "endswith": "...", "contains": ["..."], "not_contains": ["..."],
     "min_length": 1000, "max_length": 5000, "paragraphs": 22}

(for list fields such as ``warnings`` the matcher sees the items joined by newlines). Each field is one
test (``seed-portal::author``); ``test_golden_case_whole`` re-runs every case and reports all its
mismatches at once. Print one case's extraction as JSON with::

    python -m tests.test_extract_golden seed-portal
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from crawler.extract import Extraction, extract
from crawler.sites import PROFILES, SiteProfile, get_profile

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "expected.json").is_file())
MATCHER_KEYS = {"startswith", "endswith", "contains", "not_contains", "min_length", "max_length", "paragraphs"}
DATETIME_FIELDS = {"published_at", "modified_at"}


def case_profile(folder: Path, url: str) -> SiteProfile | None:
    """The profile named in ``profile.txt`` (``none`` for no profile), else the one owning ``url``."""
    named = folder / "profile.txt"
    if named.is_file():
        name = named.read_text(encoding="utf-8").strip()
        return None if name in ("", "none") else get_profile(name)
    return next((p for p in PROFILES.values() if p.owns(url)), None)


@cache
def run_case(case: str) -> Extraction:
    folder = GOLDEN / case
    url = (folder / "url.txt").read_text(encoding="utf-8").strip()
    headers_file = folder / "headers.json"
    headers = json.loads(headers_file.read_text(encoding="utf-8")) if headers_file.is_file() else None
    return extract(url, (folder / "page.html").read_bytes(), case_profile(folder, url), headers=headers)


def expected_of(case: str) -> dict[str, Any]:
    return json.loads((GOLDEN / case / "expected.json").read_text(encoding="utf-8"))


def actual_field(ex: Extraction, name: str) -> Any:
    value = getattr(ex, name)
    if name == "images":
        return [asdict(image) for image in value]
    return value


def mismatch(name: str, actual: Any, expected: Any) -> str | None:
    """Why ``actual`` does not satisfy ``expected`` for field ``name``; None when it does."""
    if isinstance(expected, dict) and expected and set(expected) <= MATCHER_KEYS:
        if actual is None:
            return f"{name} is None, expected text matching {expected}"
        text = "\n".join(map(str, actual)) if isinstance(actual, list) else str(actual)
        problems = []
        if "startswith" in expected and not text.startswith(expected["startswith"]):
            problems.append(f"does not start with {expected['startswith']!r} (starts {text[:80]!r})")
        if "endswith" in expected and not text.endswith(expected["endswith"]):
            problems.append(f"does not end with {expected['endswith']!r} (ends {text[-80:]!r})")
        contains = expected.get("contains", [])
        for needle in [contains] if isinstance(contains, str) else contains:
            if needle not in text:
                problems.append(f"does not contain {needle!r}")
        not_contains = expected.get("not_contains", [])
        for needle in [not_contains] if isinstance(not_contains, str) else not_contains:
            if needle in text:
                problems.append(f"contains {needle!r}")
        if "min_length" in expected and len(text) < expected["min_length"]:
            problems.append(f"length {len(text)} < {expected['min_length']}")
        if "max_length" in expected and len(text) > expected["max_length"]:
            problems.append(f"length {len(text)} > {expected['max_length']}")
        if "paragraphs" in expected:
            count = len([p for p in text.split("\n\n") if p.strip()])
            if count != expected["paragraphs"]:
                problems.append(f"{count} paragraphs, expected {expected['paragraphs']}")
        return f"{name}: " + "; ".join(problems) if problems else None
    if name in DATETIME_FIELDS and isinstance(expected, str):
        want = datetime.fromisoformat(expected)
        if actual is None or actual.tzinfo is None or actual != want:
            return f"{name}: {actual!r} is not the instant {expected}"
        return None
    if actual != expected:
        return f"{name}: {actual!r} != {expected!r}"
    return None


def _params() -> list[Any]:
    return [pytest.param(case, name, id=f"{case}::{name}") for case in CASES for name in expected_of(case)]


def test_golden_cases_exist() -> None:
    required = {"seed-portal", "old-site", "new-site", "no-author-no-views", "listing", "error-page"}
    assert required <= set(CASES)
    for case in CASES:
        folder = GOLDEN / case
        assert (folder / "page.html").is_file() and (folder / "url.txt").is_file(), case
        assert "not_article" in expected_of(case), f"{case}: every case says whether it is an article"


@pytest.mark.parametrize(("case", "name"), _params())
def test_golden_field(case: str, name: str) -> None:
    problem = mismatch(name, actual_field(run_case(case), name), expected_of(case)[name])
    assert problem is None, problem


@pytest.mark.parametrize("case", CASES)
def test_golden_case_whole(case: str) -> None:
    """The whole case, re-extracted (not cached), every mismatch reported at once."""
    run_case.cache_clear()
    ex = run_case(case)
    problems = [p for name, want in expected_of(case).items() if (p := mismatch(name, actual_field(ex, name), want))]
    assert not problems, "\n".join(problems)
    json.dumps(ex.to_dict(), ensure_ascii=False)  # the CLI prints this


def main(argv: list[str]) -> int:
    for case in argv or CASES:
        print(json.dumps(run_case(case).to_dict(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
