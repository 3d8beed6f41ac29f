"""Every ledger transaction balances: its entries sum to zero in each currency.

A deferred constraint trigger checks it when the database transaction commits, so the
entries of one movement may be written one by one, but an unbalanced movement can never
be committed, whatever code writes it.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION billing_ledger_check_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    -- Qualified by the trigger's own schema: the check may run at commit, when the
    -- connection's search path is no longer the tenant's.
    EXECUTE format(
        'SELECT currency, SUM(amount_minor) AS total FROM %I.billing_ledgerentry '
        'WHERE transaction_id = $1 GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1',
        TG_TABLE_SCHEMA
    ) INTO unbalanced USING NEW.transaction_id;
    IF unbalanced.currency IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % %',
            NEW.transaction_id, unbalanced.total, unbalanced.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER billing_ledger_balanced
    AFTER INSERT OR UPDATE ON billing_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_check_balanced();

CREATE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are never changed or deleted'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_ledger_no_delete
    BEFORE DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_ledger_no_delete ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_append_only();
DROP TRIGGER IF EXISTS billing_ledger_balanced ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_check_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
