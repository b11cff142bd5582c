"""Running one command in many threads at once, for the race tests of every context."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from yiyangkang.domain.kernel.errors import DomainError


def race(n: int, fn: Callable[[int], object], *, catch: type[BaseException] = DomainError) -> list[object]:
    """Run fn(0..n-1) in n threads at once; each result, or the error it raised if it is a `catch` (domain
    errors by default; `Exception` makes a server error a failed assertion instead of one thread's traceback)."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(fn, i) for i in range(n)]
    results: list[object] = []
    for f in futures:
        try:
            results.append(f.result())
        except catch as exc:
            results.append(exc)
    return results
