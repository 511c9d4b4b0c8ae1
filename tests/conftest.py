import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Real hashers cost ~0.3 s per login; tests only need them to agree.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _private_content_version(settings, tmp_path):
    # The page cache's shared version file must not land in the checkout.
    settings.PAGE_CACHE_VERSION_FILE = str(tmp_path / "content-version")
