from syllabus.org.config import declare

declare("analytics_retention_days", int, 180,
        "Analytics (ANL-1): days a raw usage event is kept before the sweep deletes it (the daily counts stay)")
declare("analytics_small_count", int, 5,
        "Analytics (ANL-1): a count of readers or reader actions below this is shown as \"fewer than N\"")
declare("analytics_share_with_consortium", bool, False,
        "Suggestions (ANL-3): the published lists of this institution also feed the \"often used with\" suggestions "
        "of the other members of its consortium (titles only; never who reads them)")
