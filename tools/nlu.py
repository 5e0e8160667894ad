"""A local stand-in for Alexa's NLU, built from a generated interaction model with hassil.

``LocalNlu.for_locale("en-US").understand("about two weeks")`` reads
``skill-package/interactionModels/custom/en-US.json`` (exactly what Alexa is given) and returns an
``Understanding``: the request type, the intent, and Alexa-shaped slot objects (custom slot types carry
``resolutions`` with ``ER_SUCCESS_MATCH``).

How hassil is used:
- every ASK sample becomes a hassil sentence template; ``{slot}`` becomes ``{SlotType:slot}`` (a list reference
  named after the slot type, captured under the slot's name);
- every custom slot type becomes a ``TextSlotList`` whose values (the value and each synonym) output the value's id;
- ``AMAZON.DURATION`` becomes an expansion rule built from hassil lists: a ``RangeSlotList`` (1-100, digits and
  number words, which hassil spells with unicode-rbnf), quantity words ("a", "a few", "half an"...), an optional
  "and a half", and a unit list; ``duration_iso`` turns the captured parts into ISO-8601 ("P2W", "PT30M");
- ``AMAZON.DATE`` becomes a list of the relative dates this skill's samples use ("today", "yesterday", "the day
  before yesterday", "last night", weekday names, "last <weekday>", "last week", "last weekend", "last month"),
  resolved as Alexa documents: a date ``YYYY-MM-DD``, a week ``YYYY-Www``, a weekend ``YYYY-Www-WE``, a month
  ``YYYY-MM``; a bare weekday resolves to its next occurrence on or after today (Alexa biases dates towards the
  future), "last <weekday>" to the one before today. "Today" is the NLU's clock (UTC unless ``now`` is given);
- disfluencies ("um", "uh", "erm", "er", "hmm", "mm", "ah", "oh") are skipped, as a device's speech recogniser
  and NLU tolerate them; nothing else is;
- built-in intents get their usual phrases on top of the model's samples;
- "open/launch/start <invocation name>" and "ask/tell <invocation name> <utterance>" are a second, small hassil
  intent set with a wildcard for the utterance.
Text matching nothing becomes ``AMAZON.FallbackIntent``, as on a device. Matching is case-insensitive and
ignores punctuation (input, samples and slot values go through the same ``normalize``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hassil import (
    Intents,
    RangeSlotList,
    RecognizeResult,
    SlotList,
    TextChunk,
    TextSlotList,
    TextSlotValue,
    WildcardSlotList,
    parse_sentence,
    recognize_all,
    recognize_best,
)
from hassil.intents import Intent, IntentData

from tools import alexa_requests as requests

ROOT: Final = Path(__file__).resolve().parents[1]
MODELS_DIR: Final = ROOT / "skill-package" / "interactionModels" / "custom"  # tools/build_models.py writes it
LOCALES: Final = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
DEFAULT_SKILL_ID: Final = requests.DEFAULT_SKILL_ID
FALLBACK: Final = "AMAZON.FallbackIntent"
LAUNCH: Final = "LaunchRequest"
INTENT: Final = "IntentRequest"
SESSION_ENDED: Final = "SessionEndedRequest"

# Phrases a device maps to the built-in intents whatever the model's own samples (used only for intents the
# model declares). Bare "back" is left out on purpose: it is a BodyArea value in this skill.
BUILTIN_SAMPLES: Final[Mapping[str, tuple[str, ...]]] = {
    "AMAZON.YesIntent": (
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "yes please",
        "correct",
        "that's right",
        "right",
        "ok",
        "okay",
        "of course",
        "affirmative",
    ),
    "AMAZON.NoIntent": ("no", "nope", "nah", "no thanks", "no thank you", "not really", "negative", "no way"),
    "AMAZON.HelpIntent": ("help", "help me", "i need help", "can you help me", "what can i do", "what do i do"),
    "AMAZON.StopIntent": ("stop", "stop it", "off", "quit", "shut up", "be quiet", "that's enough", "enough"),
    "AMAZON.CancelIntent": ("cancel", "cancel that", "never mind", "nevermind", "forget it"),
    "AMAZON.RepeatIntent": (
        "repeat",
        "repeat that",
        "say again",
        "say that again",
        "again",
        "one more time",
        "what did you say",
    ),
    "AMAZON.StartOverIntent": (
        "start over",
        "restart",
        "start again",
        "begin again",
        "from the beginning",
        "start from the beginning",
    ),
    "AMAZON.PreviousIntent": ("go back", "previous", "previous one", "back up", "go to the previous one"),
    "AMAZON.NavigateHomeIntent": ("home", "go home", "main menu", "go to the main menu", "home screen"),
    "AMAZON.NextIntent": ("next", "skip", "next one"),
    "AMAZON.MoreIntent": ("more", "tell me more"),
    "AMAZON.PauseIntent": ("pause",),
    "AMAZON.ResumeIntent": ("resume", "continue"),
}

# AMAZON.DURATION: unit words -> (ISO designator, is a time-of-day unit, multiplier)
_UNITS: Final[Mapping[str, tuple[str, bool, int]]] = {
    "second": ("S", True, 1),
    "seconds": ("S", True, 1),
    "minute": ("M", True, 1),
    "minutes": ("M", True, 1),
    "min": ("M", True, 1),
    "mins": ("M", True, 1),
    "hour": ("H", True, 1),
    "hours": ("H", True, 1),
    "hr": ("H", True, 1),
    "hrs": ("H", True, 1),
    "day": ("D", False, 1),
    "days": ("D", False, 1),
    "week": ("W", False, 1),
    "weeks": ("W", False, 1),
    "fortnight": ("W", False, 2),
    "fortnights": ("W", False, 2),
    "month": ("M", False, 1),
    "months": ("M", False, 1),
    "year": ("Y", False, 1),
    "years": ("Y", False, 1),
}
# Spoken quantities that are not numbers. "a few"/"several" -> 3 and "a couple" -> 2 are this simulator's choice.
_AMOUNTS: Final[Mapping[str, float]] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "a single": 1,
    "half a": 0.5,
    "half an": 0.5,
    "a half": 0.5,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
    "several": 3,
}
# A fraction is re-expressed in the next smaller unit when that is whole (half a day -> PT12H), else kept (P1.5W).
_SMALLER: Final[Mapping[tuple[str, bool], tuple[str, bool, int]]] = {
    ("Y", False): ("M", False, 12),
    ("M", False): ("D", False, 30),
    ("W", False): ("D", False, 7),
    ("D", False): ("H", True, 24),
    ("H", True): ("M", True, 60),
    ("M", True): ("S", True, 60),
}
_WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# AMAZON.DATE phrases -> how to resolve them against today
_DATES: Final[Mapping[str, str]] = {
    "today": "day:0",
    "this morning": "day:0",
    "yesterday": "day:-1",
    "last night": "day:-1",
    "the day before yesterday": "day:-2",
    "day before yesterday": "day:-2",
    "last week": "week:-1",
    "a week ago": "day:-7",
    "last weekend": "weekend:-1",
    "the weekend": "weekend:-1",
    "last month": "month:-1",
    **{day: f"next:{i}" for i, day in enumerate(_WEEKDAYS)},
    **{f"last {day}": f"last:{i}" for i, day in enumerate(_WEEKDAYS)},
    **{f"on {day}": f"next:{i}" for i, day in enumerate(_WEEKDAYS)},
}
SKIP_WORDS: Final = ("um", "uh", "erm", "er", "hmm", "mm", "ah", "oh")
_DURATION_LISTS: Final = ("dur_count", "dur_amount", "dur_half", "dur_unit")
_CONNECTORS: Final = frozenset({"to", "that", "for", "about", "whether", "if", "and"})
_SLOT_REF: Final = re.compile(r"\{(\w+)\}")
_NOT_WORD: Final = re.compile(r"[^\w' ]+")
_EDGE_QUOTES: Final = re.compile(r"(?<!\w)'|'(?!\w)")


@dataclass(frozen=True)
class Understanding:
    """What Alexa would send for one utterance."""

    request_type: str  # LaunchRequest | IntentRequest | SessionEndedRequest
    intent: str | None = None
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)  # Alexa slot objects by slot name
    new_session: bool = False  # "open ..." / "ask <skill> ..." always start a session
    reason: str | None = None  # SessionEndedRequest reason
    text: str = ""  # the normalised utterance


def normalize(text: str) -> str:
    """Lower case, ASCII apostrophes, no punctuation, single spaces, and no leading "Alexa"."""
    text = text.casefold().replace("\u2019", "'").replace("\u2018", "'").replace("_", " ")
    text = _EDGE_QUOTES.sub(" ", _NOT_WORD.sub(" ", text))
    words = text.split()
    if words and words[0] == "alexa":
        words = words[1:]
    return " ".join(words)


def duration_iso(count: float, unit: str, half: bool = False) -> str:
    """ISO-8601 for a spoken count of a unit word: (2, "weeks") -> "P2W", (0.5, "hour") -> "PT30M"."""
    designator, is_time, multiplier = _UNITS[unit]
    amount = (count + (0.5 if half else 0)) * multiplier
    if amount != int(amount) and (designator, is_time) in _SMALLER:
        smaller, smaller_is_time, factor = _SMALLER[(designator, is_time)]
        if amount * factor == int(amount * factor):
            designator, is_time, amount = smaller, smaller_is_time, amount * factor
    number = str(int(amount)) if amount == int(amount) else f"{amount:g}"
    return f"PT{number}{designator}" if is_time else f"P{number}{designator}"


def resolve_date(token: str, today: dt.date) -> str:
    """An AMAZON.DATE value as Alexa sends it, for one of the phrases in ``_DATES``."""
    kind, _, number = token.partition(":")
    n = int(number)
    if kind == "day":
        return (today + dt.timedelta(days=n)).isoformat()
    if kind == "next":  # a bare weekday: the next one on or after today
        return (today + dt.timedelta(days=(n - today.weekday()) % 7)).isoformat()
    if kind == "last":  # "last saturday": the one before today
        return (today - dt.timedelta(days=(today.weekday() - n - 1) % 7 + 1)).isoformat()
    if kind in ("week", "weekend"):
        year, week, _ = (today + dt.timedelta(weeks=n)).isocalendar()
        return f"{year}-W{week:02d}" + ("-WE" if kind == "weekend" else "")
    first = today.replace(day=1) - dt.timedelta(days=1) if n < 0 else today
    return f"{first.year}-{first.month:02d}"


def _literal_words(template: str) -> frozenset[str]:
    """The words a template needs literally (outside {lists} and <rules>), skip words aside."""
    text = re.sub(r"\{[^}]*\}|<[^>]*>", " ", template)
    return frozenset(w for w in text.split() if w not in SKIP_WORDS)


def load_model(locale: str, models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    """The generated interaction model JSON for a locale."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; one of {', '.join(LOCALES)}")
    with (models_dir / f"{locale}.json").open(encoding="utf-8") as f:
        model: dict[str, Any] = json.load(f)
    return model


