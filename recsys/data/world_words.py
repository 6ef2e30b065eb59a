"""Word lists and fixed probabilities of the example world's organisation side (see
docs/example-world.md).  Plain data, no logic."""

from __future__ import annotations

CONTRACT_DOMAINS: dict[str, list[str]] = {
    "25": [
        "Payments Ledger",
        "Identity",
        "Search",
        "Telemetry",
        "Billing",
        "Notifications",
        "Data Lake",
        "Feature Store",
        "Recommendations",
        "Checkout",
        "Access Control",
        "Event Bus",
        "Document Store",
        "Release Pipeline",
        "Fraud Scoring",
        "Customer Profile",
    ],
    "35": [
        "Service Desk",
        "Network Monitoring",
        "Device Fleet",
        "Backup",
        "Incident Response",
        "Configuration Registry",
        "Workstation Imaging",
        "Edge Gateway",
    ],
    "13": ["Vendor Management", "Capacity Planning", "Service Catalogue", "Portfolio Tracker"],
    "12": ["Budget Planning", "Workforce Planning", "Policy Registry", "Office Services"],
    "24": [
        "Invoicing",
        "Payroll",
        "Procurement",
        "Forecasting",
        "Compliance Reporting",
        "Campaign Analytics",
        "Treasury",
        "Audit Trail",
        "Talent Pipeline",
    ],
    "21": ["Simulation", "Geodata", "Sensor Analytics", "Materials Catalogue", "Lab Results"],
    "33": ["Order Management", "CRM", "Sales Quotes", "Claims Intake", "Records"],
}
TECH_CATEGORIES = (
    "development|data base|database|platform|operating system|network|analytic|"
    "business intelligence|enterprise resource|customer relationship|cloud|"
    "configuration|transaction|security"
)
CONTRACT_KINDS = ["API", "Service", "Platform", "Pipeline", "Gateway"]
TEAM_NAMES = [
    "Atlas",
    "Borealis",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Helix",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Onyx",
    "Pioneer",
    "Quartz",
    "Raven",
    "Summit",
    "Tundra",
    "Umber",
    "Vertex",
    "Willow",
    "Zephyr",
]
ISSUERS = [
    "Internal Academy",
    "Internal Academy",
    "Internal Academy",
    "Linux Foundation",
    "Cloud Native Computing Foundation",
    "AWS Training",
    "Microsoft Learn",
    "Google Cloud",
    "CompTIA",
    "PMI",
    "ISACA",
    "Oracle University",
    "Coursera",
]
LEVEL_NAMES = {1: "Practitioner", 2: "Operator", 3: "Expert"}
VALIDITY = ([12, 24, 36, None], [0.25, 0.35, 0.2, 0.2])
ROLE_SENIORITY_P = {
    "1": [0.02, 0.08, 0.25, 0.35, 0.30],
    "2": [0.1, 0.25, 0.3, 0.25, 0.1],
    "3": [0.2, 0.3, 0.3, 0.15, 0.05],
}
DEFAULT_SENIORITY_P = [0.2, 0.25, 0.3, 0.15, 0.1]
