"""Demo catalog: a few thousand real-looking records in the consortium's two catalogs, items in
riverside-main, riverside-science and hillcrest-main, holdings, e-journals and e-books with
coverage, and digital representations with files.

A handful of real classics carry their real ISBNs (Penguin Classics and friends) and a few
real journals their real ISSNs; the rest are generated from word lists with a fixed seed, so
that every run gives the same catalog.  Bulk inserts keep it fast (the full-text index
follows by itself: triggers on SQLite, a generated column on PostgreSQL).
"""
from __future__ import annotations

import random

from django.core.files.base import ContentFile
from django.db import transaction

from syllabus.org.models import Institution, Library

from . import csl as cslmod
from .models import EResource, Holding, Item, Record, Representation
from .services import _record_values

SEED = 20260302
GENERATED = 3000

# (title, family, given, year, publisher, ISBN, LC call number, subjects)
CLASSICS = [
    ("Pride and prejudice", "Austen", "Jane", 2003, "Penguin Books", "9780141439518", "PR4034 .P7 2003", ["Courtship -- Fiction", "England -- Social life and customs -- Fiction"]),
    ("Emma", "Austen", "Jane", 2003, "Penguin Books", "9780141439587", "PR4034 .E5 2003", ["Young women -- Fiction", "Match-making -- Fiction"]),
    ("Persuasion", "Austen", "Jane", 2003, "Penguin Books", "9780141439686", "PR4034 .P4 2003", ["Courtship -- Fiction"]),
    ("Middlemarch", "Eliot", "George", 2003, "Penguin Books", "9780141439549", "PR4662 .A1 2003", ["Married people -- Fiction", "England -- Fiction"]),
    ("Jane Eyre", "Brontë", "Charlotte", 2006, "Penguin Books", "9780141441146", "PR4167 .J3 2006", ["Governesses -- Fiction", "Orphans -- Fiction"]),
    ("Wuthering heights", "Brontë", "Emily", 2003, "Penguin Books", "9780141439556", "PR4172 .W7 2003", ["Yorkshire (England) -- Fiction", "Revenge -- Fiction"]),
    ("Great expectations", "Dickens", "Charles", 2003, "Penguin Books", "9780141439563", "PR4560 .A2 2003", ["Orphans -- Fiction", "Bildungsromans"]),
    ("Bleak house", "Dickens", "Charles", 2003, "Penguin Books", "9780141439723", "PR4556 .A2 2003", ["Inheritance and succession -- Fiction", "Law -- Fiction"]),
    ("Hard times", "Dickens", "Charles", 2003, "Penguin Books", "9780141439679", "PR4561 .A1 2003", ["Industrial revolution -- Fiction", "Education -- Fiction"]),
    ("Frankenstein, or, The modern Prometheus", "Shelley", "Mary Wollstonecraft", 2003, "Penguin Books", "9780141439471", "PR5397 .F7 2003", ["Monsters -- Fiction", "Scientists -- Fiction", "Gothic fiction"]),
    ("Dracula", "Stoker", "Bram", 2003, "Penguin Books", "9780141439846", "PR6037 .T617 D7 2003", ["Vampires -- Fiction", "Gothic fiction"]),
    ("Tess of the d'Urbervilles", "Hardy", "Thomas", 2003, "Penguin Books", "9780141439594", "PR4748 .A1 2003", ["Wessex (England) -- Fiction"]),
    ("Heart of darkness", "Conrad", "Joseph", 2007, "Penguin Books", "9780141441672", "PR6005 .O4 H4 2007", ["Imperialism -- Fiction", "Congo River -- Fiction"]),
    ("Moby-Dick, or, The whale", "Melville", "Herman", 2003, "Penguin Books", "9780142437247", "PS2384 .M6 2003", ["Whaling -- Fiction", "Sea stories"]),
    ("On the origin of species", "Darwin", "Charles", 1985, "Penguin Books", "9780140432053", "QH365 .O2 1985", ["Evolution (Biology)", "Natural selection"]),
    ("The wealth of nations. Books I-III", "Smith", "Adam", 1986, "Penguin Books", "9780140432084", "HB161 .S65 1986", ["Economics", "Classical school of economics"]),
    ("On liberty", "Mill", "John Stuart", 1985, "Penguin Books", "9780140432077", "JC585 .M75 1985", ["Liberty", "Political science"]),
    ("Leviathan", "Hobbes", "Thomas", 1985, "Penguin Books", "9780140431957", "JC153 .H65 1985", ["Political science -- Early works to 1800", "State, The"]),
    ("The prince", "Machiavelli", "Niccolò", 2003, "Penguin Books", "9780140449150", "JC143 .M38 2003", ["Political science -- Early works to 1800", "Political ethics"]),
    ("The Communist manifesto", "Marx", "Karl", 2002, "Penguin Books", "9780140447576", "HX276 .M2713 2002", ["Communism", "Socialism"]),
    ("The republic", "Plato", "", 2007, "Penguin Books", "9780140455113", "JC71 .P35 2007", ["Political science -- Early works to 1800", "Utopias"]),
    ("Thinking, fast and slow", "Kahneman", "Daniel", 2011, "Farrar, Straus and Giroux", "9780374275631", "BF441 .K238 2011", ["Thought and thinking", "Decision making", "Reasoning"]),
    ("The structure of scientific revolutions", "Kuhn", "Thomas S.", 1996, "University of Chicago Press", "9780226458083", "Q175 .K95 1996", ["Science -- Philosophy", "Science -- History"]),
    ("A brief history of time", "Hawking", "Stephen", 1998, "Bantam Books", "9780553380163", "QB981 .H377 1998", ["Cosmology", "Black holes (Astronomy)"]),
    ("Guns, germs, and steel: the fates of human societies", "Diamond", "Jared", 1999, "W. W. Norton", "9780393317558", "HM206 .D48 1999", ["Social evolution", "Civilization -- History", "Human ecology"]),
    ("Silent spring", "Carson", "Rachel", 2002, "Houghton Mifflin", "9780618249060", "QH545 .P4 C38 2002", ["Pesticides -- Environmental aspects", "Pollution"]),
    ("Orientalism", "Said", "Edward W.", 1979, "Vintage Books", "9780394740676", "DS12 .S24 1979", ["Orientalism", "East and West"]),
    ("The second sex", "Beauvoir", "Simone de", 2011, "Vintage Books", "9780307277787", "HQ1208 .B352 2011", ["Women", "Feminist theory"]),
    # what the demo reading lists cite (HIST101, HIST230, ENGL245...)
    ("The making of the English working class", "Thompson", "E. P.", 1991, "Penguin Books", "9780140136036", "HD8389 .T5 1991", ["Working class -- Great Britain -- History"]),
    ("The age of revolution: 1789-1848", "Hobsbawm", "Eric", 1996, "Vintage Books", "", "D299 .H6 1996", ["Europe -- History -- 1789-1900"]),
    ("The age of capital: 1848-1875", "Hobsbawm", "Eric", 1996, "Vintage Books", "", "D359 .H62 1996", ["Europe -- History -- 1848-1871"]),
    ("The great transformation: the political and economic origins of our time", "Polanyi", "Karl", 2001, "Beacon Press", "", "HC53 .P6 2001", ["Economic history", "Industrial revolution"]),
    ("The great divergence: China, Europe, and the making of the modern world economy", "Pomeranz", "Kenneth", 2000, "Princeton University Press", "", "HC240 .P66 2000", ["Economic history -- 1750-1918"]),
    ("Imagined communities: reflections on the origin and spread of nationalism", "Anderson", "Benedict", 2006, "Verso", "", "JC311 .A656 2006", ["Nationalism -- History"]),
    ("Empire of cotton: a global history", "Beckert", "Sven", 2014, "Alfred A. Knopf", "", "HD9875 .B43 2014", ["Cotton trade -- History"]),
    ("Capitalism and slavery", "Williams", "Eric", 1994, "University of North Carolina Press", "", "HT1093 .W55 1994", ["Slavery -- Great Britain"]),
    ("North and South", "Gaskell", "Elizabeth", 2003, "Penguin Books", "", "PR4710 .N6 2003", ["Industrial relations -- Fiction"]),
    ("Mary Barton", "Gaskell", "Elizabeth", 2003, "Penguin Books", "", "PR4710 .M3 2003", ["Working class -- Fiction"]),
    ("Vanity fair", "Thackeray", "William Makepeace", 2003, "Penguin Books", "", "PR5618 .A1 2003", ["Social classes -- Fiction"]),
    ("The woman in white", "Collins", "Wilkie", 2003, "Penguin Books", "", "PR4494 .W6 2003", ["Sensation novels"]),
    ("Culture and society, 1780-1950", "Williams", "Raymond", 1983, "Columbia University Press", "", "DA533 .W5 1983", ["Culture", "Great Britain -- Civilization"]),
    ("Molecular biology of the cell", "Alberts", "Bruce", 2022, "W. W. Norton", "", "QH581.2 .M64 2022", ["Cytology", "Molecular biology"]),
]

