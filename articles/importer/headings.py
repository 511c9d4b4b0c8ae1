"""Step 5b: a short bold or verbless first sentence is a section's heading."""

from __future__ import annotations

import re

# A heading is a short noun phrase, so a first sentence containing a finite
# verb is prose. English cannot be parsed with word lists, so the test below is
# deliberately conservative: when in doubt it finds a verb and does not split.
#
# Forms that are (nearly) always finite verbs, wherever they appear.
FINITE_VERBS = frozenset(
    """
    am is are was were isn't aren't wasn't weren't be
    has have had hasn't haven't hadn't
    do does did don't doesn't didn't
    will would shall should can could may might must won't wouldn't can't
    couldn't shouldn't mustn't
    says said tells told gets got makes made goes went comes came takes took
    sees saw knows knew thinks thought seems seemed becomes became remains
    means meant gives gave keeps kept holds held finds found shows showed
    wants needs looks expects hopes plans aims warns argues claims insists adds
    rose fell grew sold bought paid ran met sent spent built brought began
    chose drove wrote spoke broke stood struck sank slid fought sought caught
    felt heard threw flew drew wore swore shook rang sang
    """.split()
)
# Verbs that are also common nouns ("a rate cut", "a big win", "new rules"):
# they count only after something that can be a subject — a pronoun, a
# name, or a plural noun ("The Fed cut rates.", "Two tracks define…").
_SUBJECT_VERBS = frozenset(
    """
    say make take see know think want need look expect hope plan aim warn
    argue claim insist add seem come go get give keep hold find show mean
    remain become bring build spend send win lose lead pay buy sell move turn
    help push drive fear agree back reject oppose support join leave meet
    define face signal mark sign risk threaten promise follow offer raise
    lower hike slash boost lift trim ease tighten weigh eye consider prepare
    struggle fail continue return reach top beat miss double surge jump soar
    slump drop dip climb sink tumble plunge rally slip gain rise fall grow
    matter play deny note call ask urge seek vow pledge try use open close
    start end stop work run stand sit cut set hit bid cost spread split put
    let shut hurt quit left lost won led
    """.split()
)
_SUBJECT_PRONOUNS = frozenset("i we you he she it they who".split())
_ARTICLES = frozenset("a an the".split())
# "It's", "that's", "there's": verb contractions (unlike "Italy's").
_S_CONTRACTION_HOSTS = _SUBJECT_PRONOUNS | frozenset(
    "that there here what where this".split()
)
_VERB_CONTRACTIONS = ("n't", "'re", "'ve", "'ll", "'d", "'m")
# Imperatives open a sentence: "Expect more cuts."
_IMPERATIVES = frozenset(
    "expect watch look consider remember keep note think imagine meet see read "
    "don't let ask take make get".split()
)
# Words ending in -ed that are not verbs.
_ED_NON_VERBS = frozenset(
    "hundred kindred sacred naked wicked rugged ragged jagged crooked beloved "
    "united wretched indeed speed greed breed creed steed tweed embed shred".split()
)
# Capitalised only because they open the sentence, so not a subject:
# "New rules for TikTok." must not read "rules" as a verb.
_OPENING_MODIFIERS = frozenset(
    """
    a an the this that these those its their his her our my your some any no
    every each more most fewer few many new big bigger higher lower two three
    four five six seven eight nine ten first last next early late old young
    small rival other key top record rising falling fresh another all both
    """.split()
)
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr st jr sr vs etc inc ltd co corp gov sen rep gen col lt sgt
    prof no nos jan feb mar apr jun jul aug sep sept oct nov dec approx est
    dept univ ave fig vol
    """.split()
)
_SENTENCE_END_RE = re.compile(r"[.!?][\"”’')\]]*\s+")
_BOLD_LEAD_RE = re.compile(r"(\*\*|__)(?P<heading>.+?)\1(?P<rest>.*)", re.DOTALL)
_HEADING_MAX_WORDS = 8
_TOKEN_STRIP = ".,;:!?\"“”‘’'()[]{}—–-…*_"


def split_heading(lead: str) -> tuple[str | None, str | None]:
    """Split a lead into (heading, text); either may be None.

    Markdown bold at the start ("**A deeper axis.** The rest…") is a certain
    heading. Otherwise the first sentence is a heading only if it is short
    (2-8 words), ends with a full stop, more text follows, and it has no finite
    verb (see _has_finite_verb): "A deeper Italy–Japan axis." is a heading,
    "Italy is back in the Indo-Pacific." is not.
    """
    lead = lead.strip()
    if not lead:
        return None, None
    bold = _BOLD_LEAD_RE.fullmatch(lead)
    if bold and bold.group("heading").strip():
        return bold.group("heading").strip(), bold.group("rest").strip() or None
    sentence, rest = _first_sentence(lead)
    if rest and looks_like_heading(sentence):
        return sentence, rest
    return None, lead


def _first_sentence(text: str) -> tuple[str, str]:
    """(first sentence, rest); rest is "" when the text is one sentence.

    A full stop after an initial ("J."), an abbreviation ("Dr.") or a dotted
    acronym ("U.S.") does not end the sentence, nor does one followed by a
    lower-case word.
    """
    # A heading is at most a few words, so only the start needs searching.
    for match in _SENTENCE_END_RE.finditer(text, 0, min(len(text), 300)):
        opening = text[match.end() : match.end() + 3].lstrip("\"“‘'([")[:1]
        if not (opening.isupper() or opening.isdigit()):
            continue
        before = text[: match.start()].split()
        token = before[-1].casefold().strip("(\"“‘'") if before else ""
        if len(token) == 1 or token in _ABBREVIATIONS or "." in token:
            continue
        return text[: match.end()].rstrip(), text[match.end() :].strip()
    return text, ""


def looks_like_heading(sentence: str) -> bool:
    if not sentence.endswith(".") or sentence.endswith(".."):
        return False
    body = sentence[:-1]
    if any(ch in body for ch in ':;?!"“”'):
        return False  # a quote or a clause, not a sub-headline
    words = body.split()
    if not 2 <= len(words) <= _HEADING_MAX_WORDS:
        return False
    if not (body[0].isupper() or body[0].isdigit()):
        return False
    return not _has_finite_verb(words)


def _has_finite_verb(words: list[str]) -> bool:
    tokens = [word.replace("’", "'").strip(_TOKEN_STRIP) for word in words]
    lowered = [token.casefold() for token in tokens]
    if lowered[0] in _IMPERATIVES:
        return True
    for i, (token, low) in enumerate(zip(tokens, lowered, strict=True)):
        if not low:
            continue
        if low in FINITE_VERBS or low in _SUBJECT_PRONOUNS:
            return True
        if low.endswith(_VERB_CONTRACTIONS):
            return True
        if low.endswith("'s") and low[:-2] in _S_CONTRACTION_HOSTS:
            return True
        # Regular past tense: "accelerated", "Delayed". Right after an
        # article it is an adjective ("A shared network."); other participles
        # used as adjectives ("more renewed push") still match, which only
        # means no split.
        if len(low) >= 5 and low.endswith("ed") and low not in _ED_NON_VERBS:
            after_article = i > 0 and lowered[i - 1] in _ARTICLES
            if (i == 0 or token[0].islower()) and not after_article:
                return True
        if i > 0 and token[0].islower() and _after_subject(tokens, i):
            if low in _SUBJECT_VERBS or _looks_like_third_person(low):
                return True
    return False


def _after_subject(tokens: list[str], i: int) -> bool:
    """Could tokens[i - 1] be the subject of a verb at tokens[i]?"""
    prev = tokens[i - 1]
    low = prev.casefold()
    if not prev or low.endswith("'s"):
        return False  # "Rome's plans": a possessive starts a noun phrase
    if low in _SUBJECT_PRONOUNS:
        return True
    opening = i - 1 == 0 and (low in _OPENING_MODIFIERS or low.endswith("ing"))
    if prev[0].isupper() and not opening:
        return True  # a name: "Rome reenters", "The Fed cut"; not "Rising costs"
    # A plural noun: "two tracks define". Only used with _SUBJECT_VERBS.
    return tokens[i].casefold() in _SUBJECT_VERBS and _looks_like_plural(low)


def _looks_like_third_person(low: str) -> bool:
    """True for "reenters", "escalates"; false for "axis", "bonus", "politics"."""
    return (
        len(low) >= 4
        and low.endswith("s")
        and not low.endswith(("ss", "us", "is", "ics", "'s"))
    )


def _looks_like_plural(low: str) -> bool:
    return len(low) >= 3 and low.endswith("s") and not low.endswith(("ss", "us"))
