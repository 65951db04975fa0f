# The due messages' index in the claim's order, the id last: PostgreSQL reads the next batch
# from it instead of sorting every due message (docs/benchmarks.md#claims-at-a-million).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0014_exposure_rowid_key"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="delivery", name="delivery_due"),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["status", "next_attempt_at", "id"], name="delivery_due"),
        ),
    ]
