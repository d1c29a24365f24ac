"""Re-authentication when the add-on is linked to another WhatsApp account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType

from .conftest import DEFAULT_PHONE, mock_entry
from .flows import OTHER_PHONE, pair_by_qr, wait_for_reauth_flow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Addon

OTHER_JID = "15550000002@s.whatsapp.net"


async def test_reauth_offers_to_unlink_the_other_account(
    hass: HomeAssistant, linked_addon: Addon
) -> None:
    """No dead end: unlink the account the add-on has, and link the entry's."""
    entry = mock_entry(linked_addon, jid=OTHER_JID)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    flow = await wait_for_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "unlink_other"
    placeholders = result["description_placeholders"]
    assert (placeholders["actual"], placeholders["expected"]) == (
        DEFAULT_PHONE,
        OTHER_PHONE,
    )
    # Nothing changes before the user agrees.
    assert (await linked_addon.session())["me"]["phone"] == DEFAULT_PHONE

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert (await linked_addon.session())["me"] is None
    result = await pair_by_qr(hass, result, lambda: linked_addon.scan(OTHER_PHONE))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert (await linked_addon.session())["me"]["phone"] == OTHER_PHONE
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
