"""CON-3 acceptance 2: the consortium's lists gateway — a list its owners share appears for the
other member; a list for its course only never does; copying an item makes a new citation in
the copier's own list."""
import pytest

from syllabus.consortium import services
from syllabus.courses.models import Enrollment
from syllabus.lists.models import Citation, ResourceList, Section
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists_b(inst_b, clock):
    """Member B: a shared published list, a course-only published list and a shared draft."""
    teacher = UserFactory(username="b-teacher", institution=inst_b, first_name="Bea", last_name="Bookman")
    course = CourseFactory(institution=inst_b, code="CHEM201", name="Organic Chemistry", term="2026S")
    old = CourseFactory(institution=inst_b, code="CHEM100", name="General Chemistry", term="2025A")

    def make(title, course, visibility, shared, items):
        lst = ResourceList.objects.create(institution=inst_b, title=title, visibility=visibility, status="complete")
        lst.courses.add(course)
        lst.owners.add(teacher)
        section = Section.objects.create(resource_list=lst, title="Week 1")
        for i, (t, md) in enumerate(items):
            Citation.objects.create(resource_list=lst, section=section, position=i, title=t, type="book", metadata={"title": t, **md})
        if shared:  # CON-3: shared while published; the draft was shared, then put back to draft
            ResourceList.objects.filter(pk=lst.pk).update(visibility="published")
            services.share_list(teacher, ResourceList.objects.get(pk=lst.pk), True)
            ResourceList.objects.filter(pk=lst.pk).update(visibility=visibility)
        return lst

    shared = make("Reactions and mechanisms", course, "published", True,
                  [("March's Advanced Organic Chemistry", {"ISBN": "9781119371809"}), ("Stereochemistry", {"DOI": "10.1021/acs.jchemed.7b00001"})])
    course_only = make("Lab safety (course only)", course, "published", False, [("Safety handbook", {})])
    draft = make("Draft reading", old, "draft", True, [("Unfinished", {})])
    older = make("Foundations", old, "published", True, [("Atkins' Physical Chemistry", {})])
    return {"teacher": teacher, "shared": shared, "course_only": course_only, "draft": draft, "older": older}


def _titles(response):
    return [r["title"] for r in response.json()["items"]]


def test_shared_lists_appear_for_the_other_member_course_only_and_draft_never(api, instructor, lists_b):
    everything = api(instructor).get("/api/v1/consortium/lists").json()["items"]
    assert sorted(r["title"] for r in everything) == ["Foundations", "Reactions and mechanisms"]
    row = next(r for r in everything if r["title"] == "Reactions and mechanisms")
    assert row["institution"] == "inst-b" and row["courses"] == [{"code": "CHEM201", "name": "Organic Chemistry", "term": "2026S"}]
    assert row["instructors"] == ["Bea Bookman"]
    for q in ("Lab safety", "Safety handbook", "Unfinished", "Draft"):
        assert _titles(api(instructor).get("/api/v1/consortium/lists", {"q": q})) == []
    r = api(instructor).get(f"/api/v1/consortium/lists/{lists_b['course_only'].pk}")
    assert r.status_code == 404 and r.json()["rule"] == "CON-3"


@pytest.mark.parametrize("q", ["mechanisms", "CHEM201", "organic chemistry", "March's", "978-1119371809",
                               "10.1021/acs.jchemed.7b00001"])
def test_search_by_title_course_instructor_cited_title_isbn_and_doi(api, student, lists_b, q):
    assert _titles(api(student).get("/api/v1/consortium/lists", {"q": q})) == ["Reactions and mechanisms"]


def test_search_by_instructor(api, student, lists_b):
    assert _titles(api(student).get("/api/v1/consortium/lists", {"q": "Bookman"})) == ["Foundations", "Reactions and mechanisms"]
    assert _titles(api(student).get("/api/v1/consortium/lists", {"q": "Nobody"})) == []


def test_facets_by_institution_and_term(api, student, lists_b):
    facets = api(student).get("/api/v1/consortium/lists/facets").json()
    assert facets["institutions"] == [{"code": "inst-b", "name": "Institution B", "count": 2}]
    assert facets["terms"] == [{"term": "2026S", "count": 1}, {"term": "2025A", "count": 1}]
    assert _titles(api(student).get("/api/v1/consortium/lists", {"term": "2025A"})) == ["Foundations"]
    assert _titles(api(student).get("/api/v1/consortium/lists", {"institution": "inst-a"})) == []


