"""Pools of realistic Canadian names, places and trade catalogues that the seed draws from.

The pools deliberately hold apostrophes (O'Brien), accents (Zoë Lefèvre, Müller) and ampersands
(& Sons) because real customer lists do, and ledgers are picky about them. They never hold ':' or
control characters: hostile data is a separate corpus.
"""

from dataclasses import dataclass
from enum import StrEnum

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Olivia", "Liam", "Noah", "Emma", "Charlotte", "Amelia", "Benjamin", "Lucas",
    "Zoë", "François", "Amélie", "Chloé", "Gaëlle", "Hélène", "Jérôme", "Mélanie", "Stéphane", "Renée",
    "André", "Noémie", "Léa", "Élise", "Siobhán", "Seán", "Priya", "Arjun", "Harpreet", "Gurpreet",
    "Wei", "Mei", "Jun", "Hiroshi", "Yuki", "Ahmed", "Fatima", "Omar", "Aisha", "Mateo",
    "Sofía", "José", "Lucía", "Björn", "Jürgen", "Ingrid", "Søren", "Anh", "Minh", "Kwame",
    "Ama", "Chidi", "Ngozi", "Dmitri", "Olena", "Taras", "Kateryna", "Giovanni", "Francesca", "Marco",
    "Giulia", "Małgorzata", "Zofia", "Tomasz", "Connor", "Declan", "Bridget", "Maeve", "Ethan", "Ava",
    "Jacob", "Isabella", "Daniel", "Sarah", "Michael", "Jennifer", "David", "Karen", "Robert", "Linda",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Brown", "Tremblay", "Martin", "Roy", "Gagnon", "Lee", "Wilson", "Johnson", "MacDonald",
    "Taylor", "Campbell", "Anderson", "Jones", "Leblanc", "Côté", "Lefèvre", "Bélanger", "Gauthier", "Bouchard",
    "Lévesque", "Pelletier", "Bergeron", "Desjardins", "O'Brien", "O'Neil", "O'Connor", "D'Angelo", "D'Souza",
    "O'Reilly", "McNeil", "MacLeod", "Müller", "Schäfer", "Schröder", "Nguyen", "Tran", "Patel", "Singh",
    "Sharma", "Gill", "Dhillon", "Chen", "Wang", "Li", "Zhang", "Kim", "Park", "Tanaka", "Sato",
    "Kowalski", "Nowak", "Wiśniewski", "Kovač", "Horváth", "Dvořák", "Jensen", "Ødegaard", "Peña", "García",
    "Núñez", "Fernández", "Rossi", "Russo", "Esposito", "Ferrari", "Santos", "Silva", "Costa", "Khan",
    "Hussain", "Okafor", "Mensah", "Boateng", "Ivanova", "Petrov", "Shevchenko", "Cohen", "Levi", "St-Pierre",
    "Saint-Laurent", "Van der Berg", "de la Cruz", "Fitzgerald", "Murphy", "Kelly", "Ryan", "Walsh", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Young", "King", "Wright", "Scott", "Green", "Baker", "Hall",
)  # fmt: skip

BUSINESS_PATTERNS: tuple[str, ...] = (
    "{last} & Sons Plumbing", "{last} & Sons Contracting", "{last} & {other} Property Management",
    "{last}'s Bakery", "{last}'s Diner", "{last} & Daughters Landscaping", "{last} Family Dental",
    "Café {last}", "{last} Holdings Inc.", "{last} Auto Body Ltd.", "Chez {first}", "Boulangerie {last}",
    "{last} Bros. Renovations", "The {last} Group", "{last} Realty Ltd.", "{last} & Co. Chartered Accountants",
    "{last}'s Hardware", "Dépanneur {last}", "Résidences {last}", "{first}'s Hair Studio",
    "{last} & {other} LLP", "{city} {last} Dental Clinic", "{last} Veterinary Hospital", "{first} {last} Photography",
)  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org", "mail.example.ca")

STREETS: tuple[str, ...] = (
    "Maple Street", "Oak Avenue", "King Street West", "Queen Street East", "Main Street", "Church Street",
    "Elm Drive", "Pine Crescent", "Cedar Road", "Birch Court", "Bay Street", "Dundas Street", "Lakeshore Boulevard",
    "Portage Avenue", "Jasper Avenue", "Granville Street", "Robson Street", "Spring Garden Road", "Water Street",
    "Victoria Avenue", "Wellington Street", "Highland Road", "Riverside Drive", "Sunnyside Avenue",
)  # fmt: skip

FRENCH_STREETS: tuple[str, ...] = (
    "rue Saint-Denis", "rue Sainte-Catherine", "boulevard René-Lévesque", "chemin de la Côte-des-Neiges",
    "avenue du Mont-Royal", "rue de l'Église", "boulevard Saint-Laurent", "rue Notre-Dame",
)  # fmt: skip


class TaxScheme(StrEnum):
    """How a province taxes a job, given one tax rate per invoice line."""

    HST = "hst"
    GST = "gst"
    GST_PST = "gst_pst"


