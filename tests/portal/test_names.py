import pytest

from portal.names import full_name
from tests.factories import ConsumerFactory


@pytest.mark.parametrize(
    ("given", "family", "written"),
    [
        ("小明", "张", "张小明"),
        ("晓", "欧阳", "欧阳晓"),
        ("小明", "", "小明"),
        ("", "张", "张"),
        ("Ada", "Lovelace", "Ada Lovelace"),
        ("Ada", "", "Ada"),
        ("", "", ""),
        (" 小明 ", " 张 ", "张小明"),
    ],
)
def test_full_name_puts_a_chinese_family_name_first(given, family, written):
    assert full_name(given, family) == written


@pytest.mark.django_db
def test_a_user_is_shown_family_name_first(client):
    consumer = ConsumerFactory(first_name="小明", last_name="张")

    assert consumer.get_full_name() == "张小明"
    assert str(consumer) == "张小明"
