from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from push.models import NotificationLog, NotificationPreference, PushToken
from push.tokens import mask_token


@admin.register(PushToken)
class PushTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "short_token", "device_type", "is_active", "created_at")
    list_filter = ("device_type", "is_active", "created_at")
    search_fields = ("user__email", "user__username", "token")
    list_select_related = ("user",)
    readonly_fields = ("created_at", "updated_at")
    raw_id_fields = ("user",)
    actions = ("deactivate_tokens", "activate_tokens")

    @admin.display(description="token", ordering="token")
    def short_token(self, obj: PushToken) -> str:
        return mask_token(obj.token)

    @admin.action(description="Deactivate selected tokens")
    def deactivate_tokens(self, request: HttpRequest, queryset: QuerySet[PushToken]) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"Deactivated {count} token(s).", messages.SUCCESS)

    @admin.action(description="Activate selected tokens")
    def activate_tokens(self, request: HttpRequest, queryset: QuerySet[PushToken]) -> None:
        count = queryset.update(is_active=True)
        self.message_user(request, f"Activated {count} token(s).", messages.SUCCESS)


@admin.register(NotificationLog)
class NotificationLogAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "title", "successful", "created_at")
    list_filter = ("type", "successful", "created_at")
    search_fields = ("user__email", "user__username", "title", "body")
    list_select_related = ("user",)
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "disabled_types", "quiet_start", "quiet_end", "timezone", "updated_at")
    search_fields = ("user__email", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("updated_at",)
    raw_id_fields = ("user",)
