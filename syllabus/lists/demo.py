"""Demo resource lists: realistic lists of 20 to 200 items on the demo courses, in every state —
being prepared (with a single item already sent), sent to library and unassigned (with changes
since sent), in process and assigned, complete, assigned to another librarian — on both
institutions.  Built through the services, so the audit trail and the tasks are real."""
from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password

from syllabus.core import clock
from syllabus.courses.models import Course
from syllabus.org.demo import DEMO_PASSWORD, LOGINS
from syllabus.org.models import RoleAssignment, User, UserGroup
from syllabus.org.roles import Role, Scope

from . import services
from .models import ResourceList
from .workflow import ItemStatus, ListStatus

if not any(name == "reserves" for name, _ in LOGINS):
    LOGINS.insert(2, ("reserves", "Second course reserves librarian, Riverside University (lists assigned to others)"))


def _meta(title, year, family="", given="", **fields) -> dict:
    """The CSL-JSON of a demo item: title, author (when named), year and the non-empty ``fields``."""
    author = {"author": [{"family": family, "given": given}]} if family else {}
    return {"title": title, **author, "issued": {"date-parts": [[year]]}, **{k: v for k, v in fields.items() if v}}


def _b(title, family, given, year, publisher, place="", isbn="", edition=""):
    return ("book", _meta(title, year, family, given, publisher=publisher,
                          **{"publisher-place": place, "ISBN": isbn, "edition": edition}))


def _a(title, family, given, year, journal, volume, issue, pages, doi=""):
    return ("article", _meta(title, year, family, given, volume=str(volume), page=pages,
                             **{"container-title": journal, "issue": str(issue) if issue else "", "DOI": doi}))


def _c(title, family, given, year, book, editors, publisher, pages):
    return ("book_chapter", {"title": title, "author": [{"family": family, "given": given}], "container-title": book,
                             "editor": [{"family": f, "given": g} for f, g in editors], "issued": {"date-parts": [[year]]},
                             "publisher": publisher, "page": pages})


def _w(title, url, year, publisher=""):
    return ("website", _meta(title, year, URL=url, publisher=publisher))


def _v(title, year, publisher):
    return ("video_audio", {"title": title, "issued": {"date-parts": [[year]]}, "publisher": publisher})


