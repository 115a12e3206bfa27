"""Field-level, word-level diffs (storage/diff.py) and ``xdd-archive diff``: what changed, readably.

The unit tests pin the word diff (exactly the changed words, paragraphs kept, punctuation its own token,
both texts spelled back by the operations); the end-to-end tests crawl the replica, edit it, crawl again
and read the diff as a user would, in every format.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from storage.diff import (
    RevisionDiff,
    diff_revisions,
    diff_text,
    render_html,
    render_inline,
    render_unified,
    word_diff,
)
from storage.models import Revision
from storage.normalize import clean
from xdd_archive.replica import Replica

from .conftest import run_cli


def invoke(*args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    """``xdd-archive ARGS`` run in this process through ``cli.main`` (exit codes and one-line errors as
    a user sees them), for commands that need no crawl: ten times faster than a child process."""
    from xdd_archive.cli import main

    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    if check is not None:
        assert code == check, f"exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    return subprocess.CompletedProcess(["xdd-archive", *args], code, stdout, stderr)

PARAGRAPH = ("Ban Tổ chức Trung ương đã tham mưu xây dựng Đảng, hoà hợp và thống nhất trong toàn Ngành, "
             "nhằm nâng cao chất lượng đội ngũ cán bộ, đảng viên ở cơ sở.")


def ops_of(ops) -> list[tuple[str, str]]:
    return [(op.kind, op.text) for op in ops]


def spelled(ops, side: str) -> str:
    skip = "insert" if side == "old" else "delete"
    return "".join(op.text for op in ops if op.kind != skip)


# -- the word diff ---------------------------------------------------------------------------------


def test_two_changed_words_in_a_paragraph_are_exactly_two_changes():
    edited = PARAGRAPH.replace("tham mưu", "tham gia").replace("cơ sở", "cơ quan")
    assert ops_of(word_diff(PARAGRAPH, edited)) == [
        ("equal", "Ban Tổ chức Trung ương đã tham "),
        ("delete", "mưu"),
        ("insert", "gia"),
        ("equal", " xây dựng Đảng, hoà hợp và thống nhất trong toàn Ngành, nhằm nâng cao chất lượng "
                  "đội ngũ cán bộ, đảng viên ở cơ "),
        ("delete", "sở"),
        ("insert", "quan"),
        ("equal", "."),
    ]


def test_punctuation_is_its_own_token():
    ops = word_diff("xây dựng Đảng, hoà hợp", "xây dựng Đảng; hoà hợp")
    assert ops_of(ops) == [("equal", "xây dựng Đảng"), ("delete", ","), ("insert", ";"), ("equal", " hoà hợp")]


def test_inserted_and_deleted_words_keep_the_spaces_outside_the_change():
    assert ops_of(word_diff("a b c", "a X b c")) == [("equal", "a "), ("insert", "X "), ("equal", "b c")]
    assert ops_of(word_diff("X a b", "a b")) == [("delete", "X "), ("equal", "a b")]


def test_a_rewritten_sentence_is_one_change_not_a_salad_of_common_syllables():
    ops = word_diff("Chúng ta cần phải làm việc này và tiếp tục đẩy mạnh",
                    "Họ không muốn làm điều đó và dừng lại ngay")
    assert [op.kind for op in ops] == ["delete", "insert"]


@pytest.mark.parametrize("seed", range(30))
def test_operations_spell_both_texts_back(seed):
    rng = random.Random(seed)
    words = PARAGRAPH.replace(",", " ,").split() + ["Đà", "Nẵng", "(", ")", "“", "”", "."]
    paragraphs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(rng.randint(1, 8))]
    old = "\n\n".join(paragraphs)
    edited = [p.split() for p in paragraphs]
    for tokens in edited:
        for _ in range(rng.randint(0, 5)):
            k = rng.randrange(len(tokens))
            tokens[k:k + rng.randint(0, 2)] = rng.sample(words, rng.randint(0, 3))
    new_paragraphs = [" ".join(t) for t in edited if t]
    rng.shuffle(new_paragraphs) if seed % 5 == 0 else None
    new = "\n\n".join(new_paragraphs)
    rows = diff_text(old, new)
    field_ops = diff_revisions(rev(body_text=old), rev(body_text=new)).get("body").ops
    assert spelled(field_ops, "old") == clean(old)
    assert spelled(field_ops, "new") == clean(new)
    assert [r.old for r in rows if r.old is not None] == [p for p in clean(old).split("\n\n")]
    assert [r.new for r in rows if r.new is not None] == [p for p in clean(new).split("\n\n")]


def test_paragraphs_are_aligned_so_an_inserted_paragraph_leaves_the_others_equal():
    old = "Đoạn một.\n\nĐoạn hai có Đà Nẵng.\n\nĐoạn ba."
    new = "Đoạn một.\n\nĐoạn mới.\n\nĐoạn hai có Đà Lạt.\n\nĐoạn ba."
    rows = diff_text(old, new)
    assert [(r.old, r.new) for r in rows] == [
        ("Đoạn một.", "Đoạn một."),
        (None, "Đoạn mới."),
        ("Đoạn hai có Đà Nẵng.", "Đoạn hai có Đà Lạt."),
        ("Đoạn ba.", "Đoạn ba."),
    ]
    assert ops_of(rows[2].ops) == [("equal", "Đoạn hai có Đà "), ("delete", "Nẵng"), ("insert", "Lạt"),
                                   ("equal", ".")]


def test_nfd_and_rewrapped_text_shows_no_difference():
    old = PARAGRAPH + "\n\n" + PARAGRAPH
    new = unicodedata.normalize("NFD", old).replace(" xây ", "\nxây ").replace("  ", " ")
    assert all(not r.changed for r in diff_text(old, new))


# -- fields ------------------------------------------------------------------------------------------


def rev(number: int = 1, **fields) -> Revision:
    base = dict(
        article_id=1, number=number, title="Xây dựng Đảng", lead="Sapo.", body_text=PARAGRAPH,
        author="Nguyễn Bá Thắng", source=None, published_at=datetime(2019, 10, 15, tzinfo=UTC),
        modified_at=None, category="ly-luan-thuc-tien", tags=["xây dựng Đảng"], images=[],
    )
    base.update(fields)
    return Revision(**base)


def test_lists_show_added_and_removed_items_and_scalars_old_and_new():
    d = diff_revisions(
        rev(tags=["xây dựng Đảng", "cán bộ"], images=[{"url": "/a.jpg", "caption": "Ảnh A"}]),
        rev(2, tags=["cán bộ", "Đà Nẵng"], images=[{"url": "/b.jpg", "caption": None}], author="Trần Văn B",
            published_at=datetime(2019, 10, 16, tzinfo=UTC)),
    )
    assert [f.name for f in d.changed] == ["author", "published_at", "tags", "images"]
    tags = d.get("tags")
    assert (tags.removed, tags.added) == (("xây dựng Đảng",), ("Đà Nẵng",))
    assert [i["url"] for i in d.get("images").removed] == ["/a.jpg"]
    author = d.get("author")
    assert (author.old, author.new) == ("Nguyễn Bá Thắng", "Trần Văn B")
    assert ops_of(author.ops) == [("delete", "Nguyễn Bá Thắng"), ("insert", "Trần Văn B")]
    assert d.get("published_at").new == "2019-10-16T00:00:00Z"


def test_tag_order_is_no_change():
    d = diff_revisions(rev(tags=["a", "b"]), rev(2, tags=["b", "a"]))
    assert not d.changed


def test_tone_mark_placement_and_punctuation_are_trivial_but_a_word_is_not():
    tone = diff_revisions(rev(), rev(2, body_text=PARAGRAPH.replace("hoà", "hòa")))
    assert tone.trivial and tone.get("body").trivial
    punct = diff_revisions(rev(), rev(2, body_text=PARAGRAPH.replace("Đảng,", "Đảng")))
    assert punct.trivial
    word = diff_revisions(rev(), rev(2, body_text=PARAGRAPH.replace("hoà", "hóa")))
    assert not word.trivial


def test_a_tone_mark_moved_in_a_tag_is_trivial_even_when_it_moves_the_tag_in_sort_order():
    from storage.normalize import is_trivial_change

    before, after = ["hoà bình", "hoạt động"], ["hòa bình", "hoạt động"]
    assert sorted(before) != [t.replace("hòa", "hoà") for t in sorted(after)]  # the order did change
    assert is_trivial_change({"tags": before}, {"tags": after})
    assert not is_trivial_change({"tags": before}, {"tags": ["hóa bình", "hoạt động"]})
    assert diff_revisions(rev(tags=before), rev(2, tags=after)).get("tags").trivial


# -- renderings -----------------------------------------------------------------------------------------


def two_word_edit() -> RevisionDiff:
    """Eight paragraphs; paragraph 3 and paragraph 5 edited, and the title."""
    paragraphs = [f"Đoạn {i}. {PARAGRAPH}" for i in range(1, 9)]
    edited = list(paragraphs)
    edited[2] = edited[2].replace("Đoạn 3. Ban", "Đoạn 3. Ủy ban")
    edited[4] = edited[4].replace("cơ sở.", "cơ sở mới.")
    return diff_revisions(rev(body_text="\n\n".join(paragraphs)),
                          rev(2, body_text="\n\n".join(edited), title="Xây dựng Đảng vững mạnh"))


def test_inline_marks_changes_and_elides_unchanged_paragraphs():
    text = render_inline(two_word_edit())
    assert "== title\nXây dựng Đảng{+ vững mạnh+}" in text
    assert "Đoạn 3. [-Ban-]{+Ủy ban+} Tổ chức" in text
    assert "cơ sở{+ mới+}." in text
    assert text.count("Đoạn") == 5  # paragraphs 2-6: the changed ones and one each side
    assert "⋯ 1 unchanged paragraph ⋯" in text and "⋯ 2 unchanged paragraphs ⋯" in text
    full = render_inline(two_word_edit(), context=None)
    assert "Đoạn 1." in full and "unchanged paragraph" not in full


def test_unified_diff_per_field():
    text = render_unified(two_word_edit())
    assert "--- a/title (revision 1)\n+++ b/title (revision 2)\n" in text
    assert "-Xây dựng Đảng\n+Xây dựng Đảng vững mạnh\n" in text
    assert "--- a/body (revision 1)" in text and "+Đoạn 3. Ủy ban Tổ chức" in text


class _Refs(HTMLParser):
    """Everything in a page that could make a browser fetch something, and the links a reader may follow."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            # followed only when the reader clicks: the page itself fetches nothing
            self.links.append((values["href"], values.get("rel") or ""))
            return
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "poster", "data") and value:
                self.refs.append(value)


