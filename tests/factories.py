"""factory_boy factories for the portal's models. Complaints are filed through the service, as in real life."""

import io
import secrets
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from complaints.models import PaymentChannel, PlatformOrderStatus, Problem
from platforms.models import Platform, WebhookEndpoint, WebhookEvent
from portal.models import Role, StaffRole, User
from portal.offices import national_office

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    role = Role.CONSUMER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ConsumerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"consumer{n}")


class RegulatorFactory(UserFactory):
    """A regulator of the national office (sees every office's complaints) unless given an ``office``."""

    username = factory.Sequence(lambda n: f"regulator{n}")
    role = Role.REGULATOR
    is_staff = True
    office = factory.LazyFunction(national_office)


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"卡盟平台{n}")
    slug = factory.Sequence(lambda n: f"platform-{n}")
    website = factory.LazyAttribute(lambda p: f"https://{p.slug}.example.cn")
    domain = factory.LazyAttribute(lambda p: f"{p.slug}.example.cn")
    icp_filing_number = factory.Sequence(lambda n: f"京ICP备{20260000 + n}号")
    telecom_licence_number = factory.Sequence(lambda n: f"京B2-{20260000 + n}")
    contact_email = factory.LazyAttribute(lambda p: f"support@{p.slug}.example.cn")
    is_verified = True


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent{n}")
    role = Role.PLATFORM_STAFF
    staff_role = StaffRole.AGENT
    platform = factory.SubFactory(PlatformFactory)


class ManagerFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    staff_role = StaffRole.MANAGER


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    platform = factory.SubFactory(PlatformFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.cn/complaints/{n}")
    secret = factory.LazyFunction(lambda: secrets.token_hex(32))
    events = factory.LazyFunction(lambda: list(WebhookEvent.values))


def complaint_data(platform=None, **overrides) -> dict:
    """Valid filing data, as the form or API would hand it to ``complaint_file``."""
    data = {
        "platform": platform,
        "order_number": f"DD{timezone.now():%Y%m%d%H%M%S%f}",
        "paid_at": timezone.now() - timedelta(hours=5),
        "amount": Decimal("199.00"),
        "payment_channel": PaymentChannel.ALIPAY,
        "payment_reference": "2026112522001412345678901234",
        "product_name": "王者荣耀 648 点券",
        "problem": Problem.CARD_KEY_MISSING,
        "platform_order_status": PlatformOrderStatus.AWAITING_DELIVERY,
        "description": "付款成功后一直显示待发货，客服说24小时内补发，至今未收到卡密。",
        "desired_outcome": "delivery",
    }
    data.update(overrides)
    return data


def file_complaint(consumer=None, platform=None, *, now=None, **overrides):
    """File a complaint through the real service and return it."""
    from complaints.services import complaint_file

    consumer = consumer or ConsumerFactory()
    if platform is None:
        platform = PlatformFactory()
    elif platform is False:  # an unregistered platform, named in the overrides
        platform = None
    complaint, _created = complaint_file(
        consumer=consumer, data=complaint_data(platform, **overrides), now=now
    )
    return complaint


def image_upload(name: str = "订单截图.png", *, size: tuple[int, int] = (480, 300), color: str = "teal"):
    """A real PNG upload, as a phone screenshot would arrive."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def add_evidence(complaint, by, *uploads, kind: str = "order_screenshot"):
    """Attach files to a complaint through the real service (hashes recorded in the chain)."""
    from complaints.services import complaint_add_evidence

    files = [(upload, kind) for upload in uploads]
    return complaint_add_evidence(complaint_id=complaint.pk, by=by, files=files)


def api_filing(platform, /, **overrides) -> dict:
    """A valid JSON body for POST /api/v1/complaints/ against ``platform``."""
    payload = {
        "platform": platform.slug,
        "order_number": f"DD{timezone.now():%Y%m%d%H%M%S%f}",
        "paid_at": (timezone.now() - timedelta(hours=5)).isoformat(),
        "amount": "199.00",
        "payment_channel": "alipay",
        "payment_reference": "2026112522001412345678901234",
        "product_name": "王者荣耀 648 点券",
        "problem": "card_key_missing",
        "platform_order_status": "awaiting_delivery",
        "description": "付款成功后一直显示待发货，至今未收到卡密。",
        "desired_outcome": "delivery",
    }
    payload.update(overrides)
    return payload
