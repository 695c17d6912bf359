import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netguide.settings")
django_application = get_wsgi_application()

from netguide.page_cache import PageCopies  # noqa: E402  (settings first)

# Pages the page cache served or stored are answered again before Django.
application = PageCopies(django_application)
