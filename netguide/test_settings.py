"""Settings for the test suite: netguide.settings with test-only overrides.

pytest uses this module (pyproject.toml); servers the tests start run the real
netguide.settings with a production environment of their own.
"""

import os

# Lent for the import only, so that no server a test starts inherits them:
# - netguide.settings refuses to start without a secret key outside DEBUG;
# - the 3 s bound on every wait for PostgreSQL is for patients' requests (the servers
#   the tests start keep it); with four CI lanes on two cores, creating or dropping a
#   test database can take longer than that.
_lent = {
    "DJANGO_SECRET_KEY": "insecure-test-key-never-used-in-production",
    "NETGUIDE_DATABASE_WAIT_SECONDS": "60",
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

# Fast hashing keeps per-test user creation cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
