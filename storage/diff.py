"""Field-level, word-level diffs between two revisions of an article, and their renderings.

What a diff is made of (DESIGN.md, "Versioning rules"):

- prose fields (``title``, ``lead``, ``body``) get a word-level diff that keeps paragraph boundaries:
  paragraphs are aligned first, then each pair of matching paragraphs is diffed word by word. Vietnamese
  words are space-separated syllables, and every punctuation mark is a token of its own, so
  ``Đảng,`` -> ``Đảng.`` changes only the comma;
- list fields (``tags``, ``images``) get the items added and removed (tags are a set; images by URL);
- scalar fields (``author``, ``source``, ``category``, ``published_at``, ``modified_at``) get old -> new.

Texts are compared after :func:`storage.normalize.clean` (NFC, whitespace collapsed), so a re-encoded
or re-wrapped text shows no difference at all, exactly as it makes no revision.

The word diff stays near-linear on long articles: common leading and trailing paragraphs, sentences
and words are trimmed before any matching, paragraphs and then sentences are aligned as whole units
(hashable strings), and :class:`difflib.SequenceMatcher` only ever sees the tokens of one pair of
sentences or of one short paragraph. A 10,000-word body diffs in well under a second.

Renderings: :func:`render_inline` (``[-deleted-]{+inserted+}`` markers), :func:`render_unified` (a
unified diff per field, one paragraph per line) and :func:`render_html` (one self-contained HTML page,
two columns per field). ``RevisionDiff.to_dict()`` is the JSON form: per field, a list of
``equal`` / ``insert`` / ``delete`` operations whose ``equal`` + ``delete`` texts spell the old value and
``equal`` + ``insert`` texts the new one.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, Capture, Revision
from storage.normalize import clean, clean_paragraphs, normal_fields, trivial_fold
from storage.timespec import human_time, zone_label
from xdd_archive.errors import NotFound

__all__ = [
    "DIFF_FIELDS",
    "FIELD_LABELS",
    "FieldDiff",
    "Op",
    "ParagraphDiff",
    "RevisionDiff",
    "capture_times",
    "diff_heading",
    "diff_revisions",
    "diff_text",
    "elided",
    "excerpt",
    "item_label",
    "mark_ops",
    "pick_revisions",
    "render_html",
    "render_inline",
    "render_unified",
    "scalar_ops",
    "shown_value",
    "silent_edit",
    "visible_rows",
    "word_diff",
]

OpKind = Literal["equal", "insert", "delete"]
FieldKind = Literal["text", "list", "scalar"]

#: The fields a diff covers, in display order, with their kind. ``modified_at`` is not content (it is
#: outside the revision hash) but people want to see it move, or not move, with an edit.
DIFF_FIELDS: tuple[tuple[str, FieldKind], ...] = (
    ("title", "text"),
    ("lead", "text"),
    ("body", "text"),
    ("author", "scalar"),
    ("source", "scalar"),
    ("category", "scalar"),
    ("published_at", "scalar"),
    ("modified_at", "scalar"),
    ("tags", "list"),
    ("images", "list"),
)

#: The fields in words, for pages people read (the CLI's inline and unified views keep the names above,
#: which ``--json`` and ``changes --kind`` speak too).
FIELD_LABELS: dict[str, str] = {
    "title": "Title",
    "lead": "Lead (sapo)",
    "body": "Body",
    "author": "Author",
    "source": "Source",
    "category": "Category",
    "published_at": "Published",
    "modified_at": "Modified (as the page declares)",
    "tags": "Tags",
    "images": "Images",
}

DATE_FIELDS = ("published_at", "modified_at")

# A token is a word or one punctuation mark, with the whitespace before it. Keeping that whitespace
# inside the token makes a spacing change ("Đảng ," -> "Đảng,") a visible token change, and makes the
# operations concatenate back to the exact texts.
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])")
# A sentence ends at . ! ? … (and closing quotes or brackets) before a space; the space starts the next.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*(?=\s)")

# Above this many tokens on a side, a paragraph is aligned sentence by sentence before words.
_WORDS_DIRECT = 400
# Paragraph (or sentence) pairing inside a changed block: a full similarity alignment up to this many
# candidate pairs, in-order pairing beyond.
_PAIRING_CELLS = 2_500
# Two units less similar than this are shown as one deleted and one inserted, not as a word salad.
_PAIR_MIN_SIMILARITY = 0.4


# -- operations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One diff operation: ``equal``, ``insert`` or ``delete`` of ``text``."""

    kind: OpKind
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.kind, "text": self.text}


def _merge_ops(ops: Iterable[Op]) -> list[Op]:
    """Adjacent operations of one kind joined, empty ones dropped; a delete always before its insert."""
    out: list[Op] = []
    for op in ops:
        if not op.text:
            continue
        if out and out[-1].kind == op.kind:
            out[-1] = Op(op.kind, out[-1].text + op.text)
        elif op.kind == "delete" and out and out[-1].kind == "insert":
            # keep the canonical order delete-then-insert inside a change
            if len(out) >= 2 and out[-2].kind == "delete":
                out[-2] = Op("delete", out[-2].text + op.text)
            else:
                out.insert(len(out) - 1, op)
        else:
            out.append(op)
    return out


