"""The UniTrade backend project."""

try:  # Celery is an optional extra of push: `pip install 'django-expo-push[celery]'`.
    from unitrade.celery import app as celery_app
except ImportError:  # pragma: no cover - without the extra there is simply no Celery app
    celery_app = None

__all__ = ["celery_app"]
