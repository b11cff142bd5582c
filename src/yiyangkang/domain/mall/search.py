"""Keyword search terms (关键词检索) that work for Chinese on any database.

Chinese has no spaces, and neither SQLite nor a default PostgreSQL tokenises it, so a product's searchable
text (name, category, tags, institution) is indexed as terms: every CJK character and every pair of
adjacent CJK characters, and every prefix of every Latin/digit word. A keyword asks for the terms of its
parts (pairs for Chinese runs, the word for Latin) through an index; the few candidates are then checked
for the keyword as a whole (`matches`), so "上门护理" finds "上门护理服务" but not "护理上门"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
MAX_PREFIX = 16
MAX_KEYWORD = 40


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, whitespace collapsed (NFKC)."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _is_cjk(run: str) -> bool:
    return not run[0].isascii()


def index_terms(texts: Iterable[str]) -> set[str]:
    terms: set[str] = set()
    for text in texts:
        for run in _RUNS.findall(normalize(text)):
            if _is_cjk(run):
                terms.update(run)
                terms.update(run[i : i + 2] for i in range(len(run) - 1))
            else:
                terms.update(run[:n] for n in range(1, min(len(run), MAX_PREFIX) + 1))
    return terms


def query_terms(keyword: str) -> set[str]:
    """The terms every match must hold (empty: the keyword has nothing searchable)."""
    terms: set[str] = set()
    for run in _RUNS.findall(normalize(keyword)[:MAX_KEYWORD]):
        if _is_cjk(run):
            terms.update([run] if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
        else:
            terms.add(run[:MAX_PREFIX])
    return terms


def phrases(keyword: str) -> list[str]:
    """The whitespace-separated parts of the keyword, each of which must appear as typed."""
    return [p for p in normalize(keyword)[:MAX_KEYWORD].split(" ") if p]


def search_text(texts: Iterable[str]) -> str:
    """The normalised text a candidate is checked against."""
    return " | ".join(normalize(t) for t in texts if t)


def matches(keyword: str, text: str) -> bool:
    return all(p in text for p in phrases(keyword))