# -- word diff of one paragraph --------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _sentences(text: str) -> list[str]:
    """``text`` cut after each sentence end; the pieces (each but the first starting with its space)
    rejoin to ``text``."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _bag(text: str) -> Counter[str]:
    return Counter(w.strip().lower() for w in _tokens(text))


def _similarity(a: Counter[str], b: Counter[str]) -> float:
    """Share of words two units have in common (0..1): cheap, order-blind, enough to pair them."""
    total = a.total() + b.total()
    if not total:
        return 1.0
    return 2 * (a & b).total() / total


def _pair(olds: Sequence[str], news: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Align two runs of units that differ (a changed block): in-order pairs of similar units, and the
    units left over as deleted (``(i, None)``) or inserted (``(None, j)``)."""
    n, m = len(olds), len(news)
    bags_old, bags_new = [_bag(t) for t in olds], [_bag(t) for t in news]
    if n == m and all(_similarity(x, y) >= _PAIR_MIN_SIMILARITY for x, y in zip(bags_old, bags_new, strict=True)):
        return [(k, k) for k in range(n)]  # the usual case: the same units, edited in place
    if n * m > _PAIRING_CELLS:
        # too many to weigh every pair: pair in order, keeping only the pairs that look alike
        pairs: list[tuple[int | None, int | None]] = []
        for k in range(max(n, m)):
            i = k if k < n else None
            j = k if k < m else None
            if i is not None and j is not None and _similarity(bags_old[i], bags_new[j]) < _PAIR_MIN_SIMILARITY:
                pairs += [(i, None), (None, j)]
            else:
                pairs.append((i, j))
        return pairs
    sim = [[_similarity(a, b) for b in bags_new] for a in bags_old]
    # best[i][j]: the best total similarity aligning olds[i:] with news[j:] (a monotone alignment)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = sim[i][j] + best[i + 1][j + 1] if sim[i][j] >= _PAIR_MIN_SIMILARITY else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    pairs = []
    i = j = 0
    while i < n and j < m:
        if sim[i][j] >= _PAIR_MIN_SIMILARITY and best[i][j] == sim[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    pairs += [(k, None) for k in range(i, n)] + [(None, k) for k in range(j, m)]
    return pairs


def _align_units(
    olds: Sequence[str], news: Sequence[str], inner: Callable[[str, str], list[Op]]
) -> list[tuple[int | None, int | None, list[Op]]]:
    """Units (paragraphs or sentences) matched as wholes, changed blocks paired by similarity and the
    pairs diffed with ``inner``. Returns (old index, new index, ops) in reading order."""
    out: list[tuple[int | None, int | None, list[Op]]] = []
    matcher = difflib.SequenceMatcher(None, olds, news, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [(i1 + k, j1 + k, [Op("equal", olds[i1 + k])]) for k in range(i2 - i1)]
            continue
        for i, j in _pair(olds[i1:i2], news[j1:j2]):
            oi = None if i is None else i1 + i
            nj = None if j is None else j1 + j
            if oi is not None and nj is not None:
                out.append((oi, nj, inner(olds[oi], news[nj])))
            elif oi is not None:
                out.append((oi, None, [Op("delete", olds[oi])]))
            else:
                assert nj is not None
                out.append((None, nj, [Op("insert", news[nj])]))
    return out


def _token_diff(a: list[str], b: list[str]) -> list[Op]:
    """Token lists diffed with common ends trimmed first (most edits touch a few words)."""
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    ops = [Op("equal", "".join(a[:start]))]
    mid_a, mid_b = a[start : len(a) - end], b[start : len(b) - end]
    matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(Op("equal", "".join(mid_a[i1:i2])))
            continue
        ops.append(Op("delete", "".join(mid_a[i1:i2])))
        ops.append(Op("insert", "".join(mid_b[j1:j2])))
    ops.append(Op("equal", "".join(a[len(a) - end :])))
    return _merge_ops(ops)


def _count_tokens(text: str) -> int:
    return len(_tokens(text))


def _absorb_small_equalities(ops: list[Op]) -> list[Op]:
    """A one- or two-token equality between two larger changes (a common syllable such as ``và`` or a
    comma inside a rewritten sentence) is folded into the changes: ``[-a và b-]{+x và y+}`` reads better
    than four interleaved fragments. Two single changed words with one word between them stay apart."""
    changed = True
    while changed:
        changed = False
        # group into runs: equal, or a change (its deleted and inserted text)
        runs: list[tuple[str, str, str]] = []  # ("eq", text, "") or ("chg", deleted, inserted)
        for op in ops:
            if op.kind == "equal":
                runs.append(("eq", op.text, ""))
            elif runs and runs[-1][0] == "chg":
                _, d, i = runs[-1]
                runs[-1] = ("chg", d + op.text, i) if op.kind == "delete" else ("chg", d, i + op.text)
            else:
                runs.append(("chg", op.text, "") if op.kind == "delete" else ("chg", "", op.text))
        for k in range(1, len(runs) - 1):
            kind, text, _ = runs[k]
            if kind != "eq" or runs[k - 1][0] != "chg" or runs[k + 1][0] != "chg":
                continue
            size = _count_tokens(text)
            before = max(_count_tokens(runs[k - 1][1]), _count_tokens(runs[k - 1][2]))
            after = max(_count_tokens(runs[k + 1][1]), _count_tokens(runs[k + 1][2]))
            if size <= 2 and before >= 2 * size and after >= 2 * size:
                _, d1, i1 = runs[k - 1]
                _, d2, i2 = runs[k + 1]
                runs[k - 1 : k + 2] = [("chg", d1 + text + d2, i1 + text + i2)]
                changed = True
                break
        ops = []
        for kind, a, b in runs:
            if kind == "eq":
                ops.append(Op("equal", a))
            else:
                ops += [Op("delete", a), Op("insert", b)]
        ops = _merge_ops(ops)
    return ops


def _tidy_spaces(ops: list[Op]) -> list[Op]:
    """Move the space in front of a changed word out of the change, so that the change holds just the
    words (``Tổ chức [-thống-]{+đoàn+} nhất``), keeping both sides' texts exactly as they were."""
    ops = list(ops)
    k = 0
    while k < len(ops):
        op = ops[k]
        if op.kind == "equal":
            k += 1
            continue
        # the change at k: one delete, one insert, or a delete followed by an insert
        end = k + 1
        if op.kind == "delete" and end < len(ops) and ops[end].kind == "insert":
            end += 1
        change = ops[k:end]
        lead = min(len(c.text) - len(c.text.lstrip()) for c in change)
        if lead and len({c.text[:lead] for c in change}) == 1:
            space = change[0].text[:lead]
            if len(change) == 2:
                # common to both sides: it belongs to the text before the change
                change = [Op(c.kind, c.text[lead:]) for c in change]
                ops[k:end] = [Op("equal", space), *change]
                end += 1
            elif end < len(ops) and ops[end].kind == "equal" and ops[end].text.startswith(space):
                # one side only: slide it, "a" + " X" + " b" == "a " + "X " + "b"
                ops[k:end + 1] = [
                    Op("equal", space),
                    Op(op.kind, op.text[lead:] + space),
                    Op("equal", ops[end].text[lead:]),
                ]
                end += 1
        k = end
    return _merge_ops(ops)


def word_diff(old: str, new: str) -> list[Op]:
    """Word-level operations turning paragraph ``old`` into paragraph ``new`` (both already cleaned)."""
    if old == new:
        return [Op("equal", old)] if old else []
    if not old or not new:
        return _merge_ops([Op("delete", old), Op("insert", new)])
    # a space in front of the first word too, so that it is the same token as anywhere else and
    # deleting the first word does not change the second one ("a" vs " a")
    padded_old, padded_new = " " + old, " " + new
    a, b = _tokens(padded_old), _tokens(padded_new)
    if max(len(a), len(b)) > _WORDS_DIRECT:
        aligned = _align_units(
            _sentences(padded_old), _sentences(padded_new), lambda x, y: _token_diff(_tokens(x), _tokens(y))
        )
        ops = _merge_ops(op for _, _, unit_ops in aligned for op in unit_ops)
    else:
        ops = _token_diff(a, b)
    ops = _tidy_spaces(_absorb_small_equalities(ops))
    return _unpad(ops)


def _unpad(ops: list[Op]) -> list[Op]:
    """Drop the padding space from the start of each side (once where both sides share that op)."""
    out = list(ops)
    first_old = next(k for k, op in enumerate(out) if op.kind != "insert" and op.text)
    first_new = next(k for k, op in enumerate(out) if op.kind != "delete" and op.text)
    for k in dict.fromkeys((first_old, first_new)):
        assert out[k].text.startswith(" "), out
        out[k] = Op(out[k].kind, out[k].text[1:])
    return _merge_ops(out)


# -- prose fields ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParagraphDiff:
    """One row of a prose diff: a paragraph on both sides (with its word diff), or on one side only."""

    old: str | None
    new: str | None
    ops: tuple[Op, ...]

    @property
    def changed(self) -> bool:
        return self.old != self.new


def diff_text(old: str | None, new: str | None) -> list[ParagraphDiff]:
    """Paragraph-aligned word diff of two texts (cleaned first: NFC, whitespace collapsed)."""
    olds, news = clean_paragraphs(old), clean_paragraphs(new)
    rows: list[ParagraphDiff] = []
    for i, j, ops in _align_units(olds, news, word_diff):
        rows.append(
            ParagraphDiff(
                old=None if i is None else olds[i],
                new=None if j is None else news[j],
                ops=tuple(ops),
            )
        )
    return rows


def _flatten(rows: Sequence[ParagraphDiff]) -> list[Op]:
    """The rows as one list of operations, paragraph breaks included as ``\\n\\n`` text: equal where
    both sides have the break, deleted or inserted where only one does."""
    ops: list[Op] = []
    old_started = new_started = False
    for row in rows:
        need_old = row.old is not None and old_started
        need_new = row.new is not None and new_started
        if need_old and need_new:
            ops.append(Op("equal", "\n\n"))
        elif need_old:
            ops.append(Op("delete", "\n\n"))
        elif need_new:
            ops.append(Op("insert", "\n\n"))
        ops += row.ops
        old_started = old_started or row.old is not None
        new_started = new_started or row.new is not None
    return _merge_ops(ops)


# -- fields and revisions --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDiff:
    """The difference in one field between two revisions.

    ``old`` / ``new`` are the values as compared (cleaned text, ISO times, lists). Prose fields carry
    ``paragraphs``; list fields ``added`` / ``removed``. ``trivial`` is True when the field changed
    only in punctuation, spacing or tone-mark placement.
    """

    name: str
    kind: FieldKind
    old: Any
    new: Any
    changed: bool
    trivial: bool = False
    paragraphs: tuple[ParagraphDiff, ...] = ()
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()

    @property
    def ops(self) -> list[Op]:
        """Equal / insert / delete operations for the whole field (list and scalar fields too: their
        values one per line)."""
        if self.kind == "text":
            return _flatten(self.paragraphs)
        old, new = _lines(self.old), _lines(self.new)
        if not self.changed:
            return [Op("equal", old)] if old else []
        return _merge_ops([Op("delete", old), Op("insert", new)])

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "field": self.name,
            "kind": self.kind,
            "changed": self.changed,
            "trivial": self.trivial,
            "old": self.old,
            "new": self.new,
        }
        if self.kind == "list":
            data["added"] = list(self.added)
            data["removed"] = list(self.removed)
        data["ops"] = [op.to_dict() for op in self.ops]
        return data


def _lines(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(item_label(v) for v in value)
    return str(value)


def item_label(item: Any) -> str:
    """A list item as one line: a tag, or an image's URL and caption."""
    if isinstance(item, dict):
        caption = item.get("caption")
        return f"{item.get('url', '')} ({caption})" if caption else str(item.get("url", ""))
    return str(item)


@dataclass(frozen=True)
class RevisionDiff:
    """Every field of two revisions of one article, compared."""

    article_id: int
    old_number: int
    new_number: int
    fields: tuple[FieldDiff, ...]
    old_captured_at: datetime | None = None
    new_captured_at: datetime | None = None

    @property
    def changed(self) -> list[FieldDiff]:
        return [f for f in self.fields if f.changed]

    @property
    def changed_fields(self) -> list[str]:
        """The content fields that changed, as ``revisions.changed_fields`` names them (``modified_at``
        is not content: it shows in ``fields`` but not here)."""
        return [f.name for f in self.changed if f.name != "modified_at"]

    @property
    def silent(self) -> str | None:
        """``yes`` / ``no`` / ``unknown`` (:func:`silent_edit`) when the content changed, else None."""
        if not self.changed_fields:
            return None
        modified = self.get("modified_at")
        return silent_edit(modified.old, modified.new)

    @property
    def trivial(self) -> bool:
        """Every content change is trivial (``modified_at`` alone is no content change)."""
        content = [f for f in self.changed if f.name != "modified_at"]
        return bool(content) and all(f.trivial for f in content)

    def get(self, name: str) -> FieldDiff:
        """The diff of field ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "from": {"revision": self.old_number, "captured_at": _iso(self.old_captured_at)},
            "to": {"revision": self.new_number, "captured_at": _iso(self.new_captured_at)},
            "changed_fields": self.changed_fields,
            "trivial": self.trivial,
            "silent": self.silent,
            "fields": [f.to_dict() for f in self.fields],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def silent_edit(old_modified: datetime | str | None, new_modified: datetime | str | None) -> str:
    """Whether a content change was a silent edit, judged by the modified date the page declares:
    ``yes`` (it did not move), ``no`` (it moved), ``unknown`` (a revision declares none: the old
    site's pages never do, so nothing was claimed and nothing can be told)."""
    if old_modified is None or new_modified is None:
        return "unknown"
    return "yes" if old_modified == new_modified else "no"


def _revision_values(rev: Revision) -> dict[str, Any]:
    """A revision's fields in the form they are compared in (the hash's normal form, plus the raw
    image records and modified_at)."""
    values = normal_fields(
        {
            "title": rev.title,
            "lead": rev.lead,
            "body": rev.body_text,
            "author": rev.author,
            "source": rev.source,
            "published_at": rev.published_at,
            "category": rev.category,
            "tags": list(rev.tags or []),
            "images": list(rev.images or []),
        }
    )
    values["modified_at"] = _iso(rev.modified_at)
    values["tags"] = [t for t in dict.fromkeys(clean(t) for t in rev.tags or []) if t]  # page order
    values["images"] = [
        {"url": (i.get("url") or "").strip(), "caption": clean(i.get("caption")) or None}
        for i in (rev.images or [])
        if isinstance(i, dict) and (i.get("url") or "").strip()
    ]
    for key in ("title", "lead", "body", "author", "source", "category"):
        values[key] = values[key] or None
    return values


def _trivially_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return trivial_fold(a) == trivial_fold(b)
    return False


def _diff_field(name: str, kind: FieldKind, old: Any, new: Any) -> FieldDiff:
    if kind == "text":
        changed = old != new
        return FieldDiff(
            name, kind, old, new, changed,
            trivial=changed and _trivially_equal(old or "", new or ""),
            paragraphs=tuple(diff_text(old, new)),
        )
    if kind == "scalar":
        changed = old != new
        trivial = changed and name in ("author", "source", "category") and _trivially_equal(old or "", new or "")
        return FieldDiff(name, kind, old, new, changed, trivial=trivial)
    # lists: tags compare as a set of cleaned strings, images by URL
    key: Callable[[Any], str] = (lambda i: i["url"]) if name == "images" else (lambda t: t)
    old_keys, new_keys = {key(i) for i in old}, {key(i) for i in new}
    removed = tuple(i for i in old if key(i) not in new_keys)
    added = tuple(i for i in new if key(i) not in old_keys)
    changed = bool(added or removed)
    trivial = (
        changed
        and name == "tags"
        and sorted(trivial_fold(t) for t in old) == sorted(trivial_fold(t) for t in new)
    )
    return FieldDiff(name, kind, old, new, changed, trivial=trivial, added=added, removed=removed)


def diff_revisions(
    old: Revision,
    new: Revision,
    *,
    old_captured_at: datetime | None = None,
    new_captured_at: datetime | None = None,
) -> RevisionDiff:
    """Compare every field of two revisions (usually of one article, older first)."""
    a, b = _revision_values(old), _revision_values(new)
    fields = tuple(_diff_field(name, kind, a[name], b[name]) for name, kind in DIFF_FIELDS)
    return RevisionDiff(
        article_id=new.article_id,
        old_number=old.number,
        new_number=new.number,
        fields=fields,
        old_captured_at=old_captured_at,
        new_captured_at=new_captured_at,
    )


def pick_revisions(
    session: Session, article: Article, old: int | None = None, new: int | None = None
) -> tuple[Revision, Revision]:
    """The two revisions ``diff ARTICLE [OLD [NEW]]`` compares: by default the one before the current
    and the current; with ``old`` alone, ``old`` against the current. Raises NotFound when a number does
    not exist or the article has nothing to compare yet."""
    numbers = list(session.scalars(select(Revision.number).where(Revision.article_id == article.id)))
    if not numbers:
        raise NotFound(f"article {article.id} has no revision yet (every capture so far was rejected)")

    def get(number: int) -> Revision:
        rev = session.scalar(select(Revision).where(Revision.article_id == article.id, Revision.number == number))
        if rev is None:
            have = ", ".join(str(n) for n in sorted(numbers))
            raise NotFound(f"article {article.id} has no revision {number} (it has {have})")
        return rev

    current = article.current_revision or get(max(numbers))
    new_rev = current if new is None else get(new)
    if old is None:
        earlier = [n for n in numbers if n < new_rev.number]
        if not earlier:
            raise NotFound(
                f"article {article.id} has no revision before {new_rev.number}: nothing to compare yet"
            )
        return get(max(earlier)), new_rev
    return get(old), new_rev


def capture_times(session: Session, *revisions: Revision) -> list[datetime | None]:
    """When each revision was first captured (its first capture's fetch time, else its creation)."""
    times: list[datetime | None] = []
    for rev in revisions:
        fetched = session.scalar(select(Capture.fetched_at).where(Capture.id == rev.first_capture_id)) \
            if rev.first_capture_id else None
        times.append(fetched or rev.created_at)
    return times


# -- renderings ----------------------------------------------------------------------------------------


def _plain_delete(text: str) -> str:
    return f"[-{text}-]"


def _plain_insert(text: str) -> str:
    return f"{{+{text}+}}"


def mark_ops(
    ops: Iterable[Op],
    *,
    delete: Callable[[str], str] = _plain_delete,
    insert: Callable[[str], str] = _plain_insert,
) -> str:
    """Operations as one text with changes wrapped by ``delete`` / ``insert``; a change that spans a
    paragraph break is wrapped per paragraph so that markers never straddle a blank line."""
    out: list[str] = []
    for op in ops:
        if op.kind == "equal":
            out.append(op.text)
            continue
        wrap = delete if op.kind == "delete" else insert
        pieces = op.text.split("\n\n")
        out.append("\n\n".join(wrap(p) if p else "" for p in pieces))
    return "".join(out)


def _field_title(f: FieldDiff) -> str:
    return f"{f.name} (trivial)" if f.trivial else f.name


def visible_rows(f: FieldDiff, context: int | None = 1) -> list[ParagraphDiff | int]:
    """A prose field's rows as an inline view shows them: changed paragraphs with ``context``
    unchanged paragraphs around them; every other run of unchanged paragraphs becomes its length (an
    ``int``). ``context=None`` shows every paragraph."""
    rows = list(f.paragraphs)
    if context is None or not f.changed:
        return list(rows)
    keep = [False] * len(rows)
    for k, row in enumerate(rows):
        if row.changed:
            for n in range(max(0, k - context), min(len(rows), k + context + 1)):
                keep[n] = True
    out: list[ParagraphDiff | int] = []
    for row, shown in zip(rows, keep, strict=True):
        if shown:
            out.append(row)
        elif out and isinstance(out[-1], int):
            out[-1] += 1
        else:
            out.append(1)
    return out


def _edge_words(text: str, words: int, *, tail: bool) -> str:
    """The last (``tail``) or first ``words`` words of ``text``, with an ellipsis where it was cut;
    the spacing next to the change is kept."""
    found = list(re.finditer(r"\S+", text))
    if len(found) <= words:
        return text
    if tail:
        return "…" + text[found[-words].start():]
    return text[: found[words - 1].end()] + "…"


def excerpt(f: FieldDiff, *, words: int = 8, limit: int = 240) -> tuple[Op, ...]:
    """The first change of a prose field with ``words`` unchanged words either side (``…`` where the
    text goes on), for a one-line summary: "what was said, what is said now". Changes after
    ``limit`` characters of the excerpt are left out (the diff shows everything)."""
    row = next((r for r in f.paragraphs if r.changed), None)
    if row is None:
        return ()
    ops = list(row.ops)
    out: list[Op] = []
    size = 0
    for k, op in enumerate(ops):
        text = op.text
        if op.kind == "equal":
            if k == 0:
                text = _edge_words(text, words, tail=True)
            elif k == len(ops) - 1 or size >= limit:
                out.append(Op("equal", _edge_words(text, words, tail=False)))
                break
            elif len(text.split()) > 2 * words:
                # a long unchanged stretch between two changes: its ends only
                text = _edge_words(text, words, tail=False) + " " + _edge_words(text, words, tail=True)
        elif size >= limit:
            break
        out.append(Op(op.kind, text))
        size += len(text)
    return tuple(_merge_ops(out))


def elided(count: int) -> str:
    """The line that stands for ``count`` unchanged paragraphs in an inline view."""
    return f"⋯ {count} unchanged paragraph{'s' if count > 1 else ''} ⋯"


def diff_heading(diff: RevisionDiff, *, utc: bool = False) -> str:
    """``article 12: revision 1 (2026-11-20 15:35 +07) -> 2 (2026-11-28 09:10 +07)``, and the silent
    edit verdict when the page declares a modified date."""
    def at(moment: datetime | None) -> str:
        return f" ({human_time(moment, utc=utc)})" if moment is not None else ""

    line = (f"article {diff.article_id}: revision {diff.old_number}{at(diff.old_captured_at)} -> "
            f"{diff.new_number}{at(diff.new_captured_at)}")
    if diff.silent == "yes":
        line += "  SILENT EDIT: the declared modified date did not move"
    return line


def shown_value(name: str, value: Any, *, utc: bool = False) -> str:
    """A field's value as a person reads it: dates in the shown zone, lists one item a line."""
    if name in DATE_FIELDS and value:
        return human_time(value, utc=utc)
    return _lines(value)


def scalar_ops(f: FieldDiff, *, utc: bool = False) -> list[Op]:
    """A scalar field's operations as shown (dates in the shown zone)."""
    if f.name not in DATE_FIELDS:
        return f.ops
    old, new = shown_value(f.name, f.old, utc=utc), shown_value(f.name, f.new, utc=utc)
    return _merge_ops([Op("delete", old), Op("insert", new)]) if f.changed else [Op("equal", new)]


def render_inline(diff: RevisionDiff, *, all_fields: bool = False, context: int | None = 1,
                  utc: bool = False) -> str:
    """Changed fields with ``[-deleted-]`` and ``{+inserted+}`` marks, for a pipe or a file. Prose
    shows changed paragraphs whole, with ``context`` unchanged paragraphs around them. Times are in
    the site's zone (``utc``: UTC)."""
    lines = [diff_heading(diff, utc=utc)]
    fields = diff.fields if all_fields else diff.changed
    if not fields:
        lines.append("no differences")
    for f in fields:
        lines.append("")
        lines.append(f"== {_field_title(f)}")
        if f.kind == "text":
            paragraphs = []
            for row in visible_rows(f, context):
                paragraphs.append(elided(row) if isinstance(row, int) else mark_ops(row.ops))
            lines.append("\n\n".join(paragraphs))
        elif f.kind == "list":
            for item in f.removed:
                lines.append(_plain_delete(item_label(item)))
            for item in f.added:
                lines.append(_plain_insert(item_label(item)))
            if not f.changed:
                lines.append(_lines(f.new))
        else:
            lines.append(mark_ops(scalar_ops(f, utc=utc)))
    return "\n".join(lines) + "\n"


def render_unified(diff: RevisionDiff, *, context: int = 1) -> str:
    """A unified diff per changed field: one paragraph (or list item) per line."""
    chunks: list[str] = []
    for f in diff.changed:
        if f.kind == "text":
            old_lines = clean_paragraphs(f.old)
            new_lines = clean_paragraphs(f.new)
        else:
            old_lines = _lines(f.old).split("\n") if f.old not in (None, []) else []
            new_lines = _lines(f.new).split("\n") if f.new not in (None, []) else []
        header = " (trivial)" if f.trivial else ""
        chunks.extend(
            line.rstrip("\n") + "\n"
            for line in difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile=f"a/{f.name} (revision {diff.old_number}){header}",
                tofile=f"b/{f.name} (revision {diff.new_number}){header}",
                n=context,
                lineterm="",
            )
        )
    return "".join(chunks)


_CSS = """
:root { color-scheme: light dark; --del: #ffd7d5; --ins: #ccf0d4; --muted: #667; --line: #ccd; }
@media (prefers-color-scheme: dark) { :root { --del: #5c2121; --ins: #1e4a2b; --muted: #99a; --line: #445; } }
* { box-sizing: border-box; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       margin: 0 auto; padding: 1rem; max-width: 72rem; overflow-wrap: anywhere; }
h1 { font-size: 1.25rem; margin: 0 0 .25rem; } h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
.meta, .tag, summary { color: var(--muted); font-size: .9rem; }
.tag { border: 1px solid var(--line); border-radius: .3rem; padding: 0 .3rem; margin-left: .4rem; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: .25rem 1rem; }
.head { font-weight: 600; color: var(--muted); font-size: .85rem; border-bottom: 1px solid var(--line); }
.cell { padding: .35rem 0; border-bottom: 1px solid var(--line); }
.cell p { margin: 0; } .empty { color: var(--muted); font-style: italic; }
.status, .silent { border-left: 4px solid #c33; padding: .3rem .6rem; background: var(--del); }
a { color: inherit; }
del { background: var(--del); text-decoration: line-through; }
ins { background: var(--ins); text-decoration: none; }
.label { display: none; }
details { margin: .25rem 0; grid-column: 1 / -1; }
@media (max-width: 40rem) {
  .grid { grid-template-columns: 1fr; } .head { display: none; }
  .label { display: inline; color: var(--muted); font-size: .8rem; font-weight: 600; margin-right: .3rem; }
  .cell.new { border-bottom: 2px solid var(--line); }
  .cell.same.new, .cell.same .label { display: none; }
}
"""


def _html_ops(ops: Iterable[Op], side: Literal["old", "new"]) -> str:
    """One side of a word diff as HTML: the other side's changes left out, this side's marked."""
    parts: list[str] = []
    for op in ops:
        text = html.escape(op.text)
        if op.kind == "equal":
            parts.append(text)
        elif op.kind == "delete" and side == "old":
            parts.append(f"<del>{text}</del>")
        elif op.kind == "insert" and side == "new":
            parts.append(f"<ins>{text}</ins>")
    return "".join(parts).replace("\n\n", "</p><p>")


def _cells(old_html: str | None, new_html: str | None, old_label: str, new_label: str, *, same: bool = False) -> str:
    """One row: the old and the new cell. ``same`` rows (unchanged paragraphs) show once on a phone."""
    extra = " same" if same else ""

    def cell(content: str | None, side: str, label: str) -> str:
        body = f"<p>{content}</p>" if content else '<p class="empty">(none)</p>'
        return f'<div class="cell {side}{extra}"><span class="label">{html.escape(label)}</span>{body}</div>'

    return cell(old_html, "old", old_label) + cell(new_html, "new", new_label)


def _html_value(name: str, value: Any, utc: bool) -> str | None:
    if value in (None, [], ""):
        return None
    if isinstance(value, list):
        return "<br>".join(html.escape(item_label(v)) for v in value)
    return html.escape(shown_value(name, value, utc=utc))


def _html_list_side(f: FieldDiff, side: Literal["old", "new"]) -> str | None:
    items = f.old if side == "old" else f.new
    marked = {id(i) for i in (f.removed if side == "old" else f.added)}
    tag = "del" if side == "old" else "ins"
    if not items:
        return None
    return "<br>".join(
        f"<{tag}>{html.escape(item_label(i))}</{tag}>" if id(i) in marked else html.escape(item_label(i))
        for i in items
    )


def _silent_note(diff: RevisionDiff, utc: bool) -> str | None:
    """The page's word on a silent edit (``yes``) or on one that cannot be judged (``unknown``)."""
    verdict = diff.silent
    modified = diff.get("modified_at")
    if verdict == "yes":
        return ('<p class="silent"><strong>Silent edit</strong>: the content changed but the modified date '
                f"the page declares ({html.escape(human_time(modified.new, utc=utc))}) did not move.</p>")
    if verdict == "unknown":
        return ('<p class="meta">The page declares no modified date, so whether this edit was announced '
                "cannot be told.</p>")
    return None


def _page_head(diff: RevisionDiff, heading: str, key: str | None, url: str | None, status: str | None,
               utc: bool) -> list[str]:
    """Title, identity, the link to the article, the two revisions with their dates, the status."""
    ident = f"Article {diff.article_id}" + (f" (the site's id: {html.escape(key)})" if key else "")
    if url:
        # a link the reader follows, never something the page fetches by itself
        ident += f' · <a href="{html.escape(url, quote=True)}" rel="noreferrer noopener">{html.escape(url)}</a>'
    times = (f"Revision {diff.old_number}, first seen {html.escape(human_time(diff.old_captured_at, utc=utc))}"
             f" \u2192 Revision {diff.new_number}, first seen "
             f"{html.escape(human_time(diff.new_captured_at, utc=utc))}")
    out = [f"<h1>{html.escape(heading)}</h1>", f'<p class="meta">{ident}</p>', f'<p class="meta">{times}</p>']
    if status:
        out.append(f'<p class="status">This article is {html.escape(status)}.</p>')
    note = _silent_note(diff, utc)
    if note:
        out.append(note)
    return out


def render_html(diff: RevisionDiff, *, title: str | None = None, url: str | None = None,
                key: str | None = None, status: str | None = None, utc: bool = False,
                collapse_after: int = 2) -> str:
    """One self-contained HTML page (inline CSS, no script, nothing fetched): two columns per changed
    field, named in words, deletions and insertions highlighted; on a narrow screen the columns
    stack. Runs of more than ``collapse_after`` unchanged paragraphs fold into a ``<details>``.

    The head says which article (its id, the site's own ``key``, its ``url`` as a link), the two
    revisions with the times they were first seen, the article's ``status`` when it is no longer
    live ("gone since ..."), and whether the edit was silent. Times are in the site's zone, labelled
    (``utc``: in UTC); never with microseconds."""
    old_label, new_label = f"Revision {diff.old_number}", f"Revision {diff.new_number}"
    heading = title or f"Article {diff.article_id}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(heading)}: revision {diff.old_number} \u2192 {diff.new_number}</title>",
        f"<style>{_CSS}</style></head><body>",
        *_page_head(diff, heading, key, url, status, utc),
    ]
    if not diff.changed:
        out.append("<p>No differences.</p>")
    for f in diff.changed:
        trivial = '<span class="tag">trivial: punctuation, spacing or tone marks only</span>' if f.trivial else ""
        out.append(f"<section><h2>{html.escape(FIELD_LABELS.get(f.name, f.name))}{trivial}</h2>")
        out.append(f'<div class="grid"><div class="head">{old_label}</div><div class="head">{new_label}</div>')
        if f.kind == "text":
            out.extend(_html_text_rows(f, old_label, new_label, collapse_after))
        elif f.kind == "list":
            out.append(_cells(_html_list_side(f, "old"), _html_list_side(f, "new"), old_label, new_label))
        else:
            old_v, new_v = _html_value(f.name, f.old, utc), _html_value(f.name, f.new, utc)
            out.append(_cells(f"<del>{old_v}</del>" if old_v else None, f"<ins>{new_v}</ins>" if new_v else None,
                              old_label, new_label))
        out.append("</div></section>")
    unchanged = [FIELD_LABELS.get(f.name, f.name) for f in diff.fields if not f.changed]
    if unchanged:
        out.append(f'<p class="meta">Unchanged: {html.escape(", ".join(unchanged))}</p>')
    zone = "UTC" if utc else f"the site's local time (Asia/Ho_Chi_Minh, {zone_label()})"
    out.append(f'<p class="meta">Times are in {html.escape(zone)}. Made with xdd-archive.</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_text_rows(f: FieldDiff, old_label: str, new_label: str, collapse_after: int) -> list[str]:
    rows: list[str] = []
    pending: list[str] = []  # unchanged paragraphs waiting to be shown or folded

    def flush() -> None:
        if len(pending) > collapse_after:
            rows.append(f"<details><summary>{len(pending)} unchanged paragraphs</summary>"
                        f'<div class="grid">{"".join(pending)}</div></details>')
        else:
            rows.extend(pending)
        pending.clear()

    for row in f.paragraphs:
        old_html = None if row.old is None else _html_ops(row.ops, "old")
        new_html = None if row.new is None else _html_ops(row.ops, "new")
        cells = _cells(old_html, new_html, old_label, new_label, same=not row.changed)
        if row.changed:
            flush()
            rows.append(cells)
        else:
            pending.append(cells)
    flush()
    if not f.paragraphs:
        rows.append(_cells(None, None, old_label, new_label))
    return rows
