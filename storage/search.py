"""Full-text search over revisions, folded for Vietnamese: ``xay dung dang`` finds ``xây dựng Đảng``.

The index (SQLite): an FTS5 table ``revision_search`` with one document per revision (its rowid is the
revision id) over title, lead, body, author and tags. It is *contentless* (``content=''``): it holds only
the index, the texts stay in ``revisions``. Triggers on ``revisions`` keep it right, written in plain SQL
so that any writer (this code, ``sqlite3``, Datasette) updates it:

- documents are folded in the trigger by ``đ``/``Đ`` -> ``d``/``D``, and the tokenizer
  (``unicode61 remove_diacritics 2``) lowercases and removes every other diacritic, which together is
  exactly :func:`storage.normalize.search_fold` for Vietnamese text (a test checks every letter, NFC and
  NFD); queries are folded with :func:`~storage.normalize.search_fold` itself;
- "current revisions only" is a join on ``articles.current_revision_id``, so nothing needs updating when
  an article's current revision changes.

An Alembic batch migration that rebuilds ``revisions`` (copy, drop, rename) drops its triggers. The
migration environment therefore calls :func:`ensure_index` after every migration run: it recreates
missing or outdated triggers and then rebuilds the index, since rows may have been written without them.

Snippets show the original text around the matches (the index holds folded text only): the matching
field's words are folded one by one and compared with the query's terms, so offsets always point into
the original.

Ranking: documents holding several query words in a row first (``da nang`` as a phrase), then bm25
(title and tags weigh more than the body). A query typed with diacritics (``Đà Nẵng``) also puts the
texts spelt as typed (case and tone-mark placement aside) before those that only match once folded
(``đã nâng``), among its best :data:`EXACT_WINDOW` matches.

Other databases: :func:`search` dispatches on the dialect. PostgreSQL would keep the same query model
(terms, phrases, prefixes, exclusions: :class:`Query`) over a ``tsvector`` of the same folded columns;
it is not written yet and raises :class:`errors.StorageError`.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from storage.models import Article, Capture, Revision
from storage.normalize import search_fold, tone_canonical
from xdd_archive.errors import ConfigError, StorageError

__all__ = [
    "FTS_TABLE",
    "Query",
    "SearchHit",
    "SearchResults",
    "TextChange",
    "ensure_index",
    "parse_query",
    "rebuild_index",
    "search",
    "text_changes",
]

log = logging.getLogger(__name__)

FTS_TABLE = "revision_search"
#: indexed columns and their bm25 weights (a match in the title counts ten times one in the body)
COLUMNS: tuple[tuple[str, float], ...] = (("title", 10.0), ("lead", 4.0), ("body", 1.0), ("author", 3.0),
                                          ("tags", 5.0))
CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    + ", ".join(name for name, _ in COLUMNS)
    + ", content='', tokenize='unicode61 remove_diacritics 2')"
)

#: how many of the best matches a query typed with diacritics re-ranks (exact spellings first)
EXACT_WINDOW = 200

# a word for snippets, as unicode61 sees one: letters and digits (no underscore)
_WORD = re.compile(r"[^\W_]+")


def _fold_sql(expr: str) -> str:
    # SQLite's lower() is ASCII-only and unicode61 folds every diacritic but the stroke of đ: that one
    # is done here, the rest by the tokenizer
    return f"replace(replace({expr}, 'đ', 'd'), 'Đ', 'D')"


def _document_sql(row: str) -> str:
    """The indexed values of revision ``row`` (``new``, ``old`` or a table alias), in column order."""
    tags = (
        f"(SELECT group_concat(value, ' ; ') FROM json_each("
        f"CASE WHEN json_valid({row}.tags) THEN {row}.tags ELSE '[]' END))"
    )
    return ", ".join(_fold_sql(e) for e in (f"{row}.title", f"{row}.lead", f"{row}.body_text", f"{row}.author", tags))


_COLS = ", ".join(name for name, _ in COLUMNS)
TRIGGERS: dict[str, str] = {
    f"{FTS_TABLE}_insert": (
        f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON revisions BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.id, {_document_sql('new')}); END"
    ),
    # a contentless table forgets a document by being told its exact indexed values again
    f"{FTS_TABLE}_delete": (
        f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON revisions BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) VALUES ('delete', old.id, {_document_sql('old')}); END"
    ),
    f"{FTS_TABLE}_update": (
        f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF id, title, lead, body_text, author, tags "
        f"ON revisions BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) VALUES ('delete', old.id, {_document_sql('old')}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.id, {_document_sql('new')}); END"
    ),
}


def _squash(sql: str | None) -> str:
    return " ".join((sql or "").split())


def ensure_index(conn: Connection) -> bool:
    """Make the full-text index whole again: recreate missing or outdated triggers, then rebuild the
    index from ``revisions`` (rows may have been written while a trigger was missing). A no-op (False)
    when everything is in place, on a database without the index (before migration 0002, or after a
    downgrade), and on other databases than SQLite. Returns True when it repaired something."""
    if conn.dialect.name != "sqlite":
        return False
    has_table = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
    ).first()
    if not has_table:
        return False
    existing: dict[str, str] = dict(
        conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?", (f"{FTS_TABLE}_%",)
        ).all()
    )
    if all(_squash(existing.get(name)) == _squash(sql) for name, sql in TRIGGERS.items()):
        return False
    missing = sorted(name for name in TRIGGERS if _squash(existing.get(name)) != _squash(TRIGGERS[name]))
    log.info("full-text index: recreating triggers %s and rebuilding", ", ".join(missing))
    for name in existing:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for sql in TRIGGERS.values():
        conn.exec_driver_sql(sql)
    rebuild_index(conn)
    return True


def rebuild_index(conn: Connection) -> int:
    """Re-index every revision from scratch (SQLite); returns how many documents were indexed."""
    if conn.dialect.name != "sqlite":
        return 0
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) SELECT r.id, {_document_sql('r')} FROM revisions r")
    return int(conn.exec_driver_sql("SELECT count(*) FROM revisions").scalar() or 0)


# -- queries ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One part of a query: a word, a ``"quoted phrase"`` or a ``prefix*``, folded; maybe excluded."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False
    # the words as typed (NFC, case-folded, tone mark placed canonically): for "spelt as typed first"
    spelled: tuple[str, ...] = ()

    def fts5(self) -> str:
        # every word quoted: the user's text can never be read as FTS5 syntax (AND, NEAR, col:...)
        return '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Query:
    """A parsed search: every positive term must match (in any indexed field); no excluded one may."""

    text: str
    terms: tuple[Term, ...]

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def has_diacritics(self) -> bool:
        """The user typed Vietnamese letters (``Đà Nẵng``, not ``da nang``): exact spellings rank first."""
        return search_fold(self.text) != unicodedata.normalize("NFC", self.text).casefold()

    def phrase(self) -> str | None:
        """Several plain words as one FTS5 phrase (``"da nang"``), or None. Documents holding the words
        in a row rank first: ``da nang`` means Đà Nẵng before a text with "đã" here and "năng" there."""
        positive = self.positive
        if len(positive) < 2 or any(len(t.words) != 1 or t.prefix for t in positive):
            return None
        return '"' + " ".join(t.words[0] for t in positive) + '"'

    def fts5(self) -> str:
        """The FTS5 MATCH expression."""
        expr = " AND ".join(t.fts5() for t in self.positive)
        negatives = [t.fts5() for t in self.terms if t.negated]
        if negatives:
            expr = f"({expr}) NOT ({' OR '.join(negatives)})"
        return expr


_QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse_query(text: str) -> Query:
    """Words (all must match, in any order and field), ``"a phrase"``, ``prefix*`` and ``-excluded``
    words, folded like the documents: ``Đà Nẵng``, ``da nang`` and ``DA NANG`` are the same query.
    Raises ConfigError for a query with nothing to look for."""
    terms: list[Term] = []
    for m in _QUERY_PART.finditer(text or ""):
        if m.group(2) is not None:
            words = tuple(_WORD.findall(search_fold(m.group(2))))
            if words:
                terms.append(Term(words, negated=bool(m.group(1)), spelled=_spelled(m.group(2))))
            continue
        raw = m.group(3)
        negated = raw.startswith("-") and len(raw) > 1
        raw = raw[1:] if negated else raw
        prefix = raw.endswith("*")
        words = tuple(_WORD.findall(search_fold(raw.rstrip("*"))))
        if words:
            # a word that folds into several ("COVID-19", "36-CT/TW") is those parts in a row: a phrase
            terms.append(Term(words, prefix=prefix, negated=negated, spelled=_spelled(raw.rstrip("*"))))
    query = Query(text, tuple(terms))
    if not query.positive:
        raise ConfigError(f"nothing to search for in {text!r}: give at least one word (not only -excluded ones)")
    return query


@functools.lru_cache(maxsize=65_536)
def _spell_key(word: str) -> str:
    # cached: a language of a few thousand syllables makes this a dictionary lookup after warm-up
    return tone_canonical(word.casefold())


def _spelled(text: str) -> tuple[str, ...]:
    return tuple(map(_spell_key, _WORD.findall(unicodedata.normalize("NFC", text))))


def _runs(words: Sequence[str], seq: Sequence[str], prefix: bool = False) -> list[int]:
    """The indexes in ``words`` where ``seq`` starts (its last word a prefix when ``prefix``)."""
    n = len(seq)
    if not n:
        return []
    last = n - 1
    found = []
    # candidate starts first (a C-speed scan), then the few full comparisons
    starts = range(len(words) - last) if prefix and n == 1 else \
        [i for i, w in enumerate(words[: len(words) - last]) if w == seq[0]]
    for i in starts:
        if all(words[i + k] == seq[k] for k in range(1, last)) and (
            words[i + last] == seq[last] or (prefix and words[i + last].startswith(seq[last]))
        ):
            found.append(i)
    return found


def _contains(words: Sequence[str], seq: Sequence[str], prefix: bool = False) -> bool:
    if len(seq) == 1 and not prefix:
        return seq[0] in words
    return bool(_runs(words, seq, prefix))


def spelling_tier(rev: Revision, query: Query) -> int:
    """How exactly ``rev`` holds the query as typed, case and tone-mark placement aside: 2 = the words
    in a row, 1 = every term, 0 = only once folded (``đã nâng`` for ``Đà Nẵng``)."""
    text_ = " ".join(v for v in (rev.title, rev.lead, rev.body_text, rev.author, " ".join(rev.tags or [])) if v)
    words = _spelled(text_)
    positive = query.positive
    if not all(_contains(words, t.spelled, t.prefix) for t in positive):
        return 0
    if query.phrase() is not None and _contains(words, [t.spelled[0] for t in positive]):
        return 2
    return 1


# -- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One matching revision, with a snippet of its original text around the matches.

    ``highlights`` are ``(start, end)`` offsets of the matched words inside ``snippet``; ``field`` is
    the field the snippet comes from. ``score`` is the negated bm25 rank: higher is better.
    """

    article_id: int
    site: str
    key: str
    url: str
    status: str
    revision: int
    current: bool
    title: str | None
    published_at: datetime | None
    captured_at: datetime | None
    score: float
    field: str
    snippet: str
    highlights: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}
        data["highlights"] = [list(h) for h in self.highlights]
        return data


