"""Socialstyrelsen's self-assessment for PKS (seed 003, appendix C), transcribed, and scoring.

Eight main questions (huvudfrågor), each with statements the strategic level answers:
"Instämmer i hög grad", "Instämmer delvis", "Instämmer inte alls" or "Vet ej/ej relevant".
The guidance reads the answers, it does not grade them: "inte alls" and "vet ej" mark what
to develop first, "delvis" calls for a closer look, "i hög grad" is to be kept. pks adds a
score per area so that answers can be compared over time and between units: 2 points for
"i hög grad", 1 for "delvis", 0 for "inte alls", "vet ej" left out of the mean; the score is
the mean as a share of the maximum (0–100 %). The statements are quoted as published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pks.core.vocabulary import Vocabulary, swedish_terms


class MaturityAnswer(Vocabulary):
    """The four answers of the self-assessment."""

    AGREE_FULLY = "agree_fully"
    AGREE_PARTLY = "agree_partly"
    DISAGREE = "disagree"
    UNKNOWN = "unknown"


swedish_terms(
    MaturityAnswer,
    {
        MaturityAnswer.AGREE_FULLY: ("instämmer i hög grad", "hög grad"),
        MaturityAnswer.AGREE_PARTLY: ("instämmer delvis", "delvis"),
        MaturityAnswer.DISAGREE: ("instämmer inte alls", "inte alls"),
        MaturityAnswer.UNKNOWN: ("vet ej/ej relevant", "vet ej", "ej relevant"),
    },
)

POINTS: Mapping[MaturityAnswer, int | None] = {
    MaturityAnswer.AGREE_FULLY: 2,
    MaturityAnswer.AGREE_PARTLY: 1,
    MaturityAnswer.DISAGREE: 0,
    MaturityAnswer.UNKNOWN: None,
}


@dataclass(frozen=True, slots=True)
class MaturityArea:
    """One main question (huvudfråga) and its statements (påståenden), numbered 1…."""

    number: int
    question: str
    statements: tuple[str, ...]

    def statement_id(self, index: int) -> str:
        """``3.2`` = area 3, statement 2."""
        return f"{self.number}.{index + 1}"


AREAS: tuple[MaturityArea, ...] = (
    MaturityArea(
        1,
        "Hur systematisk och organisationsövergripande är PKS?",
        (
            "Det finns ett tydligt och uttalat beslut om att alla verksamheter i organisationen "
            "ska bedriva ett systematiskt PKS-arbete som tar utgångspunkt i patienternas behov.",
            "Vi har en gemensam definition av vad PKS är och målsättningen för organisationens "
            "PKS. Dessa är förankrade i hela organisationen.",
            "Vi har organisationsövergripande vägledande principer för PKS-arbetet som är "
            "förankrade i hela organisationen.",
            "Det finns en roll- och ansvarsfördelning för PKS-arbetet som är förankrad i hela "
            "organisationen och inkluderar åtminstone den strategiska och taktiska nivån i "
            "organisationen.",
            "Vi har en regionövergripande modell för PKS inklusive processer och rutiner för "
            "alla steg.",
            "Vi samordnar de olika verksamheternas PKS för en tydligare överblick av hela "
            "systemet.",
            "Våra produktionsmål och -planer är balanserade, dvs. den prognostiserade "
            "tillgängliga kapaciteten täcker det prognostiserade kapacitetsbehovet.",
        ),
    ),
    MaturityArea(
        2,
        "Hur tydligt kopplat är arbetet mellan de olika nivåerna?",
        (
            "Verksamhetsspecifika behovsprognoser tas fram på taktisk nivå och sammanställs till "
            "en övergripande prognos för organisationen som helhet på strategisk nivå. Den "
            "strategiska nivån ser över innehållet, justerar vid behov i dialog med "
            "verksamheterna samt godkänner slutgiltig prognos.",
            "Verksamhetsspecifika prognoser av tillgänglig kapacitet tas fram på taktisk nivå "
            "och sammanställs till en övergripande prognos för organisationen som helhet på "
            "strategisk nivå. Den strategiska nivån ser över innehållet, justerar vid behov i "
            "dialog med verksamheterna samt godkänner slutgiltig prognos.",
            "Den strategiska nivån formulerar övergripande produktionsmål utifrån en balans "
            "mellan prognostiserade behov och prognostiserad tillgänglig kapacitet, för att "
            "säkerställa att de är realistiska att uppnå.",
            "Produktionsmålen diskuteras och godkänns av både strategisk och taktisk nivå.",
            "Verksamheternas produktionsplaner bygger på de balanserade produktionsmålen som "
            "tagits fram på strategisk nivå.",
            "Enheternas scheman bygger på en balanserad produktionsplan från taktisk nivå.",
            "Återkoppling av avvikelser från plan och oförutsedda händelser som påverkar "
            "produktionsplanen eller -målen sker mellan nivåerna.",
        ),
    ),
    MaturityArea(
        3,
        "Hur styrande är PKS?",
        (
            "Alla chefer och berörda medarbetare känner sig införstådda i vad PKS och "
            "målsättningen med PKS är, samt vad som förväntas av dem kopplat till PKS.",
            "Produktionsmålen och -planerna är förankrade i alla berörda verksamheter.",
            "På den taktiska nivån jämförs det lagda schemat mot produktionsplanen proaktivt för "
            "att kunna fånga avvikelser innan de sker, och större avvikelser rapporteras till "
            "strategisk nivå.",
            "Vi gör allt för att följa de fastställda produktionsmålen och -planerna.",
            "Medarbetarna förstår kopplingen mellan produktionsmålen/-planerna och schemat/de "
            "dagliga målen.",
            "PKS är en del av vår kultur och anses vara ett accepterat arbetssätt för "
            "grundläggande verksamhetsplanering.",
            "Särskilda uppdrag och avtal (exv. med privata vårdgivare och vårdgivare med "
            "specifika uppdrag) justeras vid behov för att öka möjligheterna att inkludera alla "
            "verksamheter i PKS-arbetet.",
        ),
    ),
    MaturityArea(
        4,
        "Hur väl används uppföljning för styrning och förbättring?",
        (
            "Vi har tydliga och fungerande rutiner för uppföljning på alla nivåer i "
            "organisationen med tydliga ansvar och mandat för att vidta åtgärder utifrån "
            "uppföljningens resultat.",
            "Vi har rutiner på alla nivåer i organisationen för att fånga upp variationer och "
            "avvikelser i inflöde och tillgänglig kapacitet så fort förändringar skett, eller "
            "innan de sker, och vid behov eskalera till högre ledningsnivå.",
            "Vi vidtar åtgärder utifrån uppföljningen för att återskapa balans mellan "
            "kapacitetsbehov och tillgänglig kapacitet.",
            "Vi har fungerande rutiner för att vid stora avvikelser som framkommer i "
            "uppföljningen justera produktionsmål och -planer, även utöver ordinarie "
            "framtagningsprocess av produktionsmål och -planer.",
        ),
    ),
    MaturityArea(
        5,
        "Finns nödvändig PKS-kompetens i organisationen?",
        (
            "Chefer och medarbetare på alla nivåer, t.ex. koordinatorer och schemaläggare, som "
            "arbetar med PKS har tillräcklig kunskap om hur PKS ska genomföras i respektive "
            "funktion.",
            "Chefer och berörda medarbetare vet vart de kan vända sig för att få stöd i sitt "
            "PKS-arbete.",
            "Vi ser över behovet av PKS-kompetens (inkl. kunskap om hur PKS ska genomföras, "
            "kompetens i de IT-stöd som används samt kunskap om organisationen och arbetssätten "
            "som påverkar och påverkas av PKS) regelbundet och vidtar åtgärder om det behövs mer "
            "kompetens inom området.",
        ),
    ),
    MaturityArea(
        6,
        "Har chefer och medarbetare tillräckligt bra tillgång till data och IT-stöd?",
        (
            "Chefer och berörda medarbetare har tillgång till data för att kunna göra de "
            "prognoser som behövs inom ramen för PKS.",
            "Vi har en etablerad process för att kvalitetssäkra data som används för PKS.",
            "Vi har etablerade registreringsrutiner för att skapa jämförbara data mellan olika "
            "verksamheter.",
            "Vi har ett tillräckligt IT-stöd för att kunna genomföra PKS (inklusive prognoser, "
            "balansering, planering och uppföljning).",
        ),
    ),
    MaturityArea(
        7,
        "Finns det några resultat av PKS-arbetet?",
        (
            "Vi har sett att vårt PKS-arbete har gett resultat även om vi inte ännu kunnat mäta "
            "resultaten.",
            "Vi har kunnat mäta att vårt PKS-arbete har gett resultat genom en bättre "
            "tillgänglighet.",
            "Vi har kunnat mäta att vårt PKS-arbete har gett resultat genom snabbare "
            "patientflöden.",
            "Vi har kunnat mäta att vårt PKS-arbete har gett resultat genom en bättre "
            "arbetsmiljö.",
            "Vi har kunnat mäta att vårt PKS-arbete har gett resultat genom en bättre "
            "kostnadseffektivitet.",
        ),
    ),
    MaturityArea(
        8,
        "Finns ett kontinuerligt lärande och en vidareutveckling av kultur, arbetssätt och "
        "processer?",
        (
            "Vi har etablerade forum för att löpande dela och diskutera erfarenheter och "
            "lärdomar utifrån PKS-arbetet.",
            "Vi har strukturer för att löpande vidareutveckla våra processer och arbetssätt "
            "kopplade till PKS, utifrån chefers och medarbetares erfarenheter och lärdomar.",
            "Vi arbetar aktivt och medvetet med förändringsledning för att uppnå de "
            "kulturförändringar vi ser behövs för att PKS ska få genomslag i hela "
            "organisationen.",
        ),
    ),
)

STATEMENTS: Mapping[str, tuple[MaturityArea, str]] = {
    area.statement_id(i): (area, text) for area in AREAS for i, text in enumerate(area.statements)
}
"""Every statement by its id (``1.1`` … ``8.3``)."""


@dataclass(frozen=True, slots=True)
class AreaScore:
    """One area's result: counts per answer, the score (0–100 % of the maximum, None when
    every answer is "vet ej") and the statements to develop first (inte alls, vet ej)."""

    area: MaturityArea
    counts: Mapping[MaturityAnswer, int]
    score_percent: float | None
    develop_first: tuple[str, ...]
    look_closer: tuple[str, ...]


def score(answers: Mapping[str, MaturityAnswer]) -> list[AreaScore]:
    """Score one assessment (statement id → answer). Unanswered statements count as
    "vet ej" (they, too, mark what the organisation does not yet know about itself)."""
    unknown = sorted(set(answers) - set(STATEMENTS))
    if unknown:
        raise ValueError(f"unknown statement ids: {', '.join(unknown)} (expected 1.1 … 8.3)")
    result = []
    for area in AREAS:
        ids = [area.statement_id(i) for i in range(len(area.statements))]
        given = [answers.get(i, MaturityAnswer.UNKNOWN) for i in ids]
        counts = {a: sum(1 for g in given if g is a) for a in MaturityAnswer}
        points = [p for g in given if (p := POINTS[g]) is not None]
        pct = 100.0 * sum(points) / (2 * len(points)) if points else None
        first = tuple(
            i for i, g in zip(ids, given, strict=True)
            if g in (MaturityAnswer.DISAGREE, MaturityAnswer.UNKNOWN)
        )
        closer = tuple(
            i for i, g in zip(ids, given, strict=True) if g is MaturityAnswer.AGREE_PARTLY
        )
        result.append(AreaScore(area, counts, pct, first, closer))
    return result


def compare(
    assessments: Iterable[tuple[str, str, Mapping[str, MaturityAnswer]]],
) -> dict[tuple[str, str], list[AreaScore]]:
    """Scores of several assessments keyed by (unit, date) — over time and between units."""
    return {(unit, date): score(answers) for unit, date, answers in assessments}
