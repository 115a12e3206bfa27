"""The leaf layer's text rules (xdd_archive.core.text): the table-driven folds equal their definitions
(decompose the whole text, drop the marks) on any text, Vietnamese or not."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from xdd_archive.core.text import INVISIBLE, clean, clean_line, compare_fold, search_fold, trivial_fold

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(VIETNAMESE + " ,.;:!?()“”–-\n\u00a0\u200b\u0300\u0301\u0303\u0309\u0323ßİ"),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


def search_fold_by_definition(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).lower()


def compare_fold_by_definition(text: str) -> str:
    text = clean_line(text).casefold().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^\w]+", " ", text).strip()


@settings(max_examples=400)
@given(texts)
def test_search_fold_is_decompose_drop_marks_lower_case(text):
    assert search_fold(text) == search_fold_by_definition(text)


@settings(max_examples=400)
@given(texts)
def test_compare_fold_is_decompose_drop_marks_and_punctuation(text):
    assert compare_fold(text) == compare_fold_by_definition(text)


@given(texts)
def test_invisible_characters_never_survive_cleaning(text):
    assert not set(clean(text)) & INVISIBLE and not set(clean_line(text)) & INVISIBLE


def test_the_folds_on_vietnamese():
    assert search_fold("Xây dựng Đảng") == "xay dung dang"
    assert compare_fold("  Xây\u00a0dựng, Đảng!") == "xay dung dang"
    assert trivial_fold("hoà bình.") == trivial_fold("hòa  bình") != trivial_fold("hóa bình")
    assert clean("a\u200bb  c\r\n\r\nd") == "ab c\n\nd"
