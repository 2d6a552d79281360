from syllabus.org.config import declare

declare("licence_enrolment_factor", int, 10,
        "Licence vs enrolment warning: an e-book licence is flagged when its concurrent users times this factor is below "
        "the course's enrolment (e.g. 10: a 3-user licence for 120 students is flagged, 12 users are enough)")
declare("cla_provider", str, "offline", "CLA permissions provider (SRV-2): offline (shipped sample data) or http",
        choices=("offline", "http"))
declare("cla_service_url", str, "", "CLA check (SRV-2): base URL of the HTTP permissions service (provider http)")
declare("editions_feed_url", str, "", "New editions (SRV-3): base URL of an Open Library compatible editions API; "
        "empty: the local catalog only")
declare("purchase_suggestions_enabled", bool, True,
        "Find it (DSV-6): a reader may suggest that the library buy a title no library of the consortium holds (SRV-3)")
declare("purchase_suggestions_max_open", int, 10,
        "Find it suggestions (SRV-3): how many of one reader's purchase suggestions the library processes at once "
        "(0: none)")
declare("purchase_suggestions_max_per_day", int, 30,
        "Find it suggestions (SRV-3): how many purchase suggestions one reader may send in 24 hours, withdrawn ones "
        "included (0: none)")
