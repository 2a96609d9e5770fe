"""Analyst views and column comments for the DuckDB warehouse (no dagster; plain SQL strings).

`view_statements()` returns CREATE VIEW (+ COMMENT ON VIEW) statements over the public tables of CONTRACT.md
(documents, stories, events, event_clusters, actors); they use only CONTRACT columns, so they work on any
warehouse that honours the contract. `comment_statements(models)` turns pandera model docstrings and
`Field(description=...)` into COMMENT ON TABLE / COLUMN statements.

Mappings (also in docs/data_dictionary.md):
- v_gdelt_events — one row per event cluster in the shape of the GDELT 2.0 Event table: GLOBALEVENTID =
  event_cluster_id (a string, not an integer), SQLDATE = event date (else first publication) as YYYYMMDD,
  Actor1/Actor2 = source/target (code = actor_id, CountryCode = ISO3, Type1Code = PLOVER sector),
  EventRootCode/EventCode/EventBaseCode = the two-digit CAMEO root (ours has no finer code), QuadClass from
  the PLOVER type (linking.yaml plover_quad), NumMentions/NumArticles/NumSources = n_mentions/n_stories/
  n_outlets, ActionGeo_* from the location (CountryCode is ISO3, where GDELT uses FIPS 10-4), SOURCEURL = the
  representative story's document url (else its input path). GoldsteinScale and AvgTone are NULL (not computed).
- v_acled_events — one row per *asserted* event cluster whose PLOVER type ACLED covers (linking.yaml
  acled_crosswalk: PROTEST -> Protests, ASSAULT -> Violence against civilians, COERCE -> Strategic developments/
  Arrests, ...): event_id_cnty = event_cluster_id, time_precision 1/2/3 = day/week/month-or-coarser, actor1/actor2
  = source/target names, inter1/inter2 = PLOVER sectors (not ACLED's numeric codes), iso = ISO3 (ACLED uses ISO
  numeric), country = location country (else target, else source), fatalities = largest `killed` quantity (0 when
  none is reported), source = the outlets, notes = the representative sentence.
"""
from __future__ import annotations

from typing import Iterable

from pipelines.core.link.linker import load_rules

VIEW_DOCS: dict[str, str] = {
    "v_events": "One row per event mention with its story (title, outlet, publication date), document (input path, url), "
                "source/target actor names and the linked event cluster's counts. Start here.",
    "v_event_timeline": "Events per day and PLOVER type: distinct real-world events (clusters) and the mentions, stories "
                        "and outlets reporting them. Day = event date, else first publication date; "
                        "date_precision and day_end say how wide that date is (a week-precision event is a week, "
                        "not a day).",
    "v_sanctions": "Who sanctioned whom: one row per SANCTION event cluster with the sanctioning and sanctioned actors, "
                   "measures named in the mentions, number of targets, status (imposed/planned/threatened/...) and counts.",
    "v_gdelt_events": "Event clusters in the shape of the GDELT 2.0 Event table (see docs/data_dictionary.md for the mapping "
                      "and its differences: string ids, ISO3 country codes, CAMEO root codes only).",
    "v_acled_events": "Asserted event clusters of the types ACLED covers, in the shape of ACLED's export (see "
                      "docs/data_dictionary.md for the crosswalk).",
}


