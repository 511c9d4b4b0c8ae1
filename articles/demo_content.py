"""Demo briefs for `manage.py seed_demo`, written for this project.

Each entry has the shape of a Smart Brevity brief: headline, dek, intro
paragraphs, then sections (label, optional heading, optional lead text,
bullets). Inline markup (<strong>, <em>, <a>) is allowed in text and bullets.
"""

CATEGORIES = [
    ("World", "world", "Diplomacy, defence and the forces reshaping alliances."),
    ("Economy", "economy", "Money, markets and the decisions behind them."),
    ("Technology", "technology", "Chips, platforms and the rules that govern them."),
    ("Climate", "climate", "Energy, emissions and adaptation."),
    ("Cities", "cities", "How the places we live are run and rebuilt."),
]

AUTHORS = [
    (
        "Giulia Ferri",
        "giulia-ferri",
        "Europe and security editor",
        "Giulia covers European defence policy and the alliances around it. "
        "She previously reported from Brussels and Tokyo.",
    ),
    (
        "Daniel Okafor",
        "daniel-okafor",
        "Economics correspondent",
        "Daniel writes about central banks, inflation and public finance.",
    ),
    (
        "Mei Tanaka",
        "mei-tanaka",
        "Technology reporter",
        "Mei follows the semiconductor supply chain and tech regulation.",
    ),
    (
        "Laura Brandt",
        "laura-brandt",
        "Climate and cities reporter",
        "Laura reports on energy transitions and how cities adapt to heat and floods.",
    ),
]

TOPICS = [
    ("Defence", "defence"),
    ("Indo-Pacific", "indo-pacific"),
    ("Italy", "italy"),
    ("Japan", "japan"),
    ("Central banks", "central-banks"),
    ("Inflation", "inflation"),
    ("Semiconductors", "semiconductors"),
    ("Trade", "trade"),
    ("Energy", "energy"),
    ("Heat", "heat"),
    ("Transport", "transport"),
]

