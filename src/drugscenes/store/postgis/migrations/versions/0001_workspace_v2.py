"""Workspace schema version 2: region, rounds, scenes, history, incidents; survey apart.

Revision ID: 0001
Revises:
Create Date: 2025-11-29

Two schemas. ``drugscenes`` holds the shared workspace; ``drugscenes_survey`` the safety
survey microdata (personal data), usable only by members of the role
``drugscenes_survey``. The role ``drugscenes_user`` carries what the application needs in
``drugscenes``, so that a deployment grants it to each analyst
(``GRANT drugscenes_user TO alice``) and the survey role to survey analysts only.

Incidents are partitioned by year (a partition per year, created on demand through
``drugscenes.incident_partition(year)``, a SECURITY DEFINER function, so that a member
of ``drugscenes_user`` can add a year without owning the table).
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ROLES = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{role}') THEN
    CREATE ROLE {role} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object THEN NULL;  -- made by a concurrent init
END $$;
"""

_WORKSPACE = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS drugscenes;
COMMENT ON SCHEMA drugscenes IS 'drugscenes workspace: open drug scenes of one region';

CREATE TABLE drugscenes.ds_metadata (
  key text PRIMARY KEY,
  value text NOT NULL);
COMMENT ON TABLE drugscenes.ds_metadata IS 'drugscenes workspace metadata (schema version)';
INSERT INTO drugscenes.ds_metadata (key, value)
  VALUES ('schema_version', '2'), ('crs', 'EPSG:3006');

CREATE TABLE drugscenes.municipalities (
  code text PRIMARY KEY,
  name text NOT NULL,
  area_m2 double precision,
  geom geometry(MultiPolygon, 3006) NOT NULL);
CREATE INDEX municipalities_geom ON drugscenes.municipalities USING gist (geom);
COMMENT ON TABLE drugscenes.municipalities IS 'Municipalities of the region';

CREATE TABLE drugscenes.rounds (
  label text PRIMARY KEY,
  date date,
  note text,
  n_scenes integer NOT NULL,
  source_file text NOT NULL DEFAULT '',
  source_sha256 text NOT NULL DEFAULT '',
  imported_at timestamptz NOT NULL);
COMMENT ON TABLE drugscenes.rounds IS 'Mapping rounds';

CREATE TABLE drugscenes.scenes (
  scene_id text PRIMARY KEY,
  name text,
  municipality_code text,
  first_round text NOT NULL,
  last_round text NOT NULL,
  n_rounds integer NOT NULL);
COMMENT ON TABLE drugscenes.scenes IS 'Scene registry: stable scene ids';

CREATE TABLE drugscenes.scene_observations (
  fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  round text NOT NULL REFERENCES drugscenes.rounds (label)
    ON DELETE CASCADE ON UPDATE CASCADE,
  scene_id text NOT NULL,
  id_given boolean NOT NULL,
  name text,
  municipality_code text,
  area_m2 double precision,
  activities text,
  drug_types text,
  times_of_day text,
  source_org text,
  note text,
  attributes text,
  geom geometry(MultiPolygon, 3006),
  UNIQUE (round, scene_id));
CREATE INDEX scene_observations_geom ON drugscenes.scene_observations USING gist (geom);
COMMENT ON TABLE drugscenes.scene_observations
  IS 'Open drug scenes as mapped in each round (filter on round)';

CREATE TABLE drugscenes.scene_history (
  fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  place_id text NOT NULL,
  round text NOT NULL,
  round_index integer NOT NULL,
  scene_id text NOT NULL,
  id_given boolean NOT NULL,
  municipality_code text,
  area_m2 double precision,
  came_back boolean NOT NULL);
CREATE INDEX scene_history_place ON drugscenes.scene_history (place_id);
COMMENT ON TABLE drugscenes.scene_history
  IS 'Each scene observation''s place across all rounds (recomputed on every import)';