# column -> where it comes from (documentation of the GDELT/ACLED-shaped views; rendered in docs/data_dictionary.md)
GDELT_MAPPING: dict[str, str] = {
    "GLOBALEVENTID": "event_clusters.event_cluster_id (a string id, not GDELT's integer)",
    "SQLDATE / MonthYear / Year": "event_clusters.event_date, else the earliest publication date, as YYYYMMDD / YYYYMM / YYYY",
    "Actor1Code / Actor2Code": "source / target actor_id of the representative mention (readable slug, not a CAMEO actor code)",
    "Actor1Name / Actor2Name": "actors.name (else the actor as written)",
    "Actor1CountryCode / Actor2CountryCode": "event_clusters.source_country / target_country (ISO 3166-1 alpha-3)",
    "Actor1Type1Code / Actor2Type1Code": "PLOVER sector of the representative mention (GOV, MIL, COP, OPP, CVL, IGO ...)",
    "IsRootEvent": "1 when the representative mention is the story's first sentence",
    "EventCode / EventBaseCode / EventRootCode": "two-digit CAMEO root (events.cameo_root, else linking.yaml plover_quad); no finer code",
    "QuadClass": "from the PLOVER type (linking.yaml plover_quad: 1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict)",
    "GoldsteinScale / AvgTone": "NULL (not computed)",
    "NumMentions / NumArticles / NumSources": "event_clusters.n_mentions / n_stories / n_outlets (duplicates not counted)",
    "ActionGeo_FullName / ActionGeo_CountryCode / ActionGeo_Lat / ActionGeo_Long": "location of the representative mention (country as ISO3, GDELT uses FIPS 10-4)",
    "DATEADDED": "documents.ingested_at of the representative story, YYYYMMDDHHMMSS",
    "SOURCEURL": "documents.url of the representative story, else its input path",
    "PloverType": "extra: the PLOVER event type",
}
ACLED_MAPPING: dict[str, str] = {
    "(rows)": "asserted event clusters whose PLOVER type is in linking.yaml acled_crosswalk; planned/threatened/negated are left out",
    "event_id_cnty": "event_clusters.event_cluster_id",
    "event_date / year": "event_clusters.event_date, else the earliest publication date",
    "time_precision": "1 day, 2 week, 3 month or coarser (from the representative mention's date_precision)",
    "disorder_type / event_type / sub_event_type": "linking.yaml acled_crosswalk by PLOVER type",
    "actor1 / actor2": "source / target actor name (actors.name, else as written)",
    "inter1 / inter2": "PLOVER sector of source / target (not ACLED's numeric interaction codes)",
    "civilian_targeting": "'Civilian targeting' when the target sector is CVL",
    "iso / country": "ISO3 of the location, else the target's, else the source's country (ACLED uses ISO numeric and names)",
    "location / latitude / longitude": "location of the representative mention",
    "source": "outlets of the stories reporting the event",
    "notes": "the representative sentence",
    "fatalities": "largest `killed` quantity among the mentions (ACLED's conservative rule), 0 when none is reported",
    "tags": "crowd size=N from the largest `participants` quantity",
    "n_reports / plover_type": "extra: number of stories, PLOVER type",
}
# descriptions of the view columns that are derived or renamed (pass-through columns keep their table's meaning)
# a view column not documented in VIEW_COLUMN_DOCS that passes a column of this table through under the same name
# gets that column's comment (pipelines/core/publish/database.py inherit_view_comments)
VIEW_INHERITS: dict[str, str] = {"v_events": "events"}

