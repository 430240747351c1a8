from django.contrib.admin.apps import AdminConfig


class Cc112AdminConfig(AdminConfig):
    default_site = "cc112.admin_site.Cc112AdminSite"
