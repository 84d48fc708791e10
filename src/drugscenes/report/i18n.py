"""User-facing words and number formats, Swedish (default) and English.

The one translation table of drugscenes: code speaks English, people read
Swedish unless they ask for ``--lang en``. Swedish numbers use a decimal comma
and a (no-break) space between thousands; dates are ISO everywhere.
"""

from __future__ import annotations

import math
import re

LANGS = ("sv", "en")
NBSP = "\u00a0"

TEXT: dict[str, dict[str, str]] = {
    # document
    "title": {
        "sv": "Öppna drogscener – kartläggning {round}",
        "en": "Open drug scenes – mapping {round}",
    },
    "title_region": {
        "sv": "Öppna drogscener i {region} – kartläggning {round}",
        "en": "Open drug scenes in {region} – mapping {round}",
    },
    "synthetic_title": {"sv": "Syntetiska data.", "en": "Synthetic data."},
    "synthetic_text": {
        "sv": "Alla platser, namn, brott och svar i den här rapporten är påhittade för att visa verktyget. Rapporten beskriver inga verkliga förhållanden.",
        "en": "Every place, name, incident and answer in this report is invented to show the tool. The report describes no real conditions.",
    },
    "title_muni": {
        "sv": "Öppna drogscener i {municipality} – kartläggning {round}",
        "en": "Open drug scenes in {municipality} – mapping {round}",
    },
    "title_muni_region": {
        "sv": "Öppna drogscener i {municipality} ({region}) – kartläggning {round}",
        "en": "Open drug scenes in {municipality} ({region}) – mapping {round}",
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
    "sec_candidates": {
        "sv": "Brottskoncentrationer utanför registret",
        "en": "Crime concentrations outside the registry",
    },
    "sec_method": {"sv": "Metod och data", "en": "Method and data"},
    "missing": {"sv": "Avsnittet saknas: {why}", "en": "Section left out: {why}"},
    # headline sentences
    "h_inventory": {
        "sv": "Vid kartläggningen {round} fanns {scenes} i {k} av {region_the} {N} kommuner, med en sammanlagd yta av {area}.",
        "en": "The {round} mapping found {scenes} in {k} of {region_the} {N} municipalities, with a total area of {area}.",
    },
    "h_inventory_none": {
        "sv": "Vid kartläggningen {round} fanns inga öppna drogscener i {where}.",
        "en": "The {round} mapping found no open drug scene in {where}.",
    },
    "h_muni_no_scenes": {
        "sv": "Rapporten visar ändå brotten, tryggheten och de platser där brottsdata pekar på en möjlig ny scen i kommunen.",
        "en": "The report still shows crime, perceived safety and the places where crime data point to a possible new scene in the municipality.",
    },
    "h_inventory_muni": {
        "sv": "Vid kartläggningen {round} fanns {scenes} i {municipality}, med en sammanlagd yta av {area}.",
        "en": "The {round} mapping found {scenes} in {municipality}, with a total area of {area}.",
    },
    "region_the": {"sv": "länets", "en": "the county's"},
    "h_change": {
        "sv": "Sedan {from_round} har {ceased} arbetats bort och {new} tillkommit ({n_from} → {n_to}).",
        "en": "Since {from_round}: {ceased} worked away, {new} added ({n_from} → {n_to}).",
    },
    "h_change_none": {
        "sv": "Inte heller vid kartläggningen {from_round} fanns någon scen där.",
        "en": "Nor were there any scenes there in the {from_round} mapping.",
    },
    "h_merged": {"sv": "{clause}: {items}.", "en": "{clause}: {items}."},
    "h_story": {"sv": "{mapping}; {data}.", "en": "{mapping}; {data}."},
    "story_map_none": {
        "sv": "Inga nya scener i kartläggningen",
        "en": "No new scene in the mapping",
    },
    "story_map_none_elsewhere": {
        "sv": "Inga nya scener på andra platser i kartläggningen",
        "en": "No new scene elsewhere in the mapping",
    },
    "story_map_elsewhere": {
        "sv": "I kartläggningen har {new} uppstått på andra platser",
        "en": "The mapping has {new} elsewhere",
    },
    "story_data_none": {
        "sv": "brottsdata pekar inte heller på någon ny plats utanför registret",
        "en": "crime data point to no new place outside the registry either",
    },
    "story_data_one": {
        "sv": "brottsdata pekar på en plats i {where}",
        "en": "crime data point to one place, in {where}",
    },
    "story_data_many": {
        "sv": "brottsdata pekar på {n} platser, i {where}",
        "en": "crime data point to {n} places, in {where}",
    },
    "h_remaining": {
        "sv": "Vid {scenes} som arbetats bort sedan {from_round} visar brottsdata {period} fortfarande en koncentration av brott (perioden ligger delvis före bortarbetandet): {names}.",
        "en": "At {scenes} worked away since {from_round}, crime data for {period} still show a concentration of crime (the period lies partly before the work): {names}.",
    },
    "h_remaining_none": {
        "sv": "Vid de scener som arbetats bort sedan {from_round} visar brottsdata {period} ingen kvarvarande koncentration av brott.",
        "en": "At the scenes worked away since {from_round}, crime data for {period} show no remaining concentration of crime.",
    },
    "ch_ceased": {"sv": "Arbetats bort: {items}.", "en": "Worked away: {items}."},
    "ch_new": {"sv": "Tillkommit: {items}.", "en": "Added: {items}."},
    "ch_none_ceased": {
        "sv": "Ingen scen har arbetats bort.",
        "en": "No scene has been worked away.",
    },
    "ch_none_new": {"sv": "Ingen ny scen har tillkommit.", "en": "No new scene has been added."},
    "and": {"sv": "och", "en": "and"},
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
        "sv": "{near} ligger inom {dist} från en scen som upphört eller minskat (möjlig förflyttning).",
        "en": "{near} within {dist} of a scene that ceased or shrank (possible displacement).",
    },
    "near_one_of_one": {"sv": "Den nya scenen", "en": "The new scene lies"},
    "near_all": {"sv": "Alla {n} nya scener", "en": "All {n} new scenes lie"},
    "near_one": {"sv": "En av de {n} nya scenerna", "en": "One of the {n} new scenes lies"},
    "near_some": {"sv": "{k} av de {n} nya scenerna", "en": "{k} of the {n} new scenes lie"},
    "h_new_elsewhere": {
        "sv": "I kartläggningen har {elsewhere} uppstått på andra platser.",
        "en": "The mapping has {elsewhere} elsewhere.",
    },
    "h_crime": {
        "sv": "Under perioden {period} skedde {share_viol} av det registrerade våldet och {share_shoot} av skjutningarna i {where} inom scenerna eller högst {ring} från dem, ett område som sammanlagt täcker {share_area} av {area_of}.",
        "en": "In {period}, {share_viol} of recorded violence and {share_shoot} of shootings in {where} took place in the scenes or within {ring} of them, an area covering {share_area} of {area_of}.",
    },
    "h_shooting_scenes": {
        "sv": "{share} av scenerna hade minst en skjutning under perioden.",
        "en": "{share} of the scenes had at least one shooting in the period.",
    },
    "h_survey": {
        "sv": "I trygghetsmätningen {year} kände sig {share_near} av dem som bor inom {dist} från en scen otrygga, mot {share_region} i hela {region_noun}.",
        "en": "In the {year} safety survey, {share_near} of people living within {dist} of a scene felt unsafe, against {share_region} in the whole {region_noun}.",
    },
    "area_of_county": {"sv": "länets yta", "en": "the county's area"},
    "area_of_muni": {"sv": "kommunens yta", "en": "the municipality's area"},
    "county_where": {"sv": "länet", "en": "the county"},
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
    "rest": {
        "sv": "övriga länet",
        "en": "rest of the county",
    },
    "rest_muni": {"sv": "övriga kommunen", "en": "rest of the municipality"},
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
        "sv": "Brott: händelser i en scen (kanten räknas som i scenen) eller inom {ring} från den; kvoter är händelser per km² jämfört med {rest} med exakta Poisson-intervall. Perioden är de tolv månaderna före kartläggningen om inget annat anges.",
        "en": "Crime: incidents in a scene (its edge counts as inside) or within {ring} of it; ratios are incidents per km² against the {rest} with exact Poisson intervals. The period is the twelve months before the mapping unless given.",
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
        "sv": "Händelser per km² jämfört med {rest} (exakt Poisson-intervall, 95 %)",
        "en": "Incidents per km² against the {rest} (exact Poisson interval, 95 %)",
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
        "sv": "Brottsdata {period} visar {areas} med signifikant koncentration av narkotikabrott, våld och skjutningar utanför registret: {remaining} vid scener som arbetats bort och {new}.",
        "en": "Crime data for {period} show {areas} with a significant concentration of drug offences, violence and shootings outside the registry: {remaining} at scenes that were worked away and {new}.",
    },
    "h_candidates_none": {
        "sv": "Brottsdata {period} visar inga områden med signifikant koncentration utanför registret.",
        "en": "Crime data for {period} show no area of significant concentration outside the registry.",
    },
    "m_candidates_local": {
        "sv": "Exakt lokalt Poisson-test på ett rutnät om {cell}: brotten inom {band} från varje ruta jämförs med omgivningen (FDR-korrigerat); heta rutor (95 %) slås ihop till områden, och områden inom {dist} från en registrerad scen räknas inte. Ett område inom {ceased} från en bortarbetad scen räknas som kvarvarande brott där, övriga som nya platser. Trend: exakt Poisson-trendtest över månader.",
        "en": "Exact local Poisson test on a {cell} grid: the incidents within {band} of each cell against its surroundings (FDR-corrected); hot cells (95 %) are merged into areas, and areas within {dist} of a registered scene are left out. An area within {ceased} of a worked-away scene counts as crime remaining there, the others as new places. Trend: exact Poisson trend test over months.",
    },
    "t_remaining": {
        "sv": "Brott kvar där scener arbetats bort",
        "en": "Crime remaining where scenes were worked away",
    },
    "t_new_places": {"sv": "Nya kandidatplatser", "en": "New candidate places"},
    "t_all_candidates": {
        "sv": "Alla områden med signifikant koncentration utanför registret",
        "en": "Every area of significant concentration outside the registry",
    },
    "sheet_remaining": {"sv": "Brott kvar bortarbetade", "en": "Remaining at worked away"},
    "sheet_new_places": {"sv": "Nya platser", "en": "New places"},
    "col_candidates": {"sv": "Områden", "en": "Areas"},
    "col_nearest_m": {"sv": "Avstånd (m)", "en": "Distance (m)"},
    "col_nearest_scene_name": {"sv": "Närmaste scen", "en": "Nearest scene"},
    "col_nearest_km": {
        "sv": "Avstånd till närmaste scen (km)",
        "en": "Distance to nearest scene (km)",
    },
    "col_kind": {"sv": "Bedömning", "en": "Reading"},
    "kind_remaining": {
        "sv": "vid bortarbetad scen: {names}",
        "en": "at worked-away scene: {names}",
    },
    "kind_new": {"sv": "ny plats", "en": "new place"},
    "col_area_ha": {"sv": "Yta (ha)", "en": "Area (ha)"},
    "col_area_km2": {"sv": "Yta (km²)", "en": "Area (km²)"},
    "col_area_from_ha": {"sv": "Yta {round} (ha)", "en": "Area {round} (ha)"},
    "col_area_to_ha": {"sv": "Yta {round} (ha)", "en": "Area {round} (ha)"},
    "total": {"sv": "Totalt", "en": "Total"},
    "sec_rounds": {"sv": "Omgångarna över tid", "en": "The rounds over time"},
    "t_rounds": {"sv": "Scener och yta per kartläggning", "en": "Scenes and area by mapping round"},
    "sheet_rounds": {"sv": "Omgångar", "en": "Rounds"},
    "col_round": {"sv": "Omgång", "en": "Round"},
    "col_date": {"sv": "Datum", "en": "Date"},
    "col_n_munis": {"sv": "Kommuner med scener", "en": "Municipalities with scenes"},
    "chart_rounds_n": {"sv": "Antal scener", "en": "Number of scenes"},
    "chart_rounds_area": {"sv": "Sammanlagd yta (ha)", "en": "Total area (ha)"},
    "crime_no_scenes": {
        "sv": "Det fanns inga scener i {where} vid kartläggningen {round}, så brotten kan inte delas upp efter avstånd till scener. Under perioden {period} registrerades {total} händelser i kommunen.",
        "en": "There were no scenes in {where} in the {round} mapping, so crime cannot be split by distance to scenes. In {period}, {total} incidents were recorded in the municipality.",
    },
    "t_crime_counts": {
        "sv": "Händelser i {where}, {period}",
        "en": "Incidents in {where}, {period}",
    },
    "h_survey_muni": {
        "sv": "I trygghetsmätningen {year} kände sig {share} av de svarande i {municipality} otrygga (95 % KI {lo}–{hi}).",
        "en": "In the {year} safety survey, {share} of respondents in {municipality} felt unsafe (95 % CI {lo}–{hi}).",
    },
    "survey_muni_note": {
        "sv": "Andelar efter avstånd till scenerna redovisas bara i länets rapport, så att kommunens siffror inte kan jämföras fram till enskilda svarande.",
        "en": "Shares by distance to the scenes are published in the county's report only, so that the municipality's figures cannot be differenced down to single respondents.",
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
    "new hot spot": {"sv": "ny het punkt", "en": "new hot spot"},
    "consecutive hot spot": {"sv": "sammanhängande het punkt", "en": "consecutive hot spot"},
    "intensifying hot spot": {"sv": "tilltagande het punkt", "en": "intensifying hot spot"},
    "persistent hot spot": {"sv": "ihållande het punkt", "en": "persistent hot spot"},
    "diminishing hot spot": {"sv": "avtagande het punkt", "en": "diminishing hot spot"},
    "sporadic hot spot": {"sv": "sporadisk het punkt", "en": "sporadic hot spot"},
    "oscillating hot spot": {"sv": "växlande het punkt", "en": "oscillating hot spot"},
    "historical hot spot": {"sv": "tidigare het punkt", "en": "historical hot spot"},
    "new cold spot": {"sv": "ny kall punkt", "en": "new cold spot"},
    "consecutive cold spot": {"sv": "sammanhängande kall punkt", "en": "consecutive cold spot"},
    "intensifying cold spot": {"sv": "tilltagande kall punkt", "en": "intensifying cold spot"},
    "persistent cold spot": {"sv": "ihållande kall punkt", "en": "persistent cold spot"},
    "diminishing cold spot": {"sv": "avtagande kall punkt", "en": "diminishing cold spot"},
    "sporadic cold spot": {"sv": "sporadisk kall punkt", "en": "sporadic cold spot"},
    "oscillating cold spot": {"sv": "växlande kall punkt", "en": "oscillating cold spot"},
    "historical cold spot": {"sv": "tidigare kall punkt", "en": "historical cold spot"},
    "no pattern detected": {"sv": "inget mönster", "en": "no pattern detected"},
    "current": {"sv": "aktuell", "en": "current"},
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
    # effect of worked-away scenes (services.evaluate)
    "sec_evaluation": {
        "sv": "Effekt av bortarbetade scener",
        "en": "Effect of worked-away scenes",
    },
    "why_no_ceased": {
        "sv": "ingen scen från kartläggningen {compare} har arbetats bort till {round}, så det finns inget att utvärdera",
        "en": "no scene of the {compare} mapping had been worked away by {round}, so there is nothing to evaluate",
    },
    "why_no_persisting": {
        "sv": "ingen scen från kartläggningen {compare} fanns kvar {round}, så det finns ingen jämförelsegrupp",
        "en": "no scene of the {compare} mapping remained in {round}, so there is no comparison group",
    },
    "why_no_history": {
        "sv": "brottshändelser före och efter kartläggningarna eller en trygghetsmätning året före och året efter {round}; importera dem med 'drugscenes import incidents' och 'drugscenes import survey'",
        "en": "incidents before and after the mappings, or a safety survey the year before and the year after {round}; import them with 'drugscenes import incidents' and 'drugscenes import survey'",
    },
    "h_evaluation_down": {
        "sv": "Brottsligheten vid de bortarbetade scenerna minskade med {pct} jämfört med scener som fanns kvar (i scenen och inom {ring}, efter kartläggningen {round}; kvot {rr}, 95 % KI {lo}–{hi}).",
        "en": "Crime at the worked-away scenes fell by {pct} compared with scenes that remained (in the scene and within {ring}, after the {round} mapping; rate ratio {rr}, 95 % CI {lo}–{hi}).",
    },
    "h_evaluation_up": {
        "sv": "Brottsligheten vid de bortarbetade scenerna ökade med {pct} jämfört med scener som fanns kvar (i scenen och inom {ring}, efter kartläggningen {round}; kvot {rr}, 95 % KI {lo}–{hi}).",
        "en": "Crime at the worked-away scenes rose by {pct} compared with scenes that remained (in the scene and within {ring}, after the {round} mapping; rate ratio {rr}, 95 % CI {lo}–{hi}).",
    },
    "ev_intro": {
        "sv": "Scenerna från kartläggningen {compare} som hade arbetats bort till {round} ({n_ceased} st.) jämförs med dem som fanns kvar ({n_persisting} st.): en förändring som båda grupperna delar, till exempel en gemensam trend över tid, tar ut sig själv.",
        "en": "The scenes of the {compare} mapping that had been worked away by {round} ({n_ceased}) are compared with those that remained ({n_persisting}): any change both groups share, such as a common trend over time, cancels out.",
    },
    "ev_chart_title": {
        "sv": "Händelsestudie: brott vid bortarbetade jämfört med kvarvarande scener, per månad",
        "en": "Event study: crime at worked-away against remaining scenes, by month",
    },
    "ev_chart_x": {
        "sv": "Månader före och efter kartläggningen {round} (0 = {month})",
        "en": "Months before and after the {round} mapping (0 = {month})",
    },
    "ev_chart_y": {
        "sv": "Kvot mot referensmånaden (logaritmisk skala)",
        "en": "Rate ratio against the reference month (log scale)",
    },
    "ev_chart_round": {"sv": "Kartläggning {round}", "en": "{round} mapping"},
    "ev_chart_reference": {"sv": "referensmånad {month}", "en": "reference month {month}"},
    "ev_chart_between": {"sv": "mellan omgångarna", "en": "between the rounds"},
    "ev_chart_between_shade": {
        "sv": "månader mellan omgångarna",
        "en": "months between the rounds",
    },
    "ev_chart_before": {
        "sv": "före kartläggningen {compare}",
        "en": "before the {compare} mapping",
    },
    "ev_chart_after": {"sv": "efter kartläggningen {round}", "en": "after the {round} mapping"},
    "ev_chart_average": {"sv": "genomsnitt efter: {rr}", "en": "average after: {rr}"},
    "ev_chart_note": {
        "sv": "Varje punkt är kvoten mellan brottsligheten vid bortarbetade och kvarvarande scener den månaden, relativt referensmånaden {month} (den sista före kartläggningen {compare}), med 95 % konfidensintervall. Månader där någon av grupperna saknar händelser har ingen punkt.",
        "en": "Each point is the rate ratio of crime at worked-away against remaining scenes that month, relative to the reference month {month} (the last before the {compare} mapping), with its 95 % confidence interval. Months in which either group has no incident have no point.",
    },
    "t_ev_crime": {
        "sv": "Brott vid bortarbetade jämfört med kvarvarande scener, {first}–{last} (kvot, 95 % KI)",
        "en": "Crime at worked-away against remaining scenes, {first}–{last} (rate ratio, 95 % CI)",
    },
    "t_ev_crime_note": {
        "sv": "Kvot under 1: brottsligheten minskade mer (eller ökade mindre) vid de bortarbetade scenerna än vid dem som fanns kvar. Alla brott utom narkotikabrott, som mest speglar polisens närvaro. Poissonregression med scen- och månadseffekter, standardfel klustrade per scen.",
        "en": "A rate ratio below 1: crime fell more (or rose less) at the worked-away scenes than at those that remained. All crime except drug offences, which mostly reflect police presence. Poisson regression with scene and month effects, standard errors clustered by scene.",
    },
    "col_outcome": {"sv": "Utfall", "en": "Outcome"},
    "col_rate_ratio": {"sv": "Kvot", "en": "Rate ratio"},
    "ev_row_main": {
        "sv": "Scenområdet (scen och inom {ring}), efter {round}",
        "en": "Scene area (scene and within {ring}), after {round}",
    },
    "ev_row_between": {
        "sv": "Scenområdet, mellan {compare} och {round}",
        "en": "Scene area, between {compare} and {round}",
    },
    "ev_row_ring": {
        "sv": "Ringen ensam (inom {ring} utanför scenen)",
        "en": "The ring alone (within {ring} outside the scene)",
    },
    "ev_row_rest": {
        "sv": "Övriga kommunen (utanför alla scenområden)",
        "en": "Rest of the municipality (outside every scene area)",
    },
    "ev_row_placebo": {
        "sv": "Placebotest: låtsad händelse {n} månader tidigare",
        "en": "Placebo test: a pretend event {n} months earlier",
    },
    "ev_row_pretrend": {
        "sv": "Förtrendtest: månaderna före {compare} (gemensamt F-test)",
        "en": "Pre-trend test: the months before {compare} (joint F test)",
    },
    "ev_note_main": {"sv": "huvudresultatet", "en": "the main estimate"},
    "ev_note_between": {
        "sv": "övergångsmånader, när scenerna arbetades bort",
        "en": "transition months, while scenes were being worked away",
    },
    "ev_note_displacement": {
        "sv": "över 1: förflyttning; under 1: spridning av nytta",
        "en": "above 1: displacement; below 1: diffusion of benefits",
    },
    "ev_note_placebo": {"sv": "bör ligga nära 1", "en": "should be near 1"},
    "ev_note_pretrend": {"sv": "bör inte vara litet", "en": "should not be small"},
    "ev_note_county_only": {
        "sv": "skattas bara i länets rapport",
        "en": "estimated only in the county's report",
    },
    "ev_no_estimate": {"sv": "ingen skattning: {reason}", "en": "no estimate: {reason}"},
    "t_ev_survey": {
        "sv": "Andel otrygga inom {near} från bortarbetade jämfört med kvarvarande scener: förändring mellan åren (skillnad i skillnader)",
        "en": "Share feeling unsafe within {near} of worked-away against remaining scenes: change between the years (difference in differences)",
    },
    "t_ev_survey_note": {
        "sv": "Vägda andelar med designbaserade 95 % konfidensintervall, i hela procentenheter. Grupper med färre än {k} svarande ger ingen skattning.",
        "en": "Weighted shares with design-based 95 % confidence intervals, in whole percentage points. Groups with fewer than {k} respondents give no estimate.",
    },
    "col_year_before": {"sv": "År före", "en": "Year before"},
    "col_year_after": {"sv": "År efter", "en": "Year after"},
    "col_diff_pp": {"sv": "Förändring (procentenheter)", "en": "Change (percentage points)"},
    "sheet_ev_crime": {"sv": "Effekt brott", "en": "Effect crime"},
    "sheet_ev_survey": {"sv": "Effekt trygghet", "en": "Effect safety"},
    "ev_read_down": {
        "sv": "Efter kartläggningen {round} var brottsligheten i de bortarbetade scenernas områden {pct} lägre än utvecklingen vid de kvarvarande scenerna förutsäger (kvot {rr}, 95 % KI {lo}–{hi}).",
        "en": "After the {round} mapping, crime in the areas of the worked-away scenes was {pct} lower than the change at the remaining scenes predicts (rate ratio {rr}, 95 % CI {lo}–{hi}).",
    },
    "ev_read_up": {
        "sv": "Efter kartläggningen {round} var brottsligheten i de bortarbetade scenernas områden {pct} högre än utvecklingen vid de kvarvarande scenerna förutsäger (kvot {rr}, 95 % KI {lo}–{hi}).",
        "en": "After the {round} mapping, crime in the areas of the worked-away scenes was {pct} higher than the change at the remaining scenes predicts (rate ratio {rr}, 95 % CI {lo}–{hi}).",
    },
    "ev_read_clear": {
        "sv": "Intervallet utesluter ”ingen förändring”.",
        "en": "The interval excludes ‘no change’.",
    },
    "ev_read_unclear": {
        "sv": "Intervallet rymmer ”ingen förändring”: data kan inte avgöra om arbetet påverkade brottsligheten.",
        "en": "The interval includes ‘no change’: the data cannot tell whether the work changed crime.",
    },
    "ev_read_no_crime": {
        "sv": "Brott: ingen skattning ({reason}).",
        "en": "Crime: no estimate ({reason}).",
    },
    "ev_read_pretrend_ok": {
        "sv": "Före kartläggningen {compare} rörde sig brottsligheten vid de två grupperna av scener lika (förtrendtest {p}). Det stöder jämförelsen men bevisar den inte: testet har liten styrka, och en skillnad i trend som inte syntes före kan ändå finnas.",
        "en": "Before the {compare} mapping, crime at the two groups of scenes moved alike (pre-trend test {p}). That supports the comparison but does not prove it: the test has little power, and a difference in trend that did not show before may still exist.",
    },
    "ev_read_pretrend_bad": {
        "sv": "Varning: före kartläggningen {compare} rörde sig grupperna redan olika (förtrendtest {p}); skattningen kan vara snedvriden.",
        "en": "Warning: before the {compare} mapping the groups already moved differently (pre-trend test {p}); the estimate may be biased.",
    },
    "ev_read_placebo_ok": {
        "sv": "Placebotestet, samma jämförelse med en låtsad händelse {n} månader tidigare då inget hade hänt, bör ge en kvot nära 1 och gav {rr} (95 % KI {lo}–{hi}).",
        "en": "The placebo test, the same comparison with a pretend event {n} months earlier when nothing had happened, should give a rate ratio near 1 and gave {rr} (95 % CI {lo}–{hi}).",
    },
    "ev_read_placebo_bad": {
        "sv": "Placebotestet, samma jämförelse med en låtsad händelse {n} månader tidigare då inget hade hänt, borde ge en kvot nära 1 men gav {rr} (95 % KI {lo}–{hi}): grupperna gled isär redan före insatsen, och skattningen ovan bör läsas med försiktighet.",
        "en": "The placebo test, the same comparison with a pretend event {n} months earlier when nothing had happened, should give a rate ratio near 1 but gave {rr} (95 % CI {lo}–{hi}): the groups were drifting apart before the work, and the estimate above should be read with care.",
    },
    "ev_read_displacement": {
        "sv": "Ringen ensam och övriga kommunen visar om brottsligheten flyttade (förflyttning, kvot över 1) eller om minskningen spred sig (spridning av nytta, kvot under 1): {ring}; {rest}.",
        "en": "The ring alone and the rest of the municipality show whether crime moved (displacement, a rate ratio above 1) or the fall spread (diffusion of benefits, below 1): {ring}; {rest}.",
    },
    "ev_where_ring": {"sv": "i ringen", "en": "in the ring"},
    "ev_where_rest": {"sv": "i övriga kommunen", "en": "in the rest of the municipality"},
    "ev_disp_item": {
        "sv": "{where} {rr} (95 % KI {lo}–{hi}, {verdict})",
        "en": "{where} {rr} (95 % CI {lo}–{hi}, {verdict})",
    },
    "ev_disp_none": {"sv": "{where} ingen skattning", "en": "{where} no estimate"},
    "ev_v_lower": {"sv": "tydligt lägre: spridning av nytta", "en": "clearly lower: diffusion"},
    "ev_v_higher": {"sv": "tydligt högre: förflyttning", "en": "clearly higher: displacement"},
    "ev_v_none": {"sv": "ingen tydlig skillnad", "en": "no clear difference"},
    "ev_read_survey": {
        "sv": "Andelen som kände sig otrygga inom {near} från de bortarbetade scenerna förändrades mellan {y0} och {y1} med {diff} procentenheter (95 % KI {lo} till {hi}) jämfört med andelen nära scener som fanns kvar.",
        "en": "The share feeling unsafe within {near} of the worked-away scenes changed between {y0} and {y1} by {diff} percentage points (95 % CI {lo} to {hi}) relative to the share near scenes that remained.",
    },
    "ev_read_no_survey": {
        "sv": "Upplevd trygghet: ingen skattning ({reason}).",
        "en": "Perceived safety: no estimate ({reason}).",
    },
    "ev_read_design": {
        "sv": "Vad jämförelsen kan och inte kan visa: scenerna arbetades inte bort slumpvis. Myndigheterna valde dem, kanske där brottsligheten redan minskade eller ökade, så en skillnad kan delvis spegla valet och inte arbetet. När en scen upphörde vet vi bara till omgången: månaderna mellan {compare} och {round} redovisas för sig, och ”efter” börjar {month}. Ett förtrendtest utan tecken på olika trender stöder jämförelsen men bevisar den inte.",
        "en": "What the comparison can and cannot show: the scenes were not worked away at random. The agencies chose them, perhaps where crime was already falling or rising, so a difference may partly reflect that choice rather than the work. When a scene ceased is known only to the round: the months between {compare} and {round} are shown apart, and ‘after’ starts in {month}. A pre-trend test without sign of different trends supports the comparison but does not prove it.",
    },
}


