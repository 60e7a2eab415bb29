"""Marketplace fixtures: a seller, a buyer with devices, a product, an order."""

from decimal import Decimal

import pytest

from orders.models import Order, Product
from push.models import PushToken

SELLER_TOKEN = "ExponentPushToken[seller-device-aaaaaaaa]"
BUYER_TOKEN = "ExponentPushToken[buyer-device-bbbbbbbbb]"


@pytest.fixture
def seller(django_user_model):
    seller = django_user_model.objects.create_user(username="sam", first_name="Sam")
    PushToken.objects.create(user=seller, token=SELLER_TOKEN)
    return seller


@pytest.fixture
def buyer(django_user_model):
    buyer = django_user_model.objects.create_user(username="alice", first_name="Alice")
    PushToken.objects.create(user=buyer, token=BUYER_TOKEN)
    return buyer


@pytest.fixture
def product(seller):
    return Product.objects.create(seller=seller, name="Calculus textbook", price=Decimal("25.00"))


@pytest.fixture
def order(product, buyer, committed):
    with committed():
        return Order.objects.create(product=product, buyer=buyer)
