"""Invented movie titles for the synthetic sample: MovieLens-like in form, copied from nothing.

Titles are assembled from word lists in the styles MovieLens titles come in — "The ...",
a trailing article ("..., The"), sequels with a colon, accented (Latin-1) words — so
that the title parser and the title lookup meet every case they meet on real data.
"""

from __future__ import annotations

import numpy as np

_ADJECTIVES = (
    "Silent", "Hollow", "Crimson", "Restless", "Amber", "Distant", "Burning", "Frozen", "Gentle",
    "Hidden", "Iron", "Velvet", "Broken", "Golden", "Quiet", "Savage", "Electric", "Painted",
    "Wandering", "Bitter", "Sleepless", "Forgotten", "Shattered", "Crooked", "Drifting",
    "Emerald", "Faded", "Glass", "Howling", "Ivory", "Jagged", "Lonesome", "Midnight", "Narrow",
    "Obsidian", "Pale", "Rusty", "Scarlet", "Tangled", "Unquiet", "Vanishing", "Weary",
    "Copper", "Dusty", "Fearless", "Gilded", "Hungry", "Lucky", "Marbled", "Northern", "Open",
    "Patient", "Reckless", "Salted", "Southern", "Thin", "Uneasy", "Wicked", "Brave", "Cheerful",
    "Clever", "Curious", "Dizzy", "Eager", "Fragile", "Grim", "Humble", "Jolly", "Kindly",
    "Lively", "Merry", "Nimble", "Proud", "Rowdy", "Sneaky", "Tender", "Wistful", "Sunken",
    "Stolen", "Borrowed", "Final", "Twelfth", "Seventh", "Crystal", "Paper", "Neon", "Winter",
    "Autumn", "Summer", "Spring", "Lantern", "Marble", "Cobalt", "Saffron", "Silver", "Granite",
)  # fmt: skip
_NOUNS = (
    "Harbor", "Lantern", "Orchard", "Meridian", "Canyon", "Lighthouse", "Carousel", "Compass",
    "Garden", "Horizon", "Island", "Junction", "Kingdom", "Labyrinth", "Mirror", "Nocturne",
    "Outpost", "Pilgrim", "Quarry", "Railway", "Saddle", "Tower", "Umbrella", "Valley", "Willow",
    "Anchor", "Bridge", "Cathedral", "Drifter", "Echo", "Falcon", "Glacier", "Hermit", "Inlet",
    "Jackal", "Keeper", "Locket", "Marsh", "Nomad", "Oracle", "Prairie", "Raven", "Sparrow",
    "Thicket", "Vagabond", "Wharf", "Almanac", "Bayou", "Citadel", "Dynamo", "Ember", "Foundry",
    "Gambler", "Hangar", "Ledger", "Monsoon", "Nightingale", "Orbit", "Parlor", "Quartet",
    "Riddle", "Sentinel", "Tinker", "Voyager", "Warden", "Arcade", "Beacon", "Cipher", "Dominion",
    "Furnace", "Gondola", "Hourglass", "Juggler", "Kettle", "Lagoon", "Magician", "Nursery",
    "Observatory", "Pendulum", "Rampart", "Scarecrow", "Tangent", "Undertow", "Vineyard",
    "Whistle", "Zephyr", "Avalanche", "Balcony", "Caravan", "Detective", "Ferryman", "Greenhouse",
    "Lamplighter", "Mapmaker", "Quilt", "Rooftop", "Smuggler", "Tailor", "Weaver", "Satellite",
    "Cartographer", "Dollhouse", "Snowglobe", "Boathouse", "Treehouse", "Firefly", "Tugboat",
)  # fmt: skip
_PLURALS = (
    "Lanterns", "Orchards", "Ravens", "Sparrows", "Strangers", "Whispers", "Ashes", "Bells",
    "Embers", "Feathers", "Gardens", "Islands", "Keys", "Ladders", "Mirrors", "Rivers",
    "Shadows", "Tides", "Wolves", "Clocks", "Kites", "Marbles", "Pebbles", "Lighthouses",
)  # fmt: skip
_PLACES = (
    "Pinewood", "Marlow Bay", "Stonebridge", "Ashford", "Coldwater", "Redfern", "Larkspur",
    "Brambleton", "Hollis Creek", "Eastmoor", "Fairhaven", "Glenrock", "Kestrel Point",
    "Millbrook", "Northgate", "Oakhurst", "Quill Harbor", "Ravenscar", "Saltmarsh", "Thornbury",
    "Umberland", "Westvale", "Yarrow", "Brisbane Road", "Calder Falls", "Dunmore", "Elmstead",
)  # fmt: skip
_NAMES = (
    "Marlowe", "Delaney", "Henrietta", "Barnaby", "Ottoline", "Cassius", "Winifred", "Thaddeus",
    "Philippa", "Lucius", "Rosalind", "Ambrose", "Imogen", "Jasper", "Cordelia", "Rufus",
    "Beatrix", "Leopold", "Maude", "Silas", "Tabitha", "Horace", "Eugenie", "Fitzgerald",
)  # fmt: skip
_SECOND_NOUNS = (
    "Run", "Blues", "Story", "Affair", "Games", "Song", "Fever", "Dance", "Line", "Code", "Heat",
    "Road", "Waltz", "Lullaby", "Protocol", "Diaries", "Crossing", "Parade", "Rhapsody", "Trail",
    "Shift", "Circuit", "Ballad", "Gambit", "Sonata", "Weekend", "Reunion", "Holiday",
)  # fmt: skip
_SUBTITLES = (
    "The Return", "Part II", "Part III", "The Next Chapter", "Second Wind", "The Long Way Back",
    "Into the Deep", "After the Storm", "The Final Hour", "A New Dawn", "Homecoming",
    "The Lost Files", "Reckoning", "Rebirth", "The Beginning", "Beyond the Gate",
)  # fmt: skip
# Accented words make sure the ISO-8859-1 path is exercised (all encodable in Latin-1).
_ACCENTED = (
    "Café", "Señorita", "Fiancée", "Naïveté", "Résumé", "Piñata", "Crème Brûlée", "Mañana",
    "Déjà Vu", "Soirée", "Protégé", "Émigré", "Über Alles", "Façade", "Jalapeño", "Château",
)  # fmt: skip

