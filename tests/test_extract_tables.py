"""Tables in article bodies: data tables become Markdown tables (and lines of cells in body_text), layout
tables become the blocks of their cells, and nothing in a table crashes the extractor or shows twice.

The full pages are the golden cases ``table-statistics`` and ``table-resolution``; these pin single rules.
"""

from __future__ import annotations

from crawler.extract import Extraction, extract

URL = "https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-viet-co-bang-12346"
TITLE = "Kết quả công tác xây dựng Đảng năm 2023"
PARAS = [
    "Ban Tổ chức Tỉnh ủy đã tổ chức hội nghị sơ kết công tác xây dựng Đảng năm 2023, đánh giá kết quả thực hiện "
    "các nghị quyết và chỉ ra những hạn chế cần khắc phục trong thời gian tới.",
    "Các đại biểu thống nhất cao với báo cáo, đồng thời đề xuất nhiều giải pháp nâng cao chất lượng sinh hoạt chi "
    "bộ, phát triển đảng viên và kiểm tra, giám sát ở cơ sở.",
    "Kết luận hội nghị, đồng chí Trưởng Ban Tổ chức Tỉnh ủy đề nghị các cấp ủy tập trung hoàn thành các chỉ tiêu "
    "đề ra trong năm tới, nhất là chỉ tiêu kết nạp đảng viên mới.",
]
STATS = (
    "<table border='1'><tr><th>Đơn vị</th><th>Số đảng viên</th><th>Kết nạp mới</th></tr>"
    "<tr><td>Huyện Đức Trọng</td><td>6.732</td><td>251</td></tr>"
    "<tr><td>Huyện Lâm Hà</td><td>5.904</td><td>233</td></tr></table>"
)


def page(content: str, *, wrap: str = "<div class='main'><h1>{title}</h1><div class='info'>15/10/2023 07:07 SA</div>"
         "<div class='content'>{content}</div></div>") -> str:
    body = wrap.format(title=TITLE, content=content)
    return (f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
            f"<div class='header'><a href='/'>Trang chủ</a></div>{body}<div class='footer'><p>Tạp chí Xây dựng "
            "Đảng - 105 Quán Thánh, Hà Nội</p></div></body></html>")


def run(content: str, **kw: str) -> Extraction:
    ex = extract(URL, page(content, **kw))
    assert ex.not_article is None, (ex.not_article, ex.warnings)
    return ex


def paragraphs(ex: Extraction) -> list[str]:
    return (ex.body_text or "").split("\n\n")


def test_a_data_table_is_a_markdown_table_and_lines_of_cells() -> None:
    ex = run(f"<p>{PARAS[0]}</p>{STATS}<p>{PARAS[1]}</p>")
    assert paragraphs(ex) == [
        PARAS[0],
        "Đơn vị | Số đảng viên | Kết nạp mới\nHuyện Đức Trọng | 6.732 | 251\nHuyện Lâm Hà | 5.904 | 233",
        PARAS[1],
    ]
    assert ("\n\n| Đơn vị | Số đảng viên | Kết nạp mới |\n| --- | --- | --- |\n| Huyện Đức Trọng | 6.732 | 251 |\n"
            "| Huyện Lâm Hà | 5.904 | 233 |\n\n") in (ex.body_markdown or "")


def test_a_data_table_in_a_page_laid_out_with_tables_stays_where_the_page_shows_it() -> None:
    # trafilatura emits a nested table after the table holding it: the layout must not move the data
    layout = ("<table width='100%'><tr><td id='leftcol'><h1>{title}</h1><div>15/10/2023 07:07 SA</div>"
              "<div class='content'>{content}</div></td><td id='rightcol'><ul><li><a href='/a-1'>Một bài viết khác "
              "có tiêu đề khá dài</a></li></ul></td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{STATS}<p>{PARAS[1]}</p><p>{PARAS[2]}</p>", wrap=layout)
    texts = paragraphs(ex)
    assert texts[0] == PARAS[0] and texts[1].startswith("Đơn vị | Số đảng viên") and texts[2:] == PARAS[1:]


def test_word_style_cells_lists_and_line_breaks_are_one_line_per_row() -> None:
    table = ("<table><tr><td><p>STT</p></td><td><p>Nội dung</p></td></tr>"
             "<tr><td><p>1</p></td><td><p>Rà soát chức năng</p><p>của các cơ quan</p></td></tr>"
             "<tr><td>2</td><td>Hợp nhất:<ul><li>Sở Tài chính</li><li>Sở Xây dựng</li></ul></td></tr>"
             "<tr><td>3</td><td>Dòng một<br>dòng hai</td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert paragraphs(ex)[1] == ("STT | Nội dung\n1 | Rà soát chức năng của các cơ quan\n"
                                 "2 | Hợp nhất: Sở Tài chính; Sở Xây dựng\n3 | Dòng một dòng hai")


