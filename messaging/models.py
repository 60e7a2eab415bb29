"""Chat between a product's buyer and its seller."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Thread(models.Model):
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="threads")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_threads"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller_threads"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Thread {self.pk} about product {self.product_id}"

    def other_party(self, user_id: int) -> int | None:
        """Return the id of the participant who is not `user_id`, or None for an outsider."""
        if user_id == self.buyer_id:
            return self.seller_id
        if user_id == self.seller_id:
            return self.buyer_id
        return None


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_messages"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        # Never the text: it is private and __str__ ends up in logs and the admin.
        return f"Message {self.pk} in thread {self.thread_id}"

    def clean(self) -> None:
        if self.thread_id and self.sender_id and self.thread.other_party(self.sender_id) is None:
            raise ValidationError({"sender": "Only the thread's buyer and seller can write in it."})
