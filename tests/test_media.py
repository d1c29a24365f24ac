"""Media: from a path, a media source or a URL to WhatsApp, and received media to disk."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.whatsapp_bridge.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from pathlib import Path

    from homeassistant.core import HomeAssistant, ServiceResponse
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .conftest import Addon, Outbox

PHONE = "+4917612345678"
FAMILY = "120363000000000001@g.us"
PHOTO = b"\xff\xd8\xff\xe0 a photo " * 100
CLIP = b"\x00\x00\x00\x18ftypmp42 a clip " * 100
PDF = b"%PDF-1.4 an invoice " * 100
VOICE = b"OggS a voice note " * 100


async def download(hass: HomeAssistant, message_id: str) -> ServiceResponse:
    """Save a received message's media with the action, as an automation would."""
    return await hass.services.async_call(
        DOMAIN,
        "download_media",
        {"message_id": message_id},
        blocking=True,
        return_response=True,
    )


def sha256(data: bytes) -> str:
    """How the simulator's outbox identifies the bytes it got."""
    return hashlib.sha256(data).hexdigest()


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call `whatsapp_bridge.send_message` and return its response."""
    return await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )


@pytest.fixture
def allowed_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A folder Home Assistant may read files from."""
    folder = tmp_path / "allowed"
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


@pytest.fixture
def media_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Home Assistant's media folder, empty."""
    folder = tmp_path / "media"
    folder.mkdir()
    hass.config.media_dirs = {"local": str(folder)}
    return folder


