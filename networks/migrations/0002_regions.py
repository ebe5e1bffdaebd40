"""Reference data: the 18 French regions (2016 map)."""

from django.db import migrations

REGIONS = [
    ("ARA", "Auvergne-Rhône-Alpes"),
    ("BFC", "Bourgogne-Franche-Comté"),
    ("BRE", "Bretagne"),
    ("CVL", "Centre-Val de Loire"),
    ("COR", "Corse"),
    ("GES", "Grand Est"),
    ("HDF", "Hauts-de-France"),
    ("IDF", "Île-de-France"),
    ("NOR", "Normandie"),
    ("NAQ", "Nouvelle-Aquitaine"),
    ("OCC", "Occitanie"),
    ("PDL", "Pays de la Loire"),
    ("PAC", "Provence-Alpes-Côte d'Azur"),
    ("GUA", "Guadeloupe"),
    ("MTQ", "Martinique"),
    ("GUF", "Guyane"),
    ("LRE", "La Réunion"),
    ("MAY", "Mayotte"),
]


def load_regions(apps, schema_editor):
    Region = apps.get_model("networks", "Region")
    for code, name in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("networks", "0001_initial")]

    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
