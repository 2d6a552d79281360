"""Helpers for the tests of the loan verbs' gated writes (PostgreSQL's one-round-trip path)."""
from __future__ import annotations

from syllabus.lending import services


def inject_once(monkeypatch, action):
    """Run ``action`` once, between a verb's decision and its write behind a gate (PostgreSQL);
    returns a list that is non-empty once it ran."""
    real_run = services._run
    done: list = []

    def run(statements, gate=None, **kwargs):
        if gate is not None and not done:
            done.append(True)
            action()
        return real_run(statements, gate, **kwargs)

    monkeypatch.setattr(services, "_run", run)
    return done


def viewing(patron, rep):
    """``patron``'s request for ``rep``, opened (Active, being viewed)."""
    return services.access(patron, services.request_loan(patron, rep))
