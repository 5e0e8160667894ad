"""The interaction models and the manifest: generated from one source, consistent with the knowledge and the
code, valid for the ASK schema classes, and following Alexa's rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_smapi_model.v1.skill.interaction_model.interaction_model_data import InteractionModelData

from tools import build_models
from triage.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
KB = load_knowledge()


def model(locale: str) -> dict:
    return json.loads(build_models.model_path(locale).read_text())


def language_model(locale: str) -> dict:
    return model(locale)["interactionModel"]["languageModel"]


def slot_ids(locale: str, type_name: str) -> set[str]:
    types = {t["name"]: t for t in language_model(locale)["types"]}
    return {v["id"] for v in types[type_name]["values"]}


def test_generated_files_are_up_to_date():
    assert build_models.main(["--check"]) == 0


def test_five_locales_and_the_manifest_exist():
    for locale in LOCALES:
        assert language_model(locale)["invocationName"] == "back numbness helper"
    manifest = json.loads(build_models.manifest_path().read_text())["manifest"]
    assert set(manifest["publishingInformation"]["locales"]) == set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_ids_match_the_knowledge_both_ways(locale):
    volunteerable = {f.id for f in KB.findings.values() if f.volunteer}
    assert slot_ids(locale, "Symptom") == volunteerable
    assert slot_ids(locale, "Cause") == set(KB.causes) | {c.id for c in KB.categories}
    choices = {q.slot_type: {o.id for o in q.options} for q in KB.questions if q.type == "choice"}
    assert set(choices) == {"BodyArea", "TriggerType", "SkinSign"}
    for type_name, ids in choices.items():
        assert slot_ids(locale, type_name) == ids
    assert slot_ids(locale, "SpeechRate") == {"slower", "faster", "normal"}


@pytest.mark.parametrize("locale", LOCALES)
def test_each_synonym_resolves_to_one_value(locale):
    for slot_type in language_model(locale)["types"]:
        seen: dict[str, str] = {}
        for value in slot_type["values"]:
            for word in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                key = word.lower()
                assert seen.setdefault(key, value["id"]) == value["id"], f"{slot_type['name']}: {word!r} is ambiguous"


def _normal(sample: str) -> str:
    return " ".join(re.sub(r"[^\w{}' ]", " ", sample.lower()).split())


@pytest.mark.parametrize("locale", LOCALES)
def test_samples_are_unique_across_intents_and_slots_are_declared(locale):
    seen: dict[str, str] = {}
    for intent in language_model(locale)["intents"]:
        declared = {s["name"] for s in intent.get("slots", [])}
        used: set[str] = set()
        for sample in intent["samples"]:
            key = _normal(sample)
            assert key not in seen, f"{sample!r} is in {seen.get(key)} and {intent['name']}"
            seen[key] = intent["name"]
            slots = set(re.findall(r"{(\w+)}", sample))
            assert slots <= declared, f"{intent['name']}: {sample!r} uses an undeclared slot"
            used |= slots
            assert re.fullmatch(r"[A-Za-z0-9 '{}.]+", sample), f"{sample!r}: characters Alexa does not allow"
        assert used == declared, f"{intent['name']}: declared slots never used: {declared - used}"


@pytest.mark.parametrize("locale", LOCALES)
def test_each_model_deserialises_with_ask_smapi_model(locale):
    data = DefaultSerializer().deserialize(json.dumps(model(locale)), InteractionModelData)
    assert isinstance(data, InteractionModelData)
    lm = data.interaction_model.language_model
    assert lm.invocation_name == "back numbness helper"
    assert {i.name for i in lm.intents} == {i["name"] for i in language_model(locale)["intents"]}
    assert all(isinstance(i.samples, list) for i in lm.intents)


def test_invocation_name_follows_alexa_rules():
    name = language_model("en-US")["invocationName"]
    words = name.split()
    assert len(words) >= 2 and name == name.lower() and re.fullmatch(r"[a-z ]+", name)
    banned = {"alexa", "amazon", "echo", "computer", "skill", "app", "open", "ask", "launch", "start", "tell", "play"}
    assert not banned & set(words)


def test_built_in_intents_required_for_certification_are_present():
    names = {i["name"] for i in language_model("en-US")["intents"]}
    for builtin in ("Help", "Stop", "Cancel", "Fallback", "NavigateHome", "Repeat", "StartOver", "Previous",
                    "Yes", "No"):
        assert f"AMAZON.{builtin}Intent" in names
    for custom in ("DontKnowIntent", "DurationIntent", "VolunteerSymptomIntent", "ExplainCauseIntent",
                   "WhenToSeeDoctorIntent", "SpeechRateIntent", "DeleteDataIntent"):
        assert custom in names
    durations = [i for i in language_model("en-US")["intents"] if i["name"] == "DurationIntent"]
    assert durations[0]["slots"] == [{"name": "duration", "type": "AMAZON.DURATION"}]


def test_every_intent_the_code_handles_is_in_the_model_and_vice_versa():
    code = "\n".join(p.read_text() for p in (ROOT / "lambda" / "skill").rglob("*.py"))
    handled = set(re.findall(r'"((?:AMAZON\.)?[A-Z]\w+Intent)"', code))
    in_model = {i["name"] for i in language_model("en-US")["intents"]}
    assert handled == in_model, (handled ^ in_model)


def _covered(utterance: str, locale: str) -> bool:
    lm = language_model(locale)
    values = {t["name"]: [w.lower() for v in t["values"] for w in [v["name"]["value"], *v["name"]["synonyms"]]]
              for t in lm["types"]}
    for intent in lm["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            pattern = re.escape(sample.lower())
            for slot, slot_type in types.items():
                choices = "|".join(re.escape(v) for v in values.get(slot_type, [])) or r".+"
                pattern = pattern.replace(re.escape("{" + slot + "}"), f"(?:{choices})")
            if re.fullmatch(pattern, utterance.lower()):
                return True
    return False


def test_manifest_carries_the_disclaimer_privacy_policy_and_covered_example_phrases():
    manifest = json.loads(build_models.manifest_path().read_text())["manifest"]
    for locale, info in manifest["publishingInformation"]["locales"].items():
        text = info["description"].lower()
        assert "not a substitute for professional medical advice" in text
        assert "in an emergency, call your local emergency number" in text
        for phrase in info["examplePhrases"]:
            match = re.fullmatch(r"Alexa, (open|ask) back numbness helper(?: (.+))?", phrase)
            assert match, phrase
            if match.group(2):
                assert _covered(match.group(2), locale), phrase
        assert manifest["privacyAndCompliance"]["locales"][locale]["privacyPolicyUrl"].startswith("https://")
    assert manifest["apis"]["custom"]["endpoint"]["uri"].startswith("arn:aws:lambda:")


# A budget for the generated models: the compact sample syntax multiplies out, and a stray optional word in a long
# template once made one intent 21,455 samples (2.5 MB) without understanding one more corpus item. Alexa's NLU
# generalises from representative samples; the cross product only slows the model build and CI.
MAX_SAMPLES_PER_INTENT = 5_000
MAX_MODEL_BYTES = 1_500_000


@pytest.mark.parametrize("locale", LOCALES)
def test_models_stay_within_the_sample_budget(locale: str) -> None:
    path = Path(__file__).resolve().parents[2] / "skill-package" / "interactionModels" / "custom" / f"{locale}.json"
    assert path.stat().st_size <= MAX_MODEL_BYTES
    big = {i["name"]: len(i.get("samples", [])) for i in language_model(locale)["intents"]
           if len(i.get("samples", [])) > MAX_SAMPLES_PER_INTENT}
    assert big == {}