@dataclass(frozen=True)
class SearchResults:
    """A page of hits and the total number of matching revisions."""

    query: str
    fts: str
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    all_revisions: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "all_revisions": self.all_revisions,
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
        }


def search(
    session: Session,
    query: str,
    *,
    all_revisions: bool = False,
    site: str | None = None,
    limit: int = 20,
    offset: int = 0,
    snippet_words: int = 30,
) -> SearchResults:
    """Search the current revisions (or every revision), best match first.

    ``query`` is user text (see :func:`parse_query`). Gone articles are found too (their last text is
    what people look for), and so are articles whose URL now redirects to another article.
    """
    parsed = parse_query(query)
    dialect = session.get_bind().dialect.name
    if dialect != "sqlite":
        raise StorageError(f"full-text search is not available on {dialect} yet (SQLite only for now)")
    # typed with diacritics: the best EXACT_WINDOW candidates are re-ranked, spelt-as-typed first
    exact = parsed.has_diacritics
    ranked, total = _sqlite_search(session, parsed, all_revisions=all_revisions, site=site,
                                   limit=offset + limit + EXACT_WINDOW if exact else limit,
                                   offset=0 if exact else offset)
    revisions = {r.id: r for r in session.scalars(select(Revision).where(Revision.id.in_([i for i, _ in ranked])))}
    if exact:
        tiers = {i: spelling_tier(revisions[i], parsed) for i, _ in ranked}
        ranked = sorted(ranked, key=lambda item: -tiers[item[0]])[offset:offset + limit]  # stable
    articles = {a.id: a for a in session.scalars(
        select(Article).where(Article.id.in_({r.article_id for r in revisions.values()})))}
    hits = []
    for revision_id, rank in ranked:
        rev = revisions[revision_id]
        article = articles[rev.article_id]
        name, snippet, highlights = best_snippet(rev, parsed, words=snippet_words)
        hits.append(
            SearchHit(
                article_id=article.id,
                site=article.site,
                key=article.key,
                url=article.canonical_url,
                status=article.status,
                revision=rev.number,
                current=article.current_revision_id == rev.id,
                title=rev.title,
                published_at=rev.published_at,
                captured_at=rev.created_at,
                score=round(-rank, 4),
                field=name,
                snippet=snippet,
                highlights=highlights,
            )
        )
    return SearchResults(query=query, fts=parsed.fts5(), total=total, hits=hits, all_revisions=all_revisions)