BRIEFS = [
    {
        "slug": "italy-japan-defence-ties",
        "category": "world",
        "authors": ["giulia-ferri"],
        "topics": ["defence", "indo-pacific", "italy", "japan"],
        "hours_ago": 3,
        "headline": "Rome and Tokyo draw closer on defence as Italy looks east",
        "dek": "A call between Italy's and Japan's defence ministers signals that "
        "Rome now treats European and Asian security as one problem.",
        "intro": [
            "Guido Crosetto and his Japanese counterpart Shinjirō Koizumi spoke by "
            "video link, and both sides framed the talk as more than a courtesy."
        ],
        "sections": [
            {
                "label": "Why it matters",
                "text": "Italy is arguing that the war in Ukraine and pressure in the "
                "Indo-Pacific belong to a single security picture, a view that "
                "puts it close to Tokyo and pushes NATO to look beyond the Atlantic.",
            },
            {
                "label": "Driving the news",
                "text": "Crosetto offered Japan his <strong>full support</strong> after "
                "a Chinese military jet locked its radar on a Japanese patrol "
                "aircraft on December 6.",
                "bullets": [
                    "He said the pressure China and Russia put on Japan resembles "
                    "what Europe faces, so Rome and Tokyo should work together more.",
                    "Officials on both sides described the exchange as unusually "
                    "direct for a ministerial call.",
                ],
            },
            {
                "label": "Zoom in",
                "heading": "Military ties are already deepening.",
                "text": "The call follows a run of senior contacts.",
                "bullets": [
                    "Italy's chief of defence, Admiral Luciano Portolano, hosted "
                    "Japan's ground forces chief, General Arai Masayoshi, in Rome "
                    "days earlier.",
                    "The two militaries are lining up equipment, technology and "
                    "operating procedures, not just exchanging visits.",
                    "Prime ministers Giorgia Meloni and Sanae Takaichi have built a "
                    "close working relationship.",
                ],
            },
            {
                "label": "Between the lines",
                "text": "The <em>GCAP</em> fighter jet, built with the UK, anchors the "
                "partnership, but the agenda now spans supply chains, maritime "
                "security and deterrence.",
            },
            {
                "label": "Rome's reasons",
                "bullets": [
                    "Washington wants allies to carry more weight in Asia.",
                    "Italy's shipyards, aerospace firms and energy companies give it "
                    "something to offer the region.",
                ],
            },
            {
                "label": "What we're watching",
                "bullets": [
                    "Whether Meloni's trip to Tokyo turns these contacts into a "
                    "written Indo-Pacific strategy for Italy.",
                ],
            },
        ],
    },
    {
        "slug": "central-bank-holds-rates-steady",
        "category": "economy",
        "authors": ["daniel-okafor"],
        "topics": ["central-banks", "inflation"],
        "hours_ago": 9,
        "headline": "The central bank holds rates and signals patience",
        "dek": "Policymakers kept borrowing costs unchanged for a third meeting and "
        "said they need more evidence that inflation is cooling for good.",
        "intro": [],
        "sections": [
            {
                "label": "Why it matters",
                "text": "Households hoping for cheaper mortgages before spring will "
                "probably have to wait.",
            },
            {
                "label": "By the numbers",
                "bullets": [
                    "<strong>2.9%</strong>: headline inflation last month, down from "
                    "3.4% in the summer.",
                    "<strong>3.5%</strong>: the policy rate, unchanged since June.",
                    "<strong>7 to 2</strong>: the committee vote; two members wanted "
                    "a quarter-point cut.",
                ],
            },
            {
                "label": "What they're saying",
                "text": "The governor told reporters the bank would rather be late "
                "than wrong.",
            },
            {
                "label": "Yes, but",
                "text": "Services prices are still rising faster than the bank likes, "
                "and wage growth has barely slowed.",
            },
            {
                "label": "What's next",
                "bullets": [
                    "New wage data lands in two weeks.",
                    "Markets now price the first cut for March.",
                ],
            },
        ],
    },
    {
        "slug": "new-chip-export-rules",
        "category": "technology",
        "authors": ["mei-tanaka"],
        "topics": ["semiconductors", "trade"],
        "hours_ago": 20,
        "headline": "New export rules tighten the squeeze on advanced chips",
        "dek": "The update closes loopholes that let older AI accelerators reach "
        "restricted buyers through third countries.",
        "intro": [
            "Regulators published the rules late on Friday after months of "
            "consultation with chipmakers."
        ],
        "sections": [
            {
                "label": "Why it matters",
                "text": "Chip controls have become a main tool of economic "
                "statecraft, and each round reshapes where data centres get built.",
            },
            {
                "label": "Zoom in",
                "heading": "Three changes stand out.",
                "bullets": [
                    "A lower performance threshold brings more accelerators under "
                    "licence.",
                    "Exporters must now check who ultimately controls a buyer, not "
                    "just where it is registered.",
                    "Cloud providers must report large training runs by foreign "
                    "customers.",
                ],
            },
            {
                "label": "The other side",
                "text": "Industry groups warn the rules push customers toward rival "
                "suppliers and cost sales without slowing anyone down.",
            },
            {
                "label": "Go deeper",
                "text": 'Read the agency\'s <a href="https://example.org/rules">'
                "summary of the rule</a>.",
            },
        ],
    },
    {
        "slug": "heat-plan-for-summer-cities",
        "category": "climate",
        "authors": ["laura-brandt"],
        "topics": ["heat", "energy"],
        "hours_ago": 30,
        "headline": "Cities draft heat plans after a record summer",
        "dek": "Cooling centres, shaded bus stops and early-warning texts are "
        "moving from pilot projects into city budgets.",
        "intro": [],
        "sections": [
            {
                "label": "Why it matters",
                "text": "Heat kills more people than any other weather hazard, and "
                "most of the deaths are preventable.",
            },
            {
                "label": "State of play",
                "text": "At least a dozen large cities now name a chief heat officer.",
                "bullets": [
                    "Most plans start with maps of the hottest blocks.",
                    "Tree planting is popular but takes a decade to pay off.",
                    "Text alerts reach people that broadcast warnings miss.",
                ],
            },
            {
                "label": "Reality check",
                "text": "Budgets are small: the typical plan costs less than one "
                "kilometre of new road.",
            },
            {
                "label": "The bottom line",
                "text": "The cheapest measures, such as opening libraries late, save "
                "the most lives in the first years.",
            },
        ],
    },
    {
        "slug": "night-buses-return",
        "category": "cities",
        "authors": ["laura-brandt", "daniel-okafor"],
        "topics": ["transport"],
        "hours_ago": 50,
        "headline": "Night buses return as the transit budget passes",
        "dek": "The council restored overnight routes cut during the pandemic, "
        "paid for by a parking levy.",
        "intro": [],
        "sections": [
            {
                "label": "Driving the news",
                "text": "The budget passed 31 to 12 after a four-hour debate.",
            },
            {
                "label": "Zoom out",
                "text": "Night workers, from nurses to cleaners, lost their only "
                "affordable way home when the routes were cut.",
            },
            {
                "label": "Flashback",
                "text": "The city ran 14 night routes in 2019; it ran three last year.",
            },
            {
                "label": "What's next",
                "bullets": [
                    "Six routes restart in January.",
                    "The rest depend on hiring 80 drivers.",
                ],
            },
        ],
    },
    {
        "slug": "grid-storage-tender",
        "category": "climate",
        "authors": ["laura-brandt"],
        "topics": ["energy"],
        "hours_ago": 76,
        "headline": "Grid operator opens its biggest battery tender yet",
        "dek": "Storage is becoming the cheapest way to keep the lights on when "
        "the wind drops.",
        "intro": [],
        "sections": [
            {
                "label": "Why it matters",
                "text": "Batteries let solar power cover the evening peak, the "
                "hour gas plants used to own.",
            },
            {
                "label": "The big picture",
                "heading": "Prices keep falling.",
                "text": "Pack prices have dropped by roughly a fifth in a year.",
                "bullets": [
                    "Developers can now bid without subsidies in sunny regions.",
                    "The tender asks for four hours of storage, double the last one.",
                ],
            },
            {
                "label": "What we're watching",
                "bullets": ["Whether local factories can win a share of the orders."],
            },
        ],
    },
]
