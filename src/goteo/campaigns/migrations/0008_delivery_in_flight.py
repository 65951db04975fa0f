from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_expected_in_home"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="in_flight_until",
            field=models.FloatField(db_default=0, default=0),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("in_flight_until__gt", 0)),
                fields=["contact", "in_flight_until"],
                name="delivery_in_flight",
            ),
        ),
    ]
