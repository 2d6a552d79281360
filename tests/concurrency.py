"""Run the same call from several threads released together by a barrier (a double click, two
tabs, two workers): each thread has its own database connection, closed when it ends."""
from __future__ import annotations

import threading
from typing import Callable

from django.db import connection


def at_once(call: Callable[[], object], n: int = 2, *, expected: tuple[type[BaseException], ...] = (),
            timeout: float = 60) -> tuple[list, list[BaseException], list[BaseException]]:
    """Call ``call`` in ``n`` threads at the same moment; return (results, expected exceptions,
    unexpected exceptions)."""
    barrier = threading.Barrier(n)
    results: list = []
    refused: list[BaseException] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            results.append(call())
        except expected as exc:
            refused.append(exc)
        except Exception as exc:  # reported to the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, refused, errors
