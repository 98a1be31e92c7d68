def test_fresh_cloud_has_no_zone_and_lists_empty(fresh_api):
    assert fresh_api.call("listZones") == {}


def test_a_zone_created_is_listed(api):
    zone = api.create_zone()
    assert [z["id"] for z in api.listing("listZones", id=zone["id"])] == [zone["id"]]
