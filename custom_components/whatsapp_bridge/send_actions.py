"""Actions that send: messages, locations, polls, and a poll that waits for its answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, ATTR_NAME
from homeassistant.exceptions import ServiceValidationError

from .api import Location, Poll
from .const import (
    ATTR_ADDRESS,
    ATTR_FILENAME,
    ATTR_MEDIA,
    ATTR_MEDIA_TYPE,
    ATTR_MENTIONS,
    ATTR_MESSAGE,
    ATTR_MULTIPLE,
    ATTR_OPTIONS,
    ATTR_QUESTION,
    ATTR_REPLY_TO,
    ATTR_TARGET,
    ATTR_TIMEOUT,
    DOMAIN,
)
from .messaging import Outgoing, OutgoingMedia, SentToTarget, async_send, loaded_client
from .service_entry import client_for_call, entry_for_call

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import ServiceCall, ServiceResponse

# WhatsApp's limits for polls.
POLL_MIN_OPTIONS: Final = 2
POLL_MAX_OPTIONS: Final = 12


def outgoing_media(data: Mapping[str, Any]) -> OutgoingMedia | None:
    """Return the media to send, if the call has any."""
    if ATTR_MEDIA not in data:
        return None
    return OutgoingMedia(
        source=data[ATTR_MEDIA],
        media_type=data.get(ATTR_MEDIA_TYPE),
        filename=data.get(ATTR_FILENAME),
    )


def location(data: Mapping[str, Any]) -> Location:
    """Return the location described by fields validated with `LOCATION_FIELDS`."""
    return Location(
        latitude=data[ATTR_LATITUDE],
        longitude=data[ATTR_LONGITUDE],
        name=data.get(ATTR_NAME),
        address=data.get(ATTR_ADDRESS),
    )


def _messages_response(call: ServiceCall, sent: list[SentToTarget]) -> ServiceResponse:
    if not call.return_response:
        return None
    return {"messages": [{"target": item.target, "id": item.id} for item in sent]}


async def async_handle_send_message(call: ServiceCall) -> ServiceResponse:
    """Send a text, media or both to each target; answer with the message ids."""
    data = call.data
    sent = await async_send(
        call.hass,
        client_for_call(call),
        data[ATTR_TARGET],
        Outgoing(
            text=data.get(ATTR_MESSAGE),
            media=outgoing_media(data),
            reply_to=data.get(ATTR_REPLY_TO),
            mentions=tuple(data.get(ATTR_MENTIONS, ())),
        ),
    )
    return _messages_response(call, sent)


async def async_handle_send_location(call: ServiceCall) -> ServiceResponse:
    """Send a location pin to each target."""
    sent = await async_send(
        call.hass,
        client_for_call(call),
        call.data[ATTR_TARGET],
        Outgoing(location=location(call.data)),
    )
    return _messages_response(call, sent)


def _poll_options(call: ServiceCall) -> tuple[str, ...]:
    """Return a poll's options, refusing what WhatsApp would not show."""
    options = [option.strip() for option in call.data[ATTR_OPTIONS]]
    if (
        not POLL_MIN_OPTIONS <= len(options) <= POLL_MAX_OPTIONS
        or len(set(options)) != len(options)
        or not all(options)
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="poll_options",
            translation_placeholders={
                "min": str(POLL_MIN_OPTIONS),
                "max": str(POLL_MAX_OPTIONS),
            },
        )
    return tuple(options)


async def async_handle_send_poll(call: ServiceCall) -> ServiceResponse:
    """Send a poll to each target."""
    poll = Poll(
        question=call.data[ATTR_QUESTION],
        options=_poll_options(call),
        multiple=call.data[ATTR_MULTIPLE],
    )
    sent = await async_send(
        call.hass, client_for_call(call), call.data[ATTR_TARGET], Outgoing(poll=poll)
    )
    return _messages_response(call, sent)


async def async_handle_ask(call: ServiceCall) -> ServiceResponse:
    """Send a one-choice poll and answer with its first vote, or None in time."""
    poll = Poll(question=call.data[ATTR_QUESTION], options=_poll_options(call))
    entry = entry_for_call(call)
    client = loaded_client(entry)
    result = await entry.runtime_data.listener.incoming.asks.async_ask(
        call.hass, client, call.data[ATTR_TARGET], poll, call.data[ATTR_TIMEOUT]
    )
    return result.as_response()
