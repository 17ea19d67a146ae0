"""Guided procedures driven through the engine, as a citizen would go through them."""

from __future__ import annotations

import re

import pytest

from bot.messages import OutcomeKind
from handlers.flows.state import FLOW_KEY
from tests.flows.conftest import Chat

REFERENCE = re.compile(r"\b([AR])-20261130-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}\b")


async def applications(chat: Chat) -> list[object]:
    async with chat.store.unit() as unit:
        user = await unit.users.get_or_create("line", chat.user)
        return list(await unit.applications.for_user(user.id))


async def start_bulky(chat: Chat) -> None:
    await chat.say("粗大ごみを申し込みたい")
    assert "ご家庭から出るごみ" in chat.last.text  # type: ignore[union-attr]
    await chat.press("はい")
    await chat.press("いいえ")  # no appliances
    assert "同意" in chat.last.text  # type: ignore[union-attr]
    await chat.press("はい")


async def test_bulky_waste_from_start_to_reference_number(chat: Chat) -> None:
    await start_bulky(chat)
    assert "出したい物を選んでください" in chat.last.text  # type: ignore[union-attr]
    assert "ソファ" in chat.labels()
    assert "戻る" in chat.last.text
    assert "やめる" in chat.last.text
    await chat.say("ソファとベッド")
    assert "何点" in chat.last.text  # the "other items" question is skipped
    await chat.say("たくさん")
    assert "数を数字でお送りください" in chat.last.text  # type: ignore[union-attr]
    assert "例：3" in chat.last.text  # type: ignore[union-attr]
    await chat.say("2")
    await chat.say("札幌市中央区北1条西2丁目")
    assert "旭川市外の住所" in chat.last.text  # type: ignore[union-attr]
    await chat.say("6条通9丁目")
    assert "希望日" in chat.last.text  # type: ignore[union-attr]
    await chat.say("2月30日")
    assert "カレンダーにない" in chat.last.text  # type: ignore[union-attr]
    await chat.say("来週の月曜")
    assert "2026年12月7日（月）として承りました" in chat.last.text  # type: ignore[union-attr]
    await chat.say("旭川 太郎")
    await chat.say("090-12")
    assert "電話番号を読み取れませんでした" in chat.last.text  # type: ignore[union-attr]
    assert "例：090-1234-5678" in chat.last.text  # type: ignore[union-attr]
    assert await applications(chat) == []  # nothing stored before confirmation
    await chat.say("０９０−１２３４−５６７８")
    await chat.press("スキップ")
    summary = chat.last.text  # type: ignore[union-attr]
    for line in (
        "・品目：ソファ、ベッド・マットレス",
        "・点数：2",
        "・収集先の住所：旭川市6条通9丁目",
        "・収集希望日：2026年12月7日（月）",
        "・お名前：旭川 太郎",
        "・電話番号：090-1234-5678",
        "・連絡の時間帯：（なし）",
    ):
        assert line in summary
    assert "その他の品目" not in summary
    assert chat.labels() == ["送信する", "修正する", "やめる"]
    done = await chat.press("送信する")
    assert done.kind is OutcomeKind.ANSWER
    match = REFERENCE.search(done.text)
    assert match is not None
    assert match.group(1) == "A"
    assert "収集日と手数料" in done.text
    assert f"受付番号 {match.group(0)} の状況" in done.text
    [stored] = await applications(chat)
    assert stored.reference == match.group(0)  # type: ignore[attr-defined]
    assert stored.department == "dept.environment"  # type: ignore[attr-defined]
    assert stored.answers["preferred_date"] == "2026-12-07"  # type: ignore[attr-defined]
    assert stored.answers["items"] == ["sofa", "bed"]  # type: ignore[attr-defined]
    assert "旭川 太郎" not in stored.summary  # type: ignore[attr-defined]
    assert FLOW_KEY not in await chat.state()


async def test_other_items_question_is_asked_only_for_other(chat: Chat) -> None:
    await start_bulky(chat)
    await chat.say("その他")
    assert "「その他」の品目" in chat.last.text  # type: ignore[union-attr]
    await chat.say("戻る")
    assert "出したい物を選んでください" in chat.last.text  # type: ignore[union-attr]
    await chat.press("いす")
    assert "何点" in chat.last.text  # type: ignore[union-attr]


async def test_business_waste_is_refused_with_the_other_routes(chat: Chat) -> None:
    await chat.say("粗大ごみを申し込みたい")
    refused = await chat.press("いいえ")  # not household waste
    assert "許可業者" in refused.text
    assert len(refused.choices) == 2  # the other routes, as entries to open
    assert FLOW_KEY not in await chat.state()
    assert await applications(chat) == []


async def test_privacy_refusal_stores_nothing_and_unclear_consent_is_asked_again(
    chat: Chat,
) -> None:
    await chat.say("粗大ごみを申し込みたい")
    await chat.press("はい")
    await chat.press("いいえ")
    unclear = await chat.say("大丈夫です")
    assert "はい」か「いいえ」のどちらか" in unclear.text
    declined = await chat.say("いいえ")
    assert "保存していません" in declined.text
    assert FLOW_KEY not in await chat.state()
    assert await applications(chat) == []


