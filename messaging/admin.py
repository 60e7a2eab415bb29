from django.contrib import admin

from messaging.models import Message, Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("id", "product", "buyer", "seller", "created_at")
    list_select_related = ("product", "buyer", "seller")
    raw_id_fields = ("product", "buyer", "seller")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    # The text is private: it is shown on the message's own page, not in lists.
    list_display = ("id", "thread", "sender", "created_at")
    list_select_related = ("thread", "sender")
    raw_id_fields = ("thread", "sender")
