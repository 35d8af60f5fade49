"""Sign-in, sign-out, CSRF, throttling, tokens and authorization through the HTTP interface."""

from rescity.core import audit
from rescity.core.audit import AuditKind
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def test_health_reports_the_backend(world) -> None:
    body = world.client.get("/health").json()
    assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")


def test_signing_in_shows_the_user_and_their_roles(world) -> None:
    response = sign_in(world.client, "grid")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "HttpOnly" in response.headers["set-cookie"]
    page = world.client.get("/").text
    assert 'id="welcome"' in page and "Grid" in page and "网格员" in page


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(world) -> None:
    wrong = sign_in(world.client, "grid", "not the password")
    unknown = sign_in(world.client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text


def test_empty_or_oversized_login_input_gets_a_clear_answer_not_a_traceback(world) -> None:
    token = csrf_of(world.client.get("/login").text)
    empty = world.client.post("/login", data={"username": " ", "password": "", "csrf_token": token})
    assert empty.status_code == 422 and "请输入用户名和密码" in empty.text
    huge = world.client.post(
        "/login", data={"username": "x" * 5000, "password": "y", "csrf_token": token}
    )
    # A form post gets a page naming the field (issue 15: never raw JSON for a form) ...
    assert huge.status_code == 422 and "text/html" in huge.headers["content-type"]
    assert 'id="error-problems"' in huge.text and "username" in huge.text
    # ... and JSON only when it asks for JSON.
    asked = world.client.post("/login", headers={"accept": "application/json"},
                              data={"username": "x" * 5000, "password": "y", "csrf_token": token})
    assert asked.status_code == 422 and "username" in asked.json()["problems"][0]["where"]


def test_a_post_without_the_csrf_token_is_refused(world) -> None:
    no_token = world.client.post("/login", data={"username": "grid", "password": PASSWORD})
    assert no_token.status_code == 403
    sign_in(world.client, "grid")
    assert world.client.post("/logout").status_code == 403
    page = world.client.get("/").text
    out = world.client.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/?signed_out=1"
    assert 'id="welcome"' not in world.client.get("/").text


def test_repeated_failures_are_throttled(world) -> None:
    for _ in range(world.settings.login_max_failures):
        assert sign_in(world.client, "grid", "wrong-wrong").status_code == 401
    throttled = sign_in(world.client, "grid", PASSWORD)  # even the right password now waits
    assert throttled.status_code == 429 and "秒后重试" in throttled.text


def test_failed_and_successful_sign_ins_are_audited(world, session_factory) -> None:
    sign_in(world.client, "grid", "wrong-wrong")
    sign_in(world.client, "grid")
    with session_factory() as session:
        actions = [e.action for e in audit.query(session, kind=AuditKind.AUTH)]
    assert actions == ["auth.login", "auth.login_failed"]


def test_api_tokens_work_and_bad_ones_are_refused(world) -> None:
    bad = world.client.post("/api/tokens", json={"username": "admin", "password": "nope"})
    assert bad.status_code == 401
    ok = world.client.post("/api/tokens", json={"username": "admin", "password": PASSWORD})
    token = ok.json()["token"]
    me = world.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "admin" and me["grants"][0]["role"] == "city_admin"
    forged = world.client.get("/api/me", headers={"Authorization": "Bearer rc_forged"})
    assert forged.status_code == 401 and forged.json()["error"] == "AuthenticationRequired"


def test_malformed_api_bodies_name_the_field(world) -> None:
    response = world.client.post("/api/tokens", json={"username": "admin"})
    assert response.status_code == 422
    assert any(p["where"] == "body.password" for p in response.json()["problems"])


def test_the_audit_log_is_for_admins_only(world) -> None:
    def token_for(name: str) -> dict[str, str]:
        body = {"username": name, "password": PASSWORD}
        return {
            "Authorization": "Bearer " + world.client.post("/api/tokens", json=body).json()["token"]
        }

    assert world.client.get("/api/audit").status_code == 401
    assert world.client.get("/api/audit", headers=token_for("grid")).status_code == 403
    rows = world.client.get("/api/audit", headers=token_for("admin")).json()
    assert {r["action"] for r in rows} == {"auth.token_issued"}
    sign_in(world.client, "grid")
    assert world.client.get("/admin/audit", headers={"accept": "text/html"}).status_code == 403


def test_pages_that_need_a_user_send_visitors_to_sign_in(world) -> None:
    response = world.client.get(
        "/admin/audit", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert (
        response.status_code == 303 and response.headers["location"] == "/login?next=/admin/audit"
    )


def test_the_language_switch_changes_the_page_and_refuses_foreign_redirects(world) -> None:
    assert "登录" in world.client.get("/login").text
    switched = world.client.get("/lang/en?next=//evil.example/", follow_redirects=False)
    assert switched.headers["location"] == "/"
    world.client.get("/lang/en")
    assert "Sign in" in world.client.get("/login").text


def test_security_headers_are_set(world) -> None:
    headers = world.client.get("/login").headers
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]


def test_only_pages_with_openstreetmap_data_carry_its_attribution(world) -> None:
    sign_in(world.client, "admin")
    # the assessment runs on OpenStreetMap extracts: attributed, in the page's language
    assess = world.client.get("/assess")
    assert assess.status_code == 200
    assert 'id="osm-attribution"' in assess.text and "OpenStreetMap 贡献者（ODbL）" in assess.text
    # the community and places maps draw the office's own boundaries, the knowledge map
    # GeoNames points: no OpenStreetMap data, no claim that there is
    for path in ("/", "/admin/places", "/community/map", "/community/cases/new", "/kb/map",
                 "/kb", "/account"):
        page = world.client.get(path)
        assert page.status_code == 200, path
        assert "osm-attribution" not in page.text and "OpenStreetMap" not in page.text, path