@pytest.fixture
async def file_server(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[str]:
    """A web server on loopback with a photo, a document and a missing file.

    It is in `allowlist_external_urls`, as a server users send media from is.
    """

    async def photo(request: web.Request) -> web.Response:
        return web.Response(body=PHOTO, content_type="image/jpeg")

    async def document(request: web.Request) -> web.Response:
        return web.Response(
            body=PDF,
            content_type="application/octet-stream",
            headers={"Content-Disposition": 'attachment; filename="invoice.pdf"'},
        )

    app = web.Application()
    app.router.add_get("/cam/snapshot.jpg", photo)
    app.router.add_get("/download", document)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    hass.config.allowlist_external_urls = {f"http://127.0.0.1:{port}/"}
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_local_file_becomes_a_captioned_image(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    outbox: Outbox,
    allowed_dir: Path,
) -> None:
    """The bytes arrive unchanged; the message is the caption."""
    (allowed_dir / "door.jpg").write_bytes(PHOTO)

    response = await send(
        hass,
        target=[PHONE, FAMILY],
        message="Someone at the door",
        media=str(allowed_dir / "door.jpg"),
    )

    messages = await outbox.messages()
    assert [m["id"] for m in messages] == [m["id"] for m in response["messages"]]
    for message in messages:
        assert message["type"] == "image"
        assert message["caption"] == "Someone at the door"
        assert message["mimetype"] == "image/jpeg"
        assert message["size"] == len(PHOTO)
        assert message["sha256"] == sha256(PHOTO)


async def test_media_types_follow_the_file_unless_chosen(
    hass: HomeAssistant,
    shared_addon: Addon,
    shared_entry: MockConfigEntry,
    outbox: Outbox,
    allowed_dir: Path,
) -> None:
    """Documents keep a name; voice notes and stickers are sent as asked."""
    (allowed_dir / "scan.pdf").write_bytes(PDF)
    (allowed_dir / "note.ogg").write_bytes(VOICE)
    (allowed_dir / "smile.webp").write_bytes(PHOTO)
    question = await shared_addon.incoming(text="Did you pay?")

    await send(
        hass,
        target=PHONE,
        message="The bill",
        media=str(allowed_dir / "scan.pdf"),
        filename="Invoice March.pdf",
    )
    await send(
        hass,
        target=PHONE,
        message="Listen",
        media=str(allowed_dir / "note.ogg"),
        media_type="voice",
        reply_to=question,
    )
    await send(
        hass, target=PHONE, media=str(allowed_dir / "smile.webp"), media_type="sticker"
    )

    document, text, voice, sticker = await outbox.messages()
    assert document["type"] == "document"
    assert document["filename"] == "Invoice March.pdf"
    assert document["caption"] == "The bill"
    assert document["sha256"] == sha256(PDF)
    # A voice note shows no caption: the text goes first, on its own.
    assert (text["type"], text["text"]) == ("text", "Listen")
    assert (voice["type"], voice["voice"], voice["caption"]) == ("audio", True, None)
    assert voice["sha256"] == sha256(VOICE)
    assert text["reply_to"] == voice["reply_to"] == question
    assert (sticker["type"], sticker["sha256"]) == ("sticker", sha256(PHOTO))


async def test_media_source_file_is_sent(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox, media_dir: Path
) -> None:
    """A `media-source://` id of the local media folder is read from disk."""
    (media_dir / "clips").mkdir()
    (media_dir / "clips" / "garden.mp4").write_bytes(CLIP)
    assert await async_setup_component(hass, "media_source", {})

    await send(
        hass,
        target=FAMILY,
        message="The garden",
        media="media-source://media_source/local/clips/garden.mp4",
    )

    (message,) = await outbox.messages()
    assert (message["type"], message["mimetype"]) == ("video", "video/mp4")
    assert message["caption"] == "The garden"
    assert message["sha256"] == sha256(CLIP)


async def test_url_media_is_downloaded_by_home_assistant(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox, file_server: str
) -> None:
    """The server's type and file name are used; a bare type is guessed from the name."""
    await send(hass, target=PHONE, media=f"{file_server}/cam/snapshot.jpg")
    await send(hass, target=PHONE, media=f"{file_server}/download?id=7")

    photo, document = await outbox.messages()
    assert (photo["type"], photo["mimetype"]) == ("image", "image/jpeg")
    assert photo["sha256"] == sha256(PHOTO)
    assert photo["caption"] is None
    assert (document["type"], document["mimetype"]) == ("document", "application/pdf")
    assert document["filename"] == "invoice.pdf"
    assert document["sha256"] == sha256(PDF)


@pytest.mark.usefixtures("shared_entry")
async def test_unusable_media_is_refused_and_nothing_is_sent(
    hass: HomeAssistant,
    outbox: Outbox,
    allowed_dir: Path,
    tmp_path: Path,
    file_server: str,
) -> None:
    """Each problem with the media names what to fix; WhatsApp gets nothing."""
    (tmp_path / "secret.jpg").write_bytes(PHOTO)
    (allowed_dir / "big.jpg").write_bytes(PHOTO)
    cases = {
        str(tmp_path / "secret.jpg"): (
            "path_not_allowed",
            "allowlist_external_dirs in configuration.yaml",
        ),
        str(allowed_dir / "missing.jpg"): ("file_not_found", "There is no file"),
        str(allowed_dir): ("file_not_found", "There is no file"),
        "ftp://example.com/door.jpg": (
            "unsupported_media",
            "Media must be a file path, a media-source ID or an http(s) URL",
        ),
        "media-source://media_source/local/door.jpg": (
            "media_unresolvable",
            "cannot be used",
        ),
    }
    with patch(
        "custom_components.whatsapp_bridge.media.MAX_MEDIA_BYTES", len(PHOTO) - 1
    ):
        cases[str(allowed_dir / "big.jpg")] = (
            "media_too_large",
            "MB, the most WhatsApp for Home Assistant sends",
        )
        cases[f"{file_server}/cam/snapshot.jpg"] = cases[str(allowed_dir / "big.jpg")]
        for media, (key, english) in cases.items():
            with pytest.raises(ServiceValidationError) as caught:
                await send(hass, target=PHONE, message="Look", media=media)
            assert caught.value.translation_key == key, media
            assert english in str(caught.value), media

    assert await outbox.messages() == []


async def test_a_failing_download_says_so(
    hass: HomeAssistant, shared_entry: MockConfigEntry, outbox: Outbox, file_server: str
) -> None:
    """Not the user's input but the server: the address is named, without its query."""
    with pytest.raises(HomeAssistantError) as caught:
        await send(hass, target=PHONE, media=f"{file_server}/gone.jpg?token=secret")

    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "media_download_failed"
    assert f"Could not download {file_server}/gone.jpg: HTTP 404 Not Found" in str(
        caught.value
    )
    assert "secret" not in str(caught.value)
    assert await outbox.messages() == []


async def test_received_media_is_saved_in_the_media_folder(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    media_dir: Path,
) -> None:
    """The file is named after the message and holds the add-on's bytes."""
    photo_id = await shared_addon.incoming(
        kind="image", media={"mimetype": "image/jpeg", "size": 2048}
    )
    document_id = await shared_addon.incoming(
        kind="document",
        media={"mimetype": "application/pdf", "filename": "Rechnung.pdf", "size": 99},
    )

    saved = [await download(hass, message_id) for message_id in (photo_id, document_id)]

    photo = media_dir / "whatsapp" / f"{photo_id}.jpg"
    document = media_dir / "whatsapp" / f"{document_id}.pdf"
    assert saved == [{"path": str(photo)}, {"path": str(document)}]
    for path, message_id in ((photo, photo_id), (document, document_id)):
        async with shared_addon.http.get(
            f"{shared_addon.url}/v1/media/r_{message_id}",
            headers={"Authorization": f"Bearer {shared_addon.api_key}"},
        ) as response:
            assert path.read_bytes() == await response.read()
    assert photo.stat().st_size == 2048


async def test_media_folder_is_an_option(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    media_dir: Path,
) -> None:
    """The folder can be changed, but not to one outside the media folder."""
    flow = await hass.config_entries.options.async_init(shared_entry.entry_id)
    assert flow["type"] is FlowResultType.FORM
    # The form sends every field, as the frontend does.
    for outside in ("/etc", "../config", " "):
        flow = await hass.config_entries.options.async_configure(
            flow["flow_id"], {"media_folder": outside, "accept_from": "everyone"}
        )
        assert flow["errors"] == {"media_folder": "invalid_media_folder"}
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"media_folder": "chats/family/", "accept_from": "everyone"}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    assert shared_entry.options == {
        "media_folder": "chats/family",
        "accept_from": "everyone",
    }

    message_id = await shared_addon.incoming(
        kind="sticker", media={"mimetype": "image/webp"}
    )
    saved = await download(hass, message_id)

    assert saved == {"path": str(media_dir / "chats" / "family" / f"{message_id}.webp")}

    (media_dir / "taken").write_text("a file where the folder should be")
    hass.config_entries.async_update_entry(
        shared_entry, options={"media_folder": "taken"}
    )
    with pytest.raises(HomeAssistantError) as caught:
        await download(hass, message_id)
    assert caught.value.translation_key == "media_save_failed"
    assert "Check the media folder in the WhatsApp account's options" in str(
        caught.value
    )