HISTORY = [
    _b("The Age of Revolution: 1789–1848", "Hobsbawm", "Eric", 1962, "Weidenfeld & Nicolson", "London"),
    _b("The Age of Capital: 1848–1875", "Hobsbawm", "Eric", 1975, "Weidenfeld & Nicolson", "London"),
    _b("The Age of Empire: 1875–1914", "Hobsbawm", "Eric", 1987, "Weidenfeld & Nicolson", "London"),
    _b("The Making of the English Working Class", "Thompson", "E. P.", 1963, "Victor Gollancz", "London", "978-0-14-013603-6"),
    _b("The Great Transformation", "Polanyi", "Karl", 1944, "Farrar & Rinehart", "New York"),
    _b("The Great Divergence: China, Europe, and the Making of the Modern World Economy", "Pomeranz", "Kenneth", 2000,
       "Princeton University Press", "Princeton"),
    _b("The British Industrial Revolution in Global Perspective", "Allen", "Robert C.", 2009, "Cambridge University Press", "Cambridge"),
    _b("Empire of Cotton: A Global History", "Beckert", "Sven", 2014, "Alfred A. Knopf", "New York"),
    _b("Capitalism and Slavery", "Williams", "Eric", 1944, "University of North Carolina Press", "Chapel Hill"),
    _b("The Condition of the Working Class in England", "Engels", "Friedrich", 1845, "Otto Wigand", "Leipzig"),
    _b("Imagined Communities", "Anderson", "Benedict", 1983, "Verso", "London", edition="Rev. ed."),
    _b("The Transformation of the World: A Global History of the Nineteenth Century", "Osterhammel", "Jürgen", 2014,
       "Princeton University Press", "Princeton"),
    _b("The Industrious Revolution", "de Vries", "Jan", 2008, "Cambridge University Press", "Cambridge"),
    _b("A Farewell to Alms: A Brief Economic History of the World", "Clark", "Gregory", 2007, "Princeton University Press", "Princeton"),
    _b("The Enlightened Economy: An Economic History of Britain 1700–1850", "Mokyr", "Joel", 2009, "Yale University Press", "New Haven"),
    _b("The Rise of the West", "McNeill", "William H.", 1963, "University of Chicago Press", "Chicago"),
    _b("Europe and the People Without History", "Wolf", "Eric R.", 1982, "University of California Press", "Berkeley"),
    _b("The Birth of the Modern World, 1780–1914", "Bayly", "C. A.", 2004, "Blackwell", "Oxford"),
    _a("Time, Work-Discipline, and Industrial Capitalism", "Thompson", "E. P.", 1967, "Past & Present", 38, 1, "56–97",
       "10.1093/past/38.1.56"),
    _a("The Moral Economy of the English Crowd in the Eighteenth Century", "Thompson", "E. P.", 1971, "Past & Present", 50, 1,
       "76–136", "10.1093/past/50.1.76"),
    _a("The Industrial Revolution and the Industrious Revolution", "de Vries", "Jan", 1994, "The Journal of Economic History",
       54, 2, "249–270", "10.1017/S0022050700014467"),
    _a("Why Was the Industrial Revolution British?", "Allen", "Robert C.", 2009, "Economic History Review", 62, 2, "357–384"),
    _a("Proto-industrialization: The First Phase of the Industrialization Process", "Mendels", "Franklin F.", 1972,
       "The Journal of Economic History", 32, 1, "241–261", "10.1017/S0022050700075495"),
    _a("Rethinking the Industrial Revolution", "Berg", "Maxine", 1992, "Economic History Review", 45, 1, "24–50"),
    _c("The Standard of Living Debate", "Feinstein", "Charles", 1998, "Living Standards in the Past",
       [("Floud", "Roderick")], "Oxford University Press", "112–140"),
    _c("Work, Culture and Society in Industrial Britain", "Berg", "Maxine", 1987, "The Industrial Revolution and British Society",
       [("O'Brien", "Patrick"), ("Quinault", "Roland")], "Cambridge University Press", "67–101"),
    _w("The Victorian Web: History", "https://victorianweb.org/history/historyov.html", 2024, "Brown University"),
    _w("The National Archives: The Industrial Revolution", "https://www.nationalarchives.gov.uk/education/resources/industrial-revolution/", 2023,
       "The National Archives"),
    _w("Old Bailey Proceedings Online", "https://www.oldbaileyonline.org/", 2018, "University of Sheffield"),
    _w("Spartacus Educational: Child Labour", "https://spartacus-educational.com/IRchild.htm", 2020),
    _v("The Day the Universe Changed: Credit Where It's Due", 1985, "BBC"),
    _v("Mary Barton (radio adaptation)", 2012, "BBC Radio 4"),
]