# (title, ISSN, publisher, platform URL, coverage from)
JOURNALS = [
    ("Nature", "0028-0836", "Nature Publishing Group", "https://www.nature.com/nature/", 1869),
    ("Science", "0036-8075", "American Association for the Advancement of Science", "https://www.science.org/journal/science", 1880),
    ("The Lancet", "0140-6736", "Elsevier", "https://www.thelancet.com/journals/lancet/issues", 1823),
    ("Cell", "0092-8674", "Cell Press", "https://www.cell.com/cell/archive", 1974),
    ("Proceedings of the National Academy of Sciences of the United States of America", "0027-8424", "National Academy of Sciences",
     "https://www.pnas.org/loi/pnas", 1915),
    ("The American Economic Review", "0002-8282", "American Economic Association", "https://www.aeaweb.org/journals/aer/issues", 1911),
    ("Mind", "0026-4423", "Oxford University Press", "https://academic.oup.com/mind/issue", 1876),
    ("Past & Present", "0031-2746", "Oxford University Press", "https://academic.oup.com/past/issue", 1952),
]

ARTICLES = [
    {"type": "article-journal", "title": "Deep learning", "container-title": "Nature", "volume": "521", "issue": "7553", "page": "436-444",
     "issued": {"date-parts": [[2015, 5, 28]]}, "DOI": "10.1038/nature14539", "ISSN": "0028-0836",
     "author": [{"family": "LeCun", "given": "Yann"}, {"family": "Bengio", "given": "Yoshua"}, {"family": "Hinton", "given": "Geoffrey"}]},
    {"type": "article-journal", "title": "Molecular structure of nucleic acids: a structure for deoxyribose nucleic acid",
     "container-title": "Nature", "volume": "171", "issue": "4356", "page": "737-738", "issued": {"date-parts": [[1953, 4, 25]]},
     "DOI": "10.1038/171737a0", "ISSN": "0028-0836",
     "author": [{"family": "Watson", "given": "J. D."}, {"family": "Crick", "given": "F. H. C."}]},
    {"type": "article-journal", "title": "The tragedy of the commons", "container-title": "Science", "volume": "162", "issue": "3859",
     "page": "1243-1248", "issued": {"date-parts": [[1968, 12, 13]]}, "DOI": "10.1126/science.162.3859.1243", "ISSN": "0036-8075",
     "author": [{"family": "Hardin", "given": "Garrett"}]},
    {"type": "article-journal", "title": "Computing machinery and intelligence", "container-title": "Mind", "volume": "LIX",
     "issue": "236", "page": "433-460", "issued": {"date-parts": [[1950, 10]]}, "DOI": "10.1093/mind/LIX.236.433", "ISSN": "0026-4423",
     "author": [{"family": "Turing", "given": "A. M."}]},
]

