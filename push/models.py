"""Devices that can receive notifications, and the record of every notification."""

from django.conf import settings
from django.db import models

from push.tokens import mask_token


class DeviceType(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class NotificationType(models.TextChoices):
    ORDER = "order", "Order"
    MESSAGE = "message", "Message"
    PAYMENT = "payment", "Payment"
    PRODUCT = "product", "Product"
    REVIEW = "review", "Review"
    SYSTEM = "system", "System"


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
    type = models.CharField(
        max_length=20, choices=NotificationType.choices, default=NotificationType.SYSTEM
    )
    title = models.CharField(max_length=255)
    body = models.TextField()
    data = models.JSONField(null=True, blank=True)
    sent_to_tokens = models.IntegerField(default=0)
    successful = models.BooleanField(default=False)
    error_message = models.TextField(null=True, blank=True)  # noqa: DJ001 (the guide's field)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="push_log_user_created")]

    def __str__(self) -> str:
        return f"{self.type} to user {self.user_id}: {self.title}"
