"""The sentence patterns of deal records: a sentence is read with its company names replaced by
placeholders (⟦0⟧, ⟦1⟧, ...), and these patterns say who bought, licensed, invested in or teamed up
with whom ("⟦0⟧ has agreed to buy ⟦1⟧", "⟦1⟧ was acquired by ⟦0⟧", "⟦1⟧ raised $X from ⟦0⟧");
`ingest.records.deals` applies them."""

from __future__ import annotations

import re

W = r"(?:[^\s⟦⟧.;:!?]|\.(?=\d))+"  # a word that is not a company placeholder ("$87.75" is one)


def gap(n: int) -> str:
    return rf"(?:{W}\s+){{0,{n}}}?"


C = r"⟦(?P<{}>\d+)⟧"
# a character of the clause, not a company placeholder (a decimal point does not end the clause:
# "$2.85 billion")
CHAR = r"(?:[^⟦⟧.;]|\.(?=\d))"
# what may follow a party's name before the verb: its ticker or short name, where it is based
# (a description between commas, not any clause: "Under Ostrel, sales slumped, and Quenby has since
# signed" is no pair)
ASIDE = (r"(?:\s*\([^()⟦⟧]{1,30}\))?(?:,\s+(?:a|an|the|its|which|based|headquartered|of)\b[^⟦⟧,;]{0,60}"
         r"(?:,[^⟦⟧,;]{0,30})?,|\s+of\s+(?:the\s+)?(?-i:[A-Z])[\w.]*(?:\s+(?-i:[A-Z])[\w.]*)?"
         r"(?:,\s+(?-i:[A-Z])[\w.]*(?:\s+(?-i:[A-Z])[\w.]*)?)?(?=\s))?")
ACQ_VERB = (r"(?:acquire[sd]?|acquiring|buy|buys|buying|bought|purchase[sd]?|purchasing|"
            r"take\s+over|took\s+over|takes\s+over)")