def test_unsharing_or_unpublishing_takes_a_list_out(api, student, lists_b):
    services.share_list(lists_b["teacher"], lists_b["older"], False)
    ResourceList.objects.filter(pk=lists_b["shared"].pk).update(visibility="draft")
    assert _titles(api(student).get("/api/v1/consortium/lists")) == []


def test_only_the_lists_editors_share_it(api, student, lists_b):
    r = api(student).put(f"/api/v1/consortium/lists/{lists_b['course_only'].pk}/sharing", {"shared": True})
    assert r.status_code == 404
    ok = api(lists_b["teacher"]).put(f"/api/v1/consortium/lists/{lists_b['course_only'].pk}/sharing", {"shared": True})
    assert ok.status_code == 200 and ok.json()["shared"] is True


def test_copying_items_makes_new_citations_in_the_copiers_own_list(api, instructor, course, lists_b):
    mine = ResourceList.objects.create(institution=course.institution, title="My chemistry list")
    mine.owners.add(instructor)
    detail = api(instructor).get(f"/api/v1/consortium/lists/{lists_b['shared'].pk}").json()
    assert [i["title"] for i in detail["items"]] == ["March's Advanced Organic Chemistry", "Stereochemistry"]
    r = api(instructor).post(f"/api/v1/consortium/lists/{lists_b['shared'].pk}/copy",
                             {"citation_ids": [detail["items"][0]["id"]], "target_list_id": mine.pk})
    assert r.status_code == 201
    copied = Citation.objects.get(pk=r.json()["created"][0])
    assert copied.resource_list_id == mine.pk and copied.title == "March's Advanced Organic Chemistry"
    assert copied.metadata["ISBN"] == "9781119371809"
    assert Citation.objects.filter(resource_list=lists_b["shared"]).count() == 2       # the source is untouched
    # not into someone else's list, not from a course-only list
    theirs = api(instructor).post(f"/api/v1/consortium/lists/{lists_b['shared'].pk}/copy",
                                  {"citation_ids": [detail["items"][0]["id"]], "target_list_id": lists_b["older"].pk})
    assert theirs.status_code == 404
    hidden = Citation.objects.get(resource_list=lists_b["course_only"])
    r = api(instructor).post(f"/api/v1/consortium/lists/{lists_b['course_only'].pk}/copy",
                             {"citation_ids": [hidden.pk], "target_list_id": mine.pk})
    assert r.status_code == 404


def test_the_gateway_pages(client, instructor, course, lists_b):
    mine = ResourceList.objects.create(institution=course.institution, title="My chemistry list")
    mine.owners.add(instructor)
    client.force_login(instructor)
    page = client.get("/consortium/lists/", {"q": "chem"}).content.decode()
    assert "Reactions and mechanisms" in page and "Foundations" in page and "Lab safety" not in page
    assert "Institution B (2)" in page
    assert client.get(f"/consortium/lists/{lists_b['course_only'].pk}/").status_code == 404
    detail = client.get(f"/consortium/lists/{lists_b['shared'].pk}/")
    assert detail.status_code == 200 and b"Stereochemistry" in detail.content
    item = Citation.objects.get(resource_list=lists_b["shared"], title="Stereochemistry")
    r = client.post(f"/consortium/lists/{lists_b['shared'].pk}/copy/", {"citation": [item.pk], "target": mine.pk})
    assert r.status_code == 302 and Citation.objects.filter(resource_list=mine, title="Stereochemistry").exists()


def test_share_control_on_the_list_page(client, lists_b):
    client.force_login(lists_b["teacher"])
    lst = lists_b["course_only"]
    assert b'data-testid="consortium-share"' in client.get(f"/lists/{lst.pk}/edit/").content
    client.post(f"/consortium/lists/{lst.pk}/share/", {"shared": "on"})
    assert hasattr(ResourceList.objects.get(pk=lst.pk), "consortium_share")


