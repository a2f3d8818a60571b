# The indexes and the check constraint on the fields 0003 fills, in their own migration:
# PostgreSQL cannot create an index on a table with pending trigger events, which 0003's
# updates leave until its transaction commits.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_delivery_figures'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='order',
            index=models.Index(condition=models.Q(('delivered_on__isnull', False)), fields=['delivered_on'], name='order_delivered_on'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(condition=models.Q(('days_late__gt', models.F('tolerance_days'))), fields=['delivered_on', 'customer'], name='order_late'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('days_late__isnull', True), ('delivered_on__isnull', True)), models.Q(('days_late__isnull', False), ('delivered_on__isnull', False), ('status', 'delivered')), _connector='OR'), name='order_delivery_only_when_delivered'),
        ),
    ]
