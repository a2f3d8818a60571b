"""The pipeline, lost reasons and contact limit a new business starts with."""

from django.db import migrations

STAGES = [
    # name, Spanish, Russian, probability, won, lost
    ("Lead", "Prospecto", "Лид", 10, False, False),
    ("Qualified", "Calificado", "Квалифицирован", 25, False, False),
    ("Proposal sent", "Propuesta enviada", "Отправлено предложение", 50, False, False),
    ("Negotiation", "Negociación", "Переговоры", 75, False, False),
    ("Won", "Ganada", "Выиграна", 100, True, False),
    ("Lost", "Perdida", "Проиграна", 0, False, True),
]

LOST_REASONS = [
    # name, Spanish, Russian, asks which competitor
    ("Price", "Precio", "Цена", False),
    ("Went with a competitor", "Eligió a la competencia", "Выбрал конкурента", True),
    ("Timing", "No es el momento", "Не время", False),
    ("No budget", "Sin presupuesto", "Нет бюджета", False),
    ("No answer", "Sin respuesta", "Нет ответа", False),
    ("Other", "Otro", "Другое", False),
]


def create(apps, schema_editor):
    Stage = apps.get_model("relations", "Stage")
    LostReason = apps.get_model("relations", "LostReason")
    ContactLimit = apps.get_model("relations", "ContactLimit")
    for position, (name, es, ru, probability, won, lost) in enumerate(STAGES):
        Stage.objects.create(
            name=name, name_es=es, name_ru=ru, position=position, probability=probability,
            is_won=won, is_lost=lost,
        )
    for position, (name, es, ru, competitor) in enumerate(LOST_REASONS):
        LostReason.objects.create(
            name=name, name_es=es, name_ru=ru, position=position, asks_competitor=competitor
        )
    ContactLimit.objects.create(channel="", max_contacts=4, days=30)


class Migration(migrations.Migration):
    dependencies = [("relations", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
