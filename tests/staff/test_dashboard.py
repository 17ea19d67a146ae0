"""The staff dashboard: the published figures per department, for signed-in staff only."""

from __future__ import annotations

import re

from tests.staff.conftest import SNOW, Console


async def test_anyone_gets_the_published_results_but_not_the_dashboard(console: Console) -> None:
    anonymous = console.client()

    for path in ("/stats", "/stats.json", "/stats.csv", "/stats/stats.css"):
        response = await anonymous.get(path)
        assert response.status_code == 200, path
    page = await anonymous.get("/stats")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="ja">' in page.text
    dashboard = await anonymous.get("/staff/dashboard")
    assert dashboard.status_code == 303
    assert dashboard.headers["location"] == "/staff/login?next=/staff/dashboard"
    filtered = await anonymous.get("/staff/dashboard?department=dept.roads")
    assert filtered.status_code == 303


async def test_staff_see_small_counts_per_department_without_free_text(console: Console) -> None:
    await console.add_staff("tanaka")
    await console.citizen_asks_for_staff(SNOW, "私の電話番号は090-1234-5678です")
    clerk = await console.login("tanaka")

    home = await clerk.get("/staff/")
    assert 'href="/staff/dashboard"' in home.text
    page = await clerk.get("/staff/dashboard?department=dept.roads")
    assert page.status_code == 200
    assert "090-1234-5678" not in page.text
    assert "私の電話番号" not in page.text
    # one snow question answered, one hand-off: small counts are shown to staff
    month = re.search(r'data-table="questions_by_month".*?</table>', page.text, re.S)
    assert month is not None
    last_row = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", month.group(0), re.S)[-1]
    assert re.findall(r'data-unit="count">(\d+)</td>', last_row)[:2] == ["2", "1"]
    assert 'data-table="unanswered_by_week"' in page.text
    assert '<option value="dept.roads" selected>' in page.text