ADJECTIVES = ["Modern", "Early", "Global", "Hidden", "Critical", "Digital", "Urban", "Rural", "Victorian", "Medieval", "Atlantic",
              "Contested", "Invisible", "Practical", "Comparative", "Quantitative", "Radical", "Sacred", "Colonial", "Industrial",
              "Political", "Natural", "Cultural", "Social", "Moral", "Material", "Environmental", "Visual", "Popular", "Imperial"]
NOUNS = ["Histories", "Cities", "Markets", "Bodies", "Voices", "Landscapes", "Revolutions", "Empires", "Networks", "Rivers",
         "Machines", "Archives", "Frontiers", "Families", "Economies", "Minds", "Worlds", "Borders", "Institutions", "Languages",
         "Genes", "Cells", "Forests", "Oceans", "Algorithms", "Schools", "Courts", "Hospitals", "Theatres", "Gardens"]
FIELDS = ["Economics", "Sociology", "Psychology", "Linguistics", "Anthropology", "Geography", "Political Theory", "Statistics",
          "Cell Biology", "Genetics", "Organic Chemistry", "Classical Mechanics", "Linear Algebra", "Calculus", "Data Structures",
          "Programming", "Ethics", "Contract Law", "Music Theory", "Renaissance Art", "Curriculum Design", "Clinical Practice",
          "Modern History", "Victorian Literature", "Econometrics", "Social Theory", "Cultural Studies", "Public Health",
          "Climate Science", "Philosophy of Mind", "Organisational Behaviour", "Physical Geography", "Comparative Politics"]
