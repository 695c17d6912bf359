"""Settings for the test suite: netguide.settings with test-only overrides.

pytest uses this module (pyproject.toml); servers the tests start run the real
netguide.settings with a production environment of their own.
"""

import os

# Lent for the import only, so that no server a test starts inherits them:
# - netguide.settings refuses to start without a secret key outside DEBUG;
# - the 3 s bound on every wait for PostgreSQL is for patients' requests (the servers
#   the tests start keep it); with four CI lanes on two cores, creating or dropping a
#   test database can take longer than that;
# - no connection pool in the test process (the servers the tests start have theirs):
#   its threads (the live server's, the race tests') each keep a connection for their
#   whole life, and would wait on each other for a pool's few.
_lent = {
    "DJANGO_SECRET_KEY": "insecure-test-key-never-used-in-production",
    "NETGUIDE_DATABASE_WAIT_SECONDS": "60",
    "NETGUIDE_DATABASE_CONNECTIONS_PER_SERVER": "0",
}
_lent = {name: value for name, value in _lent.items() if name not in os.environ}
os.environ.update(_lent)
try:
    from .settings import *  # noqa: F403
finally:
    for _name in _lent:
        del os.environ[_name]

# Plain static storage: the tests serve static files from the finders and do not
# need collectstatic's manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collected files either. WhiteNoise indexes STATIC_ROOT each time a test client
# starts the middleware: once the server tests (or `make serve`) have collected
# static files there, that cost 40 ms for every test that uses a client.
STATIC_ROOT = None

# The test client speaks plain HTTP; the redirect itself has its own tests.
SECURE_SSL_REDIRECT = False

# Each test process keeps its own cache (tests clear it between tests); the
# servers the tests start share Redis or a file cache of their own.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Fast hashing keeps per-test user creation cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A content type that exists only in the tests (tests/support_services/): the suite
# proves that review, search, the sitemap, the published files and content import
# and export find a new type with no edit outside its own files.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.support_services"]  # noqa: F405
# The suite's own edits (tests/kit.py's texts) carry no evidence marks: the evidence
# gate is tested where it is switched on (tests/test_evidence_map.py), and the servers
# the tests start run with it on, as in production.
EVIDENCE_REQUIRED = False