VIEW_COLUMN_DOCS: dict[str, dict[str, str]] = {
    "v_events": {
        "event_day": "Event date, else the story's publication date.",
        "source_name": "Name of the source actor (actors.name, else as written).",
        "target_name": "Name of the target actor (actors.name, else as written).",
        "story_title": "Title of the story (stories.title).",
        "outlet": "Outlet of the story (stories.outlet).",
        "published_date": "Publication date of the story (stories.published_date).",
        "source_uri": "Input file of the story's document (documents.source_uri).",
        "url": "URL of the story's document, when the input had one.",
        "cluster_mentions": "Mentions of the same real-world event (event_clusters.n_mentions).",
        "cluster_stories": "Stories reporting the same real-world event (event_clusters.n_stories).",
        "cluster_outlets": "Outlets reporting the same real-world event (event_clusters.n_outlets).",
        "is_representative": "True for the mention that represents its event cluster.",
    },
    "v_event_timeline": {
        "day": "Event date of the cluster (first day of its window), else the first publication date of its stories.",
        "day_end": "Last day the date allows: day for day / before / publication, day+6 for week, the month's or "
                   "year's last day for month / year (a week-precision event covers day..day_end, not one day).",
        "date_precision": "Precision of `day`: the finest date_precision of the cluster's mentions stating that date "
                          "(day | week | before = on or before day | month | year), or publication when `day` is "
                          "the first publication date (the cluster's mentions state no date).",
        "event_type": "PLOVER event type.",
        "n_events": "Distinct real-world events (event clusters) that day.",
        "n_asserted": "Of which asserted (not planned, threatened, negated or hypothetical).",
        "n_mentions": "Mentions of those events.",
        "n_stories": "Stories reporting those events (a story reporting two events counts twice).",
        "max_outlets": "Largest number of outlets reporting one of those events.",
    },
    "v_sanctions": {
        "event_cluster_id": "The sanction event (event_clusters.event_cluster_id).",
        "event_day": "Event date, else the representative story's publication date.",
        "sanctioning": "Who imposes (or plans/threatens) the sanctions.",
        "source_actor_id": "actors.actor_id of the sanctioning side.",
        "source_country": "ISO3 of the sanctioning side.",
        "sanctioned": "Who is targeted.",
        "target_actor_id": "actors.actor_id of the targeted side.",
        "target_country": "ISO3 of the targeted side.",
        "measure": "Measures named in the mentions (linking.yaml sanction_measures), else the event mode or trigger.",
        "n_targets": "Number of targeted people/entities (largest `targets` quantity among the mentions).",
        "status": "imposed / planned / threatened / not imposed / hypothetical (from factuality).",
        "n_mentions": "Mentions of the sanction event.",
        "n_stories": "Stories reporting it (duplicates count once).",
        "n_outlets": "Outlets reporting it.",
        "representative_evidence": "The sentence that best describes it.",
    },
}


