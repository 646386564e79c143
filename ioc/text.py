"""Vietnamese text as compared: one form for a name however it was typed (NFC, look-alike letters, the old and
new tone placement, with or without diacritics), and a ward's name with the ways departments prefix it."""

from __future__ import annotations

import re
import unicodedata

LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\u00a0": " "})  # Ð (Icelandic) for Đ
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng (as combining marks)
WARD_PREFIX = re.compile(r"^(phường|phuong|xã|xa|thị trấn|thi tran|p\.|p\b|x\.|tt\.?)\s*", re.IGNORECASE)


def clean(text: object) -> str:
    """NFC, look-alike letters fixed (Ð U+00D0 → Đ U+0110), white space collapsed."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text)).translate(LOOKALIKES)
    return " ".join(s.split())


def fold(text: object) -> str:
    """Without any diacritic, đ as d, case-folded: what a search without accents matches."""
    s = unicodedata.normalize("NFD", clean(text)).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in s if not unicodedata.combining(c)).casefold().strip()


def tone_key(text: object) -> str:
    """Equal for the same words whichever vowel carries the tone ("Hoà" and "Hòa", "Thuỷ" and "Thủy"), and
    whatever the case: each word's tone mark is taken off its vowel and kept beside the word."""
    words = []
    for word in clean(text).casefold().split(" "):
        parts = unicodedata.normalize("NFD", word)
        tones = "".join(sorted(c for c in parts if c in TONES))
        words.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES)) + tones)
    return " ".join(words)


def ward_name(text: object) -> str:
    """A ward's name without the prefix departments write it with (P. Phú Cường, Phường Phú Cường)."""
    return WARD_PREFIX.sub("", clean(text)).strip()