PROVINCE_TAX: dict[str, TaxScheme] = {
    "ON": TaxScheme.HST, "NB": TaxScheme.HST, "NS": TaxScheme.HST, "NL": TaxScheme.HST, "PE": TaxScheme.HST,
    "AB": TaxScheme.GST, "YT": TaxScheme.GST, "NT": TaxScheme.GST, "NU": TaxScheme.GST,
    "BC": TaxScheme.GST_PST, "SK": TaxScheme.GST_PST, "MB": TaxScheme.GST_PST, "QC": TaxScheme.GST_PST,
}  # fmt: skip


@dataclass(frozen=True)
class City:
    name: str
    province: str
    postal_prefixes: str
    """Valid first letters of the city's postal codes."""
    area_codes: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City("Toronto", "ON", "M", ("416", "647")),
    City("Ottawa", "ON", "K", ("613",)),
    City("Hamilton", "ON", "L", ("905", "289")),
    City("London", "ON", "N", ("519",)),
    City("Mississauga", "ON", "L", ("905",)),
    City("Sudbury", "ON", "P", ("705",)),
    City("Montréal", "QC", "H", ("514", "438")),
    City("Québec", "QC", "G", ("418",)),
    City("Trois-Rivières", "QC", "G", ("819",)),
    City("Gatineau", "QC", "J", ("819",)),
    City("Vancouver", "BC", "V", ("604", "778")),
    City("Kelowna", "BC", "V", ("250",)),
    City("Calgary", "AB", "T", ("403", "587")),
    City("Edmonton", "AB", "T", ("780",)),
    City("Winnipeg", "MB", "R", ("204",)),
    City("Saskatoon", "SK", "S", ("306",)),
    City("Halifax", "NS", "B", ("902",)),
    City("Moncton", "NB", "E", ("506",)),
    City("St. John's", "NL", "A", ("709",)),
    City("Charlottetown", "PE", "C", ("902",)),
    City("Whitehorse", "YT", "Y", ("867",)),
)

POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
"""Letters Canada Post uses inside postal codes (never D, F, I, O, Q, U)."""


class ProductKind(StrEnum):
    """Decides how a line's quantity looks: fractional hours, counted parts, or a single fee/plan."""

    HOURLY = "hourly"
    PART = "part"
    PLAN = "plan"
    FEE = "fee"


CATEGORY_NAMES: dict[ProductKind, str] = {
    ProductKind.HOURLY: "Labour",
    ProductKind.PART: "Parts & Materials",
    ProductKind.PLAN: "Service Plans",
    ProductKind.FEE: "Call-out Fees",
}

COMMON_PRODUCTS: tuple[tuple[ProductKind, str, str], ...] = (
    (ProductKind.HOURLY, "Technician labour (per hour)", "115.00"),
    (ProductKind.HOURLY, "Apprentice labour (per hour)", "72.50"),
    (ProductKind.HOURLY, "Overtime labour (per hour)", "172.50"),
    (ProductKind.HOURLY, "Emergency after-hours labour (per hour)", "195.00"),
    (ProductKind.FEE, "Standard call-out fee", "89.00"),
    (ProductKind.FEE, "After-hours call-out fee", "149.00"),
    (ProductKind.FEE, "Weekend call-out fee", "129.00"),
    (ProductKind.FEE, "Diagnostic fee", "79.95"),
)


@dataclass(frozen=True)
class Trade:
    label: str
    company_names: tuple[str, ...]
    products: tuple[tuple[ProductKind, str, str], ...]
    """Trade-specific (kind, name, price) on top of COMMON_PRODUCTS."""
    job_notes: tuple[str, ...]


