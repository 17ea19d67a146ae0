"""The staff console's routes, all under ``/staff``.

    GET  /staff/login, POST /staff/login, POST /staff/logout
    GET  /staff/                         queue (tabs open / mine / waiting / resolved, filters)
    GET  /staff/api/queue                the same as JSON (the page re-fetches it on each event)
    GET  /staff/events                   server-sent events
    GET  /staff/escalations/{id}         conversation page; /staff/api/escalations/{id} as JSON
    GET  /staff/api/escalations/{id}/canned?q=   canned replies from the knowledge base
    POST /staff/escalations/{id}/{assign|transfer|note|reply|resolve|hand-back|reopen|draft}
    GET  /staff/audit                    audit log (admin only; 404 for everyone else)
    GET  /staff/knowledge…, /staff/knowledge/unanswered   the knowledge loop (knowledge_pages.py)
    GET  /staff/knowledge/flows?q=       guided procedures' texts, searchable (flow_texts.py)
    GET  /staff/applications, /staff/applications/{id}, /staff/applications.csv
    POST /staff/applications/{id}/{status|note};  GET /staff/attachments/{token}
    GET  /staff/notices, /staff/notices/{id};  POST /staff/notices[/preview|/{id}/approve|cancel]

Everything except the login form and the static files needs a signed-in member of staff;
every POST needs the session's CSRF token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff import (
    actions,
    application_export,
    applications,
    flow_texts,
    inquiry_pages,
    knowledge_pages,
    login,
    notices,
    pages,
)
from bot.staff.events import events
from bot.staff.http import console, redirect, static

_ESC = "/staff/escalations/{escalation_id:int}"
_APP = "/staff/applications/{application_id:int}"
_KB = "/staff/knowledge/entry/{entry_id}"
_NOTICE = "/staff/notices/{notice_id:int}"


async def _root(request: Request) -> Response:
    return redirect("/staff/")


ROUTES: list[BaseRoute] = [
    Route("/staff", _root, methods=["GET"]),
    Route("/staff/login", login.login_page, methods=["GET"]),
    Route("/staff/login", login.login_submit, methods=["POST"]),
    Route("/staff/static/{name}", static, methods=["GET"]),
    Route("/staff/logout", console(login.logout), methods=["POST"]),
    Route("/staff/", console(pages.queue_page), methods=["GET"]),
    Route("/staff/api/queue", console(pages.queue_api), methods=["GET"]),
    Route("/staff/events", console(events), methods=["GET"]),
    Route(_ESC, console(pages.escalation_page), methods=["GET"]),
    Route(
        "/staff/api/escalations/{escalation_id:int}",
        console(pages.escalation_api),
        methods=["GET"],
    ),
    Route(
        "/staff/api/escalations/{escalation_id:int}/canned",
        console(pages.canned_api),
        methods=["GET"],
    ),
    Route(f"{_ESC}/assign", console(actions.assign), methods=["POST"]),
    Route(f"{_ESC}/transfer", console(actions.transfer), methods=["POST"]),
    Route(f"{_ESC}/note", console(actions.note), methods=["POST"]),
    Route(f"{_ESC}/reply", console(actions.reply), methods=["POST"]),
    Route(f"{_ESC}/resolve", console(actions.resolve), methods=["POST"]),
    Route(f"{_ESC}/hand-back", console(actions.hand_back), methods=["POST"]),
    Route(f"{_ESC}/reopen", console(actions.reopen), methods=["POST"]),
    Route(f"{_ESC}/draft", console(actions.draft), methods=["POST"]),
    Route("/staff/audit", console(pages.audit_page, admin=True), methods=["GET"]),
    Route("/staff/applications", console(applications.list_page), methods=["GET"]),
    Route("/staff/applications.csv", console(application_export.export), methods=["GET"]),
    Route(_APP, console(applications.detail_page), methods=["GET"]),
    Route(f"{_APP}/status", console(applications.change_status), methods=["POST"]),
    Route(f"{_APP}/note", console(applications.add_note), methods=["POST"]),
    Route("/staff/attachments/{token}", console(applications.attachment), methods=["GET"]),
    Route("/staff/knowledge", console(knowledge_pages.index), methods=["GET"]),
    Route("/staff/knowledge/flows", console(flow_texts.flows_page), methods=["GET"]),
    Route("/staff/knowledge/new", console(knowledge_pages.new_page), methods=["GET"]),
    Route("/staff/knowledge/new", console(knowledge_pages.create), methods=["POST"]),
    Route(_KB, console(knowledge_pages.entry_page), methods=["GET"]),
    Route(_KB, console(knowledge_pages.publish), methods=["POST"]),
    Route(f"{_KB}/review", console(knowledge_pages.review), methods=["POST"]),
    Route(f"{_KB}/revert", console(knowledge_pages.revert), methods=["POST"]),
    Route(f"{_KB}/conflict", console(knowledge_pages.conflict), methods=["POST"]),
    Route("/staff/knowledge/unanswered", console(inquiry_pages.unanswered), methods=["GET"]),
    Route("/staff/knowledge/unanswered", console(inquiry_pages.act), methods=["POST"]),
    Route("/staff/notices", console(notices.list_page), methods=["GET"]),
    Route("/staff/notices", console(notices.create), methods=["POST"]),
    Route("/staff/notices/preview", console(notices.preview), methods=["POST"]),
    Route(_NOTICE, console(notices.detail_page), methods=["GET"]),
    Route(f"{_NOTICE}/approve", console(notices.approve), methods=["POST"]),
    Route(f"{_NOTICE}/cancel", console(notices.cancel), methods=["POST"]),
    Route("/staff/api/notices/{notice_id:int}", console(notices.progress_api), methods=["GET"]),
]

PUBLIC = {"/staff", "/staff/login", "/staff/static/{name}"}  # reachable without signing in
