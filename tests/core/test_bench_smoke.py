"""`make bench` keeps working: the course-loader benchmark (issue 2 acceptance 8) runs on a
small data set and reports its throughput (rows/s) and the reload ratio."""
import os
import re
import subprocess
import sys
from pathlib import Path


def test_the_course_loader_benchmark_reports_rows_per_second(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE"}}
    env["BENCH_DIR"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-m", "bench", "course_loader", "--quick"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    first = re.search(r"first load\s+rows=(\d+)\s+seconds=[\d.]+\s+rows_per_s=([\d.]+)", out.stdout)
    reload = re.search(r"unchanged reload .*reload_vs_first=([\d.]+)", out.stdout)
    assert first and int(first.group(1)) >= 1000 and float(first.group(2)) > 0, out.stdout
    assert reload and float(reload.group(1)) > 1, "a reload of unchanged rows is faster than the first load"
