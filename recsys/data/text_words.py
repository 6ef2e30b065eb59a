"""Word lists and templates of the example world's realistic résumés (see docs/example-world.md).

Plain data, no logic.  Template slots: ``{title}`` a job title, ``{n}`` whole years, ``{area}`` a
field of work (with its preposition), ``{city}``, ``{L}`` a list of skill forms, ``{X}`` one skill
form, ``{k}`` years with one skill, ``{t}`` a task as a gerund phrase, ``{adj}`` an adjective,
``{a}`` the article before the title.  The fixed words of every template name no taxonomy skill
and no held-out title (checked by ``tests/data/test_texts.py``), so what a résumé mentions is
decided by the pieces put into the slots.
"""

from __future__ import annotations

# --- headline -----------------------------------------------------------------------------------
HEADLINES = (
    "{title}",
    "{title} | {a}, {b}",
    "{title} · {a} · {b}",
    "{title} with {n}+ years of experience",
    "{adj} {title}",
    "{title} based in {city}",
    "{title} - open to new opportunities",
)
HEADLINE_ADJ = (
    ("Motivated", "Aspiring", "Enthusiastic"),  # seniority 0
    ("Motivated", "Reliable", "Curious"),
    ("Experienced", "Dedicated", "Results-driven"),
    ("Experienced", "Seasoned", "Versatile"),
    ("Seasoned", "Accomplished", "Senior-level"),
)

# --- section headers (one wording per résumé, written in one of HEADER_STYLES) ----------------------
SUMMARY_HEADERS = ("Summary", "Profile", "Professional summary", "About me", "Personal profile")
EXPERIENCE_HEADERS = (
    "Experience",
    "Employment",
    "Professional experience",
    "Positions held",
    "Career",
    "Work experience",
)
SKILLS_HEADERS = ("Skills", "Key skills", "Core competencies", "Strengths", "Areas of expertise")
TOOLS_HEADERS = ("Tools", "Technologies", "Tech stack", "Software", "Systems and tools")
EDUCATION_HEADERS = ("Education", "Education and training", "Qualifications", "Academic background")
EXTRA_HEADERS = ("Additional information", "Other", "Personal", "More about me")
HEADER_STYLES = ("upper", "plain", "colon", "underline")

# --- summary ------------------------------------------------------------------------------------
SUMMARY_OPEN_YEARS = (
    "{title} with {n}+ years of experience{area}.",
    "{title} with {n} years of experience{area}.",
    "I am {a} {title} with over {n} years of experience{area}.",
    "{n}+ years' experience as {a} {title}{area}.",
    "Over the past {n} years I have worked as {a} {title}{area}.",
)
SUMMARY_OPEN = (
    "{adj} {title} with a background{area}.",
    "{title} who enjoys {t}.",
    "{adj} {title}, most recently focused on {t}.",
    "I work as {a} {title} and like {t}.",
)
SUMMARY_OPEN_JUNIOR = (
    "Recent graduate starting out as {a} {title}.",
    "Early-career {title} keen to learn and grow.",
    "{title} at the start of my career, eager to take on responsibility.",
)
AREA_PREFIX = (" in ", " across ", " within ")
SUMMARY_NOUNS = (
    "Strong background in {L}.",
    "Skilled in {L}.",
    "My expertise covers {L}.",
    "Particularly experienced with {L}.",
    "Hands-on experience with {L}.",
    "Key strengths: {L}.",
)
SUMMARY_VERBS = (
    "Able to {L}.",
    "I can {L}.",
    "Comfortable when asked to {L}.",
    "Key strengths: {L}.",
)
SUMMARY_CLOSE = (
    "Looking for a new challenge in {city}.",
    "Open to hybrid and remote roles.",
    "Calm under pressure and happy to share what I know.",
    "I like clear goals, honest feedback and a good team.",
    "Currently looking for my next step.",
    "Known for getting things done without fuss.",
)

# --- experience ----------------------------------------------------------------------------------
JOB_HEADERS = (
    "{title}, {company} ({dates})",
    "{title} at {company}\n{dates}",
    "{dates} | {title} | {company}",
    "{company} - {title}, {dates}",
    "{title}\n{company}, {city} | {dates}",
)
PRESENT = ("present", "Present", "now", "today", "current")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
BULLETS = ("• ", "- ", "* ", "– ", "")  # "" = the job's lines as one prose paragraph
# task bullet shapes: 0 past tense, 1 base form (current job), 2 "Responsible for" + gerund,
# 3 first person past, 4.. paraphrases around the base form / gerund
TASK_FRAMES = (
    "{past}",
    "{base}",
    "Responsible for {ger}",
    "I {past_l}",
    "Helped {base_l}",
    "Worked with the team to {base_l}",
    "Took care of {ger}",
    "My job was to {base_l}",
)
JOB_NOUNS = ("Worked with {L}.", "Day-to-day use of {L}.", "Hands-on work with {L}.")
JOB_VERBS = ("Regularly asked to {L}.", "Day to day I had to {L}.")
JOB_TOOLS = ("Tools: {L}", "Environment: {L}", "Tech: {L}", "Used {L} daily.")

