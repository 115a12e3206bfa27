"""Bytes -> text for HTML pages whose declared charset may be wrong.

The portals and the old site are ASP.NET/DotNetNuke servers whose ``Content-Type`` header sometimes
names ``windows-1252`` (or nothing) while the bytes are UTF-8; older pages may really be ``windows-1258``
(Vietnamese Windows, with combining tone marks). Order of trust:

1. a byte-order mark;
2. bytes that decode as UTF-8 without error are UTF-8, whatever is declared (a legacy single-byte
   encoding almost never produces valid multi-byte UTF-8 sequences by chance);
3. the charset declared by the ``Content-Type`` header, then by ``<meta charset>`` /
   ``<meta http-equiv="Content-Type">``;
4. ``cp1258`` (Vietnamese Windows), then ``windows-1252`` with replacement characters.

A str that was already mis-decoded upstream (``Ä‘`` for ``đ``: UTF-8 read as windows-1252) is repaired.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

__all__ = ["declared_charset", "decode_html", "repair_mojibake"]

# `<meta charset="utf-8">` or `<meta http-equiv="Content-Type" content="text/html; charset=utf-8">`,
# searched in the first bytes only (browsers look at the first 1024; CMS heads can be long).
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_META_SCAN_BYTES = 8192

# Names servers write that Python spells differently.
_ALIASES = {
    "windows-1258": "cp1258",
    "x-windows-1258": "cp1258",
    "windows-1252": "cp1252",
    "iso-8859-1": "cp1252",  # browsers treat latin-1 as windows-1252 (WHATWG)
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "tcvn": "cp1258",  # TCVN3 has no Python codec; cp1258 is the closest sane guess
    "tcvn3": "cp1258",
    "viscii": "cp1258",
}

# Mis-decoded UTF-8 (read as windows-1252/latin-1) shows these two-character sequences: a lead byte
# of a Vietnamese letter (Ã, Ä, Æ, á»/áº, â€) followed by a continuation byte.
_MOJIBAKE_RE = re.compile("(?:[ÃÄÆÅ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]|á[»º]|â€)")


def _normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes, headers: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(charset from the Content-Type header, charset from a meta tag), each normalised or None."""
    header_cs = None
    if headers:
        for key, value in headers.items():
            if key.lower() == "content-type" and value:
                m = _HEADER_CHARSET_RE.search(value if isinstance(value, str) else str(value))
                if m:
                    header_cs = _normalise_charset(m.group(1))
                break
    meta_cs = None
    meta = _META_CHARSET_RE.search(data[:_META_SCAN_BYTES])
    if meta:
        meta_cs = _normalise_charset(meta.group(1).decode("ascii", "replace"))
    return header_cs, meta_cs


def decode_html(data: bytes | str, headers: Mapping[str, str] | None = None) -> tuple[str, str, list[str]]:
    """(text, encoding used, warnings) for a page's raw bytes (or an already decoded str)."""
    warnings: list[str] = []
    if isinstance(data, str):
        repaired = repair_mojibake(data)
        if repaired is not data:
            warnings.append("text was UTF-8 mis-decoded as windows-1252; repaired")
        return repaired, "str", warnings

    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, "replace"), enc, warnings

    header_cs, meta_cs = declared_charset(data, headers)
    declared = header_cs or meta_cs
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared and declared != "utf-8" and not data.isascii():
            warnings.append(f"declared charset {declared} but the bytes are UTF-8; decoded as UTF-8")
        return text, "utf-8", warnings

    # Not clean UTF-8. A few stray bytes in an otherwise UTF-8 page (a truncated body, one pasted
    # windows-1252 quote) are still UTF-8: count the damage before trusting a declaration.
    loose = data.decode("utf-8", "replace")
    bad = loose.count("\ufffd")
    lead_bytes = sum(data.count(bytes([b])) for b in range(0xC2, 0xF5))
    if bad <= max(3, lead_bytes // 50) and lead_bytes > bad:
        warnings.append(f"{bad} invalid UTF-8 byte sequence(s) replaced")
        return loose, "utf-8", warnings

    for declared_cs in (header_cs, meta_cs):
        if declared_cs and declared_cs != "utf-8":
            try:
                return data.decode(declared_cs), declared_cs, warnings
            except (UnicodeDecodeError, LookupError):
                warnings.append(f"bytes are not valid {declared_cs}")
    if declared == "utf-8":
        warnings.append(f"declared UTF-8 but {bad} invalid byte sequence(s); replaced")
        return loose, "utf-8", warnings
    for enc in ("cp1258", "cp1252"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        warnings.append(f"no usable charset declared; decoded as {enc}")
        return text, enc, warnings
    warnings.append("undecodable bytes; decoded as windows-1252 with replacements")
    return data.decode("cp1252", "replace"), "cp1252", warnings


def _cp1252_bytes(text: str) -> bytes | None:
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            out.append(code)
            continue
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            return None
    return bytes(out)


def repair_mojibake(text: str) -> str:
    """``text`` repaired when it is UTF-8 that was decoded as windows-1252/latin-1; else ``text`` itself.

    Only whole-text repair, and only when the result is valid UTF-8 with fewer suspicious sequences.
    """
    hits = len(_MOJIBAKE_RE.findall(text))
    if hits < 3:
        return text
    raw = _cp1252_bytes(text)
    if raw is None:
        return text
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return text
    return fixed if len(_MOJIBAKE_RE.findall(fixed)) < hits else text
