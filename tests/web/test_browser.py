"""The whole round in a real browser (Debian's chromium driven by Playwright, network
blocked except the app): two organisations outline the same place differently on the
map, the coordinator sees their IoU, accepts one and closes the round; the published
report shows the scene. Screenshots go to ``test-artifacts/web-*.png``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyproj import Transformer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a long passphrase for the browser"
TO_WGS84 = Transformer.from_crs(3006, 4326, always_xy=True)


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # (setting passwords) are synchronous all the same (Django's documented escape).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def with_password(accounts, key: str) -> str:
    user = accounts.users[key]
    user.set_password(PASSWORD)
    user.save()
    from axes.utils import reset

    reset(username=key)
    return key


class Session:
    """One person's browser context: only the app's own address is reachable."""

    def __init__(self, browser, base: str, username: str) -> None:
        self.base = base
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="sv-SE")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.add_init_script(
            "window.cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{base}/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/")

    def _route(self, route) -> None:
        if route.request.url.startswith(self.base + "/"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open_map(self, label: str) -> None:
        self.page.goto(f"{self.base}/rounds/{label}/")
        # the base map (municipality boundaries) is drawn once the view is fitted
        self.page.wait_for_selector("#map .leaflet-overlay-pane path")
        self.page.wait_for_timeout(300)

    def draw_square(self, x: float, y: float, size: float) -> None:
        """Draw a square (EPSG:3006 corner and size) with Leaflet.draw's polygon tool."""
        corners = [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]
        lon, lat = TO_WGS84.transform(x + size / 2, y + size / 2)
        self.page.evaluate(f"dsMap.setView([{lat}, {lon}], 16, {{animate: false}})")
        self.page.wait_for_timeout(300)
        box = self.page.locator("#map").bounding_box()
        self.page.click(".leaflet-draw-draw-polygon")
        for cx, cy in corners:
            lon, lat = TO_WGS84.transform(cx, cy)
            pt = self.page.evaluate(f"dsMap.latLngToContainerPoint([{lat}, {lon}])")
            self.page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
            self.page.wait_for_timeout(200)
        self.page.screenshot(path=str(ARTIFACTS / "web-drawing.png"))
        self.page.click(".leaflet-draw-actions a:has-text('Finish')")

    def check_clean(self) -> None:
        assert self.blocked == [] and self.errors == []
        assert self.page.evaluate("window.cspViolations") == []


def test_round_walk_in_the_browser(
    browser, live_server, accounts, client_for, new_label, h, web_url
):
    from drugscenes.store import open_workspace

    h.open_round(client_for("coordinator"), new_label)
    for key in ("police_editor", "muni_editor", "coordinator", "viewer"):
        with_password(accounts, key)
    ARTIFACTS.mkdir(exist_ok=True)
    x, y = h.X0 + 4000, h.Y0 + 4000

    for key, dx, name in (("police_editor", 0, "Torget"), ("muni_editor", 150, "Torget K")):
        s = Session(browser, live_server, key)
        s.open_map(new_label)
        s.draw_square(x + dx, y, 300)
        s.page.wait_for_selector("#obs-form:not([hidden])")
        s.page.fill("input[name=name]", name)
        s.page.select_option("select[name=open_sale]", "yes")
        s.page.click("#save")
        s.page.wait_for_selector("#observations li")
        s.page.click("#observations li button:has-text('Skicka in')")
        s.page.wait_for_selector("#observations li:has-text('inskickad')")
        s.page.screenshot(path=str(ARTIFACTS / f"web-{key}.png"))
        s.check_clean()
        s.context.close()

    coord = Session(browser, live_server, "coordinator")
    coord.open_map(new_label)
    place = coord.page.wait_for_selector("#places li.place")
    # 300 × 300 squares 150 m apart: IoU 150·300 / 450·300 = 0.33
    assert "IoU 0.33" in place.inner_text() and "OENIGHET" in place.inner_text()
    coord.page.screenshot(path=str(ARTIFACTS / "web-coordinator-reconcile.png"))
    # the texts map.js builds follow the page's language
    coord.page.goto(f"{live_server}/rounds/{new_label}/?lang=en")
    place = coord.page.wait_for_selector("#places li.place")
    assert "DISAGREEMENT" in place.inner_text() and "one organisation only" in place.inner_text()
    assert coord.page.query_selector("#places button:has-text('Accept Polisen')")
    coord.page.goto(f"{live_server}/rounds/{new_label}/?lang=sv")
    coord.page.wait_for_selector("#places li.place")
    coord.page.click("#places button:has-text('Godkänn Polisen')")
    coord.page.wait_for_selector("#message:has-text('Beslutet är sparat')")
    coord.page.click("#close-round")
    coord.page.wait_for_selector("#message:has-text('1 scener sparade')")
    coord.page.screenshot(path=str(ARTIFACTS / "web-coordinator-closed.png"))
    with open_workspace(web_url) as store:
        stored = store.round_scenes(new_label)
    assert len(stored) == 1 and stored["name"].iloc[0] == "Torget"
    # a next round in which both organisations outline the place again: the scene's page
    # draws their outlines beside the scene
    following = new_label + "n"
    h.open_round(client_for("coordinator"), following)
    for key, dx in (("police_editor", 0), ("muni_editor", 150)):
        h.observe(client_for(key), following, h.square(4000 + dx, 4000, 300))
    # the scene's page: its place across the rounds
    coord.page.goto(f"{live_server}/scenes/{stored['scene_id'].iloc[0]}/")
    assert new_label in coord.page.inner_text("#history")
    # its small map draws the scene from the page's JSON data block
    coord.page.wait_for_selector("#scene-map path.leaflet-interactive")
    assert len(coord.page.query_selector_all("#scene-map path.leaflet-interactive")) >= 3
    legend = coord.page.inner_text("#scene-legend")
    assert "Polisen" in legend and "Stockholms stad" in legend
    coord.page.screenshot(path=str(ARTIFACTS / "web-scene-page.png"), full_page=True)
    coord.check_clean()
    coord.context.close()
    # the police's 300 m square as drawn (pixels at zoom 16 are about a metre)
    from shapely import box

    stored_geom = stored.geometry.iloc[0]
    police, muni = box(x, y, x + 300, y + 300), box(x + 150, y, x + 450, y + 300)
    assert stored_geom.intersection(police).area / stored_geom.union(police).area > 0.99
    assert stored_geom.intersection(muni).area / stored_geom.union(muni).area < 0.4

    viewer = Session(browser, live_server, "viewer")
    viewer.page.goto(f"{live_server}/report/{new_label}/summary")
    assert "1 öppna drogscener" in viewer.page.inner_text("#headline")
    assert "Torget" in viewer.page.inner_text("#scenes")
    viewer.page.screenshot(path=str(ARTIFACTS / "web-viewer-summary.png"), full_page=True)
    # the full report (drugscenes report), served with its own hash-based CSP: its
    # inline scripts run (the map is drawn) and nothing is blocked
    viewer.page.goto(f"{live_server}/report/{new_label}/")
    assert "Torget" in viewer.page.inner_text("body")
    viewer.page.wait_for_timeout(500)
    viewer.page.screenshot(path=str(ARTIFACTS / "web-viewer-report.png"), full_page=False)
    response = viewer.page.goto(f"{live_server}/rounds/{new_label}/")
    assert response is not None and response.status == 403  # the map is not the viewer's
    viewer.check_clean()
