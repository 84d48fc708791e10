"""User-facing words and number formats, Swedish (default) and English.

The one translation table of drugscenes: code speaks English, people read
Swedish unless they ask for ``--lang en``. Swedish numbers use a decimal comma
and a (no-break) space between thousands; dates are ISO everywhere.
"""

from __future__ import annotations

import math

LANGS = ("sv", "en")
NBSP = "\u00a0"

TEXT: dict[str, dict[str, str]] = {
    # document
    "title": {
        "sv": "Öppna drogscener – kartläggning {round}",
        "en": "Open drug scenes – mapping {round}",
    },
    "title_muni": {
        "sv": "Öppna drogscener i {municipality} – kartläggning {round}",
        "en": "Open drug scenes in {municipality} – mapping {round}",
    },
    "generated": {
        "sv": "Skapad {date} med drugscenes {version}",
        "en": "Generated {date} by drugscenes {version}",
    },
    "contents": {"sv": "Innehåll", "en": "Contents"},
    # sections
    "sec_headline": {"sv": "Sammanfattning", "en": "Summary"},
    "sec_map": {"sv": "Karta", "en": "Map"},
    "sec_municipalities": {"sv": "Scener per kommun", "en": "Scenes by municipality"},
    "sec_change": {"sv": "Förändring sedan {round}", "en": "Change since {round}"},
    "sec_history": {"sv": "Scenernas historik", "en": "History of the scenes"},
    "sec_crime": {"sv": "Brott i och kring scenerna", "en": "Crime at and around the scenes"},
    "sec_survey": {"sv": "Upplevd trygghet", "en": "Perceived safety"},
    "sec_candidates": {"sv": "Möjliga nya scener", "en": "Candidate scenes"},
    "sec_method": {"sv": "Metod och data", "en": "Method and data"},
    "missing": {"sv": "Avsnittet saknas: {why}", "en": "Section left out: {why}"},
    # headline sentences
    "h_inventory": {
        "sv": "Vid kartläggningen {round} fanns {n} öppna drogscener i {k} av {region_the} {N} kommuner, med en sammanlagd yta av {area}.",
        "en": "The {round} mapping found {n} open drug scenes in {k} of {region_the} {N} municipalities, with a total area of {area}.",
    },
    "h_inventory_muni": {
        "sv": "Vid kartläggningen {round} fanns {n} öppna drogscener i {municipality}, med en sammanlagd yta av {area}.",
        "en": "The {round} mapping found {n} open drug scenes in {municipality}, with a total area of {area}.",
    },
    "region_the": {"sv": "länets", "en": "the county's"},
    "h_change": {
        "sv": "Sedan {from_round} har {ceased} scener arbetats bort och {new} tillkommit ({n_from} → {n_to}).",
        "en": "Since {from_round}, {ceased} scenes have been worked away and {new} added ({n_from} → {n_to}).",
    },
    "h_restructure": {
        "sv": "{merged} scener har bildats genom att flera slagits ihop och {split} har delats upp.",
        "en": "{merged} scenes were formed by merging several, and {split} were split up.",
    },
    "h_area_smaller": {
        "sv": "Den totala ytan är mindre: {area_to} mot {area_from} ({pct}).",
        "en": "The total area is smaller: {area_to} against {area_from} ({pct}).",
    },
    "h_area_larger": {
        "sv": "Den totala ytan är större: {area_to} mot {area_from} ({pct}).",
        "en": "The total area is larger: {area_to} against {area_from} ({pct}).",
    },
    "h_area_same": {
        "sv": "Den totala ytan är oförändrad ({area_to}).",
        "en": "The total area is unchanged ({area_to}).",
    },
    "h_munis": {
        "sv": "Antalet kommuner med scener har gått från {m_from} till {m_to}.",
        "en": "The number of municipalities with scenes went from {m_from} to {m_to}.",
    },
    "h_no_new": {
        "sv": "Inga nya scener har uppstått på andra platser.",
        "en": "No new scenes have appeared elsewhere.",
    },
    "h_new_near": {
        "sv": "{near} av de nya scenerna ligger inom {dist} från en scen som upphört eller minskat (möjlig förflyttning).",
        "en": "{near} of the new scenes lie within {dist} of a scene that ceased or shrank (possible displacement).",
    },
    "h_new_elsewhere": {
        "sv": "{elsewhere} nya scener har uppstått på andra platser.",
        "en": "{elsewhere} new scenes have appeared elsewhere.",
    },
    "h_crime": {
        "sv": "Under perioden {period} skedde {share_viol} av det registrerade våldet och {share_shoot} av skjutningarna i eller inom {ring} från en scen, som täcker {share_area} av ytan.",
        "en": "In {period}, {share_viol} of recorded violence and {share_shoot} of shootings took place in or within {ring} of a scene, which cover {share_area} of the area.",
    },
    "h_shooting_scenes": {
        "sv": "{share} av scenerna hade minst en skjutning under perioden.",
        "en": "{share} of the scenes had at least one shooting in the period.",
    },
    "h_survey": {
        "sv": "I trygghetsmätningen {year} kände sig {share_near} av dem som bor inom {dist} från en scen otrygga, mot {share_region} i hela {region_noun}.",
        "en": "In the {year} safety survey, {share_near} of people living within {dist} of a scene felt unsafe, against {share_region} in the whole {region_noun}.",
    },
    "region_noun": {"sv": "länet", "en": "county"},
    # fates
    "persisting": {"sv": "kvarstår", "en": "persisting"},
    "ceased": {"sv": "upphört", "en": "ceased"},
    "new": {"sv": "tillkommit", "en": "new"},
    "merged": {"sv": "sammanslagen", "en": "merged"},
    "split": {"sv": "uppdelad", "en": "split"},
    "restructured": {"sv": "omstrukturerad", "en": "restructured"},
    "grown": {"sv": "större till ytan", "en": "grown"},
    "shrunk": {"sv": "mindre till ytan", "en": "shrunk"},
    "unchanged": {"sv": "oförändrad", "en": "unchanged"},
    "near_previous": {"sv": "nära tidigare scen", "en": "near a previous scene"},
    "elsewhere": {"sv": "ny plats", "en": "elsewhere"},
    # columns
    "col_code": {"sv": "Kommunkod", "en": "Code"},
    "col_municipality": {"sv": "Kommun", "en": "Municipality"},
    "col_scenes": {"sv": "Scener", "en": "Scenes"},
    "col_area_m2": {"sv": "Yta (m²)", "en": "Area (m²)"},
    "col_scene": {"sv": "Scen", "en": "Scene"},
    "col_name": {"sv": "Namn", "en": "Name"},
    "col_status": {"sv": "Status", "en": "Status"},
    "col_size": {"sv": "Ytförändring", "en": "Size change"},
    "col_from_ids": {"sv": "Scen(er) {round}", "en": "Scene(s) {round}"},
    "col_to_ids": {"sv": "Scen(er) {round}", "en": "Scene(s) {round}"},
    "col_area_from": {"sv": "Yta {round} (m²)", "en": "Area {round} (m²)"},
    "col_area_to": {"sv": "Yta {round} (m²)", "en": "Area {round} (m²)"},
    "col_n_from": {"sv": "Scener {round}", "en": "Scenes {round}"},
    "col_n_to": {"sv": "Scener {round}", "en": "Scenes {round}"},
    "col_change": {"sv": "Förändring", "en": "Change"},
    "col_change_pct": {"sv": "Förändring (%)", "en": "Change (%)"},
    "col_displacement": {"sv": "Förflyttning", "en": "Displacement"},
    "col_place": {"sv": "Plats", "en": "Place"},
    "col_first": {"sv": "Första omgång", "en": "First round"},
    "col_last": {"sv": "Senaste omgång", "en": "Last round"},
    "col_n_rounds": {"sv": "Antal omgångar", "en": "Rounds"},
    "col_rounds": {"sv": "Omgångar", "en": "Rounds present"},
    "col_came_back": {"sv": "Återkommit", "en": "Came back"},
    "col_ids": {"sv": "Id", "en": "Ids"},
    "col_zone": {"sv": "Zon", "en": "Zone"},
    "col_category": {"sv": "Kategori", "en": "Category"},
    "col_count": {"sv": "Antal", "en": "Count"},
    "col_share": {"sv": "Andel", "en": "Share"},
    "col_density": {"sv": "Per km²", "en": "Per km²"},
    "col_ratio": {"sv": "Kvot", "en": "Ratio"},
    "col_ci_low": {"sv": "KI nedre", "en": "CI low"},
    "col_ci_high": {"sv": "KI övre", "en": "CI high"},
    "col_p": {"sv": "p-värde", "en": "p-value"},
    "col_band": {"sv": "Avstånd", "en": "Distance"},
    "col_n": {"sv": "Svarande (n)", "en": "Respondents (n)"},
    "col_unsafe": {"sv": "Andel otrygga", "en": "Share unsafe"},
    "col_note": {"sv": "Anmärkning", "en": "Note"},
    "col_rank": {"sv": "Rang", "en": "Rank"},
    "col_shooting": {"sv": "Minst en skjutning", "en": "At least one shooting"},
    "suppressed": {"sv": "undertryckt (n < {k})", "en": "suppressed (n < {k})"},
    "suppressed_secondary": {
        "sv": "undertryckt (skyddar en annan undertryckt grupp)",
        "en": "suppressed (protects another suppressed group)",
    },
    "yes": {"sv": "ja", "en": "yes"},
    "no": {"sv": "nej", "en": "no"},
    # crime categories and zones
    "violence": {"sv": "våld", "en": "violence"},
    "shooting": {"sv": "skjutning", "en": "shooting"},
    "explosion": {"sv": "explosion", "en": "explosion"},
    "drug_offence": {"sv": "narkotikabrott", "en": "drug offence"},
    "drug offence": {"sv": "narkotikabrott", "en": "drug offence"},
    "other": {"sv": "övrigt", "en": "other"},
    "inside": {"sv": "i scen", "en": "in a scene"},
    "rest": {"sv": "övriga länet", "en": "rest of the region"},
    "drug_caveat": {
        "sv": "Narkotikabrott upptäcks till stor del genom polisens egen verksamhet: fler patruller vid en plats ger fler registrerade brott. Siffrorna mäter därför polisens närvaro lika mycket som brottsligheten och redovisas för sig.",
        "en": "Drug offences are largely found by police activity: more patrols at a place produce more recorded offences. These figures measure police presence as much as crime and are shown apart.",
    },
    # method notes
    "why_no_change": {
        "sv": "en tidigare kartläggningsomgång att jämföra med",
        "en": "an earlier mapping round to compare with",
    },
    "m_round": {"sv": "Kartläggningsomgång: {round}.", "en": "Mapping round: {round}."},
    "m_compare": {"sv": "Jämförs med {round}.", "en": "Compared with {round}."},
    "m_area": {
        "sv": "Ytor är plana ytor i SWEREF 99 TM (EPSG:3006). En scen räknas helt till den kommun den är registrerad i.",
        "en": "Areas are planar areas in SWEREF 99 TM (EPSG:3006). A scene counts wholly in the municipality it is registered to.",
    },
    "m_matching": {
        "sv": "Matchning mellan omgångar: samma id där båda omgångarna har id, annars överlapp (minst {overlap} av den mindre ytan) eller avstånd högst {tolerance}.",
        "en": "Matching between rounds: the same id where both rounds carry ids, else overlap (at least {overlap} of the smaller area) or a distance of at most {tolerance}.",
    },
    "m_size": {
        "sv": "Kvarstående scener är oförändrade om ytan ändrats högst {size}; en ny scen inom {distance} från en upphörd eller minskad scen markeras som möjlig förflyttning.",
        "en": "Persisting scenes are unchanged if their area changed by at most {size}; a new scene within {distance} of a ceased or shrunk scene is flagged as possible displacement.",
    },
    "m_counting": {
        "sv": "Räkneregel: antal nu = antal förut − upphörda + tillkomna − scener som försvunnit genom sammanslagning + scener som tillkommit genom uppdelning. Sammanslagna och uppdelade scener räknas varken som upphörda eller nya.",
        "en": "Counting rule: scenes now = scenes before − ceased + new − scenes lost by merging + scenes gained by splitting. Merged and split scenes are neither ceased nor new.",
    },
    "m_crime": {
        "sv": "Brott: händelser i en scen (kanten räknas som i scenen) eller inom {ring} från den; kvoter är händelser per km² jämfört med övriga länet med exakta Poisson-intervall. Perioden är de tolv månaderna före kartläggningen om inget annat anges.",
        "en": "Crime: incidents in a scene (its edge counts as inside) or within {ring} of it; ratios are incidents per km² against the rest of the region with exact Poisson intervals. The period is the twelve months before the mapping unless given.",
    },
    "m_survey": {
        "sv": "Trygghet: vägda andelar från trygghetsmätningen med designbaserade 95 % konfidensintervall; avstånd från bostaden till närmaste scen i omgången. Inga enskilda svar, id:n eller bostadsplatser finns i rapporten.",
        "en": "Safety: weighted shares from the safety survey with design-based 95 % confidence intervals; distance from home to the nearest scene of the round. No individual answer, id or home location is in the report.",
    },
    "missing_incidents": {
        "sv": "inga brottshändelser i arbetsytan för perioden {period}; importera dem med 'drugscenes import incidents'",
        "en": "no incidents in the workspace for {period}; import them with 'drugscenes import incidents'",
    },
    "missing_survey": {
        "sv": "ingen trygghetsmätning i arbetsytan; importera den med 'drugscenes import survey'",
        "en": "no safety survey in the workspace; import it with 'drugscenes import survey'",
    },
    "within": {"sv": "inom {dist}", "en": "within {dist}"},
    "t_zone": {
        "sv": "Händelser per zon, {period} (andel = kategorins andel av zonens händelser)",
        "en": "Incidents by zone, {period} (share = the category's share of the zone's incidents)",
    },
    "t_rr": {
        "sv": "Händelser per km² jämfört med övriga länet (exakt Poisson-intervall, 95 %)",
        "en": "Incidents per km² against the rest of the region (exact Poisson interval, 95 %)",
    },
    "t_scene": {
        "sv": "Händelser i och inom {dist} från varje scen",
        "en": "Incidents in and within {dist} of each scene",
    },
    "t_shootings": {
        "sv": "Scener med minst en skjutning",
        "en": "Scenes with at least one shooting",
    },
    "t_survey_note": {
        "sv": "Vägda andelar med 95 % konfidensintervall ({method}, designbaserade). Grupper med färre än {k} svarande redovisas inte.",
        "en": "Weighted shares with 95 % confidence intervals ({method}, design-based). Groups with fewer than {k} respondents are not shown.",
    },
    "t_survey_muni": {"sv": "Andel otrygga per kommun", "en": "Share unsafe by municipality"},
    "sheet_municipalities": {"sv": "Kommuner", "en": "Municipalities"},
    "sheet_scenes": {"sv": "Scener", "en": "Scenes"},
    "sheet_change": {"sv": "Förändring", "en": "Change"},
    "sheet_history": {"sv": "Historik", "en": "History"},
    "sheet_candidates": {"sv": "Kandidater", "en": "Candidates"},
    "sheet_zones": {"sv": "Brott per zon", "en": "Crime by zone"},
    "sheet_rr": {"sv": "Kvoter", "en": "Rate ratios"},
    "sheet_scenes_crime": {"sv": "Brott per scen", "en": "Crime by scene"},
    "sheet_shootings": {"sv": "Skjutningar", "en": "Shootings"},
    "sheet_drugs": {"sv": "Narkotikabrott", "en": "Drug offences"},
    "sheet_survey_bands": {"sv": "Trygghet avstånd", "en": "Safety by distance"},
    "sheet_survey_munis": {"sv": "Trygghet kommun", "en": "Safety by municipality"},
    "h_candidates": {
        "sv": "Brottsdata {period} visar {n} område(n) med signifikant koncentration av narkotikabrott, våld och skjutningar utanför registret; {far} av dem ligger mer än {dist} från alla upphörda scener och är kandidater till nästa kartläggning.",
        "en": "Crime data for {period} show {n} area(s) with a significant concentration of drug offences, violence and shootings outside the registry; {far} of them lie more than {dist} from every ceased scene and are candidates for the next mapping round.",
    },
    "h_candidates_none": {
        "sv": "Brottsdata {period} visar inga områden med signifikant koncentration utanför registret.",
        "en": "Crime data for {period} show no area of significant concentration outside the registry.",
    },
    "m_candidates": {
        "sv": "Getis-Ord Gi* på ett rutnät om {cell} (grannskap {band}, FDR-korrigerat); heta rutor (95 %) slås ihop till områden, och områden inom {dist} från en registrerad scen räknas inte. Trend: Mann-Kendall över månader.",
        "en": "Getis-Ord Gi* on a {cell} grid ({band} neighbourhood, FDR-corrected); hot cells (95 %) are merged into areas, and areas within {dist} of a registered scene are left out. Trend: Mann-Kendall over months.",
    },
    "t_candidates_note": {
        "sv": "Kandidater är platser att pröva i nästa kartläggning, inte fastställda scener. Narkotikabrott speglar polisens närvaro.",
        "en": "Candidates are places to examine in the next mapping round, not established scenes. Drug offences reflect police presence.",
    },
    "col_candidate": {"sv": "Kandidat", "en": "Candidate"},
    "col_trend": {"sv": "Trend", "en": "Trend"},
    "col_pattern": {"sv": "Mönster", "en": "Pattern"},
    "col_nearest_scene": {
        "sv": "Avstånd till närmaste scen (m)",
        "en": "Distance to nearest scene (m)",
    },
    "col_far_from_ceased": {"sv": "Långt från upphörda scener", "en": "Far from ceased scenes"},
    "increasing": {"sv": "ökande", "en": "increasing"},
    "decreasing": {"sv": "minskande", "en": "decreasing"},
    "no trend": {"sv": "ingen trend", "en": "no trend"},
    # map
    "map_municipalities": {"sv": "Kommuner", "en": "Municipalities"},
    "map_scenes": {"sv": "Scener {round}", "en": "Scenes {round}"},
    "map_ceased": {"sv": "Upphörda scener ({round})", "en": "Ceased scenes ({round})"},
    "map_history": {"sv": "Historik", "en": "History"},
    "map_area": {"sv": "Yta", "en": "Area"},
    "map_no_tiles": {
        "sv": "Bakgrundskartan är länets egna kommungränser; ingen kartserver används.",
        "en": "The base map is the region's own municipality boundaries; no map server is used.",
    },
    # survey chart
    "chart_unsafe_title": {
        "sv": "Andel otrygga efter avstånd till närmaste scen",
        "en": "Share feeling unsafe by distance to the nearest scene",
    },
    "chart_region_line": {"sv": "Hela länet", "en": "Whole county"},
    "chart_suppressed": {"sv": "undertryckt", "en": "suppressed"},
    "chart_x": {
        "sv": "Avstånd från bostaden till närmaste scen",
        "en": "Distance from home to the nearest scene",
    },
    "chart_y": {"sv": "Andel otrygga", "en": "Share unsafe"},
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``values`` filled in."""
    try:
        template = TEXT[key][lang]
    except KeyError:
        return key
    return template.format(**values) if values else template


def label(value: object, lang: str) -> str:
    """A code word (``ceased``, ``violence``) in the reader's language, else the value."""
    text = str(value)
    return TEXT[text][lang] if text in TEXT else text


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt_num(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """``1 234,5`` in Swedish, ``1,234.5`` in English; an en dash for missing values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sep, dec = (NBSP, ",") if lang == "sv" else (",", ".")
    sign = "−" if value < 0 and float(text) != 0 else ""
    return sign + _group(whole, sep) + (dec + frac if frac else "")


def fmt_pct(fraction: float | None, lang: str, decimals: int = 0) -> str:
    """A fraction as per cent: ``0.36`` → ``36 %`` (a space before % in both languages)."""
    if fraction is None or (isinstance(fraction, float) and not math.isfinite(fraction)):
        return "–"
    return f"{fmt_num(100 * fraction, lang, decimals)}{NBSP}%"


def fmt_signed_pct(percent: float | None, lang: str, decimals: int = 0) -> str:
    """A per cent change with its sign: ``−12 %``, ``+5 %``."""
    if percent is None or (isinstance(percent, float) and not math.isfinite(percent)):
        return "–"
    sign = "+" if percent > 0 else ""
    return f"{sign}{fmt_num(percent, lang, decimals)}{NBSP}%"


def fmt_area(m2: float | None, lang: str) -> str:
    """Square metres below one hectare, hectares above."""
    if m2 is None or (isinstance(m2, float) and not math.isfinite(m2)):
        return "–"
    if m2 < 10_000:
        return f"{fmt_num(m2, lang)}{NBSP}m²"
    return f"{fmt_num(m2 / 10_000, lang, 2)}{NBSP}ha"


def fmt_dist(metres: float, lang: str) -> str:
    """``500 m``, ``1,5 km``."""
    if metres >= 1000:
        km = metres / 1000
        return f"{fmt_num(km, lang, 0 if km.is_integer() else 1)}{NBSP}km"
    return f"{fmt_num(metres, lang)}{NBSP}m"
