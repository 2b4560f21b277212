"""Open websockets on the running product (daphne, real Redis) stop once their user may no
longer see them: a logout closes that session's sockets, a deactivation every socket of the
user, with 4401 (the page reloads to the login page); an unknown /ws/ path is a 404."""

import re
import time

import pytest
import requests
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import DEMO_PASSWORD


def _logged_in(stack, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{stack.url}/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{stack.url}/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        timeout=10,
    )
    assert answer.url == f"{stack.url}/", answer.url
    return session


def _socket(stack, session: requests.Session, path: str = "/ws/live/"):
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return connect(
        stack.url.replace("http", "ws", 1) + path,
        additional_headers={"Cookie": cookies, "Origin": stack.url},
        open_timeout=10,
        max_size=None,  # as a browser: no limit of its own on what it receives
    )


def _closed_with(socket) -> int:
    """Read until the server closes; its close code (fails after 10 s of no close)."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=10)
    return closed.value.rcvd.code


def _logout(stack, session: requests.Session) -> None:
    session.post(
        f"{stack.url}/logout/", headers={"X-CSRFToken": session.cookies["csrftoken"]}, timeout=10
    )


def test_a_logout_closes_that_sessions_sockets_only(stack):
    leaving, staying = _logged_in(stack, "admin"), _logged_in(stack, "admin")
    with _socket(stack, leaving) as board, _socket(stack, leaving, "/ws/campaigns/") as camps:
        with _socket(stack, staying) as other:
            assert 'id="agent-rows"' in board.recv(timeout=10)
            camps.recv(timeout=10)
            other.recv(timeout=10)
            _logout(stack, leaving)
            assert _closed_with(board) == 4401
            assert _closed_with(camps) == 4401
            other.ping().wait(5)  # the other browser's board is still open
            assert other.close_code is None
            _logout(stack, staying)


def test_a_deactivated_user_stops_receiving(stack):
    stack.manage("shell", "-c", _set_active("campaigns", True))
    session = _logged_in(stack, "campaigns")
    try:
        with _socket(stack, session) as board:
            board.recv(timeout=10)
            stack.manage("shell", "-c", _set_active("campaigns", False))
            assert _closed_with(board) == 4401
        with _socket(stack, session) as again:  # and cannot come back with that session
            assert _closed_with(again) == 4401
    finally:
        stack.manage("shell", "-c", _set_active("campaigns", True))


def _set_active(username: str, active: bool) -> str:
    return (
        "from django.contrib.auth.models import User; "
        f"u = User.objects.get(username={username!r}); u.is_active = {active}; u.save()"
    )


def test_an_expired_session_gets_4401_not_a_refused_handshake(stack):
    anonymous = requests.Session()
    with _socket(stack, anonymous) as board:
        assert _closed_with(board) == 4401


def test_an_unknown_websocket_path_is_a_404(stack):
    with pytest.raises(InvalidStatus) as refused:
        _socket(stack, requests.Session(), "/ws/nothing-here/").__enter__()
    assert refused.value.response.status_code == 404


def _board_clients(stack) -> int:
    text = requests.get(f"{stack.url}/metrics", timeout=10).text
    found = re.search(r'^thulium_live_websocket_clients\{screen="board"\} (\S+)$', text, re.M)
    return int(float(found.group(1))) if found else 0


def _settled(stack) -> int:
    """The count once it holds still for a moment."""
    last = _board_clients(stack)
    for _ in range(30):
        time.sleep(0.3)
        if (now := _board_clients(stack)) == last:
            return now
        last = now
    return last


def test_open_boards_are_counted_in_the_metrics(stack):
    session = _logged_in(stack, "admin")
    before = _settled(stack)  # the boards of earlier tests may still be closing
    with _socket(stack, session) as board:
        board.recv(timeout=10)
        assert _board_clients(stack) == before + 1
    deadline = time.monotonic() + 10
    while _board_clients(stack) != before:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    _logout(stack, session)


@pytest.mark.browser
def test_a_board_goes_to_the_login_page_when_its_session_logs_out_elsewhere(page, login, stack):
    with page.expect_websocket() as opened:
        login(page, stack.admin_username, stack.admin_password)
    opened.value.wait_for_event("framereceived")  # the board is live
    other = page.context.new_page()
    other.goto(f"{stack.url}/")
    other.click("form.whoami button")
    other.wait_for_url(re.compile(r"/login/"))
    page.wait_for_url(re.compile(r"/login/"), timeout=15_000)  # by itself, reloaded on 4401
    expect(page.locator("input[name=username]")).to_be_visible()


def test_a_message_over_a_megabyte_reaches_a_board(stack):
    """A board's first message (its snapshot) is about 1.1 KB an agent: a centre of 1,000
    agents needs daphne to pass messages over 1 MiB (its default limit closed such a board's
    socket with 1011 on every try, so it was never live)."""
    session = _logged_in(stack, "admin")
    with _socket(stack, session, "/ws/live/?lang=en") as board:
        board.recv(timeout=10)  # the snapshot of this small centre
        big = "'<div id=\"big\" hidden>' + 'x' * 1_200_000 + '</div>'"
        stack.manage(
            "shell", "-c", f"from dashboard import live; live.broadcast('board-all-en', {big})"
        )
        while 'id="big"' not in (got := board.recv(timeout=10)):
            pass
        assert len(got) > 1_200_000
