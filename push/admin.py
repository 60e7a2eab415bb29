from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from push.admin_display import (
    NotificationErrorFilter,
    OutcomeFilter,
    ReceiptErrorFilter,
    TicketErrorFilter,
    TypeFilter,
    mark,
)
from push.errors import error_code, without_code
from push.handoff import redeliver
from push.models import (
    DeliveryStatus,
    NotificationLog,
    NotificationPreference,
    NotificationStatus,
    OperatorAlert,
    Overview,
    PushDelivery,
    PushToken,
)
from push.overview.views import overview
from push.sending import send
from push.states import outcome_of
from push.token_lifecycle import DeactivationReason, reactivate_tokens, retire_tokens
from push.tokens import mask_token
from push.users import email_field


def user_search_fields(path: str) -> tuple[str, ...]:
    """Search the user by its username field and its email field, whatever the user model."""
    names = [get_user_model().USERNAME_FIELD, email_field()]
    return tuple(f"{path}__{name}" for name in sorted(name for name in names if name))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records: no adding, no hand edits, no deleting (retention deletes: push_prune)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PushToken)
class PushTokenAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "short_token",
        "device_type",
        "is_active",
        "last_registered_at",
        "deactivated_at",
        "deactivation_reason",
        "last_switched_at",
        "created_at",
    )
    list_filter = (
        "device_type",
        "is_active",
        "deactivation_reason",
        "created_at",
        "deactivated_at",
    )
    search_fields = (*user_search_fields("user"), "token")
    list_select_related = ("user",)
    # Activation changes go through the actions, which record when and why.
    readonly_fields = (
        "is_active",
        "last_registered_at",
        "deactivated_at",
        "deactivation_reason",
        "last_switched_at",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("user",)
    actions = ("send_test_notification", "deactivate_tokens", "activate_tokens")

    @admin.display(description="token", ordering="token")
    def short_token(self, obj: PushToken) -> str:
        return mask_token(obj.token)

    @admin.action(description="Send a test notification to the selected tokens' users")
    def send_test_notification(self, request: HttpRequest, queryset: QuerySet[PushToken]) -> None:
        user_ids = sorted(set(queryset.values_list("user_id", flat=True)))
        outcomes: Counter = Counter()
        for user_id in user_ids:
            log = send(
                user_id,
                "Test notification",
                "Sent from the admin",
                data={"type": "system"},
                type="system",
            )
            outcomes[outcome_of(log)] += 1
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.message_user(
            request,
            f"Test notification to {len(user_ids)} user(s) (every active device of each): "
            f"{summary or 'nothing to send'}.",
            messages.SUCCESS if not outcomes.keys() - {"sent"} else messages.WARNING,
        )

    @admin.action(description="Deactivate selected tokens")
    def deactivate_tokens(self, request: HttpRequest, queryset: QuerySet[PushToken]) -> None:
        count = retire_tokens(queryset.values_list("pk", flat=True), DeactivationReason.BY_HAND)
        self.message_user(request, f"Deactivated {count} token(s).", messages.SUCCESS)

    @admin.action(description="Activate selected tokens")
    def activate_tokens(self, request: HttpRequest, queryset: QuerySet[PushToken]) -> None:
        count = reactivate_tokens(queryset.values_list("pk", flat=True))
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

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="token")
    def short_token(self, obj: PushDelivery) -> str:
        return mask_token(obj.token)


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "type",
        "title",
        "status_mark",
        "error",
        "devices",
        "attempts",
    )
    list_filter = (TypeFilter, OutcomeFilter, NotificationErrorFilter, "created_at")
    readonly_fields = ("status_mark", "error", "devices", "due", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("user", "type", "language", "title", "body", "data")}),
        (
            "Outcome",
            {"fields": ("status_mark", "due", "devices", "attempts", "error")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at", "released_at", "read_at")}),
        (
            "Details",
            {
                "classes": ("collapse",),
                # `held` (held at least once) is the digests' bookkeeping: "Released at"
                # says it, without a second word that could contradict the status.
                "fields": ("key", "options", "in_inbox", "pushed_with"),
            },
        ),
    )
    search_fields = (*user_search_fields("user"), "title")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    inlines = (PushDeliveryInline,)
    actions = ("deliver_again",)

    def has_deliver_permission(self, request: HttpRequest) -> bool:
        # Putting a notification back in the outbox is the one change the admin allows.
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def get_queryset(self, request: HttpRequest) -> QuerySet[NotificationLog]:
        # The devices that accepted each one, counted with the list's own query.
        accepted = Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.ACCEPTED))
        return super().get_queryset(request).annotate(accepted_devices=accepted)

    @admin.display(description="status", ordering="status")
    def status_mark(self, obj: NotificationLog) -> str:
        return mark(outcome_of(obj))

    @admin.display(description="error")
    def error(self, obj: NotificationLog) -> str:
        if not obj.error_message:
            return ""
        return format_html(
            '<span title="{}"><code>{}</code> {}</span>',
            obj.error_message,
            error_code(obj.error_message),
            Truncator(without_code(obj.error_message)).chars(80),
        )

    @admin.display(description="devices")
    def devices(self, obj: NotificationLog) -> str | None:
        """Accepted by Expo of those tried: '0 of 2' for one that never reached Expo."""
        if not obj.sent_to_tokens:
            return None  # none tried: the admin's empty value
        return f"{obj.accepted_devices} of {obj.sent_to_tokens} accepted"

    @admin.display(description="due")
    def due(self, obj: NotificationLog) -> str | None:
        """When a notification not sent yet goes out (or is tried again)."""
        if obj.status != NotificationStatus.PENDING:
            return None
        return (
            "now"
            if obj.next_attempt_at is None
            else date_format(timezone.localtime(obj.next_attempt_at), "DATETIME_FORMAT")
        )

    @admin.action(
        description="Deliver again now (pending and failed ones)", permissions=["deliver"]
    )
    def deliver_again(self, request: HttpRequest, queryset: QuerySet[NotificationLog]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        count = redeliver(selected)
        left = len(selected) - count
        text = f"{count} notification(s) queued."
        if left:
            text += (
                f" {left} left alone: sent or skipped already, or refused for their size "
                "(they would fail again)."
            )
        self.message_user(request, text, messages.SUCCESS if not left else messages.WARNING)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "disabled_types",
        "quiet_start",
        "quiet_end",
        "timezone",
        "language",
        "updated_at",
    )
    list_filter = ("language",)
    search_fields = user_search_fields("user")
    list_select_related = ("user",)
    readonly_fields = ("updated_at",)
    raw_id_fields = ("user",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "language":
            # One of the site's languages, or none (the phone's or the site's applies).
            choices = [("", "—"), *settings.LANGUAGES]
            return forms.ChoiceField(choices=choices, required=False, label="Language")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(PushDelivery)
class PushDeliveryAdmin(ReadOnlyAdmin):
    """One row per device a notification went to: find every DeviceNotRegistered today."""

    list_display = (
        "created_at",
        "notification_link",
        "user",
        "token_link",
        "device_type",
        "status_mark",
        "error",
        "receipt_status",
        "receipt_error",
    )
    list_filter = (
        TicketErrorFilter,
        ReceiptErrorFilter,
        "status",
        "receipt_status",
        "created_at",
        "push_token__device_type",
    )
    search_fields = user_search_fields("notification__user")
    list_select_related = ("notification__user", "push_token")
    date_hierarchy = "created_at"
    exclude = ("token",)
    readonly_fields = (
        "notification_link",
        "user",
        "token_link",
        "device_type",
        "status",
        "ticket_id",
        "error",
        "error_message",
        "receipt_status",
        "receipt_error",
        "receipt_checked_at",
        "created_at",
        "updated_at",
    )

    @admin.display(description="notification", ordering="notification")
    def notification_link(self, obj: PushDelivery) -> str:
        url = reverse("admin:push_notificationlog_change", args=[obj.notification_id])
        return format_html(
            '<a href="{}">#{} {}</a>', url, obj.notification_id, obj.notification.title
        )

    @admin.display(description="user", ordering="notification__user")
    def user(self, obj: PushDelivery) -> str:
        return str(obj.notification.user)

    @admin.display(description="token")
    def token_link(self, obj: PushDelivery) -> str:
        if obj.push_token_id is None:
            return mask_token(obj.token)  # the token was deleted since
        url = reverse("admin:push_pushtoken_change", args=[obj.push_token_id])
        return format_html('<a href="{}">{}</a>', url, mask_token(obj.token))

    @admin.display(description="device", ordering="push_token__device_type")
    def device_type(self, obj: PushDelivery) -> str:
        return obj.push_token.get_device_type_display() if obj.push_token else "-"

    @admin.display(description="status", ordering="status")
    def status_mark(self, obj: PushDelivery) -> str:
        outcome = {"accepted": "sent", "retrying": "pending"}.get(obj.status, obj.status)
        return mark(outcome, obj.get_status_display())


@admin.register(Overview)
class OverviewAdmin(admin.ModelAdmin):
    """The overview page, listed in the app's admin index beside the records it sums up."""

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name="push_overview_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return overview(request, admin_site=self.admin_site)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # It sums up the notifications: whoever may view them may view it, nobody else.
        return request.user.has_perm(f"push.view_{NotificationLog._meta.model_name}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OperatorAlert)
class OperatorAlertAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "code", "count", "source", "message")
    list_filter = ("code", "source", "created_at")
