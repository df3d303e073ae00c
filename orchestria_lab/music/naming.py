"""Numbered names: the first free of ``base``, ``base 2``, ``base 3`` ... (stems, sections).

>>> numbered("chorus", {"chorus"}), numbered("pad", {"pad", "pad-2"}, sep="-"), numbered("intro", set())
('chorus 2', 'pad-3', 'intro')
"""

from __future__ import annotations

from collections.abc import Container


def numbered(base: str, taken: Container[str], *, sep: str = " ") -> str:
    """``base`` if free, else ``base{sep}2``, ``base{sep}3`` ...: deterministic, never reused."""
    if base not in taken:
        return base
    n = 2
    while f"{base}{sep}{n}" in taken:
        n += 1
    return f"{base}{sep}{n}"