async def test_a_message_without_media_has_nothing_to_download(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    media_dir: Path,
) -> None:
    """A text message, or one the add-on never saw, has no media."""
    text_id = await shared_addon.incoming(text="just words")

    for message_id in (text_id, "3EB0NEVERSEEN"):
        with pytest.raises(ServiceValidationError) as caught:
            await download(hass, message_id)
        assert caught.value.translation_key == "no_media"
        assert f"Message {message_id} has no media to download" in str(caught.value)
    assert not (media_dir / "whatsapp").exists()


async def test_downloaded_files_get_no_extension_the_sender_chose(
    hass: HomeAssistant,
    shared_entry: MockConfigEntry,
    shared_addon: Addon,
    media_dir: Path,
) -> None:
    """A sender's `.svg` or `.html` must not land in the media folder Home Assistant serves.

    The action also works without asking for its answer, as automations that
    only save the file call it.
    """
    svg_id = await shared_addon.incoming(
        kind="document",
        media={"mimetype": "image/svg+xml", "filename": "cute.svg", "size": 64},
    )
    html_id = await shared_addon.incoming(
        kind="document",
        media={"mimetype": "text/html", "filename": "invoice.pdf.html", "size": 64},
    )
    pdf_id = await shared_addon.incoming(
        kind="document",
        media={"mimetype": "application/pdf", "filename": "notes.exe", "size": 64},
    )

    saved = await hass.services.async_call(
        DOMAIN, "download_media", {"message_id": svg_id}, blocking=True
    )
    assert saved is None
    for message_id in (html_id, pdf_id):
        await download(hass, message_id)

    folder = media_dir / "whatsapp"
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [f"{svg_id}.bin", f"{html_id}.bin", f"{pdf_id}.pdf"]
    )