def _sqlite_search(session: Session, query: Query, *, all_revisions: bool, site: str | None,
                   limit: int, offset: int) -> tuple[list[tuple[int, float]], int]:
    weights = ", ".join(str(w) for _, w in COLUMNS)
    where = [f"{FTS_TABLE} MATCH :match"]
    if not all_revisions:
        where.append("a.current_revision_id = r.id")
    if site:
        where.append("a.site = :site")
    # revisions and articles are joined by primary key, so the FTS match drives the query
    base = (
        f"FROM {FTS_TABLE} JOIN revisions r ON r.id = {FTS_TABLE}.rowid "
        f"JOIN articles a ON a.id = r.article_id WHERE " + " AND ".join(where)
    )
    params: dict[str, Any] = {"match": query.fts5(), "site": site, "limit": limit, "offset": offset,
                              "phrase": query.phrase()}
    # documents with the query's words in a row first, then by bm25 (lower is better), newest on ties
    exact = (
        f"{FTS_TABLE}.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :phrase)"
        if params["phrase"] else "0"
    )
    rows = session.execute(
        text(f"SELECT r.id, bm25({FTS_TABLE}, {weights}) AS rank, {exact} AS exact {base} "
             f"ORDER BY exact DESC, rank, r.id DESC LIMIT :limit OFFSET :offset"),
        params,
    ).all()
    total = session.execute(text(f"SELECT count(*) {base}"), params).scalar() or 0
    return [(int(i), float(rank)) for i, rank, _ in rows], int(total)


