"""The audit log is append-only in the database too: a trigger refuses UPDATE and
DELETE on ``web_auditentry`` (and TRUNCATE), whoever connects."""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE FUNCTION web_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER web_audit_no_update_delete BEFORE UPDATE OR DELETE ON web_auditentry
    FOR EACH ROW EXECUTE FUNCTION web_audit_append_only();
CREATE TRIGGER web_audit_no_truncate BEFORE TRUNCATE ON web_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION web_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS web_audit_no_truncate ON web_auditentry;
DROP TRIGGER IF EXISTS web_audit_no_update_delete ON web_auditentry;
DROP FUNCTION IF EXISTS web_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = (("web", "0001_initial"),)
    operations = (migrations.RunSQL(FORWARD, BACKWARD),)
