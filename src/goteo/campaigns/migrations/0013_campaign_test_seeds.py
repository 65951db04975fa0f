from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_delivery_postage"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="test_seeds",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
