"""Word lists and templates of the example world's realistic job descriptions (plain data).

Slots: ``{title}`` the role title (``{a}`` its article), ``{team}``, ``{city}``, ``{X}`` a skill form, ``{n}`` years,
``{sen}`` a seniority word, ``{L}`` a list.  Fixed words name no taxonomy skill and no held-out
title (checked by ``tests/data/test_texts.py``).
"""

from __future__ import annotations

TITLE_LINES = (
    "{title}",
    "{sen} {title}",
    "We're hiring: {title}",
    "{title} ({sen_l} level)",
    "{title} - {team}",
)
LOCATION_REMOTE = (
    "Location: {city} or remote",
    "{city} · remote-friendly",
    "Remote (Europe) or {city}",
    "Where: {city}, remote possible",
)
LOCATION_ONSITE = (
    "Location: {city}",
    "{city} · hybrid",
    "Based in {city}, three days a week in the office",
    "Where: {city} (on site)",
)
# section keys in the order of each layout
LAYOUTS = (
    ("location", "about_role", "do", "bring", "nice", "stack", "benefits", "about_us", "eeo"),
    ("about_us", "about_role", "do", "bring", "nice", "benefits", "location", "eeo"),
    ("location", "about_role", "bring", "nice", "do", "stack", "eeo"),
    ("about_role", "do", "stack", "bring", "nice", "benefits", "about_us", "location"),
)
HEADERS = {
    "about_role": ("About the role", "The role", "Your mission", "What this job is about"),
    "do": (
        "What you'll do",
        "Responsibilities",
        "Your tasks",
        "In this role you will",
        "Key responsibilities",
    ),
    "bring": (
        "What you'll bring",
        "Requirements",
        "What we're looking for",
        "Must have",
        "Your profile",
        "Who you are",
    ),
    "nice": ("Nice to have", "Bonus points", "It's a plus if you have", "Preferred qualifications"),
    "stack": ("Our stack", "Tools we use", "Tech stack", "Technologies"),
    "benefits": ("Benefits", "What we offer", "Perks", "Why join us"),
    "about_us": ("About us", "Who we are", "About the team"),
}
ROLE_INTRO = (
    "As {a} {title} in {team} you will work on things that matter to our customers.",
    "We are looking for {a} {title} to join {team}.",
    "{team} is growing and needs {a} {title}.",
    "Join {team} as {a} {title} and help us build what comes next.",
)
SENIORITY_LINES = (  # by role seniority 0-4
    "This is an entry-level position with plenty of guidance.",
    "You will work with support from experienced colleagues.",
    "You will own your results with a high degree of autonomy.",
    "You will set the example for less experienced colleagues.",
    "You will set direction, lead people and own the outcome.",
)
TASK_FORMS = ("{base}", "{base}", "You will {base_l}", "You'll {base_l}")
REQ_NOUN = (
    "{n}+ years of experience with {X}",
    "Solid {X} skills",
    "Experience in {X}",
    "Strong knowledge of {X}",
    "Hands-on experience with {X}",
    "Proven expertise in {X}",
    "{X}",
)
REQ_VERB = (
    "Ability to {X}",
    "You can {X}",
    "Proven ability to {X}",
    "Able to {X} independently",
    "{X}",
)
REQ_YEARS = (1, 2, 3, 5, 7)  # "{n}+ years" by role seniority
REQ_GENERAL = (
    "{n}+ years of relevant experience",
    "A degree in a related field or equivalent experience",
    "Good written and spoken English",
    "A structured, reliable way of working",
)
NICE_NOUN = ("Familiarity with {X}", "Exposure to {X}", "Some experience with {X}", "{X}")
NICE_VERB = ("Ability to {X}", "Having had to {X} before", "{X}")
CONTRACT_LINES = ("You will operate {L}.", "You will operate and improve {L}.")
BENEFITS = (
    "Flexible working hours",
    "30 days of paid holiday",
    "A yearly learning budget",
    "Hybrid work and a home-office allowance",
    "Pension plan",
    "Public transport ticket",
    "Parental leave above the legal minimum",
    "Team events twice a year",
    "A modern laptop of your choice",
    "Private health insurance",
)
ABOUT_US = (
    "{team} is one of the teams behind our internal services, used every day across the company.",
    "We are a friendly team of engineers, analysts and specialists who like to keep things simple.",
    "{team} works closely with the rest of the business and ships in small, steady steps.",
)
EEO = (
    "We are an equal opportunity employer and value diversity. We do not discriminate on the "
    "basis of race, religion, colour, national origin, gender, sexual orientation, age, marital "
    "status or disability status.",
    "We welcome applications from everyone, whatever their background.",
    "Please apply even if you do not tick every box: we care more about potential than "
    "a perfect match.",
)
