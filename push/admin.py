from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from push.handoff import redeliver
from push.models import (
    NotificationLog,
    NotificationPreference,
    PushDelivery,
    PushToken,
)
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


class PushDeliveryInline(admin.TabularInline):
    """Each device the notification went to: ticket, error, receipt (tokens masked)."""

    model = PushDelivery
    fields = (
        "short_token",
        "status",
        "ticket_id",
        "error",
        "receipt_status",
        "receipt_error",
        "receipt_checked_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="token")
    def short_token(self, obj: PushDelivery) -> str:
        return mask_token(obj.token)


@admin.register(NotificationLog)
class NotificationLogAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "type",
        "title",
        "successful",
        "status",
        "sent_to_tokens",
        "attempts",
        "created_at",
    )
    list_filter = ("type", "successful", "status", "created_at")
    search_fields = ("user__email", "user__username", "title", "body")
    list_select_related = ("user",)
    readonly_fields = ("created_at", "updated_at", "attempts", "locked_until", "lease_token")
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    inlines = (PushDeliveryInline,)
    actions = ("deliver_again",)

    @admin.action(description="Deliver again now (pending and failed ones)")
    def deliver_again(self, request: HttpRequest, queryset: QuerySet[NotificationLog]) -> None:
        count = redeliver(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} notification(s) queued.", messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "disabled_types", "quiet_start", "quiet_end", "timezone", "updated_at")
    search_fields = ("user__email", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("updated_at",)
    raw_id_fields = ("user",)