# --- skills section items --------------------------------------------------------------------------
# items of the skills section: most skills are listed bare (p SKILL_BARE), the others in a phrase
SKILL_BARE = 0.6
SKILL_NOUN_ITEMS = (
    "{X} ({k} yrs)",
    "{X} ({k}+ years)",
    "strong {X} skills",
    "hands-on experience with {X}",
    "working knowledge of {X}",
    "{X} (advanced)",
    "{X} (intermediate)",
    "proficient in {X}",
    "familiar with {X}",
)
SKILL_VERB_ITEMS = ("able to {X}", "can {X}")
SKILL_JOINERS = (", ", " | ", " · ", "; ", "\n")  # "\n": one per line with the résumé's bullet

# --- companies: prefix + kind + suffix, or a placeholder ----------------------------------------------
COMPANY_PREFIX = (
    "Northwind",
    "Bluepeak",
    "Aldercrest",
    "Brightwater",
    "Copperleaf",
    "Eastgate",
    "Fernhill",
    "Greystone",
    "Harbourview",
    "Ironbridge",
    "Kingsmere",
    "Lakeside",
    "Mapleton",
    "Nordhavn",
    "Oakridge",
    "Pinecrest",
    "Redwood",
    "Silverline",
    "Stonebrook",
    "Westfield",
    "Zenith",
    "Arcadia",
    "Meridia",
    "Vantara",
)
COMPANY_KIND = (
    "Group",
    "Partners",
    "Holdings",
    "Solutions",
    "Systems",
    "Labs",
    "Works",
    "Industries",
    "Services",
    "Digital",
    "Capital",
    "Networks",
    "Ventures",
)
COMPANY_SUFFIX = ("", "", "", " Ltd", " GmbH", " B.V.", " S.A.", " AG", " plc", " Inc.")
COMPANY_PLACEHOLDER = (
    "Confidential",
    "A leading European bank",
    "Large retail chain",
    "Mid-sized consultancy",
    "Public sector employer",
    "Fast-growing start-up",
    "Family-owned business",
    "Self-employed",
    "Freelance",
    "International non-profit",
)

# --- education --------------------------------------------------------------------------------------
DEGREES = (
    ("Vocational certificate", "Diploma", "Higher National Diploma"),  # short
    ("BSc", "BA", "Bachelor of Science", "Bachelor of Arts", "Bachelor's degree"),
    ("MSc", "MA", "Master of Science", "MBA", "Master's degree"),
    ("PhD", "Doctorate"),
)
# degree level probabilities by ISCO major group (short, bachelor, master, doctorate)
DEGREE_P = {"1": (0.1, 0.4, 0.45, 0.05), "2": (0.05, 0.45, 0.42, 0.08), "3": (0.5, 0.4, 0.1, 0.0)}
FIELDS = {
    "25": ("Computer Science", "Software Engineering", "Information Systems", "Mathematics"),
    "35": ("Information Technology", "Network Engineering", "Computer Science", "Electronics"),
    "24": ("Business Administration", "Economics", "Finance", "Accounting", "Marketing"),
    "21": ("Physics", "Chemistry", "Mechanical Engineering", "Civil Engineering", "Biology"),
    "12": ("Business Administration", "Management", "Economics", "Law"),
    "13": ("Information Systems", "Business Administration", "Computer Science", "Engineering"),
    "14": ("Hospitality Management", "Business Studies", "Tourism"),
    "11": ("Public Administration", "Political Science", "Law", "Economics"),
    "26": ("Law", "Journalism", "Psychology", "Social Sciences", "Fine Arts", "History"),
    "31": ("Engineering", "Applied Sciences", "Electronics", "Chemistry"),
    "33": ("Business Studies", "Accounting", "Logistics", "Office Management"),
    "34": ("Sports Science", "Culinary Arts", "Social Work", "Design"),
}
FIELDS_DEFAULT = ("Business Studies", "General Studies", "Applied Sciences")
UNIVERSITY = (
    "University of {c}",
    "{c} University",
    "Technical University of {c}",
    "{c} Business School",
    "{c} University of Applied Sciences",
    "{c} College",
)
UNI_CITIES = (
    "Leeds",
    "Bristol",
    "Utrecht",
    "Leiden",
    "Porto",
    "Valencia",
    "Bologna",
    "Turin",
    "Lyon",
    "Ghent",
    "Aarhus",
    "Uppsala",
    "Krakow",
    "Vienna",
    "Munich",
    "Hamburg",
    "Cork",
    "Glasgow",
    "Coimbra",
    "Grenoble",
)
EDUCATION_LINES = (
    "{degree} in {field}, {uni} ({year})",
    "{uni} - {degree} in {field}, {year}",
    "{year}: {degree}, {field} - {uni}",
    "{degree}, {field}\n{uni}, {year}",
)

