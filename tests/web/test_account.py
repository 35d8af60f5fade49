"""Users list and revoke their own API tokens and change their password."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, World


def _token(world: World, username: str, password: str = PASSWORD, label: str = "") -> str:
    r = world.client.post("/api/tokens", json={"username": username, "password": password,
                                               "label": label})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def test_a_user_lists_and_revokes_their_own_tokens_only(world: World) -> None:
    phone = _token(world, "plain", label="phone")
    script = {"Authorization": f"Bearer {_token(world, 'plain', label='script')}"}
    mine = world.client.get("/api/tokens", headers=script).json()
    assert [t["label"] for t in mine] == ["phone", "script"] and "token" not in mine[0]
    other = {"Authorization": f"Bearer {_token(world, 'grid')}"}
    assert world.client.delete(f"/api/tokens/{mine[0]['id']}", headers=other).status_code == 404
    assert world.client.delete(f"/api/tokens/{mine[0]['id']}", headers=script).status_code == 204
    assert world.client.get("/api/me", headers={"Authorization": f"Bearer {phone}"}
                            ).status_code == 401


def test_a_user_changes_their_password_with_the_current_one(world: World) -> None:
    headers = {"Authorization": f"Bearer {_token(world, 'plain')}"}
    wrong = world.client.post("/api/me/password", headers=headers,
                              json={"current_password": "nope", "new_password": "x" * 12})
    assert wrong.status_code == 401
    short = world.client.post("/api/me/password", headers=headers,
                              json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and "new_password" in short.text
    ok = world.client.post("/api/me/password", headers=headers,
                           json={"current_password": PASSWORD, "new_password": "a new long one"})
    assert ok.status_code == 204
    assert world.client.post("/api/tokens", json={"username": "plain", "password": PASSWORD}
                             ).status_code == 401
    _token(world, "plain", "a new long one")
