"""The report chart (ANL-2) stays legible: a count hidden by the small-count rule reads "<5" on
its bar (the table keeps "fewer than 5"), long series names do not run into each other in the
legend, and long group names are cut with an ellipsis rather than mid-word without a mark."""
from __future__ import annotations

from syllabus.analytics.charts import CHAR_W, chart
from syllabus.analytics.reports import Chart, Column, Report, Table


def _report(rows):
    columns = [Column("dept", "Department"), Column("avg", "Average days to delivery", "number"),
               Column("median", "Median days to delivery", "number")]
    return Report("digitization-turnaround", "Turnaround", [Table("t", columns, rows)], Chart("dept", ["avg", "median"]))


def test_a_hidden_count_reads_less_than_on_its_bar():
    drawn = chart(_report([{"dept": "History", "avg": "fewer than 5", "median": 3}]))
    assert [b.value for b in drawn["bars"]] == ["<5", "3"]


def test_legend_entries_do_not_overlap_and_long_names_are_marked_cut():
    drawn = chart(_report([{"dept": "Digitization Department of the Faculty of Arts and Humanities", "avg": 2, "median": 1},
                           {"dept": "Law", "avg": 4, "median": 4}]))
    first, second = drawn["legend"]
    assert second["x"] - first["x"] >= 30 + CHAR_W * len("Average days to delivery")
    assert drawn["ticks"][0]["label"].endswith("…") and drawn["ticks"][1]["label"] == "Law"
