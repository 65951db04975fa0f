"""The DNS records for a sending domain: names, values, 255-character TXT strings."""

from __future__ import annotations

from goteo.channels.email.dns_records import (
    DnsRecord,
    bounce_mx_record,
    sending_domain_records,
    spf_record,
)


def test_every_record_for_a_domain_with_a_bounce_domain() -> None:
    records = sending_domain_records(
        domain="Shop.Example.com",
        selector="s1",
        public_record="v=DKIM1; k=rsa; p=" + "A" * 392,
        return_path_domain="bounces.shop.example.com",
        relay_host="smtp.relay.example",
        inbound_host="inbound.shop.example.com",
    )
    by_purpose = {r.purpose: r for r in records}
    assert list(by_purpose) == ["SPF", "DKIM", "DMARC", "MX"]
    spf = by_purpose["SPF"]
    assert (spf.name, spf.value) == ("bounces.shop.example.com", "v=spf1 a:smtp.relay.example ~all")
    dkim = by_purpose["DKIM"]
    assert dkim.name == "s1._domainkey.shop.example.com"
    assert [len(s) for s in dkim.strings] == [255, 155]
    assert "".join(dkim.strings) == dkim.value
    assert dkim.zone_line().count('"') == 4
    dmarc = by_purpose["DMARC"]
    assert dmarc.name == "_dmarc.shop.example.com"
    assert dmarc.value == "v=DMARC1; p=none; rua=mailto:dmarc@shop.example.com"
    assert "p=quarantine" in dmarc.note and "p=reject" in dmarc.note
    mx = by_purpose["MX"]
    assert (mx.name, mx.type, mx.value) == (
        "bounces.shop.example.com",
        "MX",
        "10 inbound.shop.example.com.",
    )
    assert "goteo inbound" in mx.note
    assert mx.strings == []


def test_without_a_bounce_domain_spf_is_for_the_domain_and_there_is_no_mx() -> None:
    records = sending_domain_records(domain="shop.example.com", selector="s1", public_record=None)
    assert [r.purpose for r in records] == ["SPF", "DKIM", "DMARC"]
    assert records[0].name == "shop.example.com"
    assert records[0].value == "v=spf1 mx ~all"  # no relay known
    assert records[1].value is None and "--generate-key" in records[1].note
    assert records[1].zone_line().endswith("(not available yet)")


def test_a_local_relay_is_not_named_in_spf() -> None:
    for host in ("127.0.0.1", "localhost", "10.0.0.5", ""):
        assert spf_record("shop.example.com", host).value == "v=spf1 mx ~all"
    assert "include:" in spf_record("shop.example.com").note


def test_international_names_are_written_in_idna() -> None:
    record = bounce_mx_record("rebotes.tienda-ñ.example", "correo.tienda-ñ.example")
    assert record.name == "rebotes.xn--tienda--b0a.example"
    assert record.value == "10 correo.xn--tienda--b0a.example."


def test_a_record_as_json() -> None:
    record = DnsRecord("DMARC", "_dmarc.x.example", "TXT", "v=DMARC1; p=none", "note")
    assert record.as_dict() == {
        "purpose": "DMARC",
        "name": "_dmarc.x.example",
        "type": "TXT",
        "value": "v=DMARC1; p=none",
        "strings": ["v=DMARC1; p=none"],
        "note": "note",
    }