# Title styles: plain "The ..." / ", The" suffix / adjective-noun / "X of the Y" / "Name's X" /
# "X Run" / colon sequel / ", A" suffix / accented.
_STYLES = (
    "the",
    "the_suffix",
    "adj_noun",
    "of_the",
    "possessive",
    "compound",
    "colon",
    "a_suffix",
    "accented",
)
_STYLE_WEIGHTS = np.array([0.15, 0.15, 0.2, 0.12, 0.08, 0.15, 0.06, 0.06, 0.03])


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def _title(rng: np.random.Generator, style: str) -> str:
    adj, noun = _pick(rng, _ADJECTIVES), _pick(rng, _NOUNS)
    if style == "the":
        return f"The {adj} {noun}"
    if style == "the_suffix":
        return f"{adj} {noun}, The"
    if style == "adj_noun":
        return f"{adj} {_pick(rng, _PLURALS)}"
    if style == "of_the":
        if rng.random() < 0.5:
            return f"{_pick(rng, _PLURALS)} of {_pick(rng, _PLACES)}"
        return f"{noun} of the {_pick(rng, _PLURALS)}"
    if style == "possessive":
        return f"{_pick(rng, _NAMES)}'s {noun}"
    if style == "compound":
        return f"{noun} {_pick(rng, _SECOND_NOUNS)}"
    if style == "colon":
        return f"{noun} {_pick(rng, _SECOND_NOUNS)}: {_pick(rng, _SUBTITLES)}"
    if style == "a_suffix":
        return f"{noun} in {_pick(rng, _PLACES)}, A"
    word = _pick(rng, _ACCENTED)
    variant = int(rng.integers(3))
    if variant == 0:
        return f"{adj} {word}, The"
    if variant == 1:
        return f"{word} in {_pick(rng, _PLACES)}"
    return f"{_pick(rng, _NAMES)}'s {word}"


def make_titles(rng: np.random.Generator, years: np.ndarray) -> list[str]:
    """Invent unique "Title (YYYY)" strings; every special style appears at least once."""
    n = len(years)
    styles = rng.choice(len(_STYLES), size=n, p=_STYLE_WEIGHTS / _STYLE_WEIGHTS.sum())
    forced = rng.choice(n, size=min(n, 3), replace=False)
    for idx, style in zip(forced, ("the_suffix", "colon", "accented"), strict=False):
        styles[idx] = _STYLES.index(style)
    seen: set[str] = set()
    titles: list[str] = []
    for style, year in zip(styles, years, strict=True):
        while True:
            full = f"{_title(rng, _STYLES[style])} ({year})"
            if full not in seen:
                break
        seen.add(full)
        titles.append(full)
    return titles