def page_links(page: str) -> list[tuple[str, str]]:
    parser = _Refs()
    parser.feed(page)
    return parser.links


def assert_self_contained(page: str) -> None:
    parser = _Refs()
    parser.feed(page)
    assert parser.refs == []
    assert all("noreferrer" in rel for _, rel in parser.links)
    assert not parser.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert "url(" not in page and "@import" not in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_side_by_side_html_is_self_contained_with_both_versions_of_each_changed_field():
    page = render_html(two_word_edit(), title="Xây dựng Đảng vững mạnh", url="http://example.invalid/a-1")
    assert_self_contained(page)
    assert "<del>Ban</del>" in page and "<ins>Ủy ban</ins>" in page
    assert "Xây dựng Đảng</p>" in page and "Xây dựng Đảng<ins> vững mạnh</ins>" in page
    assert "<summary>3 unchanged paragraphs</summary>" in page  # 6-8; two in a row stay open


def test_diff_of_a_10000_word_body_is_fast():
    rng = random.Random(4)
    words = PARAGRAPH.replace(",", " ,").replace(".", " .").split()
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) + "." for _ in range(600)]
    old_words = 0
    paragraphs = []
    while old_words < 10_000:
        para = " ".join(sentences.pop() for _ in range(8))
        old_words += len(para.split())
        paragraphs.append(para)
    old = "\n\n".join(paragraphs)
    tokens = old.split(" ")
    for _ in range(200):
        tokens[rng.randrange(len(tokens))] = "SỬA"
    new = " ".join(tokens)
    for name, a, b in (("paragraphs", old, new), ("one paragraph", old.replace("\n\n", " "), new.replace("\n\n", " "))):
        start = time.perf_counter()
        rows = diff_text(a, b)
        seconds = time.perf_counter() - start
        print(f"\n10,000-word body, 200 words edited, {name}: {seconds * 1000:.0f} ms")
        assert seconds < 3.0  # measured ~0.03-0.1 s; generous for a loaded 2-core machine
        assert sum(op.text.count("SỬA") for r in rows for op in r.ops if op.kind == "insert") >= 190