# --- extra lines (noise) ------------------------------------------------------------------------------
LANGUAGES = ("English", "German", "French", "Spanish", "Dutch", "Polish", "Italian", "Swedish")
LANGUAGE_LEVELS = ("native", "fluent", "C1", "B2", "B1", "basic")
HOBBIES = (
    "photography",
    "yoga",
    "football",
    "chess",
    "running",
    "cooking",
    "hiking",
    "reading",
    "cycling",
    "gardening",
    "playing the guitar",
    "travel",
    "board games",
    "swimming",
    "baking",
    "climbing",
)
VOLUNTEER = (
    "Volunteer: mentoring at a local coding club",
    "Volunteer: treasurer of a youth sports club",
    "Volunteer at a food bank (weekends)",
    "Volunteer: first aid at community events",
    "Volunteer tutor for refugees learning the language",
    "Organiser of a monthly neighbourhood clean-up",
)
COURSES = (
    "Completed an online course in public speaking ({year})",
    "Online course: data visualisation basics ({year})",
    "Short course in time management ({year})",
    "Evening course in negotiation ({year})",
    "Workshop on design thinking ({year})",
    "Self-study: personal finance and budgeting ({year})",
)
MISC_LINES = (
    "References available on request.",
    "References upon request",
    "Full driving licence.",
    "Notice period: one month.",
    "Happy to relocate.",
    "Available immediately.",
)
TYPOS = {  # common misspellings; the first of these words in a piece is the one misspelt
    "experience": "experiance",
    "responsible": "responsable",
    "management": "managment",
    "environment": "enviroment",
    "successfully": "succesfully",
    "available": "availble",
    "professional": "proffesional",
    "colleagues": "collegues",
    "regularly": "regulary",
    "knowledge": "knowlege",
    "equipment": "equipement",
    "necessary": "neccessary",
    "maintenance": "maintainance",
    "procedures": "proceedures",
    "recommend": "reccomend",
    "development": "developement",
    "information": "infomation",
    "customers": "costumers",
    "analysis": "analisys",
    "performance": "perfomance",
    "activities": "activites",
    "requirements": "requirments",
    "communication": "comunication",
    "business": "buisness",
    "government": "goverment",
    "ensure": "ensrue",
    "prepared": "prepaired",
}
TYPOS_FALLBACK = {"with": "wiht", "and": "adn", "the": "teh"}
AREAS = {
    "25": ("software development", "data and analytics", "cloud platforms", "IT projects"),
    "35": ("IT support", "networks and infrastructure", "service desks", "IT operations"),
    "24": ("finance", "marketing", "human resources", "sales", "consulting"),
    "21": ("research and development", "engineering projects", "laboratory work"),
    "12": ("operations", "general management", "business services"),
    "13": ("IT management", "service delivery", "programme management"),
    "14": ("hospitality", "retail", "customer services"),
    "11": ("the public sector", "policy", "executive management"),
    "26": ("media", "legal services", "the creative industries", "social services"),
    "31": ("engineering", "technical support", "production"),
    "33": ("sales", "administration", "logistics", "office management"),
    "34": ("sport and fitness", "culture", "hospitality"),
}
AREAS_DEFAULT = ("business", "operations", "customer services")
SENIORITY_PREFIX = ("", "Junior", "Trainee", "Senior", "Lead", "Principal")
# P(prefix) by the seniority (0-4) reached at the end of the job
SENIORITY_PREFIX_P = (
    (0.6, 0.3, 0.1, 0.0, 0.0, 0.0),
    (0.85, 0.15, 0.0, 0.0, 0.0, 0.0),
    (0.75, 0.0, 0.0, 0.25, 0.0, 0.0),
    (0.45, 0.0, 0.0, 0.45, 0.1, 0.0),
    (0.35, 0.0, 0.0, 0.35, 0.15, 0.15),
)
# a title holding one of these words gets no seniority word in front
SENIOR_WORDS = (
    "senior",
    "junior",
    "chief",
    "head",
    "lead",
    "principal",
    "trainee",
    "apprentice",
    "intern",
    "graduate",
    "president",
    "vice",
    "director",
    "assistant",
    "deputy",
    "executive",
)
