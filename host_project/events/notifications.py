"""When something happens to an event, who hears about it."""

from datetime import timedelta

from push import Change, Notification, on_change, on_created, register_type

from events.models import Event

register_type("event", label="Events", max_age=timedelta(hours=6), digest=("event", "events"))


@on_created("events.Event")
def event_planned(event: Event) -> Notification:
    return Notification(
        to=event.organiser_id,  # a UUID: any primary key will do
        title="Event planned",
        body=f"{event.title} is on the calendar",
        data={"eventId": str(event.pk)},
        type="event",
    )


@on_change("events.Event", "status", to=[Event.Status.CANCELLED])
def event_cancelled(event: Event, change: Change) -> Notification:
    return Notification(
        to=[event.organiser],
        title="Event cancelled",
        body=f"{event.title} will not take place",
        data={"eventId": str(event.pk)},
        type="event",
    )
