"""Every page a role can use is reachable by following links from the home page.

The pages a role can use are worked out from the app itself, so a page added later is
checked as soon as its router is registered:

- a page route guarded by ``allow("action")`` is for every role whose rules in
  ``permissions.toml`` list that action;
- a page route without it (any signed-in user may open it; the page shows what the user may
  see) says in :data:`USES` which action makes it useful to a role (``own:`` for an action
  the role holds on its own records only, as a resident on their household; ``module:``
  for any action of a module);
- a page that needs an id in its path (a case, a resident) is listed in :data:`DETAIL_PAGES`
  with the reason, and :data:`NOT_LINKED` holds the few pages reached from outside the
  navigation.

A page route in none of these fails the test, naming it: give it ``allow("action")``, or a
row here.
"""

from __future__ import annotations

import json
import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from rescity.cli.demo import seed_demo
from rescity.cli.modules import demo_loaders
from rescity.core.accounts import RoleGrant, User
from rescity.core.config import Settings
from rescity.core.demo_logins import logins_file
from rescity.core.security.policy import rules
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.routes import app_routes
from tests.web.conftest import sign_in

# Not pages: JSON, feeds, files and the documentation of the API.
NOT_PAGES = ("/api/", "/open311/", "/static/", "/docs", "/redoc", "/openapi.json", "/health")

# Pages any signed-in user may open, and the action that makes each worth a link for a role.
USES: dict[str, str] = {
    "/": "",  # "" = every signed-in user
    "/notifications": "",
    "/account": "",  # one's own password and API tokens
    "/kb": "",
    "/kb/compare": "",
    "/kb/events": "",
    "/kb/events.ics": "",  # a calendar file, linked from the events page
    "/kb/map": "",
    "/kb/mine": "",  # one's own submissions
    "/kb/plans": "",
    "/kb/plans/new": "knowledge.plan.update",
    "/kb/taxonomies": "",
    "/community/control": "community.control.read",
    "/community/dashboard": "community.dashboard.read",
    "/outbreak/chain": "community.outbreak.case.read",
    "/community": "module:community",  # the community hub: anyone with a community action
    "/community/me": "own:community.resident.read",
    "/community/checkin": "own:community.checkin.create",
    "/community/cases": "community.case.read",
    "/community/cases/new": "community.case.create",
    "/community/help": "community.help.read",
    "/community/help/offers": "own:community.help.accept",  # volunteers
    "/trace": "own:community.resident.read",  # venues' QR codes open it; residents see it too
    "/community/supplies": "community.supplies.read",
    "/community/residents/import": "scoped:community.resident.create",  # office staff
    "/community/residents/export.xlsx": "scoped:community.resident.read",  # from the import page
    "/community/volunteers": "community.volunteer.list",  # find and vet volunteers
    "/community/volunteers/signup": "own:community.resident.read",  # residents volunteer
    "/community/map": "scoped:community.case.read",  # staff map of cases, help and alerts
}

# Pages that need an id in the path: reached from a list, not from the navigation.
DETAIL_PAGES: dict[str, str] = {
    "/community/cases/{case_id}": "one work order: linked from the case list and from alerts",
    "/community/cases/{case_id}/photos/{photo_id}": "one photo of a case: from the case page",
    "/community/residents/{resident_id}": "one resident: linked from alerts and sensors",
    "/community/supplies/rounds/{round_id}": "one distribution round: from the supplies page",
    "/community/supplies/rounds/{round_id}/report.csv": "a download of one round",
    "/community/tracing/venues/{venue_id}/poster": "one venue's QR poster, to print",
    "/kb/initiatives/{key}": "one initiative: linked from search results",
    "/kb/initiatives/{key}/edit": "editing one initiative: from its page",
    "/kb/cities/{key}": "one city: linked from initiatives and the map",
    "/kb/plans/{plan_id}": "one action plan: from the plan list",
    "/admin/users/{username}": "one user's roles, tokens and sessions: from the people list",
    "/lang/{code}": "switches the language and goes back (linked on every page)",
}

# Pages reached from outside the navigation, with the reason.
NOT_LINKED: dict[str, str] = {
    "/login": "the sign-in page (linked when signed out)",
    "/community/join": "self-registration: opened from the community's QR code",
    "/admin/places.geojson": "the boundaries the places page's map fetches with JavaScript",
    "/community/places.geojson": "the boundaries the staff map and location picker fetch",
}

PAGE_LIMIT = 300
PER_ROUTE = 3


def _page_routes(app: Any) -> dict[str, APIRoute]:
    """The GET routes of pages, by path."""
    return {path: r for path, r in app_routes(app.routes)
            if "GET" in r.methods and not path.startswith(NOT_PAGES)}


def _action_of(route: APIRoute) -> str | None:
    """The action an ``allow()`` dependency of the route checks, if any."""
    todo = list(route.dependant.dependencies)
    while todo:
        dep = todo.pop()
        action = getattr(dep.call, "action", None)
        if isinstance(action, str):
            return action
        todo.extend(dep.dependencies)
    return None


def _matches(patterns: set[str], action: str) -> bool:
    return any(p == "*" or p == action or (p.endswith(".*") and action.startswith(p[:-1]))
               for p in patterns)


