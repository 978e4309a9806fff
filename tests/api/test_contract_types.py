"""The OpenAPI document as a contract tooling can use: every property typed, standard formats only, money in
euros, one page shape, fixed vocabularies as enums, error keys per response; and the strict JSON types the
input schemas enforce (a string is not a number, "yes" is not a boolean)."""

from __future__ import annotations

import re

import pytest

# JSON Schema (draft 2020-12 "format" vocabulary) and OpenAPI 3.0's own formats.
STANDARD_FORMATS = {
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "int32",
    "int64",
    "float",
    "double",
    "byte",
    "binary",
    "password",
}
TYPED = ("type", "$ref", "allOf", "oneOf", "anyOf", "enum")
# Property names that always hold a word from a fixed list.
VOCABULARY = {
    "status",
    "type",
    "kind",
    "category",
    "role",
    "outcome",
    "visibility",
    "metric",
    "source",
    "relationship",
    "priority",
    "provider",
    "granularity",
    "decision",
    "scope",
    "period",
    "side",
    "difficulty",
    "recurrence",
    "weekday",
    "currency",
    "scoring",
    "report_type",
    "update_type",
    "metric_type",
    "story_type",
    "condition_type",
    "verification_status",
    "unlock_condition_type",
    "collection_period",
    "document_type",
    "subject_type",
    "winner_side",
}
# ...except where the same name holds something else.
NOT_A_VOCABULARY = {
    ("DisbursementBatchIn", "period"),  # a month, YYYY-MM
    ("DisbursementOut", "period"),  # a month, YYYY-MM
    ("StatementPeriodOut", "period"),  # a month, YYYY-MM
    ("FinancialTrendOut", "period"),  # a day, week or month of the trend
    ("StoryOut", "priority"),  # an integer rank
    ("DisputeOut", "status"),  # the payment provider's word for a dispute
    ("StoryOut", "category"),  # a story's theme
    *(
        (schema, name)  # the operator's stories and campaigns: a theme of their own, an integer rank
        for schema in (
            "StoryAdminOut",
            "StoryCreateIn",
            "StoryPatchIn",
            "CampaignOut",
            "CampaignCreateIn",
            "CampaignPatchIn",
        )
        for name in ("category", "priority")
    ),
    ("TimelineEntryOut", "category"),  # an ONLUS category, or a story's theme
    ("ImpactCategoryAmountOut", "category"),  # an ONLUS category, or "other"
    ("WebhookOut", "type"),  # the payment provider's event type
    ("post /api/payments/webhooks/stripe", "type"),  # the payment provider's event type, any of its own
}
PAGE_KEYS = {"items", "page", "per_page", "total", "total_pages"}
ERROR_KEY = re.compile(r"^[A-Z][A-Z0-9_]*\b")
UNKNOWN_ID = "0123456789abcdef01234567"


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").json


def _schemas(spec) -> dict:
    return spec["components"]["schemas"]


