"""The importer is pure Python: these tests need neither Django nor a database,
and run with ``pytest tests/articles/importer -p no:django -o addopts=""``
(the project's addopts name a pytest-django option)."""

import pytest


# The project's conftest adds autouse fixtures that need pytest-django. These
# modules are pure Python, so this replaces them with no-ops and they run with
# or without the Django plugin.
@pytest.fixture(autouse=True)
def _fast_passwords():
    yield


@pytest.fixture(autouse=True)
def _isolated_cache():
    yield


@pytest.fixture(autouse=True)
def _private_content_version():
    yield
