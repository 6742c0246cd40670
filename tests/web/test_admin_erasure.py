"""The admin page that erases a person (docs/data-ownership.md): a confirmation page that says what goes, the
e-mail typed again to confirm (a wrong one erases nothing), then the person and their reps are gone. Only an admin
of the person's organisation; never oneself."""

from __future__ import annotations

from sparring.services.accounts import Accounts
from sparring.store.models import ConversationRow, User
from sparring.testing.web import PASSWORD, World, csrf_of, login


def _person(world: World, email: str) -> tuple[int, int]:
    user = Accounts(world.database).create_user("Acme", email, PASSWORD, role="learner", team="East", name="Rae")
    rep = world.practice.start_rep(user, "cs-renewal-discount", "easy")
    world.practice.submit_turn(rep.id, "What would change for you if the price stayed the same?")
    return user.id, rep.conversation_id


def test_erase_from_the_admin_pages(world: World) -> None:
    user_id, conversation_id = _person(world, "rae@acme.test")
    admin = login(world.app, "admin_a")
    listing = admin.get("/admin/users")
    assert f'href="/admin/users/{user_id}/erase"' in listing.text
    assert f'href="/admin/users/{world.users["admin_a"]}/erase"' not in listing.text  # not oneself
    page = admin.get(f"/admin/users/{user_id}/erase")
    assert page.status_code == 200 and "Erase Rae?" in page.text
    assert "practice reps" in page.text and "lines said in them" in page.text
    token = csrf_of(page.text)
    wrong = admin.post(f"/admin/users/{user_id}/erase", data={"csrf_token": token, "email": "kim@acme.test"})
    assert wrong.status_code == 400 and "nothing was erased" in wrong.text
    with world.database.read() as s:
        assert s.get(User, user_id) is not None and s.get(ConversationRow, conversation_id) is not None
    done = admin.post(f"/admin/users/{user_id}/erase", data={"csrf_token": token, "email": " RAE@acme.test "},
                      follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    with world.database.read() as s:
        assert s.get(User, user_id) is None and s.get(ConversationRow, conversation_id) is None
    assert admin.get(f"/admin/users/{user_id}/erase").status_code == 404


def test_who_may_erase(world: World) -> None:
    user_id, _ = _person(world, "sam@acme.test")
    for key in ("learner_a1", "manager_a"):
        c = login(world.app, key)
        assert c.get(f"/admin/users/{user_id}/erase").status_code == 403
    globex = login(world.app, "admin_b")
    assert globex.get(f"/admin/users/{user_id}/erase").status_code == 404  # another organisation's person
    admin = login(world.app, "admin_a")
    own = admin.get(f"/admin/users/{world.users['admin_a']}/erase", follow_redirects=False)
    assert own.status_code == 303  # back to the list, with the reason in the flash
    token = csrf_of(admin.get("/admin/users").text)
    refused = admin.post(f"/admin/users/{world.users['admin_a']}/erase",
                         data={"csrf_token": token, "email": "admin_a@acme.test"}, follow_redirects=False)
    assert refused.status_code == 303
    with world.database.read() as s:
        assert s.get(User, world.users["admin_a"]) is not None
