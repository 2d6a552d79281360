"""Run calls in threads released together by a barrier (a double click, two tabs, two workers,
a crowd of patrons): each thread has its own database connection, closed when it ends.  The one
way the tests start concurrent work — a test writes what each thread does, never the threads."""
from __future__ import annotations

import threading
from typing import Callable, Sequence

from django.db import connection


def at_once(calls: Callable[[], object] | Sequence[Callable[[], object]], n: int = 2, *,
            expected: tuple[type[BaseException], ...] = (),
            timeout: float = 60) -> tuple[list, list[BaseException], list[BaseException]]:
    """Call ``calls`` in ``n`` threads at the same moment — or, given a sequence of calls, each
    of them in a thread of its own; return (results, expected exceptions, unexpected exceptions),
    each in the order the threads finished.  A thread still running ``timeout`` seconds after the
    others were joined counts as an unexpected ``TimeoutError``."""
    work = list(calls) if isinstance(calls, Sequence) else [calls] * n
    barrier = threading.Barrier(len(work))
    lock = threading.Lock()
    results: list = []
    refused: list[BaseException] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            result = call()
            with lock:
                results.append(result)
        except expected as exc:
            with lock:
                refused.append(exc)
        except Exception as exc:  # reported to the caller
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    errors += [TimeoutError(f"a thread still runs after {timeout} s") for t in threads if t.is_alive()]
    return results, refused, errors
