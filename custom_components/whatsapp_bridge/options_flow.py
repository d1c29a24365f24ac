"""Options of a linked account: where downloaded media goes, whose messages count."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from .const import CONF_ACCEPT_FROM, CONF_MEDIA_FOLDER, DEFAULT_MEDIA_FOLDER, AcceptFrom

OPTIONS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_MEDIA_FOLDER): TextSelector(),
        probatio.Required(CONF_ACCEPT_FROM): SelectSelector(
            SelectSelectorConfig(
                options=[choice.value for choice in AcceptFrom],
                translation_key=CONF_ACCEPT_FROM,
                mode=SelectSelectorMode.LIST,
            )
        ),
    }
)


def normalize_media_folder(value: str) -> str | None:
    """Return a folder inside the media folder as `a/b`, or None if it leads outside."""
    folder = PurePosixPath(value.strip())
    if folder.is_absolute() or ".." in folder.parts or not folder.parts:
        return None
    return str(folder)


class WhatsAppOptionsFlow(OptionsFlow):
    """Where downloaded media goes, and whose messages fire events."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the folder inside the media folder and whose messages count."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if folder := normalize_media_folder(user_input[CONF_MEDIA_FOLDER]):
                return self.async_create_entry(
                    data={
                        CONF_MEDIA_FOLDER: folder,
                        CONF_ACCEPT_FROM: user_input[CONF_ACCEPT_FROM],
                    }
                )
            errors[CONF_MEDIA_FOLDER] = "invalid_media_folder"
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA,
                user_input
                or {
                    CONF_MEDIA_FOLDER: self.config_entry.options.get(
                        CONF_MEDIA_FOLDER, DEFAULT_MEDIA_FOLDER
                    ),
                    CONF_ACCEPT_FROM: self.config_entry.options.get(
                        CONF_ACCEPT_FROM, AcceptFrom.EVERYONE
                    ),
                },
            ),
            errors=errors,
        )
