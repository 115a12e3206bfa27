"""Site profiles: one article, however many URLs reach it (DESIGN.md, "Identity of an article").

These name the real site's URLs as data only: nothing here opens a connection.
"""

from __future__ import annotations

import pytest

from crawler.sites import get_profile, normalize_url, strip_tracking
from xdd_archive.errors import ConfigError

MAGAZINE = get_profile("xaydungdang")

OLD = "https://www.xaydungdang.org.vn/nhip-cau-ban-doc/gioi-thieu-tap-chi-xay-dung-dang-in-so-xuan-nham-dan-1-2-2022-16364"
NEW = "https://xaydungdang.tapchicongsan.org.vn/hoat-dong-cua-dia-phuong-co-so/ha-giang-hop-nhat-ban-to-chuc.html"


@pytest.mark.parametrize("url", [
    OLD,
    OLD.replace("https://www.", "https://"),
    OLD.replace("https://", "http://"),
    OLD + "?utm_source=facebook&utm_medium=social",
    OLD + "?preview=1",
    OLD + "#binh-luan",
    OLD + "/",
])
def test_every_variant_of_an_old_site_url_is_its_numeric_id(url):
    assert MAGAZINE.article_key(url) == "16364"


@pytest.mark.parametrize("url", [NEW, NEW.replace("https://", "https://www."), NEW + "?preview=1", NEW + "?fbclid=x"])
def test_a_2025_site_article_is_keyed_by_its_path(url):
    assert MAGAZINE.article_key(url) == "/hoat-dong-cua-dia-phuong-co-so/ha-giang-hop-nhat-ban-to-chuc.html"


def test_new_site_videos_have_their_own_key_space():
    url = "https://xaydungdang.tapchicongsan.org.vn/videos/hoi-nghi-trung-uong-16364.html"
    assert MAGAZINE.article_key(url) == "video:16364"  # never the old-site article 16364


def test_a_new_site_slug_ending_in_digits_is_still_keyed_by_path():
    url = "https://xaydungdang.tapchicongsan.org.vn/hoat-dong/nhiem-ky-2020-2025.html"
    assert MAGAZINE.article_key(url) == "/hoat-dong/nhiem-ky-2020-2025.html"


@pytest.mark.parametrize("url", [
    "https://www.xaydungdang.org.vn/",
    "https://www.xaydungdang.org.vn/nhip-cau-ban-doc",
    "https://www.xaydungdang.org.vn/Uploads/Images/2022/01/01/1/a4.jpg",
    "https://example.org/nhip-cau-ban-doc/bai-viet-16364",
])
def test_pages_that_are_not_articles_of_the_site_have_no_key(url):
    assert MAGAZINE.article_key(url) is None


def test_listings_and_their_pages_are_recognised():
    assert MAGAZINE.is_listing_url("https://www.xaydungdang.org.vn/nhip-cau-ban-doc")
    assert MAGAZINE.is_listing_url("https://www.xaydungdang.org.vn/nhip-cau-ban-doc?page=3")
    assert not MAGAZINE.is_listing_url(OLD)


def test_canonical_urls_use_the_profile_base_without_query_or_fragment():
    assert MAGAZINE.canonical_url(NEW + "?preview=1#x") == NEW


def test_aliases_keep_the_url_as_seen_but_in_one_spelling():
    assert normalize_url("HTTPS://WWW.XayDungDang.org.vn:443/a?b=2&a=1#frag") == "https://www.xaydungdang.org.vn/a?a=1&b=2"
    assert strip_tracking(OLD + "?utm_source=x&page=2#c") == OLD + "?page=2"


def test_a_mirror_receives_every_fetch_and_the_real_hosts_none():
    mirror = get_profile("xaydungdang", "http://127.0.0.1:8765")
    assert mirror.url(OLD) == "http://127.0.0.1:8765" + OLD.split("org.vn", 1)[1]
    assert mirror.may_fetch("http://localhost:8765/x") and mirror.may_fetch("http://127.0.0.1:8765/x")
    assert not mirror.may_fetch(OLD)
    assert mirror.article_key(OLD) == "16364"  # the real URLs still name the same articles


def test_the_real_site_refuses_private_addresses_and_the_replica_allows_them():
    assert not MAGAZINE.allow_private
    assert get_profile("replica").allow_private


@pytest.mark.parametrize("bad", ["nosuchsite"])
def test_an_unknown_profile_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="unknown site"):
        get_profile(bad)


def test_a_base_url_must_be_http():
    with pytest.raises(ConfigError, match="--base-url"):
        get_profile("replica", "ftp://127.0.0.1/")