RULES: list[tuple[str, str | None, re.Pattern]] = [
    # (kind, None: decided by the words matched, pattern); groups a = first party, b = second
    ("license", None, re.compile(  # "Takeda's recent deals include a license in Asia for Tesaro's PARP
        # inhibitor Zejula"; "Neurocrine gains an exclusive license to Xenon's XEN901"
        # (not one the possessive's company grants: "Ostrel's decision to grant a license to Quenby's")
        rf"{C.format('a')}(?:(?:'s|’s)\s+(?!(?:\S+\s+){{0,5}}?(?:grant|give|award|offer|out-licen)\w*\s){gap(5)}|\s+(?:gains|gained|gets|got|obtains|obtained|wins|won|receives|"
        rf"received|secures|secured)\s+(?:an?\s+)?{gap(2)})licen[cs]e\s+{gap(3)}(?:for|to|on)\s+{C.format('b')}"
        rf"(?:'s|’s|'|’)\s", re.I)),
    ("acquisition", None, re.compile(
        rf"{C.format('b')}(?:,[^⟦⟧]{{0,60}},)?\s+{gap(3)}(?:was|were|is|will\s+be|has\s+been|"
        rf"to\s+be|is\s+being)\s+(?:acquired|bought|purchased|taken\s+over)\s+by\s+{gap(4)}"
        rf"{C.format('a')}", re.I)),
    ("acquisition", None, re.compile(  # "KBI, which JSR acquired in 2015, opened ..."
        rf"{C.format('b')},\s+which\s+{C.format('a')}\s+(?:acquired|bought|purchased|took\s+over)\b",
        re.I)),
    ("acquisition", None, re.compile(
        rf"{C.format('a')}(?:'s|’s)?\s+{gap(4)}(?:acquisition|purchase|buyout|takeover)\s+of\s+"
        rf"{gap(5)}{C.format('b')}", re.I)),
    ("acquisition", None, re.compile(
        rf"(?:acquisition|purchase|buyout|takeover)\s+of\s+{gap(5)}{C.format('b')}\s+by\s+"
        rf"{gap(3)}{C.format('a')}", re.I)),
    ("acquisition", "from", re.compile(
        rf"{C.format('a')}\s+{gap(8)}(?:bought|acquired|purchased|buys|acquires|will\s+buy|"
        rf"to\s+buy|will\s+acquire|to\s+acquire)\s+(?P<asset>{gap(6)})from\s+{gap(3)}"
        rf"{C.format('b')}", re.I)),
    ("acquisition", None, re.compile(
        rf"{C.format('a')}(?:,[^⟦⟧]{{0,80}},)?\s+{gap(9)}{ACQ_VERB}\s+(?P<mid>{gap(7)})"
        rf"{C.format('b')}", re.I)),
    ("license", None, re.compile(  # "Novartis paid USD2.2 billion for the exclusive rights to BeiGene's"
        rf"{C.format('a')}\s+{gap(4)}(?:paid|pays|will\s+pay|to\s+pay|agreed\s+to\s+pay)\s+"
        rf"{CHAR}{{0,60}}?\bfor\s+(?P<mid>(?:the\s+)?(?:[\w-]+\s+){{0,3}}?"
        rf"(?:rights?|licen[cs]e)\s+(?:to|for|on)\s+){C.format('b')}", re.I)),
    ("license", None, re.compile(  # "Xynomic agreed to pay up to $502 million for global rights to
        # a second-generation RAF inhibitor from Boehringer Ingelheim"
        rf"{C.format('a')}(?:,[^⟦⟧]{{0,80}},)?\s+{gap(4)}(?:paid|pays|will\s+pay|to\s+pay|agreed\s+to\s+pay)\s+"
        rf"{CHAR}{{0,60}}?\bfor\s+(?:the\s+)?(?:[\w-]+\s+){{0,4}}?rights?\s+to\s+"
        rf"(?P<asset>{gap(8)})from\s+{gap(3)}{C.format('b')}", re.I)),
    (None, "noun", re.compile(  # "Allergan plc has entered a research, development, collaboration and
        # license agreement for the worldwide rights to Assembly Biosciences Inc.'s ... programs"
        rf"{C.format('a')}(?:,[^⟦⟧]{{0,80}},)?\s+{gap(4)}(?:entered(?:\s+into)?|signed|struck|inked|reached)\s+"
        rf"(?P<mid>(?:[^⟦⟧.;]){{0,80}}?(?:agreement|deal|pact))\s+for\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?"
        rf"rights?\s+(?:to|for|on)\s+{C.format('b')}", re.I)),
    ("acquisition", None, re.compile(  # "Thermo Fisher paid $1.7 billion earlier this year for
        # the viral vector contract manufacturer Brammer Bio" (not for B's rights: a licence, above)
        rf"{C.format('a')}\s+{gap(4)}(?:paid|pays|will\s+pay|agreed\s+to\s+pay)\s+"
        rf"{CHAR}{{0,60}}?\bfor\s+(?P<mid>{gap(6)}){C.format('b')}(?!'s|’s|')",
        re.I)),
    ("acquisition", None, re.compile(  # "Concentra also made an unsolicited bid for Jounce"
        rf"{C.format('a')}(?:,[^⟦⟧]{{0,80}},)?\s+{gap(8)}(?:bid|offer|proposal)\s+for\s+"
        rf"(?P<mid>{gap(5)}){C.format('b')}", re.I)),
    ("license", None, re.compile(
        rf"{C.format('a')}\s+{gap(6)}(?:in-)?licen[cs](?:ed|es|e)\s+(?P<asset>{gap(18)})from\s+"
        rf"{gap(3)}{C.format('b')}", re.I)),
    ("license", None, re.compile(  # "Astellas licenses Nerio's oral GLP-1 drug"
        # ("UCB said it had also agreed to license the worldwide rights for Celltech's ...")
        rf"{C.format('a')}\s+{gap(6)}(?:in-)?licen[cs](?:ed|es|e)\s+(?:(?:the\s+)?(?:[\w-]+\s+){{0,2}}?"
        rf"rights\s+(?:to|for|on|in)\s+)?{C.format('b')}(?:'s|’s)\s", re.I)),
    ("license", None, re.compile(  # "B, a subsidiary of C, is out-licensing X to A"
        rf"{C.format('b')}(?:,[^,;]{{0,80}},)?\s+{gap(6)}(?:out-)?licen[cs](?:ed|es|e|ing)\s+"
        rf"(?P<asset>{gap(10)})to\s+{gap(3)}{C.format('a')}", re.I)),
    ("license", None, re.compile(  # "Isu Abxis also exported ISU 106, its immunotherapy candidate,
        # with R-Pharm": a drug candidate or technology going abroad, as Korean trade press says an
        # out-licence (not goods, a shipment or a distribution deal: "exported $40 million of
        # biosimilars to Pfizer", "exported its flu vaccine to Sanofi's distribution network")
        rf"{C.format('b')}{ASIDE}\s+{gap(4)}(?:exported|exports)\s+(?![$€£\d])"
        rf"(?!(?:its\s+)?(?:first\s+)?(?:shipments?|batch|batches|doses?|vials?)\b)"
        rf"(?=(?:(?!distribution|supply|shipment)[^⟦⟧.;]){{0,120}}?(?:candidate|technolog|antibod|"
        rf"compound|platform|(?-i:\b[A-Z]{{2,6}}[- ]?\d{{2,6}}\b)))(?P<asset>{gap(12)})(?:to|with)\s+"
        rf"{gap(3)}{C.format('a')}", re.I)),
    ("license", None, re.compile(  # "Biontech has taken up two ADC candidates from Duality"
        rf"{C.format('a')}\s+{gap(4)}(?:took|taken|takes|taking|picked|picks|picking)\s+up\s+"
        rf"(?P<asset>{gap(10)})from\s+{gap(3)}{C.format('b')}", re.I)),
    (None, "noun", re.compile(
        rf"{C.format('a')}(?:,[^⟦⟧]{{0,80}},)?\s+{gap(8)}(?:entered(?:\s+into)?|enters(?:\s+into)?|signed|signs|"
        rf"signing|struck|strikes|inked|inks|reached|formed|expanded|expanding|extended|extending|"
        rf"announced|announces|agreed|"
        rf"landed|lands|secured|secures|clinched|clinches|sealed|seals|penned|pens|set\s+up|"
        rf"sets\s+up|setting\s+up|established|establishes|launched|launches)\s+"
        rf"(?P<mid>{gap(12)})(?:with|between)"
        rf"\s+{gap(4)}{C.format('b')}", re.I)),
    (None, "noun", re.compile(
        # ("Debiopharm Group, of Lausanne, Switzerland, and TcLand SA, of Nantes, France, signed")
        # ("Merck & Co (MSD) and Kelun-Biotech of China have signed")
        rf"{C.format('a')}{ASIDE}\s+(?:and|&)\s+{C.format('b')}{ASIDE}\s+{gap(4)}"
        rf"(?:have\s+|has\s+|had\s+)?"
        rf"(?:entered(?:\s+into)?|enter(?:\s+into)?|entering(?:\s+into)?|signed|sign|signing|"
        rf"struck|strike|inked|ink|reached|formed|"
        rf"form|forming|agreed|agree|announced|announce|unveiled|launched|expanded|expanding|"
        rf"extended|extending|"
        rf"set\s+up|setting\s+up|establish|established|establishing|create|created|creating)\s+"
        rf"(?P<mid>{gap(12)}(?:collaboration|partnership|alliance|agreement|pact|deal|merger|"
        rf"joint\s+venture|merge|licen[cs]\w*|co-develop\w*|co-commerciali[sz]e|co-promote|"
        rf"commerciali[sz]e|develop\s+and\s+commerciali[sz]e))\b", re.I)),
    (None, "noun", re.compile(
        rf"(?P<mid>(?:collaboration|partnership|alliance|agreement|deal|merger|joint\s+venture|"
        rf"licensing\s+deal)\s+{gap(3)})between\s+{gap(3)}{C.format('a')}\s+and\s+{gap(3)}"
        rf"{C.format('b')}", re.I)),
    ("collaboration", None, re.compile(
        rf"{C.format('a')}(?:,[^⟦⟧]{{0,140}},)?\s+{gap(6)}(?:teamed\s+up|teams\s+up|team\s+up|teaming\s+up|"
        rf"partnered|partners|partnering|tied\s+up|ties\s+up|tying\s+up|joined\s+forces|joins\s+forces|"
        rf"joining\s+forces|collaborat\w+)\s+with\s+{gap(6)}"
        rf"{C.format('b')}", re.I)),
    ("collaboration", None, re.compile(
        rf"{C.format('a')}\s*(?:,|and|&)\s*{C.format('b')}\s+(?:join\s+forces|team\s+up|"
        rf"partner|tie\s+up|collaborate)", re.I)),
    ("merger", None, re.compile(
        rf"{C.format('a')}\s+{gap(6)}(?:merge[sd]?|to\s+merge|will\s+merge)\s+with\s+{gap(3)}"
        rf"{C.format('b')}", re.I)),
    ("investment", None, re.compile(
        rf"{C.format('a')}\s+{gap(6)}(?:invested|invests|will\s+invest|to\s+invest|led|"
        rf"participated\s+in)\s+{gap(8)}in\s+{gap(3)}{C.format('b')}", re.I)),
    ("acquisition", "sell", re.compile(
        rf"{C.format('b')}\s+{gap(6)}(?:sold|sells|sell|will\s+sell|to\s+sell|divested|"
        rf"agreed\s+to\s+sell)\s+(?P<asset>{gap(8)})to\s+{gap(3)}{C.format('a')}", re.I)),
]
RAISED = re.compile(rf"{C.format('b')}\s+{gap(8)}raised\s+[^⟦⟧]{{0,60}}?\bfrom\s+"
                     rf"(?P<investors>⟦\d+⟧(?:\s*(?:,|and|,\s*and)\s*⟦\d+⟧)*)", re.I)
