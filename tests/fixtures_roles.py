"""Role fixtures: one of each kind of user the access matrix speaks of."""

import pytest
from rest_framework.test import APIClient

from platforms.authentication import generate_api_key
from platforms.models import ApiKey
from tests.factories import (
    ConsumerFactory,
    ManagerFactory,
    PlatformFactory,
    RegulatorFactory,
    StaffFactory,
    file_complaint,
)


@pytest.fixture
def platform(db):
    return PlatformFactory()


@pytest.fixture
def other_platform(db):
    return PlatformFactory()


@pytest.fixture
def consumer(db):
    return ConsumerFactory()


@pytest.fixture
def other_consumer(db):
    return ConsumerFactory()


@pytest.fixture
def agent(platform):
    return StaffFactory(platform=platform)


@pytest.fixture
def manager(platform):
    return ManagerFactory(platform=platform)


@pytest.fixture
def agent_client(client, agent):
    """Django's test client signed in as ``agent`` (web pages)."""
    client.force_login(agent)
    return client


@pytest.fixture
def manager_client(client, manager):
    """Django's test client signed in as ``manager`` (web pages)."""
    client.force_login(manager)
    return client


@pytest.fixture
def other_agent(other_platform):
    return StaffFactory(platform=other_platform)


@pytest.fixture
def regulator(db):
    from portal.roles import make_regulator

    user = RegulatorFactory()
    make_regulator(user)
    return user


@pytest.fixture
def complaint(consumer, platform):
    """An open complaint of ``consumer`` against ``platform``, awaiting the platform's answer."""
    return file_complaint(consumer, platform)


def make_api_key(platform) -> str:
    raw_key, prefix, key_hash = generate_api_key()
    ApiKey.objects.create(platform=platform, name="test", prefix=prefix, key_hash=key_hash)
    return raw_key


@pytest.fixture
def api_key(platform):
    return make_api_key(platform)


@pytest.fixture
def api_client():
    return APIClient()


def client_for(user=None, *, api_key: str | None = None) -> APIClient:
    client = APIClient()
    if api_key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    elif user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that are not about hashing do not need to pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
