from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cc112 import health, metrics

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cc112.api.urls")),
    # Operations (README): for balancers (no data, no versions) and the metrics scraper.
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