# -- snippets --------------------------------------------------------------------------------------------


def _matches(words: Sequence[str], term: Term) -> list[tuple[int, int]]:
    """Word index ranges [i, j) in ``words`` (folded) where ``term`` matches."""
    n = len(term.words)
    return [(i, i + n) for i in _runs(words, term.words, term.prefix)]


@functools.lru_cache(maxsize=65_536)
def _fold_word(word: str) -> str:
    return search_fold(word)


def best_snippet(rev: Revision, query: Query, *, words: int = 30) -> tuple[str, str, tuple[tuple[int, int], ...]]:
    """(field, snippet, highlights): the original text around the best cluster of matches, from the
    field that shows the most of the query (the body, then lead, title, author, tags, on a tie)."""
    fields = (
        ("body", rev.body_text),
        ("lead", rev.lead),
        ("title", rev.title),
        ("author", rev.author),
        ("tags", " · ".join(rev.tags or [])),
    )
    best: tuple[tuple[int, int, int], str, str, tuple[tuple[int, int], ...]] | None = None
    for name, value in fields:
        found = snippet(value, query, words=words) if value else None
        if found is not None and (best is None or found[2] > best[0]):
            best = (found[2], name, found[0], found[1])
    if best is not None:
        return best[1], best[2], best[3]
    for name, value in fields:
        if value:
            flat = " ".join(value.split())
            spans = [(m.start(), m.end()) for m in _WORD.finditer(flat)]
            return name, *_cut(flat, spans, 0, words, [])
    return "title", "", ()


