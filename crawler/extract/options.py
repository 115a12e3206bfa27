"""The extractor's tunables, in one options object a profile can override.

Every number the rules compare against lives here with the reason for its value. A site profile
overrides some of them through its hints (``ExtractionHints(options=ExtractOptions(min_body_chars=100))``);
the rest keep these defaults. Like trafilatura's ``Extractor`` options, one object is passed through
every stage (it travels in the page context).
"""

from __future__ import annotations

from configparser import ConfigParser
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DEFAULT_OPTIONS", "ExtractOptions", "trafilatura_config"]


@dataclass(frozen=True, kw_only=True)
class ExtractOptions:
    """Thresholds of the extraction rules (characters unless said otherwise).

    >>> ExtractOptions(min_body_chars=100).min_body_chars, ExtractOptions().region_prose_share
    (100, 0.5)
    """

    # Below this many characters of body text a page is not an article. Short real articles (three short
    # paragraphs, a brief announcement) run to 300+ characters; error and maintenance pages to < 150.
    min_body_chars: int = 150
    # A body at least this long, in this many paragraphs, with a date or author, is an article even when
    # its title or first lines contain words of an error/maintenance page ("không tìm thấy", "bảo trì").
    strong_article_chars: int = 1200
    strong_article_paragraphs: int = 4
    # Error and maintenance pages are small: below this many characters of body, their words anywhere on
    # the page decide; above it only a title made of those words does.
    small_body_chars: int = 600
    # Window of page text after (and before) the title searched for the publication date.
    date_window_after: int = 700
    date_window_before: int = 160
    # After a date labelled "Cập nhật" (updated), how far a plain publication date may still follow
    # (`Cập nhật: 16/10/2019 | Đăng: 15/10/2019`); beyond it the updated date is the only one there is.
    updated_lookahead: int = 200
    # A text run shorter than this counts for nothing when locating the prose (menu items, labels, counters).
    min_prose_run: int = 25
    # The content region is the title's first ancestor holding this share of the page's prose.
    region_prose_share: float = 0.5
    # Without a title element: the deepest element holding this share of the prose, then its parent.
    prose_root_share: float = 0.8
    # Furniture-by-class is not removed when the element holds more than this share of the region's prose.
    furniture_max_prose_share: float = 0.25
    # How far (characters of page text) after the body's last line a byline is looked for in the DOM.
    byline_window: int = 400
    # A related-links box in the middle of an article: the article resumes after it when at least this
    # much prose (in two paragraphs of 200+ characters) follows; otherwise the box opens the page's tail.
    resume_prose_chars: int = 400
    # How many body blocks the head-of-body cleanup looks at.
    head_blocks: int = 10
    # A list is a list of links (related articles) when this share of its text is link text.
    link_list_ratio: float = 0.6
    # Listing page: this many body blocks that are items of a repeated link list (or anchor texts), and
    # with the date lines between them, this share of the body's characters. An article's body is its own
    # prose, outside any repeated group, so its share stays near 0 even with related lists around it.
    listing_min_teasers: int = 4
    listing_teaser_share: float = 0.6
    # ...or, however few blocks, this share of the body is listing items: the body is a listing's item.
    listing_whole_body_share: float = 0.8
    # A bold paragraph up to this long without final punctuation is a section heading.
    max_heading_chars: int = 200
    # A table cell longer than this is prose: the table lays out an article, it does not hold data.
    layout_cell_chars: int = 600


DEFAULT_OPTIONS = ExtractOptions()


@lru_cache(maxsize=1)
def trafilatura_config() -> ConfigParser:
    """trafilatura's defaults, with its extraction timeout off (we run it in-process, per page) and no
    minimum output size (short articles are ours to judge)."""
    from trafilatura.settings import DEFAULT_CONFIG

    config = deepcopy(DEFAULT_CONFIG)
    config["DEFAULT"]["EXTRACTION_TIMEOUT"] = "0"
    config["DEFAULT"]["MIN_OUTPUT_SIZE"] = "1"
    return config
