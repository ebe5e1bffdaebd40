import pytest

from tests import factories

ALL = [
    getattr(factories, name)
    for name in dir(factories)
    if name.endswith("Factory") and name not in ("DjangoModelFactory",) and hasattr(getattr(factories, name), "_meta")
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", ALL, ids=lambda f: f.__name__)
def test_every_factory_builds_a_valid_saved_object(factory_class):
    obj = factory_class()
    obj.full_clean()
    assert obj.pk is not None