def _mapping_docs(mapping: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, doc in mapping.items():
        if key.startswith("("):
            continue
        for col in key.split(" / "):
            out[col.strip()] = doc
    return out


def _q(text: str) -> str:
    """SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _values(rows: Iterable[tuple], cols: tuple[str, ...]) -> str:
    body = ", ".join("(" + ", ".join("NULL" if v is None else (str(v) if isinstance(v, int) else _q(v)) for v in r) + ")"
                     for r in rows)
    return f"(VALUES {body}) AS t({', '.join(cols)})"


def view_statements(rules: dict | None = None) -> list[str]:
    """CREATE OR REPLACE VIEW statements (and COMMENT ON VIEW) for the analyst views, in dependency order."""
    rules = rules or load_rules()
    quad = _values([(t, int(v[0]), str(v[1])) for t, v in sorted((rules.get("plover_quad") or {}).items())],
                   ("event_type", "quad_class", "cameo_root"))
    acled = _values([(t, *v) for t, v in sorted((rules.get("acled_crosswalk") or {}).items())],
                    ("event_type", "disorder_type", "acled_event_type", "sub_event_type"))
    measures = (rules.get("sanction_measures") or {})
    measure_list = ", ".join(f"CASE WHEN regexp_matches(m.ev_text, {_q(p)}) THEN {_q(n)} END" for n, p in measures.items())
    status = (rules.get("sanction_status") or {})
    status_case = "CASE r.factuality " + " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in status.items()) + " ELSE r.factuality END"

    v_events = """
CREATE OR REPLACE VIEW v_events AS
SELECT
  e.event_id, e.event_cluster_id,
  coalesce(e.event_date, s.published_date) AS event_day,
  e.event_date, e.date_precision, e.event_type, e.event_mode, e.cameo_root, e.factuality,
  e.source_actor_id, coalesce(sa.name, e.source_actor) AS source_name, e.source_country, e.source_sector,
  e.target_actor_id, coalesce(ta.name, e.target_actor) AS target_name, e.target_country, e.target_sector,
  e.location_name, e.location_country, e.latitude, e.longitude,
  e.quantity, e.quantity_kind, e.trigger, e.evidence, e.confidence, e.extractor,
  e.story_id, s.title AS story_title, s.outlet, s.published_date, d.source_uri, d.url,
  c.n_mentions AS cluster_mentions, c.n_stories AS cluster_stories, c.n_outlets AS cluster_outlets,
  (e.event_id = c.representative_event_id) AS is_representative
FROM events e
LEFT JOIN stories s ON s.story_id = e.story_id
LEFT JOIN documents d ON d.doc_id = s.doc_id
LEFT JOIN actors sa ON sa.actor_id = e.source_actor_id
LEFT JOIN actors ta ON ta.actor_id = e.target_actor_id
LEFT JOIN event_clusters c ON c.event_cluster_id = e.event_cluster_id
"""

    cluster_base = """
CREATE OR REPLACE VIEW v_event_timeline AS
WITH pub AS (
  SELECT e.event_cluster_id, min(s.published_date) AS first_published, any_value(e.factuality) AS factuality
  FROM events e LEFT JOIN stories s ON s.story_id = e.story_id GROUP BY e.event_cluster_id
), prec AS (
  SELECT event_cluster_id, event_date,
         min(CASE date_precision WHEN 'day' THEN 1 WHEN 'week' THEN 2 WHEN 'before' THEN 3 WHEN 'month' THEN 4
             WHEN 'year' THEN 5 ELSE 1 END) AS r
  FROM events WHERE event_date IS NOT NULL GROUP BY ALL
), base AS (
  SELECT c.*, p.factuality, coalesce(c.event_date, p.first_published) AS day,
         CASE WHEN c.event_date IS NULL THEN 'publication'
              ELSE ['day', 'week', 'before', 'month', 'year'][coalesce(q.r, 1)] END AS date_precision
  FROM event_clusters c LEFT JOIN pub p ON p.event_cluster_id = c.event_cluster_id
  LEFT JOIN prec q ON q.event_cluster_id = c.event_cluster_id AND q.event_date = c.event_date
)
SELECT
  day,
  CASE date_precision WHEN 'week' THEN day + 6 WHEN 'month' THEN last_day(day)
       WHEN 'year' THEN make_date(year(day), 12, 31) ELSE day END AS day_end,
  date_precision,
  event_type,
  count(*)::INTEGER AS n_events,
  count(*) FILTER (WHERE factuality = 'asserted')::INTEGER AS n_asserted,
  sum(n_mentions)::INTEGER AS n_mentions,
  sum(n_stories)::INTEGER AS n_stories,
  max(n_outlets)::INTEGER AS max_outlets
FROM base
WHERE day IS NOT NULL
GROUP BY ALL
ORDER BY day, event_type, date_precision
"""

    v_sanctions = f"""
CREATE OR REPLACE VIEW v_sanctions AS
WITH m AS (
  SELECT event_cluster_id,
         max(quantity) FILTER (WHERE quantity_kind = 'targets') AS n_targets,
         lower(string_agg(DISTINCT evidence, ' ')) AS ev_text,
         min(source_actor_id) AS any_source_id, min(target_actor_id) AS any_target_id,
         min(source_actor) AS any_source, min(target_actor) AS any_target
  FROM events WHERE event_type = 'SANCTION' GROUP BY event_cluster_id
)
SELECT
  c.event_cluster_id,
  coalesce(c.event_date, s.published_date) AS event_day,
  coalesce(sa.name, r.source_actor, m.any_source, coalesce(r.source_actor_id, m.any_source_id)) AS sanctioning,
  coalesce(r.source_actor_id, m.any_source_id) AS source_actor_id,
  c.source_country,
  coalesce(ta.name, r.target_actor, m.any_target, coalesce(r.target_actor_id, m.any_target_id)) AS sanctioned,
  coalesce(r.target_actor_id, m.any_target_id) AS target_actor_id,
  c.target_country,
  coalesce(nullif(array_to_string(list_filter([{measure_list or "NULL"}], lambda x: x IS NOT NULL), ', '), ''),
           r.event_mode, r.trigger) AS measure,
  m.n_targets,
  {status_case} AS status,
  c.n_mentions, c.n_stories, c.n_outlets,
  r.evidence AS representative_evidence
FROM event_clusters c
JOIN m ON m.event_cluster_id = c.event_cluster_id
LEFT JOIN events r ON r.event_id = c.representative_event_id
LEFT JOIN stories s ON s.story_id = r.story_id
LEFT JOIN actors sa ON sa.actor_id = coalesce(r.source_actor_id, m.any_source_id)
LEFT JOIN actors ta ON ta.actor_id = coalesce(r.target_actor_id, m.any_target_id)
WHERE c.event_type = 'SANCTION'
ORDER BY event_day NULLS LAST, c.event_cluster_id
"""

    v_gdelt = f"""
CREATE OR REPLACE VIEW v_gdelt_events AS
WITH q AS (SELECT * FROM {quad}),
pub AS (SELECT e.event_cluster_id, min(s.published_date) AS first_published
        FROM events e LEFT JOIN stories s ON s.story_id = e.story_id GROUP BY e.event_cluster_id),
base AS (
  SELECT c.*, r.source_actor_id AS r_src, r.target_actor_id AS r_tgt, r.source_actor, r.target_actor,
         r.source_sector, r.target_sector,
         CASE WHEN r.event_type = c.event_type THEN r.cameo_root END AS r_root, r.sentence_index, r.location_name,
         r.location_country, r.latitude, r.longitude, d.url, d.source_uri, d.ingested_at,
         coalesce(c.event_date, p.first_published) AS day
  FROM event_clusters c
  LEFT JOIN events r ON r.event_id = c.representative_event_id
  LEFT JOIN stories s ON s.story_id = r.story_id
  LEFT JOIN documents d ON d.doc_id = s.doc_id
  LEFT JOIN pub p ON p.event_cluster_id = c.event_cluster_id
)
SELECT
  b.event_cluster_id AS GLOBALEVENTID,
  CAST(strftime(b.day, '%Y%m%d') AS INTEGER) AS SQLDATE,
  CAST(strftime(b.day, '%Y%m') AS INTEGER) AS MonthYear,
  CAST(year(b.day) AS INTEGER) AS "Year",
  b.r_src AS Actor1Code, coalesce(a1.name, b.source_actor) AS Actor1Name, b.source_country AS Actor1CountryCode,
  b.source_sector AS Actor1Type1Code,
  b.r_tgt AS Actor2Code, coalesce(a2.name, b.target_actor) AS Actor2Name, b.target_country AS Actor2CountryCode,
  b.target_sector AS Actor2Type1Code,
  CASE WHEN b.sentence_index = 0 THEN 1 ELSE 0 END AS IsRootEvent,
  coalesce(b.r_root, q.cameo_root) AS EventCode,
  coalesce(b.r_root, q.cameo_root) AS EventBaseCode,
  coalesce(b.r_root, q.cameo_root) AS EventRootCode,
  q.quad_class AS QuadClass,
  CAST(NULL AS DOUBLE) AS GoldsteinScale,
  b.n_mentions AS NumMentions, b.n_outlets AS NumSources, b.n_stories AS NumArticles,
  CAST(NULL AS DOUBLE) AS AvgTone,
  b.location_name AS ActionGeo_FullName, b.location_country AS ActionGeo_CountryCode,
  b.latitude AS ActionGeo_Lat, b.longitude AS ActionGeo_Long,
  CAST(strftime(b.ingested_at, '%Y%m%d%H%M%S') AS BIGINT) AS DATEADDED,
  coalesce(b.url, b.source_uri) AS SOURCEURL,
  b.event_type AS PloverType
FROM base b
LEFT JOIN q ON q.event_type = b.event_type
LEFT JOIN actors a1 ON a1.actor_id = b.r_src
LEFT JOIN actors a2 ON a2.actor_id = b.r_tgt
ORDER BY SQLDATE NULLS LAST, GLOBALEVENTID
"""

    v_acled = f"""
CREATE OR REPLACE VIEW v_acled_events AS
WITH x AS (SELECT * FROM {acled}),
agg AS (
  SELECT e.event_cluster_id,
         max(e.quantity) FILTER (WHERE e.quantity_kind = 'killed') AS killed,
         max(e.quantity) FILTER (WHERE e.quantity_kind = 'participants') AS participants,
         string_agg(DISTINCT s.outlet, '; ') AS outlets,
         min(s.published_date) AS first_published
  FROM events e LEFT JOIN stories s ON s.story_id = e.story_id GROUP BY e.event_cluster_id
)
SELECT
  c.event_cluster_id AS event_id_cnty,
  coalesce(c.event_date, g.first_published) AS event_date,
  CAST(year(coalesce(c.event_date, g.first_published)) AS INTEGER) AS "year",
  CASE r.date_precision WHEN 'day' THEN 1 WHEN 'week' THEN 2 ELSE 3 END AS time_precision,
  x.disorder_type, x.acled_event_type AS event_type, x.sub_event_type,
  coalesce(a1.name, r.source_actor, r.source_actor_id) AS actor1, r.source_sector AS inter1,
  coalesce(a2.name, r.target_actor, r.target_actor_id) AS actor2, r.target_sector AS inter2,
  CASE WHEN r.target_sector = 'CVL' THEN 'Civilian targeting' END AS civilian_targeting,
  coalesce(r.location_country, c.target_country, c.source_country) AS iso,
  coalesce(r.location_country, c.target_country, c.source_country) AS country,
  r.location_name AS location, r.latitude, r.longitude,
  g.outlets AS source,
  r.evidence AS notes,
  coalesce(g.killed, 0)::INTEGER AS fatalities,
  CASE WHEN g.participants IS NOT NULL THEN 'crowd size=' || g.participants END AS tags,
  c.n_stories AS n_reports, c.event_type AS plover_type
FROM event_clusters c
JOIN x ON x.event_type = c.event_type
JOIN events r ON r.event_id = c.representative_event_id
LEFT JOIN agg g ON g.event_cluster_id = c.event_cluster_id
LEFT JOIN actors a1 ON a1.actor_id = r.source_actor_id
LEFT JOIN actors a2 ON a2.actor_id = r.target_actor_id
WHERE r.factuality = 'asserted'
ORDER BY event_date NULLS LAST, event_id_cnty
"""
    out = []
    for name, sql in (("v_events", v_events), ("v_event_timeline", cluster_base), ("v_sanctions", v_sanctions),
                      ("v_gdelt_events", v_gdelt), ("v_acled_events", v_acled)):
        out.append(sql.strip())
        out.append(f"COMMENT ON VIEW {name} IS {_q(VIEW_DOCS[name])}")
    col_docs = dict(VIEW_COLUMN_DOCS)
    col_docs["v_gdelt_events"] = _mapping_docs(GDELT_MAPPING)
    col_docs["v_acled_events"] = _mapping_docs(ACLED_MAPPING)
    for view, cols in col_docs.items():
        for col, doc in cols.items():
            out.append(f"COMMENT ON COLUMN {view}.{_ident(col)} IS {_q(doc)}")
    return out


def model_docs(model: type) -> tuple[str, dict[str, str]]:
    """(table description, {column: description}) from a pandera DataFrameModel."""
    schema = model.to_schema()
    doc = (schema.description or model.__doc__ or "").strip()
    cols = {name: (col.description or "").strip() for name, col in schema.columns.items()}
    return " ".join(doc.split()), cols


def comment_statements(models: dict[str, type], columns: dict[str, Iterable[str]] | None = None) -> list[str]:
    """COMMENT ON TABLE / COLUMN statements for {table_name: pandera model}.

    Columns without a description are skipped. `columns` ({table: column names actually in the database}, e.g.
    from information_schema.columns) restricts the statements to existing tables/columns, since a model may
    declare optional columns that a table does not have.
    """
    out: list[str] = []
    for table, model in models.items():
        present = None if columns is None else set(columns.get(table, ()))
        if present is not None and not present:
            continue
        doc, cols = model_docs(model)
        if doc:
            out.append(f"COMMENT ON TABLE {_ident(table)} IS {_q(doc)}")
        for col, desc in cols.items():
            if desc and (present is None or col in present):
                out.append(f"COMMENT ON COLUMN {_ident(table)}.{_ident(col)} IS {_q(desc)}")
    return out