CREATE TABLE drugscenes.incidents (
  incident_id text NOT NULL,
  time timestamptz NOT NULL,
  source_type text,
  category text,
  x double precision NOT NULL,
  y double precision NOT NULL,
  police_activity boolean NOT NULL,
  municipality_code text,
  year integer NOT NULL,
  geom geometry(Point, 3006)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(x, y), 3006)) STORED,
  PRIMARY KEY (incident_id, year),
  CONSTRAINT incidents_year_of_time
    CHECK (year = extract(year FROM time AT TIME ZONE 'UTC')::integer)
) PARTITION BY LIST (year);
CREATE INDEX incidents_time ON drugscenes.incidents (time);
CREATE INDEX incidents_geom ON drugscenes.incidents USING gist (geom);
COMMENT ON TABLE drugscenes.incidents
  IS 'Police-recorded incidents (points, EPSG:3006), one partition per year (UTC)';

CREATE FUNCTION drugscenes.incident_partition(y integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF y < 1000 OR y > 9999 THEN
    RAISE EXCEPTION 'incident year % is out of range', y USING ERRCODE = '22003';
  END IF;
  IF to_regclass(format('drugscenes.incidents_%s', y)) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE drugscenes.%I PARTITION OF drugscenes.incidents FOR VALUES IN (%s)',
      'incidents_' || y, y);
  END IF;
END $fn$;
REVOKE ALL ON FUNCTION drugscenes.incident_partition(integer) FROM PUBLIC;
"""

_SURVEY = """
CREATE SCHEMA drugscenes_survey;
COMMENT ON SCHEMA drugscenes_survey
  IS 'Safety-survey microdata: personal data, members of drugscenes_survey only';
REVOKE ALL ON SCHEMA drugscenes_survey FROM PUBLIC;

CREATE TABLE drugscenes_survey.survey_years (
  year integer PRIMARY KEY,
  n_respondents integer NOT NULL,
  source_file text NOT NULL DEFAULT '',
  source_sha256 text NOT NULL DEFAULT '',
  imported_at timestamptz NOT NULL);
COMMENT ON TABLE drugscenes_survey.survey_years IS 'Safety-survey imports (one per year)';

CREATE TABLE drugscenes_survey.survey_respondents (
  year integer NOT NULL REFERENCES drugscenes_survey.survey_years (year) ON DELETE CASCADE,
  row_no integer NOT NULL,
  respondent_id text NOT NULL,
  x double precision NOT NULL,
  y double precision NOT NULL,
  weight double precision NOT NULL,
  unsafe smallint CHECK (unsafe IN (0, 1)),
  stratum text,
  psu text,
  municipality_code text,
  geom geometry(Point, 3006)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(x, y), 3006)) STORED,
  PRIMARY KEY (year, row_no),
  UNIQUE (year, respondent_id));
CREATE INDEX survey_respondents_geom ON drugscenes_survey.survey_respondents USING gist (geom);
COMMENT ON TABLE drugscenes_survey.survey_respondents
  IS 'Safety-survey microdata: personal data, survey analysts only';
REVOKE ALL ON ALL TABLES IN SCHEMA drugscenes_survey FROM PUBLIC;
"""

_GRANTS = """
GRANT USAGE ON SCHEMA drugscenes TO drugscenes_user;
GRANT SELECT ON ALL TABLES IN SCHEMA drugscenes TO drugscenes_user;
GRANT INSERT, UPDATE, DELETE ON drugscenes.rounds, drugscenes.scenes,
  drugscenes.scene_observations, drugscenes.scene_history, drugscenes.incidents
  TO drugscenes_user;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA drugscenes TO drugscenes_user;
GRANT EXECUTE ON FUNCTION drugscenes.incident_partition(integer) TO drugscenes_user;

GRANT USAGE ON SCHEMA drugscenes_survey TO drugscenes_survey;
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA drugscenes_survey TO drugscenes_survey;
"""


def upgrade() -> None:
    for role in ("drugscenes_user", "drugscenes_survey"):
        op.execute(_ROLES.format(role=role))
    op.execute(_WORKSPACE)
    op.execute(_SURVEY)
    op.execute(_GRANTS)


def downgrade() -> None:
    # Alembic's version table stays in the drugscenes schema; everything else goes.
    op.execute("DROP SCHEMA IF EXISTS drugscenes_survey CASCADE")
    for name in (
        "incidents",
        "scene_history",
        "scene_observations",
        "scenes",
        "rounds",
        "municipalities",
        "ds_metadata",
    ):
        op.execute(f"DROP TABLE IF EXISTS drugscenes.{name} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS drugscenes.incident_partition(integer)")
