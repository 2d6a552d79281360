"""ANL-2 on a fixed data set: every report gives the numbers computed by hand below, CSV and
XLSX carry the same values, the small-count rule holds (default 5, configurable), and each
report is refused to the roles it is not for."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from syllabus.analytics import reports
from syllabus.org.roles import Role


FEW = "fewer than 5"


def rows(report, table=0):
    return report.tables[table].rows


def test_list_engagement_per_week_and_from_most_to_least_used_item(world, inst_a):
    report = reports.finish(reports.list_engagement(world["l1"]), inst_a)
    assert rows(report) == [
        {"week": "2026-03-02", "list_view": 7, "item_open": 8, "file_download": 5, "findit_click": 0, "marked_done": 0},
        {"week": "2026-03-09", "list_view": FEW, "item_open": 0, "file_download": 0, "findit_click": 0, "marked_done": FEW},
    ]
    items = [(r["item"], r["item_open"], r["file_download"], r["marked_done"], r["total"]) for r in rows(report, 1)]
    assert items == [("Primary sources", 6, 5, 0, 11), ("The long nineteenth century", FEW, 0, 0, FEW),
                     ("Empire and trade", 0, 0, FEW, FEW)]


def test_lists_sent_and_processed_per_week(world, inst_a):
    r = rows(reports.build("lists-workflow", inst_a, reports.Filters()))
    assert r == [{"week": "2026-03-02", "sent": 2, "completed": 1, "average_days": 3.0, "median_days": 3.0},
                 {"week": "2026-03-09", "sent": 1, "completed": 1, "average_days": 7.0, "median_days": 7.0}]
    assert rows(reports.build("lists-workflow", inst_a, reports.Filters(department="Economics"))) == [
        {"week": "2026-03-02", "sent": 1, "completed": 0, "average_days": None, "median_days": None},
        {"week": "2026-03-09", "sent": 0, "completed": 1, "average_days": 7.0, "median_days": 7.0}]


def test_digitization_turnaround_per_department_and_filtered(world, inst_a):
    r = rows(reports.build("digitization-turnaround", inst_a, reports.Filters()))
    assert r == [
        {"department": "Media", "requests": 1, "delivered": 1, "open": 0, "average_days": 1.5, "median_days": 1.5, "longest_days": 1.5},
        {"department": "Scanning", "requests": 3, "delivered": 2, "open": 1, "average_days": 3.0, "median_days": 3.0,
         "longest_days": 4.0}]
    only = rows(reports.build("digitization-turnaround", inst_a, reports.Filters(department="Economics")))
    assert [x["department"] for x in only] == ["Media"]
    assert rows(reports.build("digitization-turnaround", inst_a, reports.Filters(library="no-such"))) == []


def test_copyright_requests_by_outcome(world, inst_a):
    r = rows(reports.build("copyright", inst_a, reports.Filters()))
    assert r == [{"outcome": "Pending", "requests": 1, "share": 25.0}, {"outcome": "Approved", "requests": 2, "share": 50.0},
                 {"outcome": "Rejected", "requests": 1, "share": 25.0}]


def test_waitlist_lengths_and_waiting_times_per_title(world, inst_a):
    assert rows(reports.build("waitlists", inst_a, reports.Filters())) == [
        {"title": "Lent digitally", "waiting": 2, "requests": 4, "served": 2, "average_days": 2.0, "longest_days": 3.0}]


def test_cost_per_course_and_per_student_zero_where_none(world, inst_a):
    r = {x["course"]: (x["items"], x["total"], x["currency"], x["students"], x["per_student"])
         for x in rows(reports.build("costs", inst_a, reports.Filters()))}
    assert r == {"HIST101-01": (2, 150.5, "EUR", 5, 30.1), "ECON200-01": (0, 0.0, "", 8, 0.0), "ART300-01": (0, 0.0, "", 0, None)}


def test_adoption_with_the_small_count_rule_and_its_threshold(world, inst_a):
    from syllabus.org import config

    r = rows(reports.build("adoption", inst_a, reports.Filters()))
    assert r == [
        {"department": "Economics", "courses": 1, "with_list": 1, "course_share": 100.0, "published_lists": 0, "students": 0,
         "opened": 0, "share": None},
        {"department": "History", "courses": 2, "with_list": 1, "course_share": 50.0, "published_lists": 1, "students": 5,
         "opened": FEW, "share": FEW},
        {"department": "All departments", "courses": 3, "with_list": 2, "course_share": 66.7, "published_lists": 1,
         "students": 5, "opened": FEW, "share": FEW}]
    config.set_value("analytics_small_count", 2, institution=inst_a)
    history = rows(reports.build("adoption", inst_a, reports.Filters(department="History")))
    assert history == [{"department": "History", "courses": 2, "with_list": 1, "course_share": 50.0, "published_lists": 1,
                        "students": 5, "opened": 3, "share": 60.0}]


def test_csv_and_xlsx_carry_the_same_numbers(world, api, librarian):
    me = api(librarian)
    body = me.get("/api/v1/analytics/digitization-turnaround").json()
    assert body["tables"][0]["rows"][1]["average_days"] == 3.0 and body["rolled_up_at"]
    r = me.get("/api/v1/analytics/digitization-turnaround", {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode())))
    assert table[0][:3] == ["Digitization department", "Requests", "Delivered"]
    assert table[1:] == [["Media", "1", "1", "0", "1.5", "1.5", "1.5"], ["Scanning", "3", "2", "1", "3.0", "3.0", "4.0"]]
    r = me.get("/api/v1/analytics/digitization-turnaround", {"format": "xlsx", "department": "History"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)] == [["Scanning", 3, 2, 1, 3, 3, 4]]
    # the small-count rule holds in the files too
    r = me.get(f"/api/v1/analytics/lists/{world['l1'].pk}/engagement", {"format": "csv"})
    assert "fewer than 5" in r.content.decode()


def test_who_may_read_which_report(world, api, client, student, instructor, librarian, admin_user, make_user, inst_b):
    l1 = world["l1"]
    assert api(student).get(f"/api/v1/analytics/lists/{l1.pk}/engagement").status_code == 403
    assert api(instructor).get(f"/api/v1/analytics/lists/{l1.pk}/engagement").status_code == 200
    assert api(librarian).get(f"/api/v1/analytics/lists/{l1.pk}/engagement").status_code == 200
    outsider = make_user("lib-b", institution=inst_b, roles=[])
    from syllabus.org.services import assign_role

    assign_role(outsider, Role.COURSE_RESERVES_OPERATOR)
    assert api(outsider).get(f"/api/v1/analytics/lists/{l1.pk}/engagement").status_code == 404
    assert api(outsider).get("/api/v1/analytics/costs").json()["tables"][0]["rows"] == []   # only their own institution
    for who in (student, instructor):
        assert api(who).get("/api/v1/analytics/costs").status_code == 403
        assert api(who).get("/api/v1/analytics/waitlists").status_code == 403
    assert api(librarian).get("/api/v1/analytics/adoption").status_code == 403
    assert api(admin_user).get("/api/v1/analytics/adoption").status_code == 200
    # the pages, the same
    client.force_login(student)
    assert client.get(f"/analytics/lists/{l1.pk}/").status_code == 403
    assert client.get("/analytics/reports/costs/").status_code == 403
    client.force_login(librarian)
    page = client.get("/analytics/reports/digitization-turnaround/", {"department": "Economics"})
    assert page.status_code == 200 and b"<svg" in page.content and b"Media" in page.content and b"Scanning" not in page.content
    assert client.get("/analytics/reports/nonsense/").status_code == 404
    client.force_login(instructor)
    page = client.get(f"/analytics/lists/{l1.pk}/")
    assert page.status_code == 200 and b"Primary sources" in page.content and b"fewer than 5" in page.content
    student.first_name, student.last_name = "Sasha", "Quill"
    student.save()
    assert b"Sasha" not in client.get(f"/analytics/lists/{l1.pk}/").content      # never a student's name


def test_where_each_role_finds_the_reports(world, client, student, instructor, librarian, admin_user):
    l1 = world["l1"]
    client.force_login(instructor)
    editor = client.get(f"/lists/{l1.pk}/edit/").content.decode()
    assert f'href="/analytics/lists/{l1.pk}/"' in editor                   # "Engagement" in the list header
    index = client.get("/analytics/").content.decode()
    assert "HIST101 readings" in index and 'data-testid="library-reports"' not in index
    client.force_login(student)
    assert f'href="/analytics/lists/{l1.pk}/"' not in client.get(f"/lists/{l1.pk}/").content.decode()
    home = client.get("/").content.decode()
    assert 'href="/analytics/me/"' in home and 'href="/analytics/"' not in home
    client.force_login(librarian)
    index = client.get("/analytics/").content.decode()
    assert 'href="/analytics/"' in client.get("/").content.decode()          # Back office → Reports
    assert "/analytics/reports/costs/" in index and "/analytics/reports/adoption/" not in index
    client.force_login(admin_user)
    assert "/analytics/reports/adoption/" in client.get("/analytics/").content.decode()
