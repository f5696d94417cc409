"""What the admin shows in Chinese: every model and field name of the portal's own apps is translated."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

HAN = re.compile("[\u4e00-\u9fff]")
# Written the same in Chinese.
UNTRANSLATED_TERMS = {"SHA-256", "URL"}
OWN_APPS = {"portal", "platforms", "complaints", "regulation"}


def registered_models():
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label in OWN_APPS), key=lambda m: m._meta.label
    )


@pytest.mark.parametrize("model", registered_models(), ids=lambda model: model._meta.label)
def test_admin_model_and_field_names_are_chinese_in_chinese(model):
    with translation.override("zh-hans"):
        labels = {
            "model": str(model._meta.verbose_name),
            "model (plural)": str(model._meta.verbose_name_plural),
            **{field.name: str(field.verbose_name) for field in model._meta.concrete_fields if field.name != "id"},
        }

    untranslated = {name: label for name, label in labels.items() if not HAN.search(label)}
    assert {name: label for name, label in untranslated.items() if label not in UNTRANSLATED_TERMS} == {}


@pytest.mark.django_db
def test_complaint_list_says_overdue_in_words_and_shows_no_icon_for_on_time(client, regulator, complaint):
    client.force_login(regulator)

    html = client.get(reverse("admin:complaints_complaint_changelist"), headers={"accept-language": "en"}).content
    html = html.decode()

    assert "icon-no.svg" not in html
    assert "icon-yes.svg" not in html
    assert 'class="field-overdue">—<' in html
