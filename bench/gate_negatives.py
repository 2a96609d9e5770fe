"""Weak negatives for the relevance gate: template stories about what PLOVER does not code as events.

Source of the categories: the PLOVER manual in ../shared/peer/plover/codebook/PLOVER_MANUAL.txt, which treats
"slow and rapid onset natural disasters such as droughts, hurricanes, cyclones, earthquakes, flooding,
landslides, and heat waves" and "accidents (e.g., chemical plant explosions) and oil or chemical spills" as a
*context* (4.26 Disasters), not as event types, says individual accidents and accidental deaths ("traffic
accidents or skiing accidents", 4.22 Health) are not events, and that actor-less happenings such as "mudslides
destroyed dozens of houses" are not coded (Required entities). Science and space exploration, weather and company
results have no PLOVER event type at all. The BBC negatives (sport, entertainment, tech) hold almost no hard news
of this kind, so without these stories the words such stories share with political news ("killed", "injured",
"police said", "officials", country names) read as political.

The stories are built from the sentence templates below (written for this file from the manual's categories, not
from any evaluation corpus) with slots filled from ../shared/peer/ngec/countries.csv (country names and
nationality adjectives) and seeded random numbers. Deliberately, they contain the hard-news vocabulary (officials,
police, rescuers, deaths, a country) but no actor acting on another actor. Reproducible: `stories(seed, n)`.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"

# category -> (titles, sentences). Slots: {country} {adj} {n} {m} {day} {town}
CATEGORIES: dict[str, tuple[list[str], list[str]]] = {
    "earthquake": (
        ["Strong earthquake shakes {country}", "{m} dead after quake hits {adj} coast",
         "Magnitude {mag} quake strikes {country}", "Aftershocks rattle {town} after deadly earthquake"],
        ["A magnitude {mag} earthquake struck {country} on {day}, the geological survey said.",
         "At least {m} people were killed and {n} injured when buildings collapsed in {town}.",
         "Rescue workers searched through the rubble for survivors throughout the night.",
         "The quake's epicentre was about {m} kilometres from {town} at a depth of {n} kilometres.",
         "Residents ran into the streets as the shaking began, witnesses told local television.",
         "Several aftershocks followed, the strongest measuring {mag2}.",
         "Power and water supplies were cut in parts of the region, officials said.",
         "Hospitals in {town} were treating dozens of people with injuries from falling debris.",
         "\"The whole house was moving, I grabbed the children and ran,\" one resident said.",
         "Seismologists warned that more aftershocks were likely in the coming days."]),
    "flood": (
        ["Floods kill {m} in {country}", "Heavy rain floods {town}", "Thousands stranded as rivers burst banks in {country}",
         "Landslide buries homes in {adj} village"],
        ["Torrential rain caused rivers to burst their banks across {country} on {day}.",
         "At least {m} people died and thousands were left homeless after the floods.",
         "A landslide buried {m} houses in a village near {town}, local officials said.",
         "Emergency crews used boats to reach families stranded on rooftops.",
         "The weather service said more than {n} millimetres of rain fell in 24 hours.",
         "Roads and bridges were washed away, cutting off several villages.",
         "Farmers said crops had been destroyed across a wide area.",
         "Water levels were expected to keep rising until the weekend, forecasters said.",
         "Mudslides destroyed dozens of houses on the hillside above {town}.",
         "Residents returned to find their homes filled with mud."]),
    "storm": (
        ["Hurricane makes landfall in {country}", "Cyclone batters {adj} coast", "Storm leaves {n},000 without power",
         "Typhoon forces thousands from homes in {country}"],
        ["The storm made landfall near {town} early on {day} with winds of up to {n} km/h.",
         "Trees were uprooted and roofs torn off as the cyclone swept across the coast.",
         "More than {n},000 homes were left without electricity, the power company said.",
         "At least {m} people were killed by falling trees and flying debris.",
         "Flights were cancelled and schools closed as the hurricane approached.",
         "Forecasters said the storm would weaken as it moved inland.",
         "Waves up to {m} metres high battered sea walls along the coast.",
         "Residents spent the night in shelters as the wind howled outside."]),
    "weather": (
        ["Heavy snow hits {town}", "Heat wave sends temperatures soaring in {country}",
         "Cold snap grips {country}", "Drought leaves fields parched across {country}", "Fog causes travel chaos"],
        ["Up to {m} centimetres of snow fell overnight in the hills, the weather service said.",
         "Temperatures reached {t} degrees Celsius on {day}, the hottest day since records began.",
         "The weather service issued warnings for ice and heavy snow across the north.",
         "Drivers were stuck for hours as snowploughs struggled to clear the roads.",
         "Forecasters said more snow was on the way and temperatures would stay below freezing.",
         "The drought has left reservoirs at their lowest level in {m} years.",
         "Schools were closed and residents were told to stay indoors.",
         "Meteorologists said the unusual weather was caused by a high-pressure system.",
         "\"I have lived here all my life and never seen anything like it,\" one resident said.",
         "Thick fog delayed hundreds of flights at the main airport."]),
    "traffic_accident": (
        ["{m} killed in bus crash in {country}", "Train derails near {town}", "Plane crashes shortly after take-off",
         "Ferry capsizes off {adj} coast", "Motorway pile-up injures {n}", "Skier dies in avalanche"],
        ["A bus carrying {n} passengers veered off the road and plunged into a ravine near {town} on {day}.",
         "The small plane crashed minutes after taking off from {town} airport, killing all {m} people on board.",
         "A ferry capsized in rough seas, and coastguard boats pulled {n} survivors from the water.",
         "Police said the driver lost control of the vehicle on a wet road.",
         "The cause of the crash was not yet known, a spokesman for the operator said.",
         "Passengers described a loud bang before the carriage left the tracks.",
         "Several of the injured were taken to hospital in a serious condition.",
         "The road was closed for several hours while emergency services cleared the wreckage.",
         "A skier was killed when an avalanche swept down the slope, mountain rescuers said.",
         "Investigators from the transport safety agency arrived to examine the wreckage."]),
    "industrial_accident": (
        ["Explosion at chemical plant in {country}", "Fire destroys warehouse in {town}", "Oil spill blackens {adj} beaches",
         "Mine collapse traps {m} workers", "Gas blast wrecks apartment block", "Fireworks blast injures {n}"],
        ["An explosion ripped through a chemical plant on the outskirts of {town} on {day}.",
         "Firefighters battled the blaze for hours before bringing it under control.",
         "At least {m} workers were killed and {n} injured, the company said.",
         "A thick plume of black smoke could be seen for miles.",
         "Oil leaking from the damaged tanker has spread along {m} kilometres of coastline.",
         "Rescuers were trying to reach {m} miners trapped underground after a tunnel collapsed.",
         "A gas leak is believed to have caused the blast, the fire brigade said.",
         "Nearby residents were told to keep their windows closed because of the smoke.",
         "The company said it was cooperating fully with safety inspectors."]),
    "space_science": (
        ["Rocket launches new telescope into orbit", "Astronomers discover planet orbiting distant star",
         "Scientists find new species in deep sea", "Comet to pass close to Earth", "Fossil sheds light on early birds"],
        ["The rocket lifted off from the launch pad at dawn on {day}, carrying a satellite into orbit.",
         "Astronomers said the newly discovered planet orbits its star every {m} days.",
         "Researchers published their findings in a scientific journal on {day}.",
         "The comet will be visible with binoculars for about {m} days, astronomers said.",
         "The fossil, found in a quarry in {country}, is about {n} million years old.",
         "The deep-sea survey found {m} species never described before.",
         "The telescope will study the light of galaxies billions of light years away.",
         "\"This is a remarkable discovery,\" said the lead author of the study."]),
    "company_results": (
        ["{adj} bank profits fall", "Carmaker reports record sales", "Shares slide after profit warning",
         "Tech firm beats forecasts"],
        ["The bank said quarterly profit fell {m}% to ${n}m, below analysts' forecasts.",
         "Shares fell {m}% in early trading after the announcement.",
         "Revenue rose to ${n}m from ${m}m a year earlier, helped by strong demand.",
         "The chief executive said the firm expected growth to pick up next year.",
         "Analysts said the results were better than expected despite higher costs.",
         "The company plans to open {m} new stores over the next year.",
         "Its main rival reported a similar fall in sales last week."]),
}


def _countries() -> list[tuple[str, str]]:
    with open(SHARED / "peer" / "ngec" / "countries.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        name = (r.get("Name") or "").strip()
        adj = (r.get("Nationality") or "").split(",")[0].strip() or name
        if name and len(name) < 25:
            out.append((name, adj))
    return out


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOWN_SUFFIX = ["the capital", "the main port", "the northern city", "a coastal town", "the regional centre"]


def stories(seed: int = 7, n: int = 900) -> list[tuple[str | None, str, str]]:
    """-> [(title or None, text, category)]: n stories, each 4-7 sentences of one category in random order."""
    rng = np.random.default_rng(seed)
    countries = _countries()
    cats = sorted(CATEGORIES)
    out = []
    for i in range(n):
        cat = cats[i % len(cats)]
        titles, sents = CATEGORIES[cat]
        country, adj = countries[int(rng.integers(len(countries)))]
        slots = {"country": country, "adj": adj, "n": int(rng.integers(20, 900)), "m": int(rng.integers(2, 40)),
                 "day": DAYS[int(rng.integers(7))], "town": TOWN_SUFFIX[int(rng.integers(len(TOWN_SUFFIX)))],
                 "mag": f"{rng.uniform(5.0, 8.0):.1f}", "mag2": f"{rng.uniform(4.0, 5.5):.1f}",
                 "t": int(rng.integers(38, 48))}
        k = int(rng.integers(4, min(8, len(sents) + 1)))
        pick = rng.choice(len(sents), size=k, replace=False)
        body = [sents[j].format(**slots) for j in sorted(pick)]
        body[0] = body[0].replace(" the capital", f" the {adj} capital", 1) if "the capital" in body[0] else body[0]
        paras = ["\n".join(body[:2])] + body[2:]
        title = titles[int(rng.integers(len(titles)))].format(**slots) if rng.random() < 0.8 else None
        out.append((title, "\n".join(paras), cat))
    return out


if __name__ == "__main__":
    for t, x, c in stories(n=9):
        print(f"[{c}] {t}\n{x}\n")