async def fill_snow(chat: Chat, contact: bool) -> None:
    await chat.say("除雪をお願いしたい")
    await chat.press("はい")
    await chat.say("4条西2丁目")
    await chat.press("除雪されていない")
    await chat.say("スキップ")
    await chat.press("スキップ")  # no photo
    await chat.press("はい" if contact else "いいえ")


async def test_a_summary_item_can_be_fixed_and_new_questions_follow(chat: Chat) -> None:
    await fill_snow(chat, contact=False)
    assert "お名前" not in chat.last.text  # no reply wanted: no name asked
    await chat.press("修正する")
    assert "返事の希望" in chat.labels()
    await chat.press("返事の希望")
    await chat.press("はい")
    assert "お名前" in chat.last.text  # type: ignore[union-attr]
    await chat.say("雪野 花子")
    await chat.say("0166-12-3456")
    assert "・返事の希望：はい" in chat.last.text  # type: ignore[union-attr]
    assert "・電話番号：0166-12-3456" in chat.last.text  # type: ignore[union-attr]
    done = await chat.press("送信する")
    match = REFERENCE.search(done.text)
    assert match is not None
    assert match.group(1) == "R"


async def test_back_returns_to_the_previous_question(chat: Chat) -> None:
    await chat.say("除雪をお願いしたい")
    await chat.press("はい")
    await chat.say("4条西2丁目")
    back = await chat.say("戻る")
    assert "場所を教えてください" in back.text
    first = await chat.say("戻る")
    assert "これより前の質問はありません" in first.text


async def test_cancel_drops_the_answers_and_deletes_the_photos(chat: Chat) -> None:
    await chat.say("道路の損傷を通報したい")
    await chat.press("いいえ")  # not a traffic signal
    await chat.press("はい")
    await chat.press("街路灯が消えている・壊れている")
    _, photo_id = await chat.photo()
    async with chat.store.unit() as unit:
        record = await unit.attachments.get(photo_id)
    assert record is not None
    assert chat.files.exists(record.storage_key)
    cancelled = await chat.say("やめる")
    assert "削除しました" in cancelled.text
    assert FLOW_KEY not in await chat.state()
    async with chat.store.unit() as unit:
        assert await unit.attachments.get(photo_id) is None
    assert not chat.files.exists(record.storage_key)


async def test_road_damage_with_photos_and_a_map_location(chat: Chat) -> None:
    await chat.say("街路灯の故障を通報したい")
    await chat.press("いいえ")
    await chat.press("はい")
    await chat.press("カーブミラー")
    first, photo_a = await chat.photo()
    assert "次へ" in [c.label for c in first.choices]
    _, photo_b = await chat.photo()
    await chat.press("次へ")
    assert "場所を教えてください" in chat.last.text  # type: ignore[union-attr]
    outside = await chat.location(35.68, 139.76)
    assert "旭川市の外" in outside.text
    await chat.location(43.7706, 142.3650, address="旭川市6条通9丁目")
    await chat.say("鏡が割れて見えない")
    await chat.press("いいえ")
    assert "・写真：写真 2枚" in chat.last.text  # type: ignore[union-attr]
    assert "・場所：旭川市6条通9丁目" in chat.last.text  # type: ignore[union-attr]
    await chat.press("送信する")
    [stored] = await applications(chat)
    assert stored.answers["photo"] == [photo_a, photo_b]  # type: ignore[attr-defined]
    assert stored.answers["location"]["latitude"] == pytest.approx(43.7706)  # type: ignore[attr-defined]
    async with chat.store.unit() as unit:
        attached = await unit.attachments.for_application(stored.id)  # type: ignore[attr-defined]
    assert [a.id for a in attached] == [photo_a, photo_b]


async def test_a_rejected_photo_is_asked_again_with_the_reason(chat: Chat) -> None:
    from bot.messages import Incoming, Kind

    await chat.say("不法投棄を通報したい")
    await chat.press("はい")
    await chat.say("旭川市神居3条1丁目")
    await chat.say("タイヤ4本")
    rejected = await chat.send(
        Incoming("line", chat.user, kind=Kind.IMAGE, payload={"rejected": "field_photo_size"})
    )
    assert "大きすぎます" in rejected.text
    await chat.press("スキップ")
    await chat.say("きのう")
    assert "2026年11月29日（日）" in chat.last.text  # type: ignore[union-attr]


async def test_an_unrelated_question_is_answered_then_the_flow_continues(chat: Chat) -> None:
    await start_bulky(chat)
    await chat.say("ソファ")
    answered = await chat.say("ごみの収集日はいつですか？")
    assert answered.kind is OutcomeKind.ANSWER
    assert "収集" in answered.text
    assert "手続きの途中" in answered.text
    assert "手続きを続ける" in chat.labels()
    again = await chat.press("手続きを続ける")
    assert "何点" in again.text
    await chat.say("1")
    assert "住所" in chat.last.text  # type: ignore[union-attr]