PLACES = ["Britain", "Europe", "the Atlantic World", "Africa", "South Asia", "the Americas", "the Mediterranean", "China", "Japan",
          "the Middle East", "Scandinavia", "Latin America", "the Pacific", "Russia", "India", "France", "Germany", "Australia"]
TOPICS = ["Power", "Memory", "Trade", "Identity", "Knowledge", "Risk", "Evidence", "Change", "Care", "Belief", "Labour", "Value",
          "Inequality", "Migration", "Technology", "Childhood", "Religion", "Reform", "Health", "Justice"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Isabel", "James", "Kwame", "Laura", "Mateo", "Nadia",
         "Oliver", "Priya", "Quentin", "Rosa", "Samuel", "Tamsin", "Usha", "Victor", "Wen", "Xavier", "Yasmin", "Zoltan", "Margaret",
         "Peter", "Helen", "Thomas", "Claire", "Robert", "Sarah", "Michael", "Fatima", "Ingrid", "Kenji", "Lucia", "Olga", "Rajesh"]
LAST = ["Adams", "Bauer", "Chen", "Dubois", "Evans", "Fernández", "Gallagher", "Hughes", "Ivanova", "Jensen", "Kowalski", "Lindqvist",
        "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Taylor", "Ueda", "Van der Berg", "Williams", "Xu",
        "Yilmaz", "Zimmermann", "Brown", "Clarke", "Davies", "Edwards", "Fischer", "Green", "Hall", "Jones", "King", "Lewis",
        "Martin", "Novak", "O'Brien", "Price", "Roberts", "Singh", "Thompson", "Walker", "Wright", "Young"]
PUBLISHERS = [("Oxford University Press", "Oxford"), ("Cambridge University Press", "Cambridge"), ("Routledge", "London"),
              ("Penguin Books", "London"), ("Princeton University Press", "Princeton"), ("Yale University Press", "New Haven"),
              ("University of Chicago Press", "Chicago"), ("MIT Press", "Cambridge, Mass."), ("Palgrave Macmillan", "Basingstoke"),
              ("Wiley-Blackwell", "Chichester"), ("Bloomsbury Academic", "London"), ("SAGE Publications", "Los Angeles"),
              ("Springer", "Cham"), ("Polity", "Cambridge"), ("Verso", "London"), ("Harvard University Press", "Cambridge, Mass.")]
