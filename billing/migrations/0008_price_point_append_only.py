"""Price history is a ledger: PricePoint rows are never updated or deleted (a trigger
refuses both), and a watch with recorded prices cannot be deleted from under them."""

import django.db.models.deletion
from django.db import migrations, models

from agnt.db import AppendOnly


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_apikeyusageevent_api_usage_time")]

    operations = [
        migrations.AlterField(
            model_name="pricepoint",
            name="watcher",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="price_points", to="billing.pricewatcher"
            ),
        ),
        AppendOnly("PricePoint"),
    ]
