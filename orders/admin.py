from django.contrib import admin, messages

from orders.models import Order, Payment, Product, Review
from push.handoff import queued_in_transaction
from push.models import NotificationLog, NotificationStatus


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "seller", "price", "created_at")
    search_fields = ("name", "seller__username")
    list_select_related = ("seller",)
    raw_id_fields = ("seller",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Saving here runs the model's signals: a status change notifies the buyer.
    list_display = ("id", "product", "buyer", "status", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("product__name", "buyer__username")
    list_select_related = ("product", "buyer")
    raw_id_fields = ("product", "buyer")

    def save_model(self, request, obj, form, change) -> None:
        # The admin saves inside a transaction: what the save queued goes out at its commit.
        before = queued_in_transaction()
        super().save_model(request, obj, form, change)
        queued = NotificationLog.objects.filter(
            pk__in=queued_in_transaction() - before, status=NotificationStatus.PENDING
        ).select_related("user")
        for row in queued:
            messages.info(
                request, f"Notification queued for {row.user}: “{row.title}” ({row.body})."
            )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "amount", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("order",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("product", "author", "rating", "created_at")
    list_filter = ("rating",)
    list_select_related = ("product", "author")
    raw_id_fields = ("product", "author")
