"""Regrouping platforms into operators by shared ICP filing, licence code, domain or payment account."""

import pytest
from django.urls import reverse

from platforms.models import Operator, Platform
from platforms.operators import operators_regroup
from tests.factories import PlatformFactory

pytestmark = pytest.mark.django_db


def operator_of(platform: Platform) -> int | None:
    platform.refresh_from_db()
    return platform.operator_id


def test_platforms_sharing_a_licence_code_get_one_operator():
    first = PlatformFactory(business_licence_code="91110105MA01ABCD2X", reported_monthly_orders=10)
    second = PlatformFactory(business_licence_code="91110105ma01abcd2x ", reported_monthly_orders=900)
    loner = PlatformFactory()
    result = operators_regroup()
    assert operator_of(first) == operator_of(second) is not None
    assert operator_of(loner) is None
    operator = Operator.objects.get()
    assert (operator.name, operator.business_licence_code) == (second.name, "91110105MA01ABCD2X")
    assert (result.groups, result.operators_created, result.platforms_moved) == (1, 1, 2)


def test_links_are_transitive_across_kinds_of_key():
    a = PlatformFactory(payment_account="alipay:shop@example.cn")
    b = PlatformFactory(payment_account="alipay:shop@example.cn", domain="shared.example.cn")
    c = PlatformFactory(domain="www.Shared.example.cn")
    operators_regroup()
    assert operator_of(a) == operator_of(b) == operator_of(c) is not None


def test_blank_keys_link_nothing():
    platforms = [PlatformFactory(domain="", payment_account="", business_licence_code="") for _ in range(3)]
    operators_regroup()
    assert [operator_of(p) for p in platforms] == [None, None, None]
    assert not Operator.objects.exists()


def test_existing_operator_is_kept_and_renamed_never():
    operator = Operator.objects.create(name="某某网络科技有限公司")
    first = PlatformFactory(operator=operator, icp_filing_number="京ICP备1号")
    second = PlatformFactory(icp_filing_number="京ICP备1号")
    result = operators_regroup()
    assert operator_of(first) == operator_of(second) == operator.pk
    assert Operator.objects.get().name == "某某网络科技有限公司"
    assert (result.operators_created, result.platforms_moved) == (0, 1)


def test_platform_that_no_longer_shares_anything_leaves_and_empty_operators_go():
    operator = Operator.objects.create(name="旧集团")
    stays = PlatformFactory(operator=operator, icp_filing_number="京ICP备2号")
    partner = PlatformFactory(operator=operator, icp_filing_number="京ICP备2号")
    other_operator = Operator.objects.create(name="空壳")
    moved = PlatformFactory(operator=other_operator, icp_filing_number="京ICP备2号")
    result = operators_regroup()
    assert operator_of(stays) == operator_of(partner) == operator_of(moved) == operator.pk
    assert not Operator.objects.filter(pk=other_operator.pk).exists()
    assert result.operators_deleted == 1


def test_regrouping_twice_changes_nothing():
    PlatformFactory(business_licence_code="91110105MA01ABCD2X")
    PlatformFactory(business_licence_code="91110105MA01ABCD2X")
    operators_regroup()
    again = operators_regroup()
    assert (again.operators_created, again.operators_deleted, again.platforms_moved) == (0, 0, 0)


def test_regroup_runs_a_bounded_number_of_queries(django_assert_max_num_queries):
    for index in range(30):
        PlatformFactory(icp_filing_number=f"京ICP备{index % 5}号")
    # one read, one operator INSERT, one UPDATE per group (5), one DELETE, plus the transaction
    with django_assert_max_num_queries(12):
        result = operators_regroup()
    assert (result.groups, result.operators_created) == (5, 5)


def test_regroup_action_in_the_admin(client, regulator):
    first = PlatformFactory(domain="same.example.cn")
    second = PlatformFactory(domain="same.example.cn")
    client.force_login(regulator)
    response = client.post(
        reverse("admin:platforms_platform_changelist"), {"action": "regroup_operators", "_selected_action": [first.pk]}
    )
    assert response.status_code == 302
    assert operator_of(first) == operator_of(second) is not None