RAISED_ANAPHOR = re.compile(r"^(?:\w+\s+){0,4}?(?:the company|it)\s+raised\b[^⟦⟧]*?\bfrom\s+"
                             r"(?P<investors>⟦\d+⟧(?:\s*(?:,|and|,\s*and)\s*⟦\d+⟧)*)", re.I)
# the investors of a round, one after another: "led by A, with participation from B and C and
# from existing investors D and E"
INVESTOR_CHAIN = (r"(?P<investors>⟦\d+⟧(?:[^⟦⟧.;]{0,40}?(?:,|and|participation\s+(?:from|by|of)|"
                   r"including|joined\s+by|investors)\s*⟦\d+⟧)*)")
FINANCING = re.compile(
    r"(?:financing|funding(?:\s+round)?|round|raise|private\s+placement|investment|offering)\b"
    r"[^⟦⟧.;]{0,40}?\b(?:led\s+by|from)\s+" + INVESTOR_CHAIN, re.I)
# "...; the investors were A, B and C" (after a round the sentence names)
INVESTORS_WERE = re.compile(r"\b(?:the\s+)?(?:investors|backers|participants)\s+(?:were|are|"
                             r"included|include|including)\s+[^⟦⟧.;]{0,40}?" + INVESTOR_CHAIN, re.I)