ENGLISH = [
    _b("Middlemarch", "Eliot", "George", 1994, "Penguin", "London", "978-0-14-143954-9"),
    _b("Bleak House", "Dickens", "Charles", 1853, "Bradbury & Evans", "London"),
    _b("Hard Times", "Dickens", "Charles", 1854, "Bradbury & Evans", "London"),
    _b("Jane Eyre", "Brontë", "Charlotte", 1847, "Smith, Elder & Co.", "London"),
    _b("Wuthering Heights", "Brontë", "Emily", 1847, "Thomas Cautley Newby", "London"),
    _b("North and South", "Gaskell", "Elizabeth", 1855, "Chapman & Hall", "London"),
    _b("Mary Barton", "Gaskell", "Elizabeth", 1848, "Chapman & Hall", "London"),
    _b("Tess of the d'Urbervilles", "Hardy", "Thomas", 1891, "Osgood, McIlvaine", "London"),
    _b("Vanity Fair", "Thackeray", "William Makepeace", 1848, "Bradbury & Evans", "London"),
    _b("The Way We Live Now", "Trollope", "Anthony", 1875, "Chapman & Hall", "London"),
    _b("The Woman in White", "Collins", "Wilkie", 1860, "Sampson Low", "London"),
    _b("Culture and Society 1780–1950", "Williams", "Raymond", 1958, "Chatto & Windus", "London"),
    _b("The English Novel from Dickens to Lawrence", "Williams", "Raymond", 1970, "Chatto & Windus", "London"),
    _b("The Madwoman in the Attic", "Gilbert", "Sandra M.", 1979, "Yale University Press", "New Haven"),
    _b("The Great Tradition", "Leavis", "F. R.", 1948, "Chatto & Windus", "London"),
    _b("Realist Vision", "Brooks", "Peter", 2005, "Yale University Press", "New Haven"),
    _a("The Rise of the Victorian Novel", "Tillotson", "Kathleen", 1954, "Essays in Criticism", 4, 2, "121–139"),
    _a("Reading for the Plot", "Brooks", "Peter", 1977, "New Literary History", 8, 3, "409–426"),
    _c("Dickens and the Crowd", "Collins", "Philip", 1970, "Dickens and Crime", [("Fielding", "K. J.")], "Macmillan", "1–26"),
    _w("The Victorian Web: Literature", "https://victorianweb.org/authors/index.html", 2024, "Brown University"),
    _w("Project Gutenberg: Middlemarch", "https://www.gutenberg.org/ebooks/145", 2021, "Project Gutenberg"),
    _w("British Library: Discovering Literature — Romantics and Victorians", "https://www.bl.uk/romantics-and-victorians", 2022,
       "British Library"),
    _v("Middlemarch (television serial)", 1994, "BBC"),
    _v("North & South (television serial)", 2004, "BBC"),
]

BIOLOGY = [
    _b("Molecular Biology of the Cell", "Alberts", "Bruce", 2022, "W. W. Norton", "New York", edition="7"),
    _b("Lehninger Principles of Biochemistry", "Nelson", "David L.", 2021, "W. H. Freeman", "New York", edition="8"),
    _b("The Cell: A Molecular Approach", "Cooper", "Geoffrey M.", 2019, "Sinauer", "Sunderland", edition="8"),
    _b("Essential Cell Biology", "Alberts", "Bruce", 2019, "W. W. Norton", "New York", edition="5"),
    _b("The Selfish Gene", "Dawkins", "Richard", 1976, "Oxford University Press", "Oxford"),
    _b("The Double Helix", "Watson", "James D.", 1968, "Atheneum", "New York"),
    _a("Molecular Structure of Nucleic Acids: A Structure for Deoxyribose Nucleic Acid", "Watson", "J. D.", 1953, "Nature", 171,
       4356, "737–738", "10.1038/171737a0"),
    _a("The Hallmarks of Cancer", "Hanahan", "Douglas", 2000, "Cell", 100, 1, "57–70", "10.1016/S0092-8674(00)81683-9"),
    _a("A Programmable Dual-RNA-Guided DNA Endonuclease in Adaptive Bacterial Immunity", "Jinek", "Martin", 2012, "Science", 337,
       6096, "816–821", "10.1126/science.1225829"),
    _a("Initial Sequencing and Analysis of the Human Genome", "Lander", "Eric S.", 2001, "Nature", 409, 6822, "860–921",
       "10.1038/35057062"),
    _w("Khan Academy: Cell structure", "https://www.khanacademy.org/science/biology/structure-of-a-cell", 2023, "Khan Academy"),
    _w("NCBI Bookshelf", "https://www.ncbi.nlm.nih.gov/books/", 2024, "National Library of Medicine"),
    _w("The Cell Image Library", "http://www.cellimagelibrary.org/", 2022),
    _v("The Inner Life of the Cell", 2006, "Harvard University / XVIVO"),
]