async def test_an_abandoned_flow_expires_and_its_photos_are_deleted(chat: Chat) -> None:
    await chat.say("道路の損傷を通報したい")
    await chat.press("いいえ")
    await chat.press("はい")
    await chat.press("道路の穴・陥没・段差")
    _, photo_id = await chat.photo()
    chat.clock.advance(minutes=31)
    late = await chat.say("ソファ")
    assert "中止し、途中までの内容は削除しました" in late.text
    assert "もう一度始める" in chat.labels()
    assert FLOW_KEY not in await chat.state()
    async with chat.store.unit() as unit:
        assert await unit.attachments.get(photo_id) is None


async def test_the_sweep_deletes_flows_left_alone(chat: Chat) -> None:
    await start_bulky(chat)
    await chat.say("ソファ")
    assert await chat.engine.sweep_flows() == 0  # still within its time
    chat.clock.advance(minutes=45)
    assert await chat.engine.sweep_flows() == 1
    state = await chat.state()
    assert FLOW_KEY not in state


async def test_dog_registration_asks_only_what_the_change_needs(chat: Chat) -> None:
    await chat.say("犬の死亡届を出したい")
    await chat.press("はい")
    await chat.press("犬が死亡した")
    assert "亡くなった日" in chat.last.text  # type: ignore[union-attr]
    await chat.say("あさって")
    assert "過ぎた日付" not in chat.last.text  # type: ignore[union-attr]
    await chat.say("11月28日")
    await chat.say("ポチ")
    await chat.say("スキップ")
    await chat.say("旭川 次郎")
    await chat.say("08012345678")
    summary = chat.last.text  # type: ignore[union-attr]
    assert "・死亡した日：2026年11月28日（土）" in summary
    assert "新しい住所" not in summary
    assert "・登録番号：（なし）" in summary
    await chat.press("送信する")
    [stored] = await applications(chat)
    assert stored.answers["change"] == "died"  # type: ignore[attr-defined]


async def test_residence_certificate_by_mail_ends_with_a_checklist(chat: Chat) -> None:
    await chat.say("住民票を郵送で請求したい")
    await chat.press("代理人（別の世帯の方など）")
    await chat.press("本人だけ")
    await chat.say("1と2")
    await chat.say("2")
    await chat.press("送信する")
    checklist = chat.last.text  # type: ignore[union-attr]
    assert "通数（2通）" in checklist
    assert "委任状" in checklist
    assert "定額小為替" in checklist
    assert await applications(chat) == []


async def test_konbini_guide_checks_the_card_first(chat: Chat) -> None:
    await chat.say("コンビニで証明書を取りたい")
    refused = await chat.press("いいえ")
    assert "マイナンバーカードが必要" in refused.text
    assert refused.choices
    await chat.say("コンビニで証明書を取りたい")
    await chat.press("はい")
    await chat.press("はい")
    await chat.press("印鑑登録証明書")
    await chat.press("送信する")
    assert "印鑑登録をしているご本人" in chat.last.text  # type: ignore[union-attr]
    assert "戸籍証明書" not in chat.last.text  # type: ignore[union-attr]


async def test_online_form_handover_holds_back_an_unreviewed_link(chat: Chat) -> None:
    outcome = await chat.say("水道の使用開始をネットで申し込みたい")
    assert "インターネット申込フォーム" in outcome.text
    assert "https://" not in outcome.text
    assert FLOW_KEY not in await chat.state()


async def test_a_procedure_answer_offers_to_apply_in_the_chat(chat: Chat) -> None:
    answer = await chat.say("粗大ごみの収集を申し込みたい")
    assert answer.entry_id == "proc.bulky_waste_request"
    assert "このチャットで申し込む" in chat.labels()
    started = await chat.press("このチャットで申し込む")
    assert "ご家庭から出るごみ" in started.text


async def test_asking_for_staff_mid_flow_hands_off_as_a_procedure(chat: Chat) -> None:
    await start_bulky(chat)
    outcome = await chat.say("職員と話したい")
    assert outcome.kind is OutcomeKind.HANDOFF
    assert outcome.extra["reason"] == "procedure"
    assert FLOW_KEY not in await chat.state()


async def test_english_citizen_gets_english_prompts(chat: Chat) -> None:
    await chat.say("Request snow clearing")
    assert "Do you agree" in chat.last.text  # type: ignore[union-attr]
    assert chat.labels() == ["Yes", "No"]


async def test_typed_words_work_like_the_buttons(chat: Chat) -> None:
    await fill_snow(chat, contact=False)
    sent = await chat.say("送信")
    match = REFERENCE.search(sent.text)
    assert match is not None


async def test_a_photo_where_text_is_asked_is_refused(chat: Chat) -> None:
    await chat.say("除雪をお願いしたい")
    await chat.press("はい")
    refused, _ = await chat.photo()
    assert "写真ではなく文字でお答えください" in refused.text
