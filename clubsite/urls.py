from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("meetings.api.urls")),
    path("api/v1/", include("resources.api.urls")),
    path("", include("meetings.urls")),
    path("", include("resources.urls")),
]

# A wrong address under /api/ gets the API's JSON error body; elsewhere the site's 404 page.
handler404 = "meetings.api.errors.page_not_found"
