import factory
from django.contrib.auth import get_user_model

from companies.models import Organisation
from companies.sme import Industry


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.jp")
    password = factory.django.Password("pw-12345678")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.CORPORATION
    name = factory.Sequence(lambda n: f"株式会社テスト商店{n}")
    name_kana = factory.Sequence(lambda n: f"テストショウテン{n}")
    postal_code = "101-0025"
    prefecture = "東京都"
    prefecture_code = "13"
    municipality = "千代田区"
    address = "神田佐久間町1-9"
    phone = "03-3251-7881"
    email = factory.Sequence(lambda n: f"info{n}@shop.example.jp")
    main_business = "小売業"
    industry = Industry.RETAIL
    capital_yen = 10_000_000
    employees = 12
