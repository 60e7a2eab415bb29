"""Devices that can receive notifications, and the record of every notification."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from push import clock
from push.querysets import NotificationQuerySet, PushDeliveryQuerySet, PushTokenQuerySet
from push.states import DeliveryStatus, DeviceType, NotificationStatus, ReceiptStatus
from push.tokens import mask_token
from push.types import SYSTEM

__all__ = [
    "DeliveryStatus",
    "DeviceType",
    "NotificationLog",
    "NotificationPreference",
    "NotificationStatus",
    "OperatorAlert",
    "Overview",
    "PushDelivery",
    "PushToken",
    "ReceiptStatus",
]


class PushToken(models.Model):
    """An Expo push token: one device, owned by the account that registered it last."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_tokens"
    )
    # Unique on its own: a device belongs to one account at a time.
    token = models.CharField(max_length=255, unique=True)
    device_type = models.CharField(
        max_length=10, choices=DeviceType.choices, default=DeviceType.ANDROID
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Lifecycle (push/token_lifecycle.py): when the app last registered the token, and when
    # and why it stopped receiving (an Expo code such as DeviceNotRegistered, "stale", ...).
    last_registered_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_reason = models.CharField(max_length=64, blank=True, default="")
    # When the device last moved to another account (registered by another user): the token
    # stays active, for its new owner; the previous owner no longer receives on it.
    last_switched_at = models.DateTimeField(null=True, blank=True)
    # Pushed too fast (a MessageRateExceeded receipt): deliveries skip the device until
    # then. The pause doubles with each repeat (`rate_exceeded` in a row); a clean receipt
    # resets it.
    paused_until = models.DateTimeField(null=True, blank=True)
    rate_exceeded = models.PositiveIntegerField(default=0)

    objects = PushTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "is_active"], name="push_token_user_active")]

    def __str__(self) -> str:
        return f"{self.device_type} {mask_token(self.token)}"


class NotificationLog(models.Model):
    """One notification to one user, whatever number of devices it went to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_logs"
    )
    # A registered type's name (push.types): the apps that send declare their own.
    type = models.CharField(max_length=50, default=SYSTEM)
    title = models.CharField(max_length=255)
    body = models.TextField()
    data = models.JSONField(null=True, blank=True)
    sent_to_tokens = models.IntegerField(default=0)
    successful = models.BooleanField(default=False)
    # The last error, also while the notification is still pending a retry.
    error_message = models.TextField(null=True, blank=True)  # noqa: DJ001 (the guide's field)
    # The database's time (push.clock), like every time that due times are compared with.
    created_at = models.DateTimeField(default=clock.now)
    # Delivery state: the log row is also the outbox entry that workers deliver from.
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Expo message fields besides title, body and data (sound, priority, channelId, ...).
    options = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A worker's claim: nobody else delivers the row until the lease runs out (a dead
    # worker's rows are picked up again then). The token tells claimers apart.
    locked_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, default="", db_index=True)
    # The in-app inbox (push/inbox.py): whether the row is shown to its user (False for a
    # notification refused for its own content, and for pushes that are not news, such as
    # a silent badge update), and when the user read it.
    in_inbox = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The caller's idempotency key: at most one notification per user and key ("" none).
    key = models.CharField(max_length=255, blank=True, default="")
    # Held by quiet hours or the hourly cap at least once: when released, the user's held
    # notifications of one type go out together as one digest.
    held = models.BooleanField(default=False)
    # The notification whose push carried this one (a digest's newest item, itself
    # included); None when it was pushed on its own.
    pushed_with = models.BigIntegerField(null=True, blank=True)
    # When quiet hours or the hourly cap let it go: its maximum age counts from then
    # (push.freshness), so what the user asked for later is not dropped as stale.
    released_at = models.DateTimeField(null=True, blank=True)
    # The language its title and body were written in, the recipient's (push.languages);
    # a digest of it speaks it too. "" while USE_I18N is off.
    language = models.CharField(max_length=15, blank=True, default="")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="push_log_one_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="push_log_user_created"),
            # The inbox, newest first with a (created_at, id) cursor; and its unread part,
            # which also answers the unread count of a set of users (the badge).
            models.Index(
                fields=["user", "-created_at", "-id"],
                condition=models.Q(in_inbox=True),
                name="push_inbox_user_created",
            ),
            models.Index(
                fields=["user", "-created_at", "-id"],
                condition=models.Q(in_inbox=True, read_at__isnull=True),
                name="push_inbox_user_unread",
            ),
            # The due scan (push.delivery.claims) reads pending rows only: a partial index stays
            # as small as the outbox however long the history grows.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="push_log_pending_due",
            ),
            # Retention (push_prune) and the overview's time windows.
            models.Index(fields=["created_at"], name="push_log_created"),
            # The hourly cap counts each user's recent sends (push.delivery.screening).
            models.Index(fields=["user", "status", "updated_at"], name="push_log_user_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.type} to user {self.user_id}: {self.title}"


class PushDelivery(models.Model):
    """One notification to one device: Expo's ticket, then its receipt."""

    notification = models.ForeignKey(
        NotificationLog, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The token may be deleted later; the copy keeps the record readable.
    push_token = models.ForeignKey(
        PushToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    token = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    ticket_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    error = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    receipt_status = models.CharField(
        max_length=10, choices=ReceiptStatus.choices, blank=True, default=""
    )
    receipt_error = models.CharField(max_length=64, blank=True, default="")
    receipt_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PushDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "push deliveries"
        indexes = [
            # The receipts scan (push.delivery.receipts): accepted tickets without a receipt yet.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status="accepted", receipt_status="") & ~models.Q(ticket_id=""),
                name="push_delivery_awaiting",
            ),
            # The overview's errors by code: only deliveries with an error are indexed.
            models.Index(
                fields=["created_at"],
                condition=~models.Q(error=""),
                name="push_delivery_ticket_err",
            ),
            models.Index(
                fields=["created_at"],
                condition=~models.Q(receipt_error=""),
                name="push_delivery_receipt_err",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "token"], name="push_delivery_one_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} to {mask_token(self.token)}"


class Overview(NotificationLog):
    """The admin's overview page: a proxy without a table, so the app's admin index lists it."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "overview"
        default_permissions = ()  # viewing it takes the notifications' view permission


class NotificationPreference(models.Model):
    """What one user wants to receive; a user without a row gets the defaults (everything).

    `disabled_types` lists the notification types the user switched off (never "system").
    Quiet hours are a daily window of wall-clock times in `timezone`, set all together or
    not at all; `quiet_start` after `quiet_end` means the window crosses midnight.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_preference"
    )
    disabled_types = models.JSONField(default=list, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True, default="")
    # A code of settings.LANGUAGES; "" not chosen yet (the site's LANGUAGE_CODE applies).
    language = models.CharField(max_length=15, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(quiet_start__isnull=True, quiet_end__isnull=True, timezone="")
                    | (
                        models.Q(quiet_start__isnull=False, quiet_end__isnull=False)
                        & ~models.Q(timezone="")
                    )
                ),
                name="push_preference_quiet_hours_complete",
            )
        ]

    def __str__(self) -> str:
        return f"Notification preferences of user {self.user_id}"


class OperatorAlert(models.Model):
    """An Expo error that needs an operator (the app's credentials or configuration)."""

    code = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=1)
    # Where Expo reported it (push.delivery.outcomes.act_on_errors): "tickets" (sending),
    # "receipts", or "request" (a whole request refused, e.g. fetching receipts).
    source = models.CharField(max_length=16)
    message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} ({self.source}, {self.count})"