def snippet(value: str, query: Query, *, words: int = 30
            ) -> tuple[str, tuple[tuple[int, int], ...], tuple[int, int, int]] | None:
    """The part of ``value`` (about ``words`` words) holding the most matches of ``query``'s positive
    terms, the matches' offsets in it, and the window's score (different terms, terms in the query's
    order side by side, matches); None when no term matches ``value``."""
    value = " ".join(value.split())  # one line: paragraph breaks would only waste the snippet
    spans = [(m.start(), m.end()) for m in _WORD.finditer(value)]
    folded = [_fold_word(value[s:e]) for s, e in spans]
    hits: list[tuple[int, int, int]] = []  # (first word, end word, which term)
    for n, term in enumerate(query.positive):
        hits += [(i, j, n) for i, j in _matches(folded, term)]
    if not hits:
        return None
    hits.sort()
    # the window of ``words`` words that shows the most of the query: first as many different terms
    # as possible, then terms next to each other in the query's order ("Đà Nẵng" rather than a "đã"
    # here and a "nắng" there), then as many matches as possible
    best_start, best_score = hits[0][0], (-1, -1, -1)
    for i, _, _ in hits:
        start = max(0, i - words // 4)
        inside = [h for h in hits if h[0] >= start and h[1] <= start + words]
        ends = {(j, n) for _, j, n in inside}
        adjacent = sum(1 for a, _, n in inside if (a, n - 1) in ends)
        score = (len({n for *_, n in inside}), adjacent, len(inside))
        if score > best_score:
            best_start, best_score = start, score
    cut, highlights = _cut(value, spans, best_start, words, [(i, j) for i, j, _ in hits])
    return cut, highlights, best_score


def _cut(value: str, spans: list[tuple[int, int]], first: int, words: int,
                         hits: list[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    if not spans:
        return value, ()
    last = min(len(spans), first + words) - 1
    start = 0 if first == 0 else spans[first][0]
    end = len(value) if last == len(spans) - 1 else spans[last][1]
    # keep the punctuation that closes the last word ("Đảng." rather than "Đảng")
    while end < len(value) and not value[end].isspace() and not _WORD.match(value[end]):
        end += 1
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(value) else ""
    shift = len(prefix) - start
    highlights = tuple(
        (spans[a][0] + shift, spans[b - 1][1] + shift)
        for a, b in hits
        if a >= first and b - 1 <= last
    )
    return prefix + value[start:end] + suffix, highlights


# -- text that came or went ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextChange:
    """An article whose text gained or lost a phrase: ``before`` is the last revision of the old state
    (the last that had it, for a removal) and ``after`` the revision where that changed (the first
    without it), each with the time the archive first saw it; ``snippet`` shows the phrase where it
    is present (in ``before`` for a removal, ``after`` for an addition)."""

    mode: str
    article_id: int
    site: str
    key: str
    url: str
    status: str
    title: str | None
    before: int
    after: int
    before_at: datetime | None
    after_at: datetime | None
    current: int
    snippet: str
    highlights: tuple[tuple[int, int], ...]

    @property
    def command(self) -> str:
        """The ``diff`` that shows the phrase go (or come)."""
        return f"xdd-archive diff {self.article_id} {self.before} {self.after}"

    def to_dict(self) -> dict[str, Any]:
        data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}
        data["highlights"] = [list(h) for h in self.highlights]
        data["diff_command"] = self.command
        return data


def _phrase_query(text: str) -> Query:
    """``text`` as one phrase, folded like every search (quotes in it are ignored)."""
    return parse_query('"' + text.replace('"', " ") + '"')


def _matching_revisions(session: Session, query: Query, site: str | None) -> set[int]:
    where = f"{FTS_TABLE} MATCH :match" + (" AND a.site = :site" if site else "")
    rows = session.execute(
        text(f"SELECT r.id FROM {FTS_TABLE} JOIN revisions r ON r.id = {FTS_TABLE}.rowid "
             f"JOIN articles a ON a.id = r.article_id WHERE {where}"),
        {"match": query.fts5(), "site": site},
    )
    return {int(i) for (i,) in rows}


def _transition(numbers: list[int], has: dict[int, bool], mode: str) -> tuple[int, int] | None:
    """(before, after) for the latest change of state that leaves the current revision without the
    phrase (``removed``) or with it (``added``); None when the current revision is not in that state."""
    current = numbers[-1]
    wanted = mode == "added"
    if has[current] != wanted or len(numbers) < 2:
        return None
    for k in range(len(numbers) - 1, 0, -1):
        if has[numbers[k - 1]] != wanted:
            return numbers[k - 1], numbers[k]
    return None  # in that state since revision 1: nothing came or went


def text_changes(session: Session, phrase: str, *, mode: str, site: str | None = None,
                 limit: int = 20, offset: int = 0, snippet_words: int = 30) -> tuple[list[TextChange], int]:
    """Articles whose text lost ``phrase`` (``mode="removed"``: earlier revisions had it, the current
    one has not) or gained it (``"added"``), newest change first, and how many there are in all.

    The phrase is folded for Vietnamese like every search (``tham muu`` finds ``tham mưu``)."""
    if mode not in ("removed", "added"):
        raise ConfigError(f"mode must be removed or added, not {mode!r}")
    query = _phrase_query(phrase)
    if session.get_bind().dialect.name != "sqlite":
        raise StorageError("full-text search is not available on this database yet (SQLite only for now)")
    matching = _matching_revisions(session, query, site)
    if not matching:
        return [], 0
    article_ids = select(Revision.article_id).where(Revision.id.in_(matching)).distinct()
    rows = session.execute(
        select(Revision.id, Revision.article_id, Revision.number)
        .where(Revision.article_id.in_(article_ids))
        .order_by(Revision.article_id, Revision.number)
    ).all()
    by_article: dict[int, list[tuple[int, int]]] = {}
    for rev_id, article_id, number in rows:
        by_article.setdefault(article_id, []).append((number, rev_id))
    found: list[tuple[int, int, int, int, int]] = []  # article, before, after, before id, after id
    for article_id, revs in by_article.items():
        numbers = [n for n, _ in revs]
        ids = dict(revs)
        step = _transition(numbers, {n: ids[n] in matching for n in numbers}, mode)
        if step is not None:
            found.append((article_id, step[0], step[1], ids[step[0]], ids[step[1]]))
    return _text_change_rows(session, found, query, mode, limit, offset, snippet_words), len(found)


def _text_change_rows(session: Session, found: list[tuple[int, int, int, int, int]], query: Query, mode: str,
                      limit: int, offset: int, snippet_words: int) -> list[TextChange]:
    """The :class:`TextChange` of each (article, before, after), the newest change first."""
    revisions = {r.id: r for r in session.scalars(
        select(Revision).where(Revision.id.in_([i for f in found for i in f[3:]])))}
    seen = dict(session.execute(
        select(Capture.id, Capture.fetched_at).where(
            Capture.id.in_([r.first_capture_id for r in revisions.values() if r.first_capture_id]))).all())

    def first_seen(rev: Revision) -> datetime:
        fetched = seen.get(rev.first_capture_id) if rev.first_capture_id is not None else None
        return fetched or rev.created_at

    found.sort(key=lambda f: (first_seen(revisions[f[4]]), f[0]), reverse=True)
    page = found[offset:offset + limit]
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_([f[0] for f in page])))}
    out = []
    for article_id, before, after, before_id, after_id in page:
        article = articles[article_id]
        holder = revisions[before_id if mode == "removed" else after_id]
        _field, snip, highlights = best_snippet(holder, query, words=snippet_words)
        current = article.current_revision
        out.append(TextChange(
            mode=mode, article_id=article.id, site=article.site, key=article.key, url=article.canonical_url,
            status=article.status, title=(current.title if current else None) or holder.title,
            before=before, after=after, before_at=first_seen(revisions[before_id]),
            after_at=first_seen(revisions[after_id]), current=current.number if current else after,
            snippet=snip, highlights=highlights,
        ))
    return out