TRADES: tuple[Trade, ...] = (
    Trade(
        "HVAC",
        ("Maple Leaf Heating & Cooling", "Northern Comfort HVAC", "Polar Air Mechanical", "Côté Climatisation"),
        (
            (ProductKind.PLAN, "Annual furnace tune-up plan", "189.00"),
            (ProductKind.PLAN, "Comfort protection plan (monthly)", "24.99"),
            (ProductKind.PLAN, "Heat pump maintenance plan", "249.00"),
            (ProductKind.PART, "Furnace filter MERV 11 (16x25x1)", "24.99"),
            (ProductKind.PART, "Hot surface ignitor", "89.50"),
            (ProductKind.PART, "Flame sensor", "42.75"),
            (ProductKind.PART, "Programmable Wi-Fi thermostat", "249.00"),
            (ProductKind.PART, "Run capacitor 45/5 MFD", "38.40"),
            (ProductKind.PART, "Contactor 40A", "54.20"),
            (ProductKind.PART, "Condensate pump", "129.99"),
            (ProductKind.PART, "Refrigerant R-410A (per lb)", "68.00"),
            (ProductKind.PART, "Blower motor 1/2 HP", "412.00"),
            (ProductKind.PART, "Inducer motor assembly", "389.95"),
            (ProductKind.PART, "Humidifier pad", "27.80"),
            (ProductKind.PART, "Copper line set 25 ft", "219.00"),
            (ProductKind.PART, "Heat pump defrost board", "276.50"),
            (ProductKind.PART, "Duct sealant & tape kit", "31.25"),
        ),
        (
            "Furnace not igniting",
            "No cooling upstairs",
            "Annual maintenance visit",
            "Thermostat upgrade",
            "Heat pump short-cycling",
            "Customer's basement unit leaking",
        ),
    ),
    Trade(
        "Plumbing",
        ("True North Plumbing", "Clearwater Plumbing & Drains", "Bluewave Plumbing Ltd.", "Plomberie Lévesque"),
        (
            (ProductKind.PLAN, "Annual plumbing inspection plan", "149.00"),
            (ProductKind.PLAN, "Drain care plan (monthly)", "19.99"),
            (ProductKind.PLAN, "Water heater protection plan", "179.00"),
            (ProductKind.PART, "Toilet wax ring & bolts", "12.49"),
            (ProductKind.PART, "Toilet fill valve", "28.95"),
            (ProductKind.PART, "Kitchen faucet, single handle", "189.00"),
            (ProductKind.PART, 'PEX pipe 1/2" (10 ft)', "18.90"),
            (ProductKind.PART, "Water heater 40 gal, gas", "1249.00"),
            (ProductKind.PART, "Sump pump 1/3 HP", "289.00"),
            (ProductKind.PART, 'Quarter-turn shut-off valve 1/2"', "22.40"),
            (ProductKind.PART, 'P-trap kit 1-1/2"', "16.75"),
            (ProductKind.PART, "Pressure reducing valve", "164.00"),
            (ProductKind.PART, "Backflow preventer", "312.50"),
            (ProductKind.PART, "Garburator 3/4 HP", "349.99"),
            (ProductKind.PART, "Copper fittings assortment", "45.60"),
            (ProductKind.PART, "Anode rod", "58.20"),
            (ProductKind.PART, "Expansion tank 2 gal", "74.95"),
        ),
        (
            "Kitchen sink clogged",
            "Water heater replacement",
            "Leak under bathroom vanity",
            "Sump pump failure",
            "Low water pressure",
            "Tenant's toilet running",
        ),
    ),
    Trade(
        "Electrical",
        ("Bright Spark Electrical", "Live Wire Electric Inc.", "Summit Electrical Services", "Électricité Bouchard"),
        (
            (ProductKind.PLAN, "Annual electrical safety inspection", "169.00"),
            (ProductKind.PLAN, "Generator maintenance plan", "299.00"),
            (ProductKind.PLAN, "Home electrical care plan (monthly)", "14.99"),
            (ProductKind.PART, "GFCI receptacle 15A", "32.50"),
            (ProductKind.PART, "Tamper-resistant receptacle", "6.95"),
            (ProductKind.PART, "Breaker 15A single pole", "18.40"),
            (ProductKind.PART, "Breaker 20A AFCI", "64.75"),
            (ProductKind.PART, "Panel 200A 40-circuit", "689.00"),
            (ProductKind.PART, 'LED pot light 4"', "29.99"),
            (ProductKind.PART, "Smoke & CO combination alarm", "79.00"),
            (ProductKind.PART, "Wire NMD90 14/2 (75 m)", "142.00"),
            (ProductKind.PART, "Dimmer switch", "41.30"),
            (ProductKind.PART, "EV charger Level 2 (48A)", "899.00"),
            (ProductKind.PART, "Whole-home surge protector", "219.50"),
            (ProductKind.PART, "Junction box & connectors", "9.85"),
            (ProductKind.PART, "Weatherproof outdoor cover", "17.25"),
        ),
        (
            "Breaker keeps tripping",
            "Panel upgrade to 200A",
            "EV charger installation",
            "Pot lights in kitchen",
            "Outlets dead in garage",
            "Owner's renovation rough-in",
        ),
    ),
)

TAX_RATES: tuple[tuple[str, str], ...] = (("GST", "5"), ("HST", "13"), ("PST", "7"), ("Exempt", "0"))
"""Name and percentage of every Canadian company's tax rates."""
US_TAX_RATES: tuple[tuple[str, str], ...] = (
    ("Austin TX", "8.25"),
    ("Seattle WA", "10.35"),
    ("Denver CO", "8.81"),
    ("Exempt", "0"),
)
"""Name and combined (state + county + city) percentage of every US company's sales tax rates."""
US_JURISDICTIONS: dict[TaxScheme, str] = {
    TaxScheme.HST: "Austin TX",
    TaxScheme.GST: "Denver CO",
    TaxScheme.GST_PST: "Seattle WA",
}
"""A US company's seeded customers reuse the generated cities; each region stands for one US jurisdiction,
whose combined rate taxes all of the customer's taxable lines (US invoices carry one sales tax code)."""
