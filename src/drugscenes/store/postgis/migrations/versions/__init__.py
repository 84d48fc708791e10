"""Revisions of the PostGIS workspace schema, oldest first."""
