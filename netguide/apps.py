from django.contrib.admin.apps import AdminConfig


class NetGuideAdminConfig(AdminConfig):
    default_site = "netguide.admin_site.NetGuideAdminSite"
