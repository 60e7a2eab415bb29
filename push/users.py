"""Who a user is: a user object, or its primary key of whatever type the user model has."""

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, UUIDField

# A user, or a user's primary key: an int, a UUID, a string (custom user models).
UserRef = Model | int | str | UUID


def user_id_of(user: UserRef) -> Any:
    """Return the primary key of a user given as a model instance or as an id.

    An id is read as the user model's primary key reads it (an integer, a UUID, a string):
    a UUID primary key takes a UUID or its text, an integer one an int (or its digits).
    Raises TypeError for what cannot be a user, ValueError for an id of the wrong form.
    """
    model = get_user_model()
    if isinstance(user, Model):
        if not isinstance(user, model):
            raise TypeError(f"Expected a {model.__name__} or its id, got a {type(user).__name__}.")
        if user.pk is None:
            raise ValueError("The user is not saved: it has no id yet.")
        return user.pk
    pk = model._meta.pk
    wrong_type = isinstance(user, bool) or not isinstance(user, int | str | UUID)
    if wrong_type or (isinstance(pk, UUIDField) and isinstance(user, int)):
        raise TypeError(
            f"Expected a user or a user id ({pk.get_internal_type()}), "
            f"got {type(user).__name__}: {user!r:.40}."
        )
    try:
        return pk.to_python(user)
    except ValidationError:
        raise ValueError(
            f"{user!r:.40} is not a user id: the user model's primary key is a "
            f"{pk.get_internal_type()}."
        ) from None


def has_field(model: type[Model], name: str) -> bool:
    """Whether `model` has a field `name` (a custom user model may lack is_active, email...)."""
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def email_field() -> str | None:
    """The user model's email field, if it has one besides its username field."""
    model = get_user_model()
    name = model.get_email_field_name()
    if name == model.USERNAME_FIELD or not has_field(model, name):
        return None
    return name