PLURALS: dict[str, dict[str, tuple[str, str, str]]] = {
    "scene": {
        "sv": ("ingen scen", "en scen", "{n} scener"),
        "en": ("no scene", "one scene", "{n} scenes"),
    },
    "open_scene": {
        "sv": ("inga öppna drogscener", "en öppen drogscen", "{n} öppna drogscener"),
        "en": ("no open drug scene", "one open drug scene", "{n} open drug scenes"),
    },
    "new_scene": {
        "sv": ("ingen ny scen", "en ny scen", "{n} nya scener"),
        "en": ("no new scene", "one new scene", "{n} new scenes"),
    },
    "area": {
        "sv": ("inget område", "ett område", "{n} områden"),
        "en": ("no area", "one area", "{n} areas"),
    },
    "remaining": {
        "sv": ("inget ligger", "ett ligger", "{n} ligger"),
        "en": ("none lies", "one lies", "{n} lie"),
    },
    "new_place": {
        "sv": ("inget är en ny plats", "ett är en ny plats", "{n} är nya platser"),
        "en": ("none is a new place", "one is a new place", "{n} are new places"),
    },
    "merged_clause": {
        "sv": (
            "Ingen scen har bildats genom att flera slagits ihop",
            "En scen har bildats genom att flera slagits ihop",
            "{n} scener har bildats genom att flera slagits ihop",
        ),
        "en": (
            "No scene was formed by merging several",
            "One scene was formed by merging several",
            "{n} scenes were formed by merging several",
        ),
    },
    "split_clause": {
        "sv": (
            "Ingen scen har delats upp",
            "En scen har delats upp",
            "{n} scener har delats upp",
        ),
        "en": ("No scene was split up", "One scene was split up", "{n} scenes were split up"),
    },
}
"""Counted phrases by number: (none, one, many); ``{n}`` is the formatted number."""


