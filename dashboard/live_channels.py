"""Chats and e-mail today on the board and on "All channels" wallboards: the tiles, rendered
once per language on each change (crm_bridge/channel_sync.py sends channels_changed) and
fanned out to every board group and every wallboard that shows them. The same numbers for
every team: they are the tenant's, as Thulium counts them."""

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import translation

from crm_bridge import channel_sync
from crm_bridge.signals import channels_changed

from . import wallboards
from .live import board_group, board_scopes, broadcast, languages

TILES = "dashboard/channels.html#channel-tiles"


def tiles_html(channels: dict | None = None) -> str:
    """The board's tiles, in the active language."""
    return render_to_string(TILES, {"ch": channel_sync.today() if channels is None else channels})


@receiver(channels_changed)
def push_channels(sender=None, **kwargs) -> None:
    channels = channel_sync.today()  # read once for every board and wallboard
    board: dict[str, str] = {}
    for language in languages():
        with translation.override(language):
            board[language] = tiles_html(channels)
    for scope in board_scopes():
        for language in languages():
            broadcast(board_group(language, scope), board[language])
    walls: dict[str, str] = {}
    for wallboard in wallboards.active_wallboards():
        if wallboard.shows_channels:
            if wallboard.language not in walls:
                walls[wallboard.language] = wallboards.render(
                    wallboard, ("wb-channels",), {"wb": wallboard, "ch": channels}
                )
            broadcast(wallboard.group, walls[wallboard.language])