GEOGRAPHY = [
    _b("Physical Geography: The Global Environment", "Holden", "Joseph", 2017, "Oxford University Press", "Oxford", edition="5"),
    _b("Fundamentals of Physical Geography", "Petersen", "James F.", 2016, "Cengage", "Boston", edition="2"),
    _b("Geomorphology: A Canadian Perspective", "Trenhaile", "Alan", 2016, "Oxford University Press", "Toronto", edition="6"),
    _b("Atmosphere, Weather and Climate", "Barry", "Roger G.", 2009, "Routledge", "London", edition="9"),
    _b("Glaciers and Glaciation", "Benn", "Douglas", 2010, "Hodder Education", "London", edition="2"),
    _a("Climate Change 2021: The Physical Science Basis — Summary for Policymakers", "Masson-Delmotte", "Valérie", 2021,
       "IPCC Sixth Assessment Report", 1, None, "3–32"),
    _a("Planetary Boundaries: Guiding Human Development on a Changing Planet", "Steffen", "Will", 2015, "Science", 347, 6223,
       "1259855", "10.1126/science.1259855"),
    _w("NASA Earth Observatory", "https://earthobservatory.nasa.gov/", 2024, "NASA"),
    _w("USGS Water Science School", "https://www.usgs.gov/special-topics/water-science-school", 2023, "USGS"),
    _w("British Geological Survey: Landslides", "https://www.bgs.ac.uk/geology-projects/landslides/", 2022, "BGS"),
    _v("Planet Earth II: Mountains", 2016, "BBC"),
]

NOTES = ["Read before the seminar.", "Focus on the introduction and conclusion.", "Available as an e-book from the library.",
         "Skim: we discuss the argument in class.", "Chapters 1–3 only.", "Compare with last week's reading."]
LIBRARY_NOTES = ["Please put two copies on short loan.", "Chapter scan would be enough.", "Check for a newer edition.",
                 "We need the e-book for 240 students."]


def _sections(start: dt.date, weeks: int, topics: list[str]):
    return [(f"Week {n + 1}: {topics[n % len(topics)]}", start + dt.timedelta(weeks=n), start + dt.timedelta(weeks=n, days=6))
            for n in range(weeks)]