# -- end to end: crawl, edit, crawl, diff -----------------------------------------------------------------

TONE_PAIRS = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe",
              "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy"}
TONE_PAIRS |= {new: old for old, new in TONE_PAIRS.items()}
_TONE_WORD = re.compile(r"\w*(?:" + "|".join(TONE_PAIRS) + r")\w*")


def tone_edit(text: str) -> dict[str, str]:
    """A replace={} edit that moves the tone mark of one word of ``text`` (hoà -> hòa, thúy -> thuý)."""
    for match in _TONE_WORD.finditer(text):
        word = match.group(0)
        for old, new in TONE_PAIRS.items():
            if old in word:
                return {f" {word} ": f" {word.replace(old, new)} "}
    raise AssertionError("no word with a movable tone mark")


@pytest.fixture(scope="module")
def edited_archive(tmp_path_factory):
    """A replica crawled, edited three ways (two words, NFD, tone mark), crawled again."""
    db = tmp_path_factory.mktemp("diff") / "archive.db"
    with Replica(articles=6, seed=3, theme="new") as site:
        def crawl(*extra: str) -> dict:
            done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json", *extra)
            return json.loads(done.stdout)

        crawl()
        two, nfd, tone = site.ids[:3]
        paragraph = site.article(two).paragraphs[1]
        words = paragraph.split()
        # two words far apart, each only once in the paragraph, not touching punctuation
        once = [k for k, w in enumerate(words) if w.isalpha() and words.count(w) == 1]
        i, j = once[1], once[-2]
        assert j - i > 5
        first, second = words[i], words[j]
        edited = " ".join([*words[:i], "THỨNHẤT", *words[i + 1:j], "THỨHAI", *words[j + 1:]])
        site.edit(two, replace={paragraph: edited})
        site.edit(nfd, unicode_form="NFD")
        replace = tone_edit(" ".join(site.article(tone).paragraphs))
        site.edit(tone, replace=replace)
        report = crawl("--full")
        urls = {name: site.article_url(i) for name, i in (("two", two), ("nfd", nfd), ("tone", tone))}
    yield {"db": str(db), "report": report, "urls": urls, "paragraph": paragraph, "edited": edited,
           "first": first, "second": second, "tone": replace}


