"""Text normalisation, in one place: what counts as "the same text" for the extractor, the versioning
rules, the diff and search. Standard library only.

From weakest to strongest:

- :func:`clean_line`: NFC, invisible characters removed, every run of whitespace one space.
- :func:`clean` / :func:`clean_paragraphs`: the same, but paragraph breaks (blank lines) kept. Two
  texts equal after ``clean`` are the same content: re-encoding, NFC vs NFD, re-wrapping make no
  revision.
- :func:`trivial_fold`: also ignores punctuation, spacing around it and Vietnamese tone-mark placement
  (``hoà`` / ``hòa``). Texts equal after this fold but not after ``clean`` differ trivially.
- :func:`search_fold`: lower case, every diacritic removed and ``đ``/``Đ`` -> ``d`` (SQLite's unicode61
  tokenizer does not fold ``đ``): ``xay dung dang`` finds ``xây dựng Đảng``.
- :func:`compare_fold`: ``search_fold`` with punctuation dropped too: a key to compare a title with a
  block of the body, a caption with a paragraph, a label with a pattern.

The folds map each character through a table built once per character (the exact Unicode
decomposition of that character), so folding a page costs one ``str.translate`` instead of a
decomposition and a Python-level loop over every character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

__all__ = [
    "INVISIBLE",
    "clean",
    "clean_line",
    "clean_paragraphs",
    "compare_fold",
    "search_fold",
    "strip_invisible",
    "tone_canonical",
    "trivial_fold",
]

# Characters that are never text: zero-width spaces and joiners, direction marks, invisible operators,
# the BOM and the soft hyphen (pasted into Vietnamese text by Word, Zalo and CMS editors, where they
# split words invisibly and would make identical text hash differently), and C0/C1 control characters
# other than tab and line breaks (mis-decoded bytes, CMS leftovers). One table for every stage.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad"
    + "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)]))
)
_INVISIBLE_RE = re.compile("[" + re.escape("".join(sorted(INVISIBLE))) + "]")
# any whitespace but a line break (NBSP from `&nbsp;` runs, tabs, thin and ideographic spaces...)
_SPACES = re.compile(r"[^\S\n\r\u2028\u2029\x0b\x0c]+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x0b|\x0c")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Vietnamese tone marks as combining characters (NFD). The vowel-quality marks (circumflex U+0302,
# breve U+0306, horn U+031B) are part of the letter and stay where they are.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"[^\w]+")


def strip_invisible(text: str) -> str:
    """``text`` without the :data:`INVISIBLE` characters."""
    # a regex, not str.translate: translate looks every character of non-ASCII text up in the table
    # (9 ms for a 36 kB page, against 0.6 ms); the result is the same
    return _INVISIBLE_RE.sub("", text)


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def clean_line(text: str | None) -> str:
    """NFC, invisible characters removed, every run of whitespace (line breaks too) one space.

    >>> clean_line("  Lượt\u00a0\u00a0xem\u200b: 1.091 "), clean_line("Ho\u0300a") == "Hòa"
    ('Lượt xem: 1.091', True)
    """
    if not text:
        return ""
    # str.split() splits on every Unicode space (nbsp, thin spaces, line breaks): the fast path
    return " ".join(_nfc(_INVISIBLE_RE.sub("", text)).split())


def clean_paragraphs(text: str | None) -> list[str]:
    """The non-empty paragraphs of ``text`` after :func:`clean`'s rules; a single line break inside a
    paragraph is re-wrapping, not structure, so it becomes a space."""
    if not text:
        return []
    text = _LINE_BREAKS.sub("\n", _nfc(strip_invisible(text)))
    paragraphs = []
    for chunk in _PARAGRAPH_BREAK.split(text):
        para = " ".join(_SPACES.sub(" ", chunk).split())
        if para:
            paragraphs.append(para)
    return paragraphs


def clean(text: str | None) -> str:
    """NFC, invisible characters removed, whitespace collapsed; paragraphs (blank-line separated) kept."""
    if not text:
        return ""
    return "\n\n".join(clean_paragraphs(text))


def tone_canonical(word: str) -> str:
    """``word`` with its tone mark moved to the end of the word (in NFD), so that the old and new
    placements (``hoà`` / ``hòa``) compare equal while different tones (``hòa`` / ``hóa``) do not."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if not tones:
        return unicodedata.normalize("NFC", word)
    base = "".join(c for c in decomposed if c not in _TONES)
    return base + "".join(tones)


def trivial_fold(text: str | None) -> str:
    """``text`` reduced to its words with canonical tone placement: punctuation and spacing ignored."""
    cleaned = unicodedata.normalize("NFC", strip_invisible(text or ""))
    return " ".join(tone_canonical(w) for w in _WORD.findall(cleaned))


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each character the first time it is met: NFD, marks
    dropped (``drop`` says which), ``đ`` -> ``d``. A character's fold never depends on its neighbours
    once its marks are dropped, so folding character by character equals folding the whole text."""

    def __init__(self, drop: Callable[[str], bool]) -> None:
        super().__init__()
        self.drop = drop

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "đĐ":
            folded = "d" if char == "đ" else "D"
        else:
            folded = "".join(c for c in unicodedata.normalize("NFD", char) if not self.drop(c))
        self[code] = folded
        return folded


# search drops what has a combining class; comparison drops every non-spacing mark
_FOLD = _FoldTable(lambda c: unicodedata.combining(c) != 0)
_COMPARE = _FoldTable(lambda c: unicodedata.category(c) == "Mn")


def search_fold(text: str | None) -> str:
    """Lower case, no diacritics, ``đ`` -> ``d``: the form both documents and queries are indexed in."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", text.translate(_FOLD)).lower()


def _compare_fold(text: str) -> str:
    folded = clean_line(text).casefold().translate(_COMPARE)
    return _NON_WORD.sub(" ", folded).strip()


_compare_fold_cached = lru_cache(maxsize=8192)(_compare_fold)


def compare_fold(text: str) -> str:
    """A comparison key: NFC-tidied, case-folded, diacritics removed, đ -> d, punctuation dropped.

    Used to compare a title with a block of the body, a caption with a paragraph, a label with a
    pattern, where markup may have changed spacing, case, tone-mark placement or punctuation.
    """
    # short strings (titles, lines, labels) repeat across the stages of one page: cache those only,
    # so a crawl of thousands of pages never keeps whole page texts alive in the cache
    return _compare_fold_cached(text) if len(text) <= 300 else _compare_fold(text)