def plural(key: str, n: int, lang: str, *, capital: bool = False) -> str:
    """A counted phrase that reads well for 0, 1 and many: ``plural("scene", 0, "sv")`` →
    ``ingen scen``, 1 → ``en scen``, 10 → ``10 scener``.

    Examples
    --------
    >>> plural("new_scene", 0, "sv"), plural("new_scene", 1, "en"), plural("area", 11, "sv")
    ('ingen ny scen', 'one new scene', '11 områden')
    """
    forms = PLURALS[key][lang]
    n = int(n)
    text = forms[0 if n == 0 else 1 if n == 1 else 2].format(n=fmt_num(n, lang))
    return text[:1].upper() + text[1:] if capital else text


def join_words(items: list[str], lang: str) -> str:
    """``a, b och c`` (``a, b and c``); one item as it is."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {TEXT['and'][lang]} {items[-1]}"


def scene_ref(scene_id: object, name: object) -> str:
    """A scene as a reader knows it: ``Torget (S012)``, or its id when it has no name."""
    sid = str(scene_id)
    return f"{name} ({sid})" if isinstance(name, str) and name.strip() else sid


_REASONS_SV: tuple[tuple[str, str], ...] = (
    (r"fewer than (\d+) respondents in: (.*) \(suppressed\)", r"färre än \1 svarande i: \2"),
    (r"no incidents at any worked-away unit", "inga händelser vid någon bortarbetad scen"),
    (r"no incidents at any comparison unit", "inga händelser vid någon kvarvarande scen"),
    (
        r"no incidents at worked-away units in these months.*",
        "inga händelser vid de bortarbetade scenerna dessa månader",
    ),
    (r"the Poisson fit did not converge", "Poisson-modellen konvergerade inte"),
    (r"no design variance \(too few PSUs\)", "ingen designvarians (för få PSU:er)"),
    (r"the scenes have no municipality codes", "scenerna saknar kommunkod"),
    (
        r"(\d+) municipality\(ies\) with worked-away scenes and (\d+) with persisting scenes "
        r"only; 2 of each are needed",
        r"\1 kommun(er) med bortarbetade scener och \2 med bara kvarvarande; två av varje behövs",
    ),
    (
        r"the placebo date (\S+) leaves (\d+) month\(s\) before and (\d+) after it .*",
        r"placebodatumet \1 lämnar \2 månad(er) före och \3 efter inom månaderna före "
        r"omgång A; två av varje behövs",
    ),
    (
        r"no survey year wholly (before|after) .*",
        "ingen trygghetsmätning på båda sidor om omgången",
    ),
    (r"no survey microdata available.*", "trygghetsmätningens mikrodata är inte tillgängliga"),
)
_REASON_WORDS_SV = (
    ("near ceased scenes", "nära bortarbetade scener"),
    ("near persisting scenes", "nära kvarvarande scener"),
    ("near worked-away scenes", "nära bortarbetade scener"),
)


def reason_text(reason: object, lang: str) -> str:
    """An analysis' reason for giving no estimate (English, from the results' JSON) in the
    reader's language; a Swedish reader gets a general phrase for a reason not known here.

    Examples
    --------
    >>> reason_text("fewer than 30 respondents in: 2023 near ceased scenes (suppressed)", "sv")
    'färre än 30 svarande i: 2023 nära bortarbetade scener'
    """
    text = str(reason or "–")
    if lang != "sv" or text == "–":
        return text
    for pattern, swedish in _REASONS_SV:
        if re.fullmatch(pattern, text):
            out = re.sub(pattern, swedish, text)
            for en, sv in _REASON_WORDS_SV:
                out = out.replace(en, sv)
            return out
    return "för lite data för en skattning"


# The workbook's own words (its about and notes sheets), looked up as ``wb_<key>``.
WORKBOOK_TEXT: dict[str, dict[str, str]] = {
    "sheet_about": {"sv": "Om rapporten", "en": "About"},
    "sheet_notes": {"sv": "Noter", "en": "Notes"},
    "about_title": {"sv": "Om rapporten", "en": "About this report"},
    "about_intro": {
        "sv": "Arbetsboken innehåller rapportens tabeller, en per blad, som Excel-tabeller "
        "med filter. Talen är analysens egna värden: formaten visar dem avrundade, "
        "cellerna håller hela värdet (p-värden under 0,0001 visas som ”< 0,0001”).",
        "en": "The workbook holds the report's tables, one per sheet, as Excel tables with "
        "filters. The numbers are the analysis's own values: the formats show them "
        "rounded, the cells hold the full value (p-values below 0.0001 show as "
        "'< 0.0001').",
    },
    "h_report": {"sv": "Rapport", "en": "Report"},
    "h_sources": {"sv": "Datakällor", "en": "Data sources"},
    "h_parameters": {"sv": "Parametrar", "en": "Parameters"},
    "h_definitions": {"sv": "Definitioner", "en": "Definitions"},
    "h_sheets": {"sv": "Blad", "en": "Sheets"},
    "col_item": {"sv": "Uppgift", "en": "Item"},
    "col_value": {"sv": "Värde", "en": "Value"},
    "col_detail": {"sv": "Kommentar", "en": "Detail"},
    "col_sheet": {"sv": "Blad", "en": "Sheet"},
    "col_table": {"sv": "Tabell", "en": "Table"},
    "col_note": {"sv": "Not", "en": "Note"},
    "region": {"sv": "Region", "en": "Region"},
    "region_unnamed": {
        "sv": "länet ({n} kommuner; regionens namn finns inte i rapportens data)",
        "en": "the county ({n} municipalities; the region's name is not in the report's data)",
    },
    "municipality": {"sv": "Kommun", "en": "Municipality"},
    "data": {"sv": "Data", "en": "Data"},
    "synthetic": {
        "sv": "SYNTETISKA: påhittade data för demonstration, inte verkliga förhållanden",
        "en": "SYNTHETIC: invented data for demonstration, not real conditions",
    },
    "whole_region": {"sv": "hela länet", "en": "the whole county"},
    "round": {"sv": "Kartläggning", "en": "Mapping round"},
    "compare": {"sv": "Jämförs med kartläggning", "en": "Compared with round"},
    "none": {"sv": "ingen (första kartläggningen)", "en": "none (the first round)"},
    "round_date": {"sv": "datum {date}", "en": "dated {date}"},
    "period": {"sv": "Brottsperiod", "en": "Crime period"},
    "period_detail": {
        "sv": "svenska kalenderdagar, sista dagen ingår",
        "en": "Swedish calendar days, the last day included",
    },
    "survey_year": {"sv": "Trygghetsmätning, år", "en": "Safety survey, year"},
    "language": {"sv": "Språk", "en": "Language"},
    "generated": {"sv": "Skapad", "en": "Generated"},
    "version": {"sv": "Programversion", "en": "Software version"},
    "src_round": {"sv": "Kartläggning {round}", "en": "Mapping round {round}"},
    "src_round_detail": {
        "sv": "{n} scener; daterad {date}; importerad {imported}; SHA-256 {sha}",
        "en": "{n} scenes; dated {date}; imported {imported}; SHA-256 {sha}",
    },
    "src_incidents": {"sv": "Brott och händelser", "en": "Crimes and incidents"},
    "src_incidents_detail": {
        "sv": "händelser i perioden {period} i arbetsytans händelsedata (antal)",
        "en": "incidents in the period {period} in the workspace's incident data (count)",
    },
    "src_no_incidents": {
        "sv": "inga händelser i perioden {period}",
        "en": "no incidents in the period {period}",
    },
    "src_survey": {"sv": "Trygghetsmätning {year}", "en": "Safety survey {year}"},
    "src_survey_detail": {
        "sv": "svarande (antal), vägda; {strata} strata, {psus} PSU",
        "en": "respondents (count), weighted; {strata} strata, {psus} PSUs",
    },
    "src_no_survey": {"sv": "ingen trygghetsmätning", "en": "no safety survey"},
    "p_ring": {"sv": "Ring runt scenerna (m)", "en": "Ring around the scenes (m)"},
    "p_min_overlap": {
        "sv": "Matchning: minsta överlapp",
        "en": "Matching: smallest overlap",
    },
    "p_tolerance": {"sv": "Matchning: tolerans (m)", "en": "Matching: tolerance (m)"},
    "p_size": {
        "sv": "Ytförändring räknas från",
        "en": "Area change counts from",
    },
    "p_displacement": {
        "sv": "Förflyttning: ny scen inom (m) från en upphörd",
        "en": "Displacement: new scene within (m) of a ceased one",
    },
    "p_min_n": {
        "sv": "Minsta antal svarande i en grupp (min_n)",
        "en": "Fewest respondents in a group (min_n)",
    },
    "p_survey_level": {"sv": "Konfidensnivå, trygghet", "en": "Confidence level, survey"},
    "p_survey_method": {"sv": "Konfidensintervall, metod", "en": "Confidence interval, method"},
    "p_hs_method": {"sv": "Hot spots: metod", "en": "Hot spots: method"},
    "p_hs_categories": {"sv": "Hot spots: kategorier", "en": "Hot spots: categories"},
    "p_hs_cell": {"sv": "Hot spots: cellstorlek (m)", "en": "Hot spots: cell size (m)"},
    "p_hs_band": {"sv": "Hot spots: grannskap (m)", "en": "Hot spots: neighbourhood (m)"},
    "p_hs_baseline": {
        "sv": "Hot spots: lokal baslinje (m)",
        "en": "Hot spots: local baseline (m)",
    },
    "p_hs_ratio": {
        "sv": "Hot spots: minsta kvot mot omgivningen",
        "en": "Hot spots: smallest ratio to the surroundings",
    },
    "p_hs_fdr": {
        "sv": "Hot spots: FDR-korrektion (Benjamini–Hochberg)",
        "en": "Hot spots: FDR correction (Benjamini–Hochberg)",
    },
    "p_hs_level": {
        "sv": "Hot spots: konfidensnivå för heta celler",
        "en": "Hot spots: confidence level of hot cells",
    },
    "p_cand_distance": {
        "sv": "Kandidat: minsta avstånd till registrerad scen (m)",
        "en": "Candidate: smallest distance to a registered scene (m)",
    },
    "p_cand_min": {
        "sv": "Kandidat: minsta antal händelser",
        "en": "Candidate: fewest incidents",
    },
    "p_cand_ceased": {
        "sv": "Kandidat: långt från upphörda scener, mer än (m)",
        "en": "Candidate: far from ceased scenes, more than (m)",
    },
    "p_ev_placebo": {
        "sv": "Effektutvärdering: placebomånader",
        "en": "Evaluation: placebo months",
    },
    "p_ev_near": {
        "sv": "Effektutvärdering: trygghet nära scen, inom (m)",
        "en": "Evaluation: survey near a scene, within (m)",
    },
    "yes": {"sv": "ja", "en": "yes"},
    "no": {"sv": "nej", "en": "no"},
    "d_scene": {"sv": "Öppen drogscen", "en": "Open drug scene"},
    "d_scene_text": {
        "sv": "En avgränsad plats där narkotika används och säljs öppet och som gör "
        "allmänheten otrygg; registreras som en yta (polygon) vid varje kartläggning.",
        "en": "A bounded place where drugs are used and sold openly and which makes the "
        "public feel unsafe; registered as an area (polygon) in each mapping round.",
    },
    "d_round": {"sv": "Kartläggning (omgång)", "en": "Round (mapping)"},
    "d_round_text": {
        "sv": "Årets inventering av scenerna, med datum; två kartläggningar jämförs plats "
        "för plats.",
        "en": "The year's inventory of the scenes, with a date; two rounds are compared "
        "place by place.",
    },
    "d_fates": {
        "sv": "Kvarstår, upphört, tillkommit, sammanslagen, uppdelad",
        "en": "Persisting, ceased, new, merged, split",
    },
    "d_fates_text": {
        "sv": "En scen kvarstår när den överlappar en scen i den tidigare kartläggningen "
        "(minst {overlap} av den mindre ytan, eller inom {tol} m); upphört (arbetats bort): "
        "ingen efterföljare; tillkommit: ingen föregångare; sammanslagen/uppdelad: flera "
        "scener blev en / en blev flera.",
        "en": "A scene persists when it overlaps a scene of the earlier round (at least "
        "{overlap} of the smaller area, or within {tol} m); ceased (worked away): no "
        "successor; new: no predecessor; merged/split: several scenes became one / one "
        "became several.",
    },
    "d_ring": {"sv": "Ring, zon", "en": "Ring, zone"},
    "d_ring_text": {
        "sv": "Ringen är området inom {ring} m utanför en scens gräns; zonerna är scenerna, "
        "ringen och resten av regionen, så att varje händelse räknas en gång.",
        "en": "The ring is the area within {ring} m outside a scene's boundary; the zones "
        "are the scenes, the ring and the rest of the region, so that each incident "
        "counts once.",
    },
    "d_share": {"sv": "Andel", "en": "Share"},
    "d_share_text": {
        "sv": "En zons andel av regionens händelser i kategorin; jämförs med zonens andel av ytan.",
        "en": "A zone's share of the region's incidents of the category; compared with the "
        "zone's share of the area.",
    },
    "d_ratio": {"sv": "Kvot (rate ratio)", "en": "Rate ratio"},
    "d_ratio_text": {
        "sv": "Händelser per km² i zonen delat med händelser per km² i resten av regionen, "
        "med exakt 95 % konfidensintervall (KI) och p-värde.",
        "en": "Incidents per km² in the zone divided by incidents per km² in the rest of "
        "the region, with an exact 95 % confidence interval (CI) and p-value.",
    },
    "d_p": {"sv": "p-värde", "en": "p-value"},
    "d_p_text": {
        "sv": "Visas med fyra (eller tre) decimaler och som ”< 0,0001” (”< 0,001”) när det "
        "är mindre; cellen håller det exakta värdet.",
        "en": "Shown with four (or three) decimals and as '< 0.0001' ('< 0.001') when "
        "smaller; the cell holds the exact value.",
    },
    "d_control": {"sv": "Kontrollgrupp", "en": "Control group"},
    "d_control_text": {
        "sv": "I effektutvärderingen jämförs brotten vid de bortarbetade scenerna med dem "
        "vid scener som fanns kvar (kontrollgruppen), före och efter "
        "(difference-in-differences, Poissonregression med scen- och månadseffekter).",
        "en": "The evaluation compares crime at the worked-away scenes with crime at the "
        "scenes that persisted (the control group), before and after "
        "(difference-in-differences, Poisson regression with scene and month effects).",
    },
    "d_wdq": {"sv": "WDQ", "en": "WDQ"},
    "d_wdq_text": {
        "sv": "Weighted Displacement Quotient (Bowers & Johnson 2003): (Da/Ca − Db/Cb) / "
        "(Ra/Ca − Rb/Cb) för insatsområde R, buffert D och kontroll C före (b) och efter "
        "(a); över 0 spridning av nytta, under 0 förflyttning. Beräknas av kommandot "
        "displacement; rapporten mäter förflyttning med ringens kvot i effektutvärderingen.",
        "en": "Weighted Displacement Quotient (Bowers & Johnson 2003): (Da/Ca − Db/Cb) / "
        "(Ra/Ca − Rb/Cb) for response area R, buffer D and control C before (b) and after "
        "(a); above 0 diffusion of benefits, below 0 displacement. Computed by the "
        "displacement command; the report measures displacement by the ring's ratio in the "
        "evaluation.",
    },
    "d_candidate": {"sv": "Kandidat (möjlig ny scen)", "en": "Candidate scene"},
    "d_candidate_text": {
        "sv": "Ett område utanför registret där våld, skjutningar och narkotikabrott är "
        "signifikant fler än i omgivningen (korrigerat för många test, FDR); en plats att "
        "pröva i nästa kartläggning, inte en fastställd scen.",
        "en": "An area outside the registry where violence, shootings and drug offences are "
        "significantly more frequent than in its surroundings (corrected for many tests, "
        "FDR); a place to check in the next mapping, not an established scene.",
    },
    "d_fdr": {"sv": "FDR", "en": "FDR"},
    "d_fdr_text": {
        "sv": "False discovery rate (Benjamini–Hochberg): andelen falska fynd bland de "
        "signifikanta hålls under nivån.",
        "en": "False discovery rate (Benjamini–Hochberg): the share of false findings among "
        "the significant ones is kept below the level.",
    },
    "d_unsafe": {"sv": "Andel otrygga", "en": "Share unsafe"},
    "d_unsafe_text": {
        "sv": "Vägd andel svarande som känner sig mycket eller ganska otrygga i sitt "
        "bostadsområde, med 95 % KI; grupper med färre än {min_n} svarande undertrycks.",
        "en": "Weighted share of respondents feeling very or rather unsafe in their "
        "neighbourhood, with a 95 % CI; groups of fewer than {min_n} respondents are "
        "suppressed.",
    },
    "d_drugs": {"sv": "Narkotikabrott", "en": "Drug offences"},
    "d_drugs_text": {
        "sv": "Upptäcks till stor del genom polisens egen verksamhet och redovisas för sig: "
        "fler patruller ger fler registrerade brott.",
        "en": "Mostly found by police activity and shown apart: more patrols produce more "
        "recorded offences.",
    },
    "names_of": {"sv": "{name} {round}", "en": "{name} {round}"},
}

# The print version's own words (report.pdf), looked up as ``print_<key>``.
PRINT_TEXT: dict[str, dict[str, str]] = {
    "appendix": {"sv": "Bilaga: långa tabeller", "en": "Appendix: long tables"},
    "in_appendix": {
        "sv": "Tabellen ”{title}” ({n} rader) finns i bilagan.",
        "en": "The table “{title}” ({n} rows) is in the appendix.",
    },
}
TEXT.update({f"wb_{k}": v for k, v in WORKBOOK_TEXT.items()})
TEXT.update({f"print_{k}": v for k, v in PRINT_TEXT.items()})


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
    """Square metres below one hectare, hectares below one square kilometre, km² above.

    Examples
    --------
    >>> [fmt_area(a, "sv").replace(NBSP, " ") for a in (950, 164_500, 7_436_561_289)]
    ['950 m²', '16,45 ha', '7 436,6 km²']
    """
    if m2 is None or (isinstance(m2, float) and not math.isfinite(m2)):
        return "–"
    if m2 < 10_000:
        return f"{fmt_num(m2, lang)}{NBSP}m²"
    if m2 < 1_000_000:
        return f"{fmt_num(m2 / 10_000, lang, 2)}{NBSP}ha"
    km2 = m2 / 1_000_000
    return f"{fmt_num(km2, lang, 2 if km2 < 10 else 1)}{NBSP}km²"


RATIO_MAX = 1000.0
"""Rate ratios above this are shown as ``> 1 000``: beyond it the figure says only that
the zone's rate is of another order than the reference's (tiny reference areas)."""


def fmt_ratio(value: float | None, lang: str) -> str:
    """A rate ratio with the precision it deserves: two decimals below 10, one below 100,
    whole numbers below :data:`RATIO_MAX`, ``> 1 000`` above; ``< 0,01`` when tiny.

    Examples
    --------
    >>> [fmt_ratio(v, "sv") for v in (0.6123, 3.456, 71.6, 283.1, 23890.03)]
    ['0,61', '3,46', '71,6', '283', '>\xa01\xa0000']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if v > RATIO_MAX:
        return f">{NBSP}{fmt_num(RATIO_MAX, lang)}"
    if 0 < v < 0.01:
        return f"<{NBSP}{fmt_num(0.01, lang, 2)}"
    decimals = 2 if v < 10 else 1 if v < 100 else 0
    return fmt_num(v, lang, decimals)


def fmt_p(p: float | None, lang: str) -> str:
    """A p-value with three decimals, ``< 0,001`` when smaller."""
    if p is None or (isinstance(p, float) and not math.isfinite(p)):
        return "–"
    return f"<{NBSP}{fmt_num(0.001, lang, 3)}" if p < 0.001 else fmt_num(p, lang, 3)


def fmt_dist(metres: float, lang: str) -> str:
    """``500 m``, ``1,5 km``."""
    if metres >= 1000:
        km = metres / 1000
        return f"{fmt_num(km, lang, 0 if km.is_integer() else 1)}{NBSP}km"
    return f"{fmt_num(metres, lang)}{NBSP}m"