def test_nfd_makes_no_revision_and_a_tone_mark_edit_is_a_trivial_revision(edited_archive):
    assert edited_archive["report"]["stats"]["new_revisions"] == 2
    history = json.loads(invoke("history", edited_archive["urls"]["nfd"], "--db", edited_archive["db"], "--json").stdout)
    assert [r["number"] for r in history["revisions"]] == [1]
    assert history["captures"][-1]["outcome"] == "unchanged"
    history = json.loads(invoke("history", edited_archive["urls"]["tone"], "--db", edited_archive["db"], "--json").stdout)
    assert [(r["number"], r["trivial"], r["changed_fields"]) for r in history["revisions"]] == \
        [(1, False, []), (2, True, ["body"])]


def test_json_diff_shows_exactly_the_two_changed_words(edited_archive):
    data = json.loads(invoke("diff", edited_archive["urls"]["two"], "--db", edited_archive["db"], "--json").stdout)
    assert (data["from"]["revision"], data["to"]["revision"], data["changed_fields"]) == (1, 2, ["body"])
    body = next(f for f in data["fields"] if f["field"] == "body")
    changes = [(op["op"], op["text"]) for op in body["ops"] if op["op"] != "equal"]
    assert changes == [("delete", edited_archive["first"]), ("insert", "THỨNHẤT"),
                       ("delete", edited_archive["second"]), ("insert", "THỨHAI")]
    assert "".join(op["text"] for op in body["ops"] if op["op"] != "insert") == body["old"]
    assert "".join(op["text"] for op in body["ops"] if op["op"] != "delete") == body["new"]
    # the rest of the paragraph is equal
    paragraph = edited_archive["paragraph"]
    equal = "".join(op["text"] for op in body["ops"] if op["op"] == "equal")
    for piece in paragraph.split(edited_archive["first"], 1)[0], paragraph.rsplit(edited_archive["second"], 1)[1]:
        assert piece.strip() in equal


