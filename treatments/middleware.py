from .models.base import PublishedState


class PublishedStateMiddleware:
    """A page read (GET or HEAD) sees one published state: each content type's is
    read from the database once for it (PublishedState). After the page cache, so a
    hit does without it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with PublishedState.one_read_each():
            return self.get_response(request)
