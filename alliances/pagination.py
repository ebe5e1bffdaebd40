"""Pagination of the site's long lists (the template is templates/_pagination.html)."""

from django.core.paginator import Paginator

PAGE_SIZE = 25


def paginate(request, queryset, per_page=PAGE_SIZE):
    """The page asked for in ``?page=`` (the last one if too large, the first if not a number)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