def _role_uses(roles: set[str], need: str) -> bool:
    """Whether a user with ``roles`` can use a page needing ``need``: an action (scoped or
    own), ``own:action``, ``scoped:action`` (what allow() checks: no record, so no owner),
    ``module:name`` or "" (every signed-in user)."""
    table = rules()
    if need == "" or _matches(table["authenticated"].scoped, need.split(":")[-1]):
        return True
    if need.startswith("module:"):
        module = need.removeprefix("module:") + "."
        return any(p == "*" or p.startswith(module) for role in roles
                   if (r := table.get(role)) is not None for p in r.scoped | r.own)
    kind, _, action = need.rpartition(":")
    for role in roles:
        r = table.get(role)
        if r is None:
            continue
        if kind != "scoped" and _matches(r.own, action):
            return True
        if kind != "own" and _matches(r.scoped, action):
            return True
    return False


def _need(path: str, route: APIRoute) -> str:
    action = _action_of(route)
    return f"scoped:{action}" if action else USES.get(path, "")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _crawl(client: TestClient, patterns: list[re.Pattern[str]]) -> set[str]:
    """Paths of the pages (and linked files) reached by following same-origin GET links
    from ``/``, breadth first. At most :data:`PER_ROUTE` addresses of one route are opened
    (one initiative, a second page of results), so a long list costs a few requests."""
    seen_urls: set[str] = set()
    per_route: dict[str, int] = {}
    reached: set[str] = set()
    queue = deque(["/"])
    while queue and len(seen_urls) < PAGE_LIMIT:
        url = queue.popleft()
        if url in seen_urls:
            continue
        path = urlsplit(url).path
        route = next((p.pattern for p in patterns if p.match(path)), path)
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        seen_urls.add(url)
        response = client.get(url, headers={"accept": "text/html"})
        if response.status_code != 200:
            continue
        reached.add(path)  # a linked file (calendar, CSV) counts as reached
        if "text/html" not in response.headers["content-type"]:
            continue
        parser = _Links()
        parser.feed(response.text)
        for href in parser.hrefs:
            target = urlsplit(urljoin("http://testserver" + url, href))
            if target.netloc != "testserver" or target.scheme not in ("http", "https"):
                continue  # tel:, another site
            if target.path.startswith(("/lang/", "/logout", *NOT_PAGES)):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen_urls:
                queue.append(link)
    assert not queue, f"more than {PAGE_LIMIT} addresses to open: raise PAGE_LIMIT"
    return reached


def _route_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


@pytest.fixture
def demo_app(settings: Settings, session_factory: Any, engine: Any) -> Any:
    seed_demo(session_factory, settings)
    for _name, loader in demo_loaders():
        loader(settings, session_factory)
    return create_app(settings, engine=engine)


def test_every_page_route_says_who_uses_it(sqlite_engine: Any, tmp_path: Any) -> None:
    settings = Settings(environment="test", data_dir=tmp_path,
                        database_url=f"sqlite:///{tmp_path / 'one.sqlite3'}",
                        secret_key="test-secret-" + "x" * 32)
    app = create_app(settings, engine=sqlite_engine)
    unsaid = []
    pages = _page_routes(app)
    assert len(pages) > 20, "the route walk no longer finds the pages"
    for path, route in pages.items():
        if "{" in path:
            if path not in DETAIL_PAGES:
                unsaid.append(f"{path}: needs an id; add it to DETAIL_PAGES with why")
        elif path not in NOT_LINKED and path not in USES and not _action_of(route):
            unsaid.append(f"{path}: guard it with allow(action) or add it to USES")
    assert unsaid == []
    stale = [p for p in [*USES, *DETAIL_PAGES, *NOT_LINKED] if p not in pages]
    assert stale == [], "rows for pages that no longer exist"


def test_every_demo_role_reaches_every_page_it_can_use(
    demo_app: Any, settings: Settings, session_factory: Any,
) -> None:
    logins: dict[str, str] = json.loads(logins_file(settings).read_text("utf-8"))
    with UnitOfWork(session_factory) as uow:
        roles: dict[str, set[str]] = {}
        for username, role in uow.session.execute(
            select(User.username, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == User.id)
        ):
            roles.setdefault(username, set()).add(role)
    assert {"admin", "grid1", "health", "office", "resident1", "volunteer1"} <= set(logins), (
        "the demo logins changed")
    pages = {path: r for path, r in _page_routes(demo_app).items()
             if "{" not in path and path not in NOT_LINKED}
    patterns = [_route_regex(p) for p in _page_routes(demo_app)]
    unreachable: dict[str, list[str]] = {}
    for username, password in sorted(logins.items()):
        with TestClient(demo_app) as client:
            assert sign_in(client, username, password).status_code == 303
            reached = _crawl(client, patterns)
        mine = roles.get(username, set())
        needed = [path for path, r in pages.items()
                  if _role_uses(mine, _need(path, r))]
        missing = [p for p in needed if not any(_route_regex(p).match(x) for x in reached)]
        if missing:
            unreachable[f"{username} ({', '.join(sorted(mine)) or 'no role'})"] = missing
    assert not unreachable, json.dumps(unreachable, indent=1, ensure_ascii=False)