def test_inline_diff_in_a_pipe_uses_plain_markers(edited_archive):
    out = invoke("diff", edited_archive["urls"]["two"], "--db", edited_archive["db"]).stdout
    expected = edited_archive["paragraph"].replace(
        f" {edited_archive['first']} ", f" [-{edited_archive['first']}-]{{+THỨNHẤT+}} ", 1)
    expected = f"[-{edited_archive['second']}-]{{+THỨHAI+}}".join(expected.rsplit(edited_archive["second"], 1))
    assert expected in out
    body = out.split("== body\n")[1].split("\n== ")[0]
    assert body.count("[-") == 2 and body.count("{+") == 2
    assert "== modified_at\n[-" in out  # the page's declared modified date moved with the edit
    assert "\x1b[" not in out


def test_unified_and_trivial_marking_from_the_cli(edited_archive):
    out = invoke("diff", edited_archive["urls"]["tone"], "1", "2", "--db", edited_archive["db"],
                  "--format", "unified").stdout
    assert "--- a/body (revision 1) (trivial)" in out
    (old, new), = edited_archive["tone"].items()
    body = out.split("--- a/body")[1].split("\n--- a/")[0].splitlines()[2:]
    removed = [line[1:] for line in body if line.startswith("-")]
    added = [line[1:] for line in body if line.startswith("+")]
    # every changed paragraph changed by that word's tone mark only
    assert removed and [r.replace(old.strip(), new.strip()) for r in removed] == added


def test_side_by_side_writes_one_self_contained_file(edited_archive, tmp_path):
    out = tmp_path / "d.html"
    done = invoke("diff", edited_archive["urls"]["two"], "--db", edited_archive["db"], "--format", "side-by-side",
                   "--out", str(out))
    assert done.stdout.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert f"<del>{edited_archive['first']}</del>" in page and "<ins>THỨNHẤT</ins>" in page
    assert page.count('<div class="cell old">') >= 1 and page.count('<div class="cell new">') >= 1


def test_default_side_by_side_name_and_errors(edited_archive, tmp_path, monkeypatch):
    done = invoke("diff", edited_archive["urls"]["two"], "--db", edited_archive["db"], "--format", "side-by-side",
                   "--out", "-")
    assert done.stdout.startswith("<!DOCTYPE html>")
    article_id = json.loads(invoke("diff", edited_archive["urls"]["two"], "--db", edited_archive["db"],
                                   "--json").stdout)["article_id"]
    monkeypatch.chdir(tmp_path)
    done = invoke("diff", edited_archive["urls"]["two"], "--db", edited_archive["db"], "--format", "side-by-side")
    assert done.stdout == f"diff-{article_id}-1-2.html\n" and (tmp_path / f"diff-{article_id}-1-2.html").exists()
    # one revision: said plainly, and where to look instead; not an error
    done = invoke("diff", edited_archive["urls"]["nfd"], "--db", edited_archive["db"])
    assert done.stdout.endswith("has one revision: nothing to compare yet. `xdd-archive show "
                                f"{done.stdout.split()[1]}` shows its text\n") and done.stderr == ""
    done = invoke("diff", edited_archive["urls"]["two"], "1", "9", "--db", edited_archive["db"], check=6)
    assert "has no revision 9 (it has 1, 2)" in done.stderr
    done = invoke("diff", edited_archive["urls"]["two"], "--out", str(tmp_path / "x.html"), "--db",
                   edited_archive["db"], check=2)
    assert "--out is for --format side-by-side" in done.stderr
