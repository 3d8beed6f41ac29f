"""btree_gist, once per database in the public schema: tenant tables' exclusion constraints
(scheduling's "no overlapping sessions for one tutor") combine ``=`` on ids with ``&&`` on
time ranges in one GiST index. Tenant schemas find it through their search path.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [BtreeGistExtension()]
