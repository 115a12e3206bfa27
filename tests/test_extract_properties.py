"""The extractor never raises, whatever the markup: property tests over generated pages.

Hypothesis builds article-like pages (a title, a date line, Vietnamese paragraphs) and mixes in what real
CMS pages hold: tables with every kind of cell (empty, lists, figures, links, line breaks, colspan and
rowspan with good and bad values, nested tables), nested lists, figures, empty elements, comments, CDATA,
entities good and bogus, deep nesting, stray closing tags, scripts and styles, NULs and control
characters, huge attributes, byte-order marks, and bytes in odd or wrongly declared encodings.

The contract (DESIGN.md, "Extraction contract"): every page gives a record or a not-an-article reason.
``extract`` turns an internal exception into ``not_article="extraction failed"`` so that a crawl survives
it; here that is a failure. Examples are bounded (about 400 pages in all) so the file runs in seconds;
``XDD_HYPOTHESIS_EXAMPLES=5000`` runs a deeper search by hand.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler.extract import Extraction, extract
from xdd_archive.core.text import INVISIBLE

URL = "https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-viet-12346"
EXAMPLES = int(os.environ.get("XDD_HYPOTHESIS_EXAMPLES", "80"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SENTENCES = [
    "Ban Tổ chức Tỉnh ủy đã tổ chức hội nghị sơ kết công tác xây dựng Đảng sáu tháng đầu năm.",
    "Các đại biểu thống nhất cao với báo cáo, đồng thời đề xuất nhiều giải pháp nâng cao chất lượng sinh hoạt chi bộ.",
    "Kết luận hội nghị, đồng chí Trưởng Ban đề nghị các cấp ủy tập trung hoàn thành các chỉ tiêu đề ra trong năm.",
    "Thực hiện Nghị quyết số 26-NQ/TW, tỉnh đã kiện toàn 1.245 chi bộ trực thuộc, bố trí đủ bí thư chi bộ.",
    "Lượt xem: 1.091",
    "15/10/2019 07:07 SA",
    "In trang | Gửi email | Chia sẻ",
    "Tin liên quan",
    "Nguyễn Bá Thắng (http://www.xaydungdang.org.vn)",
    "(Theo TTXVN)",
    "{image id =1}",
    "Từ khóa: cán bộ, đảng viên",
]
WORDS = ["Đảng", "chi bộ", "đảng viên", "Hà Nội", "1.234", "15/10/2019", "07:07 CH", "|", "#", "-", "1.", ">", "*"]
ENTITIES = ["&nbsp;", "&amp;", "&lt;", "&gt;", "&quot;", "&#7907;", "&#x1EA1;", "&#0;", "&#xFFFFFF;", "&#xD800;",
            "&bogus;", "&", "&#", "&#x;", "&nbsp", "&#65533;"]
ODD_CHARS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\x9f", "\u00ad", "\u200b", "\ufeff",
             "\u2028", "\ufffd", "\u0301", "\u0323", "a\u0300", "\U0001f600", "\ue000", "\r", "\t", "<", ">", "]]>"]
BAD_SPANS = ["0", "1", "2", "3", "-1", "abc", "", "99999", "²", "1.5"]
CLASSES = ["", "content", "title", "author", "date", "share", "related", "sapo", "tags", "breadcrumb",
           "caption", "detail-content", "post-content", "tin-lien-quan", "luotxem"]

text = st.one_of(
    st.sampled_from(SENTENCES),
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ENTITIES), st.sampled_from(ODD_CHARS)),
             max_size=8).map(" ".join),
    st.text(max_size=30),
)


def attrs() -> st.SearchStrategy[str]:
    """Attributes as pages write them: classes that mean something to the extractor, alignment,
    itemprops, broken quoting, and now and then a huge value."""
    one = st.one_of(
        st.sampled_from(CLASSES).map(lambda c: f' class="{c}"'),
        st.sampled_from(["right", "center", "left", ""]).map(lambda a: f' style="text-align: {a}"'),
        st.sampled_from(["articleBody", "author", "datePublished", "headline"]).map(lambda p: f' itemprop="{p}"'),
        st.just(' id="divArticleDescription2"'),
        st.integers(1000, 60000).map(lambda n: f' data-x="{"x" * n}"'),
        st.just(' class="unclosed'),
        st.just(" align=right"),
    )
    return st.lists(one, max_size=3).map("".join)


def images() -> st.SearchStrategy[str]:
    src = st.sampled_from(["/Uploads/Images/2019/10/15/7/anh hội nghị.jpg", "data:image/png;base64,AAAA", "",
                           "http://[::1", "javascript:alert(1)", "//cdn.example.vn/a.jpg", "/icons/print.gif",
                           "\x00.jpg", "http://a b/c d.jpg"])
    size = st.sampled_from(["", ' width="10"', ' width="600" height="400"', ' width="abc"'])
    alt = st.sampled_from(["", ' alt="Quang cảnh hội nghị (Ảnh: TTXVN)"', ' alt="DSC_0012.jpg"', " alt"])
    long_src = st.integers(500, 5000).map(lambda n: "https://www.xaydungdang.org.vn/" + "a" * n + ".jpg")
    return st.builds(lambda s, w, a: f'<img src="{s}"{w}{a}>', st.one_of(src, long_src), size, alt)


def cells(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    content = st.one_of(
        st.just(""), text, children, images(),
        st.builds(lambda a, b: f"{a}<br>{b}", text, text),
        st.builds(lambda t: f'<a href="/x">{t}</a>', text),
        st.builds(lambda t: f"<ul><li>{t}</li><li>{t}</li></ul>", text),
        st.builds(lambda i, t: f"<figure>{i}<figcaption>{t}</figcaption></figure>", images(), text),
        st.builds(lambda t: f"<p>{t}</p><p>{t}</p>", text),
    )
    span = st.one_of(st.just(""), st.tuples(st.sampled_from(["colspan", "rowspan"]), st.sampled_from(BAD_SPANS))
                     .map(lambda kv: f' {kv[0]}="{kv[1]}"'))
    tag = st.sampled_from(["td", "th", "td"])
    return st.builds(lambda t, s, c: f"<{t}{s}>{c}</{t}>", tag, span, content)


def tables(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    row = st.lists(cells(children), min_size=0, max_size=4).map(lambda cs: "<tr>" + "".join(cs) + "</tr>")
    wrap = st.sampled_from(["{}", "<tbody>{}</tbody>", "<thead>{}</thead>", "<caption>Bảng 1</caption>{}", "{}</tbody>"])
    return st.builds(lambda rows, w, a: f"<table{a}>" + w.format("".join(rows)) + "</table>",
                     st.lists(row, max_size=5), wrap, attrs())


def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    many = st.lists(children, max_size=4).map("".join)
    block = st.sampled_from(["p", "div", "section", "article", "blockquote", "h1", "h2", "h3", "h6", "span",
                             "b", "em", "strong", "a", "pre", "code", "center", "font", "li", "td", "figure"])
    return st.one_of(
        st.builds(lambda t, a, c: f"<{t}{a}>{c}</{t}>", block, attrs(), many),
        st.builds(lambda t, c: f"<{t}>{c}", block, many),  # never closed
        st.builds(lambda o, c: f"<{o}><li>{c}</li><li><{o}><li>{c}</li></{o}></li></{o}>", st.sampled_from(["ul", "ol"]), many),
        tables(children),
        st.builds(lambda i, t: f"<figure>{i}<figcaption>{t}</figcaption></figure>", images(), text),
    )


leaves = st.one_of(
    text,
    images(),
    st.sampled_from(["<br>", "<br/>", "<hr>", "<p></p>", "<div></div>", "<span/>", "<td></td>", "<table></table>",
                     "</div>", "</td></tr></table>", "</p></p>", "</body>", "</html>", "<li>", "<tr>",
                     "<!-- bình luận -->", "<!-- unclosed comment", "<![CDATA[ <p>không phải</p> ]]>",
                     "<script>var x = '</div>'; document.write('<p>a</p>');</script>", "<style>p { color: red }</style>",
                     "<noscript><p>Bật JavaScript</p></noscript>", "<?php echo 1; ?>", "<svg><text>x</text></svg>",
                     "<iframe src='https://www.youtube.com/embed/x'></iframe>", "<template><p>mẫu</p></template>",
                     "<input value='Tìm kiếm'>", "<select><option>1</option></select>", "<math><mi>x</mi></math>",
                     "<o:p></o:p>", "<xml><w:WordDocument></w:WordDocument></xml>", "<base href='http://[bad'>",
                     "<base href='/khac/'>", '<a href="/tag/x" rel="tag">chi bộ</a>']),
)
fragments = st.recursive(leaves, extend, max_leaves=25)


@st.composite
def pages(draw: st.DrawFn) -> str:
    """A page: head (title, meta, JSON-LD, maybe broken), an article-like body with generated markup in
    and around it, and now and then deep nesting."""
    title = draw(st.one_of(st.just("Hội nghị sơ kết công tác xây dựng Đảng"), text))
    head = draw(st.lists(st.sampled_from([
        f"<title>{title} - Tạp chí Xây dựng Đảng</title>", '<meta charset="windows-1258">', '<meta charset="bogus">',
        '<meta property="og:title" content="Tạp chí Xây dựng Đảng">', '<meta property="article:published_time" content="2019-13-45T99:99">',
        '<meta property="og:type" content="article">', '<meta name="description" content="">',
        '<script type="application/ld+json">{"@type": "NewsArticle", "author": [null, 3, {"name": ["x"]}], '
        '"datePublished": 20191015, "keywords": {"a": 1}, "@graph": "x", "articleSection": [null]}</script>',
        '<script type="application/ld+json">{broken,,}</script>', '<script type="application/ld+json">[[[]]]</script>',
        '<meta name="author" content="Ban Biên tập">', '<meta property="article:tag" content="">',
    ]), max_size=6))
    inside = draw(st.lists(fragments, max_size=5))
    paragraphs = [f"<p>{s}</p>" for s in draw(st.lists(st.sampled_from(SENTENCES[:4]), max_size=6))]
    body = [f"<h1>{title}</h1>", "<div class='date'>15/10/2019 07:07 SA</div>", *paragraphs]
    for fragment in inside:
        body.insert(draw(st.integers(0, len(body))), fragment)
    depth = draw(st.sampled_from([0, 0, 0, 30, 300, 2000]))
    nest = draw(st.sampled_from(["div", "table><tr><td", "ul><li", "blockquote", "b"]))
    opener, closer = f"<{nest}>", "</" + "></".join(reversed(re.findall(r"\w+", nest))) + ">"
    core = "".join(body)
    core = opener * depth + core + closer * draw(st.sampled_from([depth, 0, depth // 2]))
    doctype = draw(st.sampled_from(["<!DOCTYPE html>", "", '<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE>"]))
    return f"{doctype}<html lang='vi'><head>{''.join(head)}</head><body>{core}</body></html>"


@st.composite
def payloads(draw: st.DrawFn) -> tuple[bytes | str, dict[str, str] | None]:
    """The page as the network delivers it: a str, or bytes in some encoding (declared or not, right or
    wrong), with a BOM now and then and stray bytes mixed in."""
    html = draw(pages())
    form = draw(st.sampled_from(["str", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258", "cp1252", "latin-1", "junk"]))
    headers = draw(st.sampled_from([None, {"Content-Type": "text/html; charset=utf-8"},
                                    {"Content-Type": "text/html; charset=windows-1252"},
                                    {"content-type": "text/html; charset=\"bogus-charset\""}, {"Content-Type": ""}]))
    if form == "str":
        return html, headers
    if form == "junk":
        raw = html.encode("utf-8")
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + draw(st.binary(max_size=40)) + raw[cut:], headers
    return html.encode(form, errors="replace"), headers


def assert_record_or_reason(ex: Extraction) -> None:
    """The contract: a record, or a reason it is not an article; never an internal failure."""
    assert isinstance(ex, Extraction)
    failures = [w for w in ex.warnings if w.startswith("extraction failed")]
    assert ex.not_article != "extraction failed" and not failures, failures
    if ex.not_article is None:
        assert ex.title and ex.body_text, "an article has a title and a body"
    json.dumps(ex.to_dict(), ensure_ascii=False)
    for name in ("title", "lead", "body_text", "body_markdown", "author", "source", "category"):
        value = getattr(ex, name)
        if value is None:
            continue
        assert isinstance(value, str) and value == value.strip(), name
        assert unicodedata.is_normalized("NFC", value), f"{name} is not NFC"
        assert not INVISIBLE.intersection(value.replace("\n", "").replace("\t", "")), f"{name} holds invisible characters"
    for image in ex.images:
        assert image.url and " " not in image.url
    assert_markdown_tables_are_rectangular(ex.body_markdown or "")


def assert_markdown_tables_are_rectangular(markdown: str) -> None:
    """Every row of every Markdown table has as many cells as its header (escaped pipes are text)."""
    for block in markdown.split("\n\n"):
        lines = block.split("\n")
        if len(lines) < 2 or not re.fullmatch(r"\|( --- \|)+", lines[1]):
            continue
        width = lines[1].count("---")
        for line in lines:
            assert line.startswith("|") and line.endswith("|"), line
            assert len(re.findall(r"(?<!\\)\|", line)) == width + 1, (line, width)


@SETTINGS
@given(pages())
# found by this test: a <base href> that is no URL; a form feed (XML refuses it) in a cell next to a table
@example('<html><body><img src="/a.jpg"><BASE HREF=A://[<h1>Hội nghị sơ kết</h1><p>x</p></body></html>')
@example("<html><body><h1>Hội nghị</h1><table><tr><td>0\x0c</td><td><TABLE></td></tr></table></body></html>")
def test_generated_pages_give_a_record_or_a_reason(html: str) -> None:
    assert_record_or_reason(extract(URL, html))


@SETTINGS
@given(payloads())
def test_generated_bytes_in_any_encoding_give_a_record_or_a_reason(payload: tuple[bytes | str, dict[str, str] | None]) -> None:
    raw, headers = payload
    assert_record_or_reason(extract(URL, raw, headers=headers))


@SETTINGS
@given(st.lists(tables(fragments), min_size=1, max_size=3), st.lists(st.sampled_from(SENTENCES[:4]), min_size=2, max_size=5))
def test_articles_holding_any_table_give_a_record(table_list: list[str], sentences: list[str]) -> None:
    body = "".join(f"<p>{s}</p>" for s in sentences)
    html = (f"<html><head><title>Hội nghị sơ kết công tác xây dựng Đảng</title></head><body><h1>Hội nghị sơ kết công "
            f"tác xây dựng Đảng</h1><div>15/10/2019 07:07 SA</div><div class='content'>{body}{''.join(table_list)}"
            f"{body}</div></body></html>")
    ex = extract(URL, html)
    assert_record_or_reason(ex)


@settings(max_examples=max(EXAMPLES * 3 // 4, 1), deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_record_or_a_reason(raw: bytes) -> None:
    assert_record_or_reason(extract(URL, raw))


@settings(max_examples=max(EXAMPLES * 3 // 4, 1), deadline=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_gives_a_record_or_a_reason(raw: str) -> None:
    assert_record_or_reason(extract(URL, raw))