def _build(owner, course, title, pool, n_items, weeks, topics, rnd, *, description=""):
    lst = services.create_list(owner, title=title, description=description, courses=[course] if course else [])
    start = (course.start_date if course and course.start_date else clock.today())
    sections = [services.add_section(owner, lst, title=t, start_date=s, end_date=e) for t, s, e in _sections(start, weeks, topics)]
    for n in range(n_items):
        ctype, meta = pool[n % len(pool)]
        tags = [rnd.choice(["essential", "recommended", "recommended", "optional"])]
        if n >= len(pool):  # the same work read again later in the term: another part of it
            part = n // len(pool)
            note = f"Part {part + 1}: chapters {3 * part + 1}–{3 * part + 3}."
        else:
            note = rnd.choice(NOTES) if rnd.random() < 0.3 else ""
        services.add_citation(owner, lst, sections[n * len(sections) // n_items], ctype, meta, tags=tags, public_note=note,
                              library_note=rnd.choice(LIBRARY_NOTES) if rnd.random() < 0.15 else "",
                              open_access=ctype == "article" and rnd.random() < 0.2)
    return lst


def _librarian2(librarian) -> User:
    user, created = User.objects.get_or_create(
        username="reserves",
        defaults=dict(first_name="Rita", last_name="Reserves", email="reserves@riverside.example.edu",
                      institution=librarian.institution, password=make_password(DEMO_PASSWORD),
                      user_group=UserGroup.objects.filter(institution=librarian.institution, code="staff").first()),
    )
    RoleAssignment.objects.get_or_create(user=user, role=Role.COURSE_RESERVES_OPERATOR, scope=Scope.INSTITUTION,
                                         institution=user.institution)
    return user


def _process(librarian, lst, rnd, share: float) -> None:
    for item in list(lst.citations.filter(status=ItemStatus.READY_FOR_PROCESSING).order_by("section__position", "position")):
        if rnd.random() >= share:
            continue
        if rnd.random() < 0.08:
            services.set_item_status(librarian, item, ItemStatus.DECLINED, note="Not available for purchase in this region")
        elif rnd.random() < 0.2:
            services.set_item_status(librarian, item, ItemStatus.IN_PROCESS)
        else:
            services.set_item_status(librarian, item, ItemStatus.COMPLETE)


def load(stdout) -> None:
    if ResourceList.objects.exists() or not User.objects.filter(username="instructor").exists():
        return
    rnd = random.Random(7)
    instructor = User.objects.get(username="instructor")
    librarian = User.objects.get(username="librarian")
    colleague = User.objects.get(username="prof.moreau")
    reserves = _librarian2(librarian)
    course = {c.code: c for c in Course.objects.filter(institution=instructor.institution)}
    history_topics = ["Revolutions", "Industrialisation", "Work and time", "Cotton and empire", "Cities", "Class",
                      "Protest", "Nation states", "Global divergence", "Empire", "Living standards", "Review"]

    # complete, published, assigned to the librarian: the list students read (HIST101)
    hist101 = _build(instructor, course["HIST101"], "Introduction to Modern History — readings", HISTORY, 40, 8, history_topics, rnd,
                     description="Core and further readings, week by week. Essential items are on short loan.")
    services.publish_list(instructor, hist101)
    services.send_list(instructor, hist101)
    services.assign_list(librarian, hist101, librarian.username)
    _process(librarian, hist101, rnd, 1.0)
    for item in hist101.citations.filter(status__in=[ItemStatus.READY_FOR_PROCESSING, ItemStatus.IN_PROCESS]):
        services.set_item_status(librarian, item, ItemStatus.COMPLETE)
    services.set_list_status(librarian, hist101, ListStatus.COMPLETE)

    # 120 items, in process, assigned to the librarian (HIST230)
    hist230 = _build(instructor, course["HIST230"], "The Industrial Revolution — full reading list", HISTORY, 120, 12, history_topics,
                     rnd)
    services.publish_list(instructor, hist230)
    services.send_list(instructor, hist230)
    services.assign_list(librarian, hist230, librarian.username)
    _process(librarian, hist230, rnd, 0.6)

    # sent, published, unassigned, with changes since sent (ENGL110)
    engl110 = _build(instructor, course["ENGL110"], "Reading Literature", ENGLISH, 24, 6,
                     ["Realism", "The city", "Gender", "Industry", "Form", "Adaptation"], rnd)
    services.publish_list(instructor, engl110)
    services.send_list(instructor, engl110)
    first = engl110.citations.order_by("section__position", "position").first()
    services.update_citation(instructor, first, public_note="Read the Prelude and Book 1 for week 1.")
    services.add_citation(instructor, engl110, None, "book", {"title": "Aspects of the Novel", "author": [{"family": "Forster",
                          "given": "E. M."}], "issued": {"date-parts": [[1927]]}, "publisher": "Edward Arnold"}, tags=["optional"])

    # being prepared, draft, one item already sent on its own (ENGL245)
    engl245 = _build(instructor, course["ENGL245"], "The Victorian Novel", ENGLISH, 30, 10,
                     ["Dickens", "The Brontës", "Eliot", "Gaskell", "Sensation fiction", "Hardy", "Trollope", "Criticism",
                      "Serial form", "Review"], rnd)
    services.send_citation(instructor, engl245.citations.filter(status=ItemStatus.BEING_PREPARED).order_by("id").first())

    # a colleague's list, assigned to the other librarian (BIOL101: "Assigned to others" for the librarian)
    biol101 = _build(colleague, course["BIOL101"], "Cell Biology — essential reading", BIOLOGY, 22, 6,
                     ["The cell", "Membranes", "Proteins", "DNA", "Signalling", "Cancer"], rnd)
    services.publish_list(colleague, biol101)
    services.send_list(colleague, biol101)
    services.assign_list(reserves, biol101, reserves.username)
    _process(reserves, biol101, rnd, 0.4)

    # Hillcrest College: sent and unassigned
    instructor2 = User.objects.filter(username="instructor2").first()
    geog = Course.objects.filter(code="GEOG101", institution__code="hillcrest").first()
    if instructor2 and geog:
        geog.instructors.add(instructor2)
        geog101 = _build(instructor2, geog, "Physical Geography — readings", GEOGRAPHY, 20, 5,
                         ["Earth systems", "Weather", "Landforms", "Ice", "Change"], rnd)
        services.publish_list(instructor2, geog101)
        services.send_list(instructor2, geog101)
    stdout.write(f"  resource lists: {ResourceList.objects.count()} lists, "
                 f"{sum(lst.citations.count() for lst in ResourceList.objects.all())} items")
    # the catalog's demo loaded first (INSTALLED_APPS order): point citations at its records
    from syllabus.catalog.demo import link_list_citations

    link_list_citations(stdout)