def _walk(schema, where: str):
    """(where, schema) for `schema` and every schema nested in it (properties, items, maps, combinations)."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from _walk(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _walk(schema["additionalProperties"], f"{where}{{}}")
    for combination in ("allOf", "oneOf", "anyOf"):
        for i, sub in enumerate(schema.get(combination) or []):
            yield from _walk(sub, f"{where}.{combination}[{i}]")


def _everything(spec):
    """Every schema in the document: components, parameters, bodies and responses."""
    for name, schema in _schemas(spec).items():
        yield from _walk(schema, name)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                yield from _walk(parameter.get("schema"), f"{method} {path} ?{parameter.get('name')}")
            bodies = [operation.get("requestBody") or {}, *(operation.get("responses") or {}).values()]
            for body in bodies:
                for content in (body.get("content") or {}).values():
                    yield from _walk(content.get("schema"), f"{method} {path}")


def _properties(spec):
    """(where, name, property) of every object property in the document."""
    for where, schema in _everything(spec):
        for name, prop in (schema.get("properties") or {}).items():
            yield where, name, prop


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, path, operation


# -- the document -------------------------------------------------------------------------------------


def test_every_property_and_parameter_has_a_precise_type(spec):
    untyped = [f"{where}.{name}" for where, name, prop in _properties(spec) if not any(k in prop for k in TYPED)]
    for _, path, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            if not any(k in parameter.get("schema", {}) for k in TYPED):
                untyped.append(f"{path} ?{parameter['name']}")
    assert untyped == []


def test_only_standard_formats_appear(spec):
    formats = {f"{where}: {schema['format']}" for where, schema in _everything(spec) if "format" in schema}
    assert formats, "the document has no formats at all"
    assert {f for f in formats if f.split(": ")[-1] not in STANDARD_FORMATS} == set()


def test_ids_are_strings_and_times_are_date_times(spec):
    wrong = []
    for where, name, prop in _properties(spec):
        if name == "id" or name.endswith("_id"):
            if prop.get("type") != "string":
                wrong.append(f"{where}.{name}: {prop}")
        elif name.endswith("_at") and not (prop.get("type") == "string" and prop.get("format") == "date-time"):
            wrong.append(f"{where}.{name}: {prop}")
    assert wrong == []


def test_money_is_euros_with_at_most_two_decimals(spec):
    in_cents = [f"{where}.{name}" for where, name, _ in _properties(spec) if name.endswith("_cents")]
    assert in_cents == []
    schemas = _schemas(spec)
    amounts = {
        "WalletOut": ["balance", "total_earned", "total_donated", "held"],
        "TransactionOut": ["amount", "held_amount", "balance_after"],
        "TransactionBreakdownOut": ["gross", "daily_cap", "earned_today_before", "credited", "held"],
        "DonationIn": ["amount"],
        "DonationOut": ["amount"],
        "ImpactStatsOut": ["donated"],
        "GameSessionEndOut": ["credits_earned"],
        "DashboardTotalsOut": ["donated", "net", "average_donation"],
    }
    for schema, names in amounts.items():
        for name in names:
            prop = schemas[schema]["properties"][name]
            assert prop["type"] == "number" and prop["multipleOf"] == 0.01, f"{schema}.{name}: {prop}"
            assert "euro" in prop["description"].lower(), f"{schema}.{name}: {prop}"
    assert schemas["DonationIn"]["properties"]["amount"]["minimum"] == 0.01


def test_fixed_vocabularies_are_listed_as_enums(spec):
    missing = []
    for where, name, prop in _properties(spec):
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        if name in VOCABULARY and (where, name) not in NOT_A_VOCABULARY and not {"$ref", "enum"} & set(target):
            missing.append(f"{where}.{name}")
    assert missing == []


def test_known_shapes_are_nested_schemas_not_free_form(spec):
    schemas = _schemas(spec)
    refs = {
        ("DashboardOut", "totals"): "DashboardTotalsOut",
        ("TransactionOut", "source"): "TransactionSourceOut",
        ("ImpactScoreOut", "stats"): "ImpactStatsOut",
        ("AchievementOut", "condition"): "AchievementConditionOut",
        ("ImpactLeaderboardOut", "me"): "ImpactLeaderboardMeOut",
        ("HeldDonationOut", "hold"): "HoldOut",
    }
    for (schema, name), target in refs.items():
        assert schemas[schema]["properties"][name]["$ref"] == f"#/components/schemas/{target}"
    entries = schemas["ImpactLeaderboardOut"]["properties"]["entries"]
    assert entries["items"] == {"$ref": "#/components/schemas/ImpactLeaderboardEntryOut"}
    breakdown = schemas["TransactionOut"]["properties"]["breakdown"]
    assert breakdown == {"allOf": [{"$ref": "#/components/schemas/TransactionBreakdownOut"}], "nullable": True}


def test_every_page_is_items_page_per_page_total_total_pages(spec):
    schemas = _schemas(spec)
    assert "PaginationMetadata" not in schemas
    pages = {name: schema for name, schema in schemas.items() if name.endswith("Page")}
    assert len(pages) > 20
    for name, schema in pages.items():
        assert set(schema["properties"]) == PAGE_KEYS, name
        assert set(schema["required"]) == PAGE_KEYS, name
        assert schema["properties"]["total_pages"]["type"] == "integer", name
        assert schema["properties"]["items"]["type"] == "array", name


def test_the_error_envelope_is_documented(spec):
    envelope = _schemas(spec)["ErrorEnvelope"]
    assert set(envelope["properties"]) == {"success", "message", "errors", "data"}
    assert set(envelope["required"]) == {"success", "message"}
    assert envelope["properties"]["message"]["type"] == "string"
    assert envelope["properties"]["errors"]["additionalProperties"]["items"] == {"type": "string"}
    assert all(envelope["properties"][k].get("description") for k in envelope["properties"])


def test_every_error_response_lists_its_error_keys(spec):
    wrong = []
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema != {"$ref": "#/components/schemas/ErrorEnvelope"}:
                wrong.append(f"{method} {path} {status}: schema {schema}")
            if not ERROR_KEY.match(response["description"]):
                wrong.append(f"{method} {path} {status}: {response['description']!r}")
    assert wrong == []


def test_a_route_own_keys_are_listed_beside_the_general_ones(spec):
    responses = spec["paths"]["/api/auth/password"]["put"]["responses"]
    assert "TOKEN_EXPIRED" in responses["401"]["description"]
    assert "INVALID_CREDENTIALS" in responses["401"]["description"]
    assert "VALIDATION_ERROR" in responses["422"]["description"]
    monthly = spec["paths"]["/api/impact/admin/reports/generate"]["post"]["responses"]["422"]["description"]
    assert "VALIDATION_ERROR" in monthly and "PERIOD_NOT_STARTED" in monthly


def test_unknown_path_ids_answer_a_404_key_their_operation_documents(app, spec, admin):
    """Every GET with an id in its path, asked for an id that names nothing, answers 404 with a key
    listed in that operation's 404 description."""
    undocumented = []
    for method, path, operation in _operations(spec):
        if method != "get" or "{" not in path or path.startswith("/api/impact/reports/"):
            continue
        url = re.sub(r"\{[^}]+\}", UNKNOWN_ID, path)
        response = admin.get(url)
        if response.status_code != 404:
            continue
        described = operation["responses"].get("404", {}).get("description", "")
        if not re.search(rf"\b{response.json['message']}\b", described):
            undocumented.append(f"GET {path}: {response.json['message']} not in {described!r}")
    assert undocumented == []


