"""Calibration of the verdict on real clips of two people: the controls in `controls.py`.

The plate judged as its own swap (and resampled through a face crop, as convert does) must pass
every criterion; each known-bad control must fail its own criterion: the wrong person identity,
a blurred or a noisy face detail, a frozen face expression, a color shift or a hard seam color, a jittered
face temporal. A change to the thresholds (core/evaluate/criteria.py) or to a measure that breaks
any of these fails here.
"""
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from controls import Plate, load_plate, make_control  # noqa: E402

from facegraft.core.color import ColorManager  # noqa: E402
from facegraft.core.evaluate.identity import (ReferenceFaces, identity_of, measuring_probe,  # noqa: E402
                                              reference_faces)
from facegraft.core.evaluate.run import EvalSettings, EvalSummary, evaluate_swap  # noqa: E402

# (clip, first frame, frames, another person's clip): a man whose mouth opens wide, a woman who
# smiles and blinks.
PEOPLE = {"d18": ("d18.mp4", 100, 24, "d19.mp4"), "d14": ("d14.mp4", 50, 24, "d18.mp4")}
# Both measuring probes are calibrated: extraction with dlib68 is measured by BlazeFace + the mesh,
# extraction with the mesh by HOG + dlib68.
EXTRACTED_WITH = ("dlib68", "mesh")
MUST_FAIL = {"blurred": "detail", "noisy": "detail", "frozen": "expression", "color_shifted": "color",
             "hard_seam": "color", "jittered": "temporal", "wrong_person": "identity"}
SETTINGS = EvalSettings(contact_frames=0, worst_frames=0)


@dataclass
class Person:
    plate: Plate
    identity: np.ndarray
    reference: ReferenceFaces | None
    other_identity: np.ndarray
    cache: dict


@pytest.fixture(scope="module", params=EXTRACTED_WITH)
def tools(request):
    return measuring_probe(request.param), ColorManager()


@pytest.fixture(scope="module")
def people(clips, tools):
    probe, color = tools

    def landmarks(image):
        face = probe.measure(image)
        return None if face is None else face.landmarks

    out = {}
    for name, (clip, first, count, other) in PEOPLE.items():
        out[name] = Person(load_plate(clips / clip, range(first, first + count), landmarks),
                           identity_of(clips / clip, probe=probe, color=color, samples=8),
                           reference_faces(clips / clip, probe=probe, color=color, samples=6),
                           identity_of(clips / other, probe=probe, color=color, samples=6), {})
    return out


def judge(person: Person, control: str, tools) -> EvalSummary:
    probe, color = tools
    wrong = control == "wrong_person"
    swap = make_control(person.plate, "plate" if wrong else control)
    return evaluate_swap(swap, person.plate.source, person.other_identity if wrong else person.identity,
                         probe=probe, color=color, reference_a=None if wrong else person.reference,
                         settings=SETTINGS, plate_cache=person.cache).summary


def failures(summary: EvalSummary) -> dict[str, tuple[str, ...]]:
    return {c.name: c.failures for c in summary.criteria if not c.passed}


@pytest.mark.slow
@pytest.mark.parametrize("person", sorted(PEOPLE))
@pytest.mark.parametrize("control", ["plate", "resampled"])
def test_the_plate_passes_every_criterion(people, tools, person, control):
    summary = judge(people[person], control, tools)
    assert summary.verdict == "usable", failures(summary)
    assert summary.swap_detected == 1.0 and summary.faces == PEOPLE[person][2]


@pytest.mark.slow
@pytest.mark.parametrize("person", sorted(PEOPLE))
@pytest.mark.parametrize("control", sorted(MUST_FAIL))
def test_each_bad_swap_fails_its_criterion(people, tools, person, control):
    summary = judge(people[person], control, tools)
    failed = failures(summary)
    assert summary.verdict == "not usable"
    assert MUST_FAIL[control] in failed, f"{control} passed {MUST_FAIL[control]}: {failed}"
    if control in ("color_shifted", "wrong_person"):  # a clean change fails only its own criterion
        assert set(failed) == {MUST_FAIL[control]}, failed
