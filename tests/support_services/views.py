from netguide.page_cache import public_page

from .models import SupportService


@public_page("support-services")
def service(request, slug):
    page = SupportService.objects.published_by_slug(slug)
    return page.record.serve(request, page)
