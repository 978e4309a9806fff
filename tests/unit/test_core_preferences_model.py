from app.core.models.preferences import DEFAULT_PREFERENCES, merge, with_defaults


def test_new_user_gets_complete_defaults():
    prefs = with_defaults(None)
    assert prefs == DEFAULT_PREFERENCES
    assert prefs is not DEFAULT_PREFERENCES


def test_update_merges_sections_without_dropping_siblings():
    merged = merge(DEFAULT_PREFERENCES, {"privacy": {"show_on_leaderboards": False}})
    assert merged["privacy"]["show_on_leaderboards"] is False
    assert merged["privacy"]["profile_visibility"] == "public"
    assert DEFAULT_PREFERENCES["privacy"]["show_on_leaderboards"] is True


def test_lists_are_replaced_not_appended():
    first = merge(DEFAULT_PREFERENCES, {"gaming": {"preferred_categories": ["puzzle"]}})
    second = merge(first, {"gaming": {"preferred_categories": ["arcade"]}})
    assert second["gaming"]["preferred_categories"] == ["arcade"]
