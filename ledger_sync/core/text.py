"""Text as a ledger can hold it: characters XML 1.0 cannot carry removed, names on one line, and text cut to a
field's limit by a stated, deterministic rule (the connectors apply these where they build wire bodies).

Both ledgers keep their records in XML (QBO's API is XML underneath its JSON; Xero's reports "hexadecimal
value 0x.. is an invalid character"), so NUL and the other C0 controls but tab and line feed, lone surrogates
and U+FFFE/U+FFFF are dropped. A carriage return is legal XML, but every XML parser turns it into a line
feed (XML 1.0, 2.11 End-of-Line Handling), so it is normalised to one here, for both ledgers, rather than
dropped: "a\\rb" stays two lines, not "ab".
"""

import re
from collections.abc import Iterable
from typing import Any

import orjson

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
LINE_BREAKS = re.compile(r"\r\n?")
INLINE_BREAKS = re.compile(r"\s*[\t\n]+\s*")
ELLIPSIS = "…"
NOT_PLAIN_JSON = re.compile(rb"\\[bfr]|\\u00[01]|\xef\xbf[\xbe\xbf]")
"""In a body's JSON: an escaped C0 control but tab and line feed (or a backslash before b, f, r, which is harmless to
match), or U+FFFE/U+FFFF; a lone surrogate is not JSON at all."""


def xml_safe(text: str) -> str:
    """`text` with CR LF and CR as LF, and without the characters XML 1.0 cannot hold. Most text holds neither,
    and goes back as it is after one scan (a body holds dozens of strings: the sync's CPU per record counts)."""
    if "\r" in text:
        text = LINE_BREAKS.sub("\n", text)
    return XML_ILLEGAL.sub("", text) if XML_ILLEGAL.search(text) else text


def one_line(text: str) -> str:
    """A name or number: XML-safe, tabs and line breaks (with the spaces around them) made one space, trimmed."""
    return INLINE_BREAKS.sub(" ", xml_safe(text)).strip()


def shorten_name(name: str, limit: int, tag: str) -> str:
    """`name` if it fits `limit`; else its start, an ellipsis and `(tag)` in exactly `limit` characters. The tag
    (the record's external id) keeps two long names that start alike apart."""
    if len(name) <= limit:
        return name
    tail = f"{ELLIPSIS} ({tag})"
    return name[: max(limit - len(tail), 0)].rstrip() + tail


def shorten_text(text: str, limit: int, marker: str) -> str:
    """`text` if it fits `limit`; else its start and `marker` (saying it was shortened) in `limit` characters."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)].rstrip() + marker


def xml_safe_strings(value: object) -> Any:
    """A JSON-shaped body with `xml_safe` applied to every string in it (keys are ours and left as they are).
    Most bodies hold nothing to change: those go back as they are after one look at their JSON (in C), not a walk
    rebuilding them in Python (every record's body comes through here: the sync's CPU per record counts)."""
    try:
        plain = NOT_PLAIN_JSON.search(orjson.dumps(value, default=_opaque)) is None
    except orjson.JSONEncodeError:  # a lone surrogate (or a key that is not text): walk it
        plain = False
    return value if plain else _xml_safe_walk(value)


def _xml_safe_walk(value: object) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {key: _xml_safe_walk(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_xml_safe_walk(item) for item in value]
    return value


def _opaque(value: object) -> None:
    """What orjson cannot write (a Decimal, say) holds no text: written as null for the look."""
    return None


def led_by_name(text: str, original: str, sent: str) -> str:
    """`text` (a description) led by the Service Opus name `original` when the name `sent` had to differ."""
    if sent == original:
        return text
    return f"{original}: {text}" if text else original


def first_too_long(ledger: str, fields: Iterable[tuple[str, str, int]]) -> str | None:
    """The reason for the first (what, value, limit) whose value is over its limit, naming `ledger`; else None."""
    return next(
        (
            f"{what} is {len(value)} characters; {ledger} allows at most {limit}"
            for what, value, limit in fields
            if len(value) > limit
        ),
        None,
    )
