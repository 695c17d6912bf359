"""Settings for the test suite: netguide.settings with test-only overrides.

pytest uses this module (pyproject.toml); servers the tests start run the real
netguide.settings with a production environment of their own.
"""

import os

# netguide.settings refuses to start without a secret key outside DEBUG: lend it one
# for the import only, so that no subprocess a test starts inherits it.
_lent_key = "DJANGO_SECRET_KEY" not in os.environ
if _lent_key:
    os.environ["DJANGO_SECRET_KEY"] = "insecure-test-key-never-used-in-production"
try:
    from .settings import *  # noqa: F403
finally:
    if _lent_key:
        del os.environ["DJANGO_SECRET_KEY"]

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