def test_a_draft_is_not_offered_for_sharing_and_sharing_it_is_refused_naming_the_rule(client, api, lists_b):
    """CON-3: the gateway shows published lists — a draft list's editors are told to publish it
    first (no Share button), and a share sent anyway (a stale page, the API) is refused with the rule."""
    teacher = lists_b["teacher"]
    fresh = ResourceList.objects.create(institution=teacher.institution, title="Still a draft")
    fresh.owners.add(teacher)
    client.force_login(teacher)
    page = client.get(f"/lists/{fresh.pk}/edit/").content.decode()
    assert 'data-testid="consortium-share"' not in page and "Share with the consortium" not in page
    assert "Once published, this list can be shared with the consortium" in page
    refused = client.post(f"/consortium/lists/{fresh.pk}/share/", {"shared": "on"})
    assert refused.status_code == 400
    assert "<strong>CON-3:</strong> only a published list is shared with the consortium: publish it first" in refused.content.decode()
    r = api(teacher).put(f"/api/v1/consortium/lists/{fresh.pk}/sharing", {"shared": True})
    assert r.status_code == 400 and r.json()["rule"] == "CON-3" and "publish it first" in r.json()["detail"]
    assert not hasattr(ResourceList.objects.get(pk=fresh.pk), "consortium_share")
    # published, it is offered and shared; put back to draft, it stays shared and can be taken out
    ResourceList.objects.filter(pk=fresh.pk).update(visibility="published")
    assert "Share with the consortium" in client.get(f"/lists/{fresh.pk}/edit/").content.decode()
    assert api(teacher).put(f"/api/v1/consortium/lists/{fresh.pk}/sharing", {"shared": True}).json()["shared"] is True
    ResourceList.objects.filter(pk=fresh.pk).update(visibility="draft")
    page = client.get(f"/lists/{fresh.pk}/edit/").content.decode()
    assert "back in its lists gateway once published" in page and "Stop sharing with the consortium" in page
    client.post(f"/consortium/lists/{fresh.pk}/share/", {"shared": "off"})
    assert not hasattr(ResourceList.objects.get(pk=fresh.pk), "consortium_share")


def test_a_student_of_the_course_does_not_see_the_share_control(client, inst_b, lists_b):
    pupil = UserFactory(username="b-pupil", institution=inst_b)
    Enrollment.objects.create(course=lists_b["shared"].courses.first(), user=pupil)
    client.force_login(pupil)
    page = client.get(f"/lists/{lists_b['shared'].pk}/")
    assert page.status_code == 200 and b'data-testid="consortium-share"' not in page.content
    assert client.post(f"/consortium/lists/{lists_b['shared'].pk}/share/", {"shared": "off"}).status_code in (403, 404)


def test_another_consortium_sees_nothing(api, lists_b):
    from tests.factories import ConsortiumFactory, InstitutionFactory

    far = InstitutionFactory(consortium=ConsortiumFactory(code="far-c", name="Far"), code="far", name="Far College")
    outsider = UserFactory(username="far-user", institution=far)
    assert api(outsider).get("/api/v1/consortium/lists", {"q": "chem"}).json()["items"] == []
    assert api(outsider).get("/api/v1/consortium/lists/facets").json() == {"institutions": [], "terms": []}
    assert api(outsider).get(f"/api/v1/consortium/lists/{lists_b['shared'].pk}").status_code == 404


def test_copying_items_into_a_sent_list_is_one_librarian_task_naming_them(api, instructor, course, lists_b):
    """LST-6: the copy is one instructor action — one "Items added since sent" task naming the items,
    not a "Changed since sent" task per item."""
    from syllabus.lists import services as lists
    from syllabus.lists.models import LibrarianTask

    mine = lists.create_list(instructor, title="My chemistry list", courses=[course])
    lists.add_citation(instructor, mine, None, "book", {"title": "Organic Chemistry"})
    lists.send_list(instructor, mine)
    ids = [c.pk for c in Citation.objects.filter(resource_list=lists_b["shared"]).order_by("position")]
    r = api(instructor).post(f"/api/v1/consortium/lists/{lists_b['shared'].pk}/copy",
                             {"citation_ids": ids, "target_list_id": mine.pk})
    assert r.status_code == 201
    added = LibrarianTask.objects.filter(resource_list=mine, resolved_at__isnull=True).exclude(kind=LibrarianTask.LIST_SENT)
    assert [(t.kind, t.count, t.citation_id) for t in added] == [(LibrarianTask.ITEMS_ADDED, 2, None)]
    assert added[0].detail_text == (f"2 items added since the list was sent (copied from {lists_b['shared'].institution.code} "
                               f"list {lists_b['shared'].pk}): March's Advanced Organic Chemistry; Stereochemistry")