FINANCING_SUBJECT = re.compile(
    r"(?:⟦(?P<b>\d+)⟧|\b(?P<it>the\s+company|it|the\s+biotech|the\s+startup))\s+"
    r"(?:\w+\s+){0,3}?(?:closed|raised|secured|completed|announced|landed|bagged|has\s+raised|"
    r"has\s+closed|has\s+secured|raises|closes|secures|launched\s+with|launches\s+with|"
    r"is\s+launching\s+with|emerged\s+with|debuted\s+with)\b", re.I)
# "Elpiscience ... raised $105 million in a series C financing round", "Eurekare SA has arrived
# on the scene after raising a $60 million series A": a round with no investor named
RAISED_ALONE = re.compile(
    r"⟦(?P<b>\d+)⟧(?:,[^⟦⟧]{0,80},)?\s+(?:[^\s⟦⟧.;]+\s+){0,9}?(?:has\s+|have\s+)?(?:raised|raises|raising|"
    r"closed|closes|closing|secured|secures|securing|completed|bagged|landed|launched\s+with|"
    r"launches\s+with|emerged\s+with)\s+(?:an?\s+|its\s+)?(?:further\s+)?"
    # ("€47.4 million (US$57.6 million) in a series B", "a US$ 43m (RMB 304m) Series B")
    r"(?:about\s+|approximately\s+|over\s+|more\s+than\s+|nearly\s+)?(?:US\$|[A-Z]{3}\s?|[$€£¥])?\s?[\d.,]+\s*"
    r"(?:million|billion|[mb]n?\b|[MB]\b)?" + CHAR + r"{0,45}?\b(?:series\s+[A-F]\d?\b|seed\b|"
    r"financing|funding|private\s+placement)", re.I)
