"""The files of outgoing media: from a path, a media source or a URL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Final

import aiohttp
from aiohttp import hdrs
from homeassistant.components import media_source
from homeassistant.components.media_player.browse_media import (
    async_process_play_media_url,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# The add-on's default upload limit. Media is held in memory on its way to the
# add-on, so nothing larger is read or downloaded.
MAX_MEDIA_BYTES: Final = 64 * 1024 * 1024
DOWNLOAD_TIMEOUT: Final = 120
DOWNLOAD_CHUNK_BYTES: Final = 256 * 1024
FALLBACK_MIMETYPE: Final = "application/octet-stream"
# Each hop of a redirect is checked against the allowlist, so they are
# followed here rather than by aiohttp; real servers need one or two.
MAX_REDIRECTS: Final = 5
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaFile:
    """The bytes of a file to send, with what is known about them."""

    data: bytes = field(repr=False)
    mimetype: str
    filename: str | None


class _TooLargeError(Exception):
    """The file exceeds MAX_MEDIA_BYTES."""


async def async_load_media(hass: HomeAssistant, source: str) -> MediaFile:
    """Read a file path, resolve a `media-source://` id or download an http(s) URL.

    A relative path is taken relative to the configuration folder.
    """
    try:
        if media_source.is_media_source_id(source):
            return await _async_load_media_source(hass, source)
        if "://" in source:
            url = _parse_url(source)
            if url is None or url.scheme not in ("http", "https"):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="unsupported_media",
                    translation_placeholders={"media": shown_url(source)},
                )
            return await _async_download(hass, url, signed_by_home_assistant=False)
        return await _async_read_allowed_file(hass, Path(hass.config.path(source)))
    except _TooLargeError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_too_large",
            translation_placeholders={
                "media": shown_url(source),
                "limit": str(MAX_MEDIA_BYTES // (1024 * 1024)),
            },
        ) from err


def shown_url(url: str) -> str:
    """Return the URL as errors and logs may show it: no query, fragment or login.

    Those often carry tokens or signatures.
    """
    parsed = _parse_url(url)
    if parsed is None or not parsed.is_absolute():
        return url.partition("?")[0].partition("#")[0]
    return parsed.with_user(None).with_query(None).with_fragment(None).human_repr()


def _parse_url(url: str) -> URL | None:
    try:
        return URL(url)
    except ValueError:
        return None


async def _async_load_media_source(hass: HomeAssistant, media_id: str) -> MediaFile:
    try:
        resolved = await media_source.async_resolve_media(hass, media_id, None)
        path = resolved.path
        # Sources without a local file (cameras, text-to-speech, …) serve the
        # media over HTTP. A path on Home Assistant itself becomes its URL,
        # signed by Home Assistant: the only download the allowlist of
        # external URLs does not govern.
        own = resolved.url.startswith("/") and not resolved.url.startswith("//")
        url = "" if path else async_process_play_media_url(hass, resolved.url)
    except HomeAssistantError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_unresolvable",
            translation_placeholders={"media": shown_url(media_id), "error": str(err)},
        ) from err
    if path is None:
        return await _async_download(hass, URL(url), signed_by_home_assistant=own)
    # The media source has already decided this file may be shared.
    media = await _async_read_file(hass, path)
    return MediaFile(
        data=media.data, mimetype=resolved.mime_type, filename=media.filename
    )


async def _async_read_allowed_file(hass: HomeAssistant, path: Path) -> MediaFile:
    if not await hass.async_add_executor_job(hass.config.is_allowed_path, str(path)):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="path_not_allowed",
            translation_placeholders={"path": str(path)},
        )
    return await _async_read_file(hass, path)


async def _async_read_file(hass: HomeAssistant, path: Path) -> MediaFile:
    try:
        data = await hass.async_add_executor_job(_read_capped, path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_not_found",
            translation_placeholders={"path": str(path)},
        ) from err
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_read_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err
    mimetype, _ = mimetypes.guess_type(path.name)
    return MediaFile(
        data=data, mimetype=mimetype or FALLBACK_MIMETYPE, filename=path.name
    )


def _read_capped(path: Path) -> bytes:
    with path.open("rb") as file:
        data = file.read(MAX_MEDIA_BYTES + 1)
    if len(data) > MAX_MEDIA_BYTES:
        raise _TooLargeError
    return data


async def _async_download(
    hass: HomeAssistant, url: URL, *, signed_by_home_assistant: bool
) -> MediaFile:
    """Download from an allowlisted URL, checking every redirect on the way.

    Any Home Assistant user may name the URL, so without the allowlist
    Home Assistant could be made to fetch addresses inside the network and
    send what it got to anyone.
    """
    session = async_get_clientsession(hass)
    first = url
    try:
        async with asyncio.timeout(DOWNLOAD_TIMEOUT):
            for _ in range(MAX_REDIRECTS + 1):
                if not signed_by_home_assistant:
                    _check_allowed(hass, url, first)
                async with session.get(
                    url,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT),
                ) as response:
                    location = response.headers.get(hdrs.LOCATION)
                    if response.status in REDIRECT_STATUSES and location:
                        url = response.url.join(URL(location))
                        # Only the URL Home Assistant built is exempt, not
                        # where it redirects to.
                        signed_by_home_assistant = False
                        continue
                    response.raise_for_status()
                    return await _async_read_download(response, url)
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_download_failed",
            translation_placeholders={
                "url": shown_url(str(first)),
                "error": _download_problem(err),
            },
        ) from err
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="media_too_many_redirects",
        translation_placeholders={
            "url": shown_url(str(first)),
            "limit": str(MAX_REDIRECTS),
        },
    )


def _check_allowed(hass: HomeAssistant, url: URL, first: URL) -> None:
    """Refuse a URL (or a redirect to one) outside `allowlist_external_urls`."""
    if url.scheme in ("http", "https") and hass.config.is_allowed_external_url(
        str(url)
    ):
        return
    if url == first:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="url_not_allowed",
            translation_placeholders={"url": shown_url(str(url))},
        )
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="redirect_not_allowed",
        translation_placeholders={
            "url": shown_url(str(first)),
            "target": shown_url(str(url)),
        },
    )


async def _async_read_download(response: aiohttp.ClientResponse, url: URL) -> MediaFile:
    if (response.content_length or 0) > MAX_MEDIA_BYTES:
        raise _TooLargeError
    data = bytearray()
    async for chunk in response.content.iter_chunked(DOWNLOAD_CHUNK_BYTES):
        data += chunk
        if len(data) > MAX_MEDIA_BYTES:
            raise _TooLargeError
    disposition = response.content_disposition
    filename = (disposition.filename if disposition else None) or url.name or None
    mimetype = response.content_type
    if mimetype == FALLBACK_MIMETYPE and filename:
        # Servers that do not know better send files as bare bytes.
        mimetype = mimetypes.guess_type(filename)[0] or mimetype
    return MediaFile(data=bytes(data), mimetype=mimetype, filename=filename)


def _download_problem(err: Exception) -> str:
    """Say what went wrong without repeating the URL, which may carry a token."""
    if isinstance(err, aiohttp.ClientResponseError):
        return f"HTTP {err.status} {err.message}"
    if isinstance(err, TimeoutError):
        return f"no answer within {DOWNLOAD_TIMEOUT} s"
    if isinstance(err, (aiohttp.InvalidURL, ValueError)):
        # Their text is the URL itself.
        return "the address is not valid"
    return str(err) or type(err).__name__
