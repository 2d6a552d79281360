"""Where the CPU of an HTTP request goes (issue 19): the production server (`syllabus serve`) on
the bench's database, as ``make bench BENCH_ARGS=http`` starts it, driven by 8 client processes
on ``/healthz`` and on the student view (41 items); printed per request: CPU of the server's
processes (gunicorn master and workers, the tick process), of the database's backends
(PostgreSQL, read from /proc: the server must run on this machine), of the clients, and the
total — on a loaded machine the CPU per request is steadier than the requests per second.

    .venv/bin/python bench/http_cpu.py                       # SQLite (var/bench/http.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_syl_serve .venv/bin/python bench/http_cpu.py
    SECONDS=8 ROUNDS=2 .venv/bin/python bench/http_cpu.py
"""
from __future__ import annotations

import os
import resource
import sys

sys.path.insert(0, os.getcwd())

from bench.common import BENCH_DIR, setup_django  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """Seconds of CPU of process ``pid`` (all its threads), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += [p for p, pp in parents.items() if pp == pid]
    return out


def _backends(dbname: str) -> list[int]:
    """The PostgreSQL backends connected to ``dbname`` (by their process title)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {dbname} " in title:
                out.append(int(name))
    return out


def _snapshot(server: int, dbname: str | None) -> dict:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # (the server is never waited for before the end: the children counted are the clients)
    return {"server": {p: _cpu(p) for p in _descendants(server)},
            "db": {p: _cpu(p) for p in _backends(dbname)} if dbname else {},
            "clients": usage.ru_utime + usage.ru_stime}


def _spent(before: dict, after: dict) -> dict:
    def diff(a: dict, b: dict) -> float:   # processes that started during the run count from 0
        return sum(b[p] - a.get(p, 0.0) for p in b)

    return {"server": diff(before["server"], after["server"]), "db": diff(before["db"], after["db"]),
            "clients": after["clients"] - before["clients"]}


def main() -> None:
    os.environ["SYLLABUS_DATA_DIR"] = str(BENCH_DIR / "http-data")
    setup_django("http")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.bench_http import _fixture, _load, _session, serving

    seconds = float(os.environ.get("SECONDS", "6"))
    rounds = int(os.environ.get("ROUNDS", "1"))
    clients = int(os.environ.get("CLIENTS", "8"))
    data = _fixture()
    cookie = _session(data["student"])
    env = {**os.environ, "SYLLABUS_DATA_DIR": str(BENCH_DIR / "http-data"), "LOG_LEVEL": "WARNING"}
    dbname = None
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(settings.DATABASES["default"]["NAME"])
    else:
        dbname = settings.DATABASES["default"]["NAME"]
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()
    workers = int(os.environ.get("BENCH_HTTP_WORKERS", "0") or 0) or len(os.sched_getaffinity(0))
    view = f"/lists/{data['view41']}/"
    with serving(env, workers) as (server, port):
        _load(port, view, cookie, clients, 1.0)   # warm every worker and thread
        print(f"{connection.vendor}: syllabus serve --workers {workers}, {clients} client processes, {seconds:g} s per run, "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        print(f"{'path':<10} {'req/s':>8} {'server':>8} {'database':>9} {'clients':>8} {'total':>8}  (ms CPU per request)")
        for _ in range(rounds):
            for name, path, ck in (("/healthz", "/healthz", ""), ("view", view, cookie)):
                before = _snapshot(server.pid, dbname)
                result = _load(port, path, ck, clients, seconds)
                spent = _spent(before, _snapshot(server.pid, dbname))
                n = max(result["requests"], 1)
                per = {k: v * 1000 / n for k, v in spent.items()}
                print(f"{name:<10} {result['req_per_s']:8.1f} {per['server']:8.2f} {per['db']:9.2f} {per['clients']:8.2f} "
                      f"{sum(per.values()):8.2f}  errors {result['errors']}", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