LC_CLASSES = {"Economics": "HB", "Sociology": "HM", "Psychology": "BF", "Linguistics": "P", "Anthropology": "GN", "Geography": "G",
              "Political Theory": "JA", "Statistics": "QA276", "Cell Biology": "QH581", "Genetics": "QH430", "Organic Chemistry": "QD251",
              "Classical Mechanics": "QA805", "Linear Algebra": "QA184", "Calculus": "QA303", "Data Structures": "QA76.9",
              "Programming": "QA76.6", "Ethics": "BJ", "Contract Law": "K840", "Music Theory": "MT6", "Renaissance Art": "N6370",
              "Curriculum Design": "LB2806", "Clinical Practice": "RT41", "Modern History": "D", "Victorian Literature": "PR461",
              "Econometrics": "HB139", "Social Theory": "HM585", "Cultural Studies": "HM623", "Public Health": "RA425",
              "Climate Science": "QC903", "Philosophy of Mind": "BD418", "Organisational Behaviour": "HD58.7",
              "Physical Geography": "GB54.5", "Comparative Politics": "JF51"}
LOCATIONS = {"riverside-main": ["Stacks", "Short loan", "Reference", "Course reserves"],
             "riverside-science": ["Science stacks", "Short loan", "Periodicals"],
             "hillcrest-main": ["Main collection", "Reserve desk", "Reference"]}
STATUSES = ["in_place"] * 15 + ["on_loan"] * 3 + ["in_process", "missing"]


def _isbn(rnd: random.Random) -> str:
    body = "9781" + "".join(str(rnd.randint(0, 9)) for _ in range(8))
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def _title(rnd: random.Random, field: str) -> str:
    pattern = rnd.randrange(7)
    if pattern == 0:
        return f"{rnd.choice(ADJECTIVES)} {rnd.choice(NOUNS).lower()}: {rnd.choice(TOPICS).lower()} in {rnd.choice(PLACES)}"
    if pattern == 1:
        return f"An introduction to {field.lower()}"
    if pattern == 2:
        return f"{field}: {rnd.choice(['a very short introduction', 'principles and practice', 'a critical reader', 'theory and method', 'new perspectives'])}"
    if pattern == 3:
        return f"{rnd.choice(TOPICS)} and {rnd.choice(TOPICS).lower()} in {rnd.choice(ADJECTIVES).lower()} {rnd.choice(PLACES)}"
    if pattern == 4:
        return f"The {rnd.choice(ADJECTIVES).lower()} {rnd.choice(NOUNS).lower()} of {rnd.choice(PLACES)}, {rnd.randint(1500, 1950)}-{rnd.randint(1951, 2020)}"
    if pattern == 5:
        return f"Handbook of {field.lower()}"
    return f"{rnd.choice(NOUNS)} of {rnd.choice(TOPICS).lower()}: essays on {field.lower()}"


