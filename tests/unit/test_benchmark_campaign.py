"""The benchmark's campaign stays valid as the format evolves."""

from benchmarks.scenario import CAMPAIGN

from goteo.campaigns.versions import parse_checked


def test_the_benchmark_campaign_is_valid() -> None:
    campaign = parse_checked(CAMPAIGN)
    assert [type(s).__name__ for s in campaign.steps] == ["SendStep", "WaitStep", "SendStep"]


def test_the_million_contacts_benchmark_campaigns_are_valid() -> None:
    from benchmarks.million import CAMPAIGNS

    keys = [parse_checked(document).key for document in CAMPAIGNS]
    assert keys == ["welcome", "cart", "newsletter"]
