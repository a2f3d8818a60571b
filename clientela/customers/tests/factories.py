"""Test factories that build records through the services, as users do."""

import factory

from clientela.core.models import Role, User
from clientela.customers.models import Customer, CustomerKind
from clientela.customers.services import customer_create

PASSWORD = "Pan-dulce-2024"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="es_MX")
    role = Role.SALES
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


class CustomerFactory(factory.Factory):
    """``CustomerFactory(name=..., emails=[...])`` creates through ``customer_create``."""

    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Cafetería Número {n}")
    kind = CustomerKind.BUSINESS

    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        return customer_create(actor=actor, **kwargs)