# "Royalty Pharma Announces $100 million Acquisition of Royalty Rights in ... from Cytokinetics",
# "has acquired a synthetic royalty on US sales of RYTELO ..., the product of Geron"
ROYALTY = re.compile(  # (a decimal amount is read through: "Announces $2.85 Billion Acquisition")
    r"⟦(?P<a>\d+)⟧(?:,[^⟦⟧]{0,80},)?\s+(?:(?:[^\s⟦⟧.;]|\.(?=\d))+\s+){0,8}?(?:acquisition|purchase|acquired|"
    r"acquires|acquire|bought|buys|buy|purchased|purchases)\s+(?:of\s+)?(?:" + CHAR + r"{0,60}?)"
    r"\broyalt(?:y|ies)\b" + CHAR + r"{0,120}?\b(?:from|of|product\s+of)\s+(?:the\s+)?⟦(?P<b>\d+)⟧", re.I)
# "Lilly's $2.4 billion acquisition of Orna and its $8.5 billion-plus strategic collaboration
# with Innovent Biologics": the possessive's company is the first party
ITS_NOUN = re.compile(
    r"⟦(?P<a>\d+)⟧(?:'s|’s)\s+(?:[^.;]|\.(?=\d)){0,80}?\band\s+its\s+(?P<mid>" + CHAR + r"{0,50}?"
    r"(?:collaboration|partnership|alliance|licen[cs]ing\s+(?:deal|agreement|pact)|joint\s+venture))"
    r"\s+with\s+⟦(?P<b>\d+)⟧", re.I)
NOUN_KIND = [("license", r"licen[cs]"), ("option", r"\boption"), ("royalty", r"royalt"),
              ("merger", r"\bmerge"), ("collaboration", r"collaborat|partner|alliance|cooperat|"
                                                       r"joint venture|co-develop|co-commerciali|"
                                                       r"co-promot|commerciali[sz]e|"
                                                       r"research agreement|R&D\s+(?:agreement|deal|pact)|"
                                                       r"\bjoint\s+(?:[\w-]+\s+){0,3}?(?:agreement|development)|"
                                                       # "a deal with B to discover and develop"
                                                       r"\bto\s+(?:jointly\s+)?(?:discover|research)\b")]
STAKE = re.compile(r"\b(?:\d+(?:\.\d+)?%\s+(?:stake|interest|equity)|(?:minority|equity)\s+stake|"
                    r"stake\s+in)\b", re.I)
TERMS = re.compile(r"\b(?:upfront|up front|milestones?|pay|paid|payments?|consideration|deal|"
                    r"transaction|terms|worth|valu(?:e|ed|es)|offer|in cash|total)\b", re.I)
UNDER_THE_DEAL = re.compile(r"\W*(?:Under|As\s+part\s+of|According\s+to)\s+(?:the\s+)?(?:terms\s+of\s+the\s+)?"
                             r"(?:deal|agreement|terms|transaction)\b", re.I)
# what a buyer takes when it takes rights, not the company: a licence
RIGHTS = re.compile(r"\s*(?:(?:the|its|global|worldwide|exclusive|ex-\w+|U\.?S\.?|regional|"
                     r"commercial|development|and|,)\s+)*(?:rights?|licen[cs]es?)\b", re.I)