def _pdf(title: str) -> bytes:
    """A one-page PDF saying what it stands for (demo representations need a real file)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj 0 -28 Td /F1 12 Tf (Syllabus demo scan) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _record(institution, source_id: str, data: dict, subjects: list[str]) -> Record:
    data = cslmod.clean(data)
    return Record(institution=institution, source_id=source_id, **_record_values(data, subjects, []))


def load(stdout, *, generated: int = GENERATED) -> None:
    riverside = Institution.objects.filter(code="riverside").first()
    hillcrest = Institution.objects.filter(code="hillcrest").first()
    if riverside is None or hillcrest is None or Record.objects.filter(source_id__startswith="demo:").exists():
        return
    libs = {lib.code: lib for lib in Library.objects.filter(code__in=LOCATIONS)}
    if len(libs) < 3:
        return
    rnd = random.Random(SEED)
    records: list[tuple[Record, list[str]]] = []  # (record, libraries holding it)

    for n, (title, family, given, year, publisher, isbn, call, subjects) in enumerate(CLASSICS, start=1):
        author = {"family": family, "given": given} if given else {"literal": family}
        data = {"type": "book", "title": title, "author": [author], "issued": {"date-parts": [[year]]}, "publisher": publisher,
                "ISBN": isbn, "language": "eng", "call-number": call}
        records.append((_record(riverside, f"demo:c{n:03d}", data, subjects), ["riverside-main", "riverside-main", "riverside-science"][: rnd.randint(1, 3)]))
        if n % 3 == 0:  # Hillcrest holds every third classic too (its own record of the same work)
            records.append((_record(hillcrest, f"demo:hc{n:03d}", dict(data, publisher="Oxford University Press",
                                                                           ISBN=None, edition="2"), subjects), ["hillcrest-main"]))
    for n, (title, issn, publisher, _url, _start) in enumerate(JOURNALS, start=1):
        data = {"type": "periodical", "title": title, "ISSN": issn, "publisher": publisher}
        records.append((_record(riverside, f"demo:j{n:03d}", data, ["Periodicals"]), []))
        if n <= 4:
            records.append((_record(hillcrest, f"demo:hj{n:03d}", data, ["Periodicals"]), []))
    for n, data in enumerate(ARTICLES, start=1):
        records.append((_record(riverside, f"demo:a{n:03d}", data, []), []))
    for n in range(1, generated + 1):
        field = rnd.choice(FIELDS)
        people = [{"family": rnd.choice(LAST), "given": rnd.choice(FIRST)} for _ in range(rnd.choice([1, 1, 1, 2, 2, 3]))]
        publisher, place = rnd.choice(PUBLISHERS)
        year = rnd.randint(1955, 2025)
        data = {"type": "book", "title": _title(rnd, field), "issued": {"date-parts": [[year]]}, "publisher": publisher,
                "publisher-place": place, "ISBN": _isbn(rnd) if year >= 1970 else None, "language": "eng"}
        data["editor" if rnd.random() < 0.12 else "author"] = people
        if rnd.random() < 0.2:
            data["edition"] = str(rnd.randint(2, 6))
        subjects = [field, f"{field} -- {rnd.choice(['History', 'Textbooks', 'Study and teaching', 'Research', 'Methodology'])}"]
        institution = riverside if rnd.random() < 0.7 else hillcrest
        if institution == riverside:
            science = field in ("Cell Biology", "Genetics", "Organic Chemistry", "Classical Mechanics", "Linear Algebra", "Calculus",
                                "Data Structures", "Programming", "Statistics", "Climate Science", "Public Health")
            holders = [("riverside-science" if science else "riverside-main")] * rnd.choice([0, 1, 1, 1, 2, 3])
            if rnd.random() < 0.1:
                holders.append("riverside-main" if science else "riverside-science")
        else:
            holders = ["hillcrest-main"] * rnd.choice([0, 1, 1, 2])
        records.append((_record(institution, f"demo:g{n:05d}", data, subjects), holders))

    with transaction.atomic():
        Record.objects.bulk_create([r for r, _ in records], batch_size=500)
        holdings, items = [], []
        barcode = 0
        for record, holders in records:
            for code in dict.fromkeys(holders):
                lib = libs[code]
                location = rnd.choice(LOCATIONS[code])
                field = record.subjects.split("; ")[0] if record.subjects else ""
                call = record.csl.get("call-number") or f"{LC_CLASSES.get(field, 'Z')}{rnd.randint(1, 999)} .{record.title[:1].upper()}{rnd.randint(10, 99)} {record.year or ''}".strip()
                holding = Holding(record=record, library=lib, location=location, call_number=call)
                holdings.append(holding)
                for copy in range(holders.count(code)):
                    barcode += 1
                    items.append(Item(record=record, library=lib, holding=holding, barcode=f"{lib.code[:2].upper()}{barcode:07d}",
                                      location=location, call_number=call, item_type="book", description=f"c.{copy + 1}" if copy else "",
                                      status=rnd.choice(STATUSES)))
        Holding.objects.bulk_create(holdings, batch_size=500)
        for item in items:
            item.holding_id = item.holding.pk
        Item.objects.bulk_create(items, batch_size=500)

        eresources = []
        by_source = {r.source_id: r for r, _ in records}
        for n, (_name, _issn, _publisher, url, start) in enumerate(JOURNALS, start=1):
            for prefix, inst in (("demo:j", riverside), ("demo:hj", hillcrest)):
                record = by_source.get(f"{prefix}{n:03d}")
                if record is None:
                    continue
                frm = start if inst == riverside else max(start, 1997)
                eresources.append(EResource(record=record, institution=inst, url=url, provider=f"{_publisher} online",
                                            coverage=f"{frm}-present", coverage_from=frm))
        for record, _holders in records:
            if record.source_id.startswith("demo:g") and record.isbn and rnd.random() < 0.08:
                eresources.append(EResource(record=record, institution=record.institution, provider="Example e-books",
                                            url=f"https://ebooks.example.org/{record.institution.code}/{record.isbn}"))
            if record.source_id.startswith("demo:a") and record.doi:
                eresources.append(EResource(record=record, institution=record.institution, url=f"https://doi.org/{record.doi}",
                                            provider="Publisher's site (DOI)"))
        EResource.objects.bulk_create(eresources, batch_size=500)

        represented = [r for r, holders in records if r.source_id.startswith("demo:c") and holders][:10]
        for n, record in enumerate(represented):
            lib = libs["riverside-main"]
            rep = Representation(record=record, library=lib, label=f"Digitised copy of {record.title}"[:300],
                                 mime_type="application/pdf", active=n != 9)
            rep.file.save(f"demo-{record.source_id.replace(':', '-')}.pdf", ContentFile(_pdf(record.title)), save=False)
            rep.save()
            rep.related_items.set(Item.objects.filter(record=record, library=lib)[:2])
    stdout.write(f"  catalog: {len(records)} records, {len(items)} items in {len(libs)} libraries, {len(eresources)} e-resources, "
                 f"{len(represented)} digital representations")


def link_list_citations(stdout=None) -> int:
    """Point the demo lists' citations at the catalog records they describe (by DOI, ISBN, then
    title and author, in the list's own institution), as a librarian would when processing a
    list — so that course reserves, course-code search and "lists citing this" have data.
    Called by the lists demo, which loads after the catalog's."""
    try:
        from syllabus.lists.models import Citation
    except (ImportError, LookupError):
        return 0
    from .search import ParsedQuery, SearchParams, parse_query, search

    linked = 0
    for citation in Citation.objects.filter(record__isnull=True, type="book").select_related("resource_list"):
        data = cslmod.clean(dict(citation.metadata or {}))
        query = None
        isbn = cslmod.normalize_isbn((cslmod.split_identifiers(data.get("ISBN")) or [""])[0])
        people = cslmod.names(data, "author") or cslmod.names(data, "editor")
        if isbn:
            query = ParsedQuery(isbn=isbn)
        elif people and people[0].get("family"):
            words = parse_query(data.get("title", "").split(":")[0]).terms[:6]
            query = ParsedQuery(terms=words + parse_query(people[0]["family"]).terms[:2])
        if query is None or query.empty:
            continue
        ids = search(SearchParams(query=query, institution_ids=[citation.resource_list.institution_id], page_size=1,
                                  types=["book"], facets=False)).ids
        if ids:
            citation.record_id = ids[0]
            citation.save(update_fields=["record"])
            linked += 1
    if stdout is not None:
        stdout.write(f"  catalog: {linked} list citations linked to catalog records")
    return linked