def test_colspan_rowspan_and_empty_cells_keep_the_columns_aligned() -> None:
    table = ("<table><tr><th>Đơn vị</th><th>Quý I</th><th>Quý II</th></tr>"
             "<tr><td rowspan='2'>Huyện A</td><td>12</td><td>15</td></tr><tr><td>&nbsp;</td><td>9</td></tr>"
             "<tr><td colspan='2'>Tổng</td><td>36</td></tr><tr><td></td><td></td><td></td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert paragraphs(ex)[1] == "Đơn vị | Quý I | Quý II\nHuyện A | 12 | 15\n9\nTổng | 36"
    assert "| Đơn vị | Quý I | Quý II |\n| --- | --- | --- |\n| Huyện A | 12 | 15 |\n|  |  | 9 |\n| Tổng |  | 36 |" in (
        ex.body_markdown or "")


def test_a_pipe_in_a_cell_is_escaped_in_markdown() -> None:
    table = "<table><tr><td>Ký hiệu</td><td>Nghĩa</td></tr><tr><td>a | b</td><td>a hoặc b</td></tr></table>"
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert "| a \\| b | a hoặc b |" in (ex.body_markdown or "")


def test_a_figure_in_a_data_table_is_one_image_with_its_caption_and_its_text_shows_once() -> None:
    table = ("<table><tr><td>Ảnh</td><td>Đơn vị</td><td>Kết quả</td></tr>"
             "<tr><td><figure><img src='/Uploads/a/hoi-nghi.jpg' width='300'><figcaption>Hội nghị sơ kết (Ảnh: TTXVN)"
             "</figcaption></figure></td><td>Huyện A</td><td>Hoàn thành</td></tr>"
             "<tr><td></td><td>Huyện B</td><td>Đang thực hiện</td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert [(i.url.rsplit("/", 1)[-1], i.caption) for i in ex.images] == [("hoi-nghi.jpg", "Hội nghị sơ kết (Ảnh: TTXVN)")]
    assert "Hội nghị sơ kết" not in (ex.body_text or "")
    assert "Huyện A | Hoàn thành" in (ex.body_text or "")
    assert (ex.body_markdown or "").count("Hội nghị sơ kết") == 1


def test_an_image_in_a_data_table_is_not_captioned_with_the_table() -> None:
    table = ("<table><tr><td>Đơn vị</td><td>Kết quả</td></tr><tr><td><img src='/Uploads/a/bieu-do.png' width='300'>"
             "</td><td>Hoàn thành</td></tr><tr><td>Huyện B</td><td>Đang thực hiện</td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert [i.caption for i in ex.images] == [None]


def test_an_image_table_with_a_caption_row_is_a_captioned_image() -> None:
    table = ("<table><tr><td><img src='/Uploads/a/anh-hoi-nghi.jpg' width='600'></td></tr>"
             "<tr><td>Quang cảnh hội nghị. (Ảnh: TL)</td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert [i.caption for i in ex.images] == ["Quang cảnh hội nghị. (Ảnh: TL)"]
    assert paragraphs(ex) == PARAS[:2]


def test_a_gallery_table_is_pictures_not_data() -> None:
    table = ("<table><tr><td><img src='/Uploads/a/anh-1.jpg' width='300'><br><em>Chi bộ thôn 1 sinh hoạt</em></td>"
             "<td><img src='/Uploads/a/anh-2.jpg' width='300'><br><em>Chi bộ thôn 2 sinh hoạt</em></td></tr>"
             "<tr><td><img src='/Uploads/a/anh-3.jpg' width='300'><br><em>Chi bộ thôn 3 sinh hoạt</em></td>"
             "<td><img src='/Uploads/a/anh-4.jpg' width='300'><br><em>Chi bộ thôn 4 sinh hoạt</em></td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert len(ex.images) == 4
    assert "|" not in (ex.body_markdown or "")


def test_a_nested_table_is_its_own_table_after_the_one_holding_it() -> None:
    table = ("<table><tr><td>Cấp</td><td>Thời hạn</td></tr><tr><td>Tỉnh</td><td>30/6</td></tr>"
             "<tr><td>Xã</td><td><table><tr><td>Đợt 1</td><td>31/7</td></tr><tr><td>Đợt 2</td><td>31/8</td></tr>"
             "</table></td></tr></table>")
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    text = ex.body_text or ""
    for cell in ("Đợt 1", "31/7", "Đợt 2", "31/8", "Tỉnh | 30/6"):
        assert text.count(cell) == 1, cell
    assert paragraphs(ex)[2] == "Đợt 1 | 31/7\nĐợt 2 | 31/8"


def test_a_byline_below_a_closing_table_is_the_author() -> None:
    ex = run(f"<p>{PARAS[0]}</p><p>{PARAS[1]}</p>{STATS}<p style='text-align:right'><strong>Phạm Thị Thu Hà</strong></p>")
    assert ex.author == "Phạm Thị Thu Hà"
    assert "Phạm Thị Thu Hà" not in (ex.body_text or "")
    assert paragraphs(ex)[-1].endswith("Huyện Lâm Hà | 5.904 | 233")


def test_a_cms_token_in_a_cell_is_removed_and_warned() -> None:
    table = "<table><tr><td>Đơn vị</td><td>Ảnh</td></tr><tr><td>Huyện A</td><td>{image id =2}</td></tr></table>"
    ex = run(f"<p>{PARAS[0]}</p>{table}<p>{PARAS[1]}</p>")
    assert "{image" not in (ex.body_text or "") and "{image" not in (ex.body_markdown or "")
    assert paragraphs(ex)[1] == "Đơn vị | Ảnh\nHuyện A"
    assert any("{image id =2}" in w for w in ex.warnings)


def test_preformatted_text_is_a_code_block() -> None:
    ex = run(f"<p>{PARAS[0]}</p><pre>Điều 1.  Ban hành\nĐiều 2.  Thi hành</pre><p>{PARAS[1]}</p>")
    assert "Điều 1." in (ex.body_text or "")