def _text_list(name: str, phrases: Mapping[str, Any]) -> TextSlotList:
    return TextSlotList(name=name, values=[TextSlotValue(TextChunk(p), out) for p, out in phrases.items()])


def _duration_lists() -> dict[str, SlotList]:
    return {
        "dur_count": RangeSlotList(name="dur_count", start=1, stop=100),
        "dur_amount": _text_list("dur_amount", _AMOUNTS),
        "dur_half": _text_list("dur_half", {"and a half": True}),
        "dur_unit": _text_list("dur_unit", {u: u for u in _UNITS}),
    }


def _duration_rule(slot: str) -> str:
    """Template for one AMAZON.DURATION slot: "(two|a few|half an) [and a half] hours [and a half]"."""
    quantity = f"({{dur_count:{slot}__count}}|{{dur_amount:{slot}__count}})"
    half = f"[{{dur_half:{slot}__half}}]"
    return f"{quantity} {half} {{dur_unit:{slot}__unit}} {half}"


class LocalNlu:
    """Intent and slot recognition for one locale's interaction model."""

    def __init__(
        self,
        model: Mapping[str, Any],
        locale: str = "en-US",
        skill_id: str = DEFAULT_SKILL_ID,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        language_model = model["interactionModel"]["languageModel"]
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.locale = locale
        self.skill_id = skill_id
        self.invocation_name = normalize(language_model["invocationName"])
        self.intent_slots: dict[str, dict[str, str]] = {
            i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])} for i in language_model["intents"]
        }
        self.value_names: dict[str, dict[str, str]] = {}  # slot type -> id -> canonical value
        dialog = model["interactionModel"].get("dialog") or {}
        self.dialog_intents = frozenset(i["name"] for i in dialog.get("intents", []))
        self._intents = self._build_intents(language_model)
        self._invocations = self._build_invocations()

    @classmethod
    def for_locale(
        cls,
        locale: str = "en-US",
        models_dir: Path = MODELS_DIR,
        skill_id: str = DEFAULT_SKILL_ID,
        now: Callable[[], dt.datetime] | None = None,
    ) -> LocalNlu:
        return cls(load_model(locale, models_dir), locale, skill_id, now)

    # -- building ---------------------------------------------------------------------------------------------
    def _build_intents(self, language_model: Mapping[str, Any]) -> Intents:
        lists: dict[str, SlotList] = {}
        for slot_type in language_model.get("types", []):
            lists[slot_type["name"]] = self._custom_type_list(slot_type)
        rules: dict[str, str] = {}
        by_intent: dict[str, list[str]] = {}
        for intent in language_model["intents"]:
            name = intent["name"]
            slot_types = self.intent_slots[name]
            samples = [self._template(s, slot_types, lists, rules) for s in intent.get("samples", [])]
            samples += [normalize(s) for s in BUILTIN_SAMPLES.get(name, ())]
            samples = [s for s in dict.fromkeys(samples) if s]
            if samples:
                by_intent[name] = samples
        # Speed only (a model has thousands of samples): each template is put in a block keyed by its rarest literal
        # word, and hassil skips a block whose keyword is not in the utterance (IntentData.required_keywords). A
        # template can only match text holding all its literal words, so this never changes what is understood.
        literal = {t: _literal_words(t) for samples in by_intent.values() for t in samples}
        counts: dict[str, int] = {}
        for words in literal.values():
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        intents: dict[str, Intent] = {}
        for name, samples in by_intent.items():
            blocks: dict[str | None, list[str]] = {}
            for template in samples:
                words = literal[template]
                key = min(sorted(words), key=lambda w: counts[w]) if words else None
                blocks.setdefault(key, []).append(template)
            data = [IntentData(sentence_texts=texts, required_keywords={key} if key else None)
                    for key, texts in blocks.items()]
            intents[name] = Intent(name=name, data=data)
        return Intents(
            language="en",
            intents=intents,
            slot_lists=lists,
            expansion_rules={name: parse_sentence(body) for name, body in rules.items()},
            skip_words=list(SKIP_WORDS),
        )

    def _custom_type_list(self, slot_type: Mapping[str, Any]) -> TextSlotList:
        ids_by_phrase: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        for value in slot_type["values"]:
            canonical = value["name"]["value"]
            value_id = value.get("id") or canonical
            names[value_id] = canonical
            for phrase in (canonical, *value["name"].get("synonyms", [])):
                ids = ids_by_phrase.setdefault(normalize(phrase), [])
                if value_id not in ids:
                    ids.append(value_id)
        self.value_names[slot_type["name"]] = names
        return _text_list(slot_type["name"], {p: tuple(ids) for p, ids in ids_by_phrase.items() if p})

    def _template(
        self, sample: str, slot_types: Mapping[str, str], lists: dict[str, SlotList], rules: dict[str, str]
    ) -> str:
        """An ASK sample as a hassil template: words normalised, {slot} -> {Type:slot} or <rule>."""
        parts = _SLOT_REF.split(sample)
        out: list[str] = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                out.append(normalize(part))
                continue
            slot_type = slot_types[part]
            if slot_type == "AMAZON.DURATION":
                lists.update(_duration_lists())
                rules[f"duration_{part}"] = _duration_rule(part)
                out.append(f"<duration_{part}>")
            elif slot_type == "AMAZON.DATE":
                lists.setdefault("date_phrase", _text_list("date_phrase", _DATES))
                out.append(f"{{date_phrase:{part}}}")
            elif slot_type == "AMAZON.NUMBER":
                lists.setdefault(slot_type, RangeSlotList(name=slot_type, start=0, stop=10_000))
                out.append(f"{{{slot_type}:{part}}}")
            elif slot_type.startswith("AMAZON."):
                lists.setdefault(slot_type, WildcardSlotList(name=slot_type))
                out.append(f"{{{slot_type}:{part}}}")
            else:
                out.append(f"{{{slot_type}:{part}}}")
        return " ".join(p for p in out if p)

    def _build_invocations(self) -> Intents:
        name = self.invocation_name
        opens = "(open|launch|start|begin|run|load|use|play|talk to|speak to|go to)"
        sentences = {
            "launch": [f"{opens} [the] {name}", f"(ask|tell) {name}"],
            "one_shot": [f"(ask|tell) {name} {{utterance}}", f"{opens} {name} and {{utterance}}"],
            "exit": ["exit", "exit skill", f"exit {name}"],
        }
        return Intents(
            language="en",
            intents={k: Intent(name=k, data=[IntentData(sentence_texts=v)]) for k, v in sentences.items()},
            slot_lists={"utterance": WildcardSlotList(name="utterance")},
        )

    # -- understanding ----------------------------------------------------------------------------------------
    def understand(self, utterance: str) -> Understanding:
        """The request Alexa would send for this utterance (inside or at the start of a session)."""
        text = normalize(utterance)
        invocation = recognize_best(text, self._invocations) if text else None
        if invocation is None:
            return self.intent_for(text)
        if invocation.intent.name == "launch":
            return Understanding(LAUNCH, new_session=True, text=text)
        if invocation.intent.name == "exit":
            return Understanding(SESSION_ENDED, reason="USER_INITIATED", text=text)
        return self._one_shot(text)

    def _one_shot(self, text: str) -> Understanding:
        """ "ask <skill> [to|about...] <utterance>": the first reading that is not a fallback wins."""
        candidates: list[str] = []
        for result in recognize_all(text, self._invocations):
            entity = result.entities.get("utterance")
            if entity is not None:
                candidates.append(normalize(entity.text))
        for candidate in list(candidates):
            words = candidate.split()
            if len(words) > 1 and words[0] in _CONNECTORS:
                candidates.append(" ".join(words[1:]))
        readings = [self.intent_for(c) for c in dict.fromkeys(candidates)]
        best = next((r for r in readings if r.intent != FALLBACK), readings[0] if readings else self.intent_for(""))
        return Understanding(INTENT, best.intent, best.slots, new_session=True, text=text)

    def intent_for(self, text: str) -> Understanding:
        """An IntentRequest for normalised text (FallbackIntent when nothing matches)."""
        result = recognize_best(text, self._intents) if text else None
        if result is None:
            return Understanding(INTENT, FALLBACK, self._slots(FALLBACK, None), text=text)
        return Understanding(INTENT, result.intent.name, self._slots(result.intent.name, result), text=text)

    def _slots(self, intent: str, result: RecognizeResult | None) -> dict[str, dict[str, Any]]:
        slots: dict[str, dict[str, Any]] = {}
        for slot, slot_type in self.intent_slots.get(intent, {}).items():
            filled = self._slot_value(slot, slot_type, result) if result is not None else None
            slots[slot] = {"name": slot, "confirmationStatus": "NONE", **(filled or {})}
        return slots

    def _slot_value(self, slot: str, slot_type: str, result: RecognizeResult) -> dict[str, Any] | None:
        entities = result.entities
        if slot_type == "AMAZON.DURATION":
            count, unit = entities.get(f"{slot}__count"), entities.get(f"{slot}__unit")
            if count is None or unit is None:
                return None
            value = duration_iso(float(count.value), str(unit.value), f"{slot}__half" in entities)
            return _filled(value)
        entity = entities.get(slot)
        if entity is None:
            return None
        spoken = entity.text_clean
        if slot_type == "AMAZON.DATE":
            return _filled(resolve_date(str(entity.value), self.now().date()))
        if slot_type.startswith("AMAZON."):
            return _filled(str(entity.value) if slot_type == "AMAZON.NUMBER" else spoken)
        ids: Iterable[str] = entity.value
        names = self.value_names.get(slot_type, {})
        authority = {
            "authority": f"amzn1.er-authority.echo-sdk.{self.skill_id}.{slot_type}",
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": names.get(i, i), "id": i}} for i in ids],
        }
        return _filled(spoken, {"resolutionsPerAuthority": [authority]})


def _filled(value: str, resolutions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parts of an Alexa slot object that a spoken value adds."""
    extra = {"resolutions": resolutions} if resolutions else {}
    return {
        "value": value,
        **extra,
        "source": "USER",
        "slotValue": {"type": "Simple", "value": value, **extra},
    }


def _main() -> None:  # pragma: no cover - a debugging aid: python -m tools.nlu en-US "about two weeks"
    import sys

    nlu = LocalNlu.for_locale(sys.argv[1] if len(sys.argv) > 1 else "en-US")
    for line in sys.argv[2:] or sys.stdin:
        print(json.dumps(nlu.understand(line).__dict__, indent=2))


if __name__ == "__main__":
    _main()
