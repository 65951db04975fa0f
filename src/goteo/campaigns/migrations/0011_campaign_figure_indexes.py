# A campaign's figures read from covering indexes (docs/benchmarks.md#web-app-pages).

import django.db.models.deletion
from django.db import migrations, models


def drop_index(table: str, name: str) -> migrations.RunSQL:
    """The campaign foreign key's own index, which the new index beginning with the same
    column replaces (dropped by name: altering the field would rebuild the table on SQLite)."""
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("campaign_id")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0010_split_decision"),
        ("contacts", "0007_contact_import"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="exposure", name="exposure_campaign"),
        migrations.AddIndex(
            model_name="exposure",
            index=models.Index(
                fields=["campaign", "contact", "occurred_at", "channel", "kind", "step_id"],
                name="exposure_campaign_contact",
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=[
                    "campaign",
                    "status",
                    "sent_at",
                    "channel",
                    "contact",
                    "opened_at",
                    "clicked_at",
                    "opens",
                    "clicks",
                    "step_id",
                    "created_at",
                ],
                name="delivery_campaign_figures",
            ),
        ),
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(
                fields=["campaign", "contact", "variant", "enrolled_at"],
                name="enrollment_campaign_contact",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="campaigns.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="enrollment",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="enrollments",
                        to="campaigns.campaign",
                    ),
                ),
            ],
            database_operations=[
                drop_index("goteo_delivery", "goteo_delivery_campaign_id_6b72c02c"),
                drop_index("goteo_enrollment", "goteo_enrollment_campaign_id_231f44a1"),
            ],
        ),
    ]