# -- pages on the wire ----------------------------------------------------------------------------------


def test_a_page_carries_total_pages(client, make_onlus):
    for name in ("Uno", "Due", "Tre"):
        make_onlus(name)
    page = client.get("/api/onlus?per_page=2&page=2").json["data"]
    assert (page["page"], page["per_page"], page["total"], page["total_pages"]) == (2, 2, 3, 2)
    assert len(page["items"]) == 1
    empty = client.get("/api/onlus?per_page=2&search=nothing-like-this").json["data"]
    assert (empty["items"], empty["total"], empty["total_pages"]) == ([], 0, 0)


# -- strict input types ---------------------------------------------------------------------------------


def test_a_string_amount_is_refused_and_moves_no_money(user, fund, charity):
    fund(user, 10)
    for amount in ("2", "2.00", True, None, [2]):
        response = user.post("/api/donations/process", json={"onlus_id": charity, "amount": amount})
        assert response.status_code == 422, amount
        assert response.json["message"] == "VALIDATION_ERROR" and "amount" in response.json["errors"]
    assert user.get("/api/wallet").json["data"]["balance"] == 10.0
    assert user.get("/api/donations/history").json["data"]["total"] == 0
    assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": 2}).status_code == 201


@pytest.mark.parametrize("flag", ["yes", "true", 1, 0, "1", None])
def test_a_boolean_field_takes_only_true_or_false(user, flag):
    response = user.put("/api/preferences", json={"notifications": {"email": flag}})
    assert response.status_code == 422, flag
    assert response.json["message"] == "VALIDATION_ERROR"
    assert user.get("/api/preferences").json["data"]["notifications"]["email"] is not flag


@pytest.mark.parametrize("percentage", ["50", 50.5, True])
def test_an_integer_field_takes_only_a_json_integer(user, percentage):
    response = user.put("/api/preferences", json={"donations": {"auto_donation": {"percentage": percentage}}})
    assert response.status_code == 422, percentage
    assert "donations" in response.json["errors"]


def test_a_number_field_takes_no_string(admin):
    response = admin.put("/api/conversion-rates/current", json={"multipliers": {"weekend": "1.5"}})
    assert response.status_code == 422 and "multipliers" in response.json["errors"]
    response = admin.put("/api/conversion-rates/current", json={"base_rate_per_minute": "0.02"})
    assert response.status_code == 422 and "base_rate_per_minute" in response.json["errors"]


def test_json_types_are_accepted_as_they_are(user):
    response = user.put(
        "/api/preferences",
        json={"notifications": {"email": False}, "donations": {"auto_donation": {"percentage": 40}}},
    )
    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert data["notifications"]["email"] is False and data["donations"]["auto_donation"]["percentage"] == 40


def test_query_strings_are_still_parsed_from_text(user):
    response = user.get("/api/donations/history?page=1&per_page=5")
    assert response.status_code == 200 and response.json["data"]["per_page"] == 5
    assert user.get("/api/social/challenges?joined=true").status_code == 200
    assert user.get("/api/donations/history?per_page=many").status_code == 422
