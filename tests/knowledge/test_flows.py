"""Guided flows and life events: the shipped ones load, and a broken one is named precisely."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.errors import KnowledgeError
from knowledge.flow_schema import Condition, Flow
from knowledge.flows import FLOWS_DIR, LIFE_EVENTS_DIR, FlowCatalog, load_flows
from knowledge.loader import KnowledgeBase, load_knowledge

SHIPPED_FLOWS = {
    "flow.bulky_waste": "application",
    "flow.snow_removal": "report",
    "flow.road_damage": "report",
    "flow.illegal_dumping": "report",
    "flow.juminhyo_by_mail": "guide",
    "flow.konbini_certificates": "guide",
    "flow.dog_registration_change": "application",
    "flow.water_online_form": "handover",
}
SHIPPED_LIFE_EVENTS = {
    "life.moving",
    "life.birth",
    "life.death",
    "life.marriage",
    "life.employment",
    "life.school_entry",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def catalog(kb: KnowledgeBase) -> FlowCatalog:
    return load_flows(kb=kb)


# --- The shipped data -----------------------------------------------------------------------


def test_every_shipped_flow_and_life_event_loads(catalog: FlowCatalog) -> None:
    assert {f.id: f.kind for f in catalog.flows.values()} == SHIPPED_FLOWS
    assert set(catalog.life_events) == SHIPPED_LIFE_EVENTS


@pytest.mark.parametrize("flow_id", sorted(SHIPPED_FLOWS))
def test_privacy_consent_comes_before_the_first_personal_step(
    catalog: FlowCatalog, flow_id: str
) -> None:
    flow = catalog.flows[flow_id]
    order = flow.asking_order()
    personal = [order.index(s.id) for s in flow.personal_steps()]
    if personal:
        assert "privacy" in order
        assert order.index("privacy") < min(personal)
        assert all(not o.startswith("eligibility:") for o in order[order.index("privacy") :])
    else:
        assert "privacy" not in order  # nothing personal: no consent to ask for


@pytest.mark.parametrize("flow_id", sorted(SHIPPED_FLOWS))
def test_conditional_steps_refer_only_backwards(catalog: FlowCatalog, flow_id: str) -> None:
    ids = [s.id for s in catalog.flows[flow_id].steps]
    for index, step in enumerate(catalog.flows[flow_id].steps):
        if step.when is not None:
            assert ids.index(step.when.step) < index, step.id


@pytest.mark.parametrize("flow_id", sorted(SHIPPED_FLOWS))
def test_city_specific_details_await_review(catalog: FlowCatalog, flow_id: str) -> None:
    assert catalog.flows[flow_id].review


def test_the_online_form_hand_over_collects_nothing_and_its_url_awaits_review(
    catalog: FlowCatalog,
) -> None:
    flow = catalog.flows["flow.water_online_form"]
    assert flow.steps == []
    assert flow.privacy is None
    assert flow.reference_prefix is None
    assert flow.online_form is not None
    assert flow.online_form.url_review
    assert any("URL" in item for item in flow.review)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("粗大ごみを申し込みたい", "flow.bulky_waste"),
        ("粗大ゴミを申し込みたいです。", "flow.bulky_waste"),
        ("除雪をお願いしたい", "flow.snow_removal"),
        ("Report road damage", "flow.road_damage"),
        ("不法投棄を通報したい！", "flow.illegal_dumping"),
        ("住民票を郵送で請求したい", "flow.juminhyo_by_mail"),
        ("コンビニで証明書を取りたい", "flow.konbini_certificates"),
        ("犬の死亡届を出したい", "flow.dog_registration_change"),
        ("水道の使用開始をネットで申し込みたい", "flow.water_online_form"),
        ("引っ越しの手続", "life.moving"),
        ("家族が亡くなったときの手続", "life.death"),
        ("ごみの収集日", None),
    ],
)
def test_a_trigger_phrase_starts_its_flow(
    catalog: FlowCatalog, text: str, expected: str | None
) -> None:
    found = catalog.triggered_by(text)
    assert (found.id if found else None) == expected


def test_each_flow_is_offered_with_its_entry(catalog: FlowCatalog) -> None:
    assert [f.id for f in catalog.flows_for_entry("proc.snow_removal_request")] == [
        "flow.snow_removal"
    ]


# --- Walking a flow -------------------------------------------------------------------------


def walk(flow: Flow, answers: dict[str, object]) -> list[str]:
    """The step ids a citizen is asked, given the answers they will give."""
    asked: list[str] = []
    step = flow.next_step(None, answers)
    while step is not None:
        asked.append(step)
        step = flow.next_step(step, answers)
    return asked


@pytest.mark.parametrize(
    ("flow_id", "answers", "asked"),
    [
        (
            "flow.snow_removal",
            {"contact": False},
            ["location", "problem", "details", "photo", "contact"],
        ),
        (
            "flow.snow_removal",
            {"contact": True},
            ["location", "problem", "details", "photo", "contact", "name", "phone"],
        ),
        (
            "flow.bulky_waste",
            {"items": ["sofa", "other"]},
            [
                "items",
                "items_other",
                "count",
                "address",
                "preferred_date",
                "name",
                "phone",
                "call_time",
            ],
        ),
        (
            "flow.juminhyo_by_mail",
            {"requester": "proxy"},
            ["requester", "scope", "shown", "copies"],
        ),
        (
            "flow.juminhyo_by_mail",
            {"requester": "self", "has_card": True, "route": "konbini"},
            ["requester", "has_card", "route"],
        ),
        (
            "flow.dog_registration_change",
            {"change": "died"},
            ["change", "died_on", "dog_name", "registration_number", "owner_name", "phone"],
        ),
        (
            "flow.dog_registration_change",
            {"change": "moved_out"},
            [
                "change",
                "new_postal_code",
                "new_address_outside",
                "moved_on",
                "dog_name",
                "registration_number",
                "owner_name",
                "phone",
            ],
        ),
    ],
)
def test_conditional_steps_are_asked_only_when_they_apply(
    catalog: FlowCatalog, flow_id: str, answers: dict[str, object], asked: list[str]
) -> None:
    assert walk(catalog.flows[flow_id], answers) == asked


def test_back_skips_the_steps_that_did_not_apply(catalog: FlowCatalog) -> None:
    flow = catalog.flows["flow.juminhyo_by_mail"]
    assert flow.previous_step("scope", {"requester": "proxy"}) == "requester"
    assert flow.previous_step("requester", {"requester": "proxy"}) is None


@pytest.mark.parametrize(
    ("condition", "answers", "holds"),
    [
        ({"step": "contact", "equals": True}, {"contact": True}, True),
        ({"step": "contact", "equals": True}, {}, False),
        ({"step": "count", "equals": 1}, {"count": True}, False),  # yes is not the number 1
        ({"step": "items", "in": ["other"]}, {"items": ["sofa", "other"]}, True),
        ({"step": "route", "not_in": ["konbini"]}, {}, True),  # skipped: not the konbini route
        ({"step": "route", "not_in": ["konbini"]}, {"route": "konbini"}, False),
    ],
)
def test_conditions(condition: dict[str, Any], answers: dict[str, object], holds: bool) -> None:
    assert Condition.model_validate(condition).holds(answers) is holds


def result_for(flow: Flow, answers: dict[str, object]) -> str:
    shown = [i for i in flow.result if i.when is None or i.when.holds(answers)]
    values = {k: str(v) for k, v in answers.items()}
    return "\n".join(i.text.ja.format(**values) for i in shown)


def test_the_mail_request_ends_with_a_checklist_of_what_to_send(catalog: FlowCatalog) -> None:
    flow = catalog.flows["flow.juminhyo_by_mail"]
    answers: dict[str, object] = {
        "requester": "proxy",
        "scope": "one_person",
        "shown": ["my_number"],
        "copies": 2,
    }
    text = result_for(flow, answers)
    for needed in ("請求書", "本人確認書類の写し", "定額小為替（2通分", "返信用封筒", "委任状"):
        assert needed in text
    assert "住民登録地の住所にのみ送付" in text
    assert "コンビニエンスストアのマルチコピー機" not in text


def test_a_card_holder_is_sent_to_the_convenience_store(catalog: FlowCatalog) -> None:
    flow = catalog.flows["flow.juminhyo_by_mail"]
    text = result_for(flow, {"requester": "self", "has_card": True, "route": "konbini"})
    assert "コンビニエンスストア" in text
    assert "定額小為替" not in text


def test_not_eligible_for_the_convenience_store_is_told_the_other_routes(
    catalog: FlowCatalog,
) -> None:
    card = catalog.flows["flow.konbini_certificates"].eligibility[0]
    assert card.continue_if is True
    assert "郵送" in card.not_eligible.ja
    assert "窓口" in card.not_eligible.ja
    assert {"proc.juminhyo_by_mail", "faq.registry.juminhyo_counter"} <= set(card.other_routes)


# --- Life events ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_id", "answers", "counters", "not_listed"),
    [
        (
            "life.moving",
            {"direction": "moving_in", "nhi": True, "school": True, "dog": True},
            ["dept.citizen", "dept.insurance", "dept.education", "dept.health"],
            {"moving_out_notice", "nhi_leave"},
        ),
        (
            "life.moving",
            {"direction": "moving_out", "nhi": True, "dog": True},
            [],  # moving out needs no visit
            {"moving_in_notice", "nhi_join"},
        ),
        (
            "life.death",
            {"insurance": "nhi", "care": True, "householder": False},
            ["dept.citizen", "dept.insurance", "dept.elderly"],
            {"householder_change", "late_elderly_leave", "employee_insurance"},
        ),
        ("life.birth", {"nhi": False}, ["dept.citizen"], {"nhi_join"}),
    ],
)
def test_a_life_event_plans_one_visit_with_counters_in_order(
    catalog: FlowCatalog,
    event_id: str,
    answers: dict[str, object],
    counters: list[str],
    not_listed: set[str],
) -> None:
    event = catalog.life_events[event_id]
    plan = event.visit_plan(answers)
    visited = list(dict.fromkeys(i.department for i in plan))
    assert visited == counters
    assert not_listed.isdisjoint(i.id for i in event.applicable(answers))


@pytest.mark.parametrize("event_id", sorted(SHIPPED_LIFE_EVENTS))
def test_every_life_event_says_how_or_what_to_bring(catalog: FlowCatalog, event_id: str) -> None:
    event = catalog.life_events[event_id]
    assert event.review
    for item in event.items:
        assert (item.how if item.without_visit else item.bring) is not None, item.id


# --- A broken copy names file, flow, step and field -----------------------------------------


@pytest.fixture
def copy_dirs(tmp_path: Path) -> tuple[Path, Path]:
    flows, events = tmp_path / "flows", tmp_path / "life_events"
    shutil.copytree(FLOWS_DIR, flows)
    shutil.copytree(LIFE_EVENTS_DIR, events)
    return flows, events


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["flow"] if "flow" in data else data["life_event"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(dirs: tuple[Path, Path], kb: KnowledgeBase) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_flows(*dirs, kb=kb)
    return [str(p) for p in caught.value.problems]


def step(flow: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in flow["steps"] if s["id"] == step_id)
    return found


def item(event: dict[str, Any], item_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in event["items"] if i["id"] == item_id)
    return found


Change = Callable[[dict[str, Any]], None]

BROKEN: list[tuple[str, Change, str]] = [
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "name").update(when={"step": "phone", "equals": True}),
        "field steps[name].when.step: refers to itself or a later step 'phone'",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "name").update(when={"step": "contcat", "equals": True}),
        "field steps[name].when.step: refers to an unknown step 'contcat'",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: step(f, "items_other").update(when={"step": "items", "in": ["others"]}),
        "field steps[items_other].when: 'others' is not a possible answer of 'items' (choice)",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "phone").update(when={"step": "contact", "equals": "yes"}),
        "field steps[phone].when: 'yes' is not a possible answer of 'contact' (yes_no)",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "phone").update(when={"step": "details", "equals": "x"}),
        "field steps[phone].when.step: a condition cannot test a text step 'details'",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "problem").update(options=[]),
        "field steps[problem]: Value error, a choice step needs 'options' (at least one)",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "name")["prompt"].pop("en"),
        "field steps[name].prompt.en: Field required",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: step(f, "items")["options"][1]["label"].update(ja=""),
        "field steps[items].options[bed].label.ja: String should have at least 1 character",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: step(f, "phone").update(id="name"),
        "field steps[name].id: duplicate id in this flow",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: f.update(entry_id="proc.bulky_waste"),
        "field entry_id: unknown entry 'proc.bulky_waste'",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: f.update(department="dept.garbage"),
        "field department: unknown department 'dept.garbage'",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: f.update(department="proc.bulky_waste_request"),
        "field department: unknown department 'proc.bulky_waste_request'",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: f["eligibility"][0].update(other_routes=["faq.environment.nope"]),
        "field eligibility[household].other_routes.0: unknown entry 'faq.environment.nope'",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: f.pop("privacy"),
        "field (flow): Value error, a flow with personal steps needs a 'privacy' notice "
        "(asked before step one)",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: step(f, "phone").update(personal=False),
        "field steps[phone]: Value error, a phone step collects personal data: "
        "set 'personal: true'",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: step(f, "name").update(validation={"weekdays_only": True}),
        "field steps[name]: Value error, validation weekdays_only does not apply to a name step",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: step(f, "preferred_date").update(
            validation={"min_days_ahead": 10, "max_days_ahead": 3}
        ),
        "field steps[preferred_date].validation: Value error, "
        "min_days_ahead (10) is greater than max_days_ahead (3)",
    ),
    (
        "flows/bulky_waste.yaml",
        lambda f: f.pop("reference_prefix"),
        "field (flow): Value error, a flow of kind 'application' needs 'reference_prefix'",
    ),
    (
        "flows/konbini_certificates.yaml",
        lambda f: f["steps"].append(
            {
                "id": "name",
                "type": "text",
                "personal": True,
                "prompt": {"ja": "お名前", "en": "Name"},
                "summary_label": {"ja": "お名前", "en": "Name"},
            }
        ),
        "field (flow): Value error, a flow of kind 'guide' stores nothing: it must not ask for "
        "personal data",
    ),
    (
        "flows/juminhyo_by_mail.yaml",
        lambda f: f["result"][1].update(when={"step": "requester", "equals": "proxy"}),
        "field result.1: placeholder {copies} may be unanswered when this text is shown",
    ),
    (
        "flows/juminhyo_by_mail.yaml",
        lambda f: f["result"][4]["text"].update(ja="{envelopes}通"),
        "field result.4: placeholder {envelopes} is not a step of this flow",
    ),
    (
        "flows/juminhyo_by_mail.yaml",
        lambda f: f["result"][2]["text"].pop("en"),
        "field result.2.text.en: Field required",
    ),
    (
        "flows/water_online_form.yaml",
        lambda f: f["online_form"].update(url_review=False),
        "field online_form.url: a placeholder URL needs 'url_review: true'",
    ),
    (
        "flows/water_online_form.yaml",
        lambda f: f.update(review=["申込の締切"]),
        "field review: online_form.url awaits review: list the form's URL under 'review'",
    ),
    (
        "flows/water_online_form.yaml",
        lambda f: f["online_form"].update(url="http://www.example.com/form"),
        "field online_form.url: String should match pattern '^https://\\S+$'",
    ),
    (
        "flows/snow_removal.yaml",
        lambda f: f["triggers"].append("粗大ごみを申し込みたい"),
        "field triggers.5: '粗大ごみを申し込みたい' already starts flow.bulky_waste",
    ),
    (
        "life_events/moving.yaml",
        lambda e: item(e, "nhi_join")["applies_when"][1].update(step="insurance"),
        "field items[nhi_join].applies_when.1.step: unknown question 'insurance'",
    ),
    (
        "life_events/moving.yaml",
        lambda e: item(e, "nhi_join")["applies_when"][0].update(equals="moving_inn"),
        "field items[nhi_join].applies_when.0: 'moving_inn' is not a possible answer of "
        "'direction'",
    ),
    (
        "life_events/moving.yaml",
        lambda e: item(e, "nhi_join").update(visit_order=1),
        "field items[nhi_join].visit_order: 1 is already the counter of dept.citizen; "
        "one number is one counter",
    ),
    (
        "life_events/moving.yaml",
        lambda e: item(e, "nhi_join").pop("bring"),
        "field items[nhi_join]: Value error, an item that needs a visit needs 'bring'",
    ),
    (
        "life_events/moving.yaml",
        lambda e: item(e, "water").update(entry_id="proc.water"),
        "field items[water].entry_id: unknown entry 'proc.water'",
    ),
    (
        "life_events/marriage.yaml",
        lambda e: e.update(related_events=["life.moved"]),
        "field related_events: unknown 'life.moved'",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    BROKEN,
    ids=[expected.split(":")[0] for _, _, expected in BROKEN],
)
def test_a_broken_copy_is_named_precisely(
    copy_dirs: tuple[Path, Path], kb: KnowledgeBase, file: str, change: Change, expected: str
) -> None:
    edit(copy_dirs[0].parent / file, change)
    name = yaml.safe_load((copy_dirs[0].parent / file).read_text(encoding="utf-8"))
    item_id = (name.get("flow") or name.get("life_event"))["id"]
    assert problems_of(copy_dirs, kb) == [f"{file} entry {item_id} {expected}"]


def test_a_duplicate_flow_id_names_both_files(
    copy_dirs: tuple[Path, Path], kb: KnowledgeBase
) -> None:
    flows = copy_dirs[0]
    shutil.copy(flows / "bulky_waste.yaml", flows / "zz_copy.yaml")
    assert problems_of(copy_dirs, kb) == [
        "flows/zz_copy.yaml entry flow.bulky_waste field id: "
        "duplicate id (also in flows/bulky_waste.yaml)"
    ]


def test_broken_yaml_names_the_file_and_hides_nothing_else(
    copy_dirs: tuple[Path, Path], kb: KnowledgeBase
) -> None:
    (copy_dirs[0] / "broken.yaml").write_text("flow: {id: flow.x", encoding="utf-8")
    edit(copy_dirs[0] / "snow_removal.yaml", lambda f: f.update(department="dept.nope"))
    found = problems_of(copy_dirs, kb)
    assert len(found) == 2
    assert found[0].startswith("flows/broken.yaml: not valid YAML")
    assert found[1] == (
        "flows/snow_removal.yaml entry flow.snow_removal field department: "
        "unknown department 'dept.nope'"
    )
